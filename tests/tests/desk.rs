//! The moderation desk over HTTP, on both databases: what waits for a Garant (and only what is
//! in a Certified citizen's reach for them), decided in place with the desk's forms (values,
//! life events, documents, requests moderated and merged), the header's count, and refusals:
//! the anonymous go to sign in, a citizen without a role gets a 403 page, another collective's
//! items are not found.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::{Value, json};
use vigie_tests::{Backend, Client, PASSWORD, Reply, TestServer, both_backends, jpeg_with_gps};

/// The number the header shows beside « À modérer », if any.
fn header_count(page: &Reply) -> Option<i64> {
    let at = page.text.find("class=\"desk-link\"")?;
    let rest = &page.text[at..];
    let end = rest.find("</a>")?;
    let link = &rest[..end];
    let count = link.split("<span class=\"count\">").nth(1)?;
    count
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

/// A citizen proposes a value on the object's sheet, with the page's form.
async fn propose(c: &Client, object: i64, vintage: &str, value: &str) {
    let r = c
        .form(
            &format!("/t/cem/o/{object}/contribute"),
            &[
                ("vintage", vintage),
                ("field", "atsem"),
                ("value", value),
                ("source", ""),
                ("contact_email", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
}

/// The ids of the pending contributions of a collective, oldest first.
async fn pending(c: &Client, slug: &str) -> Vec<i64> {
    let r = c
        .get(&format!("/api/v1/tenants/{slug}/contributions"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut ids: Vec<i64> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

fn request_body(title: &str) -> Value {
    json!({
        "kind": "intervention",
        "categories": ["cem/toilets"],
        "title": title,
        "description": "Les toilettes des garçons au premier étage sont bouchées depuis lundi.",
        "fields": {"location": "Toilettes du 1er étage"},
    })
}

async fn file_request(c: &Client, slug: &str, object: i64, title: &str) -> i64 {
    let r = c
        .post(
            &format!("/api/v1/tenants/{slug}/objects/{object}/requests"),
            request_body(title),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["request"]["id"].as_i64().unwrap()
}

async fn request_status(c: &Client, id: i64) -> Value {
    let r = c.get(&format!("/api/v1/tenants/cem/requests/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["request"].clone()
}

async fn desk_decides_in_place(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let cem = srv.collective("cem", &["schools"]).await;
    let (guru, garant) = (&cem.guru, &cem.garant);
    let r = guru
        .post(
            "/api/v1/tenants",
            json!({"slug": "autre", "name": "autre", "object_types": ["schools"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let school = srv
        .object("cem", "schools", "0130001A", "École des Chartreux")
        .await;
    let other_school = srv
        .object("cem", "schools", "0130002B", "École Ivaldi")
        .await;
    let elsewhere = srv
        .object("autre", "schools", "0130003C", "École d'ailleurs")
        .await;
    srv.operator_user("parent@vigie.test", "Paul Parent", false)
        .await
        .unwrap();
    srv.operator_user("relais@vigie.test", "Rémi Relais", false)
        .await
        .unwrap();
    let citizen = srv.client();
    citizen.sign_in("parent@vigie.test", PASSWORD).await;
    let relay = srv.client();
    relay.sign_in("relais@vigie.test", PASSWORD).await;
    let r = garant
        .post(
            "/api/v1/tenants/cem/certifications",
            json!({"object_type": "schools", "object_id": other_school, "email": "relais@vigie.test"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let anon = srv.client();

    // Nothing waits yet: the Garant's header links to the desk without a count.
    let page = garant.get("/t/cem").await;
    assert!(page.text.contains("href=\"/t/cem/desk\""), "{}", page.text);
    assert_eq!(header_count(&page), None);
    let desk = garant.get("/t/cem/desk").await;
    assert_eq!(desk.status, 200, "{}", desk.text);
    assert!(desk.text.contains("attend votre décision pour le moment"));

    // Who may not: the anonymous sign in first, a citizen without a role gets a 403 page in
    // the page's language, and a Garant of this collective has no desk in another one.
    let r = anon.get("/t/cem/desk").await;
    assert_eq!(r.status, 303);
    let r = citizen.get("/t/cem/desk").await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert!(r.text.contains("réservé aux garants"), "{}", r.text);
    let r = citizen.get("/t/cem/desk?lang=en").await;
    assert_eq!(r.status, 403);
    assert!(r.text.contains("Garants, Certified citizens"), "{}", r.text);
    citizen.get("/t/cem?lang=fr").await;
    assert!(!citizen.get("/t/cem").await.text.contains("desk-link"));
    assert_eq!(garant.get("/t/autre/desk").await.status, 403);
    assert_eq!(srv.client().get("/t/nulle-part/desk").await.status, 303);

    // A citizen proposes two values on the school and one on the other school; a life event,
    // a document and a request wait too.
    propose(&citizen, school, "2024-2025", "3").await;
    propose(&citizen, school, "2023-2024", "5").await;
    propose(&citizen, other_school, "2024-2025", "2").await;
    let ids = pending(&anon, "cem").await;
    assert_eq!(ids.len(), 3);
    let (first, second, on_other) = (ids[0], ids[1], ids[2]);
    let r = citizen
        .post(
            &format!("/api/v1/tenants/cem/objects/{school}/events"),
            json!({"kind": "works", "title": "Réfection du préau", "starts_on": "2026-07-01"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let event = r.body["id"].as_i64().unwrap();
    let r = citizen
        .upload(
            &format!("/api/v1/tenants/cem/objects/{school}/documents"),
            &[("kind", "photo"), ("title", "Préau fissuré")],
            "preau.jpg",
            jpeg_with_gps(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let document = r.body["id"].as_i64().unwrap();
    let kept = file_request(&citizen, "cem", school, "Toilettes bouchées").await;

    // The header counts what waits in each moderator's reach: everything for the Garant, the
    // other school's value for its Certified citizen.
    assert_eq!(header_count(&garant.get("/t/cem").await), Some(6));
    assert_eq!(
        header_count(&garant.get(&format!("/t/cem/o/{school}")).await),
        Some(6)
    );
    assert_eq!(header_count(&relay.get("/t/cem").await), Some(1));
    let mine = relay.get("/t/cem/desk").await;
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert!(
        mine.text
            .contains(&format!("id=\"contribution-{on_other}\""))
    );
    assert!(!mine.text.contains(&format!("id=\"contribution-{first}\"")));
    assert!(!mine.text.contains(&format!("id=\"request-{kept}\"")));

    // The Garant's desk: every item, oldest first, with the forms that decide it.
    let desk = garant.get("/t/cem/desk").await;
    assert_eq!(desk.status, 200, "{}", desk.text);
    let at = |needle: String| {
        desk.text
            .find(&needle)
            .unwrap_or_else(|| panic!("no {needle} in the desk"))
    };
    assert!(
        at(format!("id=\"contribution-{first}\"")) < at(format!("id=\"contribution-{second}\""))
    );
    assert!(
        at(format!("id=\"contribution-{second}\"")) < at(format!("id=\"contribution-{on_other}\""))
    );
    at(format!("id=\"event-{event}\""));
    at(format!("id=\"document-{document}\""));
    at(format!("id=\"request-{kept}\""));
    at(format!("action=\"/t/cem/desk/contributions/{first}\""));
    assert!(desk.text.contains("Réfection du préau") && desk.text.contains("Préau fissuré"));
    assert!(!desk.text.contains("parent@vigie.test"), "an e-mail shows");

    // Accept the first value in place: back to the desk with a word.
    let r = garant
        .form(
            &format!("/t/cem/desk/contributions/{first}"),
            &[("decision", "accept"), ("reason", "")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let back = garant.get("/t/cem/desk?done=accepted").await;
    assert!(back.text.contains("Proposition acceptée"));
    assert!(!back.text.contains(&format!("id=\"contribution-{first}\"")));
    assert_eq!(header_count(&back), Some(5));

    // A refusal without a reason is refused beside the item; with one, it is recorded.
    let path = format!("/t/cem/desk/contributions/{second}");
    let r = garant
        .form(&path, &[("decision", "refuse"), ("reason", "")])
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("Un refus demande un motif"), "{}", r.text);
    assert!(r.text.contains(&format!("id=\"contribution-{second}\"")));
    let r = garant
        .form(
            &path,
            &[
                ("decision", "refuse"),
                ("reason", "Chiffre sans source vérifiable"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    // Deciding twice is a conflict said on the desk, not an error page.
    let r = garant
        .form(&path, &[("decision", "accept"), ("reason", "")])
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.text.contains("déjà été refusée"), "{}", r.text);

    // The public sheet shows both decisions: the accepted value and the refusal's reason.
    let sheet = anon.get(&format!("/t/cem/o/{school}")).await;
    assert!(
        sheet.text.contains("Chiffre sans source vérifiable"),
        "{}",
        sheet.text
    );
    assert!(sheet.text.contains("validée") && sheet.text.contains("refusée"));
    assert_eq!(pending(&anon, "cem").await, vec![on_other]);

    // The life event is accepted, the document refused with a reason.
    let r = garant
        .form(
            &format!("/t/cem/desk/events/{event}"),
            &[("decision", "accept")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let r = garant
        .form(
            &format!("/t/cem/desk/documents/{document}"),
            &[("decision", "refuse"), ("reason", "Photo floue")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let events = anon
        .get(&format!("/api/v1/tenants/cem/objects/{school}/events"))
        .await;
    assert_eq!(events.body[0]["state"], "accepted", "{}", events.text);
    let sheet = anon.get(&format!("/t/cem/o/{school}")).await;
    assert!(sheet.text.contains("Réfection du préau"));
    assert_eq!(header_count(&garant.get("/t/cem").await), Some(2));

    // The request is published from the desk; a second one like it shows it as a likely
    // duplicate, and is merged into it from the desk.
    let r = garant
        .form(
            &format!("/t/cem/desk/r/{kept}/moderate"),
            &[("decision", "publish"), ("reason", "")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(request_status(&anon, kept).await["status"], "published");
    let duplicate = file_request(&citizen, "cem", school, "Toilettes bouchées encore").await;
    let desk = garant.get("/t/cem/desk").await;
    let item = &desk.text[desk
        .text
        .find(&format!("id=\"request-{duplicate}\""))
        .unwrap()..];
    let item = &item[..item.find("</article>").unwrap()];
    assert!(item.contains("Doublons possibles"), "{item}");
    assert!(
        item.contains(&format!("href=\"/t/cem/r/{kept}\"")),
        "{item}"
    );
    assert!(
        item.contains(&format!("name=\"into\" value=\"{kept}\"")),
        "{item}"
    );
    // Re-expressed in place first (the requester's words stay); an assignment to nobody is
    // refused beside the request, its form left open.
    let r = garant
        .form(
            &format!("/t/cem/desk/r/{duplicate}/wording"),
            &[
                ("title", "Toilettes du premier étage bouchées"),
                (
                    "description",
                    "Les toilettes des garçons du premier étage sont bouchées.",
                ),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let reworded = garant
        .get(&format!("/api/v1/tenants/cem/requests/{duplicate}"))
        .await;
    assert_eq!(
        reworded.body["request"]["title"],
        "Toilettes du premier étage bouchées"
    );
    assert_eq!(
        reworded.body["request"]["original_title"],
        "Toilettes bouchées encore"
    );
    let r = garant
        .form(
            &format!("/t/cem/desk/r/{duplicate}/assign"),
            &[("contact_id", ""), ("user_id", "")],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let item = &r.text[r.text.find(&format!("id=\"request-{duplicate}\"")).unwrap()..];
    assert!(
        item.contains("role=\"alert\""),
        "the error is beside the request"
    );
    assert!(
        item.contains("<details open>"),
        "the assignment form is open"
    );
    let r = garant
        .form(
            &format!("/t/cem/desk/r/{duplicate}/merge"),
            &[("into", &kept.to_string())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let merged = request_status(&anon, duplicate).await;
    assert_eq!(merged["merged_into"], kept, "{merged}");
    assert!(
        !garant
            .get("/t/cem/desk")
            .await
            .text
            .contains(&format!("id=\"request-{duplicate}\""))
    );

    // Another collective's items are not found from this desk, and stay as they were.
    let r = anon
        .post(
            &format!("/api/v1/tenants/autre/objects/{elsewhere}/contributions"),
            json!({"vintage": "2024-2025", "values": [{"field": "atsem", "value": 4}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let foreign = r.body[0]["id"].as_i64().unwrap();
    let foreign_request = file_request(&citizen, "autre", elsewhere, "Portail cassé").await;
    let r = garant
        .form(
            &format!("/t/cem/desk/contributions/{foreign}"),
            &[("decision", "accept")],
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = garant
        .form(
            &format!("/t/cem/desk/r/{foreign_request}/moderate"),
            &[("decision", "publish"), ("reason", "")],
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    // Nor may the Garant decide them on the other collective's desk.
    let r = garant
        .form(
            &format!("/t/autre/desk/contributions/{foreign}"),
            &[("decision", "accept")],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(pending(&anon, "autre").await, vec![foreign]);
    let r = guru
        .get(&format!("/api/v1/tenants/autre/requests/{foreign_request}"))
        .await;
    assert_eq!(r.body["request"]["status"], "new", "{}", r.text);

    // The Guru's desk reaches the whole collective: the other school's value.
    let r = guru.get("/t/cem/desk").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains(&format!("id=\"contribution-{on_other}\"")));
    assert!(r.text.contains("tout le collectif"));
    srv.stop().await;
}

both_backends!(desk_decides_in_place);

async fn desk_sections_are_paged(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let cem = srv.collective("cem", &["schools"]).await;
    srv.operator_user("parent@vigie.test", "Paul Parent", false)
        .await
        .unwrap();
    let citizen = srv.client();
    citizen.sign_in("parent@vigie.test", PASSWORD).await;
    for n in 0..55 {
        let school = srv
            .object(
                "cem",
                "schools",
                &vigie_tests::uai(n),
                &format!("École {n}"),
            )
            .await;
        let r = citizen
            .post(
                &format!("/api/v1/tenants/cem/objects/{school}/contributions"),
                json!({"vintage": "2024-2025", "values": [{"field": "atsem", "value": 1}]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let ids = pending(&citizen, "cem").await;
    assert_eq!(ids.len(), 55);
    let first = cem.garant.get("/t/cem/desk").await;
    assert_eq!(
        first
            .text
            .matches("class=\"desk-item\" id=\"contribution-")
            .count(),
        50
    );
    assert!(
        first
            .text
            .contains(&format!("id=\"contribution-{}\"", ids[0]))
    );
    assert!(first.text.contains("Page 1 sur 2"));
    assert_eq!(header_count(&first), Some(55));
    let second = cem.garant.get("/t/cem/desk?contributions=2").await;
    assert_eq!(
        second
            .text
            .matches("class=\"desk-item\" id=\"contribution-")
            .count(),
        5
    );
    assert!(
        second
            .text
            .contains(&format!("id=\"contribution-{}\"", ids[54]))
    );
    assert!(
        !second
            .text
            .contains(&format!("id=\"contribution-{}\"", ids[0]))
    );
    srv.stop().await;
}

both_backends!(desk_sections_are_paged);
