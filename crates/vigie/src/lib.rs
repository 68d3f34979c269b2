//! The Vigie server's composition root.
//!
//! [`App::build`] reads nothing but the [`Settings`] it is given: it opens the store (and
//! migrates it), syncs the authorization rules, builds the mailer and the use cases. [`App::endpoint`]
//! assembles the HTTP surface: probes, the JSON API under `/api`, the web pages at `/`, all
//! behind the session middleware. `main.rs` only parses the command line and calls these.

use std::sync::Arc;

use anyhow::Context as _;
use poem::http::StatusCode;
use poem::web::Json;
use poem::{Endpoint, EndpointExt, IntoResponse, Route, get, handler};
use vigie_authz::Authorizer;
use vigie_config::Settings;
use vigie_mail::{Mailer, OutboxMailer, SmtpConfig, SmtpMailer};
use vigie_plugins::{HostLimits, PluginHost};
use vigie_services::{ServiceSettings, Services};
use vigie_storage::Store;

mod demo;

/// Everything the server is made of.
#[derive(Clone)]
pub struct App {
    /// The use cases.
    pub services: Services,
    /// The store (also reachable through the services).
    pub store: Store,
    /// The settings it was built with (the HTTP edge reads its limits from them).
    pub settings: Settings,
    /// Set once the server drains before stopping: `/readyz` then answers 503.
    pub draining: vigie_http::Draining,
    /// Tells the background workers (the badge worker of [`App::build`], those of [`serve`])
    /// to stop after their current round.
    pub stop: Shutdown,
}

