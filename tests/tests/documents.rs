//! Life events and documents of objects, over HTTP, on both databases; documents on the local
//! store and on a real S3-compatible server (SeaweedFS); photos lose their EXIF/GPS.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

#[path = "../../crates/vigie-media/tests/support/seaweedfs.rs"]
mod seaweedfs;

use serde_json::json;
use vigie_tests::{Backend, Client, PASSWORD, TestServer, both_backends, contains, jpeg_with_gps};

async fn setup(srv: &TestServer) -> (Client, Client, i64) {
    srv.operator_user("guru@vigie.test", "Guru", true)
        .await
        .unwrap();
    srv.operator_user("garant@vigie.test", "Gaëlle", false)
        .await
        .unwrap();
    let guru = srv.client();
    guru.sign_in("guru@vigie.test", PASSWORD).await;
    guru.post(
        "/api/v1/tenants",
        json!({"slug": "cem", "name": "CeM", "object_types": ["schools"]}),
    )
    .await;
    guru.post(
        "/api/v1/tenants",
        json!({"slug": "autre", "name": "Autre", "object_types": ["schools"]}),
    )
    .await;
    guru.post(
        "/api/v1/tenants/cem/garants",
        json!({"object_type": "schools", "email": "garant@vigie.test"}),
    )
    .await;
    let garant = srv.client();
    garant.sign_in("garant@vigie.test", PASSWORD).await;
    let school = srv
        .object("cem", "schools", "0131703F", "Collège Edouard Manet")
        .await;
    (guru, garant, school)
}

async fn life_events_are_moderated_in_the_open(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let (_guru, garant, school) = setup(&srv).await;
    let anon = srv.client();
    let path = format!("/api/v1/tenants/cem/objects/{school}/events");
    let r = anon
        .post(&path, json!({"kind": "strike", "title": "Grève", "starts_on": "2025-03-04", "contact_email": "p@example.org"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (r.body["state"].as_str(), r.body["provenance"].as_str()),
        (Some("pending"), Some("anonymous"))
    );
    let proposed = r.body["id"].as_i64().unwrap();
    // A Garant's event is published at once.
    let r = garant
        .post(
            &path,
            json!({"kind": "exceptional_closure", "title": "Fermeture pour inondation",
            "description": "Cour inondée", "starts_on": "2025-01-10", "ends_on": "2025-01-12"}),
        )
        .await;
    assert_eq!(r.body["state"], "accepted", "{}", r.text);
    for (body, field) in [
        (
            json!({"kind": "party", "title": "Fête", "starts_on": "2025-01-01"}),
            "kind",
        ),
        (
            json!({"kind": "works", "title": "Travaux", "starts_on": "01/02/2025"}),
            "starts_on",
        ),
        (
            json!({"kind": "works", "title": "Travaux", "starts_on": "2025-02-01", "ends_on": "2025-01-01"}),
            "ends_on",
        ),
        (
            json!({"kind": "works", "title": "", "starts_on": "2025-02-01"}),
            "title",
        ),
    ] {
        let r = anon.post(&path, body).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.body["error"]["field"], field, "{}", r.text);
    }
    let decide = format!("/api/v1/tenants/cem/events/{proposed}/decision");
    assert_eq!(
        anon.post(&decide, json!({"accept": true})).await.status,
        401
    );
    let r = garant
        .post(
            &decide,
            json!({"accept": false, "reason": "Pas de grève ce jour-là (source : rectorat)"}),
        )
        .await;
    assert_eq!(r.body["state"], "refused", "{}", r.text);
    let list = anon.get(&path).await;
    let events = list.body.as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["kind"], "exceptional_closure", "by date");
    assert_eq!(
        events[1]["refusal_reason"],
        "Pas de grève ce jour-là (source : rectorat)"
    );
    assert!(!list.text.contains("p@example.org"));
    // Not through another collective.
    assert_eq!(
        anon.get(&format!("/api/v1/tenants/autre/objects/{school}/events"))
            .await
            .status,
        404
    );
    assert_eq!(
        garant
            .post(
                &format!("/api/v1/tenants/autre/events/{proposed}/decision"),
                json!({"accept": true})
            )
            .await
            .status,
        404
    );
    srv.stop().await;
}

