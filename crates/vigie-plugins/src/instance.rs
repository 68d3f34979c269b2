//! One live instance of a plugin, and the exports of `vigie:object-type/plugin@0.1.0` called on
//! it.
//!
//! The generated bindings (`ObjectTypePre::instantiate`) type-check all eight exported
//! functions on every instantiation; for the schools plugin that was a fifth of what a fresh
//! instance cost, the manifest's type (a record of records of variants) above all. Here each
//! function is type-checked the first time it is called on an instance, and only that one. The
//! whole interface is still checked once, when the plugin is loaded
//! ([`PluginInstance::check_interface`]), so a component with the wrong types is refused at
//! start-up, not at its first call.

use wasmtime::Store;
use wasmtime::component::{
    ComponentExportIndex, ComponentNamedList, Instance, InstancePre, Lift, Lower, TypedFunc,
};

use crate::wit;

/// The exported interface, as named in the WIT package.
const INTERFACE: &str = "vigie:object-type/plugin@0.1.0";

/// Where each exported function sits in a component: looked up once per plugin.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Exports {
    manifest: ComponentExportIndex,
    normalize_identifier: ComponentExportIndex,
    normalize_vintage: ComponentExportIndex,
    validate_field: ComponentExportIndex,
    validate_record: ComponentExportIndex,
    compute_indicators: ComponentExportIndex,
    validate_request: ComponentExportIndex,
    import_row: ComponentExportIndex,
}

impl Exports {
    /// Finds every function of the interface in the component; names the first one missing.
    pub(crate) fn find<T>(pre: &InstancePre<T>) -> Result<Self, String> {
        let component = pre.component();
        let interface = component
            .get_export_index(None, INTERFACE)
            .ok_or_else(|| format!("no exported instance named `{INTERFACE}`"))?;
        let find = |name: &str| {
            component
                .get_export_index(Some(&interface), name)
                .ok_or_else(|| format!("`{INTERFACE}` does not export `{name}`"))
        };
        Ok(Self {
            manifest: find("manifest")?,
            normalize_identifier: find("normalize-identifier")?,
            normalize_vintage: find("normalize-vintage")?,
            validate_field: find("validate-field")?,
            validate_record: find("validate-record")?,
            compute_indicators: find("compute-indicators")?,
            validate_request: find("validate-request")?,
            import_row: find("import-row")?,
        })
    }
}

type Typed<P, R> = Option<TypedFunc<P, R>>;
type Normalized = Result<String, wit::Diagnostic>;
type Imported = Result<wit::ImportedObject, wit::Diagnostic>;
/// Arguments of the functions that take a record of one vintage (or a request's fields).
type WithRecord = (&'static str, &'static [wit::FieldValue]);

