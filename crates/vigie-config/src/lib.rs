//! Vigie's settings.
//!
//! One struct, [`Settings`], documents every setting and its default. Values come from, in
//! increasing precedence: the defaults, an optional TOML file, `VIGIE__SECTION__KEY`
//! environment variables, and the short forms `VIGIE_DATABASE_URL`, `VIGIE_BIND`,
//! `VIGIE_DATA_DIR` and `VIGIE_PUBLIC_URL`. The committed sample (`vigie.sample.toml`)
//! is tested to match the defaults.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The sample configuration file, with every setting at its default.
pub const SAMPLE: &str = include_str!("../vigie.sample.toml");

/// Why settings could not be loaded. Each message names the file or variable to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// The file or the environment holds a value of the wrong shape or an unknown key.
    #[error("invalid configuration ({origin}): {message}")]
    Invalid {
        /// Where the bad value came from.
        origin: String,
        /// What is wrong.
        message: String,
    },
}

/// All of Vigie's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// HTTP server.
    pub server: ServerSettings,
    /// Database.
    pub database: DatabaseSettings,
    /// Files.
    pub storage: StorageSettings,
    /// Outgoing e-mail.
    pub mail: MailSettings,
    /// Uploaded documents and photos.
    pub media: MediaSettings,
    /// Accounts and sessions.
    pub accounts: AccountSettings,
    /// Requests: personal links, notifications, the journal check.
    pub requests: RequestSettings,
    /// Object-type plugins.
    pub plugins: PluginSettings,
    /// Request body sizes and the anonymous allowance.
    pub limits: LimitSettings,
    /// Demo data.
    pub demo: DemoSettings,
    /// The background of the collectives' maps.
    pub map: MapSettings,
    /// Prometheus metrics, on a listener of their own.
    pub metrics: MetricsSettings,
}

/// `[server]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Listen address. Default `127.0.0.1:8080`.
    pub bind: String,
    /// Public base URL. Default empty, meaning `http://{bind}`.
    pub public_url: String,
    /// `text` or `json`. Default `text`.
    pub log_format: LogFormat,
    /// tracing EnvFilter. Default `info`.
    pub log_filter: String,
    /// Reverse proxies (addresses or CIDR networks, e.g. `10.0.0.0/8`) whose forwarding
    /// header names the client. Default empty: the socket's peer is the client and forwarding
    /// headers are ignored. In the environment: a comma-separated list.
    #[serde(deserialize_with = "list_or_commas")]
    pub trusted_proxies: Vec<String>,
    /// The header the trusted proxies write the client's address in: `x-forwarded-for`
    /// (default; nginx, ingress-nginx, Traefik, HAProxy) or `forwarded` (RFC 7239).
    pub forwarded_header: ForwardedHeader,
    /// Memory for the public reads kept rendered and compressed (a collective's objects and
    /// places, its page, object sheets), in MiB. Default 32; 0 renders every read anew.
    pub read_cache_mib: u64,
    /// After SIGTERM, seconds the server keeps answering (with `/readyz` at 503 and
    /// `Connection: close` on every answer) before it stops accepting connections, so that
    /// load balancers take it out of rotation first. Default 5; Ctrl-C skips it, and a
    /// second signal cuts it short.
    pub shutdown_delay_secs: u64,
    /// Then, seconds the requests in flight get to finish (and the background workers to end
    /// their round) before the process exits anyway. Default 20.
    pub shutdown_timeout_secs: u64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            public_url: String::new(),
            log_format: LogFormat::Text,
            log_filter: "info".into(),
            trusted_proxies: Vec::new(),
            forwarded_header: ForwardedHeader::XForwardedFor,
            read_cache_mib: 32,
            shutdown_delay_secs: 5,
            shutdown_timeout_secs: 20,
        }
    }
}

/// The header trusted proxies name the client in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1`.
    #[serde(rename = "x-forwarded-for")]
    XForwardedFor,
    /// `Forwarded: for=client` (RFC 7239).
    #[serde(rename = "forwarded")]
    Forwarded,
}

/// A list written as a TOML array, or as one comma-separated string (the environment's form).
fn list_or_commas<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Either::deserialize(d)? {
        Either::List(list) => list,
        Either::Text(text) => text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `[database]`
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://…` or `postgres://…`. Default empty: `{data_dir}/vigie.db`.
    pub url: String,
    /// Pool size. Default 10.
    pub max_connections: u32,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: String::new(),
            max_connections: 10,
        }
    }
}

