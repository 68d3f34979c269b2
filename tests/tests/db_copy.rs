//! `vigie db copy`'s engine: a whole instance copied SQLite → PostgreSQL → SQLite, ids kept,
//! with the same journal heads and row counts on every side; values of every kind survive
//! (NULL reals, accents, a request merged into a later one); new rows on the copy get fresh
//! ids; a non-empty target is refused unless replacing it was asked for.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::time::Instant;

use sqlx::Row as _;
use vigie_storage::copy::{CopyError, CopyOptions, CopyReport, compare, copy_instance};
use vigie_storage::{ObjectIdentity, Store};
use vigie_tests::{Backend, TestDatabase, TestServer};

const DEMO: &str = "ecoles-marseille";

/// The demo collective, plus what the demo lacks: an object without coordinates, a request
/// merged into a later one.
async fn source_instance() -> TestServer {
    let srv = TestServer::start(Backend::Sqlite).await.unwrap();
    let mut settings = srv.settings.clone();
    settings.demo.enabled = true;
    srv.app.seed_demo(&settings).await.unwrap();
    let tenant = srv.app.store.tenant_by_slug(DEMO).await.unwrap().unwrap();
    let identity = ObjectIdentity {
        identifier: "0130999Z".into(),
        official_name: "École « Sans-Coordonnées » — ÉÈÊ ñ 漢字".into(),
        street: None,
        postcode: None,
        city: None,
        insee_code: None,
        latitude: None,
        longitude: None,
        status: vigie_domain::ObjectStatus::Open,
        opened_on: None,
        closed_on: None,
    };
    let ty = vigie_domain::ObjectTypeKey::parse("schools").unwrap();
    srv.app
        .store
        .create_object(tenant.id, &ty, &identity, None, None)
        .await
        .unwrap();
    let pool = srv.app.store.raw_pool();
    let ids: Vec<i64> = sqlx::query("SELECT id FROM requests ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get(0).unwrap())
        .collect();
    assert!(ids.len() >= 2, "the demo files requests");
    sqlx::query("UPDATE requests SET merged_into = $1 WHERE id = $2")
        .bind(ids[ids.len() - 1])
        .bind(ids[0])
        .execute(pool)
        .await
        .unwrap();
    srv
}

fn assert_faithful(report: &CopyReport) {
    assert!(
        report.differences().is_empty(),
        "{:#?}",
        report.differences()
    );
    assert!(
        report
            .tables
            .iter()
            .any(|t| t.table == "request_journal" && t.source > 0)
    );
    assert!(!report.journals.is_empty());
    for j in &report.journals {
        assert!(j.is_same(), "{j:?}");
    }
}

async fn copy(source: &Store, target: &Store, options: CopyOptions) -> CopyReport {
    let started = Instant::now();
    let mut rows = 0;
    let report = copy_instance(source, target, options, &mut |t| {
        rows += t.rows;
        if t.elapsed.as_millis() > 200 {
            eprintln!(
                "  {}: {} rows in {:.2} s",
                t.table,
                t.rows,
                t.elapsed.as_secs_f64()
            );
        }
    })
    .await
    .unwrap_or_else(|e| panic!("copy failed: {e}"));
    eprintln!(
        "copied {rows} rows {} → {} in {:.2} s",
        source.backend().name(),
        target.backend().name(),
        started.elapsed().as_secs_f64()
    );
    report
}

/// Journal heads by collective, as the report found them in the target.
fn heads(report: &CopyReport) -> Vec<(String, i64, String)> {
    report
        .journals
        .iter()
        .map(|j| {
            (
                j.tenant.clone(),
                j.target.head_seq,
                j.target.head_hash.clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_round_trips_sqlite_postgres_sqlite() {
    let srv = source_instance().await;
    let pg = TestDatabase::create(Backend::Postgres).await.unwrap();
    let back = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let postgres = Store::connect(&pg.url, 4).await.unwrap();
    let sqlite = Store::connect(&back.url, 4).await.unwrap();

    // Small batches, so that tables span several inserts.
    let options = CopyOptions {
        batch_rows: 7,
        ..CopyOptions::default()
    };
    let there = copy(&srv.app.store, &postgres, options).await;
    assert_faithful(&there);
    let and_back = copy(&postgres, &sqlite, CopyOptions::default()).await;
    assert_faithful(&and_back);
    assert_eq!(heads(&there), heads(&and_back));
    assert_eq!(there.tables, and_back.tables);
    assert!(
        heads(&there)
            .iter()
            .any(|(t, seq, _)| t == DEMO && *seq > 0)
    );

    // Values of every kind came back as they were.
    let row_of = |store: &Store| {
        let pool = store.raw_pool().clone();
        async move {
            let r = sqlx::query(
                "SELECT id, official_name, latitude, street FROM objects WHERE identifier = '0130999Z'",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            let merged =
                sqlx::query("SELECT id, merged_into FROM requests WHERE merged_into IS NOT NULL")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            let located =
                sqlx::query("SELECT SUM(latitude) FROM objects WHERE latitude IS NOT NULL")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            (
                r.try_get::<i64, _>(0).unwrap(),
                r.try_get::<String, _>(1).unwrap(),
                r.try_get::<Option<f64>, _>(2).unwrap(),
                r.try_get::<Option<String>, _>(3).unwrap(),
                merged.try_get::<i64, _>(0).unwrap(),
                merged.try_get::<i64, _>(1).unwrap(),
                (located.try_get::<f64, _>(0).unwrap() * 1e6).round(),
            )
        }
    };
    let original = row_of(&srv.app.store).await;
    assert_eq!(original.2, None);
    assert!(original.1.contains("漢字"));
    assert_eq!(row_of(&postgres).await, original);
    assert_eq!(row_of(&sqlite).await, original);

    // New rows on PostgreSQL get ids past the copied ones.
    let tenant = postgres.tenant_by_slug(DEMO).await.unwrap().unwrap();
    let ty = vigie_domain::ObjectTypeKey::parse("schools").unwrap();
    let identity = ObjectIdentity {
        identifier: "0130998Y".into(),
        official_name: "École neuve".into(),
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
    let fresh = postgres
        .create_object(tenant.id, &ty, &identity, None, None)
        .await
        .unwrap();
    assert!(
        fresh.id > original.0,
        "new id {} after {}",
        fresh.id,
        original.0
    );

    postgres.close().await;
    sqlite.close().await;
    pg.drop_database().await;
    srv.stop().await;
}

/// A target with rows is refused, with what it holds; with `replace_target` its rows are
/// deleted first and the copy is faithful again. On both backends as targets.
async fn a_non_empty_target_is_refused_unless_replaced(backend: Backend) {
    let srv = source_instance().await;
    let db = TestDatabase::create(backend).await.unwrap();
    let target = Store::connect(&db.url, 4).await.unwrap();
    assert_faithful(&copy(&srv.app.store, &target, CopyOptions::default()).await);

    let refused = copy_instance(&srv.app.store, &target, CopyOptions::default(), &mut |_| {})
        .await
        .unwrap_err();
    assert!(matches!(refused, CopyError::TargetNotEmpty(_)), "{refused}");
    assert!(refused.to_string().contains("rows in tenants"), "{refused}");
    assert!(refused.to_string().contains("--force"), "{refused}");

    let replace = CopyOptions {
        replace_target: true,
        ..CopyOptions::default()
    };
    // The same database under another URL is refused, even with replace_target.
    let other_url = match backend {
        Backend::Sqlite => db.url.replace("/data/vigie.db", "/data/../data/vigie.db"),
        Backend::Postgres => db.url.replace("127.0.0.1", "localhost"),
    };
    assert_ne!(other_url, db.url);
    let alias = Store::connect(&other_url, 1).await.unwrap();
    let same = copy_instance(&alias, &target, replace, &mut |_| {})
        .await
        .unwrap_err();
    assert!(matches!(same, CopyError::SameDatabase), "{same}");
    alias.close().await;
    assert_faithful(&copy(&srv.app.store, &target, replace).await);

    // A changed value shows in the comparison, as does a tampered journal entry.
    sqlx::query("UPDATE objects SET city = 'Aix' WHERE identifier = '0130999Z'")
        .execute(target.raw_pool())
        .await
        .unwrap();
    let changed = compare(&srv.app.store, &target).await.unwrap();
    let differences = changed.differences();
    assert_eq!(differences.len(), 1, "{differences:?}");
    assert!(
        differences[0].starts_with("table objects:")
            && differences[0].ends_with("different values"),
        "{differences:?}"
    );
    sqlx::query("UPDATE request_journal SET details = '{}' WHERE seq = 1")
        .execute(target.raw_pool())
        .await
        .unwrap();
    let tampered = compare(&srv.app.store, &target).await.unwrap();
    assert!(
        tampered
            .differences()
            .iter()
            .any(|d| d.contains("journal of") && d.contains("does not verify")),
        "{:?}",
        tampered.differences()
    );
    target.close().await;
    db.drop_database().await;
    srv.stop().await;
}

vigie_tests::both_backends!(a_non_empty_target_is_refused_unless_replaced);

/// Peak resident memory of this process so far, in MiB (Linux).
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// A larger instance (`VIGIE_COPY_OBJECTS` objects, 3 facts each, default 20 000, and 300
/// requests filed one by one so that the journal is long) copies SQLite → PostgreSQL →
/// SQLite faithfully; times and peak memory are printed (`--nocapture`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_larger_instance_copies_both_ways() {
    let objects: i64 = std::env::var("VIGIE_COPY_OBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let srv = TestServer::start(Backend::Sqlite).await.unwrap();
    srv.collective("cem", &["schools"]).await;
    let school = srv
        .object("cem", "schools", "0130001A", "École des Abeilles")
        .await;
    let store = &srv.app.store;
    let tenant = store.tenant_by_slug("cem").await.unwrap().unwrap().id;
    for n in 0..300 {
        let title = format!("Demande n° {n}");
        store
            .file_request(
                tenant,
                &vigie_storage::NewRequest {
                    object_id: school,
                    kind: "intervention".into(),
                    categories: Vec::new(),
                    title: title.clone(),
                    description: "La fuite sous l'évier de la cantine continue.".into(),
                    extra_fields: "{}".into(),
                    urgency: vigie_domain::requests::Urgency::Normal,
                    reminder_on: None,
                    provenance: vigie_domain::Provenance::Anonymous,
                    author: None,
                    contact_email: None,
                    submission_key: None,
                },
                &vigie_storage::JournalNote::new("filed", &serde_json::json!({ "title": title })),
                &[],
                None,
            )
            .await
            .unwrap();
    }
    let pool = store.raw_pool();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         INSERT INTO objects (tenant_id, type_key, identifier, official_name, city, latitude, \
         longitude, status, created_at) \
         SELECT $2, 'schools', 'X' || i, 'École n° ' || i, CASE WHEN i % 5 = 0 THEN NULL ELSE 'Marseille' END, \
         CASE WHEN i % 7 = 0 THEN NULL ELSE 43.0 + i / 1000000.0 END, \
         CASE WHEN i % 7 = 0 THEN NULL ELSE 5.0 + i / 1000000.0 END, \
         'open', '2026-12-01T00:00:00Z' FROM n",
    )
    .bind(objects)
    .bind(tenant.0)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO facts (tenant_id, object_id, field_key, vintage, value, provenance, \
         filed_state, at) SELECT o.tenant_id, o.id, k.key, '2025-2026', '\"' || o.id || '\"', \
         'official', 'accepted', '2026-12-01T00:00:00Z' FROM objects o, \
         (SELECT 'pupils' AS key UNION ALL SELECT 'classes' UNION ALL SELECT 'atsem') k \
         WHERE o.identifier LIKE 'X%'",
    )
    .execute(pool)
    .await
    .unwrap();
    let facts: i64 = sqlx::query("SELECT COUNT(*) FROM facts")
        .fetch_one(pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert!(facts >= objects * 3, "{facts} facts");

    // The snapshot `vigie backup` takes, for its time at this size.
    let snapshot = tempfile::tempdir().unwrap();
    let started = Instant::now();
    store
        .snapshot_into(&snapshot.path().join("vigie.db"))
        .await
        .unwrap();
    eprintln!(
        "snapshot (VACUUM INTO) of {} bytes in {:.2} s",
        std::fs::metadata(snapshot.path().join("vigie.db"))
            .unwrap()
            .len(),
        started.elapsed().as_secs_f64()
    );

    let pg = TestDatabase::create(Backend::Postgres).await.unwrap();
    let back = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let postgres = Store::connect(&pg.url, 4).await.unwrap();
    let sqlite = Store::connect(&back.url, 4).await.unwrap();
    let rss_before = peak_rss_mib();
    let there = copy(store, &postgres, CopyOptions::default()).await;
    assert_faithful(&there);
    let batch_rows = std::env::var("VIGIE_COPY_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(vigie_storage::copy::DEFAULT_BATCH_ROWS);
    let options = CopyOptions {
        batch_rows,
        ..CopyOptions::default()
    };
    let and_back = copy(&postgres, &sqlite, options).await;
    assert_faithful(&and_back);
    assert_eq!(heads(&there), heads(&and_back));
    eprintln!(
        "{objects} objects, {facts} facts, 300 requests: peak memory {rss_before} MiB before the copies, {} MiB after",
        peak_rss_mib()
    );
    postgres.close().await;
    sqlite.close().await;
    pg.drop_database().await;
    srv.stop().await;
}

/// A table of every kind of value, on both sides (as a later migration would add it).
async fn probe_table(store: &Store) {
    let sql = match store.backend() {
        vigie_storage::Backend::Sqlite => {
            "CREATE TABLE copy_probe (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB)"
        }
        vigie_storage::Backend::Postgres => {
            "CREATE TABLE copy_probe (id BIGINT PRIMARY KEY, i BIGINT, r DOUBLE PRECISION, \
             t TEXT, b BYTEA)"
        }
    };
    sqlx::query(sql).execute(store.raw_pool()).await.unwrap();
}

type ProbeRow = (
    i64,
    Option<i64>,
    Option<f64>,
    Option<String>,
    Option<Vec<u8>>,
);

async fn probe_rows(store: &Store) -> Vec<ProbeRow> {
    sqlx::query("SELECT id, i, r, t, b FROM copy_probe ORDER BY id")
        .fetch_all(store.raw_pool())
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.try_get(0).unwrap(),
                r.try_get(1).unwrap(),
                r.try_get(2).unwrap(),
                r.try_get(3).unwrap(),
                r.try_get(4).unwrap(),
            )
        })
        .collect()
}

/// Integers, reals, text and bytes, and NULLs of each, survive SQLite → PostgreSQL →
/// SQLite; rows go one per insert, NULL first, so that a NULL real typed `float4` on
/// PostgreSQL's prepared statement would make the next real fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_value_survives_both_ways() {
    let (a, b, c) = (
        TestDatabase::create(Backend::Sqlite).await.unwrap(),
        TestDatabase::create(Backend::Postgres).await.unwrap(),
        TestDatabase::create(Backend::Sqlite).await.unwrap(),
    );
    let source = Store::open(&a.url, 2).await.unwrap();
    let postgres = Store::open(&b.url, 2).await.unwrap();
    let back = Store::open(&c.url, 2).await.unwrap();
    for store in [&source, &postgres, &back] {
        probe_table(store).await;
    }
    let rows: Vec<ProbeRow> = vec![
        (1, None, None, None, None),
        (
            2,
            Some(i64::MAX),
            Some(43.296_482_1),
            Some("« É » 漢字 ?".to_owned()),
            Some(vec![0, 159, 255]),
        ),
        (
            3,
            Some(-1),
            Some(-0.5),
            Some(String::new()),
            Some(Vec::new()),
        ),
        (4, None, Some(1e300), None, Some(vec![7; 3000])),
    ];
    for (id, i, r, t, bytes) in &rows {
        sqlx::query("INSERT INTO copy_probe (id, i, r, t, b) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(i)
            .bind(r)
            .bind(t)
            .bind(bytes)
            .execute(source.raw_pool())
            .await
            .unwrap();
    }
    let one_by_one = CopyOptions {
        batch_rows: 1,
        ..CopyOptions::default()
    };
    let there = copy(&source, &postgres, one_by_one).await;
    assert!(there.differences().is_empty(), "{:?}", there.differences());
    assert_eq!(probe_rows(&postgres).await, rows);
    let and_back = copy(&postgres, &back, one_by_one).await;
    assert!(
        and_back.differences().is_empty(),
        "{:?}",
        and_back.differences()
    );
    assert_eq!(probe_rows(&back).await, rows);
    for store in [&source, &postgres, &back] {
        store.close().await;
    }
    b.drop_database().await;
}
