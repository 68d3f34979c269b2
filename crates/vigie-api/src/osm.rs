//! OpenStreetMap both ways (issue 18), per collective and type of place:
//!
//! - `POST /api/v1/tenants/{slug}/osm/{type}/extract` (Garant of the type): import an OSM
//!   extract (Overpass JSON): links by the reference tag, proposals by name and distance;
//! - `GET …/osm/{type}/links` (public): the links and proposals;
//! - `POST …/osm/{type}/links/{id}/decision` (Garant): confirm or reject a proposal;
//! - `POST …/osm/{type}/corrections` (Garant): accept the official value of a contradicted tag;
//! - `GET …/osm/{type}/discrepancies.csv` and `.geojson` (public): where OSM and the official
//!   data disagree, the GeoJSON ready for a MapRoulette challenge;
//! - `GET …/osm/{type}/osmchange.xml` (Garant): the accepted corrections, for JOSM. Vigie never
//!   uploads to OSM itself.
//!
//! The downloads are plain routes beside the OpenAPI service, like the exports.

use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};
use vigie_domain::{DomainError, ObjectTypeKey};
use vigie_osm::{ElementRef, ElementType};
use vigie_services::{Actor, ServiceError};
use vigie_storage::OsmLink;

use crate::error::ErrorEnvelope;
use crate::session::Caller;
use crate::{ApiError, ApiState, ApiTags};

/// A place linked (or proposed to be linked) to an OSM element.
#[derive(Debug, Object)]
struct OsmLinkView {
    /// Id.
    id: i64,
    /// The place.
    object_id: i64,
    /// The element, `node/123`, `way/45` or `relation/6`.
    osm_element: String,
    /// `reference` (the type's reference tag) or `proximity` (name and distance).
    matched_by: String,
    /// `linked`, `proposed` or `rejected`.
    state: String,
    /// When it was found.
    created_at: String,
    /// When a Garant confirmed or rejected it.
    decided_at: Option<String>,
}

impl From<OsmLink> for OsmLinkView {
    fn from(l: OsmLink) -> Self {
        Self {
            id: l.id,
            object_id: l.object_id,
            osm_element: format!("{}/{}", l.osm_type, l.osm_id),
            matched_by: l.matched_by,
            state: l.state,
            created_at: l.created_at,
            decided_at: l.decided_at,
        }
    }
}

/// What an import did.
#[derive(Debug, Object)]
struct OsmImportView {
    /// Elements read.
    elements: u64,
    /// Places of the type in the collective.
    places: u64,
    /// New links by the reference tag.
    linked: u64,
    /// New proposals by name and distance, for a Garant to confirm.
    proposed: u64,
    /// Links found again, unchanged.
    unchanged: u64,
}

/// A Garant's decision on a proposed link.
#[derive(Debug, Object)]
struct LinkDecisionDto {
    /// `confirm` or `reject`.
    decision: String,
}

/// A contradicted tag to correct with the official value.
#[derive(Debug, Object)]
struct CorrectionDto {
    /// The element, `node/123`, `way/45` or `relation/6`.
    osm_element: String,
    /// The tag, e.g. `operator:type`.
    tag: String,
}

/// An accepted correction.
#[derive(Debug, Object)]
struct CorrectionView {
    /// The element.
    osm_element: String,
    /// The tag.
    tag: String,
    /// Its official value, which the osmChange file proposes.
    value: String,
}

#[derive(ApiResponse)]
enum Imported {
    /// Imported.
    #[oai(status = 201)]
    Created(Json<OsmImportView>),
}

fn type_key(raw: &str) -> Result<ObjectTypeKey, ApiError> {
    Ok(ObjectTypeKey::parse(raw).map_err(ServiceError::from)?)
}

fn element(raw: &str) -> Result<ElementRef, ApiError> {
    let parsed = raw.split_once('/').and_then(|(kind, id)| {
        Some(ElementRef {
            kind: ElementType::parse(kind)?,
            id: id.parse().ok()?,
        })
    });
    parsed.ok_or_else(|| {
        ServiceError::Invalid(
            DomainError::invalid(
                "osm_element",
                format!("'{raw}' is not an OSM element: write node/123, way/45 or relation/6"),
            )
            .fr(format!(
                "« {raw} » n'est pas un élément OSM : écrivez node/123, way/45 ou relation/6."
            )),
        )
        .into()
    })
}

pub struct OsmApi;

