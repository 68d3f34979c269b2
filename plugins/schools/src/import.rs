//! Importers of the Education ministry's open data (data.education.gouv.fr).
//!
//! Column lists accept the API field ids and the CSV labels of each dataset
//! (both normalise to the same names), plus the spellings of known re-exports.

use vigie_plugin_sdk::normalize_column_name;
use vigie_plugin_sdk::prelude::*;

use crate::manifest::keys;

const ATTRIBUTION: &str = "Ministère de l'Éducation nationale (DEPP / DNE), \
                           data.education.gouv.fr — Licence Ouverte / Open Licence 2.0 (Etalab)";

pub(crate) const GEOLOCATION: &str = "education-geolocation";
pub(crate) const ENROLMENT: &str = "education-enrolment";
pub(crate) const IPS: &str = "education-ips";
pub(crate) const DIRECTORY: &str = "education-directory";

/// Columns of `fr-en-adresse-et-geolocalisation-etablissements-premier-et-second-degre`.
mod geo {
    pub const UAI: &[&str] = &["numero_uai", "code_etablissement"];
    pub const NAME: &[&str] = &["appellation_officielle"];
    pub const STREET: &[&str] = &["adresse_uai", "adresse"];
    pub const PLACE: &[&str] = &["lieu_dit_uai", "lieu_dit"];
    pub const PO_BOX: &[&str] = &["boite_postale_uai", "boite_postale"];
    pub const POSTCODE: &[&str] = &["code_postal_uai", "code_postal"];
    pub const LOCALITY: &[&str] = &["localite_acheminement_uai", "localite_d_acheminement"];
    pub const COMMUNE: &[&str] = &["libelle_commune", "commune"];
    pub const INSEE: &[&str] = &["code_commune"];
    pub const LAT: &[&str] = &["latitude"];
    pub const LON: &[&str] = &["longitude"];
    pub const POSITION: &[&str] = &["position"];
    pub const SECTOR: &[&str] = &["secteur_public_prive_libe", "secteur_public_prive"];
    pub const NATURE: &[&str] = &["nature_uai", "code_nature"];
    pub const NATURE_LABEL: &[&str] = &["nature_uai_libe", "nature"];
    /// Holds the code with API field ids and the label with CSV labels.
    pub const STATE: &[&str] = &["etat_etablissement_libe", "etat_etablissement"];
    pub const CONTRACT: &[&str] = &["secteur_prive_code_type_contrat"];
    pub const OPENED: &[&str] = &["date_ouverture"];
}

/// Columns of `fr-en-ecoles-effectifs-nb_classes`.
mod enrol {
    pub const UAI: &[&str] = &["numero_ecole", "numero_de_l_ecole", "uai"];
    pub const VINTAGE: &[&str] = &["rentree_scolaire"];
    pub const NAME: &[&str] = &["nom", "nom_de_l_etablissement"];
    pub const DENOMINATION: &[&str] = &["denomination_principale"];
    pub const PATRONYM: &[&str] = &["patronyme"];
    pub const SECTOR: &[&str] = &["secteur"];
    pub const CLASSES: &[&str] = &[
        "nombre_total_classes",
        "nombre_total_de_classes",
        "nb_classes",
    ];
    pub const PUPILS: &[&str] = &["nombre_total_eleves", "nombre_total_d_eleves", "eleves"];
    pub const NURSERY: &[&str] = &[
        "nombre_eleves_preelementaire_hors_ulis",
        "nombre_d_eleves_en_pre_elementaire_hors_ulis",
        "eleves_preelementaire_hors_ulis",
        "eleves_preelementaire",
    ];
    pub const ELEMENTARY: &[&str] = &[
        "nombre_eleves_elementaire_hors_ulis",
        "nombre_d_eleves_en_elementaire_hors_ulis",
        "eleves_elementaire_hors_ulis",
        "eleves_elementaire",
    ];
    /// ULIS and UEEA already added up (re-exports).
    pub const ULIS_AND_UEEA: &[&str] = &["eleves_ulis_plus_ueea", "eleves_ulis_ueea"];
    pub const ULIS: &[&str] = &["nombre_eleves_ulis", "nombre_d_eleves_en_ulis"];
    pub const UEEA: &[&str] = &["nombre_eleves_ueea"];
    pub const REP_PLUS: &[&str] = &["rep_plus"];
}

