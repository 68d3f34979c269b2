//! `/tenants/{slug}/requests`: requests for intervention or improvement, their moderation,
//! who handles them, their supporters and duplicates, comments, attachments, and the
//! collective's tamper-evident journal.
//!
//! Changing a request needs to be its requester, one of its assignees, a moderator of its
//! object (Certified citizen, the type's Garant) or a contact holding a notification's link:
//! the link's `token` goes in the query string.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Multipart, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::multipart::Upload,
};
use serde_json::Value;
use time::OffsetDateTime;
use vigie_domain::requests::{JournalEntry, RequestModeration, RequestStatus};
use vigie_domain::{ObjectTypeKey, Operation};
use vigie_http::ClientAddress;
use vigie_plugins::to_api_json;
use vigie_services::{
    Actor, AssignTarget, DocumentInput, Editor, ProposedValue, RequestDetails, RequestInput,
    ServiceError, SimilarRequest, decode_value, pending_placeholder,
};
use vigie_storage::{Assignment, Comment, Contact, RequestRecord, Tenant};

use crate::events::{DocumentView, read_upload};
use crate::objects::to_value;
use crate::session::Caller;
use crate::{ApiError, ApiState, ApiTags, ErrorEnvelope};

/// Shown instead of the content of a request set apart, unless `reveal=true`.
const SET_APART_WARNING: &str = "Cette demande a été mise à l'écart (contenu illicite ou abusif). \
     Son contenu n'est montré qu'à la demande (reveal=true). / This request was set apart as \
     unlawful or abusive; its content is shown only on request (reveal=true).";

/// A request as the public sees it: never the requester's e-mail.
#[derive(Debug, Object)]
struct RequestView {
    /// Id.
    id: i64,
    /// The object.
    object_id: i64,
    /// Its type.
    object_type: String,
    /// Its official name.
    object_name: String,
    /// Kind key (see the type's `request_kinds`).
    kind: String,
    /// `set/category` keys.
    categories: Vec<String>,
    /// The title shown: the moderator's re-expression, else the requester's. Absent when the
    /// content is hidden (set apart, or awaiting moderation and not yours to read).
    title: Option<String>,
    /// The description shown.
    description: Option<String>,
    /// The requester's own title, always kept.
    original_title: Option<String>,
    /// The requester's own description.
    original_description: Option<String>,
    /// Whether a moderator re-expressed it.
    reexpressed: bool,
    /// Extra fields of the kind, as the interface's `value` variants.
    fields: Value,
    /// `low`, `normal`, `high` or `maximal`.
    urgency: String,
    /// When the requester will be asked whether it is solved.
    reminder_on: Option<String>,
    /// Requester's public name (absent: anonymous).
    requester: Option<String>,
    /// `new` (pending moderation), `published`, `refused`, `set_apart`, `acknowledged`,
    /// `planned`, `in_progress`, `solved`, `not_solved` or `closed`.
    status: String,
    /// Public reason of a refusal or of setting apart.
    moderation_reason: Option<String>,
    /// The request this one was merged into.
    merged_into: Option<i64>,
    /// Supporters ("me too"), including the requesters of merged duplicates.
    supporters: i64,
    /// Whether the content is hidden behind the warning.
    content_hidden: bool,
    /// Whether it awaits moderation and its content is not yours to read yet: only its author
    /// (signed in, or with `token`), its moderators and those it was handed to read it.
    awaiting_moderation: bool,
    /// The warning shown for requests set apart, or for requests awaiting moderation whose
    /// content is not shown.
    warning: Option<String>,
    /// Filed at.
    filed_at: OffsetDateTime,
    /// Last change.
    updated_at: OffsetDateTime,
}

impl RequestView {
    /// The view of `r`; `readable`: whether the caller may read it if it awaits moderation
    /// (the use cases decide: [`Services::may_read_request`]).
    fn new(r: RequestRecord, reveal: bool, readable: bool) -> Self {
        let pending = r.status == RequestStatus::New && !readable;
        let hidden = (r.status == RequestStatus::SetApart && !reveal) || pending;
        let shown = |s: String| (!hidden).then_some(s);
        let fields: serde_json::Map<String, Value> =
            serde_json::from_str::<serde_json::Map<String, Value>>(&r.extra_fields)
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| {
                    let value = v
                        .as_str()
                        .and_then(decode_value)
                        .map(|v| to_api_json(&v))
                        .unwrap_or(Value::Null);
                    (k, value)
                })
                .collect();
        Self {
            id: r.id,
            object_id: r.object_id,
            object_type: r.object_type.clone(),
            object_name: r.object_name.clone(),
            kind: r.kind.clone(),
            categories: if pending {
                Vec::new()
            } else {
                r.categories.clone()
            },
            title: shown(r.shown_title().to_owned()),
            description: shown(r.shown_description().to_owned()),
            reexpressed: r.public_title.is_some() || r.public_description.is_some(),
            original_title: shown(r.title),
            original_description: shown(r.description),
            fields: if hidden {
                Value::Null
            } else {
                Value::Object(fields)
            },
            urgency: r.urgency.as_str().to_owned(),
            reminder_on: if pending { None } else { r.reminder_on },
            requester: if pending { None } else { r.author_name },
            status: r.status.as_str().to_owned(),
            moderation_reason: r.moderation_reason,
            merged_into: r.merged_into,
            supporters: r.supporters,
            content_hidden: hidden,
            awaiting_moderation: pending,
            warning: if pending {
                let p = pending_placeholder(r.filed_at);
                Some(format!("{} / {}", p.french().unwrap_or_default(), p.en()))
            } else {
                (r.status == RequestStatus::SetApart).then(|| SET_APART_WARNING.to_owned())
            },
            filed_at: r.filed_at,
            updated_at: r.updated_at,
        }
    }
}