impl App {
    /// Builds the application from settings: store (migrated), authorizer, mailer, use cases.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&settings.storage.data_dir).with_context(|| {
            format!(
                "cannot create the data folder {}",
                settings.storage.data_dir.display()
            )
        })?;
        let url = settings.database_url();
        let store = Store::open(&url, settings.database.max_connections)
            .await
            .with_context(|| {
                format!(
                    "cannot open the database {}",
                    vigie_config::redact_url(&url)
                )
            })?;
        let authz = Authorizer::new(store.clone())
            .await
            .context("cannot load the authorization rules")?;
        let mailer = mailer(settings)?;
        let plugins = load_plugins(settings)?;
        let services = Services::new(
            store.clone(),
            Arc::new(authz),
            mailer,
            ServiceSettings {
                public_url: settings.public_url(),
                session_days: settings.accounts.session_days,
                verification_hours: settings.accounts.verification_hours,
                reset_hours: settings.accounts.reset_hours,
                limits: vigie_services::AccountLimits {
                    hashing_slots: settings.accounts.hashing_slots,
                    hashing_queue: settings.accounts.hashing_queue,
                    failures_per_account: settings.accounts.sign_in_failures_per_account,
                    account_window_minutes: settings.accounts.sign_in_account_window_minutes,
                    attempts_per_client_per_minute: settings
                        .accounts
                        .sign_in_attempts_per_client_per_minute,
                    mails_per_address_per_hour: settings.accounts.mails_per_address_per_hour,
                    mail_requests_per_client_per_hour: settings
                        .accounts
                        .mail_requests_per_client_per_hour,
                },
                requests: vigie_services::RequestLimits {
                    link_days: settings.requests.link_days,
                    notifications_per_request_day: settings.requests.notifications_per_request_day,
                    mails_per_address_hour: settings.requests.mails_per_address_hour,
                    journal_check_cache_seconds: settings.requests.journal_check_cache_seconds,
                },
                map: vigie_services::MapBackground {
                    tile_url: settings.map.tile_url.clone(),
                    attribution: settings.map.attribution.clone(),
                },
                mail: vigie_services::MailDelivery {
                    max_attempts: settings.mail.max_attempts,
                    retry_base_seconds: settings.mail.retry_base_seconds,
                    retry_max_seconds: settings.mail.retry_max_seconds,
                    lease_seconds: settings.mail.lease_seconds,
                    keep_sent_days: settings.mail.keep_sent_days,
                    ..vigie_services::MailDelivery::default()
                },
                inbound: vigie_services::InboundSettings {
                    reply_domain: settings.mail.reply_domain.clone(),
                    max_bytes: settings.mail.inbound_max_bytes,
                    secret: settings.mail.inbound_secret.clone(),
                },
            },
            Arc::new(plugins),
            media(settings)?,
        );
        // Every collective has the starter badges; badges move right after each action.
        for tenant in services.tenants().await? {
            services.ensure_starter_badges(tenant.id).await?;
        }
        let stop = Shutdown::new();
        let worker = services.clone();
        let until = stop.clone();
        // Badge levels are kept idempotently (a level is stored once), so stopping mid-way
        // loses nothing that the next start's catch-up does not compute again.
        tokio::spawn(async move {
            tokio::select! {
                () = worker.run_badge_worker() => {}
                () = until.requested() => {}
            }
        });
        Ok(Self {
            services,
            store,
            settings: settings.clone(),
            draining: vigie_http::Draining::default(),
            stop,
        })
    }

    /// Creates the demo collective on first start, if enabled, and fills it through the
    /// schools importers: from the Education ministry's API when the machine is online, else
    /// from the made-up sample shipped in `crates/vigie/demo/`. Then, if the demo collective has
    /// no request yet (also in a database made before requests existed), files the demo
    /// requests through the use cases (see `demo.rs`); and if its first nursery school has no
    /// value but the official ones, no life event or no document yet, adds its ATSEM counts
    /// over three school years, its life events and its documents (see `demo/places.rs`).
    /// Seeding twice changes nothing; server processes starting together on one PostgreSQL
    /// database seed one after the other (a database lock), so the later ones find it done.
    pub async fn seed_demo(&self, settings: &Settings) -> anyhow::Result<()> {
        if !settings.demo.enabled {
            return Ok(());
        }
        self.store
            .exclusively("vigie-demo-seed", self.seed_demo_alone(settings))
            .await
            .context("cannot take the demo's database lock")?
    }

    /// [`App::seed_demo`], the lock held.
    async fn seed_demo_alone(&self, settings: &Settings) -> anyhow::Result<()> {
        let (tenant, created) = match self.services.ensure_demo_tenant().await? {
            Some(tenant) => {
                self.fill_demo_objects(&tenant).await?;
                (tenant, true)
            }
            None => {
                let Some(tenant) = self
                    .services
                    .tenants()
                    .await?
                    .into_iter()
                    .find(|t| t.is_demo)
                else {
                    return Ok(());
                };
                (tenant, false)
            }
        };
        demo::seed_requests(&self.services, &self.store, &tenant)
            .await
            .context("cannot file the demo requests")?;
        demo::seed_places(&self.services, &self.store, &tenant)
            .await
            .context("cannot add the demo's values, life events and documents")?;
        if created {
            tracing::info!(url = %format!("{}/t/{}", settings.public_url(), tenant.slug), "demo collective ready");
        }
        Ok(())
    }

    /// Imports the demo collective's schools: the official data if the machine is online, else
    /// the shipped sample.
    async fn fill_demo_objects(&self, tenant: &vigie_storage::Tenant) -> anyhow::Result<()> {
        let schools = vigie_domain::ObjectTypeKey::parse("schools")?;
        let online = match fetch(DEMO_OFFICIAL_URL, std::time::Duration::from_secs(8)).await {
            Ok(bytes) => {
                match self
                    .services
                    .import_dataset(
                        vigie_services::Actor::Operator,
                        tenant,
                        &schools,
                        "data.education.gouv.fr",
                        &bytes,
                    )
                    .await
                {
                    Ok(r) if r.counts.created > 0 => {
                        tracing::info!(
                            created = r.counts.created,
                            "demo filled from the official API"
                        );
                        true
                    }
                    Ok(_) => false,
                    Err(e) => {
                        tracing::warn!(error = %e, "official data unusable; using the demo sample");
                        false
                    }
                }
            }
            Err(e) => {
                tracing::info!(reason = %e, "offline: filling the demo collective from the shipped sample");
                false
            }
        };
        if !online {
            for (name, bytes) in DEMO_SAMPLES {
                let r = self
                    .services
                    .import_dataset(
                        vigie_services::Actor::Operator,
                        tenant,
                        &schools,
                        name,
                        bytes,
                    )
                    .await?;
                tracing::info!(
                    file = name,
                    created = r.counts.created,
                    facts = r.counts.facts_added,
                    "demo sample imported"
                );
            }
        }
        Ok(())
    }

    /// The whole HTTP surface. From the outside in: the request id (and its tracing span),
    /// `Connection: close` while draining, the metrics, the request log; the client's address
    /// (forwarding headers believed from `server.trusted_proxies` only); the session; the body
    /// limit of the route; then the probes, the API under `/api` and the pages.
    pub fn endpoint(&self) -> anyhow::Result<impl Endpoint + 'static> {
        let settings = &self.settings;
        let proxies = trusted_proxies(settings)?;
        let anonymous = Arc::new(vigie_http::AnonymousLimiter::new(
            settings.limits.anonymous_submissions as usize,
            std::time::Duration::from_secs(settings.limits.anonymous_window_secs),
        ));
        // Public reads kept rendered; on PostgreSQL, the other server processes' writes are
        // followed so that none of them is ever served stale.
        let cache = Arc::new(vigie_http::ReadCache::new(
            usize::try_from(settings.server.read_cache_mib.saturating_mul(1 << 20))
                .unwrap_or(usize::MAX),
        ));
        self.store.listen_for_changes(&settings.database_url());
        let api_state =
            vigie_api::ApiState::new(self.services.clone(), anonymous.clone(), cache.clone());
        let web = vigie_web::WebState::new(self.services.clone(), anonymous, cache)
            .map_err(|e| anyhow::anyhow!("templates: {e}"))?;
        let open311 = vigie_api::open311_routes(api_state.clone());
        let api = vigie_api::routes(api_state);
        let pages = web.clone();
        let body_limit =
            vigie_http::BodyLimit::new(body_limits(settings), body_class, move |req, refusal| {
                let path = req.uri().path();
                let api = path == "/api" || path.starts_with("/api/");
                match refusal {
                    vigie_http::Refusal::TooLarge(too_large) if api => {
                        vigie_api::payload_too_large(too_large)
                    }
                    vigie_http::Refusal::TooLarge(too_large) => {
                        vigie_web::payload_too_large(&pages, req, too_large)
                    }
                    vigie_http::Refusal::Busy if api => vigie_api::busy(),
                    vigie_http::Refusal::Busy => vigie_web::busy_page(&pages, req),
                }
            })
            .upload_slots(
                settings.limits.concurrent_uploads as usize,
                std::time::Duration::from_secs(settings.limits.upload_wait_secs),
            );
        Ok(Route::new()
            .at("/healthz", get(healthz))
            .at(
                "/readyz",
                get(readyz)
                    .data(self.store.clone())
                    .data(self.draining.clone()),
            )
            .nest("/api", api)
            .nest("/open311", open311)
            .nest("/", vigie_web::routes(web))
            .with(body_limit)
            .with(vigie_http::SessionMiddleware::new(self.services.clone()))
            .with(vigie_http::ClientAddressMiddleware::new(proxies))
            .with(vigie_http::csrf::CrossSiteGuard::new(
                &self.services.settings().public_url,
            ))
            .with({
                let headers = vigie_http::headers::SecurityHeaders::new();
                let headers = match settings.map.tile_origin() {
                    Some(origin) => headers.with_image_origin(&origin),
                    None => headers,
                };
                headers.with_policy_for("/api/docs", &vigie_api::docs_policy())
            })
            .around(log_request)
            .with(vigie_http::HttpMetrics)
            .with(vigie_http::CloseWhileDraining(self.draining.clone()))
            .with(vigie_http::RequestIdMiddleware))
    }
}

