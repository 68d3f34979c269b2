//! Who hears of what: following requests and places, choosing per kind of event (at once, a
//! daily digest, never), the one-click stop link of every notification, and messages written
//! in words (never a raw status key), in the reader's language, as text and HTML, with the
//! collective's name as sender — on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::{Value, json};
use vigie_storage::OutboxMail;
use vigie_tests::{Backend, Client, PASSWORD, TestServer, both_backends, uai};

struct World {
    srv: TestServer,
    garant: Client,
    /// Follows what she filed.
    jeanne: Client,
    /// Comments, supports.
    paul: Client,
    school: i64,
}

async fn world(backend: Backend) -> World {
    let srv = TestServer::start(backend).await.unwrap();
    let c = srv.collective("cem", &["schools"]).await;
    let school = srv
        .object("cem", "schools", &uai(1), "École des Chartreux")
        .await;
    let mut users = Vec::new();
    for (email, name) in [
        ("jeanne@example.org", "Jeanne Parent"),
        ("paul@example.org", "Paul Voisin"),
    ] {
        srv.operator_user(email, name, false).await.unwrap();
        let client = srv.client();
        client.sign_in(email, PASSWORD).await;
        users.push(client);
    }
    let paul = users.pop().unwrap();
    let jeanne = users.pop().unwrap();
    World {
        srv,
        garant: c.garant,
        jeanne,
        paul,
        school,
    }
}

fn toilets(title: &str) -> Value {
    json!({
        "kind": "intervention",
        "categories": ["cem/toilets"],
        "title": title,
        "description": "Les toilettes du premier étage sont bouchées depuis lundi.",
        "fields": {"location": "Toilettes du 1er étage"},
    })
}

