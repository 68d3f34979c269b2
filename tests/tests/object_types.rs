//! Object types over HTTP: what the plugins declare, and the citizen fields Garants add for
//! their collective only.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::json;
use vigie_tests::{Backend, PASSWORD, TestServer, both_backends};

async fn plugins_are_listed_and_inspectable(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let c = srv.client();
    let r = c.get("/api/v1/object-types").await;
    assert_eq!(r.status, 200);
    let keys: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["libraries", "parks", "schools"]);
    assert_eq!(r.body[2]["plural_name"]["fr"], "Écoles");
    let m = c.get("/api/v1/object-types/schools").await;
    assert_eq!(m.status, 200);
    assert_eq!(m.body["identifier"]["key"], "uai");
    assert!(
        m.body["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["key"] == "atsem")
    );
    assert!(m.body["request_kinds"].as_array().unwrap().len() >= 5);
    assert_eq!(c.get("/api/v1/object-types/rockets").await.status, 404);
    srv.stop().await;
}

async fn garants_extend_the_citizen_schema(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    srv.operator_user("guru@vigie.test", "Guru", true)
        .await
        .unwrap();
    srv.operator_user("garant@vigie.test", "Gaëlle", false)
        .await
        .unwrap();
    srv.operator_user("citizen@vigie.test", "Céline", false)
        .await
        .unwrap();
    let guru = srv.client();
    guru.sign_in("guru@vigie.test", PASSWORD).await;
    for slug in ["alpha", "beta"] {
        let r = guru
            .post(
                "/api/v1/tenants",
                json!({"slug": slug, "name": slug, "object_types": ["schools", "parks"]}),
            )
            .await;
        assert_eq!(r.status, 201);
        let r = guru
            .post(
                &format!("/api/v1/tenants/{slug}/garants"),
                json!({"object_type": "schools", "email": "garant@vigie.test"}),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    // The Garant of alpha/schools only in alpha… revoke beta's to make the point.
    let garant_id = guru.get("/api/v1/tenants/beta/roles").await.body["holders"][0]["user"]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        guru.delete(&format!("/api/v1/tenants/beta/garants/schools/{garant_id}"))
            .await
            .status,
        200
    );

    let garant = srv.client();
    garant.sign_in("garant@vigie.test", PASSWORD).await;
    let field = json!({
        "key": "covered-playground", "kind": "boolean",
        "label": {"fr": "Préau couvert", "en": "Covered playground"},
        "help": {"fr": "Un préau protège-t-il de la pluie ?", "en": "Is there a shelter from rain?"},
        "group": "premises"
    });
    let r = garant
        .post(
            "/api/v1/tenants/alpha/object-types/schools/fields",
            field.clone(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["added_by"], "Gaëlle");
    assert_eq!(r.body["definition"]["origin"], "citizen");

    // Bad fields are explained; a plugin's own key is taken; twice is refused.
    for (body, needle) in [
        (
            json!({"key": "atsem", "kind": "integer", "label": {"fr": "A", "en": "A"}}),
            "already a field",
        ),
        (
            json!({"key": "x1", "kind": "colour", "label": {"fr": "A", "en": "A"}}),
            "unknown kind",
        ),
        (
            json!({"key": "Bad Key", "kind": "text", "label": {"fr": "A", "en": "A"}}),
            "not of the form",
        ),
        (
            json!({"key": "n", "kind": "integer", "min": 5, "max": 1, "label": {"fr": "A", "en": "A"}}),
            "above max",
        ),
        (
            json!({"key": "c", "kind": "choice", "label": {"fr": "A", "en": "A"}}),
            "without options",
        ),
        (
            json!({"key": "t", "kind": "text", "label": {"fr": "", "en": "A"}}),
            "French and the English",
        ),
        (
            json!({"key": "g", "kind": "text", "group": "nowhere", "label": {"fr": "A", "en": "A"}}),
            "not declared",
        ),
        (field.clone(), "already added"),
    ] {
        let r = garant
            .post("/api/v1/tenants/alpha/object-types/schools/fields", body)
            .await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.text.contains(needle), "no '{needle}' in {}", r.text);
    }
    // Not in another collective, not for another type, not as a citizen.
    assert_eq!(
        garant
            .post(
                "/api/v1/tenants/beta/object-types/schools/fields",
                field.clone()
            )
            .await
            .status,
        403
    );
    assert_eq!(
        garant
            .post(
                "/api/v1/tenants/alpha/object-types/parks/fields",
                field.clone()
            )
            .await
            .status,
        403
    );
    let citizen = srv.client();
    citizen.sign_in("citizen@vigie.test", PASSWORD).await;
    assert_eq!(
        citizen
            .post(
                "/api/v1/tenants/alpha/object-types/schools/fields",
                field.clone()
            )
            .await
            .status,
        403
    );
    assert_eq!(
        srv.client()
            .post("/api/v1/tenants/alpha/object-types/schools/fields", field)
            .await
            .status,
        401
    );
    // Types the collective does not enable are unknown there.
    let r = guru
        .get("/api/v1/tenants/alpha/object-types/libraries/schema")
        .await;
    assert_eq!(r.status, 400, "{}", r.text);

    // The schema of alpha has it, beta's does not.
    let alpha = srv
        .client()
        .get("/api/v1/tenants/alpha/object-types/schools/schema")
        .await;
    let fields = alpha.body["fields"].as_array().unwrap();
    let last = fields.last().unwrap();
    assert_eq!(last["field"]["key"], "covered-playground");
    assert_eq!(last["added"]["by"], "Gaëlle");
    assert!(
        fields
            .iter()
            .any(|f| f["field"]["key"] == "pupils" && f["field"]["origin"] == "official")
    );
    let beta = srv
        .client()
        .get("/api/v1/tenants/beta/object-types/schools/schema")
        .await;
    assert!(!beta.text.contains("covered-playground"));

    // Retiring keeps the history.
    let r = garant
        .delete("/api/v1/tenants/alpha/object-types/schools/fields/covered-playground")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["retired_at"].is_string());
    assert_eq!(
        garant
            .delete("/api/v1/tenants/alpha/object-types/schools/fields/covered-playground")
            .await
            .status,
        404
    );
    let alpha = srv
        .client()
        .get("/api/v1/tenants/alpha/object-types/schools/schema")
        .await;
    assert!(!alpha.text.contains("covered-playground"));
    let history = srv
        .client()
        .get("/api/v1/tenants/alpha/object-types/schools/fields")
        .await;
    assert_eq!(history.body.as_array().unwrap().len(), 1);
    assert_eq!(history.body[0]["retired_by"], "Gaëlle");
    srv.stop().await;
}

both_backends!(
    plugins_are_listed_and_inspectable,
    garants_extend_the_citizen_schema
);
