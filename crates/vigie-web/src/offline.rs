//! Installable and offline-tolerant: the web app manifest, the service worker and the page it
//! shows for a page never seen when there is no network.
//!
//! The worker (`static/sw.js`) is served at `/sw.js` so that its scope is the whole site, never
//! cached by the browser's HTTP cache (a new version is picked up at the next visit), with the
//! current hashed static files to keep filled in. The queue of submissions made without
//! network lives in the pages' script (`static/vigie.js`) and in the worker; the server's part
//! is the idempotency key each submission carries (see `vigie_storage`'s submissions).

use minijinja::context;
use poem::http::{StatusCode, header};
use poem::web::Data;
use poem::{IntoResponse, Request, Response, handler};
use serde_json::json;
use vigie_http::Caller;

use crate::WebState;
use crate::page::Page;

/// The worker's source, with `__VERSION__` and `__PRECACHE__` to fill in.
const WORKER: &str = include_str!("../static/sw.js");

/// What the worker keeps at installation: the static files every page uses, and the offline
/// page.
const PRECACHED: [&str; 3] = ["vigie.css", "vigie.js", "icon.svg"];

/// The worker for these static files: its version changes with any of them.
pub(crate) fn worker_source(assets: &crate::assets::Assets) -> String {
    let mut urls: Vec<String> = PRECACHED.iter().filter_map(|f| assets.url(f)).collect();
    let version = urls
        .iter()
        .map(|u| u.rsplit('.').nth(1).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("-");
    urls.push("/offline".to_owned());
    let list = serde_json::to_string(&urls).unwrap_or_else(|_| "[]".to_owned());
    WORKER
        .replace("'__VERSION__'", &format!("'{version}'"))
        .replace("__PRECACHE__", &list)
}

/// `GET /sw.js`: the service worker.
#[handler]
pub async fn service_worker(state: Data<&WebState>) -> Response {
    worker_source(&state.assets)
        .with_header(header::CONTENT_TYPE, "text/javascript; charset=utf-8")
        .with_header(header::CACHE_CONTROL, "no-cache")
        .into_response()
}

/// `GET /manifest.webmanifest`: what a phone needs to install Vigie on its home screen.
#[handler]
pub async fn manifest(req: &Request, state: Data<&WebState>) -> Response {
    let lang = crate::Lang::detect(req);
    let icon = state.assets.url("icon.svg").unwrap_or_default();
    let body = json!({
        "name": "Vigie",
        "short_name": "Vigie",
        "description": lang.t("manifest_description"),
        "lang": lang.code(),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b6e4f",
        "icons": [
            {"src": icon, "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
            {"src": icon, "sizes": "any", "type": "image/svg+xml", "purpose": "maskable"},
        ],
    });
    body.to_string()
        .with_header(header::CONTENT_TYPE, "application/manifest+json")
        .with_header(header::CACHE_CONTROL, "no-cache")
        .into_response()
}

/// `GET /offline`: the page the worker shows for a page never seen, without network. Kept on
/// the phone, so rendered as for a visitor (no account's name in it).
#[handler]
pub async fn offline_page(req: &Request, state: Data<&WebState>) -> Response {
    let page = Page::new(&state, req, Caller::default());
    page.render(
        StatusCode::OK,
        "message.html",
        context! { error => page.lang.t("offline_page_text") },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_keeps_the_current_static_files() {
        let assets = crate::assets::Assets::new();
        let source = worker_source(&assets);
        assert!(!source.contains("__PRECACHE__") && !source.contains("__VERSION__"));
        for file in PRECACHED {
            let url = assets.url(file).unwrap_or_default();
            assert!(source.contains(&format!("\"{url}\"")), "{file}");
        }
        assert!(source.contains("\"/offline\""));
    }
}