/// The reverse proxies of `server.trusted_proxies`.
pub fn trusted_proxies(settings: &Settings) -> anyhow::Result<vigie_http::TrustedProxies> {
    let header = match settings.server.forwarded_header {
        vigie_config::ForwardedHeader::XForwardedFor => vigie_http::ForwardedHeader::XForwardedFor,
        vigie_config::ForwardedHeader::Forwarded => vigie_http::ForwardedHeader::Forwarded,
    };
    vigie_http::TrustedProxies::new(&settings.server.trusted_proxies, header)
        .context("server.trusted_proxies")
}

/// The body limits of the configuration, in bytes.
pub fn body_limits(settings: &Settings) -> vigie_http::BodyLimits {
    let l = &settings.limits;
    vigie_http::BodyLimits {
        json: u64::from(l.json_kib) << 10,
        form: u64::from(l.form_kib) << 10,
        upload: (u64::from(settings.media.max_upload_mib) << 20)
            + (u64::from(l.upload_overhead_kib) << 10),
        import: u64::from(l.import_mib) << 20,
    }
}

/// What a request's route takes: the API's and the pages' upload routes take a file, the
/// import route a whole dataset (from a signed-in user: anyone else gets the JSON limit), the
/// pages' other forms are URL-encoded, everything else is JSON.
fn body_class(req: &poem::Request) -> vigie_http::BodyClass {
    use vigie_http::BodyClass;
    let path = req.uri().path();
    let listed = |routes: &[&str]| {
        routes
            .iter()
            .any(|r| vigie_http::body_limit::path_matches(r, path))
    };
    if listed(&vigie_api::IMPORT_ROUTES) || listed(&vigie_web::IMPORT_ROUTES) {
        let signed_in = req
            .extensions()
            .get::<vigie_api::Caller>()
            .is_some_and(|c| c.user.is_some());
        return if signed_in {
            BodyClass::Import
        } else {
            BodyClass::Json
        };
    }
    // A provider's webhook posts whole messages: with its secret header, the import bound
    // (the handler then applies `mail.inbound_max_bytes`).
    if path == vigie_api::INBOUND_ROUTE && req.headers().contains_key(vigie_api::SECRET_HEADER) {
        return BodyClass::Import;
    }
    if listed(&vigie_api::UPLOAD_ROUTES) || listed(&vigie_web::UPLOAD_ROUTES) {
        return BodyClass::Upload;
    }
    let form = req
        .headers()
        .get(poem::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if form {
        BodyClass::Form
    } else {
        BodyClass::Json
    }
}

/// The plugin host with the bundled plugins and the pinned plugins of `plugins.dir`. A plugin
/// of the folder that fails to load is logged and left out; the others carry on
/// (`vigie plugin verify` fails on it).
pub fn load_plugins(settings: &Settings) -> anyhow::Result<PluginHost> {
    let cache = settings.plugin_cache_dir();
    // wasmtime wants an absolute cache folder.
    let cache = match std::fs::create_dir_all(&cache).and_then(|()| cache.canonicalize()) {
        Ok(dir) => Some(dir),
        Err(e) => {
            tracing::warn!(dir = %cache.display(), error = %e, "no plugin cache: compiling at every start");
            None
        }
    };
    let mut host = PluginHost::new(plugin_limits(settings), cache.as_deref())?;
    tracing::info!(allocation = %host.allocation(), "plugin host ready");
    host.load_bundled()?;
    if !settings.plugins.dir.is_empty() {
        let dir = std::path::Path::new(&settings.plugins.dir);
        for result in host.load_dir(dir, &settings.plugins.pinned) {
            match result {
                Ok(p) => tracing::info!(key = p.key(), source = %p.source(), "plugin loaded"),
                Err(e) => tracing::error!(error = %e, "plugin left out"),
            }
        }
    }
    Ok(host)
}

/// The blob store and upload rules of the configuration.
pub fn media(settings: &Settings) -> anyhow::Result<vigie_services::Media> {
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let store = vigie_media::BlobStore::open(&vigie_media::BlobStoreSettings {
        url: settings.media_store(),
        access_key_id: non_empty(&settings.media.s3_access_key_id),
        secret_access_key: non_empty(&settings.media.s3_secret_access_key),
    })
    .context("cannot open the file store (media.store)")?;
    let policy = vigie_media::MediaPolicy {
        max_upload_bytes: u64::from(settings.media.max_upload_mib) << 20,
        ..vigie_media::MediaPolicy::default()
    };
    Ok(vigie_services::Media { store, policy })
}

/// The per-call bounds of the configuration.
pub fn plugin_limits(settings: &Settings) -> HostLimits {
    HostLimits {
        fuel: settings.plugins.fuel,
        memory_bytes: (settings.plugins.memory_mib as usize) << 20,
        ..HostLimits::default()
    }
}

/// Marseille's public écoles in the ministry's geolocation dataset (Opendatasoft export API).
const DEMO_OFFICIAL_URL: &str = "https://data.education.gouv.fr/api/explore/v2.1/catalog/datasets/\
fr-en-adresse-et-geolocalisation-etablissements-premier-et-second-degre/exports/csv?delimiter=%3B\
&where=startswith(code_commune%2C%22132%22)%20and%20nature_uai%20in%20(101%2C151)";

/// Made-up demo data in the official formats (see `demo/README.md`).
const DEMO_SAMPLES: [(&str, &[u8]); 2] = [
    (
        "ecoles-marseille-geolocalisation-demo.csv",
        include_bytes!("../demo/ecoles-marseille-geolocalisation-demo.csv"),
    ),
    (
        "ecoles-marseille-effectifs-demo.csv",
        include_bytes!("../demo/ecoles-marseille-effectifs-demo.csv"),
    ),
];

/// Downloads a file (an official dataset export).
pub async fn fetch(url: &str, timeout: std::time::Duration) -> anyhow::Result<Vec<u8>> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(std::time::Duration::from_secs(4))
        .user_agent(concat!("vigie/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let resp = client.get(url).send().await?.error_for_status()?;
    Ok(resp.bytes().await?.to_vec())
}

/// Logs each request's method, path, status and duration — never the client's address,
/// which is personal data.
async fn log_request<E: Endpoint>(ep: Arc<E>, req: poem::Request) -> poem::Result<poem::Response> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let start = std::time::Instant::now();
    let result = ep.call(req).await.map(IntoResponse::into_response);
    let status = match &result {
        Ok(r) => r.status().as_u16(),
        Err(e) => e.status().as_u16(),
    };
    tracing::info!(%method, %path, status, micros = start.elapsed().as_micros() as u64, "request");
    result
}

/// Liveness: the process answers.
#[handler]
async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// Readiness: the database answers, and the server is not draining before a stop.
#[handler]
async fn readyz(
    store: poem::web::Data<&Store>,
    draining: poem::web::Data<&vigie_http::Draining>,
) -> poem::Response {
    if draining.is_draining() {
        return Json(serde_json::json!({
            "error": {"code": "shutting_down", "message": "the server is stopping: use another one"}
        }))
        .with_status(StatusCode::SERVICE_UNAVAILABLE)
        .into_response();
    }
    match store.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ready", "database": store.backend().name()}))
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            Json(serde_json::json!({
                "error": {"code": "database_unavailable", "message": "the database does not answer"}
            }))
            .with_status(StatusCode::SERVICE_UNAVAILABLE)
            .into_response()
        }
    }
}

