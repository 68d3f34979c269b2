//! The use case decides: a service method given a caller and a target computes the scope from
//! the target it loads, asks the authorizer and acts. A right on one type or collective never
//! reaches another, whatever the edge passes in.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::json;
use vigie_domain::{ObjectTypeKey, Principal, UserId};
use vigie_services::{Actor, ServiceError};
use vigie_tests::{Backend, PASSWORD, TestServer, both_backends};

const CSV: &[u8] = b"identifiant_de_l_etablissement;nom_etablissement;code_commune\n\
0130001A;Ecole test;13201\n";

async fn use_cases_compute_their_own_scope(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    srv.operator_user("guru@vigie.test", "Guru", true)
        .await
        .unwrap();
    let garant = srv
        .operator_user("garant@vigie.test", "Gaëlle Garant", false)
        .await
        .unwrap();
    let guru = srv.client();
    guru.sign_in("guru@vigie.test", PASSWORD).await;
    for (slug, types) in [
        ("cem", json!(["schools", "libraries"])),
        ("autre", json!(["schools"])),
    ] {
        let r = guru
            .post(
                "/api/v1/tenants",
                json!({"slug": slug, "name": slug, "object_types": types}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    // Garant of the libraries of "cem" and of nothing else.
    let r = guru
        .post(
            "/api/v1/tenants/cem/garants",
            json!({"object_type": "libraries", "email": "garant@vigie.test"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    let services = &srv.app.services;
    let cem = services.tenant("cem").await.unwrap();
    let autre = services.tenant("autre").await.unwrap();
    let schools = ObjectTypeKey::parse("schools").unwrap();
    let libraries = ObjectTypeKey::parse("libraries").unwrap();
    let principal = Principal::User {
        id: UserId(garant),
        verified_email: None,
    };
    let me = Actor::Principal(&principal);

    // Another type of the same collective, the same type elsewhere: refused by the use case.
    for (tenant, key) in [(&cem, &schools), (&autre, &schools)] {
        let r = services.import_dataset(me, tenant, key, "f.csv", CSV).await;
        assert!(
            matches!(r, Err(ServiceError::Forbidden(_))),
            "import into {}/{key}: {r:?}",
            tenant.slug
        );
    }
    // Any field will do: the right is checked before the field is.
    let field = services.plugin(&schools).unwrap().manifest().fields[0].clone();
    let r = services.extend_schema(me, &cem, &schools, field).await;
    assert!(matches!(r, Err(ServiceError::Forbidden(_))), "{r:?}");
    let r = services
        .retire_schema_field(me, &cem, &schools, "garden")
        .await;
    assert!(matches!(r, Err(ServiceError::Forbidden(_))), "{r:?}");

    // The anonymous are told to sign in.
    let anonymous = Principal::Anonymous;
    let r = services
        .import_dataset(Actor::Principal(&anonymous), &cem, &libraries, "f.csv", CSV)
        .await;
    assert!(matches!(r, Err(ServiceError::Unauthenticated(_))), "{r:?}");

    // A contribution on a school: its contact is the schools' Garant's business, not this
    // Garant's, though the fact's id is given in the right collective.
    let school = srv.object("cem", "schools", "0130002B", "Ecole B").await;
    let citizen = srv.client();
    let r = citizen
        .post(
            &format!("/api/v1/tenants/cem/objects/{school}/contributions"),
            json!({"vintage": "2024-2025", "values": [{"field": "atsem", "value": 2}],
                   "contact_email": "parent@example.org"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let fact = r.body[0]["id"].as_i64().expect("the contribution's id");
    let r = services.contributor_contact(me, &cem, fact).await;
    assert!(matches!(r, Err(ServiceError::Forbidden(_))), "{r:?}");
    let r = services
        .decide_contribution(me, &cem, fact, true, None)
        .await;
    assert!(matches!(r, Err(ServiceError::Forbidden(_))), "{r:?}");
    // A request on the school: moderating, re-expressing and merging it are the schools'
    // moderators' business, whatever this Garant's rights elsewhere.
    let r = citizen
        .post(
            &format!("/api/v1/tenants/cem/objects/{school}/requests"),
            json!({"kind": "intervention", "categories": ["cem/toilets"],
                   "title": "Toilettes bouchées", "fields": {"location": "Rez-de-chaussée"},
                   "description": "Les toilettes du rez-de-chaussée sont bouchées."}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let request = r.body["request"]["id"].as_i64().expect("the request's id");
    let decision = vigie_domain::requests::RequestModeration::new("publish", None).unwrap();
    let r = services
        .moderate_request(me, &cem, request, decision.clone())
        .await;
    assert!(matches!(r, Err(ServiceError::Forbidden(_))), "{r:?}");
    let r = services
        .reexpress_request(me, &cem, request, "Toilettes", "Toilettes bouchées")
        .await;
    assert!(matches!(r, Err(ServiceError::Forbidden(_))), "{r:?}");
    let r = services.merge_request(me, &cem, request, request).await;
    assert!(matches!(r, Err(ServiceError::Forbidden(_))), "{r:?}");
    let r = services
        .moderate_request(Actor::Operator, &cem, request, decision)
        .await
        .unwrap();
    assert_eq!(r.status.as_str(), "published");

    // The operator may.
    let c = services
        .contributor_contact(Actor::Operator, &cem, fact)
        .await
        .unwrap();
    assert_eq!(c.contact_email.as_deref(), Some("parent@example.org"));
    srv.stop().await;
}

both_backends!(use_cases_compute_their_own_scope);
