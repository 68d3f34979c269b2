//! `/tenants/{slug}/objects`, `/imports`, `/contributions`: observed objects, official
//! imports, citizen contributions and their open moderation.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Multipart, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::multipart::Upload,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use vigie_domain::ObjectTypeKey;
use vigie_plugins::{to_api_json, wit};
use vigie_services::{Actor, Contribution, ProposedValue, ServiceError, decode_value};
use vigie_storage::{FactRecord, ObservedObject};

use crate::cached::Cached;
use crate::session::Caller;
use crate::{ApiError, ApiState, ApiTags, ErrorEnvelope};
use poem::IntoResponse;
use vigie_http::{PUBLIC_REVALIDATE, Rendered, VARY_ENCODING};

/// The fields of each row of the places layer.
const PLACE_COLUMNS: [&str; 8] = [
    "id",
    "type",
    "identifier",
    "name",
    "city",
    "latitude",
    "longitude",
    "possibly_closed",
];

/// Every place of a collective in one compact document.
#[derive(Debug, Object)]
struct PlacesLayer {
    /// The names of the fields of each row: id, type, identifier, name, city, latitude,
    /// longitude, possibly_closed.
    columns: Vec<String>,
    /// One array per place, its fields in the order of `columns`.
    rows: Vec<Value>,
}

/// An object in a list.
#[derive(Debug, Object)]
struct ObjectSummary {
    /// Id (in URLs).
    id: i64,
    /// Object type.
    object_type: String,
    /// Official identifier.
    identifier: String,
    /// Official name.
    name: String,
    /// City.
    city: Option<String>,
    /// WGS84 latitude.
    latitude: Option<f64>,
    /// WGS84 longitude.
    longitude: Option<f64>,
    /// `open` or `closed`.
    status: String,
    /// Set when a referential import stopped listing it.
    possibly_closed_since: Option<String>,
}

impl From<&ObservedObject> for ObjectSummary {
    fn from(o: &ObservedObject) -> Self {
        Self {
            id: o.id,
            object_type: o.object_type.clone(),
            identifier: o.identity.identifier.clone(),
            name: o.identity.official_name.clone(),
            city: o.identity.city.clone(),
            latitude: o.identity.latitude,
            longitude: o.identity.longitude,
            status: o.identity.status.as_str().to_owned(),
            possibly_closed_since: o.possibly_closed_since.clone(),
        }
    }
}

/// A place added by hand: its official identity, checked by the type's plugin.
#[derive(Debug, Object)]
struct NewPlaceInput {
    /// Object type, e.g. `schools`.
    object_type: String,
    /// Official identifier (e.g. a UAI), checked and normalised by the plugin.
    identifier: String,
    /// Official name.
    official_name: String,
    /// Street line.
    street: Option<String>,
    /// Postcode.
    postcode: Option<String>,
    /// City.
    city: Option<String>,
    /// WGS84 latitude (with longitude).
    latitude: Option<f64>,
    /// WGS84 longitude (with latitude).
    longitude: Option<f64>,
}

#[derive(ApiResponse)]
enum PlaceAdded {
    /// Added; its identity is the first entry of its history.
    #[oai(status = 201)]
    Created(Json<ObjectSummary>),
}

/// Changes to an object's official identity (absent: unchanged).
#[derive(Debug, Object)]
struct IdentityPatchInput {
    /// Official name.
    official_name: Option<String>,
    /// Street line (empty string clears it).
    street: Option<String>,
    /// Postcode.
    postcode: Option<String>,
    /// City.
    city: Option<String>,
    /// WGS84 latitude (with longitude).
    latitude: Option<f64>,
    /// WGS84 longitude (with latitude).
    longitude: Option<f64>,
    /// `open` or `closed`: settles a "possibly closed" mark.
    status: Option<String>,
    /// Closing date, `YYYY-MM-DD`.
    closed_on: Option<String>,
}

/// The object after an identity change.
#[derive(Debug, Object)]
struct IdentityChanged {
    /// How many identity fields changed (each is in the object's history).
    changed_fields: i64,
    /// The object now.
    object: ObjectSummary,
}

