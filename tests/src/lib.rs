//! End-to-end test harness: the composed Vigie server on a random port, over real HTTP, on a
//! fresh SQLite file or a fresh PostgreSQL database per test.
//!
//! PostgreSQL tests use `VIGIE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) to create and drop a database of their own.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use serde_json::{Value, json};
use sqlx::Connection as _;
use vigie::App;
use vigie_config::Settings;

pub mod smtp;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A fresh SQLite file.
    Sqlite,
    /// A fresh PostgreSQL database on the server of `VIGIE_TEST_POSTGRES_URL`.
    Postgres,
}

/// Runs an async test body on both backends: `both_backends!(name)` expects
/// `async fn name(backend: Backend)` in scope and makes `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::Backend::Postgres).await
            }
        }
    )+};
}

/// The PostgreSQL server tests use.
pub fn postgres_admin_url() -> String {
    std::env::var("VIGIE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh, empty database for one test.
pub struct TestDatabase {
    /// URL to give Vigie.
    pub url: String,
    backend: Backend,
    name: String,
    _dir: tempfile::TempDir,
    /// A folder for the test's files.
    pub data_dir: PathBuf,
}

impl TestDatabase {
    /// Creates the database.
    pub async fn create(backend: Backend) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let data_dir = dir.path().join("data");
        std::fs::create_dir_all(&data_dir)?;
        let name = format!("vigie_test_{}", uuid::Uuid::new_v4().simple());
        let url = match backend {
            Backend::Sqlite => format!("sqlite://{}", data_dir.join("vigie.db").display()),
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin).await.with_context(|| {
                    format!(
                        "PostgreSQL is not reachable at {admin}: start it (`pg_ctlcluster 15 main start`) \
                         or set VIGIE_TEST_POSTGRES_URL"
                    )
                })?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await?;
                conn.close().await?;
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                format!("{base}/{name}")
            }
        };
        Ok(Self {
            url,
            backend,
            name,
            _dir: dir,
            data_dir,
        })
    }

    /// Drops the PostgreSQL database (SQLite files go with the temporary folder).
    pub async fn drop_database(&self) {
        if self.backend == Backend::Postgres
            && let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut conn)
            .await;
        }
    }
}