/// Who handles a request (names and roles only).
#[derive(Debug, Object)]
struct AssigneeView {
    /// Assignment id (to end it).
    id: i64,
    /// `user` or `contact`.
    kind: String,
    /// The user's id, for a user.
    user_id: Option<i64>,
    /// The contact's id, for a contact.
    contact_id: Option<i64>,
    /// Public name.
    name: String,
    /// A contact's role.
    role_title: Option<String>,
    /// Since when.
    at: OffsetDateTime,
    /// Until when, if no longer.
    removed_at: Option<OffsetDateTime>,
}

/// An Official of the collective (a verified address in one of its official domains), who can
/// be assigned a request. No address: the id to assign and the public name.
#[derive(Debug, Object)]
struct OfficialView {
    /// The user's id (`user_id` of `POST …/requests/{id}/assignees`).
    user_id: i64,
    /// Public name.
    display_name: String,
}

impl From<Assignment> for AssigneeView {
    fn from(a: Assignment) -> Self {
        Self {
            id: a.id,
            kind: if a.user_id.is_some() {
                "user"
            } else {
                "contact"
            }
            .into(),
            user_id: a.user_id.map(|u| u.0),
            contact_id: a.contact_id,
            name: a.name,
            role_title: a.role_title,
            at: a.at,
            removed_at: a.removed_at,
        }
    }
}

/// One entry of the journal.
#[derive(Debug, Object)]
struct JournalEntryView {
    /// Position in the collective's chain, from 1.
    seq: i64,
    /// The request.
    request_id: i64,
    /// `filed`, `published`, `refused`, `set_apart`, `reexpressed`, `status_changed`,
    /// `reopened`, `assigned`, `unassigned`, `notification_sent`, `notification_delivered`,
    /// `answered`,
    /// `comment_added`, `attachment_added`, `supported`, `merged`, `merged_from`,
    /// `reminder_due`.
    action: String,
    /// Public details (JSON text, exactly as hashed). Absent when the request is set apart
    /// and its content hidden.
    details: Option<String>,
    /// When (RFC 3339, exactly as hashed).
    at: String,
    /// Hash of the previous entry.
    prev_hash: String,
    /// SHA-256 of this entry (see `docs/requests.md` for how to recompute it).
    hash: String,
    /// The current display names of the accounts the details name by pseudonym
    /// (`account:7f3c…` → name), resolved when read: not part of what is hashed.
    #[oai(skip_serializing_if_is_empty)]
    names: std::collections::BTreeMap<String, String>,
}