/// A moderation decision.
#[derive(Debug, Object)]
struct DecisionView {
    /// `accepted` or `refused`.
    state: String,
    /// The public reason of a refusal.
    reason: Option<String>,
    /// Public name of who decided.
    decided_by: Option<String>,
    /// When.
    at: OffsetDateTime,
}

/// A fact as the public sees it: never the contributor's contact details.
#[derive(Debug, Object)]
pub struct FactView {
    /// Id.
    id: i64,
    /// The object.
    object_id: i64,
    /// Field key.
    field: String,
    /// Vintage.
    vintage: String,
    /// The value, as the interface's `value` variant (e.g. `{"integer": 7}`).
    value: Value,
    /// `official_import`, `garant`, `citizen` or `anonymous`.
    provenance: String,
    /// URL or document backing it.
    source: Option<String>,
    /// Public name of the author, if signed in.
    author: Option<String>,
    /// `pending`, `accepted` or `refused`.
    state: String,
    /// The decision, once taken.
    decision: Option<DecisionView>,
    /// When it was filed.
    at: OffsetDateTime,
}

impl From<&FactRecord> for FactView {
    fn from(f: &FactRecord) -> Self {
        Self {
            id: f.id,
            object_id: f.object_id,
            field: f.field_key.clone(),
            vintage: f.vintage.clone(),
            value: decode_value(&f.value)
                .map(|v| to_api_json(&v))
                .unwrap_or(Value::Null),
            provenance: f.provenance.as_str().to_owned(),
            source: f.source.clone(),
            author: f.author_name.clone(),
            state: f.state.as_str().to_owned(),
            decision: f.decision.as_ref().map(|d| DecisionView {
                state: d.state.as_str().to_owned(),
                reason: d.reason.clone(),
                decided_by: d.decided_by.clone(),
                at: d.at,
            }),
            at: f.at,
        }
    }
}

/// One proposed value.
#[derive(Debug, Object)]
struct ValueInput {
    /// Field key.
    field: String,
    /// The value as JSON: a number, a string (text, choice key, `YYYY-MM-DD` date, URL) or a
    /// boolean, as the field's kind says.
    value: Value,
}

/// A contribution: values for one vintage of one object.
#[derive(Debug, Object)]
struct ContributionInput {
    /// Vintage, e.g. `2024-2025` (or `2024`) for schools.
    vintage: String,
    /// The values.
    values: Vec<ValueInput>,
    /// A URL or document backing them.
    source: Option<String>,
    /// A private contact e-mail so a Garant can check (never shown publicly).
    contact_email: Option<String>,
    /// A private contact phone (never shown publicly).
    contact_phone: Option<String>,
}

/// Accept or refuse.
#[derive(Debug, Object)]
struct DecisionInput {
    /// `true` to accept, `false` to refuse.
    accept: bool,
    /// Why, for a refusal (shown publicly).
    reason: Option<String>,
}

/// A contributor's private contact details.
#[derive(Debug, Object)]
struct ContactView {
    /// The account's e-mail, if they were signed in.
    account_email: Option<String>,
    /// The e-mail they left.
    contact_email: Option<String>,
    /// The phone they left.
    contact_phone: Option<String>,
}

/// An official file to import.
#[derive(Debug, Multipart)]
struct ImportUpload {
    /// The object type whose importers read the file.
    object_type: String,
    /// The file: CSV (`;` or `,`), JSON or GeoJSON.
    file: Upload,
}

/// A refused row.
#[derive(Debug, Object)]
struct RejectedRowView {
    /// Line (CSV) or record number (JSON).
    line: i64,
    /// Column at fault.
    column: Option<String>,
    /// Why, in English.
    reason: String,
    /// Why, in French.
    reason_fr: String,
}

/// What an import did.
#[derive(Debug, Object)]
struct ImportReportView {
    /// Import number.
    import_id: i64,
    /// The importer that recognised the file.
    importer: String,
    /// Objects created.
    created: i64,
    /// Objects whose identity or facts changed.
    updated: i64,
    /// Rows that changed nothing.
    unchanged: i64,
    /// Rows refused.
    rejected: i64,
    /// Official facts added.
    facts_added: i64,
    /// Objects no longer listed, marked possibly closed for a Garant to confirm.
    possibly_closed: i64,
    /// Every refused row and why.
    rejected_rows: Vec<RejectedRowView>,
}

