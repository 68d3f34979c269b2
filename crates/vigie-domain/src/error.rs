//! The domain's error type: every variant says what is wrong and what to do about it.

/// A rule of the domain was broken by some input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A value does not have the expected shape. `field` names the input, `message` says how
    /// to fix it.
    #[error("{field}: {message}")]
    Invalid {
        /// The input field (API name) that is wrong.
        field: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
}

impl DomainError {
    /// Shorthand for [`DomainError::Invalid`].
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The input field this error is about.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Invalid { field, .. } => field,
        }
    }
}
