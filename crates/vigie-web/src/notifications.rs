//! Following and notification choices: the follow buttons of requests and places, the
//! « Mes notifications » page, and the one-click stop link every notification carries.

use minijinja::context;
use poem::http::StatusCode;
use poem::web::{Data, Form, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;
use serde_json::json;
use vigie_domain::notify::{Delivery, FollowEvent, Language};
use vigie_services::{Actor, FollowTarget, NotificationSettings};

use crate::WebState;
use vigie_http::Caller;

use crate::page::{Page, redirect};

/// A follow button's form.
#[derive(Debug, Deserialize)]
pub struct FollowForm {
    /// `1` to follow, `0` to stop.
    follow: String,
}

async fn set_follow(
    req: &Request,
    state: &WebState,
    caller: Caller,
    slug: &str,
    target: FollowTarget,
    follow: bool,
    back: String,
) -> Response {
    let page = Page::new(state, req, caller);
    if page.caller.user.is_none() {
        return redirect(&format!("/login?next={back}"));
    }
    let me = page.caller.principal();
    let result = async {
        let services = page.services();
        let tenant = services.tenant(slug).await?;
        if follow {
            services
                .follow(Actor::Principal(&me), &tenant, target)
                .await
        } else {
            services.unfollow(Actor::Principal(&me), target).await
        }
    }
    .await;
    match result {
        Ok(_) => redirect(&back),
        Err(e) => page.error_page(&e),
    }
}

/// Follows or stops following a request.
#[handler]
pub async fn follow_request(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<FollowForm>,
) -> Response {
    let back = format!("/t/{slug}/r/{id}");
    set_follow(
        req,
        &state,
        caller,
        &slug,
        FollowTarget::Request(id),
        f.follow == "1",
        back,
    )
    .await
}

/// Follows or stops following a place.
#[handler]
pub async fn follow_object(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<FollowForm>,
) -> Response {
    let back = format!("/t/{slug}/o/{id}");
    set_follow(
        req,
        &state,
        caller,
        &slug,
        FollowTarget::Object(id),
        f.follow == "1",
        back,
    )
    .await
}

fn settings_ctx(page: &Page<'_>, s: &NotificationSettings) -> serde_json::Value {
    let lang = page_language(page);
    let choices: Vec<_> = s
        .choices
        .iter()
        .map(|(e, d)| {
            json!({
                "event": e.as_str(),
                "label": e.label(lang),
                "options": Delivery::ALL.iter().map(|o| json!({
                    "value": o.as_str(),
                    "label": o.label(lang),
                    "checked": o == d,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let follows: Vec<_> = s
        .follows
        .iter()
        .map(|f| {
            let (kind, id) = match f.target {
                FollowTarget::Request(id) => ("r", id),
                FollowTarget::Object(id) => ("o", id),
            };
            json!({ "kind": kind, "id": id, "tenant": f.tenant.0, "reason": f.reason })
        })
        .collect();
    json!({
        "language": s.language.as_str(),
        "choices": choices,
        "follows": follows,
    })
}

fn page_language(page: &Page<'_>) -> Language {
    if page.lang.code() == "en" {
        Language::En
    } else {
        Language::Fr
    }
}

/// « Mes notifications ».
#[handler]
pub async fn settings_page(req: &Request, state: Data<&WebState>, caller: Caller) -> Response {
    if caller.user.is_none() {
        return redirect("/login?next=/account/notifications");
    }
    let page = Page::new(&state, req, caller);
    let me = page.caller.principal();
    match page
        .services()
        .notification_settings(Actor::Principal(&me))
        .await
    {
        Ok(s) => {
            let follows = follow_rows(&page, &s).await;
            page.render(
                StatusCode::OK,
                "notifications.html",
                context! { n => settings_ctx(&page, &s), follows => follows },
            )
        }
        Err(e) => page.error_page(&e),
    }
}

/// The follows with their collectives' slugs, for links.
async fn follow_rows(page: &Page<'_>, s: &NotificationSettings) -> Vec<serde_json::Value> {
    let mut rows = Vec::new();
    for f in &s.follows {
        let Ok(Some(t)) = page.services().tenant_by_id(f.tenant).await else {
            continue;
        };
        let (kind, id) = match f.target {
            FollowTarget::Request(id) => ("r", id),
            FollowTarget::Object(id) => ("o", id),
        };
        rows.push(json!({
            "href": format!("/t/{}/{kind}/{id}", t.slug),
            "action": format!("/t/{}/{kind}/{id}/follow", t.slug),
            "kind": kind,
            "id": id,
            "tenant": t.name,
            "reason": f.reason,
        }));
    }
    rows
}

/// Saves the choices of « Mes notifications » (every field is `event=mode`, plus
/// `language`).
#[handler]
pub async fn save_settings(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if caller.user.is_none() {
        return redirect("/login?next=/account/notifications");
    }
    let page = Page::new(&state, req, caller);
    let me = page.caller.principal();
    let mut language = None;
    let mut choices = Vec::new();
    for (k, v) in &form {
        if k == "language" {
            language = Some(Language::parse(v));
        } else if let (Some(e), Some(d)) = (FollowEvent::parse(k), Delivery::parse(v)) {
            choices.push((e, d));
        }
    }
    match page
        .services()
        .set_notification_settings(Actor::Principal(&me), language, &choices)
        .await
    {
        Ok(s) => {
            let follows = follow_rows(&page, &s).await;
            page.render(
                StatusCode::OK,
                "notifications.html",
                context! { n => settings_ctx(&page, &s), follows => follows, flash => page.lang.t("saved") },
            )
        }
        Err(e) => page.error_page(&e),
    }
}

/// A stop link's key.
#[derive(Debug, Deserialize)]
pub struct StopQuery {
    key: Option<String>,
}

fn stop_words(page: &Page<'_>, event: Option<FollowEvent>) -> String {
    let lang = page_language(page);
    match event {
        Some(e) => e.label(lang).to_owned(),
        None => lang
            .pick("Tous les messages de suivi", "Every follow-up message")
            .to_owned(),
    }
}

/// The page a stop link opens: it says what the button will stop (a link opened by a mail
/// scanner changes nothing).
#[handler]
pub async fn stop_page(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Query(q): Query<StopQuery>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let key = q.key.unwrap_or_default();
    match page.services().stop_link(&key).await {
        Ok(link) => page.render(
            StatusCode::OK,
            "stop.html",
            context! { key => key, what => stop_words(&page, link.event), done => false },
        ),
        Err(e) => page.error_page(&e),
    }
}

/// Stops what the link names: from the page's button, or in one click from a mail client
/// (RFC 8058 `List-Unsubscribe-Post`).
#[handler]
pub async fn stop(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Query(q): Query<StopQuery>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let key = q.key.unwrap_or_default();
    match page.services().stop_by_link(&key).await {
        Ok(link) => page.render(
            StatusCode::OK,
            "stop.html",
            context! { what => stop_words(&page, link.event), done => true },
        ),
        Err(e) => page.error_page(&e),
    }
}
