//! `/mail/outbox`: the queue of outgoing e-mails, for Gurus: what waits, what was given up,
//! and sending a failed message again. Recipients are shown by their domain only.

use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Path, param::Query, payload::Json};
use vigie_services::Actor;
use vigie_storage::{OutboxCounts, OutboxMail};

use crate::session::Caller;
use crate::{ApiError, ApiState, ApiTags};

/// A queued e-mail.
#[derive(Debug, Object)]
pub struct OutboxMessageView {
    /// Id (for a retry).
    pub id: i64,
    /// `pending`, `sent` or `failed`.
    pub state: String,
    /// Attempts so far.
    pub attempts: i64,
    /// When it is due (again), RFC 3339.
    pub next_attempt_at: String,
    /// What it is for: `notification`, `verify_email`, `reset_password`, …
    pub purpose: String,
    /// The recipient's domain (`…@example.org`): the address itself is not shown.
    pub recipient_domain: String,
    /// Subject line.
    pub subject: String,
    /// The collective and request it is about, if any.
    pub request_id: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// What the mail server answered when it took it.
    pub server_reply: Option<String>,
    /// Queued at.
    pub created_at: String,
    /// Sent at.
    pub sent_at: Option<String>,
}

impl From<OutboxMail> for OutboxMessageView {
    fn from(m: OutboxMail) -> Self {
        let domain = m.to.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
        Self {
            id: m.id,
            state: m.state.as_str().to_owned(),
            attempts: m.attempts,
            next_attempt_at: vigie_storage::timestamp(m.next_attempt_at),
            purpose: m.purpose,
            recipient_domain: format!("…@{domain}"),
            subject: m.subject,
            request_id: m.request_id,
            last_error: m.last_error,
            server_reply: m.server_reply,
            created_at: vigie_storage::timestamp(m.created_at),
            sent_at: m.sent_at.map(vigie_storage::timestamp),
        }
    }
}

/// Counts of the outbox by state.
#[derive(Debug, Object)]
pub struct OutboxCountsView {
    /// Waiting for an attempt.
    pub pending: i64,
    /// Sent.
    pub sent: i64,
    /// Given up after their last attempt.
    pub failed: i64,
}

impl From<OutboxCounts> for OutboxCountsView {
    fn from(c: OutboxCounts) -> Self {
        Self {
            pending: c.pending,
            sent: c.sent,
            failed: c.failed,
        }
    }
}

/// The outbox, newest first.
#[derive(Debug, Object)]
pub struct OutboxView {
    /// Counts by state.
    pub counts: OutboxCountsView,
    /// The messages asked for (at most 200).
    pub messages: Vec<OutboxMessageView>,
}

pub struct MailApi;

#[OpenApi(tag = "ApiTags::Platform")]
impl MailApi {
    /// The mail outbox (Guru)
    ///
    /// Queued e-mails, newest first: all of them, or `state=failed` for those given up after
    /// their last attempt. Recipients appear by their domain only.
    #[oai(path = "/mail/outbox", method = "get", operation_id = "list_outbox")]
    async fn list(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        #[oai(name = "state")] which: Query<Option<String>>,
    ) -> Result<Json<OutboxView>, ApiError> {
        let principal = caller.principal();
        let failed_only = match which.0.as_deref() {
            None | Some("") | Some("all") => false,
            Some("failed") => true,
            Some(other) => {
                return Err(ApiError::from(vigie_services::ServiceError::Invalid(
                    vigie_domain::DomainError::invalid(
                        "state",
                        format!("unknown state '{other}': use failed, or leave it out for all"),
                    )
                    .fr(format!(
                        "État inconnu « {other} » : écrivez failed, ou rien pour tout voir."
                    )),
                )));
            }
        };
        let counts = state
            .services
            .outbox_counts(Actor::Principal(&principal))
            .await?;
        let messages = state
            .services
            .outbox(Actor::Principal(&principal), failed_only, 200)
            .await?;
        Ok(Json(OutboxView {
            counts: counts.into(),
            messages: messages.into_iter().map(Into::into).collect(),
        }))
    }

    /// Send a failed e-mail again (Guru)
    ///
    /// Due now, with a fresh count of attempts and the same `Message-ID`. 409 if it has not
    /// failed.
    #[oai(
        path = "/mail/outbox/:id/retry",
        method = "post",
        operation_id = "retry_outbox_message"
    )]
    async fn retry(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        id: Path<i64>,
    ) -> Result<Json<OutboxMessageView>, ApiError> {
        let m = state
            .services
            .retry_mail(Actor::Principal(&caller.principal()), *id)
            .await?;
        Ok(Json(m.into()))
    }
}
