//! The mail outbox: messages are queued in the database with the action that causes them and
//! delivered by a worker through the [`Mailer`](vigie_mail::Mailer), with retries and
//! exponential back-off, then marked sent, or failed after the last attempt (a Guru may send
//! those again).
//!
//! With the outbox folder (the embedded default, a local write that cannot hang), what an
//! action queued is delivered before its answer, so that a developer finds the link at once.

use std::sync::Arc;

use futures::StreamExt as _;

use time::OffsetDateTime;
use vigie_domain::{Bilingual, Operation, Scope, TenantId};
use vigie_mail::{Message, Sent, new_message_id};
use vigie_storage::{NewOutboxMail, OutboxCounts, OutboxMail, OutboxState};

use crate::actor::Actor;
use crate::{ServiceError, Services};

/// How the outbox is delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailDelivery {
    /// Attempts before a message is marked failed.
    pub max_attempts: u32,
    /// Wait after the first failed attempt, seconds; doubled after each further one.
    pub retry_base_seconds: u64,
    /// Longest wait between two attempts, seconds.
    pub retry_max_seconds: u64,
    /// How long a worker's claim on a batch lasts, seconds: past it, another worker may send
    /// the batch's unsent messages again (with the same `Message-ID`). Longer than a batch
    /// takes to send at the mailer's timeout.
    pub lease_seconds: u64,
    /// Messages claimed at once.
    pub batch: u32,
    /// Messages of a batch handed to the mailer at once (over its pool of connections).
    pub concurrency: u32,
    /// Days a sent message stays listed (without its body) before it is deleted.
    pub keep_sent_days: u32,
}

impl Default for MailDelivery {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            retry_base_seconds: 30,
            retry_max_seconds: 6 * 3600,
            lease_seconds: 600,
            batch: 10,
            concurrency: 4,
            keep_sent_days: 30,
        }
    }
}

impl MailDelivery {
    /// The wait after a message's `attempts`-th failed attempt.
    pub fn backoff(&self, attempts: i64) -> time::Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let secs = self
            .retry_base_seconds
            .max(1)
            .saturating_mul(1u64 << doublings)
            .min(self.retry_max_seconds.max(1));
        time::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX))
    }
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeliveryRound {
    /// Messages handed on.
    pub sent: usize,
    /// Attempts that failed and will be tried again.
    pub retried: usize,
    /// Messages given up on this round.
    pub failed: usize,
}

/// What came of one attempt.
enum Outcome {
    Sent,
    Retried,
    Failed,
}

/// The outbox's wake-up call: rung when a message is queued in this process.
pub(crate) type MailWake = Arc<tokio::sync::Notify>;

impl Services {
    /// A message to queue: a fresh `Message-ID`, kept for every attempt.
    pub(crate) fn outbox_message(
        &self,
        to: &str,
        subject: &str,
        body: String,
        purpose: &str,
        about: Option<(TenantId, i64)>,
    ) -> NewOutboxMail {
        NewOutboxMail {
            message_id: new_message_id(),
            to: to.to_owned(),
            subject: subject.to_owned(),
            body,
            html: None,
            from_name: None,
            reply_to: None,
            unsubscribe_url: None,
            recipient_label: None,
            purpose: purpose.to_owned(),
            tenant: about.map(|(t, _)| t),
            request_id: about.map(|(_, r)| r),
        }
    }

    /// Queues a message on its own, for an action already committed, and has it delivered.
    pub(crate) async fn queue_mail(&self, mail: &NewOutboxMail) -> Result<(), ServiceError> {
        self.store.enqueue_mail(mail).await?;
        self.mail_queued().await;
        Ok(())
    }

    /// Tells the worker that messages were queued; with a local mailer (the outbox folder),
    /// delivers them now. A delivery problem never fails the action: the message stays queued.
    pub(crate) async fn mail_queued(&self) {
        self.mail_wake.notify_one();
        if self.mailer.is_local()
            && let Err(e) = self.deliver_due_mail().await
        {
            tracing::warn!(error = %e, "queued e-mails not delivered yet; the worker will retry");
        }
    }

