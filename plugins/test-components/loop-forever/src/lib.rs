//! Test component: a valid manifest, then every other call loops forever.
//! The host must stop it (fuel or epoch deadline) and stay up.

use vigie_plugin_sdk::prelude::*;

/// The exported object type.
pub struct LoopForever;

/// Burns instructions for ever; `black_box` keeps the optimiser from
/// reasoning about the loop.
fn spin() -> ! {
    let mut n: u64 = 0;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

impl ObjectType for LoopForever {
    fn manifest() -> Manifest {
        vigie_test_components_common::manifest("loop-forever", "boucle infinie / infinite loop")
    }
    fn normalize_identifier(_raw: &str) -> Result<String, Diagnostic> {
        spin()
    }
    fn normalize_vintage(_kind: VintageKind, _raw: &str) -> Result<String, Diagnostic> {
        spin()
    }
    fn check_record(_record: &Record<'_>) -> Vec<Diagnostic> {
        spin()
    }
    fn custom_indicators(_record: &Record<'_>) -> Vec<IndicatorValue> {
        spin()
    }
    fn check_request(_kind: &str, _fields: &Record<'_>) -> Vec<Diagnostic> {
        spin()
    }
    fn check_field(_key: &str, _value: &Value) -> Vec<Diagnostic> {
        spin()
    }
    fn import_row(_importer: &str, _row: &Row) -> Result<ImportedObject, Diagnostic> {
        spin()
    }
}

vigie_plugin_sdk::export_plugin!(LoopForever);