/// Columns of `fr-en-annuaire-education` (the directory of open schools).
mod dir {
    pub const UAI: &[&str] = &["identifiant_de_l_etablissement"];
    pub const NAME: &[&str] = &["nom_etablissement"];
    pub const KIND: &[&str] = &["type_etablissement"];
    pub const SECTOR: &[&str] = &["statut_public_prive"];
    pub const STREET: &[&[&str]] = &[&["adresse_1"], &["adresse_2"], &["adresse_3"]];
    pub const POSTCODE: &[&str] = &["code_postal"];
    pub const INSEE: &[&str] = &["code_commune"];
    pub const CITY: &[&str] = &["nom_commune"];
    pub const LAT: &[&str] = &["latitude"];
    pub const LON: &[&str] = &["longitude"];
    pub const OPENED: &[&str] = &["date_ouverture"];
    pub const STATE: &[&str] = &["etat"];
    pub const NATURE: &[&str] = &["code_nature"];
    pub const NATURE_LABEL: &[&str] = &["libelle_nature"];
    pub const CONTRACT: &[&str] = &["code_type_contrat_prive"];
    pub const PRIORITY: &[&str] = &["appartenance_education_prioritaire"];
    pub const DISTRICT: &[&str] = &["nom_circonscription"];
}

/// Columns of `fr-en-ips-ecoles-*` (social position index).
mod ips {
    pub const UAI: &[&str] = &["uai"];
    pub const VINTAGE: &[&str] = &["rentree_scolaire"];
    pub const IPS: &[&str] = &["ips", "indice_de_position_sociale"];
    /// The ministry's file really spells it « établissment ».
    pub const NAME: &[&str] = &["nom_de_l_etablissment", "nom_de_l_etablissement"];
    pub const SECTOR: &[&str] = &["secteur"];
}

fn required(names: &[&str], fr: &str, en: &str) -> ImporterColumn {
    ImporterColumn::required(names, fr, en)
}

fn optional(names: &[&str], fr: &str, en: &str) -> ImporterColumn {
    ImporterColumn::optional(names, fr, en)
}

pub(crate) fn geolocation_importer() -> Importer {
    Importer::new(
        GEOLOCATION,
        "Adresses et géolocalisation des établissements (Éducation nationale)",
        "Addresses and locations of schools (Education ministry)",
    )
    .description(
        "Jeu de données fr-en-adresse-et-geolocalisation-etablissements-premier-et-second-degre\u{a0}: \
         nom officiel, adresse, position, secteur, nature et état de chaque établissement.",
        "Dataset fr-en-adresse-et-geolocalisation-etablissements-premier-et-second-degre: \
         official name, address, position, sector, kind and state of every school.",
    )
    .source_url(
        "https://data.education.gouv.fr/explore/dataset/\
         fr-en-adresse-et-geolocalisation-etablissements-premier-et-second-degre/",
    )
    .attribution(ATTRIBUTION)
    .column(required(geo::UAI, "Code UAI", "UAI code"))
    .column(required(geo::NAME, "Appellation officielle", "Official name"))
    .column(required(geo::LAT, "Latitude (WGS 84)", "Latitude (WGS 84)"))
    .column(optional(geo::LON, "Longitude (WGS 84)", "Longitude (WGS 84)"))
    .column(optional(geo::POSITION, "Position «\u{a0}lat, lon\u{a0}»", "Position “lat, lon”"))
    .column(optional(geo::STREET, "Adresse", "Street address"))
    .column(optional(geo::PLACE, "Lieu-dit", "Locality"))
    .column(optional(geo::PO_BOX, "Boîte postale", "PO box"))
    .column(optional(geo::POSTCODE, "Code postal", "Postcode"))
    .column(optional(geo::LOCALITY, "Localité d'acheminement", "Delivery locality"))
    .column(optional(geo::COMMUNE, "Commune", "Commune"))
    .column(optional(geo::INSEE, "Code INSEE de la commune", "INSEE code of the commune"))
    .column(optional(geo::SECTOR, "Secteur public ou privé", "Public or private sector"))
    .column(optional(geo::NATURE, "Code nature", "Nature code"))
    .column(optional(geo::NATURE_LABEL, "Libellé de la nature", "Nature label"))
    .column(optional(geo::STATE, "État de l'établissement", "State of the school"))
    .column(optional(geo::CONTRACT, "Type de contrat (privé)", "Contract type (private)"))
    .column(optional(geo::OPENED, "Date d'ouverture", "Opening date"))
}

