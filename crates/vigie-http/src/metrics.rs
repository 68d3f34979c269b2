//! Prometheus metrics: what the server does, in the Prometheus text format, on a listener of
//! its own (`metrics.bind`), never on the public port.
//!
//! The work is counted where it happens, through the [`metrics`] facade (as logs go through
//! `tracing`): HTTP requests here ([`HttpMetrics`]), plugin calls in the plugin host, the
//! mail outbox in the use cases, journal entries in the store. The facade does nothing until
//! a recorder is installed: the binary installs the Prometheus one ([`install`]) only when
//! metrics are asked for, and serves [`metrics_endpoint`] on their listener. Gauges that
//! describe state rather than events (the database pool, the outbox's queue) are read at
//! each scrape.
//!
//! Requests are counted under their route template (`/api/v1/tenants/:slug/objects/:id`),
//! never their raw path: ids do not make new series. A request no route matched (a 404, or
//! one refused before routing) counts under `route="none"`.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `vigie_http_requests_total` | counter | `method`, `route`, `status` |
//! | `vigie_http_request_duration_seconds` | histogram | `method`, `route` |
//! | `vigie_http_requests_in_flight` | gauge | |
//! | `vigie_db_pool_connections` | gauge | `state` (`idle`, `in_use`) |
//! | `vigie_db_pool_max_connections` | gauge | |
//! | `vigie_plugin_call_duration_seconds` | histogram | `plugin`, `call` |
//! | `vigie_plugin_call_failures_total` | counter | `plugin`, `call`, `reason` |
//! | `vigie_mail_outbox_messages` | gauge | `state` (`pending`, `failed`) |
//! | `vigie_mail_deliveries_total` | counter | `outcome` (`sent`, `retried`, `failed`) |
//! | `vigie_import_rows_total` | counter | `object_type`, `outcome` |
//! | `vigie_journal_entries_total` | counter | |

use std::sync::OnceLock;
use std::time::Instant;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use poem::http::{Method, StatusCode};
use poem::{Endpoint, EndpointExt, IntoResponse, Middleware, PathPattern, Request, Response};
use vigie_storage::Store;

/// Buckets of request latencies, seconds.
const HTTP_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Buckets of plugin calls, seconds: most take microseconds.
const PLUGIN_BUCKETS: &[f64] = &[
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.0025, 0.005, 0.01, 0.05,
    0.25, 1.0,
];

/// Why the Prometheus recorder could not be installed.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the Prometheus metrics: {0}")]
pub struct MetricsError(String);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the Prometheus recorder for the process (the metrics facade is process-wide, as
/// `tracing`'s subscriber is) and describes every metric. Installing twice hands back the
/// first handle.
pub fn install() -> Result<PrometheusHandle, MetricsError> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Prefix("vigie_plugin_".into()), PLUGIN_BUCKETS)
        .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_seconds".into()), HTTP_BUCKETS))
        .map_err(|e| MetricsError(e.to_string()))?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|e| MetricsError(e.to_string()))?;
    describe();
    Ok(HANDLE.get_or_init(|| handle).clone())
}

/// The `# HELP` lines.
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "vigie_http_requests_total",
        "HTTP requests answered, by method, route template and status."
    );
    describe_histogram!(
        "vigie_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request (until its headers), by method and route template."
    );
    describe_gauge!(
        "vigie_http_requests_in_flight",
        "HTTP requests being answered now."
    );
    describe_gauge!(
        "vigie_db_pool_connections",
        "Database connections of this process's pool, idle or in use."
    );
    describe_gauge!(
        "vigie_db_pool_max_connections",
        "The pool's largest size (database.max_connections)."
    );
    describe_histogram!(
        "vigie_plugin_call_duration_seconds",
        Unit::Seconds,
        "Time of one call into an object-type plugin, by plugin and call."
    );
    describe_counter!(
        "vigie_plugin_call_failures_total",
        "Plugin calls that failed (trap, out of fuel, memory limit, forbidden answer)."
    );
    describe_gauge!(
        "vigie_mail_outbox_messages",
        "E-mails in the outbox waiting for an attempt (pending) or given up (failed)."
    );
    describe_counter!(
        "vigie_mail_deliveries_total",
        "Delivery attempts of the mail outbox by this process, by outcome."
    );
    describe_counter!(
        "vigie_import_rows_total",
        "Rows of official datasets imported, by object type and outcome."
    );
    describe_counter!(
        "vigie_journal_entries_total",
        "Entries appended to the collectives' public journals by this process."
    );
}

