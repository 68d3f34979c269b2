//! Test component: a valid manifest, then every other call traps — a Rust
//! panic (which aborts: `unreachable` in WebAssembly) or the `unreachable`
//! instruction itself. The host must turn the trap into an error and use a
//! fresh instance afterwards.

use vigie_plugin_sdk::prelude::*;

/// The exported object type.
pub struct Trap;

/// Executes the WebAssembly `unreachable` instruction.
fn unreachable_instruction() -> ! {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::unreachable()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::process::abort()
    }
}

impl ObjectType for Trap {
    fn manifest() -> Manifest {
        vigie_test_components_common::manifest("trap", "panique / panic")
    }
    fn normalize_identifier(raw: &str) -> Result<String, Diagnostic> {
        panic!("trap test component: normalize-identifier({raw:?}) always panics")
    }
    fn normalize_vintage(_kind: VintageKind, _raw: &str) -> Result<String, Diagnostic> {
        unreachable_instruction()
    }
    fn check_field(key: &str, _value: &Value) -> Vec<Diagnostic> {
        panic!("trap test component: validate-field({key:?}) always panics")
    }
    fn check_record(record: &Record<'_>) -> Vec<Diagnostic> {
        // An out-of-bounds index, as a real bug would have.
        let values = record.values();
        let past_the_end = values.len() + usize::from(std::hint::black_box(true));
        let key = &values[past_the_end].key;
        vec![Diagnostic::error(key, "jamais atteint", "never reached")]
    }
    fn custom_indicators(_record: &Record<'_>) -> Vec<IndicatorValue> {
        panic!("trap test component: compute-indicators always panics")
    }
    fn check_request(kind: &str, _fields: &Record<'_>) -> Vec<Diagnostic> {
        panic!("trap test component: validate-request({kind:?}) always panics")
    }
    fn import_row(_importer: &str, _row: &Row) -> Result<ImportedObject, Diagnostic> {
        unreachable_instruction()
    }
}

vigie_plugin_sdk::export_plugin!(Trap);