#[derive(ApiResponse)]
enum Contributed {
    /// Filed; pending moderation, listed publicly.
    #[oai(status = 201)]
    Created(Json<Vec<FactView>>),
    /// Too many anonymous contributions from this client; try again later or sign in.
    #[oai(status = 429)]
    TooMany(Json<ErrorEnvelope>),
}

fn type_key(raw: &str) -> Result<ObjectTypeKey, ApiError> {
    ObjectTypeKey::parse(raw).map_err(|e| ServiceError::from(e).into())
}

/// JSON → the interface's value, as the field's kind says.
/// Reads a JSON value for a field of its type; `input` names the request's member on error.
pub(crate) fn to_value(
    input: &'static str,
    field: &wit::Field,
    v: &Value,
) -> Result<wit::Value, ApiError> {
    let bad = || {
        ApiError::invalid(
            input,
            format!("'{}' expects {}", field.key, kind_name(&field.kind)),
        )
        .fr(&format!(
            "« {} » : cette valeur n'est pas du bon type.",
            field.label.fr
        ))
    };
    let text = || v.as_str().map(str::to_owned).ok_or_else(bad);
    Ok(match &field.kind {
        wit::FieldKind::Integer => wit::Value::Integer(
            v.as_i64()
                .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .ok_or_else(bad)?,
        ),
        wit::FieldKind::Decimal => wit::Value::Decimal(v.as_f64().ok_or_else(bad)?),
        wit::FieldKind::Text | wit::FieldKind::LongText => wit::Value::Text(text()?),
        wit::FieldKind::Boolean => wit::Value::Boolean(v.as_bool().ok_or_else(bad)?),
        wit::FieldKind::Choice(_) => wit::Value::Choice(text()?),
        wit::FieldKind::Date => wit::Value::Date(text()?),
        wit::FieldKind::DateTime => wit::Value::DateTime(text()?),
        wit::FieldKind::Url => wit::Value::Url(text()?),
    })
}

fn kind_name(k: &wit::FieldKind) -> &'static str {
    match k {
        wit::FieldKind::Integer => "a whole number",
        wit::FieldKind::Decimal => "a number",
        wit::FieldKind::Text | wit::FieldKind::LongText => "a text",
        wit::FieldKind::Boolean => "true or false",
        wit::FieldKind::Choice(_) => "the key of one of its options",
        wit::FieldKind::Date => "a date YYYY-MM-DD",
        wit::FieldKind::DateTime => "a date-time YYYY-MM-DDTHH:MM",
        wit::FieldKind::Url => "an https:// address",
    }
}

pub struct ObjectsApi;

