//! Requests for intervention or improvement: filing, open moderation, who handles them,
//! statuses, supporters, duplicates and merges, comments, attachments, notifications, and the
//! collective's tamper-evident journal, in which every one of these steps is written.

use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use vigie_authz::Permit;

use vigie_domain::notify::{FollowEvent, FollowReason, Language};
use vigie_domain::requests::{
    ChainBreak, ChainVerifier, DUPLICATE_THRESHOLD, EditorKind, JournalEntry, RequestAction,
    RequestModeration, RequestStatus, Stage, Urgency, check_submission_key, check_text, editor_may,
    similarity,
};
use vigie_domain::{
    Bilingual, DomainError, Email, ObjectTypeKey, Operation, Principal, Provenance, TenantId,
    UserId,
};
use vigie_plugins::wit;
use vigie_storage::{
    Assignment, Comment, Contact, Document, FollowTarget, JournalNote, MailLimits, MailReservation,
    NewOutboxMail, NewRequest, Notices, RequestMail, RequestRecord, StatusChange, StoreError,
    Tenant,
};

use crate::accounts::{random_token, token_hash};
use crate::actor::Actor;
use crate::events::DocumentInput;
use crate::notices::{self, About, Letter, Recipient};
use crate::objects::ProposedValue;
use crate::{ServiceError, Services, encode_value};

/// What a message says when answering it by e-mail works (`mail.reply_domain`).
const REPLY_HINT_FR: &str = "Vous pouvez aussi répondre directement à ce courriel : votre \
     réponse s'affichera sur la demande. Commencez par « résolu » ou « en cours » pour en \
     changer le statut.";
/// The same in English.
const REPLY_HINT_EN: &str = "You can also reply to this e-mail: your answer will show on the \
     request. Start with \"solved\" or \"in progress\" to change its status.";

/// A request as filed.
#[derive(Debug, Clone, Default)]
pub struct RequestInput {
    /// Kind key, from the type's plugin.
    pub kind: String,
    /// `set/category` keys of the sets the kind allows.
    pub categories: Vec<String>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Extra fields of the kind.
    pub fields: Vec<ProposedValue>,
    /// Urgency (`low`, `normal`, `high`, `maximal`); the kind's default when absent.
    pub urgency: Option<String>,
    /// `YYYY-MM-DD`: when to ask the requester whether it is solved.
    pub reminder_on: Option<String>,
    /// Private e-mail to follow the request (anonymous requesters).
    pub contact_email: Option<String>,
    /// The client's idempotency key (see [`vigie_domain::requests::check_submission_key`]):
    /// the same key sent again finds the request it filed instead of filing another.
    pub submission_key: Option<String>,
}

/// A request that resembles another.
#[derive(Debug, Clone)]
pub struct SimilarRequest {
    /// The request.
    pub request: RequestRecord,
    /// Text similarity, 0 to 1.
    pub similarity: f64,
    /// Metres between the objects (0 on the same object), when both are located.
    pub distance_m: Option<f64>,
}

/// A request just filed.
#[derive(Debug, Clone)]
pub struct FiledRequest {
    /// The request.
    pub request: RequestRecord,
    /// The requester's secret link token: follow and update the request without an account.
    pub follow_token: String,
    /// Open requests that resemble it.
    pub similar: Vec<SimilarRequest>,
    /// Sent again with the key of an earlier filing: this is that request, nothing new was
    /// filed, and `follow_token` is a new link to it.
    pub replayed: bool,
}

/// Everything public about a request.
#[derive(Debug, Clone)]
pub struct RequestDetails {
    /// The request.
    pub request: RequestRecord,
    /// Who handles or handled it.
    pub assignments: Vec<Assignment>,
    /// Photos and documents.
    pub documents: Vec<Document>,
    /// Its journal entries.
    pub journal: Vec<JournalEntry>,
    /// The current display names of the accounts its entries name by pseudonym
    /// (`account:7f3c…` → name), resolved now, not hashed.
    pub journal_names: std::collections::HashMap<String, String>,
    /// For kinds with a legal delay (an SST register entry: two months), the day by which the
    /// authority must answer, counted from the acknowledgement.
    pub answer_due_on: Option<String>,
}

/// Who is changing a request, and on what ground. Only these may: the object's moderators
/// (its Certified citizens, the type's Garant, a Guru), the requester, the assignees, and
/// contacts who received a notification (through their link).
#[derive(Debug, Clone)]
pub enum Editor {
    /// Holds `request.manage` on the object.
    Moderator(Permit),
    /// Filed the request (signed in, or through the requester's link).
    Requester(Option<UserId>),
    /// A user the request is assigned to.
    Assignee(UserId),
    /// A contact, through the link of a notification.
    Contact(Contact),
}

impl Editor {
    /// On what ground: the row of the permission table ([`editor_may`]) that applies.
    pub fn kind(&self) -> EditorKind {
        match self {
            Editor::Moderator(_) => EditorKind::Moderator,
            Editor::Requester(_) => EditorKind::Requester,
            Editor::Assignee(_) => EditorKind::Assignee,
            Editor::Contact(_) => EditorKind::Contact,
        }
    }

    /// Whether this editor may do `action` to `request` as it stands now.
    pub fn may(&self, action: RequestAction, request: &RequestRecord) -> bool {
        editor_may(
            self.kind(),
            action,
            Stage::of(request.status, request.merged_into.is_some()),
        )
    }

    /// Refuses what the permission table does not allow, saying why.
    pub fn require(
        &self,
        action: RequestAction,
        request: &RequestRecord,
    ) -> Result<(), ServiceError> {
        if self.may(action, request) {
            return Ok(());
        }
        let stage = Stage::of(request.status, request.merged_into.is_some());
        let (en, fr) = match stage {
            Stage::Pending => (
                "it is waiting for moderation: until it is published, its requester may only add \
                 photos and nobody else is mailed or assigned",
                "elle attend la modération : avant sa publication, son demandeur peut seulement \
                 y joindre des photos, et personne n'est prévenu ni chargé de la demande",
            ),
            Stage::Rejected | Stage::Merged => (
                "it was refused, set apart or merged: it can only be read",
                "elle a été refusée, mise à l'écart ou fusionnée : elle ne peut plus qu'être lue",
            ),
            Stage::Closed => (
                "it is closed: it can only be read",
                "elle est close : elle ne peut plus qu'être lue",
            ),
            Stage::Open => (
                "this is for those handling it and its moderators",
                "cela revient aux personnes chargées de la demande et à ses modérateurs",
            ),
        };
        Err(ServiceError::Forbidden(
            Bilingual::new(format!(
                "as its {}, you may not {} now: {en}",
                self.role(),
                action.as_str()
            ))
            .fr(format!(
                "Vous ne pouvez pas {} maintenant : {fr}.",
                action.label_fr()
            )),
        ))
    }

    fn user(&self) -> Option<UserId> {
        match self {
            Editor::Moderator(p) => p.actor(),
            Editor::Requester(u) => *u,
            Editor::Assignee(u) => Some(*u),
            Editor::Contact(_) => None,
        }
    }

    fn role(&self) -> &'static str {
        match self {
            Editor::Moderator(_) => "moderator",
            Editor::Requester(_) => "requester",
            Editor::Assignee(_) => "assignee",
            Editor::Contact(_) => "contact",
        }
    }
}

/// Whom to assign.
#[derive(Debug, Clone, Copy)]
pub enum AssignTarget {
    /// A user account (an Official, for example).
    User(i64),
    /// A contact of the collective for the object's type.
    Contact(i64),
}

/// What anyone but its author and its moderators sees of a request awaiting moderation: that
/// it exists, and since when.
pub fn pending_placeholder(filed_at: OffsetDateTime) -> Bilingual {
    let d = filed_at.date();
    let day = format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    let fr_day = format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year());
    Bilingual::new(format!(
        "A request has been awaiting moderation since {day}: its content is shown once a \
         moderator publishes it."
    ))
    .fr(format!(
        "Une demande attend la modération depuis le {fr_day} : son contenu sera visible une fois \
         publiée par un modérateur."
    ))
}

/// A journal check: the head it verified (position, hash), when, and the verdict.
type JournalCheck = (i64, String, Instant, JournalReport);

/// Recent checks of each collective's journal, reused while its head does not change, and the
/// lock that lets one check run at a time (callers that waited find its verdict).
#[derive(Clone, Default)]
pub(crate) struct JournalChecks(
    Arc<Mutex<HashMap<TenantId, JournalCheck>>>,
    Arc<tokio::sync::Mutex<()>>,
);

/// Entries read at once while checking a journal.
const JOURNAL_PAGE: i64 = 2000;

/// Whose address an e-mail about a request goes to, which says how it is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MailKind {
    /// A contact or an assignee, because an editor asked: counted per request and day.
    Editor,
    /// An address a filer typed (anyone's): counted per address and hour, and mailed again
    /// only once confirmed.
    TypedAddress,
    /// A requester's own account.
    Account,
    /// A contact told automatically, before anyone looked (a danger notice at filing):
    /// counted per address and hour, since anyone may file one.
    Automatic,
}

/// The SHA-256 of an address as the mail log keeps it.
fn address_hash(address: &str) -> String {
    token_hash(&address.trim().to_lowercase())
}

/// The result of checking a collective's journal.
#[derive(Debug, Clone)]
pub struct JournalReport {
    /// Entries checked.
    pub entries: usize,
    /// Hash of the last entry (genesis if none).
    pub head_hash: String,
    /// The first entry that does not verify, if any.
    pub broken: Option<ChainBreak>,
}

/// The request's daily bound on e-mails its editors cause was reached.
fn too_many_mails(limit: u32) -> ServiceError {
    ServiceError::TooMany(
        Bilingual::new(format!(
            "this request already caused {limit} e-mails in the last 24 hours: try again tomorrow"
        ))
        .fr(format!(
            "Cette demande a déjà donné lieu à {limit} messages en 24 heures : réessayez demain."
        )),
    )
}

/// The requester's link by e-mail; the personal links have a lifetime.
fn link_expired(contact: bool, days: u32) -> ServiceError {
    if contact {
        ServiceError::LinkExpired(
            Bilingual::new(format!(
                "this personal link no longer works: your assignment ended, or it was not used \
                 for {days} days. Ask the collective that sent it to assign you again."
            ))
            .fr(format!(
                "Ce lien personnel ne fonctionne plus : la demande ne vous est plus confiée, ou \
                 il n'a pas servi depuis {days} jours. Demandez au collectif qui vous l'a envoyé \
                 de vous la confier à nouveau."
            )),
        )
    } else {
        ServiceError::LinkExpired(
            Bilingual::new(format!(
                "this personal link no longer works: it was not used for {days} days. Ask for a \
                 new link (POST …/requests/{{id}}/new-link with this token, or the button on the \
                 request's page): it goes to the address you confirmed, or to your account's. \
                 Without one, ask the collective's moderators, or file the request again."
            ))
            .fr(format!(
                "Ce lien personnel ne fonctionne plus : il n'a pas servi depuis {days} jours. \
                 Demandez un nouveau lien (bouton sur la page de la demande) : il part vers \
                 l'adresse que vous avez confirmée, ou celle de votre compte. Sans adresse, \
                 demandez un nouveau lien aux modérateurs du collectif, ou déposez-la à nouveau."
            )),
        )
    }
}

/// A refused value of a request, said in English and in French (the pages show the French).
fn invalid(field: &'static str, en: impl Into<String>, fr: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(DomainError::invalid(field, en).fr(fr))
}

