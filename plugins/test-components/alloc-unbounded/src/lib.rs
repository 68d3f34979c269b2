//! Test component: a valid manifest, then every other call allocates memory
//! without bound (1 MiB at a time, each written so it is really used). The
//! host's memory limit must make the call fail and keep the server up.

use vigie_plugin_sdk::prelude::*;

/// The exported object type.
pub struct AllocUnbounded;

fn hog() -> ! {
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    loop {
        let chunk = vec![0xA5u8; 1 << 20];
        chunks.push(std::hint::black_box(chunk));
    }
}

impl ObjectType for AllocUnbounded {
    fn manifest() -> Manifest {
        vigie_test_components_common::manifest(
            "alloc-unbounded",
            "mémoire sans limite / unbounded memory",
        )
    }
    fn normalize_identifier(_raw: &str) -> Result<String, Diagnostic> {
        hog()
    }
    fn normalize_vintage(_kind: VintageKind, _raw: &str) -> Result<String, Diagnostic> {
        hog()
    }
    fn check_field(_key: &str, _value: &Value) -> Vec<Diagnostic> {
        hog()
    }
    fn check_record(_record: &Record<'_>) -> Vec<Diagnostic> {
        hog()
    }
    fn custom_indicators(_record: &Record<'_>) -> Vec<IndicatorValue> {
        hog()
    }
    fn check_request(_kind: &str, _fields: &Record<'_>) -> Vec<Diagnostic> {
        hog()
    }
    fn import_row(_importer: &str, _row: &Row) -> Result<ImportedObject, Diagnostic> {
        hog()
    }
}

vigie_plugin_sdk::export_plugin!(AllocUnbounded);