impl JournalEntryView {
    fn new(
        e: JournalEntry,
        hide_details: bool,
        names: &std::collections::HashMap<String, String>,
    ) -> Self {
        let names = if hide_details {
            Default::default()
        } else {
            names
                .iter()
                .filter(|(r, _)| e.details.contains(r.as_str()))
                .map(|(r, n)| (r.clone(), n.clone()))
                .collect()
        };
        Self {
            names,
            seq: e.seq,
            request_id: e.request_id,
            action: e.action,
            details: (!hide_details).then_some(e.details),
            at: e.at,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// A request with who handles it, its attachments and its journal.
#[derive(Debug, Object)]
struct RequestDetailsView {
    /// The request.
    request: RequestView,
    /// Who handles or handled it.
    assignees: Vec<AssigneeView>,
    /// Photos and documents.
    documents: Vec<DocumentView>,
    /// Every step, in order.
    journal: Vec<JournalEntryView>,
    /// For kinds with a legal delay (an SST register entry: two months), the day by which the
    /// authority must answer, counted from the acknowledgement.
    answer_due_on: Option<String>,
}

impl RequestDetailsView {
    fn new(
        slug: &str,
        d: RequestDetails,
        reveal: bool,
        readable: bool,
        token: Option<&str>,
    ) -> Self {
        let hide = (d.request.status == RequestStatus::SetApart && !reveal)
            || (d.request.status == RequestStatus::New && !readable);
        Self {
            assignees: d.assignments.into_iter().map(Into::into).collect(),
            documents: if hide {
                Vec::new()
            } else {
                d.documents
                    .into_iter()
                    .map(|doc| {
                        let mut v = DocumentView::new(slug, doc);
                        // A file of a request awaiting moderation downloads with the link.
                        if let (Some(t), Some(url)) = (
                            token.filter(|_| d.request.status == RequestStatus::New),
                            v.download.as_mut(),
                        ) {
                            *url = format!("{url}?token={t}");
                        }
                        v
                    })
                    .collect()
            },
            journal: d
                .journal
                .into_iter()
                .map(|e| JournalEntryView::new(e, hide, &d.journal_names))
                .collect(),
            answer_due_on: d.answer_due_on,
            request: RequestView::new(d.request, reveal, readable),
        }
    }
}

/// An open request resembling another.
#[derive(Debug, Object)]
struct SimilarView {
    /// The request.
    request: RequestView,
    /// Text similarity, 0 to 1 (accents, case and common French endings ignored).
    similarity: f64,
    /// Metres between the two objects (0: the same object).
    distance_m: Option<f64>,
}

impl From<SimilarRequest> for SimilarView {
    fn from(s: SimilarRequest) -> Self {
        Self {
            request: RequestView::new(s.request, false, true),
            similarity: (s.similarity * 100.0).round() / 100.0,
            distance_m: s.distance_m.map(f64::round),
        }
    }
}

/// A request to file.
#[derive(Debug, Object)]
struct RequestInputDto {
    /// Kind key from the object type (e.g. `intervention`, `improvement`, `report`,
    /// `sst-register-entry`, `dgi-notice` for schools).
    kind: String,
    /// `set/category` keys of the sets the kind allows, mixable (e.g. `cem/toilets`,
    /// `sst/hygiene`).
    #[oai(default)]
    categories: Vec<String>,
    /// Title, 3 to 200 characters.
    title: String,
    /// Description, 3 to 4000 characters.
    description: String,
    /// Extra fields of the kind: `{"field": value}`.
    #[oai(default)]
    fields: std::collections::BTreeMap<String, Value>,
    /// `low`, `normal`, `high` or `maximal`; the kind's default when absent.
    urgency: Option<String>,
    /// `YYYY-MM-DD`, after today: you will be asked then whether it is solved.
    reminder_on: Option<String>,
    /// Private e-mail to follow the request if you are not signed in. Never shown.
    contact_email: Option<String>,
}

/// A request just filed.
#[derive(Debug, Object)]
struct FiledView {
    /// The request, pending moderation.
    request: RequestView,
    /// Your personal token: add `?token=…` to change the request (e.g. attach a photo,
    /// mark it solved) without an account. Shown once; also e-mailed to a contact address.
    follow_token: String,
    /// Open requests on this object or nearby that resemble it: join one with
    /// `POST …/requests/{id}/support` if it is the same.
    similar: Vec<SimilarView>,
}

/// A moderation decision.
#[derive(Debug, Object)]
struct ModerationDto {
    /// `publish`, `refuse` or `set_apart`.
    decision: String,
    /// Required to refuse or set apart; shown publicly.
    reason: Option<String>,
}

/// The moderator's wording.
#[derive(Debug, Object)]
struct WordingDto {
    /// Re-expressed title.
    title: String,
    /// Re-expressed description.
    description: String,
}

/// A status change.
#[derive(Debug, Object)]
struct StatusDto {
    /// `acknowledged`, `planned`, `in_progress`, `solved`, `not_solved` or `closed`.
    status: String,
    /// Optional public note.
    note: Option<String>,
}

/// Whom to assign: one of the two.
#[derive(Debug, Object)]
struct AssignDto {
    /// A user account.
    user_id: Option<i64>,
    /// A contact of the collective for the object's type.
    contact_id: Option<i64>,
}

/// A manual notification.
#[derive(Debug, Object)]
struct NotifyDto {
    /// Contacts to notify.
    contact_ids: Vec<i64>,
    /// The message.
    message: String,
}

/// An answer on the request.
#[derive(Debug, Object)]
struct AnswerDto {
    /// The answer, public.
    message: String,
    /// A new status, optionally.
    status: Option<String>,
}

/// Whether a new personal link went out.
#[derive(Debug, Object)]
struct NewLinkView {
    /// `true`: e-mailed to the requester's account or confirmed address; `false`: there is no
    /// address to send it to (ask the collective's moderators, or file again).
    sent: bool,
}

/// Merge into another request.
#[derive(Debug, Object)]
struct MergeDto {
    /// The request that stays.
    into: i64,
}

/// A comment.
#[derive(Debug, Object)]
struct CommentView {
    /// Id.
    id: i64,
    /// Author's public name.
    author: String,
    /// Text.
    body: String,
    /// When.
    at: OffsetDateTime,
}

impl From<Comment> for CommentView {
    fn from(c: Comment) -> Self {
        Self {
            id: c.id,
            author: c.author_name,
            body: c.body,
            at: c.at,
        }
    }
}

/// A comment to write.
#[derive(Debug, Object)]
struct CommentDto {
    /// Text, up to 4000 characters.
    body: String,
}

/// A named contact (public: name and role; the e-mail stays private).
#[derive(Debug, Object)]
struct RequestContactView {
    /// Id.
    id: i64,
    /// Object type.
    object_type: String,
    /// Name.
    name: String,
    /// Role.
    role_title: String,
}

impl From<Contact> for RequestContactView {
    fn from(c: Contact) -> Self {
        Self {
            id: c.id,
            object_type: c.type_key,
            name: c.name,
            role_title: c.role_title,
        }
    }
}

/// A contact to add.
#[derive(Debug, Object)]
struct RequestContactDto {
    /// Name.
    name: String,
    /// Role, e.g. "Directeur des travaux, 13e-14e arrondissements".
    role_title: String,
    /// E-mail for notifications (private).
    email: String,
}

/// The verification of a collective's journal.
#[derive(Debug, Object)]
struct JournalVerification {
    /// Whether every entry verifies.
    ok: bool,
    /// Entries checked.
    entries: i64,
    /// Hash of the newest entry.
    head_hash: String,
    /// The first entry that does not verify.
    broken_at: Option<i64>,
    /// Why.
    reason: Option<String>,
}

/// A photo or document for a request.
#[derive(Debug, Multipart)]
struct AttachmentUpload {
    /// Title.
    title: String,
    /// `photo`, `letter`, `other`… (see `DocumentView.kind`); `photo` when absent.
    kind: Option<String>,
    /// Date of the document, `YYYY-MM-DD`.
    document_date: Option<String>,
    /// The file: JPEG, PNG, WebP or PDF.
    file: Upload,
}

#[derive(ApiResponse)]
enum Filed {
    /// Filed; pending moderation, listed publicly.
    #[oai(status = 201)]
    Created(Json<Box<FiledView>>),
    /// Too many anonymous submissions from this client; try again later or sign in.
    #[oai(status = 429)]
    TooMany(Json<ErrorEnvelope>),
}

#[derive(ApiResponse)]
enum Verified {
    /// The verdict, with the head it names.
    #[oai(status = 200)]
    Ok(
        Json<JournalVerification>,
        #[oai(header = "ETag")] String,
        #[oai(header = "Cache-Control")] String,
    ),
    /// Same head and verdict as the `If-None-Match` given.
    #[oai(status = 304)]
    NotModified(
        #[oai(header = "ETag")] String,
        #[oai(header = "Cache-Control")] String,
    ),
}

#[derive(ApiResponse)]
enum RateLimited {
    /// Done.
    #[oai(status = 200)]
    Ok(Json<Box<RequestView>>),
    /// Too many anonymous submissions from this client; try again later or sign in.
    #[oai(status = 429)]
    TooMany(Json<ErrorEnvelope>),
}

#[derive(ApiResponse)]
enum Created<T: poem_openapi::types::ToJSON> {
    /// Created.
    #[oai(status = 201)]
    Created(Json<T>),
}

fn too_many() -> Json<ErrorEnvelope> {
    Json(ErrorEnvelope::rate_limited())
}

async fn editor(
    state: &ApiState,
    caller: &Caller,
    tenant: &Tenant,
    id: i64,
    token: Option<&str>,
) -> Result<Editor, ApiError> {
    let request = state.services.request(tenant, id).await?;
    Ok(state
        .services
        .request_editor(&caller.principal(), token, tenant, &request)
        .await?)
}

/// Whether the caller may read this request's content (see [`Services::may_read_request`]).
async fn readable(
    state: &ApiState,
    caller: &Caller,
    tenant: &Tenant,
    request: &RequestRecord,
    token: Option<&str>,
) -> Result<bool, ApiError> {
    Ok(state
        .services
        .may_read_request(&caller.principal(), token, tenant, request)
        .await?)
}

fn status(raw: &str) -> Result<RequestStatus, ApiError> {
    RequestStatus::parse(raw).ok_or_else(|| {
        ApiError::invalid(
            "status",
            format!(
                "unknown status '{raw}': use acknowledged, planned, in_progress, solved, not_solved or closed"
            ),
        )
        .fr("Statut inconnu : choisissez-le dans la liste.")
    })
}

pub struct RequestsApi;

#[OpenApi(tag = "ApiTags::Requests")]
impl RequestsApi {
    /// Requests of a collective
    ///
    /// Every request stays listed, refused ones with their reason. Requests set apart are
    /// listed only with `set_apart=true`, their content hidden behind a warning.
    #[oai(
        path = "/tenants/:slug/requests",
        method = "get",
        operation_id = "list_requests"
    )]
    async fn list(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        /// Only this object's.
        object_id: Query<Option<i64>>,
        /// Only this status.
        status: Query<Option<String>>,
        /// List the requests set apart (and only them).
        #[oai(default)]
        set_apart: Query<bool>,
    ) -> Result<Json<Vec<RequestView>>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let wanted = status.0.as_deref().map(self::status).transpose()?;
        let list: Vec<RequestRecord> = state
            .services
            .requests(&tenant, object_id.0)
            .await?
            .into_iter()
            .filter(|r| (r.status == RequestStatus::SetApart) == set_apart.0)
            .filter(|r| wanted.is_none_or(|w| r.status == w))
            .collect();
        let unreadable = state
            .services
            .unreadable_requests(&caller.principal(), &tenant, &list)
            .await?;
        Ok(Json(
            list.into_iter()
                .map(|r| {
                    let readable = !unreadable.contains(&r.id);
                    RequestView::new(r, false, readable)
                })
                .collect(),
        ))
    }

