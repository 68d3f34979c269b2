//! API keys of a collective, issued by its Garants to reporting apps that file requests
//! through Open311 (`POST /open311/v2/requests`). Only a key's SHA-256 is stored: the key
//! itself is shown once, when it is issued. A revoked key stays, for the record.

use sqlx::Row as _;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use vigie_domain::{TenantId, UserId};

use crate::{Store, StoreError, now, parse_timestamp};

/// An API key as stored (never the key itself).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    /// Id.
    pub id: i64,
    /// The collective it files into.
    pub tenant_id: TenantId,
    /// What it is for, as its issuer named it (e.g. « Appli DansMaRue »).
    pub label: String,
    /// The account that issued it.
    pub created_by: Option<UserId>,
    /// That account's public name.
    pub created_by_name: Option<String>,
    /// When it was issued.
    pub created_at: OffsetDateTime,
    /// When it last filed a request.
    pub last_used_at: Option<OffsetDateTime>,
    /// When it was revoked; a revoked key is refused.
    pub revoked_at: Option<OffsetDateTime>,
}

const API_KEY_SELECT: &str = "SELECT k.id, k.tenant_id, k.label, k.created_by, \
     u.display_name AS created_by_name, k.created_at, k.last_used_at, k.revoked_at \
     FROM api_keys k LEFT JOIN users u ON u.id = k.created_by";

fn optional_time(r: &AnyRow, column: &str) -> Result<Option<OffsetDateTime>, StoreError> {
    let raw: Option<String> = r.try_get(column)?;
    raw.as_deref().map(parse_timestamp).transpose()
}

fn api_key_from_row(r: &AnyRow) -> Result<ApiKey, StoreError> {
    let created_at: String = r.try_get("created_at")?;
    let created_by: Option<i64> = r.try_get("created_by")?;
    Ok(ApiKey {
        id: r.try_get("id")?,
        tenant_id: TenantId(r.try_get("tenant_id")?),
        label: r.try_get("label")?,
        created_by: created_by.map(UserId),
        created_by_name: r.try_get("created_by_name")?,
        created_at: parse_timestamp(&created_at)?,
        last_used_at: optional_time(r, "last_used_at")?,
        revoked_at: optional_time(r, "revoked_at")?,
    })
}

impl Store {
    /// Records a new key of the collective by the SHA-256 of its secret.
    pub async fn insert_api_key(
        &self,
        tenant: TenantId,
        label: &str,
        key_hash: &str,
        by: Option<UserId>,
    ) -> Result<ApiKey, StoreError> {
        let id: i64 = sqlx::query(
            "INSERT INTO api_keys (tenant_id, label, key_hash, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(tenant.0)
        .bind(label)
        .bind(key_hash)
        .bind(by.map(|u| u.0))
        .bind(now())
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        self.api_key(tenant, id)
            .await?
            .ok_or(StoreError::NotFound("api key"))
    }

    /// A key of the collective, revoked ones included.
    pub async fn api_key(&self, tenant: TenantId, id: i64) -> Result<Option<ApiKey>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{API_KEY_SELECT} WHERE k.tenant_id = $1 AND k.id = $2"
        )))
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(api_key_from_row)
        .transpose()
    }

    /// The keys of the collective, newest first, revoked ones included.
    pub async fn api_keys(&self, tenant: TenantId) -> Result<Vec<ApiKey>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{API_KEY_SELECT} WHERE k.tenant_id = $1 ORDER BY k.id DESC"
        )))
        .bind(tenant.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(api_key_from_row).collect()
    }

    /// The key whose secret has this SHA-256, whichever collective it belongs to.
    pub async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKey>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{API_KEY_SELECT} WHERE k.key_hash = $1"
        )))
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(api_key_from_row)
        .transpose()
    }

    /// Revokes a key of the collective; `None` if there is no such key or it was revoked.
    pub async fn revoke_api_key(
        &self,
        tenant: TenantId,
        id: i64,
    ) -> Result<Option<ApiKey>, StoreError> {
        let done = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 \
             WHERE tenant_id = $2 AND id = $3 AND revoked_at IS NULL",
        )
        .bind(now())
        .bind(tenant.0)
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        self.api_key(tenant, id).await
    }

    /// Notes that a key was just used.
    pub async fn touch_api_key(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(now())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
