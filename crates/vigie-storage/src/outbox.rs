//! The durable outbox of e-mails.
//!
//! A message is inserted in the transaction of the action that causes it (or right after it
//! where that action has no transaction of its own), then a worker claims the due messages
//! under a lease, hands them to the mailer and marks each sent, or due again later, or failed
//! after its last attempt. Claims are safe with several server processes: on PostgreSQL the
//! claim skips the rows another process is claiming (`FOR UPDATE SKIP LOCKED`); on SQLite the
//! one writer claims alone. A worker that dies between sending and marking leaves its lease
//! to expire; the message then goes again, with the same `Message-ID`.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use time::OffsetDateTime;
use vigie_domain::TenantId;

use crate::{Backend, Store, StoreError, now, parse_timestamp, timestamp};

/// An e-mail to queue.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewOutboxMail {
    /// Local part of its `Message-ID`, unique (the sender's domain is added when it is sent).
    pub message_id: String,
    /// Recipient address (private: never shown publicly).
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// The same as HTML, if any.
    pub html: Option<String>,
    /// The sender's name (the collective's), if any.
    pub from_name: Option<String>,
    /// Where answers go, if anywhere.
    pub reply_to: Option<String>,
    /// The one-click link that stops this kind of message, for a notification.
    pub unsubscribe_url: Option<String>,
    /// Whom it is to as the journal may say it (a public name or a role, never an address):
    /// with a request, its delivery is journaled under this label.
    pub recipient_label: Option<String>,
    /// What it is for (`notification`, `verify_email`, …), for the operator's listing.
    pub purpose: String,
    /// The collective it is about, if any.
    pub tenant: Option<TenantId>,
    /// The request it is about, if any.
    pub request_id: Option<i64>,
}

/// Where a queued e-mail stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    /// Waiting for its (next) attempt.
    Pending,
    /// Accepted by the mail server (or written to the outbox folder).
    Sent,
    /// Given up after its last attempt; a Guru may retry it.
    Failed,
}

impl OutboxState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Sent => "sent",
            OutboxState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(OutboxState::Pending),
            "sent" => Some(OutboxState::Sent),
            "failed" => Some(OutboxState::Failed),
            _ => None,
        }
    }
}

/// A queued e-mail, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMail {
    /// Id.
    pub id: i64,
    /// Local part of its `Message-ID`.
    pub message_id: String,
    /// Recipient address (private).
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// The same as HTML, if any.
    pub html: Option<String>,
    /// The sender's name (the collective's), if any.
    pub from_name: Option<String>,
    /// Where answers go, if anywhere.
    pub reply_to: Option<String>,
    /// The one-click link that stops this kind of message, for a notification.
    pub unsubscribe_url: Option<String>,
    /// Whom it is to as the journal may say it (a public name or a role, never an address):
    /// with a request, its delivery is journaled under this label.
    pub recipient_label: Option<String>,
    /// What it is for.
    pub purpose: String,
    /// The collective it is about.
    pub tenant: Option<TenantId>,
    /// The request it is about.
    pub request_id: Option<i64>,
    /// Where it stands.
    pub state: OutboxState,
    /// Attempts so far (a claim counts as one).
    pub attempts: i64,
    /// When it is due (again).
    pub next_attempt_at: OffsetDateTime,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// What the mail server answered when it took it.
    pub server_reply: Option<String>,
    /// When it was queued.
    pub created_at: OffsetDateTime,
    /// When it was sent.
    pub sent_at: Option<OffsetDateTime>,
}

/// Counts of the outbox by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxCounts {
    /// Waiting.
    pub pending: i64,
    /// Sent.
    pub sent: i64,
    /// Given up.
    pub failed: i64,
}

const OUTBOX_COLUMNS: &str = "id, message_id, recipient, subject, body, html, from_name, reply_to, \
     unsubscribe_url, recipient_label, purpose, tenant_id, request_id, state, attempts, \
     next_attempt_at, last_error, server_reply, created_at, sent_at";

