//! The use cases' error type.

use vigie_authz::AuthzError;
use vigie_domain::DomainError;
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
    Conflict(String),
    /// Not signed in, or wrong credentials.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Signed in, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// A link token is unknown, used or expired.
    #[error("this link is invalid or has expired: ask for a new one")]
    InvalidToken,
    /// The e-mail address must be verified first.
    #[error("verify your e-mail address first: follow the link we sent you")]
    EmailNotVerified,
    /// Values refused by the type's validators, one problem per field and rule.
    #[error("{}", .0.iter().map(|p| format!("{}: {}", p.field.as_deref().unwrap_or("record"), p.message_en)).collect::<Vec<_>>().join("; "))]
    Rejected(Vec<FieldProblem>),
    /// A fault on our side (database, mail, hashing).
    #[error("internal error: {0}")]
    Internal(String),
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
            } => ServiceError::Unauthenticated("sign in first: this needs an account"),
            AuthzError::Forbidden { .. } => ServiceError::Forbidden(e.to_string()),
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
