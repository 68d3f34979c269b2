//! Accounts under abuse, over HTTP on both databases: sign-in floods are throttled (429 with
//! `Retry-After`) and cost bounded memory; account e-mails to one address are limited per
//! hour; registering does not tell who has an account; new accounts get a neutral name; the
//! journal names accounts by pseudonym; a user downloads their data and deletes their account,
//! and the journal still verifies.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::{Value, json};
use vigie_tests::{Backend, PASSWORD, TestServer, both_backends};

/// The tests of this file run one at a time: the memory they measure is the whole process's,
/// which another test's server would share.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// This process's resident memory, MiB (the server runs in-process).
fn resident_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap();
    kib / 1024
}

/// One sign-in attempt's answer: status, `Retry-After`, error code.
#[derive(Debug)]
struct Answer {
    status: u16,
    retry_after: Option<u64>,
    code: String,
    text: String,
}

async fn attempt(http: &reqwest::Client, url: &str, email: &str, password: &str) -> Answer {
    let resp = http
        .post(url)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let text = resp.text().await.unwrap_or_default();
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        retry_after,
        code: body["error"]["code"].as_str().unwrap_or("").to_owned(),
        text,
    }
}

/// `n` sign-ins at once, all with a wrong password, on `email(i)`.
async fn flood(srv: &TestServer, n: usize, email: impl Fn(usize) -> String) -> Vec<Answer> {
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/session", srv.base);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let (http, url, email) = (http.clone(), url.clone(), email(i));
        tasks.spawn(
            async move { attempt(&http, &url, &email, &format!("mauvais essai {i}")).await },
        );
    }
    let mut out = Vec::new();
    while let Some(a) = tasks.join_next().await {
        out.push(a.unwrap());
    }
    out
}

fn count(answers: &[Answer], status: u16) -> usize {
    answers.iter().filter(|a| a.status == status).count()
}

/// Every refusal says when to come back, with the stable code.
fn refusals_say_when(answers: &[Answer]) {
    for a in answers {
        assert!(
            matches!(a.status, 401 | 429 | 503),
            "unexpected answer {} {}",
            a.status,
            a.text
        );
        if a.status == 429 {
            assert_eq!(a.code, "too_many_attempts", "{}", a.text);
            assert!(a.retry_after.is_some_and(|s| s > 0), "{a:?}");
            assert!(a.text.contains("message_fr"), "{}", a.text);
        }
        if a.status == 503 {
            assert_eq!(a.code, "busy", "{}", a.text);
            assert!(a.retry_after.is_some_and(|s| s > 0), "{a:?}");
        }
    }
}

