//! Security headers on every response.
//!
//! [`SecurityHeaders`] adds to every answer, pages, API and files alike:
//!
//! - `Content-Security-Policy`: [`PAGE_POLICY`] — scripts, styles, fonts and fetches from this
//!   origin only, never `unsafe-inline` (the pages' scripts and styles are static files with
//!   content hashes in their names); no plugins, no `<base>`, forms post to this origin only,
//!   no framing. A route may carry its own, narrower exception ([`SecurityHeaders::with_policy_for`]),
//!   and a response that already has a policy (an uploaded file served with `sandbox`) keeps it.
//! - `X-Content-Type-Options: nosniff`: a file is taken for the type it is served with.
//! - `X-Frame-Options: DENY`: no framing, for browsers that ignore `frame-ancestors`.
//! - `Referrer-Policy: same-origin`: personal links carry `?token=` in their URL; the full URL
//!   goes only to this server, other sites get no `Referer` at all. (`same-origin` rather than
//!   `no-referrer` so that the browser still sends a real `Origin` with this server's own form
//!   posts, which the cross-site guard checks; `no-referrer` turns it into `null`.)
//! - `Cross-Origin-Opener-Policy: same-origin`: another site that opened a page keeps no handle
//!   on it.

use poem::http::HeaderValue;
use poem::http::header::{self, HeaderName};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};

/// The policy of every page and answer.
pub const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The policy of an uploaded file served back: no script runs, nothing loads, as if it came
/// from an origin of its own (`sandbox`), and it cannot be framed.
pub const FILE_POLICY: &str = "default-src 'none'; img-src 'self'; sandbox; frame-ancestors 'none'";

/// The `Referrer-Policy` of every answer.
pub const REFERRER_POLICY: &str = "same-origin";

/// Adds the security headers to every response (see the module docs).
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    policy: HeaderValue,
    exceptions: Vec<(String, HeaderValue)>,
}

/// A response header that a page sets to load images from one more origin (a collective's
/// own map tiles, e.g. `https://tiles.example.org`): [`SecurityHeaders`] adds it to the
/// page's `img-src` and removes the header.
pub const IMAGE_ORIGIN: HeaderName = HeaderName::from_static("vigie-image-origin");

/// `policy` with `origin` added to its `img-src`; `None` if the origin could widen anything
/// else (a `;`, `,` or quote) or would not make a valid header.
fn with_image_origin(policy: &HeaderValue, origin: &str) -> Option<HeaderValue> {
    if origin.is_empty() || origin.contains([';', ',', '\'', '"', ' ']) {
        return None;
    }
    let policy = policy.to_str().ok()?;
    let (head, tail) = policy.split_once("img-src ")?;
    let (sources, rest) = tail.split_once(';')?;
    if sources.split(' ').any(|s| s == origin) {
        return HeaderValue::from_str(policy).ok();
    }
    HeaderValue::from_str(&format!("{head}img-src {sources} {origin};{rest}")).ok()
}

impl Default for SecurityHeaders {
    fn default() -> Self {
        Self::new()
    }
}

impl SecurityHeaders {
    /// The headers with [`PAGE_POLICY`] everywhere.
    pub fn new() -> Self {
        Self {
            policy: HeaderValue::from_static(PAGE_POLICY),
            exceptions: Vec::new(),
        }
    }

    /// Lets the pages load images from `origin` too (`https://tile.openstreetmap.org`: the
    /// map's background tiles). An origin that would not make a valid header is left out
    /// (and logged).
    pub fn with_image_origin(mut self, origin: &str) -> Self {
        match with_image_origin(&self.policy, origin) {
            Some(value) => self.policy = value,
            None => tracing::error!(origin, "invalid image origin left out of the policy"),
        }
        self
    }

