//! Open311 GeoReport v2 on both databases: discovery, services and their definitions,
//! requests read with every filter and the defaults, one request, filing with an API key in
//! JSON and XML (refused without a key, with a revoked one or another collective's, with a bad
//! place or no description), the answers' fields against the standard's lists, and no
//! personal data in any answer. `open311_client_reads_us` drives `georeport`, an Open311
//! client from PyPI that no one here wrote (`make test-tools` installs it).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::collections::BTreeSet;

use serde_json::{Value, json};
use vigie_tests::{Backend, TestServer, both_backends};

/// The fields the GeoReport v2 specification lists for each answer.
mod spec {
    pub const DISCOVERY: [&str; 4] = ["changeset", "contact", "key_service", "endpoints"];
    pub const ENDPOINT: [&str; 5] = ["specification", "url", "changeset", "type", "formats"];
    pub const SERVICE: [&str; 7] = [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ];
    pub const DEFINITION: [&str; 2] = ["service_code", "attributes"];
    pub const ATTRIBUTE: [&str; 8] = [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ];
    pub const VALUE: [&str; 2] = ["key", "name"];
    pub const DATATYPES: [&str; 6] = [
        "string",
        "number",
        "datetime",
        "text",
        "singlevaluelist",
        "multivaluelist",
    ];
    pub const REQUEST: [&str; 17] = [
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responded",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ];
    /// The answer to a filing: the id or a token, the notice, the account.
    pub const FILED: [&str; 4] = [
        "service_request_id",
        "service_notice",
        "account_id",
        "token",
    ];
    pub const ERROR: [&str; 2] = ["code", "description"];
}

/// Personal data the collective holds; no Open311 answer may show any.
const PERSONAL: [&str; 7] = [
    "parent.anonyme@example.org",
    "garant@vigie.test",
    "guru@vigie.test",
    "jean.travaux@marseille.fr",
    "Dupontel",
    "Jeanne",
    "06 12 34 56 78",
];

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

fn assert_fields(v: &Value, list: &[&str], what: &str) {
    let expected: BTreeSet<String> = list.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(keys(v), expected, "{what}: the specification's fields");
}

/// A raw answer: status, content type, text.
struct Raw {
    status: u16,
    content_type: String,
    text: String,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }
}

async fn get(http: &reqwest::Client, base: &str, path: &str) -> Raw {
    let r = http.get(format!("{base}{path}")).send().await.unwrap();
    raw(r).await
}