#[OpenApi(tag = "ApiTags::Objects")]
impl ObjectsApi {
    /// Objects of a collective, a page at a time
    ///
    /// In the order of their ids, `limit` a page (1000 unless given, at most 5000); when
    /// there are more, the `Link` header gives the next page (`rel="next"`). Objects added
    /// while a client pages come at the end: none is missed or seen twice. Answered from the
    /// read cache, with an `ETag` (`If-None-Match` → 304) and gzip or brotli on request.
    #[oai(
        path = "/tenants/:slug/objects",
        method = "get",
        operation_id = "list_objects"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        req: &poem::Request,
        state: Data<&ApiState>,
        slug: Path<String>,
        /// Only this object type.
        #[oai(name = "type")]
        object_type: Query<Option<String>>,
        /// Only objects inside `west,south,east,north` (degrees, WGS 84).
        bbox: Query<Option<String>>,
        /// Objects after this id (the cursor of the `Link` header).
        after: Query<Option<i64>>,
        /// Objects a page (1 to 5000; 1000 unless given).
        limit: Query<Option<i64>>,
    ) -> Result<Cached<Json<Vec<ObjectSummary>>>, ApiError> {
        let tenant_id = state.services.tenant_id(&slug).await?;
        let key = object_type.0.as_deref().map(type_key).transpose()?;
        let bbox = bbox
            .0
            .as_deref()
            .map(vigie_services::parse_bbox)
            .transpose()?;
        let (after, limit) = (after.0.unwrap_or(0), limit.0.unwrap_or(1000));
        let mut query = format!("limit={limit}");
        if let Some(k) = &key {
            query.push_str(&format!("&type={k}"));
        }
        if let Some(b) = bbox {
            query.push_str(&format!(
                "&bbox={},{},{},{}",
                b.west, b.south, b.east, b.north
            ));
        }
        let cache_key = format!("api/objects/{}?{query}&after={after}", slug.0);
        let revision = state
            .services
            .read_revision(vigie_services::ReadScope::Listing(tenant_id));
        let read = state
            .cache
            .get_or_render(cache_key, revision, || async {
                let tenant = state.services.tenant(&slug).await?;
                let (objects, more) = state
                    .services
                    .objects_after(&tenant, key.as_ref(), bbox, after, limit)
                    .await?;
                let next = objects.last().filter(|_| more).map(|o| o.id);
                let list: Vec<ObjectSummary> = objects.iter().map(Into::into).collect();
                let mut rendered =
                    Rendered::json(poem_openapi::types::ToJSON::to_json_string(&list).into_bytes());
                if let Some(last) = next {
                    rendered.headers.push((
                        poem::http::header::LINK,
                        format!(
                            "</api/v1/tenants/{}/objects?{query}&after={last}>; rel=\"next\"",
                            tenant.slug
                        ),
                    ));
                }
                Ok::<_, ApiError>(rendered)
            })
            .await?;
        Ok(Cached::new(read.respond(
            req,
            PUBLIC_REVALIDATE,
            VARY_ENCODING,
        )))
    }

    /// Every place of a collective, compactly (for maps and « near me »)
    ///
    /// `columns` names the fields of each row of `rows`: id, type, identifier, name, city,
    /// latitude, longitude, possibly closed (0/1). One cached document per change of the
    /// collective's places, with an `ETag`, gzip or brotli.
    #[oai(
        path = "/tenants/:slug/places",
        method = "get",
        operation_id = "list_places"
    )]
    async fn places(
        &self,
        req: &poem::Request,
        state: Data<&ApiState>,
        slug: Path<String>,
    ) -> Result<Cached<Json<PlacesLayer>>, ApiError> {
        let tenant_id = state.services.tenant_id(&slug).await?;
        let revision = state
            .services
            .read_revision(vigie_services::ReadScope::Listing(tenant_id));
        let read = state
            .cache
            .get_or_render(format!("api/places/{}", slug.0), revision, || async {
                let tenant = state.services.tenant(&slug).await?;
                let places = state.services.places(&tenant).await?;
                let rows: Vec<Value> = places
                    .iter()
                    .map(|p| {
                        json!([
                            p.id,
                            p.object_type,
                            p.identifier,
                            p.name,
                            p.city,
                            p.latitude,
                            p.longitude,
                            u8::from(p.possibly_closed)
                        ])
                    })
                    .collect();
                let body = json!({ "columns": PLACE_COLUMNS, "rows": rows });
                Ok::<_, ApiError>(Rendered::json(body.to_string().into_bytes()))
            })
            .await?;
        Ok(Cached::new(read.respond(
            req,
            PUBLIC_REVALIDATE,
            VARY_ENCODING,
        )))
    }

    /// Add a place by hand (Garant of the type)
    ///
    /// For a place the official file does not list yet. The type's plugin checks and
    /// normalises the identifier as an import would; an identifier already present in the
    /// collective is refused (409).
    #[oai(
        path = "/tenants/:slug/places",
        method = "post",
        operation_id = "add_place"
    )]
    async fn add_place(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        body: Json<NewPlaceInput>,
    ) -> Result<PlaceAdded, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let b = body.0;
        let key = type_key(&b.object_type)?;
        let object = state
            .services
            .add_place(
                Actor::Principal(&caller.principal()),
                &tenant,
                &key,
                vigie_services::PlaceInput {
                    identifier: b.identifier,
                    official_name: b.official_name,
                    street: b.street.unwrap_or_default(),
                    postcode: b.postcode.unwrap_or_default(),
                    city: b.city.unwrap_or_default(),
                    latitude: b.latitude,
                    longitude: b.longitude,
                },
            )
            .await?;
        Ok(PlaceAdded::Created(Json((&object).into())))
    }

    /// An object: identity, current values per vintage, indicators, full history
    #[oai(
        path = "/tenants/:slug/objects/:id",
        method = "get",
        operation_id = "get_object"
    )]
    async fn get(
        &self,
        req: &poem::Request,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
    ) -> Result<Cached<Json<Value>>, ApiError> {
        if caller.user.is_some() {
            // What a signed-in caller sees may differ (documents awaiting their moderation).
            let value = object_json(&state, &caller, &slug, *id).await?;
            let mut response = Json(value).into_response();
            response.headers_mut().insert(
                poem::http::header::CACHE_CONTROL,
                poem::http::HeaderValue::from_static("private, no-cache"),
            );
            return Ok(Cached::new(response));
        }
        let tenant_id = state.services.tenant_id(&slug).await?;
        let revision = state
            .services
            .read_revision(vigie_services::ReadScope::Object(tenant_id, *id));
        let key = format!("api/object/{}/{}", slug.0, *id);
        let read = state
            .cache
            .get_or_render(key, revision, || async {
                let value = object_json(&state, &caller, &slug, *id).await?;
                Ok::<_, ApiError>(Rendered::json(value.to_string().into_bytes()))
            })
            .await?;
        Ok(Cached::new(read.respond(
            req,
            PUBLIC_REVALIDATE,
            vigie_http::VARY_ENCODING_COOKIE,
        )))
    }

    /// Change an object's official identity (Garant of the type)
    ///
    /// Citizens never change official data. Every change is kept in the object's identity
    /// history with who made it and when.
    #[oai(
        path = "/tenants/:slug/objects/:id",
        method = "patch",
        operation_id = "update_object"
    )]
    async fn update(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        body: Json<IdentityPatchInput>,
    ) -> Result<Json<IdentityChanged>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let b = body.0;
        let (object, changed) = state
            .services
            .update_identity(
                Actor::Principal(&caller.principal()),
                &tenant,
                *id,
                vigie_services::IdentityPatch {
                    official_name: b.official_name,
                    street: b.street,
                    postcode: b.postcode,
                    city: b.city,
                    latitude: b.latitude,
                    longitude: b.longitude,
                    status: b.status,
                    closed_on: b.closed_on,
                },
            )
            .await?;
        Ok(Json(IdentityChanged {
            changed_fields: changed as i64,
            object: (&object).into(),
        }))
    }

    /// Import an official file (Garant of the type)
    ///
    /// The type's importer that recognises the file's columns reads it row by row. New
    /// objects are created, official facts added for the file's vintage, nothing is deleted;
    /// objects a referential no longer lists are marked possibly closed. Importing the same
    /// file again changes nothing.
    #[oai(
        path = "/tenants/:slug/imports",
        method = "post",
        operation_id = "import_file"
    )]
    async fn import(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        upload: ImportUpload,
    ) -> Result<Json<ImportReportView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let key = type_key(&upload.object_type)?;
        let name = upload.file.file_name().unwrap_or("upload").to_owned();
        let bytes = upload.file.into_vec().await.map_err(|e| {
            ApiError::invalid("file", format!("cannot read the upload: {e}"))
                .fr(&format!("Impossible de lire le fichier envoyé : {e}"))
        })?;
        let report = state
            .services
            .import_dataset(
                Actor::Principal(&caller.principal()),
                &tenant,
                &key,
                &name,
                &bytes,
            )
            .await?;
        let c = &report.counts;
        Ok(Json(ImportReportView {
            import_id: report.import_id,
            importer: report.importer.clone(),
            created: c.created,
            updated: c.updated,
            unchanged: c.unchanged,
            rejected: c.rejected,
            facts_added: c.facts_added,
            possibly_closed: c.possibly_closed,
            rejected_rows: report
                .rejected
                .iter()
                .map(|r| RejectedRowView {
                    line: r.line as i64,
                    column: r.column.clone(),
                    reason: r.reason.en.clone(),
                    reason_fr: r.reason.fr.clone(),
                })
                .collect(),
        }))
    }

    /// Propose values (anyone, signed in or not)
    ///
    /// Values for the citizen fields of one vintage. The type's validators run first and
    /// refuse bad values with field-level messages; accepted proposals wait, publicly listed,
    /// for a Garant of the type or a Certified citizen of the object. With an
    /// `Idempotency-Key` header (16 to 100 letters, digits, `-` or `_`, e.g. a UUID), the same
    /// contribution sent again answers with the facts the first sending filed.
    #[oai(
        path = "/tenants/:slug/objects/:id/contributions",
        method = "post",
        operation_id = "contribute"
    )]
    #[allow(clippy::too_many_arguments)] // one argument per extractor
    async fn contribute(
        &self,
        state: Data<&ApiState>,
        client: vigie_http::ClientAddress,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        body: Json<ContributionInput>,
        #[oai(name = "Idempotency-Key")] idempotency_key: poem_openapi::param::Header<
            Option<String>,
        >,
    ) -> Result<Contributed, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let object = state.services.object(&tenant, *id).await?;
        if !state.anonymous_allowed(&caller, &client) {
            return Ok(Contributed::TooMany(Json(ErrorEnvelope::rate_limited())));
        }
        let key = type_key(&object.object_type)?;
        let schema = state.services.object_schema(&tenant, &key).await?;
        let mut values = Vec::with_capacity(body.values.len());
        for v in &body.values {
            let field = schema
                .plugin
                .manifest()
                .fields
                .iter()
                .chain(schema.added.iter().map(|(_, f)| f))
                .find(|f| f.key == v.field)
                .ok_or_else(|| {
                    ApiError::invalid(
                        "values",
                        format!("'{}' is not a field of {key} here", v.field),
                    )
                    .fr(&format!(
                        "« {} » n'est pas une information de ce type de lieu ici.",
                        v.field
                    ))
                })?;
            values.push(ProposedValue {
                field: v.field.clone(),
                value: to_value("values", field, &v.value)?,
            });
        }
        let body = body.0;
        let facts = state
            .services
            .contribute(
                Actor::Principal(&caller.principal()),
                &tenant,
                object.id,
                Contribution {
                    vintage: body.vintage,
                    values,
                    source: body.source,
                    contact_email: body.contact_email,
                    contact_phone: body.contact_phone,
                    submission_key: idempotency_key.0,
                },
            )
            .await?;
        Ok(Contributed::Created(Json(
            facts.iter().map(Into::into).collect(),
        )))
    }

    /// Contributions of a collective
    ///
    /// Public: pending ones by default, or those in `state`.
    #[oai(
        path = "/tenants/:slug/contributions",
        method = "get",
        operation_id = "list_contributions"
    )]
    async fn contributions(
        &self,
        state: Data<&ApiState>,
        slug: Path<String>,
    ) -> Result<Json<Vec<FactView>>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let pending = state.services.pending_contributions(&tenant).await?;
        Ok(Json(pending.iter().map(Into::into).collect()))
    }

    /// Accept or refuse a contribution (Garant of the type, Certified citizen of the object)
    #[oai(
        path = "/tenants/:slug/contributions/:id/decision",
        method = "post",
        operation_id = "decide_contribution"
    )]
    async fn decide(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        body: Json<DecisionInput>,
    ) -> Result<Json<FactView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let decided = state
            .services
            .decide_contribution(
                Actor::Principal(&caller.principal()),
                &tenant,
                *id,
                body.accept,
                body.reason.as_deref(),
            )
            .await?;
        Ok(Json((&decided).into()))
    }

    /// A contributor's contact details (Garant of the type only)
    ///
    /// So the Garant can check a fact with its contributor. Nobody else ever sees them.
    #[oai(
        path = "/tenants/:slug/contributions/:id/contact",
        method = "get",
        operation_id = "contributor_contact"
    )]
    async fn contact(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
    ) -> Result<Json<ContactView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let c = state
            .services
            .contributor_contact(Actor::Principal(&caller.principal()), &tenant, *id)
            .await?;
        Ok(Json(ContactView {
            account_email: c.account_email,
            contact_email: c.contact_email,
            contact_phone: c.contact_phone,
        }))
    }
}

