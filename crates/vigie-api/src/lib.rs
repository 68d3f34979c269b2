//! Vigie's JSON API, under `/api/v1`, described by OpenAPI at `/api/openapi.json` and
//! browsable at `/api/docs`.
//!
//! One `#[OpenApi]` struct per resource; every error, parse errors included, is the same JSON
//! envelope (see [`error`]). The session (cookie `vigie_session`) is resolved once per request
//! by [`session::SessionMiddleware`] and shared with the web pages.

mod accounts;
pub mod error;
mod events;
mod limits;
mod object_types;
mod objects;
mod platform;
mod requests;
mod roles;
pub mod session;
mod tenants;
mod views;

use poem::{Endpoint, EndpointExt, Route};
use poem_openapi::{OpenApiService, Tags};
use vigie_services::Services;

pub use error::{ApiError, ErrorBody, ErrorEnvelope};
pub use limits::AnonymousLimiter;
pub use session::{Caller, SESSION_COOKIE};

/// Shared state of the API handlers.
#[derive(Clone)]
pub struct ApiState {
    /// The use cases.
    pub services: Services,
    /// Anonymous submissions per client address (shared with the pages).
    pub(crate) anonymous: std::sync::Arc<AnonymousLimiter>,
}

impl ApiState {
    /// The state, with at most 20 anonymous contributions per client per 10 minutes.
    pub fn new(services: Services) -> Self {
        Self {
            services,
            anonymous: std::sync::Arc::new(AnonymousLimiter::new(
                20,
                std::time::Duration::from_secs(600),
            )),
        }
    }

    /// The anonymous limiter, to share with the pages.
    pub fn anonymous_limiter(&self) -> std::sync::Arc<AnonymousLimiter> {
        self.anonymous.clone()
    }
}

#[derive(Tags)]
enum ApiTags {
    /// Accounts, e-mail verification, sessions and password reset.
    Accounts,
    /// Collectives (tenants).
    Collectives,
    /// Role grants within a collective: Garants and Certified citizens.
    Roles,
    /// Platform-wide administration: Gurus.
    Platform,
    /// Object types (plugins) and their schemas per collective.
    ObjectTypes,
    /// Observed objects, official imports, contributions and their moderation.
    Objects,
    /// Requests for intervention or improvement, their moderation and the public journal.
    Requests,
}

type Apis = (
    accounts::AccountsApi,
    tenants::TenantsApi,
    roles::RolesApi,
    platform::PlatformApi,
    object_types::ObjectTypesApi,
    objects::ObjectsApi,
    events::EventsApi,
    requests::RequestsApi,
);

fn service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            accounts::AccountsApi,
            tenants::TenantsApi,
            roles::RolesApi,
            platform::PlatformApi,
            object_types::ObjectTypesApi,
            objects::ObjectsApi,
            events::EventsApi,
            requests::RequestsApi,
        ),
        "Vigie API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Vigie lets citizens' collectives hold public services to account with facts. \
         Sign in with `POST /api/v1/session`: the answer sets the HTTP-only `vigie_session` \
         cookie, which every other call reads (the same session works for the web pages). \
         Every error is `{\"error\": {\"code\": \"snake_case\", \"message\": \"…\", \"field\": …}}`.",
    )
    .server("/api/v1")
}

/// The OpenAPI document, as committed in `docs/openapi.json`.
pub fn openapi_json() -> String {
    service().spec()
}

/// The `/api` routes: `/api/v1/…`, `/api/openapi.json` and `/api/docs`.
pub fn routes(state: ApiState) -> impl Endpoint {
    let api = service();
    let docs = api.swagger_ui();
    let spec = api.spec_endpoint();
    Route::new()
        .nest("/v1", api.data(state))
        .at("/openapi.json", spec)
        .nest("/docs", docs)
        .catch_all_error(error::envelope_for_poem_error)
}