fn outbox_from_row(r: &AnyRow) -> Result<OutboxMail, StoreError> {
    let state: String = r.try_get("state")?;
    let next: String = r.try_get("next_attempt_at")?;
    let created: String = r.try_get("created_at")?;
    let sent: Option<String> = r.try_get("sent_at")?;
    Ok(OutboxMail {
        id: r.try_get("id")?,
        message_id: r.try_get("message_id")?,
        to: r.try_get("recipient")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        html: r.try_get("html")?,
        from_name: r.try_get("from_name")?,
        reply_to: r.try_get("reply_to")?,
        unsubscribe_url: r.try_get("unsubscribe_url")?,
        recipient_label: r.try_get("recipient_label")?,
        purpose: r.try_get("purpose")?,
        tenant: r.try_get::<Option<i64>, _>("tenant_id")?.map(TenantId),
        request_id: r.try_get("request_id")?,
        state: OutboxState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("outbox state {state}")))?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: parse_timestamp(&next)?,
        last_error: r.try_get("last_error")?,
        server_reply: r.try_get("server_reply")?,
        created_at: parse_timestamp(&created)?,
        sent_at: sent.as_deref().map(parse_timestamp).transpose()?,
    })
}

/// Queues `mail` in `tx`: it goes if and only if the transaction commits.
pub(crate) async fn enqueue_in(
    tx: &mut Transaction<'static, Any>,
    mail: &NewOutboxMail,
) -> Result<i64, StoreError> {
    let at = now();
    Ok(sqlx::query(
        "INSERT INTO mail_outbox (message_id, recipient, subject, body, html, from_name, \
         reply_to, unsubscribe_url, recipient_label, purpose, tenant_id, request_id, state, \
         attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $9, $10, $11, $12, $13, $5, $6, $7, 'pending', 0, $8, $8) \
         RETURNING id",
    )
    .bind(&mail.message_id)
    .bind(&mail.to)
    .bind(&mail.subject)
    .bind(&mail.body)
    .bind(&mail.purpose)
    .bind(mail.tenant.map(|t| t.0))
    .bind(mail.request_id)
    .bind(&at)
    .bind(&mail.html)
    .bind(&mail.from_name)
    .bind(&mail.reply_to)
    .bind(&mail.unsubscribe_url)
    .bind(&mail.recipient_label)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?)
}

impl Store {
    /// Queues an e-mail on its own (for an action whose writes are already committed).
    pub async fn enqueue_mail(&self, mail: &NewOutboxMail) -> Result<i64, StoreError> {
        let (turn, mut tx) = self.begin_write().await?;
        let id = enqueue_in(&mut tx, mail).await?;
        tx.commit().await?;
        drop(turn);
        Ok(id)
    }

