//! The plugin host against real components: the bundled plugins on real open data,
//! misbehaving guests that must fail their call and nothing else, and instances that must not
//! see each other's memory.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use vigie_plugins::{HostLimits, PluginError, PluginHost, PluginSource, wit};

fn dist(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../plugins/dist/{name}.wasm"))
}

/// An open-data extract: `$VIGIE_SHARED_DATA`, `../shared/data` beside the repository, or
/// `/work/shared/data`. Missing everywhere is a failure, not a silent pass.
fn shared(file: &str) -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("VIGIE_SHARED_DATA").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")),
        Some(PathBuf::from("/work/shared/data")),
    ];
    let found = candidates
        .into_iter()
        .flatten()
        .map(|d| d.join(file))
        .find(|p| p.exists());
    assert!(
        found.is_some(),
        "the open-data extract {file} is missing: set VIGIE_SHARED_DATA"
    );
    found
}

/// Compiled code shared by the tests of this file (wasmtime's cache is safe to share).
fn cache() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wasmtime-cache");
    std::fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

fn host() -> PluginHost {
    let mut h = PluginHost::new(HostLimits::default(), Some(&cache())).unwrap();
    h.load_bundled().unwrap();
    h
}

fn load(host: &mut PluginHost, name: &str) -> std::sync::Arc<vigie_plugins::LoadedPlugin> {
    let bytes = std::fs::read(dist(name)).unwrap();
    host.load(name, &bytes, PluginSource::Bundled).unwrap()
}