pub(crate) fn enrolment_importer() -> Importer {
    Importer::new(
        ENROLMENT,
        "Effectifs et classes des écoles (Éducation nationale)",
        "Pupils and classes of schools (Education ministry)",
    )
    .description(
        "Jeu de données fr-en-ecoles-effectifs-nb_classes\u{a0}: élèves et classes de chaque \
         école à chaque rentrée, éducation prioritaire.",
        "Dataset fr-en-ecoles-effectifs-nb_classes: pupils and classes of every school at \
         every school year, priority education.",
    )
    .source_url("https://data.education.gouv.fr/explore/dataset/fr-en-ecoles-effectifs-nb_classes/")
    .attribution(ATTRIBUTION)
    .column(required(
        enrol::UAI,
        "Numéro de l'école (UAI)",
        "School number (UAI)",
    ))
    .column(required(enrol::VINTAGE, "Rentrée scolaire", "School year"))
    .column(required(
        enrol::CLASSES,
        "Nombre total de classes",
        "Total classes",
    ))
    .column(required(
        enrol::PUPILS,
        "Nombre total d'élèves",
        "Total pupils",
    ))
    .column(optional(enrol::NAME, "Nom de l'école", "School name"))
    .column(optional(
        enrol::DENOMINATION,
        "Dénomination principale",
        "Main denomination",
    ))
    .column(optional(enrol::PATRONYM, "Patronyme", "Patronym"))
    .column(optional(enrol::SECTOR, "Secteur", "Sector"))
    .column(optional(
        enrol::NURSERY,
        "Élèves de pré-élémentaire hors ULIS",
        "Nursery pupils excluding ULIS",
    ))
    .column(optional(
        enrol::ELEMENTARY,
        "Élèves d'élémentaire hors ULIS",
        "Elementary pupils excluding ULIS",
    ))
    .column(optional(
        enrol::ULIS_AND_UEEA,
        "Élèves en ULIS et UEEA",
        "Pupils in ULIS and UEEA",
    ))
    .column(optional(enrol::ULIS, "Élèves en ULIS", "Pupils in ULIS"))
    .column(optional(enrol::UEEA, "Élèves en UEEA", "Pupils in UEEA"))
    .column(optional(&["rep"], "REP", "REP"))
    .column(optional(enrol::REP_PLUS, "REP+", "REP+"))
}

pub(crate) fn directory_importer() -> Importer {
    Importer::new(
        DIRECTORY,
        "Annuaire de l'éducation (Éducation nationale)",
        "Directory of schools (Education ministry)",
    )
    .description(
        "Jeu de données fr-en-annuaire-education\u{a0}: établissements ouverts, avec adresse, \
         position, statut, nature et éducation prioritaire.",
        "Dataset fr-en-annuaire-education: open schools, with address, position, status, kind \
         and priority education.",
    )
    .source_url("https://data.education.gouv.fr/explore/dataset/fr-en-annuaire-education/")
    .attribution(ATTRIBUTION)
    .column(required(
        dir::UAI,
        "Identifiant de l'établissement (UAI)",
        "School identifier (UAI)",
    ))
    .column(required(dir::NAME, "Nom de l'établissement", "School name"))
    .column(required(
        dir::KIND,
        "Type d'établissement",
        "Kind of school",
    ))
    .column(optional(
        dir::SECTOR,
        "Statut public ou privé",
        "Public or private status",
    ))
    .column(optional(
        dir::STREET[0],
        "Adresse (ligne 1)",
        "Address (line 1)",
    ))
    .column(optional(
        dir::STREET[1],
        "Adresse (ligne 2)",
        "Address (line 2)",
    ))
    .column(optional(
        dir::STREET[2],
        "Adresse (ligne 3)",
        "Address (line 3)",
    ))
    .column(optional(dir::POSTCODE, "Code postal", "Postcode"))
    .column(optional(
        dir::INSEE,
        "Code INSEE de la commune",
        "INSEE code of the commune",
    ))
    .column(optional(dir::CITY, "Commune", "Commune"))
    .column(optional(dir::LAT, "Latitude (WGS 84)", "Latitude (WGS 84)"))
    .column(optional(
        dir::LON,
        "Longitude (WGS 84)",
        "Longitude (WGS 84)",
    ))
    .column(optional(dir::OPENED, "Date d'ouverture", "Opening date"))
    .column(optional(dir::STATE, "État", "State"))
    .column(optional(dir::NATURE, "Code nature", "Nature code"))
    .column(optional(
        dir::NATURE_LABEL,
        "Libellé de la nature",
        "Nature label",
    ))
    .column(optional(
        dir::CONTRACT,
        "Code du type de contrat (privé)",
        "Contract type code (private)",
    ))
    .column(optional(
        dir::PRIORITY,
        "Éducation prioritaire",
        "Priority education",
    ))
    .column(optional(
        dir::DISTRICT,
        "Circonscription (IEN)",
        "Education district (IEN)",
    ))
}

