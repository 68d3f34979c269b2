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

pub mod body_limit;
pub mod cache;
pub mod client;
pub mod csrf;
pub mod headers;
pub mod limits;
pub mod session;

pub use body_limit::{BodyClass, BodyLimit, BodyLimits, Refusal, TooLarge};
pub use cache::{
    CachedRead, PUBLIC_REVALIDATE, ReadCache, Rendered, VARY_ENCODING, VARY_ENCODING_COOKIE,
};
pub use client::{ClientAddress, ClientAddressMiddleware, ForwardedHeader, TrustedProxies};
pub use limits::AnonymousLimiter;
pub use session::{Caller, NotSignedIn, SESSION_COOKIE, SessionMiddleware};
