//! Pages an anonymous visitor reads, served from the read cache (`vigie_http::cache`): one
//! rendering per change of what the page shows, gzip or brotli, `ETag` → 304.

use std::future::Future;

use poem::http::{StatusCode, header};
use poem::{Request, Response};
use vigie_http::{Caller, PUBLIC_REVALIDATE, Rendered, VARY_ENCODING_COOKIE};
use vigie_services::ReadScope;

use crate::{Lang, WebState};

/// The page `render` makes, from the cache when the visitor is anonymous and did not just
/// choose a language (that answer sets a cookie). `key` names the page (path and the query
/// parameters the page reads); `scope` is what the page shows, so that a write to it renders
/// the page again. Signed-in visitors get their own page, never kept.
pub(crate) async fn page<F, Fut>(
    state: &WebState,
    req: &Request,
    caller: &Caller,
    key: &str,
    scope: Option<ReadScope>,
    render: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Response>,
{
    let choosing_language = req.uri().query().is_some_and(|q| q.contains("lang="));
    let Some(scope) = scope.filter(|_| caller.user.is_none() && !choosing_language) else {
        let mut response = render().await;
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("private, no-cache"),
        );
        return response;
    };
    let key = format!("web/{}/{key}", Lang::detect(req).code());
    let revision = state.services.read_revision(scope);
    let read = state
        .cache
        .get_or_render(key, revision, || async {
            let response = render().await;
            if response.status() != StatusCode::OK
                || response.headers().contains_key(header::SET_COOKIE)
            {
                return Err(response);
            }
            // The page's own image origin (a collective's map tiles) goes with it.
            let headers = response
                .headers()
                .get(vigie_http::headers::IMAGE_ORIGIN)
                .and_then(|v| v.to_str().ok())
                .map(|v| vec![(vigie_http::headers::IMAGE_ORIGIN, v.to_owned())])
                .unwrap_or_default();
            match response.into_body().into_bytes().await {
                Ok(body) => Ok(Rendered {
                    content_type: "text/html; charset=utf-8",
                    body,
                    headers,
                }),
                Err(e) => Err(Response::builder()
                    .status(StatusCode::INTERNAL_SERVER_ERROR)
                    .body(e.to_string())),
            }
        })
        .await;
    match read {
        Ok(read) => read.respond(req, PUBLIC_REVALIDATE, VARY_ENCODING_COOKIE),
        Err(response) => response,
    }
}
