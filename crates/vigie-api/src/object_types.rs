//! `/object-types` and `/tenants/{slug}/object-types/{type}/…`: what each object type declares
//! (from its plugin) and the citizen fields Garants add per collective.

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};
use serde_json::{Value, json};
use time::OffsetDateTime;
use vigie_domain::ObjectTypeKey;
use vigie_plugins::wit;
use vigie_services::{Actor, ServiceError};
use vigie_storage::SchemaField;

use crate::session::Caller;
use crate::{ApiError, ApiState, ApiTags};

/// A text in French and English.
#[derive(Debug, Clone, Object)]
pub struct LocalizedText {
    /// Français.
    pub fr: String,
    /// English.
    pub en: String,
}

impl From<&wit::Localized> for LocalizedText {
    fn from(l: &wit::Localized) -> Self {
        Self {
            fr: l.fr.clone(),
            en: l.en.clone(),
        }
    }
}

impl From<LocalizedText> for wit::Localized {
    fn from(l: LocalizedText) -> Self {
        Self { fr: l.fr, en: l.en }
    }
}

/// An object type this server hosts.
#[derive(Debug, Object)]
struct ObjectTypeSummary {
    /// Type key, e.g. `schools`.
    key: String,
    /// Singular name.
    name: LocalizedText,
    /// Plural name.
    plural_name: LocalizedText,
    /// What it covers.
    description: LocalizedText,
    /// Map colour, `#rrggbb`.
    color: String,
    /// Version of the plugin.
    plugin_version: String,
    /// Version of the `vigie:object-type` interface it implements.
    interface_version: String,
    /// SHA-256 of the plugin component.
    sha256: String,
}

/// An option of a choice field.
#[derive(Debug, Object)]
struct ChoiceOptionInput {
    /// Stored key, `[a-z0-9-]+`.
    key: String,
    /// Label.
    label: LocalizedText,
}

/// A citizen field to add to a type's schema in a collective.
#[derive(Debug, Object)]
struct FieldInput {
    /// Stable key, `[a-z][a-z0-9-]*`, unused by the type's other fields.
    key: String,
    /// Label.
    label: LocalizedText,
    /// A sentence that helps citizens fill it in.
    help: Option<LocalizedText>,
    /// `integer`, `decimal`, `text`, `long-text`, `boolean`, `choice`, `date`, `date-time` or
    /// `url`.
    kind: String,
    /// Options, for `choice`.
    #[oai(default)]
    options: Vec<ChoiceOptionInput>,
    /// Unit shown after the value.
    unit: Option<LocalizedText>,
    /// Whether a record must have it.
    #[oai(default)]
    required: bool,
    /// Smallest value (numbers).
    min: Option<f64>,
    /// Largest value (numbers).
    max: Option<f64>,
    /// Longest text, in characters.
    max_length: Option<u32>,
    /// Group of the plugin's form to show it in.
    group: Option<String>,
}

impl FieldInput {
    fn into_wit(self) -> Result<wit::Field, ApiError> {
        let kind = match self.kind.as_str() {
            "integer" => wit::FieldKind::Integer,
            "decimal" => wit::FieldKind::Decimal,
            "text" => wit::FieldKind::Text,
            "long-text" => wit::FieldKind::LongText,
            "boolean" => wit::FieldKind::Boolean,
            "date" => wit::FieldKind::Date,
            "date-time" => wit::FieldKind::DateTime,
            "url" => wit::FieldKind::Url,
            "choice" => wit::FieldKind::Choice(
                self.options
                    .into_iter()
                    .map(|o| wit::ChoiceOption {
                        key: o.key,
                        label: o.label.into(),
                    })
                    .collect(),
            ),
            other => {
                return Err(ApiError::invalid(
                    "kind",
                    format!(
                        "unknown kind '{other}': use integer, decimal, text, long-text, boolean, \
                         choice, date, date-time or url"
                    ),
                )
                .fr(
                    "Type de champ inconnu : entier, décimal, texte, texte long, booléen, choix, \
                     date, date et heure ou URL.",
                ));
            }
        };
        Ok(wit::Field {
            key: self.key,
            label: self.label.into(),
            help: self.help.map(Into::into),
            kind,
            unit: self.unit.map(Into::into),
            constraints: wit::Constraints {
                required: self.required,
                min: self.min,
                max: self.max,
                max_length: self.max_length,
            },
            origin: wit::FieldOrigin::Citizen,
            group: self.group,
        })
    }
}

/// A field added by a Garant, with who and when.
#[derive(Debug, Object)]
struct AddedFieldView {
    /// The field key.
    key: String,
    /// The field descriptor (the plugin interface's `field` record).
    definition: Value,
    /// Public name of who added it.
    added_by: Option<String>,
    /// When.
    added_at: OffsetDateTime,
    /// Public name of who retired it.
    retired_by: Option<String>,
    /// When it was retired.
    retired_at: Option<OffsetDateTime>,
}

impl From<SchemaField> for AddedFieldView {
    fn from(f: SchemaField) -> Self {
        Self {
            definition: serde_json::from_str::<wit::Field>(&f.definition)
                .map(|d| vigie_plugins::to_api_json(&d))
                .unwrap_or(Value::Null),
            key: f.key,
            added_by: f.added_by,
            added_at: f.added_at,
            retired_by: f.retired_by,
            retired_at: f.retired_at,
        }
    }
}

