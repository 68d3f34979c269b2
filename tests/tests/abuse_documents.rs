//! Issue 10, point 12: a document a citizen attaches to an object awaits moderation. Until a
//! moderator accepts it, only its uploader and the object's moderators see it or download its
//! file; everybody else sees that a document awaits moderation, and since when. A refused
//! document keeps its title and public reason, and its file is no longer served. Both
//! databases, over HTTP (API and object page).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::json;
use vigie_tests::{Backend, Client, PASSWORD, TestServer, both_backends};

fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {text}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        .into_bytes()
}

struct World {
    garant: Client,
    citizen: Client,
    other: Client,
    anon: Client,
    school: i64,
}

async fn setup(srv: &TestServer) -> World {
    srv.operator_user("guru@vigie.test", "Guru", true)
        .await
        .unwrap();
    srv.operator_user("garant@vigie.test", "Gaëlle", false)
        .await
        .unwrap();
    srv.operator_user("citoyen@vigie.test", "Camille", false)
        .await
        .unwrap();
    srv.operator_user("autre@vigie.test", "Dominique", false)
        .await
        .unwrap();
    let guru = srv.client();
    guru.sign_in("guru@vigie.test", PASSWORD).await;
    for (slug, name) in [("cem", "CeM"), ("autre", "Autre")] {
        let r = guru
            .post(
                "/api/v1/tenants",
                json!({"slug": slug, "name": name, "object_types": ["schools"]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let r = guru
        .post(
            "/api/v1/tenants/cem/garants",
            json!({"object_type": "schools", "email": "garant@vigie.test"}),
        )
        .await;
    assert!(r.status < 300, "{}", r.text);
    let garant = srv.client();
    garant.sign_in("garant@vigie.test", PASSWORD).await;
    let citizen = srv.client();
    citizen.sign_in("citoyen@vigie.test", PASSWORD).await;
    let other = srv.client();
    other.sign_in("autre@vigie.test", PASSWORD).await;
    let school = srv
        .object("cem", "schools", "0131703F", "Collège Edouard Manet")
        .await;
    World {
        garant,
        citizen,
        other,
        anon: srv.client(),
        school,
    }
}

/// The entry of document `id` in the object's list as `who` sees it.
async fn listed(who: &Client, school: i64, id: i64) -> serde_json::Value {
    let r = who
        .get(&format!("/api/v1/tenants/cem/objects/{school}/documents"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("document {id} not listed: {}", r.text))
}

async fn citizen_documents_await_moderation(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let w = setup(&srv).await;
    let path = format!("/api/v1/tenants/cem/objects/{}/documents", w.school);

    // A citizen's document starts pending.
    let r = w
        .citizen
        .upload(
            &path,
            &[
                ("kind", "letter"),
                ("title", "Lettre injurieuse au principal"),
            ],
            "lettre.pdf",
            pdf("one"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["state"], "pending", "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    let file = format!("/api/v1/tenants/cem/documents/{id}/file");

    // Anonymous visitors and other citizens: a placeholder, and no file.
    for who in [&w.anon, &w.other] {
        let d = listed(who, w.school, id).await;
        assert_eq!(d["awaiting_moderation"], true, "{d}");
        assert_eq!(d["title"], "", "{d}");
        assert_eq!(d["file_name"], "", "{d}");
        assert!(d["download"].is_null(), "{d}");
        assert!(d["uploaded_by"].is_null(), "{d}");
        assert!(d["at"].is_string(), "since when: {d}");
        assert_eq!(who.bytes(&file).await.0, 404);
        let sheet = who
            .get(&format!("/api/v1/tenants/cem/objects/{}", w.school))
            .await;
        assert!(!sheet.text.contains("injurieuse"), "{}", sheet.text);
        let page = who.get(&format!("/t/cem/o/{}", w.school)).await;
        assert_eq!(page.status, 200);
        assert!(!page.text.contains("injurieuse"), "{}", page.text);
        assert!(
            page.text
                .contains("Un document attend la modération depuis le"),
            "{}",
            page.text
        );
    }
    // Its uploader and the Garant see it and its file.
    for who in [&w.citizen, &w.garant] {
        let d = listed(who, w.school, id).await;
        assert_eq!(
            (d["title"].as_str(), d["awaiting_moderation"].as_bool()),
            (Some("Lettre injurieuse au principal"), Some(false)),
            "{d}"
        );
        assert_eq!(d["download"], file.as_str());
        assert_eq!(
            who.bytes(&file).await,
            (200, "application/pdf".into(), pdf("one"))
        );
        let page = who.get(&format!("/t/cem/o/{}", w.school)).await;
        assert!(page.text.contains("injurieuse"), "{}", page.text);
    }

    // Only a moderator of this object decides, in this collective.
    let decide = format!("/api/v1/tenants/cem/documents/{id}/decision");
    assert_eq!(
        w.anon.post(&decide, json!({"accept": true})).await.status,
        401
    );
    let r = w.citizen.post(&decide, json!({"accept": true})).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = w
        .garant
        .post(
            &format!("/api/v1/tenants/autre/documents/{id}/decision"),
            json!({"accept": true}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(w.anon.bytes(&file).await.0, 404, "still pending");

    // Accepted: public.
    let r = w.garant.post(&decide, json!({"accept": true})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["state"], "accepted", "{}", r.text);
    let d = listed(&w.anon, w.school, id).await;
    assert_eq!(d["title"], "Lettre injurieuse au principal", "{d}");
    assert_eq!(d["decided_by"], "Gaëlle", "{d}");
    assert_eq!(w.anon.bytes(&file).await.0, 200);
    assert_eq!(w.other.bytes(&file).await.0, 200);
    // Decided once: history is not rewritten.
    let r = w
        .garant
        .post(&decide, json!({"accept": false, "reason": "Changé d'avis"}))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);

    // Refused: title and public reason kept, the file served to nobody but moderators.
    let r = w
        .citizen
        .upload(
            &path,
            &[("kind", "photo"), ("title", "Photo d'un élève")],
            "eleve.pdf",
            pdf("two"),
        )
        .await;
    let refused = r.body["id"].as_i64().unwrap();
    let rfile = format!("/api/v1/tenants/cem/documents/{refused}/file");
    let r = w
        .garant
        .post(
            &format!("/api/v1/tenants/cem/documents/{refused}/decision"),
            json!({"accept": false, "reason": "Photo d'un mineur reconnaissable"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["state"], "refused", "{}", r.text);
    for who in [&w.anon, &w.other, &w.citizen] {
        let d = listed(who, w.school, refused).await;
        assert_eq!(
            (
                d["state"].as_str(),
                d["title"].as_str(),
                d["refusal_reason"].as_str()
            ),
            (
                Some("refused"),
                Some("Photo d'un élève"),
                Some("Photo d'un mineur reconnaissable")
            ),
            "{d}"
        );
        assert!(d["download"].is_null(), "{d}");
        assert_eq!(who.bytes(&rfile).await.0, 404);
    }
    let page = w.anon.get(&format!("/t/cem/o/{}", w.school)).await;
    assert!(
        page.text.contains("Photo d&#x27;un mineur reconnaissable")
            || page.text.contains("Photo d'un mineur reconnaissable"),
        "{}",
        page.text
    );
    assert!(!page.text.contains(&rfile), "{}", page.text);
    assert_eq!(w.garant.bytes(&rfile).await.0, 200);

    // A moderator's upload is public at once.
    let r = w
        .garant
        .upload(
            &path,
            &[("kind", "asbestos_survey"), ("title", "DTA")],
            "dta.pdf",
            pdf("three"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["state"], "accepted", "{}", r.text);
    let d = listed(&w.anon, w.school, r.body["id"].as_i64().unwrap()).await;
    assert_eq!(d["title"], "DTA", "{d}");
    assert_eq!(w.anon.bytes(d["download"].as_str().unwrap()).await.0, 200);
    srv.stop().await;
}

both_backends!(citizen_documents_await_moderation);
