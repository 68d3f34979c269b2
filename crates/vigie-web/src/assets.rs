//! The pages' static files (stylesheet, scripts): embedded in the binary, served under a name
//! that carries a hash of their content (`/static/vigie.3fa2c1d0e5b6.css`) with a cache
//! lifetime of a year. A new version of a file has a new name, so no browser keeps an old one;
//! and since no page has an inline script or style, the Content-Security-Policy needs no
//! `unsafe-inline`. Templates get the URL with `{{ asset('vigie.css') }}`.

use bytes::Bytes;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{IntoResponse, Request, Response, handler};
use sha2::{Digest as _, Sha256};
use vigie_http::{CachedRead, Rendered};

use crate::WebState;

/// Where the files are served.
pub const PREFIX: &str = "/static/";

/// The files, by their plain name. `vendor/` holds third-party libraries pinned by
/// `vendor/package-lock.json` (see `vendor/update.sh`).
const FILES: [(&str, &str, &[u8]); 8] = [
    (
        "vigie.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/vigie.css"),
    ),
    (
        "vigie.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/vigie.js"),
    ),
    (
        "vigie-map.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/vigie-map.js"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_bytes!("../static/icon.svg"),
    ),
    (
        "leaflet.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/vendor/leaflet.js"),
    ),
    (
        "leaflet.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/vendor/leaflet.css"),
    ),
    (
        "vigie-analysis.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/vigie-analysis.js"),
    ),
    (
        "chart.umd.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/vendor/chart.umd.js"),
    ),
];

/// One static file.
#[derive(Debug)]
struct Asset {
    /// Plain name, as the templates ask for it: `vigie.css`.
    name: &'static str,
    /// Served name: `vigie.3fa2c1d0e5b6.css`.
    hashed: String,
    /// The content, compressed once (gzip, brotli) at start.
    read: CachedRead,
}

/// The static files with their hashed names (computed once, at start).
#[derive(Debug)]
pub struct Assets {
    files: Vec<Asset>,
}

impl Assets {
    /// Hashes the embedded files.
    pub fn new() -> Self {
        let files = FILES
            .into_iter()
            .map(|(name, content_type, bytes)| {
                let digest = hex::encode(Sha256::digest(bytes));
                let hashed = match name.rsplit_once('.') {
                    Some((stem, ext)) => format!("{stem}.{}.{ext}", &digest[..12]),
                    None => format!("{name}.{}", &digest[..12]),
                };
                Asset {
                    name,
                    hashed,
                    read: CachedRead::compress(Rendered {
                        content_type,
                        body: Bytes::from_static(bytes),
                        headers: Vec::new(),
                    }),
                }
            })
            .collect();
        Self { files }
    }

    /// The URL of a file by its plain name (`vigie.css` → `/static/vigie.3fa2c1d0e5b6.css`).
    pub fn url(&self, name: &str) -> Option<String> {
        self.files
            .iter()
            .find(|a| a.name == name)
            .map(|a| format!("{PREFIX}{}", a.hashed))
    }

    fn by_hashed_name(&self, hashed: &str) -> Option<&Asset> {
        self.files.iter().find(|a| a.hashed == hashed)
    }
}

/// `GET /static/:file`: a file by its hashed name, cached for a year; any other name is a 404
/// (an old hash is not served with a new content under a year-long cache).
#[handler]
pub(crate) async fn serve(req: &Request, state: Data<&WebState>, file: Path<String>) -> Response {
    match state.assets.by_hashed_name(&file) {
        Some(asset) => asset.read.respond(
            req,
            "public, max-age=31536000, immutable",
            vigie_http::VARY_ENCODING,
        ),
        None => "Fichier introuvable — file not found"
            .with_status(StatusCode::NOT_FOUND)
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_content_hash() {
        let assets = Assets::new();
        let css = assets.url("vigie.css").unwrap_or_default();
        assert!(
            css.starts_with("/static/vigie.") && css.ends_with(".css"),
            "{css}"
        );
        assert_eq!(css.len(), "/static/vigie..css".len() + 12);
        assert!(assets.url("nothing.js").is_none());
        let hashed = css.trim_start_matches(PREFIX);
        assert!(assets.by_hashed_name(hashed).is_some());
        assert!(assets.by_hashed_name("vigie.css").is_none());
    }

    #[test]
    fn no_template_has_inline_code() {
        for (name, source) in crate::TEMPLATES {
            let lower = source.to_ascii_lowercase();
            for needle in [
                "<style",
                " style=",
                " onclick=",
                " onfocus=",
                " onchange=",
                " onsubmit=",
                " onload=",
                " oninput=",
                "javascript:",
            ] {
                assert!(!lower.contains(needle), "{name} has inline code: {needle}");
            }
            for (at, _) in lower.match_indices("<script") {
                let tag = &lower[at..at + lower[at..].find('>').unwrap_or(0)];
                // A JSON data block is not run (and the policy does not apply to it).
                assert!(
                    tag.contains(" src=") || tag.contains("type=\"application/json\""),
                    "{name} has an inline script: {tag}"
                );
            }
        }
    }
}
