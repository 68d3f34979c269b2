//! Moving and keeping data as an operator does it, with the commands of
//! `docs/operations.md` (« Move from SQLite to PostgreSQL », « Back up and restore »), run
//! here verbatim by `sh`: `vigie backup` of a SQLite instance while it files requests, then
//! restored; `pg_dump` / `pg_restore` of a PostgreSQL one; `vigie db copy` from SQLite to
//! PostgreSQL; `vigie media copy` from a folder to S3 (a real SeaweedFS) and back, resumed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

#[path = "../../vigie-media/tests/support/seaweedfs.rs"]
mod seaweedfs;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::Row as _;
use vigie_storage::Store;
use vigie_tests::{Backend, TestDatabase, TestServer, jpeg_with_gps};

/// `docs/operations.md`, whose commands these tests run.
const OPERATIONS: &str = include_str!("../../../docs/operations.md");

/// « Back up and restore », SQLite: the backup.
const SQLITE_BACKUP: &str = r#"vigie backup --to "$BACKUP""#;
/// « Back up and restore », SQLite: putting the files back (the server stopped).
const SQLITE_RESTORE: &str = r#"rm -f "$DATA_DIR/vigie.db" "$DATA_DIR/vigie.db-wal" "$DATA_DIR/vigie.db-shm"
cp "$BACKUP/vigie.db" "$DATA_DIR/vigie.db"
vigie media copy --from "$BACKUP/media" --to "$DATA_DIR/files""#;
/// « Back up and restore », PostgreSQL: the backup.
const POSTGRES_BACKUP: &str = r#"pg_dump --format=custom --file="$BACKUP/vigie.dump" "$DATABASE_URL"
vigie media copy --from "$MEDIA_STORE" --to "$BACKUP/media""#;
/// « Back up and restore », PostgreSQL: the restore into a new, empty database.
const POSTGRES_RESTORE: &str =
    r#"pg_restore --no-owner --exit-on-error --dbname="$DATABASE_URL" "$BACKUP/vigie.dump""#;
/// « Move from SQLite to PostgreSQL ».
const MOVE_DATABASE: &str =
    r#"vigie db copy --from "sqlite://$DATA_DIR/vigie.db" --to "$DATABASE_URL""#;
/// « Move from SQLite to PostgreSQL »: the files.
const MOVE_MEDIA: &str = r#"vigie media copy --from "$DATA_DIR/files" --to "$MEDIA_STORE""#;

