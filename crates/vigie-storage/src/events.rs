//! Life events and documents of objects.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use vigie_domain::{Decision, FactState, Provenance, TenantId, UserId};

use crate::{Change, DecisionRecord, Store, StoreError, now, parse_timestamp};

/// A life event to record.
#[derive(Debug, Clone)]
pub struct NewLifeEvent {
    /// The object.
    pub object_id: i64,
    /// Kind (see `vigie_domain::objects::LIFE_EVENT_KINDS`).
    pub kind: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// First day.
    pub starts_on: String,
    /// Last day, if known.
    pub ends_on: Option<String>,
    /// Who: Garant (accepted at once), citizen or anonymous (pending).
    pub provenance: Provenance,
    /// Signed-in author.
    pub author: Option<UserId>,
    /// Private contact e-mail.
    pub contact_email: Option<String>,
}

/// A stored life event (public view).
#[derive(Debug, Clone, PartialEq)]
pub struct LifeEvent {
    /// Id.
    pub id: i64,
    /// Object.
    pub object_id: i64,
    /// Object type.
    pub object_type: String,
    /// Kind.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// First day.
    pub starts_on: String,
    /// Last day.
    pub ends_on: Option<String>,
    /// Provenance.
    pub provenance: Provenance,
    /// Author's public name.
    pub author_name: Option<String>,
    /// State.
    pub state: FactState,
    /// Decision.
    pub decision: Option<DecisionRecord>,
    /// Filed at.
    pub at: OffsetDateTime,
}

/// A document to record (its bytes are already in the blob store).
#[derive(Debug, Clone)]
pub struct NewDocument {
    /// Object.
    pub object_id: i64,
    /// Kind.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Date of the document itself.
    pub document_date: Option<String>,
    /// Where it comes from (e.g. a CADA request).
    pub source: Option<String>,
    /// Blob key.
    pub blob_key: String,
    /// Detected content type.
    pub content_type: String,
    /// Safe file name.
    pub file_name: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256.
    pub sha256: String,
    /// Uploader.
    pub uploaded_by: Option<UserId>,
    /// The request it illustrates, if any.
    pub request_id: Option<i64>,
    /// `Accepted` (a moderator's, an import's, a request's) or `Pending` (a citizen's).
    pub filed_state: FactState,
}

/// A stored document's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Id.
    pub id: i64,
    /// Object.
    pub object_id: i64,
    /// Kind.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Date of the document.
    pub document_date: Option<String>,
    /// Source.
    pub source: Option<String>,
    /// Blob key.
    pub blob_key: String,
    /// Content type.
    pub content_type: String,
    /// File name.
    pub file_name: String,
    /// Size.
    pub size: i64,
    /// SHA-256.
    pub sha256: String,
    /// Uploader's public name.
    pub uploaded_by: Option<String>,
    /// The request it illustrates, if any.
    pub request_id: Option<i64>,
    /// Uploader's account (private: to tell them their own pending document).
    pub uploader_id: Option<UserId>,
    /// Moderation state (an object's document uploaded by a non-moderator starts pending).
    pub state: FactState,
    /// The moderator's decision, if any.
    pub decision: Option<DecisionRecord>,
    /// Uploaded at.
    pub at: OffsetDateTime,
}

pub(crate) const EVENT_SELECT: &str = "SELECT e.id, e.object_id, o.type_key, e.kind, e.title, e.description, e.starts_on, \
     e.ends_on, e.provenance, a.display_name AS author_name, e.filed_state, e.at, d.decision, d.reason, \
     m.display_name AS decided_by, d.at AS decided_at FROM life_events e JOIN objects o ON o.id = e.object_id \
     LEFT JOIN users a ON a.id = e.author_id LEFT JOIN life_event_decisions d ON d.event_id = e.id \
     LEFT JOIN users m ON m.id = d.decided_by";

