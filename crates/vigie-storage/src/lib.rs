//! Vigie's storage: one [`Store`] over SQLite (embedded default) or PostgreSQL (scale).
//!
//! The backend is chosen once, from the URL scheme, when the store is opened. Every query is
//! written once, through `sqlx::Any`, over a portable schema: integers, floats and text only
//! (timestamps are RFC 3339 text, booleans 0/1). Migrations live per backend in
//! `migrations/sqlite` and `migrations/postgres` at the top of the repository, embedded in the
//! binary; the store refuses a database whose schema is newer than the binary.

mod aggregate;
mod api_keys;
pub mod badge_rules;
mod badges;
mod bulk;
mod changes;
pub mod copy;
mod desk;
mod error;
mod events;
mod export;
mod facts;
mod follows;
mod inbound;
mod listing;
mod map;
mod moderation;
mod nullable;
mod objects;
mod open311;
mod osm;
mod outbox;
mod policies;
mod requests;
mod schema_fields;
mod snapshot;
mod stems;
mod store;
mod submissions;
mod tenants;
mod throttle;
mod time_text;
mod users;

pub use aggregate::{AggregateAsk, AggregateRow};
pub use api_keys::ApiKey;
pub use badges::{AwardRecord, BadgeDraft, BadgeRecord, NewAward, PublicAward};
pub use changes::{CHANGES_CHANNEL, Change, Changes, ReadScope};
pub use desk::{DeskCounts, DeskScope, Grant};
pub use error::StoreError;
pub use events::{Document, LifeEvent, NewDocument, NewLifeEvent};
pub use facts::{ContributorContact, CurrentValues, DecisionRecord, FactRecord, NewFact};
pub use follows::{DigestItem, Follow, FollowTarget, Follower, NewDigestItem};
pub use inbound::{HeldMail, HeldState, NewHeldMail};
pub use listing::{BoundingBox, Place};
pub use map::{MapFact, StatusCount};
pub use objects::{
    ChunkFact, ChunkObject, IdentityChange, IdentityUpdate, ImportChunk, ImportCounts,
    ImportSource, NewImport, ObjectIdentity, ObservedObject,
};
pub use open311::{OPEN311_OPEN, RequestFilter};
pub use osm::{OsmCorrection, OsmLink};
pub use outbox::{NewOutboxMail, OutboxCounts, OutboxMail, OutboxState};
pub use policies::{CasbinRule, GrantChange, PolicyScope, RoleEvent, RoleEventAction, RoleHolder};
pub use requests::{
    Assignment, Comment, Contact, FiledRecord, JournalNote, MailLimits, MailReservation,
    NewRequest, Notices, RequestMail, RequestRecord, RequestToken, StatusChange,
};
pub use schema_fields::SchemaField;
pub use stems::{STEM_PROBE, StemMatch};
pub use store::{Backend, PoolUse, Store};
pub use tenants::Tenant;
pub use throttle::{CountedAttempt, Throttle};
pub use time_text::{now, parse_timestamp, timestamp};
pub use users::{TokenPurpose, User};
