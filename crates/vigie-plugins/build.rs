//! Builds the bundled object-type plugins (and the misbehaving test components) as WebAssembly
//! components with `plugins/build.sh`, so that `cargo build` on a fresh machine needs nothing
//! done by hand. The inner build has its own workspace and target folder (`plugins/target`), and
//! is incremental: when no plugin source changed, it only checks.

use std::path::Path;
use std::process::Command;

const COMPONENTS: [&str; 9] = [
    "schools",
    "libraries",
    "parks",
    "sports-halls",
    "loop-forever",
    "alloc-unbounded",
    "trap",
    "garbage",
    "remember",
];

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let plugins = Path::new(&manifest).join("../../plugins");
    for watched in [
        "build.sh",
        "Cargo.toml",
        "Cargo.lock",
        "sdk",
        "wit",
        "schools",
        "libraries",
        "parks",
        "examples",
        "test-components",
    ] {
        println!("cargo:rerun-if-changed={}", plugins.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=VIGIE_SKIP_PLUGIN_BUILD");
    let all_built = COMPONENTS
        .iter()
        .all(|c| plugins.join("dist").join(format!("{c}.wasm")).exists());
    if std::env::var_os("VIGIE_SKIP_PLUGIN_BUILD").is_some() && all_built {
        return;
    }
    let mut cmd = Command::new("bash");
    cmd.arg(plugins.join("build.sh")).args(COMPONENTS);
    // The outer cargo's settings must not leak into the inner wasm build.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        let keep = matches!(
            key.as_str(),
            "CARGO_HOME" | "RUSTUP_HOME" | "RUSTUP_TOOLCHAIN"
        );
        if !keep && (key.starts_with("CARGO") || key.starts_with("RUST")) {
            cmd.env_remove(&key);
        }
    }
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => panic!(
            "building the WebAssembly plugins failed ({s}); run `make plugins` to see why \
             (plugins/build.sh)"
        ),
        Err(e) => panic!("cannot run plugins/build.sh: {e}"),
    }
}
