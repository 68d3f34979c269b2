//! Requests for intervention or improvement: their life cycle, their open moderation, the
//! tamper-evident journal of everything done to them, and the French-aware text similarity
//! used to spot duplicates. Pure rules; storage and HTTP live elsewhere.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Filed, waiting for moderation.
    New,
    /// Published by a moderator: public and open.
    Published,
    /// Refused by a moderator (reason public); stays listed.
    Refused,
    /// Set apart as unlawful or abusive (reason public); content behind a warning.
    SetApart,
    /// The authority has seen it.
    Acknowledged,
    /// Work is scheduled.
    Planned,
    /// Work is under way.
    InProgress,
    /// Reported solved.
    Solved,
    /// Reported not solved (after being marked solved, it reopens).
    NotSolved,
    /// Closed without being solved (e.g. out of scope), or merged into another.
    Closed,
}

impl RequestStatus {
    /// Every status.
    pub const ALL: [RequestStatus; 10] = [
        RequestStatus::New,
        RequestStatus::Published,
        RequestStatus::Refused,
        RequestStatus::SetApart,
        RequestStatus::Acknowledged,
        RequestStatus::Planned,
        RequestStatus::InProgress,
        RequestStatus::Solved,
        RequestStatus::NotSolved,
        RequestStatus::Closed,
    ];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::New => "new",
            RequestStatus::Published => "published",
            RequestStatus::Refused => "refused",
            RequestStatus::SetApart => "set_apart",
            RequestStatus::Acknowledged => "acknowledged",
            RequestStatus::Planned => "planned",
            RequestStatus::InProgress => "in_progress",
            RequestStatus::Solved => "solved",
            RequestStatus::NotSolved => "not_solved",
            RequestStatus::Closed => "closed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Its name in French, as messages about a request say it.
    pub fn label_fr(self) -> &'static str {
        match self {
            RequestStatus::New => "en attente de modération",
            RequestStatus::Published => "publiée",
            RequestStatus::Refused => "refusée",
            RequestStatus::SetApart => "mise à l'écart",
            RequestStatus::Acknowledged => "prise en compte",
            RequestStatus::Planned => "programmée",
            RequestStatus::InProgress => "en cours",
            RequestStatus::Solved => "résolue",
            RequestStatus::NotSolved => "non résolue",
            RequestStatus::Closed => "close",
        }
    }

    /// Its name in English.
    pub fn label_en(self) -> &'static str {
        match self {
            RequestStatus::New => "awaiting moderation",
            RequestStatus::Published => "published",
            RequestStatus::Refused => "refused",
            RequestStatus::SetApart => "set apart",
            RequestStatus::Acknowledged => "acknowledged",
            RequestStatus::Planned => "planned",
            RequestStatus::InProgress => "in progress",
            RequestStatus::Solved => "solved",
            RequestStatus::NotSolved => "not solved",
            RequestStatus::Closed => "closed",
        }
    }

    /// Its name in `lang`.
    pub fn label(self, lang: crate::notify::Language) -> &'static str {
        match lang {
            crate::notify::Language::Fr => self.label_fr(),
            crate::notify::Language::En => self.label_en(),
        }
    }

    /// Whether the request is still being handled (duplicates are looked for among these).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            RequestStatus::New
                | RequestStatus::Published
                | RequestStatus::Acknowledged
                | RequestStatus::Planned
                | RequestStatus::InProgress
                | RequestStatus::NotSolved
        )
    }

    /// Whether moving from `self` to `to` is a step of the life cycle. Moderation takes a new
    /// request to published, refused or set apart; a published request moves forward through
    /// acknowledged, planned and in progress (steps may be skipped) to solved, not solved or
    /// closed; anyone may report a solved request as not solved, which reopens it.
    pub fn can_move_to(self, to: RequestStatus) -> bool {
        use RequestStatus as S;
        matches!(
            (self, to),
            (S::New, S::Published | S::Refused | S::SetApart)
                | (
                    S::Published,
                    S::Acknowledged | S::Planned | S::InProgress | S::Solved | S::Closed,
                )
                | (
                    S::Acknowledged,
                    S::Planned | S::InProgress | S::Solved | S::Closed
                )
                | (S::Planned, S::InProgress | S::Solved | S::Closed)
                | (S::InProgress, S::Solved | S::NotSolved | S::Closed)
                | (S::Solved, S::NotSolved | S::Closed)
                | (
                    S::NotSolved,
                    S::Acknowledged | S::Planned | S::InProgress | S::Solved | S::Closed,
                )
        )
    }
}