/// A running server.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The composed application (for direct checks).
    pub app: App,
    /// The settings it runs with.
    pub settings: Settings,
    /// Its database.
    pub db: TestDatabase,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// Starts a server on a fresh database, with the demo collective disabled.
    pub async fn start(backend: Backend) -> anyhow::Result<Self> {
        Self::start_with(backend, |_| {}).await
    }

    /// Like [`TestServer::start`], with settings adjusted by `adjust` (e.g. an S3 store).
    pub async fn start_with(
        backend: Backend,
        adjust: impl FnOnce(&mut Settings),
    ) -> anyhow::Result<Self> {
        let db = TestDatabase::create(backend).await?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        drop(listener);
        let mut settings = Settings::default();
        settings.database.url = db.url.clone();
        settings.database.max_connections = 5;
        settings.storage.data_dir = db.data_dir.clone();
        settings.server.bind = addr.to_string();
        settings.demo.enabled = false;
        // Compiled plugins are shared by every test (wasmtime's cache is safe to share).
        settings.plugins.cache_dir = std::env::temp_dir()
            .join("vigie-tests-wasmtime-cache")
            .display()
            .to_string();
        adjust(&mut settings);
        let app = App::build(&settings).await?;
        let endpoint = app.endpoint()?;
        let bind = addr.to_string();
        let task = tokio::spawn(async move {
            let _ = poem::Server::new(poem::listener::TcpListener::bind(bind))
                .run(endpoint)
                .await;
        });
        let base = format!("http://{addr}");
        let probe = reqwest::Client::new();
        for _ in 0..100 {
            if probe.get(format!("{base}/healthz")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Self {
            base,
            app,
            settings,
            db,
            task,
        })
    }

    /// A client with its own cookie jar (one browser).
    pub fn client(&self) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            base: self.base.clone(),
        }
    }

    /// The usual start of a test: a Guru (`guru@vigie.test`) creates the collective `slug`
    /// hosting `types`, and names `garant@vigie.test` (« Gaëlle Garant ») Garant of the
    /// first type. Both signed in.
    pub async fn collective(&self, slug: &str, types: &[&str]) -> Collective {
        self.operator_user("guru@vigie.test", "Guru", true)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        self.operator_user("garant@vigie.test", "Gaëlle Garant", false)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let guru = self.client();
        guru.sign_in("guru@vigie.test", PASSWORD).await;
        let r = guru
            .post(
                "/api/v1/tenants",
                json!({"slug": slug, "name": slug, "object_types": types}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let r = guru
            .post(
                &format!("/api/v1/tenants/{slug}/garants"),
                json!({"object_type": types[0], "email": "garant@vigie.test"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let garant = self.client();
        garant.sign_in("garant@vigie.test", PASSWORD).await;
        Collective { guru, garant }
    }

    /// A second server process on the same database (as a second replica would be), on
    /// its own port and with its own caches.
    pub async fn another_process(&self) -> anyhow::Result<Peer> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        drop(listener);
        let mut settings = self.settings.clone();
        settings.server.bind = addr.to_string();
        let app = App::build(&settings).await?;
        let endpoint = app.endpoint()?;
        let bind = addr.to_string();
        let task = tokio::spawn(async move {
            let _ = poem::Server::new(poem::listener::TcpListener::bind(bind))
                .run(endpoint)
                .await;
        });
        let base = format!("http://{addr}");
        let probe = reqwest::Client::new();
        for _ in 0..100 {
            if probe.get(format!("{base}/healthz")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Ok(Peer { base, app, task })
    }

    /// The outbox folder.
    pub fn outbox(&self) -> PathBuf {
        self.settings.outbox_dir()
    }

    /// The e-mails written to the outbox folder for `to` (raw RFC 5322 text).
    pub fn mails_to(&self, to: &str) -> Vec<String> {
        let Ok(dir) = std::fs::read_dir(self.outbox()) else {
            return Vec::new();
        };
        dir.filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .filter(|text| text.contains(&format!("To: {to}\r\n")))
            .collect()
    }

    /// [`TestServer::mails_to`], waiting up to 5 s for the first (the outbox worker writes
    /// them just after the action answers).
    pub async fn wait_for_mails_to(&self, to: &str) -> Vec<String> {
        for _ in 0..100 {
            let found = self.mails_to(to);
            if !found.is_empty() {
                return found;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Vec::new()
    }

    /// The link (`…/{path}?token=…`) in the newest e-mail sent to `to`.
    pub fn last_link(&self, to: &str, path: &str) -> anyhow::Result<String> {
        last_link_in(&self.outbox(), to, path)
    }

    /// Creates a verified user from the operator's side, optionally Guru.
    pub async fn operator_user(&self, email: &str, name: &str, guru: bool) -> anyhow::Result<i64> {
        let user = self
            .app
            .services
            .create_user_as_operator(email, PASSWORD, Some(name))
            .await?;
        if guru {
            self.app
                .services
                .change_role(
                    vigie_services::Actor::Operator,
                    None,
                    &vigie_services::RoleIn::Guru,
                    true,
                    &vigie_services::RoleTarget::Id(user.id),
                )
                .await?;
        }
        Ok(user.id.0)
    }

    /// Creates an object directly in storage (as an import would) and returns its id.
    pub async fn object(
        &self,
        tenant: &str,
        object_type: &str,
        identifier: &str,
        name: &str,
    ) -> i64 {
        let t = self
            .app
            .store
            .tenant_by_slug(tenant)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no collective {tenant}"));
        let ty = vigie_domain::ObjectTypeKey::parse(object_type).unwrap_or_else(|e| panic!("{e}"));
        let identity = vigie_storage::ObjectIdentity {
            identifier: identifier.into(),
            official_name: name.into(),
            street: None,
            postcode: None,
            city: None,
            insee_code: None,
            latitude: Some(43.3),
            longitude: Some(5.4),
            status: vigie_domain::ObjectStatus::Open,
            opened_on: None,
            closed_on: None,
        };
        match self
            .app
            .store
            .create_object(t.id, &ty, &identity, None, None)
            .await
        {
            Ok(o) => o.id,
            Err(e) => panic!("cannot create object {identifier}: {e}"),
        }
    }

    /// Stops the server and drops its database.
    pub async fn stop(self) {
        self.task.abort();
        self.app.store.close().await;
        self.db.drop_database().await;
    }
}

/// A valid UAI made from a number: its 7 digits and the check letter (the number modulo
/// 23, in the alphabet without I, O and Q).
pub fn uai(digits: usize) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ";
    format!("{digits:07}{}", LETTERS[digits % 23] as char)
}

/// The header of the schools geolocation referential, as the tests write it (the columns
/// the importer reads).
pub const GEOLOCATION_HEADER: &str = "numero_uai;appellation_officielle;adresse_uai;code_postal_uai;\
    localite_acheminement_uai;code_commune;latitude;longitude;secteur_public_prive_libe;\
    nature_uai;nature_uai_libe;etat_etablissement_libe;date_ouverture";

/// A file of the shared open-data extracts (`../shared/data/` beside the repository).
///
/// Looked up in `$VIGIE_SHARED_DATA`, then `../shared/data/` beside the repository, then
/// `/work/shared/data` (so that a clone made elsewhere finds them). Missing everywhere is a
/// failure that says what to set, never a silent pass.
pub fn shared_data(file: &str) -> PathBuf {
    let candidates = [
        std::env::var_os("VIGIE_SHARED_DATA").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")),
        Some(PathBuf::from("/work/shared/data")),
    ];
    candidates
        .into_iter()
        .flatten()
        .map(|dir| dir.join(file))
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!("the open-data extract {file} is missing: set VIGIE_SHARED_DATA to its folder")
        })
}

/// The password test users get.
pub const PASSWORD: &str = "un mot de passe solide";

/// Finds the newest message to `to` in an outbox folder and extracts its `{path}?token=` link.
pub fn last_link_in(outbox: &Path, to: &str, path: &str) -> anyhow::Result<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(outbox)
        .with_context(|| format!("no outbox at {}", outbox.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for file in files.iter().rev() {
        let text = std::fs::read_to_string(file)?;
        if !text.contains(&format!("To: {to}\r\n")) {
            continue;
        }
        let needle = format!("{path}?token=");
        if let Some(start) = text.find(&needle) {
            let rest = &text[start + needle.len()..];
            let token: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
            return Ok(token);
        }
    }
    anyhow::bail!(
        "no e-mail to {to} with a {path} link in {}",
        outbox.display()
    )
}

/// A collective's Guru and Garant, signed in (see [`TestServer::collective`]).
pub struct Collective {
    /// `guru@vigie.test`, Guru of the platform.
    pub guru: Client,
    /// `garant@vigie.test`, Garant of the collective's first type.
    pub garant: Client,
}

/// A second server process on a test's database (see [`TestServer::another_process`]).
pub struct Peer {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// Its composed application.
    pub app: App,
    task: tokio::task::JoinHandle<()>,
}

impl Peer {
    /// Stops it (the database stays, it is the first server's).
    pub async fn stop(self) {
        self.task.abort();
        self.app.store.close().await;
    }
}

/// An HTTP client with a cookie jar, speaking JSON to the API.
pub struct Client {
    /// The underlying client.
    pub http: reqwest::Client,
    base: String,
}

/// A response: status and JSON body (`Value::Null` if not JSON).
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Parsed body.
    pub body: Value,
    /// Raw text.
    pub text: String,
    /// `Set-Cookie` headers.
    pub cookies: Vec<String>,
    /// The `Location` header, on a redirect.
    pub location: Option<String>,
}

/// The `Location` header of a response.
fn location_of(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl Reply {
    /// The error code of an error envelope.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl Client {
    /// A client of the server at `base` (`http://127.0.0.1:PORT`), with its own cookies.
    pub fn for_base(base: &str) -> Self {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            base: base.to_owned(),
        }
    }

    /// Sends a request to `path` (relative to the server) with an optional JSON body.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        self.call_with(method, path, body, &[]).await
    }

    /// Like [`Client::call`], with extra request headers.
    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => panic!("request to {path} failed: {e}"),
        };
        let status = resp.status().as_u16();
        let cookies = resp
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        let location = location_of(&resp);
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            body,
            text,
            cookies,
            location,
        }
    }

    /// GET.
    pub async fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None).await
    }

    /// POST JSON.
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call("POST", path, Some(body)).await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str) -> Reply {
        self.call("DELETE", path, None).await
    }

    /// POST a URL-encoded form (web pages).
    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let resp = match self
            .http
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => panic!("form to {path} failed: {e}"),
        };
        let status = resp.status().as_u16();
        let cookies = resp
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        let location = location_of(&resp);
        let text = resp.text().await.unwrap_or_default();
        Reply {
            status,
            body: Value::Null,
            text,
            cookies,
            location,
        }
    }

    /// POSTs a multipart form with one file.
    pub async fn upload(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Reply {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()),
        );
        let resp = match self
            .http
            .post(format!("{}{path}", self.base))
            .multipart(form)
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => panic!("upload to {path} failed: {e}"),
        };
        let status = resp.status().as_u16();
        let location = location_of(&resp);
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            body,
            text,
            cookies: Vec::new(),
            location,
        }
    }

    /// GET raw bytes and the content type.
    pub async fn bytes(&self, path: &str) -> (u16, String, Vec<u8>) {
        let resp = match self.http.get(format!("{}{path}", self.base)).send().await {
            Ok(r) => r,
            Err(e) => panic!("request to {path} failed: {e}"),
        };
        let status = resp.status().as_u16();
        let ct = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (
            status,
            ct,
            resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
        )
    }

    /// Signs in through the API; panics with the answer if it fails.
    pub async fn sign_in(&self, email: &str, password: &str) {
        let r = self
            .post(
                "/api/v1/session",
                serde_json::json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(r.status, 200, "sign-in of {email} failed: {}", r.text);
    }
}

/// A small JPEG carrying an EXIF block with a GPS IFD (latitude ref "N").
pub fn jpeg_with_gps() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, 90])
    });
    let mut plain = Vec::new();
    if let Err(e) = image::DynamicImage::ImageRgb8(img).write_to(
        &mut std::io::Cursor::new(&mut plain),
        image::ImageFormat::Jpeg,
    ) {
        panic!("cannot encode the test JPEG: {e}");
    }
    // TIFF: header, IFD0 with one entry (GPSInfo → offset 26), GPS IFD with GPSLatitudeRef "N".
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    tiff.extend([0, 1, 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0]);
    tiff.extend([0, 1, 0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0, 0, 0, 0, 0]);
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend(tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend(((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    out.extend(&plain[2..]);
    out
}

/// Whether `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
