//! Every collective's journal, verified on one side, a page at a time.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use vigie_domain::requests::{ChainVerifier, GENESIS_HASH, JournalEntry};

use super::CopyError;
use crate::Store;

/// Journal entries read at a time when verifying.
const JOURNAL_PAGE: i64 = 1000;

/// A collective's journal as verified on one side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalCheck {
    /// Entries verified.
    pub entries: i64,
    /// The head's position.
    pub head_seq: i64,
    /// The head's hash (genesis for an empty journal).
    pub head_hash: String,
    /// Why it does not verify, if it does not.
    pub broken: Option<String>,
}

/// Every collective's journal in `store`, verified: `(slug, check)`, by collective id.
pub async fn check_journals(store: &Store) -> Result<Vec<(String, JournalCheck)>, CopyError> {
    let mut conn = store.pool.acquire().await?;
    let mut checks = Vec::new();
    for (id, slug) in tenant_ids(&mut conn).await? {
        checks.push((slug, check_journal(&mut conn, id).await?));
    }
    Ok(checks)
}

pub(super) async fn tenant_ids(conn: &mut AnyConnection) -> Result<Vec<(i64, String)>, CopyError> {
    let rows = sqlx::query("SELECT id, slug FROM tenants ORDER BY id")
        .fetch_all(conn)
        .await?;
    Ok(rows
        .iter()
        .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, _>>()?)
}

/// Verifies a collective's journal on `conn`, a page at a time, up to its head.
pub(super) async fn check_journal(
    conn: &mut AnyConnection,
    tenant_id: i64,
) -> Result<JournalCheck, CopyError> {
    let head: Option<(i64, String)> =
        sqlx::query("SELECT seq, hash FROM journal_heads WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
            .transpose()?;
    let (head_seq, head_hash) = head.unwrap_or((0, GENESIS_HASH.to_owned()));
    let mut verifier = ChainVerifier::default();
    let mut entries = 0;
    let mut broken = None;
    'pages: loop {
        let page = sqlx::query(
            "SELECT seq, request_id, action, details, at, prev_hash, hash FROM request_journal \
             WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4",
        )
        .bind(tenant_id)
        .bind(verifier.seq())
        .bind(head_seq)
        .bind(JOURNAL_PAGE)
        .fetch_all(&mut *conn)
        .await?;
        if page.is_empty() {
            break;
        }
        for row in &page {
            if let Err(b) = verifier.push(&journal_entry(row)?) {
                broken = Some(b.to_string());
                break 'pages;
            }
            entries += 1;
        }
    }
    let broken = broken.or_else(|| {
        verifier
            .finish(head_seq, &head_hash)
            .err()
            .map(|b| b.to_string())
    });
    Ok(JournalCheck {
        entries,
        head_seq,
        head_hash,
        broken,
    })
}

fn journal_entry(r: &AnyRow) -> Result<JournalEntry, sqlx::Error> {
    Ok(JournalEntry {
        seq: r.try_get("seq")?,
        request_id: r.try_get("request_id")?,
        action: r.try_get("action")?,
        details: r.try_get("details")?,
        at: r.try_get("at")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}