/// Where a request stands, as far as who may act on it is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Filed, not yet looked at by a moderator (`new`).
    Pending,
    /// Published and being handled, solved included (`published`, `acknowledged`, `planned`,
    /// `in_progress`, `solved`, `not_solved`).
    Open,
    /// Closed after being handled (`closed`, not merged).
    Closed,
    /// Refused or set apart by a moderator.
    Rejected,
    /// Merged into another request.
    Merged,
}

impl Stage {
    /// Every stage.
    pub const ALL: [Stage; 5] = [
        Stage::Pending,
        Stage::Open,
        Stage::Closed,
        Stage::Rejected,
        Stage::Merged,
    ];

    /// The stage of a request in `status`, merged into another or not.
    pub fn of(status: RequestStatus, merged: bool) -> Self {
        use RequestStatus as S;
        match (status, merged) {
            (_, true) => Stage::Merged,
            (S::New, false) => Stage::Pending,
            (S::Refused | S::SetApart, false) => Stage::Rejected,
            (S::Closed, false) => Stage::Closed,
            _ => Stage::Open,
        }
    }
}

/// On what ground someone changes a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EditorKind {
    /// Holds `request.manage` on the object: its Certified citizens, the type's Garant, a Guru.
    Moderator,
    /// Filed it (signed in, or through the personal link).
    Requester,
    /// A user it is assigned to.
    Assignee,
    /// A contact of the collective, through the link of a notification or an assignment.
    Contact,
}

impl EditorKind {
    /// Every kind of editor.
    pub const ALL: [EditorKind; 4] = [
        EditorKind::Moderator,
        EditorKind::Requester,
        EditorKind::Assignee,
        EditorKind::Contact,
    ];
}

/// What an editor does to a request (moderation decisions, re-expression and merges are the
/// moderators' alone and checked by the authorizer; reading is decided apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestAction {
    /// Move it along its life cycle.
    ChangeStatus,
    /// Answer on it, in public.
    Answer,
    /// Attach a photo or a document.
    Attach,
    /// Hand it to someone (and see the Officials one could hand it to), or end an assignment.
    Assign,
    /// E-mail contacts about it.
    Notify,
}

impl RequestAction {
    /// Every action.
    pub const ALL: [RequestAction; 5] = [
        RequestAction::ChangeStatus,
        RequestAction::Answer,
        RequestAction::Attach,
        RequestAction::Assign,
        RequestAction::Notify,
    ];

    /// Its name in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestAction::ChangeStatus => "change its status",
            RequestAction::Answer => "answer it",
            RequestAction::Attach => "attach files to it",
            RequestAction::Assign => "assign it",
            RequestAction::Notify => "notify contacts about it",
        }
    }

    /// Its name in French messages.
    pub fn label_fr(self) -> &'static str {
        match self {
            RequestAction::ChangeStatus => "en changer le statut",
            RequestAction::Answer => "y répondre",
            RequestAction::Attach => "y joindre un fichier",
            RequestAction::Assign => "la confier à quelqu'un",
            RequestAction::Notify => "prévenir des contacts",
        }
    }
}

