//! Citizen fields added by Garants to an object type's schema, per collective.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use vigie_domain::Bilingual;
use vigie_domain::{ObjectTypeKey, TenantId, UserId};

use crate::error::conflict_on_unique;
use crate::{Change, Store, StoreError, now, parse_timestamp};

/// One added field, active or retired.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaField {
    /// Sequence number.
    pub id: i64,
    /// The object type.
    pub object_type: String,
    /// The field key.
    pub key: String,
    /// The field descriptor as JSON (the plugin interface's `field` record).
    pub definition: String,
    /// Public name of who added it (`None`: the platform operator).
    pub added_by: Option<String>,
    /// When.
    pub added_at: OffsetDateTime,
    /// Public name of who retired it.
    pub retired_by: Option<String>,
    /// When it was retired, if it was.
    pub retired_at: Option<OffsetDateTime>,
}

fn from_row(r: &AnyRow) -> Result<SchemaField, StoreError> {
    let added: String = r.try_get("added_at")?;
    let retired: Option<String> = r.try_get("retired_at")?;
    Ok(SchemaField {
        id: r.try_get("id")?,
        object_type: r.try_get("type_key")?,
        key: r.try_get("field_key")?,
        definition: r.try_get("definition")?,
        added_by: r.try_get("added_by_name")?,
        added_at: parse_timestamp(&added)?,
        retired_by: r.try_get("retired_by_name")?,
        retired_at: retired.as_deref().map(parse_timestamp).transpose()?,
    })
}

const SELECT: &str = "SELECT f.id, f.type_key, f.field_key, f.definition, a.display_name AS added_by_name, \
     f.added_at, r.display_name AS retired_by_name, f.retired_at FROM schema_fields f \
     LEFT JOIN users a ON a.id = f.added_by LEFT JOIN users r ON r.id = f.retired_by";

impl Store {
    /// Adds a field; an active field with the same key is a [`StoreError::Conflict`].
    pub async fn add_schema_field(
        &self,
        tenant: TenantId,
        object_type: &ObjectTypeKey,
        key: &str,
        definition: &str,
        actor: Option<UserId>,
    ) -> Result<SchemaField, StoreError> {
        let id: i64 = sqlx::query(
            "INSERT INTO schema_fields (tenant_id, type_key, field_key, definition, added_by, added_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(tenant.0)
        .bind(object_type.as_str())
        .bind(key)
        .bind(definition)
        .bind(actor.map(|a| a.0))
        .bind(now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| {
            conflict_on_unique(e, || {
                Bilingual::new(format!(
                    "the field '{key}' already exists for {object_type} in this collective"
                ))
                .fr(format!(
                    "Le champ « {key} » existe déjà pour ce type de lieu dans ce collectif."
                ))
            })
        })?
        .try_get(0)?;
        self.changed(Change::Tenant(tenant)).await;
        self.schema_field(id).await
    }

    async fn schema_field(&self, id: i64) -> Result<SchemaField, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE f.id = $1")))
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        from_row(&row)
    }

    /// Retires an active field (it stays in the history).
    pub async fn retire_schema_field(
        &self,
        tenant: TenantId,
        object_type: &ObjectTypeKey,
        key: &str,
        actor: Option<UserId>,
    ) -> Result<SchemaField, StoreError> {
        let row = sqlx::query(
            "UPDATE schema_fields SET retired_at = $1, retired_by = $2 WHERE tenant_id = $3 \
             AND type_key = $4 AND field_key = $5 AND retired_at IS NULL RETURNING id",
        )
        .bind(now())
        .bind(actor.map(|a| a.0))
        .bind(tenant.0)
        .bind(object_type.as_str())
        .bind(key)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound("added field"))?;
        self.changed(Change::Tenant(tenant)).await;
        self.schema_field(row.try_get(0)?).await
    }

    /// The fields added to a type in a collective, oldest first; retired ones too if asked.
    pub async fn schema_fields(
        &self,
        tenant: TenantId,
        object_type: &ObjectTypeKey,
        include_retired: bool,
    ) -> Result<Vec<SchemaField>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE f.tenant_id = $1 AND f.type_key = $2 AND ($3 = 1 OR f.retired_at IS NULL) \
             ORDER BY f.id"
        )))
        .bind(tenant.0)
        .bind(object_type.as_str())
        .bind(i64::from(include_retired))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }
}
