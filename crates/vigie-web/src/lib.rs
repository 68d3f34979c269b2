//! Vigie's web pages: server-rendered, French first, usable on a phone.
//!
//! The pages call the same use cases as the JSON API and share its session cookie (the
//! [`vigie_api::Caller`] resolved by the session middleware).

mod i18n;
mod objects;
mod pages;

use std::sync::Arc;

use minijinja::Environment;
use poem::{EndpointExt, Route, get, post};
use vigie_services::Services;

pub use i18n::Lang;

/// Shared state of the pages.
#[derive(Clone)]
pub struct WebState {
    services: Services,
    templates: Arc<Environment<'static>>,
}

impl WebState {
    /// Loads the templates (embedded in the binary).
    pub fn new(services: Services) -> Result<Self, minijinja::Error> {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)?;
        }
        Ok(Self {
            services,
            templates: Arc::new(env),
        })
    }
}

const TEMPLATES: [(&str, &str); 11] = [
    ("objects.html", include_str!("../templates/objects.html")),
    ("object.html", include_str!("../templates/object.html")),
    ("base.html", include_str!("../templates/base.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("tenant.html", include_str!("../templates/tenant.html")),
    ("roles.html", include_str!("../templates/roles.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("register.html", include_str!("../templates/register.html")),
    ("reset.html", include_str!("../templates/reset.html")),
    ("account.html", include_str!("../templates/account.html")),
    ("message.html", include_str!("../templates/message.html")),
];

/// The page routes, to be mounted at `/`.
pub fn routes(state: WebState) -> impl poem::Endpoint {
    Route::new()
        .at("/", get(pages::home_page))
        .at("/t/:slug", get(pages::tenant_page))
        .at("/t/:slug/roles", get(pages::roles_page))
        .at("/t/:slug/o/:id", get(objects::object_page))
        .at("/t/:slug/o/:id/contribute", post(objects::contribute))
        .at("/login", get(pages::login_form).post(pages::login))
        .at("/logout", post(pages::logout))
        .at("/register", get(pages::register_form).post(pages::register))
        .at("/verify", get(pages::verify))
        .at("/verify/resend", post(pages::resend))
        .at("/reset", get(pages::reset_form).post(pages::reset))
        .at("/account", get(pages::account_form).post(pages::account))
        .data(state)
}