/// The one table of who may do what to a request, at each stage.
///
/// - Before publication nobody but a moderator reaches anyone: the requester may only add
///   photos to their own request; contacts and assignees (a danger notice reaches contacts
///   before moderation) may answer.
/// - Once published, the requester may move it (mark it solved), attach, notify the type's
///   contacts and hand it to a contact or an Official of the collective; assignees likewise;
///   contacts answer, move it and attach, but do not mail other people.
/// - Closed: moderators may still answer and attach; the others only read.
/// - Refused, set apart or merged: nothing but reading, except for moderators, who may answer
///   and attach.
pub fn editor_may(kind: EditorKind, action: RequestAction, stage: Stage) -> bool {
    use EditorKind as K;
    use RequestAction as A;
    use Stage as St;
    match (kind, stage) {
        (K::Moderator, St::Pending | St::Open) => true,
        (K::Moderator, St::Closed | St::Rejected | St::Merged) => {
            matches!(action, A::Answer | A::Attach)
        }
        (K::Requester, St::Pending) => action == A::Attach,
        (K::Assignee | K::Contact, St::Pending) => action == A::Answer,
        (K::Requester, St::Open) => action != A::Answer,
        (K::Assignee, St::Open) => true,
        (K::Contact, St::Open) => matches!(action, A::ChangeStatus | A::Answer | A::Attach),
        (K::Requester | K::Assignee | K::Contact, St::Closed | St::Rejected | St::Merged) => false,
    }
}

/// How urgent a request is (the plugin's kind gives the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Can wait.
    Low,
    /// The usual.
    Normal,
    /// Soon.
    High,
    /// Immediate danger.
    Maximal,
}

impl Urgency {
    /// Every urgency, lowest first.
    pub const ALL: [Urgency; 4] = [
        Urgency::Low,
        Urgency::Normal,
        Urgency::High,
        Urgency::Maximal,
    ];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Low => "low",
            Urgency::Normal => "normal",
            Urgency::High => "high",
            Urgency::Maximal => "maximal",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.as_str() == s)
    }
}

/// A moderator's decision on a new request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestModeration {
    /// Public and open.
    Publish,
    /// Refused, with a public reason; stays listed.
    Refuse(String),
    /// Set apart as unlawful or abusive, with a public reason; content behind a warning.
    SetApart(String),
}

impl RequestModeration {
    /// Checks a decision (`publish`, `refuse` or `set_apart`): refusing and setting apart need
    /// a reason of 3 to 2000 characters, shown publicly.
    pub fn new(decision: &str, reason: Option<&str>) -> Result<Self, crate::DomainError> {
        let reason = reason.map(str::trim).unwrap_or_default();
        let needs_reason = || {
            let n = reason.chars().count();
            if (3..=2000).contains(&n) {
                Ok(reason.to_owned())
            } else {
                Err(crate::DomainError::invalid(
                    "reason",
                    "refusing or setting apart needs a reason (3 to 2000 characters): it is shown publicly",
                )
                .fr("Pour refuser ou mettre à l'écart, écrivez un motif (3 à 2000 caractères) : il est affiché publiquement."))
            }
        };
        match decision {
            "publish" => Ok(Self::Publish),
            "refuse" => Ok(Self::Refuse(needs_reason()?)),
            "set_apart" => Ok(Self::SetApart(needs_reason()?)),
            other => Err(crate::DomainError::invalid(
                "decision",
                format!("unknown decision '{other}': use publish, refuse or set_apart"),
            )
            .fr("Choisissez : publier, refuser ou mettre à l'écart.")),
        }
    }

    /// The status it leads to.
    pub fn status(&self) -> RequestStatus {
        match self {
            Self::Publish => RequestStatus::Published,
            Self::Refuse(_) => RequestStatus::Refused,
            Self::SetApart(_) => RequestStatus::SetApart,
        }
    }

    /// The public reason.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Publish => None,
            Self::Refuse(r) | Self::SetApart(r) => Some(r),
        }
    }
}

/// Checks a free text of a request: trimmed, between `min` and `max` characters.
pub fn check_text(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<String, crate::DomainError> {
    let v = value.trim();
    let n = v.chars().count();
    if n < min || n > max {
        return Err(crate::DomainError::invalid(
            field,
            format!("write between {min} and {max} characters (now {n})"),
        )
        .fr(format!(
            "écrivez entre {min} et {max} caractères (ici {n})."
        )));
    }
    Ok(v.to_owned())
}

/// Checks the idempotency key a client sends with a submission (a quick report or a
/// contribution kept offline and sent again): 16 to 100 letters, digits, `-` or `_` (a UUID
/// fits), so that it is a random secret of the sender's, not a guessable word.
pub fn check_submission_key(key: &str) -> Result<&str, crate::DomainError> {
    let k = key.trim();
    if (16..=100).contains(&k.len())
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(k)
    } else {
        Err(crate::DomainError::invalid(
            "submission_key",
            "send a random key of 16 to 100 letters, digits, '-' or '_' (e.g. a UUID)",
        )
        .fr("La clé d'envoi doit être aléatoire, de 16 à 100 lettres, chiffres, « - » ou « _ » (un UUID par exemple)."))
    }
}