/// Keeps the recorder's histograms drained (every few seconds, for as long as the process
/// runs), so that memory stays flat between scrapes.
pub fn spawn_upkeep(handle: PrometheusHandle) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            every.tick().await;
            handle.run_upkeep();
        }
    })
}

/// The metrics listener's whole surface: `GET /metrics`, anything else 404.
pub fn metrics_endpoint(handle: PrometheusHandle, store: Store) -> impl Endpoint + 'static {
    poem::Route::new().at("/metrics", poem::get(Scrape { handle, store }).boxed())
}

/// Renders the metrics, after reading the gauges of state.
struct Scrape {
    handle: PrometheusHandle,
    store: Store,
}

impl Endpoint for Scrape {
    type Output = Response;

    async fn call(&self, _req: Request) -> poem::Result<Response> {
        let pool = self.store.pool_use();
        metrics::gauge!("vigie_db_pool_connections", "state" => "idle").set(pool.idle as f64);
        metrics::gauge!("vigie_db_pool_connections", "state" => "in_use")
            .set(pool.size.saturating_sub(pool.idle) as f64);
        metrics::gauge!("vigie_db_pool_max_connections").set(f64::from(pool.max));
        match self.store.outbox_counts().await {
            Ok(counts) => {
                metrics::gauge!("vigie_mail_outbox_messages", "state" => "pending")
                    .set(counts.pending as f64);
                metrics::gauge!("vigie_mail_outbox_messages", "state" => "failed")
                    .set(counts.failed as f64);
            }
            // The scrape still answers: the pool gauges say why the database is missing.
            Err(e) => tracing::warn!(error = %e, "metrics: cannot count the mail outbox"),
        }
        Ok(self
            .handle
            .render()
            .with_content_type("text/plain; version=0.0.4; charset=utf-8")
            .into_response())
    }
}

/// Counts every request under its route template and status, with its latency.
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpMetrics;

impl<E: Endpoint> Middleware<E> for HttpMetrics {
    type Output = HttpMetricsEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        HttpMetricsEndpoint { inner: ep }
    }
}

/// The endpoint made by [`HttpMetrics`].
pub struct HttpMetricsEndpoint<E> {
    inner: E,
}

/// Leaves the in-flight gauge when dropped, also when the client went away mid-request.
struct InFlight;

impl InFlight {
    fn enter() -> Self {
        metrics::gauge!("vigie_http_requests_in_flight").increment(1.0);
        Self
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!("vigie_http_requests_in_flight").decrement(1.0);
    }
}

/// A method as a label: the standard ones, anything else `other` (a client may send any
/// token as a method; it must not make new series).
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

impl<E: Endpoint> Endpoint for HttpMetricsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Self::Output> {
        let method = method_label(req.method());
        let start = Instant::now();
        let _in_flight = InFlight::enter();
        let result = self.inner.call(req).await.map(IntoResponse::into_response);
        let (status, route) = match &result {
            Ok(r) => (r.status(), r.data::<PathPattern>().map(|p| p.0.clone())),
            Err(e) => (e.status(), e.data::<PathPattern>().map(|p| p.0.clone())),
        };
        // A path under a nest no inner route matched gets the nest's prefix, empty for `/`.
        let route = route
            .filter(|r| !r.is_empty())
            .map_or_else(|| "none".to_owned(), |r| r.to_string());
        let status = status_label(status);
        metrics::counter!("vigie_http_requests_total",
            "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
        metrics::histogram!("vigie_http_request_duration_seconds",
            "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
        result
    }
}

/// A status as a label (`200`, `404`, …).
fn status_label(status: StatusCode) -> &'static str {
    // Known statuses as static text; anything else by class.
    match status.as_u16() {
        200 => "200",
        201 => "201",
        202 => "202",
        204 => "204",
        206 => "206",
        301 => "301",
        302 => "302",
        303 => "303",
        304 => "304",
        307 => "307",
        308 => "308",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        406 => "406",
        409 => "409",
        410 => "410",
        412 => "412",
        413 => "413",
        415 => "415",
        422 => "422",
        429 => "429",
        500 => "500",
        501 => "501",
        502 => "502",
        503 => "503",
        504 => "504",
        s if s < 200 => "1xx",
        s if s < 300 => "2xx",
        s if s < 400 => "3xx",
        s if s < 500 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use poem::{EndpointExt, Route, get, handler};

    use super::*;

    #[handler]
    fn object() -> &'static str {
        "an object"
    }

