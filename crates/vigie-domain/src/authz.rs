//! Roles, scopes and operations: the vocabulary of authorization.
//!
//! The decision itself is made by the `vigie-authz` crate (Casbin); this module only names
//! things, so that the API, storage and tests speak the same words.

use serde::{Deserialize, Serialize};

use crate::{Email, ObjectTypeKey, TenantSlug, UserId};

/// The six roles of the mission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The whole platform: everything.
    Guru,
    /// One object type in one collective: its data, its contributors, its moderation.
    Garant,
    /// One object in one collective: a local relay who checks and moderates.
    Certified,
    /// Any signed-in user.
    Citizen,
    /// Nobody signed in.
    Anonymous,
    /// A user whose verified e-mail belongs to one of a collective's official domains.
    Official,
}

impl Role {
    /// Every role, in the order of the mission's table.
    pub const ALL: [Role; 6] = [
        Role::Guru,
        Role::Garant,
        Role::Certified,
        Role::Citizen,
        Role::Anonymous,
        Role::Official,
    ];

    /// The Casbin subject name of the role.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Guru => "guru",
            Role::Garant => "garant",
            Role::Certified => "certified",
            Role::Citizen => "citizen",
            Role::Anonymous => "anonymous",
            Role::Official => "official",
        }
    }

    /// Parses a role name as written by [`Role::as_str`].
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the role is granted explicitly (and recorded), rather than derived from the
    /// account itself.
    pub fn is_granted(self) -> bool {
        matches!(self, Role::Guru | Role::Garant | Role::Certified)
    }
}

/// Where an operation applies. Narrower scopes sit inside wider ones.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The whole platform (e.g. opening a collective).
    Platform,
    /// One collective.
    Tenant(TenantSlug),
    /// One object type within one collective.
    ObjectType(TenantSlug, ObjectTypeKey),
    /// One observed object (of a type, in a collective).
    Object(TenantSlug, ObjectTypeKey, i64),
}

impl Scope {
    /// The collective of the scope, if any.
    pub fn tenant(&self) -> Option<&TenantSlug> {
        match self {
            Scope::Platform => None,
            Scope::Tenant(t) | Scope::ObjectType(t, _) | Scope::Object(t, _, _) => Some(t),
        }
    }

    /// The grant domains that cover this scope, widest first: a role granted in any of them
    /// applies here. The platform (`*`) covers everything; a type's Garant domain covers the
    /// type and its objects; a Certified domain covers one object.
    pub fn covering_grant_domains(&self) -> Vec<String> {
        match self {
            Scope::Platform | Scope::Tenant(_) => vec!["*".into()],
            Scope::ObjectType(t, ty) => vec!["*".into(), format!("{t}/{ty}/*")],
            Scope::Object(t, ty, id) => {
                vec!["*".into(), format!("{t}/{ty}/*"), format!("{t}/{ty}/{id}")]
            }
        }
    }

    /// The Casbin domain *pattern* a grant of `role` in this scope covers: a Guru covers
    /// everything, a Garant every object of its type in its collective, a Certified citizen
    /// exactly one object.
    pub fn grant_pattern(&self, role: Role) -> Option<String> {
        match (role, self) {
            (Role::Guru, Scope::Platform) => Some("*".into()),
            (Role::Garant, Scope::ObjectType(t, ty)) => Some(format!("{t}/{ty}/*")),
            (Role::Certified, Scope::Object(t, ty, id)) => Some(format!("{t}/{ty}/{id}")),
            _ => None,
        }
    }
}

/// Every operation the API can perform that needs a decision. Each maps to a Casbin
/// `(object, action)` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Open a new collective.
    CreateTenant,
    /// Appoint a Guru (platform-wide).
    GrantGuru,
    /// Remove a Guru.
    RevokeGuru,
    /// Change a collective's settings (name, description, types, official domains).
    UpdateTenant,
    /// Appoint a Garant of a type in a collective.
    GrantGarant,
    /// Remove a Garant.
    RevokeGarant,
    /// Certify a citizen for one object.
    GrantCertified,
    /// Withdraw a certification.
    RevokeCertified,
    /// Add citizen fields to a type's schema for a collective.
    ExtendSchema,
    /// Change official data (identity, official facts) of objects.
    UpdateOfficialData,
    /// Accept or refuse a proposed fact.
    ModerateContribution,
    /// See a contributor's private contact details to check a fact (Garants only).
    ViewContributorContact,
    /// Publish, refuse or set apart a request.
    ModerateRequest,
    /// Propose a fact about an object.
    ProposeContribution,
    /// File a request for intervention or improvement.
    FileRequest,
    /// Write in a request's comment thread.
    Comment,
    /// Attach a document or photo to an object (signed-in users).
    AttachDocument,
    /// Handle a request on an object as its moderator: change its status, assign it, notify,
    /// attach. (A request's requester and assignees may too; the use case checks that.)
    ManageRequest,
    /// Keep the list of named contacts (e.g. the city's head of works) requests of a type can
    /// be assigned to.
    ManageContacts,
    /// See the mail outbox (recipients included) and send failed messages again (Gurus).
    ManageMail,
    /// Configure a collective's badges: create, change, preview and retire them (Gurus).
    ConfigureBadges,
    /// Grant a manual badge to an account, with a public reason (Garants).
    AwardBadge,
}

