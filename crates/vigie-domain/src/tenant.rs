//! Collectives (tenants): the spaces that host observed objects, each under `/t/{slug}`.

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// Database identity of a collective.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TenantId(pub i64);

/// The URL name of a collective: `/t/{slug}`. Lowercase ASCII letters, digits and inner
/// hyphens, 2 to 40 characters. Never changes once created, so links stay stable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantSlug(String);

impl TenantSlug {
    /// Checks and wraps a slug.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let ok_chars = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !(2..=40).contains(&s.len())
            || !ok_chars
            || s.starts_with('-')
            || s.ends_with('-')
            || s.contains("--")
        {
            return Err(DomainError::invalid(
                "slug",
                format!(
                    "'{raw}' is not a valid collective slug: use 2 to 40 lowercase letters, digits \
                     and single inner hyphens, e.g. 'ecoles-marseille'"
                ),
            )
            .fr(format!(
                "« {raw} » n'est pas une adresse de collectif valable : 2 à 40 minuscules, \
                 chiffres et tirets simples, par exemple « ecoles-marseille »."
            )));
        }
        Ok(Self(s.to_owned()))
    }

    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TenantSlug {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TenantSlug> for String {
    fn from(value: TenantSlug) -> Self {
        value.0
    }
}

impl std::fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The key of an object type (`schools`, `libraries`, `parks`, …), as declared by its plugin.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ObjectTypeKey(String);

impl ObjectTypeKey {
    /// Checks and wraps a type key: 1 to 40 lowercase letters, digits, `-` or `_`, starting
    /// with a letter.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let ok = !s.is_empty()
            && s.len() <= 40
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !ok {
            return Err(DomainError::invalid(
                "object_type",
                format!(
                    "'{raw}' is not a valid object type key: use lowercase letters, digits, '-' \
                     or '_', starting with a letter, e.g. 'schools'"
                ),
            )
            .fr(format!(
                "« {raw} » n'est pas une clé de type de lieu valable : minuscules, chiffres, « - » \
                 ou « _ », en commençant par une lettre, par exemple « schools »."
            )));
        }
        Ok(Self(s.to_owned()))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ObjectTypeKey {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ObjectTypeKey> for String {
    fn from(value: ObjectTypeKey) -> Self {
        value.0
    }
}

impl std::fmt::Display for ObjectTypeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail domain that marks its verified users as Officials of a collective, e.g.
/// `marseille.fr`. Stored lowercase, without a leading `@`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailDomain(String);

impl EmailDomain {
    /// Checks and normalises a domain (`@Marseille.FR` → `marseille.fr`).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim().trim_start_matches('@').to_ascii_lowercase();
        let labels_ok = s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        if s.len() > 253 || !s.contains('.') || !labels_ok {
            return Err(DomainError::invalid(
                "official_domains",
                format!("'{raw}' is not an e-mail domain: expected something like 'marseille.fr'"),
            )
            .fr(format!(
                "« {raw} » n'est pas un domaine d'e-mail : attendu par exemple « marseille.fr »."
            )));
        }
        Ok(Self(s))
    }

    /// The domain as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EmailDomain {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailDomain> for String {
    fn from(value: EmailDomain) -> Self {
        value.0
    }
}

/// The default view of a collective's map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MapView {
    /// Latitude of the centre, WGS84 degrees.
    pub latitude: f64,
    /// Longitude of the centre, WGS84 degrees.
    pub longitude: f64,
    /// Web-map zoom level, 0 (world) to 19 (building).
    pub zoom: u8,
}

impl MapView {
    /// Marseille's Vieux-Port, the default centre of the demo collective.
    pub const MARSEILLE: MapView = MapView {
        latitude: 43.2965,
        longitude: 5.3698,
        zoom: 12,
    };

    /// Checks the ranges of a map view.
    pub fn new(latitude: f64, longitude: f64, zoom: i64) -> Result<Self, DomainError> {
        if !(-90.0..=90.0).contains(&latitude) || latitude.is_nan() {
            return Err(DomainError::invalid(
                "map.latitude",
                format!(
                    "latitude {latitude} is out of range: use WGS84 degrees between -90 and 90"
                ),
            )
            .fr(format!(
                "Latitude {latitude} hors limites : des degrés WGS84 entre -90 et 90."
            )));
        }
        if !(-180.0..=180.0).contains(&longitude) || longitude.is_nan() {
            return Err(DomainError::invalid(
                "map.longitude",
                format!(
                    "longitude {longitude} is out of range: use WGS84 degrees between -180 and 180"
                ),
            )
            .fr(format!(
                "Longitude {longitude} hors limites : des degrés WGS84 entre -180 et 180."
            )));
        }
        let zoom = u8::try_from(zoom)
            .ok()
            .filter(|z| *z <= 19)
            .ok_or_else(|| {
                DomainError::invalid(
                    "map.zoom",
                    format!("zoom {zoom} is out of range: use a level between 0 and 19"),
                )
                .fr(format!(
                    "Zoom {zoom} hors limites : un niveau entre 0 et 19."
                ))
            })?;
        Ok(Self {
            latitude,
            longitude,
            zoom,
        })
    }
}

/// The raster tiles under a collective's map when it has its own (a regional style, an
/// aerial view); without them the instance's `[map]` tiles are used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TileSource {
    url: String,
    attribution: String,
}

