//! The Gurus' and Garants' pages over HTTP, on both databases: open a collective, appoint
//! Gurus, Garants and Certified citizens, set the map; a Garant imports a file, adds a place,
//! names contacts; a place's life events and documents; signing in returns to the page one
//! came from (and never to another site). Each form: success, bad input (400 with the typed
//! values kept), no right (403, or the sign-in page when anonymous), another collective's ids.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::json;
use vigie_tests::{Backend, Client, PASSWORD, TestServer, both_backends, uai};

/// Where a form's answer redirects to (`None`: no redirect).
async fn post_form_location(
    srv: &TestServer,
    c: &Client,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, Option<String>) {
    let r = c
        .http
        .post(format!("{}{path}", srv.base))
        .form(fields)
        .send()
        .await
        .unwrap();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (r.status().as_u16(), location)
}

async fn get_location(srv: &TestServer, c: &Client, path: &str) -> (u16, Option<String>) {
    let r = c
        .http
        .get(format!("{}{path}", srv.base))
        .send()
        .await
        .unwrap();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (r.status().as_u16(), location)
}

/// A Guru, the Garant of schools in `cem`, a citizen (all signed in), an anonymous visitor,
/// and a second collective `autre` with a school of its own (returned).
struct World {
    guru: Client,
    garant: Client,
    citizen: Client,
    anonymous: Client,
    other_school: i64,
}

