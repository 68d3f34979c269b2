//! Requests for intervention or improvement over HTTP, on both databases: the whole life cycle,
//! open moderation, duplicates and merges, the tamper-evident journal, and who may change a
//! request (every modifying operation × every role).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::{Value, json};
use vigie_tests::{
    Backend, Client, PASSWORD, TestServer, both_backends, contains, jpeg_with_gps, last_link_in,
};

struct World {
    srv: TestServer,
    guru: Client,
    garant: Client,
    garant_elsewhere: Client,
    certified: Client,
    certified_other: Client,
    requester: Client,
    assignee: Client,
    assignee_id: i64,
    official: Client,
    stranger: Client,
    school: i64,
    other_school: i64,
    contacts: Vec<i64>,
}

async fn world(backend: Backend) -> World {
    // The journal check is not reused here: rows are altered between two checks.
    let srv = TestServer::start_with(backend, |s| s.requests.journal_check_cache_seconds = 0)
        .await
        .unwrap();
    let mut ids = std::collections::HashMap::new();
    for (email, name, guru) in [
        ("guru@vigie.test", "Guru", true),
        ("garant@vigie.test", "Gaëlle Garant", false),
        ("garant@autre.test", "Autre Garant", false),
        ("relais@vigie.test", "Rémi Relais", false),
        ("relais2@vigie.test", "Rose Relais", false),
        ("parent@vigie.test", "Paul Parent", false),
        ("travaux@marseille.fr", "Tom Travaux", false),
        ("agent@marseille.fr", "Anne Agent", false),
        ("passant@vigie.test", "Pierre Passant", false),
    ] {
        ids.insert(email, srv.operator_user(email, name, guru).await.unwrap());
    }
    let client = |email: &'static str| {
        let c = srv.client();
        async move {
            c.sign_in(email, PASSWORD).await;
            c
        }
    };
    let guru = client("guru@vigie.test").await;
    for slug in ["cem", "autre"] {
        let r = guru
            .post(
                "/api/v1/tenants",
                json!({"slug": slug, "name": slug, "object_types": ["schools"],
                       "official_domains": ["marseille.fr"]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    for (slug, email) in [("cem", "garant@vigie.test"), ("autre", "garant@autre.test")] {
        let r = guru
            .post(
                &format!("/api/v1/tenants/{slug}/garants"),
                json!({"object_type": "schools", "email": email}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let school = srv
        .object(
            "cem",
            "schools",
            "0130001A",
            "École élémentaire Chartreux HBM",
        )
        .await;
    let other_school = srv
        .object(
            "cem",
            "schools",
            "0130002B",
            "École maternelle Chartreux Ivaldi",
        )
        .await;
    let garant = client("garant@vigie.test").await;
    for (object, email) in [
        (school, "relais@vigie.test"),
        (other_school, "relais2@vigie.test"),
    ] {
        let r = garant
            .post(
                "/api/v1/tenants/cem/certifications",
                json!({"object_type": "schools", "object_id": object, "email": email}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let mut contacts = Vec::new();
    for (name, role, email) in [
        (
            "Jean Travaux",
            "Responsable des travaux, Ville de Marseille",
            "jean.travaux@marseille.fr",
        ),
        (
            "Dora Directrice",
            "Directrice de l'école",
            "direction@ecole.test",
        ),
    ] {
        let r = garant
            .post(
                "/api/v1/tenants/cem/object-types/schools/contacts",
                json!({"name": name, "role_title": role, "email": email}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert!(!r.text.contains(email), "a contact's e-mail is private");
        contacts.push(r.body["id"].as_i64().unwrap());
    }
    World {
        garant_elsewhere: client("garant@autre.test").await,
        certified: client("relais@vigie.test").await,
        certified_other: client("relais2@vigie.test").await,
        requester: client("parent@vigie.test").await,
        assignee: client("travaux@marseille.fr").await,
        assignee_id: ids["travaux@marseille.fr"],
        official: client("agent@marseille.fr").await,
        stranger: client("passant@vigie.test").await,
        guru,
        garant,
        srv,
        school,
        other_school,
        contacts,
    }
}

fn toilets(title: &str) -> Value {
    json!({
        "kind": "intervention",
        "categories": ["cem/toilets", "sst/hygiene"],
        "title": title,
        "description": "Les toilettes des garçons au premier étage sont bouchées depuis lundi.",
        "fields": {"location": "Toilettes du 1er étage"},
        "reminder_on": "2099-01-15",
    })
}

/// Whether a text holds something shaped like an e-mail address (`name@domain.tld`).
fn has_email(text: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || "._-+".contains(c);
    text.match_indices('@').any(|(i, _)| {
        let before = text[..i].chars().next_back().is_some_and(word);
        let after: String = text[i + 1..].chars().take_while(|c| word(*c)).collect();
        before && after.contains('.') && !after.starts_with('.')
    })
}

fn actions(journal: &Value) -> Vec<String> {
    journal
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_request_goes_through_its_whole_life(backend: Backend) {
    let w = world(backend).await;
    let anon = w.srv.client();
    let file = format!("/api/v1/tenants/cem/objects/{}/requests", w.school);

    // Filed anonymously, with a private contact address and then a photo.
    let mut body = toilets("Toilettes bouchées");
    body["contact_email"] = json!("parent.anonyme@example.org");
    let r = anon.post(&file, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["request"]["status"], "new");
    assert_eq!(r.body["request"]["requester"], Value::Null);
    assert_eq!(
        r.body["request"]["fields"]["location"]["text"],
        "Toilettes du 1er étage"
    );
    assert!(!r.text.contains("parent.anonyme@example.org"));
    let id = r.body["request"]["id"].as_i64().unwrap();
    let token = r.body["follow_token"].as_str().unwrap().to_owned();
    let mailed = last_link_in(
        &w.srv.outbox(),
        "parent.anonyme@example.org",
        &format!("/r/{id}"),
    )
    .unwrap();
    assert_ne!(
        mailed, token,
        "the link e-mailed (which confirms the address) is not the one answered"
    );
    // Opening it confirms the address: the requester hears of the steps that follow.
    let r = anon
        .get(&format!("/api/v1/tenants/cem/requests/{id}?token={mailed}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let req = format!("/api/v1/tenants/cem/requests/{id}");
    let photo = jpeg_with_gps();
    let r = anon
        .upload(
            &format!("{req}/attachments"),
            &[("title", "Photo des toilettes")],
            "wc.jpg",
            photo.clone(),
        )
        .await;
    assert_eq!(r.status, 401, "no token, no account: {}", r.text);
    let r = anon
        .upload(
            &format!("{req}/attachments?token={token}"),
            &[("title", "Photo des toilettes")],
            "wc.jpg",
            photo,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let download = r.body["download"].as_str().unwrap().to_owned();
    assert_eq!(
        anon.bytes(&download).await.0,
        404,
        "awaiting moderation: not for anyone"
    );
    let (status, ct, bytes) = anon.bytes(&format!("{download}?token={token}")).await;
    assert_eq!((status, ct.as_str()), (200, "image/jpeg"));
    assert!(!contains(&bytes, &[0x88, 0x25]), "the GPS pointer survived");
    let r = anon
        .upload(
            &format!("{req}/attachments?token=0123abcd"),
            &[("title", "x")],
            "wc.jpg",
            jpeg_with_gps(),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "invalid_token"), "{}", r.text);

    // Listed publicly as pending.
    let list = anon.get("/api/v1/tenants/cem/requests").await;
    assert_eq!(list.body[0]["id"], id);
    assert_eq!(list.body[0]["status"], "new");

    // Published by the school's Certified citizen, not by a passer-by.
    let moderation = format!("{req}/moderation");
    let r = w
        .stranger
        .post(&moderation, json!({"decision": "publish"}))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = w
        .certified_other
        .post(&moderation, json!({"decision": "publish"}))
        .await;
    assert_eq!(r.status, 403, "certified for another school: {}", r.text);
    let r = w
        .certified
        .post(&moderation, json!({"decision": "publish"}))
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("published")),
        "{}",
        r.text
    );
    let r = w
        .certified
        .post(&moderation, json!({"decision": "publish"}))
        .await;
    assert_eq!(r.status, 409, "moderated once: {}", r.text);

    // Re-expressed: the requester's words stay visible.
    let r = w
        .certified
        .call(
            "PUT",
            &format!("{req}/wording"),
            Some(json!({"title": "Sanitaires du 1er étage hors d'usage",
                        "description": "Les toilettes des garçons (1er étage) sont bouchées."})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = anon.get(&req).await;
    assert_eq!(
        r.body["request"]["title"],
        "Sanitaires du 1er étage hors d'usage"
    );
    assert_eq!(r.body["request"]["original_title"], "Toilettes bouchées");
    assert_eq!(r.body["request"]["reexpressed"], true);

    // Assigned to two contacts, each told by e-mail with a link to answer without an account.
    for c in &w.contacts {
        let r = w
            .certified
            .post(&format!("{req}/assignees"), json!({"contact_id": c}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let r = w
        .certified
        .post(
            &format!("{req}/assignees"),
            json!({"contact_id": w.contacts[0]}),
        )
        .await;
    assert_eq!(r.status, 409, "assigned once: {}", r.text);
    let r = anon.get(&req).await;
    let names: Vec<&str> = r.body["assignees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Jean Travaux", "Dora Directrice"]);
    assert!(!r.text.contains("jean.travaux@marseille.fr"));
    let works = last_link_in(
        &w.srv.outbox(),
        "jean.travaux@marseille.fr",
        &format!("/r/{id}"),
    )
    .unwrap();

    // Moved through its statuses by those who handle it; the contact answers by link.
    let r = anon
        .post(
            &format!("{req}/answers?token={works}"),
            json!({"message": "Nous avons bien reçu la demande, un plombier passera.", "status": "acknowledged"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("acknowledged")),
        "{}",
        r.text
    );
    let status = format!("{req}/status");
    let r = w
        .garant
        .post(
            &status,
            json!({"status": "planned", "note": "Intervention prévue le 3 mars"}),
        )
        .await;
    assert_eq!(r.body["status"], "planned", "{}", r.text);
    let r = anon
        .post(
            &format!("{status}?token={works}"),
            json!({"status": "in_progress"}),
        )
        .await;
    assert_eq!(r.body["status"], "in_progress", "{}", r.text);
    let r = w
        .certified
        .post(&status, json!({"status": "published"}))
        .await;
    assert_eq!(
        r.status, 400,
        "moderation is not a status change: {}",
        r.text
    );
    let r = anon
        .post(
            &format!("{status}?token={token}"),
            json!({"status": "solved"}),
        )
        .await;
    assert_eq!(
        r.body["status"], "solved",
        "the requester, by link: {}",
        r.text
    );
    let r = w
        .certified
        .post(&status, json!({"status": "planned"}))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(
        r.text.contains("not_solved"),
        "says what is possible: {}",
        r.text
    );
    assert_eq!(
        r.body["error"]["message_fr"],
        "Une demande « résolue » ne peut pas passer à « programmée » ; elle peut passer à \
         « non résolue », « close ».",
        "in French too: {}",
        r.text
    );
    // Anyone may say it is not solved: it reopens.
    let r = w
        .stranger
        .post(
            &status,
            json!({"status": "not_solved", "note": "Toujours bouchées ce matin"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("not_solved")),
        "{}",
        r.text
    );

    // A second, similar request on the school next door is flagged and merged.
    let r = w
        .requester
        .post(
            &format!("/api/v1/tenants/cem/objects/{}/requests", w.other_school),
            json!({"kind": "intervention", "title": "Toilette bouchée",
                   "description": "Toilettes garçons bouchées, étage"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let dup = r.body["request"]["id"].as_i64().unwrap();
    let similar: Vec<i64> = r.body["similar"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["request"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(similar, [id], "{}", r.text);
    let r = w
        .requester
        .get(&format!("/api/v1/tenants/cem/requests/{dup}/duplicates"))
        .await;
    assert_eq!(r.body[0]["request"]["id"], id, "{}", r.text);
    let merge = format!("/api/v1/tenants/cem/requests/{dup}/merge");
    let r = w.certified.post(&merge, json!({"into": id})).await;
    assert_eq!(
        r.status, 403,
        "the duplicate is on another school: {}",
        r.text
    );
    let r = w.certified_other.post(&merge, json!({"into": id})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["status"].as_str(), r.body["merged_into"].as_i64()),
        (Some("closed"), Some(id))
    );
    // "Me too", counted publicly, once per person.
    let r = w.official.post(&format!("{req}/support"), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["supporters"], 2,
        "the merged requester and this one: {}",
        r.text
    );
    let r = w.official.post(&format!("{req}/support"), json!({})).await;
    assert_eq!(r.status, 409, "{}", r.text);
    let r = anon
        .post(
            &format!("/api/v1/tenants/cem/requests/{dup}/support"),
            json!({}),
        )
        .await;
    assert_eq!(
        r.status, 409,
        "a merged request points to the one that stays: {}",
        r.text
    );

    // Comments: signed-in readers only; the journal records that one exists.
    let comments = format!("{req}/comments");
    assert_eq!(anon.get(&comments).await.status, 401);
    assert_eq!(anon.post(&comments, json!({"body": "x"})).await.status, 401);
    let r = w
        .stranger
        .post(
            &comments,
            json!({"body": "Mon fils confirme, c'est toujours le cas."}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = w.requester.get(&comments).await;
    assert_eq!(r.body[0]["author"], "Pierre Passant");

    // Refused and set-apart requests stay listed, with their reasons.
    let refused = w
        .requester
        .post(&file, toilets("Cantine trop chère"))
        .await
        .body["request"]["id"]
        .as_i64()
        .unwrap();
    let r = w
        .certified
        .post(
            &format!("/api/v1/tenants/cem/requests/{refused}/moderation"),
            json!({"decision": "refuse"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (400, Some("reason")),
        "{}",
        r.text
    );
    let r = w
        .certified
        .post(
            &format!("/api/v1/tenants/cem/requests/{refused}/moderation"),
            json!({"decision": "refuse", "reason": "Les tarifs relèvent du conseil municipal, pas d'une intervention."}),
        )
        .await;
    assert_eq!(r.body["status"], "refused", "{}", r.text);
    let abusive = w
        .stranger
        .post(&file, toilets("Propos injurieux envers le directeur"))
        .await
        .body["request"]["id"]
        .as_i64()
        .unwrap();
    let r = w
        .garant
        .post(
            &format!("/api/v1/tenants/cem/requests/{abusive}/moderation"),
            json!({"decision": "set_apart", "reason": "Injures envers une personne nommée."}),
        )
        .await;
    assert_eq!(r.body["status"], "set_apart", "{}", r.text);
    let list = anon.get("/api/v1/tenants/cem/requests").await;
    let refused_view = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == refused)
        .unwrap();
    assert_eq!(refused_view["status"], "refused");
    assert!(
        refused_view["moderation_reason"]
            .as_str()
            .unwrap()
            .contains("conseil municipal")
    );
    assert!(
        !list.text.contains("Propos injurieux"),
        "set apart: not in the main list"
    );
    let apart = anon
        .get("/api/v1/tenants/cem/requests?set_apart=true")
        .await;
    assert_eq!(apart.body[0]["id"], abusive);
    assert_eq!(
        (
            apart.body[0]["content_hidden"].as_bool(),
            apart.body[0]["title"].is_null()
        ),
        (Some(true), true)
    );
    assert!(
        apart.body[0]["warning"]
            .as_str()
            .unwrap()
            .contains("reveal=true")
    );
    assert!(
        apart.body[0]["moderation_reason"]
            .as_str()
            .unwrap()
            .contains("Injures")
    );
    assert!(
        !anon
            .get(&format!("/api/v1/tenants/cem/requests/{abusive}"))
            .await
            .text
            .contains("injurieux")
    );
    let shown = anon
        .get(&format!(
            "/api/v1/tenants/cem/requests/{abusive}?reveal=true"
        ))
        .await;
    assert_eq!(
        shown.body["request"]["title"],
        "Propos injurieux envers le directeur"
    );

    // The journal shows every step, and verifies.
    let r = anon.get(&req).await;
    let steps = actions(&r.body["journal"]);
    for expected in [
        "filed",
        "notification_sent",
        "attachment_added",
        "published",
        "reexpressed",
        "assigned",
        "answered",
        "status_changed",
        "reopened",
        "merged_from",
        "supported",
        "comment_added",
    ] {
        assert!(
            steps.iter().any(|s| s == expected),
            "no {expected} in {steps:?}"
        );
    }
    assert_eq!(steps[0], "filed");
    assert_eq!(steps.iter().filter(|s| *s == "assigned").count(), 2);
    assert!(
        !r.text.contains("Mon fils confirme"),
        "a comment's text is not in the journal"
    );
    assert!(
        !r.text.contains("@"),
        "no e-mail address anywhere: {}",
        r.text
    );
    let sent: Vec<&Value> = r.body["journal"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "notification_sent")
        .collect();
    assert!(
        sent.iter()
            .any(|e| e["details"].as_str().unwrap().contains("Jean Travaux"))
    );
    let verify = anon.get("/api/v1/tenants/cem/journal/verify").await;
    assert_eq!(verify.body["ok"], true, "{}", verify.text);
    let total = verify.body["entries"].as_i64().unwrap();
    assert!(total > 25, "{total}");
    let other = anon.get("/api/v1/tenants/autre/journal/verify").await;
    assert_eq!(
        (other.body["ok"].as_bool(), other.body["entries"].as_i64()),
        (Some(true), Some(0))
    );

    // Altering one stored row directly in the database is caught, and located.
    let full = anon.get("/api/v1/tenants/cem/journal").await;
    let target = full
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "reexpressed")
        .unwrap();
    let seq = target["seq"].as_i64().unwrap();
    let original = target["details"].as_str().unwrap().to_owned();
    let pool = w.srv.app.store.raw_pool();
    let tamper = |details: String| async move {
        sqlx::query(
            "UPDATE request_journal SET details = $1 WHERE seq = $2 \
             AND tenant_id = (SELECT id FROM tenants WHERE slug = 'cem')",
        )
        .bind(details)
        .bind(seq)
        .execute(pool)
        .await
        .unwrap();
    };
    tamper(original.replace("hors d'usage", "réparés")).await;
    let verify = anon.get("/api/v1/tenants/cem/journal/verify").await;
    assert_eq!(
        (
            verify.body["ok"].as_bool(),
            verify.body["broken_at"].as_i64()
        ),
        (Some(false), Some(seq)),
        "{}",
        verify.text
    );
    assert!(
        verify.body["reason"].as_str().unwrap().contains("changed"),
        "{}",
        verify.text
    );
    tamper(original).await;
    assert_eq!(
        anon.get("/api/v1/tenants/cem/journal/verify").await.body["ok"],
        true
    );
    // Removing the newest entry is caught too: the chain no longer reaches its head.
    sqlx::query(
        "DELETE FROM request_journal WHERE seq = $1 \
         AND tenant_id = (SELECT id FROM tenants WHERE slug = 'cem')",
    )
    .bind(total)
    .execute(pool)
    .await
    .unwrap();
    let verify = anon.get("/api/v1/tenants/cem/journal/verify").await;
    assert_eq!(
        (
            verify.body["ok"].as_bool(),
            verify.body["broken_at"].as_i64()
        ),
        (Some(false), Some(total)),
        "{}",
        verify.text
    );
    w.srv.stop().await;
}

async fn bad_requests_are_refused_with_what_to_fix(backend: Backend) {
    let w = world(backend).await;
    let file = format!("/api/v1/tenants/cem/objects/{}/requests", w.school);
    for (patch, field) in [
        (json!({"kind": "complaint"}), "kind"),
        (json!({"categories": ["cem/unicorns"]}), "categories"),
        (json!({"categories": ["toilets"]}), "categories"),
        (json!({"title": "x"}), "title"),
        (json!({"description": ""}), "description"),
        (json!({"urgency": "whenever"}), "urgency"),
        (json!({"reminder_on": "2001-01-01"}), "reminder_on"),
        (json!({"reminder_on": "15/01/2099"}), "reminder_on"),
        (json!({"contact_email": "not-an-address"}), "contact_email"),
        (json!({"fields": {"colour": "red"}}), "fields"),
        (json!({"fields": {"location": 12}}), "fields"),
    ] {
        let mut body = toilets("Toilettes bouchées");
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = w.requester.post(&file, body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_eq!(
            r.body["error"]["field"].as_str(),
            Some(field),
            "{body}: {}",
            r.text
        );
        // Said in French too, as the pages show it.
        let fr = r.body["error"]["message_fr"].as_str().unwrap_or_default();
        assert!(fr.len() > 10, "{body}: no French in {}", r.text);
    }
    // A DGI notice's urgency is fixed by the type.
    let r = w
        .requester
        .post(&file, json!({"kind": "dgi-notice", "title": "Danger", "description": "Plafond qui s'effondre", "urgency": "low"}))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(
        r.body["error"]["message_fr"],
        "L'urgence de ce type de demande est fixée : laissez « celle du type de demande ».",
        "{}",
        r.text
    );
    assert_eq!(
        w.requester
            .post(
                "/api/v1/tenants/cem/objects/999999/requests",
                toilets("Toilettes")
            )
            .await
            .status,
        404
    );
    assert_eq!(
        w.requester
            .get("/api/v1/tenants/cem/requests/999999")
            .await
            .status,
        404
    );
    assert_eq!(
        w.requester
            .get("/api/v1/tenants/cem/requests?status=dunno")
            .await
            .status,
        400
    );
    w.srv.stop().await;
}

/// Who may do what to a request. `Some(true)`: allowed; `Some(false)`: refused (403 signed in,
/// 401 anonymous); `None`: allowed by the rules but refused for what the request is (e.g. one
/// cannot support one's own request).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Guru,
    Garant,
    GarantElsewhere,
    Certified,
    CertifiedOther,
    Requester,
    Assignee,
    Official,
    Stranger,
    Anonymous,
    ContactLink,
}

const EVERYONE: [Who; 11] = [
    Who::Guru,
    Who::Garant,
    Who::GarantElsewhere,
    Who::Certified,
    Who::CertifiedOther,
    Who::Requester,
    Who::Assignee,
    Who::Official,
    Who::Stranger,
    Who::Anonymous,
    Who::ContactLink,
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Moderate,
    Reexpress,
    ChangeStatus,
    Assign,
    Unassign,
    Notify,
    Answer,
    Attach,
    Merge,
    Comment,
    Support,
    ReportNotSolved,
    AddContact,
}

const OPS: [Op; 13] = [
    Op::Moderate,
    Op::Reexpress,
    Op::ChangeStatus,
    Op::Assign,
    Op::Unassign,
    Op::Notify,
    Op::Answer,
    Op::Attach,
    Op::Merge,
    Op::Comment,
    Op::Support,
    Op::ReportNotSolved,
    Op::AddContact,
];

/// Written from the mission: only the requester, the assignees, the type's Garant and the
/// object's Certified citizens may modify a request (a Guru may do everything; a contact
/// notified by e-mail may answer and change the status through their link).
fn expected(who: Who, op: Op) -> bool {
    use Who as W;
    let moderator = matches!(who, W::Guru | W::Garant | W::Certified);
    let handles = moderator || matches!(who, W::Requester | W::Assignee | W::ContactLink);
    match op {
        Op::Moderate | Op::Reexpress | Op::Merge => moderator,
        Op::ChangeStatus | Op::Attach => handles,
        // A requester does not answer as if handling it; a contact does not mail or assign
        // others (the permission table, `vigie_domain::requests::editor_may`).
        Op::Answer => moderator || matches!(who, W::Assignee | W::ContactLink),
        Op::Assign | Op::Unassign | Op::Notify => {
            moderator || matches!(who, W::Requester | W::Assignee)
        }
        Op::Comment => !matches!(who, W::Anonymous | W::ContactLink),
        Op::Support | Op::ReportNotSolved => true,
        Op::AddContact => matches!(who, W::Guru | W::Garant),
    }
}

async fn only_those_handling_a_request_may_change_it(backend: Backend) {
    let w = world(backend).await;
    let anon = w.srv.client();
    let file = format!("/api/v1/tenants/cem/objects/{}/requests", w.school);
    let mut checked = 0;
    for op in OPS {
        for who in EVERYONE {
            // A fresh request for each attempt: filed by the requester, assigned to the
            // assignee and a contact, published unless the operation is the moderation.
            let r = w
                .requester
                .post(&file, toilets(&format!("Toilettes {op:?} {who:?}")))
                .await;
            assert_eq!(r.status, 201, "{}", r.text);
            let id = r.body["request"]["id"].as_i64().unwrap();
            let req = format!("/api/v1/tenants/cem/requests/{id}");
            if op != Op::Moderate {
                let r = w
                    .garant
                    .post(&format!("{req}/moderation"), json!({"decision": "publish"}))
                    .await;
                assert_eq!(r.status, 200, "{}", r.text);
            }
            let r = w
                .garant
                .post(
                    &format!("{req}/assignees"),
                    json!({"user_id": w.assignee_id}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.text);
            let r = w
                .garant
                .post(
                    &format!("{req}/assignees"),
                    json!({"contact_id": w.contacts[0]}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.text);
            let assignment = r.body["id"].as_i64().unwrap();
            let link = last_link_in(
                &w.srv.outbox(),
                "jean.travaux@marseille.fr",
                &format!("/r/{id}"),
            )
            .unwrap();
            if op == Op::ReportNotSolved {
                let r = w
                    .garant
                    .post(&format!("{req}/status"), json!({"status": "solved"}))
                    .await;
                assert_eq!(r.status, 200, "{}", r.text);
            }
            let (client, token) = match who {
                Who::Guru => (&w.guru, None),
                Who::Garant => (&w.garant, None),
                Who::GarantElsewhere => (&w.garant_elsewhere, None),
                Who::Certified => (&w.certified, None),
                Who::CertifiedOther => (&w.certified_other, None),
                Who::Requester => (&w.requester, None),
                Who::Assignee => (&w.assignee, None),
                Who::Official => (&w.official, None),
                Who::Stranger => (&w.stranger, None),
                Who::Anonymous => (&anon, None),
                Who::ContactLink => (&anon, Some(link)),
            };
            let q = token.map(|t| format!("?token={t}")).unwrap_or_default();
            let r = match op {
                Op::Moderate => client.post(&format!("{req}/moderation"), json!({"decision": "publish"})).await,
                Op::Reexpress => {
                    client
                        .call("PUT", &format!("{req}/wording"), Some(json!({"title": "Sanitaires hors d'usage", "description": "Reformulé."})))
                        .await
                }
                Op::ChangeStatus => client.post(&format!("{req}/status{q}"), json!({"status": "acknowledged"})).await,
                Op::Assign => client.post(&format!("{req}/assignees{q}"), json!({"contact_id": w.contacts[1]})).await,
                Op::Unassign => client.delete(&format!("{req}/assignees/{assignment}{q}")).await,
                Op::Notify => {
                    client
                        .post(&format!("{req}/notifications{q}"), json!({"contact_ids": [w.contacts[1]], "message": "Pouvez-vous regarder ?"}))
                        .await
                }
                Op::Answer => client.post(&format!("{req}/answers{q}"), json!({"message": "Vu, merci."})).await,
                Op::Attach => {
                    client
                        .upload(&format!("{req}/attachments{q}"), &[("title", "Photo")], "p.jpg", jpeg_with_gps())
                        .await
                }
                Op::Merge => {
                    let target = w.garant.post(&file, toilets("Toilettes bouchées (cible)")).await.body["request"]["id"].as_i64().unwrap();
                    w.garant
                        .post(&format!("/api/v1/tenants/cem/requests/{target}/moderation"), json!({"decision": "publish"}))
                        .await;
                    client.post(&format!("{req}/merge"), json!({"into": target})).await
                }
                Op::Comment => client.post(&format!("{req}/comments"), json!({"body": "Merci !"})).await,
                Op::Support => client.post(&format!("{req}/support"), json!({})).await,
                Op::ReportNotSolved => {
                    client.post(&format!("{req}/status{q}"), json!({"status": "not_solved"})).await
                }
                Op::AddContact => {
                    client
                        .post(
                            "/api/v1/tenants/cem/object-types/schools/contacts",
                            json!({"name": format!("Contact {who:?}"), "role_title": "Mairie de secteur",
                                   "email": format!("{who:?}@mairie.test").to_lowercase()}),
                        )
                        .await
                }
            };
            let allowed = expected(who, op);
            let refused_for_content = op == Op::Support && who == Who::Requester;
            if refused_for_content {
                assert_eq!(r.status, 409, "{op:?} by {who:?}: {}", r.text);
            } else if allowed {
                assert!(
                    (200..300).contains(&r.status),
                    "{op:?} by {who:?} should be allowed: {} {}",
                    r.status,
                    r.text
                );
            } else {
                // A contact's link identifies them: what the table refuses them is 403.
                let identified =
                    who == Who::ContactLink && matches!(op, Op::Assign | Op::Unassign | Op::Notify);
                let refused = if (who == Who::Anonymous || who == Who::ContactLink) && !identified {
                    401
                } else {
                    403
                };
                assert_eq!(
                    r.status, refused,
                    "{op:?} by {who:?} should be refused: {}",
                    r.text
                );
            }
            if !(200..300).contains(&r.status) {
                // Every refusal says what to do, in French too.
                assert!(
                    r.body["error"]["message_fr"]
                        .as_str()
                        .is_some_and(|m| m.len() > 10),
                    "{op:?} by {who:?}: no French in {}",
                    r.text
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, OPS.len() * EVERYONE.len());
    let verify = anon.get("/api/v1/tenants/cem/journal/verify").await;
    assert_eq!(verify.body["ok"], true, "{}", verify.text);
    w.srv.stop().await;
}

/// Many people acting at once still make one unbroken chain: the journal head serialises
/// writers on both databases, and no action is lost.
async fn concurrent_actions_keep_one_chain(backend: Backend) {
    let w = world(backend).await;
    let file = format!("/api/v1/tenants/cem/objects/{}/requests", w.school);
    let r = w.requester.post(&file, toilets("Toilettes bouchées")).await;
    let id = r.body["request"]["id"].as_i64().unwrap();
    let req = format!("/api/v1/tenants/cem/requests/{id}");
    w.garant
        .post(&format!("{req}/moderation"), json!({"decision": "publish"}))
        .await;
    let mut supporters = Vec::new();
    for i in 0..12 {
        let email = format!("soutien{i}@vigie.test");
        w.srv
            .operator_user(&email, &format!("Soutien {i}"), false)
            .await
            .unwrap();
        let c = w.srv.client();
        c.sign_in(&email, PASSWORD).await;
        supporters.push(c);
    }
    let mut tasks = Vec::new();
    for (i, c) in supporters.into_iter().enumerate() {
        let (req, file) = (req.clone(), file.clone());
        tasks.push(tokio::spawn(async move {
            let a = c.post(&format!("{req}/support"), json!({})).await.status;
            let b = c
                .post(
                    &format!("{req}/comments"),
                    json!({"body": format!("Moi aussi ({i})")}),
                )
                .await
                .status;
            let d = c
                .post(&file, toilets(&format!("Chauffage en panne {i}")))
                .await
                .status;
            (a, b, d)
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), (200, 201, 201));
    }
    let r = w.requester.get(&req).await;
    assert_eq!(r.body["request"]["supporters"], 12);
    let verify = w.requester.get("/api/v1/tenants/cem/journal/verify").await;
    assert_eq!(verify.body["ok"], true, "{}", verify.text);
    let journal = w.requester.get("/api/v1/tenants/cem/journal").await;
    let seqs: Vec<i64> = journal
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
    let count = |action: &str| {
        journal
            .body
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == action)
            .count()
    };
    assert_eq!(
        (count("supported"), count("comment_added"), count("filed")),
        (12, 12, 13)
    );
    w.srv.stop().await;
}

/// The pages apply the same rules as the API: a request's page shows its journal but no
/// address, those handling it can end an assignment, others cannot.
async fn request_pages_follow_the_same_rules(backend: Backend) {
    let w = world(backend).await;
    let file = format!("/api/v1/tenants/cem/objects/{}/requests", w.school);
    let mut body = toilets("Toilettes bouchées");
    body["contact_email"] = json!("parent.anonyme@example.org");
    let anon = w.srv.client();
    let r = anon.post(&file, body).await;
    let id = r.body["request"]["id"].as_i64().unwrap();
    let req = format!("/api/v1/tenants/cem/requests/{id}");
    w.garant
        .post(&format!("{req}/moderation"), json!({"decision": "publish"}))
        .await;
    let r = w
        .garant
        .post(
            &format!("{req}/assignees"),
            json!({"contact_id": w.contacts[0]}),
        )
        .await;
    let assignment = r.body["id"].as_i64().unwrap().to_string();
    let page = anon.get(&format!("/t/cem/r/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Toilettes bouchées") && page.text.contains("Jean Travaux"));
    for address in [
        "parent.anonyme@example.org",
        "jean.travaux@marseille.fr",
        "parent@vigie.test",
    ] {
        assert!(!page.text.contains(address), "{address} on the page");
    }
    assert!(has_email("écrire à a.b@ville.fr") && !has_email("@media print { }"));
    assert!(!has_email(&page.text), "no address on the page");
    assert!(
        !page.text.contains("/unassign"),
        "a visitor cannot end an assignment"
    );
    let r = w
        .stranger
        .form(
            &format!("/t/cem/r/{id}/unassign"),
            &[("assignment", &assignment)],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let page = w.garant.get(&format!("/t/cem/r/{id}")).await;
    assert!(page.text.contains("/unassign"));
    // The collective's Officials are offered by name (verified @marseille.fr addresses).
    assert!(page.text.contains("Tom Travaux") && page.text.contains("Anne Agent"));
    assert!(!page.text.contains("Pierre Passant"), "not an Official");
    // The API lists them too, to those handling the request only, without addresses.
    let officials = format!("{req}/officials");
    assert_eq!(anon.get(&officials).await.status, 401);
    assert_eq!(w.stranger.get(&officials).await.status, 403);
    let r = w.garant.get(&officials).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let names: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["display_name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Tom Travaux") && names.contains(&"Anne Agent"),
        "{names:?}"
    );
    assert!(!names.contains(&"Pierre Passant"), "not an Official");
    assert!(!has_email(&r.text), "no address: {}", r.text);
    let tom = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["display_name"] == "Tom Travaux")
        .unwrap();
    assert_eq!(
        tom["user_id"].as_i64(),
        Some(w.assignee_id),
        "the id to assign"
    );
    let official = w.assignee_id.to_string();
    let r = w
        .garant
        .form(&format!("/t/cem/r/{id}/assign"), &[("user_id", &official)])
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let r = w
        .garant
        .form(
            &format!("/t/cem/r/{id}/unassign"),
            &[("assignment", &assignment)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let r = anon.get(&req).await;
    let current: Vec<bool> = r.body["assignees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["removed_at"].is_null())
        .collect();
    assert_eq!(
        current,
        [true, false],
        "Tom current, the contact removed: {}",
        r.text
    );
    assert!(actions(&r.body["journal"]).contains(&"unassigned".to_owned()));
    w.srv.stop().await;
}

/// An attachment's row and its journal entry commit together: when the entry cannot be written
/// (here: it names a request that does not exist), no document is left behind, and the chain
/// is untouched.
async fn an_attachment_and_its_journal_entry_commit_together(backend: Backend) {
    let w = world(backend).await;
    let file = format!("/api/v1/tenants/cem/objects/{}/requests", w.school);
    let r = w.requester.post(&file, toilets("Toilettes bouchées")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["request"]["id"].as_i64().unwrap();
    // Published: the details of its entries are public.
    let r = w
        .garant
        .post(
            &format!("/api/v1/tenants/cem/requests/{id}/moderation"),
            json!({"decision": "publish"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let store = &w.srv.app.store;
    let tenant = store.tenant_by_slug("cem").await.unwrap().unwrap();
    let documents = || async {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM documents WHERE request_id = $1")
            .bind(id)
            .fetch_one(store.raw_pool())
            .await
            .unwrap();
        n
    };
    let entries = || async {
        let r = w.srv.client().get("/api/v1/tenants/cem/journal").await;
        r.body.as_array().map_or(0, Vec::len)
    };
    let before = entries().await;
    let doc = vigie_storage::NewDocument {
        object_id: w.school,
        kind: "photo".into(),
        title: "Photo des toilettes".into(),
        document_date: None,
        source: None,
        blob_key: format!("tenants/{}/objects/{}/test.png", tenant.id.0, w.school),
        content_type: "image/png".into(),
        file_name: "toilettes.png".into(),
        size: 4,
        sha256: "0".repeat(64),
        uploaded_by: None,
        request_id: Some(id),
        filed_state: vigie_domain::FactState::Accepted,
    };
    let note = |_| vigie_storage::JournalNote::new("attachment_added", &json!({}));
    let failed = store
        .insert_request_document(tenant.id, id + 1_000_000, &doc, note)
        .await;
    assert!(failed.is_err(), "an entry for no request is refused");
    assert_eq!(
        documents().await,
        0,
        "no document without its journal entry"
    );
    assert_eq!(entries().await, before);
    let verify = w
        .srv
        .client()
        .get("/api/v1/tenants/cem/journal/verify")
        .await;
    assert_eq!(verify.body["ok"], true, "{}", verify.text);
    // The same, for the request itself: both are there.
    let stored = store
        .insert_request_document(tenant.id, id, &doc, |doc| {
            vigie_storage::JournalNote::new("attachment_added", &json!({ "document": doc }))
        })
        .await
        .unwrap();
    assert_eq!(documents().await, 1);
    assert_eq!(entries().await, before + 1);
    let r = w.srv.client().get("/api/v1/tenants/cem/journal").await;
    let last = r.body.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "attachment_added");
    assert!(
        last["details"].to_string().contains(&stored.id.to_string()),
        "{last}"
    );
    w.srv.stop().await;
}

/// The sheet asks for the open requests like the one being filed before sending its form (so
/// that a chosen photo is not lost): an HTML fragment with the duplicate, its « Moi aussi »
/// form and no address, in the page's language; nothing when the text matches nothing or is
/// too short to compare.
async fn the_sheet_looks_up_similar_requests_before_filing(backend: Backend) {
    let w = world(backend).await;
    let file = format!("/api/v1/tenants/cem/objects/{}/requests", w.school);
    let mut body = toilets("Toilettes bouchées au premier étage");
    body["contact_email"] = json!("parent.anonyme@example.org");
    let anon = w.srv.client();
    let r = anon.post(&file, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["request"]["id"].as_i64().unwrap();
    // Only published requests are offered to others.
    let r = w
        .garant
        .post(
            &format!("/api/v1/tenants/cem/requests/{id}/moderation"),
            json!({"decision": "publish"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let similar = |title: &str, description: &str| {
        let q = |t: &str| t.replace(' ', "+");
        format!(
            "/t/cem/o/{}/requests/similar?title={}&description={}",
            w.school,
            q(title),
            q(description)
        )
    };
    let r = anon
        .get(&similar(
            "Toilettes bouchées",
            "Les toilettes du premier étage sont bouchées",
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.text.contains(&format!("href=\"/t/cem/r/{id}\"")),
        "{}",
        r.text
    );
    assert!(
        r.text.contains(&format!("/t/cem/r/{id}/support")),
        "« Moi aussi »"
    );
    assert!(
        r.text.contains("Demandes semblables déjà ouvertes"),
        "{}",
        r.text
    );
    assert!(r.text.contains("role=\"status\""), "announced");
    assert!(!r.text.contains("<html"), "a fragment, not a page");
    assert!(!has_email(&r.text), "no address in the fragment");
    let r = anon
        .get(&(similar("Toilettes bouchées", "Les toilettes sont bouchées") + "&lang=en"))
        .await;
    assert!(r.text.contains("Similar open requests"), "{}", r.text);
    // Nothing alike, or too short to compare: no content, the form is sent as it is.
    let r = anon
        .get(&similar(
            "Panneau de basket tordu",
            "Le panneau du préau penche dangereusement",
        ))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = anon.get(&similar("To", "Toilettes bouchées")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = anon
        .get("/t/cem/o/999999/requests/similar?title=Toilettes&description=bouchées")
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    w.srv.stop().await;
}

/// An entry of the health-and-safety register gives the authority two months to answer once
/// acknowledged: the request shows the day, on the API and the page.
async fn an_sst_register_entry_has_a_legal_answer_delay(backend: Backend) {
    let w = world(backend).await;
    let file = format!("/api/v1/tenants/cem/objects/{}/requests", w.school);
    let r = w
        .requester
        .post(
            &file,
            json!({"kind": "sst-register-entry", "categories": ["sst/premises-condition"],
                   "title": "Fenêtre qui ne ferme plus", "description": "Classe de CE2, fenêtre côté cour.",
                   "fields": {"observation": "La fenêtre ne ferme plus, courant d'air permanent.",
                              "location-in-building": "Classe de CE2, 1er étage",
                              "risk-category": "premises-condition"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["request"]["id"].as_i64().unwrap();
    let req = format!("/api/v1/tenants/cem/requests/{id}");
    w.certified
        .post(&format!("{req}/moderation"), json!({"decision": "publish"}))
        .await;
    assert!(
        w.requester.get(&req).await.body["answer_due_on"].is_null(),
        "not yet acknowledged"
    );
    let r = w
        .certified
        .post(
            &format!("{req}/status"),
            json!({"status": "acknowledged", "note": "Fiche signée par la directrice"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = w.requester.get(&req).await;
    let at = r.body["journal"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "status_changed")
        .unwrap()["at"]
        .as_str()
        .unwrap()
        .to_owned();
    let (year, month): (i32, i32) = (at[..4].parse().unwrap(), at[5..7].parse().unwrap());
    let index = year * 12 + month - 1 + 2;
    let expected = format!("{:04}-{:02}", index / 12, index % 12 + 1);
    let due = r.body["answer_due_on"].as_str().unwrap();
    assert_eq!(&due[..7], expected, "{}", r.text);
    let page = w.requester.get(&format!("/t/cem/r/{id}")).await;
    assert!(page.text.contains("Réponse due") && page.text.contains(due));
    assert!(
        page.text.contains("Imprimer la fiche"),
        "a register entry prints as a form"
    );
    // An intervention has no legal delay.
    let other = w.requester.post(&file, toilets("Toilettes bouchées")).await;
    let other = other.body["request"]["id"].as_i64().unwrap();
    assert!(
        w.requester
            .get(&format!("/api/v1/tenants/cem/requests/{other}"))
            .await
            .body["answer_due_on"]
            .is_null()
    );
    assert!(
        !w.requester
            .get(&format!("/t/cem/r/{other}"))
            .await
            .text
            .contains("Imprimer la fiche"),
        "an intervention is no register form"
    );
    w.srv.stop().await;
}

/// A contact who left their post is retired by the Garant: no longer listed nor assignable,
/// their mailed link stops working, the history keeps their name; added again, they are back.
async fn a_retired_contact_stays_in_the_history_only(backend: Backend) {
    let w = world(backend).await;
    let anon = w.srv.client();
    let r = anon
        .post(
            &format!("/api/v1/tenants/cem/objects/{}/requests", w.school),
            toilets("Toilettes bouchées"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["request"]["id"].as_i64().unwrap();
    let req = format!("/api/v1/tenants/cem/requests/{id}");
    let r = w
        .certified
        .post(&format!("{req}/moderation"), json!({"decision": "publish"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (jean, dora) = (w.contacts[0], w.contacts[1]);
    let r = w
        .certified
        .post(&format!("{req}/assignees"), json!({"contact_id": jean}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let link = last_link_in(
        &w.srv.outbox(),
        "jean.travaux@marseille.fr",
        &format!("/r/{id}"),
    )
    .unwrap();

    // Only the type's Garant (or a Guru) retires, and only their collective's contacts.
    let retire = |c: i64| format!("/api/v1/tenants/cem/contacts/{c}");
    for who in [&w.stranger, &w.certified, &w.garant_elsewhere] {
        assert_eq!(who.delete(&retire(jean)).await.status, 403);
    }
    assert_eq!(w.garant.delete(&retire(999_999)).await.status, 404);
    for c in [jean, dora] {
        let r = w.garant.delete(&retire(c)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(
            !r.text.contains("@"),
            "a contact's e-mail is private: {}",
            r.text
        );
    }
    assert_eq!(
        w.garant.delete(&retire(dora)).await.status,
        404,
        "retired already"
    );
    let listed = anon.get("/api/v1/tenants/cem/contacts").await;
    assert_eq!(listed.body, json!([]), "{}", listed.text);

    // Not assignable any more, and the mailed link no longer answers.
    let r = w
        .certified
        .post(&format!("{req}/assignees"), json!({"contact_id": dora}))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.text.contains("retiré"), "{}", r.text);
    let r = anon
        .post(
            &format!("{req}/answers?token={link}"),
            json!({"message": "Nous passerons demain.", "status": "acknowledged"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "invalid_token"), "{}", r.text);
    // The request keeps the name of who was assigned.
    let r = anon.get(&req).await;
    assert!(r.text.contains("Jean Travaux"), "{}", r.text);

    // Back at their post: added again with the same address, the same contact.
    let r = w
        .garant
        .post(
            "/api/v1/tenants/cem/object-types/schools/contacts",
            json!({"name": "Dora Directrice", "role_title": "Directrice de l'école", "email": "direction@ecole.test"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["id"], dora);
    let r = w
        .certified
        .post(&format!("{req}/assignees"), json!({"contact_id": dora}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    // The Garant's page offers to retire each contact.
    let page = w.garant.get("/t/cem/garant").await;
    assert!(
        page.text
            .contains(&format!("/t/cem/garant/contacts/{dora}/retire")),
        "{}",
        page.text
    );
    let r = w
        .garant
        .form(&format!("/t/cem/garant/contacts/{dora}/retire"), &[])
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(
        anon.get("/api/v1/tenants/cem/contacts").await.body,
        json!([])
    );
    w.srv.stop().await;
}

both_backends!(
    a_retired_contact_stays_in_the_history_only,
    an_attachment_and_its_journal_entry_commit_together,
    the_sheet_looks_up_similar_requests_before_filing,
    an_sst_register_entry_has_a_legal_answer_delay,
    request_pages_follow_the_same_rules,
    concurrent_actions_keep_one_chain,
    a_request_goes_through_its_whole_life,
    bad_requests_are_refused_with_what_to_fix,
    only_those_handling_a_request_may_change_it,
);
