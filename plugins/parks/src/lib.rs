//! Vigie object type **parks** (`parcs et jardins`): public parks and gardens,
//! identified by their OpenStreetMap element (no national referential exists),
//! vintaged by calendar year.

use vigie_plugin_sdk::prelude::*;

/// The parks object type.
pub struct Parks;

const AREA: &str = "area";
const OPERATOR: &str = "operator";
const OPENING_HOURS: &str = "opening-hours";
const WHEELCHAIR: &str = "wheelchair";
const TREES: &str = "trees";
const BENCHES: &str = "benches";
const PLAY_EQUIPMENT: &str = "play-equipment";
const PLAY_OUT_OF_ORDER: &str = "play-equipment-out-of-order";
const TOILETS: &str = "toilets";
const TOILETS_OUT_OF_ORDER: &str = "toilets-out-of-order";
const FOUNTAINS: &str = "drinking-fountains";
const SHADE: &str = "shade";
const DOGS: &str = "dogs-allowed";
const LIGHTING: &str = "lighting";
const WARDEN: &str = "warden";
const CLEANLINESS: &str = "cleanliness";

const OSM: &str = "osm-parks";
/// `leisure` values imported as parks.
const PARK_KINDS: &[&str] = &["park", "garden"];

fn out_of_order_rule(
    r: &Record<'_>,
    total: &str,
    broken: &str,
    what: (&str, &str),
) -> Option<Diagnostic> {
    let (total_n, broken_n) = (r.integer(total)?, r.integer(broken)?);
    (broken_n > total_n).then(|| {
        Diagnostic::error(
            "out-of-order-exceeds-total",
            format!(
                "{broken_n} {} hors service sur {total_n} en tout\u{a0}: impossible.",
                what.0
            ),
            format!(
                "{broken_n} {} out of order out of {total_n} in all: impossible.",
                what.1
            ),
        )
        .on(broken)
    })
}

impl ObjectType for Parks {
    fn manifest() -> Manifest {
        manifest()
    }

    fn normalize_identifier(raw: &str) -> Result<String, Diagnostic> {
        identifiers::osm::normalize(raw)
    }

