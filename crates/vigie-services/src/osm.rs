//! OpenStreetMap both ways (issue 18): a Garant imports an OSM extract of a type, its elements
//! are linked to the collective's places (by the type's reference tag, else proposed by name
//! and distance), anyone reads where OSM and the official data disagree, and a Garant reviews
//! tag corrections and downloads them as an osmChange file to load in JOSM by hand.
//!
//! The logic is in `vigie-osm`; here are the rights, the loading and the storing.

use std::collections::{HashMap, HashSet};

use vigie_domain::{Bilingual, DomainError, ObjectTypeKey, Operation, Scope, UserId};
use vigie_osm::{
    Discrepancy, DiscrepancyKind, ElementRef, ElementType, Extract, LinkedPair, MatchKind, Place,
    Profile, SkippedCorrection, TagCorrection,
};
use vigie_plugins::wit;
use vigie_storage::{OsmLink, Tenant};

use crate::actor::Actor;
use crate::objects::decode_value;
use crate::tenants::require_type;
use crate::{ServiceError, Services};

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsmImportSummary {
    /// Elements read in the extract.
    pub elements: usize,
    /// Places of the type in the collective.
    pub places: usize,
    /// New links by the reference tag.
    pub linked: usize,
    /// New proposals by name and distance, for a Garant to confirm.
    pub proposed: usize,
    /// Links found again, unchanged.
    pub unchanged: usize,
}

/// An osmChange file and the corrections it could not carry.
#[derive(Debug, Clone)]
pub struct OsmChangeFile {
    /// The XML.
    pub xml: String,
    /// Corrections left out, with why.
    pub skipped: Vec<SkippedCorrection>,
}

fn invalid(field: &'static str, en: String, fr: String) -> ServiceError {
    ServiceError::Invalid(DomainError::invalid(field, en).fr(fr))
}

fn osm_profile(key: &ObjectTypeKey) -> Result<&'static Profile, ServiceError> {
    vigie_osm::profile(key.as_str()).ok_or_else(|| {
        invalid(
            "object_type",
            format!("Vigie does not know how OSM tags places of type '{key}' yet: only schools (ref:UAI)"),
            format!("Vigie ne sait pas encore comment OSM décrit les lieux de type « {key} » : seulement les écoles (ref:UAI)."),
        )
    })
}

fn parse_extract(body: &[u8]) -> Result<Extract, ServiceError> {
    vigie_osm::parse_overpass_json(body).map_err(|e| {
        invalid(
            "extract",
            format!("{e}"),
            "L'extrait n'est pas du JSON Overpass lisible : exportez-le depuis Overpass avec \
             [out:json] et « out center meta; », puis réessayez."
                .into(),
        )
    })
}

impl Services {
    async fn osm_garant(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        key: &ObjectTypeKey,
    ) -> Result<Option<UserId>, ServiceError> {
        let scope = Scope::ObjectType(tenant.slug.clone(), key.clone());
        let permit = self
            .permit_for(actor, tenant, scope, Operation::UpdateOfficialData)
            .await?;
        require_type(tenant, key)?;
        Ok(permit.actor())
    }

