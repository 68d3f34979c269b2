//! The use case decides: a service method given a caller and a target computes the scope from
//! the target it loads, asks the authorizer and acts. A right on one type or collective never
//! reaches another, whatever the edge passes in.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use serde_json::json;
use vigie_domain::{FactState, ObjectTypeKey, Operation, Principal, UserId};
use vigie_services::{
    Actor, Contribution, DocumentInput, IdentityPatch, LifeEventInput, RequestInput, RoleIn,
    RoleTarget, ServiceError,
};
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
        // A place by hand too; the right is checked before the (bad) identifier is.
        let place = vigie_services::PlaceInput {
            identifier: "not a UAI".into(),
            official_name: "Ecole".into(),
            ..Default::default()
        };
        let r = services.add_place(me, tenant, key, place).await;
        assert!(
            matches!(r, Err(ServiceError::Forbidden(_))),
            "a place in {}/{key}: {r:?}",
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

fn user(id: i64) -> Principal {
    Principal::User {
        id: UserId(id),
        verified_email: None,
    }
}

fn life_event() -> LifeEventInput {
    LifeEventInput {
        kind: "works".into(),
        title: "Travaux de façade".into(),
        description: String::new(),
        starts_on: "2025-03-01".into(),
        ends_on: None,
        contact_email: None,
    }
}

fn pdf() -> (DocumentInput, Vec<u8>) {
    (
        DocumentInput {
            kind: "asbestos_survey".into(),
            title: "Diagnostic amiante".into(),
            document_date: None,
            source: None,
            file_name: Some("dta.pdf".into()),
            content_type: Some("application/pdf".into()),
        },
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
            .to_vec(),
    )
}

fn forbidden<T: std::fmt::Debug>(what: &str, r: Result<T, ServiceError>) {
    assert!(
        matches!(r, Err(ServiceError::Forbidden(_))),
        "{what}: {r:?}"
    );
}

fn not_found<T: std::fmt::Debug>(what: &str, r: Result<T, ServiceError>) {
    assert!(matches!(r, Err(ServiceError::NotFound(_))), "{what}: {r:?}");
}

/// A Certified citizen of school A and a Garant of the libraries of "cem": each right holds on
/// its own object or type and nowhere else, whichever use case it is spent through.
async fn a_right_stays_on_its_target(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    srv.operator_user("guru@vigie.test", "Guru", true)
        .await
        .unwrap();
    let garant = srv
        .operator_user("garant@vigie.test", "Gaëlle Garant", false)
        .await
        .unwrap();
    let certified = srv
        .operator_user("nadia@vigie.test", "Nadia Certifiée", false)
        .await
        .unwrap();
    let citizen = srv
        .operator_user("karim@vigie.test", "Karim", false)
        .await
        .unwrap();
    let guru = srv.client();
    guru.sign_in("guru@vigie.test", PASSWORD).await;
    for (slug, types) in [
        ("cem", json!(["schools", "libraries"])),
        ("autre", json!(["schools", "libraries"])),
    ] {
        let r = guru
            .post(
                "/api/v1/tenants",
                json!({"slug": slug, "name": slug, "object_types": types}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let school_a = srv.object("cem", "schools", "0130001A", "Ecole A").await;
    let school_b = srv.object("cem", "schools", "0130002B", "Ecole B").await;
    let library = srv
        .object("cem", "libraries", "BIB-1", "Bibliothèque")
        .await;
    let elsewhere = srv.object("autre", "libraries", "BIB-2", "Ailleurs").await;
    let r = guru
        .post(
            "/api/v1/tenants/cem/garants",
            json!({"object_type": "libraries", "email": "garant@vigie.test"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = guru
        .post(
            "/api/v1/tenants/cem/certifications",
            json!({"object_type": "schools", "object_id": school_a, "email": "nadia@vigie.test"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    let services = &srv.app.services;
    let cem = services.tenant("cem").await.unwrap();
    let autre = services.tenant("autre").await.unwrap();
    let schools = ObjectTypeKey::parse("schools").unwrap();
    let libraries = ObjectTypeKey::parse("libraries").unwrap();
    let (nadia, gaelle, karim) = (user(certified), user(garant), user(citizen));
    let (cert, gar) = (Actor::Principal(&nadia), Actor::Principal(&gaelle));
    let anonymous = Principal::Anonymous;

    // What a moderator adds is published at once, on the objects they moderate only.
    for (who, object, published) in [
        (cert, school_a, true),
        (cert, school_b, false),
        (cert, library, false),
        (gar, library, true),
        (gar, school_a, false),
    ] {
        let e = services
            .add_life_event(who, &cem, object, life_event())
            .await
            .unwrap();
        let expected = if published {
            FactState::Accepted
        } else {
            FactState::Pending
        };
        assert_eq!(e.state, expected, "life event on {object} by {who:?}");
        let (input, bytes) = pdf();
        let d = services
            .upload_document(who, &cem, object, input, bytes)
            .await
            .unwrap();
        assert_eq!(d.state, expected, "document on {object} by {who:?}");
    }
    // Another collective's object is not found here, whoever asks.
    for who in [cert, gar, Actor::Operator] {
        not_found(
            "life event elsewhere",
            services
                .add_life_event(who, &cem, elsewhere, life_event())
                .await,
        );
        let (input, bytes) = pdf();
        not_found(
            "document elsewhere",
            services
                .upload_document(who, &cem, elsewhere, input, bytes)
                .await,
        );
        let c = Contribution {
            vintage: "2024-2025".into(),
            values: Vec::new(),
            source: None,
            contact_email: None,
            contact_phone: None,
            submission_key: None,
        };
        not_found(
            "contribution elsewhere",
            services.contribute(who, &cem, elsewhere, c).await,
        );
    }
    // Documents need an account, wherever.
    let (input, bytes) = pdf();
    let r = services
        .upload_document(Actor::Principal(&anonymous), &cem, school_a, input, bytes)
        .await;
    assert!(matches!(r, Err(ServiceError::Unauthenticated(_))), "{r:?}");

    // Official identity: the type's Garant, on that type, in that collective.
    let rename = || IdentityPatch {
        official_name: Some("Nouveau nom".into()),
        ..IdentityPatch::default()
    };
    forbidden(
        "a Certified citizen renames their school",
        services
            .update_identity(cert, &cem, school_a, rename())
            .await,
    );
    forbidden(
        "a libraries' Garant renames a school",
        services
            .update_identity(gar, &cem, school_b, rename())
            .await,
    );
    forbidden(
        "a libraries' Garant renames a library of another collective",
        services
            .update_identity(gar, &autre, elsewhere, rename())
            .await,
    );
    not_found(
        "an id of another collective",
        services
            .update_identity(gar, &cem, elsewhere, rename())
            .await,
    );
    let (o, changed) = services
        .update_identity(gar, &cem, library, rename())
        .await
        .unwrap();
    assert_eq!(
        (o.identity.official_name.as_str(), changed),
        ("Nouveau nom", 1)
    );

    // Requests: filing, « moi aussi » and comments are everyone's (comments: signed-in), on the
    // collective's own requests only.
    let filed = services
        .file_request(
            Actor::Principal(&anonymous),
            &autre,
            elsewhere,
            RequestInput {
                kind: "improvement".into(),
                categories: Vec::new(),
                title: "Plus de places assises".into(),
                description: "La salle de lecture manque de chaises.".into(),
                fields: Vec::new(),
                urgency: None,
                reminder_on: None,
                contact_email: None,
                submission_key: None,
            },
        )
        .await;
    let request = filed.unwrap().request.id;
    not_found(
        "support a request of another collective",
        services
            .support_request(Actor::Principal(&karim), &cem, request)
            .await,
    );
    not_found(
        "comment a request of another collective",
        services
            .add_comment(Actor::Principal(&karim), &cem, request, "Moi aussi")
            .await,
    );
    let r = services
        .add_comment(Actor::Principal(&anonymous), &autre, request, "Moi aussi")
        .await;
    assert!(matches!(r, Err(ServiceError::Unauthenticated(_))), "{r:?}");

    // Contacts: the type's Garant, of that type, in that collective.
    for (who, tenant, key) in [
        (gar, &cem, &schools),
        (gar, &autre, &libraries),
        (cert, &cem, &schools),
    ] {
        forbidden(
            "add a contact",
            services
                .add_contact(who, tenant, key, "Service", "Responsable", "s@example.org")
                .await,
        );
    }
    services
        .add_contact(
            gar,
            &cem,
            &libraries,
            "Service",
            "Responsable",
            "s@example.org",
        )
        .await
        .unwrap();

    // Roles: a Garant certifies on their type's objects only; a Certified citizen certifies
    // nobody; nobody but a Guru appoints Garants.
    let target = RoleTarget::Id(UserId(citizen));
    for (who, tenant, role) in [
        (gar, &cem, RoleIn::Certified(schools.clone(), school_a)),
        (gar, &autre, RoleIn::Certified(libraries.clone(), elsewhere)),
        (gar, &cem, RoleIn::Garant(libraries.clone())),
        (cert, &cem, RoleIn::Certified(schools.clone(), school_a)),
    ] {
        forbidden(
            "grant a role",
            services
                .change_role(who, Some(tenant), &role, true, &target)
                .await,
        );
    }
    // Naming a school as a library does not make it one.
    not_found(
        "certify on a school said to be a library",
        services
            .change_role(
                gar,
                Some(&cem),
                &RoleIn::Certified(libraries.clone(), school_b),
                true,
                &target,
            )
            .await,
    );
    let event = services
        .change_role(
            gar,
            Some(&cem),
            &RoleIn::Certified(libraries.clone(), library),
            true,
            &target,
        )
        .await
        .unwrap();
    assert_eq!(event.user_id, UserId(citizen));

    // What a page may show follows the same rule.
    for (who, object, may) in [
        (cert, school_a, true),
        (cert, school_b, false),
        (gar, library, true),
        (gar, school_a, false),
    ] {
        let r = services
            .may_on_object(who, &cem, object, Operation::ModerateRequest)
            .await
            .unwrap();
        assert_eq!(r, may, "moderate requests of {object} as {who:?}");
    }
    srv.stop().await;
}

both_backends!(a_right_stays_on_its_target);
