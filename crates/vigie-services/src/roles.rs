//! Role grants: Gurus appoint Gurus and Garants, Garants certify citizens for objects.

use vigie_authz::Permit;
use vigie_domain::{Email, ObjectTypeKey, Operation, Role, Scope, UserId};
use vigie_storage::{GrantChange, RoleEvent, RoleHolder, Tenant, User};

use crate::tenants::require_type;
use crate::{ServiceError, Services};

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

    /// Grants (`grant = true`) or revokes a role, as the permit allows. The permit's operation
    /// and scope decide which role: `GrantGuru` on the platform, `GrantGarant` on an object
    /// type, `GrantCertified` on an object (and their `Revoke…` twins). The change is recorded
    /// publicly with who decided and when.
    pub async fn change_role(
        &self,
        permit: &Permit,
        tenant: Option<&Tenant>,
        target: &RoleTarget,
    ) -> Result<RoleEvent, ServiceError> {
        let (role, grant) = match permit.operation() {
            Operation::GrantGuru => (Role::Guru, true),
            Operation::RevokeGuru => (Role::Guru, false),
            Operation::GrantGarant => (Role::Garant, true),
            Operation::RevokeGarant => (Role::Garant, false),
            Operation::GrantCertified => (Role::Certified, true),
            Operation::RevokeCertified => (Role::Certified, false),
            other => {
                return Err(ServiceError::Internal(format!(
                    "a permit for {other} cannot change roles"
                )));
            }
        };
        let scope = permit.scope();
        if scope.tenant() != tenant.map(|t| &t.slug) {
            return Err(ServiceError::Internal(
                "the permit's collective is not the one being changed".into(),
            ));
        }
        let pattern = scope.grant_pattern(role).ok_or_else(|| {
            ServiceError::Internal(format!("{} cannot be granted in {scope:?}", role.as_str()))
        })?;
        let (object_type, object_id): (Option<ObjectTypeKey>, Option<i64>) = match scope {
            Scope::ObjectType(_, ty) => (Some(ty.clone()), None),
            Scope::Object(_, ty, id) => (Some(ty.clone()), Some(*id)),
            _ => (None, None),
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
            role,
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
            role = role.as_str(),
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
