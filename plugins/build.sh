#!/usr/bin/env bash
# Builds every object-type plugin and test component as a WebAssembly
# *component* (release), into target/wasm32-unknown-unknown/release/*.wasm,
# and copies each to dist/<name>.wasm.
#
#   ./build.sh                 # everything
#   ./build.sh schools trap    # only these components
#
# Two routes, chosen automatically:
# - rustup with the wasm32-unknown-unknown target installed (a developer
#   laptop): `cargo build --target wasm32-unknown-unknown`, linked by the
#   toolchain's wasm-component-ld so that the output is a component;
# - otherwise (machines where `rustup target add` cannot download): Debian's
#   rustc-web, cargo-web and rust-web-src (installed with apt-get when missing)
#   build std from source with -Zbuild-std, linked by rustup's
#   wasm-component-ld.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

TARGET=wasm32-unknown-unknown
OUT_DIR="target/$TARGET/release"
DIST_DIR="dist"

# name of the component in dist/  :  cargo package
ALL_COMPONENTS=(
    "schools:vigie-plugin-schools"
    "libraries:vigie-plugin-libraries"
    "parks:vigie-plugin-parks"
    "sports-halls:vigie-plugin-sports-halls"
    "loop-forever:vigie-test-loop-forever"
    "alloc-unbounded:vigie-test-alloc-unbounded"
    "trap:vigie-test-trap"
    "garbage:vigie-test-garbage"
    "remember:vigie-test-remember"
)

log() { printf '[build.sh] %s\n' "$*" >&2; }
die() { printf '[build.sh] error: %s\n' "$*" >&2; exit 1; }

components=()
if [ "$#" -eq 0 ]; then
    components=("${ALL_COMPONENTS[@]}")
else
    for wanted in "$@"; do
        found=""
        for entry in "${ALL_COMPONENTS[@]}"; do
            if [ "${entry%%:*}" = "$wanted" ]; then found="$entry"; fi
        done
        [ -n "$found" ] || die "unknown component '$wanted' (known: $(printf '%s ' "${ALL_COMPONENTS[@]%%:*}"))"
        components+=("$found")
    done
fi

package_args=()
for entry in "${components[@]}"; do package_args+=(-p "${entry#*:}"); done

# The wasm-component-ld linker shipped with rustup toolchains (beside
# gcc-ld/wasm-ld, which it calls).
find_component_linker() {
    if command -v rustc >/dev/null 2>&1; then
        local sysroot host candidate
        sysroot="$(rustc --print sysroot 2>/dev/null || true)"
        host="$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')"
        candidate="$sysroot/lib/rustlib/$host/bin/wasm-component-ld"
        if [ -n "$sysroot" ] && [ -x "$candidate" ]; then
            echo "$candidate"
            return 0
        fi
    fi
    local candidate
    for candidate in "${RUSTUP_HOME:-$HOME/.rustup}"/toolchains/*/lib/rustlib/*/bin/wasm-component-ld; do
        if [ -x "$candidate" ]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

run_as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

linker="$(find_component_linker)" \
    || die "wasm-component-ld not found: install a Rust toolchain with rustup (it ships wasm-component-ld)"
linker_bin_dir="$(dirname "$linker")"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$linker"

if command -v rustup >/dev/null 2>&1 \
    && rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
    log "route: rustup target $TARGET"
    PATH="$linker_bin_dir/gcc-ld:$PATH" \
        cargo build --release --target "$TARGET" "${package_args[@]}"
else
    log "route: Debian rustc-web with -Zbuild-std (no rustup $TARGET target installed)"
    if [ ! -x /usr/bin/cargo ] || [ ! -x /usr/bin/rustc ] || [ ! -d /usr/lib/rustlib/src/rust/library ]; then
        command -v apt-get >/dev/null 2>&1 \
            || die "no rustup $TARGET target and no apt-get: run 'rustup target add $TARGET'"
        log "installing rustc-web cargo-web rust-web-src with apt-get"
        run_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
        run_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            rustc-web cargo-web rust-web-src
    fi
    PATH="/usr/bin:$linker_bin_dir/gcc-ld:$PATH" \
        RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
        /usr/bin/cargo build --release -Zbuild-std=std,panic_abort \
        --target "$TARGET" "${package_args[@]}"
fi

mkdir -p "$DIST_DIR"
component_header="0061736d0d000100" # "\0asm", version 0x0d, layer 1 (component)
for entry in "${components[@]}"; do
    name="${entry%%:*}"
    package="${entry#*:}"
    wasm="$OUT_DIR/${package//-/_}.wasm"
    [ -f "$wasm" ] || die "$wasm was not produced"
    header="$(head -c 8 "$wasm" | od -An -v -tx1 | tr -d ' \n')"
    [ "$header" = "$component_header" ] \
        || die "$wasm is not a WebAssembly component (header $header): check the linker"
    if command -v wasm-tools >/dev/null 2>&1; then
        wasm-tools validate --features component-model "$wasm" \
            || die "$wasm does not validate"
    fi
    cp "$wasm" "$DIST_DIR/$name.wasm"
done

log "components in $(pwd)/$DIST_DIR:"
for entry in "${components[@]}"; do
    name="${entry%%:*}"
    printf '  %-20s %8d bytes\n' "$name.wasm" "$(wc -c <"$DIST_DIR/$name.wasm")" >&2
done
