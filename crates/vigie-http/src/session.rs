//! Sessions at the HTTP edge: the `vigie_session` cookie, resolved once per request into a
//! [`Caller`] that API handlers and web pages both read. Neither door owns it: the pages and
//! the API take it from here.

use poem::{Endpoint, FromRequest, IntoResponse, Middleware, Request, RequestBody, Response};
use vigie_domain::Principal;
use vigie_services::Services;
use vigie_storage::User;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "vigie_session";

/// Who is calling: the signed-in user, if any.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The user of a live session.
    pub user: Option<User>,
    /// The session token presented (live or not).
    pub token: Option<String>,
}

impl Caller {
    /// The authorization principal.
    pub fn principal(&self) -> Principal {
        Services::principal(self.user.as_ref())
    }

    /// The signed-in user, or [`NotSignedIn`] (each door turns it into its 401).
    pub fn require_user(&self) -> Result<&User, NotSignedIn> {
        self.user.as_ref().ok_or(NotSignedIn)
    }
}

/// The caller is not signed in where an account is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("sign in first")]
pub struct NotSignedIn;

impl<'a> FromRequest<'a> for Caller {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(req
            .extensions()
            .get::<Caller>()
            .cloned()
            .unwrap_or_default())
    }
}

/// Reads a cookie's value from the request headers.
pub fn cookie_value(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(poem::http::header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
}

/// The `Set-Cookie` value that opens a session.
pub fn session_cookie(services: &Services, token: &str, max_age_secs: i64) -> String {
    let secure = if services.settings().public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    )
}

/// The `Set-Cookie` value that ends a session.
pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// Resolves the session cookie into a [`Caller`] request extension.
pub struct SessionMiddleware {
    services: Services,
}

impl SessionMiddleware {
    /// The middleware.
    pub fn new(services: Services) -> Self {
        Self { services }
    }
}

impl<E: Endpoint> Middleware<E> for SessionMiddleware {
    type Output = SessionEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        SessionEndpoint {
            inner: ep,
            services: self.services.clone(),
        }
    }
}

/// The endpoint made by [`SessionMiddleware`].
pub struct SessionEndpoint<E> {
    inner: E,
    services: Services,
}

impl<E: Endpoint> Endpoint for SessionEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Self::Output> {
        let token = cookie_value(&req, SESSION_COOKIE).filter(|t| !t.is_empty());
        let user = match &token {
            // A malformed token cannot be a live session: skip the database.
            Some(t) if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) => {
                match self.services.session_user(t).await {
                    Ok(user) => user,
                    Err(e) => {
                        tracing::error!(error = %e, "session lookup failed");
                        return Ok(unavailable(&req));
                    }
                }
            }
            _ => None,
        };
        req.extensions_mut().insert(Caller { user, token });
        Ok(self.inner.call(req).await?.into_response())
    }
}

/// The answer when the session cannot be looked up because the database does not answer:
/// the error envelope under `/api`, a short page elsewhere; both say to try again.
fn unavailable(req: &Request) -> Response {
    use poem::http::{StatusCode, header};
    let response = if req.uri().path().starts_with("/api/") {
        poem::web::Json(serde_json::json!({"error": {
            "code": "database_unavailable",
            "message": "the database does not answer: try again in a moment",
            "message_fr": "La base de données ne répond pas : réessayez dans un instant.",
        }}))
        .into_response()
    } else {
        poem::web::Html(
            "<!doctype html><html lang=\"fr\"><meta charset=\"utf-8\"><title>Vigie</title>\
             <p>Le service est momentanément indisponible : réessayez dans un instant.</p>\
             <p lang=\"en\">The service is briefly unavailable: try again in a moment.</p></html>",
        )
        .into_response()
    };
    response
        .with_status(StatusCode::SERVICE_UNAVAILABLE)
        .with_header(header::RETRY_AFTER, "5")
        .into_response()
}