async fn world(srv: &TestServer) -> World {
    let vigie_tests::Collective { guru, garant } = srv.collective("cem", &["schools"]).await;
    srv.operator_user("citizen@vigie.test", "Céline Citoyenne", false)
        .await
        .unwrap();
    let citizen = srv.client();
    citizen.sign_in("citizen@vigie.test", PASSWORD).await;
    let r = guru
        .post(
            "/api/v1/tenants",
            json!({"slug": "autre", "name": "Autre", "object_types": ["schools"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let other_school = srv
        .object("autre", "schools", &uai(139_001), "École d'ailleurs")
        .await;
    World {
        guru,
        garant,
        citizen,
        anonymous: srv.client(),
        other_school,
    }
}

async fn platform_page(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let w = world(&srv).await;

    // Anonymous: the sign-in page, then back here. Without the right: 403.
    assert_eq!(
        get_location(&srv, &w.anonymous, "/admin").await,
        (303, Some("/login?next=%2Fadmin".into()))
    );
    assert_eq!(w.citizen.get("/admin").await.status, 403);
    assert_eq!(w.garant.get("/admin").await.status, 403);
    // The link shows only for Gurus.
    assert!(w.guru.get("/").await.text.contains("href=\"/admin\""));
    assert!(!w.citizen.get("/").await.text.contains("href=\"/admin\""));
    assert!(!w.anonymous.get("/").await.text.contains("href=\"/admin\""));

    // The plugins and their versions.
    let page = w.guru.get("/admin").await;
    assert_eq!(page.status, 200, "{}", page.text);
    let version = srv.app.services.plugins().get("schools").unwrap();
    assert!(page.text.contains(&version.manifest().plugin_version));
    assert!(page.text.contains("value=\"libraries\""), "type checkboxes");
    let en = w.guru.get("/admin?lang=en").await.text;
    assert!(en.contains("Platform administration") && en.contains("Open a collective"));
    w.guru.get("/?lang=fr").await;

    // Open a collective: bad input keeps what was typed.
    let bad = w
        .guru
        .form(
            "/admin/collectives",
            &[
                ("slug", "Pas Bon"),
                ("name", "Bibliothèques d'Aix"),
                ("object_types", "libraries"),
                ("official_domains", "aix.fr"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert!(
        bad.text.contains("Bibliothèques d&#x27;Aix") || bad.text.contains("Bibliothèques d'Aix")
    );
    assert!(bad.text.contains("value=\"Pas Bon\""));
    assert!(
        bad.text.contains("value=\"libraries\" checked"),
        "{}",
        bad.text
    );
    let bad = w
        .guru
        .form(
            "/admin/collectives",
            &[
                ("slug", "aix"),
                ("name", "Aix"),
                ("object_types", "schools"),
                ("latitude", "quarante"),
                ("longitude", "5.4"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.text.contains("n&#x27;est pas un nombre") || bad.text.contains("n'est pas un nombre"),
        "{}",
        bad.text
    );
    let bad = w
        .guru
        .form(
            "/admin/collectives",
            &[
                ("slug", "aix"),
                ("name", "Aix"),
                ("object_types", "dragons"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.text.contains("dragons"));
    // Without the right.
    let fields = [
        ("slug", "aix"),
        ("name", "Aix"),
        ("object_types", "schools"),
        ("object_types", "libraries"),
        ("official_domains", "aix.fr, @ville-aix.fr"),
        ("latitude", "43,53"),
        ("longitude", "5.447"),
        ("zoom", "13"),
    ];
    assert_eq!(
        w.citizen.form("/admin/collectives", &fields).await.status,
        403
    );
    let (status, location) =
        post_form_location(&srv, &w.anonymous, "/admin/collectives", &fields).await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/login?next=%2Fadmin"))
    );
    assert_eq!(w.anonymous.get("/api/v1/tenants/aix").await.status, 404);
    // Opened.
    let (status, location) = post_form_location(&srv, &w.guru, "/admin/collectives", &fields).await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/t/aix/admin?done=created"))
    );
    let t = w.anonymous.get("/api/v1/tenants/aix").await.body;
    assert_eq!(t["object_types"], json!(["libraries", "schools"]), "{t}");
    assert_eq!(
        t["official_domains"],
        json!(["aix.fr", "ville-aix.fr"]),
        "{t}"
    );
    assert_eq!(t["map"]["latitude"], json!(43.53), "{t}");
    assert_eq!(t["map"]["zoom"], json!(13), "{t}");
    assert!(
        w.guru
            .get("/t/aix/admin?done=created")
            .await
            .text
            .contains("Collectif ouvert")
    );
    // The same slug again: refused, shown on the form.
    let again = w.guru.form("/admin/collectives", &fields).await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert!(again.text.contains("value=\"aix\""));

    // Gurus by e-mail.
    let r = w
        .guru
        .form(
            "/admin/gurus",
            &[("email", "personne@vigie.test"), ("action", "grant")],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text.contains("Aucun compte") && r.text.contains("personne@vigie.test"));
    assert_eq!(
        w.citizen
            .form(
                "/admin/gurus",
                &[("email", "citizen@vigie.test"), ("action", "grant")]
            )
            .await
            .status,
        403
    );
    let (status, location) = post_form_location(
        &srv,
        &w.guru,
        "/admin/gurus",
        &[("email", "citizen@vigie.test"), ("action", "grant")],
    )
    .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/admin?done=guru_granted#gurus"))
    );
    assert_eq!(w.citizen.get("/admin").await.status, 200);
    let gurus = w.anonymous.get("/api/v1/platform/gurus").await.body;
    assert!(gurus.to_string().contains("Céline Citoyenne"), "{gurus}");
    let (status, _) = post_form_location(
        &srv,
        &w.guru,
        "/admin/gurus",
        &[("email", "citizen@vigie.test"), ("action", "revoke")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(w.citizen.get("/admin").await.status, 403);
    srv.stop().await;
}

async fn collective_settings(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let w = world(&srv).await;
    let school = srv
        .object("cem", "schools", &uai(139_002), "École d'ici")
        .await;

    assert_eq!(
        get_location(&srv, &w.anonymous, "/t/cem/admin").await,
        (303, Some("/login?next=%2Ft%2Fcem%2Fadmin".into()))
    );
    assert_eq!(w.citizen.get("/t/cem/admin").await.status, 403);
    assert_eq!(w.garant.get("/t/cem/admin").await.status, 403);
    assert_eq!(w.guru.get("/t/nulle-part/admin").await.status, 404);
    let page = w.guru.get("/t/cem/admin").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Gaëlle Garant"), "the current roles");
    // The settings link only for those who may use it.
    assert!(
        w.guru
            .get("/t/cem")
            .await
            .text
            .contains("href=\"/t/cem/admin\"")
    );
    assert!(
        !w.garant
            .get("/t/cem")
            .await
            .text
            .contains("href=\"/t/cem/admin\"")
    );
    assert!(
        !w.anonymous
            .get("/t/cem")
            .await
            .text
            .contains("href=\"/t/cem/admin\"")
    );

    // A Garant by e-mail.
    let garant_of = |email: &'static str, action: &'static str, ty: &'static str| {
        vec![
            ("role", "garant"),
            ("object_type", ty),
            ("email", email),
            ("action", action),
        ]
    };
    let r = w
        .guru
        .form(
            "/t/cem/admin/roles",
            &garant_of("citizen@vigie.test", "grant", "libraries"),
        )
        .await;
    assert_eq!(r.status, 400, "libraries are not enabled here: {}", r.text);
    assert!(r.text.contains("value=\"citizen@vigie.test\""));
    let r = w
        .guru
        .form(
            "/t/cem/admin/roles",
            &garant_of("nobody@vigie.test", "grant", "schools"),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text.contains("Aucun compte"));
    assert_eq!(
        w.citizen
            .form(
                "/t/cem/admin/roles",
                &garant_of("citizen@vigie.test", "grant", "schools")
            )
            .await
            .status,
        403
    );
    let (status, location) = post_form_location(
        &srv,
        &w.guru,
        "/t/cem/admin/roles",
        &garant_of("citizen@vigie.test", "grant", "schools"),
    )
    .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/t/cem/admin?done=role_granted#roles"))
    );
    // The public record of roles, as before.
    let record = w.anonymous.get("/t/cem/roles").await;
    assert!(record.text.contains("Céline Citoyenne"));
    assert!(
        !record.text.contains("citizen@vigie.test"),
        "no e-mail shown"
    );
    assert_eq!(w.citizen.get("/t/cem/garant").await.status, 200);
    let (status, _) = post_form_location(
        &srv,
        &w.guru,
        "/t/cem/admin/roles",
        &garant_of("citizen@vigie.test", "revoke", "schools"),
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(w.citizen.get("/t/cem/garant").await.status, 403);
    let r = w
        .guru
        .form(
            "/t/cem/admin/roles",
            &garant_of("citizen@vigie.test", "revoke", "schools"),
        )
        .await;
    assert_eq!(r.status, 400, "nothing to remove: {}", r.text);
    assert!(r.text.contains("pas ce rôle ici"));
    let r = w
        .guru
        .form(
            "/t/cem/admin/roles",
            &garant_of("garant@vigie.test", "grant", "schools"),
        )
        .await;
    assert_eq!(r.status, 409, "already Garant: {}", r.text);
    assert!(r.text.contains("déjà ce rôle"));

    // A Certified citizen of a place: this collective's places only.
    let certify = |id: String, action: &'static str| {
        vec![
            ("role", "certified".to_owned()),
            ("object_id", id),
            ("email", "citizen@vigie.test".to_owned()),
            ("action", action.to_owned()),
        ]
    };
    let as_refs = |v: &Vec<(&'static str, String)>| -> Vec<(&'static str, String)> { v.clone() };
    let other = as_refs(&certify(w.other_school.to_string(), "grant"));
    let other: Vec<(&str, &str)> = other.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = w.guru.form("/t/cem/admin/roles", &other).await;
    assert_eq!(r.status, 400, "another collective's place: {}", r.text);
    assert!(r.text.contains("Aucun lieu"));
    let r = w
        .guru
        .form(
            "/t/cem/admin/roles",
            &[
                ("role", "certified"),
                ("object_id", "douze"),
                ("email", "citizen@vigie.test"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text.contains("value=\"douze\""));
    let mine = certify(school.to_string(), "grant");
    let mine: Vec<(&str, &str)> = mine.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _) = post_form_location(&srv, &w.guru, "/t/cem/admin/roles", &mine).await;
    assert_eq!(status, 303);
    let sheet = w.anonymous.get(&format!("/t/cem/o/{school}")).await;
    assert!(
        sheet.text.contains("Céline Citoyenne"),
        "certified on the sheet"
    );

    // The map: view and own tiles, or none.
    let map = |lat: &'static str, url: &'static str, attribution: &'static str| {
        vec![
            ("latitude", lat),
            ("longitude", "5.45"),
            ("zoom", "14"),
            ("tile_url", url),
            ("attribution", attribution),
        ]
    };
    let r = w
        .guru
        .form(
            "/t/cem/admin/map",
            &map("43.4", "javascript:alert(1)", "© Moi"),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("adresse de tuiles") && r.text.contains("value=\"© Moi\""));
    let r = w.guru.form("/t/cem/admin/map", &map("95", "", "")).await;
    assert_eq!(r.status, 400);
    let url = "https://tiles.example.org/{z}/{x}/{y}.png";
    assert_eq!(
        w.garant
            .form("/t/cem/admin/map", &map("43.4", url, "© Exemple"))
            .await
            .status,
        403
    );
    let (status, location) = post_form_location(
        &srv,
        &w.guru,
        "/t/cem/admin/map",
        &map("43.4", url, "© Exemple"),
    )
    .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/t/cem/admin?done=map_saved#carte"))
    );
    let t = w.anonymous.get("/api/v1/tenants/cem").await.body;
    assert_eq!(t["map"]["latitude"], json!(43.4), "{t}");
    assert_eq!(t["map"]["tiles"]["url"], json!(url), "{t}");
    let page = w.guru.get("/t/cem/admin").await;
    assert!(page.text.contains("© Exemple"), "the form shows the tiles");
    // Back to the instance's tiles.
    let (status, _) =
        post_form_location(&srv, &w.guru, "/t/cem/admin/map", &map("43.4", "", "")).await;
    assert_eq!(status, 303);
    let t = w.anonymous.get("/api/v1/tenants/cem").await.body;
    assert!(t["map"]["tiles"].is_null(), "{t}");
    srv.stop().await;
}

/// A small referential of three schools in the official format: two good rows and one whose
/// UAI has a wrong check letter.
fn referential() -> Vec<u8> {
    let row = |uai: &str, name: &str| {
        format!(
            "{uai};{name};1 RUE DES ECOLES;13001;MARSEILLE;13201;43.30;5.38;Public;151;\
             ECOLE DE NIVEAU ELEMENTAIRE;OUVERT;1990-09-01"
        )
    };
    let bad = uai(139_012).replace(|c: char| c.is_ascii_uppercase(), "I");
    [
        vigie_tests::GEOLOCATION_HEADER.to_owned(),
        row(&uai(139_010), "Ecole du Port"),
        row(&uai(139_011), "Ecole de la Plage"),
        row(&bad, "Ecole fautive"),
    ]
    .join("\n")
    .into_bytes()
}

async fn garant_desk(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let w = world(&srv).await;

    assert_eq!(
        get_location(&srv, &w.anonymous, "/t/cem/garant").await,
        (303, Some("/login?next=%2Ft%2Fcem%2Fgarant".into()))
    );
    assert_eq!(w.citizen.get("/t/cem/garant").await.status, 403);
    assert_eq!(
        w.garant.get("/t/autre/garant").await.status,
        403,
        "not theirs"
    );
    assert_eq!(w.garant.get("/t/cem/garant").await.status, 200);
    assert_eq!(w.guru.get("/t/cem/garant").await.status, 200);

    // An empty collective says what to do first to its Garant, and that it is empty to others.
    let mine = w.garant.get("/t/cem").await.text;
    assert!(mine.contains("href=\"/t/cem/garant#import\""), "{mine}");
    assert!(mine.contains("href=\"/t/cem/garant\""));
    let theirs = w.citizen.get("/t/cem").await.text;
    assert!(theirs.contains("encore vide") && !theirs.contains("/t/cem/garant"));
    let anonymous = w.anonymous.get("/t/cem").await.text;
    assert!(anonymous.contains("encore vide") && !anonymous.contains("/t/cem/garant"));

    // Import from the browser: the report, with each refused row's reason.
    let r = w
        .citizen
        .upload(
            "/t/cem/garant/imports",
            &[("object_type", "schools")],
            "ref.csv",
            referential(),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = w
        .garant
        .upload(
            "/t/autre/garant/imports",
            &[("object_type", "schools")],
            "ref.csv",
            referential(),
        )
        .await;
    assert_eq!(r.status, 403, "another collective: {}", r.text);
    let r = w
        .garant
        .upload(
            "/t/cem/garant/imports",
            &[("object_type", "schools")],
            "x.csv",
            b"a;b\n1;2\n".to_vec(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.text.contains("numero_uai"),
        "the expected columns: {}",
        r.text
    );
    let r = w
        .garant
        .upload(
            "/t/cem/garant/imports",
            &[("object_type", "schools")],
            "ref.csv",
            referential(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("id=\"report-created\">2<"), "{}", r.text);
    assert!(r.text.contains("id=\"report-rejected\">1<"));
    assert!(r.text.contains("<td>4</td>"), "the refused line");
    let again = w
        .garant
        .upload(
            "/t/cem/garant/imports",
            &[("object_type", "schools")],
            "ref.csv",
            referential(),
        )
        .await;
    assert!(
        again.text.contains("id=\"report-unchanged\">2<"),
        "{}",
        again.text
    );
    let list = w.anonymous.get("/t/cem").await.text;
    assert!(list.contains("Ecole du Port") && !list.contains("encore vide"));

    // A place by hand, checked by the plugin.
    let place = |id: &str, name: &'static str| {
        vec![
            ("object_type", "schools".to_owned()),
            ("identifier", id.to_owned()),
            ("official_name", name.to_owned()),
            ("street", "3 rue Neuve".to_owned()),
            ("postcode", "13001".to_owned()),
            ("city", "Marseille".to_owned()),
            ("latitude", "43,3".to_owned()),
            ("longitude", "5.39".to_owned()),
        ]
    };
    let refs = |v: &[(&'static str, String)]| -> Vec<(&'static str, String)> { v.to_vec() };
    let bad = refs(&place("0130000Z", "École Neuve"));
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = w.garant.form("/t/cem/garant/places", &bad).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("value=\"École Neuve\"") && r.text.contains("value=\"0130000Z\""));
    let good_id = uai(139_020);
    let good = refs(&place(&good_id.to_lowercase(), "École Neuve"));
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        w.citizen.form("/t/cem/garant/places", &good).await.status,
        403
    );
    assert_eq!(
        w.garant.form("/t/autre/garant/places", &good).await.status,
        403
    );
    let (status, location) =
        post_form_location(&srv, &w.garant, "/t/cem/garant/places", &good).await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    assert!(location.starts_with("/t/cem/o/"), "{location}");
    let sheet = w.anonymous.get(&location).await.text;
    assert!(
        sheet.contains("École Neuve") && sheet.contains(&good_id),
        "normalised identifier"
    );
    let r = w.garant.form("/t/cem/garant/places", &good).await;
    assert_eq!(r.status, 409, "the same identifier again: {}", r.text);
    assert!(r.text.contains("existe déjà"));

    // The API's door calls the same use case.
    let body = json!({"object_type": "schools", "identifier": uai(139_021), "official_name": "École de l'API"});
    assert_eq!(
        w.citizen
            .post("/api/v1/tenants/cem/places", body.clone())
            .await
            .status,
        403
    );
    assert_eq!(
        w.garant
            .post("/api/v1/tenants/autre/places", body.clone())
            .await
            .status,
        403
    );
    let r = w
        .garant
        .post(
            "/api/v1/tenants/cem/places",
            json!({"object_type": "schools", "identifier": "0130000Z", "official_name": "X Y"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = w
        .garant
        .post("/api/v1/tenants/cem/places", body.clone())
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["identifier"], json!(uai(139_021)));
    assert_eq!(
        w.garant
            .post("/api/v1/tenants/cem/places", body)
            .await
            .status,
        409
    );

    // Contacts: names and positions shown, e-mails never.
    let contact = |email: &'static str| {
        vec![
            ("object_type", "schools"),
            ("name", "Marc Travaux"),
            ("role_title", "Directeur des travaux"),
            ("email", email),
        ]
    };
    let r = w
        .garant
        .form("/t/cem/garant/contacts", &contact("pas-une-adresse"))
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text.contains("value=\"Marc Travaux\""));
    assert_eq!(
        w.citizen
            .form("/t/cem/garant/contacts", &contact("marc@marseille.fr"))
            .await
            .status,
        403
    );
    let (status, location) = post_form_location(
        &srv,
        &w.garant,
        "/t/cem/garant/contacts",
        &contact("marc@marseille.fr"),
    )
    .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/t/cem/garant?done=contact#contacts"))
    );
    let desk = w.garant.get("/t/cem/garant?done=contact").await.text;
    assert!(desk.contains("Contact ajouté") && desk.contains("Marc Travaux"));
    assert!(
        !desk.contains("marc@marseille.fr"),
        "the e-mail stays private"
    );
    let contacts = w.anonymous.get("/api/v1/tenants/cem/contacts").await.body;
    assert_eq!(contacts.as_array().unwrap().len(), 1, "{contacts}");

    // The Garant certifies a citizen from the desk; not on another collective's place.
    let id = location_id(&location_of_place(&w.garant, &good_id).await);
    let (status, location) = post_form_location(
        &srv,
        &w.garant,
        "/t/cem/admin/roles",
        &[
            ("role", "certified"),
            ("from", "garant"),
            ("object_id", &id.to_string()),
            ("email", "citizen@vigie.test"),
            ("action", "grant"),
        ],
    )
    .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/t/cem/garant?done=role_granted#certify"))
    );
    let r = w
        .garant
        .form(
            "/t/cem/admin/roles",
            &[
                ("role", "certified"),
                ("from", "garant"),
                ("object_id", &w.other_school.to_string()),
                ("email", "citizen@vigie.test"),
                ("action", "grant"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text.contains("Aucun lieu") && r.text.contains("Espace garant"));
    srv.stop().await;
}

/// The place of `identifier`, through the public list.
async fn location_of_place(c: &Client, identifier: &str) -> String {
    let list = c.get("/api/v1/tenants/cem/objects").await.body;
    let o = list
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["identifier"] == identifier)
        .unwrap_or_else(|| panic!("{identifier} in {list}"));
    format!("/t/cem/o/{}", o["id"])
}

fn location_id(location: &str) -> i64 {
    location.rsplit('/').next().unwrap().parse().unwrap()
}

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

async fn life_pages(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let w = world(&srv).await;
    let school = srv
        .object("cem", "schools", &uai(139_030), "École Vie")
        .await;
    let life = format!("/t/cem/o/{school}/life");

    // Reachable from the place's page; anonymous visitors sign in first.
    assert!(
        w.anonymous
            .get(&format!("/t/cem/o/{school}"))
            .await
            .text
            .contains(&format!("href=\"{life}\""))
    );
    assert_eq!(
        get_location(&srv, &w.anonymous, &life).await,
        (
            303,
            Some(format!("/login?next=%2Ft%2Fcem%2Fo%2F{school}%2Flife"))
        )
    );
    assert!(w.citizen.get(&life).await.text.contains("une fois accepté"));
    assert!(
        w.garant
            .get(&life)
            .await
            .text
            .contains("publié tout de suite")
    );
    assert_eq!(
        w.garant
            .get(&format!("/t/cem/o/{}/life", w.other_school))
            .await
            .status,
        404,
        "another collective's place"
    );

    // A life event.
    let event = |starts: &'static str| {
        vec![
            ("kind", "works"),
            ("title", "Réfection de la cour"),
            ("description", "Toute la cour est refaite."),
            ("starts_on", starts),
            ("ends_on", "2026-08-31"),
        ]
    };
    let r = w
        .garant
        .form(&format!("{life}/events"), &event("2026-13-45"))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("value=\"Réfection de la cour\""));
    let r = w
        .garant
        .form(&format!("{life}/events"), &event("2026-09-01"))
        .await;
    assert_eq!(r.status, 400, "ends before it starts");
    let (status, location) = post_form_location(
        &srv,
        &w.garant,
        &format!("{life}/events"),
        &event("2026-07-01"),
    )
    .await;
    assert_eq!(
        (status, location),
        (303, Some(format!("{life}?done=event_added")))
    );
    let r = w
        .garant
        .form(
            &format!("/t/cem/o/{}/life/events", w.other_school),
            &event("2026-07-01"),
        )
        .await;
    assert_eq!(r.status, 404, "another collective's place");
    let sheet = w.anonymous.get(&format!("/t/cem/o/{school}")).await.text;
    assert!(sheet.contains("Réfection de la cour"));
    // A citizen's event waits for moderation.
    let (status, _) = post_form_location(
        &srv,
        &w.citizen,
        &format!("{life}/events"),
        &event("2026-07-02"),
    )
    .await;
    assert_eq!(status, 303);
    let events = w
        .anonymous
        .get(&format!("/api/v1/tenants/cem/objects/{school}/events"))
        .await
        .body;
    let states: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states.iter().filter(|s| **s == "pending").count(),
        1,
        "{events}"
    );
    assert_eq!(
        states.iter().filter(|s| **s == "accepted").count(),
        1,
        "{events}"
    );

    // A document.
    let doc = [
        ("kind", "asbestos_survey"),
        ("title", "Diagnostic amiante 2026"),
        ("document_date", "2026-03-02"),
    ];
    let r = w
        .garant
        .upload(
            &format!("{life}/documents"),
            &doc,
            "page.pdf",
            b"<html>not a pdf</html>".to_vec(),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("value=\"Diagnostic amiante 2026\""));
    let r = w
        .garant
        .upload(
            &format!("/t/cem/o/{}/life/documents", w.other_school),
            &doc,
            "diag.pdf",
            PDF.to_vec(),
        )
        .await;
    assert_eq!(r.status, 404, "another collective's place");
    let r = w
        .anonymous
        .upload(&format!("{life}/documents"), &doc, "diag.pdf", PDF.to_vec())
        .await;
    assert_eq!(r.status, 303, "anonymous: the sign-in page");
    let r = w
        .garant
        .upload(&format!("{life}/documents"), &doc, "diag.pdf", PDF.to_vec())
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let sheet = w.anonymous.get(&format!("/t/cem/o/{school}")).await.text;
    assert!(sheet.contains("Diagnostic amiante 2026"), "{sheet}");
    assert!(sheet.contains("documents&#x2f;"), "downloadable");
    srv.stop().await;
}

/// Signs the Guru in through the form with `next`: the client and where it is sent.
async fn sign_in(srv: &TestServer, next: &str) -> (Client, String) {
    let c = srv.client();
    let (status, location) = post_form_location(
        srv,
        &c,
        "/login",
        &[
            ("email", "guru@vigie.test"),
            ("password", PASSWORD),
            ("next", next),
        ],
    )
    .await;
    assert_eq!(status, 303, "{next}");
    (c, location.unwrap())
}

async fn sign_in_returns(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let w = world(&srv).await;
    // The sign-in link of a page carries it; the form keeps it.
    let page = w.anonymous.get("/t/cem/roles").await.text;
    assert!(
        page.contains("href=\"/login?next=%2Ft%2Fcem%2Froles\""),
        "{page}"
    );
    let form = w.anonymous.get("/login?next=%2Ft%2Fcem%2Fadmin").await.text;
    assert!(
        form.contains("name=\"next\" value=\"&#x2f;t&#x2f;cem&#x2f;admin\""),
        "{form}"
    );
    let form = w
        .anonymous
        .get("/login?next=https://evil.example")
        .await
        .text;
    assert!(
        !form.contains("name=\"next\""),
        "an off-site next is dropped"
    );

    let (c, location) = sign_in(&srv, "/t/cem/admin").await;
    assert_eq!(location, "/t/cem/admin");
    assert_eq!(c.get(&location).await.status, 200, "signed in");
    assert_eq!(
        sign_in(&srv, "/t/cem/o/1?proposed=1").await.1,
        "/t/cem/o/1?proposed=1"
    );
    for evil in [
        "//evil.example",
        "//evil.example/t/cem",
        "/\\evil.example",
        "https://evil.example/",
        "http:evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "evil.example",
        "/login",
        "",
    ] {
        assert_eq!(sign_in(&srv, evil).await.1, "/", "{evil:?}");
    }
    // A failed sign-in keeps where to go back to.
    let r = w
        .anonymous
        .form(
            "/login",
            &[
                ("email", "guru@vigie.test"),
                ("password", "wrong password!"),
                ("next", "/t/cem/garant"),
            ],
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert!(
        r.text
            .contains("name=\"next\" value=\"&#x2f;t&#x2f;cem&#x2f;garant\"")
    );
    srv.stop().await;
}

/// A referential larger than the JSON and upload limits (1 MiB, 20 MiB … the JSON one is the
/// default class): the desk's import route takes what the API's import route takes.
async fn a_large_file_from_the_desk(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let w = world(&srv).await;
    let mut lines = vec![vigie_tests::GEOLOCATION_HEADER.to_owned()];
    for n in 0..8_000_u32 {
        lines.push(format!(
            "{};Ecole elementaire publique numero {n};{} RUE DES ECOLES;13001;MARSEILLE;13201;\
             {:.6};{:.6};Public;151;ECOLE DE NIVEAU ELEMENTAIRE;OUVERT;1990-09-01",
            uai(140_000 + n as usize),
            n % 200 + 1,
            43.2 + f64::from(n) * 0.00003,
            5.3 + f64::from(n) * 0.00002,
        ));
    }
    let file = lines.join("\n").into_bytes();
    assert!(file.len() > 1 << 20, "{} bytes", file.len());
    let r = w
        .garant
        .upload(
            "/t/cem/garant/imports",
            &[("object_type", "schools")],
            "gros.csv",
            file.clone(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", &r.text[..r.text.len().min(2000)]);
    assert!(r.text.contains("id=\"report-created\">8000<"));
    // Anonymous: the JSON bound, then the sign-in page.
    let r = w
        .anonymous
        .upload(
            "/t/cem/garant/imports",
            &[("object_type", "schools")],
            "gros.csv",
            file,
        )
        .await;
    assert_eq!(r.status, 413);
    srv.stop().await;
}

both_backends!(
    a_large_file_from_the_desk,
    platform_page,
    collective_settings,
    garant_desk,
    life_pages,
    sign_in_returns
);