impl TileSource {
    /// Checks a tile URL template (`https://HOST/{z}/{x}/{y}.png`, `{s}` for a subdomain
    /// letter) and its attribution (plain text, 1 to 300 characters: the tiles' licence asks
    /// for it).
    pub fn parse(url: &str, attribution: &str) -> Result<Self, DomainError> {
        let url = url.trim();
        let host = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_default();
        let host_ok = !host.is_empty()
            && host
                .strip_prefix("{s}.")
                .unwrap_or(host)
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
        let url_ok = url.len() <= 500
            && host_ok
            && ["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p))
            && !url.contains(|c: char| {
                c.is_whitespace() || c.is_control() || "\"'<>;,`\\".contains(c)
            });
        if !url_ok {
            return Err(DomainError::invalid(
                "map.tiles.url",
                format!(
                    "'{url}' is not a tile URL: write https://HOST/{{z}}/{{x}}/{{y}}.png (up to \
                     500 characters, no quotes or spaces)"
                ),
            )
            .fr(format!(
                "« {url} » n'est pas une adresse de tuiles : écrivez \
                 https://HÔTE/{{z}}/{{x}}/{{y}}.png (500 caractères au plus, sans guillemets ni \
                 espaces)."
            )));
        }
        let attribution = attribution.trim();
        if attribution.is_empty()
            || attribution.chars().count() > 300
            || attribution.contains(char::is_control)
        {
            return Err(DomainError::invalid(
                "map.tiles.attribution",
                "give the tiles' attribution (1 to 300 characters on one line), e.g. \
                 '© OpenStreetMap contributors'",
            )
            .fr(
                "Indiquez l'attribution des tuiles (1 à 300 caractères sur une ligne), par \
                 exemple « © les contributeurs d'OpenStreetMap ».",
            ));
        }
        Ok(Self {
            url: url.to_owned(),
            attribution: attribution.to_owned(),
        })
    }

    /// The URL template.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The attribution, plain text.
    pub fn attribution(&self) -> &str {
        &self.attribution
    }

    /// Where the tiles come from (`https://tiles.example.org`, `https://*.example.org` for
    /// `{s}.`), for the page's Content-Security-Policy.
    pub fn origin(&self) -> String {
        let (scheme, rest) = self.url.split_once("://").unwrap_or(("https", &self.url));
        let host = rest.split('/').next().unwrap_or_default();
        match host.strip_prefix("{s}.") {
            Some(domain) => format!("{scheme}://*.{domain}"),
            None => format!("{scheme}://{host}"),
        }
    }
}

/// The licence a collective publishes its data under: named in every export's Table Schema
/// package and in the DCAT catalogue. Etalab's Licence Ouverte 2.0 (the French public
/// sector's, compatible with CC-BY and ODbL) unless the collective chose another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DataLicence {
    /// Licence Ouverte / Open Licence 2.0 (Etalab).
    #[default]
    Etalab2,
    /// Open Database License 1.0 (OpenStreetMap's): share-alike.
    Odbl1,
    /// Creative Commons Attribution 4.0.
    CcBy4,
    /// Creative Commons Attribution-ShareAlike 4.0.
    CcBySa4,
    /// Creative Commons Zero: the public domain.
    Cc0,
}

