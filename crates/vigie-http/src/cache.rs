//! Public reads served like static files.
//!
//! The reads every visitor hits (a collective's objects and places, its page, an object's
//! sheet) are rendered once per change of what they show, kept serialized and compressed
//! (gzip and brotli), and answered with an `ETag` (`If-None-Match` → 304). A cached read
//! remembers the revision of the data it was rendered at (see `vigie_storage::Changes`): when
//! a write moves that revision, the next read renders it again — never a stale page.
//!
//! Concurrent readers of a read being rendered wait for that one rendering. The cache holds at
//! most [`ReadCache::new`]'s byte budget; beyond it the least recently used reads go.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Request, Response};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

/// A read as rendered: what the cache compresses and keeps.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// `Content-Type` of the body.
    pub content_type: &'static str,
    /// The body, uncompressed.
    pub body: Bytes,
    /// Other headers to send with it (e.g. `Link` to the next page).
    pub headers: Vec<(header::HeaderName, String)>,
}

impl Rendered {
    /// A JSON body.
    pub fn json(body: Vec<u8>) -> Self {
        Self {
            content_type: "application/json; charset=utf-8",
            body: Bytes::from(body),
            headers: Vec::new(),
        }
    }
}

/// A read kept in the cache: its body in each encoding and its entity tag.
#[derive(Debug)]
pub struct CachedRead {
    rendered: Rendered,
    gzip: Bytes,
    brotli: Bytes,
    /// Entity tag of the content, without quotes or encoding suffix.
    tag: String,
}

