//! Open data: the datasets anyone can download about a collective, their columns, and the
//! Frictionless **Table Schema** that describes each CSV (the format data.gouv.fr validates).
//!
//! What a column may hold is decided here, once: only public data. No dataset has a column for
//! an e-mail, a phone, an address of a client, a password hash, a token or a private contact;
//! requests whose content is hidden on the pages (awaiting moderation, set apart) keep their
//! identity and status and lose their words, as on the pages.

use serde_json::{Value, json};

/// A dataset of a collective.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    /// The places (objects) with their official identity and location.
    Objects,
    /// Every fact of every vintage, in every state, with its provenance and decision.
    Facts,
    /// Every request (hidden content left out), with its status.
    Requests,
    /// The collective's hash-chained journal of requests, whole (a type filter would break
    /// its verification); the details of requests awaiting moderation withheld, their hashes
    /// kept.
    Journal,
    /// The badges awarded, each level once: the account by its pseudonym only.
    Badges,
}

/// The type of a column, as Table Schema names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// An integer.
    Integer,
    /// A decimal number.
    Number,
    /// Text.
    String,
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339.
    DateTime,
    /// `true` / `false`.
    Boolean,
}

impl ColumnType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Integer => "integer",
            Self::Number => "number",
            Self::String => "string",
            Self::Date => "date",
            Self::DateTime => "datetime",
            Self::Boolean => "boolean",
        }
    }
}

/// One column of a dataset.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Its name in the header (and the JSON key).
    pub name: &'static str,
    /// Its type.
    pub kind: ColumnType,
    /// Whether every row has a value.
    pub required: bool,
    /// What it holds, in French.
    pub fr: &'static str,
    /// What it holds, in English.
    pub en: &'static str,
    /// The values it may take, when they are a closed list.
    pub values: &'static [&'static str],
}

const fn col(
    name: &'static str,
    kind: ColumnType,
    required: bool,
    fr: &'static str,
    en: &'static str,
) -> Column {
    Column {
        name,
        kind,
        required,
        fr,
        en,
        values: &[],
    }
}

const fn choice(
    name: &'static str,
    values: &'static [&'static str],
    fr: &'static str,
    en: &'static str,
) -> Column {
    Column {
        name,
        kind: ColumnType::String,
        required: true,
        fr,
        en,
        values,
    }
}

use ColumnType::{Boolean, Date, DateTime, Integer, Number, String as Text};

const OBJECTS: &[Column] = &[
    col(
        "id",
        Integer,
        true,
        "Numéro du lieu dans Vigie",
        "The place's number in Vigie",
    ),
    col(
        "type",
        Text,
        true,
        "Type de lieu (greffon)",
        "Type of place (plugin)",
    ),
    col(
        "identifier",
        Text,
        true,
        "Identifiant officiel (UAI pour une école)",
        "Official identifier (UAI for a school)",
    ),
    col("name", Text, true, "Nom officiel", "Official name"),
    col("street", Text, false, "Adresse", "Street address"),
    col("postcode", Text, false, "Code postal", "Postcode"),
    col("city", Text, false, "Commune", "City"),
    col(
        "insee_code",
        Text,
        false,
        "Code INSEE de la commune",
        "INSEE code of the city",
    ),
    col(
        "latitude",
        Number,
        false,
        "Latitude (WGS84)",
        "Latitude (WGS84)",
    ),
    col(
        "longitude",
        Number,
        false,
        "Longitude (WGS84)",
        "Longitude (WGS84)",
    ),
    choice(
        "status",
        &["open", "closed", "planned"],
        "État officiel",
        "Official status",
    ),
    col("opened_on", Date, false, "Date d'ouverture", "Opening date"),
    col(
        "closed_on",
        Date,
        false,
        "Date de fermeture",
        "Closing date",
    ),
    col(
        "possibly_closed_since",
        Date,
        false,
        "Absent du dernier référentiel depuis",
        "Missing from the latest referential since",
    ),
];

