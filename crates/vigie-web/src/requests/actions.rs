//! The actions on a request, each a form posting to its own route and ending in a
//! post/redirect/get back to the request's page (or the page again with the error and what was
//! typed).

use minijinja::context;
use poem::http::StatusCode;
use poem::web::{Data, Form, Multipart, Path};
use poem::{Request, Response, handler};
use serde::Deserialize;
use vigie_domain::requests::{RequestModeration, RequestStatus};
use vigie_http::Caller;
use vigie_http::body_limit::{FieldError, read_field};
use vigie_services::{Actor, AssignTarget, DocumentInput, Editor, ServiceError};
use vigie_storage::Tenant;

use super::errors::{error_text, invalid};
use super::filing::Upload;
use super::labels::{clean_token, given_token, request_url};
use super::view::{Refused, RequestQuery, render_request};
use crate::WebState;
use crate::page::{Page, redirect};

/// Ends an action: on success back to the request's page (post/redirect/get) with a word of
/// what was done; on failure the page again, with the error and what was typed.
pub(crate) async fn finish(
    page: &Page<'_>,
    slug: &str,
    id: i64,
    token: &str,
    result: Result<(), ServiceError>,
    done: &str,
    form: (&'static str, Vec<(String, String)>),
) -> Response {
    match result {
        Ok(()) => redirect(&request_url(slug, id, Some(token), &format!("done={done}"))),
        Err(ServiceError::NotFound("request" | "tenant")) => {
            page.error_page(&ServiceError::NotFound("request"))
        }
        Err(e) => {
            let q = RequestQuery {
                token: token.to_owned(),
                ..RequestQuery::default()
            };
            let refused = Refused {
                error: Some(error_text(page, &e)),
                form: Some(form),
            };
            match render_request(page, slug, id, &q, refused).await {
                Ok(r) => r,
                Err(e) => page.error_page(&e),
            }
        }
    }
}

/// The request's page with the anonymous limit's message.
pub(crate) async fn too_many(page: &Page<'_>, slug: &str, id: i64, token: &str) -> Response {
    let q = RequestQuery {
        token: token.to_owned(),
        ..RequestQuery::default()
    };
    let refused = Refused {
        error: Some((
            StatusCode::TOO_MANY_REQUESTS,
            page.lang.t("too_many").to_owned(),
        )),
        form: None,
    };
    match render_request(page, slug, id, &q, refused).await {
        Ok(r) => r,
        Err(e) => page.error_page(&e),
    }
}

pub(crate) async fn editor_of(
    page: &Page<'_>,
    tenant: &Tenant,
    id: i64,
    token: &str,
) -> Result<Editor, ServiceError> {
    let services = page.services();
    let request = services.request(tenant, id).await?;
    services
        .request_editor(
            &page.caller.principal(),
            clean_token(token),
            tenant,
            &request,
        )
        .await
}

#[derive(Deserialize)]
pub struct ModerateForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    token: String,
}

impl ModerateForm {
    /// What was typed, to show again with an error.
    pub(crate) fn typed(&self) -> Vec<(String, String)> {
        vec![
            ("decision".into(), self.decision.clone()),
            ("reason".into(), self.reason.clone()),
        ]
    }
}

/// Publishes, refuses or sets apart a new request (from its page or from the desk).
pub(crate) async fn moderate_request(
    page: &Page<'_>,
    slug: &str,
    id: i64,
    f: &ModerateForm,
) -> Result<(), ServiceError> {
    let services = page.services();
    let tenant = services.tenant(slug).await?;
    let decision = RequestModeration::new(&f.decision, Some(&f.reason))?;
    let me = page.caller.principal();
    services
        .moderate_request(Actor::Principal(&me), &tenant, id, decision)
        .await?;
    Ok(())
}

/// `POST /t/:slug/r/:id/moderate`: publish, refuse or set apart a new request.
#[handler]
pub async fn moderate(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<ModerateForm>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let result = moderate_request(&page, &slug, id, &f).await;
    finish(
        &page,
        &slug,
        id,
        &f.token,
        result,
        "moderated",
        ("moderate", f.typed()),
    )
    .await
}

#[derive(Deserialize)]
pub struct WordingForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    token: String,
}

impl WordingForm {
    /// What was typed, to show again with an error.
    pub(crate) fn typed(&self) -> Vec<(String, String)> {
        vec![
            ("title".into(), self.title.clone()),
            ("description".into(), self.description.clone()),
        ]
    }
}