pub(crate) fn event_from_row(r: &AnyRow) -> Result<LifeEvent, StoreError> {
    let corrupt = |v: &str| StoreError::Corrupt(format!("life event value {v}"));
    let provenance: String = r.try_get("provenance")?;
    let at: String = r.try_get("at")?;
    let (state, decision) = crate::moderation::decision_from_row(r)?;
    Ok(LifeEvent {
        id: r.try_get("id")?,
        object_id: r.try_get("object_id")?,
        object_type: r.try_get("type_key")?,
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        starts_on: r.try_get("starts_on")?,
        ends_on: r.try_get("ends_on")?,
        provenance: Provenance::parse(&provenance).ok_or_else(|| corrupt(&provenance))?,
        author_name: r.try_get("author_name")?,
        state,
        decision,
        at: parse_timestamp(&at)?,
    })
}

pub(crate) const DOC_SELECT: &str = "SELECT d.id, d.object_id, d.kind, d.title, d.document_date, d.source, d.blob_key, \
     d.content_type, d.file_name, d.size, d.sha256, u.display_name AS uploaded_by, d.uploaded_by AS uploader_id, d.request_id, d.at, d.filed_state, \
     x.decision, x.reason, m.display_name AS decided_by, x.at AS decided_at FROM documents d \
     LEFT JOIN users u ON u.id = d.uploaded_by LEFT JOIN document_decisions x ON x.document_id = d.id \
     LEFT JOIN users m ON m.id = x.decided_by";

pub(crate) fn doc_from_row(r: &AnyRow) -> Result<Document, StoreError> {
    let at: String = r.try_get("at")?;
    let (state, decision) = crate::moderation::decision_from_row(r)?;
    let uploader_id: Option<i64> = r.try_get("uploader_id")?;
    Ok(Document {
        id: r.try_get("id")?,
        object_id: r.try_get("object_id")?,
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        document_date: r.try_get("document_date")?,
        source: r.try_get("source")?,
        blob_key: r.try_get("blob_key")?,
        content_type: r.try_get("content_type")?,
        file_name: r.try_get("file_name")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        uploaded_by: r.try_get("uploaded_by")?,
        request_id: r.try_get("request_id")?,
        uploader_id: uploader_id.map(UserId),
        state,
        decision,
        at: parse_timestamp(&at)?,
    })
}

