//! `/tenants`: collectives.

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};
use vigie_authz::Authorizer;
use vigie_services::{Actor, TenantInput};

use crate::session::Caller;
use crate::views::{MapViewDto, PublicationDto, RoleHolderView, RoleName, TenantView};
use crate::{ApiError, ApiState, ApiTags};

/// A new collective.
#[derive(Debug, Object)]
struct CreateTenantRequest {
    /// URL name: 2 to 40 lowercase letters, digits and inner hyphens.
    slug: String,
    /// Display name.
    name: String,
    /// Description shown on the collective's home page.
    description: Option<String>,
    /// Default map view; Marseille if absent.
    map: Option<MapViewDto>,
    /// Object types to enable (e.g. `schools`, `libraries`, `parks`).
    object_types: Vec<String>,
    /// E-mail domains whose verified users become Officials (e.g. `marseille.fr`).
    #[oai(default)]
    official_domains: Vec<String>,
}

/// The caller's roles in a collective.
#[derive(Debug, Object)]
struct MyRolesView {
    /// Roles that follow from the session itself (anonymous, citizen, official).
    implicit: Vec<RoleName>,
    /// Roles granted to the caller (Guru, Garant, Certified) that count here.
    granted: Vec<RoleHolderView>,
}

#[derive(ApiResponse)]
enum CreatedTenant {
    /// The collective is open at `/t/{slug}`.
    #[oai(status = 201)]
    Created(Json<TenantView>),
}

pub struct TenantsApi;

#[OpenApi(tag = "ApiTags::Collectives")]
impl TenantsApi {
    /// List collectives
    #[oai(path = "/tenants", method = "get", operation_id = "list_tenants")]
    async fn list(&self, state: Data<&ApiState>) -> Result<Json<Vec<TenantView>>, ApiError> {
        let tenants = state.services.tenants().await?;
        Ok(Json(tenants.iter().map(Into::into).collect()))
    }

    /// Open a collective (Guru)
    #[oai(path = "/tenants", method = "post", operation_id = "create_tenant")]
    async fn create(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        body: Json<CreateTenantRequest>,
    ) -> Result<CreatedTenant, ApiError> {
        let b = body.0;
        let input = TenantInput {
            slug: b.slug,
            name: b.name,
            description: b.description.unwrap_or_default(),
            map: b.map.as_ref().map(|m| (m.latitude, m.longitude, m.zoom)),
            tiles: b.map.and_then(|m| m.tiles).map(|t| (t.url, t.attribution)),
            object_types: b.object_types,
            official_domains: b.official_domains,
        };
        let tenant = state
            .services
            .create_tenant(Actor::Principal(&caller.principal()), input)
            .await?;
        Ok(CreatedTenant::Created(Json((&tenant).into())))
    }

    /// A collective
    #[oai(path = "/tenants/:slug", method = "get", operation_id = "get_tenant")]
    async fn get(
        &self,
        state: Data<&ApiState>,
        slug: Path<String>,
    ) -> Result<Json<TenantView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        Ok(Json((&tenant).into()))
    }

    /// Set a collective's map (Guru)
    ///
    /// The default view (centre and zoom) and the collective's own background tiles; without
    /// `tiles`, the instance's (`[map] tile_url`).
    #[oai(
        path = "/tenants/:slug/map",
        method = "put",
        operation_id = "set_tenant_map"
    )]
    async fn set_map(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        body: Json<MapViewDto>,
    ) -> Result<Json<TenantView>, ApiError> {
        let m = body.0;
        let tenant = state
            .services
            .set_tenant_map(
                Actor::Principal(&caller.principal()),
                &slug,
                (m.latitude, m.longitude, m.zoom),
                m.tiles.map(|t| (t.url, t.attribution)),
            )
            .await?;
        Ok(Json((&tenant).into()))
    }

    /// Set a collective's language and data licence (Guru)
    ///
    /// The language of its messages to people without an account (its contacts, the
    /// addresses typed with a request) and the licence of its open data, named in every
    /// export and in the DCAT catalogue.
    #[oai(
        path = "/tenants/:slug/publication",
        method = "put",
        operation_id = "set_tenant_publication"
    )]
    async fn set_publication(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        body: Json<PublicationDto>,
    ) -> Result<Json<TenantView>, ApiError> {
        let tenant = state
            .services
            .set_tenant_publication(
                Actor::Principal(&caller.principal()),
                &slug,
                &body.0.language,
                &body.0.licence,
            )
            .await?;
        Ok(Json((&tenant).into()))
    }

    /// My roles in a collective
    #[oai(path = "/tenants/:slug/me", method = "get", operation_id = "my_roles")]
    async fn my_roles(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
    ) -> Result<Json<MyRolesView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let principal = caller.principal();
        let implicit = Authorizer::implicit_roles(&principal, Some(&tenant))
            .into_iter()
            .map(Into::into)
            .collect();
        let mut granted: Vec<RoleHolderView> = Vec::new();
        if let Some(id) = principal.user_id() {
            for scope in [None, Some(&tenant)] {
                granted.extend(
                    state
                        .services
                        .role_holders(scope)
                        .await?
                        .into_iter()
                        .filter(|h| h.user_id == id)
                        .map(Into::into),
                );
            }
        }
        Ok(Json(MyRolesView { implicit, granted }))
    }
}
