//! A use case's error about a request, in the page's language.

use poem::http::StatusCode;
use vigie_services::ServiceError;

use crate::Lang;
use crate::page::Page;

/// `write between 3 and 200 characters (now 2)`: a text of the wrong length (English pages put
/// the field's label before it).
pub(crate) fn is_length(msg: &str) -> bool {
    msg.starts_with("write between")
}

/// A use case's error about a request, in the page's language.
pub(crate) fn error_text(page: &Page<'_>, e: &ServiceError) -> (StatusCode, String) {
    let (status, text) = page.error(e);
    let text = match page.lang {
        Lang::Fr => text,
        Lang::En => match e {
            ServiceError::Invalid(d) => match crate::page::field_label(Lang::En, d.field()) {
                "" => text,
                l if is_length(&text) => format!("{l}: {text}"),
                _ => text,
            },
            ServiceError::NotFound(what) => format!("{what} not found"),
            _ => text,
        },
    };
    (status, text)
}

/// A value of a form refused by the page itself, in English and French.
pub(crate) fn invalid(
    field: &'static str,
    en: impl Into<String>,
    fr: impl Into<String>,
) -> ServiceError {
    ServiceError::Invalid(vigie_domain::DomainError::invalid(field, en).fr(fr))
}
