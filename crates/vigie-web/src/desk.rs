//! The moderation desk (`/t/{slug}/desk`): everything waiting for the decision of a Garant, a
//! Certified citizen or a Guru in a collective (proposed values, life events, documents,
//! requests awaiting moderation), oldest first, fifty a section, with the forms that decide
//! each in place. Every form posts to a handler calling the same use case as the item's own
//! page (the request actions are the request page's, `crate::requests`) and comes back here;
//! a refusal shows the desk again with the error beside the item and what was typed.
//!
//! The header shows « À modérer » to those who moderate in the collective of the page, with the
//! number of items waiting ([`badge`]: a few indexed counts per signed-in page view).

use std::collections::HashMap;

use minijinja::{Value, context};
use poem::http::{Method, StatusCode};
use poem::web::{Data, Form, Path, Query};
use poem::{Endpoint, IntoResponse, Request, Response, handler};
use serde::Deserialize;
use vigie_domain::ObjectTypeKey;
use vigie_http::Caller;
use vigie_plugins::wit;
use vigie_services::{
    Actor, DESK_PAGE, Desk, DeskPages, DeskSection, ObjectSchema, ServiceError, decode_value,
};
use vigie_storage::Tenant;

use crate::page::{Page, label, redirect, value_text};
use crate::requests::{
    AssignForm, MergeForm, ModerateForm, WordingForm, error_text, kind_label, similar_rows,
    status_label, urgency_label,
};
use crate::{Lang, WebState};

/// The header's link to the desk of the page's collective, for a visitor who moderates there.
#[derive(Debug, Clone)]
pub(crate) struct DeskBadge {
    /// The desk's URL (made of a collective's checked slug: letters, digits, `-` and `/`).
    pub(crate) href: String,
    /// How many items wait (none shown when nothing does).
    pub(crate) waiting: i64,
}

/// The collective of a page's path (`/t/{slug}` and below), but not of the fragments the
/// sheet's script asks for.
fn page_collective(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/t/")?;
    if path.ends_with("/requests/similar") {
        return None;
    }
    let slug = rest.split('/').next()?;
    (!slug.is_empty()).then_some(slug)
}

/// Puts the header's [`DeskBadge`] in a signed-in page view's request (`GET` of a collective's
/// page), for [`Page`] to show. The count never stops a page: a failure is logged.
pub(crate) async fn with_badge<E: Endpoint>(
    ep: std::sync::Arc<E>,
    mut req: Request,
    state: WebState,
) -> poem::Result<Response> {
    if req.method() == Method::GET
        && let Some(slug) = page_collective(req.uri().path()).map(str::to_owned)
        && let Some(caller) = req.extensions().get::<Caller>().cloned()
        && caller.user.is_some()
    {
        let principal = caller.principal();
        let waiting = async {
            let tenant = state.services.tenant(&slug).await?;
            let counts = state.services.desk_waiting(&principal, &tenant).await?;
            Ok::<_, ServiceError>(counts.map(|c| (tenant.slug, c)))
        }
        .await;
        match waiting {
            Ok(Some((slug, counts))) => {
                req.extensions_mut().insert(DeskBadge {
                    href: format!("/t/{slug}/desk"),
                    waiting: counts.total(),
                });
            }
            Ok(None) | Err(ServiceError::NotFound(_)) => {}
            Err(e) => tracing::warn!(error = %e, "desk count failed"),
        }
    }
    ep.call(req).await.map(IntoResponse::into_response)
}

/// The query of the desk: the page of each section, and what was just done.
#[derive(Deserialize, Default)]
pub struct DeskQuery {
    #[serde(default)]
    contributions: Option<usize>,
    #[serde(default)]
    events: Option<usize>,
    #[serde(default)]
    documents: Option<usize>,
    #[serde(default)]
    requests: Option<usize>,
    /// What was just done (a word key `done_…`).
    #[serde(default)]
    done: String,
}

impl DeskQuery {
    fn pages(&self) -> DeskPages {
        let n = |p: Option<usize>| p.unwrap_or(1).clamp(1, 1_000_000);
        DeskPages {
            contributions: n(self.contributions),
            life_events: n(self.events),
            documents: n(self.documents),
            requests: n(self.requests),
        }
    }
}