impl Store {
    /// Records a life event of an object of the collective.
    pub async fn insert_life_event(
        &self,
        tenant: TenantId,
        e: &NewLifeEvent,
    ) -> Result<LifeEvent, StoreError> {
        self.object(tenant, e.object_id)
            .await?
            .ok_or(StoreError::NotFound("object"))?;
        let id: i64 = sqlx::query(
            "INSERT INTO life_events (tenant_id, object_id, kind, title, description, starts_on, ends_on, \
             provenance, author_id, contact_email, filed_state, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(tenant.0)
        .bind(e.object_id)
        .bind(&e.kind)
        .bind(&e.title)
        .bind(&e.description)
        .bind(&e.starts_on)
        .bind(&e.ends_on)
        .bind(e.provenance.as_str())
        .bind(e.author.map(|a| a.0))
        .bind(&e.contact_email)
        .bind(e.provenance.filed_state().as_str())
        .bind(now())
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        self.changed(Change::Object {
            tenant,
            object: e.object_id,
        })
        .await;
        self.life_event(tenant, id)
            .await?
            .ok_or(StoreError::NotFound("life event"))
    }

    /// A life event of the collective.
    pub async fn life_event(
        &self,
        tenant: TenantId,
        id: i64,
    ) -> Result<Option<LifeEvent>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{EVENT_SELECT} WHERE e.tenant_id = $1 AND e.id = $2"
        )))
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(event_from_row)
        .transpose()
    }

    /// The life events of an object, by date.
    pub async fn life_events(
        &self,
        tenant: TenantId,
        object_id: i64,
    ) -> Result<Vec<LifeEvent>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{EVENT_SELECT} WHERE e.tenant_id = $1 AND e.object_id = $2 ORDER BY e.starts_on, e.id"
        )))
        .bind(tenant.0)
        .bind(object_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// Decides a pending life event, once.
    pub async fn decide_life_event(
        &self,
        tenant: TenantId,
        id: i64,
        decision: &Decision,
        actor: Option<UserId>,
    ) -> Result<LifeEvent, StoreError> {
        let event = self
            .life_event(tenant, id)
            .await?
            .ok_or(StoreError::NotFound("life event"))?;
        self.record_decision(
            crate::moderation::Moderated::LifeEvent,
            id,
            event.state,
            decision,
            actor,
        )
        .await?;
        self.changed(Change::Object {
            tenant,
            object: event.object_id,
        })
        .await;
        self.life_event(tenant, id)
            .await?
            .ok_or(StoreError::NotFound("life event"))
    }

    /// Decides a pending document, once.
    pub async fn decide_document(
        &self,
        tenant: TenantId,
        id: i64,
        decision: &Decision,
        actor: Option<UserId>,
    ) -> Result<Document, StoreError> {
        let doc = self
            .document(tenant, id)
            .await?
            .ok_or(StoreError::NotFound("document"))?;
        self.record_decision(
            crate::moderation::Moderated::Document,
            id,
            doc.state,
            decision,
            actor,
        )
        .await?;
        self.changed(Change::Object {
            tenant,
            object: doc.object_id,
        })
        .await;
        self.document(tenant, id)
            .await?
            .ok_or(StoreError::NotFound("document"))
    }

    /// Records a document's metadata.
    pub async fn insert_document(
        &self,
        tenant: TenantId,
        d: &NewDocument,
    ) -> Result<Document, StoreError> {
        self.object(tenant, d.object_id)
            .await?
            .ok_or(StoreError::NotFound("object"))?;
        let id = insert_document_row(&mut *self.pool.acquire().await?, tenant, d).await?;
        self.changed(Change::Object {
            tenant,
            object: d.object_id,
        })
        .await;
        self.document(tenant, id)
            .await?
            .ok_or(StoreError::NotFound("document"))
    }

    /// A document of the collective.
    pub async fn document(
        &self,
        tenant: TenantId,
        id: i64,
    ) -> Result<Option<Document>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{DOC_SELECT} WHERE d.tenant_id = $1 AND d.id = $2"
        )))
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(doc_from_row)
        .transpose()
    }

    /// The photos and documents of a request, oldest first.
    pub async fn request_documents(
        &self,
        tenant: TenantId,
        request_id: i64,
    ) -> Result<Vec<Document>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{DOC_SELECT} WHERE d.tenant_id = $1 AND d.request_id = $2 ORDER BY d.id"
        )))
        .bind(tenant.0)
        .bind(request_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(doc_from_row).collect()
    }

    /// The documents of an object (not those of its requests), newest first.
    pub async fn documents(
        &self,
        tenant: TenantId,
        object_id: i64,
    ) -> Result<Vec<Document>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{DOC_SELECT} WHERE d.tenant_id = $1 AND d.object_id = $2 AND d.request_id IS NULL \
             ORDER BY d.id DESC"
        )))
        .bind(tenant.0)
        .bind(object_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(doc_from_row).collect()
    }
}

/// Inserts a document's row on `conn` (the pool's or a transaction's); its id.
pub(crate) async fn insert_document_row(
    conn: &mut sqlx::AnyConnection,
    tenant: TenantId,
    d: &NewDocument,
) -> Result<i64, StoreError> {
    Ok(sqlx::query(
        "INSERT INTO documents (tenant_id, object_id, kind, title, document_date, source, blob_key, \
         content_type, file_name, size, sha256, uploaded_by, at, request_id, filed_state) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(tenant.0)
    .bind(d.object_id)
    .bind(&d.kind)
    .bind(&d.title)
    .bind(&d.document_date)
    .bind(&d.source)
    .bind(&d.blob_key)
    .bind(&d.content_type)
    .bind(&d.file_name)
    .bind(d.size)
    .bind(&d.sha256)
    .bind(d.uploaded_by.map(|u| u.0))
    .bind(now())
    .bind(d.request_id)
    .bind(d.filed_state.as_str())
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?)
}