/// Publishing, refusing and setting apart are the moderation decision, not a status change.
fn not_moderation(to: RequestStatus) -> Result<(), ServiceError> {
    if matches!(
        to,
        RequestStatus::Published | RequestStatus::Refused | RequestStatus::SetApart
    ) {
        return Err(invalid(
            "status",
            "publishing, refusing and setting apart are moderation: use the moderation decision",
            "Publier, refuser ou mettre à l'écart passe par la modération.",
        ));
    }
    Ok(())
}

fn optional_email(raw: Option<&str>) -> Result<Option<String>, ServiceError> {
    match raw.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => Ok(Some(
            Email::parse(e)
                .map_err(|_| {
                    invalid(
                        "contact_email",
                        format!("'{e}' is not an e-mail address: expected name@domain.tld"),
                        format!("« {e} » n'est pas une adresse e-mail : écrivez nom@domaine.fr"),
                    )
                })?
                .as_str()
                .to_owned(),
        )),
        None => Ok(None),
    }
}

fn today() -> String {
    let d = OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// `YYYY-MM-DD` plus whole months, the day kept or brought back to the month's last
/// (31 January + 1 month = 28 or 29 February).
fn add_months(date: &str, months: u8) -> Option<String> {
    let year: i32 = date.get(..4)?.parse().ok()?;
    let month: i32 = date.get(5..7)?.parse().ok()?;
    let day: u8 = date.get(8..10)?.parse().ok()?;
    let index = year * 12 + (month - 1) + i32::from(months);
    let (y, m) = (
        index.div_euclid(12),
        u8::try_from(index.rem_euclid(12) + 1).ok()?,
    );
    let month = time::Month::try_from(m).ok()?;
    let last = time::util::days_in_month(month, y);
    Some(format!("{y:04}-{m:02}-{:02}", day.min(last)))
}

/// Metres between two points (haversine).
pub(crate) fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = 6_371_000.0_f64;
    let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
    let dla = la2 - la1;
    let dlo = (b.1 - a.1).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}

/// Objects this close count as "nearby" when looking for duplicates.
const NEARBY_M: f64 = 1000.0;

/// A box of latitudes and of longitudes holding every point within `radius` metres of `here`
/// by [`distance_m`], and a little more; any longitude near a pole or across the antimeridian.
pub(crate) fn nearby_box(here: (f64, f64), radius: f64) -> ((f64, f64), (f64, f64)) {
    // Haversine: d >= r·|Δlatitude|, and sin²(d/2r) >= cos(lat1)·cos(lat2)·sin²(Δlongitude/2).
    let angle = radius / 6_371_000.0 * 1.01;
    let dlat = angle.to_degrees();
    let latitudes = (here.0 - dlat, here.0 + dlat);
    let farthest = latitudes
        .0
        .abs()
        .max(latitudes.1.abs())
        .min(90.0)
        .to_radians();
    let cosines = here.0.to_radians().cos() * farthest.cos();
    let any = (f64::MIN, f64::MAX);
    if cosines <= 1e-9 {
        return (latitudes, any);
    }
    let sine = (angle / 2.0).sin() / cosines.sqrt();
    if sine >= 1.0 {
        return (latitudes, any);
    }
    let dlon = (2.0 * sine.asin()).to_degrees() * 1.01;
    if here.1 - dlon < -180.0 || here.1 + dlon > 180.0 {
        return (latitudes, any);
    }
    (latitudes, (here.1 - dlon, here.1 + dlon))
}

fn urgency_name(u: wit::Urgency) -> Urgency {
    match u {
        wit::Urgency::Low => Urgency::Low,
        wit::Urgency::Normal => Urgency::Normal,
        wit::Urgency::High => Urgency::High,
        wit::Urgency::Maximal => Urgency::Maximal,
    }
}

impl Services {
    /// How the journal names an account: by its pseudonym (`account:7f3c…`), never by its
    /// display name, which is shown beside it when the journal is read
    /// ([`Services::journal_names`]) and may change, or go when the account is deleted.
    async fn public_name(&self, user: Option<UserId>) -> Result<Option<String>, ServiceError> {
        Ok(match user {
            Some(id) => self
                .store
                .user_by_id(id)
                .await?
                .map(|u| u.pseudonym.journal_ref()),
            None => None,
        })
    }

    fn request_link(&self, tenant: &Tenant, id: i64, token: Option<&str>) -> String {
        let base = format!("{}/t/{}/r/{id}", self.settings.public_url, tenant.slug);
        match token {
            Some(t) => format!("{base}?token={t}"),
            None => base,
        }
    }

    /// A request of the collective.
    pub async fn request(&self, tenant: &Tenant, id: i64) -> Result<RequestRecord, ServiceError> {
        self.store
            .request(tenant.id, id)
            .await?
            .ok_or(ServiceError::NotFound("request"))
    }

    /// The requests of the collective, or of one object; newest first.
    pub async fn requests(
        &self,
        tenant: &Tenant,
        object_id: Option<i64>,
    ) -> Result<Vec<RequestRecord>, ServiceError> {
        if let Some(id) = object_id {
            self.object(tenant, id).await?;
        }
        Ok(self.store.requests(tenant.id, object_id).await?)
    }

    /// A request with who handles it, its attachments and its journal.
    pub async fn request_details(
        &self,
        tenant: &Tenant,
        id: i64,
    ) -> Result<RequestDetails, ServiceError> {
        let request = self.request(tenant, id).await?;
        let journal = self.store.request_journal(tenant.id, id).await?;
        let delay = self.plugins.get(&request.object_type).and_then(|p| {
            p.manifest()
                .request_kinds
                .iter()
                .find(|k| k.key == request.kind)
                .and_then(|k| k.response_delay_months)
        });
        let answer_due_on = delay.and_then(|months| {
            let acknowledged = journal.iter().find(|e| {
                e.action == "status_changed"
                    && serde_json::from_str::<Value>(&e.details)
                        .is_ok_and(|d| d["to"] == RequestStatus::Acknowledged.as_str())
            })?;
            add_months(acknowledged.at.get(..10)?, months)
        });
        Ok(RequestDetails {
            assignments: self.store.assignments(id).await?,
            documents: self.store.request_documents(tenant.id, id).await?,
            journal_names: self.journal_names(&journal).await?,
            journal,
            answer_due_on,
            request,
        })
    }

