//! `/platform/gurus`: platform-wide administrators.

use poem::web::Data;
use poem_openapi::{OpenApi, param::Path, payload::Json};
use vigie_domain::UserId;
use vigie_services::{Actor, RoleIn, RoleTarget};

use crate::roles::{Granted, RolesView, UserRef};
use crate::session::Caller;
use crate::views::RoleEventView;
use crate::{ApiError, ApiState, ApiTags};

pub struct PlatformApi;

#[OpenApi(tag = "ApiTags::Platform")]
impl PlatformApi {
    /// Gurus
    ///
    /// Who administers the platform, and every appointment and removal. Public.
    #[oai(path = "/platform/gurus", method = "get", operation_id = "list_gurus")]
    async fn list(&self, state: Data<&ApiState>) -> Result<Json<RolesView>, ApiError> {
        let holders = state.services.role_holders(None).await?;
        let events = state.services.role_events(None).await?;
        Ok(Json(RolesView {
            holders: holders.into_iter().map(Into::into).collect(),
            events: events.into_iter().map(Into::into).collect(),
        }))
    }

    /// Appoint a Guru (Guru)
    #[oai(path = "/platform/gurus", method = "post", operation_id = "grant_guru")]
    async fn grant(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        body: Json<UserRef>,
    ) -> Result<Granted, ApiError> {
        let target = body.target()?;
        let event = state
            .services
            .change_role(
                Actor::Principal(&caller.principal()),
                None,
                &RoleIn::Guru,
                true,
                &target,
            )
            .await?;
        Ok(Granted::Created(Json(event.into())))
    }

    /// Remove a Guru (Guru)
    #[oai(
        path = "/platform/gurus/:user_id",
        method = "delete",
        operation_id = "revoke_guru"
    )]
    async fn revoke(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        user_id: Path<i64>,
    ) -> Result<Json<RoleEventView>, ApiError> {
        let event = state
            .services
            .change_role(
                Actor::Principal(&caller.principal()),
                None,
                &RoleIn::Guru,
                false,
                &RoleTarget::Id(UserId(*user_id)),
            )
            .await?;
        Ok(Json(event.into()))
    }
}