    /// The collective's places of a type, with the official facts the tag checks read.
    async fn osm_places(
        &self,
        tenant: &Tenant,
        key: &ObjectTypeKey,
    ) -> Result<Vec<Place>, ServiceError> {
        let objects = self.store.list_objects(tenant.id, Some(key)).await?;
        let ids: Vec<i64> = objects.iter().map(|o| o.id).collect();
        let current = self.store.current_values(tenant.id, &ids).await?;
        // The newest vintage of each field.
        let mut facts: HashMap<i64, HashMap<String, (String, String)>> = HashMap::new();
        for ((object, vintage, field), raw) in current {
            let text = match decode_value(&raw) {
                Some(wit::Value::Choice(c)) => c,
                Some(wit::Value::Text(t)) => t,
                _ => continue,
            };
            let slot = facts.entry(object).or_default();
            match slot.get(&field) {
                Some((v, _)) if *v >= vintage => {}
                _ => {
                    slot.insert(field, (vintage, text));
                }
            }
        }
        Ok(objects
            .into_iter()
            .map(|o| Place {
                id: o.id,
                identifier: o.identity.identifier,
                name: o.identity.official_name,
                lat: o.identity.latitude,
                lon: o.identity.longitude,
                facts: facts
                    .remove(&o.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, (_, v))| (k, v))
                    .collect(),
            })
            .collect())
    }

    /// Imports an OSM extract (Overpass JSON) of a type (Garant of the type): links the
    /// places whose identifier an element's reference tag carries, proposes links by name
    /// and distance for the others, and keeps the extract for the report.
    pub async fn osm_import(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        key: &ObjectTypeKey,
        body: &[u8],
    ) -> Result<OsmImportSummary, ServiceError> {
        let by = self.osm_garant(actor, tenant, key).await?;
        let profile = osm_profile(key)?;
        let extract = parse_extract(body)?;
        let text = std::str::from_utf8(body).map_err(|_| {
            invalid(
                "extract",
                "the extract is not UTF-8".into(),
                "L'extrait n'est pas en UTF-8.".into(),
            )
        })?;
        let places = self.osm_places(tenant, key).await?;
        let mut summary = OsmImportSummary {
            elements: extract.elements.len(),
            places: places.len(),
            ..OsmImportSummary::default()
        };
        for m in vigie_osm::match_places(profile, &places, &extract) {
            let state = match m.kind {
                MatchKind::Reference => "linked",
                MatchKind::Proximity => "proposed",
            };
            let changed = self
                .store
                .record_osm_link(
                    tenant.id,
                    m.place,
                    m.element.kind.as_str(),
                    m.element.id,
                    m.kind.as_str(),
                    state,
                )
                .await?;
            match (changed, m.kind) {
                (false, _) => summary.unchanged += 1,
                (true, MatchKind::Reference) => summary.linked += 1,
                (true, MatchKind::Proximity) => summary.proposed += 1,
            }
        }
        self.store
            .insert_osm_extract(tenant.id, key.as_str(), text, by)
            .await?;
        Ok(summary)
    }

    /// The links of a collective's places of a type to OSM elements (public).
    pub async fn osm_links(
        &self,
        tenant: &Tenant,
        key: &ObjectTypeKey,
    ) -> Result<Vec<OsmLink>, ServiceError> {
        require_type(tenant, key)?;
        Ok(self.store.osm_links(tenant.id, key.as_str()).await?)
    }

    async fn latest_extract(
        &self,
        tenant: &Tenant,
        key: &ObjectTypeKey,
    ) -> Result<Extract, ServiceError> {
        let body = self
            .store
            .latest_osm_extract(tenant.id, key.as_str())
            .await?
            .ok_or(ServiceError::NotFound(
                "OSM extract (import one first: vigie osm import)",
            ))?;
        parse_extract(body.as_bytes())
    }

    /// Where the newest OSM extract of a type and the official data disagree (public).
    pub async fn osm_discrepancies(
        &self,
        tenant: &Tenant,
        key: &ObjectTypeKey,
    ) -> Result<Vec<Discrepancy>, ServiceError> {
        require_type(tenant, key)?;
        let profile = osm_profile(key)?;
        let extract = self.latest_extract(tenant, key).await?;
        let places = self.osm_places(tenant, key).await?;
        let links = self.store.osm_links(tenant.id, key.as_str()).await?;
        let linked: Vec<LinkedPair> = links
            .iter()
            .filter(|l| l.state == "linked")
            .filter_map(|l| {
                Some(LinkedPair {
                    place: l.object_id,
                    element: ElementRef {
                        kind: ElementType::parse(&l.osm_type)?,
                        id: l.osm_id,
                    },
                })
            })
            .collect();
        let proposed: HashSet<i64> = links
            .iter()
            .filter(|l| l.state == "proposed")
            .map(|l| l.object_id)
            .collect();
        Ok(vigie_osm::discrepancies(
            profile, &places, &extract, &linked, &proposed,
        ))
    }

    /// Confirms or rejects a proposed link (Garant of the type).
    pub async fn decide_osm_link(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        key: &ObjectTypeKey,
        id: i64,
        confirm: bool,
    ) -> Result<OsmLink, ServiceError> {
        let by = self.osm_garant(actor, tenant, key).await?;
        let link = self
            .store
            .osm_link(tenant.id, id)
            .await?
            .filter(|l| l.type_key == key.as_str())
            .ok_or(ServiceError::NotFound("OSM link"))?;
        let state = if confirm { "linked" } else { "rejected" };
        if !self.store.decide_osm_link(tenant.id, id, state, by).await? {
            return Err(ServiceError::Conflict(
                Bilingual::new(format!(
                    "this link is already {}: only a proposal can be confirmed or rejected",
                    link.state
                ))
                .fr(format!(
                    "Ce lien est déjà « {} » : seule une proposition se confirme ou se rejette.",
                    link.state
                )),
            ));
        }
        self.store
            .osm_link(tenant.id, id)
            .await?
            .ok_or(ServiceError::NotFound("OSM link"))
    }

    /// Accepts the official value of a tag an element contradicts (Garant of the type): the
    /// osmChange file will propose it. Only a tag the report finds contradicted is accepted.
    pub async fn accept_osm_correction(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        key: &ObjectTypeKey,
        element: ElementRef,
        tag: &str,
    ) -> Result<TagCorrection, ServiceError> {
        let by = self.osm_garant(actor, tenant, key).await?;
        let found = self
            .osm_discrepancies(tenant, key)
            .await?
            .into_iter()
            .find(|d| {
                d.kind == DiscrepancyKind::TagContradicts
                    && d.element == Some(element)
                    && d.tag.as_deref() == Some(tag)
            })
            .and_then(|d| d.official_value)
            .ok_or_else(|| {
                invalid(
                    "tag",
                    format!("the report finds no contradicted tag '{tag}' on {element}: see discrepancies.csv"),
                    format!("Le rapport ne trouve pas d'étiquette « {tag} » contredite sur {element} : voyez discrepancies.csv."),
                )
            })?;
        self.store
            .accept_osm_correction(
                tenant.id,
                key.as_str(),
                element.kind.as_str(),
                element.id,
                tag,
                &found,
                by,
            )
            .await?;
        Ok(TagCorrection {
            element,
            tag: tag.to_owned(),
            value: found,
        })
    }

    /// The accepted tag corrections as an osmChange file (Garant of the type), for a human
    /// to load in JOSM, check and upload: Vigie never uploads.
    pub async fn osm_change(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        key: &ObjectTypeKey,
    ) -> Result<OsmChangeFile, ServiceError> {
        self.osm_garant(actor, tenant, key).await?;
        let extract = self.latest_extract(tenant, key).await?;
        let corrections: Vec<TagCorrection> = self
            .store
            .osm_corrections(tenant.id, key.as_str())
            .await?
            .into_iter()
            .filter_map(|c| {
                Some(TagCorrection {
                    element: ElementRef {
                        kind: ElementType::parse(&c.osm_type)?,
                        id: c.osm_id,
                    },
                    tag: c.tag,
                    value: c.value,
                })
            })
            .collect();
        let (xml, skipped) = vigie_osm::osmchange(&extract, &corrections);
        Ok(OsmChangeFile { xml, skipped })
    }
}
