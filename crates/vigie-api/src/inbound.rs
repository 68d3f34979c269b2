//! Replies by e-mail: `/inbound-mail`, the webhook a mail provider posts raw messages to
//! (shared secret), and `/held-mail`, the holding queue of replies that could not be taken as
//! answers, for the collective's Garants (and Gurus), who route them to a request or drop
//! them. Senders appear by their domain only.

use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiRequest, ApiResponse, Object, OpenApi};
use vigie_services::{ReceiveError, ReceiveOutcome};
use vigie_storage::HeldMail;

use crate::error::ErrorEnvelope;
use crate::session::Caller;
use crate::{ApiError, ApiState, ApiTags};

/// The route of the webhook (under `/api`): its body is a whole message, bounded by
/// `limits.import_mib` when the secret header is sent (else by the JSON limit), then by
/// `mail.inbound_max_bytes`.
pub const INBOUND_ROUTE: &str = "/api/v1/inbound-mail";

/// The header carrying the webhook's shared secret.
pub const SECRET_HEADER: &str = "X-Vigie-Inbound-Secret";

/// A raw RFC 5322 message.
#[derive(Debug, ApiRequest)]
pub enum RawMessage {
    /// As `message/rfc822`.
    #[oai(content_type = "message/rfc822")]
    Rfc822(Binary<Vec<u8>>),
    /// As `application/octet-stream`.
    #[oai(content_type = "application/octet-stream")]
    Octets(Binary<Vec<u8>>),
}

/// What came of a received message.
#[derive(Debug, Object)]
pub struct ReceivedView {
    /// `answered`, `held` or `ignored`.
    pub outcome: String,
    /// Answered: the collective's slug.
    #[oai(skip_serializing_if_is_none)]
    pub tenant: Option<String>,
    /// Answered: the request.
    #[oai(skip_serializing_if_is_none)]
    pub request_id: Option<i64>,
    /// Answered: whether its status word changed the status.
    #[oai(skip_serializing_if_is_none)]
    pub status_changed: Option<bool>,
    /// Held: its id in the queue.
    #[oai(skip_serializing_if_is_none)]
    pub held_id: Option<i64>,
    /// Held or ignored: why.
    #[oai(skip_serializing_if_is_none)]
    pub reason: Option<String>,
    /// Answered: what was not done, and why.
    #[oai(skip_serializing_if_is_empty)]
    pub notes: Vec<String>,
}

impl From<ReceiveOutcome> for ReceivedView {
    fn from(o: ReceiveOutcome) -> Self {
        let mut v = ReceivedView {
            outcome: String::new(),
            tenant: None,
            request_id: None,
            status_changed: None,
            held_id: None,
            reason: None,
            notes: Vec::new(),
        };
        match o {
            ReceiveOutcome::Answered {
                tenant,
                request_id,
                status_changed,
                notes,
            } => {
                v.outcome = "answered".into();
                v.tenant = Some(tenant);
                v.request_id = Some(request_id);
                v.status_changed = Some(status_changed);
                v.notes = notes;
            }
            ReceiveOutcome::Held { id, reason } => {
                v.outcome = "held".into();
                v.held_id = Some(id);
                v.reason = Some(reason);
            }
            ReceiveOutcome::Ignored { reason } => {
                v.outcome = "ignored".into();
                v.reason = Some(reason);
            }
        }
        v
    }
}

/// Why the webhook refused a message.
#[derive(Debug, ApiResponse)]
pub enum InboundError {
    /// Not an e-mail message (`unreadable_message`).
    #[oai(status = 400)]
    BadRequest(Json<ErrorEnvelope>),
    /// The shared secret is missing or wrong (`invalid_secret`).
    #[oai(status = 401)]
    Unauthenticated(Json<ErrorEnvelope>),
    /// Replies by e-mail are off, or the webhook has no secret (`not_found`).
    #[oai(status = 404)]
    NotFound(Json<ErrorEnvelope>),
    /// Over `mail.inbound_max_bytes` (`payload_too_large`).
    #[oai(status = 413)]
    TooLarge(Json<ErrorEnvelope>),
    /// The database does not answer (`database_unavailable`): post it again later.
    #[oai(status = 503)]
    Unavailable(Json<ErrorEnvelope>),
}

