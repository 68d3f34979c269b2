//! The demo collective's requests, the journal commands and the reminders command, on both
//! backends: the demo is seeded in-process (as `vigie serve` does), the commands run the binary.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use vigie::App;
use vigie_config::Settings;
use vigie_domain::requests::RequestStatus;
use vigie_tests::{Backend, TestDatabase, both_backends};

fn vigie(db: &TestDatabase, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(args)
        .env("VIGIE_DATABASE_URL", &db.url)
        .env("VIGIE_DATA_DIR", &db.data_dir)
        .env("VIGIE__PLUGINS__CACHE_DIR", shared_plugin_cache())
        .env("RUST_LOG", "warn")
        .env_remove("VIGIE_CONFIG")
        .output()
        .expect("the vigie binary runs")
}

fn ok(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// Compiled plugins are shared by every test (wasmtime's cache is safe to share).
fn shared_plugin_cache() -> String {
    std::env::temp_dir()
        .join("vigie-tests-wasmtime-cache")
        .display()
        .to_string()
}

/// What `vigie serve` would run with on this database, demo enabled.
fn settings(db: &TestDatabase) -> Settings {
    let mut settings = Settings::default();
    settings.database.url = db.url.clone();
    settings.database.max_connections = 5;
    settings.storage.data_dir = db.data_dir.clone();
    settings.demo.enabled = true;
    settings.plugins.cache_dir = shared_plugin_cache();
    settings
}

/// The outbox messages that ask a requester whether their request is solved.
fn reminders_in(outbox: &Path) -> usize {
    let Ok(dir) = std::fs::read_dir(outbox) else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter(|f| {
            std::fs::read_to_string(f.path()).is_ok_and(|text| {
                text.contains("Vous aviez demandé qu'on vous le rappelle")
                    || text.contains("You asked to be reminded")
            })
        })
        .count()
}

/// `ecoles-marseille: N entries, head H: OK` → N.
fn entries_of(line: &str) -> usize {
    line.split_once(": ")
        .and_then(|(_, rest)| rest.split_once(" entries"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no entry count in {line:?}"))
}

async fn demo_requests_journal_and_reminders(backend: Backend) {
    let db = TestDatabase::create(backend).await.unwrap();
    let settings = settings(&db);
    let app = App::build(&settings).await.unwrap();
    app.seed_demo(&settings).await.unwrap();
    let tenant = app.services.tenant("ecoles-marseille").await.unwrap();
    assert!(tenant.is_demo);

    // Every moderation outcome and the life cycle's statuses, with their journals.
    let requests = app.services.requests(&tenant, None).await.unwrap();
    let statuses: BTreeSet<&str> = requests.iter().map(|r| r.status.as_str()).collect();
    for s in [
        "new",
        "published",
        "acknowledged",
        "planned",
        "in_progress",
        "solved",
        "not_solved",
        "refused",
        "set_apart",
    ] {
        assert!(statuses.contains(s), "no demo request is {s}: {statuses:?}");
    }
    let with = |status: RequestStatus| {
        requests
            .iter()
            .find(|r| r.status == status && r.merged_into.is_none())
            .unwrap()
    };
    let merged = requests
        .iter()
        .find(|r| r.merged_into.is_some())
        .expect("a duplicate merged into another request");
    assert_eq!(merged.status, RequestStatus::Closed);
    assert_eq!(merged.merged_into, Some(with(RequestStatus::Planned).id));
    assert!(with(RequestStatus::Refused).moderation_reason.is_some());
    assert!(with(RequestStatus::SetApart).moderation_reason.is_some());
    assert!(
        requests.iter().any(|r| r.supporters >= 2),
        "a request with two « me too »"
    );
    let planned = app
        .services
        .request_details(&tenant, with(RequestStatus::Planned).id)
        .await
        .unwrap();
    assert_eq!(
        planned
            .assignments
            .iter()
            .filter(|a| a.removed_at.is_none())
            .count(),
        2,
        "the planned request is assigned to two contacts"
    );
    let in_progress = app
        .services
        .request_details(&tenant, with(RequestStatus::InProgress).id)
        .await
        .unwrap();
    let actions: Vec<&str> = in_progress
        .journal
        .iter()
        .map(|e| e.action.as_str())
        .collect();
    for action in [
        "filed",
        "published",
        "assigned",
        "answered",
        "comment_added",
    ] {
        assert!(actions.contains(&action), "{action} missing: {actions:?}");
    }
    assert_eq!(
        app.store
            .comments(in_progress.request.id)
            .await
            .unwrap()
            .len(),
        1
    );
    let reopened = with(RequestStatus::NotSolved).id;
    let today = vigie::today();
    let due = requests
        .iter()
        .filter(|r| r.reminder_on.is_some())
        .inspect(|r| {
            assert!(
                r.reminder_on.as_deref().unwrap() > today.as_str(),
                "demo reminders are in the future"
            );
        })
        .count();
    assert!(due > 0, "some demo requests ask for a reminder");

    // Seeding again changes nothing.
    let entries = app.services.journal(&tenant).await.unwrap().len();
    app.seed_demo(&settings).await.unwrap();
    assert_eq!(
        app.services.requests(&tenant, None).await.unwrap().len(),
        requests.len()
    );
    assert_eq!(app.services.journal(&tenant).await.unwrap().len(), entries);

    // The journal verifies.
    let out = ok(&vigie(&db, &["journal", "verify"]));
    let line = out
        .lines()
        .find(|l| l.starts_with("ecoles-marseille: "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.ends_with(": OK"), "{line}");
    assert_eq!(entries_of(line), entries);
    assert!(entries > 0);
    let out = ok(&vigie(
        &db,
        &["journal", "verify", "--tenant", "ecoles-marseille"],
    ));
    assert!(out.contains(&format!("ecoles-marseille: {entries} entries, head ")));
    let out = ok(&vigie(
        &db,
        &[
            "journal",
            "show",
            "--tenant",
            "ecoles-marseille",
            "--request",
            &reopened.to_string(),
        ],
    ));
    assert!(
        out.starts_with("seq\tat\trequest\taction\tdetails\n"),
        "{out}"
    );
    assert!(out.contains(&format!("\t{reopened}\tfiled\t")), "{out}");
    assert!(out.contains(&format!("\t{reopened}\treopened\t")), "{out}");
    assert!(
        out.lines()
            .skip(1)
            .all(|l| l.split('\t').nth(2) == Some(&reopened.to_string())),
        "only that request's entries: {out}"
    );
    let out = ok(&vigie(
        &db,
        &["journal", "show", "--tenant", "ecoles-marseille"],
    ));
    assert_eq!(out.lines().count(), entries + 1, "{out}");
    let out = vigie(&db, &["journal", "verify", "--tenant", "nowhere"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no collective 'nowhere'"),
        "{out:?}"
    );

    // Reminders go out once.
    let outbox = db.data_dir.join("outbox");
    assert_eq!(reminders_in(&outbox), 0);
    let out = ok(&vigie(
        &db,
        &["requests", "remind", "--today", "2999-12-31"],
    ));
    assert!(
        out.contains(&format!("{due} reminder(s) sent")),
        "{due} expected: {out}"
    );
    assert_eq!(reminders_in(&outbox), due);
    let out = ok(&vigie(
        &db,
        &["requests", "remind", "--today", "2999-12-31"],
    ));
    assert!(out.contains("0 reminder(s) sent"), "{out}");
    assert_eq!(reminders_in(&outbox), due);
    let out = vigie(&db, &["requests", "remind", "--today", "31/12/2999"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("YYYY-MM-DD"));
    // The reminders are journaled, and the chain still holds.
    let out = ok(&vigie(&db, &["journal", "verify"]));
    assert!(entries_of(out.lines().next().unwrap()) > entries, "{out}");

    // One altered entry: the verification fails and names it.
    sqlx::query("UPDATE request_journal SET details = $1 WHERE tenant_id = $2 AND seq = $3")
        .bind(r#"{"by":"quelqu'un d'autre"}"#)
        .bind(tenant.id.0)
        .bind(5_i64)
        .execute(app.store.raw_pool())
        .await
        .unwrap();
    let out = vigie(&db, &["journal", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("ecoles-marseille: ") && stdout.contains("BROKEN at entry 5: "),
        "{stdout}"
    );
    assert!(stdout.contains("changed"), "{stdout}");
    assert!(stderr.contains("ecoles-marseille (entry 5)"), "{stderr}");

    app.store.close().await;
    db.drop_database().await;
}

both_backends!(demo_requests_journal_and_reminders);

/// The server sends the due reminders by itself: at start, then every period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_sends_due_reminders() {
    let db = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let settings = settings(&db);
    let app = App::build(&settings).await.unwrap();
    app.seed_demo(&settings).await.unwrap();
    let tenant = app.services.tenant("ecoles-marseille").await.unwrap();
    // Make one reminder due today, as if its date had come.
    let id = app
        .services
        .requests(&tenant, None)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.reminder_on.is_some())
        .unwrap()
        .id;
    sqlx::query("UPDATE requests SET reminder_on = $1 WHERE id = $2")
        .bind(vigie::today())
        .bind(id)
        .execute(app.store.raw_pool())
        .await
        .unwrap();
    let task = vigie::spawn_reminders(
        app.services.clone(),
        std::time::Duration::from_millis(100),
        vigie::Shutdown::new(),
    );
    let outbox = db.data_dir.join("outbox");
    for _ in 0..100 {
        if reminders_in(&outbox) > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // A few more rounds: the reminder is not sent twice.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    task.abort();
    assert_eq!(reminders_in(&outbox), 1);
    let r = app.services.request(&tenant, id).await.unwrap();
    assert!(r.reminder_sent_at.is_some());
    app.store.close().await;
}
