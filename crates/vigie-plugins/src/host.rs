//! The wasmtime host.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::{Config, Engine, Store, StoreLimits, StoreLimitsBuilder};

use crate::check;
use crate::instance::{Exports, PluginInstance};
use crate::wit;

/// The plugins shipped inside the binary.
pub const BUNDLED: [(&str, &[u8]); 3] = [
    (
        "schools",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../plugins/dist/schools.wasm"
        )),
    ),
    (
        "libraries",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../plugins/dist/libraries.wasm"
        )),
    ),
    (
        "parks",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../plugins/dist/parks.wasm"
        )),
    ),
];

/// Dirty bytes of a freed instance slot (memory, table) reset in place rather than decommitted.
const KEEP_RESIDENT_BYTES: usize = 256 << 10;

/// Bounds on every plugin call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostLimits {
    /// Fuel per call (≈ WebAssembly instructions). An endless loop stops when it runs out.
    pub fuel: u64,
    /// Largest linear memory of an instance, bytes.
    pub memory_bytes: usize,
    /// Largest table of an instance, elements.
    pub table_elements: usize,
    /// Idle instances kept per plugin for reuse.
    pub idle_instances: usize,
}

impl Default for HostLimits {
    fn default() -> Self {
        Self {
            fuel: 50_000_000,
            memory_bytes: 32 << 20,
            table_elements: 20_000,
            idle_instances: 8,
        }
    }
}

/// A SHA-256 digest in lowercase hexadecimal.
pub type Sha256Hex = String;

/// Where a plugin came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginSource {
    /// Built into the binary.
    Bundled,
    /// A file of the plugins folder.
    File(PathBuf),
}

impl std::fmt::Display for PluginSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PluginSource::Bundled => f.write_str("bundled"),
            PluginSource::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// Why a plugin could not be loaded or a call failed. Each names the plugin.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// A plugin file could not be read.
    #[error("cannot read plugin {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A plugin file in the folder has no pin in the configuration.
    #[error(
        "plugin file {file} is not pinned: add `\"{file}\" = \"{actual}\"` under [plugins.pinned] \
         once you trust it"
    )]
    NotPinned {
        /// File name.
        file: String,
        /// Its SHA-256.
        actual: Sha256Hex,
    },
    /// A plugin file does not have the pinned hash.
    #[error("plugin file {file} has SHA-256 {actual}, but the configuration pins {expected}")]
    HashMismatch {
        /// File name.
        file: String,
        /// Pinned.
        expected: Sha256Hex,
        /// Found.
        actual: Sha256Hex,
    },
    /// A pinned plugin file is missing.
    #[error("pinned plugin file {file} is missing from {dir}")]
    PinnedMissing {
        /// File name.
        file: String,
        /// The folder.
        dir: PathBuf,
    },
    /// Not a WebAssembly component wasmtime can compile.
    #[error("plugin {plugin} is not a valid WebAssembly component: {message}")]
    Compile {
        /// Plugin name.
        plugin: String,
        /// Why.
        message: String,
    },
    /// The component does not implement a supported interface version.
    #[error(
        "plugin {plugin} does not implement vigie:object-type@{supported} (the versions this \
         server supports): {message}"
    )]
    Interface {
        /// Plugin name.
        plugin: String,
        /// Supported versions.
        supported: String,
        /// Why.
        message: String,
    },
    /// The manifest breaks the rules of the interface.
    #[error("plugin {plugin} declares an invalid manifest:\n  - {}", problems.join("\n  - "))]
    Manifest {
        /// Plugin name.
        plugin: String,
        /// Every problem found.
        problems: Vec<String>,
    },
    /// Two plugins declare the same object type.
    #[error("object type '{key}' is declared by two plugins ({first} and {second})")]
    Duplicate {
        /// Type key.
        key: String,
        /// First source.
        first: String,
        /// Second source.
        second: String,
    },
    /// A call ran out of fuel: it looped or worked far too long.
    #[error("plugin {plugin} took too long in {call} and was stopped (fuel exhausted)")]
    OutOfFuel {
        /// Type key.
        plugin: String,
        /// The function.
        call: &'static str,
    },
    /// A call tried to use more memory than allowed.
    #[error(
        "plugin {plugin} tried to use more than {limit_mib} MiB of memory in {call} and was stopped"
    )]
    MemoryLimit {
        /// Type key.
        plugin: String,
        /// The function.
        call: &'static str,
        /// The cap.
        limit_mib: usize,
    },
    /// A call trapped (panic, unreachable, out-of-bounds access…).
    #[error("plugin {plugin} failed in {call}: {message}")]
    Trap {
        /// Type key.
        plugin: String,
        /// The function.
        call: &'static str,
        /// wasmtime's description.
        message: String,
    },
    /// A call returned something the interface forbids.
    #[error("plugin {plugin} returned an invalid answer from {call}: {message}")]
    Garbage {
        /// Type key.
        plugin: String,
        /// The function.
        call: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The engine could not be set up.
    #[error("plugin engine: {0}")]
    Engine(String),
}