impl FactView {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id, "object_id": self.object_id, "field": self.field, "vintage": self.vintage,
            "value": self.value, "provenance": self.provenance, "source": self.source,
            "author": self.author, "state": self.state,
            "decision": self.decision.as_ref().map(|d| json!({
                "state": d.state, "reason": d.reason, "decided_by": d.decided_by,
                "at": vigie_storage::timestamp(d.at),
            })),
            "at": vigie_storage::timestamp(self.at),
        })
    }
}

/// An object's sheet as the API shows it to `caller`.
async fn object_json(
    state: &ApiState,
    caller: &Caller,
    slug: &str,
    id: i64,
) -> Result<Value, ApiError> {
    let tenant = state.services.tenant(slug).await?;
    let sheet = state.services.object_sheet(&tenant, id).await?;
    let events = state.services.life_events(&tenant, id).await?;
    let documents = state
        .services
        .documents(&caller.principal(), &tenant, id)
        .await?;
    let o = &sheet.object;
    let current: serde_json::Map<String, Value> = sheet
        .current
        .iter()
        .map(|(vintage, fields)| {
            let fields: serde_json::Map<String, Value> = fields
                .iter()
                .map(|(k, f)| (k.clone(), json!(FactView::from(f).to_json())))
                .collect();
            (vintage.clone(), Value::Object(fields))
        })
        .collect();
    let indicators: serde_json::Map<String, Value> = sheet
        .indicators
        .iter()
        .map(|(v, list)| {
            let m: serde_json::Map<String, Value> = list
                .iter()
                .map(|i| (i.key.clone(), json!(i.value)))
                .collect();
            (v.clone(), Value::Object(m))
        })
        .collect();
    Ok(json!({
        "id": o.id,
        "object_type": o.object_type,
        "identifier": o.identity.identifier,
        "name": o.identity.official_name,
        "address": {
            "street": o.identity.street, "postcode": o.identity.postcode,
            "city": o.identity.city, "insee_code": o.identity.insee_code,
        },
        "location": match (o.identity.latitude, o.identity.longitude) {
            (Some(lat), Some(lon)) => json!({"latitude": lat, "longitude": lon}),
            _ => Value::Null,
        },
        "status": o.identity.status.as_str(),
        "opened_on": o.identity.opened_on,
        "closed_on": o.identity.closed_on,
        "possibly_closed_since": o.possibly_closed_since,
        "vintages": sheet.current.keys().collect::<Vec<_>>(),
        "current": current,
        "indicators": indicators,
        "certified": sheet.certified.iter().map(|h| json!({"user": {"id": h.user_id.0, "display_name": h.user_name}})).collect::<Vec<_>>(),
        "identity_history": sheet.identity_changes.iter().map(|c| json!({
            "field": c.field, "old_value": c.old_value, "new_value": c.new_value,
            "import_id": c.import_id, "changed_by": c.actor_name, "at": vigie_storage::timestamp(c.at),
        })).collect::<Vec<_>>(),
        "facts": sheet.facts.iter().map(|f| FactView::from(f).to_json()).collect::<Vec<_>>(),
        "life_events": events.iter().map(|e| json!({
            "id": e.id, "kind": e.kind, "title": e.title, "description": e.description,
            "starts_on": e.starts_on, "ends_on": e.ends_on, "state": e.state.as_str(),
            "author": e.author_name,
            "refusal_reason": e.decision.as_ref().and_then(|d| d.reason.clone()),
        })).collect::<Vec<_>>(),
        "documents": documents.iter().map(|e| { let d = &e.document; json!({
            "id": d.id, "kind": d.kind, "title": d.title, "document_date": d.document_date,
            "content_type": d.content_type, "size": d.size, "uploaded_by": d.uploaded_by,
            "at": vigie_storage::timestamp(d.at), "state": d.state.as_str(),
            "awaiting_moderation": e.concealed,
            "refusal_reason": d.decision.as_ref().and_then(|x| x.reason.clone()),
            "download": e.downloadable.then(|| format!("/api/v1/tenants/{}/documents/{}/file", tenant.slug, d.id)),
        })}).collect::<Vec<_>>(),
    }))
}
