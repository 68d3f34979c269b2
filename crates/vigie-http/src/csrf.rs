//! Cross-site request refusal: a state-changing request (POST, PUT, PATCH, DELETE) that a
//! browser sends on behalf of another site is refused before any route sees it.
//!
//! The session cookie is `SameSite=Lax`, which keeps it off cross-site POSTs in current
//! browsers but not in every browser, not for a sibling host of the same site (`same-site`),
//! and it does nothing for login CSRF (signing a victim into the attacker's account), which
//! needs no cookie at all. So [`CrossSiteGuard`] looks at what the browser says about where the
//! request comes from, in this order:
//!
//! 1. `Sec-Fetch-Site` (sent by every current browser, and not settable by a page): `same-origin`
//!    and `none` (typed by the user) pass; `cross-site` and `same-site` (another host of the
//!    same registrable domain) are refused.
//! 2. Else `Origin` (sent with every POST by current browsers): it must be the server's own
//!    origin (`server.public_url`) or the one the request was addressed to (its `Host`, for
//!    local use and for a proxy that keeps `Host`). `Origin: null` (a sandboxed frame, a
//!    `data:` page, a `no-referrer` page) is refused.
//! 3. Else `Referer`, if present, is judged like `Origin` (older browsers).
//! 4. A request with none of these headers passes: it does not come from a browser acting for
//!    a visitor (curl, scripts, the test harness), and such a client holds no victim's cookie.
//!
//! Safe methods (GET, HEAD, OPTIONS) always pass: they change nothing.
//!
//! A refusal is a 403 with a message in French and English: the JSON envelope with code
//! `cross_site_request` under `/api`, a small page elsewhere. It is logged with its reason and
//! path only (no address, no origin, no cookie).

use poem::http::{HeaderMap, Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};

/// The stable error code of a refused cross-site request.
pub const CODE: &str = "cross_site_request";

/// The refusal, in English.
pub const MESSAGE_EN: &str = "This request comes from another site and was refused: Vigie \
only accepts changes sent from its own pages. Go back to the page on Vigie, reload it and try again.";

/// The refusal, in French.
pub const MESSAGE_FR: &str = "Cette demande vient d'un autre site et a été refusée : Vigie \
n'accepte que les changements envoyés depuis ses propres pages. Revenez à la page de Vigie, \
rechargez-la et réessayez.";

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `Sec-Fetch-Site: cross-site`.
    CrossSite,
    /// `Sec-Fetch-Site: same-site`: another host of the same registrable domain.
    SameSiteOtherHost,
    /// `Origin` names another origin.
    ForeignOrigin,
    /// `Origin: null` (opaque origin: sandboxed frame, `data:` URL, `no-referrer` page).
    OpaqueOrigin,
    /// No `Origin`, and `Referer` names another origin.
    ForeignReferer,
}

impl Refusal {
    /// A short snake_case name for the logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CrossSite => "sec_fetch_site_cross_site",
            Self::SameSiteOtherHost => "sec_fetch_site_same_site",
            Self::ForeignOrigin => "foreign_origin",
            Self::OpaqueOrigin => "opaque_origin",
            Self::ForeignReferer => "foreign_referer",
        }
    }
}

/// Refuses state-changing requests sent by a browser for another site (see the module docs).
#[derive(Debug, Clone)]
pub struct CrossSiteGuard {
    /// The server's own origins, normalised (`scheme://host[:port]`, lowercase, default port
    /// left out).
    own_origins: Vec<String>,
}

impl CrossSiteGuard {
    /// A guard accepting the origin of `public_url` (the `server.public_url` setting, e.g.
    /// `https://vigie.example.org`) besides the request's own `Host`.
    pub fn new(public_url: &str) -> Self {
        Self {
            own_origins: normalise_origin(public_url).into_iter().collect(),
        }
    }

    /// The verdict on a request's method and headers: `Err` with the reason to refuse it.
    pub fn judge(&self, method: &Method, headers: &HeaderMap) -> Result<(), Refusal> {
        if matches!(
            *method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        ) {
            return Ok(());
        }
        let text = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        match text("sec-fetch-site")
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("same-origin" | "none") => return Ok(()),
            Some("cross-site") => return Err(Refusal::CrossSite),
            Some("same-site") => return Err(Refusal::SameSiteOtherHost),
            // Absent or a value from a future version: judge by Origin.
            _ => {}
        }
        let host = text(header::HOST.as_str());
        if let Some(origin) = text(header::ORIGIN.as_str()) {
            if origin.eq_ignore_ascii_case("null") {
                return Err(Refusal::OpaqueOrigin);
            }
            return if self.is_own(origin, host) {
                Ok(())
            } else {
                Err(Refusal::ForeignOrigin)
            };
        }
        if let Some(referer) = text(header::REFERER.as_str())
            && !self.is_own(referer, host)
        {
            return Err(Refusal::ForeignReferer);
        }
        Ok(())
    }

    /// Whether `url` (an `Origin` or a `Referer`) is this server: the public URL's origin, or
    /// the host the request was addressed to.
    fn is_own(&self, url: &str, host: Option<&str>) -> bool {
        let Some(origin) = normalise_origin(url) else {
            return false;
        };
        if self.own_origins.contains(&origin) {
            return true;
        }
        let Some(host) = host.map(str::to_ascii_lowercase) else {
            return false;
        };
        // `scheme://authority`: compare the authority with Host (the scheme is not in Host).
        let Some((scheme, authority)) = origin.split_once("://") else {
            return false;
        };
        authority == host || authority == strip_default_port(scheme, &host)
    }
}

