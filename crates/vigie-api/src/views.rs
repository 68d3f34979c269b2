//! What the API shows of stored things. Personal data (e-mails) appears only in the caller's
//! own account view.

use poem_openapi::{Enum, Object};
use time::OffsetDateTime;
use vigie_storage::{RoleEvent, RoleEventAction, RoleHolder, Tenant, User};

/// A collective.
#[derive(Debug, Object)]
pub struct TenantView {
    /// URL name: the collective lives under `/t/{slug}`.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Default map view.
    pub map: MapViewDto,
    /// Enabled object types.
    pub object_types: Vec<String>,
    /// E-mail domains whose verified users are Officials of the collective.
    pub official_domains: Vec<String>,
    /// The language it writes in to people without an account (`fr` or `en`).
    pub language: String,
    /// The licence its open data is published under.
    pub licence: LicenceDto,
    /// Whether this is the demo collective.
    pub is_demo: bool,
    /// Creation time.
    pub created_at: OffsetDateTime,
}

/// The licence of a collective's open data.
#[derive(Debug, Clone, Object)]
pub struct LicenceDto {
    /// Identifier, as Data Packages name it (`etalab-2.0`, `odbl-1.0`, `cc-by-4.0`,
    /// `cc-by-sa-4.0`, `cc0-1.0`).
    pub id: String,
    /// Title.
    pub title: String,
    /// The page of its text.
    pub url: String,
}

impl From<vigie_domain::DataLicence> for LicenceDto {
    fn from(l: vigie_domain::DataLicence) -> Self {
        Self {
            id: l.id().to_owned(),
            title: l.title().to_owned(),
            url: l.url().to_owned(),
        }
    }
}

/// What a collective publishes in: the language of its messages to people without an
/// account, and the licence of its open data.
#[derive(Debug, Clone, Object)]
pub struct PublicationDto {
    /// `fr` or `en`.
    pub language: String,
    /// A licence identifier: `etalab-2.0` (Licence Ouverte 2.0, the default), `odbl-1.0`,
    /// `cc-by-4.0`, `cc-by-sa-4.0` or `cc0-1.0`.
    pub licence: String,
}

impl From<&Tenant> for TenantView {
    fn from(t: &Tenant) -> Self {
        Self {
            slug: t.slug.to_string(),
            name: t.name.clone(),
            description: t.description.clone(),
            map: MapViewDto {
                latitude: t.map.latitude,
                longitude: t.map.longitude,
                zoom: i64::from(t.map.zoom),
                tiles: t.tiles.as_ref().map(|t| TilesDto {
                    url: t.url().to_owned(),
                    attribution: t.attribution().to_owned(),
                }),
            },
            object_types: t.object_types.iter().map(ToString::to_string).collect(),
            official_domains: t
                .official_domains
                .iter()
                .map(|d| d.as_str().to_owned())
                .collect(),
            language: t.language.as_str().to_owned(),
            licence: t.licence.into(),
            is_demo: t.is_demo,
            created_at: t.created_at,
        }
    }
}

/// A map's centre and zoom.
#[derive(Debug, Clone, Object)]
pub struct MapViewDto {
    /// Latitude, WGS84 degrees (-90 to 90).
    pub latitude: f64,
    /// Longitude, WGS84 degrees (-180 to 180).
    pub longitude: f64,
    /// Zoom level (0 to 19).
    pub zoom: i64,
    /// The collective's own background tiles; absent: the instance's.
    pub tiles: Option<TilesDto>,
}

/// Raster tiles under a map.
#[derive(Debug, Clone, Object)]
pub struct TilesDto {
    /// URL template, e.g. `https://tile.example.org/{z}/{x}/{y}.png` (`{s}`: a subdomain
    /// letter).
    pub url: String,
    /// Attribution shown on the map (plain text), as the tiles' licence asks.
    pub attribution: String,
}