    /// Whether the caller may read a request's content (title, text, fields, photos, the
    /// details of its journal). Once a moderator published it, everyone may; before, only its
    /// author (signed in, or through their link), those who may moderate it, and those it was
    /// handed to (a danger notice reaches contacts at once). Others only see that it waits.
    pub async fn may_read_request(
        &self,
        principal: &Principal,
        token: Option<&str>,
        tenant: &Tenant,
        request: &RequestRecord,
    ) -> Result<bool, ServiceError> {
        if request.status != RequestStatus::New {
            return Ok(true);
        }
        if matches!(principal, Principal::Anonymous) && token.is_none_or(str::is_empty) {
            return Ok(false);
        }
        match self.request_editor(principal, token, tenant, request).await {
            Ok(_) => Ok(true),
            Err(
                ServiceError::InvalidToken
                | ServiceError::LinkExpired(_)
                | ServiceError::Forbidden(_)
                | ServiceError::Unauthenticated(_),
            ) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Of `requests`, the ids of those awaiting moderation whose content the caller may not
    /// read (see [`Services::may_read_request`]).
    pub async fn unreadable_requests(
        &self,
        principal: &Principal,
        tenant: &Tenant,
        requests: &[RequestRecord],
    ) -> Result<HashSet<i64>, ServiceError> {
        let pending = requests.iter().filter(|r| r.status == RequestStatus::New);
        let Some(user) = principal.user_id() else {
            // Without a session nor a link, none.
            return Ok(pending.map(|r| r.id).collect());
        };
        // The same rule as `may_read_request`, with the moderation check made once per object.
        let mut moderates: HashMap<i64, bool> = HashMap::new();
        let mut out = HashSet::new();
        for r in pending {
            if r.author_id == Some(user) {
                continue;
            }
            let moderator = match moderates.get(&r.object_id) {
                Some(m) => *m,
                None => {
                    let object = self.object(tenant, r.object_id).await?;
                    let m = self
                        .authz
                        .authorize(
                            principal,
                            Some(tenant),
                            Self::object_scope(tenant, &object)?,
                            Operation::ManageRequest,
                        )
                        .await
                        .is_ok();
                    moderates.insert(r.object_id, m);
                    m
                }
            };
            if moderator {
                continue;
            }
            let assigned = self
                .store
                .assignments(r.id)
                .await?
                .iter()
                .any(|a| a.removed_at.is_none() && a.user_id == Some(user));
            if !assigned {
                out.insert(r.id);
            }
        }
        Ok(out)
    }

    /// Up to `limit` entries of the collective's journal after position `after`, and the
    /// requests whose entries' details are withheld because they await moderation (their
    /// links and hashes stay, so the chain still shows).
    pub async fn public_journal(
        &self,
        tenant: &Tenant,
        after: i64,
        limit: i64,
    ) -> Result<(Vec<JournalEntry>, HashSet<i64>), ServiceError> {
        let entries = self
            .store
            .journal_page(tenant.id, after, i64::MAX, limit)
            .await?;
        let pending = self
            .store
            .pending_request_ids(tenant.id)
            .await?
            .into_iter()
            .collect();
        Ok((entries, pending))
    }

    /// Open requests on this object and on objects of its type within a kilometre whose text
    /// resembles `text` (accents, case and common endings ignored), most alike first.
    ///
    /// Requests awaiting moderation are among them only with `include_pending` (for their
    /// moderators): nobody else may read them yet.
    pub async fn similar_requests(
        &self,
        tenant: &Tenant,
        object_id: i64,
        text: &str,
        exclude: Option<i64>,
        include_pending: bool,
    ) -> Result<Vec<SimilarRequest>, ServiceError> {
        use vigie_domain::requests::{dice, request_text, stems};
        let object = self.object(tenant, object_id).await?;
        let mine = stems(text);
        if mine.is_empty() {
            return Ok(Vec::new());
        }
        // The objects looked at, and how far each is: this one, and those of its type within
        // NEARBY_M (a box by the position index, then the exact distance).
        let mut distances: HashMap<i64, f64> = HashMap::new();
        if let Some(here) = object.identity.latitude.zip(object.identity.longitude) {
            let (latitudes, longitudes) = nearby_box(here, NEARBY_M);
            for (id, lat, lon) in self
                .store
                .objects_in_box(tenant.id, &object.object_type, latitudes, longitudes)
                .await?
            {
                let d = distance_m(here, (lat, lon));
                if d <= NEARBY_M {
                    distances.insert(id, d);
                }
            }
        }
        distances.insert(object_id, 0.0);
        let objects: Vec<i64> = distances.keys().copied().collect();
        // Only a request sharing a stem with the text can resemble it: the index gives those,
        // with the counts that make their score.
        let mut found: Vec<(i64, f64, f64)> = self
            .store
            .stem_matches(tenant.id, &objects, &mine, include_pending)
            .await?
            .into_iter()
            .filter(|m| Some(m.request_id) != exclude)
            .filter_map(|m| {
                let score = dice(m.common, mine.len(), m.stem_count);
                let distance = *distances.get(&m.object_id)?;
                (score >= DUPLICATE_THRESHOLD).then_some((m.request_id, score, distance))
            })
            .collect();
        let order = |a: (i64, f64, f64), b: (i64, f64, f64)| {
            // Most alike, then nearest, then newest.
            b.1.total_cmp(&a.1)
                .then(a.2.total_cmp(&b.2))
                .then(b.0.cmp(&a.0))
        };
        found.sort_by(|a, b| order(*a, *b));
        // The best ones, read and checked as they are now (status, text), ten at most.
        let mut out: Vec<SimilarRequest> = Vec::new();
        for page in found.chunks(16) {
            let ids: Vec<i64> = page.iter().map(|f| f.0).collect();
            let loaded: HashMap<i64, RequestRecord> = self
                .store
                .requests_by_ids(tenant.id, &ids)
                .await?
                .into_iter()
                .map(|r| (r.id, r))
                .collect();
            for (id, _, distance) in page {
                let Some(r) = loaded.get(id) else { continue };
                if !r.status.is_open()
                    || r.merged_into.is_some()
                    || (r.status == RequestStatus::New && !include_pending)
                {
                    continue;
                }
                let theirs = request_text(&r.title, r.shown_title(), r.shown_description());
                let s = similarity(text, &theirs);
                if s >= DUPLICATE_THRESHOLD {
                    out.push(SimilarRequest {
                        request: r.clone(),
                        similarity: s,
                        distance_m: Some(*distance),
                    });
                }
            }
            if out.len() >= 10 {
                break;
            }
        }
        out.sort_by(|a, b| {
            order(
                (a.request.id, a.similarity, a.distance_m.unwrap_or(0.0)),
                (b.request.id, b.similarity, b.distance_m.unwrap_or(0.0)),
            )
        });
        out.truncate(10);
        Ok(out)
    }

    /// Files a request (anyone, anonymous included). It waits, publicly, for a moderator.
    pub async fn file_request(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        object_id: i64,
        input: RequestInput,
    ) -> Result<FiledRequest, ServiceError> {
        let (permit, object) = &self
            .object_permit_for(actor, tenant, object_id, Operation::FileRequest)
            .await?;
        let key = ObjectTypeKey::parse(&object.object_type)?;
        let schema = self.object_schema(tenant, &key).await?;
        let manifest = schema.plugin.manifest();
        let kind = manifest
            .request_kinds
            .iter()
            .find(|k| k.key == input.kind)
            .ok_or_else(|| {
                invalid(
                    "kind",
                    format!(
                        "unknown kind '{}': {key} requests are {}",
                        input.kind,
                        manifest
                            .request_kinds
                            .iter()
                            .map(|k| k.key.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "Choisissez un type de demande de la liste.",
                )
            })?;
        let title = check_text("title", &input.title, 3, 200)?;
        let description = check_text("description", &input.description, 3, 4000)?;
        let mut categories: Vec<String> = Vec::new();
        for c in &input.categories {
            let known = c.split_once('/').is_some_and(|(set, cat)| {
                kind.category_sets.iter().any(|s| s == set)
                    && manifest
                        .category_sets
                        .iter()
                        .any(|s| s.key == set && s.categories.iter().any(|x| x.key == cat))
            });
            if !known {
                return Err(invalid(
                    "categories",
                    format!(
                        "unknown category '{c}': write set/category with a set of this kind ({})",
                        kind.category_sets.join(", ")
                    ),
                    format!("La catégorie « {c} » ne va pas avec ce type de demande."),
                ));
            }
            if !categories.contains(c) {
                categories.push(c.clone());
            }
        }
        if categories.len() > 10 {
            return Err(invalid(
                "categories",
                "choose at most 10 categories",
                "Choisissez au plus 10 catégories.",
            ));
        }
        let default = urgency_name(kind.default_urgency);
        let urgency = match input.urgency.as_deref().filter(|u| !u.is_empty()) {
            None => default,
            Some(u) => {
                let u = Urgency::parse(u).ok_or_else(|| {
                    invalid(
                        "urgency",
                        "use low, normal, high or maximal",
                        "Urgence inconnue : choisissez-la dans la liste.",
                    )
                })?;
                if kind.urgency_locked && u != default {
                    return Err(invalid(
                        "urgency",
                        format!(
                            "a {} is always {}: its urgency cannot change",
                            kind.label.en,
                            default.as_str()
                        ),
                        "L'urgence de ce type de demande est fixée : laissez « celle du type de demande ».",
                    ));
                }
                u
            }
        };
        let reminder_on = match input.reminder_on.as_deref().filter(|d| !d.is_empty()) {
            Some(d) => {
                vigie_domain::objects::check_date("reminder_on", d)?;
                if d <= today().as_str() {
                    return Err(invalid(
                        "reminder_on",
                        "choose a reminder date after today",
                        "Choisissez une date de rappel après aujourd'hui.",
                    ));
                }
                Some(d.to_owned())
            }
            None => None,
        };
        let contact_email = optional_email(input.contact_email.as_deref())?;
        let submission_key = input
            .submission_key
            .as_deref()
            .map(|k| check_submission_key(k).map(token_hash))
            .transpose()?;
        let mut extra = serde_json::Map::new();
        let mut fields = Vec::new();
        for v in &input.fields {
            if !kind.fields.iter().any(|f| f.key == v.field) {
                return Err(invalid(
                    "fields",
                    format!("'{}' is not a field of a {}", v.field, kind.key),
                    "Cette information ne correspond pas à ce type de demande.",
                ));
            }
            extra.insert(v.field.clone(), Value::String(encode_value(&v.value)));
            fields.push(wit::FieldValue {
                key: v.field.clone(),
                value: v.value.clone(),
            });
        }
        let errors: Vec<_> = schema
            .plugin
            .validate_request(&kind.key, &fields)?
            .into_iter()
            .filter(|d| d.severity == wit::Severity::Error)
            .map(Into::into)
            .collect();
        if !errors.is_empty() {
            return Err(ServiceError::Rejected(errors));
        }
        let author = permit.actor();
        // The author's account, read once: their name in the journal, their address.
        let account = match author {
            Some(id) => self.store.user_by_id(id).await?,
            None => None,
        };
        let by = account.as_ref().map(|u| u.pseudonym.journal_ref());
        let note = JournalNote::new(
            "filed",
            &json!({
                "by": by,
                "kind": kind.key,
                "title": title,
                "description": description,
                "categories": categories,
                "urgency": urgency.as_str(),
                "reminder_on": reminder_on,
                "object": object.identity.official_name,
            }),
        );
        // The requester's links are stored with the request: the one answered, to follow it,
        // and for a typed address another one, mailed there, whose opening confirms it (whoever
        // filed cannot confirm someone else's mailbox).
        let follow_token = random_token();
        let mut links = vec![(token_hash(&follow_token), false)];
        let confirm_token = contact_email.as_ref().map(|_| random_token());
        if let Some(t) = &confirm_token {
            links.push((token_hash(t), true));
        }
        // The requester hears of it at the address they typed (which gets this one message
        // until they confirm it), or else at their account's: the e-mail is counted and
        // journaled with the request, and sent once it is committed.
        let to = match (&contact_email, &account) {
            (Some(email), _) => Some((email.clone(), MailKind::TypedAddress)),
            (None, Some(u)) => Some((u.email.as_str().to_owned(), MailKind::Account)),
            (None, None) => None,
        };
        // In the account's language; a typed address gets the collective's.
        let lang = match (&contact_email, &account) {
            (None, Some(u)) => self.store.user_language(u.id).await?,
            _ => tenant.language,
        };
        let subject_of = |id: i64| match lang {
            Language::Fr => format!("Votre demande n° {id} est enregistrée"),
            Language::En => format!("Your request no. {id} is recorded"),
        };
        let entry = |id: i64| {
            JournalNote::new(
                "notification_sent",
                &json!({ "to": "requester", "subject": subject_of(id) }),
            )
        };
        let mailed = confirm_token
            .clone()
            .unwrap_or_else(|| follow_token.clone());
        let to_address = to.as_ref().map(|(a, _)| a.clone()).unwrap_or_default();
        let message = |id: i64| {
            let link = self.request_link(tenant, id, Some(&mailed));
            let mut letter = Letter::new(lang, subject_of(id)).say(match lang {
                Language::Fr => format!(
                    "Votre demande « {title} » est enregistrée. Elle sera publiée après modération."
                ),
                Language::En => format!(
                    "Your request \"{title}\" is recorded. It will be public once moderated."
                ),
            });
            if confirm_token.is_some() {
                letter = letter.say(lang.pick(
                    "Ouvrez le lien ci-dessous pour confirmer votre adresse : sans cela, vous ne \
                     recevrez plus d'autre message à propos de cette demande. Si vous n'avez rien \
                     demandé, ignorez ce message.",
                    "Open the link below to confirm your address: otherwise you will get no other \
                     message about this request. If you asked for nothing, ignore this message.",
                ));
            }
            let letter = letter
                .action(
                    lang.pick(
                        "Suivre et mettre à jour votre demande",
                        "Follow and update your request",
                    ),
                    link,
                )
                .then(lang.pick(
                    "Ce lien est personnel : ne le partagez pas.",
                    "This link is personal: do not share it.",
                ));
            let mut mail = self.outbox_letter(
                &Recipient {
                    address: &to_address,
                    label: Some("requester".into()),
                },
                &letter,
                "notification",
                Some(About {
                    tenant,
                    request_id: Some(id),
                }),
                None,
            );
            mail.reply_to = self.reply_address(&follow_token);
            mail
        };
        let mail = to.as_ref().map(|(to, kind)| RequestMail {
            address_hash: address_hash(to),
            limits: self.mail_limits(*kind),
            entry: &entry,
            message: Some(&message),
        });
        let new = NewRequest {
            object_id,
            kind: kind.key.clone(),
            categories,
            title: title.clone(),
            description: description.clone(),
            extra_fields: Value::Object(extra).to_string(),
            urgency,
            reminder_on,
            provenance: if author.is_some() {
                Provenance::Citizen
            } else {
                Provenance::Anonymous
            },
            author,
            contact_email,
            submission_key,
        };
        let file = || {
            self.store
                .file_request(tenant.id, &new, &note, &links, mail.as_ref())
        };
        let filed = match file().await {
            // Two sendings of one submission at once (PostgreSQL): the second stopped on the
            // key the first recorded; again, it finds the first's request.
            Err(StoreError::Conflict(_)) if new.submission_key.is_some() => file().await?,
            filed => filed?,
        };
        if filed.replayed {
            return Ok(FiledRequest {
                request: filed.request,
                follow_token,
                similar: Vec::new(),
                replayed: true,
            });
        }
        let request = filed.request;
        self.badges_touched(tenant.id, [request.author_id]);
        if let Some(u) = &account {
            self.store
                .follow(
                    tenant.id,
                    u.id,
                    FollowTarget::Request(request.id),
                    FollowReason::Filed,
                )
                .await?;
        }
        // Queued with the request (see `RequestMail`): delivered from the outbox.
        if let Some(reserved) = filed.mail
            && self.mail_allowed(request.id, reserved)?
        {
            self.mail_queued().await;
        }
        if kind.notify_immediately {
            // Serious and imminent danger: the contacts hear of it before moderation.
            for contact in self.store.contacts(tenant.id, Some(key.as_str())).await? {
                self.notify_contact(
                    tenant,
                    &request,
                    &contact,
                    None,
                    &Bilingual::new(format!(
                        "Vigie: {} — {}",
                        kind.label.en, object.identity.official_name
                    ))
                    .fr(format!(
                        "Vigie : {} — {}",
                        kind.label.fr, object.identity.official_name
                    )),
                    &Bilingual::new(format!("{}\n\n{title}\n\n{description}", kind.label.en))
                        .fr(format!("{}\n\n{title}\n\n{description}", kind.label.fr)),
                    MailKind::Automatic,
                )
                .await?;
            }
        }
        let similar = self
            .similar_requests(
                tenant,
                object_id,
                &format!("{title} {description}"),
                Some(request.id),
                false,
            )
            .await?;
        Ok(FiledRequest {
            request,
            follow_token,
            similar,
            replayed: false,
        })
    }

    /// The words of a status change: the message, and its line in a digest.
    fn status_words<'a>(
        &self,
        tenant: &Tenant,
        request: &'a RequestRecord,
        to: RequestStatus,
        note: Option<&'a str>,
    ) -> impl Fn(Language) -> (Letter, String) + Send + Sync + 'a {
        let id = request.id;
        let link = self.public_request_link(tenant, id);
        move |lang: Language| {
            let (subject, said) = match lang {
                Language::Fr => (
                    format!("Demande n° {id} : {}", notices::status(lang, to)),
                    format!(
                        "La demande « {} » ({}) est passée de « {} » à « {} ».",
                        request.shown_title(),
                        request.object_name,
                        notices::status(lang, request.status),
                        notices::status(lang, to),
                    ),
                ),
                Language::En => (
                    format!("Request no. {id}: {}", notices::status(lang, to)),
                    format!(
                        "The request \"{}\" ({}) moved from \"{}\" to \"{}\".",
                        request.shown_title(),
                        request.object_name,
                        notices::status(lang, request.status),
                        notices::status(lang, to),
                    ),
                ),
            };
            let letter = Letter::new(lang, subject)
                .say(said.clone())
                .quote(note.unwrap_or_default())
                .action(
                    lang.pick("Voir la demande", "See the request"),
                    link.clone(),
                );
            (letter, said)
        }
    }

    /// What the request's followers hear of a status change (not who made it), to queue with
    /// the change.
    async fn status_notices(
        &self,
        tenant: &Tenant,
        request: &RequestRecord,
        to: RequestStatus,
        note: Option<&str>,
        by_user: Option<UserId>,
    ) -> Result<Notices, ServiceError> {
        let words = self.status_words(tenant, request, to, note);
        self.follower_notices(
            tenant,
            request,
            FollowEvent::Status,
            by_user.as_slice(),
            &words,
        )
        .await
    }

    /// Tells a requester who gave an address (no account to follow with) of a status change.
    async fn tell_requester_status(
        &self,
        tenant: &Tenant,
        request: &RequestRecord,
        to: RequestStatus,
        note: Option<&str>,
    ) -> Result<(), ServiceError> {
        if request.contact_email.is_some() {
            let words = self.status_words(tenant, request, to, note);
            self.mail_requester(tenant, request, &|lang| words(lang).0)
                .await?;
        }
        Ok(())
    }

    /// What the request's followers hear of an answer or a comment (its words quoted), to
    /// queue with it.
    async fn answer_notices(
        &self,
        tenant: &Tenant,
        request: &RequestRecord,
        by: Option<&str>,
        words_said: &str,
        except: &[UserId],
    ) -> Result<Notices, ServiceError> {
        let id = request.id;
        let link = self.public_request_link(tenant, id);
        let words = |lang: Language| {
            let who = by.unwrap_or(lang.pick("Quelqu'un", "Someone"));
            let said = match lang {
                Language::Fr => format!(
                    "{who} a répondu sur la demande « {} » ({}).",
                    request.shown_title(),
                    request.object_name
                ),
                Language::En => format!(
                    "{who} answered on the request \"{}\" ({}).",
                    request.shown_title(),
                    request.object_name
                ),
            };
            let subject = match lang {
                Language::Fr => format!("Demande n° {id} : nouvelle réponse"),
                Language::En => format!("Request no. {id}: new answer"),
            };
            (
                Letter::new(lang, subject)
                    .say(said.clone())
                    .quote(words_said)
                    .action(
                        lang.pick("Voir la demande", "See the request"),
                        link.clone(),
                    ),
                said,
            )
        };
        self.follower_notices(tenant, request, FollowEvent::Answer, except, &words)
            .await
    }

    /// What the followers of a place hear of a request about it being published.
    async fn new_request_notices(
        &self,
        tenant: &Tenant,
        request: &RequestRecord,
        by_user: Option<UserId>,
    ) -> Result<Notices, ServiceError> {
        let id = request.id;
        let link = self.public_request_link(tenant, id);
        let words = |lang: Language| {
            let said = match lang {
                Language::Fr => format!(
                    "Nouvelle demande sur {} : « {} ».",
                    request.object_name,
                    request.shown_title()
                ),
                Language::En => format!(
                    "New request about {}: \"{}\".",
                    request.object_name,
                    request.shown_title()
                ),
            };
            let subject = match lang {
                Language::Fr => format!("{} : nouvelle demande n° {id}", request.object_name),
                Language::En => format!("{}: new request no. {id}", request.object_name),
            };
            (
                Letter::new(lang, subject)
                    .say(said.clone())
                    .quote(request.shown_description())
                    .action(
                        lang.pick("Voir la demande", "See the request"),
                        link.clone(),
                    ),
                said,
            )
        };
        let mut except: Vec<UserId> = by_user.into_iter().collect();
        except.extend(request.author_id);
        self.follower_notices(tenant, request, FollowEvent::NewRequest, &except, &words)
            .await
    }

    /// Mails the requester: at their account's address, or at the contact address they gave
    /// once its owner confirmed it by opening the link mailed when the request was filed (the
    /// one message it gets until then, see [`Services::file_request`]); and no address gets
    /// more than `mails_per_address_hour` messages about requests in an hour. The e-mail is
    /// counted and journaled (to "the requester": their address is never written) in one
    /// transaction, then sent. Written in the account's language, else the collective's.
    async fn mail_requester(
        &self,
        tenant: &Tenant,
        request: &RequestRecord,
        letter: &(dyn Fn(Language) -> Letter + Send + Sync),
    ) -> Result<(), ServiceError> {
        let to = match (request.author_id, &request.contact_email) {
            (_, Some(email)) if request.contact_confirmed => Some((email.clone(), tenant.language)),
            (_, Some(_)) => None,
            (Some(id), None) => match self.store.user_by_id(id).await? {
                Some(u) => Some((
                    u.email.as_str().to_owned(),
                    self.store.user_language(id).await?,
                )),
                None => None,
            },
            (None, None) => None,
        };
        let Some((to, lang)) = to else { return Ok(()) };
        let kind = if request.contact_email.is_some() {
            MailKind::TypedAddress
        } else {
            MailKind::Account
        };
        // With replies by e-mail on, a personal token of its own to answer by replying.
        let reply_token = self.replies_by_mail().then(random_token);
        let mut letter = letter(lang);
        if reply_token.is_some() {
            letter = letter.then(lang.pick(REPLY_HINT_FR, REPLY_HINT_EN));
        }
        let entry = |_: i64| {
            JournalNote::new(
                "notification_sent",
                &json!({ "to": "requester", "subject": letter.subject }),
            )
        };
        let mut message = self.outbox_letter(
            &Recipient {
                address: &to,
                label: Some("requester".into()),
            },
            &letter,
            "notification",
            Some(About {
                tenant,
                request_id: Some(request.id),
            }),
            None,
        );
        message.reply_to = reply_token.as_deref().and_then(|t| self.reply_address(t));
        if self
            .reserve_journaled_mail(tenant, request.id, &to, kind, &entry, &message)
            .await?
        {
            if let Some(t) = &reply_token {
                self.store
                    .insert_request_token(request.id, None, &token_hash(t), false)
                    .await?;
            }
            self.mail_queued().await;
        }
        Ok(())
    }

    /// E-mails a contact with a personal link to answer without an account, and journals it
    /// (counted and journaled in one transaction, then sent).
    ///
    /// `false` when the contact's address already had its share of messages this hour.
    #[allow(clippy::too_many_arguments)] // the message and whom it is about
    async fn notify_contact(
        &self,
        tenant: &Tenant,
        request: &RequestRecord,
        contact: &Contact,
        by: Option<&str>,
        subject: &Bilingual,
        message: &Bilingual,
        kind: MailKind,
    ) -> Result<bool, ServiceError> {
        // A contact works for the collective: its language.
        let lang = tenant.language;
        let subject = subject.in_language(lang);
        let entry = |_: i64| {
            JournalNote::new(
                "notification_sent",
                &json!({
                    "to": contact.name,
                    "role": contact.role_title,
                    "subject": subject,
                    "by": by,
                }),
            )
        };
        let token = random_token();
        let link = self.request_link(tenant, request.id, Some(&token));
        let reply_to = self.reply_address(&token);
        let mut letter = Letter::new(lang, subject)
            .greet(&contact.name)
            .quote(message.in_language(lang))
            .action(
                lang.pick(
                    "Voir la demande et y répondre",
                    "See the request and answer it",
                ),
                link,
            )
            .then(lang.pick(
                "Ce lien personnel vous permet de répondre et de changer le statut de la \
                 demande sans compte. Ne le transmettez pas.",
                "This personal link lets you answer and change the request's status without \
                 an account. Do not pass it on.",
            ));
        if reply_to.is_some() {
            letter = letter.then(lang.pick(REPLY_HINT_FR, REPLY_HINT_EN));
        }
        let mut mail = self.outbox_letter(
            &Recipient {
                address: &contact.email,
                label: Some(contact.name.clone()),
            },
            &letter,
            "notification",
            Some(About {
                tenant,
                request_id: Some(request.id),
            }),
            None,
        );
        mail.reply_to = reply_to;
        if !self
            .reserve_journaled_mail(tenant, request.id, &contact.email, kind, &entry, &mail)
            .await?
        {
            return Ok(false);
        }
        // The link works by the time the worker is told of the message.
        self.store
            .insert_request_token(request.id, Some(contact.id), &token_hash(&token), false)
            .await?;
        self.mail_queued().await;
        Ok(true)
    }

    /// The bounds an e-mail of `kind` is counted under.
    fn mail_limits(&self, kind: MailKind) -> MailLimits {
        let limits = &self.settings.requests;
        MailLimits {
            by_editor: kind == MailKind::Editor,
            per_request_day: i64::from(limits.notifications_per_request_day),
            // The addresses of contacts and assignees are the collective's own; those of
            // requesters are whatever a filer typed.
            per_address_hour: if matches!(kind, MailKind::TypedAddress | MailKind::Automatic) {
                i64::from(limits.mails_per_address_hour)
            } else {
                i64::MAX
            },
        }
    }

    /// Whether an e-mail counted as `reserved` goes: an editor's e-mail (to a contact or an
    /// assignee) over the request's daily bound is refused (`TooMany`); an e-mail to a
    /// requester's address (any address a filer typed) that had its share this hour is skipped
    /// (`false`), and the log says so without the address.
    fn mail_allowed(
        &self,
        request_id: i64,
        reserved: MailReservation,
    ) -> Result<bool, ServiceError> {
        match reserved {
            MailReservation::Reserved => Ok(true),
            MailReservation::AddressLimit => {
                tracing::info!(
                    request = request_id,
                    "e-mail about a request not sent: its address had its share this hour"
                );
                Ok(false)
            }
            MailReservation::RequestLimit => Err(too_many_mails(
                self.settings.requests.notifications_per_request_day,
            )),
        }
    }

    /// Counts an e-mail about a request under the limits and, if it goes, journals `entry`
    /// and queues `mail` in the same transaction (see [`Services::mail_allowed`]). The caller
    /// rings the outbox ([`Services::mail_queued`]) once whatever the message links to exists.
    async fn reserve_journaled_mail(
        &self,
        tenant: &Tenant,
        request_id: i64,
        to: &str,
        kind: MailKind,
        entry: &(dyn Fn(i64) -> JournalNote + Send + Sync),
        mail: &NewOutboxMail,
    ) -> Result<bool, ServiceError> {
        let message = |_: i64| mail.clone();
        let reserved = self
            .store
            .reserve_and_journal_mail(
                tenant.id,
                request_id,
                &RequestMail {
                    address_hash: address_hash(to),
                    limits: self.mail_limits(kind),
                    entry,
                    message: Some(&message),
                },
            )
            .await?;
        self.mail_allowed(request_id, reserved)
    }

    /// Decides who may change a request: the object's moderators, the requester, the current
    /// assignees, and contacts holding a notification's link. Everyone else: forbidden.
    pub async fn request_editor(
        &self,
        principal: &Principal,
        token: Option<&str>,
        tenant: &Tenant,
        request: &RequestRecord,
    ) -> Result<Editor, ServiceError> {
        let object = self.object(tenant, request.object_id).await?;
        let scope = Self::object_scope(tenant, &object)?;
        if let Ok(permit) = self
            .authz
            .authorize(principal, Some(tenant), scope, Operation::ManageRequest)
            .await
        {
            return Ok(Editor::Moderator(permit));
        }
        if let Some(token) = token.filter(|t| !t.is_empty()) {
            let hash = token_hash(token);
            let link = self
                .store
                .request_token(&hash)
                .await?
                .filter(|l| l.request_id == request.id)
                .ok_or(ServiceError::InvalidToken)?;
            let days = self.settings.requests.link_days;
            let stale = OffsetDateTime::now_utc() - link.last_used_at
                > time::Duration::days(i64::from(days));
            if link.revoked_at.is_some() || stale {
                return Err(link_expired(link.contact_id.is_some(), days));
            }
            self.store.touch_request_token(&hash).await?;
            match link.contact_id {
                None => {
                    if link.confirms_contact {
                        self.store
                            .confirm_request_contact(tenant.id, request.id)
                            .await?;
                    }
                    return Ok(Editor::Requester(request.author_id));
                }
                Some(contact) => {
                    // A retired contact's links stop working with their post.
                    return self
                        .store
                        .contact(tenant.id, contact)
                        .await?
                        .filter(|c| !c.retired)
                        .map(Editor::Contact)
                        .ok_or(ServiceError::InvalidToken);
                }
            }
        }
        let Some(user) = principal.user_id() else {
            return Err(ServiceError::Unauthenticated(
                Bilingual::new("sign in first, or use the personal link you received by e-mail")
                    .fr("Connectez-vous d'abord, ou ouvrez le lien personnel reçu par e-mail."),
            ));
        };
        if request.author_id == Some(user) {
            return Ok(Editor::Requester(Some(user)));
        }
        if self
            .store
            .assignments(request.id)
            .await?
            .iter()
            .any(|a| a.removed_at.is_none() && a.user_id == Some(user))
        {
            return Ok(Editor::Assignee(user));
        }
        Err(ServiceError::Forbidden(
            Bilingual::new(
                "only the requester, the people handling this request, the type's Garant and the \
                 object's Certified citizens may change it",
            )
            .fr(
                "Seuls le demandeur, les personnes chargées de la demande, le garant du type et \
                 les citoyens certifiés du lieu peuvent la modifier.",
            ),
        ))
    }

    /// Sends the requester a fresh personal link, at the address they can be reached at: their
    /// account's, or the contact address they confirmed. Asked with one of the requester's
    /// links (even an expired one), by the requester signed in, or by a moderator of the
    /// request. Bounded like any message to that address (`mails_per_address_hour`).
    /// `false` when there is no address to send it to.
    pub async fn send_new_requester_link(
        &self,
        principal: &Principal,
        token: Option<&str>,
        tenant: &Tenant,
        id: i64,
    ) -> Result<bool, ServiceError> {
        let request = self.request(tenant, id).await?;
        let by_link = match token.filter(|t| !t.is_empty()) {
            Some(t) => self
                .store
                .request_token(&token_hash(t))
                .await?
                .is_some_and(|l| l.request_id == id && l.contact_id.is_none()),
            None => false,
        };
        let allowed = by_link
            || principal
                .user_id()
                .is_some_and(|u| request.author_id == Some(u))
            || {
                let object = self.object(tenant, request.object_id).await?;
                self.authz
                    .authorize(
                        principal,
                        Some(tenant),
                        Self::object_scope(tenant, &object)?,
                        Operation::ManageRequest,
                    )
                    .await
                    .is_ok()
            };
        if !allowed {
            return Err(ServiceError::Forbidden(
                Bilingual::new(
                    "a new link is sent at the requester's asking (with one of their links, or \
                     signed in) or a moderator's",
                )
                .fr(
                    "Un nouveau lien s'obtient avec un ancien lien de la demande, connecté comme \
                     son auteur, ou par un modérateur.",
                ),
            ));
        }
        let to = match (&request.contact_email, request.author_id) {
            (Some(e), _) if request.contact_confirmed => Some((e.clone(), tenant.language)),
            (Some(_), _) => None,
            (None, Some(author)) => match self.store.user_by_id(author).await? {
                Some(u) => Some((
                    u.email.as_str().to_owned(),
                    self.store.user_language(author).await?,
                )),
                None => None,
            },
            (None, None) => None,
        };
        let Some((to, lang)) = to else {
            return Ok(false);
        };
        let token = random_token();
        let link = self.request_link(tenant, id, Some(&token));
        let letter = Letter::new(
            lang,
            match lang {
                Language::Fr => format!("Un nouveau lien pour votre demande n° {id}"),
                Language::En => format!("A new link for your request no. {id}"),
            },
        )
        .say(match lang {
            Language::Fr => format!(
                "Voici un nouveau lien personnel pour suivre et mettre à jour votre demande « {} ».",
                request.title
            ),
            Language::En => format!(
                "Here is a new personal link to follow and update your request \"{}\".",
                request.title
            ),
        })
        .action(lang.pick("Suivre votre demande", "Follow your request"), link)
        .then(lang.pick(
            "Ce lien est personnel : ne le partagez pas.",
            "This link is personal: do not share it.",
        ));
        let subject = letter.subject.clone();
        let mail = self.outbox_letter(
            &Recipient {
                address: &to,
                label: Some("requester".into()),
            },
            &letter,
            "notification",
            Some(About {
                tenant,
                request_id: Some(id),
            }),
            None,
        );
        let entry = |_: i64| {
            JournalNote::new(
                "notification_sent",
                &json!({ "to": "requester", "subject": subject }),
            )
        };
        if !self
            .reserve_journaled_mail(tenant, id, &to, MailKind::Automatic, &entry, &mail)
            .await?
        {
            return Err(ServiceError::TooMany(
                Bilingual::new("enough messages went to this address this hour: try again later")
                    .fr(
                        "Assez de messages sont partis vers cette adresse cette heure-ci : \
                         réessayez plus tard.",
                    ),
            ));
        }
        self.store
            .insert_request_token(id, None, &token_hash(&token), false)
            .await?;
        self.mail_queued().await;
        Ok(true)
    }

    async fn editor_name(&self, editor: &Editor) -> Result<Option<String>, ServiceError> {
        match editor {
            Editor::Contact(c) => Ok(Some(format!("{} ({})", c.name, c.role_title))),
            other => self.public_name(other.user()).await,
        }
    }

    /// The moderation permit for a request: its object's scope computed here, from the
    /// request loaded by the use case, and asked of the authorizer.
    async fn moderator_permit(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        request: &RequestRecord,
    ) -> Result<Permit, ServiceError> {
        let object = self.object(tenant, request.object_id).await?;
        let scope = Self::object_scope(tenant, &object)?;
        self.permit_for(actor, tenant, scope, Operation::ModerateRequest)
            .await
    }

    /// Publishes, refuses or sets apart a new request (its object's Certified citizens, its
    /// type's Garant). Refusals and settings apart keep a public reason.
    pub async fn moderate_request(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        id: i64,
        decision: RequestModeration,
    ) -> Result<RequestRecord, ServiceError> {
        let request = self.request(tenant, id).await?;
        let permit = &self.moderator_permit(actor, tenant, &request).await?;
        if request.status != RequestStatus::New {
            return Err(ServiceError::Conflict(
                Bilingual::new(format!(
                    "this request was already moderated (it is {})",
                    request.status.as_str()
                ))
                .fr("Cette demande a déjà été modérée."),
            ));
        }
        let to = decision.status();
        let by = self.public_name(permit.actor()).await?;
        let mut notices = self
            .status_notices(tenant, &request, to, decision.reason(), permit.actor())
            .await?;
        if to == RequestStatus::Published {
            notices = notices.and(
                self.new_request_notices(tenant, &request, permit.actor())
                    .await?,
            );
        }
        self.store
            .change_request_status(
                tenant.id,
                id,
                &StatusChange {
                    from: RequestStatus::New,
                    to,
                    moderation_reason: decision.reason().map(str::to_owned),
                },
                &JournalNote::new(
                    to.as_str(),
                    &json!({ "by": by, "reason": decision.reason() }),
                )
                .with_notices(notices.clone()),
            )
            .await?;
        self.notices_queued(&notices).await;
        self.tell_requester_status(tenant, &request, to, decision.reason())
            .await?;
        self.request(tenant, id).await
    }

    /// Re-expresses a request's title and description (moderators); the requester's words stay
    /// and remain visible.
    pub async fn reexpress_request(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        id: i64,
        title: &str,
        description: &str,
    ) -> Result<RequestRecord, ServiceError> {
        let request = self.request(tenant, id).await?;
        let permit = &self.moderator_permit(actor, tenant, &request).await?;
        let title = check_text("title", title, 3, 200)?;
        let description = check_text("description", description, 3, 4000)?;
        let by = self.public_name(permit.actor()).await?;
        self.store
            .reexpress_request(
                tenant.id,
                id,
                &title,
                &description,
                &JournalNote::new(
                    "reexpressed",
                    &json!({ "by": by, "title": title, "description": description }),
                ),
            )
            .await?;
        self.request(tenant, id).await
    }

    /// Moves a request along its life cycle. Its editors may make any step of the life cycle;
    /// anyone may report a solved request as not solved, which reopens it.
    pub async fn change_status(
        &self,
        principal: &Principal,
        token: Option<&str>,
        tenant: &Tenant,
        id: i64,
        to: RequestStatus,
        note: Option<&str>,
    ) -> Result<RequestRecord, ServiceError> {
        let request = self.request(tenant, id).await?;
        not_moderation(to)?;
        let note = match note.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => Some(check_text("note", n, 1, 2000)?),
            None => None,
        };
        let reopening = request.status == RequestStatus::Solved && to == RequestStatus::NotSolved;
        let by = if reopening {
            // Anyone who may file a request on the object may say it is not solved. A token
            // that is not a live link of this request is refused, never taken for an
            // anonymous reopening (which the edge limits per client).
            match self
                .request_editor(principal, token, tenant, &request)
                .await
            {
                Ok(editor) => self.editor_name(&editor).await?,
                Err(ServiceError::InvalidToken) => return Err(ServiceError::InvalidToken),
                Err(_) => {
                    let object = self.object(tenant, request.object_id).await?;
                    let permit = self
                        .authz
                        .authorize(
                            principal,
                            Some(tenant),
                            Self::object_scope(tenant, &object)?,
                            Operation::FileRequest,
                        )
                        .await?;
                    self.public_name(permit.actor()).await?
                }
            }
        } else {
            let editor = self
                .request_editor(principal, token, tenant, &request)
                .await?;
            editor.require(RequestAction::ChangeStatus, &request)?;
            self.editor_name(&editor).await?
        };
        self.apply_status(
            tenant,
            &request,
            to,
            note,
            (by, principal.user_id()),
            reopening,
        )
        .await
    }

    /// Moves a request to `to` once the caller is known to be allowed: checks the life cycle,
    /// writes the change with its journal entry and tells the requester.
    async fn apply_status(
        &self,
        tenant: &Tenant,
        request: &RequestRecord,
        to: RequestStatus,
        note: Option<String>,
        (by, by_user): (Option<String>, Option<UserId>),
        reopening: bool,
    ) -> Result<RequestRecord, ServiceError> {
        let id = request.id;
        if request.merged_into.is_some() {
            let into = request.merged_into.unwrap_or_default();
            return Err(ServiceError::Conflict(
                Bilingual::new(format!(
                    "this request was merged into request {into}: follow that one"
                ))
                .fr(format!(
                    "Cette demande a été fusionnée dans la demande n° {into} : suivez celle-là."
                )),
            ));
        }
        if !request.status.can_move_to(to) {
            let next: Vec<RequestStatus> = RequestStatus::ALL
                .into_iter()
                .filter(|s| request.status.can_move_to(*s))
                .filter(|s| {
                    !matches!(
                        s,
                        RequestStatus::Published | RequestStatus::Refused | RequestStatus::SetApart
                    )
                })
                .collect();
            // "…: it can become a, b" / "… ; elle peut passer à « a », « b »".
            let then = |lead: &str, name: fn(RequestStatus) -> String| {
                let names: Vec<String> = next.iter().map(|s| name(*s)).collect();
                if names.is_empty() {
                    String::new()
                } else {
                    format!("{lead}{}", names.join(", "))
                }
            };
            return Err(ServiceError::Conflict(
                Bilingual::new(format!(
                    "a request that is {} cannot become {}{}",
                    request.status.as_str(),
                    to.as_str(),
                    then(": it can become ", |s| s.as_str().to_owned())
                ))
                .fr(format!(
                    "Une demande « {} » ne peut pas passer à « {} »{}.",
                    request.status.label_fr(),
                    to.label_fr(),
                    then(" ; elle peut passer à ", |s| format!(
                        "« {} »",
                        s.label_fr()
                    ))
                )),
            ));
        }
        let notices = self
            .status_notices(tenant, request, to, note.as_deref(), by_user)
            .await?;
        self.store
            .change_request_status(
                tenant.id,
                id,
                &StatusChange {
                    from: request.status,
                    to,
                    moderation_reason: None,
                },
                &JournalNote::new(
                    if reopening {
                        "reopened"
                    } else {
                        "status_changed"
                    },
                    &json!({
                        "by": by,
                        "from": request.status.as_str(),
                        "to": to.as_str(),
                        "note": note,
                    }),
                )
                .with_notices(notices.clone()),
            )
            .await?;
        self.notices_queued(&notices).await;
        let mut touched = vec![request.author_id, by_user];
        touched.extend(self.store.assignments(id).await?.iter().map(|a| a.user_id));
        self.badges_touched(tenant.id, touched);
        self.tell_requester_status(tenant, request, to, note.as_deref())
            .await?;
        self.request(tenant, id).await
    }

    /// Assigns a user or a contact to a request; the assignee is told by e-mail at once.
    pub async fn assign_request(
        &self,
        editor: &Editor,
        tenant: &Tenant,
        id: i64,
        target: AssignTarget,
    ) -> Result<Assignment, ServiceError> {
        let request = self.request(tenant, id).await?;
        editor.require(RequestAction::Assign, &request)?;
        if matches!(
            request.status,
            RequestStatus::Refused | RequestStatus::SetApart
        ) || request.merged_into.is_some()
        {
            return Err(ServiceError::Conflict(
                Bilingual::new(format!(
                    "a request that is {} is not handled by anyone",
                    request.status.as_str()
                ))
                .fr("Une demande refusée, mise à l'écart ou fusionnée n'est confiée à personne."),
            ));
        }
        let current = self.store.assignments(id).await?;
        let (user, contact) = match target {
            AssignTarget::User(uid) => {
                let user = self
                    .store
                    .user_by_id(UserId(uid))
                    .await?
                    .ok_or(ServiceError::NotFound("user"))?;
                // Only a moderator hands a request to any account; the others choose among
                // the collective's Officials (or its contacts).
                let official = user
                    .verified_email()
                    .is_some_and(|e| tenant.official_domains.iter().any(|d| e.belongs_to(d)));
                if !official && !matches!(editor, Editor::Moderator(_)) {
                    return Err(invalid(
                        "user_id",
                        "choose one of the collective's Officials (GET …/requests/{id}/officials) \
                         or one of its contacts",
                        "Choisissez un agent du collectif ou l'un de ses contacts.",
                    ));
                }
                (Some(user), None)
            }
            AssignTarget::Contact(cid) => {
                let contact = self
                    .store
                    .contact(tenant.id, cid)
                    .await?
                    .ok_or(ServiceError::NotFound("contact"))?;
                if contact.retired {
                    return Err(ServiceError::Conflict(
                        Bilingual::new(format!(
                            "{} was retired from the contacts: choose a current contact",
                            contact.name
                        ))
                        .fr(format!(
                            "{} a été retiré(e) des contacts : choisissez un contact actuel.",
                            contact.name
                        )),
                    ));
                }
                if contact.type_key != request.object_type {
                    return Err(invalid(
                        "contact_id",
                        format!(
                            "{} is a contact for {}, not for {}",
                            contact.name, contact.type_key, request.object_type
                        ),
                        "Ce contact ne s'occupe pas de ce type de lieu ici.",
                    ));
                }
                (None, Some(contact))
            }
        };
        if current.iter().any(|a| {
            a.removed_at.is_none()
                && ((user.is_some() && a.user_id == user.as_ref().map(|u| u.id))
                    || (contact.is_some() && a.contact_id == contact.as_ref().map(|c| c.id)))
        }) {
            return Err(ServiceError::Conflict(
                Bilingual::new("already assigned to this request")
                    .fr("Cette personne est déjà chargée de la demande."),
            ));
        }
        self.mail_budget(id, 1).await?;
        let by = self.editor_name(editor).await?;
        let official = user.as_ref().is_some_and(|u| {
            u.verified_email()
                .is_some_and(|e| tenant.official_domains.iter().any(|d| e.belongs_to(d)))
        });
        let name = user
            .as_ref()
            .map(|u| u.pseudonym.journal_ref())
            .or_else(|| contact.as_ref().map(|c| c.name.clone()))
            .unwrap_or_default();
        // The request's followers hear who took it (not the assignee: they are told
        // by a message of their own).
        let who = match (&user, &contact) {
            (_, Some(c)) => format!("{} ({})", c.name, c.role_title),
            (Some(u), None) => u.display_name.as_str().to_owned(),
            (None, None) => String::new(),
        };
        let link = self.public_request_link(tenant, id);
        let words = |lang: Language| {
            let said = match lang {
                Language::Fr => format!(
                    "La demande « {} » ({}) est confiée à {who}.",
                    request.shown_title(),
                    request.object_name
                ),
                Language::En => format!(
                    "The request \"{}\" ({}) is assigned to {who}.",
                    request.shown_title(),
                    request.object_name
                ),
            };
            let subject = match lang {
                Language::Fr => format!("Demande n° {id} : prise en charge"),
                Language::En => format!("Request no. {id}: assigned"),
            };
            (
                Letter::new(lang, subject).say(said.clone()).action(
                    lang.pick("Voir la demande", "See the request"),
                    link.clone(),
                ),
                said,
            )
        };
        let except: Vec<UserId> = user.iter().map(|u| u.id).chain(editor.user()).collect();
        let notices = self
            .follower_notices(tenant, &request, FollowEvent::Assignment, &except, &words)
            .await?;
        let assignment = self
            .store
            .assign_request(
                tenant.id,
                id,
                user.as_ref().map(|u| u.id),
                contact.as_ref().map(|c| c.id),
                editor.user(),
                &JournalNote::new(
                    "assigned",
                    &json!({
                        "by": by,
                        "to": name,
                        "role": contact.as_ref().map(|c| c.role_title.clone()),
                        "official": official,
                    }),
                )
                .with_notices(notices.clone()),
            )
            .await?;
        let subject = Bilingual::new(format!("Request no. {id} is assigned to you"))
            .fr(format!("Demande n° {id} : elle vous est confiée"));
        let message = Bilingual::new(format!(
            "The request \"{}\" about {} is assigned to you.\n\n{}",
            request.shown_title(),
            request.object_name,
            request.shown_description(),
        ))
        .fr(format!(
            "La demande « {} » sur {} vous est confiée.\n\n{}",
            request.shown_title(),
            request.object_name,
            request.shown_description(),
        ));
        match (&user, &contact) {
            (_, Some(c)) => {
                self.notify_contact(
                    tenant,
                    &request,
                    c,
                    by.as_deref(),
                    &subject,
                    &message,
                    MailKind::Editor,
                )
                .await?;
            }
            (Some(u), None) => {
                self.store
                    .follow(
                        tenant.id,
                        u.id,
                        FollowTarget::Request(id),
                        FollowReason::Assigned,
                    )
                    .await?;
                let lang = self.store.user_language(u.id).await?;
                let letter = Letter::new(lang, subject.in_language(lang))
                    .greet(u.display_name.as_str())
                    .say(match lang {
                        Language::Fr => format!(
                            "La demande « {} » sur {} vous est confiée.",
                            request.shown_title(),
                            request.object_name
                        ),
                        Language::En => format!(
                            "The request \"{}\" about {} is assigned to you.",
                            request.shown_title(),
                            request.object_name
                        ),
                    })
                    .quote(request.shown_description())
                    .action(
                        lang.pick("Voir la demande", "See the request"),
                        self.public_request_link(tenant, id),
                    );
                let mail = self.outbox_letter(
                    &Recipient {
                        address: u.email.as_str(),
                        label: Some(name.clone()),
                    },
                    &letter,
                    "notification",
                    Some(About {
                        tenant,
                        request_id: Some(id),
                    }),
                    None,
                );
                let entry = |_: i64| {
                    JournalNote::new(
                        "notification_sent",
                        &json!({ "to": name, "subject": letter.subject, "by": by }),
                    )
                };
                if self
                    .reserve_journaled_mail(
                        tenant,
                        id,
                        u.email.as_str(),
                        MailKind::Editor,
                        &entry,
                        &mail,
                    )
                    .await?
                {
                    self.mail_queued().await;
                }
            }
            (None, None) => {}
        }
        self.notices_queued(&notices).await;
        Ok(assignment)
    }

    /// Ends an assignment (it stays in the history); a contact's links stop working.
    pub async fn unassign_request(
        &self,
        editor: &Editor,
        tenant: &Tenant,
        id: i64,
        assignment: i64,
    ) -> Result<(), ServiceError> {
        let request = self.request(tenant, id).await?;
        editor.require(RequestAction::Assign, &request)?;
        let a = self
            .store
            .assignments(id)
            .await?
            .into_iter()
            .find(|a| a.id == assignment)
            .ok_or(ServiceError::NotFound("assignment"))?;
        let by = self.editor_name(editor).await?;
        let to = match a.user_id {
            Some(user) => self.public_name(Some(user)).await?.unwrap_or(a.name),
            None => a.name,
        };
        self.store
            .unassign_request(
                tenant.id,
                id,
                assignment,
                &JournalNote::new("unassigned", &json!({ "by": by, "to": to })),
            )
            .await?;
        Ok(())
    }

    /// Sends a manual notification to contacts of the collective for the object's type (school
    /// head, city hall, education district…), each with a link to answer without an account.
    pub async fn notify_request(
        &self,
        editor: &Editor,
        tenant: &Tenant,
        id: i64,
        contact_ids: &[i64],
        message: &str,
    ) -> Result<usize, ServiceError> {
        let request = self.request(tenant, id).await?;
        editor.require(RequestAction::Notify, &request)?;
        if contact_ids.is_empty() {
            return Err(invalid(
                "contact_ids",
                "choose at least one contact to notify",
                "Choisissez au moins un contact à prévenir.",
            ));
        }
        let message = check_text("message", message, 3, 4000)?;
        let mut contacts = Vec::new();
        for cid in contact_ids {
            let c = self
                .store
                .contact(tenant.id, *cid)
                .await?
                .filter(|c| c.type_key == request.object_type && !c.retired)
                .ok_or_else(|| {
                    invalid(
                        "contact_ids",
                        format!("{cid} is not a contact for {} here", request.object_type),
                        "Ce contact ne s'occupe pas de ce type de lieu ici.",
                    )
                })?;
            if !contacts.iter().any(|x: &Contact| x.id == c.id) {
                contacts.push(c);
            }
        }
        self.mail_budget(id, contacts.len()).await?;
        let by = self.editor_name(editor).await?;
        let subject = Bilingual::new(format!(
            "Vigie: request no. {id} — {} ({})",
            request.shown_title(),
            request.object_name
        ))
        .fr(format!(
            "Vigie : demande n° {id} — {} ({})",
            request.shown_title(),
            request.object_name
        ));
        // The moderator's own words, in whatever language they wrote them.
        let message = Bilingual::new(message);
        let mut sent = 0;
        for c in &contacts {
            if self
                .notify_contact(
                    tenant,
                    &request,
                    c,
                    by.as_deref(),
                    &subject,
                    &message,
                    MailKind::Editor,
                )
                .await?
            {
                sent += 1;
            }
        }
        if sent == 0 {
            return Err(ServiceError::TooMany(
                Bilingual::new(
                    "these contacts already received their share of messages this hour: try later",
                )
                .fr("Ces contacts ont déjà reçu assez de messages cette heure-ci : réessayez plus tard."),
            ));
        }
        Ok(sent)
    }

    /// Refuses before anything is done when `n` more e-mails would pass the request's daily
    /// bound.
    async fn mail_budget(&self, id: i64, n: usize) -> Result<(), ServiceError> {
        let limit = self.settings.requests.notifications_per_request_day;
        let sent = self.store.request_mails_today(id).await?;
        if sent + i64::try_from(n).unwrap_or(i64::MAX) > i64::from(limit) {
            return Err(too_many_mails(limit));
        }
        Ok(())
    }

    /// An answer on the request by someone handling it (e.g. a contact through their link),
    /// public in the journal, optionally with a status change.
    pub async fn answer_request(
        &self,
        editor: &Editor,
        tenant: &Tenant,
        id: i64,
        message: &str,
        status: Option<RequestStatus>,
    ) -> Result<RequestRecord, ServiceError> {
        let request = self.request(tenant, id).await?;
        editor.require(RequestAction::Answer, &request)?;
        if status.is_some_and(|s| s != request.status) {
            editor.require(RequestAction::ChangeStatus, &request)?;
        }
        let message = check_text("message", message, 3, 4000)?;
        let by = self.editor_name(editor).await?;
        // Said by a person's name (a contact's, or an account's public name).
        let name = match editor.user() {
            Some(u) => self
                .store
                .user_by_id(u)
                .await?
                .map(|u| u.display_name.as_str().to_owned()),
            None => by.clone(),
        };
        let notices = self
            .answer_notices(
                tenant,
                &request,
                name.as_deref(),
                &message,
                editor.user().as_slice(),
            )
            .await?;
        self.store
            .journal(
                tenant.id,
                id,
                &JournalNote::new(
                    "answered",
                    &json!({ "by": by, "as": editor.role(), "message": message }),
                )
                .with_notices(notices.clone()),
            )
            .await?;
        self.notices_queued(&notices).await;
        if let Some(to) = status.filter(|s| *s != request.status) {
            not_moderation(to)?;
            return self
                .apply_status(tenant, &request, to, None, (by, editor.user()), false)
                .await;
        }
        self.request(tenant, id).await
    }

    /// "Me too": supports an open request instead of filing the same one again.
    pub async fn support_request(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        id: i64,
    ) -> Result<RequestRecord, ServiceError> {
        let request = self.request(tenant, id).await?;
        let (permit, _) = &self
            .object_permit_for(actor, tenant, request.object_id, Operation::FileRequest)
            .await?;
        if let Some(into) = request.merged_into {
            return Err(ServiceError::Conflict(
                Bilingual::new(format!(
                    "this request was merged into request {into}: support that one"
                ))
                .fr(format!(
                    "Cette demande a été fusionnée dans la demande n° {into} : soutenez celle-là."
                )),
            ));
        }
        if request.status == RequestStatus::New {
            return Err(ServiceError::Conflict(
                Bilingual::new("this request awaits moderation: support it once it is published")
                    .fr("Cette demande attend la modération : soutenez-la une fois publiée."),
            ));
        }
        if !request.status.is_open() {
            return Err(ServiceError::Conflict(
                Bilingual::new(format!(
                    "this request is {}: only open requests can be supported",
                    request.status.as_str()
                ))
                .fr("Seules les demandes encore ouvertes peuvent être soutenues."),
            ));
        }
        if let Some(user) = permit.actor() {
            if request.author_id == Some(user) {
                return Err(ServiceError::Conflict(
                    Bilingual::new("you filed this request: it already counts you")
                        .fr("Vous avez déposé cette demande : elle vous compte déjà."),
                ));
            }
            if self.store.supports(id, user).await? {
                return Err(ServiceError::Conflict(
                    Bilingual::new("you already support this request")
                        .fr("Vous soutenez déjà cette demande."),
                ));
            }
        }
        let by = self.public_name(permit.actor()).await?;
        self.store
            .support_request(
                tenant.id,
                id,
                permit.actor(),
                &JournalNote::new("supported", &json!({ "by": by })),
            )
            .await?;
        if let Some(user) = permit.actor() {
            self.store
                .follow(
                    tenant.id,
                    user,
                    FollowTarget::Request(id),
                    FollowReason::Supported,
                )
                .await?;
        }
        self.badges_touched(tenant.id, [permit.actor()]);
        self.request(tenant, id).await
    }

    /// Merges a duplicate into the request that stays (moderators of the duplicate's object).
    pub async fn merge_request(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        id: i64,
        into: i64,
    ) -> Result<RequestRecord, ServiceError> {
        let source = self.request(tenant, id).await?;
        let permit = &self.moderator_permit(actor, tenant, &source).await?;
        if id == into {
            return Err(invalid(
                "into",
                "a request cannot be merged into itself",
                "Une demande ne peut pas être fusionnée dans elle-même.",
            ));
        }
        let target = self.request(tenant, into).await?;
        if source.merged_into.is_some() {
            return Err(ServiceError::Conflict(
                Bilingual::new("this request was already merged")
                    .fr("Cette demande a déjà été fusionnée."),
            ));
        }
        if target.merged_into.is_some() || !target.status.is_open() {
            return Err(invalid(
                "into",
                format!(
                    "request {into} is {}: merge into an open request",
                    if target.merged_into.is_some() {
                        "itself merged"
                    } else {
                        target.status.as_str()
                    }
                ),
                "Fusionnez dans une demande encore ouverte.",
            ));
        }
        if matches!(
            source.status,
            RequestStatus::Refused | RequestStatus::SetApart
        ) {
            return Err(ServiceError::Conflict(
                Bilingual::new(format!(
                    "a request that is {} stays as it is",
                    source.status.as_str()
                ))
                .fr("Une demande refusée ou mise à l'écart reste telle quelle."),
            ));
        }
        let by = self.public_name(permit.actor()).await?;
        let score = similarity(
            &format!("{} {}", source.title, source.description),
            &format!("{} {}", target.title, target.description),
        );
        self.store
            .merge_request(
                tenant.id,
                id,
                source.status,
                into,
                &JournalNote::new(
                    "merged",
                    &json!({ "by": by, "into": into, "from_status": source.status.as_str() }),
                ),
                &JournalNote::new(
                    "merged_from",
                    &json!({ "by": by, "from": id, "similarity": (score * 100.0).round() / 100.0 }),
                ),
            )
            .await?;
        self.request(tenant, id).await
    }

    /// The comments of a request: for signed-in readers only.
    pub async fn comments(
        &self,
        principal: &Principal,
        tenant: &Tenant,
        id: i64,
    ) -> Result<Vec<Comment>, ServiceError> {
        if principal.user_id().is_none() {
            return Err(ServiceError::Unauthenticated(
                Bilingual::new("comments are for signed-in users: sign in to read them")
                    .fr("Connectez-vous pour lire les commentaires."),
            ));
        }
        let request = self.request(tenant, id).await?;
        // Awaiting moderation, the thread is for those who may read the request.
        if !self
            .may_read_request(principal, None, tenant, &request)
            .await?
        {
            return Ok(Vec::new());
        }
        Ok(self.store.comments(id).await?)
    }

    /// Adds a comment (signed-in users); the journal records that it exists.
    pub async fn add_comment(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        id: i64,
        body: &str,
    ) -> Result<Comment, ServiceError> {
        let request = self.request(tenant, id).await?;
        let (permit, _) = &self
            .object_permit_for(actor, tenant, request.object_id, Operation::Comment)
            .await?;
        if request.status == RequestStatus::New {
            let reader = match permit.actor() {
                Some(id) => Principal::User {
                    id,
                    verified_email: self
                        .store
                        .user_by_id(id)
                        .await?
                        .and_then(|u| u.verified_email().cloned()),
                },
                None => Principal::Anonymous,
            };
            if !self
                .may_read_request(&reader, None, tenant, &request)
                .await?
            {
                return Err(ServiceError::Forbidden(
                    Bilingual::new("this request awaits moderation: comment once it is published")
                        .fr("Cette demande attend la modération : commentez-la une fois publiée."),
                ));
            }
        }
        let author = permit.actor().ok_or_else(|| {
            ServiceError::Unauthenticated(
                Bilingual::new("sign in first: comments need an account")
                    .fr("Connectez-vous d'abord : il faut un compte pour commenter."),
            )
        })?;
        let body = check_text("body", body, 1, 4000)?;
        let by = self.public_name(Some(author)).await?;
        let name = self
            .store
            .user_by_id(author)
            .await?
            .map(|u| u.display_name.as_str().to_owned());
        let notices = self
            .answer_notices(tenant, &request, name.as_deref(), &body, &[author])
            .await?;
        let comment = self
            .store
            .add_comment(
                tenant.id,
                id,
                author,
                &body,
                &JournalNote::new("comment_added", &json!({ "by": by }))
                    .with_notices(notices.clone()),
            )
            .await?;
        self.notices_queued(&notices).await;
        self.badges_touched(tenant.id, [Some(author)]);
        Ok(comment)
    }

    /// Attaches a photo or document to a request (its editors). Photos lose their EXIF/GPS.
    pub async fn attach_to_request(
        &self,
        editor: &Editor,
        tenant: &Tenant,
        id: i64,
        input: DocumentInput,
        bytes: Vec<u8>,
    ) -> Result<Document, ServiceError> {
        let request = self.request(tenant, id).await?;
        editor.require(RequestAction::Attach, &request)?;
        let by = self.editor_name(editor).await?;
        let new = self
            .store_file(
                tenant,
                request.object_id,
                Some(id),
                editor.user(),
                input,
                bytes,
            )
            .await?;
        // The row and its journal entry commit together; the file, written first, is then
        // referenced (a failed commit leaves an unreferenced file, never an unjournaled one).
        Ok(self
            .store
            .insert_request_document(tenant.id, id, &new, |doc| {
                JournalNote::new(
                    "attachment_added",
                    &json!({
                        "by": by,
                        "document": doc,
                        "title": new.title,
                        "content_type": new.content_type,
                        "sha256": new.sha256,
                    }),
                )
            })
            .await?)
    }

    /// The collective's Officials (verified addresses in its official domains), whom a request
    /// can be assigned to: ids and names only.
    pub async fn officials(&self, tenant: &Tenant) -> Result<Vec<(UserId, String)>, ServiceError> {
        let mut out: Vec<(UserId, String)> = Vec::new();
        for domain in &tenant.official_domains {
            for u in self.store.verified_users_in_domain(domain.as_str()).await? {
                // `LIKE` is a first sieve (`_` matches any character): the domain rule decides.
                if u.verified_email().is_some_and(|e| e.belongs_to(domain))
                    && !out.iter().any(|(id, _)| *id == u.id)
                {
                    out.push((u.id, u.display_name.as_str().to_owned()));
                }
            }
        }
        out.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(out)
    }

    /// Contacts of the collective (public view: names and roles).
    pub async fn contacts(
        &self,
        tenant: &Tenant,
        type_key: Option<&ObjectTypeKey>,
    ) -> Result<Vec<Contact>, ServiceError> {
        Ok(self
            .store
            .contacts(tenant.id, type_key.map(ObjectTypeKey::as_str))
            .await?)
    }

    /// Adds a contact requests of a type can be assigned to (the type's Garant, a Guru).
    pub async fn add_contact(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        key: &ObjectTypeKey,
        name: &str,
        role_title: &str,
        email: &str,
    ) -> Result<Contact, ServiceError> {
        let scope = vigie_domain::Scope::ObjectType(tenant.slug.clone(), key.clone());
        let permit = &self
            .permit_for(actor, tenant, scope, Operation::ManageContacts)
            .await?;
        crate::tenants::require_type(tenant, key)?;
        let name = check_text("name", name, 2, 120)?;
        let role_title = check_text("role_title", role_title, 2, 200)?;
        let email = Email::parse(email.trim())?;
        Ok(self
            .store
            .insert_contact(
                tenant.id,
                key.as_str(),
                &name,
                &role_title,
                email.as_str(),
                permit.actor(),
            )
            .await?)
    }

    /// Retires a contact (the type's Garant, a Guru): no longer offered, notified nor
    /// assigned, and their links stop working; the history keeps their name and role. Their
    /// current assignments stay until a moderator ends them.
    pub async fn retire_contact(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        id: i64,
    ) -> Result<Contact, ServiceError> {
        let contact = self
            .store
            .contact(tenant.id, id)
            .await?
            .ok_or(ServiceError::NotFound("contact"))?;
        let key = ObjectTypeKey::parse(&contact.type_key)?;
        let scope = vigie_domain::Scope::ObjectType(tenant.slug.clone(), key);
        self.permit_for(actor, tenant, scope, Operation::ManageContacts)
            .await?;
        self.store
            .retire_contact(tenant.id, id)
            .await?
            .ok_or(ServiceError::NotFound("contact"))
    }

    /// Asks each requester whose reminder date has come whether their request is solved.
    /// Returns how many reminders went out. Run periodically by the server.
    pub async fn send_due_reminders(&self, today: &str) -> Result<usize, ServiceError> {
        let mut sent = 0;
        for (tenant_id, id) in self.store.due_reminders(today).await? {
            let Some(tenant) = self.store.tenant_by_id(tenant_id).await? else {
                continue;
            };
            let Some(request) = self.store.request(tenant_id, id).await? else {
                continue;
            };
            let claimed = self
                .store
                .mark_reminder_sent(
                    tenant_id,
                    id,
                    &JournalNote::new(
                        "reminder_due",
                        &json!({ "reminder_on": request.reminder_on }),
                    ),
                )
                .await?;
            if !claimed {
                continue;
            }
            let token = random_token();
            self.store
                .insert_request_token(id, None, &token_hash(&token), false)
                .await?;
            let link = self.request_link(&tenant, id, Some(&token));
            let letter = |lang: Language| {
                Letter::new(
                    lang,
                    match lang {
                        Language::Fr => format!("Votre demande n° {id} est-elle résolue ?"),
                        Language::En => format!("Is your request no. {id} solved?"),
                    },
                )
                .say(match lang {
                    Language::Fr => format!(
                        "Vous aviez demandé qu'on vous le rappelle : votre demande « {} » est « {} ».",
                        request.title,
                        notices::status(lang, request.status)
                    ),
                    Language::En => format!(
                        "You asked to be reminded: your request \"{}\" is \"{}\".",
                        request.title,
                        notices::status(lang, request.status)
                    ),
                })
                .action(
                    lang.pick("Est-elle résolue ? Dites-le ici", "Is it solved? Say so here"),
                    link.clone(),
                )
                .then(lang.pick(
                    "Ce lien est personnel : ne le partagez pas.",
                    "This link is personal: do not share it.",
                ))
            };
            self.mail_requester(&tenant, &request, &letter).await?;
            sent += 1;
        }
        Ok(sent)
    }

    /// The journal entries of one request.
    pub async fn request_journal(
        &self,
        tenant: &Tenant,
        id: i64,
    ) -> Result<Vec<JournalEntry>, ServiceError> {
        Ok(self.store.request_journal(tenant.id, id).await?)
    }

    /// The whole journal of a collective.
    pub async fn journal(&self, tenant: &Tenant) -> Result<Vec<JournalEntry>, ServiceError> {
        Ok(self.store.journal_entries(tenant.id).await?)
    }

    /// Verifies a collective's journal: every entry's hash from its content and its
    /// predecessor, positions without gaps, and the head (so that removing the newest entries
    /// shows too).
    ///
    /// The head is read first, then the entries up to it, a page at a time: entries and head
    /// are written in one transaction and entries are never changed, so what is read is one
    /// consistent state even while requests are being filed, and the journal is never held
    /// whole in memory.
    pub async fn verify_journal(&self, tenant: &Tenant) -> Result<JournalReport, ServiceError> {
        let head = self.store.journal_head(tenant.id).await?;
        self.verify_journal_from(tenant, ChainVerifier::default(), 0, &head)
            .await
    }

    /// Checks the entries after `v`'s position up to `head`, `entries` being already checked.
    async fn verify_journal_from(
        &self,
        tenant: &Tenant,
        mut v: ChainVerifier,
        mut entries: usize,
        (head_seq, head_hash): &(i64, String),
    ) -> Result<JournalReport, ServiceError> {
        let head_seq = *head_seq;
        let mut broken = None;
        'pages: loop {
            let page = self
                .store
                .journal_page(tenant.id, v.seq(), head_seq, JOURNAL_PAGE)
                .await?;
            if page.is_empty() {
                break;
            }
            for e in &page {
                if let Err(b) = v.push(e) {
                    broken = Some(b);
                    break 'pages;
                }
                entries += 1;
            }
        }
        let broken = broken.or_else(|| v.finish(head_seq, head_hash).err());
        Ok(JournalReport {
            entries,
            head_hash: v.hash().to_owned(),
            broken,
        })
    }

