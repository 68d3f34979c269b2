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
