//! Vigie object type **libraries** (`bibliothèques`): public libraries,
//! identified by the Culture ministry's library code (`LI10215`) or, for
//! those it does not list, by their OpenStreetMap element (`osm:node/123`);
//! vintaged by calendar year.

use vigie_plugin_sdk::prelude::*;

/// The libraries object type.
pub struct Libraries;

mod keys {
    pub const SURFACE: &str = "surface";
    pub const WEEKLY_HOURS: &str = "weekly-opening-hours";
    pub const SEATS: &str = "seats";
    pub const BOOKS: &str = "books";
    pub const VISITS: &str = "visits";
    pub const STAFF_FTE: &str = "staff-fte";
    pub const VOLUNTEERS: &str = "volunteers";
    pub const SUNDAY: &str = "sunday-opening";
    pub const WIFI: &str = "wifi";
    pub const FREE: &str = "free-services";
    pub const POPULATION: &str = "population-served";
    pub const ADDRESS_TYPE: &str = "address-type";
    pub const OPENING_HOURS: &str = "opening-hours";
    pub const DOCUMENTS: &str = "documents";
    pub const CHILDREN_DOCUMENTS: &str = "children-documents";
    pub const CHILDREN_SECTION: &str = "children-section";
    pub const READING_WORKSHOPS: &str = "reading-workshops";
    pub const WORKSHOPS_PER_MONTH: &str = "workshops-per-month";
    pub const LOANS: &str = "loans";
    pub const PUBLIC_COMPUTERS: &str = "public-computers";
    pub const ACCESSIBLE: &str = "accessible";
    pub const WEBSITE: &str = "website";
}
use keys::*;

const CULTURE: &str = "culture-libraries";
const OSM: &str = "osm-libraries";

mod culture {
    pub const CODE: &[&str] = &["code_bib", "code_bibliotheque"];
    pub const NAME: &[&str] = &["nom_de_l_etablissement", "nom_etablissement"];
    pub const STREET: &[&str] = &["adresse"];
    pub const POSTCODE: &[&str] = &["cp", "code_postal"];
    pub const CITY: &[&str] = &["ville", "commune"];
    pub const INSEE: &[&str] = &["code_insee", "code_commune", "insee"];
    pub const LAT: &[&str] = &["latitude", "lat"];
    pub const LON: &[&str] = &["longitude", "lon"];
    /// `lat, lon` in one column (Opendatasoft geo point).
    pub const POINT: &[&str] = &[
        "geo_point_2d",
        "coordonnees_gps",
        "geolocalisation",
        "position",
    ];
    pub const SURFACE: &[&str] = &["surface"];
    pub const HOURS: &[&str] = &["amplitude_horaire"];
    pub const SEATS: &[&str] = &["nombre_de_places"];
    pub const BOOKS: &[&str] = &["nombre_de_livres"];
    pub const VISITS: &[&str] = &["nombre_d_entrees"];
    pub const STAFF: &[&str] = &["etp_salaries"];
    pub const VOLUNTEERS: &[&str] = &["nombre_de_benevoles"];
    pub const SUNDAY: &[&str] = &["ouverture_le_dimanche"];
    pub const WIFI: &[&str] = &["connexion_wi_fi", "wifi"];
    pub const FREE: &[&str] = &["gratuite_des_services"];
    pub const POPULATION: &[&str] = &["population_commune", "population"];
    pub const ADDRESS_TYPE: &[&str] = &["type_adresse", "type_d_adresse"];
}

/// The Culture ministry's library code: two letters then digits (`LI10215`
/// for a library, `BD101` for a departmental library site).
fn normalize_library_code(raw: &str) -> Option<String> {
    let code: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    let (letters, digits) = code.split_at(code.find(|c: char| c.is_ascii_digit())?);
    let ok = letters.len() == 2
        && letters.bytes().all(|b| b.is_ascii_uppercase())
        && (1..=8).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(code)
}

fn looks_like_osm(raw: &str) -> bool {
    let lower = raw.trim().to_ascii_lowercase();
    lower.starts_with("osm:")
        || lower.contains("openstreetmap.org/")
        || ["node", "way", "relation"]
            .iter()
            .any(|k| lower.starts_with(k))
}

