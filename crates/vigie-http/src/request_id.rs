//! Request ids: every request gets one, so that an operator can follow it through the logs
//! (and from a reverse proxy's logs into ours).
//!
//! A well-formed incoming `X-Request-Id` (1 to [`MAX_LEN`] characters among letters, digits,
//! `-`, `_`, `.` and `:`) is kept, as a proxy or a client set it; anything else is replaced by
//! a fresh UUID, so that a client can neither inject text into the logs nor make them grow.
//! The id is returned in the answer's `X-Request-Id`, kept in the request's extensions
//! ([`RequestId`]) and set on a `request` tracing span around the request's work: every log
//! line written while the request is handled (in JSON, under `span.request_id`) carries it.

use poem::http::HeaderValue;
use poem::{Endpoint, FromRequest, IntoResponse, Middleware, Request, RequestBody, Response};
use tracing::Instrument as _;

/// The header read and written.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Longest incoming id kept.
pub const MAX_LEN: usize = 128;

/// The id of the request being handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The request's id from an incoming header value if it is well-formed, else a new one.
    pub fn from_header(value: Option<&HeaderValue>) -> Self {
        match value.and_then(|v| v.to_str().ok()) {
            Some(v) if is_well_formed(v) => Self(v.to_owned()),
            _ => Self(uuid::Uuid::new_v4().to_string()),
        }
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'a> FromRequest<'a> for RequestId {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(req
            .extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId::from_header(None)))
    }
}

/// Whether an incoming id is kept: bounded, and of characters that are safe in a log line,
/// a header and a URL.
pub fn is_well_formed(id: &str) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Gives each request its id (see the module's documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestIdMiddleware;

impl<E: Endpoint> Middleware<E> for RequestIdMiddleware {
    type Output = RequestIdEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        RequestIdEndpoint { inner: ep }
    }
}

/// The endpoint made by [`RequestIdMiddleware`].
pub struct RequestIdEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for RequestIdEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Self::Output> {
        let id = RequestId::from_header(req.headers().get(REQUEST_ID_HEADER));
        let header = HeaderValue::from_str(id.as_str()).ok();
        let span = tracing::info_span!("request", request_id = %id);
        req.extensions_mut().insert(id);
        let result = self.inner.call(req).instrument(span).await;
        let Some(header) = header else {
            return result.map(IntoResponse::into_response);
        };
        match result {
            Ok(resp) => {
                let mut resp = resp.into_response();
                resp.headers_mut().insert(REQUEST_ID_HEADER, header);
                Ok(resp)
            }
            Err(err) => {
                let mut resp = err.into_response();
                resp.headers_mut().insert(REQUEST_ID_HEADER, header);
                Ok(resp)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use poem::{EndpointExt, handler};

    use super::*;

    #[handler]
    fn echo(id: RequestId) -> String {
        tracing::info!("handled");
        id.0
    }

    fn get(id: Option<&str>) -> Request {
        let b = Request::builder().uri(poem::http::Uri::from_static("/"));
        match id {
            Some(id) => b.header(REQUEST_ID_HEADER, id).finish(),
            None => b.finish(),
        }
    }

    fn header(resp: &Response) -> String {
        resp.headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn only_bounded_safe_ids_are_kept() {
        assert!(is_well_formed("f3a1c2d4-0b1e-4c55-9a77-2d0f9b3e1a20"));
        assert!(is_well_formed("ingress:abc.DEF_123"));
        assert!(!is_well_formed(""));
        assert!(!is_well_formed(&"a".repeat(MAX_LEN + 1)));
        assert!(is_well_formed(&"a".repeat(MAX_LEN)));
        for bad in ["a b", "a\"b", "a\nb", "é", "a{b}", "a/b", "<script>"] {
            assert!(!is_well_formed(bad), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn a_good_id_is_kept_a_bad_one_replaced() {
        let ep = echo.with(RequestIdMiddleware);
        let resp = ep.call(get(Some("proxy-42"))).await.unwrap();
        assert_eq!(header(&resp), "proxy-42");
        assert_eq!(resp.into_body().into_string().await.unwrap(), "proxy-42");

        let resp = ep.call(get(Some("x; DROP TABLE"))).await.unwrap();
        let given = header(&resp);
        assert!(uuid::Uuid::parse_str(&given).is_ok(), "{given}");
        assert_eq!(resp.into_body().into_string().await.unwrap(), given);

        let resp = ep.call(get(None)).await.unwrap();
        assert!(
            uuid::Uuid::parse_str(&header(&resp)).is_ok(),
            "an id is made when none is sent"
        );
    }

    #[tokio::test]
    async fn errors_carry_the_id_too() {
        let ep = poem::Route::new().with(RequestIdMiddleware);
        let resp = ep.call(get(Some("lost-1"))).await.unwrap();
        assert_eq!(resp.status(), poem::http::StatusCode::NOT_FOUND);
        assert_eq!(header(&resp), "lost-1");
    }
}