/// A plugin instance in its own store, with the functions called on it so far.
///
/// Parameters that borrow are typed `&'static` here: `TypedFunc` is covariant in its
/// parameters (wasmtime copies them into the guest during the call and keeps nothing), so a
/// function stored with `&'static str` takes a `&str` of any lifetime.
pub(crate) struct PluginInstance<T: 'static> {
    /// The store: the instance's memory, fuel and limits.
    pub(crate) store: Store<T>,
    instance: Instance,
    manifest: Typed<(), (wit::PluginManifest,)>,
    normalize_identifier: Typed<(&'static str,), (Normalized,)>,
    normalize_vintage: Typed<(&'static str,), (Normalized,)>,
    validate_field: Typed<(&'static str, &'static wit::Value), (Vec<wit::Diagnostic>,)>,
    validate_record: Typed<WithRecord, (Vec<wit::Diagnostic>,)>,
    compute_indicators: Typed<WithRecord, (Vec<wit::IndicatorValue>,)>,
    validate_request: Typed<WithRecord, (Vec<wit::Diagnostic>,)>,
    import_row: Typed<(&'static str, &'static [wit::Cell]), (Imported,)>,
}

/// Names the function in a type-check error.
fn named(name: &'static str) -> impl Fn(wasmtime::Error) -> String {
    move |err| format!("`{name}`: {err:#}")
}

/// The function at `index`, type-checked on its first use in this instance.
fn typed<T, P, R>(
    slot: &mut Typed<P, R>,
    instance: &Instance,
    store: &mut Store<T>,
    index: &ComponentExportIndex,
) -> wasmtime::Result<TypedFunc<P, R>>
where
    P: ComponentNamedList + Lower,
    R: ComponentNamedList + Lift,
{
    if let Some(func) = *slot {
        return Ok(func);
    }
    let func = instance.get_typed_func::<P, R>(&mut *store, index)?;
    *slot = Some(func);
    Ok(func)
}

impl<T: 'static> PluginInstance<T> {
    /// A new instance of the pre-instantiated component in `store`.
    pub(crate) fn new(pre: &InstancePre<T>, mut store: Store<T>) -> wasmtime::Result<Self> {
        let instance = pre.instantiate(&mut store)?;
        Ok(Self {
            store,
            instance,
            manifest: None,
            normalize_identifier: None,
            normalize_vintage: None,
            validate_field: None,
            validate_record: None,
            compute_indicators: None,
            validate_request: None,
            import_row: None,
        })
    }

    /// Type-checks every exported function against the interface: a component whose
    /// functions do not have the interface's types is refused when it is loaded rather than at
    /// its first call of the wrong one. The error names the function.
    pub(crate) fn check_interface(&mut self, e: &Exports) -> Result<(), String> {
        let (i, s) = (&self.instance, &mut self.store);
        typed(&mut self.manifest, i, s, &e.manifest).map_err(named("manifest"))?;
        typed(
            &mut self.normalize_identifier,
            i,
            s,
            &e.normalize_identifier,
        )
        .map_err(named("normalize-identifier"))?;
        typed(&mut self.normalize_vintage, i, s, &e.normalize_vintage)
            .map_err(named("normalize-vintage"))?;
        typed(&mut self.validate_field, i, s, &e.validate_field)
            .map_err(named("validate-field"))?;
        typed(&mut self.validate_record, i, s, &e.validate_record)
            .map_err(named("validate-record"))?;
        typed(&mut self.compute_indicators, i, s, &e.compute_indicators)
            .map_err(named("compute-indicators"))?;
        typed(&mut self.validate_request, i, s, &e.validate_request)
            .map_err(named("validate-request"))?;
        typed(&mut self.import_row, i, s, &e.import_row).map_err(named("import-row"))?;
        Ok(())
    }

    /// `manifest`
    pub(crate) fn manifest(&mut self, e: &Exports) -> wasmtime::Result<wit::PluginManifest> {
        let f = typed(
            &mut self.manifest,
            &self.instance,
            &mut self.store,
            &e.manifest,
        )?;
        Ok(f.call(&mut self.store, ())?.0)
    }

    /// `normalize-identifier`
    pub(crate) fn normalize_identifier(
        &mut self,
        e: &Exports,
        raw: &str,
    ) -> wasmtime::Result<Normalized> {
        let f = typed(
            &mut self.normalize_identifier,
            &self.instance,
            &mut self.store,
            &e.normalize_identifier,
        )?;
        Ok(f.call(&mut self.store, (raw,))?.0)
    }

    /// `normalize-vintage`
    pub(crate) fn normalize_vintage(
        &mut self,
        e: &Exports,
        raw: &str,
    ) -> wasmtime::Result<Normalized> {
        let f = typed(
            &mut self.normalize_vintage,
            &self.instance,
            &mut self.store,
            &e.normalize_vintage,
        )?;
        Ok(f.call(&mut self.store, (raw,))?.0)
    }

    /// `validate-field`
    pub(crate) fn validate_field(
        &mut self,
        e: &Exports,
        key: &str,
        value: &wit::Value,
    ) -> wasmtime::Result<Vec<wit::Diagnostic>> {
        let f = typed(
            &mut self.validate_field,
            &self.instance,
            &mut self.store,
            &e.validate_field,
        )?;
        Ok(f.call(&mut self.store, (key, value))?.0)
    }

    /// `validate-record`
    pub(crate) fn validate_record(
        &mut self,
        e: &Exports,
        vintage: &str,
        record: &[wit::FieldValue],
    ) -> wasmtime::Result<Vec<wit::Diagnostic>> {
        let f = typed(
            &mut self.validate_record,
            &self.instance,
            &mut self.store,
            &e.validate_record,
        )?;
        Ok(f.call(&mut self.store, (vintage, record))?.0)
    }

    /// `compute-indicators`
    pub(crate) fn compute_indicators(
        &mut self,
        e: &Exports,
        vintage: &str,
        record: &[wit::FieldValue],
    ) -> wasmtime::Result<Vec<wit::IndicatorValue>> {
        let f = typed(
            &mut self.compute_indicators,
            &self.instance,
            &mut self.store,
            &e.compute_indicators,
        )?;
        Ok(f.call(&mut self.store, (vintage, record))?.0)
    }

    /// `validate-request`
    pub(crate) fn validate_request(
        &mut self,
        e: &Exports,
        kind: &str,
        fields: &[wit::FieldValue],
    ) -> wasmtime::Result<Vec<wit::Diagnostic>> {
        let f = typed(
            &mut self.validate_request,
            &self.instance,
            &mut self.store,
            &e.validate_request,
        )?;
        Ok(f.call(&mut self.store, (kind, fields))?.0)
    }

    /// `import-row`
    pub(crate) fn import_row(
        &mut self,
        e: &Exports,
        importer: &str,
        row: &[wit::Cell],
    ) -> wasmtime::Result<Imported> {
        let f = typed(
            &mut self.import_row,
            &self.instance,
            &mut self.store,
            &e.import_row,
        )?;
        Ok(f.call(&mut self.store, (importer, row))?.0)
    }
}
