//! Vigie's JSON API, under `/api/v1`, described by OpenAPI at `/api/openapi.json` and
//! browsable at `/api/docs`.
//!
//! One `#[OpenApi]` struct per resource; every error, parse errors included, is the same JSON
//! envelope (see [`error`]). The session (cookie `vigie_session`) is resolved once per request
//! by [`session::SessionMiddleware`] and shared with the web pages.

mod accounts;
pub mod error;
mod events;
mod object_types;
mod objects;
mod platform;
mod requests;
mod roles;
pub mod session;
mod tenants;
mod views;

use std::sync::Arc;

use poem::{Endpoint, EndpointExt, Route};
use poem_openapi::{OpenApiService, Tags};
use vigie_http::AnonymousLimiter;
use vigie_services::Services;

pub use error::{ApiError, ErrorBody, ErrorEnvelope, busy, payload_too_large};
pub use session::{Caller, SESSION_COOKIE};

/// Shared state of the API handlers.
#[derive(Clone)]
pub struct ApiState {
    /// The use cases.
    pub services: Services,
    /// Anonymous submissions per client (shared with the pages).
    pub(crate) anonymous: Arc<AnonymousLimiter>,
}

impl ApiState {
    /// The state; `anonymous` is shared with the pages, so that a client has one allowance
    /// whichever door it uses.
    pub fn new(services: Services, anonymous: Arc<AnonymousLimiter>) -> Self {
        Self {
            services,
            anonymous,
        }
    }

    /// Whether this caller may submit once more: signed-in users always may, anonymous
    /// clients within their allowance (each call counts one).
    pub(crate) fn anonymous_allowed(
        &self,
        caller: &Caller,
        client: &vigie_http::ClientAddress,
    ) -> bool {
        caller.user.is_some() || self.anonymous.allow(client)
    }
}

/// The routes (under `/api`) whose body is a multipart form carrying one file: bounded by the
/// upload limit (`media.max_upload_mib` and room for the other fields).
pub const UPLOAD_ROUTES: [&str; 2] = [
    "/api/v1/tenants/:slug/objects/:id/documents",
    "/api/v1/tenants/:slug/requests/:id/attachments",
];

/// The route (under `/api`) of official dataset imports: bounded by `limits.import_mib`.
pub const IMPORT_ROUTES: [&str; 1] = ["/api/v1/tenants/:slug/imports"];

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
         Every error is `{\"error\": {\"code\": \"snake_case\", \"message\": \"…\", \"field\": …}}`. \
         Bodies are bounded while they are read (JSON 1 MiB, uploads the upload limit and \
         1 MiB, imports 100 MiB by default): a larger one is answered 413 \
         `payload_too_large` and nothing is done.",
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation taking a multipart form is bounded as an upload or an import, and
    /// those lists name no other route: a new upload route cannot be left at the JSON limit.
    #[test]
    fn every_multipart_route_has_its_body_limit() {
        let spec: serde_json::Value = serde_json::from_str(&openapi_json()).unwrap();
        let mut multipart = Vec::new();
        for (path, ops) in spec["paths"].as_object().unwrap() {
            for op in ops.as_object().unwrap().values() {
                if op["requestBody"]["content"]
                    .get("multipart/form-data")
                    .is_some()
                {
                    let route: Vec<String> = path
                        .split('/')
                        .map(|seg| match seg.strip_prefix('{') {
                            Some(name) => format!(":{}", name.trim_end_matches('}')),
                            None => seg.to_owned(),
                        })
                        .collect();
                    multipart.push(format!("/api/v1{}", route.join("/")));
                }
            }
        }
        multipart.sort();
        let mut listed: Vec<String> = UPLOAD_ROUTES
            .iter()
            .chain(IMPORT_ROUTES.iter())
            .map(|s| s.to_string())
            .collect();
        listed.sort();
        assert_eq!(multipart, listed);
    }
}
