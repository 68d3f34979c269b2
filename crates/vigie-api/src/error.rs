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
    /// The anonymous allowance of this client is spent (429, `rate_limited`).
    pub fn rate_limited() -> Self {
        let mut envelope = Self::new(
            "rate_limited",
            "too many anonymous submissions from here: try again in a few minutes, or sign in",
            None,
        );
        envelope.error.message_fr = Some(
            "Trop d'envois sans compte depuis cette adresse : réessayez dans quelques minutes, \
             ou connectez-vous."
                .into(),
        );
        envelope
    }

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

/// The answer to a body larger than its route accepts (413, `payload_too_large`).
pub fn payload_too_large(too_large: vigie_http::TooLarge) -> Response {
    use vigie_http::body_limit::{size_text, size_text_fr};
    let mut envelope = ErrorEnvelope::new(
        "payload_too_large",
        format!(
            "the request body is larger than the {} this route accepts: send a smaller file",
            size_text(too_large.limit)
        ),
        None,
    );
    envelope.error.message_fr = Some(format!(
        "Ce que vous envoyez dépasse les {} acceptés ici : envoyez un fichier plus petit.",
        size_text_fr(too_large.limit)
    ));
    Json(envelope)
        .with_status(StatusCode::PAYLOAD_TOO_LARGE)
        .into_response()
}

/// The answer to an upload that found no free slot (503, `busy`).
pub fn busy() -> Response {
    let mut envelope = ErrorEnvelope::new(
        "busy",
        "too many files are being sent at once: try again in a minute",
        None,
    );
    envelope.error.message_fr =
        Some("Trop de fichiers sont envoyés en même temps : réessayez dans une minute.".into());
    Json(envelope)
        .with_status(StatusCode::SERVICE_UNAVAILABLE)
        .into_response()
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
    /// Not allowed (`forbidden`, `email_not_verified`), or a state-changing call sent from
    /// another site (`cross_site_request`).
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
    /// Too many attempts or a bound reached (`too_many_attempts`, `rate_limited`): wait the
    /// `Retry-After` seconds.
    #[oai(status = 429)]
    TooManyRequests(
        Json<Box<ErrorEnvelope>>,
        /// Seconds to wait before trying again.
        #[oai(header = "Retry-After")]
        u64,
    ),
    /// A fault on our side (`internal`); details are in the server log, not here.
    #[oai(status = 500)]
    Internal(Json<ErrorEnvelope>),
    /// The server cannot answer now: too busy to check a password (`busy`), the database
    /// does not answer (`database_unavailable`) or has no room left (`database_full`), the
    /// file store does not answer (`media_unavailable`); nothing was changed: wait the
    /// `Retry-After` seconds.
    #[oai(status = 503)]
    Busy(
        Json<Box<ErrorEnvelope>>,
        /// Seconds to wait before trying again.
        #[oai(header = "Retry-After")]
        u64,
    ),
}

impl From<vigie_http::NotSignedIn> for ApiError {
    fn from(_: vigie_http::NotSignedIn) -> Self {
        ApiError::unauthenticated()
    }
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
        let env: &mut ErrorEnvelope = match &mut self {
            ApiError::BadRequest(Json(env))
            | ApiError::Unauthenticated(Json(env))
            | ApiError::Forbidden(Json(env))
            | ApiError::NotFound(Json(env))
            | ApiError::Conflict(Json(env))
            | ApiError::Gone(Json(env))
            | ApiError::Internal(Json(env)) => env,
            ApiError::TooManyRequests(Json(env), _) | ApiError::Busy(Json(env), _) => env,
        };
        if fr.is_some() {
            env.error.message_fr = fr;
        }
        self
    }

    fn from_service(e: ServiceError) -> Self {
        let msg = e.to_string();
        let retry_after = e.retry_after_secs().unwrap_or(5);
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
            // Mail bounds count per hour (per address) or per day (per request): try again
            // in an hour at the earliest.
            ServiceError::TooMany(_) => ApiError::TooManyRequests(
                Json(Box::new(ErrorEnvelope::new("rate_limited", msg, None))),
                3600,
            ),
            ServiceError::EmailNotVerified => {
                ApiError::Forbidden(Json(ErrorEnvelope::new("email_not_verified", msg, None)))
            }
            ServiceError::InvalidToken => ApiError::BadRequest(Json(ErrorEnvelope::new(
                "invalid_token",
                msg,
                Some("token"),
            ))),
            ServiceError::TooManyAttempts {
                retry_after_secs, ..
            } => ApiError::TooManyRequests(
                Json(Box::new(ErrorEnvelope::new("too_many_attempts", msg, None))),
                retry_after_secs,
            ),
            ServiceError::Busy { retry_after_secs } => ApiError::Busy(
                Json(Box::new(ErrorEnvelope::new("busy", msg, None))),
                retry_after_secs,
            ),
            ServiceError::Unavailable { code, .. } => ApiError::Busy(
                Json(Box::new(ErrorEnvelope::new(code, msg, None))),
                retry_after,
            ),
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
