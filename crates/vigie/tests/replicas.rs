//! Several `vigie serve` processes on one PostgreSQL database, as replicas run behind a load
//! balancer: migrations run once, the sign-in limits are global, a rolling restart under load
//! loses no request, SIGTERM lets the requests in flight finish. And one process's metrics
//! listener and request ids, as an operator reads them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use vigie_tests::{Backend, TestDatabase};

/// One `vigie serve` process, its port and its log file.
struct Server {
    child: tokio::process::Child,
    port: u16,
    log: PathBuf,
}

impl Server {
    /// Starts `vigie serve` on `db` with its own data folder `name`, `extra` settings on top.
    fn start(db: &TestDatabase, name: &str, port: u16, extra: &[(&str, &str)]) -> Self {
        let data = db.data_dir.join(name);
        std::fs::create_dir_all(&data).unwrap();
        let log = db.data_dir.join(format!("{name}-{}.log", uuid_like()));
        let file = std::fs::File::create(&log).unwrap();
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_vigie"));
        cmd.arg("serve")
            .env("VIGIE_DATABASE_URL", &db.url)
            .env("VIGIE_DATA_DIR", &data)
            .env("VIGIE_BIND", format!("127.0.0.1:{port}"))
            .env("VIGIE__DEMO__ENABLED", "false")
            .env(
                "VIGIE__PLUGINS__CACHE_DIR",
                std::env::temp_dir().join("vigie-tests-wasmtime-cache"),
            )
            .env("RUST_LOG", "info")
            .env_remove("VIGIE_CONFIG")
            .stdout(Stdio::null())
            .stderr(file)
            .kill_on_drop(true);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        Self {
            child: cmd.spawn().unwrap(),
            port,
            log,
        }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits until `/readyz` answers 200.
    async fn ready(&mut self, within: Duration) {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + within;
        loop {
            if let Ok(r) = http.get(format!("{}/readyz", self.base())).send().await
                && r.status() == 200
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("vigie serve exited with {status}:\n{}", self.logs());
            }
            assert!(
                Instant::now() < deadline,
                "vigie serve not ready:\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn terminate(&self) {
        let pid = self.child.id().unwrap().to_string();
        let ok = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Waits for the process to exit after a signal; how long it took, and its success.
    async fn exit(&mut self, within: Duration) -> bool {
        tokio::time::timeout(within, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("vigie serve did not stop:\n{}", self.logs()))
            .unwrap()
            .success()
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn uuid_like() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

fn ports<const N: usize>() -> [u16; N] {
    // Held together so that no two are the same.
    let listeners: Vec<_> = (0..N)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    std::array::from_fn(|i| listeners[i].local_addr().unwrap().port())
}

/// Two servers started at the same instant on an empty PostgreSQL database, the demo on:
/// one migrates (sqlx holds an advisory lock meanwhile), the other waits and finds the schema
/// done; one seeds the demo collective, the other waits (a lock too) and finds it done; both
/// serve. Then the sign-in limits are shared: failed sign-ins on one account, sent to both
/// servers in turn, are refused after the account's allowance, not after twice it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_migrate_once_and_share_the_sign_in_limits() {
    use sqlx::Row as _;
    let db = TestDatabase::create(Backend::Postgres).await.unwrap();
    let [pa, pb] = ports::<2>();
    let demo = [("VIGIE__DEMO__ENABLED", "true")];
    let mut a = Server::start(&db, "a", pa, &demo);
    let mut b = Server::start(&db, "b", pb, &demo);
    a.ready(Duration::from_secs(180)).await;
    b.ready(Duration::from_secs(180)).await;
    let store = vigie_storage::Store::connect(&db.url, 1).await.unwrap();
    let applied = store.applied_versions().await.unwrap();
    let mut unique = applied.clone();
    unique.dedup();
    assert_eq!(applied, unique, "each migration once");
    assert!(applied.contains(&20261206000050), "{applied:?}");
    let pool = store.raw_pool();
    let tenants: i64 = sqlx::query("SELECT COUNT(*) FROM tenants")
        .fetch_one(pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(tenants, 1, "one demo collective");
    let twice: i64 = sqlx::query(
        "SELECT COUNT(*) FROM (SELECT title FROM requests GROUP BY title HAVING COUNT(*) > 1) d",
    )
    .fetch_one(pool)
    .await
    .unwrap()
    .get(0);
    let requests: i64 = sqlx::query("SELECT COUNT(*) FROM requests")
        .fetch_one(pool)
        .await
        .unwrap()
        .get(0);
    assert!(requests > 0);
    assert_eq!(twice, 0, "the demo requests filed once");

    let http = reqwest::Client::new();
    let mut answers = Vec::new();
    for i in 0..8 {
        let server = if i % 2 == 0 { &a } else { &b };
        let r = http
            .post(format!("{}/api/v1/session", server.base()))
            .json(&serde_json::json!({"email": "cible@example.org", "password": "pas le bon"}))
            .header("x-request-id", format!("throttle-{i}"))
            .send()
            .await
            .unwrap();
        answers.push(r.status().as_u16());
    }
    assert_eq!(
        answers,
        [401, 401, 401, 401, 401, 429, 429, 429],
        "5 failures per account in all, whichever server answers"
    );
    // The refusal's log line carries its request's id.
    let logs = format!("{}{}", a.logs(), b.logs());
    assert!(
        logs.lines()
            .any(|l| l.contains("too many failures") && l.contains("throttle-5")),
        "{logs}"
    );
    for s in [&a, &b] {
        s.terminate();
    }
    assert!(a.exit(Duration::from_secs(30)).await);
    assert!(b.exit(Duration::from_secs(30)).await);
    store.close().await;
    db.drop_database().await;
}

/// What a load balancer in front of the replicas does, as the test's load generator: it
/// sends each request to the next ready server (ready: `/readyz` said 200 at its last probe,
/// every 100 ms), and a request whose connection is refused goes to the other one (the
/// server never accepted it). Everything else counts: every answer must be 2xx, and no
/// request the server accepted may fail.
struct Balancer {
    ready: Vec<Arc<AtomicBool>>,
    ports: Vec<u16>,
    next: AtomicU64,
    ok: AtomicU64,
    refused: AtomicU64,
    failures: std::sync::Mutex<Vec<String>>,
}

impl Balancer {
    fn new(ports: &[u16]) -> Arc<Self> {
        Arc::new(Self {
            ready: ports.iter().map(|_| Arc::default()).collect(),
            ports: ports.to_vec(),
            next: AtomicU64::new(0),
            ok: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            failures: std::sync::Mutex::default(),
        })
    }

    /// Probes every server's `/readyz` until `until` is set.
    fn probe(self: &Arc<Self>, until: Arc<AtomicBool>) -> tokio::task::JoinHandle<()> {
        let lb = self.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_millis(500))
                .build()
                .unwrap();
            while !until.load(Ordering::SeqCst) {
                for (i, port) in lb.ports.iter().enumerate() {
                    let ready = matches!(
                        http.get(format!("http://127.0.0.1:{port}/readyz")).send().await,
                        Ok(r) if r.status() == 200
                    );
                    lb.ready[i].store(ready, Ordering::SeqCst);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    }

    /// One request, through the balancer.
    async fn send(&self, http: &reqwest::Client, path: &str) {
        for _ in 0..50 {
            let n = self.next.fetch_add(1, Ordering::SeqCst) as usize;
            let Some(i) = (0..self.ports.len())
                .map(|k| (n + k) % self.ports.len())
                .find(|i| self.ready[*i].load(Ordering::SeqCst))
            else {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            };
            let url = format!("http://127.0.0.1:{}{path}", self.ports[i]);
            match http.get(&url).send().await {
                Ok(r) if r.status().is_success() => {
                    // The whole body, or it did not really succeed.
                    match r.bytes().await {
                        Ok(_) => {
                            self.ok.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(e) => self.fail(format!("{url}: body cut: {e:?}")),
                    }
                    return;
                }
                Ok(r) => {
                    self.fail(format!("{url}: {}", r.status()));
                    return;
                }
                Err(e) if e.is_connect() => {
                    self.refused.fetch_add(1, Ordering::SeqCst);
                    self.ready[i].store(false, Ordering::SeqCst);
                }
                Err(e) => {
                    self.fail(format!("{url}: {e:?}"));
                    return;
                }
            }
        }
        self.fail(format!("{path}: no server took it"));
    }

    fn fail(&self, what: String) {
        self.failures.lock().unwrap().push(what);
    }
}

/// Two servers behind the balancer, under a steady load of four clients; each server in turn
/// gets SIGTERM, drains, stops and starts again. No request fails and no answer is a 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_under_load_loses_no_request() {
    let db = TestDatabase::create(Backend::Postgres).await.unwrap();
    let [pa, pb] = ports::<2>();
    let settings: &[(&str, &str)] = &[
        ("VIGIE__SERVER__SHUTDOWN_DELAY_SECS", "2"),
        ("VIGIE__SERVER__SHUTDOWN_TIMEOUT_SECS", "10"),
    ];
    let mut servers = vec![
        Server::start(&db, "a", pa, settings),
        Server::start(&db, "b", pb, settings),
    ];
    for s in &mut servers {
        s.ready(Duration::from_secs(120)).await;
    }
    let lb = Balancer::new(&[pa, pb]);
    let done = Arc::new(AtomicBool::new(false));
    let prober = lb.probe(done.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..4 {
        let (lb, done) = (lb.clone(), done.clone());
        clients.spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap();
            let paths = ["/api/v1/tenants", "/", "/healthz", "/api/openapi.json"];
            let mut k = c;
            while !done.load(Ordering::SeqCst) {
                lb.send(&http, paths[k % paths.len()]).await;
                k += 1;
            }
        });
    }
    let mut report = Vec::new();
    for (i, server) in servers.iter_mut().enumerate() {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let before = lb.ok.load(Ordering::SeqCst);
        let sent = Instant::now();
        server.terminate();
        // Draining: still answering, but not ready, and closing every connection it answers on.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let probe = reqwest::get(format!("{}/readyz", server.base()))
            .await
            .unwrap();
        assert_eq!(probe.status(), 503);
        assert_eq!(probe.headers()["connection"], "close");
        assert!(probe.text().await.unwrap().contains("shutting_down"));
        let clean = server.exit(Duration::from_secs(30)).await;
        let stopped = sent.elapsed();
        assert!(clean, "exit status:\n{}", server.logs());
        let logs = server.logs();
        assert!(logs.contains("draining"), "{logs}");
        assert!(logs.contains("Vigie stopped"), "{logs}");
        assert!(!logs.contains("did not stop in time"), "{logs}");
        *server = Server::start(&db, ["a", "b"][i], server.port, settings);
        let restarted = Instant::now();
        server.ready(Duration::from_secs(120)).await;
        report.push(format!(
            "server {i}: SIGTERM to exit {} ms, restart to ready {} ms, {} answers meanwhile",
            stopped.as_millis(),
            restarted.elapsed().as_millis(),
            lb.ok.load(Ordering::SeqCst) - before
        ));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    done.store(true, Ordering::SeqCst);
    while clients.join_next().await.is_some() {}
    prober.await.unwrap();
    let failures = lb.failures.lock().unwrap().clone();
    let (ok, refused) = (
        lb.ok.load(Ordering::SeqCst),
        lb.refused.load(Ordering::SeqCst),
    );
    eprintln!(
        "rolling restart: {ok} answers, all 2xx; {refused} connection(s) refused and sent \
         to the other server; {} failure(s)\n{}",
        failures.len(),
        report.join("\n")
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(ok > 100, "the load ran: {ok}");
    for s in &mut servers {
        s.terminate();
        s.exit(Duration::from_secs(30)).await;
    }
    db.drop_database().await;
}

/// SIGTERM with no drain delay: the server stops accepting at once, but a request in flight —
/// its body still arriving, slowly — is answered in full before the process exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_request_in_flight_finish() {
    let db = TestDatabase::create(Backend::Postgres).await.unwrap();
    let [port] = ports::<1>();
    let mut server = Server::start(
        &db,
        "a",
        port,
        &[
            ("VIGIE__SERVER__SHUTDOWN_DELAY_SECS", "0"),
            ("VIGIE__SERVER__SHUTDOWN_TIMEOUT_SECS", "10"),
        ],
    );
    server.ready(Duration::from_secs(120)).await;
    // A sign-in whose JSON body comes in five pieces, 300 ms apart, by hand over TCP.
    let body = br#"{"email": "lent@example.org", "password": "toujours pas le bon"}"#.to_vec();
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let request = tokio::spawn(async move {
        for piece in body.chunks(body.len() / 5 + 1) {
            tokio::time::sleep(Duration::from_millis(300)).await;
            conn.write_all(piece).await?;
        }
        let mut answer = Vec::new();
        conn.read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&answer).into_owned())
    });
    tokio::time::sleep(Duration::from_millis(450)).await;
    let sent = Instant::now();
    server.terminate();
    // Soon no new connection is accepted.
    let mut refused_after = None;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            refused_after = Some(sent.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let refused_after = refused_after.expect("new connections refused after SIGTERM");
    let answer = request
        .await
        .unwrap()
        .expect("the request in flight is answered");
    let answered = sent.elapsed();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(
        server.exit(Duration::from_secs(15)).await,
        "{}",
        server.logs()
    );
    let exited = sent.elapsed();
    eprintln!(
        "SIGTERM: new connections refused after {} ms, the request in flight answered after \
         {} ms, process exited after {} ms",
        refused_after.as_millis(),
        answered.as_millis(),
        exited.as_millis()
    );
    assert!(answered >= Duration::from_millis(800), "it was in flight");
    db.drop_database().await;
}

/// One server with `metrics.bind` and JSON logs, on the demo collective (imported through its
/// plugin, with its requests journaled): `/metrics` is on its own port only, counts requests
/// by route template (object ids make no new series), and shows the pool, the outbox, plugin
/// calls, imported rows and journal entries. Each answer carries its request id, kept from
/// the client when well-formed, and the request's log line carries it too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_request_ids() {
    let db = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let [port, metrics_port] = ports::<2>();
    let metrics_bind = format!("127.0.0.1:{metrics_port}");
    let mut server = Server::start(
        &db,
        "m",
        port,
        &[
            ("VIGIE__METRICS__BIND", &metrics_bind),
            ("VIGIE__SERVER__LOG_FORMAT", "json"),
            ("VIGIE__DEMO__ENABLED", "true"),
        ],
    );
    server.ready(Duration::from_secs(180)).await;
    let http = reqwest::Client::new();
    let base = server.base();
    for id in 1..=3 {
        let r = http
            .get(format!("{base}/t/ecoles-marseille/o/{id}"))
            .send()
            .await
            .unwrap();
        assert!(r.headers().contains_key("x-request-id"));
    }
    let r = http
        .get(format!("{base}/api/v1/tenants"))
        .header("x-request-id", "operator-trace-7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-request-id"], "operator-trace-7");
    let r = http
        .get(format!("{base}/healthz"))
        .header("x-request-id", "bad id\twith spaces")
        .send()
        .await
        .unwrap();
    let given = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(given.len() == 36 && !given.contains(' '), "{given}");

    let on_public = http.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(on_public.status(), 404, "never on the public port");
    let scrape = http
        .get(format!("http://{metrics_bind}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(scrape.status(), 200);
    assert!(
        scrape.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = scrape.text().await.unwrap();
    for wanted in [
        r#"vigie_http_requests_total{method="GET",route="/t/:slug/o/:id",status="#,
        r#"vigie_http_requests_total{method="GET",route="/api/v1/tenants",status="200"} 1"#,
        r#"vigie_http_request_duration_seconds_bucket{method="GET",route="/api/v1/tenants",le="0.005"}"#,
        "vigie_http_requests_in_flight",
        r#"vigie_http_requests_total{method="GET",route="none",status="404"} 1"#,
        r#"vigie_db_pool_connections{state="idle"}"#,
        "vigie_db_pool_max_connections 10",
        r#"vigie_mail_outbox_messages{state="pending"}"#,
        r#"vigie_plugin_call_duration_seconds_bucket{plugin="schools",call="import-row""#,
        r#"vigie_import_rows_total{object_type="schools",outcome="created"}"#,
        "vigie_journal_entries_total",
        "# HELP vigie_http_requests_total",
    ] {
        assert!(text.contains(wanted), "{wanted} missing from:\n{text}");
    }
    let object_series = text
        .lines()
        .filter(|l| l.starts_with("vigie_http_requests_total") && l.contains("/o/"))
        .count();
    assert_eq!(object_series, 1, "one series for every object id:\n{text}");
    assert!(!text.contains("/o/1\""), "no raw path:\n{text}");
    std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("metrics-sample.txt"),
        &text,
    )
    .unwrap();

    let logs = server.logs();
    let line = logs
        .lines()
        .find(|l| l.contains("operator-trace-7"))
        .unwrap_or_else(|| panic!("no log line with the request id:\n{logs}"));
    let json: serde_json::Value = serde_json::from_str(line).expect("JSON logs");
    assert_eq!(json["span"]["request_id"], "operator-trace-7", "{line}");
    assert_eq!(json["fields"]["message"], "request", "{line}");
    eprintln!("the request's log line: {line}");
    server.terminate();
    assert!(server.exit(Duration::from_secs(30)).await);
}

/// Two processes' use cases (two `App`s, two pools) on one PostgreSQL database send the due
/// reminders and the daily digests at the same instant, three rounds each: every reminder is
/// claimed, journaled and queued once, every digest line goes in one digest, each reader gets
/// one digest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_and_digests_go_once_with_two_processes() {
    use sqlx::Row as _;
    let db = TestDatabase::create(Backend::Postgres).await.unwrap();
    let mut settings = vigie_config::Settings::default();
    settings.database.url = db.url.clone();
    settings.database.max_connections = 5;
    settings.storage.data_dir = db.data_dir.clone();
    settings.demo.enabled = true;
    settings.plugins.cache_dir = std::env::temp_dir()
        .join("vigie-tests-wasmtime-cache")
        .display()
        .to_string();
    let first = vigie::App::build(&settings).await.unwrap();
    first.seed_demo(&settings).await.unwrap();
    let second = vigie::App::build(&settings).await.unwrap();
    let pool = first.store.raw_pool();
    // Every request's reminder is due today.
    sqlx::query("UPDATE requests SET reminder_on = $1, reminder_sent_at = NULL")
        .bind(vigie::today())
        .execute(pool)
        .await
        .unwrap();
    let requests: i64 = sqlx::query("SELECT COUNT(*) FROM requests")
        .fetch_one(pool)
        .await
        .unwrap()
        .get(0);
    // Five readers with twenty digest lines each, waiting since an hour ago.
    let tenant = first.services.tenant("ecoles-marseille").await.unwrap();
    let hour_ago =
        vigie_storage::timestamp(time::OffsetDateTime::now_utc() - time::Duration::hours(1));
    for r in 0..5 {
        let user = first
            .services
            .create_user_as_operator(
                &format!("lecteur{r}@example.org"),
                "un mot de passe long",
                None,
            )
            .await
            .unwrap();
        for n in 0..20 {
            sqlx::query(
                "INSERT INTO digest_items (user_id, tenant_id, request_id, event, line, link, at) \
                 VALUES ($1, $2, NULL, 'answer', $3, 'http://x/', $4)",
            )
            .bind(user.id.0)
            .bind(tenant.id.0)
            .bind(format!("Ligne {n}"))
            .bind(&hour_ago)
            .execute(pool)
            .await
            .unwrap();
        }
    }
    let today = vigie::today();
    let now = time::OffsetDateTime::now_utc();
    let (mut reminders, mut digests) = (0, 0);
    for _ in 0..3 {
        let (a, b, c, d) = tokio::join!(
            first.services.send_due_reminders(&today),
            second.services.send_due_reminders(&today),
            first.services.send_digests(now),
            second.services.send_digests(now),
        );
        reminders += a.unwrap() + b.unwrap();
        digests += c.unwrap() + d.unwrap();
    }
    assert!(requests > 0);
    assert_eq!(reminders as i64, requests, "each reminder sent once");
    assert_eq!(digests, 5, "one digest per reader");
    let journaled: Vec<(i64, i64)> = sqlx::query(
        "SELECT request_id, COUNT(*) FROM request_journal WHERE action = 'reminder_due' \
         GROUP BY request_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    assert_eq!(journaled.len() as i64, requests);
    assert!(journaled.iter().all(|(_, n)| *n == 1), "{journaled:?}");
    let waiting: i64 = sqlx::query("SELECT COUNT(*) FROM digest_items WHERE sent_at IS NULL")
        .fetch_one(pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(waiting, 0);
    let per_reader: Vec<i64> =
        sqlx::query("SELECT COUNT(*) FROM mail_outbox WHERE purpose = 'digest' GROUP BY recipient")
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
    assert_eq!(per_reader, [1, 1, 1, 1, 1]);
    eprintln!(
        "two processes at once: {reminders} reminders for {requests} requests, {digests} digests for 5 readers"
    );
    first.stop.request();
    second.stop.request();
    first.store.close().await;
    second.store.close().await;
    db.drop_database().await;
}

/// Sign-in attempts on one key, forty at once from two processes' pools on one PostgreSQL
/// database: exactly the limit is counted, whatever the interleaving (the count and the insert
/// hold the key's advisory lock).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_attempts_never_slip_past_the_limit() {
    let db = TestDatabase::create(Backend::Postgres).await.unwrap();
    let first = vigie_storage::Store::open(&db.url, 8).await.unwrap();
    let second = vigie_storage::Store::connect(&db.url, 8).await.unwrap();
    let throttle = vigie_storage::Throttle {
        max: 5,
        window: time::Duration::minutes(15),
    };
    let mut tries = tokio::task::JoinSet::new();
    for i in 0..40 {
        let store = if i % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tries.spawn(async move { store.count_attempt("one-key", throttle).await.unwrap() });
    }
    let mut counted = 0;
    while let Some(r) = tries.join_next().await {
        if r.unwrap().is_ok() {
            counted += 1;
        }
    }
    assert_eq!(counted, 5, "the limit, not more");
    assert_eq!(first.attempts_stored().await.unwrap(), 5);
    first.close().await;
    second.close().await;
    db.drop_database().await;
}
