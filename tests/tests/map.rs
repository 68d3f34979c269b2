//! Issue 12: a collective's map. Its layers and legends from the plugins, tiles of places
//! clustered on the server, filters on official values, citizen values and indicators (a
//! place without a value is never taken as zero), the list and the search box with the same
//! selection, the collective page reading the same filters — and all of it current on the
//! next read after a write. Bad input is a 400 that says what to fix. Both databases.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::{Value, json};
use vigie_tests::{Backend, TestServer, both_backends};

/// A valid UAI for school `n` of this file.
fn uai(n: usize) -> String {
    vigie_tests::uai(132_000 + n)
}

const HEADER: &str = vigie_tests::GEOLOCATION_HEADER;

/// Twelve schools: four in a cluster in Marseille's north (sector public, nursery), eight
/// spread in the south (every third private, elementary).
fn referential() -> Vec<u8> {
    let mut lines = vec![HEADER.to_owned()];
    for n in 0..12 {
        let (lat, lon, nature, label) = if n < 4 {
            (
                43.36 + n as f64 * 0.0003,
                5.35 + n as f64 * 0.0003,
                "101",
                "ECOLE MATERNELLE",
            )
        } else {
            (
                43.20 + n as f64 * 0.01,
                5.40 + n as f64 * 0.01,
                "151",
                "ECOLE DE NIVEAU ELEMENTAIRE",
            )
        };
        let sector = if n >= 4 && n % 3 == 0 {
            "Privé"
        } else {
            "Public"
        };
        let name = if n == 5 {
            "Ecole des Calanques".to_owned()
        } else {
            format!("Ecole numero {n}")
        };
        lines.push(format!(
            "{};{name};{} RUE DU PORT;1300{};MARSEILLE;13201;{lat:.6};{lon:.6};{sector};{nature};\
             {label};OUVERT;1990-09-01",
            uai(n),
            n + 1,
            n % 10
        ));
    }
    lines.join("\n").into_bytes()
}