/// Asks the background workers to stop after their current round; cheap to clone, every
/// clone sees the request.
#[derive(Debug, Clone)]
pub struct Shutdown(Arc<tokio::sync::watch::Sender<bool>>);

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    /// Not requested yet.
    pub fn new() -> Self {
        Self(Arc::new(tokio::sync::watch::Sender::new(false)))
    }

    /// Asks every worker to stop.
    pub fn request(&self) {
        self.0.send_replace(true);
    }

    /// Whether a stop was asked for.
    pub fn is_requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once a stop is asked for (at once if it already was).
    pub async fn requested(&self) {
        let mut rx = self.0.subscribe();
        let _ = rx.wait_for(|stop| *stop).await;
    }
}

/// Which signal asked the server to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopSignal {
    /// Ctrl-C: someone at a terminal, who wants it gone now.
    Interrupt,
    /// SIGTERM: an orchestrator, which takes the server out of rotation meanwhile.
    Terminate,
}

/// Serves until Ctrl-C or SIGTERM, then stops gracefully: after SIGTERM it drains for
/// `server.shutdown_delay_secs` (`/readyz` at 503, every answer closing its connection),
/// then stops accepting, gives the requests in flight and the background workers'
/// rounds up to `server.shutdown_timeout_secs`, and exits. With `metrics.bind` set, a second
/// listener serves `GET /metrics` there.
pub async fn serve(settings: &Settings) -> anyhow::Result<()> {
    // Installed before anything is counted; only when someone will read it.
    let metrics = if settings.metrics.bind.is_empty() {
        None
    } else {
        Some(vigie_http::metrics::install()?)
    };
    let app = App::build(settings).await?;
    app.seed_demo(settings).await?;
    let stop = app.stop.clone();
    let mut workers = vec![
        (
            "reminders",
            spawn_reminders(app.services.clone(), REMINDER_PERIOD, stop.clone()),
        ),
        (
            "digests",
            spawn_digests(
                app.services.clone(),
                settings.mail.digest_hour,
                stop.clone(),
            ),
        ),
        (
            "badge catch-up",
            spawn_badge_catch_up(app.services.clone(), stop.clone()),
        ),
        (
            "mail",
            spawn_mail_worker(
                app.services.clone(),
                std::time::Duration::from_secs(settings.mail.poll_seconds.max(1)),
                stop.clone(),
            ),
        ),
    ];
    tracing::info!(to = %app.services.mailer_description(), "e-mails are delivered from the outbox");
    let mut side_tasks = Vec::new();
    if let Some(handle) = metrics {
        let bind = settings.metrics.bind.clone();
        // Bound now, so that a port in use fails the start rather than a task later.
        let acceptor = poem::listener::Listener::into_acceptor(poem::listener::TcpListener::bind(
            bind.clone(),
        ))
        .await
        .with_context(|| format!("cannot listen for metrics on {bind} (metrics.bind)"))?;
        tracing::info!(%bind, "metrics served at /metrics");
        side_tasks.push(vigie_http::metrics::spawn_upkeep(handle.clone()));
        let endpoint = vigie_http::metrics::metrics_endpoint(handle, app.store.clone());
        side_tasks.push(tokio::spawn(async move {
            if let Err(e) = poem::Server::new_with_acceptor(acceptor)
                .run(endpoint)
                .await
            {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        }));
    }
    let endpoint = app.endpoint()?;
    let bind = settings.server.bind.clone();
    tracing::info!(%bind, public_url = %settings.public_url(), database = app.store.backend().name(), "Vigie is listening");
    let draining = app.draining.clone();
    let delay = std::time::Duration::from_secs(settings.server.shutdown_delay_secs);
    let timeout = std::time::Duration::from_secs(settings.server.shutdown_timeout_secs);
    let stopped_at = Arc::new(std::sync::OnceLock::new());
    let stop_workers = (stop.clone(), stopped_at.clone());
    let stopping = async move {
        let signal = stop_signal().await;
        draining.start();
        if signal == StopSignal::Terminate && !delay.is_zero() {
            tracing::info!(
                seconds = delay.as_secs(),
                "SIGTERM: draining (/readyz answers 503) before no longer accepting"
            );
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = stop_signal() => tracing::info!("second signal: draining cut short"),
            }
        }
        tracing::info!(
            timeout_secs = timeout.as_secs(),
            "no longer accepting connections; finishing the requests in flight"
        );
        // The workers end their round meanwhile (a mail batch is marked, a reminder queued).
        let (stop, stopped_at) = stop_workers;
        let _ = stopped_at.set(tokio::time::Instant::now());
        stop.request();
    };
    poem::Server::new(poem::listener::TcpListener::bind(bind))
        .run_with_graceful_shutdown(endpoint, stopping, Some(timeout))
        .await
        .context("the HTTP server stopped with an error")?;
    // The workers get what is left of the same bound.
    stop.request();
    let deadline = stopped_at
        .get()
        .copied()
        .unwrap_or_else(tokio::time::Instant::now)
        + timeout;
    for (name, worker) in &mut workers {
        if tokio::time::timeout_at(deadline, &mut *worker)
            .await
            .is_err()
        {
            tracing::warn!(
                worker = *name,
                "a background worker did not stop in time: stopped"
            );
            worker.abort();
        }
    }
    for task in side_tasks {
        task.abort();
    }
    app.store.close().await;
    tracing::info!("Vigie stopped");
    Ok(())
}

