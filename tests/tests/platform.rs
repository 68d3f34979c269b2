//! Probes, migrations and the committed OpenAPI document.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use vigie_storage::{Store, StoreError};
use vigie_tests::{Backend, TestDatabase, TestServer, both_backends};

async fn refuses_a_newer_schema(backend: Backend) {
    let db = TestDatabase::create(backend).await.unwrap();
    let store = Store::open(&db.url, 1).await.unwrap();
    assert!(
        store.migrate().await.unwrap().is_empty(),
        "second run applies nothing"
    );
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
         VALUES (99990101000000, 'from the future', CURRENT_TIMESTAMP, TRUE, X'00', 0)",
    )
    .execute(store.raw_pool())
    .await
    .or_else(|_| {
        // PostgreSQL spells the blob differently.
        futures_lite_block(sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
             VALUES (99990101000000, 'from the future', now(), TRUE, '\\x00'::bytea, 0)",
        )
        .execute(store.raw_pool()))
    })
    .unwrap();
    store.close().await;
    match Store::open(&db.url, 1).await {
        Err(e @ StoreError::SchemaTooNew(99990101000000)) => {
            assert!(e.to_string().contains("newer than this binary"), "{e}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    db.drop_database().await;
}

// The fallback above runs inside an async fn already; this keeps the closure synchronous.
fn futures_lite_block<F: std::future::Future>(f: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}

async fn probes(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let c = srv.client();
    let r = c.get("/healthz").await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("ok")));
    let r = c.get("/readyz").await;
    assert_eq!(r.status, 200);
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(r.body["database"], expected);
    // Once the database is gone, readiness says so (and liveness does not care).
    srv.app.store.close().await;
    let r = c.get("/readyz").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.code(), "database_unavailable");
    assert_eq!(c.get("/healthz").await.status, 200);
    srv.stop().await;
}

both_backends!(refuses_a_newer_schema, probes);

#[test]
fn committed_openapi_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = vigie_api::openapi_json();
    assert!(
        committed.trim_end() == generated.trim_end(),
        "docs/openapi.json is out of date: run `make openapi` and commit the result"
    );
}

#[tokio::test]
async fn openapi_and_docs_are_served() {
    let srv = TestServer::start(Backend::Sqlite).await.unwrap();
    let c = srv.client();
    let r = c.get("/api/openapi.json").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["info"]["title"], "Vigie API");
    assert!(r.body["paths"]["/tenants"].is_object(), "{}", r.text);
    let r = c.get("/api/docs/").await;
    assert_eq!(r.status, 200);
    assert!(r.text.to_lowercase().contains("swagger"));
    srv.stop().await;
}