/// An item's form that was refused: which item, why, and what was typed in it.
#[derive(Default)]
struct Failed {
    /// `contribution`, `event`, `document` or `request`, and its number.
    item: Option<(&'static str, i64)>,
    /// Which form of a request (`moderate`, `wording`, `assign`, `merge`).
    form: &'static str,
    error: Option<(StatusCode, String)>,
    typed: Vec<(String, String)>,
}

/// The words of one type's fields (the plugin's and the collective's own).
struct Fields {
    schema: ObjectSchema,
}

impl Fields {
    fn field(&self, key: &str) -> Option<&wit::Field> {
        let m = self.schema.plugin.manifest();
        m.fields
            .iter()
            .chain(self.schema.added.iter().map(|(_, f)| f))
            .find(|f| f.key == key)
    }
}

/// A pager of a section: previous and next pages, keeping the other sections' pages.
fn pager<T>(
    lang: Lang,
    slug: &str,
    q: &DeskQuery,
    param: &str,
    s: &DeskSection<T>,
    anchor: &str,
) -> Value {
    let link = |n: usize| {
        let mut pairs: Vec<String> = Vec::new();
        for (k, v) in [
            ("contributions", q.contributions),
            ("events", q.events),
            ("documents", q.documents),
            ("requests", q.requests),
        ] {
            let v = if k == param { Some(n) } else { v };
            if let Some(v) = v.filter(|v| *v > 1) {
                pairs.push(format!("{k}={v}"));
            }
        }
        if pairs.is_empty() {
            format!("/t/{slug}/desk#{anchor}")
        } else {
            format!("/t/{slug}/desk?{}#{anchor}", pairs.join("&"))
        }
    };
    let page = s.page.min(s.pages);
    context! {
        label => lang.t("page_of").replace("{page}", &page.to_string()).replace("{pages}", &s.pages.to_string()),
        previous => (s.page > 1).then(|| link(page.saturating_sub(1).max(1))),
        next => (s.page < s.pages).then(|| link(s.page + 1)),
        shown => s.pages > 1,
    }
}

async fn render_desk(
    page: &Page<'_>,
    slug: &str,
    q: &DeskQuery,
    failed: Failed,
) -> Result<Response, ServiceError> {
    let services = page.services();
    let lang = page.lang;
    let tenant = services.tenant(slug).await?;
    let principal = page.caller.principal();
    let desk = services.desk(&principal, &tenant, q.pages()).await?;
    let data = desk_context(page, &tenant, &desk, q, &failed).await?;
    let mut flash = None;
    if !q.done.is_empty() {
        let key = format!("done_{}", q.done);
        if crate::i18n::WORDS.iter().any(|(k, _, _)| *k == key) {
            flash = Some(lang.t(&key));
        }
    }
    let status = failed.error.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    Ok(page.render(
        status,
        "desk.html",
        context! {
            flash => flash,
            error => failed.error.as_ref().map(|(_, m)| m.clone()),
            ..data
        },
    ))
}

async fn desk_context(
    page: &Page<'_>,
    tenant: &Tenant,
    desk: &Desk,
    q: &DeskQuery,
    failed: &Failed,
) -> Result<Value, ServiceError> {
    let services = page.services();
    let lang = page.lang;
    let slug = tenant.slug.as_str();
    // The fields' words, one schema per type met.
    let mut schemas: HashMap<String, Fields> = HashMap::new();
    let types = desk
        .contributions
        .items
        .iter()
        .map(|f| &f.object_type)
        .chain(desk.requests.items.iter().map(|r| &r.request.object_type));
    for ty in types {
        if !schemas.contains_key(ty) {
            let key = ObjectTypeKey::parse(ty)?;
            let schema = services.object_schema(tenant, &key).await?;
            schemas.insert(ty.clone(), Fields { schema });
        }
    }
    let name = |id: i64| desk.object_names.get(&id).cloned().unwrap_or_default();
    let failure = |kind: &str, id: i64| {
        failed
            .item
            .filter(|(k, i)| *k == kind && *i == id)
            .and(failed.error.as_ref().map(|(_, m)| m.clone()))
    };
    let typed = |kind: &str, id: i64, form: &str, field: &str| -> Option<String> {
        failed
            .item
            .filter(|(k, i)| *k == kind && *i == id && failed.form == form)
            .and_then(|_| {
                failed
                    .typed
                    .iter()
                    .find(|(k, _)| k == field)
                    .map(|(_, v)| v.clone())
            })
    };
    let who = |name: &Option<String>| {
        name.clone()
            .unwrap_or_else(|| lang.t("anonymous_person").to_owned())
    };

    let contributions: Vec<Value> = desk
        .contributions
        .items
        .iter()
        .map(|f| {
            let field = schemas.get(&f.object_type).and_then(|s| s.field(&f.field_key));
            context! {
                id => f.id,
                object_id => f.object_id,
                object_name => name(f.object_id),
                type_name => page.type_label(&f.object_type),
                field => field.map_or_else(|| f.field_key.clone(), |d| label(lang, &d.label)),
                vintage => &f.vintage,
                text => decode_value(&f.value).map(|v| value_text(lang, field, &v)).unwrap_or_default(),
                source => &f.source,
                who => who(&f.author_name),
                since => f.at.date().to_string(),
                error => failure("contribution", f.id),
                reason => typed("contribution", f.id, "decide", "reason"),
            }
        })
        .collect();
    let events: Vec<Value> = desk
        .life_events
        .items
        .iter()
        .map(|e| {
            context! {
                id => e.id,
                object_id => e.object_id,
                object_name => name(e.object_id),
                kind => lang.t(&format!("event_{}", e.kind)),
                title => &e.title,
                description => &e.description,
                starts_on => &e.starts_on,
                ends_on => &e.ends_on,
                who => who(&e.author_name),
                since => e.at.date().to_string(),
                error => failure("event", e.id),
                reason => typed("event", e.id, "decide", "reason"),
            }
        })
        .collect();
    let documents: Vec<Value> = desk
        .documents
        .items
        .iter()
        .map(|d| {
            context! {
                id => d.id,
                object_id => d.object_id,
                object_name => name(d.object_id),
                kind => lang.t(&format!("doc_{}", d.kind)),
                title => &d.title,
                date => &d.document_date,
                source => &d.source,
                url => format!("/api/v1/tenants/{slug}/documents/{}/file", d.id),
                who => who(&d.uploaded_by),
                since => d.at.date().to_string(),
                error => failure("document", d.id),
                reason => typed("document", d.id, "decide", "reason"),
            }
        })
        .collect();

    // Whom a request may be handed to: the type's contacts, the collective's officials.
    let officials = if desk.requests.items.is_empty() {
        Vec::new()
    } else {
        services.officials(tenant).await?
    };
    let officials: Vec<Value> = officials
        .iter()
        .map(|(id, name)| context! { id => id.0, name => name })
        .collect();
    let mut contacts: HashMap<String, Vec<Value>> = HashMap::new();
    for r in &desk.requests.items {
        let ty = &r.request.object_type;
        if !contacts.contains_key(ty) {
            let key = ObjectTypeKey::parse(ty)?;
            let list = services
                .contacts(tenant, Some(&key))
                .await?
                .iter()
                .map(|c| context! { id => c.id, name => &c.name, role => &c.role_title })
                .collect();
            contacts.insert(ty.clone(), list);
        }
    }
    let requests: Vec<Value> = desk
        .requests
        .items
        .iter()
        .map(|d| {
            let r = &d.request;
            let m = schemas.get(&r.object_type).map(|s| s.schema.plugin.manifest());
            let duplicates = m.map(|m| similar_rows(lang, m, &d.duplicates)).unwrap_or_default();
            context! {
                id => r.id,
                object_id => r.object_id,
                object_name => &r.object_name,
                type_name => page.type_label(&r.object_type),
                title => &r.title,
                description => &r.description,
                shown_title => r.shown_title(),
                shown_description => r.shown_description(),
                reexpressed => r.public_title.is_some() || r.public_description.is_some(),
                status => status_label(lang, r.status),
                kind => m.map_or_else(|| r.kind.clone(), |m| kind_label(lang, m, &r.kind)),
                urgency => urgency_label(lang, r.urgency),
                urgency_key => r.urgency.as_str(),
                who => who(&r.author_name),
                since => r.filed_at.date().to_string(),
                duplicates => duplicates,
                contacts => contacts.get(&r.object_type).cloned().unwrap_or_default(),
                error => failure("request", r.id),
                form => failed.item.filter(|(k, i)| *k == "request" && *i == r.id).map(|_| failed.form),
                typed => context! {
                    decision => typed("request", r.id, "moderate", "decision"),
                    reason => typed("request", r.id, "moderate", "reason"),
                    title => typed("request", r.id, "wording", "title"),
                    description => typed("request", r.id, "wording", "description"),
                    user_id => typed("request", r.id, "assign", "user_id"),
                    into => typed("request", r.id, "merge", "into"),
                },
            }
        })
        .collect();

    let scope = if desk.scope.everything {
        vec![lang.t("desk_everything").to_owned()]
    } else {
        desk.scope
            .types
            .iter()
            .map(|t| page.type_label(t))
            .chain(
                desk.scope
                    .objects
                    .iter()
                    .map(|id| format!("{} {id}", lang.t("object"))),
            )
            .collect()
    };
    let count = |s: i64| s.to_string();
    Ok(context! {
        tenant => page.tenant_ctx(tenant),
        scope => scope,
        per_page => DESK_PAGE,
        total => desk.contributions.total + desk.life_events.total + desk.documents.total + desk.requests.total,
        counts => context! {
            contributions => count(desk.contributions.total),
            events => count(desk.life_events.total),
            documents => count(desk.documents.total),
            requests => count(desk.requests.total),
        },
        contributions => contributions,
        events => events,
        documents => documents,
        requests => requests,
        officials => officials,
        pagers => context! {
            contributions => pager(lang, slug, q, "contributions", &desk.contributions, "d-contributions"),
            events => pager(lang, slug, q, "events", &desk.life_events, "d-events"),
            documents => pager(lang, slug, q, "documents", &desk.documents, "d-documents"),
            requests => pager(lang, slug, q, "requests", &desk.requests, "d-requests"),
        },
    })
}

/// The desk, or the sign-in page for the anonymous, or a page saying why not (403 for a
/// visitor who moderates nothing here, 404 for an unknown collective).
async fn show(page: &Page<'_>, slug: &str, q: &DeskQuery, failed: Failed) -> Response {
    if page.caller.user.is_none() {
        return redirect("/login");
    }
    match render_desk(page, slug, q, failed).await {
        Ok(r) => r,
        Err(e) => page.error_page(&e),
    }
}

/// `GET /t/:slug/desk`: what waits for the visitor's decision here.
#[handler]
pub async fn desk_page(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
    Query(q): Query<DeskQuery>,
) -> Response {
    let page = Page::new(&state, req, caller);
    show(&page, &slug, &q, Failed::default()).await
}

/// Ends a desk form: back to the desk (post/redirect/get) with a word of what was done, or
/// the desk again with the error beside the item. An item that is not this collective's is
/// not found; a visitor who may not decide it gets the page saying so.
async fn finish(
    page: &Page<'_>,
    slug: &str,
    result: Result<(), ServiceError>,
    done: &str,
    failed: Failed,
) -> Response {
    let e = match result {
        Ok(()) => return redirect(&format!("/t/{slug}/desk?done={done}")),
        Err(e) => e,
    };
    if page.caller.user.is_none() {
        return redirect("/login");
    }
    match e {
        ServiceError::NotFound(_)
        | ServiceError::Forbidden(_)
        | ServiceError::Unauthenticated(_) => page.error_page(&e),
        e => {
            let failed = Failed {
                error: Some(error_text(page, &e)),
                ..failed
            };
            show(page, slug, &DeskQuery::default(), failed).await
        }
    }
}

/// The form deciding a proposed value, life event or document.
#[derive(Deserialize)]
pub struct DecisionForm {
    /// `accept` or `refuse`.
    #[serde(default)]
    decision: String,
    /// The public reason of a refusal.
    #[serde(default)]
    reason: String,
}

impl DecisionForm {
    fn accept(&self) -> Result<bool, ServiceError> {
        match self.decision.as_str() {
            "accept" => Ok(true),
            "refuse" => Ok(false),
            other => Err(ServiceError::Invalid(
                vigie_domain::DomainError::invalid(
                    "decision",
                    format!("unknown decision '{other}': accept or refuse"),
                )
                .fr("Décision inconnue : acceptez ou refusez."),
            )),
        }
    }

