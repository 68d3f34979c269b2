//! The similar-requests search by index, on both databases: nearby objects by a box and
//! requests by their stems give exactly what comparing the text with every request of the
//! collective gives (the same requests, in the same order, with the same scores), for filing,
//! for the duplicates of a request, after a re-expression and after the stems are computed
//! again from scratch.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::{Value, json};
use vigie_domain::requests::{DUPLICATE_THRESHOLD, RequestStatus, similarity};
use vigie_domain::{ObjectStatus, ObjectTypeKey, Provenance, TenantId};
use vigie_services::SimilarRequest;
use vigie_storage::{JournalNote, NewRequest, ObjectIdentity, StatusChange, Store};
use vigie_tests::{Backend, Client, PASSWORD, TestServer, both_backends};

/// Metres per degree of latitude (and of longitude on the equator) on Vigie's sphere.
const M_PER_DEGREE: f64 = 6_371_000.0 * std::f64::consts::PI / 180.0;
const LAT: f64 = 43.3;
const LON: f64 = 5.4;

/// The search as it was before the index: every request of the collective, every object of
/// the type, the text compared in memory. The reference the index must reproduce.
async fn reference(
    store: &Store,
    tenant: TenantId,
    object_id: i64,
    text: &str,
    exclude: Option<i64>,
    include_pending: bool,
) -> Vec<(i64, f64, Option<f64>)> {
    let distance_m = |a: (f64, f64), b: (f64, f64)| {
        let r = 6_371_000.0_f64;
        let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
        let dla = la2 - la1;
        let dlo = (b.1 - a.1).to_radians();
        let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
        2.0 * r * h.sqrt().asin()
    };
    let object = store.object(tenant, object_id).await.unwrap().unwrap();
    let here = object.identity.latitude.zip(object.identity.longitude);
    let objects = store
        .list_objects(
            tenant,
            Some(&ObjectTypeKey::parse(&object.object_type).unwrap()),
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    for r in store.requests(tenant, None).await.unwrap() {
        if Some(r.id) == exclude
            || !r.status.is_open()
            || r.merged_into.is_some()
            || (r.status == RequestStatus::New && !include_pending)
        {
            continue;
        }
        let distance = if r.object_id == object_id {
            Some(0.0)
        } else {
            let Some(other) = objects.iter().find(|o| o.id == r.object_id) else {
                continue;
            };
            match (here, other.identity.latitude.zip(other.identity.longitude)) {
                (Some(a), Some(b)) if distance_m(a, b) <= 1000.0 => Some(distance_m(a, b)),
                _ => continue,
            }
        };
        let theirs = format!("{} {} {}", r.title, r.shown_title(), r.shown_description());
        let s = similarity(text, &theirs);
        if s >= DUPLICATE_THRESHOLD {
            out.push((r.id, s, distance));
        }
    }
    out.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then(a.2.unwrap_or(0.0).total_cmp(&b.2.unwrap_or(0.0)))
    });
    out.truncate(10);
    out
}

fn summary(found: &[SimilarRequest]) -> Vec<(i64, f64, Option<f64>)> {
    found
        .iter()
        .map(|s| (s.request.id, s.similarity, s.distance_m))
        .collect()
}

struct World {
    srv: TestServer,
    garant: Client,
    requester: Client,
    tenant: TenantId,
    /// name → object id
    objects: std::collections::HashMap<&'static str, i64>,
}

impl World {
    async fn new(backend: Backend) -> Self {
        let srv = TestServer::start(backend).await.unwrap();
        let garant = srv.collective("cem", &["schools", "parks"]).await.garant;
        srv.operator_user("parent@vigie.test", "Paul Parent", false)
            .await
            .unwrap();
        let tenant = srv
            .app
            .store
            .tenant_by_slug("cem")
            .await
            .unwrap()
            .unwrap()
            .id;
        let requester = srv.client();
        requester.sign_in("parent@vigie.test", PASSWORD).await;
        let mut w = World {
            srv,
            garant,
            requester,
            tenant,
            objects: std::collections::HashMap::new(),
        };
        // Metres north and east of the centre school.
        let m = |north: f64, east: f64| {
            (
                Some(LAT + north / M_PER_DEGREE),
                Some(LON + east / (M_PER_DEGREE * LAT.to_radians().cos())),
            )
        };
        for (name, ty, (lat, lon)) in [
            ("centre", "schools", m(0.0, 0.0)),
            ("north_300", "schools", m(300.0, 0.0)),
            ("east_800", "schools", m(0.0, 800.0)),
            ("south_west_990", "schools", m(-700.0, -700.0)),
            ("north_1100", "schools", m(1100.0, 0.0)),
            ("east_5000", "schools", m(0.0, 5000.0)),
            ("nowhere", "schools", (None, None)),
            ("park_100", "parks", m(100.0, 0.0)),
        ] {
            let identity = ObjectIdentity {
                identifier: format!("ID-{name}"),
                official_name: name.into(),
                street: None,
                postcode: None,
                city: None,
                insee_code: None,
                latitude: lat,
                longitude: lon,
                status: ObjectStatus::Open,
                opened_on: None,
                closed_on: None,
            };
            let o = w
                .srv
                .app
                .store
                .create_object(
                    tenant,
                    &ObjectTypeKey::parse(ty).unwrap(),
                    &identity,
                    None,
                    None,
                )
                .await
                .unwrap();
            w.objects.insert(name, o.id);
        }
        w
    }