/// The caller's own account (the only view that includes an e-mail address).
#[derive(Debug, Object)]
pub struct AccountView {
    /// Account id.
    pub id: i64,
    /// E-mail address (private: shown to its owner only).
    pub email: String,
    /// Public name.
    pub display_name: String,
    /// Stable public identity, as journals name the account (`account:7f3c…`); a Garant
    /// grants badges by it.
    pub pseudonym: String,
    /// Whether the e-mail has been verified.
    pub email_verified: bool,
    /// Creation time.
    pub created_at: OffsetDateTime,
}

impl From<&User> for AccountView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.0,
            email: u.email.as_str().to_owned(),
            display_name: u.display_name.as_str().to_owned(),
            pseudonym: u.pseudonym.journal_ref(),
            email_verified: u.email_verified_at.is_some(),
            created_at: u.created_at,
        }
    }
}

/// A user as the public sees them: a name, never an e-mail.
#[derive(Debug, Object)]
pub struct PublicUser {
    /// Account id.
    pub id: i64,
    /// Public name.
    pub display_name: String,
}

/// A role name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum RoleName {
    /// Whole platform.
    Guru,
    /// One object type in one collective.
    Garant,
    /// One object.
    Certified,
    /// Any signed-in user.
    Citizen,
    /// Nobody signed in.
    Anonymous,
    /// Verified e-mail in an official domain of the collective.
    Official,
}

impl From<vigie_domain::Role> for RoleName {
    fn from(r: vigie_domain::Role) -> Self {
        use vigie_domain::Role as R;
        match r {
            R::Guru => RoleName::Guru,
            R::Garant => RoleName::Garant,
            R::Certified => RoleName::Certified,
            R::Citizen => RoleName::Citizen,
            R::Anonymous => RoleName::Anonymous,
            R::Official => RoleName::Official,
        }
    }
}

/// Grant or revoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum RoleAction {
    /// The role was given.
    Grant,
    /// The role was taken back.
    Revoke,
}

/// One entry of a collective's public record of role grants.
#[derive(Debug, Object)]
pub struct RoleEventView {
    /// Sequence number.
    pub id: i64,
    /// Grant or revoke.
    pub action: RoleAction,
    /// The role.
    pub role: RoleName,
    /// Who received or lost it.
    pub user: PublicUser,
    /// Object type (Garant, Certified).
    pub object_type: Option<String>,
    /// Object (Certified).
    pub object_id: Option<i64>,
    /// Public name of who decided; absent when the platform operator did it from the command
    /// line.
    pub decided_by: Option<String>,
    /// When.
    pub at: OffsetDateTime,
}

impl From<RoleEvent> for RoleEventView {
    fn from(e: RoleEvent) -> Self {
        Self {
            id: e.id,
            action: match e.action {
                RoleEventAction::Grant => RoleAction::Grant,
                RoleEventAction::Revoke => RoleAction::Revoke,
            },
            role: e.role.into(),
            user: PublicUser {
                id: e.user_id.0,
                display_name: e.user_name,
            },
            object_type: e.object_type,
            object_id: e.object_id,
            decided_by: e.actor_name,
            at: e.at,
        }
    }
}

/// A role currently held.
#[derive(Debug, Object)]
pub struct RoleHolderView {
    /// The role.
    pub role: RoleName,
    /// Who holds it.
    pub user: PublicUser,
    /// Object type (Garant, Certified).
    pub object_type: Option<String>,
    /// Object (Certified).
    pub object_id: Option<i64>,
}

impl From<RoleHolder> for RoleHolderView {
    fn from(h: RoleHolder) -> Self {
        // Patterns are `*`, `{tenant}/{type}/*` or `{tenant}/{type}/{id}`.
        let mut parts = h.domain_pattern.splitn(3, '/').skip(1);
        let object_type = parts.next().map(str::to_owned);
        let object_id = parts.next().and_then(|p| p.parse().ok());
        Self {
            role: h.role.into(),
            user: PublicUser {
                id: h.user_id.0,
                display_name: h.user_name,
            },
            object_type,
            object_id,
        }
    }
}