fn envelope(code: &str, en: impl Into<String>, fr: impl Into<String>) -> Json<ErrorEnvelope> {
    let mut e = ErrorEnvelope::new(code, en, None);
    e.error.message_fr = Some(fr.into());
    Json(e)
}

/// Compares two secrets in time independent of where they differ.
fn same_secret(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    let mut diff = u8::from(a.len() != b.len());
    for (i, expected) in b.iter().enumerate() {
        diff |= a.get(i).copied().unwrap_or(0) ^ expected;
    }
    diff == 0
}

/// A held reply, as its collective's Garants see it.
#[derive(Debug, Object)]
pub struct HeldMailView {
    /// Id.
    pub id: i64,
    /// When it came, RFC 3339.
    pub received_at: String,
    /// The request its token named, if any.
    pub request_id: Option<i64>,
    /// The sender's domain (`…@example.org`): the address itself is not shown.
    pub sender_domain: Option<String>,
    /// Subject.
    pub subject: String,
    /// The text (quoted history and signature stripped).
    pub text: String,
    /// Files that were attached (not kept).
    pub attachments: i64,
    /// Why it is held: `no_token`, `unknown_token`, `expired_token`, `other_sender`,
    /// `retired_contact`, `not_allowed` (the request takes no answer now), `refused`.
    pub reason: String,
    /// Whether it matched a collective (Gurus also see those that matched none).
    pub tenant_id: Option<i64>,
}

impl From<HeldMail> for HeldMailView {
    fn from(m: HeldMail) -> Self {
        Self {
            id: m.id,
            received_at: vigie_storage::timestamp(m.received_at),
            request_id: m.request_id,
            sender_domain: m
                .sender
                .as_deref()
                .and_then(|s| s.rsplit_once('@'))
                .map(|(_, d)| format!("…@{d}")),
            subject: m.subject,
            text: m.body,
            attachments: m.attachments,
            reason: m.reason,
            tenant_id: m.tenant.map(|t| t.0),
        }
    }
}

/// Where to route a held reply.
#[derive(Debug, Object)]
pub struct RouteHeldMail {
    /// A request of the collective.
    pub request_id: i64,
}

/// The routed reply's request.
#[derive(Debug, Object)]
pub struct RoutedView {
    /// The request.
    pub request_id: i64,
    /// Its status.
    pub status: String,
}

pub struct InboundApi;

#[OpenApi(tag = "ApiTags::Platform")]
impl InboundApi {
    /// Receive a reply by e-mail (mail provider's webhook)
    ///
    /// The body is one raw RFC 5322 message (`message/rfc822` or `application/octet-stream`),
    /// the header `X-Vigie-Inbound-Secret` the shared secret `mail.inbound_secret`. A
    /// verified reply becomes a public answer on its request (`answered`); one that fails
    /// verification waits in the holding queue (`held`); an auto-reply or a bounce is dropped
    /// (`ignored`). 404 when replies by e-mail are off or the webhook has no secret.
    #[oai(path = "/inbound-mail", method = "post", operation_id = "receive_mail")]
    async fn receive(
        &self,
        state: Data<&ApiState>,
        #[oai(name = "X-Vigie-Inbound-Secret")] secret: Header<Option<String>>,
        body: RawMessage,
    ) -> Result<Json<ReceivedView>, InboundError> {
        let settings = state.services.settings();
        let expected = &settings.inbound.secret;
        if settings.inbound.reply_domain.is_empty() || expected.is_empty() {
            return Err(InboundError::NotFound(envelope(
                "not_found",
                "replies by e-mail are not received here (mail.reply_domain or \
                 mail.inbound_secret is not set)",
                "Les réponses par e-mail ne sont pas reçues ici (mail.reply_domain ou \
                 mail.inbound_secret n'est pas renseigné).",
            )));
        }
        if !secret
            .0
            .as_deref()
            .is_some_and(|s| same_secret(s, expected))
        {
            return Err(InboundError::Unauthenticated(envelope(
                "invalid_secret",
                "send the webhook's shared secret in the X-Vigie-Inbound-Secret header",
                "Envoyez le secret partagé du webhook dans l'en-tête X-Vigie-Inbound-Secret.",
            )));
        }
        let raw = match body {
            RawMessage::Rfc822(b) | RawMessage::Octets(b) => b.0,
        };
        match state.services.receive_mail(&raw, None).await {
            Ok(outcome) => Ok(Json(outcome.into())),
            Err(ReceiveError::Disabled) => Err(InboundError::NotFound(envelope(
                "not_found",
                "replies by e-mail are off",
                "Les réponses par e-mail sont désactivées.",
            ))),
            Err(ReceiveError::TooLarge { size, limit }) => Err(InboundError::TooLarge(envelope(
                "payload_too_large",
                format!(
                    "the message is {size} bytes, over the limit of {limit} bytes \
                     (mail.inbound_max_bytes)"
                ),
                format!(
                    "Le message fait {size} octets, au-delà de la limite de {limit} octets \
                     (mail.inbound_max_bytes)."
                ),
            ))),
            Err(ReceiveError::Unreadable(e)) => Err(InboundError::BadRequest(envelope(
                "unreadable_message",
                format!("{e}: send one raw RFC 5322 message as the body"),
                "Ce n'est pas un message électronique : envoyez un message RFC 5322 brut.",
            ))),
            Err(ReceiveError::Service(e)) => {
                tracing::error!(error = %e, "inbound mail could not be stored");
                Err(InboundError::Unavailable(envelope(
                    "database_unavailable",
                    "the message could not be stored now: post it again later",
                    "Le message n'a pas pu être enregistré : renvoyez-le plus tard.",
                )))
            }
        }
    }