impl ObjectType for Libraries {
    fn manifest() -> Manifest {
        manifest()
    }

    fn normalize_identifier(raw: &str) -> Result<String, Diagnostic> {
        if looks_like_osm(raw) {
            return identifiers::osm::normalize(raw);
        }
        normalize_library_code(raw).ok_or_else(|| {
            let shown = raw.trim();
            Diagnostic::error(
                "library-code",
                format!(
                    "«\u{a0}{shown}\u{a0}» n'est ni un code bibliothèque du ministère de la \
                     Culture (deux lettres puis des chiffres, par exemple LI10215) ni un \
                     identifiant OpenStreetMap (par exemple osm:node/123456)."
                ),
                format!(
                    "“{shown}” is neither a Culture ministry library code (two letters then \
                     digits, e.g. LI10215) nor an OpenStreetMap identifier (e.g. \
                     osm:node/123456)."
                ),
            )
        })
    }

    fn check_record(r: &Record<'_>) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        if let (Some(children), Some(all)) = (r.integer(CHILDREN_DOCUMENTS), r.integer(DOCUMENTS))
            && children > all
        {
            out.push(
                Diagnostic::error(
                    "children-documents-exceed-documents",
                    format!(
                        "{children} documents jeunesse pour {all} documents en tout\u{a0}: le \
                         fonds jeunesse fait partie du total."
                    ),
                    format!(
                        "{children} children's documents out of {all} documents in all: the \
                         children's collection is part of the total."
                    ),
                )
                .on(CHILDREN_DOCUMENTS),
            );
        }
        if let (Some(books), Some(all)) = (r.integer(BOOKS), r.integer(DOCUMENTS))
            && books > all
        {
            out.push(
                Diagnostic::warning(
                    "books-exceed-documents",
                    format!("{books} livres mais seulement {all} documents en tout."),
                    format!("{books} books but only {all} documents in all."),
                )
                .on(DOCUMENTS),
            );
        }
        if r.boolean(READING_WORKSHOPS) == Some(false)
            && r.integer(WORKSHOPS_PER_MONTH).is_some_and(|n| n > 0)
        {
            out.push(
                Diagnostic::error(
                    "workshops-without-reading-workshops",
                    "Des ateliers par mois sont indiqués, mais «\u{a0}Ateliers de lecture\u{a0}» \
                     est à non.",
                    "Workshops per month are given, but “Reading workshops” is no.",
                )
                .on(WORKSHOPS_PER_MONTH),
            );
        }
        if r.boolean(CHILDREN_SECTION) == Some(false)
            && r.integer(CHILDREN_DOCUMENTS).is_some_and(|n| n > 0)
        {
            out.push(
                Diagnostic::warning(
                    "children-documents-without-section",
                    "Un fonds jeunesse est indiqué sans espace jeunesse.",
                    "A children's collection is given without a children's section.",
                )
                .on(CHILDREN_SECTION),
            );
        }
        out
    }

    fn import_row(importer: &str, row: &Row) -> Result<ImportedObject, Diagnostic> {
        match importer {
            CULTURE => import_culture(row),
            _ => import_osm(row),
        }
    }
}

