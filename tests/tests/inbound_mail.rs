//! Replies by e-mail, on both databases: a contact notified about a request answers the
//! message; the verified reply becomes a public answer with its photo (EXIF dropped) and its
//! status word; an altered token or another sender lands in the holding queue, which the
//! collective's Garant reads and routes (and another collective's Garant cannot); an
//! auto-reply is ignored; the webhook wants its secret; a message over the limit is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::{Value, json};
use vigie_services::{ReceiveError, ReceiveOutcome};
use vigie_tests::{
    Backend, Client, PASSWORD, TestServer, both_backends, contains, jpeg_with_gps, last_link_in,
};

const CONTACT: &str = "jean.travaux@marseille.fr";
const DOMAIN: &str = "reply.vigie.test";
const SECRET: &str = "w3bh00k-s3cret";
const LIMIT: usize = 200_000;

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out.as_bytes()
        .chunks(76)
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// A reply as a mail client sends it: French Gmail style, quoted history below.
fn reply(from: &str, to: &str, headers: &str, text: &str, photo: Option<&[u8]>) -> Vec<u8> {
    let quoted = "Le mer. 2 déc. 2026 à 10:04, Vigie <no-reply@vigie.localhost> a écrit :\r\n\
                  > Une demande vous a été transmise.\r\n";
    let body = format!("{}\r\n\r\n{quoted}", text.replace('\n', "\r\n"));
    let mut raw = format!(
        "From: Jean Travaux <{from}>\r\nTo: <{to}>\r\nSubject: Re: Vigie\r\n{headers}\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         {body}\r\n"
    );
    if let Some(jpeg) = photo {
        raw.push_str(&format!(
            "--b1\r\nContent-Type: image/jpeg; name=\"fuite.jpg\"\r\n\
             Content-Disposition: attachment; filename=\"fuite.jpg\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            base64(jpeg)
        ));
    }
    raw.push_str("--b1--\r\n");
    raw.into_bytes()
}

/// The `Message-ID` of the newest message to `to` in the outbox folder.
fn last_message_id(srv: &TestServer, to: &str) -> String {
    let mut files: Vec<_> = std::fs::read_dir(srv.outbox())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for f in files.iter().rev() {
        let text = std::fs::read_to_string(f).unwrap();
        if !text.contains(&format!("To: {to}\r\n")) {
            continue;
        }
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("Message-ID: ") {
                return v.trim().to_owned();
            }
        }
    }
    panic!("no message to {to}")
}

struct World {
    srv: TestServer,
    garant: Client,
    garant_elsewhere: Client,
    school: i64,
    request: i64,
    token: String,
}

