//! The index behind the similar-requests search: each request's stems, kept beside it.
//!
//! A request's stems are [`stems`] of [`request_text`] (its requester's title, and the title
//! and description shown). They are written in the transaction that files the request and
//! rewritten in the one that re-expresses it; each row carries the request's `state` (offered
//! to everybody, to its moderators only, or never), updated in the transaction that changes
//! the request's status or merges it. Only a request sharing a stem with a text can resemble
//! it, so the search reads the rows of the text's stems on the nearby objects, and nothing
//! else ([`Store::stem_matches`]).

use sqlx::{Any, Row, Transaction};
use vigie_domain::TenantId;
use vigie_domain::requests::{RequestStatus, STEMS_VERSION, request_text, stems};

use crate::{Store, StoreError};

/// A request sharing stems with a text, on one of the objects looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StemMatch {
    /// The request.
    pub request_id: i64,
    /// Its object.
    pub object_id: i64,
    /// How many of the text's stems it has.
    pub common: usize,
    /// How many stems it has.
    pub stem_count: usize,
}

/// Offered to everybody: open, published, not merged.
const OFFERED: i64 = 0;
/// Offered to its moderators only: awaiting moderation.
const PENDING: i64 = 1;
/// Never offered: closed, refused, set apart or merged.
const NEVER: i64 = 2;

fn stem_state(status: RequestStatus, merged_into: Option<i64>) -> i64 {
    if merged_into.is_some() || !status.is_open() {
        NEVER
    } else if status == RequestStatus::New {
        PENDING
    } else {
        OFFERED
    }
}

/// Stem rows written per statement (5 values each, far below every backend's limit).
const ROWS_PER_INSERT: usize = 200;

/// Objects (or stems) bound per candidate query.
const BOUND_PER_QUERY: usize = 500;

fn corrupt_status(status: &str) -> StoreError {
    StoreError::Corrupt(format!("request value {status}"))
}

