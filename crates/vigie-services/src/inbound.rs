//! Replies by e-mail: a person notified about a request answers the message; the MTA pipes
//! the reply to `vigie mail receive`, or a provider posts it to the webhook, and it lands here.
//!
//! A reply is **verified** when its reply address carries a live personal token of a request
//! (the same one as the message's link: its hash is in `request_tokens`, scoped to one request
//! and one recipient) and comes from that recipient's own address (the contact's, or the
//! requester's account or confirmed address). It then becomes a public answer on the request
//! under the recipient's name or role, through the same use cases as the link's page
//! ([`Services::request_editor`], [`Services::answer_request`],
//! [`Services::attach_to_request`]): same journal, same permissions. A first line that is a
//! status word changes the status when that recipient may.
//!
//! Anything else that is not a machine's (auto-reply, bounce) waits in the holding queue,
//! which a Garant of the collective (a Guru, for mail matching no collective) reads, routes to
//! a request or drops.

use serde_json::json;
use vigie_domain::reply::read_reply;
use vigie_domain::requests::{RequestAction, RequestStatus};
use vigie_domain::{Bilingual, Operation, Principal, Role, Scope, TenantId, UserId};
use vigie_mail::inbound::{InboundError, InboundMail, parse_reply};
use vigie_storage::{HeldMail, HeldState, JournalNote, NewHeldMail, RequestRecord, Tenant};

use crate::accounts::token_hash;
use crate::events::DocumentInput;
use crate::requests::Editor;
use crate::{ServiceError, Services};

/// Settings of replies by e-mail.
#[derive(Clone, PartialEq, Eq)]
pub struct InboundSettings {
    /// Domain of the reply addresses; empty: replies by e-mail are off.
    pub reply_domain: String,
    /// Largest raw message received, bytes.
    pub max_bytes: usize,
    /// The webhook's shared secret; empty: the webhook is closed. Redacted in `Debug`.
    pub secret: String,
}

impl Default for InboundSettings {
    fn default() -> Self {
        Self {
            reply_domain: String::new(),
            max_bytes: 25 * 1024 * 1024,
            secret: String::new(),
        }
    }
}

impl std::fmt::Debug for InboundSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboundSettings")
            .field("reply_domain", &self.reply_domain)
            .field("max_bytes", &self.max_bytes)
            .field("secret", &if self.secret.is_empty() { "" } else { "***" })
            .finish()
    }
}

/// What came of a received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiveOutcome {
    /// A verified reply, now a public answer on the request.
    Answered {
        /// The collective's slug.
        tenant: String,
        /// The request.
        request_id: i64,
        /// Whether its status word changed the request's status.
        status_changed: bool,
        /// What was not done, and why (a refused status, a skipped attachment).
        notes: Vec<String>,
    },
    /// Put in the holding queue.
    Held {
        /// Its id in the queue.
        id: i64,
        /// Why (`no_token`, `unknown_token`, `expired_token`, `other_sender`, …).
        reason: String,
    },
    /// Sent by a machine (an auto-reply, a bounce): dropped.
    Ignored {
        /// Why (`auto_submitted`, `precedence`, `autoreply_header`, `bounce`, `report`).
        reason: String,
    },
}