pub(crate) fn ips_importer() -> Importer {
    Importer::new(
        IPS,
        "Indice de position sociale des écoles (Éducation nationale)",
        "Social position index of schools (Education ministry)",
    )
    .description(
        "Jeux de données fr-en-ips-ecoles-*\u{a0}: l'IPS de chaque école ayant des élèves de CM2.",
        "Datasets fr-en-ips-ecoles-*: the IPS of every school with CM2 pupils.",
    )
    .source_url("https://data.education.gouv.fr/explore/dataset/fr-en-ips-ecoles-ap2022/")
    .attribution(ATTRIBUTION)
    .column(required(ips::UAI, "UAI", "UAI"))
    .column(required(ips::VINTAGE, "Rentrée scolaire", "School year"))
    .column(required(ips::IPS, "IPS", "IPS"))
    .column(optional(ips::NAME, "Nom de l'établissement", "School name"))
    .column(optional(ips::SECTOR, "Secteur", "Sector"))
}

pub(crate) fn import_row(importer: &str, row: &Row) -> Result<ImportedObject, Diagnostic> {
    match importer {
        GEOLOCATION => import_geolocation(row),
        ENROLMENT => import_enrolment(row),
        IPS => import_ips(row),
        DIRECTORY => import_directory(row),
        other => Err(Diagnostic::error(
            "unknown-importer",
            format!("Import inconnu\u{a0}: {other}."),
            format!("Unknown importer: {other}."),
        )),
    }
}

fn identifier(row: &Row, columns: &[&str]) -> Result<String, Diagnostic> {
    let raw = row.require(columns)?;
    identifiers::uai::normalize(raw).map_err(|e| e.on(columns[0]))
}

/// `Public`, `PUBLIC`, `public` → public; `Privé`, `PRIVE`, `privé sous
/// contrat` → private.
fn sector(text: &str) -> Option<&'static str> {
    let t = normalize_column_name(text);
    if t.starts_with("public") {
        Some("public")
    } else if t.starts_with("prive") {
        Some("private")
    } else {
        None
    }
}

fn unknown(code: &str, column: &str, text: &str) -> Diagnostic {
    Diagnostic::warning(
        code,
        format!("Valeur non reconnue, ignorée\u{a0}: «\u{a0}{text}\u{a0}»."),
        format!("Unrecognised value, ignored: “{text}”."),
    )
    .on(column)
}

fn with_sector(object: ImportedObject, row: &Row, columns: &[&str]) -> ImportedObject {
    match row.get(columns) {
        None => object,
        Some(text) => match sector(text) {
            Some(s) => object.fact(keys::SECTOR, Value::choice(s)),
            None => object.warn(unknown("unknown-sector", columns[0], text)),
        },
    }
}