/// Computes and writes (again) the stems of a request from its row, inside `tx`. The row is
/// marked first, which takes its lock, so that a concurrent change of its text waits.
pub(crate) async fn index_request(
    tx: &mut Transaction<'static, Any>,
    request_id: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE requests SET stems_version = $1 WHERE id = $2")
        .bind(STEMS_VERSION)
        .bind(request_id)
        .execute(&mut **tx)
        .await?;
    let row = sqlx::query(
        "SELECT tenant_id, object_id, title, description, public_title, public_description, \
         status, merged_into FROM requests WHERE id = $1",
    )
    .bind(request_id)
    .fetch_one(&mut **tx)
    .await?;
    let tenant: i64 = row.try_get("tenant_id")?;
    let object: i64 = row.try_get("object_id")?;
    let title: String = row.try_get("title")?;
    let description: String = row.try_get("description")?;
    let public_title: Option<String> = row.try_get("public_title")?;
    let public_description: Option<String> = row.try_get("public_description")?;
    let status: String = row.try_get("status")?;
    let merged_into: Option<i64> = row.try_get("merged_into")?;
    let status = RequestStatus::parse(&status).ok_or_else(|| corrupt_status(&status))?;
    let stems = stems(&request_text(
        &title,
        public_title.as_deref().unwrap_or(&title),
        public_description.as_deref().unwrap_or(&description),
    ));
    sqlx::query("DELETE FROM request_stems WHERE request_id = $1")
        .bind(request_id)
        .execute(&mut **tx)
        .await?;
    insert_stems(
        tx,
        request_id,
        TenantId(tenant),
        object,
        stem_state(status, merged_into),
        &stems,
    )
    .await?;
    sqlx::query("UPDATE requests SET stem_count = $1 WHERE id = $2")
        .bind(i64::try_from(stems.len()).unwrap_or(i64::MAX))
        .bind(request_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The state of the stems of a request just filed (awaiting moderation).
pub(crate) fn state_of_new() -> i64 {
    stem_state(RequestStatus::New, None)
}

/// Writes the rows of a request's `stems` (none there yet), inside `tx`; its `stem_count` is
/// the caller's.
pub(crate) async fn insert_stems(
    tx: &mut Transaction<'static, Any>,
    request_id: i64,
    tenant: TenantId,
    object: i64,
    state: i64,
    stems: &[String],
) -> Result<(), StoreError> {
    for chunk in stems.chunks(ROWS_PER_INSERT) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = i * 5;
                format!(
                    "(${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO request_stems (request_id, tenant_id, object_id, stem, state) VALUES {} \
             ON CONFLICT (request_id, stem) DO NOTHING",
            values.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for stem in chunk {
            q = q
                .bind(request_id)
                .bind(tenant.0)
                .bind(object)
                .bind(stem.as_str())
                .bind(state);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Brings the state of a request's stems in line with its status, inside `tx` (after a change
/// of status or a merge).
pub(crate) async fn restate_request(
    tx: &mut Transaction<'static, Any>,
    request_id: i64,
) -> Result<(), StoreError> {
    let row = sqlx::query("SELECT status, merged_into FROM requests WHERE id = $1")
        .bind(request_id)
        .fetch_one(&mut **tx)
        .await?;
    let status: String = row.try_get("status")?;
    let merged_into: Option<i64> = row.try_get("merged_into")?;
    let status = RequestStatus::parse(&status).ok_or_else(|| corrupt_status(&status))?;
    sqlx::query("UPDATE request_stems SET state = $1 WHERE request_id = $2")
        .bind(stem_state(status, merged_into))
        .bind(request_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Index rows read per stem of a text to find the requests sharing it: a stem with more rows
/// than this on the objects looked at is too common to tell requests apart, and finds no
/// request by itself (the requests found by the others still count it).
pub const STEM_PROBE: usize = 256;

/// Stems probed per query (one `UNION ALL` term each).
const PROBES_PER_QUERY: usize = 64;

/// `$from, …` for `n` placeholders.
fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// The requests on `objects` that have at least one of `stems` and are open and not
    /// merged (awaiting moderation too with `include_pending`), with how many of those stems
    /// each has and how many it has in all.
    ///
    /// The cost is bounded whatever the number of requests: each stem's index rows on those
    /// objects are read up to [`STEM_PROBE`]; a stem reaching it finds no request by itself
    /// (it is too common to tell requests apart), the others find every request they are in,
    /// and the stems of those are then counted by request.
    pub async fn stem_matches(
        &self,
        tenant: TenantId,
        objects: &[i64],
        stems: &[String],
        include_pending: bool,
    ) -> Result<Vec<StemMatch>, StoreError> {
        let mut out = Vec::new();
        if stems.is_empty() || objects.is_empty() {
            return Ok(out);
        }
        let most = if include_pending { PENDING } else { OFFERED };
        // The requests found by the stems that are not too common, per stem.
        let mut found: std::collections::HashMap<&str, Vec<i64>> = Default::default();
        for objects in objects.chunks(BOUND_PER_QUERY) {
            for stems in stems.chunks(PROBES_PER_QUERY) {
                // $1 tenant, $2 state, $3 the probe's bound, then the objects, then the stems.
                let list = placeholders(4, objects.len());
                let probes: Vec<String> = (0..stems.len())
                    .map(|i| {
                        let stem = 4 + objects.len() + i;
                        format!(
                            "SELECT * FROM (SELECT stem, request_id FROM request_stems \
                             WHERE object_id IN ({list}) AND stem = ${stem} AND state <= $2 \
                             AND tenant_id = $1 LIMIT $3) p{i}"
                        )
                    })
                    .collect();
                let mut q = sqlx::query(sqlx::AssertSqlSafe(probes.join(" UNION ALL ")))
                    .bind(tenant.0)
                    .bind(most)
                    .bind(i64::try_from(STEM_PROBE).unwrap_or(i64::MAX));
                for o in objects {
                    q = q.bind(*o);
                }
                for s in stems {
                    q = q.bind(s.as_str());
                }
                let mut rows: std::collections::HashMap<String, Vec<i64>> = Default::default();
                for row in q.fetch_all(&self.pool).await? {
                    rows.entry(row.try_get::<String, _>("stem")?)
                        .or_default()
                        .push(row.try_get("request_id")?);
                }
                for s in stems {
                    let ids = rows.remove(s).unwrap_or_default();
                    let all = found.entry(s.as_str()).or_default();
                    all.extend(ids);
                }
            }
        }
        let mut candidates: Vec<i64> = found
            .into_values()
            .filter(|ids| ids.len() < STEM_PROBE)
            .flatten()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        // Every one of the text's stems each candidate has, by its own rows.
        for ids in candidates.chunks(BOUND_PER_QUERY) {
            for stems in stems.chunks(BOUND_PER_QUERY) {
                // $1 tenant, $2 state, then the requests, then the stems.
                let sql = format!(
                    "SELECT m.request_id, m.common, r.object_id, r.stem_count FROM \
                     (SELECT request_id, COUNT(*) AS common FROM request_stems \
                      WHERE request_id IN ({}) AND stem IN ({}) AND state <= $2 AND tenant_id = $1 \
                      GROUP BY request_id) m \
                     JOIN requests r ON r.id = m.request_id",
                    placeholders(3, ids.len()),
                    placeholders(3 + ids.len(), stems.len()),
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(tenant.0)
                    .bind(most);
                for id in ids {
                    q = q.bind(*id);
                }
                for s in stems {
                    q = q.bind(s.as_str());
                }
                for row in q.fetch_all(&self.pool).await? {
                    let count = |v: i64| usize::try_from(v).unwrap_or(0);
                    out.push(StemMatch {
                        request_id: row.try_get("request_id")?,
                        object_id: row.try_get("object_id")?,
                        common: count(row.try_get("common")?),
                        stem_count: count(row.try_get("stem_count")?),
                    });
                }
            }
        }
        if stems.len() > BOUND_PER_QUERY {
            // A request's stems counted over several queries: add them up.
            out.sort_by_key(|m| m.request_id);
            out.dedup_by(|later, first| {
                let same = later.request_id == first.request_id;
                if same {
                    first.common += later.common;
                }
                same
            });
        }
        Ok(out)
    }

    /// Computes the stems of the requests that have none yet, or stems of an older version of
    /// the stemming, `batch` requests per transaction; the number of requests indexed. Run at
    /// start-up; running it again finds nothing to do.
    pub async fn index_request_stems(&self, batch: i64) -> Result<usize, StoreError> {
        let mut done = 0;
        loop {
            let ids: Vec<i64> = sqlx::query(
                "SELECT id FROM requests WHERE stems_version < $1 ORDER BY id LIMIT $2",
            )
            .bind(STEMS_VERSION)
            .bind(batch.max(1))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
            if ids.is_empty() {
                return Ok(done);
            }
            let (_turn, mut tx) = self.begin_write().await?;
            for id in &ids {
                index_request(&mut tx, *id).await?;
            }
            tx.commit().await?;
            done += ids.len();
        }
    }
}
