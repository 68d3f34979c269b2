//! Observed objects over HTTP: official imports, contributions and their open moderation,
//! private contact details, isolation between collectives.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::{Value, json};
use vigie_tests::{Backend, Client, PASSWORD, TestServer, both_backends, shared_data};

/// A collective "cem" (schools) with a Guru and a Garant of schools, plus "autre".
async fn setup(srv: &TestServer) -> (Client, Client) {
    srv.operator_user("guru@vigie.test", "Guru", true)
        .await
        .unwrap();
    srv.operator_user("garant@vigie.test", "Gaëlle Garant", false)
        .await
        .unwrap();
    let guru = srv.client();
    guru.sign_in("guru@vigie.test", PASSWORD).await;
    for slug in ["cem", "autre"] {
        let r = guru
            .post(
                "/api/v1/tenants",
                json!({"slug": slug, "name": slug, "object_types": ["schools"]}),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    let r = guru
        .post(
            "/api/v1/tenants/cem/garants",
            json!({"object_type": "schools", "email": "garant@vigie.test"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let garant = srv.client();
    garant.sign_in("garant@vigie.test", PASSWORD).await;
    (guru, garant)
}

async fn import(c: &Client, slug: &str, file: &str) -> Value {
    let bytes = std::fs::read(shared_data(file)).unwrap();
    let r = c
        .upload(
            &format!("/api/v1/tenants/{slug}/imports"),
            &[("object_type", "schools")],
            file,
            bytes,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

async fn official_imports(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let (guru, garant) = setup(&srv).await;
    srv.operator_user("citizen@vigie.test", "Céline", false)
        .await
        .unwrap();
    let citizen = srv.client();
    citizen.sign_in("citizen@vigie.test", PASSWORD).await;

    // Only the type's Garant (or a Guru) imports.
    let bytes = std::fs::read(shared_data(
        "marseille_colleges_adresse_geolocalisation.csv",
    ))
    .unwrap();
    let r = citizen
        .upload(
            "/api/v1/tenants/cem/imports",
            &[("object_type", "schools")],
            "f.csv",
            bytes,
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);

    let first = import(
        &garant,
        "cem",
        "marseille_colleges_adresse_geolocalisation.csv",
    )
    .await;
    assert_eq!(first["importer"], "education-geolocation");
    assert_eq!(
        (first["created"].as_i64(), first["rejected"].as_i64()),
        (Some(102), Some(0)),
        "{first}"
    );
    let objects = citizen.get("/api/v1/tenants/cem/objects").await;
    assert_eq!(objects.body.as_array().unwrap().len(), 102);
    // Again: nothing changes.
    let again = import(
        &garant,
        "cem",
        "marseille_colleges_adresse_geolocalisation.csv",
    )
    .await;
    assert_eq!(
        (
            again["created"].as_i64(),
            again["updated"].as_i64(),
            again["unchanged"].as_i64(),
            again["facts_added"].as_i64()
        ),
        (Some(0), Some(0), Some(102), Some(0)),
        "{again}"
    );
    // The other collective has none of it.
    assert_eq!(
        guru.get("/api/v1/tenants/autre/objects").await.body,
        json!([])
    );

    // The enrolment extract adds two vintages of official facts to the schools it covers.
    let eff = import(
        &garant,
        "cem",
        "marseille_ecoles_effectifs_2024_2025_extrait.csv",
    )
    .await;
    assert_eq!(eff["importer"], "education-enrolment");
    assert_eq!(eff["rejected"], 0, "{eff}");
    assert!(eff["facts_added"].as_i64().unwrap() >= 119 * 2, "{eff}");
    let list = citizen.get("/api/v1/tenants/cem/objects").await;
    let felix = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["identifier"] == "0130566V")
        .unwrap();
    let sheet = citizen
        .get(&format!("/api/v1/tenants/cem/objects/{}", felix["id"]))
        .await;
    assert!(
        sheet.body["vintages"]
            .as_array()
            .unwrap()
            .contains(&json!("2024-2025")),
        "{}",
        sheet.text
    );
    let pupils = &sheet.body["current"]["2024-2025"]["pupils"];
    assert_eq!(pupils["value"], json!({"integer": 213}), "{}", sheet.text);
    assert_eq!(pupils["provenance"], "official_import");
    assert!(
        sheet.body["indicators"]["2024-2025"]["pupils-per-class"]
            .as_f64()
            .unwrap()
            > 17.0
    );
    let both = eff["updated"].as_i64().unwrap() + eff["created"].as_i64().unwrap();
    assert!(both > 0);
    // Re-importing it changes nothing either.
    let eff2 = import(
        &garant,
        "cem",
        "marseille_ecoles_effectifs_2024_2025_extrait.csv",
    )
    .await;
    assert_eq!(eff2["facts_added"], 0, "{eff2}");

    // A file no importer recognises is refused with the columns expected.
    let r = garant
        .upload(
            "/api/v1/tenants/cem/imports",
            &[("object_type", "schools")],
            "x.csv",
            b"foo;bar\n1;2\n".to_vec(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text.contains("numero_uai"), "{}", r.text);
    srv.stop().await;
}

async fn contributions_and_moderation(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let (guru, garant) = setup(&srv).await;
    let a = srv
        .object("cem", "schools", "0131703F", "Collège Edouard Manet")
        .await;
    let b = srv
        .object("cem", "schools", "0130136C", "Collège Vieux Port")
        .await;
    let elsewhere = srv
        .object("autre", "schools", "0130566V", "École Félix Pyat")
        .await;
    for (email, name, object) in [
        ("relay.a@vigie.test", "Relais A", a),
        ("relay.b@vigie.test", "Relais B", b),
    ] {
        srv.operator_user(email, name, false).await.unwrap();
        let r = garant
            .post(
                "/api/v1/tenants/cem/certifications",
                json!({"object_type": "schools", "object_id": object, "email": email}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let relay_a = srv.client();
    relay_a.sign_in("relay.a@vigie.test", PASSWORD).await;
    let relay_b = srv.client();
    relay_b.sign_in("relay.b@vigie.test", PASSWORD).await;
    let anon = srv.client();
    let path = format!("/api/v1/tenants/cem/objects/{a}/contributions");

    // Validators first: field-level messages in both languages.
    let r = anon
        .post(
            &path,
            json!({"vintage": "2024", "values": [
            {"field": "nursery-classes", "value": 2}, {"field": "atsem", "value": 5}]}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let details = r.body["error"]["details"].as_array().unwrap();
    assert!(details.iter().any(|d| d["field"] == "atsem"), "{}", r.text);
    assert!(details[0]["message_fr"].as_str().unwrap().len() > 5);
    for (body, needle) in [
        (
            json!({"vintage": "2024", "values": [{"field": "pupils", "value": 300}]}),
            "official",
        ),
        (
            json!({"vintage": "2024", "values": [{"field": "rockets", "value": 1}]}),
            "not a field",
        ),
        (
            json!({"vintage": "1800", "values": [{"field": "atsem", "value": 1}]}),
            "vintage",
        ),
        (
            json!({"vintage": "2024", "values": [{"field": "atsem", "value": "three"}]}),
            "whole number",
        ),
        (
            json!({"vintage": "2024", "values": [{"field": "atsem", "value": -1}]}),
            "atsem",
        ),
        (
            json!({"vintage": "2024", "values": [{"field": "atsem", "value": 1}], "contact_email": "nope"}),
            "e-mail",
        ),
    ] {
        let r = anon.post(&path, body).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.text.contains(needle), "no '{needle}' in {}", r.text);
        // The pages are French first: every refusal says it in French too.
        let fr = r.body["error"]["message_fr"]
            .as_str()
            .or_else(|| r.body["error"]["details"][0]["message_fr"].as_str())
            .unwrap_or_default();
        assert!(fr.len() > 10, "no French in {}", r.text);
    }

    // An anonymous proposal with a private contact e-mail: pending and public, contact hidden.
    let r = anon
        .post(
            &path,
            json!({"vintage": "2024-2025", "values": [{"field": "atsem", "value": 3}],
            "source": "https://example.org/pv-conseil-ecole", "contact_email": "Parent@Example.org",
            "contact_phone": "06 12 34 56 78"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let first = r.body[0]["id"].as_i64().unwrap();
    assert_eq!(r.body[0]["state"], "pending");
    assert_eq!(r.body[0]["provenance"], "anonymous");
    let pending = srv.client().get("/api/v1/tenants/cem/contributions").await;
    assert_eq!(pending.body.as_array().unwrap().len(), 1);
    assert!(
        !pending.text.contains("example.org/pv") || !pending.text.contains("Parent@"),
        "{}",
        pending.text
    );
    assert!(
        !pending.text.to_lowercase().contains("parent@example.org"),
        "a contact leaked"
    );
    assert!(!pending.text.contains("06 12"), "a phone leaked");

    // The Certified citizen of another object may not decide; the one of this object may.
    let decide = format!("/api/v1/tenants/cem/contributions/{first}/decision");
    assert_eq!(
        relay_b.post(&decide, json!({"accept": true})).await.status,
        403
    );
    assert_eq!(
        anon.post(&decide, json!({"accept": true})).await.status,
        401
    );
    let r = relay_a.post(&decide, json!({"accept": true})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["state"], "accepted");
    assert_eq!(r.body["decision"]["decided_by"], "Relais A");
    assert_eq!(
        relay_a
            .post(&decide, json!({"accept": false, "reason": "trop tard"}))
            .await
            .status,
        409
    );

    let sheet = anon.get(&format!("/api/v1/tenants/cem/objects/{a}")).await;
    assert_eq!(
        sheet.body["current"]["2024-2025"]["atsem"]["value"],
        json!({"integer": 3})
    );

    // A correction by a signed-in citizen: accepted, it becomes current; the first stays in history.
    srv.operator_user("citizen@vigie.test", "Céline", false)
        .await
        .unwrap();
    let citizen = srv.client();
    citizen.sign_in("citizen@vigie.test", PASSWORD).await;
    let r = citizen
        .post(
            &path,
            json!({"vintage": "2024-2025", "values": [{"field": "atsem", "value": 4}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let second = r.body[0]["id"].as_i64().unwrap();
    assert_eq!(r.body[0]["author"], "Céline");
    let r = garant
        .post(
            &format!("/api/v1/tenants/cem/contributions/{second}/decision"),
            json!({"accept": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let sheet = anon.get(&format!("/api/v1/tenants/cem/objects/{a}")).await;
    assert_eq!(
        sheet.body["current"]["2024-2025"]["atsem"]["value"],
        json!({"integer": 4})
    );
    let atsem_history: Vec<&Value> = sheet.body["facts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["field"] == "atsem")
        .collect();
    assert_eq!(atsem_history.len(), 2);
    assert_eq!(atsem_history[0]["value"], json!({"integer": 3}));

    // A refusal needs a reason and stays public with it.
    let r = anon
        .post(
            &path,
            json!({"vintage": "2024-2025", "values": [{"field": "teachers", "value": 9}]}),
        )
        .await;
    let third = r.body[0]["id"].as_i64().unwrap();
    let d3 = format!("/api/v1/tenants/cem/contributions/{third}/decision");
    let r = relay_a.post(&d3, json!({"accept": false})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"]["field"], "reason");
    let r = relay_a
        .post(
            &d3,
            json!({"accept": false, "reason": "Aucune source : 7 enseignants selon le PV"}),
        )
        .await;
    assert_eq!(r.body["state"], "refused");
    let sheet = anon.get(&format!("/api/v1/tenants/cem/objects/{a}")).await;
    let refused = sheet.body["facts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == third)
        .unwrap();
    assert_eq!(refused["state"], "refused");
    assert_eq!(
        refused["decision"]["reason"],
        "Aucune source : 7 enseignants selon le PV"
    );
    assert!(sheet.body["current"]["2024-2025"].get("teachers").is_none());
    assert!(!sheet.text.to_lowercase().contains("parent@example.org"));

    // Contact details: the Garant only.
    let contact = format!("/api/v1/tenants/cem/contributions/{first}/contact");
    let r = garant.get(&contact).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["contact_email"], "parent@example.org");
    assert_eq!(r.body["contact_phone"], "06 12 34 56 78");
    let r = garant
        .get(&format!(
            "/api/v1/tenants/cem/contributions/{second}/contact"
        ))
        .await;
    assert_eq!(r.body["account_email"], "citizen@vigie.test");
    for who in [&relay_a, &citizen, &guru] {
        assert_eq!(who.get(&contact).await.status, 403);
    }
    assert_eq!(anon.get(&contact).await.status, 401);

    // Isolation: another collective's object is not reachable through this one, and back.
    assert_eq!(
        anon.get(&format!("/api/v1/tenants/cem/objects/{elsewhere}"))
            .await
            .status,
        404
    );
    assert_eq!(
        anon.get(&format!("/api/v1/tenants/autre/objects/{a}"))
            .await
            .status,
        404
    );
    let r = anon
        .post(
            &format!("/api/v1/tenants/autre/objects/{a}/contributions"),
            json!({"vintage": "2024", "values": [{"field": "atsem", "value": 1}]}),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        garant
            .post(
                &format!("/api/v1/tenants/autre/contributions/{first}/decision"),
                json!({"accept": true})
            )
            .await
            .status,
        404
    );
    assert_eq!(
        garant
            .get(&format!(
                "/api/v1/tenants/autre/contributions/{first}/contact"
            ))
            .await
            .status,
        404
    );
    srv.stop().await;
}

async fn anonymous_contributions_are_rate_limited(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    setup(&srv).await;
    let a = srv
        .object("cem", "schools", "0131703F", "Collège Edouard Manet")
        .await;
    let anon = srv.client();
    let path = format!("/api/v1/tenants/cem/objects/{a}/contributions");
    let body = json!({"vintage": "2024", "values": [{"field": "teachers", "value": 10}]});
    for _ in 0..20 {
        assert_eq!(anon.post(&path, body.clone()).await.status, 201);
    }
    let r = anon.post(&path, body.clone()).await;
    assert_eq!((r.status, r.code()), (429, "rate_limited"), "{}", r.text);
    // A signed-in citizen is not limited this way.
    srv.operator_user("citizen@vigie.test", "Céline", false)
        .await
        .unwrap();
    let citizen = srv.client();
    citizen.sign_in("citizen@vigie.test", PASSWORD).await;
    assert_eq!(citizen.post(&path, body).await.status, 201);
    srv.stop().await;
}

/// A Garant of the type enters values: official, accepted when filed and marked as theirs. A
/// Certified citizen, who may accept others' values, still proposes theirs.
async fn a_garants_values_are_official(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let (_guru, garant) = setup(&srv).await;
    let a = srv
        .object("cem", "schools", "0131703F", "Collège Edouard Manet")
        .await;
    srv.operator_user("relay.a@vigie.test", "Relais A", false)
        .await
        .unwrap();
    let r = garant
        .post(
            "/api/v1/tenants/cem/certifications",
            json!({"object_type": "schools", "object_id": a, "email": "relay.a@vigie.test"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let relay = srv.client();
    relay.sign_in("relay.a@vigie.test", PASSWORD).await;
    let path = format!("/api/v1/tenants/cem/objects/{a}/contributions");

    let r = garant
        .post(
            &path,
            json!({"vintage": "2026-2027", "values": [
                {"field": "nursery-classes", "value": 4}, {"field": "atsem", "value": 3}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    for fact in r.body.as_array().unwrap() {
        assert_eq!(
            (&fact["state"], &fact["provenance"]),
            (&json!("accepted"), &json!("garant")),
            "{fact}"
        );
    }
    let sheet = srv
        .client()
        .get(&format!("/api/v1/tenants/cem/objects/{a}"))
        .await;
    assert_eq!(
        sheet.body["current"]["2026-2027"]["atsem"]["value"],
        json!({"integer": 3})
    );
    // Nothing waits: there is nothing to decide.
    let pending = srv.client().get("/api/v1/tenants/cem/contributions").await;
    assert_eq!(pending.body, json!([]), "{}", pending.text);
    // On the web form too, and the page says so (not « awaits validation »).
    let fields = [
        ("vintage", "2025-2026"),
        ("field", "atsem"),
        ("value", "2"),
        ("source", ""),
        ("contact_email", ""),
    ];
    let r = garant
        .form(&format!("/t/cem/o/{a}/contribute"), &fields)
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let to = r.location.unwrap();
    assert_eq!(to, format!("/t/cem/o/{a}?entered=1"));
    let page = garant.get(&to).await;
    assert!(
        page.text.contains("elles sont officielles"),
        "{}",
        page.text
    );
    // Official fields stay the imports' own, even for a Garant.
    let r = garant
        .post(
            &path,
            json!({"vintage": "2026-2027", "values": [{"field": "pupils", "value": 300}]}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);

    // The Certified citizen proposes, like any citizen.
    let r = relay
        .post(
            &path,
            json!({"vintage": "2026-2027", "values": [{"field": "atsem", "value": 2}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (&r.body[0]["state"], &r.body[0]["provenance"]),
        (&json!("pending"), &json!("citizen"))
    );
    let r = relay
        .form(&format!("/t/cem/o/{a}/contribute"), &fields)
        .await;
    assert_eq!(r.location.unwrap(), format!("/t/cem/o/{a}?proposed=1"));
    srv.stop().await;
}

both_backends!(
    official_imports,
    contributions_and_moderation,
    anonymous_contributions_are_rate_limited,
    a_garants_values_are_official
);

async fn identity_is_official_and_closures_are_confirmed(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let (_guru, garant) = setup(&srv).await;
    import(
        &garant,
        "cem",
        "marseille_colleges_adresse_geolocalisation.csv",
    )
    .await;
    // A newer referential that no longer lists two collèges.
    let text = std::fs::read_to_string(shared_data(
        "marseille_colleges_adresse_geolocalisation.csv",
    ))
    .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let gone: Vec<String> = lines[1..3]
        .iter()
        .map(|l| l.split(';').next().unwrap().to_owned())
        .collect();
    let trimmed = [&lines[..1], &lines[3..]].concat().join("\n");
    let r = garant
        .upload(
            "/api/v1/tenants/cem/imports",
            &[("object_type", "schools")],
            "newer.csv",
            trimmed.into_bytes(),
        )
        .await;
    assert_eq!(r.body["possibly_closed"], 2, "{}", r.text);
    assert_eq!(r.body["created"], 0);
    let list = garant.get("/api/v1/tenants/cem/objects").await;
    let marked: Vec<&Value> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["possibly_closed_since"].is_string())
        .collect();
    assert_eq!(marked.len(), 2);
    assert!(
        marked
            .iter()
            .all(|o| gone.contains(&o["identifier"].as_str().unwrap().to_owned()))
    );
    // Nothing was deleted.
    assert_eq!(list.body.as_array().unwrap().len(), 102);

    // Citizens never change official identity; the Garant does, and it is in the history.
    let id = marked[0]["id"].as_i64().unwrap();
    srv.operator_user("citizen@vigie.test", "Céline", false)
        .await
        .unwrap();
    let citizen = srv.client();
    citizen.sign_in("citizen@vigie.test", PASSWORD).await;
    let path = format!("/api/v1/tenants/cem/objects/{id}");
    assert_eq!(
        citizen
            .call("PATCH", &path, Some(json!({"official_name": "Autre nom"})))
            .await
            .status,
        403
    );
    assert_eq!(
        srv.client()
            .call("PATCH", &path, Some(json!({"official_name": "Autre nom"})))
            .await
            .status,
        401
    );
    let r = garant
        .call(
            "PATCH",
            &path,
            Some(json!({"status": "closed", "closed_on": "2026-07-05"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["changed_fields"], 2);
    assert_eq!(r.body["object"]["status"], "closed");
    assert!(r.body["object"]["possibly_closed_since"].is_null());
    let r = garant
        .call(
            "PATCH",
            &path,
            Some(json!({"latitude": 95.0, "longitude": 5.0})),
        )
        .await;
    assert_eq!(r.status, 400);
    let sheet = citizen.get(&path).await;
    let history = sheet.body["identity_history"].as_array().unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last["field"].as_str(), last["changed_by"].as_str()),
        (Some("closed_on"), Some("Gaëlle Garant"))
    );
    assert!(
        history.iter().any(|c| c["field"] == "status"
            && c["old_value"] == "open"
            && c["new_value"] == "closed")
    );
    srv.stop().await;
}

both_backends!(identity_is_official_and_closures_are_confirmed);

/// A place without a position, then places with one, through one database connection: the
/// insert's statement, prepared when the first latitude was absent, still takes the next
/// ones (PostgreSQL keeps a prepared statement's parameter types: a NULL latitude once typed
/// `float4` made every later `float8` latitude fail, now and then, under load).
async fn unlocated_then_located_places(backend: Backend) {
    let srv = TestServer::start_with(backend, |s| s.database.max_connections = 1)
        .await
        .unwrap();
    setup(&srv).await;
    let store = &srv.app.store;
    let tenant = store.tenant_by_slug("cem").await.unwrap().unwrap();
    let ty = vigie_domain::ObjectTypeKey::parse("schools").unwrap();
    let place = |n: usize, at: Option<(f64, f64)>| vigie_storage::ObjectIdentity {
        identifier: vigie_tests::uai(n),
        official_name: format!("École {n}"),
        street: None,
        postcode: None,
        city: None,
        insee_code: None,
        latitude: at.map(|p| p.0),
        longitude: at.map(|p| p.1),
        status: vigie_domain::ObjectStatus::Open,
        opened_on: None,
        closed_on: None,
    };
    let positions = [None, Some((43.3, 5.4)), None, Some((43.29, 5.38))];
    for (n, at) in positions.into_iter().enumerate() {
        let o = store
            .create_object(tenant.id, &ty, &place(n + 1, at), None, None)
            .await
            .unwrap_or_else(|e| panic!("place {n} at {at:?}: {e}"));
        assert_eq!(o.identity.latitude, at.map(|p| p.0));
        // The update statement too, first run with the place still unlocated.
        let mut renamed = o.identity.clone();
        renamed.official_name = format!("École {n} (renommée)");
        store
            .update_identity(tenant.id, o.id, &renamed, None, None)
            .await
            .unwrap_or_else(|e| panic!("renaming place {n}: {e}"));
    }
    srv.stop().await;
}

both_backends!(unlocated_then_located_places);
