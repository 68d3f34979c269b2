//! Crashes and outages (`docs/operations.md`, « Crashes and outages »): a real `vigie serve`
//! killed with `kill -9` in the middle of a burst of filings, PostgreSQL cut off under load
//! (a TCP proxy between the server and it, cut and brought back), the S3 store cut off (the
//! same proxy in front of SeaweedFS), and the SQLite volume full (a small tmpfs, as root).
//! Whatever happens, no request answered 2xx is lost, journals verify, and the server says
//! 503 with a JSON error while something it depends on is away — never 500, never a hang.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

#[path = "../../vigie-media/tests/support/seaweedfs.rs"]
#[allow(dead_code)]
mod seaweedfs;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::Row as _;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use vigie_storage::Store;
use vigie_tests::{Backend, Client, TestDatabase, TestServer};

/// The longest a request may take while something is down: the pool's acquire timeout
/// (`vigie_storage::ACQUIRE_TIMEOUT`, 5 s) plus room for a busy 2-core machine.
const BOUND: Duration = Duration::from_secs(9);

// ---------------------------------------------------------------------------------------------
// A cuttable TCP proxy.

/// A TCP proxy on a loopback port in front of `upstream`. [`Proxy::cut`] drops every open
/// connection and closes the port (new connections are refused); [`Proxy::restore`] opens the
/// same port again.
struct Proxy {
    port: u16,
    up: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Self {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        let (up, mut rx) = watch::channel(true);
        let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
        let mut bound_tx = Some(bound_tx);
        let task = tokio::spawn(async move {
            loop {
                while !*rx.borrow_and_update() {
                    if rx.changed().await.is_err() {
                        return;
                    }
                }
                let socket = TcpSocket::new_v4().unwrap();
                socket.set_reuseaddr(true).unwrap();
                let mut tries = 0;
                while let Err(e) = socket.bind(SocketAddr::from(([127, 0, 0, 1], port))) {
                    tries += 1;
                    assert!(tries < 100, "the proxy cannot bind its port again: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                let listener = socket.listen(128).unwrap();
                if let Some(tx) = bound_tx.take() {
                    let _ = tx.send(());
                }
                let mut pipes = tokio::task::JoinSet::new();
                loop {
                    tokio::select! {
                        accepted = listener.accept() => {
                            let Ok((mut inbound, _)) = accepted else { continue };
                            pipes.spawn(async move {
                                if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                                }
                            });
                        }
                        changed = rx.changed() => {
                            if changed.is_err() {
                                return;
                            }
                            if !*rx.borrow_and_update() {
                                break;
                            }
                        }
                        Some(_) = pipes.join_next(), if !pipes.is_empty() => {}
                    }
                }
                // Cut: the port closes, every open connection is dropped.
                drop(listener);
                pipes.shutdown().await;
            }
        });
        bound_rx.await.unwrap();
        Self { port, up, task }
    }

    fn cut(&self) {
        self.up.send_replace(false);
    }

    fn restore(&self) {
        self.up.send_replace(true);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

// ---------------------------------------------------------------------------------------------
// A `vigie serve` process.

struct Serve {
    child: tokio::process::Child,
    base: String,
    log: PathBuf,
}

impl Serve {
    /// Starts `vigie serve` on a free port, anonymous filings unbounded, and waits until it
    /// answers `/healthz`.
    async fn start(database_url: &str, data_dir: &Path, name: &str) -> Self {
        let port = vigie_tests::smtp::free_port();
        let log = data_dir.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
            .arg("serve")
            .env("VIGIE_DATABASE_URL", database_url)
            .env("VIGIE_DATA_DIR", data_dir)
            .env("VIGIE_BIND", format!("127.0.0.1:{port}"))
            .env("VIGIE__DATABASE__MAX_CONNECTIONS", "5")
            .env("VIGIE__LIMITS__ANONYMOUS_SUBMISSIONS", "1000000")
            .env("VIGIE__DEMO__ENABLED", "false")
            .env(
                "VIGIE__PLUGINS__CACHE_DIR",
                std::env::temp_dir().join("vigie-tests-wasmtime-cache"),
            )
            .env("RUST_LOG", "warn")
            .env_remove("VIGIE_CONFIG")
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while http
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "vigie serve did not start:\n{}",
                server.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `kill -9`.
    async fn kill_9(&mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Shared pieces.

fn request_body(n: usize) -> Value {
    json!({
        "kind": "intervention",
        "categories": ["cem/toilets"],
        "title": format!("Fuite n° {n}"),
        "description": "L'eau coule sous l'évier de la cantine depuis ce matin.",
        "fields": {"location": "Cantine"},
    })
}

/// A collective `cem` with a school, made by an in-process server that is then let go: the
/// database (and the school's id) for a `vigie serve` process.
async fn seeded(backend: Backend) -> (TestDatabase, i64) {
    let srv = TestServer::start(backend).await.unwrap();
    srv.collective("cem", &["schools"]).await;
    let school = srv
        .object("cem", "schools", "0130001A", "École des Abeilles")
        .await;
    srv.app.store.close().await;
    (srv.db, school)
}

async fn request_ids(store: &Store) -> BTreeSet<i64> {
    sqlx::query("SELECT id FROM requests")
        .fetch_all(store.raw_pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get(0).unwrap())
        .collect()
}

/// `vigie journal verify`, as an operator runs it: every collective's journal verifies.
fn journal_verifies(database_url: &str, data_dir: &Path) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["journal", "verify"])
        .env("VIGIE_DATABASE_URL", database_url)
        .env("VIGIE_DATA_DIR", data_dir)
        .env("VIGIE__DEMO__ENABLED", "false")
        .env("RUST_LOG", "warn")
        .env_remove("VIGIE_CONFIG")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "the journal does not verify: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("cem: ") && text.contains(": OK"), "{text}");
    text
}

/// One answer seen by a load generator.
#[derive(Debug, Clone)]
struct Seen {
    status: u16,
    code: String,
    took: Duration,
}

/// Sends one request with a deadline well past [`BOUND`]; a transport error is status 0.
async fn timed(req: reqwest::RequestBuilder) -> (Seen, Value) {
    let started = Instant::now();
    match req.timeout(Duration::from_secs(30)).send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let code = body["error"]["code"].as_str().unwrap_or("").to_owned();
            (
                Seen {
                    status,
                    code,
                    took: started.elapsed(),
                },
                body,
            )
        }
        Err(_) => (
            Seen {
                status: 0,
                code: String::new(),
                took: started.elapsed(),
            },
            Value::Null,
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// 1. kill -9 in the middle of a burst of filings.

async fn kill_9_during_a_burst_loses_no_answered_request(backend: Backend) {
    let (db, school) = seeded(backend).await;
    let mut server = Serve::start(&db.url, &db.data_dir, "first").await;
    let answered = Arc::new(Mutex::new(Vec::<i64>::new()));
    let attempted = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let path = format!(
        "{}/api/v1/tenants/cem/objects/{school}/requests",
        server.base
    );
    let mut workers = Vec::new();
    for w in 0..12 {
        let (answered, attempted, stop, path) = (
            answered.clone(),
            attempted.clone(),
            stop.clone(),
            path.clone(),
        );
        workers.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut n = 0;
            let mut statuses = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                attempted.fetch_add(1, Ordering::SeqCst);
                let (seen, body) =
                    timed(http.post(&path).json(&request_body(w * 100_000 + n))).await;
                if (200..300).contains(&seen.status) {
                    answered
                        .lock()
                        .unwrap()
                        .push(body["request"]["id"].as_i64().unwrap());
                } else if seen.status == 0 {
                    // The server is gone.
                    break;
                }
                statuses.push(seen.status);
            }
            statuses
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while answered.lock().unwrap().len() < 40 {
        assert!(Instant::now() < deadline, "{}", server.log_text());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill_9().await;
    let killed_after = answered.lock().unwrap().len();
    stop.store(true, Ordering::SeqCst);
    let mut statuses = Vec::new();
    for w in workers {
        statuses.extend(w.await.unwrap());
    }
    assert!(
        statuses.iter().all(|s| (200..300).contains(s)),
        "only 2xx before the kill: {statuses:?}"
    );
    let answered: BTreeSet<i64> = answered.lock().unwrap().iter().copied().collect();
    let attempted = attempted.load(Ordering::SeqCst);

    let started = Instant::now();
    let server = Serve::start(&db.url, &db.data_dir, "second").await;
    let restart = started.elapsed();
    let store = Store::connect(&db.url, 2).await.unwrap();
    let stored = request_ids(&store).await;
    let missing: Vec<_> = answered.difference(&stored).collect();
    assert!(missing.is_empty(), "answered 2xx but lost: {missing:?}");
    let verified = journal_verifies(&db.url, &db.data_dir);
    // The restarted server files again.
    let r = Client::for_base(&server.base)
        .post(
            &format!("/api/v1/tenants/cem/objects/{school}/requests"),
            request_body(0),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    eprintln!(
        "{backend:?}: kill -9 after {killed_after} filings answered ({attempted} attempted, \
         {} answered in all, {} in the database, those in flight included); restarted in \
         {} ms; {}",
        answered.len(),
        stored.len(),
        restart.as_millis(),
        verified.trim()
    );
    store.close().await;
    drop(server);
    db.drop_database().await;
}

mod kill_9_during_a_burst {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::kill_9_during_a_burst_loses_no_answered_request(vigie_tests::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::kill_9_during_a_burst_loses_no_answered_request(vigie_tests::Backend::Postgres)
            .await;
    }
}

// ---------------------------------------------------------------------------------------------
// 2. PostgreSQL cut off under load.

/// Reads and writes go on while PostgreSQL is cut off (the proxy between the server and it
/// drops its connections and refuses new ones): every answer is 2xx or 503
/// `database_unavailable`, none takes longer than [`BOUND`]; once PostgreSQL is back the
/// server files again within seconds, by itself; nothing answered 2xx is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_cut_off_answers_503_and_recovers_by_itself() {
    let (db, school) = seeded(Backend::Postgres).await;
    let upstream: SocketAddr = {
        let admin = vigie_tests::postgres_admin_url();
        let host_port = admin
            .split('@')
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap()
            .to_owned();
        tokio::net::lookup_host(host_port)
            .await
            .unwrap()
            .find(SocketAddr::is_ipv4)
            .unwrap()
    };
    let proxy = Proxy::start(upstream).await;
    let (base_url, name) = db.url.rsplit_once('/').unwrap();
    let (prefix, _) = base_url.rsplit_once('@').unwrap();
    let via_proxy = format!("{prefix}@127.0.0.1:{}/{name}", proxy.port);
    let server = Serve::start(&via_proxy, &db.data_dir, "serve").await;

    let down = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(Mutex::new(Vec::<i64>::new()));
    // (while down?, is write?, answer)
    let log = Arc::new(Mutex::new(Vec::<(bool, bool, Seen)>::new()));
    let mut load = Vec::new();
    for w in 0..4usize {
        let (down, stop, answered, log) =
            (down.clone(), stop.clone(), answered.clone(), log.clone());
        let base = server.base.clone();
        load.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let write = w % 2 == 0;
                let was_down = down.load(Ordering::SeqCst);
                let req = if write {
                    http.post(format!(
                        "{base}/api/v1/tenants/cem/objects/{school}/requests"
                    ))
                    .json(&request_body(w * 100_000 + n))
                } else {
                    http.get(format!(
                        "{base}/api/v1/tenants/cem/requests?object_id={school}"
                    ))
                };
                let (seen, body) = timed(req).await;
                if write && (200..300).contains(&seen.status) {
                    answered
                        .lock()
                        .unwrap()
                        .push(body["request"]["id"].as_i64().unwrap());
                }
                let is_down = down.load(Ordering::SeqCst);
                log.lock().unwrap().push((was_down && is_down, write, seen));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = log.lock().unwrap().len();
    assert!(before > 0);

    // Cut: PostgreSQL is away for 11 s (each load generator sees at least one whole
    // answer within it, the acquire timeout being 5 s).
    down.store(true, Ordering::SeqCst);
    proxy.cut();
    let cut_at = Instant::now();
    // A read and a write, one by one, while it is down: 503 with the JSON error.
    let client = Client::for_base(&server.base);
    let started = Instant::now();
    let r = client
        .get(&format!("/api/v1/tenants/cem/objects/{school}"))
        .await;
    let read_took = started.elapsed();
    assert_eq!(r.status, 503, "{}", r.text);
    assert_eq!(r.code(), "database_unavailable", "{}", r.text);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("try again")
    );
    let started = Instant::now();
    let r = client
        .post(
            &format!("/api/v1/tenants/cem/objects/{school}/requests"),
            request_body(999_999),
        )
        .await;
    let write_took = started.elapsed();
    assert_eq!(r.status, 503, "{}", r.text);
    assert_eq!(r.code(), "database_unavailable", "{}", r.text);
    // The pages too.
    let page = client.get(&format!("/t/cem/o/{school}")).await;
    assert_eq!(page.status, 503, "{}", page.text);
    let ready = client.get("/readyz").await;
    assert_eq!(ready.status, 503, "{}", ready.text);
    while cut_at.elapsed() < Duration::from_secs(11) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Back: the server files again by itself.
    proxy.restore();
    let back_at = Instant::now();
    down.store(false, Ordering::SeqCst);
    let recovered = loop {
        let r = client
            .post(
                &format!("/api/v1/tenants/cem/objects/{school}/requests"),
                request_body(888_888),
            )
            .await;
        if r.status == 201 {
            answered
                .lock()
                .unwrap()
                .push(r.body["request"]["id"].as_i64().unwrap());
            break back_at.elapsed();
        }
        assert_eq!(r.status, 503, "{}", r.text);
        assert!(
            back_at.elapsed() < Duration::from_secs(15),
            "not recovered: {}",
            r.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let r = client
        .get(&format!("/api/v1/tenants/cem/objects/{school}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::SeqCst);
    for l in load {
        l.await.unwrap();
    }

    let log = log.lock().unwrap().clone();
    let odd: Vec<_> = log
        .iter()
        .filter(|(_, _, s)| !((200..300).contains(&s.status) || s.status == 503))
        .collect();
    assert!(
        odd.is_empty(),
        "only 2xx or 503: {odd:?}\n{}",
        server.log_text()
    );
    let wrong_code: Vec<_> = log
        .iter()
        .filter(|(_, _, s)| s.status == 503 && s.code != "database_unavailable")
        .collect();
    assert!(wrong_code.is_empty(), "{wrong_code:?}");
    let slowest = log.iter().map(|(_, _, s)| s.took).max().unwrap();
    assert!(
        slowest <= BOUND,
        "an answer took {slowest:?}, more than {BOUND:?}"
    );
    let while_down: Vec<_> = log.iter().filter(|(d, _, _)| *d).collect();
    assert!(
        while_down.iter().any(|(_, w, s)| *w && s.status == 503)
            && while_down.iter().any(|(_, w, s)| !*w && s.status == 503),
        "reads and writes answered 503 while PostgreSQL was away: {while_down:?}"
    );
    let down_503: Vec<Duration> = while_down
        .iter()
        .filter(|(_, _, s)| s.status == 503)
        .map(|(_, _, s)| s.took)
        .collect();
    let after: Vec<_> = log.iter().skip(before).filter(|(d, _, _)| !*d).collect();
    assert!(
        after.iter().any(|(_, _, s)| (200..300).contains(&s.status)),
        "the load goes on after"
    );

    // Nothing answered 2xx is lost; the journal verifies.
    let store = Store::connect(&db.url, 2).await.unwrap();
    let stored = request_ids(&store).await;
    let answered: BTreeSet<i64> = answered.lock().unwrap().iter().copied().collect();
    let missing: Vec<_> = answered.difference(&stored).collect();
    assert!(missing.is_empty(), "answered 2xx but lost: {missing:?}");
    journal_verifies(&db.url, &db.data_dir);
    eprintln!(
        "PostgreSQL cut for 11 s under load: {} answers in all, {} while down ({} × 503, \
         from {} to {} ms); one by one while down: read 503 in {} ms, write 503 in {} ms; \
         filing again {} ms after PostgreSQL came back; slowest answer {} ms",
        log.len(),
        while_down.len(),
        down_503.len(),
        down_503.iter().min().map_or(0, Duration::as_millis),
        down_503.iter().max().map_or(0, Duration::as_millis),
        read_took.as_millis(),
        write_took.as_millis(),
        recovered.as_millis(),
        slowest.as_millis()
    );
    store.close().await;
    drop(server);
    drop(proxy);
    db.drop_database().await;
}

// ---------------------------------------------------------------------------------------------
// 3. The S3 store cut off.

async fn upload_photo(client: &Client, path: &str, title: &str) -> vigie_tests::Reply {
    client
        .upload(
            path,
            &[("kind", "photo"), ("title", title)],
            "preau.jpg",
            vigie_tests::jpeg_with_gps(),
        )
        .await
}

/// With the S3 store (SeaweedFS, behind the proxy) cut off, uploading a document or a
/// request's attachment answers 503 `media_unavailable` within seconds and records nothing;
/// downloading a document answers 503; once S3 is back both work, and every document's file
/// is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_cut_off_answers_503_and_records_no_row_without_its_file() {
    let Some(s3) = seaweedfs::SeaweedFs::start() else {
        return;
    };
    let upstream: SocketAddr = s3.endpoint.trim_start_matches("http://").parse().unwrap();
    let proxy = Proxy::start(upstream).await;
    let store_url = format!(
        "s3://{}?endpoint=http://127.0.0.1:{}&region=us-east-1",
        s3.bucket, proxy.port
    );
    let srv = TestServer::start_with(Backend::Sqlite, |s| {
        s.media.store = store_url;
        s.media.s3_access_key_id = seaweedfs::ACCESS_KEY_ID.into();
        s.media.s3_secret_access_key = seaweedfs::SECRET_ACCESS_KEY.into();
    })
    .await
    .unwrap();
    let c = srv.collective("cem", &["schools"]).await;
    let school = srv
        .object("cem", "schools", "0130001A", "École des Abeilles")
        .await;
    let documents = format!("/api/v1/tenants/cem/objects/{school}/documents");
    let r = upload_photo(&c.garant, &documents, "Préau").await;
    assert_eq!(r.status, 201, "{}", r.text);
    let download = r.body["download"].as_str().unwrap().to_owned();
    let r = c
        .garant
        .post(
            &format!("/api/v1/tenants/cem/objects/{school}/requests"),
            request_body(1),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let request = r.body["request"]["id"].as_i64().unwrap();
    let count = |sql: &'static str| {
        let pool = srv.app.store.raw_pool().clone();
        async move {
            sqlx::query(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
                .try_get::<i64, _>(0)
                .unwrap()
        }
    };
    let docs_before = count("SELECT COUNT(*) FROM documents").await;
    let journal_before = count("SELECT COUNT(*) FROM request_journal").await;

    proxy.cut();
    let started = Instant::now();
    let r = upload_photo(&c.garant, &documents, "Cour").await;
    let upload_took = started.elapsed();
    assert_eq!(r.status, 503, "{}", r.text);
    assert_eq!(r.code(), "media_unavailable", "{}", r.text);
    assert!(upload_took <= BOUND, "{upload_took:?}");
    let r = c
        .garant
        .upload(
            &format!("/api/v1/tenants/cem/requests/{request}/attachments"),
            &[("title", "Photo de la fuite")],
            "fuite.jpg",
            vigie_tests::jpeg_with_gps(),
        )
        .await;
    assert_eq!(r.status, 503, "{}", r.text);
    assert_eq!(r.code(), "media_unavailable", "{}", r.text);
    let started = Instant::now();
    let (status, _, body) = c.garant.bytes(&download).await;
    let download_took = started.elapsed();
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&body));
    assert!(download_took <= BOUND, "{download_took:?}");
    assert_eq!(count("SELECT COUNT(*) FROM documents").await, docs_before);
    assert_eq!(
        count("SELECT COUNT(*) FROM request_journal").await,
        journal_before,
        "no journal entry for an attachment that was not stored"
    );

    proxy.restore();
    let (status, _, _) = c.garant.bytes(&download).await;
    assert_eq!(status, 200);
    let r = upload_photo(&c.garant, &documents, "Cour").await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Every document's file is there.
    let keys: Vec<String> = sqlx::query("SELECT blob_key FROM documents")
        .fetch_all(srv.app.store.raw_pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get(0).unwrap())
        .collect();
    let media = vigie_media::BlobStore::open(&vigie_media::BlobStoreSettings {
        url: format!(
            "s3://{}?endpoint={}&region=us-east-1",
            s3.bucket, s3.endpoint
        ),
        access_key_id: Some(seaweedfs::ACCESS_KEY_ID.into()),
        secret_access_key: Some(seaweedfs::SECRET_ACCESS_KEY.into()),
    })
    .unwrap();
    for key in &keys {
        let key = vigie_media::BlobKey::new(key.clone()).unwrap();
        assert!(media.exists(&key).await.unwrap(), "{key:?} is missing");
    }
    eprintln!(
        "S3 cut: upload 503 in {} ms, download 503 in {} ms; {} documents, each with its file",
        upload_took.as_millis(),
        download_took.as_millis(),
        keys.len()
    );
    srv.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 4. The SQLite volume full.

/// Files one more request, timed.
async fn file_one(client: &Client, path: &str, n: &mut usize) -> (vigie_tests::Reply, Duration) {
    *n += 1;
    let started = Instant::now();
    let r = client.post(path, request_body(*n)).await;
    (r, started.elapsed())
}

/// A small tmpfs mounted for one test, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `mib` MiB, or says why it cannot (not root, no mount allowed).
    fn mount(mib: u32) -> Result<Self, String> {
        let uid = std::process::Command::new("id")
            .arg("-u")
            .output()
            .map_err(|e| e.to_string())?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            return Err("not running as root".into());
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "vigie-full"])
            .arg(dir.path())
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Writes `path` until the volume has no byte left.
fn fill(path: &Path) -> u64 {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path).unwrap();
    let mut written = 0u64;
    for chunk in [1 << 20, 4096, 512, 1] {
        let block = vec![0x55u8; chunk];
        while let Ok(n) = file.write(&block) {
            if n == 0 {
                break;
            }
            written += n as u64;
        }
    }
    let _ = file.sync_all();
    written
}

/// The SQLite database on a small tmpfs that fills up: filings answer 503 `database_full`
/// (never 500, never a hang) while reads go on; once room is made, filings work again,
/// `PRAGMA integrity_check` says ok, the journal verifies and nothing answered 2xx is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_volume_full_refuses_writes_cleanly_and_reads_go_on() {
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_test_writer()
        .try_init();
    let volume = match Tmpfs::mount(24) {
        Ok(v) => v,
        Err(why) => {
            eprintln!("SKIPPED: the disk-full test needs a tmpfs mount as root ({why})");
            return;
        }
    };
    let db_path = volume.path().join("vigie.db");
    let url = format!("sqlite://{}", db_path.display());
    let srv = TestServer::start_with(Backend::Sqlite, |s| {
        s.database.url = url.clone();
        s.limits.anonymous_submissions = 1_000_000;
    })
    .await
    .unwrap();
    let c = srv.collective("cem", &["schools"]).await;
    let school = srv
        .object("cem", "schools", "0130001A", "École des Abeilles")
        .await;
    let file = format!("/api/v1/tenants/cem/objects/{school}/requests");
    let mut answered = BTreeSet::new();
    let mut n = 0;
    for _ in 0..5 {
        let (r, _) = file_one(&c.garant, &file, &mut n).await;
        assert_eq!(r.status, 201, "{}", r.text);
        answered.insert(r.body["request"]["id"].as_i64().unwrap());
    }

    let filler = volume.path().join("filler");
    let filled = fill(&filler);
    // Writes: 503 `database_full` once the WAL needs room it cannot have (the first few may
    // still fit in pages the WAL already has).
    let mut refused = 0;
    let mut slowest = Duration::ZERO;
    for _ in 0..300 {
        let (r, took) = file_one(&c.garant, &file, &mut n).await;
        slowest = slowest.max(took);
        match r.status {
            201 => {
                answered.insert(r.body["request"]["id"].as_i64().unwrap());
            }
            503 => {
                assert!(
                    ["database_full", "database_unavailable"].contains(&r.code()),
                    "{}",
                    r.text
                );
                refused += 1;
                if refused == 20 {
                    break;
                }
            }
            _ => {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let stored = request_ids(&srv.app.store).await;
                panic!(
                    "only 201 or 503 while the disk is full: {} {:?} {:?}",
                    r.text, stored, answered
                )
            }
        }
    }
    assert_eq!(refused, 20, "filings are refused while the disk is full");
    assert!(slowest <= BOUND, "a filing took {slowest:?}");
    // Reads go on.
    let r = c
        .garant
        .get(&format!("/api/v1/tenants/cem/objects/{school}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c
        .garant
        .get(&format!("/api/v1/tenants/cem/requests?object_id={school}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let page = c.garant.get(&format!("/t/cem/o/{school}")).await;
    assert_eq!(page.status, 200);

    // Room again: filings work at once.
    std::fs::remove_file(&filler).unwrap();
    let freed_at = Instant::now();
    let recovered = loop {
        let (r, _) = file_one(&c.garant, &file, &mut n).await;
        if r.status == 201 {
            answered.insert(r.body["request"]["id"].as_i64().unwrap());
            break freed_at.elapsed();
        }
        assert!(freed_at.elapsed() < Duration::from_secs(10), "{}", r.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let stored = request_ids(&srv.app.store).await;
    let missing: Vec<_> = answered.difference(&stored).collect();
    assert!(missing.is_empty(), "answered 2xx but lost: {missing:?}");
    let check: String = sqlx::query("PRAGMA integrity_check")
        .fetch_one(srv.app.store.raw_pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(check, "ok");
    for tenant in srv.app.services.tenants().await.unwrap() {
        let report = srv.app.services.verify_journal(&tenant).await.unwrap();
        assert!(report.broken.is_none(), "{:?}", report.broken);
    }
    eprintln!(
        "SQLite volume filled ({filled} bytes of filler): {refused} filings refused with 503, \
         slowest answer {} ms, reads answered; filing again {} ms after room was made; \
         {} requests, integrity ok, journal verifies",
        slowest.as_millis(),
        recovered.as_millis(),
        stored.len()
    );
    srv.stop().await;
    drop(volume);
}
