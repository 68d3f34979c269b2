//! The « Demandes » section of an object's sheet and its filing form: similar open requests
//! are shown before filing; the sheet itself (`crate::objects`) shows the form again when it
//! is refused.

use minijinja::{Value, context};
use poem::http::StatusCode;
use poem::web::{Data, Multipart, Path, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;
use vigie_domain::ObjectTypeKey;
use vigie_domain::requests::{RequestStatus, Urgency, check_text};
use vigie_http::Caller;
use vigie_http::body_limit::{FieldError, read_field};
use vigie_plugins::wit;
use vigie_services::{
    Actor, DocumentInput, ProposedValue, RequestInput, ServiceError, Services, SimilarRequest,
};
use vigie_storage::{RequestRecord, Tenant};

use super::errors::{error_text, invalid};
use super::labels::{date, request_row, request_url, similar_rows, urgency_label, urgency_of};
use crate::Lang;
use crate::WebState;
use crate::page::{Page, label, parse_value, redirect};

/// An uploaded file.
#[derive(Clone)]
pub(crate) struct Upload {
    pub(crate) file_name: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) bytes: Vec<u8>,
}

/// What the filing form sent.
#[derive(Default, Clone)]
pub(crate) struct Filing {
    pub(crate) kind: String,
    categories: Vec<String>,
    pub(crate) title: String,
    pub(crate) description: String,
    urgency: String,
    reminder_on: String,
    contact_email: String,
    /// (kind, field key, text) of the kinds' extra fields.
    fields: Vec<(String, String, String)>,
    /// « Déposer quand même »: file even though similar requests are open.
    confirm: bool,
    pub(crate) photo: Option<Upload>,
    /// The idempotency key the page's script gave this submission (none without script).
    pub(crate) submission_key: String,
    /// The place, as the quick report's form names it (the sheet's form is at its place).
    pub(crate) object: String,
}

/// The filing form shown again: with what was typed, and the similar open requests found.
#[derive(Default)]
pub(crate) struct FilingShown {
    pub(crate) typed: Filing,
    pub(crate) similar: Vec<SimilarRequest>,
}

pub(crate) fn field_input(lang: Lang, kind: &str, f: &wit::Field, typed: &Filing) -> Value {
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

pub(crate) fn filing_form(
    lang: Lang,
    m: &wit::PluginManifest,
    shown: Option<&FilingShown>,
) -> Value {
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
        // Shown again after a refusal: the same submission, corrected, keeps its key.
        submission_key => &typed.submission_key,
        min_reminder => tomorrow(),
    }
}

pub(crate) fn tomorrow() -> String {
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
pub(crate) async fn read_filing(mut mp: Multipart, max_photo: u64) -> Result<Filing, FieldError> {
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
            "submission_key" => f.submission_key = value,
            "object" => f.object = value,
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

pub(crate) enum Filed {
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

pub(crate) async fn file(
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
                submission_key: Some(f.submission_key.clone()).filter(|k| !k.is_empty()),
            },
        )
        .await?;
    let mut photo_refused = false;
    // Sent again (an offline queue, a lost answer): the first sending attached its photo.
    if let Some(photo) = f.photo.as_ref().filter(|_| !filed.replayed) {
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

/// What became of a filing form: an answer of its own, or the object's sheet to show again
/// (`crate::objects::file_request` renders it: the sheet holds this module's section, never
/// the other way round).
pub(crate) enum Received {
    /// The filed request's page (post/redirect/get), or an error page.
    Answer(Response),
    /// The sheet again with a word or an error, and the form as it was typed.
    Sheet {
        /// A word above the sheet (similar requests were found).
        flash: Option<String>,
        /// Why the form was refused.
        error: Option<(StatusCode, String)>,
        /// The form as typed, with the similar open requests.
        shown: Box<FilingShown>,
    },
}

/// Reads and files the request form sent from an object's sheet (`id`), or the quick report
/// (`None`: the place is the form's `object`, and a missing description is the title).
/// Similar open requests are shown first (with « Moi aussi » and « Déposer quand même »); once
/// filed, the requester lands on the request's page with their personal link.
pub(crate) async fn receive(
    page: &Page<'_>,
    state: &WebState,
    req: &Request,
    slug: &str,
    id: Option<i64>,
    multipart: Multipart,
) -> Received {
    let mut filing = match read_filing(multipart, state.services.max_upload_bytes()).await {
        Ok(f) => f,
        // Nothing is filed: the form is refused whole.
        Err(FieldError::TooLarge { limit }) => return Received::Answer(page.too_large(limit)),
        Err(e) => {
            tracing::info!(error = %e, "unreadable request form");
            let text = page.lang.t("unreadable_form");
            return Received::Answer(page.render(
                StatusCode::BAD_REQUEST,
                "message.html",
                context! { error => text },
            ));
        }
    };
    let id = match id {
        Some(id) => id,
        None => {
            if filing.description.trim().is_empty() {
                filing.description = filing.title.clone();
            }
            match filing.object.trim().parse::<i64>() {
                Ok(id) => id,
                Err(_) => {
                    return Received::Sheet {
                        flash: None,
                        error: Some((
                            StatusCode::BAD_REQUEST,
                            page.lang.t("quick_no_place").to_owned(),
                        )),
                        shown: Box::new(FilingShown {
                            typed: filing,
                            similar: Vec::new(),
                        }),
                    };
                }
            }
        }
    };
    let signed_in = page.caller.user.is_some();
    let allowed = || state.anonymous_allowed(req, signed_in);
    let filed = file(page, allowed, slug, id, &filing).await;
    let sheet = |flash, error, similar| Received::Sheet {
        flash,
        error,
        shown: Box::new(FilingShown {
            typed: filing,
            similar,
        }),
    };
    match filed {
        // Post/redirect/get, with the requester's token: their link to follow the request.
        Ok(Filed::Done {
            id: rid,
            token,
            photo_refused,
        }) => Received::Answer(redirect(&request_url(
            slug,
            rid,
            Some(&token),
            if photo_refused {
                "filed=1&photo=refused"
            } else {
                "filed=1"
            },
        ))),
        Ok(Filed::Similar(similar)) => {
            sheet(Some(page.lang.t("similar_found").to_owned()), None, similar)
        }
        Ok(Filed::TooMany) => sheet(
            None,
            Some((
                StatusCode::TOO_MANY_REQUESTS,
                page.lang.t("too_many").to_owned(),
            )),
            Vec::new(),
        ),
        Err(ServiceError::NotFound(what)) => {
            Received::Answer(page.error_page(&ServiceError::NotFound(what)))
        }
        Err(e) => sheet(None, Some(error_text(page, &e)), Vec::new()),
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