    /// Serves the paths under `prefix` (the path itself and `prefix/…`) with `policy` instead
    /// of [`PAGE_POLICY`]. A policy that is not a valid header value is left out (and logged).
    pub fn with_policy_for(mut self, prefix: &str, policy: &str) -> Self {
        match HeaderValue::from_str(policy) {
            Ok(value) => self
                .exceptions
                .push((prefix.trim_end_matches('/').to_owned(), value)),
            Err(_) => tracing::error!(prefix, "invalid Content-Security-Policy left out"),
        }
        self
    }

    /// The policy for a request path.
    pub fn policy_for(&self, path: &str) -> &HeaderValue {
        self.exceptions
            .iter()
            .find(|(prefix, _)| {
                path.strip_prefix(prefix.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .map_or(&self.policy, |(_, policy)| policy)
    }
}

impl<E: Endpoint> Middleware<E> for SecurityHeaders {
    type Output = SecurityHeadersEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        SecurityHeadersEndpoint {
            headers: self.clone(),
            inner,
        }
    }
}

/// The endpoint [`SecurityHeaders`] wraps.
pub struct SecurityHeadersEndpoint<E> {
    headers: SecurityHeaders,
    inner: E,
}

impl<E: Endpoint> Endpoint for SecurityHeadersEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Self::Output> {
        let policy = self.headers.policy_for(req.uri().path()).clone();
        let mut response = match self.inner.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        let h = response.headers_mut();
        // A page whose images come from one more origin (a collective's own map tiles).
        let policy = match h.remove(IMAGE_ORIGIN) {
            Some(origin) => origin
                .to_str()
                .ok()
                .and_then(|origin| with_image_origin(&policy, origin))
                .unwrap_or(policy),
            None => policy,
        };
        if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
            h.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static(REFERRER_POLICY),
        );
        h.insert(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        );
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_policy_never_allows_inline_code() {
        assert!(!PAGE_POLICY.contains("unsafe"));
        for directive in [
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(PAGE_POLICY.contains(directive), "{directive}");
        }
        assert!(FILE_POLICY.contains("sandbox"));
    }

    #[test]
    fn an_image_origin_is_added_to_img_src_only() {
        let h = SecurityHeaders::new().with_image_origin("https://tile.openstreetmap.org");
        let p = h.policy_for("/t/x").to_str().unwrap().to_owned();
        assert!(p.contains("img-src 'self' data: blob: https://tile.openstreetmap.org;"));
        assert!(p.contains("script-src 'self';"));
        let bad = SecurityHeaders::new().with_image_origin("https://x; script-src *");
        assert_eq!(bad.policy_for("/"), PAGE_POLICY);
    }

    #[test]
    fn a_page_adds_its_image_origin_to_the_instance_policy() {
        let instance = SecurityHeaders::new().with_image_origin("https://tile.openstreetmap.org");
        let both =
            with_image_origin(instance.policy_for("/t/x"), "https://*.tiles.example.org").unwrap();
        assert!(both.to_str().unwrap().contains(
            "img-src 'self' data: blob: https://tile.openstreetmap.org https://*.tiles.example.org;"
        ));
        for bad in [
            "https://x; script-src *",
            "https://x, *",
            "'unsafe-inline'",
            "",
        ] {
            assert!(
                with_image_origin(instance.policy_for("/"), bad).is_none(),
                "{bad}"
            );
        }
    }

    #[test]
    fn exceptions_match_the_prefix_only() {
        let h = SecurityHeaders::new().with_policy_for("/api/docs/", "default-src 'none'");
        assert_eq!(h.policy_for("/api/docs"), "default-src 'none'");
        assert_eq!(
            h.policy_for("/api/docs/oauth-receiver.html"),
            "default-src 'none'"
        );
        assert_eq!(h.policy_for("/api/docsx"), PAGE_POLICY);
        assert_eq!(h.policy_for("/api/v1/tenants"), PAGE_POLICY);
        assert_eq!(h.policy_for("/"), PAGE_POLICY);
    }
}