/// Per-store state: the resource limiter.
pub(crate) struct HostState {
    limits: StoreLimits,
}

/// A loaded object-type plugin: its checked manifest and a pre-instantiated component.
pub struct LoadedPlugin {
    key: String,
    manifest: wit::PluginManifest,
    sha256: Sha256Hex,
    source: PluginSource,
    size: usize,
    engine: Engine,
    pre: InstancePre<HostState>,
    exports: Exports,
    limits: HostLimits,
    idle: Mutex<Vec<PluginInstance<HostState>>>,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("key", &self.key)
            .field("source", &self.source)
            .field("sha256", &self.sha256)
            .finish()
    }
}

impl LoadedPlugin {
    /// The object type key, e.g. `schools`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The checked manifest.
    pub fn manifest(&self) -> &wit::PluginManifest {
        &self.manifest
    }

    /// SHA-256 of the component file.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Where it came from.
    pub fn source(&self) -> &PluginSource {
        &self.source
    }

    /// Size of the component, bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The importer of this plugin that recognises a file with this header.
    pub fn detect_importer(&self, header: &[String]) -> Option<&wit::Importer> {
        crate::dataset::detect_importer(&self.manifest, header)
    }

    /// The interface version it implements.
    pub fn interface_version(&self) -> &'static str {
        crate::INTERFACE_VERSIONS[0]
    }

    fn new_store(&self) -> Store<HostState> {
        let limits = StoreLimitsBuilder::new()
            .memory_size(self.limits.memory_bytes)
            .table_elements(self.limits.table_elements)
            .instances(4)
            .tables(8)
            .memories(4)
            .trap_on_grow_failure(true)
            .build();
        let mut store = Store::new(&self.engine, HostState { limits });
        store.limiter(|s| &mut s.limits);
        store
    }

    /// A store with its limits and full fuel (instantiation runs no guest code of ours, but
    /// gets fuel all the same).
    fn fueled_store(&self) -> Result<Store<HostState>, PluginError> {
        let mut store = self.new_store();
        store
            .set_fuel(self.limits.fuel)
            .map_err(|e| PluginError::Engine(e.to_string()))?;
        Ok(store)
    }

    fn fresh_instance(&self, call: &'static str) -> Result<PluginInstance<HostState>, PluginError> {
        PluginInstance::new(&self.pre, self.fueled_store()?).map_err(|e| self.classify(call, e))
    }

    /// Runs one call on an idle instance (or a fresh one), with full fuel, and checks the
    /// answer with `check`. The instance goes back to the idle pool only when the call
    /// succeeded and its answer passed: after a trap, an exhausted fuel or a forbidden answer
    /// the next call gets a fresh instance.
    ///
    /// Each call is timed (`vigie_plugin_call_duration_seconds`) and each failure counted
    /// (`vigie_plugin_call_failures_total`, by reason) for the metrics.
    fn call<R>(
        &self,
        call: &'static str,
        f: impl FnOnce(&mut PluginInstance<HostState>, &Exports) -> wasmtime::Result<R>,
        check: impl FnOnce(&R) -> Result<(), String>,
    ) -> Result<R, PluginError> {
        let start = std::time::Instant::now();
        let out = self.call_unmeasured(call, f, check);
        metrics::histogram!("vigie_plugin_call_duration_seconds",
            "plugin" => self.key.clone(), "call" => call)
        .record(start.elapsed().as_secs_f64());
        if let Err(e) = &out {
            let reason = match e {
                PluginError::OutOfFuel { .. } => "out_of_fuel",
                PluginError::MemoryLimit { .. } => "memory_limit",
                PluginError::Trap { .. } => "trap",
                PluginError::Garbage { .. } => "invalid_answer",
                _ => "engine",
            };
            metrics::counter!("vigie_plugin_call_failures_total",
                "plugin" => self.key.clone(), "call" => call, "reason" => reason)
            .increment(1);
        }
        out
    }

    fn call_unmeasured<R>(
        &self,
        call: &'static str,
        f: impl FnOnce(&mut PluginInstance<HostState>, &Exports) -> wasmtime::Result<R>,
        check: impl FnOnce(&R) -> Result<(), String>,
    ) -> Result<R, PluginError> {
        let reused = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let mut instance = match reused {
            Some(instance) => instance,
            None => self.fresh_instance(call)?,
        };
        instance
            .store
            .set_fuel(self.limits.fuel)
            .map_err(|e| PluginError::Engine(e.to_string()))?;
        let out = f(&mut instance, &self.exports).map_err(|e| self.classify(call, e))?;
        check(&out).map_err(|m| self.garbage(call, m))?;
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.limits.idle_instances
        {
            idle.push(instance);
        }
        Ok(out)
    }

    /// Runs one call on a brand-new instance (for benchmarks and tests of isolation).
    pub fn call_fresh_normalize_identifier(
        &self,
        raw: &str,
    ) -> Result<Result<String, wit::Diagnostic>, PluginError> {
        let out = self
            .fresh_instance("normalize-identifier")?
            .normalize_identifier(&self.exports, raw)
            .map_err(|e| self.classify("normalize-identifier", e))?;
        check_normalized(&out).map_err(|m| self.garbage("normalize-identifier", m))?;
        Ok(out)
    }

    /// Creates a fresh instance (store, limits, fuel, instantiation of the pre-instantiated
    /// component) and drops it, calling nothing: what a fresh instance costs (for benchmarks).
    #[doc(hidden)]
    pub fn bench_instantiate(&self) -> Result<(), PluginError> {
        self.fresh_instance("instantiate").map(drop)
    }

    fn classify(&self, call: &'static str, e: wasmtime::Error) -> PluginError {
        if let Some(trap) = e.downcast_ref::<wasmtime::Trap>()
            && *trap == wasmtime::Trap::OutOfFuel
        {
            return PluginError::OutOfFuel {
                plugin: self.key.clone(),
                call,
            };
        }
        let text = format!("{e:#}");
        if text.contains("forcing trap when growing memory")
            || text.contains("memory minimum size")
            || text.contains("exceeds memory limits")
        {
            return PluginError::MemoryLimit {
                plugin: self.key.clone(),
                call,
                limit_mib: self.limits.memory_bytes >> 20,
            };
        }
        PluginError::Trap {
            plugin: self.key.clone(),
            call,
            message: text.lines().next().unwrap_or_default().to_owned(),
        }
    }

    fn garbage(&self, call: &'static str, message: impl Into<String>) -> PluginError {
        PluginError::Garbage {
            plugin: self.key.clone(),
            call,
            message: message.into(),
        }
    }

    /// Checks and normalises an official identifier.
    pub fn normalize_identifier(
        &self,
        raw: &str,
    ) -> Result<Result<String, wit::Diagnostic>, PluginError> {
        self.call(
            "normalize-identifier",
            |i, e| i.normalize_identifier(e, raw),
            check_normalized,
        )
    }

    /// Checks and normalises a vintage.
    pub fn normalize_vintage(
        &self,
        raw: &str,
    ) -> Result<Result<String, wit::Diagnostic>, PluginError> {
        self.call(
            "normalize-vintage",
            |i, e| i.normalize_vintage(e, raw),
            check_normalized,
        )
    }

    /// Checks one value of one field.
    pub fn validate_field(
        &self,
        key: &str,
        value: &wit::Value,
    ) -> Result<Vec<wit::Diagnostic>, PluginError> {
        self.call(
            "validate-field",
            |i, e| i.validate_field(e, key, value),
            |d| check_diagnostics(d),
        )
    }

    /// Checks a whole record of one vintage.
    pub fn validate_record(
        &self,
        vintage: &str,
        record: &[wit::FieldValue],
    ) -> Result<Vec<wit::Diagnostic>, PluginError> {
        self.call(
            "validate-record",
            |i, e| i.validate_record(e, vintage, record),
            |d| check_diagnostics(d),
        )
    }

    /// Computes the derived indicators of one vintage.
    pub fn compute_indicators(
        &self,
        vintage: &str,
        record: &[wit::FieldValue],
    ) -> Result<Vec<wit::IndicatorValue>, PluginError> {
        self.call(
            "compute-indicators",
            |i, e| i.compute_indicators(e, vintage, record),
            |out| {
                for v in out {
                    if !self.manifest.indicators.iter().any(|d| d.key == v.key) {
                        return Err(format!("unknown indicator '{}'", v.key));
                    }
                    if !v.value.is_finite() {
                        return Err(format!("indicator '{}' is not a finite number", v.key));
                    }
                }
                Ok(())
            },
        )
    }

    /// Checks the extra fields of a request.
    pub fn validate_request(
        &self,
        kind: &str,
        fields: &[wit::FieldValue],
    ) -> Result<Vec<wit::Diagnostic>, PluginError> {
        self.call(
            "validate-request",
            |i, e| i.validate_request(e, kind, fields),
            |d| check_diagnostics(d),
        )
    }

    /// Turns one row of a dataset into an object with its official facts.
    pub fn import_row(
        &self,
        importer: &str,
        row: &[wit::Cell],
    ) -> Result<Result<wit::ImportedObject, wit::Diagnostic>, PluginError> {
        self.call(
            "import-row",
            |i, e| i.import_row(e, importer, row),
            |out| match out {
                Ok(obj) => check::imported(&self.manifest, obj),
                Err(d) => check::diagnostic(d),
            },
        )
    }
}

