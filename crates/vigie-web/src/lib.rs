//! Vigie's web pages: server-rendered, French first, usable on a phone.
//!
//! The pages call the same use cases as the JSON API and share its session cookie (the
//! [`vigie_http::Caller`] resolved by the session middleware).

mod admin;
mod analysis;
mod api_keys;
mod assets;
mod badge_art;
mod badges;
mod cached;
mod desk;
mod garant;
mod i18n;
mod inbound;
mod map;
mod next;
mod notifications;
mod objects;
mod offline;
mod page;
mod pages;
mod requests;

use std::sync::Arc;

use minijinja::Environment;
use poem::{EndpointExt, Route, get, post};
use vigie_http::{AnonymousLimiter, ClientAddress};
use vigie_services::Services;

pub use i18n::Lang;
pub use pages::{busy_page, payload_too_large};

/// The page routes whose body is a multipart form carrying one file (the request form and its
/// photo, an attachment): bounded by the upload limit.
pub const UPLOAD_ROUTES: [&str; 3] = [
    "/t/:slug/o/:id/requests",
    "/t/:slug/r/:id/attachments",
    "/t/:slug/o/:id/life/documents",
];

/// The page route of official dataset imports (a Garant's desk): bounded like the API's
/// imports (`limits.import_mib`).
pub const IMPORT_ROUTES: [&str; 1] = ["/t/:slug/garant/imports"];

/// Shared state of the pages.
#[derive(Clone)]
pub struct WebState {
    services: Services,
    templates: Arc<Environment<'static>>,
    /// Anonymous submissions per client.
    anonymous: Arc<AnonymousLimiter>,
    /// The static files (stylesheet, scripts) with their hashed names.
    assets: Arc<assets::Assets>,
    /// Public reads rendered once per change (shared with the API).
    cache: Arc<vigie_http::ReadCache>,
}

impl WebState {
    /// Whether an anonymous visitor from this client may submit once more (signed-in users
    /// always may); each call counts one.
    pub(crate) fn anonymous_allowed(&self, req: &poem::Request, signed_in: bool) -> bool {
        signed_in || self.anonymous.allow(&ClientAddress::of(req))
    }

    /// Loads the templates (embedded in the binary); `anonymous` is the API's limiter too, so
    /// that a client has one allowance for the API and the pages.
    pub fn new(
        services: Services,
        anonymous: Arc<AnonymousLimiter>,
        cache: Arc<vigie_http::ReadCache>,
    ) -> Result<Self, minijinja::Error> {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)?;
        }
        let assets = Arc::new(assets::Assets::new());
        let urls = assets.clone();
        // `{{ asset('vigie.css') }}`: the file's URL with its content hash (made of letters,
        // digits, `/` and `.` only: safe in an attribute as it is).
        env.add_function("asset", move |name: &str| {
            urls.url(name)
                .map(minijinja::Value::from_safe_string)
                .ok_or_else(|| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("no static file named {name}"),
                    )
                })
        });
        Ok(Self {
            services,
            templates: Arc::new(env),
            anonymous,
            assets,
            cache,
        })
    }
}