const FACTS: &[Column] = &[
    col("id", Integer, true, "Numéro du fait", "The fact's number"),
    col(
        "object_id",
        Integer,
        true,
        "Numéro du lieu",
        "The place's number",
    ),
    col(
        "object_identifier",
        Text,
        true,
        "Identifiant officiel du lieu",
        "The place's official identifier",
    ),
    col("type", Text, true, "Type de lieu", "Type of place"),
    col(
        "field",
        Text,
        true,
        "Information (clé du greffon)",
        "Field (the plugin's key)",
    ),
    col(
        "vintage",
        Text,
        true,
        "Millésime (année scolaire…)",
        "Vintage (school year…)",
    ),
    col("value", Text, true, "Valeur", "Value"),
    choice(
        "state",
        &["accepted", "pending", "refused"],
        "État : acceptée, en attente, refusée",
        "State: accepted, pending, refused",
    ),
    choice(
        "provenance",
        &["official_import", "garant", "citizen", "anonymous"],
        "Provenance",
        "Provenance",
    ),
    col("source", Text, false, "Source citée", "Source given"),
    col(
        "author",
        Text,
        false,
        "Nom public de l'auteur",
        "Author's public name",
    ),
    col(
        "decision_reason",
        Text,
        false,
        "Motif public de la décision",
        "Public reason of the decision",
    ),
    col(
        "decided_by",
        Text,
        false,
        "Nom public de qui a décidé",
        "Public name of who decided",
    ),
    col(
        "decided_at",
        DateTime,
        false,
        "Date de la décision",
        "When it was decided",
    ),
    col(
        "filed_at",
        DateTime,
        true,
        "Date de dépôt",
        "When it was filed",
    ),
];

const REQUESTS: &[Column] = &[
    col(
        "id",
        Integer,
        true,
        "Numéro de la demande",
        "The request's number",
    ),
    col(
        "object_id",
        Integer,
        true,
        "Numéro du lieu",
        "The place's number",
    ),
    col("type", Text, true, "Type de lieu", "Type of place"),
    col("object_name", Text, true, "Nom du lieu", "The place's name"),
    col(
        "kind",
        Text,
        true,
        "Type de demande (clé du greffon)",
        "Kind of request (the plugin's key)",
    ),
    col(
        "categories",
        Text,
        false,
        "Catégories, séparées par « | »",
        "Categories, separated by '|'",
    ),
    col(
        "title",
        Text,
        false,
        "Titre public (vide si le contenu est masqué)",
        "Public title (empty when the content is hidden)",
    ),
    col(
        "description",
        Text,
        false,
        "Description publique (vide si masquée)",
        "Public description (empty when hidden)",
    ),
    col(
        "content_hidden",
        Boolean,
        true,
        "Contenu masqué : en attente de modération ou mis à l'écart",
        "Content hidden: awaiting moderation or set apart",
    ),
    choice(
        "status",
        &[
            "new",
            "published",
            "refused",
            "set_apart",
            "acknowledged",
            "planned",
            "in_progress",
            "solved",
            "not_solved",
            "closed",
        ],
        "Statut",
        "Status",
    ),
    choice(
        "urgency",
        &["low", "normal", "high", "maximal"],
        "Urgence",
        "Urgency",
    ),
    col(
        "moderation_reason",
        Text,
        false,
        "Motif public d'un refus ou d'une mise à l'écart",
        "Public reason of a refusal or of setting apart",
    ),
    col(
        "merged_into",
        Integer,
        false,
        "Fusionnée dans la demande",
        "Merged into the request",
    ),
    col(
        "supporters",
        Integer,
        true,
        "Soutiens (« moi aussi »)",
        "Supporters ('me too')",
    ),
    col(
        "filed_at",
        DateTime,
        true,
        "Date de dépôt",
        "When it was filed",
    ),
    col(
        "updated_at",
        DateTime,
        true,
        "Dernier changement",
        "Last change",
    ),
];

const JOURNAL: &[Column] = &[
    col(
        "seq",
        Integer,
        true,
        "Position dans la chaîne",
        "Position in the chain",
    ),
    col(
        "request_id",
        Integer,
        true,
        "Numéro de la demande",
        "The request's number",
    ),
    col("action", Text, true, "Ce qui s'est passé", "What happened"),
    col(
        "details",
        Text,
        false,
        "Détails publics (JSON canonique, vide si retenus)",
        "Public details (canonical JSON, empty when withheld)",
    ),
    col(
        "details_withheld",
        Boolean,
        true,
        "Détails retenus : demande en attente de modération",
        "Details withheld: request awaiting moderation",
    ),
    col("at", DateTime, true, "Date", "When"),
    col(
        "prev_hash",
        Text,
        true,
        "Empreinte SHA-256 de l'entrée précédente",
        "SHA-256 of the previous entry",
    ),
    col(
        "hash",
        Text,
        true,
        "Empreinte SHA-256 de cette entrée",
        "SHA-256 of this entry",
    ),
];