/// The mailer the settings name: the SMTP server of `mail.smtp_url`, else the outbox folder.
pub fn mailer(settings: &Settings) -> anyhow::Result<Arc<dyn Mailer>> {
    if settings.mail.smtp_url.is_empty() {
        return Ok(Arc::new(OutboxMailer::new(
            settings.outbox_dir(),
            settings.mail.from.clone(),
        )));
    }
    let config = SmtpConfig::parse(&settings.mail.smtp_url)?;
    Ok(Arc::new(SmtpMailer::new(config, &settings.mail.from)?))
}

/// Delivers the mail outbox for as long as the server runs: at once when this process queues
/// a message, when the next queued one is due, and at least every `poll` (messages queued by
/// another server process, or after a lost database). Several processes may run this side by
/// side: each message is claimed by one at a time. Once `stop` is requested it ends after the
/// round it is in (never between sending a message and marking it sent).
pub fn spawn_mail_worker(
    services: Services,
    poll: std::time::Duration,
    stop: Shutdown,
) -> tokio::task::JoinHandle<()> {
    let wake = services.mail_wakeup();
    tokio::spawn(async move {
        let mut pruned_at: Option<std::time::Instant> = None;
        while !stop.is_requested() {
            if pruned_at.is_none_or(|t| t.elapsed() > std::time::Duration::from_secs(3600)) {
                pruned_at = Some(std::time::Instant::now());
                match services.prune_sent_mail().await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(deleted = n, "old sent e-mails deleted from the outbox")
                    }
                    Err(e) => tracing::warn!(error = %e, "pruning the mail outbox failed"),
                }
            }
            match services.deliver_due_mail().await {
                Ok(round) if round != vigie_services::DeliveryRound::default() => {
                    tracing::info!(
                        sent = round.sent,
                        retried = round.retried,
                        failed = round.failed,
                        "mail outbox delivered"
                    );
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %e, "delivering the mail outbox failed; trying again later")
                }
            }
            let mut wait = poll;
            if let Ok(Some(next)) = services.next_mail_due().await {
                let until = next - time::OffsetDateTime::now_utc();
                if let Ok(until) = std::time::Duration::try_from(until) {
                    wait = wait.min(until);
                } else {
                    wait = std::time::Duration::ZERO;
                }
            }
            let wait = wait.max(std::time::Duration::from_millis(100));
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
                () = stop.requested() => {}
            }
        }
    })
}

