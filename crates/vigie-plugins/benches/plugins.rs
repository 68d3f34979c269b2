//! `make bench` (`cargo bench -p vigie-plugins --bench plugins`): per-call latency of the
//! bundled schools plugin through the public host API — identifier validation on a reused and
//! on a fresh instance, field and record validation, import of a real dataset row — next to
//! the same UAI validation written natively in Rust, plus instantiation and start-up times,
//! against the targets of the issue. It is a report: it prints PASS or MISS for each target
//! and exits 0 either way (non-zero only if the benchmark itself cannot run).
//!
//! Timing is `std::time::Instant` (a vDSO clock read, tens of nanoseconds; the overhead of
//! one start/stop pair is measured and printed). Plugin calls, which take a microsecond or
//! more, are timed one by one, so their median and p99 are true per-call figures that include
//! that overhead. The native check takes tens of nanoseconds, less than the timer resolution
//! allows to time alone, so it is timed in batches of `NATIVE_BATCH` calls and each batch's
//! mean counts as one sample: its median is the per-call median, its p99 that of batch means
//! (which smooths single outliers). See docs/benchmarks.md.

use std::error::Error;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use vigie_plugins::{HostLimits, InstanceAllocation, LoadedPlugin, PluginHost, wit};

type Res<T> = Result<T, Box<dyn Error>>;

/// Measured calls per line (after `WARMUP` calls); `VIGIE_BENCH_CALLS` overrides it.
const DEFAULT_CALLS: usize = 20_000;
const WARMUP: usize = 2_000;
/// Native calls per timed batch.
const NATIVE_BATCH: usize = 1_000;
/// Passes over the 102 rows of the geolocation extract.
const IMPORT_PASSES: usize = 50;
const COLD_STARTS: usize = 3;
const WARM_STARTS: usize = 10;

/// A real UAI: Collège Edouard Manet, Marseille 14e (in the geolocation extract).
const UAI: &str = "0131703F";
const GEOLOCATION_FILE: &str = "marseille_colleges_adresse_geolocalisation.csv";
const VECTORS_FILE: &str = "uai_test_vectors.csv";

const TARGET_REUSED_NS: f64 = 2_000.0;
const TARGET_FRESH_NS: f64 = 20_000.0;
const TARGET_STARTUP_NS: f64 = 1e9;

