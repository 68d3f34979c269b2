//! Vigie object type **sports halls** (`gymnases`), the example built step by
//! step in the plugin tutorial, `docs/plugins.md`.

use vigie_plugin_sdk::prelude::*;

/// The sports-halls object type.
pub struct SportsHalls;

const OPENING_HOURS: &str = "opening-hours";
const FLOOR_AREA: &str = "floor-area";
const SPECTATOR_SEATS: &str = "spectator-seats";
const SHOWERS: &str = "showers";
const WORKING_SHOWERS: &str = "working-showers";
const HEATED: &str = "heated";
const ACCESSIBLE: &str = "accessible";

const OSM: &str = "osm-sports-halls";

fn manifest() -> Manifest {
    Manifest::new(
        env!("CARGO_PKG_VERSION"),
        Identity::new(
            "sports-halls",
            fr_en("Gymnase", "Sports hall"),
            fr_en("Gymnases", "Sports halls"),
            fr_en(
                "Gymnases et salles de sport publics\u{a0}: équipements et état.",
                "Public sports halls: facilities and their condition.",
            ),
        )
        .icon_name("sports-hall")
        .color("#ff7f00"),
        IdentifierScheme::new(
            "osm",
            fr_en("Identifiant OpenStreetMap", "OpenStreetMap identifier"),
            fr_en(
                "L'élément OpenStreetMap du gymnase, par exemple osm:way/123456.",
                "The sports hall's OpenStreetMap element, e.g. osm:way/123456.",
            ),
            &["osm:way/123456"],
        ),
        VintageScheme::calendar_year(),
    )
    .group("general", "Informations générales", "General information")
    .group("equipment", "Équipements", "Facilities")
    .field(
        Field::text(OPENING_HOURS, "Horaires", "Opening hours")
            .max_length(255)
            .official()
            .group("general"),
    )
    .field(
        Field::decimal(FLOOR_AREA, "Surface de jeu", "Playing area")
            .unit("m²", "m²")
            .range(0.0, 20_000.0)
            .group("equipment"),
    )
    .field(
        Field::integer(SPECTATOR_SEATS, "Places en tribune", "Spectator seats")
            .range(0.0, 20_000.0)
            .group("equipment"),
    )
    .field(
        Field::integer(SHOWERS, "Douches", "Showers")
            .range(0.0, 500.0)
            .group("equipment"),
    )
    .field(
        Field::integer(
            WORKING_SHOWERS,
            "Douches en état de marche",
            "Working showers",
        )
        .range(0.0, 500.0)
        .group("equipment"),
    )
    .field(Field::boolean(HEATED, "Chauffé", "Heated").group("equipment"))
    .field(
        Field::boolean(
            ACCESSIBLE,
            "Accessible aux personnes à mobilité réduite",
            "Accessible to people with reduced mobility",
        )
        .group("general"),
    )
    .indicator(
        Indicator::ratio(
            "working-showers-share",
            "Part des douches en état de marche",
            "Share of working showers",
            &[WORKING_SHOWERS],
            &[SHOWERS],
        )
        .scale(100.0)
        .decimals(0)
        .unit("%", "%"),
    )
    .category_set(CategorySet::new(
        "sports-hall",
        "Gymnase",
        "Sports hall",
        vec![
            Category::new("building", "Bâtiment", "Building"),
            Category::new(
                "changing-rooms",
                "Vestiaires et douches",
                "Changing rooms and showers",
            ),
            Category::new("sports-equipment", "Matériel sportif", "Sports equipment"),
            Category::new("heating", "Chauffage", "Heating"),
            Category::new("cleaning", "Propreté", "Cleanliness"),
        ],
    ))
    .request_kind(presets::intervention().category_sets(&["sports-hall"]))
    .request_kind(presets::improvement().category_sets(&["sports-hall"]))
    .request_kind(presets::report().category_sets(&["sports-hall"]))
    .layer(
        MapLayer::new(
            "working-showers",
            "Douches en état de marche",
            "Working showers",
            LayerStyle::thresholds(
                "working-showers-share",
                vec![
                    ThresholdStep::below(50.0, "#d73027", "Moins de la moitié", "Less than half"),
                    ThresholdStep::below(100.0, "#fc8d59", "Pas toutes", "Not all"),
                    ThresholdStep::rest("#1a9850", "Toutes", "All"),
                ],
                "#bdbdbd",
            ),
        )
        .visible_by_default(),
    )
    .importer(
        Importer::new(
            OSM,
            "Gymnases d'OpenStreetMap",
            "Sports halls from OpenStreetMap",
        )
        .source_url("https://www.openstreetmap.org/")
        .attribution("© OpenStreetMap contributors — ODbL 1.0")
        .column(ImporterColumn::required(
            identifiers::osm::ID_COLUMNS,
            "Identifiant OSM",
            "OSM identifier",
        ))
        .column(ImporterColumn::required(
            &["leisure"],
            "Attribut leisure",
            "leisure tag",
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
        )),
    )
}

