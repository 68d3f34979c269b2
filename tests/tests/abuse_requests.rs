//! Requests under abuse, over HTTP on both databases: a personal link is no mail cannon, an
//! address a filer types is mailed once until its owner confirms it, personal links expire and
//! end with the assignment, unmoderated content stays private, and the public journal check
//! holds during a burst of filings yet still locates a real alteration.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};
use vigie_tests::{Backend, Client, PASSWORD, TestServer, both_backends, jpeg_with_gps};

struct World {
    srv: TestServer,
    garant: Client,
    stranger: Client,
    stranger_id: i64,
    official_id: i64,
    school: i64,
    contacts: Vec<i64>,
}

async fn world(backend: Backend, adjust: impl FnOnce(&mut vigie_config::Settings)) -> World {
    let srv = TestServer::start_with(backend, adjust).await.unwrap();
    let guru_id = srv
        .operator_user("guru@vigie.test", "Guru", true)
        .await
        .unwrap();
    let _ = guru_id;
    srv.operator_user("garant@vigie.test", "Gaëlle Garant", false)
        .await
        .unwrap();
    let stranger_id = srv
        .operator_user("passant@vigie.test", "Pierre Passant", false)
        .await
        .unwrap();
    let official_id = srv
        .operator_user("agent@marseille.fr", "Anne Agent", false)
        .await
        .unwrap();
    let guru = srv.client();
    guru.sign_in("guru@vigie.test", PASSWORD).await;
    let r = guru
        .post(
            "/api/v1/tenants",
            json!({"slug": "cem", "name": "cem", "object_types": ["schools"],
                   "official_domains": ["marseille.fr"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = guru
        .post(
            "/api/v1/tenants/cem/garants",
            json!({"object_type": "schools", "email": "garant@vigie.test"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let school = srv
        .object(
            "cem",
            "schools",
            "0130001A",
            "École élémentaire Chartreux HBM",
        )
        .await;
    let garant = srv.client();
    garant.sign_in("garant@vigie.test", PASSWORD).await;
    let mut contacts = Vec::new();
    for (name, role, email) in [
        (
            "Jean Travaux",
            "Responsable des travaux",
            "jean.travaux@marseille.fr",
        ),
        (
            "Dora Directrice",
            "Directrice de l'école",
            "direction@ecole.test",
        ),
    ] {
        let r = garant
            .post(
                "/api/v1/tenants/cem/object-types/schools/contacts",
                json!({"name": name, "role_title": role, "email": email}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        contacts.push(r.body["id"].as_i64().unwrap());
    }
    let stranger = srv.client();
    stranger.sign_in("passant@vigie.test", PASSWORD).await;
    World {
        srv,
        garant,
        stranger,
        stranger_id,
        official_id,
        school,
        contacts,
    }
}

fn toilets(title: &str) -> Value {
    json!({
        "kind": "intervention",
        "categories": ["cem/toilets"],
        "title": title,
        "description": "Les toilettes des garçons au premier étage sont bouchées depuis lundi.",
    })
}

/// How many messages the outbox holds for `to`.
fn mails_to(outbox: &Path, to: &str) -> usize {
    let Ok(dir) = std::fs::read_dir(outbox) else {
        return 0;
    };
    dir.filter_map(|e| e.ok())
        .filter(|e| {
            std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains(&format!("To: {to}\r\n")))
        })
        .count()
}

/// Files a request anonymously: (id, follow token).
async fn file_anonymously(w: &World, title: &str, email: Option<&str>) -> (i64, String) {
    let mut body = toilets(title);
    if let Some(e) = email {
        body["contact_email"] = json!(e);
    }
    let r = w
        .srv
        .client()
        .post(
            &format!("/api/v1/tenants/cem/objects/{}/requests", w.school),
            body,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    (
        r.body["request"]["id"].as_i64().unwrap(),
        r.body["follow_token"].as_str().unwrap().to_owned(),
    )
}

/// Point 3: with the follow link of a request awaiting moderation, nobody is mailed or
/// assigned; once published, the requester hands it only to the collective's Officials or
/// contacts, within the request's daily bound; once refused, nothing but reading.
async fn a_follow_link_is_no_mail_cannon(backend: Backend) {
    let w = world(backend, |s| s.requests.notifications_per_request_day = 4).await;
    let anon = w.srv.client();
    let outbox = w.srv.outbox();
    let contacts_mailed = || {
        mails_to(&outbox, "jean.travaux@marseille.fr") + mails_to(&outbox, "direction@ecole.test")
    };
    let (id, token) = file_anonymously(&w, "Toilettes bouchées", None).await;
    let req = format!("/api/v1/tenants/cem/requests/{id}");
    let q = format!("?token={token}");
    let attack = json!({"contact_ids": w.contacts, "message": "Texte de l'attaquant, à répéter."});

    // Awaiting moderation: no mail, no assignment, whatever the link holder tries.
    for _ in 0..3 {
        let r = anon
            .post(&format!("{req}/notifications{q}"), attack.clone())
            .await;
        assert_eq!((r.status, r.code()), (403, "forbidden"), "{}", r.text);
        assert!(
            r.body["error"]["message_fr"]
                .as_str()
                .unwrap()
                .contains("modération")
        );
    }
    for target in [
        json!({"contact_id": w.contacts[0]}),
        json!({"user_id": w.stranger_id}),
        json!({"user_id": w.official_id}),
    ] {
        let r = anon.post(&format!("{req}/assignees{q}"), target).await;
        assert_eq!(r.status, 403, "{}", r.text);
    }
    assert_eq!(anon.get(&format!("{req}/officials{q}")).await.status, 403);
    assert_eq!(contacts_mailed(), 0, "nobody was mailed before moderation");
    // A photo of their own request, yes.
    let r = anon
        .upload(
            &format!("{req}/attachments{q}"),
            &[("title", "Photo")],
            "p.jpg",
            jpeg_with_gps(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    // Published: the requester may hand it to a contact or an Official, not to any account.
    let r = w
        .garant
        .post(&format!("{req}/moderation"), json!({"decision": "publish"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = anon
        .post(
            &format!("{req}/assignees{q}"),
            json!({"user_id": w.stranger_id}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (400, Some("user_id")),
        "not an Official: {}",
        r.text
    );
    let r = anon
        .post(
            &format!("{req}/assignees{q}"),
            json!({"user_id": w.official_id}),
        )
        .await;
    assert_eq!(r.status, 201, "an Official: {}", r.text);
    let r = anon
        .post(
            &format!("{req}/assignees{q}"),
            json!({"contact_id": w.contacts[0]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Two e-mails so far; the bound is 4 a day: one notification of two contacts passes, the
    // next is refused before anything is sent.
    let r = anon
        .post(&format!("{req}/notifications{q}"), attack.clone())
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let before = contacts_mailed();
    for _ in 0..5 {
        let r = anon
            .post(&format!("{req}/notifications{q}"), attack.clone())
            .await;
        assert_eq!((r.status, r.code()), (429, "rate_limited"), "{}", r.text);
        assert!(
            r.body["error"]["message_fr"]
                .as_str()
                .unwrap()
                .contains("24 heures")
        );
    }
    // Even a moderator: the bound is the request's.
    let r = w
        .garant
        .post(&format!("{req}/notifications"), attack.clone())
        .await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert_eq!(contacts_mailed(), before);
    assert_eq!(
        contacts_mailed(),
        3,
        "the contact's assignment and two notifications"
    );

    // Refused: nothing but reading, for the link as for the contact's link.
    let (refused, rtoken) = file_anonymously(&w, "Cantine trop chère", None).await;
    let rreq = format!("/api/v1/tenants/cem/requests/{refused}");
    let r = w
        .garant
        .post(
            &format!("{rreq}/moderation"),
            json!({"decision": "refuse", "reason": "Hors du champ des interventions."}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rq = format!("?token={rtoken}");
    let r = anon
        .post(&format!("{rreq}/notifications{rq}"), attack)
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = anon
        .upload(
            &format!("{rreq}/attachments{rq}"),
            &[("title", "Photo")],
            "p.jpg",
            jpeg_with_gps(),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = anon
        .post(&format!("{rreq}/status{rq}"), json!({"status": "closed"}))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = anon
        .post(
            &format!("{rreq}/answers{rq}"),
            json!({"message": "Je réponds quand même."}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(
        anon.get(&format!("{rreq}{rq}")).await.status,
        200,
        "reading stays"
    );
    w.srv.stop().await;
}

/// Point 7: an address a filer types gets one message per filing, at most
/// `mails_per_address_hour` an hour, and nothing more until its owner opens the link.
async fn a_typed_address_is_mailed_once_until_confirmed(backend: Backend) {
    let w = world(backend, |s| s.requests.mails_per_address_hour = 3).await;
    let outbox = w.srv.outbox();
    // Someone files in another's name, again and again.
    let mut filed = Vec::new();
    for i in 0..6 {
        filed.push(
            file_anonymously(&w, &format!("Toilettes {i}"), Some("victime@example.org")).await,
        );
    }
    assert_eq!(
        mails_to(&outbox, "victime@example.org"),
        3,
        "bounded per hour"
    );
    // Each step of an unconfirmed request is not mailed.
    for (id, _) in &filed {
        let r = w
            .garant
            .post(
                &format!("/api/v1/tenants/cem/requests/{id}/moderation"),
                json!({"decision": "publish"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    assert_eq!(mails_to(&outbox, "victime@example.org"), 3);

    // A real requester confirms by opening the link they received (not the one answered).
    let (id, token) = file_anonymously(&w, "Fuite au préau", Some("parent@example.org")).await;
    assert_eq!(mails_to(&outbox, "parent@example.org"), 1);
    let req = format!("/api/v1/tenants/cem/requests/{id}");
    w.garant
        .post(&format!("{req}/moderation"), json!({"decision": "publish"}))
        .await;
    assert_eq!(
        mails_to(&outbox, "parent@example.org"),
        1,
        "not confirmed yet"
    );
    // The link the filer was answered does not confirm the address.
    w.srv.client().get(&format!("{req}?token={token}")).await;
    w.garant
        .post(&format!("{req}/status"), json!({"status": "acknowledged"}))
        .await;
    assert_eq!(mails_to(&outbox, "parent@example.org"), 1);
    let mailed = w
        .srv
        .last_link("parent@example.org", &format!("/r/{id}"))
        .unwrap();
    assert_ne!(mailed, token);
    let page = w
        .srv
        .client()
        .get(&format!("/t/cem/r/{id}?token={mailed}"))
        .await;
    assert_eq!(page.status, 200);
    w.garant
        .post(&format!("{req}/status"), json!({"status": "planned"}))
        .await;
    assert_eq!(
        mails_to(&outbox, "parent@example.org"),
        2,
        "confirmed: told"
    );
    w.srv.stop().await;
}

/// Point 9: a personal link stops working after `link_days` without use, and a contact's as
/// soon as their assignment ends; both say how to get a new one.
async fn links_expire_and_end_with_the_assignment(backend: Backend) {
    let w = world(backend, |s| s.requests.link_days = 30).await;
    let anon = w.srv.client();
    let (id, token) = file_anonymously(&w, "Toilettes bouchées", None).await;
    let req = format!("/api/v1/tenants/cem/requests/{id}");
    w.garant
        .post(&format!("{req}/moderation"), json!({"decision": "publish"}))
        .await;
    let r = w
        .garant
        .post(
            &format!("{req}/assignees"),
            json!({"contact_id": w.contacts[0]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let assignment = r.body["id"].as_i64().unwrap();
    let contact = w
        .srv
        .last_link("jean.travaux@marseille.fr", &format!("/r/{id}"))
        .unwrap();
    let answer = |t: &str| {
        let (anon, req) = (&anon, &req);
        let t = t.to_owned();
        async move {
            anon.post(
                &format!("{req}/answers?token={t}"),
                json!({"message": "Nous passerons jeudi."}),
            )
            .await
        }
    };
    assert_eq!(answer(&contact).await.status, 200);
    // The assignment ends: the contact's link with it.
    let r = w
        .garant
        .delete(&format!("{req}/assignees/{assignment}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = answer(&contact).await;
    assert_eq!((r.status, r.code()), (410, "link_expired"), "{}", r.text);
    assert!(
        r.body["error"]["message_fr"]
            .as_str()
            .unwrap()
            .contains("collectif")
    );
    let page = anon.get(&format!("/t/cem/r/{id}?token={contact}")).await;
    assert!(page.text.contains("ne fonctionne plus"), "the page says so");

    // The requester's link works while used, and expires after 30 days without use.
    let status = |t: String| {
        let (anon, req) = (&anon, &req);
        async move {
            anon.post(
                &format!("{req}/status?token={t}"),
                json!({"status": "acknowledged"}),
            )
            .await
        }
    };
    let pool = w.srv.app.store.raw_pool();
    let age = |days: i64| async move {
        let at =
            vigie_storage::timestamp(time::OffsetDateTime::now_utc() - time::Duration::days(days));
        sqlx::query("UPDATE request_tokens SET at = $1, last_used_at = $1 WHERE request_id = $2")
            .bind(at)
            .bind(id)
            .execute(pool)
            .await
            .unwrap();
    };
    age(29).await;
    let r = anon.get(&format!("{req}?token={token}")).await;
    assert_eq!(r.status, 200, "used on day 29: {}", r.text);
    age(31).await;
    let r = status(token.clone()).await;
    assert_eq!((r.status, r.code()), (410, "link_expired"), "{}", r.text);
    assert!(
        r.body["error"]["message_fr"]
            .as_str()
            .unwrap()
            .contains("nouveau lien"),
        "{}",
        r.text
    );
    let page = anon.get(&format!("/t/cem/r/{id}?token={token}")).await;
    assert_eq!(page.status, 200, "the page still shows, as to everyone");
    assert!(
        page.text.contains("nouveau lien"),
        "and says how to get a new link"
    );
    // No address to send a new one to: says so.
    let r = anon
        .post(&format!("{req}/new-link?token={token}"), json!({}))
        .await;
    assert_eq!(
        (r.status, r.body["sent"].as_bool()),
        (200, Some(false)),
        "{}",
        r.text
    );

    // With a confirmed address, the old link asks for a new one, which goes to that address.
    let (id2, _) = file_anonymously(&w, "Fuite au préau", Some("suivi@example.org")).await;
    let req2 = format!("/api/v1/tenants/cem/requests/{id2}");
    let mailed = w
        .srv
        .last_link("suivi@example.org", &format!("/r/{id2}"))
        .unwrap();
    assert_eq!(
        anon.get(&format!("{req2}?token={mailed}")).await.status,
        200
    );
    w.garant
        .post(
            &format!("{req2}/moderation"),
            json!({"decision": "publish"}),
        )
        .await;
    let at = vigie_storage::timestamp(time::OffsetDateTime::now_utc() - time::Duration::days(31));
    sqlx::query("UPDATE request_tokens SET at = $1, last_used_at = $1 WHERE request_id = $2")
        .bind(at)
        .bind(id2)
        .execute(pool)
        .await
        .unwrap();
    let r = anon
        .post(
            &format!("{req2}/status?token={mailed}"),
            json!({"status": "acknowledged"}),
        )
        .await;
    assert_eq!(r.status, 410, "{}", r.text);
    let r = w
        .stranger
        .post(&format!("{req2}/new-link"), json!({}))
        .await;
    assert_eq!(r.status, 403, "not theirs to ask: {}", r.text);
    let page = anon.get(&format!("/t/cem/r/{id2}?token={mailed}")).await;
    assert!(
        page.text.contains("envoyer un nouveau lien"),
        "the page offers it"
    );
    let r = anon
        .form(&format!("/t/cem/r/{id2}/new-link"), &[("token", &mailed)])
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let fresh = w
        .srv
        .last_link("suivi@example.org", &format!("/r/{id2}"))
        .unwrap();
    assert_ne!(fresh, mailed);
    let r = anon
        .post(
            &format!("{req2}/status?token={fresh}"),
            json!({"status": "acknowledged"}),
        )
        .await;
    assert_eq!(r.status, 200, "the new link works: {}", r.text);
    w.srv.stop().await;
}

/// Point 12: until a moderator publishes it, a request's title, text, photo and journal details
/// are for its author, its moderators and its handlers only; others see that it waits.
async fn unmoderated_content_stays_private(backend: Backend) {
    let w = world(backend, |_| {}).await;
    let anon = w.srv.client();
    let title = "Photo des enfants dans la cour";
    let (id, token) = file_anonymously(&w, title, None).await;
    let req = format!("/api/v1/tenants/cem/requests/{id}");
    let r = anon
        .upload(
            &format!("{req}/attachments?token={token}"),
            &[("title", "Cour de récréation")],
            "cour.jpg",
            jpeg_with_gps(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let download = r.body["download"].as_str().unwrap().to_owned();

    for (who, client) in [("anonymous", &anon), ("stranger", &w.stranger)] {
        let list = client.get("/api/v1/tenants/cem/requests").await;
        let view = &list.body[0];
        assert_eq!(view["id"], id);
        assert_eq!(view["awaiting_moderation"], true, "{who}: {}", list.text);
        assert!(
            view["title"].is_null() && view["description"].is_null(),
            "{who}"
        );
        assert!(
            view["warning"]
                .as_str()
                .unwrap()
                .contains("attend la modération")
        );
        assert!(!list.text.contains(title), "{who}: {}", list.text);
        let r = client.get(&req).await;
        assert_eq!(r.status, 200);
        assert!(
            !r.text.contains(title) && !r.text.contains("Cour de récréation"),
            "{who}: {}",
            r.text
        );
        assert_eq!(r.body["documents"], json!([]));
        let r = client.get(&format!("{req}/journal")).await;
        assert!(!r.text.contains(title), "{who}: {}", r.text);
        let r = client.get("/api/v1/tenants/cem/journal").await;
        assert!(!r.text.contains(title), "{who}: raw journal: {}", r.text);
        assert_eq!(client.bytes(&download).await.0, 404, "{who}: the photo");
        let page = client.get(&format!("/t/cem/r/{id}")).await;
        assert!(!page.text.contains(title), "{who}: page");
        assert!(
            page.text.contains("attend la modération"),
            "{who}: page says it waits"
        );
        let sheet = client.get(&format!("/t/cem/o/{}", w.school)).await;
        assert_eq!(sheet.status, 200);
        assert!(!sheet.text.contains(title), "{who}: the object's sheet");
        assert!(sheet.text.contains("attend la modération"));
    }
    // Its comment thread too: nobody else writes or reads there yet.
    let r = w
        .stranger
        .post(&format!("{req}/comments"), json!({"body": "Je regarde."}))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(
        w.stranger.get(&format!("{req}/comments")).await.body,
        json!([])
    );
    // Its author, through the link; its moderator.
    let r = anon.get(&format!("{req}?token={token}")).await;
    assert_eq!(r.body["request"]["title"], title, "{}", r.text);
    let own = r.body["documents"][0]["download"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        anon.bytes(&own).await.0,
        200,
        "the author's photo, with the link"
    );
    let page = anon.get(&format!("/t/cem/r/{id}?token={token}")).await;
    assert!(page.text.contains(title));
    let r = w.garant.get(&req).await;
    assert_eq!(r.body["request"]["title"], title);
    assert_eq!(w.garant.bytes(&download).await.0, 200);
    assert!(
        w.garant
            .get(&format!("/t/cem/o/{}", w.school))
            .await
            .text
            .contains(title)
    );
    // Published: public.
    w.garant
        .post(&format!("{req}/moderation"), json!({"decision": "publish"}))
        .await;
    assert_eq!(anon.get(&req).await.body["request"]["title"], title);
    assert_eq!(anon.bytes(&download).await.0, 200);
    assert!(
        anon.get("/api/v1/tenants/cem/journal")
            .await
            .text
            .contains(title)
    );
    w.srv.stop().await;
}

/// 100 filings by 10 signed-in people at once while three anonymous checkers call the public
/// check in a loop: every check must say the chain is sound. Returns the client used after.
async fn burst(w: &World) -> Client {
    let mut filers = Vec::new();
    for i in 0..10 {
        let email = format!("parent{i}@vigie.test");
        w.srv
            .operator_user(&email, &format!("Parent {i}"), false)
            .await
            .unwrap();
        let c = w.srv.client();
        c.sign_in(&email, PASSWORD).await;
        filers.push(Arc::new(c));
    }
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Three anonymous checkers, each in a loop until the burst is over.
    let checkers: Vec<_> = (0..3)
        .map(|_| {
            let (c, done) = (Arc::new(w.srv.client()), done.clone());
            tokio::spawn(async move {
                let mut checks = 0;
                while !done.load(std::sync::atomic::Ordering::SeqCst) || checks == 0 {
                    let r = c.get("/api/v1/tenants/cem/journal/verify").await;
                    assert_eq!(r.body["ok"], true, "a false alarm under load: {}", r.text);
                    checks += 1;
                }
                checks
            })
        })
        .collect();
    let file = format!("/api/v1/tenants/cem/objects/{}/requests", w.school);
    let mut tasks = Vec::new();
    for i in 0..100 {
        let (c, file) = (filers[i % 10].clone(), file.clone());
        tasks.push(tokio::spawn(async move {
            c.post(&file, toilets(&format!("Chauffage en panne, salle {i}")))
                .await
                .status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut checks = 0;
    for c in checkers {
        checks += c.await.unwrap();
    }
    assert!(checks >= 1, "{checks}");
    let anon = w.srv.client();
    let r = anon.get("/api/v1/tenants/cem/journal/verify").await;
    // Each filing: `filed`, `notification_sent` (the requester is told by e-mail) and
    // `notification_delivered` (the outbox folder took it before the filing answered).
    assert_eq!(
        (r.body["ok"].as_bool(), r.body["entries"].as_i64()),
        (Some(true), Some(300)),
        "{}",
        r.text
    );
    eprintln!("{checks} journal checks during the burst");
    anon
}

/// Point 10: the public check run in a loop during 100 concurrent filings never reports a
/// break; it still locates a real alteration; an unchanged head answers 304.
async fn the_journal_check_holds_under_a_burst(backend: Backend) {
    let w = world(backend, |s| s.requests.journal_check_cache_seconds = 0).await;
    let anon = burst(&w).await;
    // An unchanged head: 304 with the ETag.
    let url = format!("{}/api/v1/tenants/cem/journal/verify", w.srv.base);
    let first = anon.http.get(&url).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = anon
        .http
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    // The raw chain downloads a page at a time.
    let mut seqs = Vec::new();
    let mut after = 0;
    loop {
        let r = anon
            .get(&format!(
                "/api/v1/tenants/cem/journal?after={after}&limit=150"
            ))
            .await;
        let page = r.body.as_array().unwrap().clone();
        assert!(page.len() <= 150);
        let Some(last) = page.last() else { break };
        after = last["seq"].as_i64().unwrap();
        seqs.extend(page.iter().map(|e| e["seq"].as_i64().unwrap()));
    }
    assert_eq!(seqs, (1..=300).collect::<Vec<i64>>());
    let r = anon.get("/api/v1/tenants/cem/journal?limit=0").await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (400, Some("limit"))
    );

    // A real alteration, in the middle, is located.
    let pool = w.srv.app.store.raw_pool();
    sqlx::query("UPDATE request_journal SET details = details || ' ' WHERE seq = 57")
        .execute(pool)
        .await
        .unwrap();
    let r = anon.get("/api/v1/tenants/cem/journal/verify").await;
    assert_eq!(
        (r.body["ok"].as_bool(), r.body["broken_at"].as_i64()),
        (Some(false), Some(57)),
        "{}",
        r.text
    );
    let changed = anon
        .http
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200, "a new verdict, a new ETag");
    w.srv.stop().await;
}

/// Within `journal_check_cache_seconds` of a whole check, the same head gets the same verdict
/// and a new head only its new entries checked; past that time the whole chain is checked again.
async fn the_journal_check_is_reused_per_head(backend: Backend) {
    let w = world(backend, |s| s.requests.journal_check_cache_seconds = 3).await;
    let verify = || async {
        let r = w
            .srv
            .client()
            .get("/api/v1/tenants/cem/journal/verify")
            .await;
        (
            r.body["ok"].as_bool().unwrap(),
            r.body["broken_at"].as_i64(),
            r.body["entries"].as_i64(),
        )
    };
    let pool = w.srv.app.store.raw_pool();
    let set_details = |seq: i64, details: String| async move {
        sqlx::query("UPDATE request_journal SET details = $1 WHERE seq = $2")
            .bind(details)
            .bind(seq)
            .execute(pool)
            .await
            .unwrap();
    };
    let details = |seq: i64| async move {
        sqlx::query_scalar::<_, String>("SELECT details FROM request_journal WHERE seq = $1")
            .bind(seq)
            .fetch_one(pool)
            .await
            .unwrap()
    };
    file_anonymously(&w, "Toilettes bouchées", None).await;
    assert_eq!(verify().await, (true, None, Some(1)));
    // New entries are always checked: one altered right after it was written shows.
    file_anonymously(&w, "Fuite au préau", None).await;
    let original = details(2).await;
    set_details(2, "{}".into()).await;
    assert_eq!(verify().await, (false, Some(2), Some(1)));
    set_details(2, original).await;
    assert_eq!(
        verify().await,
        (false, Some(2), Some(1)),
        "a verdict per head"
    );
    // After a broken verdict, the next head gets a whole check.
    file_anonymously(&w, "Robinet qui fuit", None).await;
    assert_eq!(verify().await, (true, None, Some(3)), "checked whole again");
    // An old entry altered: the same head keeps its verdict, a new head gets its new entries
    // checked from the last verified hash…
    set_details(1, "{}".into()).await;
    assert_eq!(verify().await, (true, None, Some(3)));
    file_anonymously(&w, "Grille cassée", None).await;
    assert_eq!(verify().await, (true, None, Some(4)));
    // …and once the time is up, the whole chain is read again and the alteration located.
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    assert_eq!(verify().await, (false, Some(1), Some(0)));
    w.srv.stop().await;
}

/// The same burst with the check's reuse on (each call checks only the new entries); the
/// never-cached check (`vigie journal verify`) then locates an alteration in the middle.
async fn the_incremental_check_holds_under_a_burst(backend: Backend) {
    let w = world(backend, |s| s.requests.journal_check_cache_seconds = 30).await;
    burst(&w).await;
    let pool = w.srv.app.store.raw_pool();
    sqlx::query("UPDATE request_journal SET details = details || ' ' WHERE seq = 121")
        .execute(pool)
        .await
        .unwrap();
    let tenant = w.srv.app.services.tenant("cem").await.unwrap();
    let report = w.srv.app.services.verify_journal(&tenant).await.unwrap();
    assert_eq!(report.broken.map(|b| b.seq), Some(121));
    w.srv.stop().await;
}

/// A danger notice reaches the type's contacts before moderation, by design; since anyone may
/// file one, each contact gets at most `mails_per_address_hour` of them in an hour.
async fn danger_notices_are_bounded_per_contact(backend: Backend) {
    let w = world(backend, |s| s.requests.mails_per_address_hour = 2).await;
    let anon = w.srv.client();
    for i in 0..5 {
        let r = anon
            .post(
                &format!("/api/v1/tenants/cem/objects/{}/requests", w.school),
                json!({"kind": "dgi-notice", "title": format!("Danger {i}"),
                       "description": "Faux plafond qui s'effondre sous le préau.",
                       "fields": {"observed-at": "2026-11-30T08:30", "place": "Préau",
                                  "danger": "Faux plafond qui s'effondre.",
                                  "people-exposed": "Deux classes."}}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let outbox = w.srv.outbox();
    assert_eq!(mails_to(&outbox, "jean.travaux@marseille.fr"), 2);
    assert_eq!(mails_to(&outbox, "direction@ecole.test"), 2);
    w.srv.stop().await;
}

both_backends!(
    a_follow_link_is_no_mail_cannon,
    a_typed_address_is_mailed_once_until_confirmed,
    links_expire_and_end_with_the_assignment,
    unmoderated_content_stays_private,
    the_journal_check_holds_under_a_burst,
    the_journal_check_is_reused_per_head,
    the_incremental_check_holds_under_a_burst,
    danger_notices_are_bounded_per_contact,
);
