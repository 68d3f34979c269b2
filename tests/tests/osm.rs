//! OpenStreetMap both ways on both databases, with a made-up Overpass extract around demo
//! schools (`tests/fixtures/osm`): links by `ref:UAI` and proposals by name and distance,
//! every kind of discrepancy in CSV and GeoJSON, a Garant's decisions, an osmChange file that
//! changes only the reviewed tags, and bad input answered 400/404 with what to fix.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use quick_xml::events::Event;
use serde_json::{Value, json};
use vigie_tests::{Backend, TestServer, both_backends};

const EXTRACT: &[u8] = include_bytes!("../fixtures/osm/marseille-schools.overpass.json");
const BASE: &str = "/api/v1/tenants/cem/osm/schools";

/// A school with its official sector and nature, as the referential import brings them.
async fn school(srv: &TestServer, uai: &str, name: &str, at: (f64, f64), nature: &str) -> i64 {
    use vigie_plugins::wit;
    let tenant = srv.app.store.tenant_by_slug("cem").await.unwrap().unwrap();
    let ty = vigie_domain::ObjectTypeKey::parse("schools").unwrap();
    let identity = vigie_storage::ObjectIdentity {
        identifier: uai.into(),
        official_name: name.into(),
        street: None,
        postcode: Some("13001".into()),
        city: Some("MARSEILLE".into()),
        insee_code: None,
        latitude: Some(at.0),
        longitude: Some(at.1),
        status: vigie_domain::ObjectStatus::Open,
        opened_on: None,
        closed_on: None,
    };
    let o = srv
        .app
        .store
        .create_object(tenant.id, &ty, &identity, None, None)
        .await
        .unwrap();
    let facts: Vec<vigie_storage::NewFact> = [("sector", "public"), ("nature", nature)]
        .into_iter()
        .map(|(field, v)| vigie_storage::NewFact {
            object_id: o.id,
            field_key: field.into(),
            vintage: "2024".into(),
            value: vigie_services::encode_value(&wit::Value::Choice(v.into())),
            provenance: vigie_domain::Provenance::OfficialImport,
            source: Some("fr-en-annuaire-education".into()),
            import_id: None,
            author: None,
            contact_email: None,
            contact_phone: None,
            batch: None,
        })
        .collect();
    srv.app
        .store
        .insert_contribution(tenant.id, &facts, None)
        .await
        .unwrap();
    o.id
}

fn kinds(csv: &str) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0].into(), cells[2].into(), cells[4].into())
        })
        .collect();
    out.sort();
    out
}