const BADGES: &[Column] = &[
    col(
        "id",
        Integer,
        true,
        "Numéro de l'attribution",
        "The award's number",
    ),
    col("badge", Text, true, "Clé du badge", "The badge's key"),
    col("badge_name", Text, true, "Nom du badge", "The badge's name"),
    col("level", Integer, true, "Niveau atteint", "Level reached"),
    col(
        "account",
        Text,
        true,
        "Le compte, par son pseudonyme public (account:…)",
        "The account, by its public pseudonym (account:…)",
    ),
    col(
        "score",
        Integer,
        false,
        "Score de la règle quand le niveau fut atteint",
        "The rule's score when the level was reached",
    ),
    col(
        "rule_version",
        Integer,
        false,
        "Version de la règle qui l'a attribué",
        "Version of the rule that awarded it",
    ),
    col(
        "granted_by",
        Text,
        false,
        "Garant qui l'a attribué à la main",
        "Garant who granted it by hand",
    ),
    col(
        "reason",
        Text,
        false,
        "Raison publique d'une attribution à la main",
        "Public reason of a grant by hand",
    ),
    col("at", DateTime, true, "Date", "When"),
];

impl Dataset {
    /// Every dataset.
    pub const ALL: [Dataset; 5] = [
        Dataset::Objects,
        Dataset::Facts,
        Dataset::Requests,
        Dataset::Journal,
        Dataset::Badges,
    ];

    /// Its name in URLs and files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Objects => "objects",
            Self::Facts => "facts",
            Self::Requests => "requests",
            Self::Journal => "journal",
            Self::Badges => "badges",
        }
    }

    /// By its name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == name)
    }

    /// Its title, in French then English.
    pub fn title(self) -> (&'static str, &'static str) {
        match self {
            Self::Objects => ("Lieux", "Places"),
            Self::Facts => (
                "Faits, tous millésimes et tous états",
                "Facts, every vintage and state",
            ),
            Self::Requests => ("Demandes", "Requests"),
            Self::Journal => ("Journal des demandes", "Journal of requests"),
            Self::Badges => ("Badges attribués", "Badges awarded"),
        }
    }

    /// Its columns, in order.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Self::Objects => OBJECTS,
            Self::Facts => FACTS,
            Self::Requests => REQUESTS,
            Self::Journal => JOURNAL,
            Self::Badges => BADGES,
        }
    }

    /// Whether its rows have a position (a GeoJSON export).
    pub fn located(self) -> bool {
        self == Self::Objects
    }

    /// Its Frictionless Table Schema.
    pub fn table_schema(self) -> Value {
        let fields: Vec<Value> = self
            .columns()
            .iter()
            .map(|c| {
                let mut f = json!({
                    "name": c.name,
                    "type": c.kind.as_str(),
                    "title": c.fr,
                    "description": c.en,
                });
                let mut constraints = serde_json::Map::new();
                if c.required {
                    constraints.insert("required".into(), Value::Bool(true));
                }
                if !c.values.is_empty() {
                    constraints.insert("enum".into(), json!(c.values));
                }
                if !constraints.is_empty() {
                    f["constraints"] = Value::Object(constraints);
                }
                f
            })
            .collect();
        json!({
            "fields": fields,
            "primaryKey": self.columns()[0].name,
            "missingValues": [""],
        })
    }
}

/// Whether a column name could hold personal data: the guard the export tests run over every
/// dataset (and a reviewer's reminder).
pub fn looks_personal(column: &str) -> bool {
    [
        "email",
        "phone",
        "password",
        "token",
        "ip",
        "address_hash",
        "contact",
    ]
    .iter()
    .any(|p| column.split('_').any(|w| w == *p) || column.contains("mail"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_dataset_has_a_personal_column() {
        for d in Dataset::ALL {
            for c in d.columns() {
                assert!(!looks_personal(c.name), "{}.{}", d.as_str(), c.name);
            }
            assert!(d.columns()[0].required);
            assert_eq!(Dataset::parse(d.as_str()), Some(d));
        }
        assert!(looks_personal("contact_email") && looks_personal("phone"));
    }

    #[test]
    fn the_table_schema_names_every_column_with_its_type() {
        let s = Dataset::Facts.table_schema();
        let fields = s["fields"].as_array().unwrap();
        assert_eq!(fields.len(), Dataset::Facts.columns().len());
        assert_eq!(
            fields[0],
            json!({"name": "id", "type": "integer", "title": "Numéro du fait",
            "description": "The fact's number", "constraints": {"required": true}})
        );
        assert_eq!(
            fields[7]["constraints"]["enum"],
            json!(["accepted", "pending", "refused"])
        );
    }
}
