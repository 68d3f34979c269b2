//! Page handlers.

use minijinja::{Value, context};
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;
use vigie_authz::Authorizer;
use vigie_http::Caller;
use vigie_http::session::{clear_session_cookie, session_cookie};
use vigie_services::{ServiceError, SessionToken};
use vigie_storage::RoleEventAction;

use crate::page::{Page, redirect};
use crate::{Lang, WebState};

/// The page answering a body larger than its route accepts (413), in the visitor's language,
/// for the edge's body limit (it gets the request's head, never its body).
pub fn payload_too_large(
    state: &WebState,
    req: &Request,
    too_large: vigie_http::TooLarge,
) -> Response {
    let caller = req
        .extensions()
        .get::<Caller>()
        .cloned()
        .unwrap_or_default();
    Page::new(state, req, caller).too_large(too_large.limit)
}

/// The page answering an upload that found no free slot (503), in the visitor's language.
pub fn busy_page(state: &WebState, req: &Request) -> Response {
    let caller = req
        .extensions()
        .get::<Caller>()
        .cloned()
        .unwrap_or_default();
    let page = Page::new(state, req, caller);
    let text = page.lang.t("busy");
    page.render(
        StatusCode::SERVICE_UNAVAILABLE,
        "message.html",
        context! { error => text },
    )
}

/// Adds `Retry-After` to the answer of an error that says when to try again.
fn with_retry_after(mut resp: Response, e: &ServiceError) -> Response {
    if let Some(secs) = e.retry_after_secs()
        && let Ok(v) = secs.to_string().parse()
    {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

fn role_label(lang: Lang, role: vigie_domain::Role) -> &'static str {
    lang.t(&format!("role_{}", role.as_str()))
}

#[handler]
pub async fn home_page(req: &Request, state: Data<&WebState>, caller: Caller) -> Response {
    let page = Page::new(&state, req, caller);
    let result = async {
        let tenants = state.services.tenants().await?;
        let admin = state
            .services
            .may_administer_platform(&page.caller.principal())
            .await?;
        Ok::<_, ServiceError>((tenants, admin))
    }
    .await;
    match result {
        Ok((tenants, admin)) => {
            let list: Vec<Value> = tenants.iter().map(|t| page.tenant_ctx(t)).collect();
            page.render(
                StatusCode::OK,
                "home.html",
                context! { tenants => list, platform_admin => admin },
            )
        }
        Err(e) => {
            let (status, text) = page.error(&e);
            page.render(status, "message.html", context! { error => text })
        }
    }
}

/// Places listed a page on the collective page.
const PLACES_PER_PAGE: usize = 100;

/// The number in `?page=N` (1 when absent or not a number).
fn page_number(req: &Request) -> usize {
    req.uri()
        .query()
        .and_then(|q| {
            q.split('&')
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| *k == "page")
                .and_then(|(_, v)| v.parse::<usize>().ok())
        })
        .unwrap_or(1)
        .clamp(1, 1_000_000)
}