fn check_diagnostics(diags: &[wit::Diagnostic]) -> Result<(), String> {
    // One diagnostic per field and rule is plenty; thousands is a flood, not an answer.
    if diags.len() > 1000 {
        return Err(format!("{} diagnostics", diags.len()));
    }
    diags.iter().try_for_each(check::diagnostic)
}

fn check_normalized(out: &Result<String, wit::Diagnostic>) -> Result<(), String> {
    match out {
        Ok(s) if s.trim().is_empty() || s.len() > 200 || s.chars().any(char::is_control) => Err(
            format!("normalised value {s:?} is empty, too long or not printable"),
        ),
        Ok(_) => Ok(()),
        Err(d) => check::diagnostic(d),
    }
}

/// Compiles, checks and keeps the object-type plugins.
pub struct PluginHost {
    engine: Engine,
    linker: Linker<HostState>,
    limits: HostLimits,
    allocation: InstanceAllocation,
    plugins: BTreeMap<String, Arc<LoadedPlugin>>,
}

/// How the engine gives instances their memory on this machine: what a fresh instance costs
/// depends on it (`make bench` prints it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceAllocation {
    /// Slots of a pool reserved up front; a freed slot's dirty pages are found with Linux's
    /// `PAGEMAP_SCAN` and copied back from the component's image, so the next instance starts
    /// on resident pages. The fastest.
    PoolResetInPlace,
    /// Slots of a pool; a freed slot's pages go back to the kernel (no `PAGEMAP_SCAN`: Linux
    /// older than 6.7, or `/proc/self/pagemap` unreadable), and the next instance faults them
    /// in again.
    Pool,
    /// Memory allocated for each instance (the sandbox refused the pool's reservation).
    OnDemand,
}