impl std::fmt::Debug for DatabaseSettings {
    // A database URL may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// Replaces the password of `scheme://user:password@host` with `***`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// `[storage]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSettings {
    /// Data folder. Default `./data`.
    pub data_dir: PathBuf,
}

impl Default for StorageSettings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
        }
    }
}

/// `[mail]`
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// Sender address. Default `Vigie <no-reply@vigie.localhost>`.
    pub from: String,
    /// Outbox folder. Default empty: `{data_dir}/outbox`.
    pub outbox_dir: String,
    /// SMTP server: `smtp://HOST:25`, `smtp://USER:PASSWORD@HOST:587?tls=starttls`,
    /// `smtps://USER:PASSWORD@HOST:465` (options `ca`, `timeout`, `pool`, `helo`). Default
    /// empty: the outbox folder. Its password is redacted in `Debug`.
    pub smtp_url: String,
    /// Attempts before a queued e-mail is marked failed. Default 8.
    pub max_attempts: u32,
    /// Wait after a failed attempt, seconds, doubled after each further one. Default 30.
    pub retry_base_seconds: u64,
    /// Longest wait between attempts, seconds. Default 21600 (6 hours).
    pub retry_max_seconds: u64,
    /// How long a server's claim on a batch of e-mails lasts, seconds. Default 600.
    pub lease_seconds: u64,
    /// How often a server looks for due e-mails it was not told of, seconds. Default 5.
    pub poll_seconds: u64,
    /// Days a sent e-mail stays in the outbox (its body is forgotten once sent). Default 30.
    pub keep_sent_days: u32,
    /// Hour of the day (UTC, 0–23) the daily digests go out: each gathers what its reader
    /// chose to hear of once a day, up to then. Default 7.
    pub digest_hour: u8,
    /// Domain of the reply addresses (`reply+{token}@{reply_domain}`) put on notifications
    /// about requests, whose mail the MTA pipes to `vigie mail receive` or posts to the
    /// webhook. Default empty: no reply addresses, replies by e-mail are off.
    pub reply_domain: String,
    /// Shared secret a provider's webhook sends in `X-Vigie-Inbound-Secret` with
    /// `POST /api/v1/inbound-mail`. Default empty: the webhook is closed (the pipe still
    /// works). Redacted in `Debug`.
    pub inbound_secret: String,
    /// Largest raw message received, bytes. Default 26214400 (25 MiB).
    pub inbound_max_bytes: usize,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            from: "Vigie <no-reply@vigie.localhost>".into(),
            outbox_dir: String::new(),
            smtp_url: String::new(),
            max_attempts: 8,
            retry_base_seconds: 30,
            retry_max_seconds: 21600,
            lease_seconds: 600,
            poll_seconds: 5,
            keep_sent_days: 30,
            digest_hour: 7,
            reply_domain: String::new(),
            inbound_secret: String::new(),
            inbound_max_bytes: 25 * 1024 * 1024,
        }
    }
}

impl std::fmt::Debug for MailSettings {
    // The SMTP URL may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("from", &self.from)
            .field("outbox_dir", &self.outbox_dir)
            .field("smtp_url", &redact_url(&self.smtp_url))
            .field("max_attempts", &self.max_attempts)
            .field("retry_base_seconds", &self.retry_base_seconds)
            .field("retry_max_seconds", &self.retry_max_seconds)
            .field("lease_seconds", &self.lease_seconds)
            .field("poll_seconds", &self.poll_seconds)
            .field("keep_sent_days", &self.keep_sent_days)
            .field("digest_hour", &self.digest_hour)
            .field("reply_domain", &self.reply_domain)
            .field(
                "inbound_secret",
                &if self.inbound_secret.is_empty() {
                    ""
                } else {
                    "***"
                },
            )
            .field("inbound_max_bytes", &self.inbound_max_bytes)
            .finish()
    }
}

/// `[media]`
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaSettings {
    /// Folder or `s3://` URL. Default empty: `{data_dir}/files`.
    pub store: String,
    /// S3 access key id. Default empty: `AWS_ACCESS_KEY_ID`.
    pub s3_access_key_id: String,
    /// S3 secret. Default empty: `AWS_SECRET_ACCESS_KEY`. Redacted in `Debug`.
    pub s3_secret_access_key: String,
    /// Largest upload, MiB. Default 20.
    pub max_upload_mib: u32,
}