/// A moderator re-expresses a request (from its page or from the desk).
pub(crate) async fn reexpress_request(
    page: &Page<'_>,
    slug: &str,
    id: i64,
    f: &WordingForm,
) -> Result<(), ServiceError> {
    let services = page.services();
    let tenant = services.tenant(slug).await?;
    let me = page.caller.principal();
    services
        .reexpress_request(Actor::Principal(&me), &tenant, id, &f.title, &f.description)
        .await?;
    Ok(())
}

/// `POST /t/:slug/r/:id/wording`: a moderator re-expresses the request.
#[handler]
pub async fn reexpress(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<WordingForm>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let result = reexpress_request(&page, &slug, id, &f).await;
    finish(
        &page,
        &slug,
        id,
        &f.token,
        result,
        "reexpressed",
        ("wording", f.typed()),
    )
    .await
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    token: String,
}

pub(crate) fn either_contact_or_user(field: &'static str) -> ServiceError {
    invalid(
        field,
        "give either a contact or a user number",
        "Choisissez un contact ou donnez un numéro de compte (l'un ou l'autre).",
    )
}

pub(crate) fn parse_status(raw: &str) -> Result<RequestStatus, ServiceError> {
    RequestStatus::parse(raw).ok_or_else(|| {
        invalid(
            "status",
            format!("unknown status '{raw}': choose one from the list"),
            "Statut inconnu : choisissez-le dans la liste.",
        )
    })
}

/// `POST /t/:slug/r/:id/status`: moves the request along its life cycle (its editors), or
/// reports a solved request as not solved (anyone).
#[handler]
pub async fn change_status(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<StatusForm>,
) -> Response {
    let page = Page::new(&state, req, caller);
    // Anyone may reopen a solved request: without an account or a link, within the limit. A
    // token that is not a live link of this request is refused (by the use case), never taken
    // for an anonymous reopening.
    let token = given_token(&f.token);
    if matches!(token, Ok(None)) && !state.anonymous_allowed(req, page.caller.user.is_some()) {
        return too_many(&page, &slug, id, &f.token).await;
    }
    let mut done = "status";
    let result = async {
        let token = token?;
        let services = page.services();
        let tenant = services.tenant(&slug).await?;
        let to = parse_status(&f.status)?;
        let before = services.request(&tenant, id).await?;
        if before.status == RequestStatus::Solved && to == RequestStatus::NotSolved {
            done = "reopened";
        }
        services
            .change_status(
                &page.caller.principal(),
                token,
                &tenant,
                id,
                to,
                Some(&f.note),
            )
            .await?;
        Ok(())
    }
    .await;
    let typed = vec![("note".into(), f.note.clone())];
    finish(&page, &slug, id, &f.token, result, done, ("status", typed)).await
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    token: String,
}

/// `POST /t/:slug/r/:id/answer`: those handling the request (a contact through their link)
/// answer it publicly, optionally with a new status.
#[handler]
pub async fn answer(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<AnswerForm>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let result = async {
        let services = page.services();
        let tenant = services.tenant(&slug).await?;
        let to = match f.status.trim() {
            "" => None,
            s => Some(parse_status(s)?),
        };
        let editor = editor_of(&page, &tenant, id, &f.token).await?;
        services
            .answer_request(&editor, &tenant, id, &f.message, to)
            .await?;
        Ok(())
    }
    .await;
    let typed = vec![("message".into(), f.message.clone())];
    finish(
        &page,
        &slug,
        id,
        &f.token,
        result,
        "answered",
        ("answer", typed),
    )
    .await
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    contact_id: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    token: String,
}

impl AssignForm {
    /// What was typed, to show again with an error.
    pub(crate) fn typed(&self) -> Vec<(String, String)> {
        vec![("user_id".into(), self.user_id.clone())]
    }
}

/// `POST /t/:slug/r/:id/assign`: entrusts the request to a contact or a user account.
#[handler]
pub async fn assign(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<AssignForm>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let result = assign_request(&page, &slug, id, &f).await;
    finish(
        &page,
        &slug,
        id,
        &f.token,
        result,
        "assigned",
        ("assign", f.typed()),
    )
    .await
}