impl std::fmt::Display for InstanceAllocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::PoolResetInPlace => {
                "pooling allocator, freed memory reset in place (Linux PAGEMAP_SCAN)"
            }
            Self::Pool => {
                "pooling allocator, freed memory handed back to the kernel (no PAGEMAP_SCAN \
                 here: Linux older than 6.7, or /proc/self/pagemap unreadable)"
            }
            Self::OnDemand => "memory allocated on demand (pooling allocator refused)",
        })
    }
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost")
            .field("plugins", &self.plugins.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Lowercase hexadecimal SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> Sha256Hex {
    hex::encode(Sha256::digest(bytes))
}

impl PluginHost {
    /// An engine with fuel metering and the pooling allocator; compiled code is cached in
    /// `cache_dir` when given.
    pub fn new(limits: HostLimits, cache_dir: Option<&Path>) -> Result<Self, PluginError> {
        let (engine, allocation) = match Self::engine(limits, cache_dir, true) {
            Ok(engine) if wasmtime::PoolingAllocationConfig::is_pagemap_scan_available() => {
                (engine, InstanceAllocation::PoolResetInPlace)
            }
            Ok(engine) => (engine, InstanceAllocation::Pool),
            Err(e) => {
                // Some sandboxes refuse the pooling allocator's large virtual reservation.
                tracing::warn!(error = %e, "pooling allocator unavailable; allocating on demand");
                (
                    Self::engine(limits, cache_dir, false)?,
                    InstanceAllocation::OnDemand,
                )
            }
        };
        Ok(Self {
            linker: Linker::new(&engine),
            engine,
            limits,
            allocation,
            plugins: BTreeMap::new(),
        })
    }

    /// How instances get their memory on this machine.
    pub fn allocation(&self) -> InstanceAllocation {
        self.allocation
    }

    fn engine(
        limits: HostLimits,
        cache_dir: Option<&Path>,
        pooling: bool,
    ) -> Result<Engine, PluginError> {
        let err = |e: wasmtime::Error| PluginError::Engine(format!("{e:#}"));
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.consume_fuel(true);
        if pooling {
            let mut pool = wasmtime::PoolingAllocationConfig::default();
            pool.total_component_instances(256)
                .total_core_instances(512)
                .total_memories(512)
                .total_tables(512)
                .max_memory_size(limits.memory_bytes)
                .table_elements(limits.table_elements)
                // Return freed slots' memory to the kernel in batches rather than one
                // `madvise` per dropped instance: fresh instances come and go faster.
                .decommit_batch_size(32)
                // Where Linux has PAGEMAP_SCAN (6.7+), a freed slot's dirty pages are found
                // and copied back from the image instead of handed back to the kernel, up to
                // these many bytes: the next instance in that slot starts on resident pages.
                .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
                .table_keep_resident(KEEP_RESIDENT_BYTES)
                .pagemap_scan(wasmtime::Enabled::Auto);
            config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
        }
        if let Some(dir) = cache_dir {
            let mut cache = wasmtime::CacheConfig::new();
            cache.with_directory(dir);
            config.cache(Some(wasmtime::Cache::new(cache).map_err(err)?));
        }
        Engine::new(&config).map_err(err)
    }

    /// Loads the three bundled plugins.
    pub fn load_bundled(&mut self) -> Result<(), PluginError> {
        for (name, bytes) in BUNDLED {
            self.load(name, bytes, PluginSource::Bundled)?;
        }
        Ok(())
    }

    /// Loads every `*.wasm` file of `dir`, each of which must be pinned in `pins` (file name →
    /// SHA-256). Every pin must match a file. Returns one result per file (and per missing
    /// pinned file) so that one bad plugin does not stop the others.
    pub fn load_dir(
        &mut self,
        dir: &Path,
        pins: &BTreeMap<String, Sha256Hex>,
    ) -> Vec<Result<Arc<LoadedPlugin>, PluginError>> {
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(source) => {
                out.push(Err(PluginError::Io {
                    path: dir.to_owned(),
                    source,
                }));
                return out;
            }
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
            .collect();
        files.sort();
        for pinned in pins.keys() {
            if !files
                .iter()
                .any(|f| f.file_name().is_some_and(|n| n == pinned.as_str()))
            {
                out.push(Err(PluginError::PinnedMissing {
                    file: pinned.clone(),
                    dir: dir.to_owned(),
                }));
            }
        }
        for path in files {
            out.push(self.load_file(&path, pins));
        }
        out
    }

    /// Loads one file after checking its pin.
    pub fn load_file(
        &mut self,
        path: &Path,
        pins: &BTreeMap<String, Sha256Hex>,
    ) -> Result<Arc<LoadedPlugin>, PluginError> {
        let bytes = std::fs::read(path).map_err(|source| PluginError::Io {
            path: path.to_owned(),
            source,
        })?;
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let actual = sha256_hex(&bytes);
        match pins.get(&file) {
            None => return Err(PluginError::NotPinned { file, actual }),
            Some(expected) if !expected.eq_ignore_ascii_case(&actual) => {
                return Err(PluginError::HashMismatch {
                    file,
                    expected: expected.clone(),
                    actual,
                });
            }
            Some(_) => {}
        }
        self.load(&file, &bytes, PluginSource::File(path.to_owned()))
    }

    /// Compiles, pre-instantiates and checks a component, then keeps it under its type key.
    pub fn load(
        &mut self,
        name: &str,
        bytes: &[u8],
        source: PluginSource,
    ) -> Result<Arc<LoadedPlugin>, PluginError> {
        let plugin = self.prepare(name, bytes, source)?;
        if let Some(existing) = self.plugins.get(&plugin.key) {
            return Err(PluginError::Duplicate {
                key: plugin.key.clone(),
                first: existing.source.to_string(),
                second: plugin.source.to_string(),
            });
        }
        let plugin = Arc::new(plugin);
        tracing::debug!(key = %plugin.key, source = %plugin.source, "plugin loaded");
        self.plugins.insert(plugin.key.clone(), plugin.clone());
        Ok(plugin)
    }

    /// Compiles and checks a component without keeping it (for `vigie plugin verify`).
    pub fn prepare(
        &self,
        name: &str,
        bytes: &[u8],
        source: PluginSource,
    ) -> Result<LoadedPlugin, PluginError> {
        self.prepare_with(name, bytes, source, true)
    }

    /// Like [`PluginHost::prepare`] but keeps a plugin whose manifest is unsound, so tests can
    /// check that its other answers are caught too. Never used to serve.
    #[doc(hidden)]
    pub fn prepare_unchecked(&self, name: &str, bytes: &[u8]) -> Result<LoadedPlugin, PluginError> {
        self.prepare_with(name, bytes, PluginSource::Bundled, false)
    }

    fn prepare_with(
        &self,
        name: &str,
        bytes: &[u8],
        source: PluginSource,
        check_manifest: bool,
    ) -> Result<LoadedPlugin, PluginError> {
        let component = Component::new(&self.engine, bytes).map_err(|e| PluginError::Compile {
            plugin: name.to_owned(),
            message: format!("{e:#}"),
        })?;
        let interface_err = |message: String| PluginError::Interface {
            plugin: name.to_owned(),
            supported: crate::INTERFACE_VERSIONS.join(", "),
            message,
        };
        let instance_pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| interface_err(format!("{e:#}")))?;
        let exports = Exports::find(&instance_pre).map_err(interface_err)?;
        let mut plugin = LoadedPlugin {
            key: name.trim_end_matches(".wasm").to_owned(),
            manifest: empty_manifest(),
            sha256: sha256_hex(bytes),
            source,
            size: bytes.len(),
            engine: self.engine.clone(),
            pre: instance_pre,
            exports,
            limits: self.limits,
            idle: Mutex::new(Vec::new()),
        };
        // Every function's types once, on the instance that then answers the manifest call.
        let mut first = plugin.fresh_instance("instantiate")?;
        first
            .check_interface(&plugin.exports)
            .map_err(interface_err)?;
        if let Ok(mut idle) = plugin.idle.lock() {
            idle.push(first);
        }
        // The manifest is checked below, with every problem listed.
        let manifest = plugin.call("manifest", |i, e| i.manifest(e), |_| Ok(()))?;
        let problems = check::manifest(&manifest);
        if check_manifest && !problems.is_empty() {
            return Err(PluginError::Manifest {
                plugin: name.to_owned(),
                problems,
            });
        }
        if !manifest.identity.key.is_empty() {
            plugin.key = manifest.identity.key.clone();
        }
        plugin.manifest = manifest;
        Ok(plugin)
    }

    /// A loaded plugin by type key.
    pub fn get(&self, key: &str) -> Option<&Arc<LoadedPlugin>> {
        self.plugins.get(key)
    }

    /// Every loaded plugin, by key.
    pub fn plugins(&self) -> impl Iterator<Item = &Arc<LoadedPlugin>> {
        self.plugins.values()
    }

    /// The type keys of every loaded plugin.
    pub fn keys(&self) -> Vec<String> {
        self.plugins.keys().cloned().collect()
    }
}

fn empty_manifest() -> wit::PluginManifest {
    let l = || wit::Localized {
        fr: String::new(),
        en: String::new(),
    };
    wit::PluginManifest {
        plugin_version: String::new(),
        identity: wit::Identity {
            key: String::new(),
            name: l(),
            plural_name: l(),
            description: l(),
            icon: wit::Icon::Name(String::new()),
            color: String::new(),
        },
        identifier: wit::IdentifierScheme {
            key: String::new(),
            label: l(),
            description: l(),
            examples: Vec::new(),
        },
        vintage: wit::VintageScheme {
            kind: wit::VintageKind::CalendarYear,
            label: l(),
            examples: Vec::new(),
        },
        groups: Vec::new(),
        fields: Vec::new(),
        indicators: Vec::new(),
        category_sets: Vec::new(),
        request_kinds: Vec::new(),
        layers: Vec::new(),
        importers: Vec::new(),
    }
}
