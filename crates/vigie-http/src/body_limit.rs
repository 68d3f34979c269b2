//! Request bodies bounded while they are read, sized per route.
//!
//! [`BodyLimit`] sits at the composition root in front of every route. It asks a classifier
//! what a request's route takes ([`BodyClass`]: JSON, a URL-encoded form, an upload, an
//! official dataset import) and bounds the body to that class's size ([`BodyLimits`]):
//!
//! - a `Content-Length` above the limit is refused at once, before a byte of the body is read;
//! - otherwise (chunked bodies, or a length that lies) the body is wrapped so that reading past
//!   the limit fails. Whatever the handler then answers (its read failed), the answer becomes
//!   the 413 of the responder: a JSON envelope `payload_too_large` under `/api`, a page on the
//!   web. Handlers read their whole body before they act, so a refused body never leaves a
//!   half-done change behind.
//!
//! Before a refusal is sent, a few MiB of what is left of the body are read and thrown away
//! ([`LINGER_BYTES`], [`LINGER_TIME`]): a client still sending (a browser uploading a photo a
//! little too large) then reads the 413 instead of a connection reset. Bodies far larger are
//! cut off.
//!
//! Within an upload, [`read_field`] bounds one multipart field (a photo) while it streams.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::{Stream, StreamExt as _};
use poem::http::{HeaderValue, StatusCode, Version, header};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response};
use tokio::io::AsyncReadExt as _;

/// What a route's body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyClass {
    /// A JSON document (and anything not listed below).
    Json,
    /// A URL-encoded form of the pages.
    Form,
    /// A multipart form carrying a photo or a document.
    Upload,
    /// An official dataset (a whole referential), from a signed-in user.
    Import,
}

/// The largest body of each class, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// JSON bodies.
    pub json: u64,
    /// URL-encoded forms.
    pub form: u64,
    /// Uploads: the largest file plus room for the form's other fields.
    pub upload: u64,
    /// Official dataset imports.
    pub import: u64,
}

impl BodyLimits {
    /// The limit of a class.
    pub fn of(&self, class: BodyClass) -> u64 {
        match class {
            BodyClass::Json => self.json,
            BodyClass::Form => self.form,
            BodyClass::Upload => self.upload,
            BodyClass::Import => self.import,
        }
    }
}

/// A body larger than its route accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request body is larger than the {} this route accepts", size_text(*limit))]
pub struct TooLarge {
    /// The route's class.
    pub class: BodyClass,
    /// The limit, in bytes.
    pub limit: u64,
}

/// A size for people: `64 KiB`, `21 MiB` (rounded down), `512 bytes`.
pub fn size_text(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// The same in French: `64 Kio`, `21 Mio`, `512 octets`.
pub fn size_text_fr(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} Mio", bytes >> 20)
    } else if bytes >= 1 << 10 {
        format!("{} Kio", bytes >> 10)
    } else {
        format!("{bytes} octets")
    }
}