/// Two texts are likely duplicates from this similarity on.
pub const DUPLICATE_THRESHOLD: f64 = 0.34;

/// One entry of a collective's request journal, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Position in the collective's chain, from 1.
    pub seq: i64,
    /// The request.
    pub request_id: i64,
    /// What happened (`filed`, `published`, `status_changed`, `comment_added`, …).
    pub action: String,
    /// Public details, canonical JSON text.
    pub details: String,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// Hash of the previous entry (64 zeros for the first).
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

/// The hash of the first entry's predecessor.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash chaining an entry to its predecessor: SHA-256 over the previous hash and every
/// field, each length-prefixed so that no two different entries hash alike.
pub fn journal_hash(
    prev_hash: &str,
    seq: i64,
    request_id: i64,
    action: &str,
    details: &str,
    at: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        prev_hash,
        &seq.to_string(),
        &request_id.to_string(),
        action,
        details,
        at,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Where and why a journal chain does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("journal entry {seq} does not verify: {reason}")]
pub struct ChainBreak {
    /// The first entry that fails.
    pub seq: i64,
    /// Why.
    pub reason: String,
}

/// Verifies a chain one entry at a time, so that a long journal is checked as it is read,
/// never held whole in memory.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    prev: String,
    seq: i64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            prev: GENESIS_HASH.to_owned(),
            seq: 0,
        }
    }
}

impl ChainVerifier {
    /// Checks the next entry: its position follows, its `prev_hash` is its predecessor's hash,
    /// its hash is recomputed from its content.
    pub fn push(&mut self, e: &JournalEntry) -> Result<(), ChainBreak> {
        let expected_seq = self.seq + 1;
        let fail = |reason: String| Err(ChainBreak { seq: e.seq, reason });
        if e.seq != expected_seq {
            return fail(format!(
                "expected position {expected_seq}: an entry is missing or inserted"
            ));
        }
        if e.prev_hash != self.prev {
            return fail("it does not follow the previous entry (its link was changed)".into());
        }
        let recomputed = journal_hash(
            &e.prev_hash,
            e.seq,
            e.request_id,
            &e.action,
            &e.details,
            &e.at,
        );
        if recomputed != e.hash {
            return fail("its content was changed after it was written".into());
        }
        self.prev.clone_from(&e.hash);
        self.seq = e.seq;
        Ok(())
    }

    /// Goes on from an entry already verified: position `seq`, hash `hash`.
    pub fn resume(seq: i64, hash: &str) -> Self {
        Self {
            prev: hash.to_owned(),
            seq,
        }
    }

    /// Position of the last entry checked (0 before any).
    pub fn seq(&self) -> i64 {
        self.seq
    }

    /// Hash of the last entry checked (genesis before any).
    pub fn hash(&self) -> &str {
        &self.prev
    }

    /// Checks that the chain read ends where the collective's head says it does; a chain that
    /// stops short means its newest entries were removed or changed.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<(), ChainBreak> {
        if self.seq != head_seq || self.prev != head_hash {
            return Err(ChainBreak {
                seq: self.seq + 1,
                reason: format!(
                    "the chain ends at entry {} but {head_seq} entries were written: \
                     the newest ones were removed or changed",
                    self.seq
                ),
            });
        }
        Ok(())
    }
}

/// Verifies a collective's journal, entries in order: sequence without gaps, each entry's
/// `prev_hash` equal to its predecessor's hash, each hash recomputed from the content.
pub fn verify_journal(entries: &[JournalEntry]) -> Result<(), ChainBreak> {
    let mut v = ChainVerifier::default();
    entries.iter().try_for_each(|e| v.push(e))
}