/// `scheme://host[:port]` of a URL, lowercase, without a default port; `None` if it has no
/// scheme and host.
fn normalise_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // A user-info part (`user@host`) is not part of an origin.
    let authority = authority.rsplit('@').next().unwrap_or_default();
    if authority.is_empty() {
        return None;
    }
    let authority = strip_default_port(&scheme, &authority.to_ascii_lowercase()).to_owned();
    Some(format!("{scheme}://{authority}"))
}

/// `host:80` for http and `host:443` for https lose their port.
fn strip_default_port<'a>(scheme: &str, authority: &'a str) -> &'a str {
    let default = match scheme {
        "http" => ":80",
        "https" => ":443",
        _ => return authority,
    };
    authority.strip_suffix(default).unwrap_or(authority)
}

impl<E: Endpoint> Middleware<E> for CrossSiteGuard {
    type Output = CrossSiteGuardEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        CrossSiteGuardEndpoint {
            guard: self.clone(),
            inner,
        }
    }
}

/// The endpoint [`CrossSiteGuard`] wraps.
pub struct CrossSiteGuardEndpoint<E> {
    guard: CrossSiteGuard,
    inner: E,
}

impl<E: Endpoint> Endpoint for CrossSiteGuardEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Self::Output> {
        if let Err(refusal) = self.guard.judge(req.method(), req.headers()) {
            let path = req.uri().path();
            tracing::info!(
                method = %req.method(),
                path,
                reason = refusal.as_str(),
                "cross-site request refused"
            );
            return Ok(refused(path.starts_with("/api/") || path == "/api"));
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

/// The 403 answer: the JSON envelope for the API, a page otherwise.
pub fn refused(api: bool) -> Response {
    if api {
        let body = serde_json::json!({
            "error": {"code": CODE, "message": MESSAGE_EN, "message_fr": MESSAGE_FR}
        });
        Response::builder()
            .status(StatusCode::FORBIDDEN)
            .content_type("application/json; charset=utf-8")
            .body(body.to_string())
    } else {
        let page = format!(
            "<!doctype html>\n<html lang=\"fr\">\n<head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>Demande refusée — Request refused</title></head>\n<body>\n\
             <h1>Demande refusée</h1>\n<p>{MESSAGE_FR}</p>\n<p><a href=\"/\">Accueil de Vigie</a></p>\n\
             <h2 lang=\"en\">Request refused</h2>\n<p lang=\"en\">{MESSAGE_EN}</p>\n</body>\n</html>\n"
        );
        Response::builder()
            .status(StatusCode::FORBIDDEN)
            .content_type("text/html; charset=utf-8")
            .body(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    fn guard() -> CrossSiteGuard {
        CrossSiteGuard::new("https://vigie.example.org/")
    }

    #[test]
    fn safe_methods_always_pass() {
        let h = headers(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ]);
        assert_eq!(guard().judge(&Method::GET, &h), Ok(()));
        assert_eq!(guard().judge(&Method::HEAD, &h), Ok(()));
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        let g = guard();
        for (site, verdict) in [
            ("same-origin", Ok(())),
            ("none", Ok(())),
            ("cross-site", Err(Refusal::CrossSite)),
            ("same-site", Err(Refusal::SameSiteOtherHost)),
        ] {
            let h = headers(&[("sec-fetch-site", site)]);
            assert_eq!(g.judge(&Method::POST, &h), verdict, "{site}");
        }
    }

    #[test]
    fn origin_must_be_the_public_url_or_the_host() {
        let g = guard();
        let cases = [
            (("https://vigie.example.org", "vigie.example.org"), Ok(())),
            (("https://VIGIE.example.org:443", "proxy.internal"), Ok(())),
            (("http://127.0.0.1:8080", "127.0.0.1:8080"), Ok(())),
            (
                ("https://evil.example", "vigie.example.org"),
                Err(Refusal::ForeignOrigin),
            ),
            (
                ("http://127.0.0.1:9999", "127.0.0.1:8080"),
                Err(Refusal::ForeignOrigin),
            ),
            (
                ("https://vigie.example.org.evil.example", "x"),
                Err(Refusal::ForeignOrigin),
            ),
            (("null", "vigie.example.org"), Err(Refusal::OpaqueOrigin)),
            (
                ("garbage", "vigie.example.org"),
                Err(Refusal::ForeignOrigin),
            ),
        ];
        for ((origin, host), verdict) in cases {
            let mut h = HeaderMap::new();
            h.insert("origin", HeaderValue::from_static(origin));
            h.insert("host", HeaderValue::from_static(host));
            assert_eq!(g.judge(&Method::POST, &h), verdict, "{origin} to {host}");
        }
    }

    #[test]
    fn referer_is_the_fallback_and_no_header_passes() {
        let g = guard();
        let h = headers(&[
            ("referer", "https://evil.example/page"),
            ("host", "vigie.example.org"),
        ]);
        assert_eq!(g.judge(&Method::POST, &h), Err(Refusal::ForeignReferer));
        let h = headers(&[("referer", "https://vigie.example.org/t/x?token=1")]);
        assert_eq!(g.judge(&Method::DELETE, &h), Ok(()));
        assert_eq!(g.judge(&Method::POST, &HeaderMap::new()), Ok(()));
    }
}