impl CachedRead {
    /// Compresses a rendered read (CPU work: run it off the async threads).
    pub fn compress(rendered: Rendered) -> Self {
        let body = &rendered.body;
        let tag = hex::encode(&Sha256::digest(body)[..12]);
        // Writing into memory does not fail; if it ever did, that encoding is left empty and
        // the plain body is served instead.
        let gzip = (|| {
            let mut gz = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 4 + 64),
                flate2::Compression::new(6),
            );
            gz.write_all(body)?;
            gz.finish()
        })()
        .unwrap_or_default();
        let brotli = (|| {
            let mut br = Vec::with_capacity(body.len() / 5 + 64);
            {
                let mut w = brotli::CompressorWriter::new(&mut br, 64 * 1024, 5, 22);
                w.write_all(body)?;
                w.flush()?;
            }
            Ok::<_, std::io::Error>(br)
        })()
        .unwrap_or_default();
        Self {
            rendered,
            gzip: Bytes::from(gzip),
            brotli: Bytes::from(brotli),
            tag,
        }
    }

    /// Bytes held in memory.
    pub fn size(&self) -> usize {
        self.rendered.body.len() + self.gzip.len() + self.brotli.len()
    }

    /// The uncompressed body.
    pub fn body(&self) -> &Bytes {
        &self.rendered.body
    }

    /// The response to `req`: 304 when its `If-None-Match` names this content, else the body
    /// in the best encoding the client accepts (brotli, gzip, or none).
    pub fn respond(
        &self,
        req: &Request,
        cache_control: &'static str,
        vary: &'static str,
    ) -> Response {
        let encoding = Encoding::chosen(req, self);
        let etag = match encoding {
            Encoding::Identity => format!("\"{}\"", self.tag),
            Encoding::Gzip => format!("\"{}-gz\"", self.tag),
            Encoding::Brotli => format!("\"{}-br\"", self.tag),
        };
        let mut builder = Response::builder()
            .header(header::CACHE_CONTROL, cache_control)
            .header(header::VARY, vary)
            .header(header::ETAG, etag);
        if self.matches(req) {
            return builder.status(StatusCode::NOT_MODIFIED).finish();
        }
        for (name, value) in &self.rendered.headers {
            if let Ok(v) = HeaderValue::from_str(value) {
                builder = builder.header(name.clone(), v);
            }
        }
        builder = builder.content_type(self.rendered.content_type);
        let body = match encoding {
            Encoding::Identity => self.rendered.body.clone(),
            Encoding::Gzip => {
                builder = builder.header(header::CONTENT_ENCODING, "gzip");
                self.gzip.clone()
            }
            Encoding::Brotli => {
                builder = builder.header(header::CONTENT_ENCODING, "br");
                self.brotli.clone()
            }
        };
        builder.body(body)
    }

    /// Whether the request's `If-None-Match` names this content (in any encoding).
    fn matches(&self, req: &Request) -> bool {
        let Some(value) = req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        value.split(',').any(|t| {
            let t = t.trim();
            let t = t.strip_prefix("W/").unwrap_or(t).trim_matches('"');
            t == "*"
                || t.strip_suffix("-gz")
                    .or_else(|| t.strip_suffix("-br"))
                    .unwrap_or(t)
                    == self.tag
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    /// The best encoding `Accept-Encoding` allows (a `q=0` refuses one).
    fn chosen(req: &Request, read: &CachedRead) -> Self {
        let Some(accept) = req
            .headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
        else {
            return Encoding::Identity;
        };
        let accepts = |name: &str| {
            accept.split(',').any(|part| {
                let mut bits = part.split(';');
                let coding = bits.next().unwrap_or("").trim();
                let refused = bits.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                coding.eq_ignore_ascii_case(name) && !refused
            })
        };
        if accepts("br") && !read.brotli.is_empty() {
            Encoding::Brotli
        } else if accepts("gzip") && !read.gzip.is_empty() {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }
}

#[derive(Default)]
struct Slots {
    map: HashMap<String, Arc<Slot>>,
    /// Bytes of the rendered reads in `map`.
    bytes: usize,
}

fn slot_size(s: &Slot) -> usize {
    s.value.get().map_or(0, |r| r.size())
}

struct Slot {
    revision: u64,
    value: OnceCell<Arc<CachedRead>>,
    last_used: AtomicU64,
}

/// The cache of public reads, keyed by what identifies a read (path, query, language) and
/// valid for one data revision.
pub struct ReadCache {
    slots: Mutex<Slots>,
    budget: usize,
    clock: AtomicU64,
}

impl std::fmt::Debug for ReadCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache")
            .field("budget", &self.budget)
            .finish()
    }
}

/// `Cache-Control` of cached public reads: anyone may keep them, and must ask again (with
/// the `ETag`) before reusing them, so that a change shows at once.
pub const PUBLIC_REVALIDATE: &str = "public, no-cache";

/// `Vary` of a read that is the same for everyone.
pub const VARY_ENCODING: &str = "Accept-Encoding";

/// `Vary` of a page whose signed-in version differs (only the anonymous one is cached).
pub const VARY_ENCODING_COOKIE: &str = "Accept-Encoding, Cookie";

impl ReadCache {
    /// A cache holding at most `budget` bytes of bodies (all encodings counted).
    pub fn new(budget: usize) -> Self {
        Self {
            slots: Mutex::new(Slots::default()),
            budget,
            clock: AtomicU64::new(0),
        }
    }

    /// The read `key` at `revision`: from the cache, or rendered by `render` (once, however
    /// many ask at the same time) and kept. `render` answering `Err` (an error page, a 404)
    /// is returned as it is and not kept.
    pub async fn get_or_render<F, Fut, E>(
        &self,
        key: String,
        revision: u64,
        render: F,
    ) -> Result<Arc<CachedRead>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Rendered, E>>,
    {
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            match slots.map.get(&key) {
                Some(s) if s.revision == revision => s.clone(),
                _ => {
                    let s = Arc::new(Slot {
                        revision,
                        value: OnceCell::new(),
                        last_used: AtomicU64::new(now),
                    });
                    if let Some(old) = slots.map.insert(key.clone(), s.clone()) {
                        slots.bytes = slots.bytes.saturating_sub(slot_size(&old));
                    }
                    s
                }
            }
        };
        slot.last_used.store(now, Ordering::Relaxed);
        let mut fresh = false;
        let read = slot
            .value
            .get_or_try_init(|| async {
                fresh = true;
                let rendered = render().await?;
                let copy = rendered.clone();
                let read =
                    match tokio::task::spawn_blocking(move || CachedRead::compress(copy)).await {
                        Ok(read) => read,
                        // Cannot happen (compression does not panic): compress here then.
                        Err(_) => CachedRead::compress(rendered),
                    };
                Ok(Arc::new(read))
            })
            .await?
            .clone();
        if fresh {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            // Counted only while it is still the slot in the map (not replaced meanwhile).
            if slots.map.get(&key).is_some_and(|s| Arc::ptr_eq(s, &slot)) {
                slots.bytes += read.size();
            }
            if slots.bytes > self.budget {
                Self::evict(&mut slots, self.budget / 4 * 3);
            }
        }
        Ok(read)
    }

    /// Drops the least recently used reads until at most `target` bytes are kept.
    fn evict(slots: &mut Slots, target: usize) {
        let mut by_age: Vec<(u64, String)> = slots
            .map
            .iter()
            .map(|(k, s)| (s.last_used.load(Ordering::Relaxed), k.clone()))
            .collect();
        by_age.sort_unstable_by_key(|(used, _)| *used);
        for (_, key) in by_age {
            if slots.bytes <= target {
                break;
            }
            if let Some(old) = slots.map.remove(&key) {
                slots.bytes = slots.bytes.saturating_sub(slot_size(&old));
            }
        }
    }

    /// How many reads are kept, and their bytes.
    pub fn usage(&self) -> (usize, usize) {
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        (slots.map.len(), slots.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn req(headers: &[(&str, &str)]) -> Request {
        let mut b = Request::builder();
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.finish()
    }

    async fn body(r: Response) -> Vec<u8> {
        r.into_body().into_vec().await.unwrap()
    }

    #[tokio::test]
    async fn serves_each_encoding_and_304_for_its_tag() {
        let text = "école ".repeat(2000);
        let read = CachedRead::compress(Rendered::json(text.clone().into_bytes()));
        let plain = read.respond(&req(&[]), PUBLIC_REVALIDATE, VARY_ENCODING);
        assert_eq!(plain.status(), StatusCode::OK);
        let tag = plain.headers()[header::ETAG].to_str().unwrap().to_owned();
        assert_eq!(body(plain).await, text.as_bytes());

        let gz = read.respond(
            &req(&[("accept-encoding", "gzip, deflate")]),
            "x",
            VARY_ENCODING,
        );
        assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
        let mut out = String::new();
        flate2::read::GzDecoder::new(&body(gz).await[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, text);

        let br = read.respond(&req(&[("accept-encoding", "gzip, br")]), "x", VARY_ENCODING);
        assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
        let br_tag = br.headers()[header::ETAG].to_str().unwrap().to_owned();
        let mut out = String::new();
        brotli::Decompressor::new(&body(br).await[..], 4096)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, text);

        let refused = read.respond(
            &req(&[("accept-encoding", "br;q=0, gzip")]),
            "x",
            VARY_ENCODING,
        );
        assert_eq!(refused.headers()[header::CONTENT_ENCODING], "gzip");

        for t in [tag.as_str(), br_tag.as_str(), "\"other\", W/".trim()] {
            let r = read.respond(&req(&[("if-none-match", t)]), "x", VARY_ENCODING);
            let expected = if t.contains(&read.tag) {
                StatusCode::NOT_MODIFIED
            } else {
                StatusCode::OK
            };
            assert_eq!(r.status(), expected, "{t}");
        }
    }

    #[tokio::test]
    async fn renders_once_per_revision_and_never_keeps_errors() {
        let cache = ReadCache::new(1 << 20);
        let renders = AtomicU64::new(0);
        let render = |text: &'static str| {
            renders.fetch_add(1, Ordering::SeqCst);
            async move { Ok::<_, ()>(Rendered::json(text.as_bytes().to_vec())) }
        };
        let a = cache
            .get_or_render("k".into(), 1, || render("a"))
            .await
            .unwrap();
        let again = cache
            .get_or_render("k".into(), 1, || render("b"))
            .await
            .unwrap();
        assert_eq!(again.body(), a.body());
        assert_eq!(renders.load(Ordering::SeqCst), 1);
        let b = cache
            .get_or_render("k".into(), 2, || render("b"))
            .await
            .unwrap();
        assert_eq!(&b.body()[..], b"b", "a new revision renders again");
        let failed = cache
            .get_or_render("e".into(), 1, || async { Err::<Rendered, _>("404") })
            .await;
        assert_eq!(failed.unwrap_err(), "404");
        let ok = cache
            .get_or_render("e".into(), 1, || render("c"))
            .await
            .unwrap();
        assert_eq!(&ok.body()[..], b"c", "an error is not kept");
    }

    #[tokio::test]
    async fn stays_within_its_budget() {
        let cache = ReadCache::new(50_000);
        for i in 0..40u64 {
            let noise: Vec<u8> = (0..4000u64)
                .map(|j| ((j * 7919 + i * 31) % 251) as u8)
                .collect();
            cache
                .get_or_render(format!("k{i}"), 1, || async move {
                    Ok::<_, ()>(Rendered::json(noise))
                })
                .await
                .unwrap();
        }
        let (_, bytes) = cache.usage();
        assert!(bytes <= 50_000, "{bytes}");
    }
}