async fn osm_both_ways(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let c = srv.collective("cem", &["schools"]).await;
    let calanques = school(
        &srv,
        "0139901S",
        "École élémentaire Les Calanques",
        (43.239, 5.433),
        "151",
    )
    .await;
    let _port = school(
        &srv,
        "0139902T",
        "École élémentaire Vieux Port",
        (43.2975, 5.369),
        "151",
    )
    .await;
    let belle = school(
        &srv,
        "0139903U",
        "École maternelle Belle de Mai",
        (43.3125, 5.387),
        "101",
    )
    .await;
    let _charles = school(
        &srv,
        "0139904V",
        "École maternelle Saint-Charles",
        (43.305, 5.38),
        "101",
    )
    .await;
    let extract: Value = serde_json::from_slice(EXTRACT).unwrap();
    let anon = srv.client();

    // Importing is for the type's Garants; bad input says what to fix.
    let r = anon.post(&format!("{BASE}/extract"), extract.clone()).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = c
        .garant
        .post(&format!("{BASE}/extract"), json!({"nodes": []}))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("Overpass"), "{}", r.text);
    let r = c
        .guru
        .post("/api/v1/tenants/cem/osm/benches/extract", extract.clone())
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("benches"), "{}", r.text);
    // Through the use case, a file that is not JSON at all.
    let tenant = srv.app.services.tenant("cem").await.unwrap();
    let ty = vigie_domain::ObjectTypeKey::parse("schools").unwrap();
    let e = srv
        .app
        .services
        .osm_import(
            vigie_services::Actor::Operator,
            &tenant,
            &ty,
            b"<osm version=\"0.6\"/>",
        )
        .await
        .unwrap_err();
    assert!(matches!(e, vigie_services::ServiceError::Invalid(_)), "{e}");
    // No extract yet: no report.
    let r = anon.get(&format!("{BASE}/discrepancies.csv")).await;
    assert_eq!(r.status, 404, "{}", r.text);

    let r = c
        .garant
        .post(&format!("{BASE}/extract"), extract.clone())
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"elements": 5, "places": 4, "linked": 2, "proposed": 1, "unchanged": 0})
    );
    // Again: nothing new.
    let r = c
        .garant
        .post(&format!("{BASE}/extract"), extract.clone())
        .await;
    assert_eq!(r.body["unchanged"], 3, "{}", r.text);

    // The links are public: two by reference (the lower-case UAI too), one proposal.
    let r = anon.get(&format!("{BASE}/links")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let links = r.body.as_array().unwrap();
    let seen: Vec<(i64, &str, &str, &str)> = links
        .iter()
        .map(|l| {
            (
                l["object_id"].as_i64().unwrap(),
                l["osm_element"].as_str().unwrap(),
                l["matched_by"].as_str().unwrap(),
                l["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        seen.contains(&(calanques, "node/1001", "reference", "linked")),
        "{seen:?}"
    );
    assert!(
        seen.contains(&(belle, "node/3003", "proximity", "proposed")),
        "{seen:?}"
    );
    assert_eq!(seen.len(), 3);
    let proposal = links.iter().find(|l| l["state"] == "proposed").unwrap()["id"]
        .as_i64()
        .unwrap();

    // Before any decision: a proposal is not "missing"; every kind of discrepancy is found.
    let (status, ct, csv) = anon.bytes(&format!("{BASE}/discrepancies.csv")).await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/csv"), "{ct}");
    let csv = String::from_utf8(csv).unwrap();
    let k = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        kinds(&csv),
        vec![
            k("missing_in_osm", "0139904V", ""),
            k("name_differs", "0139902T", "way/2002"),
            k("position_differs", "0139902T", "way/2002"),
            k("tag_contradicts", "0139901S", "node/1001"),
            k("tag_contradicts", "0139902T", "way/2002"),
            k("unknown_reference", "", "node/4004"),
        ],
        "{csv}"
    );
    let r = anon.get(&format!("{BASE}/discrepancies.geojson")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["type"], "FeatureCollection");
    let features = r.body["features"].as_array().unwrap();
    assert_eq!(features.len(), 6);
    for f in features {
        assert_eq!(f["geometry"]["type"], "Point");
        let text = f["properties"]["instruction"].as_str().unwrap();
        assert!(
            !f["properties"]["instruction_fr"]
                .as_str()
                .unwrap()
                .is_empty()
        );
        assert!(
            !f["properties"]["instruction_en"]
                .as_str()
                .unwrap()
                .is_empty()
        );
        assert!(text.contains(f["properties"]["instruction_en"].as_str().unwrap()));
    }

    // Another collective's link is not found there, even by a Guru.
    let r = c
        .guru
        .post(
            "/api/v1/tenants",
            json!({"slug": "aix", "name": "aix", "object_types": ["schools"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = c
        .guru
        .post(
            &format!("/api/v1/tenants/aix/osm/schools/links/{proposal}/decision"),
            json!({"decision": "confirm"}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    // Deciding is for the type's Garants; a decision is confirm or reject.
    let decide = format!("{BASE}/links/{proposal}/decision");
    let r = anon.post(&decide, json!({"decision": "confirm"})).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = c.garant.post(&decide, json!({"decision": "maybe"})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("confirm or reject"), "{}", r.text);
    let r = c.garant.post(&decide, json!({"decision": "confirm"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["state"], "linked");
    assert!(r.body["decided_at"].is_string());
    let r = c.garant.post(&decide, json!({"decision": "reject"})).await;
    assert_eq!(r.status, 409, "{}", r.text);
    // Once confirmed, the kindergarten's OSM name is compared too.
    let csv = String::from_utf8(anon.bytes(&format!("{BASE}/discrepancies.csv")).await.2).unwrap();
    assert!(
        kinds(&csv).contains(&k("name_differs", "0139903U", "node/3003")),
        "{csv}"
    );

    // Corrections: only a contradicted tag, by a Garant.
    let correct = format!("{BASE}/corrections");
    let r = anon
        .post(
            &correct,
            json!({"osm_element": "node/1001", "tag": "operator:type"}),
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = c
        .garant
        .post(&correct, json!({"osm_element": "node/1001", "tag": "name"}))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = c
        .garant
        .post(
            &correct,
            json!({"osm_element": "1001", "tag": "operator:type"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("node/123"), "{}", r.text);
    let r = c
        .garant
        .post(
            &correct,
            json!({"osm_element": "node/1001", "tag": "operator:type"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["value"], "public");

    // The osmChange file: Garants only; the reviewed tag changed, nothing else.
    let (status, _, _) = anon.bytes(&format!("{BASE}/osmchange.xml")).await;
    assert_eq!(status, 401);
    let (status, ct, xml) = c.garant.bytes(&format!("{BASE}/osmchange.xml")).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&xml));
    assert!(ct.starts_with("application/xml"), "{ct}");
    let xml = String::from_utf8(xml).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut elements, mut tags, mut generator) = (Vec::new(), Vec::new(), None);
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let attr = |k: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == k.as_bytes())
                        .map(|a| a.unescape_value().unwrap().into_owned())
                };
                match e.name().as_ref() {
                    b"osmChange" => generator = attr("generator"),
                    b"node" | b"way" | b"relation" => {
                        elements.push((attr("id").unwrap(), attr("version")));
                    }
                    b"tag" => tags.push((attr("k").unwrap(), attr("v").unwrap())),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    assert_eq!(generator.as_deref(), Some("Vigie"));
    assert_eq!(
        elements,
        vec![("1001".to_owned(), Some("5".to_owned()))],
        "{xml}"
    );
    tags.sort();
    let t = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(
        tags,
        vec![
            t("amenity", "school"),
            t("isced:level", "1"),
            t("name", "École élémentaire Les Calanques"),
            t("operator:type", "public"),
            t("ref:UAI", "0139901s"),
        ],
        "{xml}"
    );

    // An unknown file says which exist.
    let r = anon.get(&format!("{BASE}/discrepancies.pdf")).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert!(r.text.contains("discrepancies.csv"), "{}", r.text);
    srv.stop().await;
}

/// A rejected proposal stays rejected when the extract is imported again, and its place is
/// then reported missing from OSM.
async fn a_rejected_proposal_is_not_proposed_again(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let c = srv.collective("cem", &["schools"]).await;
    let belle = school(
        &srv,
        "0139903U",
        "École maternelle Belle de Mai",
        (43.3125, 5.387),
        "101",
    )
    .await;
    let extract: Value = serde_json::from_slice(EXTRACT).unwrap();
    let r = c
        .garant
        .post(&format!("{BASE}/extract"), extract.clone())
        .await;
    assert_eq!(r.body["proposed"], 1, "{}", r.text);
    let r = srv.client().get(&format!("{BASE}/links")).await;
    let proposal = r.body[0]["id"].as_i64().unwrap();
    let r = c
        .garant
        .post(
            &format!("{BASE}/links/{proposal}/decision"),
            json!({"decision": "reject"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["state"], "rejected");
    let r = c.garant.post(&format!("{BASE}/extract"), extract).await;
    assert_eq!(
        (r.body["proposed"].as_i64(), r.body["unchanged"].as_i64()),
        (Some(0), Some(1)),
        "{}",
        r.text
    );
    let r = srv.client().get(&format!("{BASE}/links")).await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    assert_eq!(r.body[0]["state"], "rejected");
    assert_eq!(r.body[0]["object_id"], belle);
    let csv = String::from_utf8(
        srv.client()
            .bytes(&format!("{BASE}/discrepancies.csv"))
            .await
            .2,
    )
    .unwrap();
    assert!(
        kinds(&csv).contains(&("missing_in_osm".into(), "0139903U".into(), String::new())),
        "{csv}"
    );
    srv.stop().await;
}

both_backends!(osm_both_ways, a_rejected_proposal_is_not_proposed_again);
