//! The requests an Open311 GeoReport v2 client asks for (`GET /open311/v2/requests`): by ids,
//! or by service (type of place and kind), date filed and open or closed, newest first.

use vigie_domain::TenantId;
use vigie_domain::requests::RequestStatus;

use crate::requests::{REQUEST_SELECT, request_from_row};
use crate::{RequestRecord, Store, StoreError};

/// What an Open311 client filters requests on.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// These requests only (Open311 says the ids override every other filter).
    pub ids: Vec<i64>,
    /// Of these services only, each a type of place and a request kind; empty: all.
    pub services: Vec<(String, String)>,
    /// Filed at or after (stored timestamp text).
    pub filed_from: Option<String>,
    /// Filed at or before (stored timestamp text).
    pub filed_until: Option<String>,
    /// Open (`true`) or closed (`false`) only; `None`: both.
    pub open: Option<bool>,
}

/// The statuses Open311 calls `open` (a merged request is closed whatever its status).
pub const OPEN311_OPEN: [RequestStatus; 6] = [
    RequestStatus::New,
    RequestStatus::Published,
    RequestStatus::Acknowledged,
    RequestStatus::Planned,
    RequestStatus::InProgress,
    RequestStatus::NotSolved,
];

impl Store {
    /// Up to `limit` requests of the collective matching `filter`, newest first.
    pub async fn open311_requests(
        &self,
        tenant: TenantId,
        filter: &RequestFilter,
        limit: i64,
    ) -> Result<Vec<RequestRecord>, StoreError> {
        let mut sql = format!("{REQUEST_SELECT} WHERE r.tenant_id = $1");
        let mut binds: Vec<String> = Vec::new();
        let next = |binds: &mut Vec<String>, v: String| {
            binds.push(v);
            format!("${}", binds.len() + 1)
        };
        if !filter.ids.is_empty() {
            // Integers, written as such: nothing a client typed reaches the query text.
            let list: Vec<String> = filter.ids.iter().map(i64::to_string).collect();
            sql.push_str(&format!(" AND r.id IN ({})", list.join(", ")));
        } else {
            if !filter.services.is_empty() {
                let alternatives: Vec<String> = filter
                    .services
                    .iter()
                    .map(|(ty, kind)| {
                        let t = next(&mut binds, ty.clone());
                        let k = next(&mut binds, kind.clone());
                        format!("(o.type_key = {t} AND r.kind = {k})")
                    })
                    .collect();
                sql.push_str(&format!(" AND ({})", alternatives.join(" OR ")));
            }
            if let Some(from) = &filter.filed_from {
                let p = next(&mut binds, from.clone());
                sql.push_str(&format!(" AND r.filed_at >= {p}"));
            }
            if let Some(until) = &filter.filed_until {
                let p = next(&mut binds, until.clone());
                sql.push_str(&format!(" AND r.filed_at <= {p}"));
            }
            if let Some(open) = filter.open {
                let list: Vec<String> = OPEN311_OPEN
                    .iter()
                    .map(|s| next(&mut binds, s.as_str().to_owned()))
                    .collect();
                let is_open = format!(
                    "(r.status IN ({}) AND r.merged_into IS NULL)",
                    list.join(", ")
                );
                sql.push_str(&if open {
                    format!(" AND {is_open}")
                } else {
                    format!(" AND NOT {is_open}")
                });
            }
        }
        sql.push_str(&format!(" ORDER BY r.id DESC LIMIT {}", limit.max(0)));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant.0);
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(request_from_row).collect()
    }
}
