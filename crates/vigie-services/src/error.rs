//! The use cases' error type.

use vigie_authz::AuthzError;
use vigie_domain::{Bilingual, DomainError};
use vigie_mail::MailError;
use vigie_storage::StoreError;

/// Why a use case failed. Each variant maps to one HTTP status at the edge.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Input broke a domain rule; the message says what to fix.
    #[error(transparent)]
    Invalid(#[from] DomainError),
    /// Something named does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The change conflicts with what exists.
    #[error("{0}")]
    Conflict(Bilingual),
    /// Not signed in, or wrong credentials.
    #[error("{0}")]
    Unauthenticated(Bilingual),
    /// Signed in, but not allowed.
    #[error("{0}")]
    Forbidden(Bilingual),
    /// A link token is unknown, used or expired.
    #[error("this link is invalid or has expired: ask for a new one")]
    InvalidToken,
    /// A personal link that worked once no longer does (unused for too long, or withdrawn);
    /// the message says how to get a new one.
    #[error("{0}")]
    LinkExpired(Bilingual),
    /// A bound on what may be done in a while was reached (e-mails about a request).
    #[error("{0}")]
    TooMany(Bilingual),
    /// The e-mail address must be verified first.
    #[error("verify your e-mail address first: follow the link we sent you")]
    EmailNotVerified,
    /// Values refused by the type's validators, one problem per field and rule.
    #[error("{}", .0.iter().map(|p| format!("{}: {}", p.field.as_deref().unwrap_or("record"), p.message_en)).collect::<Vec<_>>().join("; "))]
    Rejected(Vec<FieldProblem>),
    /// Too many attempts from this client or on this account: try again later.
    #[error("{message}")]
    TooManyAttempts {
        /// What to do, in English and French.
        message: Bilingual,
        /// Seconds before an attempt is allowed again.
        retry_after_secs: u64,
    },
    /// Too many password checks at once on the whole server: try again in a moment.
    #[error("the server is busy checking passwords: try again in a few seconds")]
    Busy {
        /// Seconds to wait before trying again.
        retry_after_secs: u64,
    },
    /// Something the server depends on cannot serve now: the database does not answer or
    /// has no room left, the media store does not answer. The write was not made (a file
    /// stored without its row may be left over, never a row without its file); try again in a
    /// moment.
    #[error("{message}")]
    Unavailable {
        /// Stable code: `database_unavailable`, `database_full` or `media_unavailable`.
        code: &'static str,
        /// What happened and what to do, in English and French.
        message: Bilingual,
    },
    /// A fault on our side (database, mail, hashing).
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    /// What went wrong, in French, when its author wrote it (the pages show it; the API gives
    /// it as `message_fr`).
    pub fn french(&self) -> Option<&str> {
        match self {
            ServiceError::Invalid(d) => d.french(),
            ServiceError::Conflict(m)
            | ServiceError::Unauthenticated(m)
            | ServiceError::Forbidden(m)
            | ServiceError::LinkExpired(m)
            | ServiceError::TooMany(m) => m.french(),
            ServiceError::TooManyAttempts { message, .. } => message.french(),
            ServiceError::Unavailable { message, .. } => message.french(),
            ServiceError::Busy { .. } => Some(
                "Le serveur vérifie beaucoup de mots de passe en ce moment : réessayez dans quelques secondes.",
            ),
            _ => None,
        }
    }

    /// How long the client should wait before trying again (the `Retry-After` header), for
    /// the errors that say so.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            ServiceError::TooManyAttempts {
                retry_after_secs, ..
            }
            | ServiceError::Busy { retry_after_secs } => Some(*retry_after_secs),
            ServiceError::Unavailable { .. } => Some(UNAVAILABLE_RETRY_AFTER_SECS),
            _ => None,
        }
    }
}

/// Seconds a client is told to wait (`Retry-After`) when something the server depends on
/// does not answer.
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

impl ServiceError {
    /// The database does not answer (`database_unavailable`).
    pub fn database_unavailable() -> Self {
        ServiceError::Unavailable {
            code: "database_unavailable",
            message: Bilingual::new("the database does not answer: try again in a moment")
                .fr("La base de données ne répond pas : réessayez dans un instant."),
        }
    }

    /// The database has no room left (`database_full`).
    pub fn database_full() -> Self {
        ServiceError::Unavailable {
            code: "database_full",
            message: Bilingual::new(
                "the server has no room left to record this: nothing was changed, try again \
                 later (reading still works)",
            )
            .fr(
                "Le serveur n'a plus de place pour enregistrer cela : rien n'a été changé, \
                 réessayez plus tard (la consultation fonctionne toujours).",
            ),
        }
    }

    /// The media store does not answer (`media_unavailable`).
    pub fn media_unavailable() -> Self {
        ServiceError::Unavailable {
            code: "media_unavailable",
            message: Bilingual::new(
                "the file store does not answer: nothing was recorded, send the file again in \
                 a moment",
            )
            .fr(
                "Le stockage des fichiers ne répond pas : rien n'a été enregistré, renvoyez \
                 le fichier dans un instant.",
            ),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ServiceError::NotFound(what),
            StoreError::Conflict(msg) => ServiceError::Conflict(msg),
            StoreError::Unavailable(e) => {
                tracing::warn!(error = %e, "the database does not answer");
                ServiceError::database_unavailable()
            }
            StoreError::Full(e) => {
                tracing::error!(error = %e, "the database has no room left");
                ServiceError::database_full()
            }
            other => ServiceError::Internal(other.to_string()),
        }
    }
}

impl From<AuthzError> for ServiceError {
    fn from(e: AuthzError) -> Self {
        match e {
            AuthzError::Forbidden {
                anonymous: true, ..
            } => ServiceError::Unauthenticated(
                Bilingual::new("sign in first: this needs an account")
                    .fr("Connectez-vous d'abord : il faut un compte pour cela."),
            ),
            AuthzError::Forbidden { .. } => ServiceError::Forbidden(
                Bilingual::new(e.to_string()).fr("Vous n'avez pas le droit de faire cela ici."),
            ),
            AuthzError::Store(s) => s.into(),
            other => ServiceError::Internal(other.to_string()),
        }
    }
}

impl From<MailError> for ServiceError {
    fn from(e: MailError) -> Self {
        ServiceError::Internal(e.to_string())
    }
}

/// One problem with one proposed value, from the type's validators.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldProblem {
    /// The field, when the rule is about one.
    pub field: Option<String>,
    /// Stable code of the rule.
    pub code: String,
    /// Message in French.
    pub message_fr: String,
    /// Message in English.
    pub message_en: String,
}

impl From<vigie_plugins::wit::Diagnostic> for FieldProblem {
    fn from(d: vigie_plugins::wit::Diagnostic) -> Self {
        Self {
            field: d.field,
            code: d.code,
            message_fr: d.message.fr,
            message_en: d.message.en,
        }
    }
}