    /// The wake-up call of the delivery worker.
    pub fn mail_wakeup(&self) -> Arc<tokio::sync::Notify> {
        self.mail_wake.clone()
    }

    /// When the next queued message is due (the worker sleeps until then, or until woken).
    pub async fn next_mail_due(&self) -> Result<Option<OffsetDateTime>, ServiceError> {
        Ok(self.store.next_mail_due().await?)
    }

    /// Delivers the due messages: claims them a batch at a time (safe with other workers),
    /// hands each to the mailer and marks it sent, or due again after a back-off, or failed
    /// after its last attempt. Returns what it did.
    pub async fn deliver_due_mail(&self) -> Result<DeliveryRound, ServiceError> {
        let rules = &self.settings.mail;
        let lease =
            time::Duration::seconds(i64::try_from(rules.lease_seconds.max(1)).unwrap_or(600));
        let mut round = DeliveryRound::default();
        // A local write gains nothing from company, and keeps the queue's order.
        let concurrency = if self.mailer.is_local() {
            1
        } else {
            rules.concurrency.max(1) as usize
        };
        loop {
            // A read first: claiming is a write, not worth taking when nothing is due.
            match self.store.next_mail_due().await? {
                Some(due) if due <= OffsetDateTime::now_utc() => {}
                _ => return Ok(round),
            }
            // A claim of its own per batch: whoever took a row over after an expired lease
            // marks it, not the late first worker.
            let owner = new_message_id();
            let batch = self
                .store
                .claim_due_mail(&owner, i64::from(rules.batch.max(1)), lease)
                .await?;
            if batch.is_empty() {
                return Ok(round);
            }
            // Several at once, over the mailer's pool of connections: each SMTP exchange
            // mostly waits on the network.
            let outcomes: Vec<Result<Outcome, ServiceError>> = futures::stream::iter(batch)
                .map(|mail| self.deliver_one(mail, &owner))
                .buffer_unordered(concurrency)
                .collect()
                .await;
            for outcome in outcomes {
                let label = match outcome? {
                    Outcome::Sent => {
                        round.sent += 1;
                        "sent"
                    }
                    Outcome::Retried => {
                        round.retried += 1;
                        "retried"
                    }
                    Outcome::Failed => {
                        round.failed += 1;
                        "failed"
                    }
                };
                metrics::counter!("vigie_mail_deliveries_total", "outcome" => label).increment(1);
            }
        }
    }

    /// Hands one claimed message to the mailer and marks what came of it.
    async fn deliver_one(&self, mail: OutboxMail, owner: &str) -> Result<Outcome, ServiceError> {
        let rules = &self.settings.mail;
        let message = Message {
            to: mail.to.clone(),
            subject: mail.subject.clone(),
            body: mail.body.clone(),
            html: mail.html.clone(),
            from_name: mail.from_name.clone(),
            reply_to: mail.reply_to.clone(),
            unsubscribe_url: mail.unsubscribe_url.clone(),
            message_id: Some(mail.message_id.clone()),
        };
        match self.mailer.send(&message).await {
            Ok(sent) => {
                if !self.store.mark_mail_sent(&mail, owner, &sent.reply).await? {
                    tracing::warn!(
                        outbox = mail.id,
                        "an e-mail was sent after its claim expired"
                    );
                }
                Ok(Outcome::Sent)
            }
            Err(e) => {
                let retry_at = OffsetDateTime::now_utc() + rules.backoff(mail.attempts);
                let state = self
                    .store
                    .mark_mail_attempt_failed(
                        mail.id,
                        owner,
                        &e.to_string(),
                        retry_at,
                        i64::from(rules.max_attempts.max(1)),
                    )
                    .await?;
                if state == Some(OutboxState::Failed) {
                    tracing::error!(
                        outbox = mail.id,
                        attempts = mail.attempts,
                        error = %e,
                        "an e-mail was given up after its last attempt: `vigie mail retry` sends it again"
                    );
                    Ok(Outcome::Failed)
                } else {
                    tracing::warn!(
                        outbox = mail.id,
                        attempts = mail.attempts,
                        error = %e,
                        retry_at = %vigie_storage::timestamp(retry_at),
                        "an e-mail could not be sent; it will be tried again"
                    );
                    Ok(Outcome::Retried)
                }
            }
        }
    }

