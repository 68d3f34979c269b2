//! Vigie object type **schools** (`écoles`): public and private schools and
//! establishments identified by their UAI, vintaged by school year.
//!
//! Official facts come from the Education ministry's open data (geolocation,
//! pupils and classes, social-position index); citizens add what the city does
//! not publish — ATSEM staff first of all.

mod import;
mod manifest;
#[cfg(test)]
mod tests;

use vigie_plugin_sdk::prelude::*;

/// The schools object type.
pub struct Schools;

impl ObjectType for Schools {
    fn manifest() -> Manifest {
        manifest::manifest()
    }

    fn normalize_identifier(raw: &str) -> Result<String, Diagnostic> {
        identifiers::uai::normalize(raw)
    }

    fn check_record(record: &Record<'_>) -> Vec<Diagnostic> {
        manifest::check_record(record)
    }

    fn custom_indicators(record: &Record<'_>) -> Vec<IndicatorValue> {
        manifest::custom_indicators(record)
    }

    fn import_row(importer: &str, row: &Row) -> Result<ImportedObject, Diagnostic> {
        import::import_row(importer, row)
    }
}

vigie_plugin_sdk::export_plugin!(Schools);
