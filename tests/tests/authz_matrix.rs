//! The authorization matrix: every role × every operation × every kind of scope (same or other
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test
//! collective, same or other type, same or other object), asserted one by one, on both backends.

use vigie_authz::Authorizer;
use vigie_domain::{
    DisplayName, Email, EmailDomain, MapView, NewTenant, ObjectTypeKey, Operation, Principal,
    Pseudonym, Role, Scope, TenantSlug, authz::user_subject,
};
use vigie_storage::{GrantChange, Store, Tenant};
use vigie_tests::{Backend, TestDatabase, both_backends};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Guru,
    GarantAlphaSchools,
    CertifiedAlphaSchool1,
    Citizen,
    OfficialAlpha,
    Anonymous,
}

/// Where a check is made, relative to the grants above (all held in collective "alpha").
#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    Platform,
    Alpha,
    Beta,
    AlphaSchools,
    AlphaLibraries,
    BetaSchools,
    AlphaSchool1,
    AlphaSchool2,
    AlphaLibrary1,
    BetaSchool1,
}

const PLACES: [Place; 10] = [
    Place::Platform,
    Place::Alpha,
    Place::Beta,
    Place::AlphaSchools,
    Place::AlphaLibraries,
    Place::BetaSchools,
    Place::AlphaSchool1,
    Place::AlphaSchool2,
    Place::AlphaLibrary1,
    Place::BetaSchool1,
];

const WHO: [Who; 6] = [
    Who::Guru,
    Who::GarantAlphaSchools,
    Who::CertifiedAlphaSchool1,
    Who::Citizen,
    Who::OfficialAlpha,
    Who::Anonymous,
];

/// The expected answer, written from the mission's role table — independently of
/// `permissions.csv`, so a wrong line there fails here.
fn expected(who: Who, op: Operation, place: Place) -> bool {
    use Operation as O;
    let citizen_op = matches!(
        op,
        O::ProposeContribution | O::FileRequest | O::Comment | O::AttachDocument
    );
    let anonymous_op = matches!(op, O::ProposeContribution | O::FileRequest);
    if op == O::ViewContributorContact {
        // Personal data: the type's Garant only, nobody else, not even a Guru.
        return who == Who::GarantAlphaSchools
            && matches!(
                place,
                Place::AlphaSchools | Place::AlphaSchool1 | Place::AlphaSchool2
            );
    }
    match who {
        Who::Guru => true,
        Who::Anonymous => anonymous_op,
        Who::Citizen => citizen_op,
        Who::OfficialAlpha => citizen_op,
        Who::GarantAlphaSchools => {
            let garant_op = matches!(
                op,
                O::GrantCertified
                    | O::RevokeCertified
                    | O::ExtendSchema
                    | O::UpdateOfficialData
                    | O::ModerateContribution
                    | O::ModerateRequest
                    | O::ManageRequest
                    | O::ManageContacts
                    | O::AwardBadge
            );
            let covered = matches!(
                place,
                Place::AlphaSchools | Place::AlphaSchool1 | Place::AlphaSchool2
            );
            citizen_op || (garant_op && covered)
        }
        Who::CertifiedAlphaSchool1 => {
            let certified_op = matches!(
                op,
                O::ModerateContribution | O::ModerateRequest | O::ManageRequest
            );
            citizen_op || (certified_op && place == Place::AlphaSchool1)
        }
    }
}

async fn tenant(store: &Store, slug: &str, domains: &[&str]) -> Tenant {
    let new = NewTenant::new(
        TenantSlug::parse(slug).unwrap(),
        slug,
        "",
        MapView::MARSEILLE,
        vec![
            ObjectTypeKey::parse("schools").unwrap(),
            ObjectTypeKey::parse("libraries").unwrap(),
        ],
        domains
            .iter()
            .map(|d| EmailDomain::parse(d).unwrap())
            .collect(),
    )
    .unwrap();
    store.create_tenant(&new, false).await.unwrap()
}

async fn user(store: &Store, email: &str) -> Principal {
    let email = Email::parse(email).unwrap();
    // One pseudonym per address: its bytes folded into eight.
    let mut bytes = [0u8; 8];
    for (i, b) in email.as_str().bytes().enumerate() {
        bytes[i % 8] = bytes[i % 8].wrapping_mul(31).wrapping_add(b);
    }
    let pseudonym = Pseudonym::from_bytes(bytes);
    let u = store
        .create_user(
            &email,
            "x",
            &DisplayName::neutral(&pseudonym),
            &pseudonym,
            true,
        )
        .await
        .unwrap();
    Principal::User {
        id: u.id,
        verified_email: Some(email),
    }
}