    fn failed(&self, kind: &'static str, id: i64) -> Failed {
        Failed {
            item: Some((kind, id)),
            form: "decide",
            error: None,
            typed: vec![("reason".into(), self.reason.clone())],
        }
    }

    fn done(&self) -> &'static str {
        if self.decision == "accept" {
            "accepted"
        } else {
            "refused"
        }
    }
}

/// What a desk decision is about.
#[derive(Clone, Copy)]
enum Item {
    Contribution,
    LifeEvent,
    Document,
}

async fn decide(
    req: &Request,
    state: &WebState,
    caller: Caller,
    slug: &str,
    id: i64,
    f: &DecisionForm,
    item: Item,
) -> Response {
    let page = Page::new(state, req, caller);
    let result = async {
        let services = page.services();
        let tenant = services.tenant(slug).await?;
        let accept = f.accept()?;
        let reason = (!accept).then_some(f.reason.as_str());
        let me = page.caller.principal();
        let actor = Actor::Principal(&me);
        match item {
            Item::Contribution => services
                .decide_contribution(actor, &tenant, id, accept, reason)
                .await
                .map(|_| ()),
            Item::LifeEvent => services
                .decide_life_event(actor, &tenant, id, accept, reason)
                .await
                .map(|_| ()),
            Item::Document => services
                .decide_document(actor, &tenant, id, accept, reason)
                .await
                .map(|_| ()),
        }
    }
    .await;
    let kind = match item {
        Item::Contribution => "contribution",
        Item::LifeEvent => "event",
        Item::Document => "document",
    };
    finish(&page, slug, result, f.done(), f.failed(kind, id)).await
}