/// Entrusts a request to a contact or a user account (from its page or from the desk).
pub(crate) async fn assign_request(
    page: &Page<'_>,
    slug: &str,
    id: i64,
    f: &AssignForm,
) -> Result<(), ServiceError> {
    let services = page.services();
    let tenant = services.tenant(slug).await?;
    let number = |field: &'static str, raw: &str| -> Result<Option<i64>, ServiceError> {
        match raw.trim() {
            "" => Ok(None),
            s => s
                .parse()
                .map(Some)
                .map_err(|_| either_contact_or_user(field)),
        }
    };
    let target = match (
        number("contact_id", &f.contact_id)?,
        number("user_id", &f.user_id)?,
    ) {
        (Some(c), None) => AssignTarget::Contact(c),
        (None, Some(u)) => AssignTarget::User(u),
        _ => return Err(either_contact_or_user("user_id")),
    };
    let editor = editor_of(page, &tenant, id, &f.token).await?;
    services
        .assign_request(&editor, &tenant, id, target)
        .await?;
    Ok(())
}

#[derive(Deserialize)]
pub struct UnassignForm {
    assignment: i64,
    #[serde(default)]
    token: String,
}

/// `POST /t/:slug/r/:id/unassign`: ends an assignment (it stays in the history).
#[handler]
pub async fn unassign(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<UnassignForm>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let result = async {
        let tenant = page.services().tenant(&slug).await?;
        let editor = editor_of(&page, &tenant, id, &f.token).await?;
        page.services()
            .unassign_request(&editor, &tenant, id, f.assignment)
            .await
    }
    .await;
    finish(
        &page,
        &slug,
        id,
        &f.token,
        result,
        "unassigned",
        ("assign", Vec::new()),
    )
    .await
}

/// `POST /t/:slug/r/:id/notify`: e-mails contacts of the type, each with a link to answer.
/// The form repeats `contact_ids`, hence the list of pairs.
#[handler]
pub async fn notify(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (token, message) = (get("token"), get("message"));
    let result = async {
        let services = page.services();
        let tenant = services.tenant(&slug).await?;
        let ids: Vec<i64> = pairs
            .iter()
            .filter(|(k, _)| k == "contact_ids")
            .filter_map(|(_, v)| v.parse().ok())
            .collect();
        let editor = editor_of(&page, &tenant, id, &token).await?;
        services
            .notify_request(&editor, &tenant, id, &ids, &message)
            .await?;
        Ok(())
    }
    .await;
    let typed = vec![("message".into(), message.clone())];
    finish(
        &page,
        &slug,
        id,
        &token,
        result,
        "notified",
        ("notify", typed),
    )
    .await
}

#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    into: String,
    #[serde(default)]
    token: String,
}

impl MergeForm {
    /// What was typed, to show again with an error.
    pub(crate) fn typed(&self) -> Vec<(String, String)> {
        vec![("into".into(), self.into.clone())]
    }
}

/// `POST /t/:slug/r/:id/merge`: a moderator merges this duplicate into the request that stays.
#[handler]
pub async fn merge(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<MergeForm>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let result = merge_request(&page, &slug, id, &f).await;
    finish(
        &page,
        &slug,
        id,
        &f.token,
        result,
        "merged",
        ("merge", f.typed()),
    )
    .await
}