#[derive(ApiResponse)]
enum FieldAdded {
    /// Added to the schema of the type in this collective.
    #[oai(status = 201)]
    Created(Json<AddedFieldView>),
}

fn type_key(raw: &str) -> Result<ObjectTypeKey, ApiError> {
    ObjectTypeKey::parse(raw).map_err(|_| ServiceError::NotFound("object type").into())
}

pub struct ObjectTypesApi;

#[OpenApi(tag = "ApiTags::ObjectTypes")]
impl ObjectTypesApi {
    /// Object types
    ///
    /// Every type this server hosts, one per loaded plugin.
    #[oai(
        path = "/object-types",
        method = "get",
        operation_id = "list_object_types"
    )]
    async fn list(&self, state: Data<&ApiState>) -> Json<Vec<ObjectTypeSummary>> {
        Json(
            state
                .services
                .plugins()
                .plugins()
                .map(|p| {
                    let m = p.manifest();
                    ObjectTypeSummary {
                        key: p.key().to_owned(),
                        name: (&m.identity.name).into(),
                        plural_name: (&m.identity.plural_name).into(),
                        description: (&m.identity.description).into(),
                        color: m.identity.color.clone(),
                        plugin_version: m.plugin_version.clone(),
                        interface_version: p.interface_version().to_owned(),
                        sha256: p.sha256().to_owned(),
                    }
                })
                .collect(),
        )
    }

    /// An object type's manifest
    ///
    /// Everything its plugin declares: identifier and vintage schemes, fields, indicators,
    /// request kinds and categories, map layers, importers (the `plugin-manifest` record of
    /// the `vigie:object-type` interface, as JSON).
    #[oai(
        path = "/object-types/:key",
        method = "get",
        operation_id = "get_object_type"
    )]
    async fn get(
        &self,
        state: Data<&ApiState>,
        key: Path<String>,
    ) -> Result<Json<Value>, ApiError> {
        let plugin = state.services.plugin(&type_key(&key)?)?;
        Ok(Json(vigie_plugins::to_api_json(plugin.manifest())))
    }

    /// A type's schema in a collective
    ///
    /// The plugin's groups and fields followed by the citizen fields this collective's Garants
    /// added (with who added them and when).
    #[oai(
        path = "/tenants/:slug/object-types/:key/schema",
        method = "get",
        operation_id = "get_schema"
    )]
    async fn schema(
        &self,
        state: Data<&ApiState>,
        slug: Path<String>,
        key: Path<String>,
    ) -> Result<Json<Value>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let schema = state
            .services
            .object_schema(&tenant, &type_key(&key)?)
            .await?;
        let m = schema.plugin.manifest();
        let api = vigie_plugins::to_api_json;
        let mut fields: Vec<Value> = m
            .fields
            .iter()
            .map(|f| json!({"field": api(f), "added": null}))
            .collect();
        fields.extend(schema.added.iter().map(|(rec, f)| {
            let at = vigie_storage::timestamp(rec.added_at);
            json!({"field": api(f), "added": {"by": rec.added_by, "at": at}})
        }));
        Ok(Json(json!({
            "object_type": m.identity.key,
            "plugin_version": m.plugin_version,
            "groups": vigie_plugins::to_api_json(&m.groups),
            "fields": fields,
        })))
    }

    /// Fields added to a type in a collective
    ///
    /// Every field ever added, retired ones included. Public.
    #[oai(
        path = "/tenants/:slug/object-types/:key/fields",
        method = "get",
        operation_id = "list_added_fields"
    )]
    async fn added(
        &self,
        state: Data<&ApiState>,
        slug: Path<String>,
        key: Path<String>,
    ) -> Result<Json<Vec<AddedFieldView>>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let history = state
            .services
            .schema_history(&tenant, &type_key(&key)?)
            .await?;
        Ok(Json(history.into_iter().map(Into::into).collect()))
    }

    /// Add a citizen field (Garant of the type)
    #[oai(
        path = "/tenants/:slug/object-types/:key/fields",
        method = "post",
        operation_id = "add_field"
    )]
    async fn add(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        key: Path<String>,
        body: Json<FieldInput>,
    ) -> Result<FieldAdded, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let key = type_key(&key)?;
        let field = body.0.into_wit()?;
        let added = state
            .services
            .extend_schema(Actor::Principal(&caller.principal()), &tenant, &key, field)
            .await?;
        Ok(FieldAdded::Created(Json(added.into())))
    }

    /// Retire an added field (Garant of the type)
    ///
    /// The field leaves the schema; its definition stays in the public history.
    #[oai(
        path = "/tenants/:slug/object-types/:key/fields/:field",
        method = "delete",
        operation_id = "retire_field"
    )]
    async fn retire(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        key: Path<String>,
        field: Path<String>,
    ) -> Result<Json<AddedFieldView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let key = type_key(&key)?;
        let retired = state
            .services
            .retire_schema_field(Actor::Principal(&caller.principal()), &tenant, &key, &field)
            .await?;
        Ok(Json(retired.into()))
    }
}