/// How often the server looks for requests whose reminder date has come.
pub const REMINDER_PERIOD: std::time::Duration = std::time::Duration::from_secs(3600);

/// Sends the due reminders now and then every `period`, for as long as the server runs. How
/// many went out is logged; a failure is logged and tried again at the next round (the
/// storage claims each reminder once, so several servers may run this side by side). Once
/// `stop` is requested it ends after the round it is in.
pub fn spawn_reminders(
    services: Services,
    period: std::time::Duration,
    stop: Shutdown,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(period);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = every.tick() => {}
                () = stop.requested() => return,
            }
            let today = today();
            match services.send_due_reminders(&today).await {
                Ok(sent) => tracing::info!(sent, %today, "due reminders sent"),
                Err(e) => {
                    tracing::error!(error = %e, %today, "sending the due reminders failed; trying again later");
                }
            }
        }
    })
}

/// The last time the daily digests were due: today at `hour` (UTC) once past it, else
/// yesterday's.
pub fn last_digest_time(now: time::OffsetDateTime, hour: u8) -> time::OffsetDateTime {
    let at =
        now.replace_time(time::Time::from_hms(hour.min(23), 0, 0).unwrap_or(time::Time::MIDNIGHT));
    if at <= now {
        at
    } else {
        at - time::Duration::days(1)
    }
}