    /// Files a request on a school as the requester; its id.
    async fn file(&self, object: &str, title: &str, description: &str) -> i64 {
        let r = self
            .requester
            .post(
                &format!(
                    "/api/v1/tenants/cem/objects/{}/requests",
                    self.objects[object]
                ),
                json!({"kind": "intervention", "title": title, "description": description}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["request"]["id"].as_i64().unwrap()
    }

    async fn moderate(&self, id: i64, decision: Value) {
        let r = self
            .garant
            .post(
                &format!("/api/v1/tenants/cem/requests/{id}/moderation"),
                decision,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }

    /// What the search proposes.
    async fn proposals(
        &self,
        object: &str,
        text: &str,
        exclude: Option<i64>,
        include_pending: bool,
    ) -> Vec<(i64, f64, Option<f64>)> {
        let tenant = self.srv.app.services.tenant("cem").await.unwrap();
        let found = self
            .srv
            .app
            .services
            .similar_requests(
                &tenant,
                self.objects[object],
                text,
                exclude,
                include_pending,
            )
            .await
            .unwrap();
        summary(&found)
    }

    /// What the search proposes, checked against the full comparison.
    async fn search(
        &self,
        object: &str,
        text: &str,
        exclude: Option<i64>,
        include_pending: bool,
    ) -> Vec<(i64, f64, Option<f64>)> {
        let found = self.proposals(object, text, exclude, include_pending).await;
        let expected = reference(
            &self.srv.app.store,
            self.tenant,
            self.objects[object],
            text,
            exclude,
            include_pending,
        )
        .await;
        assert_eq!(found, expected, "{object}: {text}");
        found
    }
}

fn ids(found: &[(i64, f64, Option<f64>)]) -> Vec<i64> {
    found.iter().map(|f| f.0).collect()
}

const TOILETS: (&str, &str) = (
    "Toilettes bouchées",
    "Les toilettes des garçons sont bouchées",
);

/// Requests on near and far schools, published, pending, refused and merged: the proposals
/// are exactly those of the search without index, in the same order, with the same scores.
async fn proposals_are_those_of_the_full_comparison(backend: Backend) {
    let w = World::new(backend).await;
    let publish = json!({"decision": "publish"});
    let (t, d) = TOILETS;
    let centre = w.file("centre", t, d).await;
    w.moderate(centre, publish.clone()).await;
    let north = w
        .file(
            "north_300",
            "Toilettes bouchées au premier",
            "Toilettes du premier étage bouchées",
        )
        .await;
    w.moderate(north, publish.clone()).await;
    let east = w
        .file(
            "east_800",
            "Toilette bouchée",
            "Toilettes des filles bouchées",
        )
        .await;
    w.moderate(east, publish.clone()).await;
    let pending = w.file("south_west_990", t, d).await;
    let mut far = Vec::new();
    for object in ["north_1100", "east_5000", "nowhere"] {
        let id = w.file(object, t, d).await;
        w.moderate(id, publish.clone()).await;
        far.push(id);
    }
    let other = w
        .file(
            "centre",
            "Panneau de basket tordu",
            "Le panneau du préau penche",
        )
        .await;
    w.moderate(other, publish.clone()).await;
    let refused = w.file("centre", t, d).await;
    w.moderate(
        refused,
        json!({"decision": "refuse", "reason": "Déjà signalé"}),
    )
    .await;
    let merged = w.file("north_300", t, d).await;
    w.moderate(merged, publish.clone()).await;
    let r = w
        .garant
        .post(
            &format!("/api/v1/tenants/cem/requests/{merged}/merge"),
            json!({"into": north}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let twin_north = w.file("north_300", t, d).await;
    w.moderate(twin_north, publish.clone()).await;
    let twin_centre = w.file("centre", t, d).await;
    w.moderate(twin_centre, publish.clone()).await;
    // A park next door with the same words: another type, never proposed for a school.
    let park = w
        .srv
        .app
        .store
        .insert_request(
            w.tenant,
            &NewRequest {
                object_id: w.objects["park_100"],
                kind: "intervention".into(),
                categories: Vec::new(),
                title: t.into(),
                description: d.into(),
                extra_fields: "{}".into(),
                urgency: vigie_domain::requests::Urgency::Normal,
                reminder_on: None,
                provenance: Provenance::Anonymous,
                author: None,
                contact_email: None,
                submission_key: None,
            },
            &JournalNote::new("filed", &json!({})),
        )
        .await
        .unwrap()
        .0
        .id;
    w.srv
        .app
        .store
        .change_request_status(
            w.tenant,
            park,
            &StatusChange {
                from: RequestStatus::New,
                to: RequestStatus::Published,
                moderation_reason: None,
            },
            &JournalNote::new("published", &json!({})),
        )
        .await
        .unwrap();

    let text = format!("{t} {d}");
    // Equal scores: nearest first, then newest.
    let found = w.search("centre", &text, None, false).await;
    assert_eq!(
        ids(&found)[..3],
        [twin_centre, centre, twin_north],
        "{found:?}"
    );
    for id in [north, east] {
        assert!(
            ids(&found).contains(&id),
            "nearby and alike: {id} {found:?}"
        );
    }
    for id in far
        .iter()
        .chain([&pending, &other, &refused, &merged, &park])
    {
        assert!(!ids(&found).contains(id), "{id} is not proposed: {found:?}");
    }
    assert_eq!(found[2].2.map(f64::round), Some(300.0));
    // Moderators also see the request awaiting them, 990 m away.
    let found = w.search("centre", &text, None, true).await;
    assert!(ids(&found).contains(&pending), "{found:?}");
    // The duplicates of a request leave it out.
    let found = w.search("centre", &text, Some(centre), true).await;
    assert!(!ids(&found).contains(&centre), "{found:?}");
    assert_eq!(ids(&found)[..2], [twin_centre, twin_north], "{found:?}");
    // From the school 300 m north, the one 990 m south-west of the centre is too far.
    let found = w.search("north_300", &text, None, true).await;
    assert!(!ids(&found).contains(&pending), "{found:?}");
    assert!(ids(&found).contains(&centre), "{found:?}");
    // A school without a position only sees its own requests.
    let found = w.search("nowhere", &text, None, false).await;
    assert_eq!(ids(&found), [far[2]], "{found:?}");
    // Other words, other proposals; no words, none.
    let found = w.search("centre", "Panneau de basket", None, false).await;
    assert_eq!(ids(&found), [other], "{found:?}");
    assert!(w.search("centre", "le la les", None, true).await.is_empty());
    assert!(
        w.search("centre", "Fuite au plafond", None, true)
            .await
            .is_empty()
    );
    // Closing a request takes it out of the proposals.
    let r = w
        .garant
        .post(
            &format!("/api/v1/tenants/cem/requests/{twin_centre}/status"),
            json!({"status": "closed", "note": "Réglé"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let found = w.search("centre", &text, None, false).await;
    assert_eq!(ids(&found)[..2], [centre, twin_north], "{found:?}");
    // Ten at most, the most alike first.
    for _ in 0..12 {
        let id = w.file("centre", t, d).await;
        w.moderate(id, publish.clone()).await;
    }
    let found = w.search("centre", &text, None, false).await;
    assert_eq!(found.len(), 10);

    // Computed again from scratch (as after an upgrade), the stems give the same answers.
    sqlx::query("DELETE FROM request_stems")
        .execute(w.srv.app.store.raw_pool())
        .await
        .unwrap();
    sqlx::query("UPDATE requests SET stems_version = 0, stem_count = 0")
        .execute(w.srv.app.store.raw_pool())
        .await
        .unwrap();
    assert!(
        w.proposals("centre", &text, None, false).await.is_empty(),
        "the index is what is read"
    );
    let reopened = Store::open(&w.srv.db.url, 2).await.unwrap();
    assert_eq!(
        reopened.index_request_stems(3).await.unwrap(),
        0,
        "opening the store computed every request's stems; nothing is left to do"
    );
    reopened.close().await;
    let again = w.search("centre", &text, None, false).await;
    assert_eq!(again, found);
    w.search("centre", &text, None, true).await;
    w.search("north_300", &text, Some(north), true).await;
    w.srv.stop().await;
}

/// A moderator's re-expression changes what a request is compared by: it is found by its new
/// words and, for the words it no longer shows, by its requester's title only.
async fn reexpressing_a_request_changes_what_it_matches(backend: Backend) {
    let w = World::new(backend).await;
    let id = w
        .file(
            "centre",
            "Toilettes bouchées",
            "Les toilettes des garçons sont bouchées depuis lundi",
        )
        .await;
    w.moderate(id, json!({"decision": "publish"})).await;
    let leak = "Fuite d'eau au plafond de la cantine";
    let boys = "garçons bouchées depuis lundi";
    assert!(w.search("east_800", leak, None, false).await.is_empty());
    let before = w.search("east_800", boys, None, false).await;
    assert_eq!(ids(&before), [id]);
    let r = w
        .garant
        .call(
            "PUT",
            &format!("/api/v1/tenants/cem/requests/{id}/wording"),
            Some(json!({"title": "Fuite au plafond de la cantine",
                        "description": "L'eau fuit du plafond de la cantine"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let found = w.search("east_800", leak, None, false).await;
    assert_eq!(ids(&found), [id], "found by its new words");
    assert!(
        w.search("east_800", boys, None, false).await.is_empty(),
        "the words it no longer shows no longer match"
    );
    let found = w
        .search("east_800", "Toilettes bouchées", None, false)
        .await;
    assert_eq!(ids(&found), [id], "its requester's title still counts");
    w.srv.stop().await;
}

both_backends!(
    proposals_are_those_of_the_full_comparison,
    reexpressing_a_request_changes_what_it_matches,
);