fn import_geolocation(row: &Row) -> Result<ImportedObject, Diagnostic> {
    let uai = identifier(row, geo::UAI)?;
    let name = row.require(geo::NAME)?;
    let mut object = ImportedObject::new(&uai).name(name);

    let street: Vec<String> = [geo::STREET, geo::PLACE]
        .iter()
        .filter_map(|c| row.get(c).map(str::to_string))
        .chain(row.get(geo::PO_BOX).map(|bp| format!("BP {bp}")))
        .collect();
    let city = row.get(geo::LOCALITY).or_else(|| row.get(geo::COMMUNE));
    match (row.get(geo::POSTCODE), city) {
        (Some(postcode), Some(city)) => {
            let mut address = Address::new(&street.join(", "), postcode, city);
            if let Some(insee) = row.get(geo::INSEE) {
                address = address.insee_code(insee);
            }
            object = object.address(address);
        }
        _ => {
            object = object.warn(Diagnostic::warning(
                "no-address",
                "Adresse incomplète (code postal ou commune manquant).",
                "Incomplete address (postcode or commune missing).",
            ))
        }
    }

    let position = match (row.decimal(geo::LAT)?, row.decimal(geo::LON)?) {
        (Some(lat), Some(lon)) => Some((lat, lon)),
        _ => row.get(geo::POSITION).and_then(|p| {
            let (lat, lon) = p.split_once(',')?;
            Some((
                vigie_plugin_sdk::parse_decimal(lat)?,
                vigie_plugin_sdk::parse_decimal(lon)?,
            ))
        }),
    };
    object = match position {
        Some((lat, lon)) => object.location(lat, lon),
        None => object.warn(Diagnostic::warning(
            "no-position",
            "Pas de coordonnées\u{a0}: l'établissement n'apparaîtra pas sur la carte.",
            "No coordinates: the school will not appear on the map.",
        )),
    };

    object = with_state(object, row, geo::STATE);
    if let Some(date) = row.get(geo::OPENED) {
        object = object.opened_on(date);
    }
    object = with_sector(object, row, geo::SECTOR);
    object = with_nature(object, row, geo::NATURE, geo::NATURE_LABEL);
    Ok(with_contract(object, row, geo::CONTRACT))
}

/// `1`, `OUVERT`, `A FERMER` (still open) → open; `FERME`, `A OUVRIR` (not
/// yet open) → closed.
fn with_state(object: ImportedObject, row: &Row, columns: &[&str]) -> ImportedObject {
    match row.get(columns) {
        None => object,
        Some(state) => match normalize_column_name(state).as_str() {
            "1" | "ouvert" | "a_fermer" => object.status(ObjectStatus::Open),
            "ferme" | "a_ouvrir" => object.status(ObjectStatus::Closed),
            _ => object.warn(unknown("unknown-state", columns[0], state)),
        },
    }
}

/// Nature codes 101, 151 and 340 are options; any other is `other`, and the
/// official label is kept as text.
fn with_nature(
    mut object: ImportedObject,
    row: &Row,
    code: &[&str],
    label: &[&str],
) -> ImportedObject {
    if let Some(code) = row.get(code) {
        let nature = match code {
            "101" | "151" | "340" => code,
            _ => "other",
        };
        object = object.fact(keys::NATURE, Value::choice(nature));
    }
    object.fact_opt(keys::NATURE_LABEL, row.get(label).map(Value::text))
}

/// Contract codes of private schools: 10 none, 30 association (all classes),
/// 31 association (some classes), 99 not applicable (public).
fn with_contract(object: ImportedObject, row: &Row, columns: &[&str]) -> ImportedObject {
    let contract = row.get(columns).and_then(|code| match code {
        "99" => None,
        "10" => Some("hors-contrat"),
        "30" => Some("contrat-association"),
        "31" => Some("contrat-association-partiel"),
        _ => Some("other"),
    });
    object.fact_opt(keys::PRIVATE_CONTRACT, contract.map(Value::choice))
}

fn import_enrolment(row: &Row) -> Result<ImportedObject, Diagnostic> {
    let uai = identifier(row, enrol::UAI)?;
    let vintage = row.require(enrol::VINTAGE)?;
    let mut object = ImportedObject::new(&uai).vintage(vintage);

    let name = row.get(enrol::NAME).map(str::to_string).or_else(|| {
        let parts: Vec<&str> = [enrol::DENOMINATION, enrol::PATRONYM]
            .iter()
            .filter_map(|c| row.get(c))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    });
    if let Some(name) = name {
        object = object.name(&name);
    }
    object = with_sector(object, row, enrol::SECTOR);

    let integer = |key: &str, columns: &[&str]| -> Result<Option<(String, Value)>, Diagnostic> {
        Ok(row
            .integer(columns)?
            .map(|n| (key.to_string(), Value::Integer(n))))
    };
    let ulis = match row.integer(enrol::ULIS_AND_UEEA)? {
        Some(n) => Some(n),
        None => match (row.integer(enrol::ULIS)?, row.integer(enrol::UEEA)?) {
            (None, None) => None,
            (ulis, ueea) => Some(ulis.unwrap_or(0) + ueea.unwrap_or(0)),
        },
    };
    let facts = [
        integer(keys::PUPILS, enrol::PUPILS)?,
        integer(keys::CLASSES, enrol::CLASSES)?,
        integer(keys::NURSERY_PUPILS, enrol::NURSERY)?,
        integer(keys::ELEMENTARY_PUPILS, enrol::ELEMENTARY)?,
        ulis.map(|n| (keys::ULIS_PUPILS.to_string(), Value::Integer(n))),
    ];
    for (key, value) in facts.into_iter().flatten() {
        object = object.fact(&key, value);
    }
    // « REP » and « REP + » both normalise to `rep` in the CSV labels: read
    // them by their written names first.
    let rep = row.get_verbatim(&["rep"]);
    let rep_plus = row
        .get(enrol::REP_PLUS)
        .or_else(|| row.get_verbatim(&["REP +", "REP+"]));
    for (key, column, text) in [
        (keys::REP, "rep", rep),
        (keys::REP_PLUS, "rep_plus", rep_plus),
    ] {
        if let Some(text) = text {
            object = match vigie_plugin_sdk::parse_flag(text) {
                Some(flag) => object.fact(key, Value::Boolean(flag)),
                None => object.warn(unknown("unknown-flag", column, text)),
            };
        }
    }
    Ok(object)
}