/// Sends the daily digests: every ten minutes, whatever waited from before the last digest
/// time (`mail.digest_hour`) goes, one message per reader. Several servers may run this side
/// by side: the storage gives each waiting line to one digest. Once `stop` is requested it
/// ends after the round it is in.
pub fn spawn_digests(services: Services, hour: u8, stop: Shutdown) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = every.tick() => {}
                () = stop.requested() => return,
            }
            let due = last_digest_time(time::OffsetDateTime::now_utc(), hour);
            match services.send_digests(due).await {
                Ok(0) => {}
                Ok(sent) => tracing::info!(sent, "daily digests sent"),
                Err(e) => {
                    tracing::error!(error = %e, "sending the daily digests failed; trying again later");
                }
            }
        }
    })
}

/// Computes every collective's badges once, in the background, after start-up: what was
/// earned while no server ran (or under a rule changed by another server) shows up. Actions
/// then move badges one account at a time. Once `stop` is requested it ends after the
/// collective it is computing (a level is stored once, whoever computes it).
pub fn spawn_badge_catch_up(services: Services, stop: Shutdown) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let tenants = match services.tenants().await {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "cannot list the collectives to compute badges");
                return;
            }
        };
        for tenant in tenants {
            if stop.is_requested() {
                return;
            }
            match services.compute_badges(&tenant).await {
                Ok(0) => {}
                Ok(reached) => tracing::info!(slug = %tenant.slug, reached, "badges computed"),
                Err(e) => {
                    tracing::warn!(slug = %tenant.slug, error = %e, "computing badges failed")
                }
            }
        }
    })
}