/// `;`-separated file → header and rows.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(';')
        .map(str::to_owned)
        .collect();
    let rows = lines
        .map(|l| l.split(';').map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn cells(header: &[String], row: &[String]) -> Vec<wit::Cell> {
    header
        .iter()
        .zip(row)
        .map(|(c, t)| wit::Cell {
            column: c.clone(),
            text: t.clone(),
        })
        .collect()
}

#[test]
fn the_three_bundled_plugins_load() {
    let h = host();
    assert_eq!(h.keys(), ["libraries", "parks", "schools"]);
    for p in h.plugins() {
        let m = p.manifest();
        assert!(
            !m.fields.is_empty() && !m.layers.is_empty() && !m.importers.is_empty(),
            "{}",
            p.key()
        );
        assert_eq!(p.sha256().len(), 64);
    }
    let schools = h.get("schools").unwrap();
    let kinds: Vec<&str> = schools
        .manifest()
        .request_kinds
        .iter()
        .map(|k| k.key.as_str())
        .collect();
    assert!(kinds.len() >= 5, "{kinds:?}");
}

#[test]
fn schools_accepts_real_uais_and_explains_bad_ones() {
    let Some(vectors) = shared("uai_test_vectors.csv") else {
        return;
    };
    let h = host();
    let schools = h.get("schools").unwrap();
    let (header, rows) = read_csv(&vectors);
    let uai = header.iter().position(|c| c == "uai").unwrap();
    let valid = header.iter().position(|c| c == "valid").unwrap();
    let (mut ok, mut refused) = (0, 0);
    for row in &rows {
        let answer = schools.normalize_identifier(&row[uai]).unwrap();
        if row[valid] == "true" {
            assert_eq!(answer.as_deref().ok(), Some(row[uai].as_str()), "{row:?}");
            ok += 1;
        } else {
            let d = answer.unwrap_err();
            assert!(!d.message.fr.is_empty() && !d.message.en.is_empty());
            refused += 1;
        }
    }
    assert_eq!((ok, refused), (8, 3));
    // Normalisation: spaces and case.
    assert_eq!(
        schools.normalize_identifier(" 0131703f ").unwrap().unwrap(),
        "0131703F"
    );
    // Every UAI of the real extracts is accepted.
    let mut seen = 0;
    for file in [
        "marseille_colleges_adresse_geolocalisation.csv",
        "marseille_ecoles_effectifs_2024_2025_extrait.csv",
        "marseille_ecoles_ips_2021-2022.csv",
    ] {
        let Some(path) = shared(file) else { return };
        let (header, rows) = read_csv(&path);
        let col = header
            .iter()
            .position(|c| ["numero_uai", "uai", "UAI"].contains(&c.as_str()))
            .unwrap();
        for row in rows {
            assert!(
                schools.normalize_identifier(&row[col]).unwrap().is_ok(),
                "{} refused",
                row[col]
            );
            seen += 1;
        }
    }
    assert_eq!(seen, 102 + 119 + 281);
}

#[test]
fn schools_importer_reads_the_geolocation_extract_row_for_row() {
    let Some(path) = shared("marseille_colleges_adresse_geolocalisation.csv") else {
        return;
    };
    let h = host();
    let schools = h.get("schools").unwrap();
    let (header, rows) = read_csv(&path);
    let importer = schools
        .detect_importer(&header)
        .expect("the header is recognised");
    assert_eq!(rows.len(), 102);
    for row in &rows {
        let obj = schools
            .import_row(&importer.key, &cells(&header, row))
            .unwrap()
            .unwrap_or_else(|d| panic!("row {} refused: {}", row[0], d.message.en));
        assert_eq!(obj.identifier, row[0]);
        assert_eq!(obj.official_name.as_deref(), Some(row[1].as_str()));
        let g = obj.location.unwrap();
        assert!(
            (43.1..43.5).contains(&g.lat) && (5.2..5.6).contains(&g.lon),
            "{g:?}"
        );
    }
    // The effectifs extract is another importer of the same plugin.
    let Some(path) = shared("marseille_ecoles_effectifs_2024_2025_extrait.csv") else {
        return;
    };
    let (header, rows) = read_csv(&path);
    let importer = schools.detect_importer(&header).unwrap();
    let vintages: std::collections::BTreeSet<String> = rows
        .iter()
        .map(|r| {
            schools
                .import_row(&importer.key, &cells(&header, r))
                .unwrap()
                .unwrap()
                .vintage
                .unwrap()
        })
        .collect();
    assert_eq!(
        vintages.into_iter().collect::<Vec<_>>(),
        ["2024-2025", "2025-2026"]
    );
}

#[test]
fn a_plugin_that_loops_forever_fails_its_call_only() {
    let mut h = host();
    let looper = load(&mut h, "loop-forever");
    let start = Instant::now();
    let err = looper.normalize_identifier("T1").unwrap_err();
    assert!(matches!(err, PluginError::OutOfFuel { .. }), "{err}");
    assert!(err.to_string().contains("took too long"), "{err}");
    assert!(
        start.elapsed().as_secs() < 10,
        "stopped after {:?}",
        start.elapsed()
    );
    // It fails again, cleanly, on a fresh instance…
    assert!(matches!(
        looper.validate_record("2024", &[]).unwrap_err(),
        PluginError::OutOfFuel { .. }
    ));
    // …and the other plugins carry on.
    let schools = h.get("schools").unwrap();
    assert_eq!(
        schools.normalize_identifier("0131703F").unwrap().unwrap(),
        "0131703F"
    );
}

#[test]
fn a_plugin_that_allocates_without_bound_is_capped() {
    let mut h = host();
    let hog = load(&mut h, "alloc-unbounded");
    let err = hog.normalize_identifier("T1").unwrap_err();
    assert!(
        matches!(err, PluginError::MemoryLimit { limit_mib: 32, .. }),
        "{err}"
    );
    let err = hog
        .validate_field("count", &wit::Value::Integer(1))
        .unwrap_err();
    assert!(matches!(err, PluginError::MemoryLimit { .. }), "{err}");
    assert!(
        h.get("parks")
            .unwrap()
            .normalize_vintage("2024")
            .unwrap()
            .is_ok()
    );
}

/// Every call is timed and every failure counted, by plugin, call and reason.
#[test]
fn calls_and_failures_are_measured() {
    let mut h = host();
    let trap = load(&mut h, "trap");
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        for _ in 0..3 {
            assert!(trap.normalize_identifier("T1").is_err());
        }
        let libraries = h.get("libraries").unwrap();
        assert!(libraries.normalize_vintage("2023").unwrap().is_ok());
    });
    let text = handle.render();
    assert!(
        text.contains(
            r#"vigie_plugin_call_failures_total{plugin="trap",call="normalize-identifier",reason="trap"} 3"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"vigie_plugin_call_duration_seconds_count{plugin="libraries",call="normalize-vintage"} 1"#),
        "{text}"
    );
    assert!(
        !text.contains(r#"plugin="libraries",call="normalize-vintage",reason"#),
        "a success is no failure: {text}"
    );
}

#[test]
fn a_plugin_that_traps_fails_its_call_only() {
    let mut h = host();
    let trap = load(&mut h, "trap");
    for _ in 0..3 {
        let err = trap.normalize_identifier("T1").unwrap_err();
        assert!(matches!(err, PluginError::Trap { .. }), "{err}");
    }
    let err = trap.import_row("test-rows", &[]).unwrap_err();
    assert!(matches!(err, PluginError::Trap { .. }), "{err}");
    assert!(
        h.get("libraries")
            .unwrap()
            .normalize_vintage("2023")
            .unwrap()
            .is_ok()
    );
}

#[test]
fn a_fresh_instance_never_sees_what_an_earlier_one_left_in_memory() {
    // The pool recycles a dropped instance's memory slot in place (its dirty pages copied back
    // from the component's image, or handed back to the kernel): whatever the previous
    // instance wrote — initialised data, zeroed statics, grown memory — must be gone.
    let mut h = host();
    let remember = load(&mut h, "remember");
    const PRISTINE: &str = "pristine||0";
    // The first call runs on the instance that answered the manifest at load: untouched.
    assert_eq!(
        remember.normalize_identifier("A1").unwrap().unwrap(),
        PRISTINE
    );
    // A reused instance does remember (so the component really writes all three places)…
    assert_eq!(
        remember.normalize_identifier("B2").unwrap().unwrap(),
        "A1......|A1|A"
    );
    for round in 0..200 {
        let id = format!("C{round}");
        // …a fresh one never does, though it gets the slot the previous fresh one used.
        assert_eq!(
            remember
                .call_fresh_normalize_identifier(&id)
                .unwrap()
                .unwrap(),
            PRISTINE,
            "round {round}"
        );
    }
    // The reused instance kept its own memory all along.
    assert_eq!(
        remember.normalize_identifier("D3").unwrap().unwrap(),
        "B2......|B2|B"
    );
}

#[test]
fn instances_stay_apart_when_many_threads_call_at_once() {
    // Eight threads share one plugin, as the server's workers do: reused instances never serve
    // two calls at once, and fresh ones — some made while others are dropped and their slots
    // reset — always start pristine.
    let mut h = host();
    let remember = load(&mut h, "remember");
    let schools = h.get("schools").unwrap().clone();
    std::thread::scope(|scope| {
        for t in 0..8 {
            let (remember, schools) = (&remember, &schools);
            scope.spawn(move || {
                for i in 0..300 {
                    let id = format!("T{t}-{i}");
                    assert_eq!(
                        remember
                            .call_fresh_normalize_identifier(&id)
                            .unwrap()
                            .unwrap(),
                        "pristine||0",
                        "thread {t}, call {i}"
                    );
                    // A reused instance answers with what *it* saw last: never this thread's
                    // own identifier, which no instance has seen yet.
                    let seen = remember.normalize_identifier(&id).unwrap().unwrap();
                    assert!(!seen.contains(&id), "{seen} for {id}");
                    assert_eq!(
                        schools.normalize_identifier(" 0131703f ").unwrap().unwrap(),
                        "0131703F"
                    );
                }
            });
        }
    });
}

#[test]
fn garbage_is_refused_with_every_reason() {
    let mut h = host();
    let bytes = std::fs::read(dist("garbage")).unwrap();
    let err = h
        .load("garbage", &bytes, PluginSource::Bundled)
        .unwrap_err();
    let PluginError::Manifest { problems, .. } = &err else {
        panic!("{err}")
    };
    let text = err.to_string();
    for expected in [
        "type key",
        "declared twice",
        "not #rrggbb",
        "above max",
        "not declared",
    ] {
        assert!(text.contains(expected), "no '{expected}' in:\n{text}");
    }
    assert!(problems.len() >= 8, "{problems:?}");
    assert_eq!(
        h.keys(),
        ["libraries", "parks", "schools"],
        "nothing half-loaded"
    );

    // Its other answers are caught one by one too.
    let g = h.prepare_unchecked("garbage", &bytes).unwrap();
    let bad = [
        g.normalize_identifier("x").err(),
        g.compute_indicators("2024", &[]).err(),
        g.validate_field("count", &wit::Value::Integer(1)).err(),
        g.import_row("x", &[]).err(),
    ];
    for e in bad {
        let e = e.expect("garbage must be refused");
        assert!(
            matches!(e, PluginError::Garbage { .. } | PluginError::Trap { .. }),
            "{e}"
        );
    }
}

#[test]
fn plugins_folder_is_pinned_by_sha256() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(dist("sports-halls"), dir.path().join("sports-halls.wasm")).unwrap();
    let sha = vigie_plugins::host_sha256(&std::fs::read(dist("sports-halls")).unwrap());

    let mut h = host();
    let r = h.load_dir(dir.path(), &BTreeMap::new());
    let err = r.into_iter().next().unwrap().unwrap_err();
    assert!(
        matches!(&err, PluginError::NotPinned { actual, .. } if *actual == sha),
        "{err}"
    );
    assert!(
        err.to_string().contains(&sha),
        "the error tells the hash to pin"
    );

    let wrong = BTreeMap::from([("sports-halls.wasm".to_owned(), "0".repeat(64))]);
    let err = h
        .load_dir(dir.path(), &wrong)
        .into_iter()
        .next()
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, PluginError::HashMismatch { .. }), "{err}");

    let missing = BTreeMap::from([
        ("sports-halls.wasm".to_owned(), sha.clone()),
        ("gone.wasm".to_owned(), "1".repeat(64)),
    ]);
    let results = h.load_dir(dir.path(), &missing);
    assert!(
        results
            .iter()
            .any(|r| matches!(r, Err(PluginError::PinnedMissing { .. })))
    );
    let loaded = results.into_iter().find_map(Result::ok).unwrap();
    assert_eq!(loaded.key(), "sports-halls");
    assert_eq!(h.keys().len(), 4);
    // Loading it again is a duplicate type.
    let again = h
        .load_file(&dir.path().join("sports-halls.wasm"), &missing)
        .unwrap_err();
    assert!(matches!(again, PluginError::Duplicate { .. }), "{again}");
}

