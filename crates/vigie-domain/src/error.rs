//! The domain's error type: every variant says what is wrong and what to do about it.

use std::fmt;

/// A message for people: in English, and in French where its author wrote it. The pages,
/// French first, show the French; the API gives both (`message`, `message_fr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bilingual {
    en: String,
    fr: Option<String>,
}

impl Bilingual {
    /// A message in English only.
    pub fn new(en: impl Into<String>) -> Self {
        Self {
            en: en.into(),
            fr: None,
        }
    }

    /// The same message in French.
    #[must_use]
    pub fn fr(mut self, fr: impl Into<String>) -> Self {
        self.fr = Some(fr.into());
        self
    }

    /// The English text.
    pub fn en(&self) -> &str {
        &self.en
    }

    /// The French text, when written.
    pub fn french(&self) -> Option<&str> {
        self.fr.as_deref()
    }

    /// The text in `lang` (the English one when no French was written).
    pub fn in_language(&self, lang: crate::notify::Language) -> &str {
        match lang {
            crate::notify::Language::Fr => self.fr.as_deref().unwrap_or(&self.en),
            crate::notify::Language::En => &self.en,
        }
    }
}

impl fmt::Display for Bilingual {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

impl From<String> for Bilingual {
    fn from(en: String) -> Self {
        Self::new(en)
    }
}

impl From<&str> for Bilingual {
    fn from(en: &str) -> Self {
        Self::new(en)
    }
}

/// A rule of the domain was broken by some input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A value does not have the expected shape. `field` names the input, `message` says how
    /// to fix it (in English, and in French where written).
    #[error("{field}: {message}")]
    Invalid {
        /// The input field (API name) that is wrong.
        field: &'static str,
        /// What is wrong and how to fix it.
        message: Bilingual,
    },
}

impl DomainError {
    /// Shorthand for [`DomainError::Invalid`], in English; add the French with
    /// [`DomainError::fr`].
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: Bilingual::new(message),
        }
    }

    /// The same error, with its message in French.
    #[must_use]
    pub fn fr(self, text: impl Into<String>) -> Self {
        match self {
            Self::Invalid { field, message } => Self::Invalid {
                field,
                message: message.fr(text),
            },
        }
    }

    /// The input field this error is about.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Invalid { field, .. } => field,
        }
    }

    /// What is wrong and how to fix it.
    pub fn message(&self) -> &Bilingual {
        match self {
            Self::Invalid { message, .. } => message,
        }
    }

    /// What to fix, in French, when written.
    pub fn french(&self) -> Option<&str> {
        self.message().french()
    }
}