fn manifest() -> Manifest {
    Manifest::new(
        env!("CARGO_PKG_VERSION"),
        Identity::new(
            "libraries",
            fr_en("Bibliothèque", "Library"),
            fr_en("Bibliothèques", "Libraries"),
            fr_en(
                "Bibliothèques et médiathèques publiques\u{a0}: collections, horaires, \
                 services et ateliers, suivis année après année.",
                "Public libraries and media libraries: collections, opening hours, services \
                 and workshops, followed year after year.",
            ),
        )
        .icon_name("library")
        .color("#6a3d9a"),
        IdentifierScheme::new(
            "library-code",
            fr_en(
                "Code bibliothèque (ministère de la Culture) ou identifiant OpenStreetMap",
                "Library code (Culture ministry) or OpenStreetMap identifier",
            ),
            fr_en(
                "Le code de la liste des bibliothèques publiques du ministère de la Culture \
                 (deux lettres puis des chiffres, par exemple LI10215)\u{a0}; à défaut, \
                 l'élément OpenStreetMap (osm:node/…, osm:way/…).",
                "The code of the Culture ministry's list of public libraries (two letters \
                 then digits, e.g. LI10215); otherwise the OpenStreetMap element \
                 (osm:node/…, osm:way/…).",
            ),
            &["LI10215", "osm:node/2406297515"],
        ),
        VintageScheme::calendar_year(),
    )
    .group("general", "Informations générales", "General information")
    .group("collections", "Collections", "Collections")
    .group(
        "services",
        "Services et horaires",
        "Services and opening hours",
    )
    .group("staff", "Personnel", "Staff")
    .field(
        Field::text(ADDRESS_TYPE, "Type de lieu", "Kind of site")
            .max_length(100)
            .official()
            .group("general"),
    )
    .field(
        Field::integer(POPULATION, "Population desservie", "Population served")
            .help(
                "Habitants de la commune ou du territoire desservi.",
                "Inhabitants of the commune or area served.",
            )
            .unit("habitants", "inhabitants")
            .range(0.0, 20_000_000.0)
            .official()
            .group("general"),
    )
    .field(
        Field::decimal(SURFACE, "Surface", "Floor area")
            .unit("m²", "m²")
            .range(0.0, 200_000.0)
            .official()
            .group("general"),
    )
    .field(
        Field::integer(SEATS, "Places assises", "Seats")
            .unit("places", "seats")
            .range(0.0, 10_000.0)
            .official()
            .group("services"),
    )
    .field(
        Field::decimal(
            WEEKLY_HOURS,
            "Heures d'ouverture par semaine",
            "Opening hours per week",
        )
        .unit("h", "h")
        .range(0.0, 168.0)
        .official()
        .group("services"),
    )
    .field(
        Field::boolean(SUNDAY, "Ouverte le dimanche", "Open on Sundays")
            .official()
            .group("services"),
    )
    .field(
        Field::boolean(WIFI, "Wi-Fi public", "Public Wi-Fi")
            .official()
            .group("services"),
    )
    .field(
        Field::boolean(FREE, "Services gratuits", "Free services")
            .official()
            .group("services"),
    )
    .field(
        Field::integer(BOOKS, "Livres", "Books")
            .unit("livres", "books")
            .range(0.0, 50_000_000.0)
            .official()
            .group("collections"),
    )
    .field(
        Field::integer(VISITS, "Entrées par an", "Visits per year")
            .unit("entrées", "visits")
            .range(0.0, 50_000_000.0)
            .official()
            .group("services"),
    )
    .field(
        Field::decimal(STAFF_FTE, "Salariés (ETP)", "Paid staff (FTE)")
            .unit("ETP", "FTE")
            .range(0.0, 5000.0)
            .official()
            .group("staff"),
    )
    .field(
        Field::integer(VOLUNTEERS, "Bénévoles", "Volunteers")
            .range(0.0, 5000.0)
            .official()
            .group("staff"),
    )
    .field(
        Field::text(OPENING_HOURS, "Horaires", "Opening hours")
            .help(
                "Au format OpenStreetMap, par exemple Tu-Sa 10:00-18:00.",
                "In OpenStreetMap syntax, e.g. Tu-Sa 10:00-18:00.",
            )
            .max_length(255)
            .official()
            .group("services"),
    )
    .field(
        Field::integer(DOCUMENTS, "Documents", "Documents")
            .help(
                "Tous supports\u{a0}: livres, revues, disques, films, jeux…",
                "All media: books, magazines, records, films, games…",
            )
            .unit("documents", "documents")
            .range(0.0, 50_000_000.0)
            .group("collections"),
    )
    .field(
        Field::integer(
            CHILDREN_DOCUMENTS,
            "Documents jeunesse",
            "Children's documents",
        )
        .unit("documents", "documents")
        .range(0.0, 50_000_000.0)
        .group("collections"),
    )
    .field(
        Field::boolean(CHILDREN_SECTION, "Espace jeunesse", "Children's section").group("services"),
    )
    .field(
        Field::boolean(
            READING_WORKSHOPS,
            "Ateliers de lecture",
            "Reading workshops",
        )
        .group("services"),
    )
    .field(
        Field::integer(
            WORKSHOPS_PER_MONTH,
            "Ateliers par mois",
            "Workshops per month",
        )
        .range(0.0, 500.0)
        .group("services"),
    )
    .field(
        Field::integer(LOANS, "Prêts par an", "Loans per year")
            .unit("prêts", "loans")
            .range(0.0, 100_000_000.0)
            .group("collections"),
    )
    .field(
        Field::integer(PUBLIC_COMPUTERS, "Ordinateurs publics", "Public computers")
            .range(0.0, 1000.0)
            .group("services"),
    )
    .field(
        Field::boolean(
            ACCESSIBLE,
            "Accessible aux personnes à mobilité réduite",
            "Accessible to people with reduced mobility",
        )
        .group("services"),
    )
    .field(
        Field::url(WEBSITE, "Site web", "Website")
            .max_length(500)
            .group("general"),
    )
    .indicator(
        Indicator::ratio(
            "documents-per-inhabitant",
            "Documents par habitant",
            "Documents per inhabitant",
            &[DOCUMENTS],
            &[POPULATION],
        )
        .decimals(2),
    )
    .indicator(
        Indicator::ratio(
            "books-per-inhabitant",
            "Livres par habitant",
            "Books per inhabitant",
            &[BOOKS],
            &[POPULATION],
        )
        .decimals(2),
    )
    .indicator(
        Indicator::ratio(
            "surface-per-1000-inhabitants",
            "Surface pour 1 000 habitants",
            "Floor area per 1,000 inhabitants",
            &[SURFACE],
            &[POPULATION],
        )
        .scale(1000.0)
        .unit("m²", "m²")
        .decimals(0)
        .description(
            "Repère courant\u{a0}: 70 m² pour 1 000 habitants.",
            "Usual benchmark: 70 m² per 1,000 inhabitants.",
        ),
    )
    .indicator(
        Indicator::ratio(
            "loans-per-document",
            "Prêts par document",
            "Loans per document",
            &[LOANS],
            &[DOCUMENTS],
        )
        .decimals(2)
        .description(
            "Taux de rotation des collections.",
            "Turnover of the collections.",
        ),
    )
    .indicator(
        Indicator::ratio(
            "inhabitants-per-staff",
            "Habitants par salarié (ETP)",
            "Inhabitants per paid staff (FTE)",
            &[POPULATION],
            &[STAFF_FTE],
        )
        .decimals(0),
    )
    .category_set(CategorySet::new(
        "library",
        "Bibliothèque",
        "Library",
        [
            ("building", "Bâtiment", "Building"),
            ("collections", "Collections", "Collections"),
            ("opening-hours", "Horaires", "Opening hours"),
            ("welcome", "Accueil", "Welcome"),
            ("accessibility", "Accessibilité", "Accessibility"),
            ("digital", "Numérique", "Digital services"),
            ("events", "Animations et ateliers", "Events and workshops"),
            ("cleaning", "Propreté", "Cleanliness"),
            ("safety", "Sécurité", "Safety"),
        ]
        .iter()
        .map(|(k, fr, en)| Category::new(k, fr, en))
        .collect(),
    ))
    .category_set(presets::sst_categories())
    .request_kind(presets::intervention().category_sets(&["library", presets::SST]))
    .request_kind(presets::improvement().category_sets(&["library", presets::SST]))
    .request_kind(presets::report().category_sets(&["library", presets::SST]))
    .request_kind(presets::sst_register_entry().category_sets(&[presets::SST, "library"]))
    .request_kind(presets::dgi_notice().category_sets(&[presets::SST]))
    .layer(
        MapLayer::new(
            "documents-per-inhabitant",
            "Documents par habitant",
            "Documents per inhabitant",
            LayerStyle::thresholds(
                "documents-per-inhabitant",
                vec![
                    ThresholdStep::below(1.0, "#d73027", "Moins de 1", "Less than 1"),
                    ThresholdStep::below(2.0, "#fc8d59", "1 à 2", "1 to 2"),
                    ThresholdStep::below(3.0, "#91cf60", "2 à 3", "2 to 3"),
                    ThresholdStep::rest("#1a9850", "3 et plus", "3 or more"),
                ],
                "#bdbdbd",
            ),
        )
        .visible_by_default(),
    )
    .layer(MapLayer::new(
        "weekly-opening-hours",
        "Heures d'ouverture par semaine",
        "Opening hours per week",
        LayerStyle::thresholds(
            WEEKLY_HOURS,
            vec![
                ThresholdStep::below(15.0, "#d73027", "Moins de 15 h", "Under 15 h"),
                ThresholdStep::below(25.0, "#fc8d59", "15 à 25 h", "15 to 25 h"),
                ThresholdStep::below(35.0, "#91cf60", "25 à 35 h", "25 to 35 h"),
                ThresholdStep::rest("#1a9850", "35 h et plus", "35 h or more"),
            ],
            "#bdbdbd",
        ),
    ))
    .layer(MapLayer::new(
        "sunday-opening",
        "Ouverture le dimanche",
        "Sunday opening",
        LayerStyle::categories(
            SUNDAY,
            vec![
                CategoryCase::new(
                    Value::Boolean(true),
                    "#1a9850",
                    "Ouverte le dimanche",
                    "Open on Sundays",
                ),
                CategoryCase::new(
                    Value::Boolean(false),
                    "#969696",
                    "Fermée le dimanche",
                    "Closed on Sundays",
                ),
            ],
            "#bdbdbd",
        ),
    ))
    .importer(
        Importer::new(
            CULTURE,
            "Bibliothèques publiques (ministère de la Culture)",
            "Public libraries (Culture ministry)",
        )
        .description(
            "Liste des bibliothèques publiques et de leurs données d'activité publiée par le \
             ministère de la Culture.",
            "List of public libraries and their activity data published by the Culture \
             ministry.",
        )
        .source_url(
            "https://data.culture.gouv.fr/explore/dataset/adresses-des-bibliotheques-publiques/",
        )
        .attribution("Ministère de la Culture — Licence Ouverte / Open Licence 2.0 (Etalab)")
        .column(ImporterColumn::required(
            culture::CODE,
            "Code bibliothèque",
            "Library code",
        ))
        .column(ImporterColumn::required(
            culture::NAME,
            "Nom de l'établissement",
            "Library name",
        ))
        .column(ImporterColumn::optional(
            culture::STREET,
            "Adresse",
            "Street address",
        ))
        .column(ImporterColumn::optional(
            culture::POSTCODE,
            "Code postal",
            "Postcode",
        ))
        .column(ImporterColumn::optional(culture::CITY, "Ville", "City"))
        .column(ImporterColumn::optional(
            culture::INSEE,
            "Code INSEE",
            "INSEE code",
        ))
        .column(ImporterColumn::optional(
            culture::LAT,
            "Latitude",
            "Latitude",
        ))
        .column(ImporterColumn::optional(
            culture::LON,
            "Longitude",
            "Longitude",
        ))
        .column(ImporterColumn::optional(
            culture::POINT,
            "Position «\u{a0}lat, lon\u{a0}»",
            "Position “lat, lon”",
        ))
        .column(ImporterColumn::optional(
            culture::SURFACE,
            "Surface",
            "Floor area",
        ))
        .column(ImporterColumn::optional(
            culture::HOURS,
            "Amplitude horaire hebdomadaire",
            "Weekly opening hours",
        ))
        .column(ImporterColumn::optional(
            culture::SEATS,
            "Nombre de places",
            "Seats",
        ))
        .column(ImporterColumn::optional(
            culture::BOOKS,
            "Nombre de livres",
            "Books",
        ))
        .column(ImporterColumn::optional(
            culture::VISITS,
            "Nombre d'entrées",
            "Visits",
        ))
        .column(ImporterColumn::optional(
            culture::STAFF,
            "Salariés (ETP)",
            "Paid staff (FTE)",
        ))
        .column(ImporterColumn::optional(
            culture::VOLUNTEERS,
            "Nombre de bénévoles",
            "Volunteers",
        ))
        .column(ImporterColumn::optional(
            culture::SUNDAY,
            "Ouverture le dimanche",
            "Sunday opening",
        ))
        .column(ImporterColumn::optional(
            culture::WIFI,
            "Connexion Wi-Fi",
            "Wi-Fi",
        ))
        .column(ImporterColumn::optional(
            culture::FREE,
            "Gratuité des services",
            "Free services",
        ))
        .column(ImporterColumn::optional(
            culture::POPULATION,
            "Population de la commune",
            "Population of the commune",
        ))
        .column(ImporterColumn::optional(
            culture::ADDRESS_TYPE,
            "Type d'adresse",
            "Kind of site",
        )),
    )
    .importer(
        Importer::new(
            OSM,
            "Bibliothèques d'OpenStreetMap",
            "Libraries from OpenStreetMap",
        )
        .description(
            "Éléments amenity=library exportés d'OpenStreetMap (Overpass en CSV ou \
                 GeoJSON\u{a0}: @id, @lat, @lon et les attributs).",
            "amenity=library elements exported from OpenStreetMap (Overpass as CSV or \
                 GeoJSON: @id, @lat, @lon and the tags).",
        )
        .source_url("https://www.openstreetmap.org/")
        .attribution("© les contributeurs d'OpenStreetMap / OpenStreetMap contributors — ODbL 1.0")
        .column(ImporterColumn::required(
            identifiers::osm::ID_COLUMNS,
            "Identifiant OSM",
            "OSM identifier",
        ))
        .column(ImporterColumn::required(
            &["amenity"],
            "Attribut amenity",
            "amenity tag",
        ))
        .column(ImporterColumn::optional(&["name"], "Nom", "Name"))
        .column(ImporterColumn::optional(
            identifiers::osm::LAT_COLUMNS,
            "Latitude",
            "Latitude",
        ))
        .column(ImporterColumn::optional(
            identifiers::osm::LON_COLUMNS,
            "Longitude",
            "Longitude",
        ))
        .column(ImporterColumn::optional(
            &["opening_hours"],
            "Horaires",
            "Opening hours",
        ))
        .column(ImporterColumn::optional(
            &["wheelchair"],
            "Accès fauteuil",
            "Wheelchair access",
        ))
        .column(ImporterColumn::optional(
            &["website", "contact:website"],
            "Site web",
            "Website",
        )),
    )
}