const TEMPLATES: &[(&str, &str)] = &[
    ("objects.html", include_str!("../templates/objects.html")),
    ("object.html", include_str!("../templates/object.html")),
    ("request.html", include_str!("../templates/request.html")),
    ("similar.html", include_str!("../templates/similar.html")),
    ("base.html", include_str!("../templates/base.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("tenant.html", include_str!("../templates/tenant.html")),
    ("roles.html", include_str!("../templates/roles.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("register.html", include_str!("../templates/register.html")),
    ("reset.html", include_str!("../templates/reset.html")),
    ("account.html", include_str!("../templates/account.html")),
    (
        "notifications.html",
        include_str!("../templates/notifications.html"),
    ),
    ("stop.html", include_str!("../templates/stop.html")),
    ("message.html", include_str!("../templates/message.html")),
    ("desk.html", include_str!("../templates/desk.html")),
    // The Gurus' and Garants' pages.
    ("admin.html", include_str!("../templates/admin.html")),
    (
        "tenant_admin.html",
        include_str!("../templates/tenant_admin.html"),
    ),
    ("garant.html", include_str!("../templates/garant.html")),
    ("api_keys.html", include_str!("../templates/api_keys.html")),
    ("badges.html", include_str!("../templates/badges.html")),
    (
        "badge_account.html",
        include_str!("../templates/badge_account.html"),
    ),
    (
        "badges_configure.html",
        include_str!("../templates/badges_configure.html"),
    ),
    (
        "held_mail.html",
        include_str!("../templates/held_mail.html"),
    ),
    ("life.html", include_str!("../templates/life.html")),
    ("quick.html", include_str!("../templates/quick.html")),
    ("analysis.html", include_str!("../templates/analysis.html")),
];

/// The page routes, to be mounted at `/`.
pub fn routes(state: WebState) -> impl poem::Endpoint {
    Route::new()
        .at("/", get(pages::home_page))
        .at("/static/:file", get(assets::serve))
        // Installable, and what was seen opens without network.
        .at("/manifest.webmanifest", get(offline::manifest))
        .at("/sw.js", get(offline::service_worker))
        .at("/offline", get(offline::offline_page))
        .at("/t/:slug", get(pages::tenant_page))
        .at("/t/:slug/roles", get(pages::roles_page))
        .at("/t/:slug/analyse", get(analysis::analysis_page))
        .at("/t/:slug/desk", get(desk::desk_page))
        .at(
            "/t/:slug/desk/contributions/:id",
            post(desk::decide_contribution),
        )
        .at("/t/:slug/desk/events/:id", post(desk::decide_event))
        .at("/t/:slug/desk/documents/:id", post(desk::decide_document))
        .at("/t/:slug/desk/r/:id/moderate", post(desk::moderate))
        .at("/t/:slug/desk/r/:id/wording", post(desk::reexpress))
        .at("/t/:slug/desk/r/:id/assign", post(desk::assign))
        .at("/t/:slug/desk/r/:id/merge", post(desk::merge))
        .at(
            "/t/:slug/report",
            get(requests::quick_page).post(requests::quick_file),
        )
        .at("/t/:slug/o/:id", get(objects::object_page))
        .at("/t/:slug/o/:id/contribute", post(objects::contribute))
        .at("/t/:slug/o/:id/requests", post(objects::file_request))
        .at(
            "/t/:slug/o/:id/requests/similar",
            get(requests::similar_fragment),
        )
        .at("/t/:slug/r/:id", get(requests::request_page))
        .at("/t/:slug/r/:id/moderate", post(requests::moderate))
        .at("/t/:slug/r/:id/wording", post(requests::reexpress))
        .at("/t/:slug/r/:id/status", post(requests::change_status))
        .at("/t/:slug/r/:id/answer", post(requests::answer))
        .at("/t/:slug/r/:id/assign", post(requests::assign))
        .at("/t/:slug/r/:id/unassign", post(requests::unassign))
        .at("/t/:slug/r/:id/notify", post(requests::notify))
        .at("/t/:slug/r/:id/merge", post(requests::merge))
        .at("/t/:slug/r/:id/support", post(requests::support))
        .at("/t/:slug/r/:id/comments", post(requests::comment))
        .at("/t/:slug/r/:id/attachments", post(requests::attach))
        .at("/t/:slug/r/:id/new-link", post(requests::new_link))
        .at("/t/:slug/badges", get(badges::badges_page))
        .at("/t/:slug/badges/award", post(badges::award))
        .at("/t/:slug/accounts/:pseudonym", get(badges::account_page))
        .at(
            "/t/:slug/badges/configure",
            get(badges::configure_page).post(badges::configure),
        )
        .at("/t/:slug/badges/:key/visual.svg", get(badges::visual))
        .at("/t/:slug/r/:id/follow", post(notifications::follow_request))
        .at("/t/:slug/o/:id/follow", post(notifications::follow_object))
        .at(
            "/account/notifications",
            get(notifications::settings_page).post(notifications::save_settings),
        )
        .at(
            "/notifications/stop",
            get(notifications::stop_page).post(notifications::stop),
        )
        .at("/login", get(pages::login_form).post(pages::login))
        .at("/logout", post(pages::logout))
        .at("/register", get(pages::register_form).post(pages::register))
        .at("/verify", get(pages::verify))
        .at("/verify/resend", post(pages::resend))
        .at("/reset", get(pages::reset_form).post(pages::reset))
        .at("/account", get(pages::account_form).post(pages::account))
        .at("/account/export", get(pages::account_export))
        .at("/account/delete", post(pages::account_delete))
        // The Gurus' pages (platform, a collective's settings) and the Garants' (desk, a
        // place's life events and documents).
        .at("/admin", get(admin::platform_page))
        .at("/admin/collectives", post(admin::create_collective))
        .at("/admin/gurus", post(admin::change_guru))
        .at("/admin/mail/:id/retry", post(admin::retry_mail))
        .at("/t/:slug/admin", get(admin::settings_page))
        .at("/t/:slug/admin/roles", post(admin::change_role))
        .at("/t/:slug/admin/map", post(admin::set_map))
        .at("/t/:slug/admin/publication", post(admin::set_publication))
        .at("/t/:slug/garant", get(garant::desk_page))
        .at("/t/:slug/garant/places", post(garant::add_place))
        .at("/t/:slug/garant/imports", post(garant::import))
        .at("/t/:slug/garant/contacts", post(garant::add_contact))
        .at(
            "/t/:slug/garant/api-keys",
            get(api_keys::keys_page).post(api_keys::issue),
        )
        .at(
            "/t/:slug/garant/api-keys/:id/revoke",
            post(api_keys::revoke),
        )
        .at(
            "/t/:slug/garant/contacts/:id/retire",
            post(garant::retire_contact),
        )
        .at("/t/:slug/garant/mail", get(inbound::held_page))
        .at("/t/:slug/garant/mail/:id/route", post(inbound::route))
        .at("/t/:slug/garant/mail/:id/drop", post(inbound::drop_mail))
        .at("/t/:slug/o/:id/life", get(garant::life_page))
        .at("/t/:slug/o/:id/life/events", post(garant::add_event))
        .at("/t/:slug/o/:id/life/documents", post(garant::add_document))
        .data(state.clone())
        .around(move |ep, req| desk::with_badge(ep, req, state.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse_and_every_word_they_use_exists() {
        let mut env = Environment::new();
        for &(name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let mut rest = source;
            while let Some(at) = rest.find("tr.") {
                let word: String = rest[at + 3..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                let boundary = at == 0 || !rest.as_bytes()[at - 1].is_ascii_alphanumeric();
                if boundary && !word.is_empty() {
                    assert!(
                        i18n::WORDS.iter().any(|(k, _, _)| *k == word),
                        "{name} uses tr.{word}, which has no words"
                    );
                }
                rest = &rest[at + 3..];
            }
        }
    }

    #[test]
    fn every_word_the_code_asks_for_exists() {
        let sources = [
            include_str!("page.rs"),
            include_str!("pages.rs"),
            include_str!("objects.rs"),
            include_str!("requests/mod.rs"),
            include_str!("requests/labels.rs"),
            include_str!("requests/errors.rs"),
            include_str!("requests/filing.rs"),
            include_str!("requests/view.rs"),
            include_str!("requests/journal.rs"),
            include_str!("requests/actions.rs"),
            include_str!("requests/quick.rs"),
            include_str!("offline.rs"),
            include_str!("desk.rs"),
            include_str!("admin.rs"),
            include_str!("garant.rs"),
            include_str!("inbound.rs"),
        ];
        for source in sources {
            for piece in source.split(".t(\"").skip(1) {
                let Some((word, _)) = piece.split_once('"') else {
                    continue;
                };
                assert!(
                    i18n::WORDS.iter().any(|(k, _, _)| *k == word),
                    "t(\"{word}\") has no words"
                );
            }
        }
    }
}