async fn world(backend: Backend) -> World {
    let srv = TestServer::start_with(backend, |s| {
        s.mail.reply_domain = DOMAIN.into();
        s.mail.inbound_secret = SECRET.into();
        s.mail.inbound_max_bytes = LIMIT;
    })
    .await
    .unwrap();
    let c = srv.collective("cem", &["schools"]).await;
    srv.operator_user("garant@autre.test", "Autre Garant", false)
        .await
        .unwrap();
    let r = c
        .guru
        .post(
            "/api/v1/tenants",
            json!({"slug": "autre", "name": "autre", "object_types": ["schools"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = c
        .guru
        .post(
            "/api/v1/tenants/autre/garants",
            json!({"object_type": "schools", "email": "garant@autre.test"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let garant_elsewhere = srv.client();
    garant_elsewhere
        .sign_in("garant@autre.test", PASSWORD)
        .await;

    let school = srv
        .object("cem", "schools", "0130001A", "École élémentaire Chartreux")
        .await;
    let r = c
        .garant
        .post(
            "/api/v1/tenants/cem/object-types/schools/contacts",
            json!({"name": "Jean Travaux", "role_title": "Responsable des travaux",
                   "email": CONTACT}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let contact = r.body["id"].as_i64().unwrap();
    let r = c
        .garant
        .post(
            &format!("/api/v1/tenants/cem/objects/{school}/requests"),
            json!({
                "kind": "intervention",
                "categories": ["cem/toilets"],
                "title": "Fuite d'eau dans les toilettes",
                "description": "Une fuite d'eau inonde les toilettes du rez-de-chaussée.",
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let request = r.body["request"]["id"].as_i64().unwrap();
    let req = format!("/api/v1/tenants/cem/requests/{request}");
    if r.body["request"]["status"] == "new" {
        let r = c
            .garant
            .post(&format!("{req}/moderation"), json!({"decision": "publish"}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = c
        .garant
        .post(&format!("{req}/assignees"), json!({"contact_id": contact}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let token = last_link_in(&srv.outbox(), CONTACT, &format!("/r/{request}")).unwrap();
    assert_eq!(token.len(), 64);
    World {
        srv,
        garant: c.garant,
        garant_elsewhere,
        school,
        request,
        token,
    }
}

fn journal_with(journal: &Value, action: &str) -> Vec<String> {
    journal
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action)
        .map(|e| e["details"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn a_verified_reply_becomes_an_answer(backend: Backend) {
    let w = world(backend).await;
    let services = &w.srv.app.services;
    assert_eq!(
        services.reply_address(&w.token),
        Some(format!(
            "{}@{DOMAIN}",
            vigie_mail::inbound::reply_local_part(&w.token).unwrap()
        ))
    );
    // The contact's notification carries that address as its Reply-To.
    let mailed = w.srv.app.store.outbox(None, 1000).await.unwrap();
    let to_contact = mailed
        .iter()
        .find(|m| m.to == CONTACT)
        .expect("the contact was mailed");
    assert_eq!(to_contact.reply_to, services.reply_address(&w.token));
    let raw_sent = std::fs::read_dir(w.srv.outbox())
        .unwrap()
        .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap())
        .find(|t| t.contains(&format!("To: {CONTACT}\r\n")))
        .expect("the contact's message in the outbox folder");
    assert!(
        raw_sent.contains(&format!(
            "Reply-To: {}\r\n",
            services.reply_address(&w.token).unwrap()
        )),
        "{raw_sent}"
    );
    assert!(raw_sent.contains("répondre directement"), "{raw_sent}");
    let raw = reply(
        CONTACT,
        &services.reply_address(&w.token).unwrap(),
        "",
        "Résolu\n\nC'est réparé",
        Some(&jpeg_with_gps()),
    );
    let outcome = services.receive_mail(&raw, None).await.unwrap();
    assert_eq!(
        outcome,
        ReceiveOutcome::Answered {
            tenant: "cem".into(),
            request_id: w.request,
            status_changed: true,
            notes: vec![],
        }
    );
    let anon = w.srv.client();
    let r = anon
        .get(&format!("/api/v1/tenants/cem/requests/{}", w.request))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["request"]["status"], "solved");
    assert!(
        !r.text.contains(CONTACT),
        "the contact's address is private"
    );
    let answers = journal_with(&r.body["journal"], "answered");
    assert_eq!(answers.len(), 1, "{}", r.text);
    assert!(answers[0].contains("Jean Travaux"), "{}", answers[0]);
    assert!(answers[0].contains("C'est réparé"), "{}", answers[0]);
    assert!(
        !answers[0].contains("a écrit"),
        "quoted history: {}",
        answers[0]
    );
    let changes = journal_with(&r.body["journal"], "status_changed");
    assert!(
        changes.iter().any(|d| d.contains("\"solved\"")),
        "{changes:?}"
    );
    assert_eq!(
        journal_with(&r.body["journal"], "attachment_added").len(),
        1
    );
    // The photo is stored re-encoded, without its EXIF/GPS.
    let docs = r.body["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 1, "{}", r.text);
    let download = docs[0]["download"].as_str().unwrap().to_owned();
    let (status, ct, bytes) = w.garant.bytes(&download).await;
    assert_eq!((status, ct.as_str()), (200, "image/jpeg"));
    assert!(!contains(&bytes, &[0x88, 0x25]), "the GPS pointer survived");
    assert!(!contains(&bytes, b"Exif"), "the EXIF block survived");
    w.srv.stop().await;
}

async fn unverified_replies_are_held_and_routed(backend: Backend) {
    let w = world(backend).await;
    let services = &w.srv.app.services;
    let in_reply_to = format!("In-Reply-To: {}\r\n", last_message_id(&w.srv, CONTACT));

    // An altered token: held; the message it answers names the request.
    let mut altered = w.token.clone();
    let last = if altered.ends_with('0') { "1" } else { "0" };
    altered.replace_range(63.., last);
    let raw = reply(
        CONTACT,
        &format!("reply+{altered}@{DOMAIN}"),
        &in_reply_to,
        "En cours\n\nL'équipe passe jeudi.",
        None,
    );
    let ReceiveOutcome::Held {
        id: altered_id,
        reason,
    } = services.receive_mail(&raw, None).await.unwrap()
    else {
        panic!("an altered token is held");
    };
    assert_eq!(reason, "unknown_token");

    // The right token from another address: held.
    let raw = reply(
        "usurpateur@example.org",
        &format!("reply+{}@{DOMAIN}", w.token),
        "",
        "Fermé",
        None,
    );
    let ReceiveOutcome::Held {
        id: other_id,
        reason,
    } = services.receive_mail(&raw, None).await.unwrap()
    else {
        panic!("another sender is held");
    };
    assert_eq!(reason, "other_sender");

    // Nothing changed on the request.
    let req = format!("/api/v1/tenants/cem/requests/{}", w.request);
    let r = w.srv.client().get(&req).await;
    assert_eq!(r.body["request"]["status"], "published", "{}", r.text);
    assert!(journal_with(&r.body["journal"], "answered").is_empty());

    // The collective's Garant sees both, senders by domain only.
    let r = w.garant.get("/api/v1/tenants/cem/held-mail").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ids: Vec<i64> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert!(
        ids.contains(&altered_id) && ids.contains(&other_id),
        "{}",
        r.text
    );
    assert!(!r.text.contains("usurpateur@"), "{}", r.text);
    assert!(r.text.contains("…@example.org"), "{}", r.text);
    assert!(r.text.contains("L'équipe passe jeudi."), "{}", r.text);

    // Another collective's Garant neither sees nor routes them.
    let r = w
        .garant_elsewhere
        .get("/api/v1/tenants/autre/held-mail")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body, json!([]));
    let r = w
        .garant_elsewhere
        .get("/api/v1/tenants/cem/held-mail")
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let route = |slug: &str, id: i64| format!("/api/v1/tenants/{slug}/held-mail/{id}/route");
    let r = w
        .garant_elsewhere
        .post(
            &route("autre", altered_id),
            json!({"request_id": w.request}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = w
        .garant_elsewhere
        .post(&route("cem", altered_id), json!({"request_id": w.request}))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = w.srv.client().get("/api/v1/tenants/cem/held-mail").await;
    assert_eq!(r.status, 401, "{}", r.text);

    // The Garant routes the first: an answer « réponse reçue par e-mail », routed by them.
    let r = w
        .garant
        .post(&route("cem", altered_id), json!({"request_id": w.request}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = w
        .garant
        .post(&route("cem", altered_id), json!({"request_id": w.request}))
        .await;
    assert_eq!(r.status, 409, "routed once: {}", r.text);
    let r = w.srv.client().get(&req).await;
    let answers = journal_with(&r.body["journal"], "answered");
    assert_eq!(answers.len(), 1, "{}", r.text);
    assert!(
        answers[0].contains("réponse reçue par e-mail"),
        "{}",
        answers[0]
    );
    assert!(
        answers[0].contains("L'équipe passe jeudi."),
        "{}",
        answers[0]
    );
    assert!(answers[0].contains("routed_by"), "{}", answers[0]);
    assert!(!answers[0].contains("Jean Travaux"), "{}", answers[0]);
    assert!(!r.text.contains(CONTACT));

    // And drops the other; the queue is empty.
    let r = w
        .garant
        .post(
            &format!("/api/v1/tenants/cem/held-mail/{other_id}/drop"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = w.garant.get("/api/v1/tenants/cem/held-mail").await;
    assert_eq!(r.body, json!([]), "{}", r.text);

    // The Garant's page: the held reply, then routed by its form.
    let raw = reply(
        CONTACT,
        &format!("reply+{altered}@{DOMAIN}"),
        &in_reply_to,
        "Pris en compte, intervention prévue lundi.",
        None,
    );
    let ReceiveOutcome::Held { id, .. } = services.receive_mail(&raw, None).await.unwrap() else {
        panic!("held");
    };
    let r = w.garant.get("/t/cem/garant").await;
    assert!(
        r.text.contains("/t/cem/garant/mail"),
        "linked from the desk"
    );
    let r = w.garant.get("/t/cem/garant/mail").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("intervention prévue lundi"), "{}", r.text);
    assert!(
        r.text.contains("adresse de réponse inconnue ou altérée"),
        "{}",
        r.text
    );
    assert!(!r.text.contains(CONTACT), "{}", r.text);
    let r = w.garant_elsewhere.get("/t/cem/garant/mail").await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = w
        .garant_elsewhere
        .form(
            &format!("/t/autre/garant/mail/{id}/route"),
            &[("request_id", &w.request.to_string())],
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = w
        .garant
        .form(
            &format!("/t/cem/garant/mail/{id}/route"),
            &[("request_id", &w.request.to_string())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let r = w.garant.get("/t/cem/garant/mail?done=mail_routed").await;
    assert!(
        r.text.contains("Réponse rattachée à la demande."),
        "{}",
        r.text
    );
    assert!(r.text.contains("held-none"), "{}", r.text);
    let r = w.srv.client().get(&req).await;
    assert_eq!(journal_with(&r.body["journal"], "answered").len(), 2);

    // A held reply forgets the address of an account deleted since.
    w.srv
        .operator_user("passant@vigie.test", "Pierre Passant", false)
        .await
        .unwrap();
    let raw = reply(
        "Passant@vigie.test",
        &format!("reply+{}@{DOMAIN}", w.token),
        "",
        "Résolu",
        None,
    );
    let ReceiveOutcome::Held { id, .. } = services.receive_mail(&raw, None).await.unwrap() else {
        panic!("held");
    };
    let held = w.srv.app.store.held_mail(id).await.unwrap().unwrap();
    assert_eq!(held.sender.as_deref(), Some("passant@vigie.test"));
    let passant = w.srv.client();
    passant.sign_in("passant@vigie.test", PASSWORD).await;
    let r = passant
        .call("DELETE", "/api/v1/me", Some(json!({"password": PASSWORD})))
        .await;
    assert!(r.status < 300, "{}", r.text);
    let held = w.srv.app.store.held_mail(id).await.unwrap().unwrap();
    assert_eq!(held.sender, None);

    // A reply naming no request matches no collective: a Garant does not see it, a Guru sees
    // it on any collective's page and may route it to one of its requests.
    let raw = reply(
        "inconnu@example.org",
        &format!("contact@{DOMAIN}"),
        "",
        "Bonjour, qui répond ici ?",
        None,
    );
    let ReceiveOutcome::Held { id, .. } = services.receive_mail(&raw, None).await.unwrap() else {
        panic!("held");
    };
    let held = w.srv.app.store.held_mail(id).await.unwrap().unwrap();
    assert_eq!(held.tenant, None);
    let r = w.garant.get("/t/cem/garant/mail").await;
    assert!(!r.text.contains("qui répond ici"), "{}", r.text);
    let guru = w.srv.client();
    guru.sign_in("guru@vigie.test", PASSWORD).await;
    let r = guru.get("/t/cem/garant/mail").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("qui répond ici"), "{}", r.text);
    assert!(
        r.text.contains("ne correspond à aucun collectif"),
        "{}",
        r.text
    );
    let r = guru
        .form(
            &format!("/t/cem/garant/mail/{id}/route"),
            &[("request_id", &w.request.to_string())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    w.srv.stop().await;
}

async fn machines_webhook_and_limits(backend: Backend) {
    let w = world(backend).await;
    let services = &w.srv.app.services;
    let to = format!("reply+{}@{DOMAIN}", w.token);

    // An auto-reply is ignored, and held nowhere.
    let raw = reply(
        CONTACT,
        &to,
        "Auto-Submitted: auto-replied\r\n",
        "Résolu",
        None,
    );
    assert_eq!(
        services.receive_mail(&raw, None).await.unwrap(),
        ReceiveOutcome::Ignored {
            reason: "auto_submitted".into()
        }
    );
    let r = w.garant.get("/api/v1/tenants/cem/held-mail").await;
    assert_eq!(r.body, json!([]), "{}", r.text);
    let r = w
        .srv
        .client()
        .get(&format!("/api/v1/tenants/cem/requests/{}", w.request))
        .await;
    assert_eq!(r.body["request"]["status"], "published");

    // Over the limit: refused, clearly.
    let big = reply(CONTACT, &to, "", &"x".repeat(LIMIT), None);
    match services.receive_mail(&big, None).await {
        Err(e @ ReceiveError::TooLarge { .. }) => {
            assert!(e.to_string().contains("inbound_max_bytes"), "{e}")
        }
        other => panic!("{other:?}"),
    }

    // The webhook: the secret, then the message.
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/inbound-mail", w.srv.base);
    let post = |secret: Option<&str>, body: Vec<u8>, ct: &str| {
        let mut req = http
            .post(&url)
            .header("Content-Type", ct.to_owned())
            .body(body);
        if let Some(s) = secret {
            req = req.header("X-Vigie-Inbound-Secret", s.to_owned());
        }
        req.send()
    };
    let raw = reply(CONTACT, &to, "", "En cours\n\nNous passons demain.", None);
    let r = post(None, raw.clone(), "message/rfc822").await.unwrap();
    assert_eq!(r.status(), 401);
    let r = post(Some("w3bh00k-s3creT"), raw.clone(), "message/rfc822")
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_secret", "{body}");
    let r = post(Some(SECRET), raw.clone(), "message/rfc822")
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["outcome"], "answered", "{body}");
    assert_eq!(body["status_changed"], true, "{body}");
    let r = w
        .srv
        .client()
        .get(&format!("/api/v1/tenants/cem/requests/{}", w.request))
        .await;
    assert_eq!(r.body["request"]["status"], "in_progress", "{}", r.text);

    let r = post(Some(SECRET), big, "application/octet-stream")
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
    assert!(body["error"]["message_fr"].is_string(), "{body}");
    let r = post(
        Some(SECRET),
        b"\x00\x01 not mail".to_vec(),
        "message/rfc822",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unreadable_message", "{body}");
    w.srv.stop().await;

    // Replies by e-mail off (the default): no reply address, the webhook is not there.
    let off = TestServer::start(backend).await.unwrap();
    assert_eq!(off.app.services.reply_address(&"ab".repeat(32)), None);
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/inbound-mail", off.base))
        .header("Content-Type", "message/rfc822")
        .header("X-Vigie-Inbound-Secret", SECRET)
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(matches!(
        off.app
            .services
            .receive_mail(b"From: a@b.example\r\n\r\nx", None)
            .await,
        Err(ReceiveError::Disabled)
    ));
    off.stop().await;
}

async fn the_requester_replies_too(backend: Backend) {
    let w = world(backend).await;
    let services = &w.srv.app.services;
    let parent = "parent.anonyme@example.org";
    let mut body = json!({
        "kind": "intervention",
        "categories": ["cem/toilets"],
        "title": "Robinet qui fuit dans la cour",
        "description": "Le robinet de la cour fuit depuis une semaine, la flaque gèle le matin.",
    });
    body["contact_email"] = json!(parent);
    let r = w
        .srv
        .client()
        .post(
            &format!("/api/v1/tenants/cem/objects/{}/requests", w.school),
            body,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["request"]["id"].as_i64().unwrap();
    let req = format!("/api/v1/tenants/cem/requests/{id}");
    let mailed = last_link_in(&w.srv.outbox(), parent, &format!("/r/{id}")).unwrap();
    let to = format!("reply+{mailed}@{DOMAIN}");

    // Awaiting moderation, the requester's words wait for a Garant.
    let raw = reply(parent, &to, "", "Résolu\n\nMerci, c'est réparé.", None);
    let ReceiveOutcome::Held { reason, .. } = services.receive_mail(&raw, None).await.unwrap()
    else {
        panic!("held while pending");
    };
    assert_eq!(reason, "not_allowed");
    let r = w
        .garant
        .post(&format!("{req}/moderation"), json!({"decision": "publish"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // Published: a status word changes the status, the text is its note.
    let outcome = services.receive_mail(&raw, None).await.unwrap();
    assert!(
        matches!(
            outcome,
            ReceiveOutcome::Answered {
                status_changed: true,
                ..
            }
        ),
        "{outcome:?}"
    );
    let r = w.srv.client().get(&req).await;
    assert_eq!(r.body["request"]["status"], "solved", "{}", r.text);
    let changes = journal_with(&r.body["journal"], "status_changed");
    assert!(
        changes.iter().any(|d| d.contains("Merci, c'est réparé.")),
        "{changes:?}"
    );
    assert!(!r.text.contains(parent));

    // Plain words of a requester without an account: held (a requester does not answer).
    let raw = reply(parent, &to, "", "Merci encore à l'équipe.", None);
    let ReceiveOutcome::Held { reason, .. } = services.receive_mail(&raw, None).await.unwrap()
    else {
        panic!("held");
    };
    assert_eq!(reason, "not_allowed");
    w.srv.stop().await;
}

both_backends!(
    the_requester_replies_too,
    a_verified_reply_becomes_an_answer,
    unverified_replies_are_held_and_routed,
    machines_webhook_and_limits,
);
