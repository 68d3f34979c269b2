//! `/tenants/{slug}/roles`, `/garants`, `/certifications`: who holds which role, publicly.

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};
use vigie_domain::{ObjectTypeKey, UserId};
use vigie_services::{Actor, RoleIn, RoleTarget, ServiceError};

use crate::session::Caller;
use crate::views::{RoleEventView, RoleHolderView};
use crate::{ApiError, ApiState, ApiTags};

/// Roles held and the full record of grants and revocations. Names only, never e-mails.
#[derive(Debug, Object)]
pub struct RolesView {
    /// Roles currently held.
    pub holders: Vec<RoleHolderView>,
    /// Every grant and revocation, oldest first.
    pub events: Vec<RoleEventView>,
}

/// Who to appoint: give `user_id` or `email`.
#[derive(Debug, Object)]
pub struct UserRef {
    /// Account id.
    pub user_id: Option<i64>,
    /// E-mail of the account (used to find it, never shown).
    pub email: Option<String>,
}

impl UserRef {
    pub(crate) fn target(&self) -> Result<RoleTarget, ApiError> {
        match (self.user_id, &self.email) {
            (Some(id), None) => Ok(RoleTarget::Id(UserId(id))),
            (None, Some(e)) => Ok(RoleTarget::Email(e.clone())),
            _ => Err(ApiError::invalid(
                "user_id",
                "give exactly one of `user_id` or `email` to name the account",
            )
            .fr("Nommez le compte par `user_id` ou par `email`, l'un des deux seulement.")),
        }
    }
}

/// Appoint a Garant of an object type.
#[derive(Debug, Object)]
struct GarantRequest {
    /// The object type (enabled in the collective).
    object_type: String,
    /// Account id of the future Garant.
    user_id: Option<i64>,
    /// Or their e-mail.
    email: Option<String>,
}

/// Certify a citizen for one object.
#[derive(Debug, Object)]
struct CertificationRequest {
    /// The object's type.
    object_type: String,
    /// The object.
    object_id: i64,
    /// Account id of the citizen.
    user_id: Option<i64>,
    /// Or their e-mail.
    email: Option<String>,
}

#[derive(ApiResponse)]
pub enum Granted {
    /// Granted; the event is in the public record.
    #[oai(status = 201)]
    Created(Json<RoleEventView>),
}

fn type_key(raw: &str) -> Result<ObjectTypeKey, ApiError> {
    Ok(ObjectTypeKey::parse(raw).map_err(ServiceError::from)?)
}

fn object_id(id: i64) -> Result<i64, ApiError> {
    if id > 0 {
        Ok(id)
    } else {
        Err(
            ApiError::invalid("object_id", "object ids are positive integers")
                .fr("Un numéro de lieu est un entier positif."),
        )
    }
}

pub struct RolesApi;

#[OpenApi(tag = "ApiTags::Roles")]
impl RolesApi {
    /// Roles in a collective
    ///
    /// Garants and Certified citizens, and every grant and revocation with who decided and
    /// when. Public.
    #[oai(
        path = "/tenants/:slug/roles",
        method = "get",
        operation_id = "list_roles"
    )]
    async fn list(
        &self,
        state: Data<&ApiState>,
        slug: Path<String>,
    ) -> Result<Json<RolesView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let holders = state.services.role_holders(Some(&tenant)).await?;
        let events = state.services.role_events(Some(&tenant)).await?;
        Ok(Json(RolesView {
            holders: holders.into_iter().map(Into::into).collect(),
            events: events.into_iter().map(Into::into).collect(),
        }))
    }

    /// Appoint a Garant (Guru)
    #[oai(
        path = "/tenants/:slug/garants",
        method = "post",
        operation_id = "grant_garant"
    )]
    async fn grant_garant(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        body: Json<GarantRequest>,
    ) -> Result<Granted, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let ty = type_key(&body.object_type)?;
        let target = UserRef {
            user_id: body.user_id,
            email: body.email.clone(),
        }
        .target()?;
        let event = state
            .services
            .change_role(
                Actor::Principal(&caller.principal()),
                Some(&tenant),
                &RoleIn::Garant(ty),
                true,
                &target,
            )
            .await?;
        Ok(Granted::Created(Json(event.into())))
    }

    /// Remove a Garant (Guru)
    #[oai(
        path = "/tenants/:slug/garants/:object_type/:user_id",
        method = "delete",
        operation_id = "revoke_garant"
    )]
    async fn revoke_garant(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        object_type: Path<String>,
        user_id: Path<i64>,
    ) -> Result<Json<RoleEventView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let role = RoleIn::Garant(type_key(&object_type)?);
        let event = state
            .services
            .change_role(
                Actor::Principal(&caller.principal()),
                Some(&tenant),
                &role,
                false,
                &RoleTarget::Id(UserId(*user_id)),
            )
            .await?;
        Ok(Json(event.into()))
    }

    /// Certify a citizen for an object (Garant of its type, or Guru)
    #[oai(
        path = "/tenants/:slug/certifications",
        method = "post",
        operation_id = "grant_certification"
    )]
    async fn certify(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        body: Json<CertificationRequest>,
    ) -> Result<Granted, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let role = RoleIn::Certified(type_key(&body.object_type)?, object_id(body.object_id)?);
        let target = UserRef {
            user_id: body.user_id,
            email: body.email.clone(),
        }
        .target()?;
        let event = state
            .services
            .change_role(
                Actor::Principal(&caller.principal()),
                Some(&tenant),
                &role,
                true,
                &target,
            )
            .await?;
        Ok(Granted::Created(Json(event.into())))
    }

    /// Withdraw a certification (Garant of its type, or Guru)
    #[oai(
        path = "/tenants/:slug/certifications/:object_type/:object_id/:user_id",
        method = "delete",
        operation_id = "revoke_certification"
    )]
    async fn uncertify(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        object_type: Path<String>,
        object_id: Path<i64>,
        user_id: Path<i64>,
    ) -> Result<Json<RoleEventView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let role = RoleIn::Certified(type_key(&object_type)?, self::object_id(*object_id)?);
        let event = state
            .services
            .change_role(
                Actor::Principal(&caller.principal()),
                Some(&tenant),
                &role,
                false,
                &RoleTarget::Id(UserId(*user_id)),
            )
            .await?;
        Ok(Json(event.into()))
    }
}