#[test]
fn not_a_component_is_a_clear_error() {
    let h = host();
    let err = h
        .prepare("junk", b"\0asm\x01\0\0\0", PluginSource::Bundled)
        .unwrap_err();
    assert!(
        matches!(
            err,
            PluginError::Compile { .. } | PluginError::Interface { .. }
        ),
        "{err}"
    );
    let err = h
        .prepare("text", b"hello", PluginSource::Bundled)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("not a valid WebAssembly component"),
        "{err}"
    );
}

/// A component exporting `vigie:object-type/plugin@0.1.0` with every function of the
/// interface, each of the wrong type (`func() -> u32`), or with one function missing.
fn wrong_interface(missing: Option<&str>) -> Vec<u8> {
    let names = [
        "manifest",
        "normalize-identifier",
        "normalize-vintage",
        "validate-field",
        "validate-record",
        "compute-indicators",
        "validate-request",
        "import-row",
    ];
    let exports: String = names
        .iter()
        .filter(|n| Some(**n) != missing)
        .map(|n| format!("(export \"{n}\" (func $f))"))
        .collect();
    wat::parse_str(format!(
        r#"(component
            (core module $m (func (export "f") (result i32) i32.const 7))
            (core instance $i (instantiate $m))
            (func $f (result u32) (canon lift (core func $i "f")))
            (instance $plugin {exports})
            (export "vigie:object-type/plugin@0.1.0" (instance $plugin)))"#
    ))
    .unwrap()
}

