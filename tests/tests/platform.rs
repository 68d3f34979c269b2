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

/// Every status an operation can answer is in the document, with the error envelope: the
/// edge's 413 and 415 on every operation that takes a body, 503 on every operation.
#[test]
fn openapi_documents_every_error_status() {
    let doc: serde_json::Value = serde_json::from_str(&vigie_api::openapi_json()).unwrap();
    let envelope = "#/components/schemas/ErrorEnvelope";
    let mut with_body = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let mut expected = vec!["503"];
            if op.get("requestBody").is_some() {
                with_body += 1;
                expected.extend(["413", "415"]);
            }
            for status in expected {
                let r = responses
                    .get(status)
                    .unwrap_or_else(|| panic!("{method} {path} does not document {status}"));
                let schema = &r["content"]["application/json; charset=utf-8"]["schema"]["$ref"];
                assert_eq!(schema, envelope, "{method} {path} {status}");
            }
        }
    }
    assert!(with_body >= 30, "{with_body} operations take a body");
}

/// What the document promises is what the server answers: a body without its
/// `Content-Type` gets 415 in the envelope.
#[tokio::test]
async fn a_body_without_content_type_gets_the_documented_415() {
    let srv = TestServer::start(Backend::Sqlite).await.unwrap();
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/session", srv.base))
        .body(r#"{"email":"a@example.org","password":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsupported_content_type", "{body}");
    let served = srv.client().get("/api/openapi.json").await;
    assert!(
        served.body["paths"]["/session"]["post"]["responses"]["415"].is_object(),
        "the served document is the completed one"
    );
    srv.stop().await;
}
