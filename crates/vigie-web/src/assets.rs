//! The pages' static files (stylesheet, scripts): embedded in the binary, served under a name
//! that carries a hash of their content (`/static/vigie.3fa2c1d0e5b6.css`) with a cache
//! lifetime of a year. A new version of a file has a new name, so no browser keeps an old one;
//! and since no page has an inline script or style, the Content-Security-Policy needs no
//! `unsafe-inline`. Templates get the URL with `{{ asset('vigie.css') }}`.

use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use sha2::{Digest as _, Sha256};

use crate::WebState;

/// Where the files are served.
pub const PREFIX: &str = "/static/";

/// The files, by their plain name.
const FILES: [(&str, &str, &[u8]); 2] = [
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
];

/// One static file.
#[derive(Debug)]
struct Asset {
    /// Plain name, as the templates ask for it: `vigie.css`.
    name: &'static str,
    /// Served name: `vigie.3fa2c1d0e5b6.css`.
    hashed: String,
    content_type: &'static str,
    bytes: &'static [u8],
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
                    content_type,
                    bytes,
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
pub(crate) async fn serve(state: Data<&WebState>, file: Path<String>) -> Response {
    match state.assets.by_hashed_name(&file) {
        Some(asset) => Response::builder()
            .content_type(asset.content_type)
            .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
            .body(asset.bytes),
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
                assert!(tag.contains(" src="), "{name} has an inline script: {tag}");
            }
        }
    }
}