#[test]
fn a_component_with_the_wrong_interface_is_refused_when_loaded() {
    let h = host();
    // Every function is there, with other types: refused at load, not at its first call.
    let err = h
        .prepare("wrong-types", &wrong_interface(None), PluginSource::Bundled)
        .unwrap_err();
    assert!(matches!(err, PluginError::Interface { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("wrong-types")
            && text.contains("vigie:object-type@0.1.0")
            && text.contains("`manifest`"),
        "{text}"
    );
    // A missing function is named.
    let err = h
        .prepare(
            "missing",
            &wrong_interface(Some("import-row")),
            PluginSource::Bundled,
        )
        .unwrap_err();
    assert!(matches!(err, PluginError::Interface { .. }), "{err}");
    assert!(err.to_string().contains("`import-row`"), "{err}");
}

#[test]
fn compiled_code_is_cached_on_disk() {
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().canonicalize().unwrap();
    let first = Instant::now();
    let mut h = PluginHost::new(HostLimits::default(), Some(&dir)).unwrap();
    h.load_bundled().unwrap();
    let cold = first.elapsed();
    drop(h);
    let files = walk(&dir);
    assert!(files >= 3, "{files} cache files");
    let second = Instant::now();
    let mut h = PluginHost::new(HostLimits::default(), Some(&dir)).unwrap();
    h.load_bundled().unwrap();
    let warm = second.elapsed();
    println!("bundled plugins: cold {cold:?}, cached {warm:?}");
}

fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| {
                    if e.path().is_dir() {
                        walk(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
