//! A place added by hand, and what a caller may administer (for pages that show or hide
//! their controls; the use case that acts decides again).

use vigie_domain::{DomainError, ObjectStatus, ObjectTypeKey, Operation, Principal, Scope};
use vigie_storage::{ObjectIdentity, ObservedObject, Tenant};

use crate::actor::Actor;
use crate::tenants::require_type;
use crate::{ServiceError, Services};

/// A place as a Garant types it: its official identity, without any vintaged value.
#[derive(Debug, Clone, Default)]
pub struct PlaceInput {
    /// The official identifier (e.g. a UAI), checked and normalised by the type's plugin.
    pub identifier: String,
    /// Official name.
    pub official_name: String,
    /// Street line.
    pub street: String,
    /// Postcode.
    pub postcode: String,
    /// City.
    pub city: String,
    /// WGS84 latitude, given with the longitude.
    pub latitude: Option<f64>,
    /// WGS84 longitude, given with the latitude.
    pub longitude: Option<f64>,
}

fn invalid(field: &'static str, en: &str, fr: &str) -> ServiceError {
    ServiceError::Invalid(DomainError::invalid(field, en).fr(fr))
}

impl Services {
    /// Adds one place of a type by hand (Garant of the type, or Guru): the plugin checks and
    /// normalises its identifier as an import would; an identifier already present in the
    /// collective is refused. Its identity is the first entry of its history, attributed to
    /// the Garant. The right is checked before the input is.
    pub async fn add_place(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        key: &ObjectTypeKey,
        input: PlaceInput,
    ) -> Result<ObservedObject, ServiceError> {
        let scope = Scope::ObjectType(tenant.slug.clone(), key.clone());
        let permit = &self
            .permit_for(actor, tenant, scope, Operation::UpdateOfficialData)
            .await?;
        require_type(tenant, key)?;
        let plugin = self.plugin(key)?;
        let identifier = match plugin.normalize_identifier(input.identifier.trim())? {
            Ok(id) => id,
            Err(d) => {
                return Err(ServiceError::Invalid(
                    DomainError::invalid("identifier", d.message.en).fr(d.message.fr),
                ));
            }
        };
        let official_name = input.official_name.trim().to_owned();
        if !(2..=200).contains(&official_name.chars().count()) {
            return Err(invalid(
                "official_name",
                "write the official name (2 to 200 characters)",
                "Écrivez le nom officiel (2 à 200 caractères).",
            ));
        }
        let location = match (input.latitude, input.longitude) {
            (Some(lat), Some(lon)) => {
                vigie_domain::MapView::new(lat, lon, 0)?;
                Some((lat, lon))
            }
            (None, None) => None,
            _ => {
                return Err(invalid(
                    "latitude",
                    "give both latitude and longitude, or neither",
                    "Donnez la latitude et la longitude ensemble, ou aucune des deux.",
                ));
            }
        };
        let text = |field: &'static str, s: &str| -> Result<Option<String>, ServiceError> {
            let s = s.trim();
            if s.chars().count() > 200 {
                return Err(invalid(
                    field,
                    "keep it under 200 characters",
                    "200 caractères au plus.",
                ));
            }
            Ok((!s.is_empty()).then(|| s.to_owned()))
        };
        let identity = ObjectIdentity {
            identifier,
            official_name,
            street: text("street", &input.street)?,
            postcode: text("postcode", &input.postcode)?,
            city: text("city", &input.city)?,
            insee_code: None,
            latitude: location.map(|l| l.0),
            longitude: location.map(|l| l.1),
            status: ObjectStatus::Open,
            opened_on: None,
            closed_on: None,
        };
        let object = self
            .store
            .create_object(tenant.id, key, &identity, None, permit.actor())
            .await?;
        tracing::info!(tenant = %tenant.slug, object_type = %key, id = object.id, actor = ?permit.actor(), "place added");
        Ok(object)
    }

    /// Whether `principal` may administer the platform (open collectives, appoint Gurus).
    pub async fn may_administer_platform(
        &self,
        principal: &Principal,
    ) -> Result<bool, ServiceError> {
        if principal.user_id().is_none() {
            return Ok(false);
        }
        Ok(self
            .authz
            .is_allowed(principal, None, &Scope::Platform, Operation::CreateTenant)
            .await?)
    }

    /// Whether `principal` may change `tenant`'s settings and appoint its Garants.
    pub async fn may_administer_tenant(
        &self,
        principal: &Principal,
        tenant: &Tenant,
    ) -> Result<bool, ServiceError> {
        if principal.user_id().is_none() {
            return Ok(false);
        }
        Ok(self
            .authz
            .is_allowed(
                principal,
                Some(tenant),
                &Scope::Tenant(tenant.slug.clone()),
                Operation::UpdateTenant,
            )
            .await?)
    }

    /// The object types of `tenant` whose official data `principal` keeps (its Garant of
    /// those types, a Guru of all): what they may import, add by hand, and name contacts for.
    pub async fn official_types(
        &self,
        principal: &Principal,
        tenant: &Tenant,
    ) -> Result<Vec<ObjectTypeKey>, ServiceError> {
        let mut out = Vec::new();
        if principal.user_id().is_none() {
            return Ok(out);
        }
        for key in &tenant.object_types {
            let scope = Scope::ObjectType(tenant.slug.clone(), key.clone());
            if self
                .authz
                .is_allowed(
                    principal,
                    Some(tenant),
                    &scope,
                    Operation::UpdateOfficialData,
                )
                .await?
            {
                out.push(key.clone());
            }
        }
        Ok(out)
    }
}