fn import_culture(row: &Row) -> Result<ImportedObject, Diagnostic> {
    let code = row.require(culture::CODE)?;
    let code = normalize_library_code(code).ok_or_else(|| {
        Libraries::normalize_identifier(code)
            .err()
            .unwrap_or_else(|| Diagnostic::error("library-code", "Code invalide.", "Invalid code."))
            .on(culture::CODE[0])
    })?;
    let mut object = ImportedObject::new(&code).name(row.require(culture::NAME)?);
    if let (Some(postcode), Some(city)) = (row.get(culture::POSTCODE), row.get(culture::CITY)) {
        let mut address = Address::new(row.get(culture::STREET).unwrap_or(""), postcode, city);
        if let Some(insee) = row.get(culture::INSEE) {
            address = address.insee_code(insee);
        }
        object = object.address(address);
    }
    let point = match (row.decimal(culture::LAT)?, row.decimal(culture::LON)?) {
        (Some(lat), Some(lon)) => Some((lat, lon)),
        _ => row.get(culture::POINT).and_then(|p| {
            let (lat, lon) = p.split_once(',')?;
            Some((
                vigie_plugin_sdk::parse_decimal(lat)?,
                vigie_plugin_sdk::parse_decimal(lon)?,
            ))
        }),
    };
    if let Some((lat, lon)) = point {
        object = object.location(lat, lon);
    }
    object = object
        .fact_opt(SURFACE, row.decimal(culture::SURFACE)?.map(Value::Decimal))
        .fact_opt(
            WEEKLY_HOURS,
            row.decimal(culture::HOURS)?.map(Value::Decimal),
        )
        .fact_opt(SEATS, row.integer(culture::SEATS)?.map(Value::Integer))
        .fact_opt(BOOKS, row.integer(culture::BOOKS)?.map(Value::Integer))
        .fact_opt(VISITS, row.integer(culture::VISITS)?.map(Value::Integer))
        .fact_opt(STAFF_FTE, row.decimal(culture::STAFF)?.map(Value::Decimal))
        .fact_opt(
            VOLUNTEERS,
            row.integer(culture::VOLUNTEERS)?.map(Value::Integer),
        )
        .fact_opt(SUNDAY, row.flag(culture::SUNDAY)?.map(Value::Boolean))
        .fact_opt(WIFI, row.flag(culture::WIFI)?.map(Value::Boolean))
        .fact_opt(FREE, row.flag(culture::FREE)?.map(Value::Boolean))
        .fact_opt(
            POPULATION,
            row.integer(culture::POPULATION)?.map(Value::Integer),
        )
        .fact_opt(
            ADDRESS_TYPE,
            row.get(culture::ADDRESS_TYPE).map(Value::text),
        );
    Ok(object)
}

