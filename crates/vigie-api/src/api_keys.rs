//! A collective's API keys, for the applications that file requests through Open311
//! (`POST /open311/v2/requests.json`): a Garant of the collective issues, lists and revokes
//! them. A key is shown once, when issued; only its SHA-256 is kept.

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};
use time::OffsetDateTime;
use vigie_services::Actor;
use vigie_storage::ApiKey;

use crate::session::Caller;
use crate::{ApiError, ApiState, ApiTags};

/// An API key (never its secret, except once in [`IssuedKeyView`]).
#[derive(Debug, Object)]
struct ApiKeyView {
    /// Id.
    id: i64,
    /// What it is for.
    label: String,
    /// Public name of the Garant who issued it.
    created_by: Option<String>,
    /// When it was issued.
    created_at: OffsetDateTime,
    /// When it last filed a request.
    last_used_at: Option<OffsetDateTime>,
    /// When it was revoked; a revoked key is refused.
    revoked_at: Option<OffsetDateTime>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id,
            label: k.label,
            created_by: k.created_by_name,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// A key just issued, with its secret: give it to the application now, it is not shown again.
#[derive(Debug, Object)]
struct IssuedKeyView {
    /// The key.
    key: ApiKeyView,
    /// The secret, Open311's `api_key`.
    api_key: String,
}

/// A key to issue.
#[derive(Debug, Object)]
struct NewApiKeyDto {
    /// What it is for, e.g. « Appli de signalement de la mairie ».
    label: String,
}

#[derive(ApiResponse)]
enum Issued {
    /// Issued: the secret is in this answer only.
    #[oai(status = 201)]
    Created(Json<IssuedKeyView>),
}

pub struct ApiKeysApi;

#[OpenApi(tag = "ApiTags::Requests")]
impl ApiKeysApi {
    /// API keys of a collective (its Garants)
    ///
    /// Keys let an application file requests through Open311; revoked ones are listed too.
    #[oai(
        path = "/tenants/:slug/api-keys",
        method = "get",
        operation_id = "list_api_keys"
    )]
    async fn list(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
    ) -> Result<Json<Vec<ApiKeyView>>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let keys = state
            .services
            .api_keys(Actor::Principal(&caller.principal()), &tenant)
            .await?;
        Ok(Json(keys.into_iter().map(Into::into).collect()))
    }

    /// Issue an API key (a Garant of the collective)
    ///
    /// The secret (`api_key`) is in the answer only: give it to the application now.
    #[oai(
        path = "/tenants/:slug/api-keys",
        method = "post",
        operation_id = "issue_api_key"
    )]
    async fn issue(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        body: Json<NewApiKeyDto>,
    ) -> Result<Issued, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let issued = state
            .services
            .issue_api_key(Actor::Principal(&caller.principal()), &tenant, &body.label)
            .await?;
        Ok(Issued::Created(Json(IssuedKeyView {
            key: issued.key.into(),
            api_key: issued.secret,
        })))
    }

    /// Revoke an API key (a Garant of the collective)
    ///
    /// Filings with it are refused from now on; it stays listed, for the record.
    #[oai(
        path = "/tenants/:slug/api-keys/:id",
        method = "delete",
        operation_id = "revoke_api_key"
    )]
    async fn revoke(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        id: Path<i64>,
    ) -> Result<Json<ApiKeyView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let key = state
            .services
            .revoke_api_key(Actor::Principal(&caller.principal()), &tenant, *id)
            .await?;
        Ok(Json(key.into()))
    }
}
