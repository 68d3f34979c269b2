//! Following and notification choices for the signed-in user:
//!
//! - `GET`/`PUT /me/notifications`: the language of my messages and how each kind of event
//!   reaches me (`immediately`, `daily` or `never`), with what I follow;
//! - `PUT`/`DELETE /tenants/{slug}/requests/{id}/follow` and `…/objects/{id}/follow`.

use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Path, payload::Json};
use vigie_domain::DomainError;
use vigie_domain::notify::{Delivery, FollowEvent, Language};
use vigie_services::{Actor, FollowTarget, NotificationSettings, ServiceError};

use crate::session::Caller;
use crate::{ApiError, ApiState, ApiTags};

/// How one kind of event reaches me.
#[derive(Debug, Object)]
pub struct NotificationChoice {
    /// `status`, `answer`, `assignment`, `new_request` or `badge`.
    pub event: String,
    /// `immediately`, `daily` (one digest a day) or `never`.
    pub delivery: String,
}

/// Something I follow.
#[derive(Debug, Object)]
pub struct FollowView {
    /// `request` or `object`.
    pub target: String,
    /// Its id.
    pub id: i64,
    /// Why: `filed`, `supported`, `assigned` or `chosen`.
    pub reason: String,
    /// Since when, RFC 3339.
    pub since: String,
}

/// My notification settings.
#[derive(Debug, Object)]
pub struct NotificationSettingsView {
    /// `fr` or `en`.
    pub language: String,
    /// Every kind of event, with how it reaches me.
    pub choices: Vec<NotificationChoice>,
    /// What I follow, newest first.
    pub follows: Vec<FollowView>,
}

impl From<NotificationSettings> for NotificationSettingsView {
    fn from(s: NotificationSettings) -> Self {
        Self {
            language: s.language.as_str().to_owned(),
            choices: s
                .choices
                .into_iter()
                .map(|(e, d)| NotificationChoice {
                    event: e.as_str().to_owned(),
                    delivery: d.as_str().to_owned(),
                })
                .collect(),
            follows: s
                .follows
                .into_iter()
                .map(|f| {
                    let (target, id) = match f.target {
                        FollowTarget::Request(id) => ("request", id),
                        FollowTarget::Object(id) => ("object", id),
                    };
                    FollowView {
                        target: target.to_owned(),
                        id,
                        reason: f.reason,
                        since: vigie_storage::timestamp(f.since),
                    }
                })
                .collect(),
        }
    }
}

/// A change of my settings: what is left out stays as it is.
#[derive(Debug, Object)]
pub struct NotificationSettingsPatch {
    /// `fr` or `en`.
    pub language: Option<String>,
    /// Kinds of events to set.
    #[oai(default)]
    pub choices: Vec<NotificationChoice>,
}

/// Whether I follow something.
#[derive(Debug, Object)]
pub struct FollowState {
    /// `true` once followed.
    pub following: bool,
}

fn invalid(field: &'static str, en: String, fr: String) -> ApiError {
    ServiceError::from(DomainError::invalid(field, en).fr(fr)).into()
}

/// Following and notification choices.
pub struct NotificationsApi;

#[OpenApi(tag = "ApiTags::Accounts")]
impl NotificationsApi {
    /// My notification settings
    #[oai(
        path = "/me/notifications",
        method = "get",
        operation_id = "my_notifications"
    )]
    async fn settings(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
    ) -> Result<Json<NotificationSettingsView>, ApiError> {
        let me = caller.principal();
        Ok(Json(
            state
                .services
                .notification_settings(Actor::Principal(&me))
                .await?
                .into(),
        ))
    }

    /// Change my notification settings
    #[oai(
        path = "/me/notifications",
        method = "put",
        operation_id = "set_my_notifications"
    )]
    async fn set_settings(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        body: Json<NotificationSettingsPatch>,
    ) -> Result<Json<NotificationSettingsView>, ApiError> {
        let language = match body.language.as_deref() {
            None => None,
            Some(l @ ("fr" | "en")) => Some(Language::parse(l)),
            Some(other) => {
                return Err(invalid(
                    "language",
                    format!("unknown language '{other}': use fr or en"),
                    format!("Langue inconnue « {other} » : fr ou en."),
                ));
            }
        };
        let mut choices = Vec::new();
        for c in &body.choices {
            let event = FollowEvent::parse(&c.event).ok_or_else(|| {
                invalid(
                    "choices.event",
                    format!(
                        "unknown event '{}': use status, answer, assignment, new_request or badge",
                        c.event
                    ),
                    format!(
                        "Événement inconnu « {} » : status, answer, assignment, new_request ou badge.",
                        c.event
                    ),
                )
            })?;
            let delivery = Delivery::parse(&c.delivery).ok_or_else(|| {
                invalid(
                    "choices.delivery",
                    format!(
                        "unknown delivery '{}': use immediately, daily or never",
                        c.delivery
                    ),
                    format!(
                        "Choix inconnu « {} » : immediately, daily ou never.",
                        c.delivery
                    ),
                )
            })?;
            choices.push((event, delivery));
        }
        let me = caller.principal();
        Ok(Json(
            state
                .services
                .set_notification_settings(Actor::Principal(&me), language, &choices)
                .await?
                .into(),
        ))
    }

    /// Follow a request
    #[oai(
        path = "/tenants/:slug/requests/:id/follow",
        method = "put",
        operation_id = "follow_request"
    )]
    async fn follow_request(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
    ) -> Result<Json<FollowState>, ApiError> {
        follow(&state, &caller, &slug, FollowTarget::Request(*id), true).await
    }

    /// Stop following a request
    #[oai(
        path = "/tenants/:slug/requests/:id/follow",
        method = "delete",
        operation_id = "unfollow_request"
    )]
    async fn unfollow_request(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
    ) -> Result<Json<FollowState>, ApiError> {
        follow(&state, &caller, &slug, FollowTarget::Request(*id), false).await
    }

    /// Follow a place (hear of its new requests)
    #[oai(
        path = "/tenants/:slug/objects/:id/follow",
        method = "put",
        operation_id = "follow_object"
    )]
    async fn follow_object(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
    ) -> Result<Json<FollowState>, ApiError> {
        follow(&state, &caller, &slug, FollowTarget::Object(*id), true).await
    }

    /// Stop following a place
    #[oai(
        path = "/tenants/:slug/objects/:id/follow",
        method = "delete",
        operation_id = "unfollow_object"
    )]
    async fn unfollow_object(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
    ) -> Result<Json<FollowState>, ApiError> {
        follow(&state, &caller, &slug, FollowTarget::Object(*id), false).await
    }
}

async fn follow(
    state: &ApiState,
    caller: &Caller,
    slug: &str,
    target: FollowTarget,
    on: bool,
) -> Result<Json<FollowState>, ApiError> {
    let me = caller.principal();
    let tenant = state.services.tenant(slug).await?;
    if on {
        state
            .services
            .follow(Actor::Principal(&me), &tenant, target)
            .await?;
    } else {
        state
            .services
            .unfollow(Actor::Principal(&me), target)
            .await?;
    }
    Ok(Json(FollowState { following: on }))
}