fn import_osm(row: &Row) -> Result<ImportedObject, Diagnostic> {
    if let Some(amenity) = row.get(&["amenity"])
        && amenity != "library"
    {
        return Err(Diagnostic::error(
            "not-a-library",
            format!("Élément ignoré\u{a0}: amenity={amenity}, pas une bibliothèque."),
            format!("Element skipped: amenity={amenity}, not a library."),
        )
        .on("amenity"));
    }
    let id = identifiers::osm::id_from_row(row)?;
    let mut object = ImportedObject::new(&id);
    if let Some(name) = row.get(&["name"]) {
        object = object.name(name);
    }
    if let Some((lat, lon)) = identifiers::osm::location_from_row(row)? {
        object = object.location(lat, lon);
    }
    if let Some(address) = identifiers::osm::address_from_row(row) {
        object = object.address(address);
    }
    if let Some(hours) = row.get(&["opening_hours"]) {
        object = object.fact(OPENING_HOURS, Value::text(hours));
    }
    Ok(object)
}

vigie_plugin_sdk::export_plugin!(Libraries);

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_plugin_sdk::testing::{self, Harness};
    use vigie_plugin_sdk::{Cell, FieldValue};

    fn cells(pairs: &[(&str, &str)]) -> Vec<Cell> {
        pairs
            .iter()
            .map(|(c, t)| Cell {
                column: c.to_string(),
                text: t.to_string(),
            })
            .collect()
    }

    #[test]
    fn the_manifest_is_valid() {
        assert_eq!(
            testing::conformance_problems::<Libraries>(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn identifiers_are_library_codes_or_osm_elements() {
        let h = Harness::<Libraries>::new();
        assert_eq!(
            h.normalize_identifier(" li10215 ").as_deref(),
            Ok("LI10215")
        );
        assert_eq!(h.normalize_identifier("BD101").as_deref(), Ok("BD101"));
        assert_eq!(
            h.normalize_identifier("node/42").as_deref(),
            Ok("osm:node/42")
        );
        assert_eq!(
            h.normalize_identifier("osm:way/7").as_deref(),
            Ok("osm:way/7")
        );
        let err = h.normalize_identifier("Alcazar").unwrap_err();
        assert_eq!(err.code, "library-code");
        assert!(err.message.fr.contains("LI10215") && err.message.en.contains("osm:node/"));
        assert_eq!(
            h.normalize_identifier("osm:way/x").unwrap_err().code,
            "osm-id"
        );
        assert_eq!(
            h.normalize_identifier("L1234").unwrap_err().code,
            "library-code"
        );
    }

    /// Header of the Culture ministry's file as published (labels), with one
    /// made-up row.
    const CULTURE_HEADER: &[&str] = &[
        "Code_bib",
        "nom_de_l_etablissement",
        "Adresse",
        "code_region",
        "Région",
        "code_departement",
        "Département",
        "CP",
        "Ville",
        "Population commune",
        "type_adresse",
        "site_internet",
        "nombre_de_places",
        "ouverture_le_dimanche",
        "connexion_wi_fi",
        "nombre_de_livres",
        "nombre_d_entrees",
        "etp_salaries",
        "Nombre de bénévoles",
        "gratuite_des_services",
        "surface",
        "amplitude_horaire",
    ];

    #[test]
    fn a_culture_ministry_row_becomes_a_library_with_official_facts() {
        let h = Harness::<Libraries>::new();
        let header: Vec<String> = CULTURE_HEADER.iter().map(|s| s.to_string()).collect();
        assert_eq!(h.detect_importer(&header), Some(CULTURE));
        let row = [
            "li99999",
            "Médiathèque de test",
            "1 place de l'Essai",
            "93",
            "Provence-Alpes-Côte d'Azur",
            "13",
            "Bouches-du-Rhône",
            "13001",
            "Marseille",
            "873076",
            "Bâtiment ouvert",
            "https://example.org",
            "120",
            "Non",
            "Oui",
            "52000.0",
            "81450",
            "12.5",
            "0",
            "Oui",
            "1450,5",
            "38",
        ];
        let pairs: Vec<(&str, &str)> = CULTURE_HEADER.iter().copied().zip(row).collect();
        let object = h.import_row(CULTURE, cells(&pairs)).expect("import");
        assert_eq!(object.identifier, "LI99999");
        assert_eq!(object.official_name.as_deref(), Some("Médiathèque de test"));
        assert_eq!(
            object.address.as_ref().map(|a| a.city.as_str()),
            Some("Marseille")
        );
        assert!(object.warnings.is_empty(), "{:?}", object.warnings);
        assert_eq!(object.find_fact(BOOKS), Some(&Value::Integer(52000)));
        assert_eq!(object.find_fact(SURFACE), Some(&Value::Decimal(1450.5)));
        assert_eq!(object.find_fact(SUNDAY), Some(&Value::Boolean(false)));
        assert_eq!(object.find_fact(WIFI), Some(&Value::Boolean(true)));
        assert_eq!(object.find_fact(POPULATION), Some(&Value::Integer(873076)));
        assert_eq!(object.find_fact(STAFF_FTE), Some(&Value::Decimal(12.5)));
        assert_eq!(
            h.indicator("books-per-inhabitant", "2024", &object.facts),
            Some(52000.0 / 873076.0)
        );
    }

    #[test]
    fn osm_libraries_are_imported_and_other_amenities_skipped() {
        let h = Harness::<Libraries>::new();
        let header: Vec<String> = ["@id", "@lat", "@lon", "amenity", "name", "opening_hours"]
            .map(String::from)
            .to_vec();
        assert_eq!(h.detect_importer(&header), Some(OSM));
        let object = h
            .import_row(
                OSM,
                cells(&[
                    ("@id", "node/2406297515"),
                    ("@lat", "43.2998"),
                    ("@lon", "5.3811"),
                    ("amenity", "library"),
                    ("name", "Bibliothèque de l'Alcazar"),
                    ("opening_hours", "Tu-Sa 11:00-19:00"),
                ]),
            )
            .expect("import");
        assert_eq!(object.identifier, "osm:node/2406297515");
        assert_eq!(
            object.find_fact(OPENING_HOURS),
            Some(&Value::text("Tu-Sa 11:00-19:00"))
        );
        let err = h
            .import_row(OSM, cells(&[("@id", "node/1"), ("amenity", "cafe")]))
            .unwrap_err();
        assert_eq!(err.code, "not-a-library");
    }

    #[test]
    fn rules_across_fields() {
        let h = Harness::<Libraries>::new();
        let values = [
            FieldValue::new(DOCUMENTS, Value::Integer(1000)),
            FieldValue::new(CHILDREN_DOCUMENTS, Value::Integer(1500)),
            FieldValue::new(READING_WORKSHOPS, Value::Boolean(false)),
            FieldValue::new(WORKSHOPS_PER_MONTH, Value::Integer(2)),
        ];
        let codes: Vec<String> = h
            .validate_record("2024", &values)
            .into_iter()
            .map(|d| d.code)
            .collect();
        assert_eq!(
            codes,
            [
                "children-documents-exceed-documents",
                "workshops-without-reading-workshops"
            ]
        );
        let fine = [
            FieldValue::new(DOCUMENTS, Value::Integer(120_000)),
            FieldValue::new(POPULATION, Value::Integer(40_000)),
        ];
        assert!(h.validate_record("2024", &fine).is_empty());
        assert_eq!(
            h.indicator("documents-per-inhabitant", "2024", &fine),
            Some(3.0)
        );
    }
}
