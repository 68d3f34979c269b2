//! Host bindings, one module per supported interface version (a released version is frozen;
//! a new one is bound beside it).

/// `vigie:object-type@0.1.0`
pub mod v0_1_0 {
    wasmtime::component::bindgen!({
        world: "object-type",
        path: "../../plugins/wit/object-type@0.1.0",
        additional_derives: [serde::Serialize, serde::Deserialize],
    });
}
