//! Issue 11: public reads served like static files, never stale. A collective's objects,
//! places, page and object sheets are rendered once per change, compressed, answered with
//! an `ETag` (304 when unchanged), and a write is visible on the very next read — also on
//! another server process sharing the PostgreSQL database. Lists page with a cursor that
//! returns every object exactly once while objects are added. Both databases.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::collections::HashSet;

use serde_json::{Value, json};
use vigie_tests::{Backend, Client, TestServer, both_backends};

async fn collective(srv: &TestServer) -> (Client, Client) {
    let c = srv.collective("cem", &["schools"]).await;
    (c.guru, c.garant)
}

/// A raw GET: status, headers and body bytes (no decompression).
async fn raw(base: &str, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("{base}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect()
}

async fn writes_are_seen_on_the_next_read(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let (guru, garant) = collective(&srv).await;
    let a = srv
        .object("cem", "schools", "0130001A", "École des Abeilles")
        .await;
    let anon = srv.client();
    // Warm every cached read.
    let list = anon.get("/api/v1/tenants/cem/objects").await;
    assert_eq!(ids(&list.body), vec![a]);
    assert!(anon.get("/t/cem").await.text.contains("École des Abeilles"));
    let sheet = format!("/api/v1/tenants/cem/objects/{a}");
    assert_eq!(anon.get(&sheet).await.body["name"], "École des Abeilles");
    let page = format!("/t/cem/o/{a}");
    assert!(anon.get(&page).await.text.contains("École des Abeilles"));
    let places = anon.get("/api/v1/tenants/cem/places").await;
    assert_eq!(places.body["rows"].as_array().unwrap().len(), 1);

    // A new object: in the list, the places and the page at once.
    let b = srv
        .object("cem", "schools", "0130002B", "École des Bleuets")
        .await;
    assert_eq!(
        ids(&anon.get("/api/v1/tenants/cem/objects").await.body),
        vec![a, b]
    );
    assert_eq!(
        anon.get("/api/v1/tenants/cem/places").await.body["rows"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(anon.get("/t/cem").await.text.contains("École des Bleuets"));

    // A new official name: on the sheet, its page and the lists at once.
    let r = garant
        .call(
            "PATCH",
            &sheet,
            Some(json!({"official_name": "École des Cigales"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(anon.get(&sheet).await.body["name"], "École des Cigales");
    assert!(anon.get(&page).await.text.contains("École des Cigales"));
    assert!(anon.get("/t/cem").await.text.contains("École des Cigales"));
    assert!(
        anon.get("/api/v1/tenants/cem/objects")
            .await
            .text
            .contains("École des Cigales")
    );

    // A role granted: on the collective page and on the certified object's sheet.
    srv.operator_user("relais@vigie.test", "Relais Rose", false)
        .await
        .unwrap();
    let r = garant
        .post(
            "/api/v1/tenants/cem/certifications",
            json!({"object_type": "schools", "object_id": a, "email": "relais@vigie.test"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(anon.get("/t/cem").await.text.contains("Relais Rose"));
    assert!(anon.get(&sheet).await.text.contains("Relais Rose"));

    // A signed-in visitor gets their own page (not the anonymous one kept in the cache).
    let mine = guru.get("/t/cem").await;
    assert!(mine.text.contains("Guru"), "the signed-in header");
    srv.stop().await;
}

async fn unchanged_reads_answer_304_in_every_encoding(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let (_guru, garant) = collective(&srv).await;
    for i in 0..30 {
        srv.object(
            "cem",
            "schools",
            &format!("01300{i:02}X"),
            &format!("École n° {i}"),
        )
        .await;
    }
    for path in [
        "/api/v1/tenants/cem/objects",
        "/api/v1/tenants/cem/places",
        "/t/cem",
    ] {
        let plain = raw(&srv.base, path, &[]).await;
        assert_eq!(plain.status(), 200, "{path}");
        assert!(plain.headers().get("content-encoding").is_none());
        let tag = plain.headers()["etag"].to_str().unwrap().to_owned();
        assert!(
            plain.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("no-cache")
        );
        let body = plain.bytes().await.unwrap();

        let gz = raw(&srv.base, path, &[("accept-encoding", "gzip")]).await;
        assert_eq!(gz.headers()["content-encoding"], "gzip", "{path}");
        let br = raw(&srv.base, path, &[("accept-encoding", "br, gzip")]).await;
        assert_eq!(br.headers()["content-encoding"], "br", "{path}");
        let br_tag = br.headers()["etag"].to_str().unwrap().to_owned();
        let compressed = br.bytes().await.unwrap();
        assert!(compressed.len() < body.len(), "{path}: brotli is smaller");

        for t in [&tag, &br_tag] {
            let again = raw(&srv.base, path, &[("if-none-match", t)]).await;
            assert_eq!(again.status(), 304, "{path}");
            assert!(again.bytes().await.unwrap().is_empty());
        }
        // A change to what the read shows: the old tag no longer matches.
        let n = srv
            .object(
                "cem",
                "schools",
                &format!("0139{}", path.len()),
                "École nouvelle",
            )
            .await;
        assert!(n > 0);
        let after = raw(&srv.base, path, &[("if-none-match", &tag)]).await;
        assert_eq!(after.status(), 200, "{path} after a write");
    }
    // An object sheet: 304 until something on it changes.
    let list = garant.get("/api/v1/tenants/cem/objects?limit=1").await;
    let a = ids(&list.body)[0];
    let path = format!("/t/cem/o/{a}");
    let first = raw(&srv.base, &path, &[]).await;
    let tag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(
        raw(&srv.base, &path, &[("if-none-match", &tag)])
            .await
            .status(),
        304
    );
    let r = garant
        .call(
            "PATCH",
            &format!("/api/v1/tenants/cem/objects/{a}"),
            Some(json!({"city": "Marseille"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        raw(&srv.base, &path, &[("if-none-match", &tag)])
            .await
            .status(),
        200
    );
    srv.stop().await;
}

/// Follows the `Link: <…>; rel="next"` header.
fn next_link(resp: &reqwest::Response) -> Option<String> {
    let link = resp.headers().get("link")?.to_str().ok()?;
    let start = link.find('<')? + 1;
    let end = link.find('>')?;
    link.contains("rel=\"next\"")
        .then(|| link[start..end].to_owned())
}

async fn pages_return_every_object_once_while_objects_are_added(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    collective(&srv).await;
    let mut expected = HashSet::new();
    for i in 0..25 {
        expected.insert(
            srv.object(
                "cem",
                "schools",
                &format!("01301{i:02}Y"),
                &format!("Lieu {i}"),
            )
            .await,
        );
    }
    let mut seen = Vec::new();
    let mut path = Some("/api/v1/tenants/cem/objects?limit=10".to_owned());
    let mut pages = 0;
    while let Some(p) = path {
        let resp = raw(&srv.base, &p, &[]).await;
        assert_eq!(resp.status(), 200, "{p}");
        path = next_link(&resp);
        let list: Value = resp.json().await.unwrap();
        assert!(list.as_array().unwrap().len() <= 10);
        seen.extend(ids(&list));
        pages += 1;
        // Objects added while the client pages come at the end.
        if pages <= 2 {
            expected.insert(
                srv.object("cem", "schools", &format!("01309{pages}Z"), "Ajouté")
                    .await,
            );
        }
        assert!(pages < 10, "the pages end");
    }
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no object twice: {seen:?}");
    assert_eq!(unique, expected, "every object once");

    // A bounding box, and bad parameters refused with what to fix.
    let anon = srv.client();
    let inside = anon
        .get("/api/v1/tenants/cem/objects?bbox=5.3,43.2,5.5,43.4")
        .await;
    assert_eq!(inside.body.as_array().unwrap().len(), expected.len());
    let outside = anon
        .get("/api/v1/tenants/cem/objects?bbox=2.2,48.8,2.4,48.9")
        .await;
    assert_eq!(
        outside.body.as_array().unwrap().len(),
        0,
        "{}",
        outside.text
    );
    for bad in ["bbox=5,43", "bbox=6,43,5,44", "limit=0", "limit=100000"] {
        let r = anon
            .get(&format!("/api/v1/tenants/cem/objects?{bad}"))
            .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
        assert_eq!(r.code(), "invalid_input", "{bad}: {}", r.text);
    }
    // The collective page lists a page of places by name and links the next.
    for i in 0..120 {
        srv.object(
            "cem",
            "schools",
            &format!("0132{i:03}W"),
            &format!("Zone {i:03}"),
        )
        .await;
    }
    let first = anon.get("/t/cem").await.text;
    assert!(first.contains("rel=\"next\""), "a next page");
    assert!(first.contains("Lieu 0") && !first.contains("Zone 119"));
    let second = anon.get("/t/cem?page=2").await.text;
    assert!(
        second.contains("Zone 119"),
        "the last place on the second page"
    );
    srv.stop().await;
}

both_backends!(
    writes_are_seen_on_the_next_read,
    unchanged_reads_answer_304_in_every_encoding,
    pages_return_every_object_once_while_objects_are_added,
);

/// Two server processes on one PostgreSQL database: a write through one is on the other's
/// next reads (it follows the first's notifications), although it kept those reads cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_sees_writes_at_once() {
    let srv = TestServer::start(Backend::Postgres).await.unwrap();
    let (_guru, garant) = collective(&srv).await;
    let a = srv
        .object("cem", "schools", "0130001A", "École des Abeilles")
        .await;
    let other = srv.another_process().await.unwrap();
    let anon = Client::for_base(&other.base);
    let sheet = format!("/api/v1/tenants/cem/objects/{a}");
    assert_eq!(anon.get(&sheet).await.body["name"], "École des Abeilles");
    assert_eq!(
        ids(&anon.get("/api/v1/tenants/cem/objects").await.body),
        vec![a]
    );

    let r = garant
        .call(
            "PATCH",
            &sheet,
            Some(json!({"official_name": "École des Cigales"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let b = srv
        .object("cem", "schools", "0130002B", "École des Bleuets")
        .await;
    // The notification crosses the database in milliseconds; allow a generous moment.
    let mut seen = false;
    for _ in 0..50 {
        let name = anon.get(&sheet).await.body["name"].clone();
        let list = ids(&anon.get("/api/v1/tenants/cem/objects").await.body);
        if name == "École des Cigales" && list == vec![a, b] {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(seen, "the other process still serves the old reads");
    other.stop().await;
    srv.stop().await;
}
