//! Native tests of the schools type, on the real reference files of
//! `../shared/data/` when they are present.

use std::collections::BTreeMap;

use vigie_plugin_sdk::testing::{self, Harness};
use vigie_plugin_sdk::{FieldValue, Severity, Value};

use crate::Schools;
use crate::import::{ENROLMENT, GEOLOCATION, IPS};

const DIR: &str = env!("CARGO_MANIFEST_DIR");

fn harness() -> Harness<Schools> {
    Harness::new()
}

fn data(file: &str) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    match testing::shared_data(DIR, file) {
        Some(path) => Some(testing::read_csv(&path)),
        None => {
            testing::skip(file);
            None
        }
    }
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

fn fv(key: &str, value: Value) -> FieldValue {
    FieldValue::new(key, value)
}

fn codes(diagnostics: &[vigie_plugin_sdk::Diagnostic]) -> Vec<&str> {
    diagnostics.iter().map(|d| d.code.as_str()).collect()
}

fn errors(diagnostics: &[vigie_plugin_sdk::Diagnostic]) -> Vec<&vigie_plugin_sdk::Diagnostic> {
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect()
}

#[test]
fn the_manifest_is_valid_and_its_examples_normalise() {
    assert_eq!(
        testing::conformance_problems::<Schools>(),
        Vec::<String>::new()
    );
}

#[test]
fn every_uai_test_vector_is_judged_as_expected() {
    let Some((header, rows)) = data("uai_test_vectors.csv") else {
        return;
    };
    let (uai, valid, letter) = (
        column(&header, "uai"),
        column(&header, "valid"),
        column(&header, "expected_letter"),
    );
    let h = harness();
    assert_eq!(rows.len(), 11);
    for row in &rows {
        let result = h.normalize_identifier(&row[uai]);
        if row[valid] == "true" {
            assert_eq!(result.as_deref(), Ok(row[uai].as_str()), "{row:?}");
        } else {
            let err = result.expect_err(&row[uai]);
            assert!(err.code.starts_with("uai-"), "{row:?}: {err:?}");
            assert!(!err.message.fr.is_empty() && !err.message.en.is_empty());
            if !row[letter].is_empty() {
                // The message names the right check letter.
                let expected = format!("is {}, not", row[letter]);
                assert!(err.message.en.contains(&expected), "{:?}", err.message.en);
                let attendu = format!("est {}, pas", row[letter]);
                assert!(err.message.fr.contains(&attendu), "{:?}", err.message.fr);
            }
        }
    }
}

#[test]
fn every_uai_of_the_reference_files_is_accepted() {
    let h = harness();
    let mut seen = 0;
    for (file, name) in [
        (
            "marseille_colleges_adresse_geolocalisation.csv",
            "numero_uai",
        ),
        ("marseille_ecoles_effectifs_2024_2025_extrait.csv", "uai"),
        ("marseille_ecoles_ips_2021-2022.csv", "UAI"),
        (
            "blackborn_base_ecoles_rentree2024_marseille_extrait_verbatim.csv",
            "uai",
        ),
        (
            "blackborn_derive_ecoles_1d_rentree2025_marseille_extrait_verbatim.csv",
            "uai",
        ),
    ] {
        let Some((header, rows)) = data(file) else {
            continue;
        };
        let i = column(&header, name);
        for row in &rows {
            assert_eq!(
                h.normalize_identifier(&row[i]).as_deref(),
                Ok(row[i].as_str()),
                "{file}"
            );
            seen += 1;
        }
    }
    if seen > 0 {
        assert_eq!(seen, 102 + 119 + 281 + 41 + 78);
    }
}

