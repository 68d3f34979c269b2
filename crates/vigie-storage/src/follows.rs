//! Who follows what, how they want to hear of it, and the daily digests waiting.
//!
//! A user follows requests (those they filed, supported or were assigned, and any they
//! chose) and places. Each kind of event reaches them at once, in the next daily digest, or
//! never ([`Delivery`]); what they did not choose takes the event's default. Only users whose
//! address is verified are ever written to.

use sqlx::Row as _;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use vigie_domain::notify::{Delivery, FollowEvent, FollowReason, Language};
use vigie_domain::{Pseudonym, TenantId, UserId};

use crate::outbox::enqueue_in;
use crate::{Backend, NewOutboxMail, Store, StoreError, now, parse_timestamp, timestamp};

/// What can be followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowTarget {
    /// A request, by id.
    Request(i64),
    /// A place, by id.
    Object(i64),
}

impl FollowTarget {
    fn parts(self) -> (&'static str, i64) {
        match self {
            FollowTarget::Request(id) => ("request", id),
            FollowTarget::Object(id) => ("object", id),
        }
    }
}

/// One thing a user follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follow {
    /// The collective.
    pub tenant: TenantId,
    /// What.
    pub target: FollowTarget,
    /// Why (`filed`, `supported`, `assigned`, `chosen`).
    pub reason: String,
    /// Since when.
    pub since: OffsetDateTime,
}

/// A follower to tell of an event, with how they want to hear of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follower {
    /// Who.
    pub user: UserId,
    /// Their (verified) address: private.
    pub email: String,
    /// Their public name (for the greeting).
    pub name: String,
    /// How the journal names them: their pseudonym's reference (`account:…`), resolved to
    /// their current name when read.
    pub journal_ref: String,
    /// The language of their messages.
    pub language: Language,
    /// How this kind of event reaches them.
    pub delivery: Delivery,
}

/// An event kept for a daily digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDigestItem {
    /// For whom.
    pub user: UserId,
    /// The collective.
    pub tenant: TenantId,
    /// The request, if any.
    pub request_id: Option<i64>,
    /// The kind of event.
    pub event: FollowEvent,
    /// One line saying what happened, in the user's language.
    pub line: String,
    /// Where to see it.
    pub link: String,
}

/// An event waiting in a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestItem {
    /// The collective.
    pub tenant: TenantId,
    /// The request.
    pub request_id: Option<i64>,
    /// Kind.
    pub event: String,
    /// What happened.
    pub line: String,
    /// Where to see it.
    pub link: String,
    /// When.
    pub at: OffsetDateTime,
}

fn follow_from_row(r: &AnyRow) -> Result<Follow, StoreError> {
    let target: String = r.try_get("target")?;
    let id: i64 = r.try_get("target_id")?;
    let since: String = r.try_get("since")?;
    Ok(Follow {
        tenant: TenantId(r.try_get("tenant_id")?),
        target: match target.as_str() {
            "object" => FollowTarget::Object(id),
            _ => FollowTarget::Request(id),
        },
        reason: r.try_get("reason")?,
        since: parse_timestamp(&since)?,
    })
}

