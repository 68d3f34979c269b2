//! Requests for intervention or improvement, who handles them, their supporters, comments and
//! tokens, and the collective's hash-chained journal.
//!
//! Every change to a request is written in the same transaction as its journal entry: a request
//! never changes without the journal saying so. The journal's head row per collective is taken
//! first in each transaction, which serialises writers on both backends.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use time::OffsetDateTime;
use vigie_domain::Bilingual;
use vigie_domain::requests::{
    GENESIS_HASH, JournalEntry, RequestStatus, STEMS_VERSION, Urgency, journal_hash, request_text,
    stems,
};
use vigie_domain::{Provenance, TenantId, UserId};

use crate::store::WriteTurn;
use crate::submissions::{SubmissionKind, record, submitted};
use crate::{Change, Store, StoreError, now, parse_timestamp};

/// A named contact of a collective for one object type (e.g. the city's head of works).
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    /// Id.
    pub id: i64,
    /// Object type.
    pub type_key: String,
    /// Public name.
    pub name: String,
    /// Public role (e.g. "Directeur des travaux, 13e-14e").
    pub role_title: String,
    /// Private e-mail: notifications go there; never shown.
    pub email: String,
    /// Retired by a Garant: kept for the history, no longer offered, notified nor assigned.
    pub retired: bool,
}

/// A request as filed.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// The object.
    pub object_id: i64,
    /// Kind key (from the type's plugin).
    pub kind: String,
    /// `set/category` keys.
    pub categories: Vec<String>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Extra fields of the kind, JSON object of encoded values.
    pub extra_fields: String,
    /// Urgency.
    pub urgency: Urgency,
    /// When to ask the requester whether it is solved.
    pub reminder_on: Option<String>,
    /// Citizen or anonymous.
    pub provenance: Provenance,
    /// Signed-in requester.
    pub author: Option<UserId>,
    /// Private contact e-mail.
    pub contact_email: Option<String>,
    /// The SHA-256 of the submission's idempotency key, if it came with one: filing it again
    /// finds this request (see [`FiledRecord::replayed`]).
    pub submission_key: Option<String>,
}

/// A stored request.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    /// Id.
    pub id: i64,
    /// The object.
    pub object_id: i64,
    /// Its type.
    pub object_type: String,
    /// Its official name.
    pub object_name: String,
    /// Kind key.
    pub kind: String,
    /// `set/category` keys.
    pub categories: Vec<String>,
    /// The requester's title.
    pub title: String,
    /// The requester's description.
    pub description: String,
    /// The moderator's re-expressed title.
    pub public_title: Option<String>,
    /// The moderator's re-expressed description.
    pub public_description: Option<String>,
    /// Extra fields, JSON object of encoded values.
    pub extra_fields: String,
    /// Urgency.
    pub urgency: Urgency,
    /// Reminder date.
    pub reminder_on: Option<String>,
    /// When the reminder went out.
    pub reminder_sent_at: Option<String>,
    /// Citizen or anonymous.
    pub provenance: Provenance,
    /// Requester's account.
    pub author_id: Option<UserId>,
    /// Requester's public name.
    pub author_name: Option<String>,
    /// Private contact e-mail (never shown).
    pub contact_email: Option<String>,
    /// Whether the contact e-mail was confirmed (only then is it mailed again).
    pub contact_confirmed: bool,
    /// Status.
    pub status: RequestStatus,
    /// Public reason of a refusal or of setting apart.
    pub moderation_reason: Option<String>,
    /// The request this one was merged into.
    pub merged_into: Option<i64>,
    /// Supporters: "me too"s on it and on the requests merged into it, plus their requesters.
    pub supporters: i64,
    /// Filed at.
    pub filed_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
}

impl RequestRecord {
    /// The title shown: the moderator's, else the requester's.
    pub fn shown_title(&self) -> &str {
        self.public_title.as_deref().unwrap_or(&self.title)
    }

    /// The description shown.
    pub fn shown_description(&self) -> &str {
        self.public_description
            .as_deref()
            .unwrap_or(&self.description)
    }
}

/// Who handles a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Id.
    pub id: i64,
    /// A user, or…
    pub user_id: Option<UserId>,
    /// …a contact.
    pub contact_id: Option<i64>,
    /// Public name (user's display name or contact's name).
    pub name: String,
    /// Contact's role, if a contact.
    pub role_title: Option<String>,
    /// Private e-mail to notify (never shown).
    pub email: String,
    /// When.
    pub at: OffsetDateTime,
    /// When removed, if it was.
    pub removed_at: Option<OffsetDateTime>,
}

/// A comment (signed-in readers only).
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// Id.
    pub id: i64,
    /// Author's public name.
    pub author_name: String,
    /// Text.
    pub body: String,
    /// When.
    pub at: OffsetDateTime,
}

/// A journal entry to write with a change: what happened and its public details (JSON text),
/// and what it makes known to the request's followers, queued in the same transaction: the
/// messages go, and the digest lines wait, if and only if the change is made.
#[derive(Debug, Clone)]
pub struct JournalNote {
    /// Action name.
    pub action: &'static str,
    /// Public details, JSON.
    pub details: String,
    /// Followers' messages and digest lines.
    pub notices: Notices,
}

/// The messages and digest lines one event sends to followers.
#[derive(Debug, Clone, Default)]
pub struct Notices {
    /// Messages to send now.
    pub mails: Vec<crate::NewOutboxMail>,
    /// Lines for tomorrow's digests.
    pub digest: Vec<crate::NewDigestItem>,
}

impl Notices {
    /// Nothing to send.
    pub fn is_empty(&self) -> bool {
        self.mails.is_empty() && self.digest.is_empty()
    }

    /// Both sets.
    #[must_use]
    pub fn and(mut self, other: Notices) -> Self {
        self.mails.extend(other.mails);
        self.digest.extend(other.digest);
        self
    }
}

