//! Draining before a graceful stop.
//!
//! When the server is told to stop (SIGTERM), it first drains: it goes on answering, but
//! `/readyz` says 503 (so that load balancers and Kubernetes take it out of rotation) and
//! every answer carries `Connection: close` (so that clients holding a kept-alive connection
//! open a new one, which the load balancer sends elsewhere). Only then does it stop accepting
//! connections and let the requests in flight finish.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use poem::http::HeaderValue;
use poem::http::header::CONNECTION;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};

/// Whether the server is draining; shared by every clone.
#[derive(Debug, Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    /// Starts draining (for good).
    pub fn start(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether draining has started.
    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Adds `Connection: close` to every answer once draining has started.
#[derive(Debug, Clone)]
pub struct CloseWhileDraining(pub Draining);

impl<E: Endpoint> Middleware<E> for CloseWhileDraining {
    type Output = CloseWhileDrainingEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        CloseWhileDrainingEndpoint {
            inner: ep,
            draining: self.0.clone(),
        }
    }
}

/// The endpoint made by [`CloseWhileDraining`].
pub struct CloseWhileDrainingEndpoint<E> {
    inner: E,
    draining: Draining,
}

impl<E: Endpoint> Endpoint for CloseWhileDrainingEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Self::Output> {
        let result = self.inner.call(req).await;
        if !self.draining.is_draining() {
            return result.map(IntoResponse::into_response);
        }
        let mut resp = match result {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        resp.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use poem::{EndpointExt, handler};

    use super::*;

    #[handler]
    fn hello() -> &'static str {
        "hello"
    }

    #[tokio::test]
    async fn answers_close_their_connection_once_draining() {
        let draining = Draining::default();
        let ep = hello.with(CloseWhileDraining(draining.clone()));
        let resp = ep.call(Request::default()).await.unwrap();
        assert!(resp.headers().get(CONNECTION).is_none());
        draining.start();
        let resp = ep.call(Request::default()).await.unwrap();
        assert_eq!(resp.headers()[CONNECTION], "close");
        assert!(draining.clone().is_draining(), "clones share the state");
    }
}
