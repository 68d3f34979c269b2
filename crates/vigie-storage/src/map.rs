//! What a collective's map shows of each place, read in bulk: the accepted values of its
//! facts (streamed, so that 65 000 places never sit in memory as raw rows) and its requests
//! counted by status.

use futures::TryStreamExt;
use sqlx::Row;
use vigie_domain::TenantId;

use crate::bulk::{MAX_PARAMS, Placeholders};
use crate::{Store, StoreError};

/// An accepted value of a fact, as the map reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct MapFact {
    /// The object.
    pub object_id: i64,
    /// Its vintage.
    pub vintage: String,
    /// The field.
    pub field_key: String,
    /// The value, the plugin interface's `value` variant as JSON.
    pub value: String,
}

/// How many requests of an object have one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCount {
    /// The object.
    pub object_id: i64,
    /// Stored status name.
    pub status: String,
    /// How many (merged requests left out).
    pub count: i64,
}

/// The accepted facts of the collective bound at `tenant` (a placeholder).
fn accepted_facts(tenant: String) -> String {
    format!(
        "SELECT f.object_id, f.vintage, f.field_key, f.value FROM facts f \
         LEFT JOIN fact_decisions d ON d.fact_id = f.id \
         WHERE f.tenant_id = {tenant} AND COALESCE(d.decision, f.filed_state) = 'accepted'"
    )
}

fn map_fact(r: &sqlx::any::AnyRow) -> Result<MapFact, StoreError> {
    Ok(MapFact {
        object_id: r.try_get(0)?,
        vintage: r.try_get(1)?,
        field_key: r.try_get(2)?,
        value: r.try_get(3)?,
    })
}

impl Store {
    /// Calls `each` with every accepted fact of the collective's objects (`objects`, or all
    /// when `None`), in the order they were filed (a later accepted value of a field and
    /// vintage replaces an earlier one). Rows are streamed, not collected.
    pub async fn for_each_accepted_fact(
        &self,
        tenant: TenantId,
        objects: Option<&[i64]>,
        mut each: impl FnMut(MapFact),
    ) -> Result<(), StoreError> {
        match objects {
            None => {
                let sql = format!("{} ORDER BY f.id", accepted_facts("$1".into()));
                let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(tenant.0)
                    .fetch(&self.pool);
                while let Some(r) = rows.try_next().await? {
                    each(map_fact(&r)?);
                }
            }
            Some(ids) => {
                for batch in ids.chunks(MAX_PARAMS - 1) {
                    let mut p = Placeholders::new(self.backend());
                    let sql = format!(
                        "{} AND f.object_id IN ({}) ORDER BY f.id",
                        accepted_facts(p.next()),
                        p.rows(batch.len(), 1)
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant.0);
                    for id in batch {
                        q = q.bind(*id);
                    }
                    for r in q.fetch_all(&self.pool).await? {
                        each(map_fact(&r)?);
                    }
                }
            }
        }
        Ok(())
    }

    /// The requests of the collective's objects (`objects`, or all when `None`) counted by
    /// object and status; requests merged into another are left out.
    pub async fn request_status_counts(
        &self,
        tenant: TenantId,
        objects: Option<&[i64]>,
    ) -> Result<Vec<StatusCount>, StoreError> {
        let base = "SELECT object_id, status, COUNT(*) FROM requests \
                    WHERE tenant_id = $1 AND merged_into IS NULL";
        let read = |r: &sqlx::any::AnyRow| -> Result<StatusCount, StoreError> {
            Ok(StatusCount {
                object_id: r.try_get(0)?,
                status: r.try_get(1)?,
                count: r.try_get(2)?,
            })
        };
        let mut out = Vec::new();
        match objects {
            None => {
                let sql = format!("{base} GROUP BY object_id, status");
                for r in sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(tenant.0)
                    .fetch_all(&self.pool)
                    .await?
                {
                    out.push(read(&r)?);
                }
            }
            Some(ids) => {
                for batch in ids.chunks(MAX_PARAMS - 1) {
                    let mut p = Placeholders::new(self.backend());
                    let sql = format!(
                        "SELECT object_id, status, COUNT(*) FROM requests \
                         WHERE tenant_id = {} AND merged_into IS NULL AND object_id IN ({}) \
                         GROUP BY object_id, status",
                        p.next(),
                        p.rows(batch.len(), 1)
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant.0);
                    for id in batch {
                        q = q.bind(*id);
                    }
                    for r in q.fetch_all(&self.pool).await? {
                        out.push(read(&r)?);
                    }
                }
            }
        }
        Ok(out)
    }
}