#[test]
fn the_geolocation_file_is_detected_and_every_row_imported() {
    let Some((header, rows)) = data("marseille_colleges_adresse_geolocalisation.csv") else {
        return;
    };
    let h = harness();
    assert_eq!(h.detect_importer(&header), Some(GEOLOCATION));
    assert_eq!(rows.len(), 102);
    let col = |name| column(&header, name);
    let mut sectors = BTreeMap::new();
    for row in &rows {
        let object = h
            .import_row(GEOLOCATION, testing::cells(&header, row))
            .unwrap_or_else(|e| panic!("{row:?}: {e:?}"));
        assert_eq!(object.identifier, row[col("numero_uai")]);
        assert_eq!(
            object.official_name.as_deref(),
            Some(row[col("appellation_officielle")].as_str())
        );
        assert!(object.warnings.is_empty(), "{:?}", object.warnings);
        let address = object.address.as_ref().expect("address");
        assert_eq!(address.postcode, row[col("code_postal_uai")]);
        assert!(address.postcode.starts_with("13"), "{}", address.postcode);
        assert!(address.city.starts_with("MARSEILLE"), "{}", address.city);
        let insee = address.insee_code.as_deref().expect("insee");
        assert!(("13201"..="13216").contains(&insee), "{insee}");
        assert!(
            address.street.contains(row[col("adresse_uai")].trim()),
            "{}",
            address.street
        );
        let point = object.location.expect("location");
        assert_eq!(point.lat, row[col("latitude")].parse::<f64>().expect("lat"));
        assert_eq!(
            point.lon,
            row[col("longitude")].parse::<f64>().expect("lon")
        );
        assert!((43.15..43.45).contains(&point.lat) && (5.2..5.6).contains(&point.lon));
        assert_eq!(object.status, Some(vigie_plugin_sdk::ObjectStatus::Open));
        assert_eq!(
            object.opened_on.as_deref(),
            Some(row[col("date_ouverture")].as_str())
        );
        assert_eq!(object.vintage, None);
        assert_eq!(object.find_fact("nature"), Some(&Value::choice("340")));
        assert_eq!(
            object.find_fact("nature-label"),
            Some(&Value::text("COLLEGE"))
        );
        let sector = object
            .find_fact("sector")
            .and_then(Value::as_str)
            .expect("sector");
        *sectors.entry(sector.to_string()).or_insert(0) += 1;
        let contract = object.find_fact("private-contract").and_then(Value::as_str);
        match (sector, row[col("secteur_prive_code_type_contrat")].as_str()) {
            ("public", _) => assert_eq!(contract, None),
            ("private", "10") => assert_eq!(contract, Some("hors-contrat")),
            ("private", "30") => assert_eq!(contract, Some("contrat-association")),
            ("private", "31") => assert_eq!(contract, Some("contrat-association-partiel")),
            other => panic!("unexpected {other:?}"),
        }
        // The facts are valid values of this school year.
        let diagnostics = h.validate_record("2024-2025", &object.facts);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
    }
    assert_eq!(sectors.get("public"), Some(&56));
    assert_eq!(sectors.get("private"), Some(&46));
}

#[test]
fn the_enrolment_extract_is_detected_and_imported_row_for_row() {
    let Some((header, rows)) = data("marseille_ecoles_effectifs_2024_2025_extrait.csv") else {
        return;
    };
    let h = harness();
    assert_eq!(h.detect_importer(&header), Some(ENROLMENT));
    assert_eq!(rows.len(), 119);
    let col = |name| column(&header, name);
    let int = |row: &[String], name| Value::Integer(row[col(name)].parse().expect(name));
    let mut per_vintage = BTreeMap::new();
    for row in &rows {
        let object = h
            .import_row(ENROLMENT, testing::cells(&header, row))
            .unwrap_or_else(|e| panic!("{row:?}: {e:?}"));
        assert_eq!(object.identifier, row[col("uai")]);
        let vintage = object.vintage.clone().expect("vintage");
        let start: i32 = row[col("rentree_scolaire")].parse().expect("year");
        assert_eq!(vintage, format!("{start}-{}", start + 1));
        *per_vintage.entry(vintage.clone()).or_insert(0) += 1;
        assert_eq!(
            object.official_name.as_deref(),
            Some(row[col("nom")].as_str())
        );
        assert!(object.warnings.is_empty(), "{:?}", object.warnings);
        assert_eq!(
            object.find_fact("pupils"),
            Some(&int(row, "nombre_total_eleves"))
        );
        assert_eq!(
            object.find_fact("classes"),
            Some(&int(row, "nombre_total_classes"))
        );
        assert_eq!(
            object.find_fact("nursery-pupils"),
            Some(&int(row, "eleves_preelementaire_hors_ulis"))
        );
        assert_eq!(
            object.find_fact("elementary-pupils"),
            Some(&int(row, "eleves_elementaire_hors_ulis"))
        );
        assert_eq!(
            object.find_fact("ulis-pupils"),
            Some(&int(row, "eleves_ulis_plus_ueea"))
        );
        assert_eq!(
            object.find_fact("rep"),
            Some(&Value::Boolean(row[col("rep")] == "1"))
        );
        assert_eq!(
            object.find_fact("rep-plus"),
            Some(&Value::Boolean(row[col("rep_plus")] == "1"))
        );
        assert_eq!(object.find_fact("sector"), Some(&Value::choice("public")));

        // Official facts pass the school-year rules (warnings allowed).
        let diagnostics = h.validate_record(&vintage, &object.facts);
        assert!(errors(&diagnostics).is_empty(), "{row:?}: {diagnostics:?}");

        let pupils: f64 = row[col("nombre_total_eleves")].parse().expect("pupils");
        let classes: f64 = row[col("nombre_total_classes")].parse().expect("classes");
        assert_eq!(
            h.indicator("pupils-per-class", &vintage, &object.facts),
            Some(pupils / classes)
        );
    }
    assert_eq!(per_vintage.get("2024-2025"), Some(&41));
    assert_eq!(per_vintage.get("2025-2026"), Some(&78));
}