    /// File a request on an object (anyone; moderated before it is published)
    ///
    /// The answer lists open requests on the object or nearby that resemble it. With an
    /// `Idempotency-Key` header (a random key of 16 to 100 letters, digits, `-` or `_`, e.g. a
    /// UUID), sending the same filing again — after a lost answer, from an offline queue —
    /// answers with the request the first sending filed (and a new follow token) instead of
    /// filing it twice.
    #[oai(
        path = "/tenants/:slug/objects/:id/requests",
        method = "post",
        operation_id = "file_request"
    )]
    #[allow(clippy::too_many_arguments)] // one argument per extractor
    async fn file(
        &self,
        state: Data<&ApiState>,
        client: ClientAddress,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        body: Json<RequestInputDto>,
        #[oai(name = "Idempotency-Key")] idempotency_key: poem_openapi::param::Header<
            Option<String>,
        >,
    ) -> Result<Filed, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let object = state.services.object(&tenant, *id).await?;
        if !state.anonymous_allowed(&caller, &client) {
            return Ok(Filed::TooMany(too_many()));
        }
        let key = ObjectTypeKey::parse(&object.object_type).map_err(ServiceError::from)?;
        let schema = state.services.object_schema(&tenant, &key).await?;
        let b = body.0;
        let kind = schema
            .plugin
            .manifest()
            .request_kinds
            .iter()
            .find(|k| k.key == b.kind);
        let mut fields = Vec::new();
        // An unknown kind is reported by the use case, with the kinds there are.
        for (name, value) in b.fields.iter().filter(|_| kind.is_some()) {
            let field = kind
                .and_then(|k| k.fields.iter().find(|f| &f.key == name))
                .ok_or_else(|| {
                    ApiError::invalid("fields", format!("'{name}' is not a field of a {}", b.kind))
                        .fr("Cette information ne correspond pas à ce type de demande.")
                })?;
            fields.push(ProposedValue {
                field: name.clone(),
                value: to_value("fields", field, value)?,
            });
        }
        let filed = state
            .services
            .file_request(
                Actor::Principal(&caller.principal()),
                &tenant,
                *id,
                RequestInput {
                    kind: b.kind,
                    categories: b.categories,
                    title: b.title,
                    description: b.description,
                    fields,
                    urgency: b.urgency,
                    reminder_on: b.reminder_on,
                    contact_email: b.contact_email,
                    submission_key: idempotency_key.0,
                },
            )
            .await?;
        Ok(Filed::Created(Json(Box::new(FiledView {
            request: RequestView::new(filed.request, false, true),
            follow_token: filed.follow_token,
            similar: filed.similar.into_iter().map(Into::into).collect(),
        }))))
    }

    /// Open requests resembling a text, on an object and nearby (before filing)
    #[oai(
        path = "/tenants/:slug/objects/:id/requests/similar",
        method = "get",
        operation_id = "similar_requests"
    )]
    async fn similar(
        &self,
        state: Data<&ApiState>,
        slug: Path<String>,
        id: Path<i64>,
        /// The title and description you are about to file.
        text: Query<String>,
    ) -> Result<Json<Vec<SimilarView>>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let similar = state
            .services
            .similar_requests(&tenant, *id, &text, None, false)
            .await?;
        Ok(Json(similar.into_iter().map(Into::into).collect()))
    }

    /// A request with who handles it, its attachments and its journal
    #[oai(
        path = "/tenants/:slug/requests/:id",
        method = "get",
        operation_id = "get_request"
    )]
    async fn get(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        /// Show the content of a request set apart (it was judged unlawful or abusive).
        #[oai(default)]
        reveal: Query<bool>,
        /// A personal link's token (requester or contact): reads a request awaiting moderation.
        token: Query<Option<String>>,
    ) -> Result<Json<RequestDetailsView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let details = state.services.request_details(&tenant, *id).await?;
        let token = token.0.as_deref().filter(|t| !t.is_empty());
        let can_read = readable(&state, &caller, &tenant, &details.request, token).await?;
        Ok(Json(RequestDetailsView::new(
            &slug,
            details,
            reveal.0,
            can_read,
            token.filter(|_| can_read),
        )))
    }

    /// Likely duplicates of a request (open requests on its object or nearby)
    #[oai(
        path = "/tenants/:slug/requests/:id/duplicates",
        method = "get",
        operation_id = "request_duplicates"
    )]
    async fn duplicates(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
    ) -> Result<Json<Vec<SimilarView>>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let r = state.services.request(&tenant, *id).await?;
        // The object's moderators see the requests awaiting them too; others may not read
        // them, nor this one's text if it awaits moderation.
        let moderator = state
            .services
            .may_on_object(
                Actor::Principal(&caller.principal()),
                &tenant,
                r.object_id,
                Operation::ModerateRequest,
            )
            .await?;
        if !moderator && !readable(&state, &caller, &tenant, &r, None).await? {
            return Ok(Json(Vec::new()));
        }
        let similar = state
            .services
            .similar_requests(
                &tenant,
                r.object_id,
                &format!("{} {} {}", r.title, r.shown_title(), r.shown_description()),
                Some(r.id),
                moderator,
            )
            .await?;
        Ok(Json(similar.into_iter().map(Into::into).collect()))
    }

    /// Publish, refuse or set apart a new request (Certified citizens of the object, the type's Garant)
    #[oai(
        path = "/tenants/:slug/requests/:id/moderation",
        method = "post",
        operation_id = "moderate_request"
    )]
    async fn moderate(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        body: Json<ModerationDto>,
    ) -> Result<Json<RequestView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let decision = RequestModeration::new(&body.decision, body.reason.as_deref())
            .map_err(ServiceError::from)?;
        let r = state
            .services
            .moderate_request(
                Actor::Principal(&caller.principal()),
                &tenant,
                *id,
                decision,
            )
            .await?;
        Ok(Json(RequestView::new(r, true, true)))
    }

    /// Re-express a request's title and description (moderators; the requester's words stay visible)
    #[oai(
        path = "/tenants/:slug/requests/:id/wording",
        method = "put",
        operation_id = "reexpress_request"
    )]
    async fn reexpress(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        body: Json<WordingDto>,
    ) -> Result<Json<RequestView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let r = state
            .services
            .reexpress_request(
                Actor::Principal(&caller.principal()),
                &tenant,
                *id,
                &body.title,
                &body.description,
            )
            .await?;
        Ok(Json(RequestView::new(r, true, true)))
    }

    /// Change a request's status
    ///
    /// Its requester, assignees and moderators (or a contact through their link) move it along
    /// its life cycle; anyone may report a solved request as `not_solved`, which reopens it.
    #[oai(
        path = "/tenants/:slug/requests/:id/status",
        method = "post",
        operation_id = "change_request_status"
    )]
    #[allow(clippy::too_many_arguments)] // one argument per extractor
    async fn change_status(
        &self,
        state: Data<&ApiState>,
        client: ClientAddress,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        /// A personal link's token (requester or contact).
        token: Query<Option<String>>,
        body: Json<StatusDto>,
    ) -> Result<RateLimited, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let to = status(&body.status)?;
        // Anyone may reopen a solved request: without an account or a link, within the
        // anonymous limit. A token that is not a live link of this request is refused by the
        // use case (`invalid_token`), never taken for an anonymous reopening.
        let token = token.0.as_deref().map(str::trim).filter(|t| !t.is_empty());
        if token.is_none() && !state.anonymous_allowed(&caller, &client) {
            return Ok(RateLimited::TooMany(too_many()));
        }
        let r = state
            .services
            .change_status(
                &caller.principal(),
                token,
                &tenant,
                *id,
                to,
                body.note.as_deref(),
            )
            .await?;
        Ok(RateLimited::Ok(Json(Box::new(RequestView::new(
            r, false, true,
        )))))
    }

    /// Assign a user or a contact (they are told by e-mail)
    #[oai(
        path = "/tenants/:slug/requests/:id/assignees",
        method = "post",
        operation_id = "assign_request"
    )]
    async fn assign(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        /// A personal link's token (requester or contact).
        token: Query<Option<String>>,
        body: Json<AssignDto>,
    ) -> Result<Created<AssigneeView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let target = match (body.user_id, body.contact_id) {
            (Some(u), None) => AssignTarget::User(u),
            (None, Some(c)) => AssignTarget::Contact(c),
            _ => {
                return Err(
                    ApiError::invalid("user_id", "give either user_id or contact_id")
                        .fr("Choisissez un contact ou un compte (l'un ou l'autre)."),
                );
            }
        };
        let e = editor(&state, &caller, &tenant, *id, token.0.as_deref()).await?;
        let a = state
            .services
            .assign_request(&e, &tenant, *id, target)
            .await?;
        Ok(Created::Created(Json(a.into())))
    }

    /// The collective's Officials, to assign this request to (for those who may change it)
    #[oai(
        path = "/tenants/:slug/requests/:id/officials",
        method = "get",
        operation_id = "request_officials"
    )]
    async fn officials(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        /// A personal link's token (requester or contact).
        token: Query<Option<String>>,
    ) -> Result<Json<Vec<OfficialView>>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        // Only those who may hand the request to someone see whom, as on its page.
        let e = editor(&state, &caller, &tenant, *id, token.0.as_deref()).await?;
        let request = state.services.request(&tenant, *id).await?;
        e.require(vigie_domain::requests::RequestAction::Assign, &request)?;
        let officials = state.services.officials(&tenant).await?;
        Ok(Json(
            officials
                .into_iter()
                .map(|(id, name)| OfficialView {
                    user_id: id.0,
                    display_name: name,
                })
                .collect(),
        ))
    }

    /// End an assignment (it stays in the history)
    #[oai(
        path = "/tenants/:slug/requests/:id/assignees/:assignment",
        method = "delete",
        operation_id = "unassign_request"
    )]
    async fn unassign(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        assignment: Path<i64>,
        /// A personal link's token (requester or contact).
        token: Query<Option<String>>,
    ) -> Result<Json<Vec<AssigneeView>>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let e = editor(&state, &caller, &tenant, *id, token.0.as_deref()).await?;
        state
            .services
            .unassign_request(&e, &tenant, *id, *assignment)
            .await?;
        let d = state.services.request_details(&tenant, *id).await?;
        Ok(Json(d.assignments.into_iter().map(Into::into).collect()))
    }

    /// Notify contacts (school head, city hall, education district…) by e-mail
    ///
    /// Each gets a personal link to answer and change the status without an account. The
    /// journal records to whom, when and the subject.
    #[oai(
        path = "/tenants/:slug/requests/:id/notifications",
        method = "post",
        operation_id = "notify_request"
    )]
    async fn notify(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        /// A personal link's token (requester or contact).
        token: Query<Option<String>>,
        body: Json<NotifyDto>,
    ) -> Result<Json<RequestDetailsView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let e = editor(&state, &caller, &tenant, *id, token.0.as_deref()).await?;
        state
            .services
            .notify_request(&e, &tenant, *id, &body.contact_ids, &body.message)
            .await?;
        let d = state.services.request_details(&tenant, *id).await?;
        Ok(Json(RequestDetailsView::new(&slug, d, true, true, None)))
    }

    /// Answer a request (those handling it; contacts through their link, no account needed)
    #[oai(
        path = "/tenants/:slug/requests/:id/answers",
        method = "post",
        operation_id = "answer_request"
    )]
    async fn answer(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        /// A personal link's token (requester or contact).
        token: Query<Option<String>>,
        body: Json<AnswerDto>,
    ) -> Result<Json<RequestView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let to = body.status.as_deref().map(status).transpose()?;
        let e = editor(&state, &caller, &tenant, *id, token.0.as_deref()).await?;
        let r = state
            .services
            .answer_request(&e, &tenant, *id, &body.message, to)
            .await?;
        Ok(Json(RequestView::new(r, false, true)))
    }

    /// Send the requester a new personal link (their old link, even expired; the requester
    /// signed in; or a moderator)
    ///
    /// The link goes to the requester's account address or to the contact address they
    /// confirmed, never to the caller; at most `requests.mails_per_address_hour` an hour.
    #[oai(
        path = "/tenants/:slug/requests/:id/new-link",
        method = "post",
        operation_id = "new_requester_link"
    )]
    async fn new_link(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        /// One of the requester's links (it may have expired).
        token: Query<Option<String>>,
    ) -> Result<Json<NewLinkView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let sent = state
            .services
            .send_new_requester_link(&caller.principal(), token.0.as_deref(), &tenant, *id)
            .await?;
        Ok(Json(NewLinkView { sent }))
    }

    /// "Me too": support an open request instead of filing the same one
    #[oai(
        path = "/tenants/:slug/requests/:id/support",
        method = "post",
        operation_id = "support_request"
    )]
    async fn support(
        &self,
        state: Data<&ApiState>,
        client: ClientAddress,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
    ) -> Result<RateLimited, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        // An unknown request is "not found" before the allowance is spent.
        state.services.request(&tenant, *id).await?;
        if !state.anonymous_allowed(&caller, &client) {
            return Ok(RateLimited::TooMany(too_many()));
        }
        let r = state
            .services
            .support_request(Actor::Principal(&caller.principal()), &tenant, *id)
            .await?;
        Ok(RateLimited::Ok(Json(Box::new(RequestView::new(
            r, false, true,
        )))))
    }

    /// Merge a duplicate into the request that stays (moderators of the duplicate's object)
    #[oai(
        path = "/tenants/:slug/requests/:id/merge",
        method = "post",
        operation_id = "merge_request"
    )]
    async fn merge(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        body: Json<MergeDto>,
    ) -> Result<Json<RequestView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let r = state
            .services
            .merge_request(
                Actor::Principal(&caller.principal()),
                &tenant,
                *id,
                body.into,
            )
            .await?;
        Ok(Json(RequestView::new(r, false, true)))
    }

    /// Comments of a request (signed-in users only)
    #[oai(
        path = "/tenants/:slug/requests/:id/comments",
        method = "get",
        operation_id = "list_request_comments"
    )]
    async fn comments(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
    ) -> Result<Json<Vec<CommentView>>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let list = state
            .services
            .comments(&caller.principal(), &tenant, *id)
            .await?;
        Ok(Json(list.into_iter().map(Into::into).collect()))
    }

    /// Comment on a request (signed-in users)
    #[oai(
        path = "/tenants/:slug/requests/:id/comments",
        method = "post",
        operation_id = "add_request_comment"
    )]
    async fn comment(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        body: Json<CommentDto>,
    ) -> Result<Created<CommentView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let c = state
            .services
            .add_comment(
                Actor::Principal(&caller.principal()),
                &tenant,
                *id,
                &body.body,
            )
            .await?;
        Ok(Created::Created(Json(c.into())))
    }

    /// Attach a photo or document to a request (its requester, assignees, moderators)
    ///
    /// Photos are re-encoded so that their EXIF and GPS metadata are gone before storage.
    #[oai(
        path = "/tenants/:slug/requests/:id/attachments",
        method = "post",
        operation_id = "attach_to_request"
    )]
    async fn attach(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        /// A personal link's token (requester or contact).
        token: Query<Option<String>>,
        upload: AttachmentUpload,
    ) -> Result<Created<DocumentView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let e = editor(&state, &caller, &tenant, *id, token.0.as_deref()).await?;
        let (file_name, content_type, bytes) = read_upload(upload.file).await?;
        let doc = state
            .services
            .attach_to_request(
                &e,
                &tenant,
                *id,
                DocumentInput {
                    kind: upload.kind.unwrap_or_else(|| "photo".into()),
                    title: upload.title,
                    document_date: upload.document_date.filter(|d| !d.is_empty()),
                    source: None,
                    file_name,
                    content_type,
                },
                bytes,
            )
            .await?;
        Ok(Created::Created(Json(DocumentView::new(&slug, doc))))
    }

    /// The journal of one request
    #[oai(
        path = "/tenants/:slug/requests/:id/journal",
        method = "get",
        operation_id = "request_journal"
    )]
    async fn request_journal(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        /// A personal link's token (requester or contact): reads a request awaiting moderation.
        token: Query<Option<String>>,
    ) -> Result<Json<Vec<JournalEntryView>>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let request = state.services.request(&tenant, *id).await?;
        let hide = request.status == RequestStatus::SetApart
            || !readable(&state, &caller, &tenant, &request, token.0.as_deref()).await?;
        let entries = state.services.request_journal(&tenant, *id).await?;
        let names = state.services.journal_names(&entries).await?;
        Ok(Json(
            entries
                .into_iter()
                .map(|e| JournalEntryView::new(e, hide, &names))
                .collect(),
        ))
    }

    /// The collective's journal, raw, to verify it yourself
    ///
    /// Entries in chain order, exactly as hashed (content of requests set apart included: this
    /// is the raw record), a page at a time: up to `limit` entries (default 1000, at most
    /// 5000) after position `after`; ask again with `after` = the last `seq` received until
    /// the answer is empty. The details of the entries of requests still awaiting moderation
    /// are withheld (`details` absent) until a moderator publishes them: their positions and
    /// hashes stay, so the chain's links can still be followed.
    #[oai(
        path = "/tenants/:slug/journal",
        method = "get",
        operation_id = "journal"
    )]
    async fn journal(
        &self,
        state: Data<&ApiState>,
        slug: Path<String>,
        /// Entries after this position (0: from the first).
        #[oai(default)]
        after: Query<i64>,
        /// How many entries at most: 1 to 5000, 1000 when absent.
        limit: Query<Option<i64>>,
    ) -> Result<Json<Vec<JournalEntryView>>, ApiError> {
        let limit = limit.0.unwrap_or(1000);
        if !(1..=5000).contains(&limit) {
            return Err(
                ApiError::invalid("limit", "ask for 1 to 5000 entries at a time")
                    .fr("Demandez de 1 à 5000 entrées à la fois."),
            );
        }
        let tenant = state.services.tenant(&slug).await?;
        let (entries, pending) = state
            .services
            .public_journal(&tenant, after.0.max(0), limit)
            .await?;
        let names = state.services.journal_names(&entries).await?;
        Ok(Json(
            entries
                .into_iter()
                .map(|e| {
                    let hide = pending.contains(&e.request_id);
                    JournalEntryView::new(e, hide, &names)
                })
                .collect(),
        ))
    }

    /// Verify the collective's journal
    ///
    /// Recomputes every entry's hash from its content and its predecessor's hash, up to the
    /// collective's head read first; names the first entry that was altered, removed or
    /// inserted. The result is reused for a few seconds while the head does not change
    /// (`requests.journal_check_cache_seconds`); its `ETag` names the head and the verdict, and
    /// `If-None-Match` with it answers 304.
    #[oai(
        path = "/tenants/:slug/journal/verify",
        method = "get",
        operation_id = "verify_journal"
    )]
    async fn verify(
        &self,
        state: Data<&ApiState>,
        slug: Path<String>,
        /// The `ETag` of an earlier answer.
        #[oai(name = "If-None-Match")]
        if_none_match: poem_openapi::param::Header<Option<String>>,
    ) -> Result<Verified, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let (report, (seq, hash)) = state.services.verify_journal_cached(&tenant).await?;
        let etag = format!(
            "\"{seq}-{}-{}\"",
            hash.get(..16).unwrap_or(&hash),
            report.broken.as_ref().map_or(0, |b| b.seq)
        );
        let max_age = state
            .services
            .settings()
            .requests
            .journal_check_cache_seconds;
        let cache = format!("public, max-age={max_age}");
        if if_none_match
            .0
            .as_deref()
            .is_some_and(|h| h.split(',').any(|t| t.trim() == etag))
        {
            return Ok(Verified::NotModified(etag, cache));
        }
        Ok(Verified::Ok(
            Json(JournalVerification {
                ok: report.broken.is_none(),
                entries: i64::try_from(report.entries).unwrap_or(i64::MAX),
                head_hash: report.head_hash,
                broken_at: report.broken.as_ref().map(|b| b.seq),
                reason: report.broken.map(|b| b.reason),
            }),
            etag,
            cache,
        ))
    }

    /// Contacts requests can be assigned to (names and roles; e-mails stay private)
    #[oai(
        path = "/tenants/:slug/contacts",
        method = "get",
        operation_id = "list_contacts"
    )]
    async fn contacts(
        &self,
        state: Data<&ApiState>,
        slug: Path<String>,
        /// Only this object type's.
        object_type: Query<Option<String>>,
    ) -> Result<Json<Vec<RequestContactView>>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let key = object_type
            .0
            .as_deref()
            .map(ObjectTypeKey::parse)
            .transpose()
            .map_err(ServiceError::from)?;
        let list = state.services.contacts(&tenant, key.as_ref()).await?;
        Ok(Json(list.into_iter().map(Into::into).collect()))
    }

    /// Add a contact for an object type (its Garant)
    #[oai(
        path = "/tenants/:slug/object-types/:key/contacts",
        method = "post",
        operation_id = "add_contact"
    )]
    async fn add_contact(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        key: Path<String>,
        body: Json<RequestContactDto>,
    ) -> Result<Created<RequestContactView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let key = ObjectTypeKey::parse(&key).map_err(ServiceError::from)?;
        let c = state
            .services
            .add_contact(
                Actor::Principal(&caller.principal()),
                &tenant,
                &key,
                &body.name,
                &body.role_title,
                &body.email,
            )
            .await?;
        Ok(Created::Created(Json(c.into())))
    }

    /// Retire a contact (its type's Garant)
    ///
    /// For someone who left their post: no longer listed, notified nor assigned, and their
    /// personal links stop working; the journal keeps their name and role. Added again with
    /// the same address, they come back.
    #[oai(
        path = "/tenants/:slug/contacts/:id",
        method = "delete",
        operation_id = "retire_contact"
    )]
    async fn retire_contact(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
    ) -> Result<Json<RequestContactView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let c = state
            .services
            .retire_contact(Actor::Principal(&caller.principal()), &tenant, *id)
            .await?;
        Ok(Json(c.into()))
    }
}