async fn documents_round_trip(srv: &TestServer) {
    let (_guru, garant, school) = setup(srv).await;
    let path = format!("/api/v1/tenants/cem/objects/{school}/documents");
    let photo = jpeg_with_gps();
    assert!(contains(&photo, b"Exif") && contains(&photo, &[0x88, 0x25]));
    // Anonymous visitors cannot attach files.
    let anon = srv.client();
    let r = anon
        .upload(
            &path,
            &[("kind", "photo"), ("title", "Préau")],
            "preau.jpg",
            photo.clone(),
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = garant
        .upload(
            &path,
            &[
                ("kind", "photo"),
                ("title", "Préau effondré"),
                ("document_date", "2025-02-03"),
            ],
            "préau.jpg",
            photo.clone(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["content_type"], "image/jpeg");
    assert_eq!(r.body["uploaded_by"], "Gaëlle");
    let download = r.body["download"].as_str().unwrap().to_owned();
    let (status, ct, bytes) = anon.bytes(&download).await;
    assert_eq!((status, ct.as_str()), (200, "image/jpeg"));
    assert!(!contains(&bytes, b"Exif"), "EXIF survived");
    assert!(!contains(&bytes, &[0x88, 0x25]), "the GPS pointer survived");
    assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 64);

    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
        .to_vec();
    let r = garant
        .upload(
            &path,
            &[
                ("kind", "asbestos_survey"),
                ("title", "Diagnostic amiante (DTA)"),
                ("source", "Demande CADA du 2024-03-01"),
            ],
            "dta.pdf",
            pdf.clone(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (_, ct, bytes) = anon.bytes(r.body["download"].as_str().unwrap()).await;
    assert_eq!((ct.as_str(), bytes), ("application/pdf", pdf));

    // Refusals: unknown type, bad kind.
    let r = garant
        .upload(
            &path,
            &[("kind", "photo"), ("title", "Texte")],
            "x.txt",
            b"hello".to_vec(),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("JPEG"), "{}", r.text);
    let r = garant
        .upload(
            &path,
            &[("kind", "selfie"), ("title", "Moi")],
            "p.jpg",
            photo,
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (400, Some("kind"))
    );

    let list = anon.get(&path).await;
    assert_eq!(list.body.as_array().unwrap().len(), 2);
    assert_eq!(list.body[0]["kind"], "asbestos_survey");
    assert_eq!(
        anon.get(&format!("/api/v1/tenants/autre/objects/{school}/documents"))
            .await
            .status,
        404
    );
    let id = list.body[0]["id"].as_i64().unwrap();
    assert_eq!(
        anon.get(&format!("/api/v1/tenants/autre/documents/{id}/file"))
            .await
            .status,
        404
    );
}

async fn documents_on_the_local_store(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    documents_round_trip(&srv).await;
    assert!(srv.settings.storage.data_dir.join("files/tenants").exists());
    srv.stop().await;
}

async fn documents_on_s3(backend: Backend) {
    let Some(s3) = seaweedfs::SeaweedFs::start() else {
        return;
    };
    let url = format!(
        "s3://{}?endpoint={}&region=us-east-1",
        s3.bucket, s3.endpoint
    );
    let srv = TestServer::start_with(backend, |s| {
        s.media.store = url;
        s.media.s3_access_key_id = seaweedfs::ACCESS_KEY_ID.into();
        s.media.s3_secret_access_key = seaweedfs::SECRET_ACCESS_KEY.into();
    })
    .await
    .unwrap();
    documents_round_trip(&srv).await;
    assert!(
        !srv.settings.storage.data_dir.join("files").exists(),
        "nothing went to the local folder"
    );
    srv.stop().await;
}

both_backends!(
    life_events_are_moderated_in_the_open,
    documents_on_the_local_store,
    documents_on_s3
);