fn main() -> Res<()> {
    let calls = std::env::var("VIGIE_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n >= 100)
        .unwrap_or(DEFAULT_CALLS);
    let data = data_dir();
    let timer = timer_overhead();
    println!("Vigie plugin benchmark — bundled `schools` plugin, wasmtime 48 (pooling allocator,");
    println!(
        "fuel metering), {} profile, {} CPU(s).",
        if cfg!(debug_assertions) {
            "DEBUG (numbers meaningless)"
        } else {
            "optimised"
        },
        std::thread::available_parallelism().map_or(0, usize::from),
    );
    println!(
        "{calls} timed calls per line after {WARMUP} warm-up calls; Instant start/stop pair \
         costs {} (included in per-call figures).",
        fmt_ns(timer)
    );
    let cpu_before = CpuTicks::now();
    println!();

    // Start-up first, so the benchmarked host is a real warm start.
    eprintln!("measuring start-up ({COLD_STARTS} cold, {WARM_STARTS} warm)…");
    let cache = tempfile::tempdir()?;
    let mut cold = Vec::new();
    for i in 0..COLD_STARTS {
        // A new empty cache folder each time, except the last, which the warm starts reuse.
        let dir = if i + 1 == COLD_STARTS {
            cache.path().to_owned()
        } else {
            cache.path().join(format!("cold-{i}"))
        };
        std::fs::create_dir_all(&dir)?;
        let (t, host) = start(&dir)?;
        drop(host);
        cold.push(t);
    }
    let mut warm = Vec::new();
    let mut host = None;
    for _ in 0..WARM_STARTS {
        drop(host.take());
        let (t, h) = start(cache.path())?;
        warm.push(t);
        host = Some(h);
    }
    let host = host.ok_or("no host")?;
    // Fresh instances cost least when freed memory is reset in place, most on demand.
    let allocation = host.allocation();
    println!(
        "Instance memory: {allocation}{}.",
        reserved_gib().map_or(String::new(), |gib| format!(
            "; address space after start-up {gib:.0} GiB"
        ))
    );
    if allocation != InstanceAllocation::PoolResetInPlace {
        println!("!!! fresh instances are slower here than on the reference machine (see above)");
    }
    let schools = host
        .get("schools")
        .ok_or("the schools plugin is not loaded")?;

    let mut report = Report::default();

    eprintln!("measuring normalize-identifier…");
    let ok = schools.normalize_identifier(UAI)?;
    if ok.as_deref().ok() != Some(UAI) {
        return Err(format!("{UAI} refused: {ok:?}").into());
    }
    let native = native_normalize_uai(UAI);
    if native.as_deref() != Ok(UAI) {
        return Err(format!("native check refuses {UAI}: {native:?}").into());
    }
    let agreed = check_native_agrees(schools, &data)?;

    let reused = per_call(calls, || {
        black_box(schools.normalize_identifier(black_box(UAI))?)
            .map_err(|d| format!("refused: {}", d.message.en))?;
        Ok(())
    })?;
    let native_samples = batched(calls / 10, || {
        black_box(native_normalize_uai(black_box(UAI)))
    });
    let native_median = median(&native_samples);
    report.line(
        &format!("normalize-identifier {UAI}, reused instance"),
        &reused,
        Some(("median < 2 µs", TARGET_REUSED_NS)),
        Some(native_median),
    );

    let fresh = per_call(calls, || {
        black_box(schools.call_fresh_normalize_identifier(black_box(UAI))?)
            .map_err(|d| format!("refused: {}", d.message.en))?;
        Ok(())
    })?;
    report.line(
        &format!("normalize-identifier {UAI}, fresh instance"),
        &fresh,
        Some(("median < 20 µs", TARGET_FRESH_NS)),
        Some(native_median),
    );

    eprintln!("measuring instantiation…");
    let inst = per_call(calls, || Ok(schools.bench_instantiate()?))?;
    report.line(
        "instantiation alone (store + instance, no call)",
        &inst,
        None,
        None,
    );

    eprintln!("measuring validate-field and validate-record…");
    let atsem = wit::Value::Integer(3);
    let diags = schools.validate_field("atsem", &atsem)?;
    if !diags.is_empty() {
        return Err(format!("validate-field atsem=3 complains: {diags:?}").into());
    }
    let field = per_call(calls, || {
        black_box(schools.validate_field(black_box("atsem"), black_box(&atsem))?);
        Ok(())
    })?;
    report.line(
        "validate-field atsem = 3, reused instance",
        &field,
        None,
        None,
    );

    let record = school_record();
    let diags = schools.validate_record(VINTAGE, &record)?;
    if let Some(d) = diags
        .iter()
        .find(|d| matches!(d.severity, wit::Severity::Error))
    {
        return Err(format!("the benchmark record is refused: {}", d.message.en).into());
    }
    let rec = per_call(calls, || {
        black_box(schools.validate_record(black_box(VINTAGE), black_box(&record))?);
        Ok(())
    })?;
    report.line(
        &format!("validate-record {} fields, reused instance", record.len()),
        &rec,
        None,
        None,
    );

    eprintln!("measuring import-row…");
    match import_rows(schools, &data)? {
        Some((rows, samples)) => report.line(
            &format!("import-row geolocation extract ({rows} rows × {IMPORT_PASSES})"),
            &samples,
            None,
            None,
        ),
        None => report.skipped("import-row geolocation extract", "data file absent"),
    }

    report.line_batched(
        &format!("native Rust UAI check (batches of {NATIVE_BATCH})"),
        &native_samples,
    );

    report.startup(
        &format!("start-up: host + 3 plugins, cold cache (×{COLD_STARTS})"),
        &cold,
        None,
    );
    report.startup(
        &format!("start-up: host + 3 plugins, warm cache (×{WARM_STARTS})"),
        &warm,
        Some(("median < 1 s", TARGET_STARTUP_NS)),
    );

    // Another build on this small machine skews every figure: say how busy the others were.
    let others = cpu_before
        .zip(CpuTicks::now())
        .map(|(before, after)| after.others_busy_share(&before));
    report.print(agreed, others);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Workloads

fn data_dir() -> PathBuf {
    std::env::var_os("VIGIE_BENCH_DATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    )
}

/// `VmSize` of this process, GiB (Linux only).
fn reserved_gib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmSize:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / (1024.0 * 1024.0))
}

/// `PluginHost::new` and `load_bundled` with compiled code cached in `cache`.
fn start(cache: &Path) -> Res<(f64, PluginHost)> {
    let t = Instant::now();
    let mut host = PluginHost::new(HostLimits::default(), Some(cache))?;
    host.load_bundled()?;
    let elapsed = t.elapsed();
    Ok((ns(elapsed), host))
}

/// The vintage of the record: rentrée 2025.
const VINTAGE: &str = "2025-2026";

/// École primaire publique Félix Pyat, Marseille 3e (0130566V), rentrée 2025: the official
/// figures of the effectifs and IPS extracts, and plausible citizen-filled facts.
fn school_record() -> Vec<wit::FieldValue> {
    use wit::Value::{Boolean, Choice, Date, Decimal, Integer, Text, Url};
    let text = |s: &str| s.to_owned();
    [
        ("sector", Choice(text("public"))),
        ("nature", Choice(text("151"))),
        ("nature-label", Text(text("ECOLE PRIMAIRE PUBLIQUE"))),
        ("website", Url(text("https://www.ac-aix-marseille.fr/"))),
        ("pupils", Integer(225)),
        ("classes", Integer(12)),
        ("nursery-pupils", Integer(74)),
        ("elementary-pupils", Integer(151)),
        ("ulis-pupils", Integer(0)),
        ("rep", Boolean(false)),
        ("rep-plus", Boolean(true)),
        ("ips", Decimal(69.5)),
        ("nursery-classes", Integer(3)),
        ("atsem", Integer(3)),
        ("teachers", Integer(14)),
        ("aesh", Integer(2)),
        ("canteen-staff", Integer(4)),
        ("canteen", Boolean(true)),
        ("working-toilets", Integer(14)),
        ("playground-area", Decimal(1250.0)),
        ("cooled-rooms", Integer(0)),
        ("accessible", Boolean(false)),
        ("asbestos-survey-date", Date(text("2018-05-14"))),
        ("fire-safety-visit-date", Date(text("2023-10-05"))),
        ("fire-safety-opinion", Choice(text("favorable"))),
        (
            "notes",
            Text(text(
                "Deux toilettes du rez-de-chaussée hors service depuis la rentrée.",
            )),
        ),
    ]
    .into_iter()
    .map(|(key, value)| wit::FieldValue {
        key: key.to_owned(),
        value,
    })
    .collect()
}

/// `;`-separated file → header and rows.
fn read_csv(path: &Path) -> Res<(Vec<String>, Vec<Vec<String>>)> {
    let text = std::fs::read_to_string(path)?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .ok_or("empty file")?
        .split(';')
        .map(str::to_owned)
        .collect();
    let rows = lines
        .map(|l| l.split(';').map(str::to_owned).collect())
        .collect();
    Ok((header, rows))
}

/// Every row of the geolocation extract through `import-row`, `IMPORT_PASSES` times.
fn import_rows(schools: &LoadedPlugin, data: &Path) -> Res<Option<(usize, Vec<f64>)>> {
    let path = data.join(GEOLOCATION_FILE);
    if !path.exists() {
        eprintln!("SKIPPED import-row: {} is absent", path.display());
        return Ok(None);
    }
    let (header, rows) = read_csv(&path)?;
    let importer = schools
        .detect_importer(&header)
        .ok_or("the geolocation header is not recognised")?
        .key
        .clone();
    let rows: Vec<Vec<wit::Cell>> = rows
        .iter()
        .map(|row| {
            header
                .iter()
                .zip(row)
                .map(|(c, t)| wit::Cell {
                    column: c.clone(),
                    text: t.clone(),
                })
                .collect()
        })
        .collect();
    let import = |row: &[wit::Cell]| -> Res<()> {
        black_box(schools.import_row(black_box(&importer), black_box(row))?)
            .map_err(|d| format!("row refused: {}", d.message.en))?;
        Ok(())
    };
    // Warm-up pass, which also checks that every row imports.
    for row in &rows {
        import(row)?;
    }
    let mut samples = Vec::with_capacity(rows.len() * IMPORT_PASSES);
    for _ in 0..IMPORT_PASSES {
        for row in &rows {
            let t = Instant::now();
            import(row)?;
            samples.push(ns(t.elapsed()));
        }
    }
    samples.sort_by(f64::total_cmp);
    Ok(Some((rows.len(), samples)))
}

/// The native check must answer like the plugin on the test vectors and the real UAIs
/// (otherwise the comparison is meaningless). Returns how many inputs were compared.
fn check_native_agrees(schools: &LoadedPlugin, data: &Path) -> Res<usize> {
    let mut inputs = vec![
        UAI.to_owned(),
        " 0131703f ".to_owned(),
        "0131 703F".to_owned(),
        "0131703A".to_owned(),
        "013170".to_owned(),
        "01317O3F".to_owned(),
        "0131703É".to_owned(),
    ];
    for (file, column) in [(VECTORS_FILE, "uai"), (GEOLOCATION_FILE, "numero_uai")] {
        let path = data.join(file);
        if !path.exists() {
            continue;
        }
        let (header, rows) = read_csv(&path)?;
        let col = header
            .iter()
            .position(|c| c == column)
            .ok_or("column missing")?;
        inputs.extend(rows.into_iter().filter_map(|r| r.into_iter().nth(col)));
    }
    for raw in &inputs {
        let plugin = schools.normalize_identifier(raw)?.ok();
        let native = native_normalize_uai(raw).ok();
        if plugin != native {
            return Err(format!(
                "native and plugin disagree on {raw:?}: plugin {plugin:?}, native {native:?}"
            )
            .into());
        }
    }
    Ok(inputs.len())
}

/// Check letters, indexed by the first seven digits mod 23 (A–Z without I, O, Q).
const ALPHABET: &[u8; 23] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

/// The UAI check written natively: whitespace removed, uppercase, 7 digits and the letter
/// `ALPHABET[n mod 23]`. Like the plugin it returns the normalised code as a new `String`;
/// unlike it, a refusal is a static code rather than a bilingual message.
fn native_normalize_uai(raw: &str) -> Result<String, &'static str> {
    let code: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect();
    if code.chars().count() != 8 {
        return Err("uai-length");
    }
    let Some((digits, letter)) = code.split_at_checked(7) else {
        return Err("uai-digits");
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("uai-digits");
    }
    let n: usize = digits.parse().map_err(|_| "uai-digits")?;
    if letter.as_bytes() != [ALPHABET[n % 23]] {
        return Err("uai-check-letter");
    }
    Ok(code)
}