/// Runs a documented snippet with `sh -e`, `vigie` on the `PATH`, `vars` set.
fn sh(script: &str, vars: &[(&str, &str)]) -> Output {
    assert!(
        OPERATIONS.contains(script),
        "docs/operations.md must show, verbatim:\n{script}"
    );
    let bin = Path::new(env!("CARGO_BIN_EXE_vigie")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-e", "-c", script])
        .env("PATH", path)
        .env("RUST_LOG", "warn")
        .env("VIGIE__DEMO__ENABLED", "false")
        .env_remove("VIGIE_CONFIG")
        .env_remove("VIGIE_DATABASE_URL")
        .env_remove("VIGIE_DATA_DIR");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().expect("sh runs")
}

fn ok(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "failed: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn request_body(n: usize) -> serde_json::Value {
    json!({
        "kind": "intervention",
        "categories": ["cem/toilets"],
        "title": format!("Fuite n° {n}"),
        "description": "L'eau coule sous l'évier de la cantine depuis ce matin.",
        "fields": {"location": "Cantine"},
    })
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

/// A collective with a school, a photo of it in the media store and one request.
async fn instance(
    backend: Backend,
    adjust: impl FnOnce(&mut vigie_config::Settings),
) -> (TestServer, i64) {
    let srv = TestServer::start_with(backend, adjust).await.unwrap();
    let c = srv.collective("cem", &["schools"]).await;
    let school = srv
        .object("cem", "schools", "0130001A", "École des Abeilles")
        .await;
    let r = c
        .garant
        .upload(
            &format!("/api/v1/tenants/cem/objects/{school}/documents"),
            &[("kind", "photo"), ("title", "Préau")],
            "preau.jpg",
            jpeg_with_gps(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = c
        .garant
        .post(
            &format!("/api/v1/tenants/cem/objects/{school}/requests"),
            request_body(0),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    (srv, school)
}

/// `vigie backup` taken while requests are being filed, restored by the documented steps:
/// the restored instance opens, its journal verifies, every request answered 2xx before the
/// backup began is there, nothing is there that was not filed, and the photo's file is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_restores_every_answered_request() {
    let (srv, school) = instance(Backend::Sqlite, |_| {}).await;
    let garant = srv.client();
    garant
        .sign_in("garant@vigie.test", vigie_tests::PASSWORD)
        .await;
    let answered = Arc::new(std::sync::Mutex::new(Vec::<i64>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let filer = {
        let (answered, stop) = (answered.clone(), stop.clone());
        let path = format!("/api/v1/tenants/cem/objects/{school}/requests");
        tokio::spawn(async move {
            let mut n = 1;
            while !stop.load(Ordering::SeqCst) {
                let r = garant.post(&path, request_body(n)).await;
                if (200..300).contains(&r.status) {
                    let id = r.body["request"]["id"].as_i64().unwrap();
                    answered.lock().unwrap().push(id);
                }
                n += 1;
            }
            n - 1
        })
    };
    while answered.lock().unwrap().len() < 10 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before: BTreeSet<i64> = answered.lock().unwrap().iter().copied().collect();
    let backup = tempfile::tempdir().unwrap();
    let backup_dir = backup.path().join("2026-12-03");
    let data_dir = srv.db.data_dir.display().to_string();
    let started = Instant::now();
    let out = sh(
        SQLITE_BACKUP,
        &[
            ("BACKUP", &backup_dir.display().to_string()),
            ("VIGIE_DATA_DIR", &data_dir),
        ],
    );
    let took = started.elapsed();
    let printed = ok(&out);
    let during = answered.lock().unwrap().len() - before.len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    let attempted = filer.await.unwrap();
    let all: BTreeSet<i64> = answered.lock().unwrap().iter().copied().collect();
    eprintln!(
        "backup in {:.2} s while filing ({during} filings answered meanwhile, {} in all, {attempted} attempted):\n{printed}",
        took.as_secs_f64(),
        all.len()
    );
    assert!(
        all.len() > before.len(),
        "the server went on filing during and after the backup"
    );
    assert!(printed.contains("journal cem"), "{printed}");
    assert!(printed.contains("1 copied"), "{printed}");
    assert!(backup_dir.join("vigie.db").is_file());
    // A second backup into the same folder is refused.
    let again = sh(
        SQLITE_BACKUP,
        &[
            ("BACKUP", &backup_dir.display().to_string()),
            ("VIGIE_DATA_DIR", &data_dir),
        ],
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    let blob_key: String = sqlx::query("SELECT blob_key FROM documents")
        .fetch_one(srv.app.store.raw_pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    srv.stop().await;

    // Restore into another data folder, as on a new machine.
    let restored = tempfile::tempdir().unwrap();
    let restored_dir = restored.path().join("data");
    std::fs::create_dir_all(&restored_dir).unwrap();
    // A stale WAL from a previous life of the folder must not be replayed onto the backup.
    std::fs::write(restored_dir.join("vigie.db-wal"), b"stale").unwrap();
    ok(&sh(
        SQLITE_RESTORE,
        &[
            ("BACKUP", &backup_dir.display().to_string()),
            ("DATA_DIR", &restored_dir.display().to_string()),
        ],
    ));
    let mut settings = vigie_config::Settings::default();
    settings.storage.data_dir = restored_dir.clone();
    settings.demo.enabled = false;
    settings.plugins.cache_dir = std::env::temp_dir()
        .join("vigie-tests-wasmtime-cache")
        .display()
        .to_string();
    let app = vigie::App::build(&settings).await.unwrap();
    let tenant = app.services.tenant("cem").await.unwrap();
    let report = app.services.verify_journal(&tenant).await.unwrap();
    assert_eq!(report.broken, None);
    let present = request_ids(&app.store).await;
    assert!(
        before.is_subset(&present),
        "answered before the backup but missing: {:?}",
        before.difference(&present).collect::<Vec<_>>()
    );
    // What the backup holds was filed (and answered, unless the answer was still on its way).
    let first = request_ids_filed_first(&app.store).await;
    assert!(
        present.iter().all(|id| all.contains(id) || *id == first),
        "unknown requests {:?}",
        present.difference(&all).collect::<Vec<_>>()
    );
    assert!(report.entries >= present.len());
    assert!(restored_dir.join("files").join(&blob_key).is_file());
    app.store.close().await;
}

/// The request filed when the instance was set up (before the burst).
async fn request_ids_filed_first(store: &Store) -> i64 {
    sqlx::query("SELECT MIN(id) FROM requests")
        .fetch_one(store.raw_pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

/// `vigie backup` on PostgreSQL refuses and says to use pg_dump.
#[tokio::test]
async fn backup_refuses_postgres_and_points_to_pg_dump() {
    let backup = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["backup", "--to"])
        .arg(backup.path().join("b"))
        .env(
            "VIGIE_DATABASE_URL",
            "postgres://vigie@127.0.0.1:5432/vigie",
        )
        .env("RUST_LOG", "warn")
        .env_remove("VIGIE_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pg_dump"), "{err}");
    assert!(!backup.path().join("b").exists(), "nothing written");
}

/// `pg_dump` / `pg_restore` as documented: the restored database has the same rows and
/// journal heads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_is_backed_up_with_pg_dump_and_restored_with_pg_restore() {
    let (srv, _) = instance(Backend::Postgres, |_| {}).await;
    // Badges the activity earned are awarded now, not by the worker in the middle of the
    // comparison (a later award would be one row the dump could not have).
    for tenant in srv.app.services.tenants().await.unwrap() {
        srv.app.services.compute_badges(&tenant).await.unwrap();
    }
    let backup = tempfile::tempdir().unwrap();
    let backup_dir = backup.path().display().to_string();
    let media = srv.settings.media_store();
    ok(&sh(
        POSTGRES_BACKUP,
        &[
            ("BACKUP", &backup_dir),
            ("DATABASE_URL", &srv.db.url),
            ("MEDIA_STORE", &media),
        ],
    ));
    let fresh = TestDatabase::create(Backend::Postgres).await.unwrap();
    ok(&sh(
        POSTGRES_RESTORE,
        &[("BACKUP", &backup_dir), ("DATABASE_URL", &fresh.url)],
    ));
    let restored = Store::open(&fresh.url, 2).await.unwrap();
    let report = vigie_storage::copy::compare(&srv.app.store, &restored)
        .await
        .unwrap();
    assert!(
        report.differences().is_empty(),
        "{:?}",
        report.differences()
    );
    assert!(report.journals.iter().all(|j| j.target.head_seq > 0));
    assert!(
        backup
            .path()
            .join("media")
            .read_dir()
            .unwrap()
            .next()
            .is_some()
    );
    restored.close().await;
    fresh.drop_database().await;
    srv.stop().await;
}

/// Moving a SQLite instance onto PostgreSQL and its files onto S3, as documented: `vigie db
/// copy` prints the comparison and succeeds; run again it refuses the non-empty target, and
/// with --force it replaces it; `vigie media copy` copies the files once, a second run skips
/// them all, and the copy back into a folder gives the same bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_moves_from_sqlite_to_postgres_and_s3() {
    let (srv, _) = instance(Backend::Sqlite, |_| {}).await;
    let data_dir = srv.db.data_dir.display().to_string();
    let pg = TestDatabase::create(Backend::Postgres).await.unwrap();
    let vars = [
        ("DATA_DIR", data_dir.as_str()),
        ("DATABASE_URL", pg.url.as_str()),
    ];
    let printed = ok(&sh(MOVE_DATABASE, &vars));
    assert!(printed.contains("OK: "), "{printed}");
    assert!(printed.contains("request_journal"), "{printed}");
    assert!(
        printed.contains("journal cem: source 3 entries"),
        "{printed}"
    );
    assert!(printed.contains("same head, verifies"), "{printed}");
    let again = sh(MOVE_DATABASE, &vars);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("not empty") && err.contains("--force"),
        "{err}"
    );
    let forced = ok(&sh(&format!("{MOVE_DATABASE} --force"), &vars));
    // A mistyped source is not created empty.
    let missing = sh(
        MOVE_DATABASE,
        &[
            ("DATA_DIR", "/nonexistent/vigie"),
            ("DATABASE_URL", pg.url.as_str()),
        ],
    );
    assert!(!missing.status.success());
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("no SQLite database at /nonexistent/vigie/vigie.db"),
        "{err}"
    );
    assert!(forced.contains("OK: "), "{forced}");

    let Some(s3) = seaweedfs::SeaweedFs::start() else {
        srv.stop().await;
        pg.drop_database().await;
        return;
    };
    let store = format!(
        "s3://{}/vigie?endpoint={}&region=us-east-1",
        s3.bucket, s3.endpoint
    );
    let media_vars = [
        ("DATA_DIR", data_dir.as_str()),
        ("MEDIA_STORE", store.as_str()),
        ("AWS_ACCESS_KEY_ID", seaweedfs::ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", seaweedfs::SECRET_ACCESS_KEY),
    ];
    let first = ok(&sh(MOVE_MEDIA, &media_vars));
    assert!(first.contains("1 file(s): 1 copied"), "{first}");
    let second = ok(&sh(MOVE_MEDIA, &media_vars));
    assert!(
        second.contains("1 file(s): 0 copied (0 bytes), 1 already there"),
        "{second}"
    );

    // And back from S3 into a new folder: the same bytes.
    let back = tempfile::tempdir().unwrap();
    let back_vars = [
        ("BACKUP", back.path().to_str().unwrap()),
        ("MEDIA_STORE", store.as_str()),
        ("AWS_ACCESS_KEY_ID", seaweedfs::ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", seaweedfs::SECRET_ACCESS_KEY),
        ("DATABASE_URL", pg.url.as_str()),
    ];
    ok(&sh(POSTGRES_BACKUP, &back_vars));
    let key: String = sqlx::query("SELECT blob_key FROM documents")
        .fetch_one(srv.app.store.raw_pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(
        std::fs::read(back.path().join("media").join(&key)).unwrap(),
        std::fs::read(srv.db.data_dir.join("files").join(&key)).unwrap()
    );
    srv.stop().await;
    pg.drop_database().await;
}
