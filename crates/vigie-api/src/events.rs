//! `/tenants/{slug}/objects/{id}/events` and `/documents`: the life of an object and the
//! documents attached to it.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Multipart, Object, OpenApi,
    param::{Path, Query},
    payload::{Binary, Json},
    types::multipart::Upload,
};
use time::OffsetDateTime;

use vigie_services::{Actor, DocumentEntry, DocumentInput, LifeEventInput};
use vigie_storage::{Document, LifeEvent};

use crate::session::Caller;
use crate::{ApiError, ApiState, ApiTags, ErrorEnvelope};

/// A dated event in the life of an object.
#[derive(Debug, Object)]
struct LifeEventView {
    /// Id.
    id: i64,
    /// The object.
    object_id: i64,
    /// `exceptional_closure`, `works`, `strike`, `reopening`, `incident`, `inspection` or `other`.
    kind: String,
    /// Title.
    title: String,
    /// Description.
    description: String,
    /// First day.
    starts_on: String,
    /// Last day.
    ends_on: Option<String>,
    /// `garant` (a moderator added it), `citizen` or `anonymous`.
    provenance: String,
    /// Author's public name.
    author: Option<String>,
    /// `pending`, `accepted` or `refused`.
    state: String,
    /// Public reason of a refusal.
    refusal_reason: Option<String>,
    /// Who decided.
    decided_by: Option<String>,
    /// Filed at.
    at: OffsetDateTime,
}

impl From<LifeEvent> for LifeEventView {
    fn from(e: LifeEvent) -> Self {
        Self {
            id: e.id,
            object_id: e.object_id,
            kind: e.kind,
            title: e.title,
            description: e.description,
            starts_on: e.starts_on,
            ends_on: e.ends_on,
            provenance: e.provenance.as_str().to_owned(),
            author: e.author_name,
            state: e.state.as_str().to_owned(),
            refusal_reason: e.decision.as_ref().and_then(|d| d.reason.clone()),
            decided_by: e.decision.and_then(|d| d.decided_by),
            at: e.at,
        }
    }
}

/// A life event to record.
#[derive(Debug, Object)]
struct LifeEventInputDto {
    /// Kind (see `LifeEventView.kind`).
    kind: String,
    /// Title, 3 to 200 characters.
    title: String,
    /// Description.
    #[oai(default)]
    description: String,
    /// First day, `YYYY-MM-DD`.
    starts_on: String,
    /// Last day, if known.
    ends_on: Option<String>,
    /// Private contact e-mail (anonymous proposals).
    contact_email: Option<String>,
}

/// Accept or refuse.
#[derive(Debug, Object)]
struct EventDecision {
    /// `true` to accept.
    accept: bool,
    /// Why, for a refusal (public).
    reason: Option<String>,
}

/// A document attached to an object.
#[derive(Debug, Object)]
pub(crate) struct DocumentView {
    /// Id.
    id: i64,
    /// The object.
    object_id: i64,
    /// Kind: `school_council_minutes`, `asbestos_survey`, `fire_safety_report`,
    /// `council_deliberation`, `cada_document`, `photo`, `letter` or `other`.
    kind: String,
    /// `pending` (a citizen's document awaiting moderation), `accepted` or `refused`.
    state: String,
    /// `true` when the document awaits moderation and the caller is neither its uploader nor
    /// one of the object's moderators: only that it awaits moderation, and since `at`, is
    /// shown (title, file and uploader are empty).
    awaiting_moderation: bool,
    /// Public reason of a refusal.
    refusal_reason: Option<String>,
    /// Who decided.
    decided_by: Option<String>,
    /// When it was decided.
    decided_at: Option<OffsetDateTime>,
    /// Title (empty when `awaiting_moderation`).
    title: String,
    /// Date of the document itself.
    document_date: Option<String>,
    /// Where it comes from.
    source: Option<String>,
    /// Detected type (JPEG, PNG, WebP or PDF).
    content_type: String,
    /// File name.
    file_name: String,
    /// Bytes.
    size: i64,
    /// SHA-256 of the stored file.
    sha256: String,
    /// Uploader's public name.
    uploaded_by: Option<String>,
    /// Uploaded at.
    at: OffsetDateTime,
    /// Where to download it; absent when the caller may not (a document awaiting moderation
    /// for others than its uploader and moderators, a refused one for all but moderators).
    pub(crate) download: Option<String>,
}

impl DocumentView {
    pub(crate) fn new(slug: &str, d: Document) -> Self {
        Self::entry(
            slug,
            DocumentEntry {
                document: d,
                concealed: false,
                downloadable: true,
            },
        )
    }

