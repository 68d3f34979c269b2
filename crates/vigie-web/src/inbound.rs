//! The replies received by e-mail that wait for a Garant: `/t/:slug/garant/mail` lists the
//! collective's held replies (sender by domain only) with a form to route each to a request,
//! where it becomes an answer « réponse reçue par e-mail », or to drop it. A Guru also sees
//! there the replies that match no collective, and may route them to one of its requests.
//!
//! Every form calls the use case the JSON API calls; the rights are the use case's to decide.

use minijinja::context;
use poem::http::StatusCode;
use poem::web::{Data, Form, Path};
use poem::{Request, Response, handler};
use vigie_http::Caller;
use vigie_services::ServiceError;

use crate::WebState;
use crate::admin::{Fields, done_flash, field, see_other, sign_in_first};
use crate::page::Page;

/// The label of a reason a reply is held.
fn reason_key(reason: &str) -> &'static str {
    match reason {
        "no_token" => "held_reason_no_token",
        "unknown_token" => "held_reason_unknown_token",
        "expired_token" => "held_reason_expired_token",
        "other_sender" => "held_reason_other_sender",
        "retired_contact" => "held_reason_retired_contact",
        "not_allowed" | "refused" => "held_reason_not_allowed",
        _ => "held_reason_other",
    }
}

/// `GET /t/:slug/garant/mail`: the held replies of the collective.
#[handler]
pub async fn held_page(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Response {
    let here = format!("/t/{slug}/garant/mail");
    if caller.user.is_none() {
        return sign_in_first(&here);
    }
    let page = Page::new(&state, req, caller);
    let services = page.services();
    let tenant = match services.tenant(&slug).await {
        Ok(t) => t,
        Err(e) => return page.error_page(&e),
    };
    let principal = page.caller.principal();
    let mut held = match services.held_mails(&principal, &tenant, 200).await {
        Ok(h) => h,
        Err(e) => return page.error_page(&e),
    };
    // A Guru also sees, and may route here, the replies that match no collective.
    if let Ok(all) = services.all_held_mails(&principal, 200).await {
        held.extend(all.into_iter().filter(|m| m.tenant.is_none()));
    }
    let flash = done_flash(&page, req, &["mail_routed", "mail_dropped"]);
    let lang = page.lang;
    let mails: Vec<_> = held
        .into_iter()
        .map(|m| {
            context! {
                id => m.id,
                received_at => vigie_storage::timestamp(m.received_at),
                request_id => m.request_id,
                sender_domain => m.sender.as_deref()
                    .and_then(|s| s.rsplit_once('@')).map(|(_, d)| format!("…@{d}")),
                subject => m.subject,
                text => m.body,
                attachments => m.attachments,
                reason => lang.t(reason_key(&m.reason)),
                unmatched => m.tenant.is_none(),
            }
        })
        .collect();
    page.render(
        StatusCode::OK,
        "held_mail.html",
        context! { tenant => page.tenant_ctx(&tenant), mails => mails, flash => flash },
    )
}

/// `POST /t/:slug/garant/mail/:id/route`: the reply becomes an answer on the request.
#[handler]
pub async fn route(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(fields): Form<Fields>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/garant/mail"));
    }
    let page = Page::new(&state, req, caller);
    let services = page.services();
    let result = async {
        let tenant = services.tenant(&slug).await?;
        let request: i64 = field(&fields, "request_id")
            .trim()
            .trim_start_matches(['n', '°', ' '])
            .parse()
            .map_err(|_| {
                ServiceError::Invalid(
                    vigie_domain::DomainError::invalid(
                        "request_id",
                        "write the number of a request of this collective",
                    )
                    .fr("Indiquez le numéro d'une demande de ce collectif."),
                )
            })?;
        services
            .route_held_mail(&page.caller.principal(), &tenant, id, request)
            .await
    }
    .await;
    match result {
        Ok(r) => see_other(&format!(
            "/t/{slug}/garant/mail?done=mail_routed&request={}",
            r.id
        )),
        Err(e) => page.error_page(&e),
    }
}

/// `POST /t/:slug/garant/mail/:id/drop`: the reply is dropped.
#[handler]
pub async fn drop_mail(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/garant/mail"));
    }
    let page = Page::new(&state, req, caller);
    let services = page.services();
    let result = async {
        let tenant = services.tenant(&slug).await?;
        services
            .drop_held_mail(&page.caller.principal(), &tenant, id)
            .await
    }
    .await;
    match result {
        Ok(()) => see_other(&format!("/t/{slug}/garant/mail?done=mail_dropped")),
        Err(e) => page.error_page(&e),
    }
}