/// A moderator merges a duplicate into the request that stays (from its page or from the
/// desk).
pub(crate) async fn merge_request(
    page: &Page<'_>,
    slug: &str,
    id: i64,
    f: &MergeForm,
) -> Result<(), ServiceError> {
    let services = page.services();
    let tenant = services.tenant(slug).await?;
    let into: i64 = f.into.trim().trim_start_matches('#').parse().map_err(|_| {
        invalid(
            "into",
            "give the number of the request that stays",
            "Donnez le numéro de la demande qui reste.",
        )
    })?;
    let me = page.caller.principal();
    match services
        .merge_request(Actor::Principal(&me), &tenant, id, into)
        .await
    {
        // The request that stays, not a missing page.
        Err(ServiceError::NotFound(_)) => Err(invalid(
            "into",
            format!("no request {into} here"),
            format!("Pas de demande n° {into} ici."),
        )),
        other => other.map(|_| ()),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token: String,
}

/// `POST /t/:slug/r/:id/new-link`: sends the requester a fresh personal link, at their
/// account's or confirmed address (asked with an old link, even expired).
#[handler]
pub async fn new_link(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<TokenForm>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let result = async {
        let services = page.services();
        let tenant = services.tenant(&slug).await?;
        services
            .send_new_requester_link(&page.caller.principal(), clean_token(&f.token), &tenant, id)
            .await
    }
    .await;
    match result {
        // The old link stays behind: the new one is in the mailbox.
        Ok(sent) => redirect(&request_url(
            &slug,
            id,
            None,
            if sent {
                "done=new_link"
            } else {
                "done=no_address"
            },
        )),
        Err(e) => {
            finish(
                &page,
                &slug,
                id,
                &f.token,
                Err(e),
                "new_link",
                ("new_link", Vec::new()),
            )
            .await
        }
    }
}

/// `POST /t/:slug/r/:id/support`: « Moi aussi » (anyone who may file a request there).
#[handler]
pub async fn support(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<TokenForm>,
) -> Response {
    let page = Page::new(&state, req, caller);
    if !state.anonymous_allowed(req, page.caller.user.is_some()) {
        return too_many(&page, &slug, id, &f.token).await;
    }
    let result = async {
        let services = page.services();
        let tenant = services.tenant(&slug).await?;
        let me = page.caller.principal();
        services
            .support_request(Actor::Principal(&me), &tenant, id)
            .await?;
        Ok(())
    }
    .await;
    finish(
        &page,
        &slug,
        id,
        &f.token,
        result,
        "supported",
        ("support", Vec::new()),
    )
    .await
}

#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    token: String,
}

/// `POST /t/:slug/r/:id/comments`: a signed-in user comments.
#[handler]
pub async fn comment(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<CommentForm>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let result = async {
        let services = page.services();
        let tenant = services.tenant(&slug).await?;
        let me = page.caller.principal();
        services
            .add_comment(Actor::Principal(&me), &tenant, id, &f.body)
            .await?;
        Ok(())
    }
    .await;
    let typed = vec![("body".into(), f.body.clone())];
    finish(
        &page,
        &slug,
        id,
        &f.token,
        result,
        "commented",
        ("comment", typed),
    )
    .await
}

/// `POST /t/:slug/r/:id/attachments`: its editors attach a photo or a document.
#[handler]
pub async fn attach(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    mut multipart: Multipart,
) -> Response {
    let page = Page::new(&state, req, caller);
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut file: Option<Upload> = None;
    let max_file = state.services.max_upload_bytes();
    let read = async {
        while let Some(field) = multipart.next_field().await? {
            let name = field.name().unwrap_or_default().to_owned();
            if name == "file" {
                let file_name = field.file_name().map(str::to_owned);
                let content_type = field.content_type().map(str::to_owned);
                let bytes = read_field(field, max_file).await?;
                file = Some(Upload {
                    file_name: file_name.filter(|n| !n.is_empty()),
                    content_type,
                    bytes,
                });
            } else {
                texts.push((name, field.text().await?));
            }
        }
        Ok::<_, FieldError>(())
    }
    .await;
    if let Err(FieldError::TooLarge { limit }) = read {
        return page.too_large(limit);
    }
    if let Err(e) = read {
        tracing::info!(error = %e, "unreadable attachment form");
        let text = page.lang.t("unreadable_form");
        return page.render(
            StatusCode::BAD_REQUEST,
            "message.html",
            context! { error => text },
        );
    }
    let get = |name: &str| {
        texts
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let token = get("token");
    let result = async {
        let services = page.services();
        let tenant = services.tenant(&slug).await?;
        let editor = editor_of(&page, &tenant, id, &token).await?;
        let file = file
            .filter(|f| !f.bytes.is_empty())
            .ok_or_else(|| invalid("file", "the file is empty", "Le fichier est vide."))?;
        let kind = match get("kind") {
            k if k.is_empty() => "photo".to_owned(),
            k => k,
        };
        services
            .attach_to_request(
                &editor,
                &tenant,
                id,
                DocumentInput {
                    kind,
                    title: get("title"),
                    document_date: Some(get("document_date")).filter(|d| !d.is_empty()),
                    source: None,
                    file_name: file.file_name,
                    content_type: file.content_type,
                },
                file.bytes,
            )
            .await?;
        Ok(())
    }
    .await;
    let typed = vec![("title".into(), get("title"))];
    finish(
        &page,
        &slug,
        id,
        &token,
        result,
        "attached",
        ("attach", typed),
    )
    .await
}