/// Whether `path` matches a route `pattern` such as `/api/v1/tenants/:slug/imports`, where a
/// `:name` segment matches any one segment.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let mut p = pattern.trim_end_matches('/').split('/');
    let mut q = path.trim_end_matches('/').split('/');
    loop {
        match (p.next(), q.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a.starts_with(':') && !b.is_empty() => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// Says what a request's route takes.
pub type Classifier = Arc<dyn Fn(&Request) -> BodyClass + Send + Sync>;

/// Why a body was refused before its route could act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Larger than the route accepts (413).
    TooLarge(TooLarge),
    /// Every upload slot stayed taken for the whole wait (503, `Retry-After`).
    Busy,
}

/// Answers a refused body. It gets the request's head (method, URI, headers, extensions:
/// enough to pick a language or a session), never its body.
pub type Responder = Arc<dyn Fn(&Request, Refusal) -> Response + Send + Sync>;

/// At most so many uploads and imports are read at once; the others wait for a slot, at
/// most `wait`, then get 503. Bounds the memory all uploads together can take.
#[derive(Clone)]
struct UploadSlots {
    slots: Arc<tokio::sync::Semaphore>,
    wait: std::time::Duration,
}

/// Bounds every request body; see the [module](self).
pub struct BodyLimit {
    limits: BodyLimits,
    classify: Classifier,
    respond: Responder,
    uploads: Option<UploadSlots>,
}

impl BodyLimit {
    /// The middleware: `classify` says what a route takes, `respond` answers a refused body
    /// ([`BodyLimit`] sets the status, and `Connection: close` on HTTP/1).
    pub fn new(
        limits: BodyLimits,
        classify: impl Fn(&Request) -> BodyClass + Send + Sync + 'static,
        respond: impl Fn(&Request, Refusal) -> Response + Send + Sync + 'static,
    ) -> Self {
        Self {
            limits,
            classify: Arc::new(classify),
            respond: Arc::new(respond),
            uploads: None,
        }
    }

    /// Reads at most `slots` uploads and imports at once; another waits up to `wait` for a
    /// slot, then gets [`Refusal::Busy`].
    pub fn upload_slots(mut self, slots: usize, wait: std::time::Duration) -> Self {
        self.uploads = Some(UploadSlots {
            slots: Arc::new(tokio::sync::Semaphore::new(slots.max(1))),
            wait,
        });
        self
    }
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        BodyLimitEndpoint {
            inner: ep,
            limits: self.limits,
            classify: self.classify.clone(),
            respond: self.respond.clone(),
            uploads: self.uploads.clone(),
        }
    }
}

/// The endpoint made by [`BodyLimit`].
pub struct BodyLimitEndpoint<E> {
    inner: E,
    limits: BodyLimits,
    classify: Classifier,
    respond: Responder,
    uploads: Option<UploadSlots>,
}

