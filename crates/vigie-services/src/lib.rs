//! Vigie's use cases: what the API and the web pages both call.
//!
//! [`Services`] composes the store, the authorizer and the mailer. Reading public data needs
//! nothing; a use case that changes anything privileged takes the caller ([`Actor`]) and the
//! target, computes the scope from what it loads and gets a [`Permit`] from the authorizer
//! itself.

mod accounts;
mod actor;
mod aggregate;
mod badges;
mod dataset;
mod desk;
mod error;
mod events;
mod export;
mod follows;
mod guard;
mod inbound;
mod mail;
mod map;
mod notices;
mod objects;
mod open311;
mod osm;
mod places;
mod reads;
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
pub use actor::Actor;
pub use aggregate::{
    Aggregate, AggregateField, AggregateQuery, GroupLabel, VintageStats, arrondissement_label,
};
pub use badges::{BadgeInput, BadgeSummary, EarnedBadge, RulePreview, levels_text};
pub use desk::{DESK_PAGE, Desk, DeskPages, DeskRequest, DeskSection};
pub use error::{FieldProblem, ServiceError};
pub use events::{DocumentEntry, DocumentInput, LifeEventInput, Media};
pub use export::{EXPORT_PAGE, ExportPage};
pub use follows::{NotificationSettings, StopLink};
pub use inbound::{InboundSettings, ReceiveError, ReceiveOutcome};
pub use mail::{DeliveryRound, MailDelivery};
pub use map::{
    LegendClass, MAX_LIST, MAX_TILES_PER_VIEW, MAX_ZOOM, MapFilter, MapIndex, MapLayer, MapList,
    MapPlace, MapType, MapVariable, Marker, TileMarkers, UNCLUSTERED_ZOOM, VariableKind,
};
pub use objects::{
    Contribution, IdentityPatch, ImportReport, ObjectSheet, ProposedValue, RejectedRow,
    decode_value, encode_value,
};
pub use open311::{
    IssuedApiKey, OPEN311_MAX_RESULTS, OPEN311_NEAREST_M, OPEN311_WINDOW_DAYS, Open311Filed,
    Open311Filing, Open311Query, Open311Request, Open311Service, datatype, datatype_description,
    list_values, w3c,
};
pub use osm::{OsmChangeFile, OsmImportSummary};
pub use places::PlaceInput;
pub use reads::{MAX_PAGE, parse_bbox};
pub use requests::{
    AssignTarget, Editor, FiledRequest, JournalReport, RequestDetails, RequestInput,
    SimilarRequest, pending_placeholder,
};
pub use roles::{RoleIn, RoleTarget};
pub use schema::ObjectSchema;
pub use tenants::TenantInput;
pub use vigie_authz::Permit;
pub use vigie_storage::{
    BoundingBox, DeskCounts, DeskScope, Follow, FollowTarget, Place, ReadScope,
};

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
    /// Abuse bounds of accounts: sign-in throttles, password hashing, mails per address.
    pub limits: AccountLimits,
    /// Personal links, notification limits, the journal check's cache.
    pub requests: RequestLimits,
    /// The background of the maps.
    pub map: MapBackground,
    /// How the mail outbox is delivered: attempts, back-off, claims.
    pub mail: MailDelivery,
    /// Replies by e-mail: the reply addresses' domain, the size limit.
    pub inbound: InboundSettings,
}

/// The raster tiles under the collectives' maps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MapBackground {
    /// Tile URL template (`{z}/{x}/{y}`); empty: no background, the markers on a plain ground.
    pub tile_url: String,
    /// Attribution shown on the map.
    pub attribution: String,
}

/// Bounds that keep accounts affordable and private under attack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLimits {
    /// Password hashes computed at once (0: one per processor).
    pub hashing_slots: usize,
    /// Password checks waiting for a slot; more are answered « busy » at once.
    pub hashing_queue: usize,
    /// Failed sign-ins on one account before it is refused for a while.
    pub failures_per_account: usize,
    /// How long failed sign-ins on an account count, minutes.
    pub account_window_minutes: u64,
    /// Sign-in attempts from one client address per minute (successes give theirs back).
    pub attempts_per_client_per_minute: usize,
    /// Account e-mails (verification, reset, « you already have an account ») to one
    /// address per hour.
    pub mails_per_address_per_hour: u32,
    /// Requests that may send an account e-mail (register, resend, reset) from one client
    /// address per hour.
    pub mail_requests_per_client_per_hour: usize,
}

impl Default for AccountLimits {
    fn default() -> Self {
        Self {
            hashing_slots: 0,
            hashing_queue: 32,
            failures_per_account: 5,
            account_window_minutes: 15,
            attempts_per_client_per_minute: 20,
            mails_per_address_per_hour: 3,
            mail_requests_per_client_per_hour: 30,
        }
    }
}

/// The sign-in bounds: the hashing gate of this process, and the throttles whose counts are
/// kept in the database (shared by every server process, see `vigie_storage::Throttle`).
struct AccountGuards {
    hashing: guard::HashGate,
    per_account: vigie_storage::Throttle,
    per_client: vigie_storage::Throttle,
    mail_requests: vigie_storage::Throttle,
    /// When this process last pruned the stored attempts.
    pruned: std::sync::Mutex<Option<std::time::Instant>>,
}

impl AccountGuards {
    fn new(limits: &AccountLimits) -> Self {
        let throttle = |max: usize, window: time::Duration| vigie_storage::Throttle {
            max: u32::try_from(max.max(1)).unwrap_or(u32::MAX),
            window,
        };
        let account_minutes = i64::try_from(limits.account_window_minutes.max(1)).unwrap_or(15);
        Self {
            hashing: guard::HashGate::new(
                limits.hashing_slots,
                limits.hashing_queue,
                std::time::Duration::from_secs(5),
            ),
            per_account: throttle(
                limits.failures_per_account,
                time::Duration::minutes(account_minutes),
            ),
            per_client: throttle(
                limits.attempts_per_client_per_minute,
                time::Duration::minutes(1),
            ),
            mail_requests: throttle(
                limits.mail_requests_per_client_per_hour,
                time::Duration::hours(1),
            ),
            pruned: std::sync::Mutex::new(None),
        }
    }

    /// The longest window: attempts older than this count for nothing.
    fn longest_window(&self) -> time::Duration {
        self.per_account
            .window
            .max(self.per_client.window)
            .max(self.mail_requests.window)
    }
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
    guards: Arc<AccountGuards>,
    journal_checks: requests::JournalChecks,
    tenant_ids: reads::TenantIds,
    maps: map::MapIndexes,
    mail_wake: mail::MailWake,
    badge_queue: badges::BadgeQueue,
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
            guards: Arc::new(AccountGuards::new(&settings.limits)),
            store,
            authz,
            mailer,
            settings,
            plugins,
            media,
            known_types: Arc::new(known_types),
            journal_checks: requests::JournalChecks::default(),
            tenant_ids: reads::TenantIds::default(),
            maps: map::MapIndexes::default(),
            mail_wake: mail::MailWake::default(),
            badge_queue: badges::BadgeQueue::default(),
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

    /// The largest file an upload may carry (`media.max_upload_mib`), in bytes: the HTTP edge
    /// stops reading a file past it.
    pub fn max_upload_bytes(&self) -> u64 {
        self.media.policy.max_upload_bytes
    }
}
