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
            _ => None,
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ServiceError::NotFound(what),
            StoreError::Conflict(msg) => ServiceError::Conflict(msg),
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