impl DataLicence {
    /// Every licence a collective may choose, the default first.
    pub const ALL: [DataLicence; 5] = [
        DataLicence::Etalab2,
        DataLicence::Odbl1,
        DataLicence::CcBy4,
        DataLicence::CcBySa4,
        DataLicence::Cc0,
    ];

    /// The identifier stored and used by Data Packages (`etalab-2.0`, `odbl-1.0`…).
    pub fn id(self) -> &'static str {
        match self {
            DataLicence::Etalab2 => "etalab-2.0",
            DataLicence::Odbl1 => "odbl-1.0",
            DataLicence::CcBy4 => "cc-by-4.0",
            DataLicence::CcBySa4 => "cc-by-sa-4.0",
            DataLicence::Cc0 => "cc0-1.0",
        }
    }

    /// Its usual title.
    pub fn title(self) -> &'static str {
        match self {
            DataLicence::Etalab2 => "Licence Ouverte 2.0",
            DataLicence::Odbl1 => "Open Database License 1.0",
            DataLicence::CcBy4 => "Creative Commons Attribution 4.0",
            DataLicence::CcBySa4 => "Creative Commons Attribution-ShareAlike 4.0",
            DataLicence::Cc0 => "Creative Commons Zero 1.0",
        }
    }

    /// The page of its text.
    pub fn url(self) -> &'static str {
        match self {
            DataLicence::Etalab2 => "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
            DataLicence::Odbl1 => "https://opendatacommons.org/licenses/odbl/1-0/",
            DataLicence::CcBy4 => "https://creativecommons.org/licenses/by/4.0/",
            DataLicence::CcBySa4 => "https://creativecommons.org/licenses/by-sa/4.0/",
            DataLicence::Cc0 => "https://creativecommons.org/publicdomain/zero/1.0/",
        }
    }

    /// Reads an identifier (case-insensitive).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let wanted = raw.trim();
        Self::ALL
            .into_iter()
            .find(|l| l.id().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                let ids: Vec<&str> = Self::ALL.iter().map(|l| l.id()).collect();
                DomainError::invalid(
                    "licence",
                    format!(
                        "'{raw}' is not a licence Vigie knows: use one of {}",
                        ids.join(", ")
                    ),
                )
                .fr(format!(
                    "« {raw} » n'est pas une licence connue : choisissez parmi {}.",
                    ids.join(", ")
                ))
            })
    }
}

/// Everything needed to open a new collective, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTenant {
    /// URL name, see [`TenantSlug`].
    pub slug: TenantSlug,
    /// Display name, 1 to 120 characters.
    pub name: String,
    /// Free description shown on the collective's home page (up to 4000 characters).
    pub description: String,
    /// Default map view.
    pub map: MapView,
    /// The collective's own map tiles, if any.
    pub tiles: Option<TileSource>,
    /// Object types the collective enables (at least one).
    pub object_types: Vec<ObjectTypeKey>,
    /// E-mail domains whose verified users become Officials of this collective.
    pub official_domains: Vec<EmailDomain>,
}

