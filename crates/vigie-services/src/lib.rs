//! Vigie's use cases: what the API and the web pages both call.
//!
//! [`Services`] composes the store, the authorizer and the mailer. Reading public data needs
//! nothing; changing anything privileged needs a [`Permit`] from the authorizer.

mod accounts;
mod dataset;
mod error;
mod events;
mod objects;
mod requests;
mod roles;
mod schema;
mod tenants;

use std::sync::Arc;

use vigie_authz::Authorizer;
use vigie_domain::ObjectTypeKey;
use vigie_mail::Mailer;
use vigie_plugins::PluginHost;
use vigie_storage::Store;

pub use accounts::{SessionToken, SignedIn};
pub use error::{FieldProblem, ServiceError};
pub use events::{DocumentInput, LifeEventInput, Media};
pub use objects::{
    Contribution, IdentityPatch, ImportReport, ObjectSheet, ProposedValue, RejectedRow,
    decode_value, encode_value,
};
pub use requests::{
    AssignTarget, Editor, FiledRequest, JournalReport, RequestDetails, RequestInput,
    SimilarRequest, pending_placeholder,
};
pub use roles::RoleTarget;
pub use schema::ObjectSchema;
pub use vigie_authz::Permit;

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// Base URL for links in e-mails, without a trailing slash.
    pub public_url: String,
    /// Session lifetime, days.
    pub session_days: u32,
    /// Verification link lifetime, hours.
    pub verification_hours: u32,
    /// Password reset link lifetime, hours.
    pub reset_hours: u32,
    /// Personal links, notification limits, the journal check's cache.
    pub requests: RequestLimits,
}

/// How long personal links last and how much mail requests may cause.
#[derive(Debug, Clone)]
pub struct RequestLimits {
    /// A personal link stops working after this many days without use.
    pub link_days: u32,
    /// E-mails about one request its editors may cause in 24 hours.
    pub notifications_per_request_day: u32,
    /// E-mails about requests one address may receive in an hour.
    pub mails_per_address_hour: u32,
    /// How long the journal check is reused while the head does not change, seconds.
    pub journal_check_cache_seconds: u32,
}

impl Default for RequestLimits {
    fn default() -> Self {
        Self {
            link_days: 90,
            notifications_per_request_day: 10,
            mails_per_address_hour: 5,
            journal_check_cache_seconds: 30,
        }
    }
}

/// The use cases, shared by every request.
#[derive(Clone)]
pub struct Services {
    store: Store,
    authz: Arc<Authorizer>,
    mailer: Arc<dyn Mailer>,
    settings: ServiceSettings,
    plugins: Arc<PluginHost>,
    media: events::Media,
    known_types: Arc<Vec<ObjectTypeKey>>,
    journal_checks: requests::JournalChecks,
}

impl Services {
    /// Composes the use cases.
    pub fn new(
        store: Store,
        authz: Arc<Authorizer>,
        mailer: Arc<dyn Mailer>,
        settings: ServiceSettings,
        plugins: Arc<PluginHost>,
        media: events::Media,
    ) -> Self {
        // A plugin's key was checked when it loaded; one that is not a valid type key would
        // not have loaded.
        let known_types = plugins
            .keys()
            .iter()
            .filter_map(|k| ObjectTypeKey::parse(k).ok())
            .collect();
        Self {
            store,
            authz,
            mailer,
            settings,
            plugins,
            media,
            known_types: Arc::new(known_types),
            journal_checks: requests::JournalChecks::default(),
        }
    }

    /// The object-type plugins.
    pub fn plugins(&self) -> &PluginHost {
        &self.plugins
    }

    /// The object types this server can host: the keys of its loaded plugins.
    pub fn known_types(&self) -> &[ObjectTypeKey] {
        &self.known_types
    }

    /// Checks that an object type is one this server knows.
    pub fn require_known_type(&self, key: &ObjectTypeKey) -> Result<(), ServiceError> {
        if self.known_types.contains(key) {
            return Ok(());
        }
        let known = tenants::type_list(self.known_types.iter());
        Err(ServiceError::Invalid(
            vigie_domain::DomainError::invalid(
                "object_types",
                format!("unknown object type '{key}': this server knows {known}"),
            )
            .fr(format!(
                "Type de lieu inconnu « {key} » : ce serveur connaît {known}."
            )),
        ))
    }

    /// The store, for read-only queries of public data.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The authorizer.
    pub fn authz(&self) -> &Authorizer {
        &self.authz
    }

    /// The settings.
    pub fn settings(&self) -> &ServiceSettings {
        &self.settings
    }
}