/// Why a received message was refused whole.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// `mail.reply_domain` is empty.
    #[error("replies by e-mail are off: set mail.reply_domain to receive them")]
    Disabled,
    /// Larger than `mail.inbound_max_bytes`.
    #[error(
        "the message is {size} bytes, over the limit of {limit} bytes (mail.inbound_max_bytes)"
    )]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not an e-mail message.
    #[error("cannot read the message: {0}")]
    Unreadable(#[from] InboundError),
    /// A fault on our side (the database).
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<vigie_storage::StoreError> for ReceiveError {
    fn from(e: vigie_storage::StoreError) -> Self {
        ReceiveError::Service(e.into())
    }
}

/// Name under which a routed reply is published: the sender is not shown.
const ROUTED_BY: &str = "réponse reçue par e-mail";

/// The longest answer (the use case's bound).
const MAX_ANSWER: usize = 4000;

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

impl Services {
    /// Whether answering a message by e-mail works (`mail.reply_domain` is set).
    pub fn replies_by_mail(&self) -> bool {
        !self.settings.inbound.reply_domain.is_empty()
    }

    /// The reply address for a personal token: `reply+{base32(token)}@{reply_domain}`, or `None`
    /// when replies by e-mail are off. `token` is the secret of the personal link the same
    /// message carries (never its hash).
    pub fn reply_address(&self, token: &str) -> Option<String> {
        let domain = &self.settings.inbound.reply_domain;
        if domain.is_empty() {
            return None;
        }
        vigie_mail::inbound::reply_local_part(token).map(|local| format!("{local}@{domain}"))
    }

    /// Receives one raw message (see the module). `envelope` is the recipient the MTA
    /// delivered it to, when known.
    pub async fn receive_mail(
        &self,
        raw: &[u8],
        envelope: Option<&str>,
    ) -> Result<ReceiveOutcome, ReceiveError> {
        let settings = &self.settings.inbound;
        if settings.reply_domain.is_empty() {
            return Err(ReceiveError::Disabled);
        }
        if raw.len() > settings.max_bytes {
            return Err(ReceiveError::TooLarge {
                size: raw.len(),
                limit: settings.max_bytes,
            });
        }
        let mail = parse_reply(raw, envelope, &settings.reply_domain)?;
        if let Some(reason) = mail.automatic {
            // Logged without the addresses.
            tracing::info!(reason, "inbound mail ignored: sent by a machine");
            return Ok(ReceiveOutcome::Ignored {
                reason: reason.to_owned(),
            });
        }
        let Some(token) = mail.token.clone() else {
            let hint = self.store.outbox_request_of(&mail.replies_to).await?;
            return self.hold_at(&mail, hint, "no_token").await;
        };
        let Some(link) = self.store.request_token(&token_hash(&token)).await? else {
            // An altered or unknown token: the message it answers (In-Reply-To) may still
            // say which request, so that the collective's Garants see it.
            let hint = self.store.outbox_request_of(&mail.replies_to).await?;
            return self.hold_at(&mail, hint, "unknown_token").await;
        };
        let request_id = link.request_id;
        let tenant = match self.store.request_tenant(request_id).await? {
            Some(t) => self.store.tenant_by_id(t).await?,
            None => None,
        };
        let Some(tenant) = tenant else {
            return self.hold(&mail, None, None, "unknown_token").await;
        };
        let held_here = Some((tenant.id, request_id));
        let request = self.request(&tenant, request_id).await?;
        // The sender must be the person the token was sent to; checked before the token is
        // used (which would extend its life).
        let expected: Vec<String> = match link.contact_id {
            Some(c) => match self.store.contact(tenant.id, c).await? {
                Some(contact) if !contact.retired => vec![contact.email.to_lowercase()],
                _ => return self.hold_at(&mail, held_here, "retired_contact").await,
            },
            None => {
                let mut addresses = Vec::new();
                if let Some(user) = request.author_id
                    && let Some(u) = self.store.user_by_id(user).await?
                {
                    addresses.push(u.email.as_str().to_lowercase());
                }
                if let Some(c) = &request.contact_email
                    && (request.contact_confirmed || link.confirms_contact)
                {
                    addresses.push(c.trim().to_lowercase());
                }
                addresses
            }
        };
        if !mail.sender.as_ref().is_some_and(|s| expected.contains(s)) {
            return self.hold_at(&mail, held_here, "other_sender").await;
        }
        let editor = match self
            .request_editor(&Principal::Anonymous, Some(&token), &tenant, &request)
            .await
        {
            Ok(e) => e,
            Err(ServiceError::InvalidToken) => {
                return self.hold_at(&mail, held_here, "unknown_token").await;
            }
            Err(ServiceError::LinkExpired(_)) => {
                return self.hold_at(&mail, held_here, "expired_token").await;
            }
            Err(e) => return Err(e.into()),
        };
        let posted = match &editor {
            Editor::Requester(user) => {
                self.requester_reply(&tenant, &request, &editor, *user, &token, &mail)
                    .await
            }
            _ if !editor.may(RequestAction::Answer, &request) => {
                // E.g. a request closed, merged or still awaiting moderation: a Garant decides.
                return self.hold_at(&mail, held_here, "not_allowed").await;
            }
            _ => self.answer_by_mail(&tenant, &request, &editor, &mail).await,
        };
        match posted {
            Ok(Some(outcome)) => Ok(outcome),
            Ok(None) => self.hold_at(&mail, held_here, "not_allowed").await,
            Err(e @ (ServiceError::Internal(_) | ServiceError::Unavailable { .. })) => {
                Err(e.into())
            }
            Err(e) => {
                tracing::info!(request = request_id, error = %e, "reply by e-mail refused");
                self.hold_at(&mail, held_here, "refused").await
            }
        }
    }

    /// Whether the status word of a reply applies: `None` with a note when it does not.
    fn applicable_status(
        editor: &Editor,
        request: &RequestRecord,
        asked: Option<RequestStatus>,
        notes: &mut Vec<String>,
    ) -> Option<RequestStatus> {
        let to = asked.filter(|s| *s != request.status)?;
        let why = if !editor.may(RequestAction::ChangeStatus, request) {
            "you may not change this request's status now"
        } else if !request.status.can_move_to(to) {
            "the request cannot move to that status from where it is"
        } else {
            return Some(to);
        };
        notes.push(format!("status {} not applied: {why}", to.as_str()));
        None
    }

    /// Posts a verified reply of a contact: its answer, its status word, its attachments.
    async fn answer_by_mail(
        &self,
        tenant: &Tenant,
        request: &RequestRecord,
        editor: &Editor,
        mail: &InboundMail,
    ) -> Result<Option<ReceiveOutcome>, ServiceError> {
        let reply = read_reply(&mail.text);
        let mut notes = Vec::new();
        let status = Self::applicable_status(editor, request, reply.status, &mut notes);
        let mut message = if reply.answer.chars().count() >= 3 {
            reply.answer.clone()
        } else {
            mail.text.clone()
        };
        if message.chars().count() < 3 {
            message = if mail.attachments.is_empty() {
                "(réponse vide reçue par e-mail)".to_owned()
            } else {
                "(pièces jointes reçues par e-mail)".to_owned()
            };
        }
        if let Some(to) = reply.status
            && status.is_none()
            && to != request.status
        {
            message.push_str(&format!(
                "\n\n(Statut « {} » demandé par e-mail, non appliqué.)",
                to.label_fr()
            ));
        }
        let message = cut(&message, MAX_ANSWER);
        let after = self
            .answer_request(editor, tenant, request.id, &message, status)
            .await?;
        self.attach_mail_files(editor, tenant, request, mail, &mut notes)
            .await?;
        Ok(Some(self.answered(tenant, request, &after, notes)))
    }

    /// Posts a verified reply of the requester, who changes the status and attaches files
    /// but does not answer (the permission table): the status word changes the status with
    /// the text as its note; without one, the text becomes a comment of their account. With
    /// neither (an anonymous requester's plain text), `None`: the reply is held.
    async fn requester_reply(
        &self,
        tenant: &Tenant,
        request: &RequestRecord,
        editor: &Editor,
        user: Option<UserId>,
        token: &str,
        mail: &InboundMail,
    ) -> Result<Option<ReceiveOutcome>, ServiceError> {
        let reply = read_reply(&mail.text);
        let mut notes = Vec::new();
        // Reopening a solved request is anyone's: the use case decides.
        let status = Self::applicable_status(editor, request, reply.status, &mut notes).or(reply
            .status
            .filter(|s| *s == RequestStatus::NotSolved && request.status == RequestStatus::Solved));
        let text = reply.answer.trim().to_owned();
        let commenter = match (status, user) {
            (None, Some(u)) if !text.is_empty() => self.store.user_by_id(u).await?,
            _ => None,
        };
        if status.is_none()
            && commenter.is_none()
            && (!text.is_empty() || mail.attachments.is_empty())
        {
            return Ok(None);
        }
        if !mail.attachments.is_empty() && !editor.may(RequestAction::Attach, request) {
            return Ok(None);
        }
        if let Some(to) = status {
            let note = (!text.is_empty()).then(|| cut(&text, 2000));
            self.change_status(
                &Principal::Anonymous,
                Some(token),
                tenant,
                request.id,
                to,
                note.as_deref(),
            )
            .await?;
        } else if let Some(u) = commenter {
            let principal = Principal::User {
                id: u.id,
                verified_email: u.verified_email().cloned(),
            };
            self.add_comment(
                crate::Actor::Principal(&principal),
                tenant,
                request.id,
                &cut(&text, MAX_ANSWER),
            )
            .await?;
        }
        self.attach_mail_files(editor, tenant, request, mail, &mut notes)
            .await?;
        let after = self.request(tenant, request.id).await?;
        Ok(Some(self.answered(tenant, request, &after, notes)))
    }

    /// Stores a reply's attachments as documents of the request; one too large or refused
    /// is skipped with a note.
    async fn attach_mail_files(
        &self,
        editor: &Editor,
        tenant: &Tenant,
        request: &RequestRecord,
        mail: &InboundMail,
        notes: &mut Vec<String>,
    ) -> Result<(), ServiceError> {
        let max = self.max_upload_bytes();
        for file in &mail.attachments {
            let size = u64::try_from(file.bytes.len()).unwrap_or(u64::MAX);
            if size > max {
                notes.push(format!(
                    "attachment {} skipped: {size} bytes, over the limit of {max}",
                    file.name
                ));
                continue;
            }
            let image = file.content_type.starts_with("image/");
            let title = if file.name.chars().count() >= 3 {
                cut(&file.name, 200)
            } else {
                format!("Pièce jointe {}", file.name)
            };
            let input = DocumentInput {
                kind: if image { "photo" } else { "other" }.to_owned(),
                title,
                document_date: None,
                source: Some("e-mail".to_owned()),
                file_name: Some(file.name.clone()),
                content_type: Some(file.content_type.clone()),
            };
            match self
                .attach_to_request(editor, tenant, request.id, input, file.bytes.clone())
                .await
            {
                Ok(_) => {}
                Err(e @ (ServiceError::Internal(_) | ServiceError::Unavailable { .. })) => {
                    return Err(e);
                }
                Err(e) => notes.push(format!("attachment {} skipped: {e}", file.name)),
            }
        }
        Ok(())
    }

    fn answered(
        &self,
        tenant: &Tenant,
        before: &RequestRecord,
        after: &RequestRecord,
        notes: Vec<String>,
    ) -> ReceiveOutcome {
        tracing::info!(
            request = before.id,
            status_changed = after.status != before.status,
            "reply by e-mail posted"
        );
        ReceiveOutcome::Answered {
            tenant: tenant.slug.as_str().to_owned(),
            request_id: before.id,
            status_changed: after.status != before.status,
            notes,
        }
    }

    async fn hold_at(
        &self,
        mail: &InboundMail,
        at: Option<(TenantId, i64)>,
        reason: &str,
    ) -> Result<ReceiveOutcome, ReceiveError> {
        self.hold(mail, at.map(|a| a.0), at.map(|a| a.1), reason)
            .await
    }

    async fn hold(
        &self,
        mail: &InboundMail,
        tenant: Option<TenantId>,
        request_id: Option<i64>,
        reason: &str,
    ) -> Result<ReceiveOutcome, ReceiveError> {
        let id = self
            .store
            .hold_mail(&NewHeldMail {
                tenant,
                request_id,
                sender: mail.sender.clone(),
                subject: cut(&mail.subject, 300),
                body: cut(&mail.text, 20_000),
                attachments: i64::try_from(mail.attachments.len()).unwrap_or(i64::MAX),
                reason: reason.to_owned(),
            })
            .await
            .map_err(ServiceError::from)?;
        tracing::info!(id, reason, request = request_id, "inbound mail held");
        Ok(ReceiveOutcome::Held {
            id,
            reason: reason.to_owned(),
        })
    }

    /// Whether `principal` is a Guru (sees the whole holding queue).
    async fn holding_guru(&self, principal: &Principal) -> Result<bool, ServiceError> {
        Ok(self
            .authz
            .is_allowed(principal, None, &Scope::Platform, Operation::ManageMail)
            .await?)
    }

    /// Whether `principal` is a Garant of some type of `tenant` (or a Guru).
    async fn holding_reach(
        &self,
        principal: &Principal,
        tenant: &Tenant,
    ) -> Result<(), ServiceError> {
        let Some(user) = principal.user_id() else {
            return Err(ServiceError::Unauthenticated(
                Bilingual::new("sign in to see the replies received by e-mail")
                    .fr("Connectez-vous pour voir les réponses reçues par e-mail."),
            ));
        };
        if self.holding_guru(principal).await? {
            return Ok(());
        }
        for grant in self.store.user_grants(user).await? {
            if grant.role != Role::Garant || grant.tenant != Some(tenant.id) {
                continue;
            }
            let prefix = format!("{}/", tenant.slug);
            let Some(ty) = grant
                .domain_pattern
                .strip_prefix(&prefix)
                .and_then(|r| r.strip_suffix("/*"))
            else {
                continue;
            };
            let Ok(ty) = vigie_domain::ObjectTypeKey::parse(ty) else {
                continue;
            };
            let scope = Scope::ObjectType(tenant.slug.clone(), ty);
            if self
                .authz
                .is_allowed(principal, Some(tenant), &scope, Operation::ManageRequest)
                .await?
            {
                return Ok(());
            }
        }
        Err(ServiceError::Forbidden(
            Bilingual::new("the replies received by e-mail are for this collective's Garants")
                .fr("Les réponses reçues par e-mail sont réservées aux garants de ce collectif."),
        ))
    }

    /// The held replies of a collective (its Garants, a Guru), newest first.
    pub async fn held_mails(
        &self,
        principal: &Principal,
        tenant: &Tenant,
        limit: i64,
    ) -> Result<Vec<HeldMail>, ServiceError> {
        self.holding_reach(principal, tenant).await?;
        Ok(self
            .store
            .held_mails(Some(tenant.id), HeldState::Held, limit.clamp(1, 500))
            .await?)
    }

    /// Every held reply, those matching no collective included (Gurus).
    pub async fn all_held_mails(
        &self,
        principal: &Principal,
        limit: i64,
    ) -> Result<Vec<HeldMail>, ServiceError> {
        if principal.user_id().is_none() {
            return Err(ServiceError::Unauthenticated(
                Bilingual::new("sign in first").fr("Connectez-vous d'abord."),
            ));
        }
        if !self.holding_guru(principal).await? {
            return Err(ServiceError::Forbidden(
                Bilingual::new("the whole holding queue is for Gurus")
                    .fr("La file d'attente complète est réservée aux gourous."),
            ));
        }
        Ok(self
            .store
            .held_mails(None, HeldState::Held, limit.clamp(1, 500))
            .await?)
    }

    /// A held reply `principal` may see from `tenant`: of that collective, or any for a Guru.
    /// Another collective's is "not found".
    async fn held_for(
        &self,
        principal: &Principal,
        tenant: &Tenant,
        id: i64,
    ) -> Result<HeldMail, ServiceError> {
        self.holding_reach(principal, tenant).await?;
        let mail = self
            .store
            .held_mail(id)
            .await?
            .ok_or(ServiceError::NotFound("held mail"))?;
        if mail.tenant != Some(tenant.id) && !self.holding_guru(principal).await? {
            return Err(ServiceError::NotFound("held mail"));
        }
        if mail.state != HeldState::Held {
            return Err(ServiceError::Conflict(
                Bilingual::new("this reply was already routed or dropped")
                    .fr("Cette réponse a déjà été rattachée ou écartée."),
            ));
        }
        Ok(mail)
    }

    /// Routes a held reply to a request of `tenant` (who may handle that request: its type's
    /// Garant, a Guru): it becomes an answer « réponse reçue par e-mail », the sender's name
    /// and address hidden, journaled with who routed it.
    pub async fn route_held_mail(
        &self,
        principal: &Principal,
        tenant: &Tenant,
        id: i64,
        request_id: i64,
    ) -> Result<RequestRecord, ServiceError> {
        let mail = self.held_for(principal, tenant, id).await?;
        let request = self.request(tenant, request_id).await?;
        let editor = self
            .request_editor(principal, None, tenant, &request)
            .await?;
        let Editor::Moderator(permit) = &editor else {
            return Err(ServiceError::Forbidden(
                Bilingual::new("routing a reply is for the request's moderators (its type's Garant)")
                    .fr("Rattacher une réponse revient aux modérateurs de la demande (le garant du type)."),
            ));
        };
        editor.require(RequestAction::Answer, &request)?;
        let routed_by = match permit.actor() {
            Some(u) => self
                .store
                .user_by_id(u)
                .await?
                .map(|u| u.pseudonym.journal_ref()),
            None => None,
        };
        let text = if mail.body.trim().chars().count() >= 3 {
            cut(mail.body.trim(), MAX_ANSWER)
        } else {
            "(réponse vide reçue par e-mail)".to_owned()
        };
        if !self
            .store
            .decide_held_mail(
                id,
                HeldState::Routed,
                Some((tenant.id, request_id)),
                principal.user_id(),
            )
            .await?
        {
            return Err(ServiceError::Conflict(
                Bilingual::new("this reply was already routed or dropped")
                    .fr("Cette réponse a déjà été rattachée ou écartée."),
            ));
        }
        let journaled = self
            .store
            .journal(
                tenant.id,
                request_id,
                &JournalNote::new(
                    "answered",
                    &json!({
                        "by": ROUTED_BY,
                        "as": "email",
                        "message": text,
                        "routed_by": routed_by,
                    }),
                ),
            )
            .await;
        if let Err(e) = journaled {
            self.store.unroute_held_mail(id).await?;
            return Err(e.into());
        }
        self.request(tenant, request_id).await
    }

    /// Drops a held reply (a Garant of its collective, a Guru).
    pub async fn drop_held_mail(
        &self,
        principal: &Principal,
        tenant: &Tenant,
        id: i64,
    ) -> Result<(), ServiceError> {
        self.held_for(principal, tenant, id).await?;
        let by: Option<UserId> = principal.user_id();
        if !self
            .store
            .decide_held_mail(id, HeldState::Dropped, None, by)
            .await?
        {
            return Err(ServiceError::Conflict(
                Bilingual::new("this reply was already routed or dropped")
                    .fr("Cette réponse a déjà été rattachée ou écartée."),
            ));
        }
        Ok(())
    }
}