    /// A document of an object's list, as the caller may see it.
    pub(crate) fn entry(slug: &str, e: DocumentEntry) -> Self {
        let d = e.document;
        Self {
            download: e
                .downloadable
                .then(|| format!("/api/v1/tenants/{slug}/documents/{}/file", d.id)),
            id: d.id,
            object_id: d.object_id,
            kind: d.kind,
            state: d.state.as_str().to_owned(),
            awaiting_moderation: e.concealed,
            refusal_reason: d.decision.as_ref().and_then(|x| x.reason.clone()),
            decided_by: d.decision.as_ref().and_then(|x| x.decided_by.clone()),
            decided_at: d.decision.as_ref().map(|x| x.at),
            title: d.title,
            document_date: d.document_date,
            source: d.source,
            content_type: d.content_type,
            file_name: d.file_name,
            size: d.size,
            sha256: d.sha256,
            uploaded_by: d.uploaded_by,
            at: d.at,
        }
    }
}

/// A document to attach.
#[derive(Debug, Multipart)]
struct DocumentUpload {
    /// Kind (see `DocumentView.kind`).
    kind: String,
    /// Title.
    title: String,
    /// Date of the document, `YYYY-MM-DD`.
    document_date: Option<String>,
    /// Where it comes from (e.g. "CADA request of 2024-03-01").
    source: Option<String>,
    /// The file: JPEG, PNG, WebP or PDF.
    file: Upload,
}

#[derive(ApiResponse)]
enum EventCreated {
    /// Recorded (published at once for moderators, pending otherwise).
    #[oai(status = 201)]
    Created(Json<LifeEventView>),
    /// Too many anonymous submissions from this client; try again later or sign in.
    #[oai(status = 429)]
    TooMany(Json<ErrorEnvelope>),
}

#[derive(ApiResponse)]
enum DocumentCreated {
    /// Stored.
    #[oai(status = 201)]
    Created(Json<DocumentView>),
}

#[derive(ApiResponse)]
enum FileResponse {
    /// The file.
    #[oai(status = 200)]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Type")] String,
        /// `inline` for the images Vigie re-encoded, `attachment` (a download) for the rest.
        #[oai(header = "Content-Disposition")]
        String,
        /// `sandbox`: nothing in the file runs, as if it came from another site.
        #[oai(header = "Content-Security-Policy")]
        String,
    ),
}

/// The images Vigie decodes and re-encodes on upload: the only files shown in the browser.
const REENCODED_IMAGES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

