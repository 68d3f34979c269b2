//! Life events and documents of objects.

use vigie_domain::objects::{
    DOCUMENT_KINDS, LIFE_EVENT_KINDS, check_date, check_kind, check_title,
};
use vigie_domain::{Decision, DomainError, Email, FactState, Operation, Principal, Provenance};
use vigie_media::{BlobKey, BlobStore, MediaPolicy};
use vigie_storage::{Document, LifeEvent, NewDocument, NewLifeEvent, Tenant};

use crate::actor::Actor;
use crate::{ServiceError, Services};

/// Where uploads go and what they may be.
#[derive(Clone)]
pub struct Media {
    /// The blob store (folder or S3).
    pub store: BlobStore,
    /// Size and type rules; images are re-encoded without metadata.
    pub policy: MediaPolicy,
}

/// A life event as proposed.
#[derive(Debug, Clone)]
pub struct LifeEventInput {
    /// Kind.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// First day, `YYYY-MM-DD`.
    pub starts_on: String,
    /// Last day, if known.
    pub ends_on: Option<String>,
    /// Private contact e-mail (anonymous).
    pub contact_email: Option<String>,
}

/// A document as uploaded.
#[derive(Debug, Clone)]
pub struct DocumentInput {
    /// Kind.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Date of the document, `YYYY-MM-DD`.
    pub document_date: Option<String>,
    /// Where it comes from.
    pub source: Option<String>,
    /// Name of the uploaded file.
    pub file_name: Option<String>,
    /// Declared content type.
    pub content_type: Option<String>,
}

/// A document as the caller may see it in a list.
#[derive(Debug, Clone)]
pub struct DocumentEntry {
    /// The document; when `concealed`, its title, source, file and uploader are blanked.
    pub document: Document,
    /// Awaiting moderation and neither the caller's nor theirs to moderate: only the fact that
    /// a document awaits moderation, and since when, is shown.
    pub concealed: bool,
    /// Whether the caller may download its file.
    pub downloadable: bool,
}

fn media_error(e: vigie_media::MediaError) -> ServiceError {
    if e.is_rejected_upload() {
        use vigie_media::MediaError as E;
        let fr = match &e {
            E::TooLarge { .. } | E::ImageTooLarge { .. } | E::ImageNeedsTooMuchMemory { .. } => {
                "Fichier trop volumineux : réduisez-le ou choisissez-en un autre."
            }
            E::EmptyUpload => "Le fichier est vide.",
            E::InvalidPdf { .. } => {
                "Ce fichier commence comme un PDF mais n'en est pas un (en-tête, fin de fichier ou \
                 contenu HTML) : enregistrez-le à nouveau en PDF depuis votre logiciel."
            }
            E::UnsupportedType { .. } => {
                "Type de fichier refusé : envoyez une photo JPEG, PNG ou WebP, ou un PDF."
            }
            _ => "Ce fichier ne peut pas être lu : essayez-en un autre.",
        };
        ServiceError::Invalid(DomainError::invalid("file", e.to_string()).fr(fr))
    } else if matches!(e, vigie_media::MediaError::NotFound { .. }) {
        ServiceError::NotFound("file")
    } else if matches!(e, vigie_media::MediaError::Backend { .. }) {
        // The store does not answer (network, S3 down, a full or unwritable folder).
        tracing::warn!(error = %e, "the media store failed");
        ServiceError::media_unavailable()
    } else {
        ServiceError::Internal(e.to_string())
    }
}