impl Default for MediaSettings {
    fn default() -> Self {
        Self {
            store: String::new(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: String::new(),
            max_upload_mib: 20,
        }
    }
}

impl std::fmt::Debug for MediaSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaSettings")
            .field("store", &self.store)
            .field("s3_access_key_id", &self.s3_access_key_id)
            .field(
                "s3_secret_access_key",
                &if self.s3_secret_access_key.is_empty() {
                    ""
                } else {
                    "***"
                },
            )
            .field("max_upload_mib", &self.max_upload_mib)
            .finish()
    }
}

/// `[accounts]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountSettings {
    /// Session lifetime in days. Default 30.
    pub session_days: u32,
    /// Verification link lifetime in hours. Default 48.
    pub verification_hours: u32,
    /// Password-reset link lifetime in hours. Default 2.
    pub reset_hours: u32,
    /// Password hashes computed at once (each takes about 19 MiB for a few tens of
    /// milliseconds). Default 0: one per processor.
    pub hashing_slots: usize,
    /// Password checks that may wait for a hashing slot (at most 5 s); more are answered
    /// 503 `busy` with `Retry-After` at once. Default 32.
    pub hashing_queue: usize,
    /// Failed sign-ins on one account (known or not) before further attempts are refused
    /// with 429 `too_many_attempts`. Default 5.
    pub sign_in_failures_per_account: usize,
    /// Minutes a failed sign-in counts against its account. Default 15.
    pub sign_in_account_window_minutes: u64,
    /// Sign-in attempts from one client address per minute (successful ones are given
    /// back). Default 20.
    pub sign_in_attempts_per_client_per_minute: usize,
    /// Account e-mails (verification, reset, « you already have an account ») sent to one
    /// address per hour; more are dropped silently. Counted in the database under a hash of
    /// the address. Default 3.
    pub mails_per_address_per_hour: u32,
    /// Requests that may send an account e-mail (register, resend, reset) from one client
    /// address per hour; more are answered 429 `too_many_attempts`. Default 30.
    pub mail_requests_per_client_per_hour: usize,
}

impl Default for AccountSettings {
    fn default() -> Self {
        Self {
            session_days: 30,
            verification_hours: 48,
            reset_hours: 2,
            hashing_slots: 0,
            hashing_queue: 32,
            sign_in_failures_per_account: 5,
            sign_in_account_window_minutes: 15,
            sign_in_attempts_per_client_per_minute: 20,
            mails_per_address_per_hour: 3,
            mail_requests_per_client_per_hour: 30,
        }
    }
}

/// `[requests]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequestSettings {
    /// A personal link (requester's or contact's) stops working after this many days without
    /// use. Default 90.
    pub link_days: u32,
    /// E-mails about one request that its editors may cause in 24 hours (notifications and
    /// assignments). Default 10.
    pub notifications_per_request_day: u32,
    /// E-mails about requests that one address may receive in an hour. Default 5.
    pub mails_per_address_hour: u32,
    /// For how long after a whole check the public journal check reuses its verdict for the
    /// same head and checks only new entries for a newer one, seconds (0: the whole chain on
    /// every call). Default 30.
    pub journal_check_cache_seconds: u32,
}

impl Default for RequestSettings {
    fn default() -> Self {
        Self {
            link_days: 90,
            notifications_per_request_day: 10,
            mails_per_address_hour: 5,
            journal_check_cache_seconds: 30,
        }
    }
}

/// `[plugins]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginSettings {
    /// Folder of extra plugins. Default empty: bundled plugins only.
    pub dir: String,
    /// Fuel per call. Default 50 000 000.
    pub fuel: u64,
    /// Memory cap per instance, MiB. Default 32.
    pub memory_mib: u32,
    /// Compiled-code cache. Default empty: `{data_dir}/cache/wasmtime`.
    pub cache_dir: String,
    /// File name → SHA-256 (hex) of every extra plugin. Default empty.
    pub pinned: std::collections::BTreeMap<String, String>,
}

impl Default for PluginSettings {
    fn default() -> Self {
        Self {
            dir: String::new(),
            fuel: 50_000_000,
            memory_mib: 32,
            cache_dir: String::new(),
            pinned: Default::default(),
        }
    }
}