impl NewTenant {
    /// Checks a collective's name and description and de-duplicates its lists.
    pub fn new(
        slug: TenantSlug,
        name: &str,
        description: &str,
        map: MapView,
        mut object_types: Vec<ObjectTypeKey>,
        mut official_domains: Vec<EmailDomain>,
    ) -> Result<Self, DomainError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(DomainError::invalid(
                "name",
                "a collective needs a name of 1 to 120 characters",
            )
            .fr("Un collectif a besoin d'un nom de 1 à 120 caractères."));
        }
        let description = description.trim();
        if description.chars().count() > 4000 {
            return Err(DomainError::invalid(
                "description",
                "the description is too long: keep it under 4000 characters",
            )
            .fr("Description trop longue : moins de 4000 caractères."));
        }
        object_types.sort();
        object_types.dedup();
        if object_types.is_empty() {
            return Err(DomainError::invalid(
                "object_types",
                "enable at least one object type, e.g. 'schools'",
            )
            .fr("Activez au moins un type de lieu, par exemple « schools »."));
        }
        official_domains.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        official_domains.dedup();
        Ok(Self {
            slug,
            name: name.to_owned(),
            description: description.to_owned(),
            map,
            tiles: None,
            object_types,
            official_domains,
        })
    }

    /// The collective with its own map tiles.
    pub fn with_tiles(mut self, tiles: Option<TileSource>) -> Self {
        self.tiles = tiles;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(TenantSlug::parse("ecoles-marseille").is_ok());
        assert!(TenantSlug::parse("cem13").is_ok());
        for bad in ["", "a", "Ecoles", "-x", "x-", "a--b", "é-cole", "a b"] {
            assert!(TenantSlug::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn domains_normalise() {
        assert_eq!(
            EmailDomain::parse("@Marseille.FR").map(|d| d.0),
            Ok("marseille.fr".into())
        );
        assert!(EmailDomain::parse("ac-aix-marseille.fr").is_ok());
        for bad in ["marseille", "a..fr", "-a.fr", "a b.fr", ""] {
            assert!(EmailDomain::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn tile_sources() {
        let t = TileSource::parse(
            " https://{s}.tile.example.org/{z}/{x}/{y}.png ",
            "© contributors",
        )
        .unwrap();
        assert_eq!(t.url(), "https://{s}.tile.example.org/{z}/{x}/{y}.png");
        assert_eq!(t.origin(), "https://*.tile.example.org");
        let plain = TileSource::parse("http://localhost:8080/{z}/{x}/{y}.png", "x").unwrap();
        assert_eq!(plain.origin(), "http://localhost:8080");
        for bad in [
            "ftp://x.org/{z}/{x}/{y}.png",
            "https://x.org/{z}/{x}.png",
            "https://x.org/{z}/{x}/{y}.png; script-src *",
            "https://x.org/{z}/{x}/{y}.png'",
            "https://x.org\"/{z}/{x}/{y}",
            "https:///{z}/{x}/{y}",
            "javascript:alert(1)//{z}{x}{y}",
        ] {
            assert!(TileSource::parse(bad, "x").is_err(), "{bad} accepted");
        }
        assert!(TileSource::parse("https://x.org/{z}/{x}/{y}.png", " ").is_err());
        assert!(TileSource::parse("https://x.org/{z}/{x}/{y}.png", &"a".repeat(301)).is_err());
    }

    #[test]
    fn map_ranges() {
        assert!(MapView::new(43.3, 5.4, 12).is_ok());
        assert!(MapView::new(91.0, 5.4, 12).is_err());
        assert!(MapView::new(43.0, 181.0, 12).is_err());
        assert!(MapView::new(43.0, 5.0, 20).is_err());
        assert!(MapView::new(43.0, 5.0, -1).is_err());
    }

    #[test]
    fn licences_read_their_ids_and_refuse_others() {
        for l in DataLicence::ALL {
            assert_eq!(DataLicence::parse(&l.id().to_uppercase()).unwrap(), l);
            assert!(l.url().starts_with("https://"));
        }
        assert_eq!(DataLicence::default(), DataLicence::Etalab2);
        let e = DataLicence::parse("mit").unwrap_err().to_string();
        assert!(e.contains("etalab-2.0") && e.contains("cc0-1.0"), "{e}");
    }

    #[test]
    fn new_tenant_needs_a_type_and_a_name() {
        let slug = TenantSlug::parse("abc").unwrap();
        let schools = ObjectTypeKey::parse("schools").unwrap();
        assert!(
            NewTenant::new(
                slug.clone(),
                " ",
                "",
                MapView::MARSEILLE,
                vec![schools.clone()],
                vec![]
            )
            .is_err()
        );
        assert!(NewTenant::new(slug.clone(), "A", "", MapView::MARSEILLE, vec![], vec![]).is_err());
        let t = NewTenant::new(
            slug,
            "A",
            "",
            MapView::MARSEILLE,
            vec![schools.clone(), schools],
            vec![],
        )
        .unwrap();
        assert_eq!(t.object_types.len(), 1);
    }
}
