//! The holding queue of replies by e-mail: mail that could not be taken as an answer (no reply
//! address, an unknown or expired token, another sender) waits here until a Garant routes it
//! to a request or drops it. The sender's address is private.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use vigie_domain::{TenantId, UserId};

use crate::{Store, StoreError, now, parse_timestamp};

/// A reply to hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHeldMail {
    /// The collective the token named, if it named a request.
    pub tenant: Option<TenantId>,
    /// The request the token named.
    pub request_id: Option<i64>,
    /// The sender's address (private).
    pub sender: Option<String>,
    /// Subject.
    pub subject: String,
    /// The text, quoted history and signature stripped.
    pub body: String,
    /// How many files were attached (the files are not kept).
    pub attachments: i64,
    /// Why it is held (`no_token`, `unknown_token`, `expired_token`, `other_sender`, …).
    pub reason: String,
}

/// Where a held reply stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldState {
    /// Waiting for a decision.
    Held,
    /// Attached to a request as an answer.
    Routed,
    /// Dropped.
    Dropped,
}

impl HeldState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            HeldState::Held => "held",
            HeldState::Routed => "routed",
            HeldState::Dropped => "dropped",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "held" => Some(HeldState::Held),
            "routed" => Some(HeldState::Routed),
            "dropped" => Some(HeldState::Dropped),
            _ => None,
        }
    }
}

/// A held reply, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldMail {
    /// Id.
    pub id: i64,
    /// When it came.
    pub received_at: OffsetDateTime,
    /// The collective the token named.
    pub tenant: Option<TenantId>,
    /// The request the token named.
    pub request_id: Option<i64>,
    /// The sender's address (private: never public, never exported).
    pub sender: Option<String>,
    /// Subject.
    pub subject: String,
    /// Text.
    pub body: String,
    /// Files that were attached (not kept).
    pub attachments: i64,
    /// Why it is held.
    pub reason: String,
    /// Where it stands.
    pub state: HeldState,
    /// The request it was routed to.
    pub routed_to: Option<i64>,
    /// Who routed or dropped it.
    pub decided_by: Option<UserId>,
    /// When.
    pub decided_at: Option<OffsetDateTime>,
}

const HELD_COLUMNS: &str = "id, received_at, tenant_id, request_id, sender, subject, body, \
     attachments, reason, state, routed_to, decided_by, decided_at";

fn held_from_row(r: &AnyRow) -> Result<HeldMail, StoreError> {
    let received: String = r.try_get("received_at")?;
    let state: String = r.try_get("state")?;
    let decided: Option<String> = r.try_get("decided_at")?;
    Ok(HeldMail {
        id: r.try_get("id")?,
        received_at: parse_timestamp(&received)?,
        tenant: r.try_get::<Option<i64>, _>("tenant_id")?.map(TenantId),
        request_id: r.try_get("request_id")?,
        sender: r.try_get("sender")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        attachments: r.try_get("attachments")?,
        reason: r.try_get("reason")?,
        state: HeldState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("inbound mail state {state}")))?,
        routed_to: r.try_get("routed_to")?,
        decided_by: r.try_get::<Option<i64>, _>("decided_by")?.map(UserId),
        decided_at: decided.as_deref().map(parse_timestamp).transpose()?,
    })
}

impl Store {
    /// Puts a reply in the holding queue; returns its id.
    pub async fn hold_mail(&self, mail: &NewHeldMail) -> Result<i64, StoreError> {
        let (turn, mut tx) = self.begin_write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO inbound_mail (received_at, tenant_id, request_id, sender, subject, body, \
             attachments, reason, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'held') \
             RETURNING id",
        )
        .bind(now())
        .bind(mail.tenant.map(|t| t.0))
        .bind(mail.request_id)
        .bind(mail.sender.as_deref())
        .bind(&mail.subject)
        .bind(&mail.body)
        .bind(mail.attachments)
        .bind(&mail.reason)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        drop(turn);
        Ok(id)
    }

    /// One held reply.
    pub async fn held_mail(&self, id: i64) -> Result<Option<HeldMail>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {HELD_COLUMNS} FROM inbound_mail WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(held_from_row)
        .transpose()
    }

    /// Replies in the queue in `state`, newest first: of one collective, or of all
    /// (`None`, including those matching no collective).
    pub async fn held_mails(
        &self,
        tenant: Option<TenantId>,
        state: HeldState,
        limit: i64,
    ) -> Result<Vec<HeldMail>, StoreError> {
        let rows =
            match tenant {
                Some(t) => sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {HELD_COLUMNS} FROM inbound_mail WHERE state = $1 AND tenant_id = $2 \
                     ORDER BY id DESC LIMIT $3"
                )))
                .bind(state.as_str())
                .bind(t.0)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?,
                None => {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT {HELD_COLUMNS} FROM inbound_mail WHERE state = $1 \
                     ORDER BY id DESC LIMIT $2"
                    )))
                    .bind(state.as_str())
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
                }
            };
        rows.iter().map(held_from_row).collect()
    }

    /// Decides a held reply: routed to a request (of `tenant`) or dropped. `false` when it
    /// was no longer held (someone decided first).
    pub async fn decide_held_mail(
        &self,
        id: i64,
        state: HeldState,
        routed: Option<(TenantId, i64)>,
        by: Option<UserId>,
    ) -> Result<bool, StoreError> {
        let (turn, mut tx) = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE inbound_mail SET state = $1, tenant_id = COALESCE($2, tenant_id), \
             routed_to = $3, decided_by = $4, decided_at = $5 WHERE id = $6 AND state = 'held'",
        )
        .bind(state.as_str())
        .bind(routed.map(|(t, _)| t.0))
        .bind(routed.map(|(_, r)| r))
        .bind(by.map(|u| u.0))
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        drop(turn);
        Ok(done == 1)
    }

    /// Puts a reply back in the queue (a routing whose answer could not be written).
    pub async fn unroute_held_mail(&self, id: i64) -> Result<(), StoreError> {
        let (turn, mut tx) = self.begin_write().await?;
        sqlx::query(
            "UPDATE inbound_mail SET state = 'held', routed_to = NULL, decided_by = NULL, \
             decided_at = NULL WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        drop(turn);
        Ok(())
    }

    /// The collective and request of the first of these sent messages (local parts of their
    /// `Message-ID`s) that was about a request.
    pub async fn outbox_request_of(
        &self,
        message_ids: &[String],
    ) -> Result<Option<(TenantId, i64)>, StoreError> {
        for id in message_ids {
            let row = sqlx::query(
                "SELECT tenant_id, request_id FROM mail_outbox WHERE message_id = $1 \
                 AND tenant_id IS NOT NULL AND request_id IS NOT NULL",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
            if let Some(r) = row {
                return Ok(Some((TenantId(r.try_get(0)?), r.try_get(1)?)));
            }
        }
        Ok(None)
    }

    /// The collective a request belongs to.
    pub async fn request_tenant(&self, request_id: i64) -> Result<Option<TenantId>, StoreError> {
        Ok(sqlx::query("SELECT tenant_id FROM requests WHERE id = $1")
            .bind(request_id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?
            .map(TenantId))
    }
}
