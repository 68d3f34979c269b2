//! Following requests and places, choosing how each kind of event reaches you, the daily
//! digest, and the one-click link in every message that stops a kind.

use time::OffsetDateTime;
use vigie_domain::notify::{Delivery, FollowEvent, FollowReason, Language};
use vigie_domain::{Bilingual, Principal, UserId};
use vigie_storage::{
    DigestItem, Follow, FollowTarget, NewDigestItem, NewOutboxMail, Notices, RequestRecord, Tenant,
};

use crate::accounts::{random_token, token_hash};
use crate::actor::Actor;
use crate::notices::{About, Letter, Recipient};
use crate::{ServiceError, Services};

/// What one event says, in a language: the message sent at once, and its line in a digest.
pub(crate) type EventWords<'a> = &'a (dyn Fn(Language) -> (Letter, String) + Send + Sync);

/// A user's notification settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationSettings {
    /// The language of their messages.
    pub language: Language,
    /// How each kind of event reaches them.
    pub choices: Vec<(FollowEvent, Delivery)>,
    /// What they follow, newest first.
    pub follows: Vec<Follow>,
}

/// What a one-click link stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopLink {
    /// Whose link.
    pub user: UserId,
    /// The kind it stops (`None`: every kind).
    pub event: Option<FollowEvent>,
}

impl Services {
    fn signed_in(actor: Actor<'_>) -> Result<UserId, ServiceError> {
        match actor {
            Actor::Principal(Principal::User { id, .. }) => Ok(*id),
            _ => Err(ServiceError::Unauthenticated(
                Bilingual::new("sign in to follow requests and places")
                    .fr("Connectez-vous pour suivre des demandes et des lieux."),
            )),
        }
    }

    /// Follows a request or a place of the collective (the signed-in user), by choice.
    pub async fn follow(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        target: FollowTarget,
    ) -> Result<bool, ServiceError> {
        let user = Self::signed_in(actor)?;
        match target {
            FollowTarget::Request(id) => {
                let request = self.request(tenant, id).await?;
                let principal = match actor {
                    Actor::Principal(p) => p,
                    Actor::Operator => &Principal::Anonymous,
                };
                if !self
                    .may_read_request(principal, None, tenant, &request)
                    .await?
                {
                    return Err(ServiceError::Forbidden(
                        Bilingual::new("this request awaits moderation: follow it once published")
                            .fr("Cette demande attend la modération : suivez-la une fois publiée."),
                    ));
                }
            }
            FollowTarget::Object(id) => {
                self.object(tenant, id).await?;
            }
        }
        Ok(self
            .store
            .follow(tenant.id, user, target, FollowReason::Chosen)
            .await?)
    }

    /// Stops following a request or a place.
    pub async fn unfollow(
        &self,
        actor: Actor<'_>,
        target: FollowTarget,
    ) -> Result<bool, ServiceError> {
        let user = Self::signed_in(actor)?;
        Ok(self.store.unfollow(user, target).await?)
    }

    /// Whether the signed-in user follows `target` (`false` when signed out).
    pub async fn is_following(
        &self,
        actor: Actor<'_>,
        target: FollowTarget,
    ) -> Result<bool, ServiceError> {
        match Self::signed_in(actor) {
            Ok(user) => Ok(self.store.follows_target(user, target).await?),
            Err(_) => Ok(false),
        }
    }

    /// The signed-in user's notification settings.
    pub async fn notification_settings(
        &self,
        actor: Actor<'_>,
    ) -> Result<NotificationSettings, ServiceError> {
        let user = Self::signed_in(actor)?;
        Ok(NotificationSettings {
            language: self.store.user_language(user).await?,
            choices: self.store.notification_choices(user).await?,
            follows: self.store.follows_of(user).await?,
        })
    }

    /// Sets the signed-in user's language and how each kind of event reaches them (kinds not
    /// named keep their setting).
    pub async fn set_notification_settings(
        &self,
        actor: Actor<'_>,
        language: Option<Language>,
        choices: &[(FollowEvent, Delivery)],
    ) -> Result<NotificationSettings, ServiceError> {
        let user = Self::signed_in(actor)?;
        if let Some(lang) = language {
            self.store.set_user_language(user, lang).await?;
        }
        for (event, delivery) in choices {
            self.store
                .set_notification_choice(user, *event, *delivery)
                .await?;
        }
        self.notification_settings(actor).await
    }

    /// What a one-click link stops, if it is one.
    pub async fn stop_link(&self, key: &str) -> Result<StopLink, ServiceError> {
        let (user, event) = self
            .store
            .notification_key(&token_hash(key.trim()))
            .await?
            .ok_or(ServiceError::NotFound("link"))?;
        Ok(StopLink { user, event })
    }

    /// Follows a one-click link: its kind of event (or every kind) is never sent again to its
    /// user. Answers what it stopped.
    pub async fn stop_by_link(&self, key: &str) -> Result<StopLink, ServiceError> {
        let link = self.stop_link(key).await?;
        let events = match link.event {
            Some(e) => vec![e],
            None => FollowEvent::ALL.to_vec(),
        };
        for e in events {
            self.store
                .set_notification_choice(link.user, e, Delivery::Never)
                .await?;
        }
        Ok(link)
    }

    /// A one-click link for `user` that stops `event` (`None`: every kind).
    pub(crate) async fn new_stop_link(
        &self,
        user: UserId,
        event: Option<FollowEvent>,
    ) -> Result<String, ServiceError> {
        let key = random_token();
        self.store
            .insert_notification_key(user, &token_hash(&key), event)
            .await?;
        Ok(format!(
            "{}/notifications/stop?key={key}",
            self.settings.public_url
        ))
    }