async fn post(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Raw {
    let mut req = http.post(format!("{base}{path}")).form(form);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    raw(req.send().await.unwrap()).await
}

async fn raw(r: reqwest::Response) -> Raw {
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Raw {
        status,
        content_type,
        text: r.text().await.unwrap(),
    }
}

/// The standard's error list, one error with this code.
fn assert_error(r: &Raw, status: u16) {
    assert_eq!(r.status, status, "{}", r.text);
    let body = r.json();
    let errors = body.as_array().unwrap_or_else(|| panic!("{}", r.text));
    assert_eq!(errors.len(), 1, "{}", r.text);
    assert_fields(&errors[0], &spec::ERROR, "error");
    assert_eq!(errors[0]["code"], status);
    assert!(!errors[0]["description"].as_str().unwrap().is_empty());
}

async fn georeport_v2(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let c = srv.collective("cem", &["schools"]).await;
    let base = srv.base.clone();
    let http = reqwest::Client::new();
    let o = "/open311/v2";
    // A second collective: the jurisdiction must then be named; its key is not cem's.
    let r = c
        .guru
        .post(
            "/api/v1/tenants",
            json!({"slug": "bib", "name": "Bibliothèques", "object_types": ["libraries"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = c
        .guru
        .post(
            "/api/v1/tenants/bib/garants",
            json!({"object_type": "libraries", "email": "garant@vigie.test"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Two schools, the second with an address, 1 km apart.
    let school = srv
        .object("cem", "schools", &vigie_tests::uai(1), "École A")
        .await;
    let tenant = srv.app.store.tenant_by_slug("cem").await.unwrap().unwrap();
    let identity = vigie_storage::ObjectIdentity {
        identifier: vigie_tests::uai(2),
        official_name: "École B".into(),
        street: Some("1 rue des Écoles".into()),
        postcode: Some("13001".into()),
        city: Some("MARSEILLE".into()),
        insee_code: None,
        latitude: Some(43.31),
        longitude: Some(5.41),
        status: vigie_domain::ObjectStatus::Open,
        opened_on: None,
        closed_on: None,
    };
    let ty = vigie_domain::ObjectTypeKey::parse("schools").unwrap();
    let school_b = srv
        .app
        .store
        .create_object(tenant.id, &ty, &identity, None, None)
        .await
        .unwrap()
        .id;
    let mut bodies: Vec<String> = Vec::new();

    // Discovery.
    let r = get(&http, &base, &format!("{o}/discovery.json")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let d = r.json();
    assert_fields(&d, &spec::DISCOVERY, "discovery");
    assert_fields(&d["endpoints"][0], &spec::ENDPOINT, "endpoint");
    assert!(
        d["endpoints"][0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/open311/v2")
    );
    bodies.push(r.text);
    let r = get(&http, &base, &format!("{o}/discovery.xml")).await;
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("text/xml"), "{}", r.content_type);
    assert!(r.text.contains("<discovery>") && r.text.contains("<format>text/xml</format>"));
    bodies.push(r.text);

    // Services: the jurisdiction is required here, and must exist.
    assert_error(&get(&http, &base, &format!("{o}/services.json")).await, 400);
    assert_error(
        &get(
            &http,
            &base,
            &format!("{o}/services.json?jurisdiction_id=nowhere"),
        )
        .await,
        404,
    );
    let r = get(
        &http,
        &base,
        &format!("{o}/services.xml?jurisdiction_id=nowhere"),
    )
    .await;
    assert_eq!(r.status, 404);
    assert!(r.text.contains("<errors><error>"), "{}", r.text);
    let r = get(
        &http,
        &base,
        &format!("{o}/services.json?jurisdiction_id=cem"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let services = r.json();
    let codes: Vec<&str> = services
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service_code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "schools.intervention",
            "schools.improvement",
            "schools.report",
            "schools.sst-register-entry",
            "schools.dgi-notice"
        ]
    );
    for s in services.as_array().unwrap() {
        assert_fields(s, &spec::SERVICE, "service");
        assert_eq!(s["type"], "realtime");
    }
    assert_eq!(services[1]["metadata"], false, "improvement has no fields");
    assert_eq!(services[3]["metadata"], true);
    bodies.push(r.text);
    let r = get(
        &http,
        &base,
        &format!("{o}/services.xml?jurisdiction_id=cem"),
    )
    .await;
    assert!(r.text.contains("<services><service>"), "{}", r.text);
    assert!(
        r.text
            .contains("<service_code>schools.dgi-notice</service_code>")
    );
    bodies.push(r.text);

    // A service's definition: the kind's extra fields as attributes.
    let r = get(
        &http,
        &base,
        &format!("{o}/services/schools.sst-register-entry.json?jurisdiction_id=cem"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let def = r.json();
    assert_fields(&def, &spec::DEFINITION, "service definition");
    let attributes = def["attributes"].as_array().unwrap();
    let summary: Vec<(&str, &str, bool, i64)> = attributes
        .iter()
        .map(|a| {
            assert_fields(a, &spec::ATTRIBUTE, "attribute");
            assert!(spec::DATATYPES.contains(&a["datatype"].as_str().unwrap()));
            (
                a["code"].as_str().unwrap(),
                a["datatype"].as_str().unwrap(),
                a["required"].as_bool().unwrap(),
                a["order"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("observation", "text", true, 1),
            ("location-in-building", "string", true, 2),
            ("risk-category", "singlevaluelist", true, 3),
            ("suggestion", "text", false, 4)
        ]
    );
    let risk = attributes[2]["values"].as_array().unwrap();
    assert!(!risk.is_empty());
    assert_fields(&risk[0], &spec::VALUE, "value");
    let risk_key = risk[0]["key"].as_str().unwrap().to_owned();
    bodies.push(r.text);
    let r = get(
        &http,
        &base,
        &format!("{o}/services/schools.dgi-notice.xml?jurisdiction_id=cem"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.text.contains("<service_definition>"), "{}", r.text);
    assert!(
        r.text.contains("<datatype>datetime</datatype>"),
        "{}",
        r.text
    );
    bodies.push(r.text);
    assert_error(
        &get(
            &http,
            &base,
            &format!("{o}/services/schools.nothing.json?jurisdiction_id=cem"),
        )
        .await,
        404,
    );

    // API keys: a Garant of the collective issues them; nobody else.
    let anon = srv.client();
    let r = anon
        .post("/api/v1/tenants/cem/api-keys", json!({"label": "Appli"}))
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = c
        .garant
        .post(
            "/api/v1/tenants/cem/api-keys",
            json!({"label": "Appli de la mairie"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let key = r.body["api_key"].as_str().unwrap().to_owned();
    let key_id = r.body["key"]["id"].as_i64().unwrap();
    let r = c
        .garant
        .post("/api/v1/tenants/bib/api-keys", json!({"label": "Autre"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let other_key = r.body["api_key"].as_str().unwrap().to_owned();
    srv.operator_user("stranger@vigie.test", "Passant", false)
        .await
        .unwrap();
    let stranger = srv.client();
    stranger
        .sign_in("stranger@vigie.test", vigie_tests::PASSWORD)
        .await;
    let r = stranger
        .post("/api/v1/tenants/cem/api-keys", json!({"label": "Appli"}))
        .await;
    assert_eq!(r.status, 403, "only a Garant of the collective: {}", r.text);
    assert_eq!(
        stranger.get("/api/v1/tenants/cem/api-keys").await.status,
        403
    );
    let r = c
        .garant
        .post("/api/v1/tenants/cem/api-keys", json!({"label": " "}))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let list = c.garant.get("/api/v1/tenants/cem/api-keys").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert!(!list.text.contains(&key), "a key is shown once");
    assert_eq!(anon.get("/api/v1/tenants/cem/api-keys").await.status, 401);

    // Filing: refused without a key, with a wrong one, with another collective's.
    let file = format!("{o}/requests.json?jurisdiction_id=cem");
    let sid = school.to_string();
    let good = [
        ("service_code", "schools.intervention"),
        ("address_id", sid.as_str()),
        (
            "description",
            "Fuite d'eau au préau\nDepuis lundi, le préau est inondé.",
        ),
    ];
    assert_error(&post(&http, &base, &file, &good, &[]).await, 401);
    for k in ["vk_nothing", other_key.as_str()] {
        let mut form = good.to_vec();
        form.push(("api_key", k));
        assert_error(&post(&http, &base, &file, &form, &[]).await, 401);
    }
    let with_key = |extra: &[(&'static str, &'static str)]| {
        let mut form: Vec<(&str, String)> = vec![("api_key", key.clone())];
        form.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        form
    };
    // Bad input: no description, no place, a position far from any school, a place of
    // another collective, an unknown attribute.
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            with_key(&[
                ("service_code", "schools.intervention"),
                ("description", " "),
            ])
            .into_iter()
            .chain([("address_id", sid.clone())])
            .collect(),
            "description",
        ),
        (
            with_key(&[
                ("service_code", "schools.intervention"),
                ("description", "Fuite au préau"),
            ]),
            "address_id",
        ),
        (
            with_key(&[
                ("service_code", "schools.intervention"),
                ("description", "Fuite au préau"),
                ("lat", "43.40"),
                ("long", "5.40"),
            ]),
            "300",
        ),
        (
            with_key(&[
                ("service_code", "schools.intervention"),
                ("description", "Fuite au préau"),
                ("address_id", "999999"),
            ]),
            "address_id",
        ),
        (
            with_key(&[
                ("service_code", "schools.intervention"),
                ("description", "Fuite au préau"),
                ("attribute[colour]", "bleu"),
            ])
            .into_iter()
            .chain([("address_id", sid.clone())])
            .collect(),
            "colour",
        ),
        (
            with_key(&[
                ("service_code", "schools.nothing"),
                ("description", "Fuite au préau"),
            ]),
            "service_code",
        ),
    ];
    for (form, says) in &cases {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = post(&http, &base, &file, &form, &[]).await;
        assert_error(&r, 400);
        assert!(r.text.contains(says), "{says}: {}", r.text);
    }

    // Filed with a key (JSON): the e-mail is the filer's private contact, confirmed as usual;
    // names are not kept; a media_url is not fetched, and the notice says so.
    let mut form = good.to_vec();
    form.extend([
        ("api_key", key.as_str()),
        ("attribute[location]", "Préau des petits"),
        ("email", "parent.anonyme@example.org"),
        ("first_name", "Jeanne"),
        ("last_name", "Dupontel"),
        ("phone", "06 12 34 56 78"),
        ("media_url", "https://example.org/photo.jpg"),
    ]);
    let r = post(&http, &base, &file, &form, &[]).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let filed = r.json();
    assert_fields(&filed[0], &spec::FILED, "filed");
    assert!(
        filed[0]["service_notice"]
            .as_str()
            .unwrap()
            .contains("media_url")
    );
    let token = filed[0]["token"].as_str().unwrap().to_owned();
    let first: i64 = filed[0]["service_request_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let confirm = srv
        .last_link("parent.anonyme@example.org", &format!("/t/cem/r/{first}"))
        .unwrap();
    assert_ne!(
        confirm, token,
        "the e-mail confirms the address with its own link"
    );
    // Reads carry an ETag: 304 while nothing changed, the new list after a filing.
    let list = format!("{base}{o}/requests.json?jurisdiction_id=cem");
    let tagged = http.get(&list).send().await.unwrap();
    assert_eq!(tagged.status(), 200);
    let etag = tagged.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert_eq!(tagged.headers()["cache-control"], "public, no-cache");
    let same = http
        .get(&list)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 304);
    assert_eq!(same.headers()["etag"].to_str().unwrap(), etag);
    assert!(same.bytes().await.unwrap().is_empty());
    // The same filing sent again with its idempotency key finds the first.
    let again_headers = [("Idempotency-Key", "open311-filing-0001")];
    let a = post(&http, &base, &file, &good_with(&key, &good), &again_headers).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let changed = http
        .get(&list)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200, "a filing changes the list");
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
    let b = post(&http, &base, &file, &good_with(&key, &good), &again_headers).await;
    assert_eq!(b.status, 200, "{}", b.text);
    assert_eq!(
        a.json()[0]["service_request_id"],
        b.json()[0]["service_request_id"]
    );
    let replayed: i64 = a.json()[0]["service_request_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    // Filed in XML, by position (the nearest school within 300 m), with the kind's fields.
    let r = post(
        &http,
        &base,
        &format!("{o}/requests.xml?jurisdiction_id=cem"),
        &[
            ("api_key", key.as_str()),
            ("service_code", "schools.sst-register-entry"),
            ("lat", "43.3101"),
            ("long", "5.4102"),
            ("description", "Escalier glissant côté cantine"),
            (
                "attribute[observation]",
                "Les marches sont usées et glissantes.",
            ),
            ("attribute[location-in-building]", "Escalier de la cantine"),
            ("attribute[risk-category]", risk_key.as_str()),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.content_type.starts_with("text/xml"));
    assert!(r.text.contains("<service_requests><request>"), "{}", r.text);
    let sst: i64 = r
        .text
        .split("<service_request_id>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .parse()
        .unwrap();
    let sst_request = srv
        .app
        .store
        .request(tenant.id, sst)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sst_request.object_id, school_b);
    // A required field missing: the type's rules refuse it, in the standard's format.
    let r = post(
        &http,
        &base,
        &format!("{o}/requests.xml?jurisdiction_id=cem"),
        &[
            ("api_key", key.as_str()),
            ("service_code", "schools.sst-register-entry"),
            ("address_id", sid.as_str()),
            ("description", "Escalier glissant"),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(
        r.text.contains("<errors><error><code>400</code>"),
        "{}",
        r.text
    );

    // Two more: one refused, one set apart.
    let mut ids = Vec::new();
    for text in [
        "Injures sur le mur du préau",
        "Message hors sujet à écarter",
    ] {
        let r = post(
            &http,
            &base,
            &file,
            &[
                ("api_key", key.as_str()),
                ("service_code", "schools.report"),
                ("address_id", sid.as_str()),
                ("description", text),
            ],
            &[],
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.text);
        ids.push(
            r.json()[0]["service_request_id"]
                .as_str()
                .unwrap()
                .parse::<i64>()
                .unwrap(),
        );
    }
    let (refused, set_apart) = (ids[0], ids[1]);

    // Awaiting moderation: listed without words.
    let list = get(
        &http,
        &base,
        &format!("{o}/requests.json?jurisdiction_id=cem"),
    )
    .await;
    assert_eq!(list.status, 200, "{}", list.text);
    let all = list.json();
    assert_eq!(all.as_array().unwrap().len(), 5, "{}", list.text);
    for r in all.as_array().unwrap() {
        assert_fields(r, &spec::REQUEST, "request");
        assert_eq!(r["status"], "open");
        assert!(r["description"].is_null());
        assert!(
            r["status_notes"]
                .as_str()
                .unwrap()
                .contains("en attente de modération")
        );
    }
    assert!(!list.text.contains("Fuite d'eau"));
    bodies.push(list.text);

    // Moderated: published and assigned, refused with its reason, set apart.
    for (id, decision) in [
        (first, "publish"),
        (refused, "refuse"),
        (set_apart, "set_apart"),
        (sst, "publish"),
    ] {
        let r = c
            .garant
            .post(
                &format!("/api/v1/tenants/cem/requests/{id}/moderation"),
                json!({"decision": decision, "reason": "Motif public"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = c
        .garant
        .post(
            "/api/v1/tenants/cem/object-types/schools/contacts",
            json!({"name": "Jean Travaux", "role_title": "Travaux", "email": "jean.travaux@marseille.fr"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let contact = r.body["id"].as_i64().unwrap();
    let r = c
        .garant
        .post(
            &format!("/api/v1/tenants/cem/requests/{first}/assignees"),
            json!({"contact_id": contact}),
        )
        .await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text);

    // A photo, attached with the filer's link: its URL is the request's media_url.
    let r = anon
        .upload(
            &format!("/api/v1/tenants/cem/requests/{first}/attachments?token={token}"),
            &[("title", "Le préau inondé")],
            "preau.jpg",
            vigie_tests::jpeg_with_gps(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let photo = r.body["download"].as_str().unwrap().to_owned();

    // One request: a list of one.
    let r = get(
        &http,
        &base,
        &format!("{o}/requests/{first}.json?jurisdiction_id=cem"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let one = &r.json()[0];
    assert_fields(one, &spec::REQUEST, "request");
    assert_eq!(one["status"], "open");
    assert!(
        one["description"]
            .as_str()
            .unwrap()
            .contains("Depuis lundi")
    );
    assert_eq!(one["agency_responded"], "Jean Travaux (Travaux)");
    assert_eq!(one["address_id"], sid.as_str());
    assert_eq!(one["service_code"], "schools.intervention");
    assert_eq!(one["service_name"], services[0]["service_name"]);
    assert!(
        one["status_notes"]
            .as_str()
            .unwrap()
            .contains("(published)")
    );
    assert_eq!(one["lat"], 43.3);
    assert_eq!(
        one["media_url"].as_str().unwrap(),
        format!("{}{photo}", srv.settings.public_url())
    );
    bodies.push(r.text);
    let r = get(
        &http,
        &base,
        &format!("{o}/requests/{sst}.xml?jurisdiction_id=cem"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.text.contains("<zipcode>13001</zipcode>"), "{}", r.text);
    assert!(r.text.contains("1 rue des Écoles"), "{}", r.text);
    bodies.push(r.text);
    let r = get(
        &http,
        &base,
        &format!("{o}/requests/{refused}.json?jurisdiction_id=cem"),
    )
    .await;
    let one = &r.json()[0];
    assert_eq!(one["status"], "closed");
    assert!(
        one["status_notes"]
            .as_str()
            .unwrap()
            .contains("Motif public")
    );
    assert!(one["description"].as_str().unwrap().contains("Injures"));
    bodies.push(r.text);
    let r = get(
        &http,
        &base,
        &format!("{o}/requests/{set_apart}.json?jurisdiction_id=cem"),
    )
    .await;
    let one = &r.json()[0];
    assert_eq!(one["status"], "closed");
    assert!(one["description"].is_null());
    assert!(
        one["status_notes"]
            .as_str()
            .unwrap()
            .contains("content hidden")
    );
    assert!(!r.text.contains("hors sujet"));
    bodies.push(r.text);
    assert_error(
        &get(
            &http,
            &base,
            &format!("{o}/requests/999999.json?jurisdiction_id=cem"),
        )
        .await,
        404,
    );
    assert_error(
        &get(
            &http,
            &base,
            &format!("{o}/requests/abc.json?jurisdiction_id=cem"),
        )
        .await,
        404,
    );

    // Filters: ids, service, status, dates; and what is refused.
    let ids_of = |v: &Value| -> BTreeSet<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["service_request_id"].as_str().unwrap().parse().unwrap())
            .collect()
    };
    let q = |query: &str| format!("{o}/requests.json?jurisdiction_id=cem&{query}");
    let r = get(
        &http,
        &base,
        &q(&format!("service_request_id={first},{sst}")),
    )
    .await;
    assert_eq!(ids_of(&r.json()), BTreeSet::from([first, sst]));
    let r = get(&http, &base, &q("service_code=schools.sst-register-entry")).await;
    assert_eq!(ids_of(&r.json()), BTreeSet::from([sst]));
    let r = get(
        &http,
        &base,
        &q("service_code=schools.report,schools.sst-register-entry"),
    )
    .await;
    assert_eq!(ids_of(&r.json()), BTreeSet::from([refused, set_apart, sst]));
    let r = get(&http, &base, &q("status=closed")).await;
    assert_eq!(ids_of(&r.json()), BTreeSet::from([refused, set_apart]));
    let r = get(&http, &base, &q("status=open")).await;
    assert_eq!(ids_of(&r.json()), BTreeSet::from([first, sst, replayed]));
    let r = get(&http, &base, &q("status=open,closed")).await;
    assert_eq!(r.json().as_array().unwrap().len(), 5);
    let r = get(&http, &base, &q("start_date=2099-01-01T00:00:00Z")).await;
    assert_eq!(r.json().as_array().unwrap().len(), 0);
    // The default window is the last 90 days: an old request is found only by its dates.
    sqlx::query("UPDATE requests SET filed_at = $1 WHERE id = $2")
        .bind("2020-01-10T12:00:00.000000Z")
        .bind(replayed)
        .execute(srv.app.store.raw_pool())
        .await
        .unwrap();
    let r = get(&http, &base, &q("")).await;
    assert!(!ids_of(&r.json()).contains(&replayed));
    let r = get(
        &http,
        &base,
        &q("start_date=2020-01-01&end_date=2020-01-31T00:00:00Z"),
    )
    .await;
    assert_eq!(ids_of(&r.json()), BTreeSet::from([replayed]));
    let r = get(&http, &base, &q("end_date=2020-02-01")).await;
    assert_eq!(ids_of(&r.json()), BTreeSet::from([replayed]));
    let r = get(&http, &base, &q(&format!("service_request_id={replayed}"))).await;
    assert_eq!(
        ids_of(&r.json()),
        BTreeSet::from([replayed]),
        "ids override the dates"
    );
    for bad in [
        "start_date=2020-01-01&end_date=2020-12-31",
        "start_date=yesterday",
        "start_date=2020-02-01&end_date=2020-01-01",
        "status=pending",
        "service_code=schools.nothing",
        "service_request_id=1,x",
    ] {
        assert_error(&get(&http, &base, &q(bad)).await, 400);
    }
    let r = get(
        &http,
        &base,
        &format!("{o}/requests.xml?jurisdiction_id=cem"),
    )
    .await;
    assert!(r.text.contains("<service_requests><request>"), "{}", r.text);
    bodies.push(r.text);
    let r = get(&http, &base, &q("")).await;
    bodies.push(r.text);

    // At most 1 000 answers, newest first; at most 1 000 ids asked.
    sqlx::query(
        "INSERT INTO requests (tenant_id, object_id, kind, categories, title, description, \
         extra_fields, urgency, provenance, status, filed_at, updated_at) \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1001) \
         SELECT r.tenant_id, r.object_id, r.kind, r.categories, r.title, r.description, \
         r.extra_fields, r.urgency, r.provenance, r.status, r.filed_at, r.updated_at \
         FROM requests r, n WHERE r.id = $1",
    )
    .bind(refused)
    .execute(srv.app.store.raw_pool())
    .await
    .unwrap();
    let r = get(&http, &base, &q("")).await;
    let many = r.json();
    let many = many.as_array().unwrap();
    assert_eq!(many.len(), 1000);
    let newest: i64 = many[0]["service_request_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(newest > set_apart + 1000, "newest first");
    let thousand_and_one: Vec<String> = (1..=1001).map(|i| i.to_string()).collect();
    assert_error(
        &get(
            &http,
            &base,
            &q(&format!(
                "service_request_id={}",
                thousand_and_one.join(",")
            )),
        )
        .await,
        400,
    );

    // The Garant's page: issue a key (shown once), see it listed, revoke it.
    let page = c.garant.get("/t/cem/garant").await;
    assert!(
        page.text.contains("/t/cem/garant/api-keys"),
        "linked from the desk"
    );
    let r = c
        .garant
        .form(
            "/t/cem/garant/api-keys",
            &[("label", "Appli de l'association")],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let shown = r
        .text
        .split("<code id=\"api-key\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    assert!(shown.starts_with("vk_"), "{shown}");
    let listed = c.garant.get("/t/cem/garant/api-keys").await;
    assert_eq!(listed.status, 200);
    assert!(
        listed.text.contains("Appli de l&#x27;association")
            || listed.text.contains("Appli de l'association"),
        "{}",
        listed.text
    );
    assert!(!listed.text.contains(&shown), "a key is shown once");
    let web_key = c.garant.get("/api/v1/tenants/cem/api-keys").await.body[0]["id"]
        .as_i64()
        .unwrap();
    let r = c
        .garant
        .form(&format!("/t/cem/garant/api-keys/{web_key}/revoke"), &[])
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let r = post(&http, &base, &file, &good_with(&shown, &good), &[]).await;
    assert_error(&r, 401);
    let r = anon
        .form("/t/cem/garant/api-keys", &[("label", "Pirate")])
        .await;
    assert_eq!(r.status, 303, "the anonymous are sent to sign in");
    let r = anon.get("/t/cem/garant/api-keys").await;
    assert_eq!(r.status, 303);

    // Revoked: refused from now on, and listed as revoked.
    let r = c
        .garant
        .delete(&format!("/api/v1/tenants/cem/api-keys/{key_id}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["revoked_at"].is_string());
    let r = post(&http, &base, &file, &good_with(&key, &good), &[]).await;
    assert_error(&r, 401);
    assert!(r.text.contains("révoquée"), "{}", r.text);
    let r = c
        .garant
        .delete(&format!("/api/v1/tenants/cem/api-keys/{key_id}"))
        .await;
    assert_eq!(r.status, 404);
    assert_error(&get(&http, &base, &format!("{o}/nothing.json")).await, 404);
    assert_error(&get(&http, &base, &format!("{o}/services.csv")).await, 404);

    // Nothing personal, in any answer but the filer's own token in their filing's.
    let public_url = srv.settings.public_url();
    for body in &bodies {
        let scanned = body.replace(&public_url, "");
        for p in PERSONAL {
            assert!(!scanned.contains(p), "an Open311 answer shows {p}: {body}");
        }
        assert!(!body.contains(&token), "a follow token outside its filing");
        assert!(!body.contains(&key) && !body.contains(&other_key));
        assert!(!scanned.contains("127.0.0.1"), "{body}");
    }
    srv.stop().await;
}

/// The form of a good filing with this key.
fn good_with<'a>(key: &'a str, good: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = good.to_vec();
    form.push(("api_key", key));
    form
}

both_backends!(georeport_v2);

/// `georeport` (PyPI), an Open311 GeoReport v2 client no one here wrote, reads our services,
/// a definition and the requests in JSON and in XML.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open311_client_reads_us() {
    let srv = TestServer::start(Backend::Sqlite).await.unwrap();
    let c = srv.collective("cem", &["schools"]).await;
    let school = srv
        .object("cem", "schools", &vigie_tests::uai(1), "École A")
        .await;
    let r = c
        .garant
        .post("/api/v1/tenants/cem/api-keys", json!({"label": "Appli"}))
        .await;
    let key = r.body["api_key"].as_str().unwrap().to_owned();
    let r = reqwest::Client::new()
        .post(format!("{}/open311/v2/requests.json", srv.base))
        .form(&[
            ("api_key", key.as_str()),
            ("service_code", "schools.intervention"),
            ("address_id", school.to_string().as_str()),
            ("description", "Fuite d'eau au préau & <dans> la cour"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/open311_client.py");
    let out = tokio::process::Command::new("python3")
        .arg(&script)
        .arg(format!("{}/open311/v2", srv.base))
        .arg("cem")
        .output()
        .await
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the georeport client failed (is it installed? `make test-tools`): {stdout}\n{stderr}"
    );
    let seen: Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    for format in ["json", "xml"] {
        let f = &seen[format];
        assert_eq!(f["services"], 5, "{seen}");
        assert_eq!(f["first_service"], "schools.intervention", "{seen}");
        assert_eq!(f["attributes"], json!(["location"]), "{seen}");
        assert_eq!(f["requests"], 1, "{seen}");
        assert_eq!(f["status"], "open", "{seen}");
    }
    srv.stop().await;
}