#[handler]
pub async fn tenant_page(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Response {
    // The list shows the places' open requests: any change of the collective shows.
    let scope = state
        .services
        .tenant_id(&slug)
        .await
        .ok()
        .map(vigie_services::ReadScope::AnyOf);
    let key = format!("t/{slug}?{}", req.uri().query().unwrap_or_default());
    let shown = caller.clone();
    crate::cached::page(&state, req, &caller, &key, scope, || {
        render_tenant(&state, req, shown, slug.clone())
    })
    .await
}

async fn render_tenant(state: &WebState, req: &Request, caller: Caller, slug: String) -> Response {
    let page = Page::new(state, req, caller);
    let number = page_number(req);
    let pairs = crate::map::params(req);
    let result = async {
        let tenant = state.services.tenant(&slug).await?;
        let holders = state.services.role_holders(Some(&tenant)).await?;
        let index = state.services.map_index(&tenant).await?;
        // The links to the Gurus' and Garants' pages, for those who may use them.
        let principal = page.caller.principal();
        let can = context! {
            settings => state.services.may_administer_tenant(&principal, &tenant).await?,
            garant => !state.services.official_types(&principal, &tenant).await?.is_empty(),
        };
        Ok::<_, ServiceError>((tenant, holders, index, can))
    }
    .await;
    match result {
        Ok((tenant, holders, index, can)) => {
            let lang = page.lang;
            let principal = page.caller.principal();
            let mut my_roles: Vec<&str> = Vec::new();
            if principal.user_id().is_some() {
                my_roles.extend(
                    Authorizer::implicit_roles(&principal, Some(&tenant))
                        .into_iter()
                        .map(|r| role_label(lang, r)),
                );
                my_roles.extend(
                    holders
                        .iter()
                        .filter(|h| Some(h.user_id) == principal.user_id())
                        .map(|h| role_label(lang, h.role)),
                );
            }
            let holders: Vec<Value> = holders
                .iter()
                .map(|h| {
                    let mut parts = h.domain_pattern.splitn(3, '/').skip(1);
                    let ty = parts.next();
                    let id = parts.next().and_then(|p| p.parse().ok());
                    context! {
                        role => role_label(lang, h.role),
                        name => &h.user_name,
                        scope => page.scope_label(ty, id),
                    }
                })
                .collect();
            // A filter that does not read is shown above the form, with every place listed.
            let (filter, filter_error) = match crate::map::filter(&index, &pairs) {
                Ok(f) => (f, None),
                Err(e) => (vigie_services::MapFilter::default(), Some(page.error(&e).1)),
            };
            let listed = index.list(
                &filter,
                (number - 1).saturating_mul(PLACES_PER_PAGE),
                PLACES_PER_PAGE,
            );
            let pages = listed.total.div_ceil(PLACES_PER_PAGE).max(1);
            let query = crate::map::query_without_page(&pairs);
            let link = |n: usize| {
                let mut q = query.clone();
                if n > 1 {
                    if !q.is_empty() {
                        q.push('&');
                    }
                    q.push_str(&format!("page={n}"));
                }
                if q.is_empty() {
                    format!("/t/{}", tenant.slug)
                } else {
                    format!("/t/{}?{q}", tenant.slug)
                }
            };
            let pager = context! {
                total => listed.total,
                all => index.len(),
                filtered => !filter.is_empty(),
                page => number,
                pages => pages,
                label => lang.t("page_of")
                    .replace("{page}", &number.to_string())
                    .replace("{pages}", &pages.to_string()),
                previous => (number > 1).then(|| link(number.min(pages + 1) - 1)),
                next => (number < pages).then(|| link(number + 1)),
            };
            let objects: Vec<Value> = listed
                .places
                .iter()
                .map(|p| {
                    context! {
                        id => p.id, name => &p.name, identifier => &p.identifier,
                        city => p.city.clone().unwrap_or_default(),
                        possibly_closed => p.possibly_closed,
                        lat => p.position.map(|p| p.0), lon => p.position.map(|p| p.1),
                        open_requests => p.open_requests(),
                    }
                })
                .collect();
            let mut response = page.render(
                if filter_error.is_some() {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::OK
                },
                "tenant.html",
                context! {
                    tenant => page.tenant_ctx(&tenant), holders => holders, my_roles => my_roles,
                    objects => objects,
                    pager => pager,
                    map => crate::map::context(lang, &index, &pairs),
                    // The map's description in the page (a JSON data block, not a script):
                    // the browser draws its first tiles without asking for it first.
                    map_info => index
                        .description(&tenant, &page.services().settings().map)
                        .to_string()
                        // No `<` at all: nothing in it can close or comment the block.
                        .replace('<', "\\u003c"),
                    filter_error => filter_error,
                    can => can,
                },
            );
            // The collective's own tiles come from their own origin.
            if let Some(origin) = tenant
                .tiles
                .as_ref()
                .and_then(|t| poem::http::HeaderValue::from_str(&t.origin()).ok())
            {
                response
                    .headers_mut()
                    .insert(vigie_http::headers::IMAGE_ORIGIN, origin);
            }
            response
        }
        Err(ServiceError::NotFound(_)) => page.message(StatusCode::NOT_FOUND, "not_found", true),
        Err(e) => {
            let (status, text) = page.error(&e);
            page.render(status, "message.html", context! { error => text })
        }
    }
}

#[handler]
pub async fn roles_page(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let result = async {
        let tenant = state.services.tenant(&slug).await?;
        let events = state.services.role_events(Some(&tenant)).await?;
        Ok::<_, ServiceError>((tenant, events))
    }
    .await;
    match result {
        Ok((tenant, events)) => {
            let lang = page.lang;
            let events: Vec<Value> = events
                .iter()
                .rev()
                .map(|e| {
                    context! {
                        at => e.at.date().to_string(),
                        name => &e.user_name,
                        role => role_label(lang, e.role),
                        scope => page.scope_label(e.object_type.as_deref(), e.object_id),
                        action => match e.action {
                            RoleEventAction::Grant => lang.t("granted"),
                            RoleEventAction::Revoke => lang.t("revoked"),
                        },
                        by => e.actor_name.clone().unwrap_or_else(|| lang.t("operator").to_owned()),
                    }
                })
                .collect();
            page.render(
                StatusCode::OK,
                "roles.html",
                context! { tenant => page.tenant_ctx(&tenant), events => events },
            )
        }
        Err(ServiceError::NotFound(_)) => page.message(StatusCode::NOT_FOUND, "not_found", true),
        Err(e) => {
            let (status, text) = page.error(&e);
            page.render(status, "message.html", context! { error => text })
        }
    }
}

#[handler]
pub async fn login_form(req: &Request, state: Data<&WebState>, caller: Caller) -> Response {
    let page = Page::new(&state, req, caller);
    let verified = req
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p == "verified=1"));
    let flash = verified.then(|| page.lang.t("verified"));
    let next = crate::next::from_query(req.uri().query());
    let next = next.as_deref().and_then(crate::next::safe_next);
    page.render(
        StatusCode::OK,
        "login.html",
        context! { email => "", flash => flash, next => next },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    /// The page to go back to once signed in (a path of this site; anything else is dropped).
    #[serde(default)]
    next: String,
}

