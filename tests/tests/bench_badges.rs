//! Badge rules at scale (`make bench`, not `make test`): a collective with 100 000
//! contributions, 20 000 requests and 2 000 accounts, 20 rules (the starter set and thirteen
//! more, with windows and vintages). Measures computing every rule for the whole collective
//! (first from nothing, then again, when nothing new is reached) and for one account after an
//! action, on SQLite and PostgreSQL. Targets (issue 16): < 5 s for the whole collective,
//! < 50 ms for one account. Prints one line per backend; run with
//! `cargo test --release -p vigie-tests --test bench_badges -- --ignored --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a failed unwrap is a failure

use std::time::Instant;

use serde_json::json;
use sqlx::Connection as _;
use vigie_domain::UserId;
use vigie_tests::{Backend, TestServer, uai};

const CONTRIBUTIONS: i64 = 100_000;
const REQUESTS: i64 = 20_000;
const ACCOUNTS: i64 = 2_000;
const PLACES: i64 = 500;

/// Thirteen rules beyond the starter set: windows, vintages, joins, CTEs.
const MORE_RULES: [&str; 13] = [
    "SELECT user_id, COUNT(*) AS score FROM v_contributions WHERE vintage = '2024-2025' GROUP BY user_id",
    "SELECT user_id, COUNT(*) AS score FROM v_contributions WHERE filed_at >= '2026-01-01' GROUP BY user_id",
    "SELECT user_id, COUNT(DISTINCT object_id) AS score FROM v_contributions GROUP BY user_id",
    "SELECT user_id, COUNT(DISTINCT field_key) AS score FROM v_contributions WHERE outcome = 'accepted' GROUP BY user_id",
    "SELECT user_id, COUNT(*) AS score FROM v_contributions WHERE outcome = 'refused' GROUP BY user_id",
    "SELECT user_id, COUNT(*) AS score FROM v_requests WHERE urgency = 'urgent' GROUP BY user_id",
    "SELECT user_id, COUNT(DISTINCT object_id) AS score FROM v_requests GROUP BY user_id",
    "SELECT user_id, COUNT(*) AS score FROM v_requests WHERE status IN ('in_progress', 'planned') GROUP BY user_id",
    "SELECT user_id, COUNT(*) AS score FROM v_comments GROUP BY user_id",
    "SELECT user_id, COUNT(*) AS score FROM v_decisions GROUP BY user_id",
    "WITH places AS (SELECT user_id, object_id FROM v_contributions GROUP BY user_id, object_id) \
     SELECT user_id, COUNT(*) AS score FROM places GROUP BY user_id",
    "SELECT c.user_id, COUNT(*) AS score FROM v_contributions c JOIN v_requests r \
     ON r.object_id = c.object_id AND r.user_id = c.user_id GROUP BY c.user_id",
    "SELECT user_id, SUM(CASE WHEN outcome = 'accepted' THEN 2 ELSE 1 END) AS score \
     FROM v_contributions GROUP BY user_id",
];

