//! Who asks a use case to act, and the one place a use case turns that into a [`Permit`].
//!
//! The HTTP edges hand the use case the caller and the target; the use case computes the
//! scope from the target it loaded itself, so a permit for one object or type can never be
//! used on another.

use vigie_authz::Permit;
use vigie_domain::{Operation, Principal, Scope};
use vigie_storage::{ObservedObject, Tenant};

use crate::{ServiceError, Services};

/// Who asks for an action.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// Someone over HTTP, signed in or anonymous.
    Principal(&'a Principal),
    /// The platform's operator at the command line, or the server seeding its demo: trusted,
    /// since whoever runs the binary already holds the database.
    Operator,
}

impl Services {
    /// The permit for `operation` in `scope` of `tenant`: always for the operator; for a
    /// principal, when the authorizer says yes (401 for the anonymous, 403 otherwise).
    pub(crate) async fn permit_for(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        scope: Scope,
        operation: Operation,
    ) -> Result<Permit, ServiceError> {
        self.permit_in(actor, Some(tenant), scope, operation).await
    }

    /// [`Services::permit_for`] where the scope may be the platform (`tenant` `None`).
    pub(crate) async fn permit_in(
        &self,
        actor: Actor<'_>,
        tenant: Option<&Tenant>,
        scope: Scope,
        operation: Operation,
    ) -> Result<Permit, ServiceError> {
        match actor {
            Actor::Operator => Ok(Permit::operator(operation, scope)),
            Actor::Principal(principal) => Ok(self
                .authz
                .authorize(principal, tenant, scope, operation)
                .await?),
        }
    }

    /// The permit for `operation` on an object of `tenant`, the scope computed from the object
    /// loaded here (so that a right on another object cannot be spent on this one).
    pub(crate) async fn object_permit_for(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        object_id: i64,
        operation: Operation,
    ) -> Result<(Permit, ObservedObject), ServiceError> {
        let object = self.object(tenant, object_id).await?;
        let scope = Self::object_scope(tenant, &object)?;
        let permit = self.permit_for(actor, tenant, scope, operation).await?;
        Ok((permit, object))
    }

    /// Whether `actor` may moderate `object` too (its Certified citizens, its type's Garants,
    /// a Guru, the operator): what they add is then published at once.
    pub(crate) async fn moderator_of(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        object: &ObservedObject,
    ) -> Result<bool, ServiceError> {
        let scope = Self::object_scope(tenant, object)?;
        match self
            .permit_for(actor, tenant, scope, Operation::ModerateContribution)
            .await
        {
            Ok(_) => Ok(true),
            Err(ServiceError::Forbidden(_) | ServiceError::Unauthenticated(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether `actor` keeps `object`'s official data (its type's Garants, a Guru, the
    /// operator): the values they enter are official, accepted when filed.
    pub(crate) async fn enters_official_data(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        object: &ObservedObject,
    ) -> Result<bool, ServiceError> {
        let scope = Self::object_scope(tenant, object)?;
        match self
            .permit_for(actor, tenant, scope, Operation::UpdateOfficialData)
            .await
        {
            Ok(_) => Ok(true),
            Err(ServiceError::Forbidden(_) | ServiceError::Unauthenticated(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether `actor` may do `operation` on an object of `tenant`, for a page or an answer
    /// that only shows or hides something (a control, the requests awaiting moderation). The
    /// use case that acts decides again. An unknown object is "not found".
    pub async fn may_on_object(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        object_id: i64,
        operation: Operation,
    ) -> Result<bool, ServiceError> {
        let object = self.object(tenant, object_id).await?;
        let scope = Self::object_scope(tenant, &object)?;
        match actor {
            Actor::Operator => Ok(true),
            Actor::Principal(principal) => Ok(self
                .authz
                .is_allowed(principal, Some(tenant), &scope, operation)
                .await?),
        }
    }
}