#[test]
fn the_ips_file_is_detected_and_every_row_imported() {
    let Some((header, rows)) = data("marseille_ecoles_ips_2021-2022.csv") else {
        return;
    };
    let h = harness();
    assert_eq!(h.detect_importer(&header), Some(IPS));
    assert_eq!(rows.len(), 281);
    let mut private = 0;
    for row in &rows {
        let object = h
            .import_row(IPS, testing::cells(&header, row))
            .unwrap_or_else(|e| panic!("{row:?}: {e:?}"));
        assert_eq!(object.vintage.as_deref(), Some("2021-2022"));
        let ips: f64 = row[9].parse().expect("ips");
        assert_eq!(object.find_fact("ips"), Some(&Value::Decimal(ips)));
        assert!(object.warnings.is_empty(), "{:?}", object.warnings);
        if object.find_fact("sector") == Some(&Value::choice("private")) {
            private += 1;
        }
    }
    assert_eq!(private, 54);
}

#[test]
fn the_ministry_csv_labels_work_as_well_as_the_field_ids() {
    let h = harness();
    let header: Vec<String> = [
        "Code établissement",
        "Appellation officielle",
        "Secteur Public/Privé",
        "Adresse",
        "Lieu dit",
        "Code postal",
        "Localite d'acheminement",
        "Latitude",
        "Longitude",
        "Code nature",
        "Etat établissement",
    ]
    .map(String::from)
    .to_vec();
    let row: Vec<String> = [
        "0130566v",
        "École primaire Félix Pyat",
        "Public",
        "11 RUE FELIX PYAT",
        "",
        "13003",
        "MARSEILLE",
        "",
        "",
        "151",
        "OUVERT",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(h.detect_importer(&header), Some(GEOLOCATION));
    let object = h
        .import_row(GEOLOCATION, testing::cells(&header, &row))
        .expect("import");
    assert_eq!(object.identifier, "0130566V");
    assert_eq!(object.status, Some(vigie_plugin_sdk::ObjectStatus::Open));
    assert_eq!(object.find_fact("nature"), Some(&Value::choice("151")));
    assert_eq!(object.location, None);
    assert_eq!(codes(&object.warnings), ["no-position"]);

    let header: Vec<String> = [
        "Rentrée scolaire",
        "Numéro de l'école",
        "Dénomination principale",
        "Patronyme",
        "Secteur",
        "REP",
        "REP +",
        "Nombre total de classes",
        "Nombre total d'élèves",
        "Nombre d'élèves en pré-élémentaire hors ULIS",
        "Nombre d'élèves en élémentaire hors ULIS",
        "Nombre d'élèves en ULIS",
    ]
    .map(String::from)
    .to_vec();
    let row: Vec<String> = [
        "2022",
        "0130566V",
        "ECOLE PRIMAIRE PUBLIQUE",
        "FELIX PYAT",
        "PUBLIC",
        "0",
        "1",
        "12",
        "213",
        "72",
        "141",
        "0",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(h.detect_importer(&header), Some(ENROLMENT));
    let object = h
        .import_row(ENROLMENT, testing::cells(&header, &row))
        .expect("import");
    assert_eq!(object.vintage.as_deref(), Some("2022-2023"));
    assert_eq!(
        object.official_name.as_deref(),
        Some("ECOLE PRIMAIRE PUBLIQUE FELIX PYAT")
    );
    assert_eq!(object.find_fact("rep"), Some(&Value::Boolean(false)));
    assert_eq!(object.find_fact("rep-plus"), Some(&Value::Boolean(true)));
    assert_eq!(object.find_fact("ulis-pupils"), Some(&Value::Integer(0)));
}

#[test]
fn a_bad_row_is_refused_with_the_column_and_the_reason() {
    let h = harness();
    let row = |uai: &str, pupils: &str| {
        vigie_plugin_sdk::Row::from_pairs([
            ("uai", uai),
            ("rentree_scolaire", "2024"),
            ("nombre_total_classes", "12"),
            ("nombre_total_eleves", pupils),
        ])
    };
    let cells = |r: vigie_plugin_sdk::Row| -> Vec<vigie_plugin_sdk::Cell> {
        let columns: Vec<String> = r.columns().map(String::from).collect();
        columns
            .iter()
            .map(|c| vigie_plugin_sdk::Cell {
                column: c.clone(),
                text: r.get(&[c]).unwrap_or("").to_string(),
            })
            .collect()
    };
    let err = h
        .import_row(ENROLMENT, cells(row("0130566A", "213")))
        .unwrap_err();
    assert_eq!(err.code, "uai-check-letter");
    assert_eq!(err.field.as_deref(), Some("numero_ecole"));
    let err = h
        .import_row(ENROLMENT, cells(row("0130566V", "deux cents")))
        .unwrap_err();
    assert_eq!(err.code, "unreadable-value");
    assert!(err.message.fr.contains("deux cents"));
    let err = h
        .import_row("nope", cells(row("0130566V", "213")))
        .unwrap_err();
    assert_eq!(err.code, "unknown-importer");
    // Negative pupils are not refused outright: the fact is dropped, with a warning.
    let object = h
        .import_row(ENROLMENT, cells(row("0130566V", "-4")))
        .expect("import");
    assert_eq!(object.find_fact("pupils"), None);
    assert_eq!(codes(&object.warnings), ["fact-dropped"]);
}

fn school(extra: &[(&str, Value)]) -> Vec<FieldValue> {
    let mut values = vec![
        fv("pupils", Value::Integer(213)),
        fv("classes", Value::Integer(12)),
        fv("nursery-pupils", Value::Integer(72)),
        fv("elementary-pupils", Value::Integer(141)),
        fv("ulis-pupils", Value::Integer(0)),
        fv("rep", Value::Boolean(false)),
        fv("rep-plus", Value::Boolean(true)),
        fv("nursery-classes", Value::Integer(3)),
        fv("atsem", Value::Integer(3)),
    ];
    for (key, value) in extra {
        values.retain(|v| v.key != *key);
        values.push(fv(key, value.clone()));
    }
    values
}

#[test]
fn a_consistent_school_year_passes() {
    let h = harness();
    assert_eq!(h.validate_record("2024-2025", &school(&[])), vec![]);
}

#[test]
fn more_atsem_than_nursery_classes_is_refused_on_the_atsem_field() {
    let h = harness();
    let d = h.validate_record("2024-2025", &school(&[("atsem", Value::Integer(5))]));
    assert_eq!(codes(&d), ["atsem-exceed-nursery-classes"]);
    assert_eq!(d[0].field.as_deref(), Some("atsem"));
    assert!(
        d[0].message.fr.contains("5 ATSEM pour 3 classe(s)"),
        "{}",
        d[0].message.fr
    );
    assert!(
        d[0].message.en.contains("5 ATSEM for 3 nursery class(es)"),
        "{}",
        d[0].message.en
    );
}

#[test]
fn cross_field_rules_catch_inconsistent_counts() {
    let h = harness();
    let cases: &[(&[(&str, Value)], &str)] = &[
        (
            &[
                ("pupils", Value::Integer(10)),
                ("nursery-pupils", Value::Integer(4)),
                ("elementary-pupils", Value::Integer(6)),
            ],
            "fewer-pupils-than-classes",
        ),
        (
            &[
                ("nursery-classes", Value::Integer(13)),
                ("atsem", Value::Integer(1)),
            ],
            "nursery-classes-exceed-classes",
        ),
        (
            &[
                ("classes", Value::Integer(0)),
                ("nursery-classes", Value::Integer(0)),
                ("atsem", Value::Integer(0)),
            ],
            "pupils-without-classes",
        ),
        (
            &[("elementary-pupils", Value::Integer(200))],
            "pupil-breakdown-exceeds-total",
        ),
        (&[("rep", Value::Boolean(true))], "rep-and-rep-plus"),
    ];
    for (changes, code) in cases {
        let d = h.validate_record("2024-2025", &school(changes));
        assert!(
            codes(&errors(&d).into_iter().cloned().collect::<Vec<_>>()).contains(code),
            "{code}: {d:?}"
        );
    }
    let d = h.validate_record(
        "2024-2025",
        &school(&[("elementary-pupils", Value::Integer(100))]),
    );
    assert_eq!(codes(&d), ["pupil-breakdown-incomplete"]);
    assert_eq!(d[0].severity, Severity::Warning);
    let d = h.validate_record(
        "2024-2025",
        &school(&[
            ("pupils", Value::Integer(500)),
            ("elementary-pupils", Value::Integer(428)),
        ]),
    );
    assert_eq!(codes(&d), ["crowded-classes"]);
}

#[test]
fn descriptor_checks_run_before_the_rules() {
    let h = harness();
    let d = h.validate_record(
        "2024",
        &school(&[
            ("atsem", Value::Integer(-1)),
            ("website", Value::Url("marseille.fr".into())),
            ("sector", Value::choice("charter")),
            ("colour", Value::text("blue")),
        ]),
    );
    assert_eq!(
        codes(&d),
        [
            "below-minimum",
            "wrong-kind",
            "unknown-option",
            "unknown-field"
        ]
    );
    let d = h.validate_record("2024-2026", &[]);
    assert_eq!(codes(&d), ["invalid-school-year"]);
    assert_eq!(
        codes(&h.validate_field("atsem", &Value::Decimal(1.5))),
        ["wrong-kind"]
    );
    assert!(h.validate_field("atsem", &Value::Integer(2)).is_empty());
}

#[test]
fn indicators_are_computed_from_one_school_year() {
    let h = harness();
    let values = school(&[("asbestos-survey-date", Value::Date("2019-05-10".into()))]);
    let get = |key| h.indicator(key, "2024-2025", &values);
    assert_eq!(get("pupils-per-class"), Some(213.0 / 12.0));
    assert_eq!(get("atsem-per-nursery-class"), Some(1.0));
    assert_eq!(get("nursery-pupils-per-atsem"), Some(24.0));
    assert_eq!(get("atsem-per-100-nursery-pupils"), Some(300.0 / 72.0));
    assert_eq!(get("nursery-share"), Some(7200.0 / 213.0));
    assert_eq!(get("asbestos-survey-age"), Some(5.0));
    assert_eq!(get("pupils-per-working-toilet"), None);
    let no_atsem = school(&[("atsem", Value::Integer(0))]);
    assert_eq!(
        h.indicator("nursery-pupils-per-atsem", "2024-2025", &no_atsem),
        None
    );
}

#[test]
fn sst_and_dgi_requests_check_their_forms() {
    let h = harness();
    let d = h.validate_request("sst-register-entry", &[]);
    assert_eq!(codes(&d), ["required", "required", "required"]);
    let ok = [
        fv(
            "observation",
            Value::text("Prise électrique arrachée dans le couloir."),
        ),
        fv("location-in-building", Value::text("Couloir du 1er étage")),
        fv("risk-category", Value::choice("electricity-gas")),
    ];
    assert_eq!(h.validate_request("sst-register-entry", &ok), vec![]);
    let dgi = [
        fv("observed-at", Value::DateTime("2025-03-14T08:30".into())),
        fv("place", Value::text("Préau")),
        fv("danger", Value::text("Faux plafond qui s'effondre.")),
        fv(
            "people-exposed",
            Value::text("Deux classes, environ 50 élèves."),
        ),
    ];
    assert_eq!(h.validate_request("dgi-notice", &dgi), vec![]);
    let mut late = dgi.to_vec();
    late[0] = fv("observed-at", Value::DateTime("14/03/2025 8h30".into()));
    assert_eq!(
        codes(&h.validate_request("dgi-notice", &late)),
        ["wrong-kind"]
    );
    assert_eq!(
        codes(&h.validate_request("petition", &[])),
        ["unknown-request-kind"]
    );
}

#[test]
fn vintages_are_school_years() {
    let h = harness();
    assert_eq!(h.normalize_vintage("2024").as_deref(), Ok("2024-2025"));
    assert_eq!(h.normalize_vintage("2024-2025").as_deref(), Ok("2024-2025"));
    assert!(h.normalize_vintage("2024-2023").is_err());
}

/// The directory's 2026 header (from `schemas.json`), with one made-up row.
#[test]
fn the_directory_header_is_detected_and_a_row_imported() {
    let Some(path) = testing::shared_data(DIR, "schemas.json") else {
        testing::skip("schemas.json");
        return;
    };
    let json = std::fs::read_to_string(path).expect("schemas.json");
    let list = json
        .split("\"labels_2026_vintage\": [")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("labels_2026_vintage");
    let header: Vec<String> = list
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .collect();
    assert_eq!(header.len(), 71);
    let h = harness();
    assert_eq!(h.detect_importer(&header), Some(crate::import::DIRECTORY));
    let value = |column: &str| -> &str {
        match column {
            "Identifiant_de_l_etablissement" => "0130566V",
            "Nom_etablissement" => "Ecole primaire Félix Pyat",
            "Type_etablissement" => "Ecole",
            "Statut_public_prive" => "Public",
            "Adresse_1" => "11 rue Félix Pyat",
            "Code_postal" => "13003",
            "Code_commune" => "13203",
            "Nom_commune" => "Marseille",
            "latitude" => "43.3105",
            "longitude" => "5.3747",
            "date_ouverture" => "1968-09-01",
            "etat" => "OUVERT",
            "code_nature" => "151",
            "libelle_nature" => "ECOLE DE NIVEAU ELEMENTAIRE",
            "Code_type_contrat_prive" => "99",
            "Appartenance_Education_Prioritaire" => "REP+",
            "nom_circonscription" => "Marseille 3 - Saint-Lazare",
            _ => "",
        }
    };
    let row: Vec<String> = header.iter().map(|c| value(c).to_string()).collect();
    let object = h
        .import_row(crate::import::DIRECTORY, testing::cells(&header, &row))
        .expect("import");
    assert!(object.warnings.is_empty(), "{:?}", object.warnings);
    assert_eq!(object.identifier, "0130566V");
    let address = object.address.as_ref().expect("address");
    assert_eq!(
        (address.street.as_str(), address.insee_code.as_deref()),
        ("11 rue Félix Pyat", Some("13203"))
    );
    assert_eq!(object.status, Some(vigie_plugin_sdk::ObjectStatus::Open));
    assert_eq!(object.opened_on.as_deref(), Some("1968-09-01"));
    assert_eq!(object.find_fact("nature"), Some(&Value::choice("151")));
    assert_eq!(object.find_fact("rep-plus"), Some(&Value::Boolean(true)));
    assert_eq!(object.find_fact("rep"), Some(&Value::Boolean(false)));
    assert_eq!(object.find_fact("private-contract"), None);
    assert_eq!(
        object.find_fact("education-district"),
        Some(&Value::text("Marseille 3 - Saint-Lazare"))
    );
    assert!(h.validate_record("2025-2026", &object.facts).is_empty());
}
