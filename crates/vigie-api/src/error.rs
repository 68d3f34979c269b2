//! The one error envelope of the API.
//!
//! Every failure answers `{"error": {"code", "message", "message_fr"?, "field"?}}` with a stable
//! snake_case `code`. Use-case errors map to a status in [`ApiError::from`]; errors raised by
//! poem before a handler runs (bad JSON, bad path, wrong content type, unknown route) are rewritten into the
//! same envelope by [`envelope_for_poem_error`].

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::{ApiResponse, Object, payload::Json};
use vigie_services::ServiceError;

/// The body of every error.
#[derive(Debug, Clone, Object)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}

/// What went wrong and how to fix it.
#[derive(Debug, Clone, Object)]
pub struct ErrorBody {
    /// Stable machine-readable code, snake_case (e.g. `invalid_input`, `not_found`).
    pub code: String,
    /// Human-readable explanation that says what to fix.
    pub message: String,
    /// The same in French, where the platform says it in French (the pages' language).
    #[oai(skip_serializing_if_is_none)]
    pub message_fr: Option<String>,
    /// The input field at fault, when there is one.
    #[oai(skip_serializing_if_is_none)]
    pub field: Option<String>,
    /// One entry per refused value, when the object type's validators refused several.
    #[oai(skip_serializing_if_is_empty)]
    pub details: Vec<ErrorDetail>,
}

/// One refused value: which field, which rule, why (in English and French).
#[derive(Debug, Clone, Object)]
pub struct ErrorDetail {
    /// The field; absent for a rule about the whole record.
    #[oai(skip_serializing_if_is_none)]
    pub field: Option<String>,
    /// Stable code of the rule, e.g. `atsem-exceeds-nursery-classes`.
    pub code: String,
    /// Why, in English.
    pub message: String,
    /// Why, in French.
    pub message_fr: String,
}

impl ErrorEnvelope {
    /// Builds an envelope.
    pub fn new(code: &str, message: impl Into<String>, field: Option<&str>) -> Self {
        Self {
            error: ErrorBody {
                code: code.into(),
                message: message.into(),
                message_fr: None,
                field: field.map(str::to_owned),
                details: Vec::new(),
            },
        }
    }
}

/// Every error the API answers with.
#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request is malformed or a value breaks a rule (`invalid_input`, `invalid_token`).
    #[oai(status = 400)]
    BadRequest(Json<ErrorEnvelope>),
    /// Not signed in, or wrong credentials (`unauthenticated`).
    #[oai(status = 401)]
    Unauthenticated(Json<ErrorEnvelope>),
    /// Signed in but not allowed (`forbidden`, `email_not_verified`).
    #[oai(status = 403)]
    Forbidden(Json<ErrorEnvelope>),
    /// Nothing there (`not_found`).
    #[oai(status = 404)]
    NotFound(Json<ErrorEnvelope>),
    /// The change conflicts with what exists (`conflict`).
    #[oai(status = 409)]
    Conflict(Json<ErrorEnvelope>),
    /// A personal link that no longer works (`link_expired`); the message says how to get a
    /// new one.
    #[oai(status = 410)]
    Gone(Json<ErrorEnvelope>),
    /// A bound was reached (`rate_limited`); try again later.
    #[oai(status = 429)]
    TooMany(Json<ErrorEnvelope>),
    /// A fault on our side (`internal`); details are in the server log, not here.
    #[oai(status = 500)]
    Internal(Json<ErrorEnvelope>),
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let fr = e.french().map(str::to_owned);
        ApiError::from_service(e).with_french(fr)
    }
}