#[handler]
pub async fn login(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Form(form): Form<LoginForm>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let client = vigie_http::client::ClientAddress::of(req).limit_key();
    match state
        .services
        .sign_in(&form.email, &form.password, client)
        .await
    {
        Ok(signed) => {
            let max_age = (signed.expires_at - time::OffsetDateTime::now_utc()).whole_seconds();
            let mut resp = redirect(crate::next::safe_next(&form.next).unwrap_or("/"));
            if let Ok(v) = session_cookie(&state.services, &signed.token.0, max_age).parse() {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(e) => {
            let unverified = matches!(e, ServiceError::EmailNotVerified);
            let (status, text) = page.error(&e);
            with_retry_after(
                page.render(
                    status,
                    "login.html",
                    context! {
                        error => text, email => form.email, unverified => unverified,
                        next => crate::next::safe_next(&form.next),
                    },
                ),
                &e,
            )
        }
    }
}

#[handler]
pub async fn logout(state: Data<&WebState>, caller: Caller) -> Response {
    if let Some(token) = caller.token
        && let Err(e) = state.services.sign_out(&SessionToken(token)).await
    {
        tracing::error!(error = %e, "sign-out failed");
    }
    let mut resp = redirect("/");
    if let Ok(v) = clear_session_cookie().parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

#[handler]
pub async fn register_form(req: &Request, state: Data<&WebState>, caller: Caller) -> Response {
    Page::new(&state, req, caller).render(
        StatusCode::OK,
        "register.html",
        context! { email => "", display_name => "" },
    )
}

#[derive(Deserialize)]
pub struct RegisterForm {
    email: String,
    password: String,
    #[serde(default)]
    display_name: String,
}

#[handler]
pub async fn register(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Form(form): Form<RegisterForm>,
) -> Response {
    let page = Page::new(&state, req, caller);
    match state
        .services
        .register(
            &form.email,
            &form.password,
            Some(&form.display_name),
            vigie_http::client::ClientAddress::of(req).limit_key(),
        )
        .await
    {
        Ok(()) => page.message(StatusCode::CREATED, "registered", false),
        Err(e) => {
            let (status, text) = page.error(&e);
            with_retry_after(
                page.render(
                    status,
                    "register.html",
                    context! { error => text, email => form.email, display_name => form.display_name },
                ),
                &e,
            )
        }
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[handler]
pub async fn verify(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Query(q): Query<TokenQuery>,
) -> Response {
    let page = Page::new(&state, req, caller);
    match state.services.verify_email(&q.token).await {
        // Redirect, so that reloading or switching language does not reuse the spent token.
        Ok(_) => redirect("/login?verified=1"),
        Err(e) => {
            let (status, text) = page.error(&e);
            page.render(status, "message.html", context! { error => text })
        }
    }
}

#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
}

#[handler]
pub async fn resend(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Form(form): Form<EmailForm>,
) -> Response {
    let page = Page::new(&state, req, caller);
    match state
        .services
        .resend_verification(
            &form.email,
            vigie_http::client::ClientAddress::of(req).limit_key(),
        )
        .await
    {
        Ok(()) => page.message(StatusCode::OK, "link_sent", false),
        Err(e) => {
            let (status, text) = page.error(&e);
            with_retry_after(
                page.render(status, "message.html", context! { error => text }),
                &e,
            )
        }
    }
}

#[handler]
pub async fn reset_form(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Query(q): Query<TokenQuery>,
) -> Response {
    Page::new(&state, req, caller).render(
        StatusCode::OK,
        "reset.html",
        context! { token => q.token },
    )
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

#[handler]
pub async fn reset(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Form(form): Form<ResetForm>,
) -> Response {
    let page = Page::new(&state, req, caller);
    if form.token.is_empty() {
        return match state
            .services
            .request_password_reset(
                &form.email,
                vigie_http::client::ClientAddress::of(req).limit_key(),
            )
            .await
        {
            Ok(()) => page.message(StatusCode::OK, "link_sent", false),
            Err(e) => {
                let (status, text) = page.error(&e);
                with_retry_after(
                    page.render(
                        status,
                        "reset.html",
                        context! { error => text, token => "" },
                    ),
                    &e,
                )
            }
        };
    }
    match state
        .services
        .reset_password(&form.token, &form.password)
        .await
    {
        Ok(()) => page.render(
            StatusCode::OK,
            "login.html",
            context! { flash => page.lang.t("password_changed"), email => "" },
        ),
        Err(e) => {
            let (status, text) = page.error(&e);
            let token = if matches!(e, ServiceError::InvalidToken) {
                String::new()
            } else {
                form.token
            };
            page.render(
                status,
                "reset.html",
                context! { error => text, token => token },
            )
        }
    }
}

#[handler]
pub async fn account_form(req: &Request, state: Data<&WebState>, caller: Caller) -> Response {
    let Some(user) = caller.user.clone() else {
        return redirect("/login");
    };
    Page::new(&state, req, caller).render(
        StatusCode::OK,
        "account.html",
        context! { account_email => user.email.as_str(), display_name => user.display_name.as_str() },
    )
}

#[derive(Deserialize)]
pub struct AccountForm {
    display_name: String,
}

#[handler]
pub async fn account(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Form(form): Form<AccountForm>,
) -> Response {
    let Some(user) = caller.user.clone() else {
        return redirect("/login");
    };
    let page = Page::new(&state, req, caller);
    match state.services.set_display_name(user.id, &form.display_name).await {
        Ok(u) => page.render(
            StatusCode::OK,
            "account.html",
            context! { flash => page.lang.t("saved"), account_email => u.email.as_str(), display_name => u.display_name.as_str() },
        ),
        Err(e) => {
            let (status, text) = page.error(&e);
            page.render(
                status,
                "account.html",
                context! { error => text, account_email => user.email.as_str(), display_name => form.display_name },
            )
        }
    }
}

/// `GET /account/export`: the signed-in user's data, as a JSON download.
#[handler]
pub async fn account_export(req: &Request, state: Data<&WebState>, caller: Caller) -> Response {
    let Some(user) = caller.user.clone() else {
        return redirect("/login");
    };
    match state.services.export_account(&user).await {
        Ok(data) => {
            let body = serde_json::to_string_pretty(&data).unwrap_or_default();
            Response::builder()
                .status(StatusCode::OK)
                .content_type("application/json; charset=utf-8")
                .header(
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"vigie-mes-donnees.json\"",
                )
                .header(header::CACHE_CONTROL, "no-store")
                .body(body)
        }
        Err(e) => Page::new(&state, req, caller).error_page(&e),
    }
}

#[derive(Deserialize)]
pub struct DeleteAccountForm {
    #[serde(default)]
    password: String,
}

/// `POST /account/delete`: deletes the signed-in user's account once the password is
/// confirmed, then signs out.
#[handler]
pub async fn account_delete(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Form(form): Form<DeleteAccountForm>,
) -> Response {
    let Some(user) = caller.user.clone() else {
        return redirect("/login");
    };
    let client = vigie_http::client::ClientAddress::of(req).limit_key();
    let page = Page::new(&state, req, caller);
    match state
        .services
        .delete_account(&user, &form.password, client)
        .await
    {
        Ok(()) => {
            // The page that says goodbye is no longer signed in.
            let signed_out = Page::new(
                &state,
                req,
                Caller {
                    user: None,
                    token: None,
                },
            );
            let mut resp = signed_out.message(StatusCode::OK, "account_deleted", false);
            if let Ok(v) = clear_session_cookie().parse() {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(e) => {
            let (status, text) = page.error(&e);
            with_retry_after(
                page.render(
                    status,
                    "account.html",
                    context! { error => text, account_email => user.email.as_str(), display_name => user.display_name.as_str() },
                ),
                &e,
            )
        }
    }
}
