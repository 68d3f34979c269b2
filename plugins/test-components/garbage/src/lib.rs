//! Test component: implements the world directly (without the SDK's checks)
//! and answers nonsense everywhere. The host must refuse its manifest and
//! sanitise or refuse every answer without crashing.
//!
//! Its manifest has, among others: an empty type key, duplicate field keys, an
//! unknown group, min above max, a choice without options, empty French
//! texts, an indicator over a missing field, bad colours, a layer on an
//! unknown variable, a request kind with an unknown category set, an importer
//! without columns.

#![allow(unsafe_code)] // expansion of the bindings' export macro

use vigie_plugin_sdk::bindings::exports::vigie::object_type::plugin::Guest;
use vigie_plugin_sdk::prelude::*;
use vigie_plugin_sdk::{Cell, FieldKind, FieldValue, ThresholdStep};

/// The exported object type.
pub struct Garbage;

fn nonsense_manifest() -> Manifest {
    let identity = Identity::new("", fr_en("", "Garbage"), fr_en("", ""), fr_en("", ""))
        .icon_svg("not an svg")
        .color("red");
    let identifier = IdentifierScheme::new("Not A Key", fr_en("", ""), fr_en("", ""), &[]);
    let mut vintage = VintageScheme::calendar_year();
    vintage.examples.clear();
    let mut manifest = Manifest::new("", identity, identifier, vintage)
        .group("dup", "Groupe", "Group")
        .group("dup", "Groupe", "Group")
        .field(Field::integer("count", "Nombre", "Count").range(10.0, 1.0))
        .field(Field::text("count", "Encore", "Again").min(0.0))
        .field(Field::integer("orphan", "Orphelin", "Orphan").group("no-such-group"))
        .field(Field::new(
            "empty-choice",
            FieldKind::Choice(Vec::new()),
            "",
            "",
        ))
        .field(Field::decimal("Bad Key", "Mauvaise clé", "Bad key").max(f64::NAN))
        .indicator(Indicator::ratio(
            "ghost",
            "Fantôme",
            "Ghost",
            &["missing"],
            &[],
        ))
        .indicator(
            Indicator::ratio("count", "Doublon", "Duplicate", &["count"], &["count"]).scale(0.0),
        )
        .layer(MapLayer::new(
            "layer",
            "Couche",
            "Layer",
            LayerStyle::thresholds(
                "nowhere",
                vec![
                    ThresholdStep::rest("blue", "Tout", "All"),
                    ThresholdStep::below(5.0, "#zzzzzz", "", ""),
                ],
                "#12345",
            ),
        ))
        .layer(MapLayer::new(
            "layer",
            "Doublon",
            "Duplicate",
            LayerStyle::Single("".into()),
        ))
        .request_kind(presets::report().category_sets(&["no-such-set"]))
        .request_kind(presets::report())
        .importer(Importer::new("import", "", ""));
    manifest.plugin_version = String::new();
    manifest
}

impl Guest for Garbage {
    fn manifest() -> Manifest {
        nonsense_manifest()
    }
    fn normalize_identifier(_raw: String) -> Result<String, Diagnostic> {
        Ok(String::new())
    }
    fn normalize_vintage(raw: String) -> Result<String, Diagnostic> {
        Ok(format!("not a vintage: {raw}"))
    }
    fn validate_field(_key: String, _value: Value) -> Vec<Diagnostic> {
        vec![Diagnostic::error("", "", "").on("no-such-field")]
    }
    fn validate_record(_vintage: String, _record: Vec<FieldValue>) -> Vec<Diagnostic> {
        (0..10_000)
            .map(|i| Diagnostic::warning(&format!("noise-{i}"), "bruit", "noise").on("nowhere"))
            .collect()
    }
    fn compute_indicators(_vintage: String, _record: Vec<FieldValue>) -> Vec<IndicatorValue> {
        vec![
            IndicatorValue {
                key: "ghost".into(),
                value: f64::NAN,
            },
            IndicatorValue {
                key: "count".into(),
                value: f64::INFINITY,
            },
            IndicatorValue {
                key: "no-such-indicator".into(),
                value: 1.0,
            },
            IndicatorValue {
                key: "no-such-indicator".into(),
                value: 2.0,
            },
        ]
    }
    fn validate_request(_kind: String, _fields: Vec<FieldValue>) -> Vec<Diagnostic> {
        vec![Diagnostic::warning("\u{0}", "\u{0}", "\u{0}")]
    }
    fn import_row(_importer: String, _row: Vec<Cell>) -> Result<ImportedObject, Diagnostic> {
        Ok(ImportedObject::new("")
            .name("")
            .location(999.0, f64::NAN)
            .vintage("nope")
            .opened_on("yesterday")
            .fact("no-such-field", Value::Integer(1))
            .fact("count", Value::text("many"))
            .fact("count", Value::Decimal(f64::NEG_INFINITY)))
    }
}

// Only for WebAssembly: component export names are not valid native symbols.
#[cfg(target_arch = "wasm32")]
vigie_plugin_sdk::bindings::__export_object_type!(Garbage);

#[cfg(test)]
mod tests {
    #[test]
    fn the_manifest_is_refused_for_many_reasons() {
        let problems = super::nonsense_manifest().problems();
        for expected in [
            "plugin-version is empty",
            "identity: invalid key \"\"",
            "field: key \"count\" is used twice",
            "unknown group \"no-such-group\"",
            "min is above max",
            "a choice needs options",
            "\"missing\" is not a numeric field",
            "unknown category set \"no-such-set\"",
            "declare at least one required column",
            "only the last step may have no bound",
        ] {
            assert!(
                problems.iter().any(|p| p.contains(expected)),
                "missing problem {expected:?} in {problems:#?}"
            );
        }
    }
}