#[OpenApi(tag = "ApiTags::Objects")]
impl OsmApi {
    /// Import an OSM extract of a type (Garant of the type)
    ///
    /// The body is Overpass JSON (`[out:json]`, `out center meta;`). Places whose identifier
    /// an element's reference tag carries (`ref:UAI` for schools) are linked; the others get
    /// a proposal when an element with a similar name lies within 100 m.
    #[oai(
        path = "/tenants/:slug/osm/:object_type/extract",
        method = "post",
        operation_id = "import_osm_extract"
    )]
    async fn import(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: poem_openapi::param::Path<String>,
        object_type: poem_openapi::param::Path<String>,
        body: Json<serde_json::Value>,
    ) -> Result<Imported, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let key = type_key(&object_type)?;
        let bytes = serde_json::to_vec(&body.0).unwrap_or_default();
        let s = state
            .services
            .osm_import(Actor::Principal(&caller.principal()), &tenant, &key, &bytes)
            .await?;
        Ok(Imported::Created(Json(OsmImportView {
            elements: s.elements as u64,
            places: s.places as u64,
            linked: s.linked as u64,
            proposed: s.proposed as u64,
            unchanged: s.unchanged as u64,
        })))
    }

    /// Links of a type's places to OSM elements
    ///
    /// Links by reference, proposals awaiting a Garant, and rejected proposals.
    #[oai(
        path = "/tenants/:slug/osm/:object_type/links",
        method = "get",
        operation_id = "list_osm_links"
    )]
    async fn links(
        &self,
        state: Data<&ApiState>,
        slug: poem_openapi::param::Path<String>,
        object_type: poem_openapi::param::Path<String>,
    ) -> Result<Json<Vec<OsmLinkView>>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let key = type_key(&object_type)?;
        let links = state.services.osm_links(&tenant, &key).await?;
        Ok(Json(links.into_iter().map(Into::into).collect()))
    }

    /// Confirm or reject a proposed link (Garant of the type)
    #[oai(
        path = "/tenants/:slug/osm/:object_type/links/:id/decision",
        method = "post",
        operation_id = "decide_osm_link"
    )]
    async fn decide(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: poem_openapi::param::Path<String>,
        object_type: poem_openapi::param::Path<String>,
        id: poem_openapi::param::Path<i64>,
        body: Json<LinkDecisionDto>,
    ) -> Result<Json<OsmLinkView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let key = type_key(&object_type)?;
        let confirm = match body.decision.as_str() {
            "confirm" => true,
            "reject" => false,
            other => {
                return Err(ServiceError::Invalid(
                    DomainError::invalid(
                        "decision",
                        format!("unknown decision '{other}': write confirm or reject"),
                    )
                    .fr(format!(
                        "Décision inconnue « {other} » : écrivez confirm ou reject."
                    )),
                )
                .into());
            }
        };
        let link = state
            .services
            .decide_osm_link(
                Actor::Principal(&caller.principal()),
                &tenant,
                &key,
                *id,
                confirm,
            )
            .await?;
        Ok(Json(link.into()))
    }

    /// Accept the official value of a contradicted tag (Garant of the type)
    ///
    /// Only a tag the discrepancy report finds contradicted is accepted; the osmChange file
    /// proposes the accepted ones.
    #[oai(
        path = "/tenants/:slug/osm/:object_type/corrections",
        method = "post",
        operation_id = "accept_osm_correction"
    )]
    async fn correct(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: poem_openapi::param::Path<String>,
        object_type: poem_openapi::param::Path<String>,
        body: Json<CorrectionDto>,
    ) -> Result<Json<CorrectionView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let key = type_key(&object_type)?;
        let at = element(&body.osm_element)?;
        let c = state
            .services
            .accept_osm_correction(
                Actor::Principal(&caller.principal()),
                &tenant,
                &key,
                at,
                &body.tag,
            )
            .await?;
        Ok(Json(CorrectionView {
            osm_element: c.element.to_string(),
            tag: c.tag,
            value: c.value,
        }))
    }
}

fn unknown_file(file: &str) -> Response {
    let mut envelope = ErrorEnvelope::new(
        "not_found",
        format!(
            "no OSM file named '{file}': ask for discrepancies.csv, discrepancies.geojson or \
             osmchange.xml"
        ),
        None,
    );
    envelope.error.message_fr = Some(format!(
        "Pas de fichier OSM « {file} » : demandez discrepancies.csv, discrepancies.geojson ou \
         osmchange.xml."
    ));
    poem_openapi::payload::Json(envelope)
        .with_status(StatusCode::NOT_FOUND)
        .into_response()
}

fn download(body: Vec<u8>, content_type: &str, name: String) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        )
        .body(body)
}

/// `GET /api/v1/tenants/:slug/osm/:type/:file`: the discrepancy report (public) or the
/// osmChange file (Garant of the type).
#[handler]
pub async fn download_file(
    state: Data<&ApiState>,
    caller: Caller,
    Path((slug, object_type, file)): Path<(String, String, String)>,
) -> Response {
    let answer = async {
        let tenant = state.services.tenant(&slug).await?;
        let key = type_key(&object_type)?;
        let name = format!("{slug}-{key}-{file}");
        Ok::<_, ApiError>(match file.as_str() {
            "discrepancies.csv" => {
                let items = state.services.osm_discrepancies(&tenant, &key).await?;
                let csv = vigie_osm::report_csv(&items)
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
                download(csv, "text/csv; charset=utf-8; header=present", name)
            }
            "discrepancies.geojson" => {
                let items = state.services.osm_discrepancies(&tenant, &key).await?;
                let geo = vigie_osm::report_geojson(&items).to_string().into_bytes();
                download(geo, "application/geo+json", name)
            }
            "osmchange.xml" => {
                let change = state
                    .services
                    .osm_change(Actor::Principal(&caller.principal()), &tenant, &key)
                    .await?;
                download(
                    change.xml.into_bytes(),
                    "application/xml; charset=utf-8",
                    name,
                )
            }
            other => unknown_file(other),
        })
    };
    match answer.await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}