impl ObjectType for SportsHalls {
    fn manifest() -> Manifest {
        manifest()
    }

    fn normalize_identifier(raw: &str) -> Result<String, Diagnostic> {
        identifiers::osm::normalize(raw)
    }

    fn check_record(record: &Record<'_>) -> Vec<Diagnostic> {
        let mut problems = Vec::new();
        if let (Some(working), Some(all)) =
            (record.integer(WORKING_SHOWERS), record.integer(SHOWERS))
            && working > all
        {
            problems.push(
                Diagnostic::error(
                    "working-showers-exceed-showers",
                    format!("{working} douches en état de marche sur {all}\u{a0}: impossible."),
                    format!("{working} working showers out of {all}: impossible."),
                )
                .on(WORKING_SHOWERS),
            );
        }
        problems
    }

    fn import_row(_importer: &str, row: &Row) -> Result<ImportedObject, Diagnostic> {
        let leisure = row.require(&["leisure"])?;
        if leisure != "sports_hall" && leisure != "sports_centre" {
            return Err(Diagnostic::error(
                "not-a-sports-hall",
                format!("Élément ignoré\u{a0}: leisure={leisure}."),
                format!("Element skipped: leisure={leisure}."),
            )
            .on("leisure"));
        }
        let mut hall = ImportedObject::new(&identifiers::osm::id_from_row(row)?);
        if let Some(name) = row.get(&["name"]) {
            hall = hall.name(name);
        }
        if let Some((lat, lon)) = identifiers::osm::location_from_row(row)? {
            hall = hall.location(lat, lon);
        }
        Ok(hall.fact_opt(OPENING_HOURS, row.get(&["opening_hours"]).map(Value::text)))
    }
}

vigie_plugin_sdk::export_plugin!(SportsHalls);

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_plugin_sdk::testing::{self, Harness};
    use vigie_plugin_sdk::{Cell, FieldValue};

    #[test]
    fn the_manifest_is_valid() {
        assert_eq!(
            testing::conformance_problems::<SportsHalls>(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn more_working_showers_than_showers_is_refused() {
        let h = Harness::<SportsHalls>::new();
        let record = [
            FieldValue::new(SHOWERS, Value::Integer(4)),
            FieldValue::new(WORKING_SHOWERS, Value::Integer(6)),
        ];
        let problems = h.validate_record("2025", &record);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, "working-showers-exceed-showers");
        assert_eq!(problems[0].field.as_deref(), Some(WORKING_SHOWERS));
    }

    #[test]
    fn the_share_of_working_showers_is_computed() {
        let h = Harness::<SportsHalls>::new();
        let record = [
            FieldValue::new(SHOWERS, Value::Integer(8)),
            FieldValue::new(WORKING_SHOWERS, Value::Integer(6)),
        ];
        assert_eq!(
            h.indicator("working-showers-share", "2025", &record),
            Some(75.0)
        );
    }

    /// The tutorial, `docs/plugins.md`, shows this crate verbatim: its
    /// `rust` blocks, in order, are this file and its first `toml` block is
    /// the crate's manifest.
    #[test]
    fn the_tutorial_shows_this_crate_verbatim() {
        let tutorial = include_str!("../../../../docs/plugins.md");
        let blocks = |fence: &str| -> Vec<&str> {
            tutorial
                .split(fence)
                .skip(1)
                .filter_map(|rest| rest.split_once("\n```").map(|(code, _)| code))
                .collect()
        };
        let code = blocks("```rust\n").join("\n\n") + "\n";
        assert!(
            code == include_str!("lib.rs"),
            "docs/plugins.md and src/lib.rs differ"
        );
        let toml = blocks("```toml\n").first().map(|b| format!("{b}\n"));
        assert!(
            toml.as_deref() == Some(include_str!("../Cargo.toml")),
            "docs/plugins.md and Cargo.toml differ"
        );
    }

    #[test]
    fn an_osm_row_becomes_a_sports_hall() {
        let h = Harness::<SportsHalls>::new();
        let cells: Vec<Cell> = [
            ("@id", "way/123456"),
            ("leisure", "sports_hall"),
            ("name", "Gymnase Ruffi"),
        ]
        .iter()
        .map(|(column, text)| Cell {
            column: column.to_string(),
            text: text.to_string(),
        })
        .collect();
        let hall = h.import_row(OSM, cells).expect("import");
        assert_eq!(hall.identifier, "osm:way/123456");
        assert_eq!(hall.official_name.as_deref(), Some("Gymnase Ruffi"));
    }
}