/// `[limits]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    /// Largest JSON body (and any body not listed below), KiB. Default 1024.
    pub json_kib: u32,
    /// Largest URL-encoded form of the pages, KiB. Default 64.
    pub form_kib: u32,
    /// Room for an upload form's other fields besides its file (`media.max_upload_mib`), KiB.
    /// Default 1024.
    pub upload_overhead_kib: u32,
    /// Largest official dataset import (signed-in users only), MiB. Default 100.
    pub import_mib: u32,
    /// Uploads and imports read at once; the others wait for a slot. Default 8.
    pub concurrent_uploads: u32,
    /// How long an upload waits for a slot before 503, seconds. Default 30.
    pub upload_wait_secs: u64,
    /// Anonymous submissions (contributions, life events, requests, « me too »,
    /// reopenings) per client per window. Default 20.
    pub anonymous_submissions: u32,
    /// The anonymous window, seconds. Default 600.
    pub anonymous_window_secs: u64,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            json_kib: 1024,
            form_kib: 64,
            upload_overhead_kib: 1024,
            import_mib: 100,
            concurrent_uploads: 8,
            upload_wait_secs: 30,
            anonymous_submissions: 20,
            anonymous_window_secs: 600,
        }
    }
}

/// `[demo]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemoSettings {
    /// Create the demo collective on first start. Default true.
    pub enabled: bool,
}

impl Default for DemoSettings {
    fn default() -> Self {
        Self { enabled: true }
    }
}

/// `[map]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MapSettings {
    /// Raster tiles of the map's background, `{z}`, `{x}`, `{y}` replaced (and `{s}` by a
    /// subdomain letter). Default OpenStreetMap's standard tiles; empty: no background (the
    /// markers on a plain ground). Mind OpenStreetMap's tile usage policy for a busy
    /// instance: use your own tile server or a provider.
    pub tile_url: String,
    /// Attribution shown on the map (plain text). Default « © les contributeurs
    /// d'OpenStreetMap ».
    pub attribution: String,
}

impl Default for MapSettings {
    fn default() -> Self {
        Self {
            tile_url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png".into(),
            attribution: "© les contributeurs d'OpenStreetMap".into(),
        }
    }
}

impl MapSettings {
    /// The origin the tiles come from (`https://tile.openstreetmap.org`), for the pages'
    /// Content-Security-Policy; `None` without tiles.
    pub fn tile_origin(&self) -> Option<String> {
        let (scheme, rest) = self.tile_url.split_once("://")?;
        let host = rest.split('/').next().filter(|h| !h.is_empty())?;
        // `{s}.` stands for a subdomain letter: allow every subdomain.
        let host = match host.strip_prefix("{s}.") {
            Some(domain) => format!("*.{domain}"),
            None => host.to_owned(),
        };
        Some(format!("{scheme}://{host}"))
    }
}

/// `[metrics]`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Address of the listener serving `GET /metrics` (Prometheus text format), e.g.
    /// `0.0.0.0:9090`; never the public port. Default empty: no metrics listener.
    #[serde(deserialize_with = "text_or_number")]
    pub bind: String,
}

/// A text setting that a person may write as a bare number (`VIGIE__METRICS__BIND=9090`):
/// taken as text, so that the check says what to write instead of naming a type.
fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Text(String),
        Number(i64),
    }
    Ok(match Either::deserialize(d)? {
        Either::Text(text) => text,
        Either::Number(n) => n.to_string(),
    })
}

/// The short environment forms and the setting each one sets.
pub const SHORT_FORMS: [(&str, &str, &str); 4] = [
    ("VIGIE_DATABASE_URL", "database", "url"),
    ("VIGIE_BIND", "server", "bind"),
    ("VIGIE_DATA_DIR", "storage", "data_dir"),
    ("VIGIE_PUBLIC_URL", "server", "public_url"),
];