/// `POST /t/:slug/desk/contributions/:id`: accepts or refuses (with a reason) a proposed value.
#[handler]
pub async fn decide_contribution(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<DecisionForm>,
) -> Response {
    decide(req, &state, caller, &slug, id, &f, Item::Contribution).await
}

/// `POST /t/:slug/desk/events/:id`: accepts or refuses a proposed life event.
#[handler]
pub async fn decide_event(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<DecisionForm>,
) -> Response {
    decide(req, &state, caller, &slug, id, &f, Item::LifeEvent).await
}

/// `POST /t/:slug/desk/documents/:id`: accepts or refuses a document attached to an object.
#[handler]
pub async fn decide_document(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<DecisionForm>,
) -> Response {
    decide(req, &state, caller, &slug, id, &f, Item::Document).await
}

fn request_failed(id: i64, form: &'static str, typed: Vec<(String, String)>) -> Failed {
    Failed {
        item: Some(("request", id)),
        form,
        error: None,
        typed,
    }
}

/// `POST /t/:slug/desk/r/:id/moderate`: publishes, refuses or sets apart a request (the
/// request page's action).
#[handler]
pub async fn moderate(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<ModerateForm>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let result = crate::requests::moderate_request(&page, &slug, id, &f).await;
    let failed = request_failed(id, "moderate", f.typed());
    finish(&page, &slug, result, "moderated", failed).await
}

