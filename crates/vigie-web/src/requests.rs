//! Pages of requests for intervention or improvement: the « Demandes » section of an object's
//! sheet with its filing form (similar open requests shown before filing), a request's page with
//! its journal, and the actions its editors may take, each a post/redirect/get.

use minijinja::{Value, context};
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Multipart, Path, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;
use vigie_domain::requests::{
    JournalEntry, RequestAction, RequestModeration, RequestStatus, Urgency, check_text,
};
use vigie_domain::{ObjectTypeKey, Operation};
use vigie_http::Caller;
use vigie_http::body_limit::{FieldError, read_field};
use vigie_plugins::wit;
use vigie_services::{
    Actor, AssignTarget, DocumentInput, Editor, ProposedValue, RequestInput, ServiceError,
    Services, SimilarRequest, decode_value, pending_placeholder,
};
use vigie_storage::{RequestRecord, Tenant};

use crate::objects::{label, parse_value, value_text};
use crate::pages::Page;
use crate::{Lang, WebState};

// ---------------------------------------------------------------------------------------------
// Words and small helpers
// ---------------------------------------------------------------------------------------------

/// A status in the page's language (« en attente de modération » for a new request).
pub(crate) fn status_label(lang: Lang, s: RequestStatus) -> &'static str {
    lang.t(&format!("rs_{}", s.as_str()))
}

fn urgency_label(lang: Lang, u: Urgency) -> &'static str {
    lang.t(&format!("urgency_{}", u.as_str()))
}

fn action_label(lang: Lang, action: &str) -> String {
    let key = format!("ja_{action}");
    if crate::i18n::WORDS.iter().any(|(k, _, _)| *k == key) {
        lang.t(&key).to_owned()
    } else {
        action.replace('_', " ")
    }
}

fn kind_label(lang: Lang, m: &wit::PluginManifest, kind: &str) -> String {
    m.request_kinds
        .iter()
        .find(|k| k.key == kind)
        .map_or_else(|| kind.to_owned(), |k| label(lang, &k.label))
}

/// `set/category` as the category's label (the set's label in `set`).
fn category_tags(lang: Lang, m: &wit::PluginManifest, keys: &[String]) -> Vec<Value> {
    keys.iter()
        .map(|key| {
            let found = key.split_once('/').and_then(|(set, cat)| {
                let s = m.category_sets.iter().find(|s| s.key == set)?;
                let c = s.categories.iter().find(|c| c.key == cat)?;
                Some((label(lang, &s.label), label(lang, &c.label)))
            });
            match found {
                Some((set, cat)) => context! { set => set, label => cat },
                None => context! { set => "", label => key },
            }
        })
        .collect()
}

/// A date and time of the journal (`2026-11-28T10:00:00.000000Z`) as `2026-11-28 10:00 UTC`.
fn journal_time(at: &str) -> String {
    match (at.get(..10), at.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t} UTC"),
        _ => at.to_owned(),
    }
}

fn date(at: time::OffsetDateTime) -> String {
    at.date().to_string()
}

/// A token as it may go back into a URL: personal link tokens are hexadecimal; anything else
/// is not a token of ours and is dropped.
fn clean_token(token: &str) -> Option<&str> {
    let t = token.trim();
    (!t.is_empty() && t.len() <= 200 && t.chars().all(|c| c.is_ascii_alphanumeric())).then_some(t)
}

/// The token a form sent: none when left empty, refused when it cannot be one of ours.
fn given_token(token: &str) -> Result<Option<&str>, ServiceError> {
    if token.trim().is_empty() {
        return Ok(None);
    }
    clean_token(token)
        .map(Some)
        .ok_or(ServiceError::InvalidToken)
}

fn redirect(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .finish()
}

/// Where to go after an action: the request's page, with the personal link's token kept.
fn request_url(slug: &str, id: i64, token: Option<&str>, extra: &str) -> String {
    let mut params: Vec<String> = Vec::new();
    if let Some(t) = token.and_then(clean_token) {
        params.push(format!("token={t}"));
    }
    if !extra.is_empty() {
        params.push(extra.to_owned());
    }
    if params.is_empty() {
        format!("/t/{slug}/r/{id}")
    } else {
        format!("/t/{slug}/r/{id}?{}", params.join("&"))
    }
}

fn is_moderation(s: RequestStatus) -> bool {
    matches!(
        s,
        RequestStatus::Published | RequestStatus::Refused | RequestStatus::SetApart
    )
}