/// The `Content-Disposition` of a stored file: `inline` for an image Vigie re-encoded (shown in
/// the page), `attachment` for anything else (a PDF is downloaded, never rendered in Vigie's
/// origin). The name is given as ASCII (`filename`, other characters as `_`) and in full
/// (`filename*`, RFC 6266 / RFC 8187).
pub(crate) fn content_disposition(content_type: &str, file_name: &str) -> String {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let disposition = if REENCODED_IMAGES.contains(&essence.as_str()) {
        "inline"
    } else {
        "attachment"
    };
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let ascii = if ascii.is_empty() {
        "file".to_owned()
    } else {
        ascii
    };
    let mut encoded = String::new();
    for b in file_name.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{disposition}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// An uploaded file's declared name and type, and its bytes.
pub(crate) async fn read_upload(
    file: Upload,
) -> Result<(Option<String>, Option<String>, Vec<u8>), ApiError> {
    let file_name = file.file_name().map(str::to_owned);
    let content_type = file.content_type().map(str::to_owned);
    let bytes = file.into_vec().await.map_err(|e| {
        ApiError::invalid("file", format!("cannot read the upload: {e}"))
            .fr(&format!("Impossible de lire le fichier envoyé : {e}"))
    })?;
    Ok((file_name, content_type, bytes))
}

pub struct EventsApi;

#[OpenApi(tag = "ApiTags::Objects")]
impl EventsApi {
    /// Life events of an object
    #[oai(
        path = "/tenants/:slug/objects/:id/events",
        method = "get",
        operation_id = "list_life_events"
    )]
    async fn list(
        &self,
        state: Data<&ApiState>,
        slug: Path<String>,
        id: Path<i64>,
    ) -> Result<Json<Vec<LifeEventView>>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let events = state.services.life_events(&tenant, *id).await?;
        Ok(Json(events.into_iter().map(Into::into).collect()))
    }

    /// Record a life event (anyone; moderated unless a Garant or Certified citizen adds it)
    #[oai(
        path = "/tenants/:slug/objects/:id/events",
        method = "post",
        operation_id = "add_life_event"
    )]
    async fn add(
        &self,
        state: Data<&ApiState>,
        client: vigie_http::ClientAddress,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        body: Json<LifeEventInputDto>,
    ) -> Result<EventCreated, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        // An unknown object is "not found" before the allowance is spent.
        state.services.object(&tenant, *id).await?;
        if !state.anonymous_allowed(&caller, &client) {
            return Ok(EventCreated::TooMany(Json(ErrorEnvelope::rate_limited())));
        }
        let b = body.0;
        let event = state
            .services
            .add_life_event(
                Actor::Principal(&caller.principal()),
                &tenant,
                *id,
                LifeEventInput {
                    kind: b.kind,
                    title: b.title,
                    description: b.description,
                    starts_on: b.starts_on,
                    ends_on: b.ends_on,
                    contact_email: b.contact_email,
                },
            )
            .await?;
        Ok(EventCreated::Created(Json(event.into())))
    }

    /// Accept or refuse a proposed life event (Garant, Certified citizen of the object)
    #[oai(
        path = "/tenants/:slug/events/:id/decision",
        method = "post",
        operation_id = "decide_life_event"
    )]
    async fn decide(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        body: Json<EventDecision>,
    ) -> Result<Json<LifeEventView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        Ok(Json(
            state
                .services
                .decide_life_event(
                    Actor::Principal(&caller.principal()),
                    &tenant,
                    *id,
                    body.accept,
                    body.reason.as_deref(),
                )
                .await?
                .into(),
        ))
    }

    /// Documents of an object
    #[oai(
        path = "/tenants/:slug/objects/:id/documents",
        method = "get",
        operation_id = "list_documents"
    )]
    ///
    /// A document a citizen attached awaits moderation: until a moderator accepts it, only its
    /// uploader and the object's moderators see it; others see that a document awaits
    /// moderation, and since when.
    async fn documents(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
    ) -> Result<Json<Vec<DocumentView>>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let docs = state
            .services
            .documents(&caller.principal(), &tenant, *id)
            .await?;
        Ok(Json(
            docs.into_iter()
                .map(|d| DocumentView::entry(&slug, d))
                .collect(),
        ))
    }

    /// Attach a document or photo (signed-in users; moderated unless a moderator attaches it)
    ///
    /// Size-limited and type-checked from the content (JPEG, PNG, WebP, PDF); images are
    /// re-encoded so that their EXIF and GPS metadata are gone before storage. Attached by
    /// someone who may not moderate the object (its Certified citizens, the type's Garants,
    /// Gurus), it awaits moderation (`state` `pending`).
    #[oai(
        path = "/tenants/:slug/objects/:id/documents",
        method = "post",
        operation_id = "upload_document"
    )]
    async fn upload(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        upload: DocumentUpload,
    ) -> Result<DocumentCreated, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let (file_name, content_type, bytes) = read_upload(upload.file).await?;
        let doc = state
            .services
            .upload_document(
                Actor::Principal(&caller.principal()),
                &tenant,
                *id,
                DocumentInput {
                    kind: upload.kind,
                    title: upload.title,
                    document_date: upload.document_date.filter(|d| !d.is_empty()),
                    source: upload.source,
                    file_name,
                    content_type,
                },
                bytes,
            )
            .await?;
        Ok(DocumentCreated::Created(Json(DocumentView::new(
            &slug, doc,
        ))))
    }

    /// Accept or refuse a document a citizen attached (Garant, Certified citizen of the object)
    #[oai(
        path = "/tenants/:slug/documents/:id/decision",
        method = "post",
        operation_id = "decide_document"
    )]
    async fn decide_document(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        body: Json<EventDecision>,
    ) -> Result<Json<DocumentView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        Ok(Json(DocumentView::new(
            &slug,
            state
                .services
                .decide_document(
                    Actor::Principal(&caller.principal()),
                    &tenant,
                    *id,
                    body.accept,
                    body.reason.as_deref(),
                )
                .await?,
        )))
    }

    /// Download a document
    #[oai(
        path = "/tenants/:slug/documents/:id/file",
        method = "get",
        operation_id = "download_document"
    )]
    ///
    /// A photo or document of a request awaiting moderation downloads only for those who may
    /// read the request (its author, with their session or `token`, and its moderators);
    /// for anyone else it is not there (404). A document attached to an object and awaiting
    /// moderation downloads only for its uploader and the object's moderators; a refused one
    /// only for the moderators.
    async fn download(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
        /// A personal link's token, for a file of a request awaiting moderation.
        token: Query<Option<String>>,
    ) -> Result<FileResponse, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let (doc, bytes) = state
            .services
            .document_file(&caller.principal(), token.0.as_deref(), &tenant, *id)
            .await?;
        let disposition = content_disposition(&doc.content_type, &doc.file_name);
        Ok(FileResponse::Ok(
            Binary(bytes),
            doc.content_type,
            disposition,
            vigie_http::headers::FILE_POLICY.to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn only_reencoded_images_are_inline() {
        assert_eq!(
            content_disposition("image/png", "plan.png"),
            "inline; filename=\"plan.png\"; filename*=UTF-8''plan.png"
        );
        assert_eq!(
            content_disposition("application/pdf", "compte-rendu-réunion.pdf"),
            "attachment; filename=\"compte-rendu-r_union.pdf\"; \
             filename*=UTF-8''compte-rendu-r%C3%A9union.pdf"
        );
        for other in ["text/html", "image/svg+xml", "", "IMAGE/GIF"] {
            assert!(
                content_disposition(other, "x\"; y").starts_with("attachment; filename=\"x___y\"")
            );
        }
    }
}