    fn check_record(r: &Record<'_>) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = [
            out_of_order_rule(r, PLAY_EQUIPMENT, PLAY_OUT_OF_ORDER, ("jeux", "play items")),
            out_of_order_rule(r, TOILETS, TOILETS_OUT_OF_ORDER, ("toilettes", "toilets")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if let (Some(trees), Some(area)) = (r.integer(TREES), r.number(AREA))
            && area > 0.0
            && trees as f64 / area > 1000.0
        {
            out.push(
                Diagnostic::warning(
                    "implausible-tree-density",
                    format!(
                        "{trees} arbres sur {area} ha\u{a0}: plus de 1 000 par hectare, vérifiez."
                    ),
                    format!(
                        "{trees} trees on {area} ha: more than 1,000 per hectare, please check."
                    ),
                )
                .on(TREES),
            );
        }
        out
    }

    fn import_row(_importer: &str, row: &Row) -> Result<ImportedObject, Diagnostic> {
        let leisure = row.require(&["leisure"])?;
        if !PARK_KINDS.contains(&leisure) {
            return Err(Diagnostic::error(
                "not-a-park",
                format!("Élément ignoré\u{a0}: leisure={leisure}, ni parc ni jardin."),
                format!("Element skipped: leisure={leisure}, neither park nor garden."),
            )
            .on("leisure"));
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
        object = object
            .fact_opt(OPERATOR, row.get(&["operator"]).map(Value::text))
            .fact_opt(OPENING_HOURS, row.get(&["opening_hours"]).map(Value::text));
        if let Some(access) = row.get(&["wheelchair"]) {
            object = match access {
                "yes" | "limited" | "no" => object.fact(WHEELCHAIR, Value::choice(access)),
                other => object.warn(
                    Diagnostic::warning(
                        "unknown-wheelchair",
                        format!("Valeur wheelchair={other} non reconnue, ignorée."),
                        format!("Unrecognised wheelchair={other}, ignored."),
                    )
                    .on("wheelchair"),
                ),
            };
        }
        Ok(object)
    }
}

fn manifest() -> Manifest {
    Manifest::new(
        env!("CARGO_PKG_VERSION"),
        Identity::new(
            "parks",
            fr_en("Parc ou jardin", "Park or garden"),
            fr_en("Parcs et jardins", "Parks and gardens"),
            fr_en(
                "Parcs et jardins publics\u{a0}: équipements, état des jeux et des toilettes, \
                 ombre et propreté, relevés par les usagers.",
                "Public parks and gardens: facilities, state of play areas and toilets, shade \
                 and cleanliness, surveyed by their users.",
            ),
        )
        .icon_name("park")
        .color("#33a02c"),
        IdentifierScheme::new(
            "osm",
            fr_en("Identifiant OpenStreetMap", "OpenStreetMap identifier"),
            fr_en(
                "L'élément OpenStreetMap du parc, en général un chemin fermé (osm:way/…) ou une \
                 relation (osm:relation/…). Collez l'adresse de sa page sur openstreetmap.org.",
                "The park's OpenStreetMap element, usually a closed way (osm:way/…) or a \
                 relation (osm:relation/…). Paste the address of its openstreetmap.org page.",
            ),
            &["osm:way/26914963", "osm:relation/2818458"],
        ),
        VintageScheme::calendar_year(),
    )
    .group("general", "Informations générales", "General information")
    .group("equipment", "Équipements", "Facilities")
    .group("comfort", "Confort et entretien", "Comfort and upkeep")
    .field(Field::text(OPERATOR, "Gestionnaire", "Operator").max_length(200).official().group("general"))
    .field(
        Field::text(OPENING_HOURS, "Horaires", "Opening hours")
            .help("Au format OpenStreetMap, par exemple Mo-Su 08:00-19:00.", "In OpenStreetMap syntax, e.g. Mo-Su 08:00-19:00.")
            .max_length(255)
            .official()
            .group("general"),
    )
    .field(
        Field::choice(
            WHEELCHAIR,
            "Accès en fauteuil roulant",
            "Wheelchair access",
            [
                ChoiceOption::new("yes", "Oui", "Yes"),
                ChoiceOption::new("limited", "Partiel", "Limited"),
                ChoiceOption::new("no", "Non", "No"),
            ],
        )
        .official()
        .group("general"),
    )
    .field(Field::decimal(AREA, "Surface", "Area").unit("ha", "ha").range(0.0, 10_000.0).group("general"))
    .field(Field::integer(TREES, "Arbres", "Trees").range(0.0, 1_000_000.0).group("comfort"))
    .field(Field::integer(BENCHES, "Bancs", "Benches").range(0.0, 10_000.0).group("equipment"))
    .field(Field::integer(PLAY_EQUIPMENT, "Jeux pour enfants", "Play equipment").range(0.0, 1000.0).group("equipment"))
    .field(Field::integer(PLAY_OUT_OF_ORDER, "Jeux hors service", "Play equipment out of order").range(0.0, 1000.0).group("equipment"))
    .field(Field::integer(TOILETS, "Toilettes", "Toilets").range(0.0, 1000.0).group("equipment"))
    .field(Field::integer(TOILETS_OUT_OF_ORDER, "Toilettes hors service", "Toilets out of order").range(0.0, 1000.0).group("equipment"))
    .field(Field::integer(FOUNTAINS, "Fontaines à eau potable", "Drinking fountains").range(0.0, 1000.0).group("equipment"))
    .field(
        Field::choice(
            SHADE,
            "Ombre",
            "Shade",
            [
                ChoiceOption::new("none", "Aucune", "None"),
                ChoiceOption::new("little", "Un peu", "A little"),
                ChoiceOption::new("some", "Moyenne", "Some"),
                ChoiceOption::new("plenty", "Beaucoup", "Plenty"),
            ],
        )
        .group("comfort"),
    )
    .field(Field::boolean(DOGS, "Chiens admis", "Dogs allowed").group("general"))
    .field(Field::boolean(LIGHTING, "Éclairage la nuit", "Lit at night").group("comfort"))
    .field(Field::boolean(WARDEN, "Gardien présent", "Warden on site").group("comfort"))
    .field(
        Field::choice(
            CLEANLINESS,
            "Propreté",
            "Cleanliness",
            [
                ChoiceOption::new("dirty", "Sale", "Dirty"),
                ChoiceOption::new("average", "Moyenne", "Average"),
                ChoiceOption::new("clean", "Propre", "Clean"),
            ],
        )
        .group("comfort"),
    )
    .indicator(Indicator::ratio("trees-per-hectare", "Arbres par hectare", "Trees per hectare", &[TREES], &[AREA]).decimals(0))
    .indicator(Indicator::ratio("benches-per-hectare", "Bancs par hectare", "Benches per hectare", &[BENCHES], &[AREA]))
    .indicator(
        Indicator::ratio("play-equipment-out-of-order-share", "Part des jeux hors service", "Share of play equipment out of order", &[PLAY_OUT_OF_ORDER], &[PLAY_EQUIPMENT])
            .scale(100.0)
            .decimals(0)
            .unit("%", "%"),
    )
    .indicator(
        Indicator::ratio("toilets-out-of-order-share", "Part des toilettes hors service", "Share of toilets out of order", &[TOILETS_OUT_OF_ORDER], &[TOILETS])
            .scale(100.0)
            .decimals(0)
            .unit("%", "%"),
    )
    .category_set(CategorySet::new(
        "park",
        "Parc",
        "Park",
        [
            ("cleanliness", "Propreté", "Cleanliness"),
            ("playground", "Jeux pour enfants", "Playground"),
            ("trees-plants", "Arbres et végétation", "Trees and plants"),
            ("furniture", "Mobilier (bancs, poubelles)", "Furniture (benches, bins)"),
            ("lighting", "Éclairage", "Lighting"),
            ("toilets", "Toilettes", "Toilets"),
            ("water", "Fontaines et eau", "Fountains and water"),
            ("safety", "Sécurité", "Safety"),
            ("accessibility", "Accessibilité", "Accessibility"),
            ("opening-hours", "Horaires et accès", "Opening hours and access"),
        ]
        .iter()
        .map(|(k, fr, en)| Category::new(k, fr, en))
        .collect(),
    ))
    .request_kind(presets::intervention().category_sets(&["park"]))
    .request_kind(presets::improvement().category_sets(&["park"]))
    .request_kind(presets::report().category_sets(&["park"]))
    .layer(
        MapLayer::new(
            "play-equipment",
            "Jeux hors service",
            "Play equipment out of order",
            LayerStyle::thresholds(
                "play-equipment-out-of-order-share",
                vec![
                    ThresholdStep::below(10.0, "#1a9850", "Moins de 10\u{a0}%", "Under 10%"),
                    ThresholdStep::below(30.0, "#fc8d59", "10 à 30\u{a0}%", "10 to 30%"),
                    ThresholdStep::rest("#d73027", "30\u{a0}% et plus", "30% or more"),
                ],
                "#bdbdbd",
            ),
        )
        .visible_by_default(),
    )
    .layer(MapLayer::new(
        "shade",
        "Ombre",
        "Shade",
        LayerStyle::categories(
            SHADE,
            vec![
                CategoryCase::new(Value::choice("none"), "#d73027", "Aucune", "None"),
                CategoryCase::new(Value::choice("little"), "#fc8d59", "Un peu", "A little"),
                CategoryCase::new(Value::choice("some"), "#91cf60", "Moyenne", "Some"),
                CategoryCase::new(Value::choice("plenty"), "#1a9850", "Beaucoup", "Plenty"),
            ],
            "#bdbdbd",
        ),
    ))
    .layer(MapLayer::new(
        "trees-per-hectare",
        "Arbres par hectare",
        "Trees per hectare",
        LayerStyle::thresholds(
            "trees-per-hectare",
            vec![
                ThresholdStep::below(20.0, "#fee08b", "Moins de 20", "Under 20"),
                ThresholdStep::below(60.0, "#91cf60", "20 à 60", "20 to 60"),
                ThresholdStep::rest("#1a9850", "60 et plus", "60 or more"),
            ],
            "#bdbdbd",
        ),
    ))
    .importer(
        Importer::new(OSM, "Parcs et jardins d'OpenStreetMap", "Parks and gardens from OpenStreetMap")
            .description(
                "Éléments leisure=park ou leisure=garden exportés d'OpenStreetMap (Overpass en \
                 CSV ou GeoJSON avec «\u{a0}out center\u{a0}»\u{a0}: @id, @lat, @lon et les attributs).",
                "leisure=park or leisure=garden elements exported from OpenStreetMap (Overpass \
                 as CSV or GeoJSON with “out center”: @id, @lat, @lon and the tags).",
            )
            .source_url("https://www.openstreetmap.org/")
            .attribution("© les contributeurs d'OpenStreetMap / OpenStreetMap contributors — ODbL 1.0")
            .column(ImporterColumn::required(identifiers::osm::ID_COLUMNS, "Identifiant OSM", "OSM identifier"))
            .column(ImporterColumn::required(&["leisure"], "Attribut leisure", "leisure tag"))
            .column(ImporterColumn::optional(&["name"], "Nom", "Name"))
            .column(ImporterColumn::optional(identifiers::osm::LAT_COLUMNS, "Latitude (centre)", "Latitude (centre)"))
            .column(ImporterColumn::optional(identifiers::osm::LON_COLUMNS, "Longitude (centre)", "Longitude (centre)"))
            .column(ImporterColumn::optional(&["operator"], "Gestionnaire", "Operator"))
            .column(ImporterColumn::optional(&["opening_hours"], "Horaires", "Opening hours"))
            .column(ImporterColumn::optional(&["wheelchair"], "Accès fauteuil", "Wheelchair access")),
    )
}

vigie_plugin_sdk::export_plugin!(Parks);

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
            testing::conformance_problems::<Parks>(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn an_overpass_csv_row_becomes_a_park() {
        let h = Harness::<Parks>::new();
        let header: Vec<String> = [
            "::type",
            "::id",
            "::lat",
            "::lon",
            "leisure",
            "name",
            "operator",
            "wheelchair",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(h.detect_importer(&header), Some(OSM));
        let object = h
            .import_row(
                OSM,
                cells(&[
                    ("::type", "way"),
                    ("::id", "26914963"),
                    ("::lat", "43.2806"),
                    ("::lon", "5.3603"),
                    ("leisure", "park"),
                    ("name", "Parc Borély"),
                    ("operator", "Ville de Marseille"),
                    ("wheelchair", "limited"),
                ]),
            )
            .expect("import");
        assert_eq!(object.identifier, "osm:way/26914963");
        assert_eq!(object.official_name.as_deref(), Some("Parc Borély"));
        assert_eq!(
            object.find_fact(WHEELCHAIR),
            Some(&Value::choice("limited"))
        );
        assert_eq!(
            object.find_fact(OPERATOR),
            Some(&Value::text("Ville de Marseille"))
        );
        assert!(object.location.is_some());
        let err = h
            .import_row(
                OSM,
                cells(&[("::type", "way"), ("::id", "1"), ("leisure", "pitch")]),
            )
            .unwrap_err();
        assert_eq!(err.code, "not-a-park");
        let err = h
            .import_row(OSM, cells(&[("::id", "abc"), ("leisure", "park")]))
            .unwrap_err();
        assert_eq!(err.code, "osm-id");
    }

    #[test]
    fn broken_items_cannot_outnumber_items() {
        let h = Harness::<Parks>::new();
        let values = [
            FieldValue::new(PLAY_EQUIPMENT, Value::Integer(4)),
            FieldValue::new(PLAY_OUT_OF_ORDER, Value::Integer(5)),
            FieldValue::new(TOILETS, Value::Integer(2)),
            FieldValue::new(TOILETS_OUT_OF_ORDER, Value::Integer(1)),
        ];
        let d = h.validate_record("2025", &values);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].field.as_deref(), Some(PLAY_OUT_OF_ORDER));
        assert!(d[0].message.fr.contains("5 jeux hors service sur 4"));
        assert_eq!(
            h.indicator("toilets-out-of-order-share", "2025", &values),
            Some(50.0)
        );
    }
}
