//! Accounts over HTTP: register, verify by link, sign in and out, reset, Official by domain.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::json;
use vigie_tests::{Backend, PASSWORD, TestServer, both_backends};

async fn register_verify_sign_in(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let c = srv.client();

    // Bad input answers 400 with a field and a message that says what to fix.
    let r = c
        .post(
            "/api/v1/accounts",
            json!({"email": "not-an-email", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.code(), "invalid_input");
    assert_eq!(r.body["error"]["field"], "email");
    let r = c
        .post(
            "/api/v1/accounts",
            json!({"email": "jeanne@example.org", "password": "short"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at least 10")
    );

    let r = c
        .post(
            "/api/v1/accounts",
            json!({"email": "Jeanne@Example.org", "password": PASSWORD, "display_name": "Jeanne D."}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let first = r.body;

    // Same address again: the same answer (nobody learns who has an account); the owner
    // is told by e-mail instead (see tests/tests/abuse_accounts.rs).
    let r = c
        .post(
            "/api/v1/accounts",
            json!({"email": "jeanne@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 202);
    assert_eq!(r.body, first);

    // Unverified accounts cannot sign in yet.
    let r = c
        .post(
            "/api/v1/session",
            json!({"email": "jeanne@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.code(), "email_not_verified");

    // The verification link is in the outbox.
    let token = srv.last_link("jeanne@example.org", "/verify").unwrap();
    let r = c
        .post("/api/v1/accounts/verify", json!({"token": "nope"}))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "invalid_token");
    let r = c
        .post("/api/v1/accounts/verify", json!({"token": token}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["email_verified"], true);
    // A link works once.
    let r = c
        .post("/api/v1/accounts/verify", json!({"token": token}))
        .await;
    assert_eq!(r.code(), "invalid_token");

    // Wrong password and unknown e-mail answer the same.
    let a = c
        .post(
            "/api/v1/session",
            json!({"email": "jeanne@example.org", "password": "wrong password!"}),
        )
        .await;
    let b = c
        .post(
            "/api/v1/session",
            json!({"email": "nobody@example.org", "password": "wrong password!"}),
        )
        .await;
    assert_eq!((a.status, b.status), (401, 401));
    assert_eq!(a.body, b.body);

    // Anonymous /me is 401.
    assert_eq!(c.get("/api/v1/me").await.status, 401);
    let r = c
        .post(
            "/api/v1/session",
            json!({"email": "jeanne@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let cookie = r
        .cookies
        .iter()
        .find(|c| c.starts_with("vigie_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    let me = c.get("/api/v1/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["display_name"], "Jeanne D.");

    // The same session works for the web pages.
    let page = c.get("/").await;
    assert!(
        page.text.contains("Jeanne D."),
        "the page does not show the signed-in user"
    );

    let r = c
        .call(
            "PATCH",
            "/api/v1/me",
            Some(json!({"display_name": "Jeanne"})),
        )
        .await;
    assert_eq!(r.body["display_name"], "Jeanne");
    let r = c
        .call(
            "PATCH",
            "/api/v1/me",
            Some(json!({"display_name": "j@x.fr"})),
        )
        .await;
    assert_eq!(r.status, 400);

    let r = c.delete("/api/v1/session").await;
    assert_eq!(r.status, 204);
    assert_eq!(c.get("/api/v1/me").await.status, 401);
    srv.stop().await;
}

async fn password_reset(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    srv.operator_user("paul@example.org", "Paul", false)
        .await
        .unwrap();
    let c = srv.client();
    c.sign_in("paul@example.org", PASSWORD).await;

    // Unknown addresses get the same answer.
    let r = c
        .post(
            "/api/v1/accounts/password-reset",
            json!({"email": "ghost@example.org"}),
        )
        .await;
    assert_eq!(r.status, 202);
    let r = c
        .post(
            "/api/v1/accounts/password-reset",
            json!({"email": "paul@example.org"}),
        )
        .await;
    assert_eq!(r.status, 202);
    let token = srv.last_link("paul@example.org", "/reset").unwrap();
    let r = c
        .post(
            "/api/v1/accounts/password-reset/confirm",
            json!({"token": token, "password": "short"}),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = c
        .post(
            "/api/v1/accounts/password-reset/confirm",
            json!({"token": token, "password": "un tout nouveau secret"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    // Every session ended; the old password is gone, the new one works.
    assert_eq!(c.get("/api/v1/me").await.status, 401);
    let r = c
        .post(
            "/api/v1/session",
            json!({"email": "paul@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 401);
    c.sign_in("paul@example.org", "un tout nouveau secret")
        .await;
    srv.stop().await;
}

async fn official_by_verified_domain(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    srv.operator_user("guru@vigie.test", "Guru", true)
        .await
        .unwrap();
    let guru = srv.client();
    guru.sign_in("guru@vigie.test", PASSWORD).await;
    let r = guru
        .post(
            "/api/v1/tenants",
            json!({"slug": "cem", "name": "CeM", "object_types": ["schools"],
                   "official_domains": ["marseille.fr"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = guru
        .post(
            "/api/v1/tenants",
            json!({"slug": "lyon", "name": "Lyon", "object_types": ["schools"],
                   "official_domains": ["lyon.fr"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    let c = srv.client();
    let r = c
        .post(
            "/api/v1/accounts",
            json!({"email": "chef.travaux@ville.marseille.fr", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 202);
    let token = srv
        .last_link("chef.travaux@ville.marseille.fr", "/verify")
        .unwrap();
    assert_eq!(
        c.post("/api/v1/accounts/verify", json!({"token": token}))
            .await
            .status,
        200
    );
    c.sign_in("chef.travaux@ville.marseille.fr", PASSWORD).await;
    let roles = c.get("/api/v1/tenants/cem/me").await;
    assert_eq!(
        roles.body["implicit"],
        json!(["citizen", "official"]),
        "{}",
        roles.text
    );
    // Official of its own collective only.
    let roles = c.get("/api/v1/tenants/lyon/me").await;
    assert_eq!(roles.body["implicit"], json!(["citizen"]));
    // An ordinary citizen is not.
    let anon = srv.client();
    assert_eq!(
        anon.get("/api/v1/tenants/cem/me").await.body["implicit"],
        json!(["anonymous"])
    );
    srv.stop().await;
}

both_backends!(
    register_verify_sign_in,
    password_reset,
    official_by_verified_domain
);
