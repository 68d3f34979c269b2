//! Collectives and role grants over HTTP, and isolation between collectives.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::json;
use vigie_tests::{Backend, PASSWORD, TestServer, both_backends};

async fn guru_opens_collectives_and_appoints_garants(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    srv.operator_user("guru@vigie.test", "Grand Guru", true)
        .await
        .unwrap();
    let garant_id = srv
        .operator_user("garant@example.org", "Gaëlle Garant", false)
        .await
        .unwrap();
    srv.operator_user("citizen@example.org", "Céline", false)
        .await
        .unwrap();
    let guru = srv.client();
    guru.sign_in("guru@vigie.test", PASSWORD).await;
    let citizen = srv.client();
    citizen.sign_in("citizen@example.org", PASSWORD).await;
    let anon = srv.client();

    let cem = json!({
        "slug": "ecoles-marseille", "name": "Écoles de Marseille",
        "description": "Collectif des écoles", "object_types": ["schools", "libraries"],
        "official_domains": ["marseille.fr", "@AC-Aix-Marseille.fr"],
        "map": {"latitude": 43.3, "longitude": 5.4, "zoom": 12}
    });
    // Only a Guru opens a collective.
    assert_eq!(anon.post("/api/v1/tenants", cem.clone()).await.status, 401);
    let r = citizen.post("/api/v1/tenants", cem.clone()).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.code(), "forbidden");
    let r = guru.post("/api/v1/tenants", cem.clone()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.body["official_domains"],
        json!(["ac-aix-marseille.fr", "marseille.fr"])
    );
    assert_eq!(guru.post("/api/v1/tenants", cem).await.status, 409);

    // Bad input: each answer names the field and what to do.
    for (body, field) in [
        (
            json!({"slug": "Bad Slug", "name": "x", "object_types": ["schools"]}),
            "slug",
        ),
        (
            json!({"slug": "ok-slug", "name": "x", "object_types": ["spaceships"]}),
            "object_types",
        ),
        (
            json!({"slug": "ok-slug", "name": "x", "object_types": []}),
            "object_types",
        ),
        (
            json!({"slug": "ok-slug", "name": "x", "object_types": ["schools"], "official_domains": ["nodot"]}),
            "official_domains",
        ),
        (
            json!({"slug": "ok-slug", "name": "x", "object_types": ["schools"], "map": {"latitude": 99, "longitude": 5, "zoom": 3}}),
            "map.latitude",
        ),
        (
            json!({"slug": "ok-slug", "name": " ", "object_types": ["schools"]}),
            "name",
        ),
    ] {
        let r = guru.post("/api/v1/tenants", body).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.body["error"]["field"], field, "{}", r.text);
        // Said in French too.
        assert!(
            r.body["error"]["message_fr"]
                .as_str()
                .is_some_and(|m| m.len() > 10),
            "no French in {}",
            r.text
        );
    }
    // Missing fields and wrong types are parse errors in the same envelope.
    let r = guru.post("/api/v1/tenants", json!({"slug": 3})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "invalid_body");

    let r = guru
        .post(
            "/api/v1/tenants",
            json!({"slug": "parcs-lyon", "name": "Parcs de Lyon", "object_types": ["parks", "schools"]}),
        )
        .await;
    assert_eq!(r.status, 201);

    // The Guru appoints a Garant through the API, by e-mail.
    let r = guru
        .post(
            "/api/v1/tenants/ecoles-marseille/garants",
            json!({"object_type": "schools", "email": "garant@example.org"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["user"]["display_name"], "Gaëlle Garant");
    assert_eq!(r.body["decided_by"], "Grand Guru");
    // Twice is a conflict; a type the collective does not enable is refused.
    let again = guru
        .post(
            "/api/v1/tenants/ecoles-marseille/garants",
            json!({"object_type": "schools", "user_id": garant_id}),
        )
        .await;
    assert_eq!(again.status, 409);
    let r = guru
        .post(
            "/api/v1/tenants/ecoles-marseille/garants",
            json!({"object_type": "parks", "user_id": garant_id}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("does not enable"));
    // Citizens cannot appoint.
    let r = citizen
        .post(
            "/api/v1/tenants/ecoles-marseille/garants",
            json!({"object_type": "schools", "email": "citizen@example.org"}),
        )
        .await;
    assert_eq!(r.status, 403);

    // The Garant certifies a citizen for one school of its type and collective…
    let school = srv
        .object(
            "ecoles-marseille",
            "schools",
            "0131703F",
            "Collège Edouard Manet",
        )
        .await;
    let other_school = srv
        .object(
            "ecoles-marseille",
            "schools",
            "0130136C",
            "Collège Vieux Port",
        )
        .await;
    let library = srv
        .object("ecoles-marseille", "libraries", "LI13055", "Bibliothèque")
        .await;
    srv.object("parcs-lyon", "schools", "0690001A", "École de Lyon")
        .await;
    let garant = srv.client();
    garant.sign_in("garant@example.org", PASSWORD).await;
    let r = garant
        .post(
            "/api/v1/tenants/ecoles-marseille/certifications",
            json!({"object_type": "schools", "object_id": school, "email": "citizen@example.org"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // An object that does not exist (or is of another type) cannot be certified for.
    let r = garant
        .post(
            "/api/v1/tenants/ecoles-marseille/certifications",
            json!({"object_type": "schools", "object_id": 99999, "email": "citizen@example.org"}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    // …but not for another type, nor in another collective.
    let r = garant
        .post(
            "/api/v1/tenants/ecoles-marseille/certifications",
            json!({"object_type": "libraries", "object_id": library, "email": "citizen@example.org"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = garant
        .post(
            "/api/v1/tenants/parcs-lyon/certifications",
            json!({"object_type": "schools", "object_id": 7, "email": "citizen@example.org"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    // A certified citizen cannot certify others.
    let r = citizen
        .post(
            "/api/v1/tenants/ecoles-marseille/certifications",
            json!({"object_type": "schools", "object_id": school, "email": "guru@vigie.test"}),
        )
        .await;
    assert_eq!(r.status, 403);

    // The public record lists names, never e-mails, and only this collective's grants.
    let r = anon.get("/api/v1/tenants/ecoles-marseille/roles").await;
    assert_eq!(r.status, 200);
    assert!(!r.text.contains('@'), "an e-mail leaked: {}", r.text);
    assert_eq!(r.body["holders"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["events"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["events"][1]["decided_by"], "Gaëlle Garant");
    assert_eq!(r.body["holders"][0]["role"], "certified");
    assert_eq!(r.body["holders"][0]["object_id"], school);
    let other = anon.get("/api/v1/tenants/parcs-lyon/roles").await;
    assert_eq!(other.body["events"], json!([]));
    // So does the web page.
    let page = anon.get("/t/ecoles-marseille/roles").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Gaëlle Garant") && !page.text.contains("garant@example.org"));

    // My roles, as the certified citizen sees them.
    let mine = citizen.get("/api/v1/tenants/ecoles-marseille/me").await;
    assert_eq!(
        mine.body["granted"][0]["role"], "certified",
        "{}",
        mine.text
    );
    let mine = citizen.get("/api/v1/tenants/parcs-lyon/me").await;
    assert_eq!(mine.body["granted"], json!([]));

    // Revoking through another collective's path finds nothing; through its own, works.
    let path = format!("/api/v1/tenants/parcs-lyon/garants/schools/{garant_id}");
    let r = guru.delete(&path).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let path = format!("/api/v1/tenants/ecoles-marseille/garants/schools/{garant_id}");
    assert_eq!(citizen.delete(&path).await.status, 403);
    let r = guru.delete(&path).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["action"], "revoke");
    assert_eq!(guru.delete(&path).await.status, 404);
    // The former Garant has lost the power at once.
    let r = garant
        .post(
            "/api/v1/tenants/ecoles-marseille/certifications",
            json!({"object_type": "schools", "object_id": other_school, "email": "citizen@example.org"}),
        )
        .await;
    assert_eq!(r.status, 403);
    // The record keeps the whole story.
    let r = anon.get("/api/v1/tenants/ecoles-marseille/roles").await;
    assert_eq!(r.body["events"].as_array().unwrap().len(), 3);
    assert_eq!(r.body["holders"].as_array().unwrap().len(), 1);

    // Unknown collective: 404 in the envelope.
    let r = anon.get("/api/v1/tenants/nowhere").await;
    assert_eq!((r.status, r.code()), (404, "not_found"));
    srv.stop().await;
}

async fn gurus_appoint_gurus(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    srv.operator_user("guru@vigie.test", "Guru One", true)
        .await
        .unwrap();
    let second = srv
        .operator_user("two@vigie.test", "Guru Two", false)
        .await
        .unwrap();
    let one = srv.client();
    one.sign_in("guru@vigie.test", PASSWORD).await;
    let two = srv.client();
    two.sign_in("two@vigie.test", PASSWORD).await;
    assert_eq!(
        two.post("/api/v1/platform/gurus", json!({"user_id": second}))
            .await
            .status,
        403
    );
    let r = one
        .post("/api/v1/platform/gurus", json!({"user_id": second}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = two
        .post(
            "/api/v1/tenants",
            json!({"slug": "bibs", "name": "Bibliothèques", "object_types": ["libraries"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = one
        .post(
            "/api/v1/platform/gurus",
            json!({"user_id": second, "email": "x@y.fr"}),
        )
        .await;
    assert_eq!(r.status, 400);
    let list = srv.client().get("/api/v1/platform/gurus").await;
    assert_eq!(list.body["holders"].as_array().unwrap().len(), 2);
    assert!(!list.text.contains('@'));
    srv.stop().await;
}

both_backends!(
    guru_opens_collectives_and_appoints_garants,
    gurus_appoint_gurus
);