impl Store {
    /// `user` follows `target` (nothing changes if they already did); `true` if it is new.
    pub async fn follow(
        &self,
        tenant: TenantId,
        user: UserId,
        target: FollowTarget,
        reason: FollowReason,
    ) -> Result<bool, StoreError> {
        let (kind, id) = target.parts();
        let done = sqlx::query(
            "INSERT INTO follows (user_id, tenant_id, target, target_id, reason, since) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, target, target_id) DO NOTHING",
        )
        .bind(user.0)
        .bind(tenant.0)
        .bind(kind)
        .bind(id)
        .bind(reason.as_str())
        .bind(now())
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done > 0)
    }

    /// `user` stops following `target`; `true` if they did.
    pub async fn unfollow(&self, user: UserId, target: FollowTarget) -> Result<bool, StoreError> {
        let (kind, id) = target.parts();
        let done = sqlx::query(
            "DELETE FROM follows WHERE user_id = $1 AND target = $2 AND target_id = $3",
        )
        .bind(user.0)
        .bind(kind)
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done > 0)
    }

    /// Whether `user` follows `target`.
    pub async fn follows_target(
        &self,
        user: UserId,
        target: FollowTarget,
    ) -> Result<bool, StoreError> {
        let (kind, id) = target.parts();
        Ok(sqlx::query(
            "SELECT 1 FROM follows WHERE user_id = $1 AND target = $2 AND target_id = $3",
        )
        .bind(user.0)
        .bind(kind)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .is_some())
    }

    /// What `user` follows, newest first.
    pub async fn follows_of(&self, user: UserId) -> Result<Vec<Follow>, StoreError> {
        let rows = sqlx::query(
            "SELECT tenant_id, target, target_id, reason, since FROM follows WHERE user_id = $1 \
             ORDER BY since DESC, target, target_id",
        )
        .bind(user.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(follow_from_row).collect()
    }

    /// The verified followers of a request or of a place, with how `event` reaches them.
    pub async fn followers(
        &self,
        of: FollowTarget,
        event: FollowEvent,
    ) -> Result<Vec<Follower>, StoreError> {
        let (kind, id) = of.parts();
        let rows = sqlx::query(
            "SELECT u.id, u.email, u.display_name, u.pseudonym, u.language, c.mode FROM follows f \
             JOIN users u ON u.id = f.user_id \
             LEFT JOIN notification_choices c ON c.user_id = f.user_id AND c.event = $3 \
             WHERE f.target = $1 AND f.target_id = $2 AND u.email_verified_at IS NOT NULL \
             ORDER BY u.id",
        )
        .bind(kind)
        .bind(id)
        .bind(event.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let mode: Option<String> = r.try_get("mode")?;
                let language: String = r.try_get("language")?;
                let pseudonym: Option<String> = r.try_get("pseudonym")?;
                Ok(Follower {
                    user: UserId(r.try_get("id")?),
                    email: r.try_get("email")?,
                    name: r.try_get("display_name")?,
                    journal_ref: pseudonym
                        .as_deref()
                        .and_then(|p| Pseudonym::parse(p).ok())
                        .map_or_else(|| "account".to_owned(), |p| p.journal_ref()),
                    language: Language::parse(&language),
                    delivery: mode
                        .as_deref()
                        .and_then(Delivery::parse)
                        .unwrap_or(event.default_delivery()),
                })
            })
            .collect()
    }

    /// How each kind of event reaches `user` (defaults included).
    pub async fn notification_choices(
        &self,
        user: UserId,
    ) -> Result<Vec<(FollowEvent, Delivery)>, StoreError> {
        let rows = sqlx::query("SELECT event, mode FROM notification_choices WHERE user_id = $1")
            .bind(user.0)
            .fetch_all(&self.pool)
            .await?;
        let mut chosen = Vec::new();
        for r in &rows {
            let event: String = r.try_get("event")?;
            let mode: String = r.try_get("mode")?;
            if let (Some(e), Some(d)) = (FollowEvent::parse(&event), Delivery::parse(&mode)) {
                chosen.push((e, d));
            }
        }
        Ok(FollowEvent::ALL
            .into_iter()
            .map(|e| {
                let d = chosen
                    .iter()
                    .find(|(c, _)| *c == e)
                    .map_or(e.default_delivery(), |(_, d)| *d);
                (e, d)
            })
            .collect())
    }

    /// Sets how `event` reaches `user`.
    pub async fn set_notification_choice(
        &self,
        user: UserId,
        event: FollowEvent,
        delivery: Delivery,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO notification_choices (user_id, event, mode) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, event) DO UPDATE SET mode = excluded.mode",
        )
        .bind(user.0)
        .bind(event.as_str())
        .bind(delivery.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The language of `user`'s messages.
    pub async fn user_language(&self, user: UserId) -> Result<Language, StoreError> {
        let row = sqlx::query("SELECT language FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Language::parse(&r.try_get::<String, _>(0)?),
            None => Language::Fr,
        })
    }

    /// Sets the language of `user`'s messages.
    pub async fn set_user_language(&self, user: UserId, lang: Language) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET language = $1 WHERE id = $2")
            .bind(lang.as_str())
            .bind(user.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a one-click link's key (its hash): it stops `event` (`None`: every kind) for
    /// `user`.
    pub async fn insert_notification_key(
        &self,
        user: UserId,
        key_hash: &str,
        event: Option<FollowEvent>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO notification_keys (key_hash, user_id, event, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(key_hash)
        .bind(user.0)
        .bind(event.map(FollowEvent::as_str))
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whose one-click link `key_hash` is, and what it stops (`None`: every kind).
    pub async fn notification_key(
        &self,
        key_hash: &str,
    ) -> Result<Option<(UserId, Option<FollowEvent>)>, StoreError> {
        let row = sqlx::query("SELECT user_id, event FROM notification_keys WHERE key_hash = $1")
            .bind(key_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let event: Option<String> = r.try_get("event")?;
            Ok((
                UserId(r.try_get("user_id")?),
                event.as_deref().and_then(FollowEvent::parse),
            ))
        })
        .transpose()
    }

    /// Queues the messages and digest lines of one event together: all or none.
    pub async fn queue_notifications(
        &self,
        mails: &[NewOutboxMail],
        digest: &[NewDigestItem],
    ) -> Result<(), StoreError> {
        if mails.is_empty() && digest.is_empty() {
            return Ok(());
        }
        let (turn, mut tx) = self.begin_write().await?;
        let notices = crate::Notices {
            mails: mails.to_vec(),
            digest: digest.to_vec(),
        };
        queue_in(&mut tx, &notices).await?;
        tx.commit().await?;
        drop(turn);
        Ok(())
    }

    /// The users with digest lines older than `before` not sent yet.
    pub async fn users_with_digest(
        &self,
        before: OffsetDateTime,
    ) -> Result<Vec<UserId>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT user_id FROM digest_items WHERE sent_at IS NULL AND at < $1 \
             ORDER BY user_id",
        )
        .bind(timestamp(before))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(UserId(r.try_get(0)?))).collect()
    }

    /// Takes `user`'s digest lines older than `before` and queues the one message `compose`
    /// makes of them, in one transaction: with several servers, each line goes in one digest
    /// only. `false` when there was nothing (left) to send.
    pub async fn send_digest(
        &self,
        user: UserId,
        before: OffsetDateTime,
        compose: impl FnOnce(&[DigestItem]) -> Option<NewOutboxMail>,
    ) -> Result<bool, StoreError> {
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let (turn, mut tx) = self.begin_write().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, tenant_id, request_id, event, line, link, at FROM digest_items \
             WHERE user_id = $1 AND sent_at IS NULL AND at < $2 ORDER BY at, id{lock}"
        )))
        .bind(user.0)
        .bind(timestamp(before))
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(false);
        }
        let mut ids = Vec::with_capacity(rows.len());
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            ids.push(r.try_get::<i64, _>("id")?);
            let at: String = r.try_get("at")?;
            items.push(DigestItem {
                tenant: TenantId(r.try_get("tenant_id")?),
                request_id: r.try_get("request_id")?,
                event: r.try_get("event")?,
                line: r.try_get("line")?,
                link: r.try_get("link")?,
                at: parse_timestamp(&at)?,
            });
        }
        let sent = now();
        for id in &ids {
            sqlx::query("UPDATE digest_items SET sent_at = $1 WHERE id = $2")
                .bind(&sent)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(mail) = compose(&items) {
            enqueue_in(&mut tx, &mail).await?;
        }
        tx.commit().await?;
        drop(turn);
        Ok(true)
    }
}

/// Queues followers' messages and digest lines in `tx`: they go if and only if it commits.
pub(crate) async fn queue_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    notices: &crate::Notices,
) -> Result<(), StoreError> {
    for mail in &notices.mails {
        enqueue_in(tx, mail).await?;
    }
    let at = now();
    for item in &notices.digest {
        sqlx::query(
            "INSERT INTO digest_items (user_id, tenant_id, request_id, event, line, link, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(item.user.0)
        .bind(item.tenant.0)
        .bind(item.request_id)
        .bind(item.event.as_str())
        .bind(&item.line)
        .bind(&item.link)
        .bind(&at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
