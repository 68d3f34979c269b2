//! Vigie's plugin host: object types (schools, libraries, parks, …) are WebAssembly
//! components implementing the WIT package `vigie:object-type@0.1.0`
//! (`plugins/wit/object-type@0.1.0/`).
//!
//! The host runs them in wasmtime with every call bounded: fuel (so an endless loop stops),
//! a memory and table cap (so a runaway allocation stops), and a fresh instance after any
//! failure. A plugin that misbehaves fails *that call* with a [`PluginError`]; the server and
//! the other plugins carry on. Compiled code is cached on disk (wasmtime's cache) and each
//! component is pre-instantiated once; instances are reused between successful calls.

mod bindings;
mod check;
pub use check::{extension as check_extension_field, value as check_value};
pub mod dataset;
mod json;
pub use json::to_api_json;
mod host;
mod instance;

pub use bindings::v0_1_0::vigie::object_type::types as wit;
pub use host::{
    BUNDLED, HostLimits, InstanceAllocation, LoadedPlugin, PluginError, PluginHost, PluginSource,
    Sha256Hex, sha256_hex as host_sha256,
};

/// The WIT interface versions this host binds, newest first.
pub const INTERFACE_VERSIONS: [&str; 1] = ["0.1.0"];