    /// Deletes the messages sent more than `keep_sent_days` ago; returns how many.
    pub async fn prune_sent_mail(&self) -> Result<u64, ServiceError> {
        let days = i64::from(self.settings.mail.keep_sent_days.max(1));
        Ok(self
            .store
            .prune_sent_mail(OffsetDateTime::now_utc() - time::Duration::days(days))
            .await?)
    }

    /// The permit to see the outbox and send failed messages again: Gurus (and the operator).
    async fn mail_permit(&self, actor: Actor<'_>) -> Result<(), ServiceError> {
        self.permit_in(actor, None, Scope::Platform, Operation::ManageMail)
            .await
            .map(|_| ())
    }

    /// The queued messages, newest first: the failed ones only, or all; at most `limit`.
    pub async fn outbox(
        &self,
        actor: Actor<'_>,
        failed_only: bool,
        limit: i64,
    ) -> Result<Vec<OutboxMail>, ServiceError> {
        self.mail_permit(actor).await?;
        let state = failed_only.then_some(OutboxState::Failed);
        Ok(self.store.outbox(state, limit).await?)
    }

    /// How many messages are pending, sent and failed.
    pub async fn outbox_counts(&self, actor: Actor<'_>) -> Result<OutboxCounts, ServiceError> {
        self.mail_permit(actor).await?;
        Ok(self.store.outbox_counts().await?)
    }

    /// Sends a failed message again: due now, with a fresh count of attempts (same
    /// `Message-ID`).
    pub async fn retry_mail(&self, actor: Actor<'_>, id: i64) -> Result<OutboxMail, ServiceError> {
        self.mail_permit(actor).await?;
        if !self.store.retry_failed_mail(id).await? {
            return Err(match self.store.outbox_mail(id).await? {
                None => ServiceError::NotFound("message"),
                Some(m) => ServiceError::Conflict(
                    Bilingual::new(format!(
                        "message {id} is {}: only a failed message is sent again",
                        m.state.as_str()
                    ))
                    .fr(format!(
                        "Le message {id} n'a pas échoué : seul un message en échec se renvoie."
                    )),
                ),
            });
        }
        self.mail_queued().await;
        self.store
            .outbox_mail(id)
            .await?
            .ok_or(ServiceError::NotFound("message"))
    }

    /// Sends one test message straight through the mailer (not queued) and answers what the
    /// server said (`vigie mail test`).
    pub async fn send_test_mail(&self, to: &str) -> Result<Sent, ServiceError> {
        let to = vigie_domain::Email::parse(to)?;
        Ok(self
            .mailer
            .send(&Message {
                to: to.as_str().to_owned(),
                subject: "Vigie : message d'essai / test message".into(),
                body: format!(
                    "Ce message d'essai montre que Vigie ({url}) peut envoyer des e-mails.\n\n\
                     ---\n\nThis test message shows that Vigie ({url}) can send e-mail.\n",
                    url = self.settings.public_url
                ),
                ..Message::default()
            })
            .await?)
    }

    /// Where messages go (never a password).
    pub fn mailer_description(&self) -> String {
        self.mailer.describe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let d = MailDelivery {
            retry_base_seconds: 30,
            retry_max_seconds: 300,
            ..MailDelivery::default()
        };
        let secs: Vec<i64> = (1..=6).map(|n| d.backoff(n).whole_seconds()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 300, 300]);
        assert_eq!(d.backoff(1000).whole_seconds(), 300);
    }
}