async fn setup(srv: &TestServer) -> (vigie_tests::Collective, Vec<i64>) {
    let c = srv.collective("cem", &["schools"]).await;
    let r = c
        .garant
        .upload(
            "/api/v1/tenants/cem/imports",
            &[("object_type", "schools")],
            "geolocalisation.csv",
            referential(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["created"], 12, "{}", r.text);
    let list = srv
        .client()
        .get("/api/v1/tenants/cem/objects?limit=100")
        .await;
    let ids = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    (c, ids)
}

fn total(v: &Value) -> i64 {
    v["total"].as_i64().unwrap()
}

fn names(v: &Value) -> Vec<String> {
    v["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The slippy-map tile holding a position at zoom `z`.
fn tile_of(z: u32, lat: f64, lon: f64) -> String {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n) as u32;
    let r = lat.to_radians();
    let y = ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32;
    format!("{z}/{x}/{y}")
}

/// Every marker of a tile, as (count, id).
fn markers(v: &Value) -> Vec<(i64, Option<i64>)> {
    v["markers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["count"].as_i64().unwrap(), m["id"].as_i64()))
        .collect()
}

async fn layers_filters_and_tiles(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let (c, ids) = setup(&srv).await;
    let garant = c.garant;
    let anon = srv.client();
    let base = "/api/v1/tenants/cem/map";

    // The map's description: the plugin's layers with their legends, the filterable values.
    let info = anon.get(base).await;
    assert_eq!(info.status, 200, "{}", info.text);
    assert_eq!(info.body["places"], 12);
    let schools = &info.body["types"][0];
    let layer = schools["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "schools.atsem-per-nursery-class")
        .unwrap();
    let legend = layer["legend"].as_array().unwrap();
    assert_eq!(
        legend[layer["missing"].as_u64().unwrap() as usize]["label"]["fr"],
        "Pas de valeur connue"
    );
    assert!(
        schools["variables"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["key"] == "sector" && v["kind"]["kind"] == "choice")
    );
    let b = info.body["bounds"].as_array().unwrap();
    assert!(b[0].as_f64().unwrap() < 5.351 && b[3].as_f64().unwrap() > 43.36);

    // Whole France at zoom 5: one cluster of the twelve. At zoom 16: each place alone.
    let france = anon.get(&format!("{base}/tiles/5/16/11")).await;
    assert_eq!(france.status, 200, "{}", france.text);
    assert_eq!(markers(&france.body), vec![(12, None)]);
    let north = anon
        .get(&format!("{base}/tiles/{}", tile_of(16, 43.36, 5.35)))
        .await;
    let alone: Vec<_> = markers(&north.body);
    assert!(
        !alone.is_empty() && alone.iter().all(|(n, id)| *n == 1 && id.is_some()),
        "{}",
        north.text
    );

    // Filters: a choice, a type, the same in the list and the tiles.
    let private = anon
        .get(&format!("{base}/places?schools.sector=private"))
        .await;
    assert_eq!(total(&private.body), 2, "{}", private.text);
    let tile = anon
        .get(&format!("{base}/tiles/5/16/11?schools.sector=private"))
        .await;
    assert_eq!(markers(&tile.body), vec![(2, None)]);
    let both = anon
        .get(&format!(
            "{base}/places?schools.sector=private&schools.sector=public"
        ))
        .await;
    assert_eq!(total(&both.body), 12);
    let nursery = anon
        .get(&format!("{base}/places?schools.nature=101&type=schools"))
        .await;
    assert_eq!(total(&nursery.body), 4);

    // A citizen value, accepted: the indicator it feeds filters and colours; the places
    // without a value are not taken as zero.
    let a = ids[0];
    let r = garant
        .post(
            &format!("/api/v1/tenants/cem/objects/{a}/contributions"),
            json!({"vintage": "2025-2026", "values": [
                {"field": "nursery-classes", "value": 4}, {"field": "atsem", "value": 2}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    for c in r.body.as_array().unwrap() {
        if c["state"] == "pending" {
            let id = c["id"].as_i64().unwrap();
            let d = garant
                .post(
                    &format!("/api/v1/tenants/cem/contributions/{id}/decision"),
                    json!({"accept": true}),
                )
                .await;
            assert_eq!(d.status, 200, "{}", d.text);
        }
    }
    let below = anon
        .get(&format!(
            "{base}/places?schools.atsem-per-nursery-class.max=0.9"
        ))
        .await;
    assert_eq!(
        total(&below.body),
        1,
        "only the place with a value: {}",
        below.text
    );
    let zero = anon
        .get(&format!(
            "{base}/places?num=schools.atsem-per-nursery-class&max=0"
        ))
        .await;
    assert_eq!(total(&zero.body), 0, "no value is not zero: {}", zero.text);
    let coloured = anon
        .get(&format!(
            "{base}/tiles/5/16/11?layer=schools.atsem-per-nursery-class"
        ))
        .await;
    let classes = coloured.body["markers"][0]["classes"]
        .as_array()
        .unwrap()
        .clone();
    let missing = layer["missing"].as_u64().unwrap() as usize;
    assert_eq!(classes[missing], 11, "{}", coloured.text);
    assert_eq!(
        classes[1], 1,
        "0.5 ATSEM per class is not below 0.5: {}",
        coloured.text
    );

    // Search: name, identifier, address, accents and case ignored.
    let found = anon.get(&format!("{base}/places?q=calanques")).await;
    assert_eq!(names(&found.body), vec!["Ecole des Calanques"]);
    let by_id = anon
        .get(&format!("{base}/places?q={}", uai(7).to_lowercase()))
        .await;
    assert_eq!(total(&by_id.body), 1);
    let by_street = anon
        .get(&format!("{base}/places?q=12%20rue%20du%20p"))
        .await;
    assert_eq!(total(&by_street.body), 1, "{}", by_street.text);

    // Requests: a filed request shows at once in `open` (the index follows the write).
    assert_eq!(
        total(&anon.get(&format!("{base}/places?open=1")).await.body),
        0
    );
    let r = anon
        .post(
            &format!("/api/v1/tenants/cem/objects/{}/requests", ids[3]),
            json!({"kind": "intervention", "title": "Fuite au préau", "description": "Une fuite d'eau sous le préau."}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let open = anon.get(&format!("{base}/places?open=1")).await;
    assert_eq!(total(&open.body), 1, "{}", open.text);
    assert_eq!(open.body["places"][0]["open_requests"], 1);
    assert_eq!(
        total(&anon.get(&format!("{base}/places?status=new")).await.body),
        1
    );
    assert_eq!(
        total(&anon.get(&format!("{base}/places?open=0")).await.body),
        11
    );

    // The collective page reads the same filters; its list is the map's twin.
    let page = anon.get("/t/cem?schools.sector=private").await;
    assert_eq!(page.status, 200);
    assert!(
        page.text.contains("<span id=\"places-count\">2</span>"),
        "{}",
        page.text
    );
    let page = anon.get("/t/cem?q=calanques").await;
    assert!(page.text.contains("Ecole des Calanques") && !page.text.contains("Ecole numero 1<"));
    srv.stop().await;
}

async fn bad_input_is_explained(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let (c, _) = setup(&srv).await;
    let r = c
        .guru
        .post(
            "/api/v1/tenants",
            json!({"slug": "bib", "name": "Bibliothèques", "object_types": ["libraries"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let anon = srv.client();
    let base = "/api/v1/tenants/cem/map";
    for (path, needle) in [
        ("/tiles/3/9/9", "no tile"),
        ("/tiles/25/0/0", "zoom"),
        ("/tiles/5/16/11?layer=schools.nope", "no layer"),
        ("/places?schools.sector=secret", "not a value"),
        ("/places?schools.pupils.min=beaucoup", "not a number"),
        ("/places?schools.pupils=3", ".min or"),
        ("/places?schools.sector.min=3", "not a number"),
        ("/places?schools.rockets=1", "no value"),
        ("/places?type=libraries", "no type"),
        ("/places?open=maybe", "open=1"),
        ("/places?status=lost", "unknown status"),
        ("/places?min=3", "num=TYPE.KEY"),
        ("/places?num=schools.sector&min=1", "not a number"),
        ("/places?limit=5000", "between 1 and 200"),
        ("/places?bbox=1,2,3", "west,south,east,north"),
    ] {
        let r = anon.get(&format!("{base}{path}")).await;
        assert_eq!(r.status, 400, "{path}: {}", r.text);
        assert!(
            r.text.contains(needle),
            "{path}: no '{needle}' in {}",
            r.text
        );
        assert!(
            r.body["error"]["message_fr"]
                .as_str()
                .is_some_and(|m| m.len() > 5),
            "{}",
            r.text
        );
    }
    let long = "a".repeat(300);
    let r = anon.get(&format!("{base}/places?q={long}")).await;
    assert_eq!(r.status, 400);
    // A bad filter on the page: said above the form, every place still listed.
    let page = anon.get("/t/cem?schools.pupils.min=beaucoup").await;
    assert_eq!(page.status, 400);
    assert!(page.text.contains("beaucoup") && page.text.contains("Ecole numero 1"));
    // Another collective's map holds only its own places.
    let bib = anon.get("/api/v1/tenants/bib/map").await;
    assert_eq!(bib.body["places"], 0, "{}", bib.text);
    assert_eq!(anon.get("/api/v1/tenants/nope/map").await.status, 404);
    // The map of a collective is cached like the other public reads: 304 when unchanged.
    let url = format!("{}{base}/tiles/5/16/11", srv.base);
    let first = reqwest::Client::new().get(&url).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = reqwest::Client::new()
        .get(&url)
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    srv.stop().await;
}

async fn signed_in_writes_show_on_the_map(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let (c, ids) = setup(&srv).await;
    let garant = c.garant;
    let anon = srv.client();
    let base = "/api/v1/tenants/cem/map";
    assert_eq!(
        total(&anon.get(&format!("{base}/places?q=renommee")).await.body),
        0
    );
    // A new name: the index reloads that place only, and the list's order follows.
    let r = garant
        .call(
            "PATCH",
            &format!("/api/v1/tenants/cem/objects/{}", ids[11]),
            Some(json!({"official_name": "Aaa école renommée"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let list = anon.get(&format!("{base}/places?limit=1")).await;
    assert_eq!(names(&list.body), vec!["Aaa école renommée"]);
    // A new place (the listing changed): the index is rebuilt.
    let id = srv
        .object("cem", "schools", &uai(99), "Zzz nouvelle école")
        .await;
    let info = anon.get(base).await;
    assert_eq!(info.body["places"], 13);
    let found = anon.get(&format!("{base}/places?q=nouvelle")).await;
    assert_eq!(found.body["places"][0]["id"], id);
    srv.stop().await;
}

/// The Content-Security-Policy of an anonymous GET of `path`.
async fn policy(srv: &TestServer, path: &str) -> String {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("vigie-image-origin").is_none());
    r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned()
}

async fn a_collective_has_its_own_tiles(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let c = srv.collective("cem", &["schools"]).await;
    srv.object("cem", "schools", &uai(1), "Ecole du port").await;
    let anon = srv.client();
    let instance = anon.get("/api/v1/tenants/cem/map").await;
    let default_url = instance.body["tiles"]["url"].as_str().unwrap().to_owned();
    assert!(
        policy(&srv, "/t/cem")
            .await
            .contains("img-src 'self' data: blob:")
    );
    let own = json!({
        "latitude": 45.76, "longitude": 4.83, "zoom": 11,
        "tiles": {
            "url": "https://{s}.tiles.example.org/carto/{z}/{x}/{y}.png",
            "attribution": "<b>Carto</b> & contributors",
        },
    });
    // A Garant may not; an anonymous visitor even less; another collective's Guru neither.
    let r = c
        .garant
        .call("PUT", "/api/v1/tenants/cem/map", Some(own.clone()))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = anon
        .call("PUT", "/api/v1/tenants/cem/map", Some(own.clone()))
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    // Bad input says what to fix, and changes nothing.
    for (bad, says) in [
        (
            json!({"url": "https://x.org/{z}/{x}.png", "attribution": "x"}),
            "tile URL",
        ),
        (
            json!({"url": "https://x.org/{z}/{x}/{y}.png; script-src *", "attribution": "x"}),
            "tile URL",
        ),
        (
            json!({"url": "https://x.org/{z}/{x}/{y}.png", "attribution": " "}),
            "attribution",
        ),
    ] {
        let mut body = own.clone();
        body["tiles"] = bad;
        let r = c
            .guru
            .call("PUT", "/api/v1/tenants/cem/map", Some(body))
            .await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.text.contains(says), "{}", r.text);
    }
    let r = c
        .guru
        .call(
            "PUT",
            "/api/v1/tenants/cem/map",
            Some(json!({
                "latitude": 95.0, "longitude": 4.83, "zoom": 11,
            })),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(
        anon.get("/api/v1/tenants/cem/map").await.body["tiles"]["url"],
        default_url
    );
    // The Guru sets them: the map's description, the collective and the page's policy follow.
    let r = c
        .guru
        .call("PUT", "/api/v1/tenants/cem/map", Some(own.clone()))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["map"]["tiles"]["url"], own["tiles"]["url"]);
    let info = anon.get("/api/v1/tenants/cem/map").await;
    assert_eq!(info.body["tiles"], own["tiles"], "{}", info.text);
    assert_eq!(info.body["view"]["zoom"], 11);
    let page = anon.get("/t/cem").await;
    assert!(
        page.text.contains("tiles.example.org/carto"),
        "{}",
        page.text
    );
    assert!(
        !page.text.contains("<b>Carto"),
        "the attribution is text, never markup"
    );
    for _ in 0..2 {
        // Rendered, then from the cache: the page's own origin both times.
        let p = policy(&srv, "/t/cem").await;
        assert!(p.contains("https://*.tiles.example.org;"), "{p}");
        assert!(p.contains("script-src 'self';"), "{p}");
    }
    // Other pages do not widen their policy.
    assert!(!policy(&srv, "/").await.contains("tiles.example.org"));
    // Back to the instance's tiles.
    let r = c
        .guru
        .call(
            "PUT",
            "/api/v1/tenants/cem/map",
            Some(json!({
                "latitude": 45.76, "longitude": 4.83, "zoom": 11,
            })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["map"]["tiles"].is_null(), "{}", r.text);
    assert_eq!(
        anon.get("/api/v1/tenants/cem/map").await.body["tiles"]["url"],
        default_url
    );
    assert!(!policy(&srv, "/t/cem").await.contains("tiles.example.org"));
    srv.stop().await;
}

/// The markers of the view (several tiles in one request) are those of its tiles, one by
/// one, with the same layer and filter; bad ranges are explained.
async fn a_view_is_its_tiles(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    setup(&srv).await;
    let anon = srv.client();
    let base = "/api/v1/tenants/cem/map/tiles";
    for (z, query) in [
        (5, "layer=schools.atsem-per-nursery-class"),
        (11, "schools.sector=public"),
        (12, ""),
        (17, ""),
    ] {
        let (x, y) = {
            let t = tile_of(z, 43.30, 5.40);
            let p: Vec<u32> = t.split('/').map(|n| n.parse().unwrap()).collect();
            (p[1], p[2])
        };
        let (x0, x1, y0, y1) = (x.saturating_sub(2), x + 2, y.saturating_sub(2), y + 2);
        let view = anon
            .get(&format!("{base}/{z}?x={x0}-{x1}&y={y0}-{y1}&{query}"))
            .await;
        assert_eq!(view.status, 200, "{}", view.text);
        let tiles = view.body["tiles"].as_array().unwrap();
        assert_eq!(tiles.len(), 25, "every tile of the ranges, empty ones too");
        let mut places = 0;
        for t in tiles {
            let (tx, ty) = (t["x"].as_u64().unwrap(), t["y"].as_u64().unwrap());
            let one = anon.get(&format!("{base}/{z}/{tx}/{ty}?{query}")).await;
            assert_eq!(one.status, 200, "{}", one.text);
            assert_eq!(t["markers"], one.body["markers"], "tile {z}/{tx}/{ty}");
            places += markers(&one.body).iter().map(|m| m.0).sum::<i64>();
        }
        let expected = if query.contains("sector") { 10 } else { 12 };
        if z <= 11 {
            assert_eq!(places, expected, "zoom {z}: every place of the view once");
        }
    }
    for (bad, says) in [
        ("x=3-1&y=0", "range of tiles"),
        ("x=a&y=0", "range of tiles"),
        ("x=0-40&y=0-40", "at most 64"),
        ("x=0-40", "y"),
    ] {
        let r = anon.get(&format!("{base}/6?{bad}")).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
        assert!(r.text.contains(says), "{bad}: {}", r.text);
    }
    let r = anon.get(&format!("{base}/3?x=0-8&y=0")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    srv.stop().await;
}

both_backends!(
    a_view_is_its_tiles,
    a_collective_has_its_own_tiles,
    layers_filters_and_tiles,
    bad_input_is_explained,
    signed_in_writes_show_on_the_map
);
