//! Helpers for plugins' native tests (feature `testing`).

use std::path::{Path, PathBuf};

use crate::{
    Cell, Diagnostic, FieldValue, ImportedObject, IndicatorValue, Manifest, ObjectType, Value,
};

/// The path of a file of the shared reference data, which lives beside the
/// repository (`../shared/data/` from the repository root), from a crate's
/// `CARGO_MANIFEST_DIR`. `None` when the file is absent (e.g. a clone without
/// the shared folder); the caller then skips its test with a message.
/// `$VIGIE_SHARED_DATA` and `/work/shared/data` are tried too, for clones made elsewhere.
pub fn shared_data(manifest_dir: &str, file: &str) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("VIGIE_SHARED_DATA") {
        let candidate = Path::new(&dir).join(file);
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    let mut dir = Path::new(manifest_dir);
    loop {
        let candidate = dir.join("shared").join("data").join(file);
        if candidate.is_file() {
            return Some(candidate);
        }
        match dir.parent() {
            Some(parent) => dir = parent,
            None => break,
        }
    }
    Some(Path::new("/work/shared/data").join(file)).filter(|p| p.is_file())
}

/// A `;`-separated file (double quotes allowed around cells): the header and
/// the rows. Panics with the path on read errors, as tests should.
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = split_line(lines.next().unwrap_or(""));
    let rows = lines.map(split_line).collect();
    (header, rows)
}

fn split_line(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ';' if !quoted => cells.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

/// Zips a header and a row into the cells the host would send.
pub fn cells(header: &[String], row: &[String]) -> Vec<Cell> {
    header
        .iter()
        .zip(row)
        .map(|(column, text)| Cell {
            column: column.clone(),
            text: text.clone(),
        })
        .collect()
}

/// Prints why a test is skipped (the file is missing) and returns `None`.
pub fn skip(file: &str) -> Option<PathBuf> {
    eprintln!(
        "SKIPPED: shared reference file {file} not found beside the repository \
         (expected ../shared/data/{file} from the repository root)"
    );
    None
}

/// Everything wrong with a plugin that can be checked without data: its
/// manifest problems, and examples that do not normalise to themselves.
pub fn conformance_problems<T: ObjectType>() -> Vec<String> {
    let m: Manifest = T::manifest();
    let mut problems = m.problems();
    for example in &m.identifier.examples {
        match T::normalize_identifier(example) {
            Ok(n) if &n == example => {}
            Ok(n) => problems.push(format!(
                "identifier example {example:?} normalises to {n:?}"
            )),
            Err(e) => problems.push(format!(
                "identifier example {example:?} refused: {}",
                e.message.en
            )),
        }
    }
    for example in &m.vintage.examples {
        match T::normalize_vintage(m.vintage.kind, example) {
            Ok(n) if &n == example => {}
            Ok(n) => problems.push(format!("vintage example {example:?} normalises to {n:?}")),
            Err(e) => problems.push(format!(
                "vintage example {example:?} refused: {}",
                e.message.en
            )),
        }
    }
    problems
}

/// Runs a plugin's functions natively through the same code as the exported
/// component (generic checks included), with its manifest built once.
pub struct Harness<T> {
    manifest: Manifest,
    plugin: std::marker::PhantomData<T>,
}

impl<T: ObjectType> Default for Harness<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: ObjectType> Harness<T> {
    /// Builds the manifest.
    pub fn new() -> Self {
        Harness {
            manifest: T::manifest(),
            plugin: std::marker::PhantomData,
        }
    }
    /// The plugin's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }
    /// `normalize-identifier`.
    pub fn normalize_identifier(&self, raw: &str) -> Result<String, Diagnostic> {
        T::normalize_identifier(raw)
    }
    /// `normalize-vintage`.
    pub fn normalize_vintage(&self, raw: &str) -> Result<String, Diagnostic> {
        crate::runtime::normalize_vintage::<T>(&self.manifest, raw)
    }
    /// `validate-field`.
    pub fn validate_field(&self, key: &str, value: &Value) -> Vec<Diagnostic> {
        crate::runtime::validate_field::<T>(&self.manifest, key, value)
    }
    /// `validate-record`.
    pub fn validate_record(&self, vintage: &str, values: &[FieldValue]) -> Vec<Diagnostic> {
        crate::runtime::validate_record::<T>(&self.manifest, vintage, values)
    }
    /// `compute-indicators`.
    pub fn compute_indicators(&self, vintage: &str, values: &[FieldValue]) -> Vec<IndicatorValue> {
        crate::runtime::compute_indicators::<T>(&self.manifest, vintage, values)
    }
    /// One indicator by key, if computed.
    pub fn indicator(&self, key: &str, vintage: &str, values: &[FieldValue]) -> Option<f64> {
        self.compute_indicators(vintage, values)
            .into_iter()
            .find(|i| i.key == key)
            .map(|i| i.value)
    }
    /// `validate-request`.
    pub fn validate_request(&self, kind: &str, values: &[FieldValue]) -> Vec<Diagnostic> {
        crate::runtime::validate_request::<T>(&self.manifest, kind, values)
    }
    /// `import-row`.
    pub fn import_row(
        &self,
        importer: &str,
        cells: Vec<Cell>,
    ) -> Result<ImportedObject, Diagnostic> {
        crate::runtime::import_row::<T>(&self.manifest, importer, cells)
    }
    /// Which importer recognises this CSV header, as the host detects it:
    /// every required column of the importer matches one name (after
    /// normalisation); among several, the one matching most columns.
    pub fn detect_importer(&self, header: &[String]) -> Option<&str> {
        detect_importer(&self.manifest, header)
    }
}

/// The host's dataset detection (see [`Harness::detect_importer`]).
pub fn detect_importer<'m>(manifest: &'m Manifest, header: &[String]) -> Option<&'m str> {
    let columns: Vec<String> = header
        .iter()
        .map(|h| crate::normalize_column_name(h))
        .collect();
    let matches = |names: &[String]| {
        names
            .iter()
            .any(|n| columns.contains(&crate::normalize_column_name(n)))
    };
    manifest
        .importers
        .iter()
        .filter(|i| {
            i.columns
                .iter()
                .filter(|c| c.required)
                .all(|c| matches(&c.names))
        })
        .max_by_key(|i| i.columns.iter().filter(|c| matches(&c.names)).count())
        .map(|i| i.key.as_str())
}