// ---------------------------------------------------------------------------------------------
// Timing

fn ns(d: Duration) -> f64 {
    d.as_secs_f64() * 1e9
}

/// Median cost of an empty `Instant::now()` / `elapsed()` pair.
fn timer_overhead() -> f64 {
    let mut samples: Vec<f64> = (0..100_000)
        .map(|_| {
            let t = Instant::now();
            ns(black_box(t).elapsed())
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    median(&samples)
}

/// `WARMUP` untimed calls, then `n` calls timed one by one (nanoseconds, sorted).
fn per_call(n: usize, mut f: impl FnMut() -> Res<()>) -> Res<Vec<f64>> {
    for _ in 0..WARMUP {
        f()?;
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f()?;
        samples.push(ns(t.elapsed()));
    }
    samples.sort_by(f64::total_cmp);
    Ok(samples)
}

/// `batches` batches of `NATIVE_BATCH` calls; each sample is a batch's mean (sorted).
fn batched<R>(batches: usize, mut f: impl FnMut() -> R) -> Vec<f64> {
    for _ in 0..WARMUP * 10 {
        black_box(f());
    }
    let mut samples: Vec<f64> = (0..batches)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..NATIVE_BATCH {
                black_box(f());
            }
            ns(t.elapsed()) / NATIVE_BATCH as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples
}

/// Of sorted samples.
fn median(sorted: &[f64]) -> f64 {
    percentile(sorted, 50.0)
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn fmt_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.1} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// CPU time from `/proc` (Linux only), in clock ticks.
struct CpuTicks {
    /// Busy time of every CPU of the machine.
    busy: u64,
    /// Busy and idle time of every CPU of the machine.
    total: u64,
    /// CPU time of this process (all its threads).
    own: u64,
}

impl CpuTicks {
    fn now() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let cpu: Vec<u64> = stat
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .filter_map(|v| v.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal …
        let idle = cpu.get(3)? + cpu.get(4)?;
        let total: u64 = cpu.iter().take(8).sum();
        let own_stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let after_name = &own_stat[own_stat.rfind(')')? + 1..];
        let fields: Vec<u64> = after_name
            .split_whitespace()
            .skip(11) // state … cmajflt: utime is the 14th field of the line
            .take(2)
            .filter_map(|v| v.parse().ok())
            .collect();
        Some(Self {
            busy: total - idle,
            total,
            own: fields.iter().sum(),
        })
    }

    /// Share of the machine's CPU time that other processes used since `before`.
    fn others_busy_share(&self, before: &Self) -> f64 {
        let total = self.total.saturating_sub(before.total).max(1);
        let others = (self.busy.saturating_sub(before.busy))
            .saturating_sub(self.own.saturating_sub(before.own));
        others as f64 / total as f64
    }
}

// ---------------------------------------------------------------------------------------------
// Report

struct Row {
    what: String,
    samples: String,
    median: String,
    tail: String,
    vs_native: String,
    target: String,
    verdict: String,
}

#[derive(Default)]
struct Report {
    rows: Vec<Row>,
    misses: Vec<String>,
}

impl Report {
    fn verdict(&mut self, what: &str, value: f64, target: Option<(&str, f64)>) -> (String, String) {
        match target {
            None => ("—".to_owned(), String::new()),
            Some((label, limit)) if value < limit => (label.to_owned(), "PASS".to_owned()),
            Some((label, _)) => {
                self.misses
                    .push(format!("{what}: {} (target {label})", fmt_ns(value)));
                (label.to_owned(), "MISS <<<".to_owned())
            }
        }
    }

    /// A per-call line: median and p99.
    fn line(
        &mut self,
        what: &str,
        sorted: &[f64],
        target: Option<(&str, f64)>,
        native_median: Option<f64>,
    ) {
        let med = median(sorted);
        let (target, verdict) = self.verdict(what, med, target);
        self.rows.push(Row {
            what: what.to_owned(),
            samples: sorted.len().to_string(),
            median: fmt_ns(med),
            tail: format!("p99 {}", fmt_ns(percentile(sorted, 99.0))),
            vs_native: native_median.map_or_else(String::new, |n| format!("×{:.0}", med / n)),
            target,
            verdict,
        });
    }

    /// A batched line: each sample is a batch mean.
    fn line_batched(&mut self, what: &str, sorted: &[f64]) {
        self.rows.push(Row {
            what: what.to_owned(),
            samples: format!("{}×{NATIVE_BATCH}", sorted.len()),
            median: fmt_ns(median(sorted)),
            tail: format!("p99* {}", fmt_ns(percentile(sorted, 99.0))),
            vs_native: "×1".to_owned(),
            target: "—".to_owned(),
            verdict: String::new(),
        });
    }

    /// A start-up line: few runs, so median and max.
    fn startup(&mut self, what: &str, runs: &[f64], target: Option<(&str, f64)>) {
        let mut sorted = runs.to_vec();
        sorted.sort_by(f64::total_cmp);
        let med = median(&sorted);
        let (target, verdict) = self.verdict(what, med, target);
        self.rows.push(Row {
            what: what.to_owned(),
            samples: sorted.len().to_string(),
            median: fmt_ns(med),
            tail: format!("max {}", fmt_ns(sorted.last().copied().unwrap_or(f64::NAN))),
            vs_native: String::new(),
            target,
            verdict,
        });
    }

    fn skipped(&mut self, what: &str, why: &str) {
        self.rows.push(Row {
            what: what.to_owned(),
            samples: "0".to_owned(),
            median: "SKIPPED".to_owned(),
            tail: why.to_owned(),
            vs_native: String::new(),
            target: "—".to_owned(),
            verdict: String::new(),
        });
    }

    fn print(&self, agreed: usize, others: Option<f64>) {
        let header = Row {
            what: "measurement".to_owned(),
            samples: "samples".to_owned(),
            median: "median".to_owned(),
            tail: "tail".to_owned(),
            vs_native: "/native".to_owned(),
            target: "target".to_owned(),
            verdict: "verdict".to_owned(),
        };
        let all: Vec<&Row> = std::iter::once(&header).chain(&self.rows).collect();
        let width = |f: fn(&Row) -> &str| all.iter().map(|r| f(r).chars().count()).max();
        let w = [
            width(|r| r.what.as_str()),
            width(|r| r.samples.as_str()),
            width(|r| r.median.as_str()),
            width(|r| r.tail.as_str()),
            width(|r| r.vs_native.as_str()),
            width(|r| r.target.as_str()),
        ]
        .map(|w| w.unwrap_or(0));
        let total = w.iter().sum::<usize>() + 2 * w.len() + 8;
        for (i, r) in all.iter().enumerate() {
            println!(
                "{:<a$}  {:>b$}  {:>c$}  {:<d$}  {:>e$}  {:<f$}  {}",
                r.what,
                r.samples,
                r.median,
                r.tail,
                r.vs_native,
                r.target,
                r.verdict,
                a = w[0],
                b = w[1],
                c = w[2],
                d = w[3],
                e = w[4],
                f = w[5],
            );
            if i == 0 {
                println!("{}", "-".repeat(total));
            }
        }
        println!();
        println!(
            "p99* of the native line is the p99 of {NATIVE_BATCH}-call batch means. /native = \
             median ÷ native median. The native check agrees with the plugin on {agreed} inputs."
        );
        if let Some(others) = others {
            println!(
                "Other processes kept the CPUs {:.0}% busy during the run{}",
                100.0 * others,
                if others > 0.1 {
                    ": the machine was shared, figures are pessimistic (p99 most of all)."
                } else {
                    " (quiet machine)."
                }
            );
        }
        println!();
        if self.misses.is_empty() {
            println!("ALL TARGETS PASS");
        } else {
            println!("{}", "!".repeat(78));
            for m in &self.misses {
                println!("!!! MISS: {m}");
            }
            println!("{}", "!".repeat(78));
        }
    }
}