    /// Replies held for a collective (its Garants, a Guru)
    ///
    /// Replies by e-mail that could not be taken as answers (no reply address, an unknown or
    /// expired token, another sender), newest first, at most 200.
    #[oai(
        path = "/tenants/:slug/held-mail",
        method = "get",
        operation_id = "list_held_mail"
    )]
    async fn list(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
    ) -> Result<Json<Vec<HeldMailView>>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let held = state
            .services
            .held_mails(&caller.principal(), &tenant, 200)
            .await?;
        Ok(Json(held.into_iter().map(Into::into).collect()))
    }

    /// Every held reply (Guru)
    ///
    /// Those matching no collective included; newest first, at most `limit` (200).
    #[oai(
        path = "/held-mail",
        method = "get",
        operation_id = "list_all_held_mail"
    )]
    async fn list_all(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        limit: Query<Option<i64>>,
    ) -> Result<Json<Vec<HeldMailView>>, ApiError> {
        let held = state
            .services
            .all_held_mails(&caller.principal(), limit.0.unwrap_or(200))
            .await?;
        Ok(Json(held.into_iter().map(Into::into).collect()))
    }

    /// Route a held reply to a request (its Garant, a Guru)
    ///
    /// It becomes a public answer « réponse reçue par e-mail » (the sender is not named),
    /// journaled with who routed it. 404 for another collective's reply.
    #[oai(
        path = "/tenants/:slug/held-mail/:id/route",
        method = "post",
        operation_id = "route_held_mail"
    )]
    async fn route(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        body: Json<RouteHeldMail>,
    ) -> Result<Json<RoutedView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let r = state
            .services
            .route_held_mail(&caller.principal(), &tenant, *id, body.request_id)
            .await?;
        Ok(Json(RoutedView {
            request_id: r.id,
            status: r.status.as_str().to_owned(),
        }))
    }

    /// Drop a held reply (a Garant of the collective, a Guru)
    #[oai(
        path = "/tenants/:slug/held-mail/:id/drop",
        method = "post",
        operation_id = "drop_held_mail"
    )]
    async fn drop_mail(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
    ) -> Result<Json<HeldMailDropped>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        state
            .services
            .drop_held_mail(&caller.principal(), &tenant, *id)
            .await?;
        Ok(Json(HeldMailDropped { id: *id }))
    }
}

/// A dropped reply.
#[derive(Debug, Object)]
pub struct HeldMailDropped {
    /// Its id.
    pub id: i64,
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("s3cret", "s3cret"));
        assert!(!same_secret("s3cre", "s3cret"));
        assert!(!same_secret("s3cretx", "s3cret"));
        assert!(!same_secret("", "s3cret"));
        assert!(!same_secret("S3cret", "s3cret"));
    }
}