impl<E> BodyLimitEndpoint<E> {
    fn refuse(&self, req: &Request, refusal: Refusal) -> Response {
        let mut resp = (self.respond)(req, refusal);
        match refusal {
            Refusal::TooLarge(too_large) => {
                tracing::info!(
                    path = %req.uri().path(),
                    limit = too_large.limit,
                    "request body too large: refused"
                );
                resp.set_status(StatusCode::PAYLOAD_TOO_LARGE);
            }
            Refusal::Busy => {
                tracing::warn!(path = %req.uri().path(), "every upload slot taken: refused");
                resp.set_status(StatusCode::SERVICE_UNAVAILABLE);
                let wait = self.uploads.as_ref().map_or(0, |u| u.wait.as_secs()).max(1);
                if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
        }
        // The rest of the body is not read: the connection cannot carry another request.
        if req.version() <= Version::HTTP_11 {
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        resp
    }
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Self::Output> {
        let body = req.take_body();
        if body.is_empty() {
            req.set_body(body);
            return Ok(self.inner.call(req).await?.into_response());
        }
        let class = (self.classify)(&req);
        let limit = self.limits.of(class);
        let too_large = TooLarge { class, limit };
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(declared) = declared.filter(|n| *n > limit) {
            // A client waiting for « 100 Continue » sends nothing more: answer at once. Others
            // are already sending: take in a little, so that they get to read the answer.
            if declared <= limit.saturating_add(LINGER_BYTES) && !expects_continue(&req) {
                linger(Box::pin(body.into_bytes_stream())).await;
            }
            return Ok(self.refuse(&req, Refusal::TooLarge(too_large)));
        }
        // Held until the route has answered.
        let _slot = match &self.uploads {
            Some(u) if matches!(class, BodyClass::Upload | BodyClass::Import) => {
                match tokio::time::timeout(u.wait, u.slots.clone().acquire_owned()).await {
                    Ok(Ok(slot)) => Some(slot),
                    _ => {
                        if !expects_continue(&req) {
                            linger(Box::pin(body.into_bytes_stream())).await;
                        }
                        return Ok(self.refuse(&req, Refusal::Busy));
                    }
                }
            }
            _ => None,
        };
        let shared = Arc::new(Shared::default());
        req.set_body(Body::from_bytes_stream(Bounded {
            inner: Some(Box::pin(body.into_bytes_stream())),
            seen: 0,
            limit,
            shared: shared.clone(),
        }));
        // The head, to answer in the request's language once the handler has consumed it.
        let mut head = Request::builder()
            .method(req.method().clone())
            .uri(req.uri().clone())
            .version(req.version())
            .finish();
        *head.headers_mut() = req.headers().clone();
        *head.extensions_mut() = req.extensions().clone();
        let result = self.inner.call(req).await.map(IntoResponse::into_response);
        let exceeded = shared.exceeded.load(Ordering::SeqCst);
        let refused =
            exceeded || matches!(&result, Ok(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE);
        if refused
            && !expects_continue(&head)
            && let Some(rest) = shared.take_rest()
        {
            linger(rest).await;
        }
        if exceeded {
            return Ok(self.refuse(&head, Refusal::TooLarge(too_large)));
        }
        result
    }
}

/// How much of a refused body is still read (and thrown away) so that a client that is still
/// sending gets to read the 413, instead of a connection reset: a few MiB, a few seconds.
/// Past that the connection is closed.
pub const LINGER_BYTES: u64 = 8 << 20;

/// See [`LINGER_BYTES`].
pub const LINGER_TIME: std::time::Duration = std::time::Duration::from_secs(5);

fn expects_continue(req: &Request) -> bool {
    req.headers()
        .get(header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"))
}

/// Reads and throws away at most [`LINGER_BYTES`] of `rest`, for at most [`LINGER_TIME`].
async fn linger(mut rest: ByteStream) {
    let drain = async {
        let mut drained: u64 = 0;
        while let Some(Ok(chunk)) = rest.next().await {
            drained = drained.saturating_add(chunk.len() as u64);
            if drained > LINGER_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_TIME, drain).await;
}

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// What a bounded body tells the middleware: whether it went past its limit, and the part of
/// the body no one read (to linger on after a refusal).
#[derive(Default)]
struct Shared {
    exceeded: AtomicBool,
    rest: std::sync::Mutex<Option<ByteStream>>,
}

impl Shared {
    fn park(&self, rest: ByteStream) {
        if let Ok(mut slot) = self.rest.lock() {
            *slot = Some(rest);
        }
    }

    fn take_rest(&self) -> Option<ByteStream> {
        self.rest.lock().ok().and_then(|mut slot| slot.take())
    }
}

/// The error a bounded body's reader gets past the limit.
#[derive(Debug, thiserror::Error)]
#[error("request body larger than {limit} bytes")]
struct LimitReached {
    limit: u64,
}

/// A body that fails once more than `limit` bytes have been read. What is left unread when it
/// fails or is dropped is parked in `shared`.
struct Bounded {
    inner: Option<ByteStream>,
    seen: u64,
    limit: u64,
    shared: Arc<Shared>,
}

impl Stream for Bounded {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        match inner.as_mut().poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => {
                this.inner = None;
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(e))) => {
                this.inner = None;
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(Some(Ok(chunk))) => {
                this.seen = this.seen.saturating_add(chunk.len() as u64);
                if this.seen > this.limit {
                    this.shared.exceeded.store(true, Ordering::SeqCst);
                    if let Some(rest) = this.inner.take() {
                        this.shared.park(rest);
                    }
                    let limit = this.limit;
                    return Poll::Ready(Some(Err(std::io::Error::other(LimitReached { limit }))));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
        }
    }
}

impl Drop for Bounded {
    fn drop(&mut self) {
        if let Some(rest) = self.inner.take() {
            self.shared.park(rest);
        }
    }
}

/// Why a multipart field could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FieldError {
    /// The field holds more than the limit.
    #[error("the file is larger than {}", size_text(*limit))]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The form could not be read (cut short, malformed, or the whole body too large).
    #[error("cannot read the form: {0}")]
    Read(#[from] std::io::Error),
}

impl From<poem::error::ParseMultipartError> for FieldError {
    fn from(e: poem::error::ParseMultipartError) -> Self {
        Self::Read(std::io::Error::other(e.to_string()))
    }
}

/// Reads one multipart field (a photo, a document), failing as soon as it holds more than
/// `limit` bytes: never more than `limit` bytes are kept. The buffer is reserved once, so that
/// it never grows by copying (its untouched pages cost no memory).
pub async fn read_field(field: poem::web::Field, limit: u64) -> Result<Vec<u8>, FieldError> {
    const MAX_RESERVED: u64 = 64 << 20;
    let mut bytes = Vec::with_capacity(usize::try_from(limit.min(MAX_RESERVED)).unwrap_or(0));
    let mut reader = Box::pin(field.into_async_read());
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut chunk).await?;
        if n == 0 {
            return Ok(bytes);
        }
        if bytes.len() as u64 + n as u64 > limit {
            return Err(FieldError::TooLarge { limit });
        }
        bytes.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::{EndpointExt, handler};

    #[test]
    fn patterns_match_one_segment_per_parameter() {
        let p = "/api/v1/tenants/:slug/objects/:id/documents";
        assert!(path_matches(
            p,
            "/api/v1/tenants/ecoles/objects/7/documents"
        ));
        assert!(path_matches(
            p,
            "/api/v1/tenants/ecoles/objects/7/documents/"
        ));
        assert!(!path_matches(p, "/api/v1/tenants/ecoles/objects/7"));
        assert!(!path_matches(
            p,
            "/api/v1/tenants/ecoles/objects/7/documents/x"
        ));
        assert!(!path_matches(p, "/api/v1/tenants//objects/7/documents"));
        assert!(!path_matches(
            "/t/:slug/o/:id/requests",
            "/t/a/o/1/requests/similar"
        ));
    }

    #[test]
    fn sizes_for_people() {
        assert_eq!(size_text(64 << 10), "64 KiB");
        assert_eq!(size_text((21 << 20) + 5), "21 MiB");
        assert_eq!(size_text(100), "100 bytes");
        assert_eq!(size_text_fr(1 << 20), "1 Mio");
    }

    #[handler]
    async fn echo(body: Body) -> poem::Result<String> {
        let bytes = body
            .into_bytes()
            .await
            .map_err(|e| poem::Error::from_string(e.to_string(), StatusCode::BAD_REQUEST))?;
        Ok(format!("{}", bytes.len()))
    }

    fn limited() -> impl Endpoint {
        let limits = BodyLimits {
            json: 10,
            form: 5,
            upload: 100,
            import: 1000,
        };
        echo.with(BodyLimit::new(
            limits,
            |req| {
                if path_matches("/upload", req.uri().path()) {
                    BodyClass::Upload
                } else {
                    BodyClass::Json
                }
            },
            |_, refusal| match refusal {
                Refusal::TooLarge(too_large) => Response::builder().body(too_large.to_string()),
                Refusal::Busy => Response::builder().body("busy"),
            },
        ))
    }

    #[tokio::test]
    async fn bodies_within_the_limit_pass() {
        let ep = limited();
        let resp = ep
            .call(Request::builder().uri_str("/").body("0123456789"))
            .await
            .unwrap()
            .into_response();
        assert_eq!(resp.status(), StatusCode::OK);
        let resp = ep
            .call(Request::builder().uri_str("/upload").body(vec![b'x'; 100]))
            .await
            .unwrap()
            .into_response();
        assert_eq!(resp.status(), StatusCode::OK);
        let empty = ep
            .call(Request::builder().uri_str("/").finish())
            .await
            .unwrap()
            .into_response();
        assert_eq!(empty.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn a_declared_length_above_the_limit_is_refused_unread() {
        let ep = limited();
        let never_read =
            Body::from_bytes_stream(futures::stream::pending::<Result<Vec<u8>, std::io::Error>>());
        let req = Request::builder()
            .uri_str("/")
            .header(header::CONTENT_LENGTH, (10 + LINGER_BYTES + 1).to_string())
            .body(never_read);
        let resp = ep.call(req).await.unwrap().into_response();
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(resp.headers().get(header::CONNECTION).unwrap(), "close");
    }

    #[handler]
    async fn slow(body: Body) -> String {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let _ = body.into_bytes().await;
        "ok".into()
    }

    #[tokio::test]
    async fn uploads_wait_for_a_slot_then_get_busy() {
        let limits = BodyLimits {
            json: 10,
            form: 10,
            upload: 10,
            import: 10,
        };
        let ep = Arc::new(
            slow.with(
                BodyLimit::new(
                    limits,
                    |req| {
                        if req.uri().path() == "/upload" {
                            BodyClass::Upload
                        } else {
                            BodyClass::Json
                        }
                    },
                    |_, _| Response::builder().body("refused"),
                )
                .upload_slots(1, std::time::Duration::from_millis(50)),
            ),
        );
        let call = |path: &'static str| {
            let ep = ep.clone();
            tokio::spawn(async move {
                let req = Request::builder().uri_str(path).body("x");
                ep.call(req).await.unwrap().into_response()
            })
        };
        let first = call("/upload");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let busy = call("/upload").await.unwrap();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(busy.headers().contains_key(header::RETRY_AFTER));
        let json = call("/json");
        assert_eq!(first.await.unwrap().status(), StatusCode::OK);
        assert_eq!(
            json.await.unwrap().status(),
            StatusCode::OK,
            "other routes never wait"
        );
        assert_eq!(call("/upload").await.unwrap().status(), StatusCode::OK);
    }

    /// Chunks of `size` bytes, `count` of them, counting how many were read.
    fn counted(size: usize, count: usize) -> (Body, Arc<std::sync::atomic::AtomicUsize>) {
        let read = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let r = read.clone();
        let chunks = futures::stream::iter((0..count).map(move |_| {
            r.fetch_add(1, Ordering::SeqCst);
            Ok::<_, std::io::Error>(vec![b'x'; size])
        }));
        (Body::from_bytes_stream(chunks), read)
    }

    #[tokio::test]
    async fn the_rest_of_a_refused_body_is_read_a_little() {
        let ep = limited();
        // 200 bytes on a 100-byte route: the rest is read before the answer.
        let (body, read) = counted(20, 10);
        let req = Request::builder().uri_str("/upload").body(body);
        let resp = ep.call(req).await.unwrap().into_response();
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(read.load(Ordering::SeqCst), 10);
        // A body far larger: cut off after about LINGER_BYTES.
        let (body, read) = counted(1 << 20, 10_000);
        let req = Request::builder().uri_str("/upload").body(body);
        let resp = ep.call(req).await.unwrap().into_response();
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let n = read.load(Ordering::SeqCst) as u64;
        assert!(n <= (LINGER_BYTES >> 20) + 2, "{n} MiB read");
    }

    #[tokio::test]
    async fn a_stream_past_the_limit_fails_while_read() {
        let ep = limited();
        // Ten chunks of 20 bytes, no length: the read fails at the sixth.
        let chunks =
            futures::stream::iter((0..10).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 20])));
        let req = Request::builder()
            .uri_str("/upload")
            .body(Body::from_bytes_stream(chunks));
        let mut resp = ep.call(req).await.unwrap().into_response();
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let text = resp.take_body().into_string().await.unwrap();
        assert!(text.contains("100 bytes"), "{text}");
    }
}