async fn authorization_matrix(backend: Backend) {
    let db = TestDatabase::create(backend).await.unwrap();
    let store = Store::open(&db.url, 2).await.unwrap();
    let authz = Authorizer::new(store.clone()).await.unwrap();
    let alpha = tenant(&store, "alpha", &["marseille.fr"]).await;
    tenant(&store, "beta", &["lyon.fr"]).await;
    let schools = ObjectTypeKey::parse("schools").unwrap();
    let libraries = ObjectTypeKey::parse("libraries").unwrap();

    let guru = user(&store, "guru@example.org").await;
    let garant = user(&store, "garant@example.org").await;
    let certified = user(&store, "certified@example.org").await;
    let citizen = user(&store, "citizen@example.org").await;
    let official = user(&store, "agent@marseille.fr").await;

    let grant = |p: &Principal, tenant: Option<&Tenant>, role: Role, scope: Scope| GrantChange {
        tenant: tenant.map(|t| t.id),
        role,
        user: p.user_id().unwrap(),
        domain_pattern: scope.grant_pattern(role).unwrap(),
        object_type: None,
        object_id: None,
        actor: None,
    };
    store
        .grant_role(&grant(&guru, None, Role::Guru, Scope::Platform))
        .await
        .unwrap();
    store
        .grant_role(&grant(
            &garant,
            Some(&alpha),
            Role::Garant,
            Scope::ObjectType(alpha.slug.clone(), schools.clone()),
        ))
        .await
        .unwrap();
    store
        .grant_role(&grant(
            &certified,
            Some(&alpha),
            Role::Certified,
            Scope::Object(alpha.slug.clone(), schools.clone(), 1),
        ))
        .await
        .unwrap();
    // Grants moved the policy revisions: read the collectives again.
    let alpha = store.tenant_by_slug("alpha").await.unwrap().unwrap();
    let beta = store.tenant_by_slug("beta").await.unwrap().unwrap();
    assert_eq!(
        beta.policy_revision, 1,
        "a Guru grant counts in every collective"
    );

    let place = |p: Place| -> (Option<&Tenant>, Scope) {
        let (a, b) = (alpha.slug.clone(), beta.slug.clone());
        match p {
            Place::Platform => (None, Scope::Platform),
            Place::Alpha => (Some(&alpha), Scope::Tenant(a)),
            Place::Beta => (Some(&beta), Scope::Tenant(b)),
            Place::AlphaSchools => (Some(&alpha), Scope::ObjectType(a, schools.clone())),
            Place::AlphaLibraries => (Some(&alpha), Scope::ObjectType(a, libraries.clone())),
            Place::BetaSchools => (Some(&beta), Scope::ObjectType(b, schools.clone())),
            Place::AlphaSchool1 => (Some(&alpha), Scope::Object(a, schools.clone(), 1)),
            Place::AlphaSchool2 => (Some(&alpha), Scope::Object(a, schools.clone(), 2)),
            Place::AlphaLibrary1 => (Some(&alpha), Scope::Object(a, libraries.clone(), 1)),
            Place::BetaSchool1 => (Some(&beta), Scope::Object(b, schools.clone(), 1)),
        }
    };
    let principal = |w: Who| match w {
        Who::Guru => guru.clone(),
        Who::GarantAlphaSchools => garant.clone(),
        Who::CertifiedAlphaSchool1 => certified.clone(),
        Who::Citizen => citizen.clone(),
        Who::OfficialAlpha => official.clone(),
        Who::Anonymous => Principal::Anonymous,
    };

    let mut checked = 0;
    let mut wrong = Vec::new();
    for who in WHO {
        for op in Operation::ALL {
            for p in PLACES {
                let (tenant, scope) = place(p);
                let got = authz
                    .is_allowed(&principal(who), tenant, &scope, op)
                    .await
                    .unwrap();
                checked += 1;
                if got != expected(who, op, p) {
                    wrong.push(format!("{who:?} {op} at {p:?}: got {got}"));
                }
                // A permit is handed out exactly when the answer is yes.
                let permit = authz.authorize(&principal(who), tenant, scope, op).await;
                assert_eq!(permit.is_ok(), got);
            }
        }
    }
    assert_eq!(checked, 6 * Operation::ALL.len() * 10);
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );

    // Revoking takes effect at once (the cached enforcer reloads on the new revision).
    let revoke = GrantChange {
        tenant: Some(alpha.id),
        role: Role::Certified,
        user: certified.user_id().unwrap(),
        domain_pattern: "alpha/schools/1".into(),
        object_type: None,
        object_id: None,
        actor: None,
    };
    store.revoke_role(&revoke).await.unwrap();
    let alpha = store.tenant_by_slug("alpha").await.unwrap().unwrap();
    let scope = Scope::Object(alpha.slug.clone(), schools.clone(), 1);
    assert!(
        !authz
            .is_allowed(
                &certified,
                Some(&alpha),
                &scope,
                Operation::ModerateContribution
            )
            .await
            .unwrap()
    );
    // A scope from one collective checked against another is refused outright.
    assert!(
        authz
            .is_allowed(&guru, Some(&beta), &scope, Operation::ModerateContribution)
            .await
            .is_err()
    );
    // Grants are stored as Casbin `g` rules of their collective only.
    let rules = store
        .load_rules(vigie_storage::PolicyScope::Tenant(beta.id))
        .await
        .unwrap();
    assert!(
        !rules.iter().any(|r| r.ptype == "g"
            && r.values.first() == Some(&user_subject(garant.user_id().unwrap())))
    );
    store.close().await;
    db.drop_database().await;
}

both_backends!(authorization_matrix);