impl Operation {
    /// Every operation, for exhaustive tests and documentation.
    pub const ALL: [Operation; 22] = [
        Operation::CreateTenant,
        Operation::GrantGuru,
        Operation::RevokeGuru,
        Operation::UpdateTenant,
        Operation::GrantGarant,
        Operation::RevokeGarant,
        Operation::GrantCertified,
        Operation::RevokeCertified,
        Operation::ExtendSchema,
        Operation::UpdateOfficialData,
        Operation::ModerateContribution,
        Operation::ViewContributorContact,
        Operation::ModerateRequest,
        Operation::ProposeContribution,
        Operation::FileRequest,
        Operation::Comment,
        Operation::AttachDocument,
        Operation::ManageRequest,
        Operation::ManageContacts,
        Operation::ManageMail,
        Operation::ConfigureBadges,
        Operation::AwardBadge,
    ];

    /// The Casbin `(object, action)` of the operation.
    pub fn casbin(self) -> (&'static str, &'static str) {
        match self {
            Operation::CreateTenant => ("tenant", "create"),
            Operation::GrantGuru => ("guru", "grant"),
            Operation::RevokeGuru => ("guru", "revoke"),
            Operation::UpdateTenant => ("tenant", "update"),
            Operation::GrantGarant => ("garant", "grant"),
            Operation::RevokeGarant => ("garant", "revoke"),
            Operation::GrantCertified => ("certified", "grant"),
            Operation::RevokeCertified => ("certified", "revoke"),
            Operation::ExtendSchema => ("schema", "extend"),
            Operation::UpdateOfficialData => ("official_data", "update"),
            Operation::ModerateContribution => ("contribution", "moderate"),
            Operation::ViewContributorContact => ("contributor_contact", "view"),
            Operation::ModerateRequest => ("request", "moderate"),
            Operation::ProposeContribution => ("contribution", "propose"),
            Operation::FileRequest => ("request", "file"),
            Operation::Comment => ("comment", "write"),
            Operation::AttachDocument => ("document", "attach"),
            Operation::ManageRequest => ("request", "manage"),
            Operation::ManageContacts => ("contact", "manage"),
            Operation::ManageMail => ("mail", "manage"),
            Operation::ConfigureBadges => ("badge", "configure"),
            Operation::AwardBadge => ("badge", "award"),
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (o, a) = self.casbin();
        write!(f, "{o}.{a}")
    }
}

/// Who is asking: nobody, or a signed-in user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No session.
    Anonymous,
    /// A signed-in user.
    User {
        /// The account.
        id: UserId,
        /// The account's e-mail if it has been verified (needed to derive Official).
        verified_email: Option<Email>,
    },
}

impl Principal {
    /// The Casbin subject under which explicit grants of this principal are stored.
    pub fn subject(&self) -> Option<String> {
        match self {
            Principal::Anonymous => None,
            Principal::User { id, .. } => Some(user_subject(*id)),
        }
    }

    /// The signed-in user, if any.
    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Principal::Anonymous => None,
            Principal::User { id, .. } => Some(*id),
        }
    }
}

/// The Casbin subject of a user account: `user:{id}`.
pub fn user_subject(id: UserId) -> String {
    format!("user:{}", id.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_domains_cover_scopes() {
        let t = TenantSlug::parse("cem").unwrap();
        let ty = ObjectTypeKey::parse("schools").unwrap();
        assert_eq!(Scope::Platform.covering_grant_domains(), ["*"]);
        assert_eq!(Scope::Tenant(t.clone()).covering_grant_domains(), ["*"]);
        assert_eq!(
            Scope::Object(t.clone(), ty.clone(), 7).covering_grant_domains(),
            ["*", "cem/schools/*", "cem/schools/7"]
        );
        assert_eq!(
            Scope::ObjectType(t.clone(), ty.clone()).grant_pattern(Role::Garant),
            Some("cem/schools/*".into())
        );
        assert_eq!(Scope::Tenant(t).grant_pattern(Role::Garant), None);
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