impl Settings {
    /// Loads settings from an optional file and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_from(file, std::env::vars())
    }

    /// Loads settings from an optional file and the given environment variables.
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str::<toml::Table>(&text).map_err(|e| ConfigError::Invalid {
                    origin: path.display().to_string(),
                    message: e.to_string(),
                })?
            }
            None => toml::Table::new(),
        };
        let env: Vec<(String, String)> = env.into_iter().collect();
        for (key, value) in &env {
            let Some(path) = key.strip_prefix("VIGIE__") else {
                continue;
            };
            let parts: Vec<String> = path.split("__").map(|p| p.to_ascii_lowercase()).collect();
            if parts.len() != 2 || parts.iter().any(String::is_empty) {
                return Err(ConfigError::Invalid {
                    origin: key.clone(),
                    message: "expected VIGIE__SECTION__KEY, e.g. VIGIE__SERVER__BIND".into(),
                });
            }
            set(&mut table, &parts[0], &parts[1], value);
        }
        for (var, section, name) in SHORT_FORMS {
            if let Some((_, value)) = env.iter().find(|(k, _)| k == var) {
                set(&mut table, section, name, value);
            }
        }
        let settings: Settings =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Invalid {
                    origin: file
                        .map(|p| format!("{} and VIGIE_* variables", p.display()))
                        .unwrap_or_else(|| "VIGIE_* variables".into()),
                    message: e.to_string(),
                })?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let url = &self.database.url;
        if !(url.is_empty() || url.starts_with("sqlite:") || url.starts_with("postgres")) {
            return Err(ConfigError::Invalid {
                origin: "database.url".into(),
                message: format!(
                    "unsupported database URL '{}': use sqlite://PATH or postgres://USER@HOST/DB",
                    redact_url(url)
                ),
            });
        }
        if self.server.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::Invalid {
                origin: "server.bind".into(),
                message: format!(
                    "'{}' is not an address: use IP:PORT, e.g. 127.0.0.1:8080",
                    self.server.bind
                ),
            });
        }
        if self.plugins.fuel < 1_000_000 || !(4..=4096).contains(&self.plugins.memory_mib) {
            return Err(ConfigError::Invalid {
                origin: "plugins".into(),
                message: "use fuel of at least 1000000 and memory_mib between 4 and 4096".into(),
            });
        }
        for (file, hash) in &self.plugins.pinned {
            if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ConfigError::Invalid {
                    origin: format!("plugins.pinned.\"{file}\""),
                    message: "a pin is the file's SHA-256 in hexadecimal (64 characters)".into(),
                });
            }
        }
        let l = &self.limits;
        if l.json_kib == 0
            || l.form_kib == 0
            || l.import_mib == 0
            || l.concurrent_uploads == 0
            || self.media.max_upload_mib == 0
            || l.anonymous_submissions == 0
            || l.anonymous_window_secs == 0
        {
            return Err(ConfigError::Invalid {
                origin: "limits".into(),
                message: "json_kib, form_kib, import_mib, concurrent_uploads, \
                          media.max_upload_mib, anonymous_submissions and \
                          anonymous_window_secs must be at least 1"
                    .into(),
            });
        }
        let tiles = &self.map.tile_url;
        if !tiles.is_empty()
            && (!(tiles.starts_with("https://") || tiles.starts_with("http://"))
                || !["{z}", "{x}", "{y}"].iter().all(|p| tiles.contains(p))
                || tiles.contains(['"', '\'', ' ', ';']))
        {
            return Err(ConfigError::Invalid {
                origin: "map.tile_url".into(),
                message: format!(
                    "'{tiles}' is not a tile URL: write https://HOST/{{z}}/{{x}}/{{y}}.png \
                     (or leave it empty for no background)"
                ),
            });
        }
        let metrics = &self.metrics.bind;
        if !metrics.is_empty() {
            match metrics.parse::<std::net::SocketAddr>() {
                Err(_) => {
                    return Err(ConfigError::Invalid {
                        origin: "metrics.bind".into(),
                        message: format!(
                            "'{metrics}' is not an address: use IP:PORT, e.g. 0.0.0.0:9090 \
                             (or leave it empty for no metrics listener)"
                        ),
                    });
                }
                Ok(addr)
                    if addr.to_string() == self.server.bind || metrics == &self.server.bind =>
                {
                    return Err(ConfigError::Invalid {
                        origin: "metrics.bind".into(),
                        message: format!(
                            "'{metrics}' is the public address (server.bind): metrics need a \
                             port of their own, e.g. 0.0.0.0:9090"
                        ),
                    });
                }
                Ok(_) => {}
            }
        }
        let smtp = &self.mail.smtp_url;
        if !(smtp.is_empty() || smtp.starts_with("smtp://") || smtp.starts_with("smtps://")) {
            return Err(ConfigError::Invalid {
                origin: "mail.smtp_url".into(),
                message: format!(
                    "'{}' is not an SMTP URL: write smtp://HOST:25, \
                     smtp://USER:PASSWORD@HOST:587?tls=starttls or smtps://USER:PASSWORD@HOST:465 \
                     (or leave it empty for the outbox folder)",
                    redact_url(smtp)
                ),
            });
        }
        let reply = &self.mail.reply_domain;
        if !reply.is_empty()
            && (reply.starts_with('.')
                || reply.ends_with('.')
                || !reply.contains('.')
                || !reply
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        {
            return Err(ConfigError::Invalid {
                origin: "mail.reply_domain".into(),
                message: format!(
                    "'{reply}' is not a domain: write the domain of the reply addresses, \
                     e.g. reply.example.org (or leave it empty to turn replies by e-mail off)"
                ),
            });
        }
        if self.mail.max_attempts == 0
            || self.mail.retry_base_seconds == 0
            || self.mail.lease_seconds == 0
            || self.mail.poll_seconds == 0
            || self.mail.keep_sent_days == 0
            || self.mail.inbound_max_bytes == 0
        {
            return Err(ConfigError::Invalid {
                origin: "mail".into(),
                message: "max_attempts, retry_base_seconds, lease_seconds, poll_seconds, \
                          keep_sent_days and inbound_max_bytes must be at least 1"
                    .into(),
            });
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError::Invalid {
                origin: "database.max_connections".into(),
                message: "use at least 1 connection".into(),
            });
        }
        Ok(())
    }

    /// The database URL, the embedded SQLite file by default.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.storage.data_dir.join("vigie.db").display()
            )
        } else {
            self.database.url.clone()
        }
    }

    /// The public base URL, without a trailing slash.
    pub fn public_url(&self) -> String {
        if self.server.public_url.is_empty() {
            format!("http://{}", self.server.bind)
        } else {
            self.server.public_url.trim_end_matches('/').to_owned()
        }
    }

    /// Where uploads are stored (folder or `s3://` URL).
    pub fn media_store(&self) -> String {
        if self.media.store.is_empty() {
            self.storage.data_dir.join("files").display().to_string()
        } else {
            self.media.store.clone()
        }
    }

    /// Where compiled plugins are cached.
    pub fn plugin_cache_dir(&self) -> PathBuf {
        if self.plugins.cache_dir.is_empty() {
            self.storage.data_dir.join("cache").join("wasmtime")
        } else {
            PathBuf::from(&self.plugins.cache_dir)
        }
    }

    /// Where outgoing mail is written when no SMTP server is configured.
    pub fn outbox_dir(&self) -> PathBuf {
        if self.mail.outbox_dir.is_empty() {
            self.storage.data_dir.join("outbox")
        } else {
            PathBuf::from(&self.mail.outbox_dir)
        }
    }
}