    /// What the followers of `request` (or of its place, for a new request) hear of an
    /// event, each as they chose: a message now, a line in tomorrow's digest, or nothing.
    /// `except` (who caused it) is not told. Nothing is queued here: the notices go with the
    /// journal entry of the change ([`vigie_storage::JournalNote::with_notices`]), in its
    /// transaction.
    pub(crate) async fn follower_notices(
        &self,
        tenant: &Tenant,
        request: &RequestRecord,
        event: FollowEvent,
        except: &[UserId],
        words: EventWords<'_>,
    ) -> Result<Notices, ServiceError> {
        // A new request is news for the followers of its place; the rest, for the request's.
        let of = match event {
            FollowEvent::NewRequest => FollowTarget::Object(request.object_id),
            _ => FollowTarget::Request(request.id),
        };
        let followers = self.store.followers(of, event).await?;
        let mut mails: Vec<NewOutboxMail> = Vec::new();
        let mut digest = Vec::new();
        let link = self.public_request_link(tenant, request.id);
        for f in followers {
            if except.contains(&f.user) {
                continue;
            }
            match f.delivery {
                Delivery::Never => {}
                Delivery::Daily => digest.push(NewDigestItem {
                    user: f.user,
                    tenant: tenant.id,
                    request_id: Some(request.id),
                    event,
                    line: words(f.language).1,
                    link: link.clone(),
                }),
                Delivery::Immediately => {
                    let lang = f.language;
                    let stop = self.new_stop_link(f.user, Some(event)).await?;
                    let letter = words(lang)
                        .0
                        .greet(&f.name)
                        .footer(lang.pick(
                            "Vous recevez ce message parce que vous suivez cette demande ou ce lieu.",
                            "You get this message because you follow this request or place.",
                        ))
                        .footer(format!(
                            "{} : {stop}",
                            lang.pick(
                                "Ne plus recevoir ce type de message",
                                "Stop this kind of message"
                            )
                        ))
                        .footer(format!(
                            "{} : {}/account/notifications",
                            lang.pick("Vos choix", "Your choices"),
                            self.settings.public_url
                        ));
                    mails.push(self.outbox_letter(
                        &Recipient {
                            address: &f.email,
                            label: Some(f.journal_ref.clone()),
                        },
                        &letter,
                        "notification",
                        Some(About {
                            tenant,
                            request_id: Some(request.id),
                        }),
                        Some(stop),
                    ));
                }
            }
        }
        Ok(Notices { mails, digest })
    }

    /// After a change carrying `notices` was made: wakes the mail worker if they hold mail.
    pub(crate) async fn notices_queued(&self, notices: &Notices) {
        if !notices.mails.is_empty() {
            self.mail_queued().await;
        }
    }

    /// A request's public address.
    pub(crate) fn public_request_link(&self, tenant: &Tenant, id: i64) -> String {
        format!("{}/t/{}/r/{id}", self.settings.public_url, tenant.slug)
    }

    /// Sends every digest holding lines older than `before`: one message per user gathering
    /// them. Safe with several servers (a line goes in one digest). Returns how many went.
    pub async fn send_digests(&self, before: OffsetDateTime) -> Result<usize, ServiceError> {
        let mut sent = 0;
        for user in self.store.users_with_digest(before).await? {
            let Some(account) = self.store.user_by_id(user).await? else {
                continue;
            };
            let Some(email) = account.verified_email().map(|e| e.as_str().to_owned()) else {
                continue;
            };
            let lang = self.store.user_language(user).await?;
            let stop = self.new_stop_link(user, None).await?;
            let name = account.display_name.as_str().to_owned();
            let prefs = format!("{}/account/notifications", self.settings.public_url);
            let compose = |items: &[DigestItem]| -> Option<NewOutboxMail> {
                let letter = digest_letter(lang, &name, items, &stop, &prefs);
                let mut mail = self.outbox_letter(
                    &Recipient {
                        address: &email,
                        label: None,
                    },
                    &letter,
                    "digest",
                    None,
                    Some(stop.clone()),
                );
                mail.from_name = Some("Vigie".into());
                Some(mail)
            };
            if self.store.send_digest(user, before, compose).await? {
                sent += 1;
            }
        }
        if sent > 0 {
            self.mail_queued().await;
        }
        Ok(sent)
    }
}

/// One message for a day's events.
fn digest_letter(
    lang: Language,
    name: &str,
    items: &[DigestItem],
    stop: &str,
    prefs: &str,
) -> Letter {
    let subject = match lang {
        Language::Fr => format!("Vigie : {} nouvelles de ce que vous suivez", items.len()),
        Language::En => format!("Vigie: {} updates on what you follow", items.len()),
    };
    let mut letter = Letter::new(lang, subject).greet(name).say(lang.pick(
        "Voici ce qui s'est passé depuis le dernier résumé :",
        "Here is what happened since the last digest:",
    ));
    for item in items {
        letter = letter.say(format!("• {}\n  {}", item.line, item.link));
    }
    letter
        .footer(lang.pick(
            "Vous recevez ce résumé parce que vous l'avez choisi pour ces événements.",
            "You get this digest because you chose it for these events.",
        ))
        .footer(format!(
            "{} : {stop}",
            lang.pick("Ne plus rien recevoir", "Stop every message")
        ))
        .footer(format!(
            "{} : {prefs}",
            lang.pick("Vos choix", "Your choices")
        ))
}