impl JournalNote {
    /// A note from a JSON value.
    pub fn new(action: &'static str, details: &serde_json::Value) -> Self {
        Self {
            action,
            details: details.to_string(),
            notices: Notices::default(),
        }
    }

    /// With what it makes known to followers.
    #[must_use]
    pub fn with_notices(mut self, notices: Notices) -> Self {
        self.notices = notices;
        self
    }
}

/// A personal link, as stored (its secret is kept as a hash only).
#[derive(Debug, Clone, PartialEq)]
pub struct RequestToken {
    /// The request it opens.
    pub request_id: i64,
    /// The contact it belongs to; none: the requester's.
    pub contact_id: Option<i64>,
    /// Whether opening it confirms the requester's contact address (the link mailed there).
    pub confirms_contact: bool,
    /// When it was last used, or made.
    pub last_used_at: OffsetDateTime,
    /// When it was withdrawn, if it was.
    pub revoked_at: Option<OffsetDateTime>,
}

/// Whether an e-mail about a request may go out, under the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailReservation {
    /// Counted; send it.
    Reserved,
    /// The request's editors caused too many e-mails in the last 24 hours.
    RequestLimit,
    /// The address received too many e-mails about requests in the last hour.
    AddressLimit,
}

/// Bounds on e-mails about requests.
#[derive(Debug, Clone, Copy)]
pub struct MailLimits {
    /// Counted against the request's daily bound (a notification, an assignment).
    pub by_editor: bool,
    /// E-mails its editors may cause per request in 24 hours.
    pub per_request_day: i64,
    /// E-mails per address in an hour.
    pub per_address_hour: i64,
}

/// A change of a request's status.
#[derive(Debug, Clone)]
pub struct StatusChange {
    /// The status it must still have (a concurrent change makes this a conflict).
    pub from: RequestStatus,
    /// The new status.
    pub to: RequestStatus,
    /// The public moderation reason, for a refusal or setting apart.
    pub moderation_reason: Option<String>,
}

pub(crate) const REQUEST_SELECT: &str = "SELECT r.id, r.object_id, o.type_key, o.official_name, r.kind, r.categories, r.title, \
     r.description, r.public_title, r.public_description, r.extra_fields, r.urgency, r.reminder_on, \
     r.reminder_sent_at, r.provenance, r.author_id, a.display_name AS author_name, r.contact_email, r.contact_confirmed_at, r.status, \
     r.moderation_reason, r.merged_into, r.filed_at, r.updated_at, \
     (SELECT COUNT(*) FROM request_supporters s WHERE s.request_id = r.id) \
     + (SELECT COUNT(*) FROM requests m JOIN request_supporters s ON s.request_id = m.id \
        WHERE m.merged_into = r.id) \
     + (SELECT COUNT(*) FROM requests m WHERE m.merged_into = r.id) AS supporters \
     FROM requests r JOIN objects o ON o.id = r.object_id LEFT JOIN users a ON a.id = r.author_id";

pub(crate) fn request_from_row(r: &AnyRow) -> Result<RequestRecord, StoreError> {
    let corrupt = |v: &str| StoreError::Corrupt(format!("request value {v}"));
    let categories: String = r.try_get("categories")?;
    let urgency: String = r.try_get("urgency")?;
    let provenance: String = r.try_get("provenance")?;
    let status: String = r.try_get("status")?;
    let filed_at: String = r.try_get("filed_at")?;
    let updated_at: String = r.try_get("updated_at")?;
    Ok(RequestRecord {
        id: r.try_get("id")?,
        object_id: r.try_get("object_id")?,
        object_type: r.try_get("type_key")?,
        object_name: r.try_get("official_name")?,
        kind: r.try_get("kind")?,
        categories: serde_json::from_str(&categories).map_err(|_| corrupt(&categories))?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        public_title: r.try_get("public_title")?,
        public_description: r.try_get("public_description")?,
        extra_fields: r.try_get("extra_fields")?,
        urgency: Urgency::parse(&urgency).ok_or_else(|| corrupt(&urgency))?,
        reminder_on: r.try_get("reminder_on")?,
        reminder_sent_at: r.try_get("reminder_sent_at")?,
        provenance: Provenance::parse(&provenance).ok_or_else(|| corrupt(&provenance))?,
        author_id: r.try_get::<Option<i64>, _>("author_id")?.map(UserId),
        author_name: r.try_get("author_name")?,
        contact_email: r.try_get("contact_email")?,
        contact_confirmed: r
            .try_get::<Option<String>, _>("contact_confirmed_at")?
            .is_some(),
        status: RequestStatus::parse(&status).ok_or_else(|| corrupt(&status))?,
        moderation_reason: r.try_get("moderation_reason")?,
        merged_into: r.try_get("merged_into")?,
        supporters: r.try_get("supporters")?,
        filed_at: parse_timestamp(&filed_at)?,
        updated_at: parse_timestamp(&updated_at)?,
    })
}

