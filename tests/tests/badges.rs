//! Badges, on both backends: the starter set awarded from real activity, levels that rise and
//! never fall, a Garant's manual badge with its reason, the preview matching what is then
//! awarded, and the rules' sandbox holding against every escape tried (writes, other
//! collectives' rows, system tables, personal data, several statements, a runaway query).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::time::Duration;

use serde_json::{Value, json};
use vigie_tests::{Backend, Client, PASSWORD, TestServer, both_backends, uai};

struct World {
    srv: TestServer,
    guru: Client,
    garant: Client,
    jeanne: Client,
    school: i64,
}

async fn world(backend: Backend) -> World {
    let srv = TestServer::start(backend).await.unwrap();
    let c = srv.collective("cem", &["schools"]).await;
    let school = srv
        .object("cem", "schools", &uai(1), "École des Chartreux")
        .await;
    srv.operator_user("jeanne@example.org", JEANNE_NAME, false)
        .await
        .unwrap();
    let jeanne = srv.client();
    jeanne.sign_in("jeanne@example.org", PASSWORD).await;
    World {
        srv,
        guru: c.guru,
        garant: c.garant,
        jeanne,
        school,
    }
}

async fn file(w: &World, who: &Client, title: &str) -> i64 {
    let r = who
        .post(
            &format!("/api/v1/tenants/cem/objects/{}/requests", w.school),
            json!({
                "kind": "intervention",
                "categories": ["cem/toilets"],
                "title": title,
                "description": "Les toilettes du premier étage sont bouchées depuis lundi.",
                "fields": {"location": "Toilettes du 1er étage"},
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["request"]["id"].as_i64().unwrap()
}

async fn contribute(w: &World, who: &Client, atsem: i64) -> i64 {
    let r = who
        .post(
            &format!("/api/v1/tenants/cem/objects/{}/contributions", w.school),
            json!({"vintage": "2024-2025", "values": [{"field": "atsem", "value": atsem}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body[0]["id"]
        .as_i64()
        .or_else(|| r.body["facts"][0]["id"].as_i64())
        .unwrap_or_else(|| panic!("no fact id in {}", r.text))
}

/// My level in badge `key` (0 when not earned).
fn level(mine: &Value, key: &str) -> i64 {
    mine.as_array()
        .unwrap()
        .iter()
        .find(|b| b["key"] == key)
        .map_or(0, |b| b["level"].as_i64().unwrap())
}

/// Waits (up to 5 s) until `who`'s level in `key` is at least `at_least`; the badges as then.
async fn wait_level(who: &Client, key: &str, at_least: i64) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        let r = who.get("/api/v1/tenants/cem/me/badges").await;
        assert_eq!(r.status, 200, "{}", r.text);
        if level(&r.body, key) >= at_least {
            return r.body;
        }
        last = r.body;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{key} never reached level {at_least}: {last}");
}

/// Jeanne's display name: never on a public page.
const JEANNE_NAME: &str = "Jeanne Parent";

async fn pseudonym(who: &Client) -> String {
    let r = who.get("/api/v1/me").await;
    r.body["pseudonym"].as_str().unwrap().to_owned()
}

/// Every collective starts with the starter set, all written as rules; real activity earns
/// them within a second of the action, with the goal of the next level; a level reached
/// stays when a rule changes to give less.
async fn starter_badges_follow_real_activity(backend: Backend) {
    let w = world(backend).await;
    let list = w.srv.client().get("/api/v1/tenants/cem/badges").await;
    assert_eq!(list.status, 200, "{}", list.text);
    let keys: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["key"].as_str().unwrap())
        .collect();
    for k in [
        "first-contribution",
        "contributor",
        "reporter",
        "problem-solver",
        "supporter",
        "certified",
        "local-relay",
    ] {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }
    assert!(
        list.body
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["earned"] == "rule" && b["rule"].as_str().unwrap().contains("SELECT"))
    );

    // Nothing yet: every goal is the first level.
    let mine = w.jeanne.get("/api/v1/tenants/cem/me/badges").await;
    assert_eq!(level(&mine.body, "reporter"), 0);

    // A request filed: « Rapporteur » bronze, and the goal of silver.
    file(&w, &w.jeanne, "Toilettes bouchées").await;
    let mine = wait_level(&w.jeanne, "reporter", 1).await;
    let reporter = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["key"] == "reporter")
        .unwrap();
    assert_eq!(reporter["level_fr"], "bronze");
    assert_eq!(reporter["score"], 1);
    assert_eq!(
        reporter["goal"]["text_fr"],
        "Encore 4 demandes déposées pour Rapporteur argent"
    );
    assert_eq!(
        reporter["goal"]["text_en"],
        "4 more requests filed for silver Reporter"
    );

    // A contribution, then its acceptance by the Garant.
    let fact = contribute(&w, &w.jeanne, 3).await;
    wait_level(&w.jeanne, "first-contribution", 1).await;
    assert_eq!(
        level(
            &w.jeanne.get("/api/v1/tenants/cem/me/badges").await.body,
            "contributor"
        ),
        0
    );
    let r = w
        .garant
        .post(
            &format!("/api/v1/tenants/cem/contributions/{fact}/decision"),
            json!({"accept": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    wait_level(&w.jeanne, "contributor", 1).await;

    // A rule that runs today and fails once there is more data (a division by zero past
    // three requests): when it fails, the other badges are still computed.
    let r = w
        .guru
        .post(
            "/api/v1/tenants/cem/badges",
            json!({"key": "fragile", "name_fr": "Fragile", "name_en": "Fragile",
                   "unit_fr": "x", "unit_en": "x", "visual": "star", "levels": "1",
                   "rule": "SELECT user_id, CASE WHEN COUNT(*) > 3 THEN 1 / (COUNT(*) - COUNT(*)) ELSE 0 END AS score FROM v_requests GROUP BY user_id"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // Five requests: silver. Then the Guru makes the rule stricter: the level stays.
    for i in 0..4 {
        file(&w, &w.jeanne, &format!("Fuite n° {i}")).await;
    }
    wait_level(&w.jeanne, "reporter", 2).await;
    let r = w
        .guru
        .call(
            "PUT",
            "/api/v1/tenants/cem/badges/reporter",
            Some(json!({
                "name_fr": "Rapporteur", "name_en": "Reporter",
                "unit_fr": "demandes résolues", "unit_en": "requests solved",
                "visual": "megaphone", "levels": "1, 5, 10, 30, 60",
                "rule": "SELECT user_id, COUNT(*) AS score FROM v_requests WHERE status = 'solved' GROUP BY user_id",
            })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["rule_version"], 2);
    let mine = w.jeanne.get("/api/v1/tenants/cem/me/badges").await;
    assert_eq!(
        level(&mine.body, "reporter"),
        2,
        "a level fell: {}",
        mine.text
    );
    // Each award keeps the rule version it was granted under.
    let reporter = mine
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["key"] == "reporter")
        .unwrap()
        .clone();
    assert_eq!(reporter["awards"].as_array().unwrap().len(), 2);

    // Anyone sees what an account earned, by its pseudonym; never its score.
    let p = pseudonym(&w.jeanne).await;
    let public = w
        .srv
        .client()
        .get(&format!("/api/v1/tenants/cem/accounts/{p}/badges"))
        .await;
    assert_eq!(public.status, 200, "{}", public.text);
    assert_eq!(level(&public.body, "reporter"), 2);
    assert!(
        public
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["score"].is_null())
    );
    assert!(!public.text.contains("jeanne@example.org"));
    w.srv.stop().await;
}
both_backends!(starter_badges_follow_real_activity);

/// A manual badge: created by the Guru, granted by a Garant with a public reason, shown on
/// the profile; a citizen may not grant it, nor configure badges.
async fn manual_badges_carry_their_reason(backend: Backend) {
    let w = world(backend).await;
    let body = json!({
        "key": "pillar", "name_fr": "Pilier", "name_en": "Pillar",
        "description_fr": "Fait vivre le collectif.", "description_en": "Keeps the collective going.",
        "visual": "heart", "levels": "1",
    });
    assert_eq!(
        w.jeanne
            .post("/api/v1/tenants/cem/badges", body.clone())
            .await
            .status,
        403
    );
    let r = w.guru.post("/api/v1/tenants/cem/badges", body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["earned"], "manual");
    // E-mail about badges is for those who ask (the site shows them anyway).
    let r = w
        .jeanne
        .call(
            "PUT",
            "/api/v1/me/notifications",
            Some(json!({"choices": [{"event": "badge", "delivery": "immediately"}]})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let p = pseudonym(&w.jeanne).await;
    let award = json!({"account": p, "reason": "A organisé la collecte des effectifs."});
    assert_eq!(
        w.jeanne
            .post("/api/v1/tenants/cem/badges/pillar/awards", award.clone())
            .await
            .status,
        403
    );
    let r = w
        .garant
        .post(
            "/api/v1/tenants/cem/badges/pillar/awards",
            json!({"account": p, "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, 400, "a reason is needed: {}", r.text);
    // Only for someone who took part in the collective: she has not yet.
    let r = w
        .garant
        .post("/api/v1/tenants/cem/badges/pillar/awards", award.clone())
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "account", "{}", r.text);
    assert!(r.text.contains("not taken part"), "{}", r.text);
    file(&w, &w.jeanne, "Préau inondé").await;
    let r = w
        .garant
        .post("/api/v1/tenants/cem/badges/pillar/awards", award)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["added"], true);
    let public = w
        .srv
        .client()
        .get(&format!("/api/v1/tenants/cem/accounts/{p}/badges"))
        .await;
    let pillar = public
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["key"] == "pillar")
        .unwrap_or_else(|| panic!("no pillar in {}", public.text))
        .clone();
    assert_eq!(pillar["level"], 1);
    assert_eq!(
        pillar["awards"][0]["reason"],
        "A organisé la collecte des effectifs."
    );
    assert_eq!(pillar["awards"][0]["granted_by"], "Gaëlle Garant");
    // Her public page shows it under her pseudonym only: neither her name nor her address.
    let page = w.srv.client().get(&format!("/t/cem/accounts/{p}")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("Pilier"), "{}", page.text);
    assert!(page.text.contains("A organisé la collecte des effectifs."));
    assert!(page.text.contains(p.as_str()), "{}", page.text);
    assert!(!page.text.contains("jeanne@example.org"));
    assert!(!page.text.contains(JEANNE_NAME), "{}", page.text);
    let r = w
        .srv
        .client()
        .get("/t/cem/accounts/account:0000000000000000")
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = w.srv.client().get("/t/cem/accounts/not-a-pseudonym").await;
    assert_eq!(r.status, 404, "{}", r.text);
    // Her own badges page links to it.
    let own = w.jeanne.get("/t/cem/badges").await;
    assert!(
        own.text.contains(&format!("/t/cem/accounts/{p}")),
        "{}",
        own.text
    );
    // She is told once, by e-mail (as she chose) and on the site.
    let mails: Vec<_> = w
        .srv
        .app
        .store
        .outbox(None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.to == "jeanne@example.org" && m.subject.contains("Pilier"))
        .collect();
    assert_eq!(mails.len(), 1, "one message for one badge");
    w.srv.stop().await;
}
both_backends!(manual_badges_carry_their_reason);

/// The preview says how many accounts would reach each level; saving the rule awards exactly
/// that.
async fn the_preview_matches_what_is_awarded(backend: Backend) {
    let w = world(backend).await;
    for i in 0..3 {
        file(&w, &w.jeanne, &format!("Fenêtre cassée {i}")).await;
    }
    file(&w, &w.garant, "Préau fermé").await;
    let rule = "SELECT user_id, COUNT(*) AS score FROM v_requests GROUP BY user_id";
    let r = w
        .guru
        .post(
            "/api/v1/tenants/cem/badges/preview",
            json!({"rule": rule, "levels": "1, 3"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["scored"], 2);
    assert_eq!(r.body["levels"][0]["accounts"], 1, "{}", r.text);
    assert_eq!(r.body["levels"][1]["accounts"], 1, "{}", r.text);
    let preview = r.body["levels"].clone();
    let r = w
        .guru
        .post(
            "/api/v1/tenants/cem/badges",
            json!({"key": "filer", "name_fr": "Déposant", "name_en": "Filer",
                   "unit_fr": "demandes", "unit_en": "requests",
                   "visual": "pin", "levels": "1, 3", "rule": rule}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let holders = r.body["holders"].as_array().unwrap();
    assert_eq!(holders[0], preview[0]["accounts"], "{}", r.text);
    assert_eq!(holders[1], preview[1]["accounts"], "{}", r.text);
    w.srv.stop().await;
}
both_backends!(the_preview_matches_what_is_awarded);

/// Every escape tried is refused or stopped with a clear message; a rule only ever sees its
/// own collective.
async fn the_sandbox_holds(backend: Backend) {
    let w = world(backend).await;
    // Another collective with activity of its own.
    let r = w
        .guru
        .post(
            "/api/v1/tenants",
            json!({"slug": "other", "name": "Autre", "object_types": ["schools"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let other_school = w
        .srv
        .object("other", "schools", &uai(2), "École ailleurs")
        .await;
    let r = w
        .guru
        .post(
            &format!("/api/v1/tenants/other/objects/{other_school}/requests"),
            json!({"kind": "intervention", "categories": ["cem/toilets"], "title": "Ailleurs",
                   "description": "Une demande d'un autre collectif, à ne jamais voir.",
                   "fields": {"location": "Cour"}}),
        )
        .await;
    assert!(r.status == 201 || r.status == 400, "{}", r.text);
    file(&w, &w.jeanne, "Chez nous").await;

    let preview = |rule: &str| {
        w.guru.post(
            "/api/v1/tenants/cem/badges/preview",
            json!({"rule": rule, "levels": "1"}),
        )
    };
    let refusals = [
        ("DELETE FROM requests", "only reads"),
        ("UPDATE users SET display_name = 'x'", "only reads"),
        ("INSERT INTO badges (key) VALUES ('x')", "only reads"),
        (
            "SELECT 1 AS user_id, 1 AS score; DROP TABLE users",
            "one SELECT",
        ),
        ("SELECT id AS user_id, 1 AS score FROM users", "not a view"),
        ("SELECT user_id, 1 AS score FROM sessions", "not a view"),
        (
            "SELECT 1 AS user_id, 1 AS score FROM sqlite_master",
            "not a view",
        ),
        (
            "SELECT 1 AS user_id, 1 AS score FROM pg_catalog.pg_user",
            "not a view",
        ),
        (
            "SELECT 1 AS user_id, 1 AS score FROM information_schema.tables",
            "not a view",
        ),
        ("SELECT user_id, 1 AS score FROM requests", "not a view"),
        (
            "SELECT user_id, pg_sleep(5) AS score FROM v_requests",
            "pg_sleep",
        ),
        (
            "SELECT user_id, current_setting('is_superuser') AS score FROM v_requests",
            "current_setting",
        ),
        (
            "SELECT user_id, 1 AS score FROM v_requests WHERE 1 = $1",
            "parameters",
        ),
        (
            "SELECT user_id, 1 AS score INTO stolen FROM v_requests",
            "INTO",
        ),
        (
            "SELECT user_id, 1 AS score FROM v_requests FOR UPDATE",
            "lock",
        ),
        (
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n AS user_id, n AS score FROM r",
            "recursive",
        ),
        (
            "WITH a AS (SELECT * FROM users), users AS (SELECT 1 AS id) SELECT 1 AS user_id, 1 AS score FROM a",
            "not a view",
        ),
    ];
    for (rule, needle) in refusals {
        let r = preview(rule).await;
        assert_eq!(r.status, 400, "{rule}: {}", r.text);
        assert!(
            r.text.contains(needle),
            "{rule}: no '{needle}' in {}",
            r.text
        );
        assert!(
            r.body["error"]["message_fr"].as_str().is_some(),
            "{rule}: no French in {}",
            r.text
        );
    }
    // Personal data and the collective's id are not in the views: the database says so.
    for rule in [
        "SELECT user_id, LENGTH(contact_email) AS score FROM v_requests",
        "SELECT user_id, 1 AS score FROM v_requests WHERE tenant_id = 2",
        "SELECT user_id, LENGTH(email) AS score FROM v_contributions",
        "SELECT user_id, LENGTH(contact_phone) AS score FROM v_contributions",
    ] {
        let r = preview(rule).await;
        assert_eq!(r.status, 400, "{rule}: {}", r.text);
        assert!(r.text.contains("database"), "{rule}: {}", r.text);
    }
    // Every documented column of every view runs, on this backend.
    for view in vigie_storage::badge_rules::VIEWS {
        let all: Vec<String> = view
            .columns
            .iter()
            .map(|c| format!("({c} IS NULL OR 1 = 1)"))
            .collect();
        let rule = format!(
            "SELECT user_id, COUNT(*) AS score FROM {} WHERE {} GROUP BY user_id",
            view.name,
            all.join(" AND ")
        );
        let r = preview(&rule).await;
        assert_eq!(r.status, 200, "{rule}: {}", r.text);
    }
    // A runaway query is stopped.
    let ten = "(VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10))";
    let runaway = format!(
        "SELECT 1 AS user_id, COUNT(*) AS score FROM {ten} a, {ten} b, {ten} c, {ten} d, \
         {ten} e, {ten} f, {ten} g, {ten} h, {ten} i, {ten} j"
    );
    let started = std::time::Instant::now();
    let r = preview(&runaway).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("longer than"), "{}", r.text);
    assert!(started.elapsed() < Duration::from_secs(10));
    // Other collectives' rows are never seen: only Jeanne, here.
    let r = preview("SELECT user_id, COUNT(*) AS score FROM v_requests GROUP BY user_id").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["scored"], 1, "{}", r.text);
    // A saved badge is refused the same way, and nothing is saved.
    let r = w
        .guru
        .post(
            "/api/v1/tenants/cem/badges",
            json!({"key": "evil", "name_fr": "x", "name_en": "x", "unit_fr": "x",
                   "unit_en": "x", "visual": "star", "levels": "1",
                   "rule": "SELECT id AS user_id, 1 AS score FROM users"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let list = w.srv.client().get("/api/v1/tenants/cem/badges").await;
    assert!(!list.text.contains("\"evil\""));
    // Nothing was written by any of it.
    let me = w.jeanne.get("/api/v1/me").await;
    assert_eq!(me.body["display_name"], "Jeanne Parent");
    w.srv.stop().await;
}
both_backends!(the_sandbox_holds);

/// An uploaded visual is sanitized and served as an image that cannot run anything.
async fn custom_visuals_are_sanitized(backend: Backend) {
    let w = world(backend).await;
    let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" onload="alert(1)"><script>alert(2)</script><circle cx="5" cy="5" r="4" fill="#c90"/><image href="https://tracker.example/p.png"/></svg>"##;
    let r = w
        .guru
        .post(
            "/api/v1/tenants/cem/badges",
            json!({"key": "gold", "name_fr": "Or", "name_en": "Gold", "levels": "1",
                   "visual_svg": svg}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["visual"], "custom");
    let (status, headers, body) = w.srv.client().bytes("/t/cem/badges/gold/visual.svg").await;
    assert_eq!(status, 200);
    assert!(headers.contains("image/svg+xml"), "{headers}");
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains("<circle"), "{body}");
    for bad in ["alert", "script", "onload", "tracker", "image"] {
        assert!(!body.contains(bad), "{bad} in {body}");
    }
    let (status, _, body) = w
        .srv
        .client()
        .bytes("/t/cem/badges/reporter/visual.svg")
        .await;
    assert_eq!(status, 200);
    assert!(String::from_utf8(body).unwrap().starts_with("<svg"));
    let r = w
        .guru
        .post(
            "/api/v1/tenants/cem/badges",
            json!({"key": "bad", "name_fr": "x", "name_en": "x", "levels": "1",
                   "visual_svg": "<html><script>alert(1)</script></html>"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    w.srv.stop().await;
}
both_backends!(custom_visuals_are_sanitized);
