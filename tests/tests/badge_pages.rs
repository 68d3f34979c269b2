//! The badge pages, on both backends: the public catalogue with its rules, « Mes badges » with
//! the new level marked once and the next goal, the Garant's grant form, and the Guru's
//! configuration with its preview and its refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::time::Duration;

use serde_json::json;
use vigie_tests::{Backend, PASSWORD, TestServer, both_backends, uai};

async fn badge_pages(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let c = srv.collective("cem", &["schools"]).await;
    let school = srv
        .object("cem", "schools", &uai(1), "École des Chartreux")
        .await;
    srv.operator_user("jeanne@example.org", "Jeanne Parent", false)
        .await
        .unwrap();
    let jeanne = srv.client();
    jeanne.sign_in("jeanne@example.org", PASSWORD).await;

    // The public catalogue: names, levels, the rules themselves; no form for the public.
    let page = srv.client().get("/t/cem/badges").await;
    assert_eq!(page.status, 200, "{}", page.text);
    for needle in ["Rapporteur", "Relais local", "FROM v_requests", "bronze"] {
        assert!(page.text.contains(needle), "no {needle}");
    }
    assert!(!page.text.contains("id=\"attribuer\""));
    assert!(!page.text.contains("/badges/configure"));
    // The collective's page links to it.
    assert!(
        srv.client()
            .get("/t/cem")
            .await
            .text
            .contains("/t/cem/badges")
    );

    // Jeanne files a request: her badge shows as new once, with the goal of the next level.
    let r = jeanne
        .post(
            &format!("/api/v1/tenants/cem/objects/{school}/requests"),
            json!({"kind": "intervention", "categories": ["cem/toilets"],
                   "title": "Toilettes bouchées",
                   "description": "Les toilettes du premier étage sont bouchées depuis lundi.",
                   "fields": {"location": "Toilettes du 1er étage"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let mut mine = String::new();
    for _ in 0..100 {
        mine = jeanne.get("/t/cem/badges").await.text;
        if mine.contains("data-badge=\"reporter\" data-level=\"1\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        mine.contains("data-badge=\"reporter\" data-level=\"1\""),
        "{mine}"
    );
    assert!(mine.contains("Nouveau !"), "the new level is marked");
    assert!(mine.contains("Encore 4 demandes déposées pour Rapporteur argent"));
    let again = jeanne.get("/t/cem/badges").await.text;
    assert!(!again.contains("Nouveau !"), "seen once, then not new");
    let english = jeanne.get("/t/cem/badges?lang=en").await.text;
    assert!(english.contains("4 more requests filed for silver Reporter"));

    // The Guru: a bad rule is refused on the form, with what to fix, and nothing is saved.
    let r = c
        .guru
        .form(
            "/t/cem/badges/configure",
            &[
                ("editing", ""),
                ("key", "voisin"),
                ("name_fr", "Bon voisin"),
                ("name_en", "Good neighbour"),
                ("unit_fr", "commentaires"),
                ("unit_en", "comments"),
                ("visual", "hand"),
                ("levels", "1, 3"),
                ("rule", "SELECT id AS user_id, 1 AS score FROM users"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("users"), "{}", r.text);
    assert!(
        r.text.contains("Bon voisin"),
        "the form keeps what was typed"
    );
    // The preview counts; saving redirects to the catalogue.
    let good = "SELECT user_id, COUNT(*) AS score FROM v_requests GROUP BY user_id";
    let mut fields = vec![
        ("editing", ""),
        ("key", "voisin"),
        ("name_fr", "Bon voisin"),
        ("name_en", "Good neighbour"),
        ("unit_fr", "demandes"),
        ("unit_en", "requests"),
        ("visual", "hand"),
        ("levels", "1, 3"),
        ("rule", good),
        ("action", "preview"),
    ];
    let r = c.guru.form("/t/cem/badges/configure", &fields).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Ce que la règle attribuerait maintenant"));
    assert!(r.text.contains("<strong>1</strong> comptes"), "{}", r.text);
    fields.pop();
    fields.push(("action", "save"));
    let r = c.guru.form("/t/cem/badges/configure", &fields).await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(r.location.as_deref(), Some("/t/cem/badges?done=saved"));
    assert!(
        srv.client()
            .get("/t/cem/badges")
            .await
            .text
            .contains("Bon voisin")
    );
    // A citizen may not configure.
    let r = jeanne.form("/t/cem/badges/configure", &fields).await;
    assert_eq!(r.status, 403, "{}", r.text);

    // A manual badge, granted by the Garant through the page's form.
    let r = c
        .guru
        .form(
            "/t/cem/badges/configure",
            &[
                ("editing", ""),
                ("key", "pilier"),
                ("name_fr", "Pilier"),
                ("name_en", "Pillar"),
                ("visual", "heart"),
                ("levels", "1"),
                ("rule", ""),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let garant_page = c.garant.get("/t/cem/badges").await.text;
    assert!(
        garant_page.contains("id=\"attribuer\""),
        "the Garant sees the form"
    );
    let pseudonym = jeanne.get("/api/v1/me").await.body["pseudonym"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = c
        .garant
        .form(
            "/t/cem/badges/award",
            &[
                ("badge", "pilier"),
                ("account", &pseudonym),
                ("level", ""),
                ("reason", "A recensé les effectifs de six écoles."),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let mine = jeanne.get("/t/cem/badges").await.text;
    assert!(mine.contains("A recensé les effectifs de six écoles."));
    assert!(mine.contains("data-badge=\"pilier\" data-level=\"1\""));
    // A citizen's grant is refused.
    let r = jeanne
        .form(
            "/t/cem/badges/award",
            &[
                ("badge", "pilier"),
                ("account", &pseudonym),
                ("reason", "moi-même"),
            ],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    srv.stop().await;
}
both_backends!(badge_pages);
