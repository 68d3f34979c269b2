//! Vigie's JSON API, under `/api/v1`, described by OpenAPI at `/api/openapi.json` and
//! browsable at `/api/docs`.
//!
//! One `#[OpenApi]` struct per resource; every error, parse errors included, is the same JSON
//! envelope (see [`error`]). The session (cookie `vigie_session`) is resolved once per request
//! by [`session::SessionMiddleware`] and shared with the web pages.

mod accounts;
mod aggregates;
mod api_keys;
mod badges;
mod cached;
pub mod error;
mod events;
mod exports;
mod inbound;
mod mail;
mod map;
mod notifications;
mod object_types;
mod objects;
mod open311;
mod osm;
mod platform;
mod requests;
mod roles;
mod zip_stream;
/// The session, as the HTTP edge resolves it (`vigie-http`).
pub use vigie_http::session;
mod tenants;
mod views;

use std::sync::Arc;

use poem::{Endpoint, EndpointExt, Route};
use poem_openapi::{OpenApiService, Tags};
use vigie_http::AnonymousLimiter;
use vigie_services::Services;

pub use error::{ApiError, ErrorBody, ErrorEnvelope, busy, payload_too_large};
pub use inbound::{INBOUND_ROUTE, SECRET_HEADER};
pub use session::{Caller, SESSION_COOKIE};

/// Shared state of the API handlers.
#[derive(Clone)]
pub struct ApiState {
    /// The use cases.
    pub services: Services,
    /// Anonymous submissions per client (shared with the pages).
    pub(crate) anonymous: Arc<AnonymousLimiter>,
    /// Public reads rendered once per change (shared with the pages).
    pub(crate) cache: Arc<vigie_http::ReadCache>,
}

impl ApiState {
    /// The state; `anonymous` is shared with the pages, so that a client has one allowance
    /// whichever door it uses.
    pub fn new(
        services: Services,
        anonymous: Arc<AnonymousLimiter>,
        cache: Arc<vigie_http::ReadCache>,
    ) -> Self {
        Self {
            services,
            anonymous,
            cache,
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
    /// Platform-wide administration: Gurus, the mail outbox.
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
    mail::MailApi,
    inbound::InboundApi,
    object_types::ObjectTypesApi,
    objects::ObjectsApi,
    map::MapApi,
    events::EventsApi,
    requests::RequestsApi,
    notifications::NotificationsApi,
    api_keys::ApiKeysApi,
    osm::OsmApi,
    badges::BadgesApi,
);

fn service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            accounts::AccountsApi,
            tenants::TenantsApi,
            roles::RolesApi,
            platform::PlatformApi,
            mail::MailApi,
            inbound::InboundApi,
            object_types::ObjectTypesApi,
            objects::ObjectsApi,
            map::MapApi,
            events::EventsApi,
            requests::RequestsApi,
            notifications::NotificationsApi,
            api_keys::ApiKeysApi,
            osm::OsmApi,
            badges::BadgesApi,
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

/// The OpenAPI document, as committed in `docs/openapi.json`: poem-openapi's, plus the
/// answers the HTTP edge gives before a handler runs (see [`edge_statuses`]).
pub fn openapi_json() -> String {
    documents().0.clone()
}

/// The statuses the HTTP edge answers before an operation's handler runs, added to every
/// operation of the document they concern, each with the error envelope: `503` for every
/// operation (the session is looked up before any handler), `413` and `415` for operations
/// that take a body (the body is bounded while it is read; a missing or wrong `Content-Type`
/// is refused). Statuses an operation already documents are left as they are.
pub fn edge_statuses(spec: &str) -> String {
    const UNAVAILABLE: &str =
        "The database does not answer (`database_unavailable`); try again shortly.";
    let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(spec) else {
        return spec.to_owned();
    };
    let envelope = serde_json::json!({
        "application/json; charset=utf-8": {
            "schema": {"$ref": "#/components/schemas/ErrorEnvelope"}
        }
    });
    let with_body: [(&str, &str); 2] = [
        (
            "413",
            "The body is larger than this operation accepts (`payload_too_large`); the message \
             gives the limit. Bodies are counted while they are read.",
        ),
        (
            "415",
            "The body's `Content-Type` is missing or not one this operation reads \
             (`unsupported_content_type`).",
        ),
    ];
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for operation in paths
            .values_mut()
            .filter_map(|item| item.as_object_mut())
            .flat_map(|item| item.values_mut())
            .filter_map(|op| op.as_object_mut())
        {
            let takes_body = operation.contains_key("requestBody");
            let Some(responses) = operation
                .get_mut("responses")
                .and_then(|r| r.as_object_mut())
            else {
                continue;
            };
            responses.entry("503").or_insert_with(
                || serde_json::json!({"description": UNAVAILABLE, "content": envelope.clone()}),
            );
            if !takes_body {
                continue;
            }
            for (status, description) in with_body {
                responses.entry(status).or_insert_with(
                    || serde_json::json!({"description": description, "content": envelope.clone()}),
                );
            }
        }
    }
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| spec.to_owned())
}