/// Today's date (UTC) as `YYYY-MM-DD`, the form of reminder dates.
pub fn today() -> String {
    vigie_storage::now()[..10].to_owned()
}

/// The date `days` days from now (UTC), `YYYY-MM-DD`.
pub fn date_in_days(days: u64) -> anyhow::Result<String> {
    let now = vigie_storage::parse_timestamp(&vigie_storage::now())?;
    let later = now + std::time::Duration::from_secs(days * 86_400);
    Ok(vigie_storage::timestamp(later)[..10].to_owned())
}

/// Waits for Ctrl-C or SIGTERM and says which came.
async fn stop_signal() -> StopSignal {
    #[cfg(unix)]
    {
        let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
        match term {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => StopSignal::Interrupt,
                _ = term.recv() => StopSignal::Terminate,
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                StopSignal::Interrupt
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        StopSignal::Interrupt
    }
}

/// Sets up logging as configured (`RUST_LOG` overrides the filter).
pub fn init_logging(settings: &Settings) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.server.log_filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // Logs go to stderr so that command output (e.g. `plugin inspect --json`) stays clean.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match settings.server.log_format {
        vigie_config::LogFormat::Json => builder.json().try_init(),
        vigie_config::LogFormat::Text => builder.try_init(),
    };
}
