//! Vigie's domain core.
//!
//! Pure types and rules — no database, no HTTP, no WebAssembly. Every other crate depends on
//! this one; it depends on nothing of ours. Validation here is what makes a value *valid*
//! anywhere in the system: a [`TenantSlug`] or an [`Email`] that exists is a checked one.

pub mod account;
pub mod aggregate;
pub mod authz;
pub mod badges;
pub mod error;
pub mod export;
pub mod notify;
pub mod objects;
pub mod reply;
pub mod requests;
pub mod tenant;

pub use account::{DisplayName, Email, Password, Pseudonym, UserId};
pub use authz::{Operation, Principal, Role, Scope};
pub use error::{Bilingual, DomainError};
pub use objects::{Decision, FactState, ObjectStatus, Provenance};
pub use tenant::{
    DataLicence, EmailDomain, MapView, NewTenant, ObjectTypeKey, TenantId, TenantSlug, TileSource,
};
