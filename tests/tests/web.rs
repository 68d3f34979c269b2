//! The web pages over HTTP: the account flow with forms, French first, English on demand.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use vigie_tests::{Backend, PASSWORD, TestServer, both_backends};

async fn account_flow_through_pages(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    srv.app.services.ensure_demo_tenant().await.unwrap();
    let c = srv.client();

    let home = c.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.text.contains("lang=\"fr\""));
    assert!(home.text.contains("Écoles de Marseille (démo)"));
    assert!(home.text.contains("href=\"/t/ecoles-marseille\""));
    let en = c.get("/?lang=en").await;
    assert!(en.text.contains("lang=\"en\"") && en.text.contains("Sign in"));
    assert!(en.cookies.iter().any(|c| c.starts_with("vigie_lang=en")));
    // The choice sticks.
    assert!(c.get("/").await.text.contains("lang=\"en\""));
    c.get("/?lang=fr").await;

    let tenant = c.get("/t/ecoles-marseille").await;
    assert_eq!(tenant.status, 200);
    assert!(tenant.text.contains("@marseille.fr"));
    assert_eq!(c.get("/t/nulle-part").await.status, 404);

    // Register with a form; errors re-show the form with a message.
    let r = c
        .form(
            "/register",
            &[
                ("email", "parent@example.org"),
                ("password", "court"),
                ("display_name", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text.contains("au moins 10") && r.text.contains("parent@example.org"));
    let r = c
        .form(
            "/register",
            &[
                ("email", "parent@example.org"),
                ("password", PASSWORD),
                ("display_name", "Un parent"),
            ],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.text.contains("lien de confirmation"));

    let r = c
        .form(
            "/login",
            &[("email", "parent@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.text.contains("Confirmez d"));

    let token = srv.last_link("parent@example.org", "/verify").unwrap();
    let r = c.get(&format!("/verify?token={token}")).await;
    assert_eq!(
        r.status, 303,
        "verifying redirects, so the spent token is not reused"
    );
    let r = c.get("/login?verified=1").await;
    assert!(r.text.contains("Adresse confirmée"));
    assert!(
        r.text.contains("verified=1&amp;lang=en"),
        "the language link keeps the page"
    );
    assert_eq!(c.get("/verify?token=abc").await.status, 400);

    let r = c
        .form(
            "/login",
            &[
                ("email", "parent@example.org"),
                ("password", "mauvais mot de passe"),
            ],
        )
        .await;
    assert_eq!(r.status, 401);
    let r = c
        .form(
            "/login",
            &[("email", "parent@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(
        r.cookies
            .iter()
            .any(|c| c.starts_with("vigie_session=") && c.contains("HttpOnly"))
    );

    let account = c.get("/account").await;
    assert!(account.text.contains("parent@example.org") && account.text.contains("Un parent"));
    let r = c
        .form("/account", &[("display_name", "Parent d'élève")])
        .await;
    assert!(r.text.contains("Enregistré"));
    // The page session is the API session.
    assert_eq!(
        c.get("/api/v1/me").await.body["display_name"],
        "Parent d'élève"
    );

    // Official status shows on the collective's page for a verified official address.
    let r = c.form("/logout", &[]).await;
    assert_eq!(r.status, 303);
    assert_eq!(c.get("/account").await.status, 303);

    // Password reset through the pages.
    let r = c.form("/reset", &[("email", "parent@example.org")]).await;
    assert_eq!(r.status, 200);
    let token = srv.last_link("parent@example.org", "/reset").unwrap();
    let form = c.get(&format!("/reset?token={token}")).await;
    assert!(form.text.contains(&token));
    let r = c
        .form(
            "/reset",
            &[("token", &token), ("password", "encore un autre secret")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c
        .form(
            "/login",
            &[
                ("email", "parent@example.org"),
                ("password", "encore un autre secret"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    srv.stop().await;
}

both_backends!(account_flow_through_pages);

async fn object_pages_and_contribution_form(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    srv.app.services.ensure_demo_tenant().await.unwrap();
    let id = srv
        .object(
            "ecoles-marseille",
            "schools",
            "0131703F",
            "Collège Edouard Manet",
        )
        .await;
    let c = srv.client();
    let page = c.get("/t/ecoles-marseille").await;
    // The map (drawn by the script from the map's tiles) and its twin, the list: one place.
    assert!(page.text.contains("id=\"map\"") && page.text.contains("id=\"map-info\""));
    assert_eq!(
        page.text.matches("<tr data-id=").count(),
        1,
        "one place in the list"
    );
    assert!(page.text.contains(&format!("/t/ecoles-marseille/o/{id}")));
    let sheet = c.get(&format!("/t/ecoles-marseille/o/{id}")).await;
    assert_eq!(sheet.status, 200);
    assert!(sheet.text.contains("Collège Edouard Manet") && sheet.text.contains("0131703F"));
    assert!(sheet.text.contains("Proposer une donnée"));
    // A value the plugin refuses comes back with its French message.
    let r = c
        .form(
            &format!("/t/ecoles-marseille/o/{id}/contribute"),
            &[
                ("vintage", "2024-2025"),
                ("field", "atsem"),
                ("value", "-3"),
                ("source", ""),
                ("contact_email", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = c
        .form(
            &format!("/t/ecoles-marseille/o/{id}/contribute"),
            &[
                ("vintage", "2024"),
                ("field", "atsem"),
                ("value", "2"),
                ("source", ""),
                ("contact_email", "parent@example.org"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "post/redirect/get: {}", r.text);
    let r = c
        .get(&format!("/t/ecoles-marseille/o/{id}?proposed=1"))
        .await;
    assert!(r.text.contains("Merci"), "the thank-you message shows");
    assert!(
        r.text.contains("en attente"),
        "the pending value is in the public history"
    );
    assert!(
        !r.text.contains("parent@example.org"),
        "the contact stays private"
    );
    assert_eq!(c.get("/t/ecoles-marseille/o/999999").await.status, 404);
    srv.stop().await;
}

both_backends!(object_pages_and_contribution_form);
