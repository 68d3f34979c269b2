//! `vigie config show` and `vigie mail …` as an operator runs them, against a real SMTP server.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::process::{Command, Output};

use vigie_tests::smtp::SmtpSink;
use vigie_tests::{Backend, TestDatabase};

fn vigie(db: &TestDatabase, smtp_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(args)
        .env("VIGIE_DATABASE_URL", &db.url)
        .env("VIGIE_DATA_DIR", &db.data_dir)
        .env("VIGIE__MAIL__SMTP_URL", smtp_url)
        .env("VIGIE__DEMO__ENABLED", "false")
        .env("RUST_LOG", "warn")
        .env_remove("VIGIE_CONFIG")
        .output()
        .expect("the vigie binary runs")
}

fn stdout(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "failed: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The SMTP password never shows in `vigie config show`.
#[tokio::test]
async fn config_show_redacts_the_smtp_password() {
    let db = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let out = stdout(&vigie(
        &db,
        "smtp://mailer:p4ss%40word@smtp.example.org:587?tls=starttls",
        &["config", "show"],
    ));
    assert!(!out.contains("p4ss"), "{out}");
    assert!(
        out.contains("smtp://mailer:***@smtp.example.org:587?tls=starttls"),
        "{out}"
    );
}

/// `vigie mail test --to` sends one message now and prints what the server said; `vigie mail
/// outbox` lists the queue; `vigie mail retry` of an unknown message fails clearly; a bad URL
/// says what to fix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_test_outbox_and_retry() {
    let db = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let sink = SmtpSink::start_new(None).await.unwrap();
    let out = stdout(&vigie(
        &db,
        &sink.url(),
        &["mail", "test", "--to", "operateur@example.org"],
    ));
    assert!(out.contains("server said: 250 "), "{out}");
    assert!(out.contains("Message-ID: <"), "{out}");
    let got = sink.wait_for(1, std::time::Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["rcpt_tos"][0], "operateur@example.org");
    assert!(
        out.contains(got[0]["message_id"].as_str().unwrap()),
        "{out}"
    );

    let out = stdout(&vigie(&db, &sink.url(), &["mail", "outbox", "--failed"]));
    assert!(out.starts_with("0 pending, 0 sent, 0 failed"), "{out}");
    let failed = vigie(&db, &sink.url(), &["mail", "retry", "12345"]);
    assert!(!failed.status.success());
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("not found"),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );

    let bad = vigie(
        &db,
        "smtp://x?tls=maybe",
        &["mail", "test", "--to", "a@b.org"],
    );
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("tls=starttls"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

/// Two `vigie serve` processes on one PostgreSQL database deliver a queue of messages; one is
/// killed (`kill -9`) in the middle of a batch. Every message is delivered, the survivor takes
/// over the dead one's claim once it expired, and only the messages in flight at the kill (at
/// most 4 at once) may go twice — with the same `Message-ID`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_and_a_kill_9_deliver_every_message() {
    use std::time::{Duration, Instant};
    const N: usize = 150;
    let db = TestDatabase::create(Backend::Postgres).await.unwrap();
    let store = vigie_storage::Store::open(&db.url, 2).await.unwrap();
    let mut sink = SmtpSink::new(None).unwrap().slow(15);
    sink.start().await.unwrap();
    let cache = std::env::temp_dir().join("vigie-tests-wasmtime-cache");
    let serve = |name: &str| {
        let port = vigie_tests::smtp::free_port();
        let data = db.data_dir.join(name);
        std::fs::create_dir_all(&data).unwrap();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
            .arg("serve")
            .env("VIGIE_DATABASE_URL", &db.url)
            .env("VIGIE_DATA_DIR", &data)
            .env("VIGIE_BIND", format!("127.0.0.1:{port}"))
            .env("VIGIE__MAIL__SMTP_URL", sink.url())
            .env("VIGIE__MAIL__LEASE_SECONDS", "3")
            .env("VIGIE__MAIL__POLL_SECONDS", "1")
            .env("VIGIE__MAIL__RETRY_BASE_SECONDS", "1")
            .env("VIGIE__DEMO__ENABLED", "false")
            .env("VIGIE__PLUGINS__CACHE_DIR", &cache)
            .env("RUST_LOG", "warn")
            .env_remove("VIGIE_CONFIG")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        (child, port)
    };
    let (mut first, first_port) = serve("first");
    let (mut second, second_port) = serve("second");
    let http = reqwest::Client::new();
    for port in [first_port, second_port] {
        let deadline = Instant::now() + Duration::from_secs(60);
        while http
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "vigie serve did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for n in 0..N {
        store
            .enqueue_mail(&vigie_storage::NewOutboxMail {
                message_id: format!("kill9-{n}-{}", vigie_mail::new_message_id()),
                to: format!("habitant{n}@example.org"),
                subject: format!("Message {n}"),
                body: format!("Corps du message {n}."),
                purpose: "notification".into(),
                tenant: None,
                request_id: None,
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(60);
    while sink.messages().len() < N / 4 {
        assert!(Instant::now() < deadline, "the servers deliver nothing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.start_kill().unwrap();
    first.wait().await.unwrap();
    let at_kill = sink.messages().len();
    loop {
        let counts = store.outbox_counts().await.unwrap();
        if counts.sent == N as i64 {
            break;
        }
        assert!(Instant::now() < deadline, "not all delivered: {counts:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got = sink.messages();
    let mut ids: Vec<String> = got
        .iter()
        .map(|m| m["message_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort_unstable();
    let received = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), N, "every message delivered");
    assert!(
        received - N <= 4,
        "{} duplicates: only the messages in flight at the kill (at most 4) may go twice",
        received - N
    );
    let rows = store.outbox(None, 1000).await.unwrap();
    let retaken = rows.iter().filter(|r| r.attempts > 1).count();
    eprintln!(
        "{N} messages, two servers, one killed after {at_kill} deliveries: all delivered in {} ms, \
         {} duplicate(s), {retaken} taken over after the dead server's lease",
        took.as_millis(),
        received - N
    );
    second.start_kill().unwrap();
    let _ = second.wait().await;
    store.close().await;
    db.drop_database().await;
}