/// Builds the next entry of a chain.
pub fn next_entry(
    prev: Option<&JournalEntry>,
    request_id: i64,
    action: &str,
    details: &str,
    at: &str,
) -> JournalEntry {
    let (seq, prev_hash) = prev.map_or((1, GENESIS_HASH.to_owned()), |p| {
        (p.seq + 1, p.hash.clone())
    });
    JournalEntry {
        seq,
        request_id,
        action: action.to_owned(),
        details: details.to_owned(),
        at: at.to_owned(),
        hash: journal_hash(&prev_hash, seq, request_id, action, details, at),
        prev_hash,
    }
}

/// French words too common to tell two requests apart.
const STOP_WORDS: [&str; 64] = [
    "a", "au", "aux", "avec", "ce", "ces", "dans", "de", "des", "du", "elle", "en", "et", "eux",
    "il", "ils", "je", "la", "le", "les", "leur", "lui", "ma", "mais", "me", "meme", "mes", "moi",
    "mon", "ne", "nos", "notre", "nous", "on", "ou", "par", "pas", "pour", "qu", "que", "qui",
    "sa", "se", "ses", "son", "sur", "ta", "te", "tes", "toi", "ton", "tu", "un", "une", "vos",
    "votre", "vous", "y", "est", "sont", "plus", "tres", "depuis", "cette",
];

fn fold(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' | 'á' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' => 'i',
        'ô' | 'ö' => 'o',
        'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ÿ' => 'y',
        other => other,
    }
}

/// A light French stemmer: strips the commonest inflections so that « cassée », « cassés » and
/// « casse » meet, and « fuites » meets « fuite ».
fn stem(word: &str) -> String {
    let mut w = word.to_owned();
    for suffix in [
        "issements",
        "issement",
        "ements",
        "ement",
        "ations",
        "ation",
        "ateurs",
        "ateur",
        "euses",
        "euse",
        "ables",
        "able",
        "ees",
        "ee",
        "es",
        "er",
        "ez",
        "e",
        "s",
        "x",
    ] {
        if w.len() > suffix.len() + 2 && w.ends_with(suffix) {
            w.truncate(w.len() - suffix.len());
            break;
        }
    }
    w
}

/// The stems of a text that carry meaning: lowercase, accents folded, stop words dropped.
pub fn stems(text: &str) -> Vec<String> {
    let folded: String = text
        .chars()
        .flat_map(char::to_lowercase)
        .map(fold)
        .collect();
    let mut out: Vec<String> = folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() > 1 && !STOP_WORDS.contains(w))
        .map(stem)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// How alike two texts are, from 0 (nothing in common) to 1 (same meaningful stems): the
/// Dice coefficient of their stem sets.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (stems(a), stems(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let common = a.iter().filter(|s| b.binary_search(s).is_ok()).count();
    2.0 * common as f64 / (a.len() + b.len()) as f64
}

/// The version of [`stems`]: bump it whenever stemming changes, and the stems the store keeps
/// for each request are computed again at start-up.
pub const STEMS_VERSION: i64 = 1;

/// The text a request is compared by: its requester's title, and the title and description
/// shown (the moderator's re-expression, when there is one).
pub fn request_text(title: &str, shown_title: &str, shown_description: &str) -> String {
    format!("{title} {shown_title} {shown_description}")
}