fn import_directory(row: &Row) -> Result<ImportedObject, Diagnostic> {
    let uai = identifier(row, dir::UAI)?;
    let mut object = ImportedObject::new(&uai).name(row.require(dir::NAME)?);
    let street: Vec<&str> = dir::STREET.iter().filter_map(|c| row.get(c)).collect();
    if let (Some(postcode), Some(city)) = (row.get(dir::POSTCODE), row.get(dir::CITY)) {
        let mut address = Address::new(&street.join(", "), postcode, city);
        if let Some(insee) = row.get(dir::INSEE) {
            address = address.insee_code(insee);
        }
        object = object.address(address);
    }
    object = match (row.decimal(dir::LAT)?, row.decimal(dir::LON)?) {
        (Some(lat), Some(lon)) => object.location(lat, lon),
        _ => object.warn(Diagnostic::warning(
            "no-position",
            "Pas de coordonnées\u{a0}: l'établissement n'apparaîtra pas sur la carte.",
            "No coordinates: the school will not appear on the map.",
        )),
    };
    if let Some(date) = row.get(dir::OPENED) {
        object = object.opened_on(date);
    }
    object = with_state(object, row, dir::STATE);
    object = with_sector(object, row, dir::SECTOR);
    object = with_nature(object, row, dir::NATURE, dir::NATURE_LABEL);
    object = with_contract(object, row, dir::CONTRACT);
    object = object.fact_opt(
        keys::EDUCATION_DISTRICT,
        row.get(dir::DISTRICT).map(Value::text),
    );
    // « REP », « REP+ »; « HORS EP » or similar means neither.
    if let Some(priority) = row.get(dir::PRIORITY) {
        let upper: String = priority.to_uppercase().split_whitespace().collect();
        let flags = match upper.as_str() {
            "REP+" => Some((false, true)),
            "REP" => Some((true, false)),
            _ if upper.starts_with("HORS") => Some((false, false)),
            _ => None,
        };
        object = match flags {
            Some((rep, rep_plus)) => object
                .fact(keys::REP, Value::Boolean(rep))
                .fact(keys::REP_PLUS, Value::Boolean(rep_plus)),
            None => object.warn(unknown(
                "unknown-priority-education",
                dir::PRIORITY[0],
                priority,
            )),
        };
    }
    Ok(object)
}

fn import_ips(row: &Row) -> Result<ImportedObject, Diagnostic> {
    let uai = identifier(row, ips::UAI)?;
    let vintage = row.require(ips::VINTAGE)?;
    let ips_value = row.decimal(ips::IPS)?.ok_or_else(|| {
        Diagnostic::error(
            "missing-value",
            "La colonne «\u{a0}IPS\u{a0}» est vide.",
            "Column “IPS” is empty.",
        )
        .on(ips::IPS[0])
    })?;
    let mut object = ImportedObject::new(&uai)
        .vintage(vintage)
        .fact(keys::IPS, Value::Decimal(ips_value));
    if let Some(name) = row.get(ips::NAME) {
        object = object.name(name);
    }
    Ok(with_sector(object, row, ips::SECTOR))
}
