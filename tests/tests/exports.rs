//! Open data exports on both databases: every dataset in every format matches the API, pages
//! join into one valid file, hidden requests keep their words hidden, the `ETag` answers 304,
//! bad names say what exists — and no export of a collective full of personal data shows any.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::json;
use vigie_domain::export::Dataset;
use vigie_tests::{Backend, TestServer, both_backends};

const PERSONAL: [&str; 8] = [
    "parent.anonyme@example.org",
    "celine@example.org",
    "06 12 34 56 78",
    "garant@vigie.test",
    "guru@vigie.test",
    "jean.travaux@marseille.fr",
    "127.0.0.1",
    "follow_token",
];

fn exports(file: &str) -> String {
    format!("/api/v1/tenants/cem/exports/{file}")
}

async fn everything_public_and_nothing_personal(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let c = srv.collective("cem", &["schools"]).await;
    // More places than a page holds, one without a position.
    let tenant = srv.app.store.tenant_by_slug("cem").await.unwrap().unwrap();
    let ty = vigie_domain::ObjectTypeKey::parse("schools").unwrap();
    let places = vigie_services::EXPORT_PAGE as usize + 5;
    let mut ids = Vec::new();
    for n in 0..places {
        let located = n != 3;
        let identity = vigie_storage::ObjectIdentity {
            identifier: vigie_tests::uai(n + 1),
            official_name: format!("École n° {n}"),
            street: None,
            postcode: Some("13001".into()),
            city: Some("MARSEILLE".into()),
            insee_code: None,
            latitude: located.then_some(43.29 + n as f64 * 1e-4),
            longitude: located.then_some(5.37),
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
    let school = ids[0];
    let anon = srv.client();
    // Contributions with private contact details, one refused with a public reason.
    let r = anon
        .post(
            &format!("/api/v1/tenants/cem/objects/{school}/contributions"),
            json!({"vintage": "2024", "values": [{"field": "atsem", "value": 3}],
                   "contact_email": "parent.anonyme@example.org", "contact_phone": "06 12 34 56 78"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let fact = r.body[0]["id"].as_i64().unwrap();
    let r = c
        .garant
        .post(
            &format!("/api/v1/tenants/cem/contributions/{fact}/decision"),
            json!({"accept": false, "reason": "Chiffre de l'an passé"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Requests: one awaiting moderation with a private address, one published, one set apart.
    let file = format!("/api/v1/tenants/cem/objects/{school}/requests");
    let mut titles = Vec::new();
    for (title, decision) in [
        ("Fuite en attente", None),
        ("Préau publié", Some("publish")),
        ("Injures écartées", Some("set_apart")),
    ] {
        let r = anon
            .post(
                &file,
                json!({"kind": "intervention", "title": title,
                       "description": "Une description assez longue du problème.",
                       "contact_email": "parent.anonyme@example.org"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.body["request"]["id"].as_i64().unwrap();
        if let Some(d) = decision {
            let r = c
                .garant
                .post(
                    &format!("/api/v1/tenants/cem/requests/{id}/moderation"),
                    json!({"decision": d, "reason": "Motif public"}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
        titles.push(title);
    }
    let r = c
        .garant
        .post(
            "/api/v1/tenants/cem/object-types/schools/contacts",
            json!({"name": "Jean Travaux", "role_title": "Travaux", "email": "jean.travaux@marseille.fr"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    // A manual badge, granted to a citizen who took part (Certified of the school).
    srv.operator_user("celine@example.org", "Céline Certifiée", false)
        .await
        .unwrap();
    let r = c
        .garant
        .post(
            "/api/v1/tenants/cem/certifications",
            json!({"object_type": "schools", "object_id": school, "email": "celine@example.org"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = c
        .guru
        .post(
            "/api/v1/tenants/cem/badges",
            json!({"key": "pillar", "name_fr": "Pilier", "name_en": "Pillar", "visual": "heart", "levels": "1"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let celine = srv
        .app
        .store
        .user_by_email(&vigie_domain::Email::parse("celine@example.org").unwrap())
        .await
        .unwrap()
        .unwrap()
        .pseudonym
        .journal_ref();
    let r = c
        .garant
        .post(
            "/api/v1/tenants/cem/badges/pillar/awards",
            json!({"account": celine, "reason": "A relevé les effectifs de l'école."}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // The catalogue lists every dataset with its files and schema.
    let catalogue = anon.get("/api/v1/tenants/cem/exports").await;
    assert_eq!(catalogue.status, 200, "{}", catalogue.text);
    assert_eq!(
        catalogue.body["datasets"].as_array().unwrap().len(),
        Dataset::ALL.len()
    );
    assert_eq!(catalogue.body["archive"], "/api/v1/tenants/cem/exports.zip");

    let mut bodies = vec![catalogue.text.clone()];
    let journal = anon.get("/api/v1/tenants/cem/journal?limit=5000").await;
    let journal_len = journal.body.as_array().unwrap().len();
    assert!(journal_len >= 3);
    let expected = |d: Dataset| match d {
        Dataset::Objects => places,
        Dataset::Facts => 0, // checked by content below
        Dataset::Requests => titles.len(),
        Dataset::Journal => journal_len,
        Dataset::Badges => 1,
    };
    for d in Dataset::ALL {
        let name = d.as_str();
        // JSON: one array, every row, columns as the schema names them.
        let r = anon.get(&exports(&format!("{name}.json"))).await;
        assert_eq!(r.status, 200, "{name}.json: {}", r.text);
        let rows = r
            .body
            .as_array()
            .unwrap_or_else(|| panic!("{name}.json: {}", r.text));
        if d != Dataset::Facts {
            assert_eq!(rows.len(), expected(d), "{name}.json");
        } else {
            assert!(rows.iter().any(
                |f| f["state"] == "refused" && f["decision_reason"] == "Chiffre de l'an passé"
            ));
        }
        let schema = anon.get(&exports(&format!("{name}.schema.json"))).await;
        assert_eq!(schema.status, 200);
        let fields: Vec<&str> = schema.body["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        let mut keys: Vec<&str> = rows[0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut sorted = fields.clone();
        keys.sort_unstable();
        sorted.sort_unstable();
        assert_eq!(keys, sorted, "{name}: JSON keys are the schema's fields");
        // CSV: the schema's header, one line per row (no line breaks in this data).
        let csv = anon.get(&exports(&format!("{name}.csv"))).await;
        assert_eq!(csv.status, 200);
        let lines: Vec<&str> = csv.text.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines[0], fields.join(","), "{name}.csv header");
        assert_eq!(lines.len() - 1, rows.len(), "{name}.csv rows");
        // French spreadsheets: `;` and the UTF-8 mark.
        let semi = anon
            .get(&exports(&format!("{name}.csv?sep=semicolon")))
            .await;
        assert!(semi.text.starts_with('\u{feff}'), "{name}: BOM");
        assert!(
            semi.text
                .trim_start_matches('\u{feff}')
                .starts_with(&fields.join(";"))
        );
        bodies.extend([r.text, schema.text, csv.text, semi.text]);
    }
    // GeoJSON: the located places, across the page boundary, as one valid collection.
    let geo = anon.get(&exports("objects.geojson")).await;
    assert_eq!(geo.status, 200, "{}", geo.text);
    assert_eq!(geo.body["type"], "FeatureCollection");
    assert_eq!(geo.body["features"].as_array().unwrap().len(), places - 1);
    assert_eq!(geo.body["features"][0]["geometry"]["type"], "Point");
    bodies.push(geo.text);
    // One type only.
    let typed = anon.get(&exports("objects.json?type=schools")).await;
    assert_eq!(typed.body.as_array().unwrap().len(), places);

    // Hidden content stays hidden: awaiting moderation, set apart.
    let requests = anon.get(&exports("requests.json")).await;
    let all = requests.text.clone();
    assert!(all.contains("Préau publié"));
    assert!(
        !all.contains("Fuite en attente") && !all.contains("Injures écartées"),
        "{all}"
    );
    let hidden = requests
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["content_hidden"] == true)
        .count();
    assert_eq!(hidden, 2);
    // Badges name the account by its pseudonym, never by name.
    let badges = anon.get(&exports("badges.json")).await;
    assert_eq!(
        badges.body[0]["account"],
        celine.as_str(),
        "{}",
        badges.text
    );
    assert_eq!(
        badges.body[0]["reason"],
        "A relevé les effectifs de l'école."
    );
    assert_eq!(badges.body[0]["granted_by"], "Gaëlle Garant");
    assert!(!badges.text.contains("Céline"), "{}", badges.text);
    // The journal withholds what awaits moderation, and keeps every hash.
    let journal = anon.get(&exports("journal.json")).await;
    assert!(
        !journal.text.contains("Fuite en attente"),
        "{}",
        journal.text
    );
    let entries = journal.body.as_array().unwrap();
    assert!(
        entries
            .iter()
            .all(|e| e["hash"].as_str().unwrap().len() == 64)
    );
    assert!(entries.iter().any(|e| e["details_withheld"] == true));

    // The zip of everything, unpacked.
    let zip = anon.bytes("/api/v1/tenants/cem/exports.zip").await;
    assert_eq!(zip.0, 200);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cem.zip"), &zip.2).unwrap();
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
             sys.stdout.write(''.join(z.read(n).decode() for n in z.namelist()))",
        ])
        .arg(dir.path().join("cem.zip"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let unpacked = String::from_utf8(out.stdout).unwrap();
    assert!(unpacked.contains("Préau publié") && unpacked.contains("\"resources\""));
    bodies.push(unpacked);

    // Nothing personal, in any file.
    for body in &bodies {
        for p in PERSONAL {
            assert!(!body.contains(p), "an export shows {p}");
        }
    }

    // Cached per revision: 304 while nothing changed, 200 after a change.
    let http = reqwest::Client::new();
    let url = format!("{}{}", srv.base, exports("objects.csv"));
    let first = http.get(&url).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = http
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let r = anon
        .post(
            &format!("/api/v1/tenants/cem/objects/{school}/contributions"),
            json!({"vintage": "2024", "values": [{"field": "atsem", "value": 2}]}),
        )
        .await;
    assert_eq!(r.status, 201);
    let after = http
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 200);

    // The instance's DCAT-AP catalogue names every dataset with its licence and schema.
    let dcat = anon.get("/api/v1/catalog.jsonld").await;
    assert_eq!(dcat.status, 200, "{}", dcat.text);
    assert_eq!(dcat.body["@type"], "dcat:Catalog");
    let datasets = dcat.body["dcat:dataset"].as_array().unwrap();
    // Each dataset, and the whole collective as one zip.
    assert_eq!(datasets.len(), Dataset::ALL.len() + 1);
    let archive = datasets
        .iter()
        .find(|d| d["dct:identifier"] == "cem/all")
        .unwrap();
    assert_eq!(
        archive["dcat:distribution"][0]["dcat:mediaType"],
        "application/zip"
    );
    let objects = datasets
        .iter()
        .find(|d| d["dct:identifier"] == "cem/objects")
        .unwrap();
    assert!(
        objects["dct:license"]["@id"]
            .as_str()
            .unwrap()
            .contains("licence-ouverte")
    );
    assert!(
        objects["dct:modified"]["@value"]
            .as_str()
            .unwrap()
            .starts_with("20")
    );
    let distributions = objects["dcat:distribution"].as_array().unwrap();
    assert_eq!(distributions.len(), 3);
    assert!(
        distributions[0]["dct:conformsTo"]["@id"]
            .as_str()
            .unwrap()
            .ends_with("/exports/objects.schema.json")
    );
    // (Its links name the server's own address, which is no visitor's.)
    let scanned = dcat.text.replace(&srv.settings.public_url(), "");
    for p in PERSONAL {
        assert!(!scanned.contains(p), "the catalogue shows {p}");
    }

    // What to fix, when the name is wrong.
    let r = anon.get(&exports("people.csv")).await;
    assert_eq!((r.status, r.code()), (404, "not_found"));
    assert!(
        r.text.contains("objects, facts, requests or journal"),
        "{}",
        r.text
    );
    assert_eq!(anon.get(&exports("facts.geojson")).await.status, 404);
    let r = anon.get(&exports("objects.csv?sep=tab")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = anon.get(&exports("objects.csv?type=parks")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(
        anon.get("/api/v1/tenants/nowhere/exports/objects.csv")
            .await
            .status,
        404
    );
    srv.stop().await;
}

/// Runs `frictionless validate` with these arguments in `dir`; panics with its report unless
/// it finds the data valid.
fn frictionless(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("frictionless")
        .arg("validate")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("frictionless is installed (make test-tools: pip install frictionless)");
    assert!(
        out.status.success(),
        "frictionless validate {args:?}:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The demo collective's every CSV, with `,` and with `;`, is valid against its own Table
/// Schema as `frictionless` (the validator data.gouv.fr's tools use) reads them; and the zip
/// of the whole collective is a valid Data Package of the same files.
async fn table_schemas_validate_their_csvs(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let mut settings = srv.settings.clone();
    settings.demo.enabled = true;
    srv.app.seed_demo(&settings).await.unwrap();
    let slug = "ecoles-marseille";
    let anon = srv.client();
    // A request of each fate, so that every column of requests and journal has values.
    let objects = anon
        .get(&format!("/api/v1/tenants/{slug}/exports/objects.json"))
        .await;
    let school = objects.body[0]["id"].as_i64().unwrap();
    let r = anon
        .post(
            &format!("/api/v1/tenants/{slug}/objects/{school}/requests"),
            json!({"kind": "intervention", "title": "Fuite au préau, « vite »",
                   "description": "Une description, avec des virgules; et des points-virgules."}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let get = |file: String| {
        let http = http.clone();
        let url = format!("{}/api/v1/tenants/{slug}/{file}", srv.base);
        async move {
            let r = http.get(&url).send().await.unwrap();
            assert_eq!(r.status(), 200, "{url}");
            r.bytes().await.unwrap()
        }
    };
    for d in Dataset::ALL {
        let name = d.as_str();
        let schema = format!("{name}.schema.json");
        std::fs::write(
            dir.path().join(&schema),
            get(format!("exports/{schema}")).await,
        )
        .unwrap();
        let comma = format!("{name}.csv");
        let body = get(format!("exports/{comma}")).await;
        assert!(body.len() > 200, "{name}.csv holds rows");
        std::fs::write(dir.path().join(&comma), body).unwrap();
        frictionless(dir.path(), &[&comma, "--schema", &schema]);
        let semi = format!("{name}-semicolon.csv");
        std::fs::write(
            dir.path().join(&semi),
            get(format!("exports/{comma}?sep=semicolon")).await,
        )
        .unwrap();
        frictionless(
            dir.path(),
            &[
                &semi,
                "--schema",
                &schema,
                "--dialect",
                r#"{"csv": {"delimiter": ";"}}"#,
            ],
        );
    }
    // The zip: a CSV and a schema per dataset, and a datapackage.json that validates.
    let zip = get("exports.zip".into()).await;
    let unpacked = dir.path().join("zip");
    std::fs::create_dir(&unpacked).unwrap();
    std::fs::write(dir.path().join("all.zip"), &zip).unwrap();
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
                      assert z.testzip() is None; z.extractall(sys.argv[2]); \
                      print(' '.join(sorted(z.namelist())))",
        ])
        .arg(dir.path().join("all.zip"))
        .arg(&unpacked)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names = String::from_utf8(out.stdout).unwrap();
    for d in Dataset::ALL {
        assert!(names.contains(&format!("{}.csv", d.as_str())), "{names}");
        assert!(
            names.contains(&format!("{}.schema.json", d.as_str())),
            "{names}"
        );
        // The zip's CSV is the download's.
        let alone = get(format!("exports/{}.csv", d.as_str())).await;
        let zipped = std::fs::read(unpacked.join(format!("{}.csv", d.as_str()))).unwrap();
        assert_eq!(alone.as_ref(), zipped.as_slice(), "{}", d.as_str());
    }
    assert!(names.contains("datapackage.json"), "{names}");
    frictionless(&unpacked, &["datapackage.json"]);
    // Cached per revision, like every export.
    let url = format!("{}/api/v1/tenants/{slug}/exports.zip", srv.base);
    let first = http.get(&url).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = http
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    srv.stop().await;
}

both_backends!(
    everything_public_and_nothing_personal,
    table_schemas_validate_their_csvs
);