/// The Content-Security-Policy of `/api/docs` (Swagger UI as poem-openapi serves it: one HTML
/// page with its script, stylesheet and the OpenAPI document inline). The page is the same for
/// the life of the binary, so its inline `<script>` and `<style>` blocks are allowed by their
/// SHA-256 hashes, computed here, and nothing else inline runs: no `unsafe-inline`. It loads
/// nothing from elsewhere, fetches only this origin ("Try it out"), posts no form and cannot be
/// framed. (Swagger UI's OAuth2 receiver page, `/api/docs/oauth-receiver.html`, has another
/// inline script and does not run under it: Vigie has no OAuth2.)
pub fn docs_policy() -> String {
    use base64::Engine as _;
    use sha2::{Digest as _, Sha256};

    let html = docs_page();
    let hashes = |tag: &str| -> String {
        let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
        let mut out = Vec::new();
        let mut rest = html.as_str();
        while let Some(at) = rest.find(&open) {
            let Some(body_at) = rest[at..].find('>').map(|i| at + i + 1) else {
                break;
            };
            let Some(end) = rest[body_at..].find(&close).map(|i| body_at + i) else {
                break;
            };
            let digest = Sha256::digest(&rest.as_bytes()[body_at..end]);
            out.push(format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
            rest = &rest[end + close.len()..];
        }
        out.join(" ")
    };
    format!(
        "default-src 'none'; script-src {}; style-src 'self' {}; img-src 'self' data:; \
         font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'",
        hashes("script"),
        hashes("style")
    )
}

/// The Swagger UI page of `/api/docs`, embedding the completed document (the one
/// [`openapi_json`] gives, not poem-openapi's alone).
fn docs_page() -> String {
    documents().1.clone()
}

/// The completed OpenAPI document and the Swagger UI page embedding it, built once: the
/// routes, the docs page's policy and `vigie openapi` all use these.
fn documents() -> &'static (String, String) {
    static DOCUMENTS: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    DOCUMENTS.get_or_init(|| {
        let api = service();
        let raw = api.spec();
        let spec = edge_statuses(&raw);
        let page = api.swagger_ui_html().replace(&raw, &spec);
        (spec, page)
    })
}

/// The Open311 GeoReport v2 routes, under `/open311` (see [`open311`]).
pub fn open311_routes(state: ApiState) -> impl Endpoint {
    open311::routes(state)
}

/// The `/api` routes: `/api/v1/…`, `/api/openapi.json` and `/api/docs`.
pub fn routes(state: ApiState) -> impl Endpoint {
    let api = service();
    let (spec, docs_page) = documents().clone();
    Route::new()
        // Open data files stream beside the OpenAPI service (see `exports`).
        .at(
            "/v1/tenants/:slug/exports",
            poem::get(exports::catalogue).data(state.clone()),
        )
        .at(
            "/v1/tenants/:slug/exports.zip",
            poem::get(exports::zip_archive).data(state.clone()),
        )
        .at(
            "/v1/tenants/:slug/aggregates",
            poem::get(aggregates::aggregates).data(state.clone()),
        )
        .at(
            "/v1/tenants/:slug/aggregates.csv",
            poem::get(aggregates::aggregates).data(state.clone()),
        )
        .at(
            "/v1/catalog.jsonld",
            poem::get(exports::dcat_catalogue).data(state.clone()),
        )
        .at(
            "/v1/tenants/:slug/exports/:file",
            poem::get(exports::download).data(state.clone()),
        )
        .at(
            // Only the file names, so the OpenAPI routes beside them (`links`, …) stay reachable.
            "/v1/tenants/:slug/osm/:object_type/:file<(discrepancies|osmchange)\\.[a-z]+>",
            poem::get(osm::download_file).data(state.clone()),
        )
        .nest("/v1", api.data(state))
        .at(
            "/openapi.json",
            poem::endpoint::make_sync(move |_| {
                poem::Response::builder()
                    .content_type("application/json")
                    .body(spec.clone())
            }),
        )
        .nest(
            "/docs",
            poem::endpoint::make_sync(move |_| poem::web::Html(docs_page.clone())),
        )
        .catch_all_error(error::envelope_for_poem_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_docs_policy_allows_its_own_inline_blocks_by_hash_only() {
        let policy = super::docs_policy();
        assert!(!policy.contains("unsafe"), "{policy}");
        let script = policy.split("script-src ").nth(1).unwrap_or_default();
        let script = script.split(';').next().unwrap_or_default();
        // Swagger UI's bundle and the block that starts it.
        assert_eq!(script.matches("'sha256-").count(), 2, "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"));
    }

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