/// Files a request as `who` and has the Garant publish it; its id.
async fn published(w: &World, who: &Client, title: &str) -> i64 {
    let r = who
        .post(
            &format!("/api/v1/tenants/cem/objects/{}/requests", w.school),
            toilets(title),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["request"]["id"].as_i64().unwrap();
    let r = w
        .garant
        .post(
            &format!("/api/v1/tenants/cem/requests/{id}/moderation"),
            json!({"decision": "publish"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    id
}

/// The outbox's messages to `to`, oldest first.
async fn mails_to(srv: &TestServer, to: &str) -> Vec<OutboxMail> {
    let mut rows: Vec<OutboxMail> = srv
        .app
        .store
        .outbox(None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.to == to)
        .collect();
    rows.reverse();
    rows
}

/// The raw message (as written in the outbox folder) whose subject holds `needle`.
fn raw_mail(srv: &TestServer, to: &str, needle: &str) -> String {
    let mut files: Vec<_> = std::fs::read_dir(srv.outbox())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files.iter().rev() {
        let text = std::fs::read_to_string(f).unwrap();
        if text.contains(&format!("To: {to}\r\n")) && text.contains(needle) {
            return text;
        }
    }
    panic!("no message to {to} holding {needle:?}");
}

/// The author follows what she filed: publication and each status change reach her in
/// words, in French by default and in English once she chose it, as text and HTML, from the
/// collective, with a one-click stop link; the journal records each delivery under her public
/// name, never her address. Whoever made the change is not told of it.
async fn followers_hear_in_words(backend: Backend) {
    let w = world(backend).await;
    let id = published(&w, &w.jeanne, "Toilettes bouchées").await;
    let mails = mails_to(&w.srv, "jeanne@example.org").await;
    let published_mail = mails
        .iter()
        .find(|m| m.subject == format!("Demande n° {id} : publiée"))
        .unwrap_or_else(|| panic!("{mails:#?}"));
    assert!(published_mail.unsubscribe_url.is_some());
    assert_eq!(published_mail.from_name.as_deref(), Some("cem (Vigie)"));
    let raw = raw_mail(&w.srv, "jeanne@example.org", "List-Unsubscribe");
    for part in [
        "multipart/alternative",
        "text/html",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "est passée de « en attente de modération » à « publiée »",
        "Bonjour Jeanne Parent,",
    ] {
        assert!(raw.contains(part), "{part:?} missing in {raw}");
    }
    for raw_key in ["« new »", "« published »", "in_progress", "set_apart"] {
        assert!(!raw.contains(raw_key), "raw key {raw_key} in {raw}");
    }

    // In English once she says so; the Garant, who changed it, hears nothing.
    let r = w
        .jeanne
        .call(
            "PUT",
            "/api/v1/me/notifications",
            Some(json!({"language": "en"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    w.garant
        .call(
            "PUT",
            &format!("/api/v1/tenants/cem/requests/{id}/follow"),
            None,
        )
        .await;
    let r = w
        .garant
        .post(
            &format!("/api/v1/tenants/cem/requests/{id}/status"),
            json!({"status": "in_progress", "note": "L'entreprise passe jeudi."}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mails = mails_to(&w.srv, "jeanne@example.org").await;
    let last = mails.last().unwrap();
    assert_eq!(last.subject, format!("Request no. {id}: in progress"));
    let raw = raw_mail(&w.srv, "jeanne@example.org", "in progress");
    assert!(
        raw.contains("moved from \"published\" to \"in progress\""),
        "{raw}"
    );
    assert!(raw.contains("> L'entreprise passe jeudi."), "{raw}");
    assert!(
        mails_to(&w.srv, "garant@vigie.test")
            .await
            .iter()
            .all(|m| !m.subject.contains("in progress") && !m.subject.contains("en cours")),
        "nobody hears of their own change"
    );

    // Each delivery is in the public journal, under her name, without her address.
    let journal = w
        .srv
        .client()
        .get(&format!("/api/v1/tenants/cem/requests/{id}/journal"))
        .await;
    assert_eq!(journal.status, 200, "{}", journal.text);
    let delivered: Vec<&Value> = journal
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "notification_delivered")
        .collect();
    assert!(delivered.len() >= 2, "{}", journal.text);
    assert!(journal.text.contains("Jeanne Parent"), "{}", journal.text);
    assert!(
        !journal.text.contains("jeanne@example.org"),
        "{}",
        journal.text
    );
    w.srv.stop().await;
}

/// A follower who chose a daily digest gets one message for ten events of a day, and nothing
/// meanwhile; the next digest has nothing left to send.
async fn a_daily_digest_gathers_the_day(backend: Backend) {
    let w = world(backend).await;
    let id = published(&w, &w.jeanne, "Fuite dans le préau").await;
    let r = w
        .jeanne
        .call(
            "PUT",
            "/api/v1/me/notifications",
            Some(json!({"choices": [
                {"event": "answer", "delivery": "daily"},
                {"event": "status", "delivery": "daily"},
            ]})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let before = mails_to(&w.srv, "jeanne@example.org").await.len();
    for n in 0..9 {
        let r = w
            .paul
            .post(
                &format!("/api/v1/tenants/cem/requests/{id}/comments"),
                json!({"body": format!("Toujours pareil, jour {n}.")}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let r = w
        .garant
        .post(
            &format!("/api/v1/tenants/cem/requests/{id}/status"),
            json!({"status": "acknowledged"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        mails_to(&w.srv, "jeanne@example.org").await.len(),
        before,
        "nothing goes before the digest"
    );
    let now = time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    assert_eq!(w.srv.app.services.send_digests(now).await.unwrap(), 1);
    let mails = mails_to(&w.srv, "jeanne@example.org").await;
    assert_eq!(mails.len(), before + 1);
    let digest = mails.last().unwrap();
    assert_eq!(digest.purpose, "digest");
    assert!(digest.subject.contains("10"), "{}", digest.subject);
    let raw = raw_mail(&w.srv, "jeanne@example.org", "10 nouvelles");
    let lines = raw.matches("Paul Voisin a répondu").count();
    assert_eq!(lines, 9 * 2, "text and HTML: {raw}");
    assert!(raw.contains("« prise en compte »"), "{raw}");
    assert_eq!(w.srv.app.services.send_digests(now).await.unwrap(), 0);
    w.srv.stop().await;
}

/// The stop link of a message: opening it changes nothing (a mail scanner may open links);
/// its button, or a mail client's one-click POST, stops that kind of message for good.
async fn one_click_stops_a_kind(backend: Backend) {
    let w = world(backend).await;
    let id = published(&w, &w.jeanne, "Porte cassée").await;
    let r = w
        .paul
        .post(
            &format!("/api/v1/tenants/cem/requests/{id}/comments"),
            json!({"body": "Je confirme."}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let mails = mails_to(&w.srv, "jeanne@example.org").await;
    let answer = mails
        .iter()
        .find(|m| m.subject.contains("nouvelle réponse"))
        .unwrap_or_else(|| panic!("{mails:#?}"));
    let url = answer.unsubscribe_url.clone().unwrap();
    let path = &url[url.find("/notifications/stop").unwrap()..];
    let anon = w.srv.client();
    let page = anon.get(path).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text.contains("Réponses et commentaires"),
        "{}",
        page.text
    );
    let r = w.jeanne.get("/api/v1/me/notifications").await;
    assert!(
        r.text
            .contains(r#"{"delivery":"immediately","event":"answer"}"#),
        "{}",
        r.text
    );
    // One click (RFC 8058): a POST with no browser headers.
    let done = anon.form(path, &[("List-Unsubscribe", "One-Click")]).await;
    assert_eq!(done.status, 200, "{}", done.text);
    let r = w.jeanne.get("/api/v1/me/notifications").await;
    assert!(
        r.text.contains(r#"{"delivery":"never","event":"answer"}"#),
        "{}",
        r.text
    );
    let count = mails_to(&w.srv, "jeanne@example.org").await.len();
    w.paul
        .post(
            &format!("/api/v1/tenants/cem/requests/{id}/comments"),
            json!({"body": "Encore cassée."}),
        )
        .await;
    assert_eq!(mails_to(&w.srv, "jeanne@example.org").await.len(), count);
    // A made-up key is refused.
    assert_eq!(anon.get("/notifications/stop?key=0000").await.status, 404);
    w.srv.stop().await;
}

/// Following a place brings its new requests (in a digest by default); following needs an
/// account, a request awaiting moderation cannot be followed by others, and another
/// collective's ids are not found; bad choices are refused with what to fix.
async fn following_places_and_refusals(backend: Backend) {
    let w = world(backend).await;
    let follow = format!("/api/v1/tenants/cem/objects/{}/follow", w.school);
    assert_eq!(w.srv.client().call("PUT", &follow, None).await.status, 401);
    let r = w.paul.call("PUT", &follow, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = published(&w, &w.jeanne, "Chauffage en panne").await;
    assert!(mails_to(&w.srv, "paul@example.org").await.is_empty());
    let now = time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    assert_eq!(w.srv.app.services.send_digests(now).await.unwrap(), 1);
    let mails = mails_to(&w.srv, "paul@example.org").await;
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let raw = raw_mail(&w.srv, "paul@example.org", "1 nouvelles");
    assert!(
        raw.contains("Nouvelle demande sur École des Chartreux"),
        "{raw}"
    );
    assert!(raw.contains(&format!("/t/cem/r/{id}")), "{raw}");

    // Listed, then unfollowed.
    let r = w.paul.get("/api/v1/me/notifications").await;
    assert!(r.text.contains(r#""target":"object""#), "{}", r.text);
    assert_eq!(w.paul.call("DELETE", &follow, None).await.status, 200);
    let r = w.paul.get("/api/v1/me/notifications").await;
    assert_eq!(r.body["follows"], json!([]), "{}", r.text);

    // A pending request is not someone else's to follow; unknown ids are not found.
    let r = w
        .jeanne
        .post(
            &format!("/api/v1/tenants/cem/objects/{}/requests", w.school),
            toilets("Pas encore publiée"),
        )
        .await;
    let pending = r.body["request"]["id"].as_i64().unwrap();
    let r = w
        .paul
        .call(
            "PUT",
            &format!("/api/v1/tenants/cem/requests/{pending}/follow"),
            None,
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = w
        .paul
        .call("PUT", "/api/v1/tenants/cem/requests/999999/follow", None)
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = w
        .paul
        .call(
            "PUT",
            "/api/v1/me/notifications",
            Some(json!({"choices": [{"event": "answer", "delivery": "weekly"}]})),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("immediately, daily"), "{}", r.text);

    // The web page shows the choices and saves them.
    let page = w.paul.get("/account/notifications").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Un résumé par jour"), "{}", page.text);
    let saved = w
        .paul
        .form(
            "/account/notifications",
            &[("language", "fr"), ("status", "never")],
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    let r = w.paul.get("/api/v1/me/notifications").await;
    assert!(
        r.text.contains(r#"{"delivery":"never","event":"status"}"#),
        "{}",
        r.text
    );
    w.srv.stop().await;
}

/// Followers' messages are queued in the transaction of the change they tell of: a change
/// that does not happen (another moderator moved the request meanwhile) sends nothing, and one
/// that does queues them with its journal entry.
async fn notices_go_with_their_change(backend: Backend) {
    use vigie_domain::requests::RequestStatus;
    use vigie_storage::{JournalNote, NewOutboxMail, Notices, StatusChange};
    let w = world(backend).await;
    let id = published(&w, &w.jeanne, "Portail cassé").await;
    let store = &w.srv.app.store;
    let tenant = w.srv.app.services.tenant("cem").await.unwrap();
    let notices = |subject: &str| Notices {
        mails: vec![NewOutboxMail {
            message_id: format!("<{subject}@vigie.test>"),
            to: "suiveur@example.org".into(),
            subject: subject.into(),
            body: "…".into(),
            purpose: "notification".into(),
            ..NewOutboxMail::default()
        }],
        digest: Vec::new(),
    };
    // Stale: the request is published, not new.
    let stale = StatusChange {
        from: RequestStatus::New,
        to: RequestStatus::InProgress,
        moderation_reason: None,
    };
    let note = JournalNote::new("status_changed", &json!({})).with_notices(notices("jamais"));
    assert!(
        store
            .change_request_status(tenant.id, id, &stale, &note)
            .await
            .is_err()
    );
    let fresh = StatusChange {
        from: RequestStatus::Published,
        to: RequestStatus::InProgress,
        moderation_reason: None,
    };
    let note = JournalNote::new("status_changed", &json!({})).with_notices(notices("avec"));
    store
        .change_request_status(tenant.id, id, &fresh, &note)
        .await
        .unwrap();
    let queued = mails_to(&w.srv, "suiveur@example.org").await;
    let subjects: Vec<&str> = queued.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects, ["avec"]);
    w.srv.stop().await;
}

both_backends!(
    notices_go_with_their_change,
    followers_hear_in_words,
    a_daily_digest_gathers_the_day,
    one_click_stops_a_kind,
    following_places_and_refusals,
);