impl Services {
    /// Records a life event (anyone). Added by someone who may moderate this object (its
    /// Certified citizens, its type's Garants, a Guru) it is published at once; otherwise it
    /// waits for moderation.
    pub async fn add_life_event(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        object_id: i64,
        input: LifeEventInput,
    ) -> Result<LifeEvent, ServiceError> {
        let (permit, object) = &self
            .object_permit_for(actor, tenant, object_id, Operation::ProposeContribution)
            .await?;
        let moderator = self.moderator_of(actor, tenant, object).await?;
        check_kind("kind", &input.kind, &LIFE_EVENT_KINDS)?;
        let title = check_title("title", &input.title)?;
        check_date("starts_on", &input.starts_on)?;
        if let Some(end) = &input.ends_on {
            check_date("ends_on", end)?;
            if end < &input.starts_on {
                return Err(DomainError::invalid(
                    "ends_on",
                    "the event cannot end before it starts",
                )
                .fr("L'événement ne peut pas finir avant de commencer.")
                .into());
            }
        }
        if input.description.chars().count() > 4000 {
            return Err(DomainError::invalid(
                "description",
                "keep the description under 4000 characters",
            )
            .fr("La description doit tenir en moins de 4000 caractères.")
            .into());
        }
        let contact_email = match input
            .contact_email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            Some(e) => Some(Email::parse(e)?.as_str().to_owned()),
            None => None,
        };
        let provenance = match (moderator, permit.actor()) {
            (true, _) => Provenance::Garant,
            (false, Some(_)) => Provenance::Citizen,
            (false, None) => Provenance::Anonymous,
        };
        Ok(self
            .store
            .insert_life_event(
                tenant.id,
                &NewLifeEvent {
                    object_id,
                    kind: input.kind,
                    title,
                    description: input.description.trim().to_owned(),
                    starts_on: input.starts_on,
                    ends_on: input.ends_on,
                    provenance,
                    author: permit.actor(),
                    contact_email,
                },
            )
            .await
            .inspect(|_| self.badges_touched(tenant.id, [permit.actor()]))?)
    }

    /// A life event of the collective.
    pub async fn life_event(&self, tenant: &Tenant, id: i64) -> Result<LifeEvent, ServiceError> {
        self.store
            .life_event(tenant.id, id)
            .await?
            .ok_or(ServiceError::NotFound("life event"))
    }

    /// The life events of an object (pending and refused included: moderation is public).
    pub async fn life_events(
        &self,
        tenant: &Tenant,
        object_id: i64,
    ) -> Result<Vec<LifeEvent>, ServiceError> {
        self.object(tenant, object_id).await?;
        Ok(self.store.life_events(tenant.id, object_id).await?)
    }

    /// Accepts or refuses a proposed life event.
    pub async fn decide_life_event(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        id: i64,
        accept: bool,
        reason: Option<&str>,
    ) -> Result<LifeEvent, ServiceError> {
        let event = self.life_event(tenant, id).await?;
        let (permit, _) = &self
            .object_permit_for(
                actor,
                tenant,
                event.object_id,
                Operation::ModerateContribution,
            )
            .await?;
        let decision = Decision::new(accept, reason)?;
        let decided = self
            .store
            .decide_life_event(tenant.id, id, &decision, permit.actor())
            .await?;
        self.badges_touched(tenant.id, [permit.actor()]);
        Ok(decided)
    }

    /// Stores a document (signed-in users): checked for size and type, images re-encoded
    /// without EXIF/GPS. Attached by someone who may moderate this object it is published at
    /// once; otherwise it waits for moderation, seen only by its uploader and the object's
    /// moderators.
    pub async fn upload_document(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        object_id: i64,
        input: DocumentInput,
        bytes: Vec<u8>,
    ) -> Result<Document, ServiceError> {
        let (permit, object) = &self
            .object_permit_for(actor, tenant, object_id, Operation::AttachDocument)
            .await?;
        let state = if self.moderator_of(actor, tenant, object).await? {
            FactState::Accepted
        } else {
            FactState::Pending
        };
        let stored = self
            .store_document(tenant, object_id, permit.actor(), state, input, bytes)
            .await?;
        self.badges_touched(tenant.id, [permit.actor()]);
        Ok(stored)
    }

    /// Checks a document, strips a photo's metadata, stores the file and records it.
    pub(crate) async fn store_document(
        &self,
        tenant: &Tenant,
        object_id: i64,
        uploader: Option<vigie_domain::UserId>,
        filed_state: FactState,
        input: DocumentInput,
        bytes: Vec<u8>,
    ) -> Result<Document, ServiceError> {
        let mut new = self
            .store_file(tenant, object_id, None, uploader, input, bytes)
            .await?;
        new.filed_state = filed_state;
        Ok(self.store.insert_document(tenant.id, &new).await?)
    }

    /// Checks a document (kind, title, date, file type and size), strips a photo's metadata and
    /// stores the file; the row to record (alone, or with a request's journal entry).
    pub(crate) async fn store_file(
        &self,
        tenant: &Tenant,
        object_id: i64,
        request_id: Option<i64>,
        uploader: Option<vigie_domain::UserId>,
        input: DocumentInput,
        bytes: Vec<u8>,
    ) -> Result<NewDocument, ServiceError> {
        check_kind("kind", &input.kind, &DOCUMENT_KINDS)?;
        let title = check_title("title", &input.title)?;
        if let Some(d) = &input.document_date {
            check_date("document_date", d)?;
        }
        let policy = self.media.policy.clone();
        let (name, declared) = (input.file_name.clone(), input.content_type.clone());
        // Decoding and re-encoding a photo is CPU work: keep it off the async threads.
        let prepared = tokio::task::spawn_blocking(move || {
            policy.prepare_upload(&bytes, name.as_deref(), declared.as_deref())
        })
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(media_error)?;
        let key = BlobKey::new(format!(
            "tenants/{}/objects/{}/{}.{}",
            tenant.id.0,
            object_id,
            uuid::Uuid::new_v4().simple(),
            prepared.extension()
        ))
        .map_err(media_error)?;
        let stored = self
            .media
            .store
            .put(&key, prepared.bytes.clone(), prepared.content_type())
            .await
            .map_err(media_error)?;
        Ok(NewDocument {
            object_id,
            kind: input.kind,
            title,
            document_date: input.document_date,
            source: input
                .source
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
            blob_key: key.as_str().to_owned(),
            content_type: prepared.content_type().to_owned(),
            file_name: prepared.file_name.clone(),
            size: i64::try_from(stored.size).unwrap_or(i64::MAX),
            sha256: stored.sha256,
            uploaded_by: uploader,
            request_id,
            // A request's file follows the request's own moderation.
            filed_state: FactState::Accepted,
        })
    }

    /// Whether `principal` may moderate what is proposed on the object (its Certified citizens,
    /// the type's Garants, Gurus).
    pub async fn may_moderate_object(
        &self,
        principal: &Principal,
        tenant: &Tenant,
        object_id: i64,
    ) -> Result<bool, ServiceError> {
        if principal.user_id().is_none() {
            return Ok(false);
        }
        let object = self.object(tenant, object_id).await?;
        Ok(self
            .authz
            .authorize(
                principal,
                Some(tenant),
                Self::object_scope(tenant, &object)?,
                Operation::ModerateContribution,
            )
            .await
            .is_ok())
    }

    /// A document of the collective (metadata, whatever its state: for moderation).
    pub async fn document(&self, tenant: &Tenant, id: i64) -> Result<Document, ServiceError> {
        self.store
            .document(tenant.id, id)
            .await?
            .ok_or(ServiceError::NotFound("document"))
    }

    /// The documents of an object as `principal` may see them: a pending one in full only for
    /// its uploader and the object's moderators, otherwise concealed (a document awaits
    /// moderation since its date); a refused one's file only for moderators.
    pub async fn documents(
        &self,
        principal: &Principal,
        tenant: &Tenant,
        object_id: i64,
    ) -> Result<Vec<DocumentEntry>, ServiceError> {
        self.object(tenant, object_id).await?;
        let docs = self.store.documents(tenant.id, object_id).await?;
        let moderator = if docs.iter().any(|d| d.state != FactState::Accepted) {
            self.may_moderate_object(principal, tenant, object_id)
                .await?
        } else {
            false
        };
        let user = principal.user_id();
        Ok(docs
            .into_iter()
            .map(|d| {
                let own = user.is_some() && d.uploader_id == user;
                let (concealed, downloadable) = match d.state {
                    FactState::Accepted => (false, true),
                    FactState::Pending => {
                        let sees = moderator || own;
                        (!sees, sees)
                    }
                    _ => (false, moderator),
                };
                let document = if concealed { conceal(d) } else { d };
                DocumentEntry {
                    document,
                    concealed,
                    downloadable,
                }
            })
            .collect())
    }

    /// Accepts or refuses a document a citizen attached to an object.
    pub async fn decide_document(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        id: i64,
        accept: bool,
        reason: Option<&str>,
    ) -> Result<Document, ServiceError> {
        let doc = self.document(tenant, id).await?;
        if doc.request_id.is_some() {
            // A request's files follow the request's moderation.
            return Err(ServiceError::NotFound("document"));
        }
        let (permit, _) = &self
            .object_permit_for(
                actor,
                tenant,
                doc.object_id,
                Operation::ModerateContribution,
            )
            .await?;
        let decision = Decision::new(accept, reason)?;
        let decided = self
            .store
            .decide_document(tenant.id, id, &decision, permit.actor())
            .await?;
        self.badges_touched(tenant.id, [permit.actor()]);
        Ok(decided)
    }

    /// A document and its bytes. A file of a request awaiting moderation is there only for
    /// those who may read that request ([`Services::may_read_request`]); an object's document
    /// awaiting moderation only for its uploader and the object's moderators, a refused one
    /// only for the moderators.
    pub async fn document_file(
        &self,
        principal: &vigie_domain::Principal,
        token: Option<&str>,
        tenant: &Tenant,
        id: i64,
    ) -> Result<(Document, Vec<u8>), ServiceError> {
        let doc = self
            .store
            .document(tenant.id, id)
            .await?
            .ok_or(ServiceError::NotFound("document"))?;
        if let Some(rid) = doc.request_id {
            let request = self.request(tenant, rid).await?;
            if !self
                .may_read_request(principal, token, tenant, &request)
                .await?
            {
                return Err(ServiceError::NotFound("document"));
            }
        } else if doc.state != FactState::Accepted {
            let own = doc.state == FactState::Pending
                && principal.user_id().is_some()
                && doc.uploader_id == principal.user_id();
            if !own
                && !self
                    .may_moderate_object(principal, tenant, doc.object_id)
                    .await?
            {
                return Err(ServiceError::NotFound("document"));
            }
        }
        let key = BlobKey::new(doc.blob_key.clone()).map_err(media_error)?;
        let blob = self.media.store.get(&key).await.map_err(media_error)?;
        Ok((doc, blob.bytes.to_vec()))
    }
}

/// A pending document as those who may not see it are told of it: only its id, object, kind
/// and date remain.
fn conceal(d: Document) -> Document {
    Document {
        title: String::new(),
        document_date: None,
        source: None,
        blob_key: String::new(),
        content_type: String::new(),
        file_name: String::new(),
        size: 0,
        sha256: String::new(),
        uploaded_by: None,
        uploader_id: None,
        ..d
    }
}