fn entry_from_row(r: &AnyRow) -> Result<JournalEntry, StoreError> {
    Ok(JournalEntry {
        seq: r.try_get("seq")?,
        request_id: r.try_get("request_id")?,
        action: r.try_get("action")?,
        details: r.try_get("details")?,
        at: r.try_get("at")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

const ASSIGNMENT_SELECT: &str = "SELECT x.id, x.user_id, x.contact_id, x.at, x.removed_at, \
     COALESCE(u.display_name, c.name) AS name, c.role_title, COALESCE(u.email, c.email) AS email \
     FROM request_assignments x LEFT JOIN users u ON u.id = x.user_id \
     LEFT JOIN request_contacts c ON c.id = x.contact_id";

fn assignment_from_row(r: &AnyRow) -> Result<Assignment, StoreError> {
    let at: String = r.try_get("at")?;
    let removed: Option<String> = r.try_get("removed_at")?;
    Ok(Assignment {
        id: r.try_get("id")?,
        user_id: r.try_get::<Option<i64>, _>("user_id")?.map(UserId),
        contact_id: r.try_get("contact_id")?,
        name: r.try_get("name")?,
        role_title: r.try_get("role_title")?,
        email: r.try_get("email")?,
        at: parse_timestamp(&at)?,
        removed_at: removed.as_deref().map(parse_timestamp).transpose()?,
    })
}

const CONTACT_SELECT: &str =
    "SELECT id, type_key, name, role_title, email, retired_at FROM request_contacts";

fn contact_from_row(r: &AnyRow) -> Result<Contact, StoreError> {
    Ok(Contact {
        id: r.try_get("id")?,
        type_key: r.try_get("type_key")?,
        name: r.try_get("name")?,
        role_title: r.try_get("role_title")?,
        email: r.try_get("email")?,
        retired: r.try_get::<Option<String>, _>("retired_at")?.is_some(),
    })
}

/// A transaction holding the collective's journal head: changes made through it and the
/// entries appended to it commit together.
pub(crate) struct Journaled {
    tx: Transaction<'static, Any>,
    /// This process's turn to write (SQLite), kept until the transaction ends.
    _turn: WriteTurn,
    tenant: TenantId,
    /// The head as taken, then as the entries appended so far leave it.
    head: (i64, String),
    written: Vec<JournalEntry>,
    /// Requests whose object is known (`(request, object)`), and whether the change of that
    /// object was already published in the transaction: no need to look them up after commit.
    objects: Vec<(i64, i64, bool)>,
    /// The store, told what changed once the transaction is committed.
    store: Store,
}

impl Journaled {
    /// Takes the collective's journal head (created on first use) in `tx`: on SQLite the
    /// write lock, on PostgreSQL the head row's lock, held until the transaction ends.
    async fn hold(
        store: Store,
        (turn, mut tx): (WriteTurn, Transaction<'static, Any>),
        tenant: TenantId,
    ) -> Result<Self, StoreError> {
        let take = "UPDATE journal_heads SET seq = seq WHERE tenant_id = $1 RETURNING seq, hash";
        let mut head = sqlx::query(take)
            .bind(tenant.0)
            .fetch_optional(&mut *tx)
            .await?;
        if head.is_none() {
            // The collective's first entry. On PostgreSQL a concurrent first writer's row
            // makes this wait for it, then do nothing; the head is then taken as usual.
            sqlx::query(
                "INSERT INTO journal_heads (tenant_id, seq, hash) VALUES ($1, 0, $2) \
                 ON CONFLICT (tenant_id) DO NOTHING",
            )
            .bind(tenant.0)
            .bind(GENESIS_HASH)
            .execute(&mut *tx)
            .await?;
            head = sqlx::query(take)
                .bind(tenant.0)
                .fetch_optional(&mut *tx)
                .await?;
        }
        let head = head.ok_or(StoreError::NotFound("journal head"))?;
        Ok(Self {
            head: (head.try_get("seq")?, head.try_get("hash")?),
            tx,
            _turn: turn,
            tenant,
            written: Vec::new(),
            objects: Vec::new(),
            store,
        })
    }

    /// The transaction, for writes that commit with the entries.
    pub(crate) fn tx(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// Appends an entry for `request_id`.
    pub(crate) async fn append(
        &mut self,
        request_id: i64,
        note: &JournalNote,
    ) -> Result<(), StoreError> {
        let seq = self.head.0 + 1;
        let prev_hash = self.head.1.clone();
        let at = now();
        let hash = journal_hash(&prev_hash, seq, request_id, note.action, &note.details, &at);
        sqlx::query(
            "INSERT INTO request_journal (tenant_id, seq, request_id, action, details, at, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(self.tenant.0)
        .bind(seq)
        .bind(request_id)
        .bind(note.action)
        .bind(&note.details)
        .bind(&at)
        .bind(&prev_hash)
        .bind(&hash)
        .execute(&mut *self.tx)
        .await?;
        self.head = (seq, hash.clone());
        crate::follows::queue_in(&mut self.tx, &note.notices).await?;
        self.written.push(JournalEntry {
            seq,
            request_id,
            action: note.action.to_owned(),
            details: note.details.clone(),
            at,
            prev_hash,
            hash,
        });
        Ok(())
    }

    /// Counts an e-mail about `request_id` to the address of hash `address_hash` if the
    /// limits allow it. The head held, concurrent senders are counted one after the other.
    /// Each count reads no more rows than its limit.
    async fn reserve_mail(
        &mut self,
        request_id: i64,
        address_hash: &str,
        limits: MailLimits,
    ) -> Result<MailReservation, StoreError> {
        let at = OffsetDateTime::now_utc();
        let since = |d: time::Duration| crate::timestamp(at - d);
        if limits.by_editor {
            let n: i64 = sqlx::query(
                "SELECT COUNT(*) FROM (SELECT 1 FROM request_mails \
                 WHERE request_id = $1 AND by_editor = 1 AND at > $2 LIMIT $3) m",
            )
            .bind(request_id)
            .bind(since(time::Duration::days(1)))
            .bind(limits.per_request_day.max(0))
            .fetch_one(&mut *self.tx)
            .await?
            .try_get(0)?;
            if n >= limits.per_request_day {
                return Ok(MailReservation::RequestLimit);
            }
        }
        // No bound (an address of the collective's own, or an account's): nothing to count.
        if limits.per_address_hour < i64::MAX {
            let n: i64 = sqlx::query(
                "SELECT COUNT(*) FROM (SELECT 1 FROM request_mails \
                 WHERE address_hash = $1 AND at > $2 LIMIT $3) m",
            )
            .bind(address_hash)
            .bind(since(time::Duration::hours(1)))
            .bind(limits.per_address_hour.max(0))
            .fetch_one(&mut *self.tx)
            .await?
            .try_get(0)?;
            if n >= limits.per_address_hour {
                return Ok(MailReservation::AddressLimit);
            }
        }
        sqlx::query(
            "INSERT INTO request_mails (request_id, address_hash, by_editor, at) VALUES ($1, $2, $3, $4)",
        )
        .bind(request_id)
        .bind(address_hash)
        .bind(i64::from(limits.by_editor))
        .bind(crate::timestamp(at))
        .execute(&mut *self.tx)
        .await?;
        Ok(MailReservation::Reserved)
    }

    /// Reserves `mail` for `request_id` and, if it may go, appends its journal entry.
    async fn reserve_and_journal(
        &mut self,
        request_id: i64,
        mail: &RequestMail<'_>,
    ) -> Result<MailReservation, StoreError> {
        let reserved = self
            .reserve_mail(request_id, &mail.address_hash, mail.limits)
            .await?;
        if reserved == MailReservation::Reserved {
            self.append(request_id, &(mail.entry)(request_id)).await?;
            if let Some(message) = mail.message {
                crate::outbox::enqueue_in(&mut self.tx, &message(request_id)).await?;
            }
        }
        Ok(reserved)
    }

    /// Moves the head past the entries appended and commits.
    pub(crate) async fn commit(mut self) -> Result<Vec<JournalEntry>, StoreError> {
        if !self.written.is_empty() {
            sqlx::query("UPDATE journal_heads SET seq = $1, hash = $2 WHERE tenant_id = $3")
                .bind(self.head.0)
                .bind(&self.head.1)
                .bind(self.tenant.0)
                .execute(&mut *self.tx)
                .await?;
        }
        self.tx.commit().await?;
        drop(self._turn);
        if !self.written.is_empty() {
            metrics::counter!("vigie_journal_entries_total").increment(self.written.len() as u64);
        }
        self.store
            .requests_changed(self.tenant, &self.written, &self.objects)
            .await;
        Ok(self.written)
    }
}

/// An e-mail about a request, counted under the limits, journaled and queued in the mail
/// outbox in the transaction of a write: all of these, or none.
pub struct RequestMail<'a> {
    /// SHA-256 of the address it goes to (the address itself is never stored).
    pub address_hash: String,
    /// The bounds it is counted under.
    pub limits: MailLimits,
    /// Its journal entry, given the request's id (unknown before a request is filed).
    pub entry: &'a (dyn Fn(i64) -> JournalNote + Send + Sync),
    /// The message itself, given the request's id: queued in the mail outbox in the same
    /// transaction (none: only counted and journaled, the caller sends it).
    pub message: Option<&'a (dyn Fn(i64) -> crate::NewOutboxMail + Send + Sync)>,
}

impl std::fmt::Debug for RequestMail<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestMail")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// A request just filed ([`Store::file_request`]).
#[derive(Debug, Clone)]
pub struct FiledRecord {
    /// The request, as stored.
    pub request: RequestRecord,
    /// The journal entries written with it.
    pub entries: Vec<JournalEntry>,
    /// Whether the requester's e-mail may go (none asked: `None`).
    pub mail: Option<MailReservation>,
    /// The submission's key had filed this request already: nothing new was filed (no entry,
    /// no e-mail); the links given were added to it, so the one who sent it again can follow
    /// it as the first sending could.
    pub replayed: bool,
}

impl Store {
    /// Opens a transaction that holds the collective's journal head (created on first use).
    pub(crate) async fn journaled(&self, tenant: TenantId) -> Result<Journaled, StoreError> {
        // Take the head first: on SQLite the write lock, on PostgreSQL the row lock, so that
        // concurrent writers queue here instead of failing later.
        Journaled::hold(self.clone(), self.begin_write().await?, tenant).await
    }

    /// Adds a contact for a type in a collective.
    pub async fn insert_contact(
        &self,
        tenant: TenantId,
        type_key: &str,
        name: &str,
        role_title: &str,
        email: &str,
        by: Option<UserId>,
    ) -> Result<Contact, StoreError> {
        // A retired contact added again comes back, with the name and role given now.
        let back = sqlx::query(
            "UPDATE request_contacts SET name = $1, role_title = $2, retired_at = NULL \
             WHERE tenant_id = $3 AND type_key = $4 AND email = $5 AND retired_at IS NOT NULL \
             RETURNING id",
        )
        .bind(name)
        .bind(role_title)
        .bind(tenant.0)
        .bind(type_key)
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = back {
            let id: i64 = row.try_get(0)?;
            return self
                .contact(tenant, id)
                .await?
                .ok_or(StoreError::NotFound("contact"));
        }
        let id: i64 = sqlx::query(
            "INSERT INTO request_contacts (tenant_id, type_key, name, role_title, email, created_by, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(tenant.0)
        .bind(type_key)
        .bind(name)
        .bind(role_title)
        .bind(email)
        .bind(by.map(|u| u.0))
        .bind(now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| {
            crate::error::conflict_on_unique(e, || {
                Bilingual::new("a contact with this e-mail already exists for this type")
                    .fr("Un contact a déjà cette adresse pour ce type de lieu.")
            })
        })?
        .try_get(0)?;
        self.contact(tenant, id)
            .await?
            .ok_or(StoreError::NotFound("contact"))
    }

    /// Retires a contact of the collective (see [`Contact::retired`]); `None` if there is no
    /// such contact, or it was retired already.
    pub async fn retire_contact(
        &self,
        tenant: TenantId,
        id: i64,
    ) -> Result<Option<Contact>, StoreError> {
        let done = sqlx::query(
            "UPDATE request_contacts SET retired_at = $1 \
             WHERE tenant_id = $2 AND id = $3 AND retired_at IS NULL",
        )
        .bind(now())
        .bind(tenant.0)
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        self.contact(tenant, id).await
    }

    /// A contact of the collective (retired ones too: they are in the history).
    pub async fn contact(&self, tenant: TenantId, id: i64) -> Result<Option<Contact>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{CONTACT_SELECT} WHERE tenant_id = $1 AND id = $2"
        )))
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(contact_from_row)
        .transpose()
    }

    /// The contacts of the collective, for one type or all.
    pub async fn contacts(
        &self,
        tenant: TenantId,
        type_key: Option<&str>,
    ) -> Result<Vec<Contact>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{CONTACT_SELECT} WHERE tenant_id = $1 AND ($2 IS NULL OR type_key = $2) \
             AND retired_at IS NULL ORDER BY type_key, name, id"
        )))
        .bind(tenant.0)
        .bind(type_key)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(contact_from_row).collect()
    }

    /// Files a request, with its stems (for the similar-requests search) and its first
    /// journal entry.
    pub async fn insert_request(
        &self,
        tenant: TenantId,
        r: &NewRequest,
        note: &JournalNote,
    ) -> Result<(RequestRecord, Vec<JournalEntry>), StoreError> {
        let filed = self.file_request(tenant, r, note, &[], None).await?;
        Ok((filed.request, filed.entries))
    }

    /// Files a request like [`Store::insert_request`], in one transaction with the
    /// requester's personal links (`(secret's hash, confirms_contact)`) and, if given, the
    /// e-mail telling them, counted under its limits and journaled after the `note` (see
    /// [`RequestMail`]): one take of the journal head.
    pub async fn file_request(
        &self,
        tenant: TenantId,
        r: &NewRequest,
        note: &JournalNote,
        links: &[(String, bool)],
        mail: Option<&RequestMail<'_>>,
    ) -> Result<FiledRecord, StoreError> {
        let categories =
            serde_json::to_string(&r.categories).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        // A new request is offered to its moderators only: its stems say so.
        let stems = stems(&request_text(&r.title, &r.title, &r.description));
        let (turn, mut tx) = self.begin_write().await?;
        let at = now();
        if let Some(key) = &r.submission_key
            && let Some(id) = submitted(&mut tx, tenant, key, SubmissionKind::Request).await?
        {
            return self.replay_filing(tenant, (turn, tx), id, r, links).await;
        }
        // The request row first (on SQLite this write takes the write lock); the journal head,
        // which every writer of the collective waits for on PostgreSQL, only for the entries.
        // The object must be the collective's: no row otherwise.
        let id: i64 = sqlx::query(
            "INSERT INTO requests (tenant_id, object_id, kind, categories, title, description, extra_fields, \
             urgency, reminder_on, provenance, author_id, contact_email, status, filed_at, updated_at, \
             stems_version, stem_count) \
             SELECT $1, o.id, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16 \
             FROM objects o WHERE o.id = $2 AND o.tenant_id = $1 RETURNING id",
        )
        .bind(tenant.0)
        .bind(r.object_id)
        .bind(&r.kind)
        .bind(&categories)
        .bind(&r.title)
        .bind(&r.description)
        .bind(&r.extra_fields)
        .bind(r.urgency.as_str())
        .bind(&r.reminder_on)
        .bind(r.provenance.as_str())
        .bind(r.author.map(|a| a.0))
        .bind(&r.contact_email)
        .bind(RequestStatus::New.as_str())
        .bind(&at)
        .bind(STEMS_VERSION)
        .bind(i64::try_from(stems.len()).unwrap_or(i64::MAX))
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("object"))?
        .try_get(0)?;
        if let Some(key) = &r.submission_key {
            record(&mut tx, tenant, key, SubmissionKind::Request, id).await?;
        }
        crate::stems::insert_stems(
            &mut tx,
            id,
            tenant,
            r.object_id,
            crate::stems::state_of_new(),
            &stems,
        )
        .await?;
        for (hash, confirms_contact) in links {
            sqlx::query(
                "INSERT INTO request_tokens (request_id, contact_id, token_hash, at, confirms_contact) \
                 VALUES ($1, NULL, $2, $3, $4)",
            )
            .bind(id)
            .bind(hash)
            .bind(&at)
            .bind(i64::from(*confirms_contact))
            .execute(&mut *tx)
            .await?;
        }
        // Published on commit (PostgreSQL), announced before the head is taken.
        let change = Change::Object {
            tenant,
            object: r.object_id,
        };
        self.announce(&mut tx, change).await?;
        let mut j = Journaled::hold(self.clone(), (turn, tx), tenant).await?;
        j.objects.push((id, r.object_id, true));
        j.append(id, note).await?;
        let mail = match mail {
            Some(m) => Some(j.reserve_and_journal(id, m).await?),
            None => None,
        };
        let entries = j.commit().await?;
        let request = self
            .request(tenant, id)
            .await?
            .ok_or(StoreError::NotFound("request"))?;
        Ok(FiledRecord {
            request,
            entries,
            mail,
            replayed: false,
        })
    }

    /// A filing sent again with the key of request `id`: the sender's follow links are added
    /// (never a link confirming a contact address: that one goes only to the address), and
    /// nothing else is written. A key is one sender's: another account cannot reuse it.
    async fn replay_filing(
        &self,
        tenant: TenantId,
        (turn, mut tx): (WriteTurn, Transaction<'static, Any>),
        id: i64,
        r: &NewRequest,
        links: &[(String, bool)],
    ) -> Result<FiledRecord, StoreError> {
        let author: Option<i64> = sqlx::query("SELECT author_id FROM requests WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if author.is_some() && author != r.author.map(|a| a.0) {
            return Err(StoreError::Conflict(
                Bilingual::new("this submission key belongs to another sender")
                    .fr("Cette clé d'envoi appartient à quelqu'un d'autre."),
            ));
        }
        let at = now();
        for (hash, _) in links.iter().filter(|(_, confirms)| !confirms) {
            sqlx::query(
                "INSERT INTO request_tokens (request_id, contact_id, token_hash, at, confirms_contact) \
                 VALUES ($1, NULL, $2, $3, 0)",
            )
            .bind(id)
            .bind(hash)
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        drop(turn);
        let request = self
            .request(tenant, id)
            .await?
            .ok_or(StoreError::NotFound("request"))?;
        Ok(FiledRecord {
            request,
            entries: Vec::new(),
            mail: None,
            replayed: true,
        })
    }

    /// A request of the collective.
    pub async fn request(
        &self,
        tenant: TenantId,
        id: i64,
    ) -> Result<Option<RequestRecord>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{REQUEST_SELECT} WHERE r.tenant_id = $1 AND r.id = $2"
        )))
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(request_from_row)
        .transpose()
    }

    /// Requests of the collective by id, in no particular order (unknown ids left out).
    pub async fn requests_by_ids(
        &self,
        tenant: TenantId,
        ids: &[i64],
    ) -> Result<Vec<RequestRecord>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for ids in ids.chunks(500) {
            let list: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "{REQUEST_SELECT} WHERE r.tenant_id = $1 AND r.id IN ({})",
                list.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant.0);
            for id in ids {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&self.pool).await? {
                out.push(request_from_row(&row)?);
            }
        }
        Ok(out)
    }

    /// The requests of the collective (of one object, or all), newest first.
    pub async fn requests(
        &self,
        tenant: TenantId,
        object_id: Option<i64>,
    ) -> Result<Vec<RequestRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{REQUEST_SELECT} WHERE r.tenant_id = $1 AND ($2 IS NULL OR r.object_id = $2) ORDER BY r.id DESC"
        )))
        .bind(tenant.0)
        .bind(object_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(request_from_row).collect()
    }

    /// Changes a request's status if it still has `change.from`, with its journal entry.
    pub async fn change_request_status(
        &self,
        tenant: TenantId,
        id: i64,
        change: &StatusChange,
        note: &JournalNote,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        let mut j = self.journaled(tenant).await?;
        let done = sqlx::query(
            "UPDATE requests SET status = $1, moderation_reason = COALESCE($2, moderation_reason), \
             updated_at = $3 WHERE tenant_id = $4 AND id = $5 AND status = $6",
        )
        .bind(change.to.as_str())
        .bind(&change.moderation_reason)
        .bind(now())
        .bind(tenant.0)
        .bind(id)
        .bind(change.from.as_str())
        .execute(&mut *j.tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::Conflict(changed_meanwhile()));
        }
        crate::stems::restate_request(&mut j.tx, id).await?;
        j.append(id, note).await?;
        j.commit().await
    }

    /// Records the moderator's wording (the requester's stays).
    pub async fn reexpress_request(
        &self,
        tenant: TenantId,
        id: i64,
        title: &str,
        description: &str,
        note: &JournalNote,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        let mut j = self.journaled(tenant).await?;
        sqlx::query(
            "UPDATE requests SET public_title = $1, public_description = $2, updated_at = $3 \
             WHERE tenant_id = $4 AND id = $5",
        )
        .bind(title)
        .bind(description)
        .bind(now())
        .bind(tenant.0)
        .bind(id)
        .execute(&mut *j.tx)
        .await?;
        // What it is compared by changed with it.
        crate::stems::index_request(&mut j.tx, id).await?;
        j.append(id, note).await?;
        j.commit().await
    }

    /// Assigns a user or a contact.
    pub async fn assign_request(
        &self,
        tenant: TenantId,
        id: i64,
        user: Option<UserId>,
        contact: Option<i64>,
        by: Option<UserId>,
        note: &JournalNote,
    ) -> Result<Assignment, StoreError> {
        let mut j = self.journaled(tenant).await?;
        let assignment: i64 = sqlx::query(
            "INSERT INTO request_assignments (request_id, user_id, contact_id, assigned_by, at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(id)
        .bind(user.map(|u| u.0))
        .bind(contact)
        .bind(by.map(|u| u.0))
        .bind(now())
        .fetch_one(&mut *j.tx)
        .await?
        .try_get(0)?;
        j.append(id, note).await?;
        j.commit().await?;
        self.assignments(id)
            .await?
            .into_iter()
            .find(|a| a.id == assignment)
            .ok_or(StoreError::NotFound("assignment"))
    }

    /// Ends an assignment (it stays in the history).
    pub async fn unassign_request(
        &self,
        tenant: TenantId,
        id: i64,
        assignment: i64,
        note: &JournalNote,
    ) -> Result<(), StoreError> {
        let mut j = self.journaled(tenant).await?;
        let done = sqlx::query(
            "UPDATE request_assignments SET removed_at = $1 WHERE id = $2 AND request_id = $3 \
             AND removed_at IS NULL",
        )
        .bind(now())
        .bind(assignment)
        .bind(id)
        .execute(&mut *j.tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::NotFound("assignment"));
        }
        // A contact no longer assigned no longer edits the request through their links.
        sqlx::query(
            "UPDATE request_tokens SET revoked_at = $1 WHERE request_id = $2 AND revoked_at IS NULL \
             AND contact_id IS NOT NULL \
             AND contact_id = (SELECT contact_id FROM request_assignments WHERE id = $3)",
        )
        .bind(now())
        .bind(id)
        .bind(assignment)
        .execute(&mut *j.tx)
        .await?;
        j.append(id, note).await?;
        j.commit().await?;
        Ok(())
    }

    /// Everyone who handles or handled a request, current first.
    pub async fn assignments(&self, request_id: i64) -> Result<Vec<Assignment>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ASSIGNMENT_SELECT} WHERE x.request_id = $1 ORDER BY x.removed_at IS NOT NULL, x.id"
        )))
        .bind(request_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(assignment_from_row).collect()
    }

    /// Adds a supporter ("me too"); a signed-in user supports a request once.
    pub async fn support_request(
        &self,
        tenant: TenantId,
        id: i64,
        user: Option<UserId>,
        note: &JournalNote,
    ) -> Result<(), StoreError> {
        let mut j = self.journaled(tenant).await?;
        sqlx::query("INSERT INTO request_supporters (request_id, user_id, at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(user.map(|u| u.0))
            .bind(now())
            .execute(&mut *j.tx)
            .await
            .map_err(|e| {
                crate::error::conflict_on_unique(e, || {
                    Bilingual::new("you already support this request")
                        .fr("Vous soutenez déjà cette demande.")
                })
            })?;
        j.append(id, note).await?;
        j.commit().await?;
        Ok(())
    }

    /// Whether a user already supports a request.
    pub async fn supports(&self, id: i64, user: UserId) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) FROM request_supporters WHERE request_id = $1 AND user_id = $2",
        )
        .bind(id)
        .bind(user.0)
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        Ok(n > 0)
    }

    /// Adds a comment; the journal records that it exists, not what it says.
    pub async fn add_comment(
        &self,
        tenant: TenantId,
        id: i64,
        author: UserId,
        body: &str,
        note: &JournalNote,
    ) -> Result<Comment, StoreError> {
        let mut j = self.journaled(tenant).await?;
        let comment: i64 = sqlx::query(
            "INSERT INTO request_comments (request_id, author_id, body, at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
        )
        .bind(id)
        .bind(author.0)
        .bind(body)
        .bind(now())
        .fetch_one(&mut *j.tx)
        .await?
        .try_get(0)?;
        j.append(id, note).await?;
        j.commit().await?;
        self.comments(id)
            .await?
            .into_iter()
            .find(|c| c.id == comment)
            .ok_or(StoreError::NotFound("comment"))
    }

    /// The comments of a request, oldest first.
    pub async fn comments(&self, request_id: i64) -> Result<Vec<Comment>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id, u.display_name, c.body, c.at FROM request_comments c \
             JOIN users u ON u.id = c.author_id WHERE c.request_id = $1 ORDER BY c.id",
        )
        .bind(request_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let at: String = r.try_get("at")?;
                Ok(Comment {
                    id: r.try_get("id")?,
                    author_name: r.try_get("display_name")?,
                    body: r.try_get("body")?,
                    at: parse_timestamp(&at)?,
                })
            })
            .collect()
    }

    /// Merges `source` into `target`: the source is closed and points at the target; requests
    /// merged into the source now point at the target too. One entry on each.
    pub async fn merge_request(
        &self,
        tenant: TenantId,
        source: i64,
        source_status: RequestStatus,
        target: i64,
        on_source: &JournalNote,
        on_target: &JournalNote,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        let mut j = self.journaled(tenant).await?;
        let at = now();
        let done = sqlx::query(
            "UPDATE requests SET status = $1, merged_into = $2, updated_at = $3 \
             WHERE tenant_id = $4 AND id = $5 AND status = $6 AND merged_into IS NULL",
        )
        .bind(RequestStatus::Closed.as_str())
        .bind(target)
        .bind(&at)
        .bind(tenant.0)
        .bind(source)
        .bind(source_status.as_str())
        .execute(&mut *j.tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::Conflict(changed_meanwhile()));
        }
        sqlx::query(
            "UPDATE requests SET merged_into = $1 WHERE tenant_id = $2 AND merged_into = $3",
        )
        .bind(target)
        .bind(tenant.0)
        .bind(source)
        .execute(&mut *j.tx)
        .await?;
        crate::stems::restate_request(&mut j.tx, source).await?;
        j.append(source, on_source).await?;
        j.append(target, on_target).await?;
        j.commit().await
    }

    /// Writes a journal entry that changes nothing else (a notification sent, an attachment).
    pub async fn journal(
        &self,
        tenant: TenantId,
        request_id: i64,
        note: &JournalNote,
    ) -> Result<JournalEntry, StoreError> {
        let mut j = self.journaled(tenant).await?;
        j.append(request_id, note).await?;
        j.commit()
            .await?
            .pop()
            .ok_or(StoreError::NotFound("journal entry"))
    }

    /// Records a document attached to a request and its journal entry (`note`, given the
    /// document's id) in one transaction: an attachment is never without its entry.
    pub async fn insert_request_document(
        &self,
        tenant: TenantId,
        request_id: i64,
        d: &crate::NewDocument,
        note: impl FnOnce(i64) -> JournalNote,
    ) -> Result<crate::Document, StoreError> {
        let mut j = self.journaled(tenant).await?;
        let id = crate::events::insert_document_row(&mut j.tx, tenant, d).await?;
        j.append(request_id, &note(id)).await?;
        j.commit().await?;
        self.document(tenant, id)
            .await?
            .ok_or(StoreError::NotFound("document"))
    }

    /// Marks a request's reminder as sent, with its journal entry; `false` if it already was.
    pub async fn mark_reminder_sent(
        &self,
        tenant: TenantId,
        id: i64,
        note: &JournalNote,
    ) -> Result<bool, StoreError> {
        let mut j = self.journaled(tenant).await?;
        let done = sqlx::query(
            "UPDATE requests SET reminder_sent_at = $1 WHERE tenant_id = $2 AND id = $3 \
             AND reminder_sent_at IS NULL",
        )
        .bind(now())
        .bind(tenant.0)
        .bind(id)
        .execute(&mut *j.tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(false);
        }
        j.append(id, note).await?;
        j.commit().await?;
        Ok(true)
    }

    /// Requests of every collective whose reminder date has come (`YYYY-MM-DD`) and whose
    /// reminder has not gone out: `(collective, request)`.
    pub async fn due_reminders(&self, today: &str) -> Result<Vec<(TenantId, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT tenant_id, id FROM requests WHERE reminder_on IS NOT NULL AND reminder_on <= $1 \
             AND reminder_sent_at IS NULL ORDER BY id",
        )
        .bind(today)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((TenantId(r.try_get(0)?), r.try_get(1)?)))
            .collect()
    }

    /// Stores a secret link's hash for a request (a contact's, or the requester's; the one
    /// mailed to a requester's contact address confirms that address when opened).
    pub async fn insert_request_token(
        &self,
        request_id: i64,
        contact: Option<i64>,
        token_hash: &str,
        confirms_contact: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO request_tokens (request_id, contact_id, token_hash, at, confirms_contact) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(request_id)
        .bind(contact)
        .bind(token_hash)
        .bind(now())
        .bind(i64::from(confirms_contact))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The personal link a secret's hash names.
    pub async fn request_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<RequestToken>, StoreError> {
        sqlx::query(
            "SELECT request_id, contact_id, confirms_contact, COALESCE(last_used_at, at) AS used, \
             revoked_at FROM request_tokens WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| {
            let used: String = r.try_get("used")?;
            let revoked: Option<String> = r.try_get("revoked_at")?;
            Ok(RequestToken {
                request_id: r.try_get("request_id")?,
                contact_id: r.try_get("contact_id")?,
                confirms_contact: r.try_get::<i64, _>("confirms_contact")? != 0,
                last_used_at: parse_timestamp(&used)?,
                revoked_at: revoked.as_deref().map(parse_timestamp).transpose()?,
            })
        })
        .transpose()
    }

    /// Records that a personal link was used now: its lifetime starts again.
    pub async fn touch_request_token(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE request_tokens SET last_used_at = $1 WHERE token_hash = $2")
            .bind(now())
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Marks the requester's contact address as confirmed; `true` the first time.
    pub async fn confirm_request_contact(
        &self,
        tenant: TenantId,
        id: i64,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "UPDATE requests SET contact_confirmed_at = $1 WHERE tenant_id = $2 AND id = $3 \
             AND contact_email IS NOT NULL AND contact_confirmed_at IS NULL",
        )
        .bind(now())
        .bind(tenant.0)
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected()
            > 0)
    }

    /// Counts an e-mail about a request to the address of SHA-256 `address_hash` if the limits
    /// allow it. Holds the collective's journal head while it counts, so that concurrent
    /// senders are counted one after the other.
    pub async fn reserve_request_mail(
        &self,
        tenant: TenantId,
        request_id: i64,
        address_hash: &str,
        limits: MailLimits,
    ) -> Result<MailReservation, StoreError> {
        let mut j = self.journaled(tenant).await?;
        let reserved = j.reserve_mail(request_id, address_hash, limits).await?;
        if reserved == MailReservation::Reserved {
            j.commit().await?;
        }
        Ok(reserved)
    }

    /// Counts `mail` about a request under its limits and, if it may go, journals it and
    /// queues its message: one transaction, one take of the journal head.
    pub async fn reserve_and_journal_mail(
        &self,
        tenant: TenantId,
        request_id: i64,
        mail: &RequestMail<'_>,
    ) -> Result<MailReservation, StoreError> {
        let mut j = self.journaled(tenant).await?;
        let reserved = j.reserve_and_journal(request_id, mail).await?;
        if reserved == MailReservation::Reserved {
            j.commit().await?;
        }
        Ok(reserved)
    }

    /// E-mails about a request its editors caused in the last 24 hours.
    pub async fn request_mails_today(&self, request_id: i64) -> Result<i64, StoreError> {
        let since = crate::timestamp(OffsetDateTime::now_utc() - time::Duration::days(1));
        Ok(sqlx::query(
            "SELECT COUNT(*) FROM request_mails WHERE request_id = $1 AND by_editor = 1 AND at > $2",
        )
        .bind(request_id)
        .bind(since)
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?)
    }

    /// The ids of the collective's requests awaiting moderation.
    pub async fn pending_request_ids(&self, tenant: TenantId) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query("SELECT id FROM requests WHERE tenant_id = $1 AND status = $2")
            .bind(tenant.0)
            .bind(RequestStatus::New.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Up to `limit` entries of a collective's chain after position `after` and up to `upto`,
    /// in order: the journal read a page at a time.
    pub async fn journal_page(
        &self,
        tenant: TenantId,
        after: i64,
        upto: i64,
        limit: i64,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, request_id, action, details, at, prev_hash, hash FROM request_journal \
             WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4",
        )
        .bind(tenant.0)
        .bind(after)
        .bind(upto)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// The whole journal of a collective, in order.
    pub async fn journal_entries(&self, tenant: TenantId) -> Result<Vec<JournalEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, request_id, action, details, at, prev_hash, hash FROM request_journal \
             WHERE tenant_id = $1 ORDER BY seq",
        )
        .bind(tenant.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// The journal entries of one request, in order.
    pub async fn request_journal(
        &self,
        tenant: TenantId,
        request_id: i64,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, request_id, action, details, at, prev_hash, hash FROM request_journal \
             WHERE tenant_id = $1 AND request_id = $2 ORDER BY seq",
        )
        .bind(tenant.0)
        .bind(request_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// The last hash of a collective's chain as the head row records it (genesis if none).
    pub async fn journal_head(&self, tenant: TenantId) -> Result<(i64, String), StoreError> {
        Ok(
            sqlx::query("SELECT seq, hash FROM journal_heads WHERE tenant_id = $1")
                .bind(tenant.0)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| Ok::<_, StoreError>((r.try_get(0)?, r.try_get(1)?)))
                .transpose()?
                .unwrap_or((0, GENESIS_HASH.to_owned())),
        )
    }
}

/// A concurrent change got there first.
fn changed_meanwhile() -> Bilingual {
    Bilingual::new("the request changed in the meantime: reload it and try again")
        .fr("La demande a changé entre-temps : rechargez la page et recommencez.")
}
