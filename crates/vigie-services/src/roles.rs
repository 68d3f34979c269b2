//! Role grants: Gurus appoint Gurus and Garants, Garants certify citizens for objects.

use vigie_domain::{DomainError, Email, ObjectTypeKey, Operation, Role, Scope, UserId};
use vigie_storage::{GrantChange, RoleEvent, RoleHolder, Tenant, User};

use crate::actor::Actor;
use crate::tenants::require_type;
use crate::{ServiceError, Services};

/// A granted role and where it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleIn {
    /// Guru, platform-wide.
    Guru,
    /// Garant of an object type (in a collective).
    Garant(ObjectTypeKey),
    /// Certified citizen of one object of a type (in a collective).
    Certified(ObjectTypeKey, i64),
}

impl RoleIn {
    /// The role.
    pub fn role(&self) -> Role {
        match self {
            RoleIn::Guru => Role::Guru,
            RoleIn::Garant(_) => Role::Garant,
            RoleIn::Certified(..) => Role::Certified,
        }
    }

    /// The operation granting (`grant`) or revoking it.
    fn operation(&self, grant: bool) -> Operation {
        match (self, grant) {
            (RoleIn::Guru, true) => Operation::GrantGuru,
            (RoleIn::Guru, false) => Operation::RevokeGuru,
            (RoleIn::Garant(_), true) => Operation::GrantGarant,
            (RoleIn::Garant(_), false) => Operation::RevokeGarant,
            (RoleIn::Certified(..), true) => Operation::GrantCertified,
            (RoleIn::Certified(..), false) => Operation::RevokeCertified,
        }
    }
}

fn invalid(field: &'static str, en: &str, fr: &str) -> ServiceError {
    ServiceError::Invalid(DomainError::invalid(field, en).fr(fr))
}

/// Who receives or loses a role: an account id, or the e-mail of an account.
#[derive(Debug, Clone)]
pub enum RoleTarget {
    /// By account id.
    Id(UserId),
    /// By e-mail address.
    Email(String),
}

impl Services {
    async fn resolve(&self, target: &RoleTarget) -> Result<User, ServiceError> {
        let user = match target {
            RoleTarget::Id(id) => self.store.user_by_id(*id).await?,
            RoleTarget::Email(e) => self.store.user_by_email(&Email::parse(e)?).await?,
        };
        user.ok_or(ServiceError::NotFound("user"))
    }

    /// Grants (`grant = true`) or revokes a role, if `actor` may: a Guru on the platform
    /// (`tenant` `None`; Gurus decide), a Garant of a type or a Certified citizen of an object
    /// in `tenant` (a Guru decides the first, a Guru or the type's Garant the second). The
    /// scope is computed here from the role asked for, so a right over one type or object never
    /// reaches another. The change is recorded publicly with who decided and when.
    pub async fn change_role(
        &self,
        actor: Actor<'_>,
        tenant: Option<&Tenant>,
        role: &RoleIn,
        grant: bool,
        target: &RoleTarget,
    ) -> Result<RoleEvent, ServiceError> {
        let operation = role.operation(grant);
        let scope = match (role, tenant) {
            (RoleIn::Guru, None) => Scope::Platform,
            (RoleIn::Guru, Some(_)) => {
                return Err(invalid(
                    "role",
                    "a Guru is platform-wide, not a collective's",
                    "Un gourou l'est pour toute la plateforme, pas pour un collectif.",
                ));
            }
            (RoleIn::Garant(ty), Some(t)) => Scope::ObjectType(t.slug.clone(), ty.clone()),
            (RoleIn::Certified(ty, id), Some(t)) => Scope::Object(t.slug.clone(), ty.clone(), *id),
            (RoleIn::Garant(_) | RoleIn::Certified(..), None) => {
                return Err(invalid(
                    "tenant",
                    "Garants and Certified citizens belong to a collective: name it",
                    "Garants et citoyens certifiés le sont dans un collectif : nommez-le.",
                ));
            }
        };
        let permit = &self.permit_in(actor, tenant, scope, operation).await?;
        let role_name = role.role();
        let scope = permit.scope();
        let pattern = scope.grant_pattern(role_name).ok_or_else(|| {
            ServiceError::Internal(format!(
                "{} cannot be granted in {scope:?}",
                role_name.as_str()
            ))
        })?;
        let (object_type, object_id): (Option<ObjectTypeKey>, Option<i64>) = match role {
            RoleIn::Guru => (None, None),
            RoleIn::Garant(ty) => (Some(ty.clone()), None),
            RoleIn::Certified(ty, id) => (Some(ty.clone()), Some(*id)),
        };
        if let (Some(t), Some(ty)) = (tenant, &object_type) {
            require_type(t, ty)?;
        }
        // A certification names a real object of that type in that collective.
        if let (Some(t), Some(ty), Some(id)) = (tenant, &object_type, object_id) {
            let object = self.store.object(t.id, id).await?;
            if object.is_none_or(|o| o.object_type != ty.as_str()) {
                return Err(ServiceError::NotFound("object"));
            }
        }
        let user = self.resolve(target).await?;
        let change = GrantChange {
            tenant: tenant.map(|t| t.id),
            role: role_name,
            user: user.id,
            domain_pattern: pattern,
            object_type,
            object_id,
            actor: permit.actor(),
        };
        let event = if grant {
            self.store.grant_role(&change).await?
        } else {
            self.store.revoke_role(&change).await?
        };
        tracing::info!(
            role = role_name.as_str(),
            grant,
            user = %user.id,
            actor = ?permit.actor(),
            "role changed"
        );
        Ok(event)
    }

    /// The public record of grants and revocations (a collective's, or the platform's Guru
    /// appointments with `None`).
    pub async fn role_events(
        &self,
        tenant: Option<&Tenant>,
    ) -> Result<Vec<RoleEvent>, ServiceError> {
        Ok(self.store.list_role_events(tenant.map(|t| t.id)).await?)
    }

    /// Roles currently held.
    pub async fn role_holders(
        &self,
        tenant: Option<&Tenant>,
    ) -> Result<Vec<RoleHolder>, ServiceError> {
        Ok(self.store.role_holders(tenant.map(|t| t.id)).await?)
    }
}
