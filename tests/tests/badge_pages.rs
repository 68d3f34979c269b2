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

/// Another site cannot make a Garant grant a badge nor a Guru change one, through the pages
/// or the API: the request is refused before any route sees it, and nothing changes.
async fn badge_forms_refuse_other_sites(backend: Backend) {
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
    let r = jeanne
        .post(
            &format!("/api/v1/tenants/cem/objects/{school}/requests"),
            json!({"kind": "intervention", "title": "Préau inondé",
                   "description": "Le préau est inondé à chaque pluie depuis la rentrée."}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let pseudonym = jeanne.get("/api/v1/me").await.body["pseudonym"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = c
        .guru
        .post(
            "/api/v1/tenants/cem/badges",
            json!({"key": "pilier", "name_fr": "Pilier", "name_en": "Pillar",
                   "visual": "heart", "levels": "1"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    let evil = "https://evil.example";
    let award = [
        ("badge", "pilier"),
        ("account", pseudonym.as_str()),
        ("reason", "Un autre site voudrait l'attribuer."),
    ];
    let cross = |req: reqwest::RequestBuilder| req.header("Origin", evil);
    let trap = [
        ("editing", ""),
        ("key", "piege"),
        ("name_fr", "Piège"),
        ("name_en", "Trap"),
        ("visual", "star"),
        ("levels", "1"),
        ("rule", ""),
        ("action", "save"),
    ];
    // The page forms.
    let r = cross(
        c.garant
            .http
            .post(format!("{}/t/cem/badges/award", srv.base))
            .form(&award),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    let r = cross(
        c.guru
            .http
            .post(format!("{}/t/cem/badges/configure", srv.base))
            .form(&trap),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    // The API, as a page of another site would call it.
    let r = c
        .garant
        .http
        .post(format!(
            "{}/api/v1/tenants/cem/badges/pilier/awards",
            srv.base
        ))
        .header("Sec-Fetch-Site", "cross-site")
        .json(&json!({"account": pseudonym, "reason": "Un autre site voudrait l'attribuer."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "cross_site_request");
    let r = c
        .guru
        .http
        .delete(format!("{}/api/v1/tenants/cem/badges/pilier", srv.base))
        .header("Sec-Fetch-Site", "same-site")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Nothing changed: no award, no new badge, the badge still earned.
    let held = srv
        .client()
        .get(&format!("/api/v1/tenants/cem/accounts/{pseudonym}/badges"))
        .await;
    assert!(!held.text.contains("pilier"), "{}", held.text);
    let all = srv.client().get("/api/v1/tenants/cem/badges").await;
    assert!(!all.text.contains("piege"), "{}", all.text);
    let pilier = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["key"] == "pilier")
        .cloned()
        .unwrap();
    assert!(pilier["retired_at"].is_null(), "{pilier}");
    // From the server's own page, the same form works.
    let r = c
        .garant
        .http
        .post(format!("{}/t/cem/badges/award", srv.base))
        .header("Origin", srv.base.as_str())
        .header("Sec-Fetch-Site", "same-origin")
        .form(&award)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let held = srv
        .client()
        .get(&format!("/api/v1/tenants/cem/accounts/{pseudonym}/badges"))
        .await;
    assert!(held.text.contains("pilier"), "{}", held.text);
    let r = c
        .guru
        .http
        .post(format!("{}/t/cem/badges/configure", srv.base))
        .header("Sec-Fetch-Site", "same-origin")
        .form(&trap)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let all = srv.client().get("/api/v1/tenants/cem/badges").await;
    assert!(
        all.text.contains("piege"),
        "the refused form was a good one"
    );
    srv.stop().await;
}
both_backends!(badge_forms_refuse_other_sites);

/// A burst of actions by one account is computed once per level reached: each level
/// awarded once, and the account told at most once per level, never once per action.
async fn a_burst_of_actions_awards_each_level_once(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    srv.collective("cem", &["schools"]).await;
    let school = srv
        .object("cem", "schools", &uai(1), "École des Chartreux")
        .await;
    srv.operator_user("jeanne@example.org", "Jeanne Parent", false)
        .await
        .unwrap();
    let jeanne = srv.client();
    jeanne.sign_in("jeanne@example.org", PASSWORD).await;
    let r = jeanne
        .call(
            "PUT",
            "/api/v1/me/notifications",
            Some(json!({"choices": [{"event": "badge", "delivery": "immediately"}]})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Twelve filings at once, from four connections: « Rapporteur » levels 1, 5 and 10.
    let path = format!("/api/v1/tenants/cem/objects/{school}/requests");
    let mut filings = tokio::task::JoinSet::new();
    for n in 0..12 {
        let http = jeanne.http.clone();
        let url = format!("{}{path}", srv.base);
        filings.spawn(async move {
            http.post(url)
                .json(&json!({"kind": "intervention",
                    "title": format!("Problème n° {n} au préau"),
                    "description": format!("Description numéro {n} d'un problème du préau, assez longue.")}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    while let Some(status) = filings.join_next().await {
        assert_eq!(status.unwrap(), 201);
    }
    let me = jeanne.get("/api/v1/me").await.body["id"].as_i64().unwrap();
    let levels = || async {
        srv.app
            .services
            .badges_of(
                &srv.app.store.tenant_by_slug("cem").await.unwrap().unwrap(),
                vigie_domain::UserId(me),
            )
            .await
            .unwrap()
            .into_iter()
            .find(|b| b.badge.key == "reporter")
            .map(|b| b.awards.iter().map(|a| a.level).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let mut reached = Vec::new();
    for _ in 0..100 {
        reached = levels().await;
        if reached.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(reached, [1, 2, 3], "each level once");
    // Let the worker settle, then count what she was told.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(levels().await, [1, 2, 3]);
    let told = srv
        .app
        .store
        .outbox(None, 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.to == "jeanne@example.org" && m.subject.contains("Rapporteur"))
        .count();
    assert!(
        (1..=3).contains(&told),
        "told of Rapporteur {told} times for 3 levels and 12 actions"
    );
    srv.stop().await;
}
both_backends!(a_burst_of_actions_awards_each_level_once);