    /// [`Services::verify_journal`] for the public, at the cost of what changed. For
    /// `journal_check_cache_seconds` after a whole check: the same head gets the same verdict
    /// (one small read), and a head that moved on from a sound chain gets only its new entries
    /// checked, from the last hash verified. Past that time the whole chain is checked again
    /// (so that an old entry altered in the database shows within that time). One check runs
    /// at a time; callers that waited reuse its verdict. Returns the report and the head it
    /// verified, `(seq, hash)`, to name it (an `ETag`).
    pub async fn verify_journal_cached(
        &self,
        tenant: &Tenant,
    ) -> Result<(JournalReport, (i64, String)), ServiceError> {
        let ttl = Duration::from_secs(u64::from(
            self.settings.requests.journal_check_cache_seconds,
        ));
        if ttl.is_zero() {
            let head = self.store.journal_head(tenant.id).await?;
            let report = self
                .verify_journal_from(tenant, ChainVerifier::default(), 0, &head)
                .await?;
            return Ok((report, head));
        }
        let _one_at_a_time = self.journal_checks.1.lock().await;
        let head = self.store.journal_head(tenant.id).await?;
        let recent = self
            .journal_checks
            .0
            .lock()
            .ok()
            .and_then(|cache| cache.get(&tenant.id).cloned())
            .filter(|(_, _, at, _)| at.elapsed() < ttl);
        let (report, checked_at) = match recent {
            Some((seq, hash, _, report)) if (seq, &hash) == (head.0, &head.1) => {
                return Ok((report, head));
            }
            Some((seq, hash, at, report)) if report.broken.is_none() && seq < head.0 => {
                let resumed = ChainVerifier::resume(seq, &hash);
                let report = self
                    .verify_journal_from(tenant, resumed, report.entries, &head)
                    .await?;
                (report, at)
            }
            _ => (
                self.verify_journal_from(tenant, ChainVerifier::default(), 0, &head)
                    .await?,
                Instant::now(),
            ),
        };
        if let Ok(mut cache) = self.journal_checks.0.lock() {
            cache.insert(
                tenant.id,
                (head.0, head.1.clone(), checked_at, report.clone()),
            );
        }
        Ok((report, head))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_added_to_dates() {
        assert_eq!(add_months("2026-11-28", 2).as_deref(), Some("2027-01-28"));
        assert_eq!(add_months("2027-12-31", 2).as_deref(), Some("2028-02-29"));
        assert_eq!(add_months("2026-12-31", 2).as_deref(), Some("2027-02-28"));
        assert_eq!(add_months("2026-03-15", 0).as_deref(), Some("2026-03-15"));
        assert_eq!(add_months("garbage", 2), None);
    }

    #[test]
    fn distances() {
        let a = (43.2965, 5.3698);
        assert!(distance_m(a, a) < 0.01);
        let b = (43.3065, 5.3698); // ~1.1 km north
        let d = distance_m(a, b);
        assert!((1100.0..1125.0).contains(&d), "{d}");
    }
}
