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

/// A Guru sets the language of the collective's messages to people without an account and
/// the licence of its open data: contacts and typed addresses are written to in it, and
/// every export names the licence.
async fn a_collective_writes_in_its_language_under_its_licence(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let cem = srv.collective("cem", &["schools"]).await;
    srv.operator_user("citizen@example.org", "Céline", false)
        .await
        .unwrap();
    let citizen = srv.client();
    citizen.sign_in("citizen@example.org", PASSWORD).await;
    let r = cem
        .guru
        .post(
            "/api/v1/tenants",
            json!({"slug": "autre", "name": "Autre", "object_types": ["schools"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    // French and the Licence Ouverte until told otherwise.
    let r = srv.client().get("/api/v1/tenants/cem").await;
    assert_eq!(r.body["language"], "fr");
    assert_eq!(r.body["licence"]["id"], "etalab-2.0");

    async fn put(client: &vigie_tests::Client, body: serde_json::Value) -> vigie_tests::Reply {
        client
            .call("PUT", "/api/v1/tenants/cem/publication", Some(body))
            .await
    }
    let english = json!({"language": "en", "licence": "odbl-1.0"});
    assert_eq!(put(&srv.client(), english.clone()).await.status, 401);
    let r = put(&citizen, english.clone()).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = put(&cem.garant, english.clone()).await;
    assert_eq!(r.status, 403, "a Garant does not set it: {}", r.text);
    let r = put(&cem.guru, json!({"language": "de", "licence": "odbl-1.0"})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "language", "{}", r.text);
    let r = put(&cem.guru, json!({"language": "en", "licence": "mit"})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "licence", "{}", r.text);
    assert!(
        r.text.contains("etalab-2.0") && r.text.contains("cc0-1.0"),
        "{}",
        r.text
    );
    let r = put(&cem.guru, english).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["language"], "en");
    assert_eq!(r.body["licence"]["id"], "odbl-1.0");
    assert_eq!(
        r.body["licence"]["url"],
        "https://opendatacommons.org/licenses/odbl/1-0/"
    );

    // Every export names it; the other collective keeps the default.
    let anon = srv.client();
    let r = anon.get("/api/v1/tenants/cem/exports").await;
    assert_eq!(r.body["licence"]["id"], "odbl-1.0", "{}", r.text);
    let r = anon.get("/api/v1/catalog.jsonld").await;
    assert_eq!(r.status, 200, "{}", r.text);
    for dataset in r.body["dcat:dataset"].as_array().unwrap() {
        let id = dataset["dct:identifier"].as_str().unwrap();
        let licence = dataset["dct:license"]["@id"].as_str().unwrap();
        if id.starts_with("cem/") {
            assert_eq!(
                licence, "https://opendatacommons.org/licenses/odbl/1-0/",
                "{id}"
            );
        } else if id.starts_with("autre/") {
            assert_eq!(
                licence, "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
                "{id}"
            );
        }
        for file in dataset["dcat:distribution"].as_array().unwrap() {
            assert_eq!(file["dct:license"], dataset["dct:license"], "{id}");
        }
    }

    // A typed address and a contact are written to in English.
    let school = srv
        .object("cem", "schools", "0130001A", "École Chartreux")
        .await;
    let r = anon
        .post(
            &format!("/api/v1/tenants/cem/objects/{school}/requests"),
            json!({
                "kind": "intervention",
                "categories": ["cem/toilets"],
                "title": "Toilettes bouchées",
                "description": "Les toilettes du premier étage sont bouchées depuis lundi.",
                "fields": {"location": "1er étage"},
                "contact_email": "parent.anonyme@example.org",
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["request"]["id"].as_i64().unwrap();
    let mails = srv.wait_for_mails_to("parent.anonyme@example.org").await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains(&format!("Your request no. {id}")),
        "{}",
        mails[0]
    );
    let r = cem
        .garant
        .post(
            "/api/v1/tenants/cem/object-types/schools/contacts",
            json!({"name": "Jean Travaux", "role_title": "Works", "email": "jean@marseille.example"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let contact = r.body["id"].as_i64().unwrap();
    let r = cem
        .garant
        .post(
            &format!("/api/v1/tenants/cem/requests/{id}/assignees"),
            json!({"contact_id": contact}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let mails = srv.wait_for_mails_to("jean@marseille.example").await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains("See the request and answer it"),
        "{}",
        mails[0]
    );
    assert!(!mails[0].contains("Voir la demande"), "{}", mails[0]);

    // The settings page shows and saves the same choice.
    let r = cem.guru.get("/t/cem/admin").await;
    assert_eq!(r.status, 200);
    assert!(
        r.text.contains(r#"<option value="odbl-1.0" selected>"#),
        "{}",
        r.text
    );
    let r = cem
        .guru
        .form(
            "/t/cem/admin/publication",
            &[("language", "fr"), ("licence", "cc-by-4.0")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let r = anon.get("/api/v1/tenants/cem").await;
    assert_eq!(
        (
            r.body["language"].as_str(),
            r.body["licence"]["id"].as_str()
        ),
        (Some("fr"), Some("cc-by-4.0"))
    );
    let r = cem
        .guru
        .form(
            "/t/cem/admin/publication",
            &[("language", "fr"), ("licence", "wtfpl")],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("licence connue"), "{}", r.text);
    srv.stop().await;
}

both_backends!(
    guru_opens_collectives_and_appoints_garants,
    gurus_appoint_gurus,
    a_collective_writes_in_its_language_under_its_licence,
);
