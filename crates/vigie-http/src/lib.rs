//! Vigie's HTTP edge: what every route shares, whichever door (the JSON API under `/api` or
//! the web pages) a request comes through. The API and the pages translate requests into use
//! cases; this crate holds what protects them both.
//!
//! - [`client`]: the client's address, trusting `X-Forwarded-For` / `Forwarded` only from the
//!   configured proxies, IPv6 counted per /64.
//! - [`body_limit`]: request bodies bounded while they are read, sized per route.
//! - [`limits`]: anonymous submissions limited per client, one allowance for the API and the
//!   pages.
//! - [`csrf`]: state-changing requests from another site refused.
//! - [`headers`]: Content-Security-Policy and the other security headers.
//! - [`cache`]: public reads rendered once per change, compressed, answered with `ETag`s.
//! - [`request_id`]: every request's id, in its answer and on its logs.
//! - [`metrics`]: requests counted by route template, the Prometheus scrape endpoint.
//! - [`shutdown`]: draining before a graceful stop.

pub mod body_limit;
pub mod cache;
pub mod client;
pub mod csrf;
pub mod headers;
pub mod limits;
pub mod metrics;
pub mod request_id;
pub mod session;
pub mod shutdown;

pub use body_limit::{BodyClass, BodyLimit, BodyLimits, Refusal, TooLarge};
pub use cache::{
    CachedRead, PUBLIC_REVALIDATE, ReadCache, Rendered, VARY_ENCODING, VARY_ENCODING_COOKIE,
};
pub use client::{ClientAddress, ClientAddressMiddleware, ForwardedHeader, TrustedProxies};
pub use limits::AnonymousLimiter;
pub use metrics::HttpMetrics;
pub use request_id::{RequestId, RequestIdMiddleware};
pub use session::{Caller, NotSignedIn, SESSION_COOKIE, SessionMiddleware};
pub use shutdown::{CloseWhileDraining, Draining};