/// Fills the collective `tenant` with generated activity, straight in SQL.
async fn seed(url: &str, backend: Backend, tenant: i64, first_object: i64) {
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    // i = 1..n, per backend.
    let series = |n: i64| match backend {
        Backend::Sqlite => format!(
            "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) \
             SELECT i FROM s)"
        ),
        Backend::Postgres => format!("(SELECT generate_series(1, {n}) AS i)"),
    };
    let hex = match backend {
        Backend::Sqlite => "printf('%016x', 1000000 + i)",
        Backend::Postgres => "lpad(to_hex(1000000 + i), 16, '0')",
    };
    let at = "'2026-03-01T10:00:00.000000Z'";
    let statements = [
        format!(
            "INSERT INTO users (email, password_hash, display_name, email_verified_at, created_at, pseudonym) \
             SELECT 'bench' || i || '@example.org', '!', 'Bench ' || i, {at}, {at}, {hex} \
             FROM {} g",
            series(ACCOUNTS)
        ),
        format!(
            "INSERT INTO facts (tenant_id, object_id, field_key, vintage, value, provenance, author_id, filed_state, at) \
             SELECT {tenant}, {first_object} + (i % {PLACES}), 'atsem', \
             CASE WHEN i % 3 = 0 THEN '2023-2024' ELSE '2024-2025' END, '3', 'citizen', \
             (SELECT MIN(id) FROM users WHERE email LIKE 'bench%') + (i % {ACCOUNTS}), 'pending', \
             CASE WHEN i % 2 = 0 THEN '2026-02-01T10:00:00.000000Z' ELSE '2025-11-01T10:00:00.000000Z' END \
             FROM {} g",
            series(CONTRIBUTIONS)
        ),
        format!(
            "INSERT INTO fact_decisions (fact_id, decision, decided_by, at) \
             SELECT id, CASE WHEN id % 5 = 0 THEN 'refused' ELSE 'accepted' END, \
             (SELECT MIN(id) FROM users), {at} FROM facts WHERE tenant_id = {tenant} AND id % 3 = 0"
        ),
        format!(
            "INSERT INTO requests (tenant_id, object_id, kind, categories, title, description, extra_fields, \
             urgency, provenance, author_id, status, filed_at, updated_at) \
             SELECT {tenant}, {first_object} + (i % {PLACES}), 'intervention', '[]', 'Demande ' || i, \
             'Description', '{{}}', CASE WHEN i % 7 = 0 THEN 'urgent' ELSE 'normal' END, 'citizen', \
             (SELECT MIN(id) FROM users WHERE email LIKE 'bench%') + (i % {ACCOUNTS}), \
             CASE WHEN i % 4 = 0 THEN 'solved' WHEN i % 4 = 1 THEN 'in_progress' ELSE 'published' END, \
             {at}, {at} FROM {} g",
            series(REQUESTS)
        ),
        format!(
            "INSERT INTO request_supporters (request_id, user_id, at) \
             SELECT id, (SELECT MIN(id) FROM users WHERE email LIKE 'bench%') + ((id * 7) % {ACCOUNTS}), {at} \
             FROM requests WHERE tenant_id = {tenant}"
        ),
        format!(
            "INSERT INTO request_comments (request_id, author_id, body, at) \
             SELECT id, (SELECT MIN(id) FROM users WHERE email LIKE 'bench%') + ((id * 11) % {ACCOUNTS}), 'ok', {at} \
             FROM requests WHERE tenant_id = {tenant} AND id % 2 = 0"
        ),
        format!(
            "INSERT INTO request_assignments (request_id, user_id, at) \
             SELECT id, (SELECT MIN(id) FROM users WHERE email LIKE 'bench%') + ((id * 13) % {ACCOUNTS}), {at} \
             FROM requests WHERE tenant_id = {tenant} AND id % 3 = 0"
        ),
    ];
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    sqlx::query("ANALYZE").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

async fn badges_at_scale(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let c = srv.collective("cem", &["schools"]).await;
    let mut first_object = i64::MAX;
    for i in 0..PLACES {
        let id = srv
            .object(
                "cem",
                "schools",
                &uai(i as usize + 1),
                &format!("École {i}"),
            )
            .await;
        first_object = first_object.min(id);
    }
    let tenant = srv.app.services.tenant("cem").await.unwrap();
    let seeded = Instant::now();
    seed(&srv.db.url, backend, tenant.id.0, first_object).await;
    let seed_s = seeded.elapsed().as_secs_f64();
    for (i, rule) in MORE_RULES.iter().enumerate() {
        // Manual first (nothing computed), then the rule, computed by the timed runs below.
        let r = c
            .guru
            .post(
                "/api/v1/tenants/cem/badges",
                json!({"key": format!("bench-{i}"), "name_fr": format!("Banc {i}"),
                       "name_en": format!("Bench {i}"), "unit_fr": "points", "unit_en": "points",
                       "visual": "star", "levels": "1, 5, 10, 30, 60", "rule": rule}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let badges = srv.app.services.badges(&tenant).await.unwrap();
    let rules = badges.iter().filter(|b| b.badge.rule.is_some()).count();
    assert_eq!(rules, 20);

    // The whole collective: every rule, every account (nothing new to add the second time).
    let t = Instant::now();
    srv.app.services.compute_badges(&tenant).await.unwrap();
    let full_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    srv.app.services.compute_badges(&tenant).await.unwrap();
    let again_s = t.elapsed().as_secs_f64();

    // One account after an action: every rule, for that account.
    let first_user = srv
        .app
        .store
        .user_by_email(&vigie_domain::Email::parse("bench1@example.org").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id
        .0;
    let mut times = Vec::new();
    for k in 0..30 {
        let t = Instant::now();
        srv.app
            .services
            .compute_badges_for(&tenant, UserId(first_user + k * 37))
            .await
            .unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let median_ms = times[times.len() / 2];
    let p95_ms = times[times.len() * 95 / 100];
    println!(
        "BENCH badges backend={} contributions={CONTRIBUTIONS} requests={REQUESTS} accounts={ACCOUNTS} \
         rules={rules} seed={seed_s:.1}s full={full_s:.2}s (target < 5 s) again={again_s:.2}s \
         one_account_median={median_ms:.1}ms p95={p95_ms:.1}ms (target < 50 ms)",
        format!("{backend:?}").to_lowercase()
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: make bench"]
async fn badges_at_scale_sqlite() {
    badges_at_scale(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: make bench"]
async fn badges_at_scale_postgres() {
    badges_at_scale(Backend::Postgres).await;
}
