//! A small, valid manifest for the test components: the host must load them
//! (their manifest is fine) before their other calls misbehave.

use vigie_plugin_sdk::prelude::*;

/// A valid manifest for a test component of type `key`: one integer field
/// `count`, one decimal field `area`, a ratio indicator, a request kind, a
/// layer and an importer reading a `code` column.
pub fn manifest(key: &str, what: &str) -> Manifest {
    Manifest::new(
        env!("CARGO_PKG_VERSION"),
        Identity::new(
            key,
            fr_en(format!("Test ({what})"), format!("Test ({what})")),
            fr_en(format!("Tests ({what})"), format!("Tests ({what})")),
            fr_en(
                format!("Composant de test des défaillances de plugin\u{a0}: {what}."),
                format!("Test component for plugin failures: {what}."),
            ),
        )
        .icon_name("bug")
        .color("#e31a1c"),
        IdentifierScheme::new(
            "test-code",
            fr_en("Code de test", "Test code"),
            fr_en("Des lettres et des chiffres.", "Letters and digits."),
            &["T1"],
        ),
        VintageScheme::calendar_year(),
    )
    .group("main", "Général", "General")
    .field(
        Field::integer("count", "Nombre", "Count")
            .min(0.0)
            .group("main"),
    )
    .field(
        Field::decimal("area", "Surface", "Area")
            .unit("m²", "m²")
            .min(0.0)
            .group("main"),
    )
    .indicator(Indicator::ratio(
        "count-per-area",
        "Nombre par m²",
        "Count per m²",
        &["count"],
        &["area"],
    ))
    .category_set(presets::sst_categories())
    .request_kind(presets::report().category_sets(&[presets::SST]))
    .layer(MapLayer::new(
        "all",
        "Tous",
        "All",
        LayerStyle::Single("#e31a1c".into()),
    ))
    .importer(
        Importer::new("test-rows", "Lignes de test", "Test rows")
            .attribution("Vigie tests")
            .column(ImporterColumn::required(&["code"], "Code", "Code")),
    )
}

/// Accepts non-empty alphanumeric codes, uppercased.
pub fn normalize_code(raw: &str) -> Result<String, Diagnostic> {
    let code = raw.trim().to_uppercase();
    if !code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(code)
    } else {
        Err(Diagnostic::error(
            "test-code",
            "Code de test invalide.",
            "Invalid test code.",
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shared_manifest_is_valid() {
        assert_eq!(
            super::manifest("loop-forever", "loop").problems(),
            Vec::<String>::new()
        );
    }
}
