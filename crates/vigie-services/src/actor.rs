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
        match actor {
            Actor::Operator => Ok(Permit::operator(operation, scope)),
            Actor::Principal(principal) => Ok(self
                .authz
                .authorize(principal, Some(tenant), scope, operation)
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
}
