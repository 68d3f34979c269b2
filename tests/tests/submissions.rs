//! Idempotency keys: a submission sent again — from a phone's offline queue, after a lost
//! answer, twice at once — is filed once, on both databases, through the API
//! (`Idempotency-Key`) and the pages (`submission_key`); a key is its sender's only, and a
//! malformed one is refused with a message saying what to send.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::{Value, json};
use vigie_tests::{Backend, Client, TestServer, both_backends, jpeg_with_gps};

const KEY: &str = "6f1c0e2a-9b4d-4e7f-8a31-2c5d7e9f0b14";

async fn world(backend: Backend) -> (TestServer, i64) {
    let srv = TestServer::start(backend).await.unwrap();
    srv.collective("cem", &["schools"]).await;
    let school = srv
        .object("cem", "schools", "0130001A", "École des Abeilles")
        .await;
    (srv, school)
}

fn leak(title: &str) -> Value {
    json!({
        "kind": "intervention",
        "title": title,
        "description": "Une fuite sous l'évier de la cantine depuis ce matin.",
    })
}

async fn file(c: &Client, school: i64, body: Value, key: Option<&str>) -> vigie_tests::Reply {
    let headers: Vec<(&str, &str)> = key.map(|k| ("Idempotency-Key", k)).into_iter().collect();
    c.call_with(
        "POST",
        &format!("/api/v1/tenants/cem/objects/{school}/requests"),
        Some(body),
        &headers,
    )
    .await
}

async fn request_count(srv: &TestServer) -> usize {
    let tenant = srv.app.store.tenant_by_slug("cem").await.unwrap().unwrap();
    srv.app.store.requests(tenant.id, None).await.unwrap().len()
}

async fn a_filing_sent_again_is_filed_once(backend: Backend) {
    let (srv, school) = world(backend).await;
    let anon = srv.client();

    let first = file(&anon, school, leak("Fuite à la cantine"), Some(KEY)).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let id = first.body["request"]["id"].as_i64().unwrap();
    // The answer was lost: the phone sends it again, with the same key.
    let again = file(&anon, school, leak("Fuite à la cantine"), Some(KEY)).await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.body["request"]["id"], id, "the same request");
    assert_eq!(request_count(&srv).await, 1);
    // One « filed » entry in the journal, not two.
    let journal = anon.get("/api/v1/tenants/cem/journal").await;
    let filed = journal.body.as_array().unwrap().iter();
    assert_eq!(filed.filter(|e| e["action"] == "filed").count(), 1);
    // The second answer's link works as the first's: its holder may add a photo.
    let token = again.body["follow_token"].as_str().unwrap();
    assert_ne!(token, first.body["follow_token"].as_str().unwrap());
    let r = anon
        .upload(
            &format!("/api/v1/tenants/cem/requests/{id}/attachments?token={token}"),
            &[("title", "Photo de la fuite")],
            "fuite.jpg",
            jpeg_with_gps(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    // Without a key, or with another, each sending is a filing.
    assert_eq!(
        file(&anon, school, leak("Fuite au préau"), None)
            .await
            .status,
        201
    );
    let other = "0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a";
    assert_eq!(
        file(&anon, school, leak("Fuite au préau"), Some(other))
            .await
            .status,
        201
    );
    assert_eq!(request_count(&srv).await, 3);

    // A key is its sender's: an account cannot take over someone else's filing with it.
    let account = srv.client();
    account
        .sign_in("garant@vigie.test", vigie_tests::PASSWORD)
        .await;
    let mine = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
    assert_eq!(
        file(&account, school, leak("Fuite au gymnase"), Some(mine))
            .await
            .status,
        201
    );
    let stolen = file(&anon, school, leak("Fuite au gymnase"), Some(mine)).await;
    assert_eq!(stolen.status, 409, "{}", stolen.text);
    assert!(stolen.text.contains("quelqu'un d'autre"), "{}", stolen.text);

    // A key that is no random secret is refused, saying what to send.
    for bad in ["1", "spaces are not allowed here", &"k".repeat(101)] {
        let r = file(&anon, school, leak("Fuite au portail"), Some(bad)).await;
        assert_eq!(r.status, 400, "{bad:?}: {}", r.text);
        assert!(r.text.contains("submission_key"), "{}", r.text);
        assert!(r.text.contains("UUID"), "{}", r.text);
    }
    assert_eq!(request_count(&srv).await, 4);
    srv.stop().await;
}

async fn sendings_at_once_file_one_request(backend: Backend) {
    let (srv, school) = world(backend).await;
    let anon = srv.client();
    let key = "7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928";
    let sendings = (0..6).map(|_| file(&anon, school, leak("Fuite aux toilettes"), Some(key)));
    let replies = futures::future::join_all(sendings).await;
    let ids: std::collections::BTreeSet<i64> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", r.text);
            r.body["request"]["id"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every sending names the one request");
    assert_eq!(request_count(&srv).await, 1);
    srv.stop().await;
}

async fn a_contribution_sent_again_is_filed_once(backend: Backend) {
    let (srv, school) = world(backend).await;
    let anon = srv.client();
    let path = format!("/api/v1/tenants/cem/objects/{school}/contributions");
    let body = json!({"vintage": "2024", "values": [{"field": "atsem", "value": 3}]});
    let key = [("Idempotency-Key", KEY)];
    let first = anon
        .call_with("POST", &path, Some(body.clone()), &key)
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = anon
        .call_with("POST", &path, Some(body.clone()), &key)
        .await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.body[0]["id"], first.body[0]["id"], "{}", again.text);
    let pending = anon.get("/api/v1/tenants/cem/contributions").await;
    assert_eq!(
        pending.body.as_array().unwrap().len(),
        1,
        "{}",
        pending.text
    );
    // The same key for a request is refused: one key, one submission.
    let r = file(&anon, school, leak("Fuite à la cantine"), Some(KEY)).await;
    assert_eq!(r.status, 409, "{}", r.text);
    srv.stop().await;
}

async fn the_pages_forms_carry_the_key(backend: Backend) {
    let (srv, school) = world(backend).await;
    let anon = srv.client();
    let form = |title: &'static str| {
        reqwest::multipart::Form::new()
            .text("kind", "intervention")
            .text("title", title)
            .text(
                "description",
                "Une fuite sous l'évier de la cantine depuis ce matin.",
            )
            .text("confirm", "1")
            .text("submission_key", KEY)
    };
    let send = || async {
        let r = anon
            .http
            .post(format!("{}/t/cem/o/{school}/requests", srv.base))
            .multipart(form("Fuite à la cantine"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        to.split('?').next().unwrap().to_owned()
    };
    let first = send().await;
    assert_eq!(send().await, first, "the same request's page");
    assert_eq!(request_count(&srv).await, 1);

    // A contribution from the sheet, twice with its key.
    for _ in 0..2 {
        let r = anon
            .form(
                &format!("/t/cem/o/{school}/contribute"),
                &[
                    ("vintage", "2024"),
                    ("field", "atsem"),
                    ("value", "2"),
                    ("submission_key", "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
    }
    let pending = anon.get("/api/v1/tenants/cem/contributions").await;
    assert_eq!(
        pending.body.as_array().unwrap().len(),
        1,
        "{}",
        pending.text
    );
    srv.stop().await;
}

both_backends!(
    a_filing_sent_again_is_filed_once,
    sendings_at_once_file_one_request,
    a_contribution_sent_again_is_filed_once,
    the_pages_forms_carry_the_key
);
