//! A request's page: its content (hidden while it awaits moderation or is set apart), who
//! handles it, its journal, and the forms of what the visitor may do with it.

use minijinja::{Value, context};
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;
use vigie_domain::requests::{RequestAction, RequestStatus};
use vigie_domain::{ObjectTypeKey, Operation};
use vigie_http::Caller;
use vigie_services::{Actor, Editor, ServiceError, decode_value};

use super::errors::error_text;
use super::journal::journal_rows;
use super::labels::{
    category_tags, clean_token, date, kind_label, next_statuses, pending_text, request_url,
    similar_rows, status_label, urgency_label,
};
use crate::WebState;
use crate::page::{Page, label, value_text};

/// The query of a request's page.
#[derive(Deserialize, Default)]
pub struct RequestQuery {
    /// A personal link's token (requester or contact).
    #[serde(default)]
    pub(crate) token: String,
    /// Show the content of a request set apart.
    #[serde(default)]
    pub(crate) reveal: String,
    /// Just filed.
    #[serde(default)]
    pub(crate) filed: String,
    /// The photo sent with the request was refused.
    #[serde(default)]
    pub(crate) photo: String,
    /// What was just done (a word key).
    #[serde(default)]
    pub(crate) done: String,
}

/// What an action form left behind when it was refused.
#[derive(Default)]
pub(crate) struct Refused {
    pub(crate) error: Option<(StatusCode, String)>,
    /// Which form, and what was typed in it.
    pub(crate) form: Option<(&'static str, Vec<(String, String)>)>,
}

pub(crate) async fn render_request(
    page: &Page<'_>,
    slug: &str,
    id: i64,
    q: &RequestQuery,
    refused: Refused,
) -> Result<Response, ServiceError> {
    let services = page.services();
    let lang = page.lang;
    let tenant = services.tenant(slug).await?;
    let details = services.request_details(&tenant, id).await?;
    let r = &details.request;
    let object = services.object(&tenant, r.object_id).await?;
    let key = ObjectTypeKey::parse(&r.object_type)?;
    let schema = services.object_schema(&tenant, &key).await?;
    let m = schema.plugin.manifest();
    let principal = page.caller.principal();
    let token = clean_token(&q.token);

    // Who may do what here.
    let mut notices: Vec<String> = Vec::new();
    let mut expired_link: Option<&str> = None;
    let editor = match services.request_editor(&principal, token, &tenant, r).await {
        Ok(e) => Some(e),
        Err(ServiceError::InvalidToken) => {
            notices.push(lang.t("link_invalid").to_owned());
            None
        }
        Err(e @ ServiceError::LinkExpired(_)) => {
            notices.push(error_text(page, &e).1);
            expired_link = token;
            None
        }
        Err(_) => None,
    };
    // Before publication, only its author, its moderators and those it was handed to read it
    // (they are its editors); others see that it waits, and since when.
    let pending = r.status == RequestStatus::New && editor.is_none();
    let set_apart = r.status == RequestStatus::SetApart;
    let revealed = !q.reveal.is_empty() && q.reveal != "0";
    let hidden = (set_apart && !revealed) || pending;
    let may = |action: RequestAction| editor.as_ref().is_some_and(|e| e.may(action, r));
    let moderator = services
        .may_on_object(
            Actor::Principal(&principal),
            &tenant,
            object.id,
            Operation::ModerateRequest,
        )
        .await?;
    let acting_as = editor.as_ref().map(|e| match e {
        Editor::Moderator(_) => lang.t("as_moderator").to_owned(),
        Editor::Requester(_) => lang.t("as_requester").to_owned(),
        Editor::Assignee(_) => lang.t("as_assignee").to_owned(),
        Editor::Contact(c) => format!("{} — {} ({})", lang.t("as_contact"), c.name, c.role_title),
    });
    let merged = r.merged_into.is_some();
    let handled = !merged && !matches!(r.status, RequestStatus::Refused | RequestStatus::SetApart);
    let next = next_statuses(lang, r.status);
    let (contacts, officials) =
        if (may(RequestAction::Assign) || may(RequestAction::Notify)) && handled {
            (
                services.contacts(&tenant, Some(&key)).await?,
                services.officials(&tenant).await?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
    let duplicates = if moderator && handled && r.status.is_open() {
        services
            .similar_requests(
                &tenant,
                r.object_id,
                &format!("{} {} {}", r.title, r.shown_title(), r.shown_description()),
                Some(r.id),
                true,
            )
            .await?
    } else {
        Vec::new()
    };
    let comments = match principal.user_id() {
        Some(_) => Some(services.comments(&principal, &tenant, id).await?),
        None => None,
    };
    // Signed in: whether they follow it (the button says which).
    let following = match principal.user_id() {
        Some(_) => Some(
            services
                .is_following(
                    Actor::Principal(&principal),
                    vigie_services::FollowTarget::Request(id),
                )
                .await?,
        ),
        None => None,
    };

    // The kind's extra fields, as label and text.
    let kind = m.request_kinds.iter().find(|k| k.key == r.kind);
    let extra: Vec<Value> = if hidden {
        Vec::new()
    } else {
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&r.extra_fields)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| {
                let field = kind.and_then(|kind| kind.fields.iter().find(|f| f.key == k));
                let value = decode_value(v.as_str()?)?;
                Some(context! {
                    label => field.map_or_else(|| k.clone(), |f| label(lang, &f.label)),
                    text => value_text(lang, field, &value),
                })
            })
            .collect()
    };

    let mut flash: Vec<String> = Vec::new();
    if q.filed == "1" {
        flash.push(lang.t("filed_flash").to_owned());
    }
    if q.photo == "refused" {
        notices.push(lang.t("photo_refused").to_owned());
    }
    if !q.done.is_empty() {
        let key = format!("done_{}", q.done);
        if crate::i18n::WORDS.iter().any(|(k, _, _)| *k == key) {
            flash.push(lang.t(&key).to_owned());
        }
    }
    let personal_link = (q.filed == "1").then_some(token).flatten().map(|t| {
        format!(
            "{}/t/{slug}/r/{id}?token={t}",
            services.settings().public_url
        )
    });
    let typed = |form: &str, name: &str| -> Option<String> {
        refused
            .form
            .as_ref()
            .filter(|(f, _)| *f == form)
            .and_then(|(_, v)| v.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    };

    let data = context! {
        following => following,
        tenant => page.tenant_ctx(&tenant),
        type_name => page.type_label(key.as_str()),
        object => context! { id => object.id, name => &object.identity.official_name },
        request => context! {
            answer_due_on => &details.answer_due_on,
            overdue => details.answer_due_on.as_ref().is_some_and(|d| {
                r.status.is_open() && !merged && *d < time::OffsetDateTime::now_utc().date().to_string()
            }),
            id => r.id,
            title => (!hidden).then(|| r.shown_title().to_owned()),
            description => (!hidden).then(|| r.shown_description().to_owned()),
            reexpressed => r.public_title.is_some() || r.public_description.is_some(),
            original_title => (!hidden).then(|| r.title.clone()),
            original_description => (!hidden).then(|| r.description.clone()),
            status => status_label(lang, r.status),
            status_key => r.status.as_str(),
            kind => kind_label(lang, m, &r.kind),
            categories => category_tags(lang, m, &r.categories),
            urgency => urgency_label(lang, r.urgency),
            urgency_key => r.urgency.as_str(),
            reminder_on => &r.reminder_on,
            requester => r.author_name.clone().unwrap_or_else(|| lang.t("anonymous_person").to_owned()),
            reason => &r.moderation_reason,
            merged_into => r.merged_into,
            supporters => r.supporters,
            filed_on => date(r.filed_at),
            updated_on => date(r.updated_at),
            extra => extra,
            printable => kind.is_some_and(|k| k.printable) && !hidden,
            set_apart => set_apart,
            hidden => hidden,
            pending_notice => pending.then(|| pending_text(lang, r)),
            open => r.status.is_open() && !merged,
            solved => r.status == RequestStatus::Solved && !merged,
        },
        reveal_href => request_url(slug, id, token, "reveal=1"),
        assignees => details.assignments.iter().map(|a| context! {
            id => a.id,
            current => a.removed_at.is_none(),
            name => &a.name,
            role => &a.role_title,
            since => date(a.at),
            until => a.removed_at.map(date),
        }).collect::<Vec<_>>(),
        documents => if hidden { Vec::new() } else {
            details.documents.iter().map(|d| context! {
                title => &d.title,
                kind => lang.t(&format!("doc_{}", d.kind)),
                by => &d.uploaded_by,
                is_image => d.content_type.starts_with("image/"),
                url => match token.filter(|_| r.status == RequestStatus::New) {
                    Some(t) => format!("/api/v1/tenants/{}/documents/{}/file?token={t}", tenant.slug, d.id),
                    None => format!("/api/v1/tenants/{}/documents/{}/file", tenant.slug, d.id),
                },
            }).collect::<Vec<_>>()
        },
        journal => journal_rows(lang, slug, m, &details.journal, &details.journal_names, hidden),
        verify_url => format!("/api/v1/tenants/{}/journal/verify", tenant.slug),
        journal_url => format!("/api/v1/tenants/{}/requests/{}/journal", tenant.slug, id),
        token => token,
        expired_link => expired_link,
        acting_as => acting_as,
        can => context! {
            moderate => moderator && r.status == RequestStatus::New,
            reexpress => moderator && !hidden,
            status => may(RequestAction::ChangeStatus) && !next.is_empty(),
            answer => may(RequestAction::Answer) && matches!(editor, Some(Editor::Contact(_) | Editor::Assignee(_))),
            assign => may(RequestAction::Assign) && handled,
            notify => may(RequestAction::Notify) && handled && !contacts.is_empty(),
            merge => moderator && handled && r.status.is_open(),
            attach => may(RequestAction::Attach) && !hidden,
            support => r.status.is_open() && !merged && r.status != RequestStatus::New,
        },
        next_statuses => next,
        contacts => contacts.iter().map(|c| context! { id => c.id, name => &c.name, role => &c.role_title }).collect::<Vec<_>>(),
        officials => officials.iter().map(|(id, name)| context! { id => id.0, name => name }).collect::<Vec<_>>(),
        duplicates => similar_rows(lang, m, &duplicates),
        document_kinds => vigie_domain::objects::DOCUMENT_KINDS.iter().map(|k| context! { key => k, label => lang.t(&format!("doc_{k}")) }).collect::<Vec<_>>(),
        comments => comments.map(|list| list.iter().map(|c| context! { author => &c.author_name, body => &c.body, at => date(c.at) }).collect::<Vec<_>>()),
        signed_in => principal.user_id().is_some(),
        personal_link => personal_link,
        base_url => &services.settings().public_url,
        notices => notices,
        flash => (!flash.is_empty()).then(|| flash.join(" ")),
        error => refused.error.as_ref().map(|(_, m)| m.clone()),
        typed => context! {
            reason => typed("moderate", "reason"),
            decision => typed("moderate", "decision"),
            wording_title => typed("wording", "title"),
            wording_description => typed("wording", "description"),
            note => typed("status", "note"),
            answer => typed("answer", "message"),
            notify => typed("notify", "message"),
            into => typed("merge", "into"),
            user_id => typed("assign", "user_id"),
            comment => typed("comment", "body"),
            attach_title => typed("attach", "title"),
        },
    };
    let status = refused.error.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    Ok(page.render(status, "request.html", data))
}

/// `GET /t/:slug/r/:id`: a request, its journal, and what the visitor may do with it.
#[handler]
pub async fn request_page(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Query(q): Query<RequestQuery>,
) -> Response {
    let page = Page::new(&state, req, caller);
    match render_request(&page, &slug, id, &q, Refused::default()).await {
        Ok(r) => r,
        Err(e) => page.error_page(&e),
    }
}