/// [`similarity`] from counts: the Dice coefficient of two stem sets of sizes `a` and `b`
/// with `common` stems in common. Equal, bit for bit, to what [`similarity`] computes.
pub fn dice(common: usize, a: usize, b: usize) -> f64 {
    if a == 0 || b == 0 {
        return 0.0;
    }
    2.0 * common as f64 / (a + b) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dice_is_similarity_from_counts() {
        for (a, b) in [
            (
                "Toilettes bouchées",
                "Les toilettes des garçons sont bouchées",
            ),
            ("Fuite au plafond", "Toilettes bouchées"),
            ("", "Toilettes"),
        ] {
            let (sa, sb) = (stems(a), stems(b));
            let common = sa.iter().filter(|s| sb.contains(s)).count();
            assert_eq!(dice(common, sa.len(), sb.len()), similarity(a, b));
        }
    }

    #[test]
    fn life_cycle() {
        use RequestStatus as S;
        assert!(S::New.can_move_to(S::Published));
        assert!(S::New.can_move_to(S::SetApart));
        assert!(!S::New.can_move_to(S::Solved), "moderation first");
        assert!(S::Published.can_move_to(S::Acknowledged));
        assert!(
            S::Acknowledged.can_move_to(S::InProgress),
            "steps may be skipped"
        );
        assert!(
            S::Solved.can_move_to(S::NotSolved),
            "reported not solved: reopens"
        );
        assert!(S::NotSolved.can_move_to(S::InProgress));
        assert!(!S::Refused.can_move_to(S::Published), "a refusal stands");
        assert!(!S::Closed.can_move_to(S::Published));
        for s in S::ALL {
            assert!(!s.can_move_to(s), "{s:?} to itself");
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
        assert!(S::NotSolved.is_open() && !S::Solved.is_open() && !S::Refused.is_open());
    }

    fn chain(n: i64) -> Vec<JournalEntry> {
        let mut out: Vec<JournalEntry> = Vec::new();
        for i in 0..n {
            let e = next_entry(
                out.last(),
                7,
                "status_changed",
                &format!("{{\"to\":\"s{i}\"}}"),
                "2026-11-28T10:00:00.000000Z",
            );
            out.push(e);
        }
        out
    }

    #[test]
    fn journal_verifies_and_points_at_tampering() {
        let good = chain(5);
        assert_eq!(verify_journal(&good), Ok(()));
        assert_eq!(good[0].prev_hash, GENESIS_HASH);

        let mut edited = good.clone();
        edited[2].details = "{\"to\":\"solved\"}".into();
        assert_eq!(verify_journal(&edited).unwrap_err().seq, 3);

        let mut missing = good.clone();
        missing.remove(1);
        assert_eq!(verify_journal(&missing).unwrap_err().seq, 3);

        // Re-hashing one entry does not help: the next one no longer follows it.
        let mut rehashed = edited;
        let e = &rehashed[2];
        rehashed[2].hash = journal_hash(
            &e.prev_hash,
            e.seq,
            e.request_id,
            &e.action,
            &e.details,
            &e.at,
        );
        assert_eq!(verify_journal(&rehashed).unwrap_err().seq, 4);
    }

    #[test]
    fn the_chain_is_checked_against_its_head() {
        let good = chain(3);
        let mut v = ChainVerifier::default();
        for e in &good {
            v.push(e).unwrap();
        }
        assert_eq!(v.finish(3, &good[2].hash), Ok(()));
        let short = v.finish(4, "ff").unwrap_err();
        assert_eq!(short.seq, 4, "{short}");
        assert!(short.reason.contains("removed"));
        assert_eq!(ChainVerifier::default().finish(0, GENESIS_HASH), Ok(()));
        // Resumed after entry 2, only entry 3 is read.
        let mut resumed = ChainVerifier::resume(2, &good[1].hash);
        resumed.push(&good[2]).unwrap();
        assert_eq!(resumed.finish(3, &good[2].hash), Ok(()));
        let mut wrong = ChainVerifier::resume(2, &good[0].hash);
        assert_eq!(wrong.push(&good[2]).unwrap_err().seq, 3);
    }

    #[test]
    fn stages() {
        use RequestStatus as S;
        assert_eq!(Stage::of(S::New, false), Stage::Pending);
        assert_eq!(Stage::of(S::Solved, false), Stage::Open);
        assert_eq!(Stage::of(S::Closed, false), Stage::Closed);
        assert_eq!(Stage::of(S::Closed, true), Stage::Merged);
        assert_eq!(Stage::of(S::Refused, false), Stage::Rejected);
        assert_eq!(Stage::of(S::SetApart, false), Stage::Rejected);
        for s in S::ALL {
            let _ = Stage::of(s, false);
        }
    }

    /// The whole table, written out: any change to who may do what shows here.
    #[test]
    fn who_may_do_what_at_each_stage() {
        use EditorKind as K;
        use RequestAction as A;
        use Stage as St;
        // For each (kind, stage): the actions allowed, in `RequestAction::ALL` order
        // (status, answer, attach, assign, notify).
        let table: [(K, St, [bool; 5]); 20] = [
            (K::Moderator, St::Pending, [true, true, true, true, true]),
            (K::Moderator, St::Open, [true, true, true, true, true]),
            (K::Moderator, St::Closed, [false, true, true, false, false]),
            (
                K::Moderator,
                St::Rejected,
                [false, true, true, false, false],
            ),
            (K::Moderator, St::Merged, [false, true, true, false, false]),
            (
                K::Requester,
                St::Pending,
                [false, false, true, false, false],
            ),
            (K::Requester, St::Open, [true, false, true, true, true]),
            (K::Requester, St::Closed, [false; 5]),
            (K::Requester, St::Rejected, [false; 5]),
            (K::Requester, St::Merged, [false; 5]),
            (K::Assignee, St::Pending, [false, true, false, false, false]),
            (K::Assignee, St::Open, [true; 5]),
            (K::Assignee, St::Closed, [false; 5]),
            (K::Assignee, St::Rejected, [false; 5]),
            (K::Assignee, St::Merged, [false; 5]),
            (K::Contact, St::Pending, [false, true, false, false, false]),
            (K::Contact, St::Open, [true, true, true, false, false]),
            (K::Contact, St::Closed, [false; 5]),
            (K::Contact, St::Rejected, [false; 5]),
            (K::Contact, St::Merged, [false; 5]),
        ];
        let mut seen = 0;
        for kind in K::ALL {
            for stage in St::ALL {
                let (_, _, row) = table
                    .iter()
                    .find(|(k, s, _)| *k == kind && *s == stage)
                    .unwrap();
                for (action, allowed) in A::ALL.into_iter().zip(row) {
                    assert_eq!(
                        editor_may(kind, action, stage),
                        *allowed,
                        "{kind:?} {action:?} {stage:?}"
                    );
                    seen += 1;
                }
            }
        }
        assert_eq!(seen, 4 * 5 * 5);
        // Nobody but a moderator does anything to a refused, set apart or merged request.
        for kind in [K::Requester, K::Assignee, K::Contact] {
            for stage in [St::Rejected, St::Merged] {
                assert!(A::ALL.into_iter().all(|a| !editor_may(kind, a, stage)));
            }
        }
        // Before publication, nobody but a moderator mails or assigns anyone.
        for kind in [K::Requester, K::Assignee, K::Contact] {
            assert!(!editor_may(kind, A::Notify, St::Pending));
            assert!(!editor_may(kind, A::Assign, St::Pending));
        }
    }

    #[test]
    fn french_aware_similarity() {
        let a = "Jeux de la cour cassés";
        let b = "Le jeu de cour est cassé depuis lundi";
        let c = "Fuite d'eau dans les toilettes";
        assert!(similarity(a, b) > 0.5, "{}", similarity(a, b));
        assert!(similarity(a, c) < 0.1);
        assert!(similarity("Toilettes bouchées", "toilette bouchee") > 0.99);
        assert_eq!(similarity("", "x"), 0.0);
        assert_eq!(stems("Les FUITES, des fuites !"), ["fuit"]);
    }

    #[test]
    fn submission_keys_are_random_looking_secrets() {
        assert_eq!(
            check_submission_key(" 0b0e6c9a-3f1d-4c59-9d2e-7f3a1b2c4d5e ").unwrap(),
            "0b0e6c9a-3f1d-4c59-9d2e-7f3a1b2c4d5e"
        );
        assert!(check_submission_key("abc_DEF-0123456789").is_ok());
        for bad in [
            "",
            "short",
            "0b0e6c9a 3f1d 4c59",
            "é0b0e6c9a3f1d4c59",
            &"a".repeat(101),
        ] {
            let e = check_submission_key(bad).unwrap_err();
            assert_eq!(e.field(), "submission_key", "{bad:?}");
        }
    }
}
