//! Idempotency keys of submissions: what a key already filed in a collective.
//!
//! A phone that lost its network keeps a quick report or a contribution and sends it again
//! until an answer comes back, each time with the same key; the first sending records the key
//! (its hash) in the transaction that files, so a later one finds what was filed and files
//! nothing. See `migrations/*/20261204000020_submissions.sql`.

use sqlx::{Any, Row as _, Transaction};
use vigie_domain::{Bilingual, TenantId};

use crate::{StoreError, now};

/// What a submission filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubmissionKind {
    /// A request: the target is its id.
    Request,
    /// A contribution: the target is its first fact.
    Contribution,
}

impl SubmissionKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Contribution => "contribution",
        }
    }
}

/// The target of an earlier submission of this key (hash) in the collective, if any.
pub(crate) async fn submitted(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    key_hash: &str,
    kind: SubmissionKind,
) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query(
        "SELECT target_id, kind FROM submissions WHERE tenant_id = $1 AND key_hash = $2",
    )
    .bind(tenant.0)
    .bind(key_hash)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let found: String = row.try_get("kind")?;
    if found != kind.as_str() {
        // A key is one submission: reused for something else, it is a client's mistake.
        return Err(StoreError::Conflict(
            Bilingual::new(format!(
                "this submission key already filed a {found}: send each submission with a new key"
            ))
            .fr("Cette clé d'envoi a déjà servi pour autre chose : chaque envoi a sa propre clé."),
        ));
    }
    Ok(Some(row.try_get("target_id")?))
}

/// Records that this key (hash) filed `target`, in the transaction that filed it. Two
/// sendings racing on PostgreSQL: the second stops on the key and gets a conflict, and its
/// retry finds the first's (see the callers).
pub(crate) async fn record(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    key_hash: &str,
    kind: SubmissionKind,
    target: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO submissions (tenant_id, key_hash, kind, target_id, at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(tenant.0)
    .bind(key_hash)
    .bind(kind.as_str())
    .bind(target)
    .bind(now())
    .execute(&mut **tx)
    .await
    .map_err(|e| {
        crate::error::conflict_on_unique(e, || {
            Bilingual::new("this submission is being filed already: send it again")
                .fr("Cet envoi est déjà en cours d'enregistrement : renvoyez-le.")
        })
    })?;
    Ok(())
}