/// The statuses a request may move to outside moderation, as `{key, label}`.
fn next_statuses(lang: Lang, from: RequestStatus) -> Vec<Value> {
    RequestStatus::ALL
        .into_iter()
        .filter(|s| from.can_move_to(*s) && !is_moderation(*s))
        .map(|s| context! { key => s.as_str(), label => status_label(lang, s) })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Errors in the page's language
// ---------------------------------------------------------------------------------------------

/// `write between 3 and 200 characters (now 2)`: a text of the wrong length (English pages put
/// the field's label before it).
fn is_length(msg: &str) -> bool {
    msg.starts_with("write between")
}

/// A use case's error about a request, in the page's language.
pub(crate) fn error_text(page: &Page<'_>, e: &ServiceError) -> (StatusCode, String) {
    let (status, text) = page.error(e);
    let text = match page.lang {
        Lang::Fr => text,
        Lang::En => match e {
            ServiceError::Invalid(d) => match crate::pages::field_label(Lang::En, d.field()) {
                "" => text,
                l if is_length(&text) => format!("{l}: {text}"),
                _ => text,
            },
            ServiceError::NotFound(what) => format!("{what} not found"),
            _ => text,
        },
    };
    (status, text)
}

/// A value of a form refused by the page itself, in English and French.
fn invalid(field: &'static str, en: impl Into<String>, fr: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(vigie_domain::DomainError::invalid(field, en).fr(fr))
}

// ---------------------------------------------------------------------------------------------
// The « Demandes » section of an object's sheet and the filing form
// ---------------------------------------------------------------------------------------------

/// An uploaded file.
#[derive(Clone)]
pub(crate) struct Upload {
    file_name: Option<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

/// What the filing form sent.
#[derive(Default, Clone)]
pub(crate) struct Filing {
    kind: String,
    categories: Vec<String>,
    title: String,
    description: String,
    urgency: String,
    reminder_on: String,
    contact_email: String,
    /// (kind, field key, text) of the kinds' extra fields.
    fields: Vec<(String, String, String)>,
    /// « Déposer quand même »: file even though similar requests are open.
    confirm: bool,
    photo: Option<Upload>,
}

/// The filing form shown again: with what was typed, and the similar open requests found.
#[derive(Default)]
pub(crate) struct FilingShown {
    typed: Filing,
    similar: Vec<SimilarRequest>,
}

/// What the pages say instead of a request's content while it awaits moderation.
fn pending_text(lang: Lang, r: &RequestRecord) -> String {
    let p = pending_placeholder(r.filed_at);
    match lang {
        Lang::Fr => p.french().unwrap_or(p.en()).to_owned(),
        Lang::En => p.en().to_owned(),
    }
}

/// A request in a list; `readable`: whether the visitor may read it if it awaits moderation.
fn request_row(lang: Lang, m: &wit::PluginManifest, r: &RequestRecord, readable: bool) -> Value {
    let pending = r.status == RequestStatus::New && !readable;
    context! {
        id => r.id,
        title => if pending { format!("{} {}", lang.t("request_n"), r.id) } else { r.shown_title().to_owned() },
        pending_notice => pending.then(|| pending_text(lang, r)),
        status => status_label(lang, r.status),
        status_key => r.status.as_str(),
        kind => kind_label(lang, m, &r.kind),
        urgency => urgency_label(lang, r.urgency),
        urgency_key => r.urgency.as_str(),
        supporters => r.supporters,
        reexpressed => r.public_title.is_some() || r.public_description.is_some(),
        reason => r.moderation_reason.clone().filter(|_| matches!(r.status, RequestStatus::Refused | RequestStatus::SetApart)),
        merged_into => r.merged_into,
        filed_on => date(r.filed_at),
    }
}

fn similar_rows(lang: Lang, m: &wit::PluginManifest, similar: &[SimilarRequest]) -> Vec<Value> {
    similar
        .iter()
        .map(|s| {
            let place = match s.distance_m {
                Some(d) if d < 1.0 => lang.t("same_place").to_owned(),
                Some(d) => format!(
                    "{} {} m — {}",
                    lang.t("at_distance"),
                    d.round(),
                    s.request.object_name
                ),
                None => s.request.object_name.clone(),
            };
            context! {
                row => request_row(lang, m, &s.request, true),
                place => place,
                similarity => format!("{:.0} %", s.similarity * 100.0),
            }
        })
        .collect()
}

fn field_input(lang: Lang, kind: &str, f: &wit::Field, typed: &Filing) -> Value {
    let (input, options): (&str, Vec<Value>) = match &f.kind {
        wit::FieldKind::LongText => ("textarea", Vec::new()),
        wit::FieldKind::Date => ("date", Vec::new()),
        wit::FieldKind::DateTime => ("datetime-local", Vec::new()),
        wit::FieldKind::Url => ("url", Vec::new()),
        wit::FieldKind::Integer | wit::FieldKind::Decimal => ("number", Vec::new()),
        wit::FieldKind::Boolean => (
            "select",
            vec![
                context! { key => "oui", label => lang.t("yes") },
                context! { key => "non", label => lang.t("no") },
            ],
        ),
        wit::FieldKind::Choice(opts) => (
            "select",
            opts.iter()
                .map(|o| context! { key => &o.key, label => label(lang, &o.label) })
                .collect(),
        ),
        wit::FieldKind::Text => ("text", Vec::new()),
    };
    let value = typed
        .fields
        .iter()
        .find(|(k, key, _)| k == kind && key == &f.key)
        .map(|(_, _, v)| v.clone())
        .unwrap_or_default();
    context! {
        name => format!("field.{kind}.{}", f.key),
        id => format!("f-{kind}-{}", f.key),
        label => label(lang, &f.label),
        help => f.help.as_ref().map(|h| label(lang, h)),
        input => input,
        options => options,
        required => f.constraints.required,
        max_length => f.constraints.max_length,
        step => matches!(f.kind, wit::FieldKind::Decimal).then_some("any"),
        value => value,
    }
}

fn filing_form(lang: Lang, m: &wit::PluginManifest, shown: Option<&FilingShown>) -> Value {
    let empty = Filing::default();
    let typed = shown.map_or(&empty, |s| &s.typed);
    let kinds: Vec<Value> = m
        .request_kinds
        .iter()
        .map(|k| {
            context! {
                key => &k.key,
                label => label(lang, &k.label),
                description => label(lang, &k.description),
                selected => typed.kind == k.key,
                urgency => urgency_label(lang, urgency_of(k.default_urgency)),
                urgency_locked => k.urgency_locked,
                fields => k.fields.iter().map(|f| field_input(lang, &k.key, f, typed)).collect::<Vec<_>>(),
            }
        })
        .collect();
    // Every set some kind allows; the use case refuses a category the chosen kind does not.
    let sets: Vec<Value> = m
        .category_sets
        .iter()
        .filter(|s| {
            m.request_kinds
                .iter()
                .any(|k| k.category_sets.contains(&s.key))
        })
        .map(|s| {
            let only: Vec<String> = m
                .request_kinds
                .iter()
                .filter(|k| k.category_sets.contains(&s.key))
                .map(|k| label(lang, &k.label))
                .collect();
            context! {
                key => &s.key,
                label => label(lang, &s.label),
                only => (only.len() < m.request_kinds.len()).then(|| only.join(", ")),
                categories => s.categories.iter().map(|c| {
                    let key = format!("{}/{}", s.key, c.key);
                    context! {
                        checked => typed.categories.contains(&key),
                        id => format!("cat-{}-{}", s.key, c.key),
                        key => key,
                        label => label(lang, &c.label),
                    }
                }).collect::<Vec<_>>(),
            }
        })
        .collect();
    let urgencies: Vec<Value> = Urgency::ALL
        .into_iter()
        .map(|u| context! { key => u.as_str(), label => urgency_label(lang, u), selected => typed.urgency == u.as_str() })
        .collect();
    context! {
        kinds => kinds,
        sets => sets,
        urgencies => urgencies,
        title => &typed.title,
        description => &typed.description,
        reminder_on => &typed.reminder_on,
        contact_email => &typed.contact_email,
        similar => shown.map(|s| similar_rows(lang, m, &s.similar)).unwrap_or_default(),
        photo_dropped => typed.photo.is_some(),
        min_reminder => tomorrow(),
    }
}

fn urgency_of(u: wit::Urgency) -> Urgency {
    match u {
        wit::Urgency::Low => Urgency::Low,
        wit::Urgency::Normal => Urgency::Normal,
        wit::Urgency::High => Urgency::High,
        wit::Urgency::Maximal => Urgency::Maximal,
    }
}

fn tomorrow() -> String {
    let d = time::OffsetDateTime::now_utc().date().next_day();
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// The « Demandes » section of an object's sheet: its requests (those set apart apart, without
/// their content) and the filing form.
pub(crate) async fn object_section(
    page: &Page<'_>,
    tenant: &Tenant,
    object_id: i64,
    m: &wit::PluginManifest,
    shown: Option<&FilingShown>,
) -> Result<Value, ServiceError> {
    let lang = page.lang;
    let all = page.services().requests(tenant, Some(object_id)).await?;
    let unreadable = page
        .services()
        .unreadable_requests(&page.caller.principal(), tenant, &all)
        .await?;
    let (set_apart, listed): (Vec<&RequestRecord>, Vec<&RequestRecord>) = all
        .iter()
        .partition(|r| r.status == RequestStatus::SetApart);
    Ok(context! {
        list => listed.iter().map(|r| request_row(lang, m, r, !unreadable.contains(&r.id))).collect::<Vec<_>>(),
        set_apart => set_apart.iter().map(|r| context! {
            id => r.id,
            reason => &r.moderation_reason,
            filed_on => date(r.filed_at),
        }).collect::<Vec<_>>(),
        form => (!m.request_kinds.is_empty()).then(|| filing_form(lang, m, shown)),
    })
}

/// Reads the filing form; the photo is cut at `max_photo` bytes while it streams.
async fn read_filing(mut mp: Multipart, max_photo: u64) -> Result<Filing, FieldError> {
    let mut f = Filing::default();
    while let Some(field) = mp.next_field().await? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "photo" {
            let file_name = field.file_name().map(str::to_owned);
            let content_type = field.content_type().map(str::to_owned);
            let bytes = read_field(field, max_photo).await?;
            if !bytes.is_empty() {
                f.photo = Some(Upload {
                    file_name: file_name.filter(|n| !n.is_empty()),
                    content_type,
                    bytes,
                });
            }
            continue;
        }
        let value = field.text().await?;
        match name.as_str() {
            "kind" => f.kind = value,
            "categories" => f.categories.push(value),
            "title" => f.title = value,
            "description" => f.description = value,
            "urgency" => f.urgency = value,
            "reminder_on" => f.reminder_on = value,
            "contact_email" => f.contact_email = value,
            "confirm" => f.confirm = value == "1",
            other => {
                if let Some((kind, key)) = other
                    .strip_prefix("field.")
                    .and_then(|rest| rest.split_once('.'))
                {
                    f.fields.push((kind.to_owned(), key.to_owned(), value));
                }
            }
        }
    }
    Ok(f)
}

enum Filed {
    /// Filed: go to its page with the requester's token.
    Done {
        id: i64,
        token: String,
        photo_refused: bool,
    },
    /// Similar open requests: show them before filing.
    Similar(Vec<SimilarRequest>),
    /// Too many anonymous submissions from this client.
    TooMany,
}

async fn file(
    page: &Page<'_>,
    allowed: impl FnOnce() -> bool,
    slug: &str,
    id: i64,
    f: &Filing,
) -> Result<Filed, ServiceError> {
    let services: &Services = page.services();
    let tenant = services.tenant(slug).await?;
    let object = services.object(&tenant, id).await?;
    let principal = page.caller.principal();
    let key = ObjectTypeKey::parse(&object.object_type)?;
    let schema = services.object_schema(&tenant, &key).await?;
    let m = schema.plugin.manifest();
    let mut fields = Vec::new();
    if let Some(kind) = m.request_kinds.iter().find(|k| k.key == f.kind) {
        for (k, field_key, raw) in &f.fields {
            if k != &kind.key || raw.trim().is_empty() {
                continue;
            }
            let Some(field) = kind.fields.iter().find(|x| &x.key == field_key) else {
                continue;
            };
            let value = parse_value(field, raw).ok_or_else(|| {
                invalid(
                    "value",
                    format!("\"{}\": unreadable value '{raw}'", field.label.en),
                    format!("« {} » : valeur illisible « {raw} ».", field.label.fr),
                )
            })?;
            fields.push(ProposedValue {
                field: field.key.clone(),
                value,
            });
        }
    }
    if !f.confirm {
        // Checked first, so that a too-short text is reported before similar requests are.
        check_text("title", &f.title, 3, 200)?;
        check_text("description", &f.description, 3, 4000)?;
        let similar = services
            .similar_requests(
                &tenant,
                id,
                &format!("{} {}", f.title, f.description),
                None,
                false,
            )
            .await?;
        if !similar.is_empty() {
            return Ok(Filed::Similar(similar));
        }
    }
    if !allowed() {
        return Ok(Filed::TooMany);
    }
    let filed = services
        .file_request(
            Actor::Principal(&principal),
            &tenant,
            id,
            RequestInput {
                kind: f.kind.clone(),
                categories: f.categories.clone(),
                title: f.title.clone(),
                description: f.description.clone(),
                fields,
                urgency: Some(f.urgency.clone()).filter(|u| !u.is_empty()),
                reminder_on: Some(f.reminder_on.clone()).filter(|d| !d.is_empty()),
                contact_email: Some(f.contact_email.clone()).filter(|e| !e.trim().is_empty()),
            },
        )
        .await?;
    let mut photo_refused = false;
    if let Some(photo) = &f.photo {
        let title: String = format!("Photo — {}", filed.request.title)
            .chars()
            .take(200)
            .collect();
        let attached = async {
            let editor = services
                .request_editor(
                    &principal,
                    Some(&filed.follow_token),
                    &tenant,
                    &filed.request,
                )
                .await?;
            services
                .attach_to_request(
                    &editor,
                    &tenant,
                    filed.request.id,
                    DocumentInput {
                        kind: "photo".into(),
                        title,
                        document_date: None,
                        source: None,
                        file_name: photo.file_name.clone(),
                        content_type: photo.content_type.clone(),
                    },
                    photo.bytes.clone(),
                )
                .await
        }
        .await;
        if let Err(e) = attached {
            tracing::info!(error = %e, request = filed.request.id, "photo of a new request refused");
            photo_refused = true;
        }
    }
    Ok(Filed::Done {
        id: filed.request.id,
        token: filed.follow_token,
        photo_refused,
    })
}

/// `POST /t/:slug/o/:id/requests`: files a request from the object's sheet. Similar open
/// requests are shown first (with « Moi aussi » and « Déposer quand même »); once filed, the
/// requester lands on the request's page with their personal link.
#[handler]
pub async fn file_request(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    multipart: Multipart,
) -> Response {
    let page = Page::new(&state, req, caller);
    let filing = match read_filing(multipart, state.services.max_upload_bytes()).await {
        Ok(f) => f,
        // Nothing is filed: the form is refused whole.
        Err(FieldError::TooLarge { limit }) => return page.too_large(limit),
        Err(e) => {
            tracing::info!(error = %e, "unreadable request form");
            let text = page.lang.t("unreadable_form");
            return page.render(
                StatusCode::BAD_REQUEST,
                "message.html",
                context! { error => text },
            );
        }
    };
    let signed_in = page.caller.user.is_some();
    let allowed = || state.anonymous_allowed(req, signed_in);
    match file(&page, allowed, &slug, id, &filing).await {
        // Post/redirect/get, with the requester's token: their link to follow the request.
        Ok(Filed::Done {
            id: rid,
            token,
            photo_refused,
        }) => redirect(&request_url(
            &slug,
            rid,
            Some(&token),
            if photo_refused {
                "filed=1&photo=refused"
            } else {
                "filed=1"
            },
        )),
        Ok(Filed::Similar(similar)) => {
            let shown = FilingShown {
                typed: filing,
                similar,
            };
            let flash = page.lang.t("similar_found").to_owned();
            crate::objects::render_filing(&page, &slug, id, Some(flash), None, shown).await
        }
        Ok(Filed::TooMany) => {
            let error = (
                StatusCode::TOO_MANY_REQUESTS,
                page.lang.t("too_many").to_owned(),
            );
            let shown = FilingShown {
                typed: filing,
                similar: Vec::new(),
            };
            crate::objects::render_filing(&page, &slug, id, None, Some(error), shown).await
        }
        Err(ServiceError::NotFound(what)) => page.error_page(&ServiceError::NotFound(what)),
        Err(e) => {
            let error = error_text(&page, &e);
            let shown = FilingShown {
                typed: filing,
                similar: Vec::new(),
            };
            crate::objects::render_filing(&page, &slug, id, None, Some(error), shown).await
        }
    }
}

/// The query of [`similar_fragment`]: what is about to be filed.
#[derive(Deserialize, Default)]
pub struct SimilarQuery {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
}

/// `GET /t/:slug/o/:id/requests/similar?title=…&description=…`: the open requests like this
/// one on the object and nearby, as the HTML the sheet shows above its filing form (asked for
/// by the sheet's script before it sends the form, so that nothing chosen is lost); 204 when
/// there are none, or when the text is too short to compare (the filing then says why).
#[handler]
pub async fn similar_fragment(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    Query(q): Query<SimilarQuery>,
) -> Response {
    let page = Page::new(&state, req, caller);
    if check_text("title", &q.title, 3, 200).is_err()
        || check_text("description", &q.description, 3, 4000).is_err()
    {
        return StatusCode::NO_CONTENT.into_response();
    }
    let found = async {
        let services = page.services();
        let tenant = services.tenant(&slug).await?;
        let object = services.object(&tenant, id).await?;
        let key = ObjectTypeKey::parse(&object.object_type)?;
        let schema = services.object_schema(&tenant, &key).await?;
        let text = format!("{} {}", q.title, q.description);
        let similar = services
            .similar_requests(&tenant, id, &text, None, false)
            .await?;
        let rows = similar_rows(page.lang, schema.plugin.manifest(), &similar);
        Ok::<_, ServiceError>((page.tenant_ctx(&tenant), rows))
    }
    .await;
    match found {
        Ok((_, rows)) if rows.is_empty() => StatusCode::NO_CONTENT.into_response(),
        Ok((tenant, rows)) => page.render(
            StatusCode::OK,
            "similar.html",
            context! { tenant => tenant, similar => rows, announce => true },
        ),
        Err(e) => page.error_page(&e),
    }
}

// ---------------------------------------------------------------------------------------------
// A request's page
// ---------------------------------------------------------------------------------------------

/// The query of a request's page.
#[derive(Deserialize, Default)]
pub struct RequestQuery {
    /// A personal link's token (requester or contact).
    #[serde(default)]
    token: String,
    /// Show the content of a request set apart.
    #[serde(default)]
    reveal: String,
    /// Just filed.
    #[serde(default)]
    filed: String,
    /// The photo sent with the request was refused.
    #[serde(default)]
    photo: String,
    /// What was just done (a word key).
    #[serde(default)]
    done: String,
}

/// One line of an entry's details: a label, a text and, for another request, its link.
fn detail(label: &str, text: String, href: Option<String>) -> Value {
    context! { label => label, text => text, href => href }
}

fn journal_rows(
    lang: Lang,
    slug: &str,
    m: &wit::PluginManifest,
    entries: &[JournalEntry],
    names: &std::collections::HashMap<String, String>,
    hide: bool,
) -> Vec<Value> {
    // An account is named by its pseudonym (`account:7f3c…`) and shown by its current name;
    // entries written before pseudonyms carry a plain name, shown as it is.
    let shown = |v: String| names.get(&v).cloned().unwrap_or(v);
    entries
        .iter()
        .map(|e| {
            let d: serde_json::Value = if hide {
                serde_json::Value::Null
            } else {
                serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null)
            };
            let s = |k: &str| d.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            let status = |k: &str| {
                s(k).map(|v| {
                    RequestStatus::parse(&v).map_or(v, |st| status_label(lang, st).to_owned())
                })
            };
            let who = if hide {
                None
            } else {
                match (e.action.as_str(), s("by")) {
                    (_, Some(by)) => Some(shown(by)),
                    ("filed" | "supported" | "reopened", None) => {
                        Some(lang.t("anonymous_person").to_owned())
                    }
                    ("reminder_due" | "notification_sent", None) => Some("Vigie".to_owned()),
                    _ => None,
                }
            };
            let mut lines = Vec::new();
            if !hide {
                if let (Some(from), Some(to)) = (status("from"), status("to"))
                    && matches!(e.action.as_str(), "status_changed" | "reopened")
                {
                    lines.push(detail(lang.t("status"), format!("{from} → {to}"), None));
                }
                if e.action == "filed" {
                    if let Some(k) = s("kind") {
                        lines.push(detail(lang.t("kind"), kind_label(lang, m, &k), None));
                    }
                    if let Some(u) = s("urgency").and_then(|u| Urgency::parse(&u)) {
                        lines.push(detail(
                            lang.t("urgency"),
                            urgency_label(lang, u).to_owned(),
                            None,
                        ));
                    }
                    if let Some(r) = s("reminder_on") {
                        lines.push(detail(lang.t("d_reminder"), r, None));
                    }
                }
                if matches!(e.action.as_str(), "filed" | "reexpressed")
                    && let Some(t) = s("title")
                {
                    lines.push(detail(lang.t("r_title"), t, None));
                }
                if matches!(
                    e.action.as_str(),
                    "assigned" | "unassigned" | "notification_sent"
                ) && let Some(to) = s("to")
                {
                    // Never an e-mail address: the requester is « the requester ».
                    let to = if to == "requester" {
                        lang.t("the_requester").to_owned()
                    } else if to.contains('@') {
                        "—".to_owned()
                    } else {
                        shown(to)
                    };
                    let role = s("role").map(|r| format!(" ({r})")).unwrap_or_default();
                    let official =
                        if d.get("official").and_then(serde_json::Value::as_bool) == Some(true) {
                            format!(" — {}", lang.t("role_official"))
                        } else {
                            String::new()
                        };
                    lines.push(detail(
                        lang.t("d_to"),
                        format!("{to}{role}{official}"),
                        None,
                    ));
                }
                if let Some(subject) = s("subject") {
                    lines.push(detail(lang.t("d_subject"), subject, None));
                }
                if let Some(reason) = s("reason") {
                    lines.push(detail(lang.t("reason"), reason, None));
                }
                if let Some(note) = s("note") {
                    lines.push(detail(lang.t("note"), note, None));
                }
                if let Some(message) = s("message") {
                    lines.push(detail(lang.t("message"), message, None));
                }
                if e.action == "attachment_added"
                    && let Some(t) = s("title")
                {
                    lines.push(detail(lang.t("attachment"), t, None));
                }
                if let Some(into) = d.get("into").and_then(serde_json::Value::as_i64) {
                    lines.push(detail(
                        lang.t("d_into"),
                        format!("{} {into}", lang.t("request_n")),
                        Some(format!("/t/{slug}/r/{into}")),
                    ));
                }
                if let Some(from) = d.get("from").and_then(serde_json::Value::as_i64) {
                    lines.push(detail(
                        lang.t("d_from"),
                        format!("{} {from}", lang.t("request_n")),
                        Some(format!("/t/{slug}/r/{from}")),
                    ));
                }
            }
            context! {
                seq => e.seq,
                action => action_label(lang, &e.action),
                action_key => &e.action,
                at => journal_time(&e.at),
                at_iso => &e.at,
                who => who,
                lines => lines,
                hash => &e.hash,
                short_hash => e.hash.get(..12).unwrap_or(&e.hash),
                prev_hash => &e.prev_hash,
            }
        })
        .collect()
}

/// What an action form left behind when it was refused.
#[derive(Default)]
struct Refused {
    error: Option<(StatusCode, String)>,
    /// Which form, and what was typed in it.
    form: Option<(&'static str, Vec<(String, String)>)>,
}

async fn render_request(
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

// ---------------------------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------------------------

/// Ends an action: on success back to the request's page (post/redirect/get) with a word of
/// what was done; on failure the page again, with the error and what was typed.
async fn finish(
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
async fn too_many(page: &Page<'_>, slug: &str, id: i64, token: &str) -> Response {
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

async fn editor_of(
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
    let result = async {
        let services = page.services();
        let tenant = services.tenant(&slug).await?;
        let decision = RequestModeration::new(&f.decision, Some(&f.reason))?;
        let me = page.caller.principal();
        services
            .moderate_request(Actor::Principal(&me), &tenant, id, decision)
            .await?;
        Ok(())
    }
    .await;
    let typed = vec![
        ("decision".into(), f.decision.clone()),
        ("reason".into(), f.reason.clone()),
    ];
    finish(
        &page,
        &slug,
        id,
        &f.token,
        result,
        "moderated",
        ("moderate", typed),
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
    let result = async {
        let services = page.services();
        let tenant = services.tenant(&slug).await?;
        let me = page.caller.principal();
        services
            .reexpress_request(Actor::Principal(&me), &tenant, id, &f.title, &f.description)
            .await?;
        Ok(())
    }
    .await;
    let typed = vec![
        ("title".into(), f.title.clone()),
        ("description".into(), f.description.clone()),
    ];
    finish(
        &page,
        &slug,
        id,
        &f.token,
        result,
        "reexpressed",
        ("wording", typed),
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

fn either_contact_or_user(field: &'static str) -> ServiceError {
    invalid(
        field,
        "give either a contact or a user number",
        "Choisissez un contact ou donnez un numéro de compte (l'un ou l'autre).",
    )
}

fn parse_status(raw: &str) -> Result<RequestStatus, ServiceError> {
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
    let result = async {
        let services = page.services();
        let tenant = services.tenant(&slug).await?;
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
        let editor = editor_of(&page, &tenant, id, &f.token).await?;
        services
            .assign_request(&editor, &tenant, id, target)
            .await?;
        Ok(())
    }
    .await;
    let typed = vec![("user_id".into(), f.user_id.clone())];
    finish(
        &page,
        &slug,
        id,
        &f.token,
        result,
        "assigned",
        ("assign", typed),
    )
    .await
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
    let result = async {
        let services = page.services();
        let tenant = services.tenant(&slug).await?;
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
    .await;
    let typed = vec![("into".into(), f.into.clone())];
    finish(
        &page,
        &slug,
        id,
        &f.token,
        result,
        "merged",
        ("merge", typed),
    )
    .await
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

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_domain::DomainError;

    #[test]
    fn every_status_urgency_and_action_has_words() {
        for s in RequestStatus::ALL {
            for lang in [Lang::Fr, Lang::En] {
                assert_ne!(status_label(lang, s), "??", "{s:?}");
            }
        }
        assert_eq!(
            status_label(Lang::Fr, RequestStatus::New),
            "en attente de modération"
        );
        for u in Urgency::ALL {
            assert_ne!(urgency_label(Lang::Fr, u), "??", "{u:?}");
        }
        for a in [
            "filed",
            "published",
            "refused",
            "set_apart",
            "reexpressed",
            "status_changed",
            "reopened",
            "assigned",
            "unassigned",
            "notification_sent",
            "answered",
            "comment_added",
            "attachment_added",
            "supported",
            "merged",
            "merged_from",
            "reminder_due",
        ] {
            assert_ne!(action_label(Lang::Fr, a), a.replace('_', " "), "{a}");
            assert!(!action_label(Lang::En, a).is_empty());
        }
        assert_eq!(action_label(Lang::Fr, "something_new"), "something new");
    }

    #[test]
    fn journal_times_and_tokens() {
        assert_eq!(
            journal_time("2026-11-28T10:05:00.000000Z"),
            "2026-11-28 10:05 UTC"
        );
        assert_eq!(journal_time("?"), "?");
        assert_eq!(clean_token(" ab12 "), Some("ab12"));
        assert_eq!(clean_token("a&b=c"), None);
        assert_eq!(clean_token(""), None);
        assert_eq!(request_url("s", 3, None, ""), "/t/s/r/3");
        assert_eq!(
            request_url("s", 3, Some("ab"), "done=x"),
            "/t/s/r/3?token=ab&done=x"
        );
        assert_eq!(
            request_url("s", 3, Some("a b"), "done=x"),
            "/t/s/r/3?done=x"
        );
    }

    #[test]
    fn the_pages_and_the_use_cases_name_statuses_alike_in_french() {
        for s in RequestStatus::ALL {
            assert_eq!(status_label(Lang::Fr, s), s.label_fr(), "{s:?}");
        }
    }

    #[test]
    fn errors_about_requests_are_in_french() {
        // The French the domain and the use cases wrote, with the field's label before a
        // fragment that names no subject.
        let too_short = vigie_domain::requests::check_text("title", "ab", 3, 200).unwrap_err();
        assert_eq!(
            crate::pages::french(&ServiceError::Invalid(too_short)).as_deref(),
            Some("« Titre » : écrivez entre 3 et 200 caractères (ici 2).")
        );
        let conflict = ServiceError::Conflict(
            vigie_domain::Bilingual::new("this request was already merged")
                .fr("Cette demande a déjà été fusionnée."),
        );
        assert_eq!(
            crate::pages::french(&conflict).as_deref(),
            Some("Cette demande a déjà été fusionnée.")
        );
        assert_eq!(
            crate::pages::french(&ServiceError::NotFound("request")).as_deref(),
            Some("Demande introuvable.")
        );
        // Nothing written in French: the common translation decides (no guessing from English).
        let english = ServiceError::Invalid(DomainError::invalid("kind", "unknown kind 'x'"));
        assert_eq!(crate::pages::french(&english), None);
        assert_eq!(
            crate::pages::french(&invalid(
                "into",
                "no request 9 here",
                "Pas de demande n° 9 ici."
            ))
            .as_deref(),
            Some("Pas de demande n° 9 ici.")
        );
    }
}
