//! Joint analysis on both databases: the ATSEM-per-nursery-pupil ratio by arrondissement
//! matches a hand-computed value; only accepted facts count; places without a value are
//! counted as such; vintages one by one and all together; CSV; bad input says what to fix.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::{Value, json};
use vigie_tests::{Backend, TestServer, both_backends};

fn agg(query: &str) -> String {
    format!("/api/v1/tenants/cem/aggregates?{query}")
}

fn group<'a>(vintage: &'a Value, key: Option<&str>) -> &'a Value {
    vintage["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"].as_str() == key)
        .unwrap_or_else(|| panic!("no group {key:?} in {vintage}"))
}

/// Files values on a place; returns the first fact's id.
async fn file(who: &vigie_tests::Client, id: i64, vintage: &str, values: Value) -> i64 {
    let r = who
        .post(
            &format!("/api/v1/tenants/cem/objects/{id}/contributions"),
            json!({"vintage": vintage, "values": values}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body[0]["id"].as_i64().unwrap()
}

/// Adds official values (as the enrolment import brings them) to a place, accepted at once.
async fn official(srv: &TestServer, id: i64, vintage: &str, values: &[(&str, Value)]) {
    use vigie_plugins::wit;
    let tenant = srv.app.store.tenant_by_slug("cem").await.unwrap().unwrap();
    let facts: Vec<vigie_storage::NewFact> = values
        .iter()
        .map(|(field, v)| vigie_storage::NewFact {
            object_id: id,
            field_key: (*field).to_owned(),
            vintage: vintage.to_owned(),
            value: vigie_services::encode_value(&match v {
                // The education district is official text; other strings are choices.
                Value::String(s) if *field == "education-district" => wit::Value::Text(s.clone()),
                Value::String(s) => wit::Value::Choice(s.clone()),
                n => wit::Value::Integer(n.as_i64().unwrap()),
            }),
            provenance: vigie_domain::Provenance::OfficialImport,
            source: Some("fr-en-ecoles-effectifs-nb_classes".into()),
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
}

async fn ratio_by_arrondissement(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let c = srv.collective("cem", &["schools"]).await;
    let tenant = srv.app.store.tenant_by_slug("cem").await.unwrap().unwrap();
    let ty = vigie_domain::ObjectTypeKey::parse("schools").unwrap();
    // Five schools: two in the 1st arrondissement, two in the 2nd, one of no known commune.
    let mut ids = Vec::new();
    for (n, insee) in [
        Some("13201"),
        Some("13201"),
        Some("13202"),
        Some("13202"),
        None,
    ]
    .into_iter()
    .enumerate()
    {
        let identity = vigie_storage::ObjectIdentity {
            identifier: vigie_tests::uai(n + 1),
            official_name: format!("École n° {n}"),
            street: None,
            postcode: None,
            city: Some("MARSEILLE".into()),
            insee_code: insee.map(str::to_owned),
            latitude: Some(43.3),
            longitude: Some(5.4),
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
        ids.push(o.id);
    }
    let anon = srv.client();
    // 2024-2025: pupils from the official import, ATSEM entered by the Garant (accepted at
    // once).
    let garant = &c.garant;
    for (id, atsem, nursery) in [
        (ids[0], Some(2), 50),
        (ids[1], Some(1), 30),
        (ids[2], Some(3), 60),
        (ids[3], None, 40), // no ATSEM known: missing, not zero
        (ids[4], Some(1), 25),
    ] {
        official(&srv, id, "2024-2025", &[("nursery-pupils", json!(nursery))]).await;
        if let Some(a) = atsem {
            file(garant, id, "2024", json!([{"field": "atsem", "value": a}])).await;
        }
    }
    official(&srv, ids[0], "2024-2025", &[("sector", json!("public"))]).await;
    // 2023-2024: one school only.
    official(&srv, ids[0], "2023-2024", &[("nursery-pupils", json!(50))]).await;
    file(
        garant,
        ids[0],
        "2023",
        json!([{"field": "atsem", "value": 1}]),
    )
    .await;
    // Proposals that do not count: one waiting, one refused.
    file(
        &anon,
        ids[3],
        "2024",
        json!([{"field": "atsem", "value": 10}]),
    )
    .await;
    let refused = file(
        &anon,
        ids[2],
        "2024",
        json!([{"field": "atsem", "value": 9}]),
    )
    .await;
    let r = garant
        .post(
            &format!("/api/v1/tenants/cem/contributions/{refused}/decision"),
            json!({"accept": false, "reason": "Chiffre faux"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // ATSEM ÷ nursery pupils by arrondissement, newest vintage by default.
    let r = anon
        .get(&agg(
            "type=schools&field=atsem&over=nursery-pupils&group=arrondissement",
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["vintages_available"],
        json!(["2023-2024", "2024-2025"])
    );
    let v = &r.body["vintages"][0];
    assert_eq!(v["vintage"], "2024-2025");
    // 1st: (2 + 1) ATSEM for (50 + 30) pupils.
    let first = group(v, Some("13201"));
    assert_eq!(first["ratio"].as_f64().unwrap(), 3.0 / 80.0);
    assert_eq!(
        (
            first["objects"].as_u64(),
            first["objects_with_value"].as_u64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(first["sum"], 3.0);
    assert_eq!(first["sum_over"], 80.0);
    assert_eq!(first["min"].as_f64().unwrap(), 1.0 / 30.0);
    assert_eq!(first["max"].as_f64().unwrap(), 2.0 / 50.0);
    // 2nd: the school without ATSEM is counted, not taken as zero; the waiting 10 and the
    // refused 9 do not count.
    let second = group(v, Some("13202"));
    assert_eq!(second["ratio"].as_f64().unwrap(), 3.0 / 60.0);
    assert_eq!(
        (
            second["objects"].as_u64(),
            second["objects_with_value"].as_u64()
        ),
        (Some(2), Some(1))
    );
    let nowhere = group(v, None);
    assert_eq!(nowhere["objects"], 1);
    assert_eq!(v["total"]["objects"], 5);
    assert_eq!(v["total"]["objects_with_value"], 4);
    assert_eq!(v["total"]["ratio"].as_f64().unwrap(), 7.0 / 165.0);
    let labels = r.body["group_labels"].as_array().unwrap();
    assert!(
        labels
            .iter()
            .any(|l| l["label"]["fr"] == "Marseille 1er (13201)"),
        "{labels:?}"
    );

    // One field: count, sum, mean, median, min, max.
    let r = anon
        .get(&agg("type=schools&field=atsem&vintage=2024-2025"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let all = group(&r.body["vintages"][0], Some("all"));
    assert_eq!(
        (all["objects"].as_u64(), all["count"].as_u64()),
        (Some(5), Some(4))
    );
    assert_eq!(
        (
            &all["sum"],
            &all["mean"],
            &all["median"],
            &all["min"],
            &all["max"]
        ),
        (
            &json!(7.0),
            &json!(1.75),
            &json!(1.5),
            &json!(1.0),
            &json!(3.0)
        )
    );
    // Grouped by a choice field: the schools without a sector are counted apart.
    let r = anon
        .get(&agg("type=schools&field=atsem&group=sector"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = &r.body["vintages"][0];
    assert_eq!(group(v, Some("public"))["sum"], 2.0);
    assert_eq!(group(v, None)["objects"], 4);
    // Every vintage, oldest first.
    let r = anon
        .get(&agg(
            "type=schools&field=atsem&over=nursery-pupils&vintage=all",
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let vintages = r.body["vintages"].as_array().unwrap();
    assert_eq!(vintages.len(), 2);
    assert_eq!(vintages[0]["vintage"], "2023-2024");
    assert_eq!(vintages[0]["total"]["ratio"].as_f64().unwrap(), 1.0 / 50.0);
    assert_eq!(vintages[0]["total"]["objects_with_value"], 1);
    // A vintage without any value: places counted, no statistics.
    let r = anon
        .get(&agg("type=schools&field=atsem&vintage=2019"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["vintages"][0]["total"]["objects"], 5);
    assert_eq!(r.body["vintages"][0]["total"]["count"], 0);
    assert_eq!(r.body["vintages"][0]["total"]["mean"], Value::Null);

    // Grouped by education district (official text from the directory of schools): the
    // groups are the districts met, each named as written.
    for (id, district) in [
        (ids[0], "Marseille 1 - Belsunce"),
        (ids[1], "Marseille 1 - Belsunce"),
        (ids[2], "Marseille 3 - Saint-Lazare"),
    ] {
        official(
            &srv,
            id,
            "2024-2025",
            &[("education-district", json!(district))],
        )
        .await;
    }
    let r = anon
        .get(&agg(
            "type=schools&field=atsem&vintage=2024-2025&group=education-district",
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = &r.body["vintages"][0];
    assert_eq!(group(v, Some("Marseille 1 - Belsunce"))["sum"], 3.0);
    assert_eq!(group(v, Some("Marseille 3 - Saint-Lazare"))["sum"], 3.0);
    assert_eq!(group(v, None)["objects"], 2, "no district known: apart");
    assert!(
        r.body["group_labels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["label"]["fr"] == "Marseille 3 - Saint-Lazare"),
        "{}",
        r.text
    );
    // A citizen's free text does not group places.
    let r = anon.get(&agg("type=schools&field=atsem&group=notes")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("education-district"), "{}", r.text);

    // The plugin's indicators. A ratio indicator is aggregated as its ratio (sums divided)
    // at its scale: ATSEM per 100 nursery pupils.
    let r = anon
        .get(&agg(
            "type=schools&field=atsem-per-100-nursery-pupils&group=arrondissement",
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["measure"], "ratio-indicator");
    assert_eq!(
        r.body["field"]["label"]["fr"],
        "ATSEM pour 100 élèves de maternelle"
    );
    let v = &r.body["vintages"][0];
    assert_eq!(
        group(v, Some("13201"))["ratio"].as_f64().unwrap(),
        3.0 / 80.0 * 100.0
    );
    assert_eq!(
        group(v, Some("13201"))["sum"],
        3.0,
        "the sums stay the fields'"
    );
    assert_eq!(v["total"]["ratio"].as_f64().unwrap(), 7.0 / 165.0 * 100.0);
    // An indicator only the plugin computes, from each place's values of the vintage: the
    // age of the asbestos survey at the start of the school year.
    for (id, date) in [(ids[0], "2020-06-01"), (ids[2], "2014-03-01")] {
        file(
            garant,
            id,
            "2024",
            json!([{"field": "asbestos-survey-date", "value": date}]),
        )
        .await;
    }
    let r = anon
        .get(&agg(
            "type=schools&field=asbestos-survey-age&vintage=2024-2025&group=arrondissement",
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["measure"], "indicator");
    let v = &r.body["vintages"][0];
    assert_eq!(
        (
            v["total"]["objects"].as_u64(),
            v["total"]["objects_with_value"].as_u64()
        ),
        (Some(5), Some(2)),
        "{}",
        r.text
    );
    assert_eq!(
        (&v["total"]["mean"], &v["total"]["min"], &v["total"]["max"]),
        (&json!(7.0), &json!(4.0), &json!(10.0))
    );
    assert_eq!(group(v, Some("13202"))["mean"], 10.0);
    let r = anon
        .get(&agg("type=schools&field=asbestos-survey-age&over=pupils"))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "over");
    // The analysis page offers the indicators and draws them.
    let page = anon
        .get("/t/cem/analyse?type=schools&field=atsem-per-100-nursery-pupils&group=arrondissement")
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("Indicateurs calculés"), "{}", page.text);
    assert!(
        page.text
            .contains(r#"<option value="atsem-per-100-nursery-pupils" selected>"#),
        "{}",
        page.text
    );
    assert!(
        page.text.contains("3,75"),
        "ATSEM per 100 pupils in the 1st: {}",
        page.text
    );

    // The same numbers as CSV, `,` or `;`.
    let csv = anon
        .get(
            "/api/v1/tenants/cem/aggregates.csv?type=schools&field=atsem&over=nursery-pupils\
             &group=arrondissement&vintage=all",
        )
        .await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    let lines: Vec<&str> = csv.text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "vintage,group,group_label,field,over,objects,objects_with_value,count,sum,sum_over,\
         ratio,mean,median,min,max"
    );
    assert!(
        lines.contains(
            &"2024-2025,13201,Marseille 1er (13201),atsem,nursery-pupils,2,2,2,3,80,0.0375,\
              0.036667,0.036667,0.033333,0.04"
        ),
        "{}",
        csv.text
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("2024-2025,,(sans valeur),"))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("2024-2025,total,Total,"))
    );
    let semi = anon
        .get("/api/v1/tenants/cem/aggregates.csv?type=schools&field=atsem&sep=semicolon")
        .await;
    assert!(
        semi.text.starts_with("\u{feff}vintage;group;"),
        "{}",
        semi.text
    );

    // Cached per revision: 304 until something changes.
    let http = reqwest::Client::new();
    let url = format!("{}{}", srv.base, agg("type=schools&field=atsem"));
    let first = http.get(&url).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = http
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    // Bad input: a clear 400 in French and English, never a 500.
    for (query, field) in [
        ("type=schools&field=rockets", "field"),
        ("type=schools&field=sector", "field"),
        ("type=schools", "field"),
        ("type=schools&field=atsem&over=website", "over"),
        ("type=parks&field=atsem", "object_type"),
        ("field=atsem", "type"),
        ("type=schools&field=atsem&vintage=1800", "vintage"),
        ("type=schools&field=atsem&vintage=bientôt", "vintage"),
        ("type=schools&field=atsem&group=atsem", "group"),
        ("type=schools&field=atsem&sep=tab", "sep"),
    ] {
        let r = anon.get(&agg(query)).await;
        assert_eq!(r.status, 400, "{query}: {}", r.text);
        assert_eq!(r.code(), "invalid_input", "{query}: {}", r.text);
        assert_eq!(r.body["error"]["field"], field, "{query}: {}", r.text);
        assert!(
            r.body["error"]["message_fr"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{query}: {}",
            r.text
        );
    }
    assert_eq!(
        anon.get("/api/v1/tenants/nowhere/aggregates?type=schools&field=atsem")
            .await
            .status,
        404
    );
    srv.stop().await;
}

both_backends!(ratio_by_arrondissement);