/// 200 wrong passwords at once on one account: a handful are checked, the rest are refused
/// at once with 429 and `Retry-After`, memory stays flat, and the account stays locked for a
/// while even for the right password (the page says so in French).
async fn a_sign_in_flood_on_one_account_is_throttled(backend: Backend) {
    let _alone = ONE_AT_A_TIME.lock().await;
    // As if the attempts came from many addresses: the account's own limit is what holds.
    let srv = TestServer::start_with(backend, |s| {
        s.accounts.sign_in_attempts_per_client_per_minute = 100_000;
    })
    .await
    .unwrap();
    srv.operator_user("cible@vigie.test", "Cible", false)
        .await
        .unwrap();
    // What the flood adds, not what earlier tests of this process left behind.
    let before = resident_mib();
    let answers = flood(&srv, 200, |_| "cible@vigie.test".into()).await;
    let resident = resident_mib();
    let grown = resident.saturating_sub(before);
    refusals_say_when(&answers);
    assert!(count(&answers, 401) <= 5, "at most 5 failures checked");
    assert!(count(&answers, 429) >= 150, "{}", count(&answers, 429));
    assert!(
        grown < 150,
        "{grown} MiB more resident after the flood ({resident} MiB in all)"
    );
    eprintln!(
        "{backend:?}: one account, 200 at once: {} × 401, {} × 429, {} × 503, {resident} MiB resident",
        count(&answers, 401),
        count(&answers, 429),
        count(&answers, 503)
    );

    // The right password is refused too while the account is locked.
    let http = reqwest::Client::new();
    let a = attempt(
        &http,
        &format!("{}/api/v1/session", srv.base),
        "cible@vigie.test",
        PASSWORD,
    )
    .await;
    assert_eq!(a.status, 429, "{}", a.text);

    // The sign-in page says it in French, with Retry-After.
    let resp = http
        .post(format!("{}/login", srv.base))
        .form(&[("email", "cible@vigie.test"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert!(resp.headers().contains_key("retry-after"));
    let page = resp.text().await.unwrap();
    assert!(page.contains("Trop de tentatives"), "{page}");

    // Its owner gets back in through a reset link, which proves the address.
    let c = srv.client();
    let r = c
        .post(
            "/api/v1/accounts/password-reset",
            json!({"email": "cible@vigie.test"}),
        )
        .await;
    assert_eq!(r.status, 202);
    let token = srv.last_link("cible@vigie.test", "/reset").unwrap();
    let r = c
        .post(
            "/api/v1/accounts/password-reset/confirm",
            json!({"token": token, "password": "un tout nouveau secret"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    c.sign_in("cible@vigie.test", "un tout nouveau secret")
        .await;
    srv.stop().await;
}

/// 200 wrong sign-ins at once on 200 addresses (unknown ones) from one client: the client's
/// allowance bounds them, unknown addresses are counted like known ones.
async fn a_sign_in_flood_from_one_client_is_throttled(backend: Backend) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let srv = TestServer::start(backend).await.unwrap();
    srv.operator_user("victime@vigie.test", "Victime", false)
        .await
        .unwrap();
    // What the flood adds, not what earlier tests of this process left behind.
    let before = resident_mib();
    let answers = flood(&srv, 200, |i| format!("inconnu{i}@vigie.test")).await;
    let resident = resident_mib();
    let grown = resident.saturating_sub(before);
    refusals_say_when(&answers);
    assert!(count(&answers, 401) <= 20, "{}", count(&answers, 401));
    assert!(count(&answers, 429) >= 150, "{}", count(&answers, 429));
    assert!(
        grown < 150,
        "{grown} MiB more resident after the flood ({resident} MiB in all)"
    );
    eprintln!(
        "{backend:?}: 200 addresses at once: {} × 401, {} × 429, {} × 503, {resident} MiB resident",
        count(&answers, 401),
        count(&answers, 429),
        count(&answers, 503)
    );
    // The client is refused for a while, whatever the account.
    let a = attempt(
        &reqwest::Client::new(),
        &format!("{}/api/v1/session", srv.base),
        "victime@vigie.test",
        PASSWORD,
    )
    .await;
    assert_eq!((a.status, a.code.as_str()), (429, "too_many_attempts"));
    srv.stop().await;
}

/// With no limit per client (as when each attempt comes from another address), 200 attempts
/// at once still compute a bounded number of hashes at a time: a short queue waits, the rest
/// are told at once to come back (503 `busy`, `Retry-After`), and memory stays flat.
async fn hashing_is_bounded_whatever_the_number_of_clients(backend: Backend) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let srv = TestServer::start_with(backend, |s| {
        s.accounts.sign_in_attempts_per_client_per_minute = 100_000;
        s.accounts.hashing_slots = 2;
        s.accounts.hashing_queue = 8;
    })
    .await
    .unwrap();
    // What the flood adds, not what earlier tests of this process left behind.
    let before = resident_mib();
    let answers = flood(&srv, 200, |i| format!("quelquun{i}@vigie.test")).await;
    let resident = resident_mib();
    let grown = resident.saturating_sub(before);
    refusals_say_when(&answers);
    assert!(count(&answers, 503) > 0, "the queue overflowed");
    assert_eq!(count(&answers, 401) + count(&answers, 503), 200);
    assert!(
        grown < 150,
        "{grown} MiB more resident after the flood ({resident} MiB in all)"
    );
    eprintln!(
        "{backend:?}: 200 clients at once: {} × 401, {} × 503, {resident} MiB resident",
        count(&answers, 401),
        count(&answers, 503)
    );
    srv.stop().await;
}

/// Ten password resets and ten verification resends to one address give at most the hourly
/// allowance of e-mails (3), counted in the database under a hash of the address.
async fn account_mails_to_one_address_are_limited(backend: Backend) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let srv = TestServer::start(backend).await.unwrap();
    let c = srv.client();
    let r = c
        .post(
            "/api/v1/accounts",
            json!({"email": "flot@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    for _ in 0..10 {
        let r = c
            .post(
                "/api/v1/accounts/password-reset",
                json!({"email": "flot@example.org"}),
            )
            .await;
        assert_eq!(r.status, 202);
        let r = c
            .post(
                "/api/v1/accounts/verify/resend",
                json!({"email": "flot@example.org"}),
            )
            .await;
        assert_eq!(r.status, 202);
    }
    let sent = srv.mails_to("flot@example.org").len();
    assert_eq!(sent, 3, "21 asked, the hourly allowance sent");

    // Kept in the database (so a restart does not reset it), never the address in clear.
    let rows: Vec<String> = sqlx::query_scalar("SELECT address_hash FROM mail_sends")
        .fetch_all(srv.app.store.raw_pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .all(|h| h.len() == 64 && !h.contains('@') && !h.contains("flot"))
    );

    // Another address still gets its mail.
    srv.operator_user("autre@example.org", "Autre", false)
        .await
        .unwrap();
    c.post(
        "/api/v1/accounts/password-reset",
        json!({"email": "autre@example.org"}),
    )
    .await;
    assert_eq!(srv.mails_to("autre@example.org").len(), 1);

    // One client asking for account e-mails to many addresses is limited too (30 an hour).
    let mut refused = None;
    for i in 0..10 {
        let r = c
            .post(
                "/api/v1/accounts/password-reset",
                json!({"email": format!("cible{i}@example.org")}),
            )
            .await;
        if r.status == 429 {
            refused = Some(r);
            break;
        }
        assert_eq!(r.status, 202);
    }
    let r = refused.expect("the 31st request in the hour is refused");
    assert_eq!(r.code(), "too_many_attempts");
    assert!(
        r.body["error"]["message_fr"]
            .as_str()
            .unwrap()
            .contains("réessayez")
    );
    srv.stop().await;
}

/// Registering with an address that has an account answers exactly like with a new one (API
/// and page); the owner gets an e-mail, the account is unchanged. A new account's name is
/// neutral, nothing taken from the address.
async fn registering_does_not_tell_who_has_an_account(backend: Backend) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let srv = TestServer::start(backend).await.unwrap();
    srv.operator_user("connue@example.org", "Connue", false)
        .await
        .unwrap();
    let c = srv.client();
    let unknown = c
        .post(
            "/api/v1/accounts",
            json!({"email": "jeanne.dupont@example.org", "password": PASSWORD}),
        )
        .await;
    let known = c
        .post(
            "/api/v1/accounts",
            json!({"email": "connue@example.org", "password": "un autre mot de passe"}),
        )
        .await;
    assert_eq!(unknown.status, 202, "{}", unknown.text);
    assert_eq!((known.status, &known.text), (unknown.status, &unknown.text));
    let told = srv.mails_to("connue@example.org");
    assert_eq!(told.len(), 1);
    assert!(
        told[0].contains("qui en a déjà un") && told[0].contains("/reset"),
        "{}",
        told[0]
    );
    // Nothing changed on the account: the old password still signs in.
    srv.client().sign_in("connue@example.org", PASSWORD).await;

    // The pages answer alike too.
    let page = |email: &'static str| {
        let c = srv.client();
        async move {
            c.form(
                "/register",
                &[
                    ("email", email),
                    ("password", PASSWORD),
                    ("display_name", ""),
                ],
            )
            .await
        }
    };
    let (a, b) = (
        page("nouvelle@example.org").await,
        page("connue@example.org").await,
    );
    assert_eq!((a.status, &a.text), (b.status, &b.text));

    // The new account's name is neutral, not the address's local part.
    let token = srv
        .last_link("jeanne.dupont@example.org", "/verify")
        .unwrap();
    let r = c
        .post("/api/v1/accounts/verify", json!({"token": token}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    c.sign_in("jeanne.dupont@example.org", PASSWORD).await;
    let me = c.get("/api/v1/me").await;
    let name = me.body["display_name"].as_str().unwrap().to_owned();
    assert!(name.starts_with("Membre "), "{name}");
    assert!(!name.to_lowercase().contains("jeanne") && !name.to_lowercase().contains("dupont"));
    srv.stop().await;
}

fn hashed_parts(journal: &Value) -> Vec<(i64, String, String, String)> {
    journal
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["seq"].as_i64().unwrap(),
                e["details"].as_str().unwrap().to_owned(),
                e["at"].as_str().unwrap().to_owned(),
                e["hash"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The name shown for the account an entry's `by` names.
fn shown_by(entry: &Value) -> String {
    let details: Value = serde_json::from_str(entry["details"].as_str().unwrap()).unwrap();
    let by = details["by"].as_str().unwrap();
    entry["names"][by].as_str().unwrap_or("").to_owned()
}

/// The journal names accounts by pseudonym and shows their current name; a user downloads
/// their data and deletes their account; what they published stays under the pseudonym, their
/// personal data goes, and the journal still verifies, unchanged.
async fn pseudonyms_export_and_deletion(backend: Backend) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let srv = TestServer::start(backend).await.unwrap();
    srv.operator_user("guru@vigie.test", "Guru", true)
        .await
        .unwrap();
    let jeanne_id = srv
        .operator_user("jeanne.dupont@example.org", "Jeanne Dupont", false)
        .await
        .unwrap();
    srv.operator_user("autre@example.org", "Autre Personne", false)
        .await
        .unwrap();
    let guru = srv.client();
    guru.sign_in("guru@vigie.test", PASSWORD).await;
    let r = guru
        .post(
            "/api/v1/tenants",
            json!({"slug": "cem", "name": "CeM", "object_types": ["schools"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let school = srv
        .object("cem", "schools", "0130001A", "École des Chartreux")
        .await;
    // Jeanne is a Certified citizen of the school: her role ends with her account.
    let r = guru
        .post(
            "/api/v1/tenants/cem/certifications",
            json!({"object_type": "schools", "object_id": school,
                   "email": "jeanne.dupont@example.org"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let jeanne = srv.client();
    jeanne.sign_in("jeanne.dupont@example.org", PASSWORD).await;
    let other = srv.client();
    other.sign_in("autre@example.org", PASSWORD).await;

    // Jeanne files a request, contributes with private contact details, comments.
    let r = jeanne
        .post(
            &format!("/api/v1/tenants/cem/objects/{school}/requests"),
            json!({
                "kind": "intervention",
                "categories": ["cem/toilets"],
                "title": "Toilettes bouchées",
                "description": "Les toilettes du premier étage sont bouchées depuis lundi.",
                "fields": {"location": "Premier étage"},
                "contact_email": "jeanne.perso@example.org",
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["request"]["id"].as_i64().unwrap();
    let contribute = format!("/api/v1/tenants/cem/objects/{school}/contributions");
    let r = jeanne
        .post(
            &contribute,
            json!({"vintage": "2024-2025", "values": [{"field": "atsem", "value": 3}],
                   "contact_email": "jeanne.perso@example.org", "contact_phone": "06 11 22 33 44"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = other
        .post(
            &contribute,
            json!({"vintage": "2024-2025", "values": [{"field": "atsem", "value": 4}],
                   "contact_email": "autre.perso@example.org"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let req = format!("/api/v1/tenants/cem/requests/{id}");
    let r = guru
        .post(&format!("{req}/moderation"), json!({"decision": "publish"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = jeanne
        .post(
            &format!("{req}/comments"),
            json!({"body": "Toujours bouché ce matin."}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    // The journal names Jeanne by pseudonym, never by name, and shows her current name.
    let journal = srv.client().get("/api/v1/tenants/cem/journal").await;
    let entries = journal.body.as_array().unwrap().clone();
    assert!(!journal.text.is_empty());
    for e in &entries {
        let d = e["details"].as_str().unwrap();
        assert!(!d.contains("Jeanne") && !d.contains("Guru"), "{d}");
    }
    let filed = entries.iter().find(|e| e["action"] == "filed").unwrap();
    assert!(
        filed["details"]
            .as_str()
            .unwrap()
            .contains("\"by\":\"account:")
    );
    assert_eq!(shown_by(filed), "Jeanne Dupont");
    let published = entries.iter().find(|e| e["action"] == "published").unwrap();
    assert_eq!(shown_by(published), "Guru");
    // The request's page shows her name, not the pseudonym.
    let page = srv.client().get(&format!("/t/cem/r/{id}")).await;
    assert!(page.text.contains("Jeanne Dupont"), "{}", page.text);

    // A rename changes what is shown, no hashed byte.
    let before = hashed_parts(&journal.body);
    let r = jeanne
        .call(
            "PATCH",
            "/api/v1/me",
            Some(json!({"display_name": "J. D."})),
        )
        .await;
    assert_eq!(r.status, 200);
    let journal = srv.client().get("/api/v1/tenants/cem/journal").await;
    assert_eq!(hashed_parts(&journal.body), before);
    let filed = journal
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "filed")
        .unwrap();
    assert_eq!(shown_by(filed), "J. D.");

    // Her data, as JSON: hers only, no secrets.
    assert_eq!(srv.client().get("/api/v1/me/export").await.status, 401);
    let resp = jeanne
        .http
        .get(format!("{}/api/v1/me/export", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let text = resp.text().await.unwrap();
    let export: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(export["account"]["email"], "jeanne.dupont@example.org");
    assert_eq!(export["account"]["display_name"], "J. D.");
    assert_eq!(export["requests"].as_array().unwrap().len(), 1);
    assert_eq!(export["requests"][0]["title"], "Toilettes bouchées");
    assert_eq!(export["contributions"].as_array().unwrap().len(), 1);
    assert_eq!(
        export["contributions"][0]["contact_email"],
        "jeanne.perso@example.org"
    );
    assert_eq!(export["comments"].as_array().unwrap().len(), 1);
    assert!(!export["sessions"].as_array().unwrap().is_empty());
    for secret in [
        "password",
        "$argon2",
        "token",
        "autre.perso",
        "autre@example.org",
        "Autre Personne",
    ] {
        assert!(!text.contains(secret), "the export holds {secret}: {text}");
    }
    // The page links to the download and offers deletion.
    let account = jeanne.get("/account").await;
    assert!(account.text.contains("/account/export") && account.text.contains("/account/delete"));
    let page_export = jeanne.get("/account/export").await;
    assert_eq!(
        page_export.body["account"]["email"],
        "jeanne.dupont@example.org"
    );

    // Deleting needs the password (the page says so in French and keeps the account).
    let r = jeanne
        .form(
            "/account/delete",
            &[("password", "pas le bon mot de passe")],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.text.contains("Mot de passe incorrect"), "{}", r.text);
    let r = jeanne
        .call(
            "DELETE",
            "/api/v1/me",
            Some(json!({"password": "pas le bon mot de passe"})),
        )
        .await;
    assert_eq!((r.status, r.code()), (403, "forbidden"), "{}", r.text);
    assert_eq!(jeanne.get("/api/v1/me").await.status, 200);
    let r = jeanne
        .call("DELETE", "/api/v1/me", Some(json!({"password": PASSWORD})))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(r.cookies.iter().any(|c| c.starts_with("vigie_session=;")));
    assert_eq!(jeanne.get("/api/v1/me").await.status, 401);
    let r = srv
        .client()
        .post(
            "/api/v1/session",
            json!({"email": "jeanne.dupont@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 401);

    // Personal data erased: e-mail, password, sessions, private contact details.
    let pool = srv.app.store.raw_pool();
    let (email, hash, name): (String, String, String) =
        sqlx::query_as("SELECT email, password_hash, display_name FROM users WHERE id = $1")
            .bind(jeanne_id)
            .fetch_one(pool)
            .await
            .unwrap();
    assert!(
        !email.contains("jeanne") && email.ends_with(".invalid"),
        "{email}"
    );
    assert!(!hash.starts_with("$argon2"));
    assert!(name.starts_with("Membre "), "{name}");
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
        .bind(jeanne_id)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    let grants: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM casbin_rules WHERE ptype = 'g' AND v0 = $1")
            .bind(format!("user:{jeanne_id}"))
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(grants, 0, "her certification ended with her account");
    let record = guru.get("/api/v1/tenants/cem/roles").await;
    assert!(
        record.text.contains("\"revoke\""),
        "the revocation is on the public record: {}",
        record.text
    );
    let contacts: Vec<Option<String>> =
        sqlx::query_scalar("SELECT contact_email FROM facts WHERE author_id = $1")
            .bind(jeanne_id)
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(contacts, vec![None]);
    let request_contact: Option<String> =
        sqlx::query_scalar("SELECT contact_email FROM requests WHERE id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(request_contact, None);
    let others: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT contact_email FROM facts WHERE author_id <> $1 AND contact_email IS NOT NULL",
    )
    .bind(jeanne_id)
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(others, vec![Some("autre.perso@example.org".to_owned())]);

    // What she published stays, under the pseudonym and a neutral name; the journal is
    // byte for byte what it was, and verifies.
    let r = srv.client().get(&req).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!r.text.contains("J. D.") && !r.text.contains("Jeanne"));
    let journal = srv.client().get("/api/v1/tenants/cem/journal").await;
    assert_eq!(hashed_parts(&journal.body), before);
    let filed = journal
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "filed")
        .unwrap();
    assert!(shown_by(filed).starts_with("Membre "), "{}", journal.text);
    let verify = srv.client().get("/api/v1/tenants/cem/journal/verify").await;
    assert_eq!(verify.body["ok"], true, "{}", verify.text);

    // The address is free again.
    let r = srv
        .client()
        .post(
            "/api/v1/accounts",
            json!({"email": "jeanne.dupont@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 202);
    assert!(
        srv.last_link("jeanne.dupont@example.org", "/verify")
            .is_ok()
    );

    // The page deletes too, and signs out.
    let r = other
        .form("/account/delete", &[("password", PASSWORD)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Votre compte est supprimé"));
    assert_eq!(other.get("/api/v1/me").await.status, 401);
    let contact: Option<String> = sqlx::query_scalar(
        "SELECT contact_email FROM facts WHERE author_id <> $1 AND author_id IS NOT NULL",
    )
    .bind(jeanne_id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(contact, None);
    srv.stop().await;
}

both_backends!(
    a_sign_in_flood_on_one_account_is_throttled,
    a_sign_in_flood_from_one_client_is_throttled,
    hashing_is_bounded_whatever_the_number_of_clients,
    account_mails_to_one_address_are_limited,
    registering_does_not_tell_who_has_an_account,
    pseudonyms_export_and_deletion,
);