/// Sets `section.key` in a TOML table from an environment string, guessing its type the way a
/// person would write it in the file (integers, floats and booleans; text otherwise).
fn set(table: &mut toml::Table, section: &str, key: &str, raw: &str) {
    let value = if let Ok(i) = raw.parse::<i64>() {
        toml::Value::Integer(i)
    } else if let Ok(b) = raw.parse::<bool>() {
        toml::Value::Boolean(b)
    } else if let Ok(f) = raw.parse::<f64>().map_err(|_| ()).and_then(|f| {
        if raw.contains('.') && !raw.contains(':') {
            Ok(f)
        } else {
            Err(())
        }
    }) {
        toml::Value::Float(f)
    } else {
        toml::Value::String(raw.to_owned())
    };
    let section = table
        .entry(section.to_owned())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(t) = section {
        t.insert(key.to_owned(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn sample_matches_defaults() {
        let parsed: Settings = toml::from_str(SAMPLE).unwrap();
        assert_eq!(parsed, Settings::default());
        // Every default key is written in the sample.
        let defaults = toml::Value::try_from(Settings::default()).unwrap();
        let sample: toml::Table = toml::from_str(SAMPLE).unwrap();
        for (section, keys) in defaults.as_table().unwrap() {
            for key in keys.as_table().unwrap().keys() {
                assert!(
                    sample.get(section).and_then(|s| s.get(key)).is_some(),
                    "{section}.{key} missing from vigie.sample.toml"
                );
            }
        }
    }

    #[test]
    fn environment_overrides_in_order() {
        let s = Settings::load_from(
            None,
            env(&[
                ("VIGIE__SERVER__BIND", "0.0.0.0:9000"),
                ("VIGIE__DATABASE__MAX_CONNECTIONS", "3"),
                ("VIGIE__DEMO__ENABLED", "false"),
                ("VIGIE_DATABASE_URL", "postgres://postgres@127.0.0.1/vigie"),
                ("VIGIE_DATA_DIR", "/tmp/vigie"),
            ]),
        )
        .unwrap();
        assert_eq!(s.server.bind, "0.0.0.0:9000");
        assert_eq!(s.database.max_connections, 3);
        assert!(!s.demo.enabled);
        assert_eq!(s.database_url(), "postgres://postgres@127.0.0.1/vigie");
        assert_eq!(s.outbox_dir(), PathBuf::from("/tmp/vigie/outbox"));
        let s = Settings::load_from(
            None,
            env(&[
                ("VIGIE__SERVER__BIND", "0.0.0.0:9000"),
                ("VIGIE_BIND", "127.0.0.1:9001"),
            ]),
        )
        .unwrap();
        assert_eq!(s.server.bind, "127.0.0.1:9001");
        assert_eq!(s.public_url(), "http://127.0.0.1:9001");
    }

    #[test]
    fn trusted_proxies_from_the_file_or_the_environment() {
        let s = Settings::load_from(
            None,
            env(&[
                ("VIGIE__SERVER__TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8"),
                ("VIGIE__SERVER__FORWARDED_HEADER", "forwarded"),
            ]),
        )
        .unwrap();
        assert_eq!(s.server.trusted_proxies, ["10.0.0.0/8", "fd00::/8"]);
        assert_eq!(s.server.forwarded_header, ForwardedHeader::Forwarded);
        let parsed: Settings =
            toml::from_str("[server]\ntrusted_proxies = [\"192.0.2.1\"]\n").unwrap();
        assert_eq!(parsed.server.trusted_proxies, ["192.0.2.1"]);
        assert!(
            toml::from_str::<Settings>("[server]\nforwarded_header = \"x-real-ip\"\n").is_err()
        );
    }

    #[test]
    fn limits_of_zero_are_refused() {
        let e = Settings::load_from(None, env(&[("VIGIE__LIMITS__FORM_KIB", "0")])).unwrap_err();
        assert!(e.to_string().contains("limits"), "{e}");
        let s = Settings::load_from(None, env(&[("VIGIE__LIMITS__IMPORT_MIB", "250")])).unwrap();
        assert_eq!(s.limits.import_mib, 250);
    }

    #[test]
    fn bad_values_say_what_to_fix() {
        let err = Settings::load_from(None, env(&[("VIGIE__SERVER__NOPE", "1")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("nope"), "{err}");
        let err = Settings::load_from(None, env(&[("VIGIE_DATABASE_URL", "mysql://x")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("sqlite://"), "{err}");
        let err = Settings::load_from(None, env(&[("VIGIE_BIND", "here")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("IP:PORT"), "{err}");
    }

    #[test]
    fn metrics_listen_apart_from_the_public_port() {
        let s =
            Settings::load_from(None, env(&[("VIGIE__METRICS__BIND", "0.0.0.0:9090")])).unwrap();
        assert_eq!(s.metrics.bind, "0.0.0.0:9090");
        assert!(
            Settings::default().metrics.bind.is_empty(),
            "off by default"
        );
        let err = Settings::load_from(None, env(&[("VIGIE__METRICS__BIND", "9090")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("metrics.bind") && err.contains("IP:PORT"),
            "{err}"
        );
        let err = Settings::load_from(
            None,
            env(&[
                ("VIGIE_BIND", "127.0.0.1:8080"),
                ("VIGIE__METRICS__BIND", "127.0.0.1:8080"),
            ]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("port of their own"), "{err}");
    }

    #[test]
    fn debug_redacts_passwords() {
        let mut s = Settings::default();
        s.database.url = "postgres://vigie:s3cret@db/vigie".into();
        s.mail.smtp_url = "smtp://mailer:p4ssw0rd@smtp.example.org:587?tls=starttls".into();
        s.mail.inbound_secret = "w3bh00k-s3cret".into();
        let shown = format!("{s:?}");
        assert!(!shown.contains("w3bh00k"), "{shown}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("vigie:***@db"), "{shown}");
        assert!(!shown.contains("p4ssw0rd"), "{shown}");
        assert!(
            shown.contains("smtp://mailer:***@smtp.example.org:587?tls=starttls"),
            "{shown}"
        );
    }
}