impl ApiError {
    /// 400 `invalid_input` about one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::BadRequest(Json(ErrorEnvelope::new(
            "invalid_input",
            message,
            Some(field),
        )))
    }

    /// 401 `unauthenticated`.
    pub fn unauthenticated() -> Self {
        ApiError::Unauthenticated(Json(ErrorEnvelope::new(
            "unauthenticated",
            "sign in first: POST /api/v1/session",
            None,
        )))
    }

    /// The same error, said in French too (`message_fr`).
    #[must_use]
    pub fn fr(self, text: &str) -> Self {
        self.with_french(Some(text.to_owned()))
    }

    /// The same error with its French message, when there is one.
    fn with_french(mut self, fr: Option<String>) -> Self {
        let (ApiError::BadRequest(Json(env))
        | ApiError::Unauthenticated(Json(env))
        | ApiError::Forbidden(Json(env))
        | ApiError::NotFound(Json(env))
        | ApiError::Conflict(Json(env))
        | ApiError::Gone(Json(env))
        | ApiError::TooMany(Json(env))
        | ApiError::Internal(Json(env))) = &mut self;
        if fr.is_some() {
            env.error.message_fr = fr;
        }
        self
    }

    fn from_service(e: ServiceError) -> Self {
        let msg = e.to_string();
        match e {
            ServiceError::Invalid(d) => ApiError::invalid(d.field(), msg),
            ServiceError::Rejected(problems) => {
                let mut env = ErrorEnvelope::new(
                    "invalid_input",
                    "the object type's rules refuse these values: see details",
                    problems.first().and_then(|p| p.field.as_deref()),
                );
                env.error.message_fr = Some(
                    "Les règles de ce type de lieu refusent ces valeurs : voir les détails.".into(),
                );
                env.error.details = problems
                    .into_iter()
                    .map(|p| ErrorDetail {
                        field: p.field,
                        code: p.code,
                        message: p.message_en,
                        message_fr: p.message_fr,
                    })
                    .collect();
                ApiError::BadRequest(Json(env))
            }
            ServiceError::NotFound(_) => {
                ApiError::NotFound(Json(ErrorEnvelope::new("not_found", msg, None)))
            }
            ServiceError::Conflict(_) => {
                ApiError::Conflict(Json(ErrorEnvelope::new("conflict", msg, None)))
            }
            ServiceError::Unauthenticated(_) => {
                ApiError::Unauthenticated(Json(ErrorEnvelope::new("unauthenticated", msg, None)))
            }
            ServiceError::Forbidden(_) => {
                ApiError::Forbidden(Json(ErrorEnvelope::new("forbidden", msg, None)))
            }
            ServiceError::LinkExpired(_) => {
                ApiError::Gone(Json(ErrorEnvelope::new("link_expired", msg, Some("token"))))
            }
            ServiceError::TooMany(_) => {
                ApiError::TooMany(Json(ErrorEnvelope::new("rate_limited", msg, None)))
            }
            ServiceError::EmailNotVerified => {
                ApiError::Forbidden(Json(ErrorEnvelope::new("email_not_verified", msg, None)))
            }
            ServiceError::InvalidToken => ApiError::BadRequest(Json(ErrorEnvelope::new(
                "invalid_token",
                msg,
                Some("token"),
            ))),
            ServiceError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                ApiError::Internal(Json(ErrorEnvelope::new(
                    "internal",
                    "something went wrong on our side; it has been logged",
                    None,
                )))
            }
        }
    }
}

/// Rewrites any error poem produced outside a handler into the envelope.
pub async fn envelope_for_poem_error(err: poem::Error) -> Response {
    use poem_openapi::error::{
        ContentTypeError, ParseMultipartError, ParseParamError, ParsePathError,
        ParseRequestPayloadError,
    };
    if err.is_from_response() {
        // A handler's own answer (already an envelope), passed through as an error.
        return err.into_response();
    }
    let status = err.status();
    let (code, message, field) = if let Some(e) = err.downcast_ref::<ParseRequestPayloadError>() {
        (
            "invalid_body",
            format!("the request body is not valid: {}", e.reason),
            None,
        )
    } else if let Some(e) = err.downcast_ref::<ParseParamError>() {
        (
            "invalid_parameter",
            format!("parameter `{}` is not valid: {}", e.name, e.reason),
            Some(e.name),
        )
    } else if let Some(e) = err.downcast_ref::<ParsePathError>() {
        (
            "invalid_parameter",
            format!("path segment `{}` is not valid: {}", e.name, e.reason),
            Some(e.name),
        )
    } else if let Some(e) = err.downcast_ref::<ParseMultipartError>() {
        (
            "invalid_body",
            format!("the form is not valid: {}", e.reason),
            None,
        )
    } else if let Some(e) = err.downcast_ref::<ContentTypeError>() {
        (
            "unsupported_content_type",
            format!("{e}; send JSON with `Content-Type: application/json`"),
            None,
        )
    } else {
        match status {
            StatusCode::NOT_FOUND => ("not_found", "no such API route".to_owned(), None),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                "this route does not accept this HTTP method".to_owned(),
                None,
            ),
            s if s.is_client_error() => ("bad_request", err.to_string(), None),
            _ => {
                tracing::error!(error = %err, "unhandled error");
                (
                    "internal",
                    "something went wrong on our side; it has been logged".to_owned(),
                    None,
                )
            }
        }
    };
    let status = if status.is_success() {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        status
    };
    let body = serde_json::json!({
        "error": match field {
            Some(f) => serde_json::json!({"code": code, "message": message, "field": f}),
            None => serde_json::json!({"code": code, "message": message}),
        }
    });
    poem::web::Json(body).with_status(status).into_response()
}