    /// Claims up to `limit` due e-mails for `lease` under the name `owner`: each claim counts
    /// as an attempt. Rows another process holds under an unexpired lease are skipped.
    pub async fn claim_due_mail(
        &self,
        owner: &str,
        limit: i64,
        lease: time::Duration,
    ) -> Result<Vec<OutboxMail>, StoreError> {
        let at = OffsetDateTime::now_utc();
        // Side by side: PostgreSQL skips the rows a concurrent claim has locked; SQLite's one
        // writer needs no such thing.
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE mail_outbox SET lease_until = $1, lease_owner = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM mail_outbox WHERE state = 'pending' \
             AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3) \
             ORDER BY next_attempt_at, id LIMIT $4{lock}) RETURNING {OUTBOX_COLUMNS}"
        );
        let (turn, mut tx) = self.begin_write().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(timestamp(at + lease))
            .bind(owner)
            .bind(timestamp(at))
            .bind(limit.max(1))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        drop(turn);
        let mut claimed = rows
            .iter()
            .map(outbox_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by_key(|m| (m.next_attempt_at, m.id));
        Ok(claimed)
    }

    /// Marks a claimed e-mail sent, with what the server answered, and forgets its bodies
    /// (they may hold a personal link, whose secret is otherwise kept as a hash only); a
    /// message about a request is journaled as delivered in the same transaction, under its
    /// recipient's public label. `false` if the claim was lost meanwhile (its lease expired and
    /// another worker took it).
    pub async fn mark_mail_sent(
        &self,
        mail: &OutboxMail,
        owner: &str,
        server_reply: &str,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE mail_outbox SET state = 'sent', sent_at = $1, server_reply = $2, \
             body = '', html = NULL, lease_until = NULL, lease_owner = NULL \
             WHERE id = $3 AND lease_owner = $4";
        let mark = sqlx::query(sql)
            .bind(now())
            .bind(server_reply)
            .bind(mail.id)
            .bind(owner);
        if let (Some(tenant), Some(request_id), Some(label)) =
            (mail.tenant, mail.request_id, &mail.recipient_label)
        {
            let mut j = self.journaled(tenant).await?;
            let done = mark.execute(j.tx()).await?.rows_affected();
            if done == 0 {
                return Ok(false);
            }
            j.append(
                request_id,
                &crate::JournalNote::new(
                    "notification_delivered",
                    &serde_json::json!({ "to": label, "subject": mail.subject }),
                ),
            )
            .await?;
            j.commit().await?;
            return Ok(true);
        }
        let (turn, mut tx) = self.begin_write().await?;
        let done = mark.execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        drop(turn);
        Ok(done > 0)
    }

    /// Records a failed attempt of a claimed e-mail: due again at `retry_at`, or `failed` once
    /// it had `max_attempts`. Returns the new state (`None` if the claim was lost meanwhile).
    pub async fn mark_mail_attempt_failed(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        retry_at: OffsetDateTime,
        max_attempts: i64,
    ) -> Result<Option<OutboxState>, StoreError> {
        let (turn, mut tx) = self.begin_write().await?;
        let state: Option<String> = sqlx::query(
            "UPDATE mail_outbox SET state = CASE WHEN attempts >= $1 THEN 'failed' ELSE 'pending' END, \
             next_attempt_at = $2, last_error = $3, lease_until = NULL, lease_owner = NULL \
             WHERE id = $4 AND lease_owner = $5 RETURNING state",
        )
        .bind(max_attempts.max(1))
        .bind(timestamp(retry_at))
        .bind(error)
        .bind(id)
        .bind(owner)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
        tx.commit().await?;
        drop(turn);
        Ok(state.as_deref().and_then(OutboxState::parse))
    }

    /// Puts a failed e-mail back in the queue, due now, with a fresh count of attempts;
    /// `false` if there is no failed e-mail of that id.
    pub async fn retry_failed_mail(&self, id: i64) -> Result<bool, StoreError> {
        let (turn, mut tx) = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE mail_outbox SET state = 'pending', attempts = 0, next_attempt_at = $1 \
             WHERE id = $2 AND state = 'failed'",
        )
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        drop(turn);
        Ok(done > 0)
    }

    /// Deletes the e-mails sent before `before`; returns how many.
    pub async fn prune_sent_mail(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let (turn, mut tx) = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM mail_outbox WHERE state = 'sent' AND sent_at < $1")
            .bind(timestamp(before))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        drop(turn);
        Ok(done)
    }

    /// One queued e-mail.
    pub async fn outbox_mail(&self, id: i64) -> Result<Option<OutboxMail>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {OUTBOX_COLUMNS} FROM mail_outbox WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(outbox_from_row)
        .transpose()
    }

    /// Queued e-mails, newest first: of one state or all, at most `limit`.
    pub async fn outbox(
        &self,
        state: Option<OutboxState>,
        limit: i64,
    ) -> Result<Vec<OutboxMail>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {OUTBOX_COLUMNS} FROM mail_outbox WHERE ($1 IS NULL OR state = $1) \
             ORDER BY id DESC LIMIT $2"
        )))
        .bind(state.map(OutboxState::as_str))
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(outbox_from_row).collect()
    }

    /// How many e-mails are pending, sent and failed.
    pub async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) FROM mail_outbox GROUP BY state")
            .fetch_all(&self.pool)
            .await?;
        let mut counts = OutboxCounts::default();
        for r in rows {
            let state: String = r.try_get(0)?;
            let n: i64 = r.try_get(1)?;
            match OutboxState::parse(&state) {
                Some(OutboxState::Pending) => counts.pending = n,
                Some(OutboxState::Sent) => counts.sent = n,
                Some(OutboxState::Failed) => counts.failed = n,
                None => {}
            }
        }
        Ok(counts)
    }

    /// When the next pending e-mail is due, if any (the worker sleeps until then).
    pub async fn next_mail_due(&self) -> Result<Option<OffsetDateTime>, StoreError> {
        let next: Option<String> = sqlx::query(
            "SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_attempt_at \
             THEN lease_until ELSE next_attempt_at END) FROM mail_outbox WHERE state = 'pending'",
        )
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        next.as_deref().map(parse_timestamp).transpose()
    }
}