    #[handler]
    fn broken() -> poem::Result<&'static str> {
        Err(poem::Error::from_status(StatusCode::SERVICE_UNAVAILABLE))
    }

    fn get_req(path: &'static str) -> Request {
        Request::builder()
            .uri(poem::http::Uri::from_static(path))
            .finish()
    }

    /// Requests are counted under their route template, whatever their ids; unknown paths
    /// under `none`; odd methods under `other`.
    #[tokio::test]
    async fn requests_are_counted_by_route_template() {
        let recorder = PrometheusBuilder::new()
            .set_buckets(HTTP_BUCKETS)
            .unwrap()
            .build_recorder();
        let handle = recorder.handle();
        let api = Route::new()
            .at("/tenants/:slug/objects/:id", get(object))
            .at("/down", get(broken));
        let ep = Route::new()
            .nest("/api", api)
            .nest("/", Route::new().at("/page", get(object)))
            .with(HttpMetrics);
        let _guard = metrics::set_default_local_recorder(&recorder);
        for id in 0..50 {
            let path: &'static str =
                Box::leak(format!("/api/tenants/t{id}/objects/{id}").into_boxed_str());
            let resp = ep.call(get_req(path)).await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
        }
        assert!(ep.call(get_req("/api/down")).await.is_err());
        assert!(ep.call(get_req("/nowhere/42")).await.is_err());
        let odd = Request::builder()
            .method(Method::from_bytes(b"BREW").unwrap())
            .uri(poem::http::Uri::from_static("/api/down"))
            .finish();
        let _ = ep.call(odd).await;
        let text = handle.render();
        assert!(
            text.contains(
                r#"vigie_http_requests_total{method="GET",route="/api/tenants/:slug/objects/:id",status="200"} 50"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"vigie_http_requests_total{method="GET",route="/api/down",status="503"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"vigie_http_requests_total{method="GET",route="none",status="404"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"method="other""#), "{text}");
        assert!(!text.contains("/t1/"), "no raw path: {text}");
        assert!(
            text.contains(
                r#"vigie_http_request_duration_seconds_bucket{method="GET",route="/api/tenants/:slug/objects/:id",le="0.005"}"#
            ),
            "{text}"
        );
        assert!(text.contains("vigie_http_requests_in_flight 0"), "{text}");
    }

    /// What the middleware costs per request, recorder installed: `cargo test -p vigie-http
    /// --lib metrics_overhead -- --ignored --nocapture` (a measure, not a check).
    #[tokio::test]
    #[ignore = "a measure, run by hand"]
    async fn metrics_overhead() {
        let recorder = PrometheusBuilder::new()
            .set_buckets(HTTP_BUCKETS)
            .unwrap()
            .build_recorder();
        let _guard = metrics::set_default_local_recorder(&recorder);
        let bare = Route::new().at("/tenants/:slug/objects/:id", get(object));
        let measured = Route::new()
            .at("/tenants/:slug/objects/:id", get(object))
            .with(HttpMetrics);
        const N: u32 = 100_000;
        let mut runs = Vec::new();
        for round in 0..2 {
            let start = Instant::now();
            for _ in 0..N {
                bare.call(get_req("/tenants/t/objects/42")).await.unwrap();
            }
            let plain = start.elapsed() / N;
            let start = Instant::now();
            for _ in 0..N {
                measured
                    .call(get_req("/tenants/t/objects/42"))
                    .await
                    .unwrap();
            }
            let with = start.elapsed() / N;
            runs.push((round, plain, with));
        }
        for (round, plain, with) in runs {
            eprintln!(
                "round {round}: {plain:?} per request without, {with:?} with the metrics \
                 middleware: {:?} more",
                with.saturating_sub(plain)
            );
        }
    }
}