/// `POST /t/:slug/desk/r/:id/wording`: re-expresses a request (the request page's action).
#[handler]
pub async fn reexpress(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<WordingForm>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let result = crate::requests::reexpress_request(&page, &slug, id, &f).await;
    let failed = request_failed(id, "wording", f.typed());
    finish(&page, &slug, result, "reexpressed", failed).await
}

/// `POST /t/:slug/desk/r/:id/assign`: entrusts a request to a contact or an account (the
/// request page's action).
#[handler]
pub async fn assign(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<AssignForm>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let result = crate::requests::assign_request(&page, &slug, id, &f).await;
    let failed = request_failed(id, "assign", f.typed());
    finish(&page, &slug, result, "assigned", failed).await
}

/// `POST /t/:slug/desk/r/:id/merge`: merges a request into the one that stays (the request
/// page's action).
#[handler]
pub async fn merge(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<MergeForm>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let result = crate::requests::merge_request(&page, &slug, id, &f).await;
    let failed = request_failed(id, "merge", f.typed());
    finish(&page, &slug, result, "merged", failed).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_badge_belongs_to_the_pages_of_a_collective() {
        assert_eq!(page_collective("/t/cem"), Some("cem"));
        assert_eq!(page_collective("/t/cem/o/3"), Some("cem"));
        assert_eq!(page_collective("/t/cem/o/3/requests/similar"), None);
        assert_eq!(page_collective("/t/"), None);
        assert_eq!(page_collective("/account"), None);
        assert_eq!(page_collective("/static/vigie.css"), None);
    }

    #[test]
    fn a_decision_is_accept_or_refuse() {
        let form = |d: &str| DecisionForm {
            decision: d.into(),
            reason: String::new(),
        };
        assert!(form("accept").accept().unwrap_or(false));
        assert!(!form("refuse").accept().unwrap_or(true));
        assert!(form("maybe").accept().is_err());
        assert_eq!(form("accept").done(), "accepted");
        assert_eq!(form("refuse").done(), "refused");
    }
}
