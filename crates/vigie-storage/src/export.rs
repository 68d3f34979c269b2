//! Open-data exports read a collective in pages, by id (keyset): each page is one short
//! indexed query, so an export of 65 000 places or 100 000 facts streams in flat memory and
//! never holds a long transaction.

use sqlx::Row as _;
use vigie_domain::TenantId;

use crate::facts::{FACT_SELECT, fact_from_row};
use crate::objects::{OBJECT_COLUMNS, object_from_row};
use crate::requests::{REQUEST_SELECT, request_from_row};
use crate::{FactRecord, ObservedObject, RequestRecord, Store, StoreError};

impl Store {
    /// Up to `limit` objects of the collective (of one type, or all) after id `after`, by id.
    pub async fn objects_page(
        &self,
        tenant: TenantId,
        object_type: Option<&str>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ObservedObject>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {OBJECT_COLUMNS} FROM objects WHERE tenant_id = $1 \
             AND ($2 = '' OR type_key = $2) AND id > $3 ORDER BY id LIMIT $4"
        )))
        .bind(tenant.0)
        .bind(object_type.unwrap_or_default())
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(object_from_row).collect()
    }

    /// Up to `limit` facts of the collective (of one type of place, or all) after id `after`,
    /// by id, with their place's official identifier.
    pub async fn facts_page(
        &self,
        tenant: TenantId,
        object_type: Option<&str>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(FactRecord, String)>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{} WHERE f.tenant_id = $1 AND ($2 = '' OR o.type_key = $2) AND f.id > $3 \
             ORDER BY f.id LIMIT $4",
            FACT_SELECT.replacen("SELECT ", "SELECT o.identifier AS object_identifier, ", 1)
        )))
        .bind(tenant.0)
        .bind(object_type.unwrap_or_default())
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((fact_from_row(r)?, r.try_get("object_identifier")?)))
            .collect()
    }

    /// Up to `limit` requests of the collective (on one type of place, or all) after id
    /// `after`, by id.
    pub async fn requests_page(
        &self,
        tenant: TenantId,
        object_type: Option<&str>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<RequestRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{REQUEST_SELECT} WHERE r.tenant_id = $1 AND ($2 = '' OR o.type_key = $2) \
             AND r.id > $3 ORDER BY r.id LIMIT $4"
        )))
        .bind(tenant.0)
        .bind(object_type.unwrap_or_default())
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(request_from_row).collect()
    }

    /// When anything in the collective last changed (a fact filed, a request moved, a place
    /// created), as stored (RFC 3339, UTC); `None` for an empty collective.
    pub async fn last_change(&self, tenant: TenantId) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT MAX(m) AS last FROM ( \
             SELECT MAX(at) AS m FROM facts WHERE tenant_id = $1 \
             UNION ALL SELECT MAX(updated_at) FROM requests WHERE tenant_id = $1 \
             UNION ALL SELECT MAX(created_at) FROM objects WHERE tenant_id = $1) AS changes",
        )
        .bind(tenant.0)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("last")?)
    }
}
