#!/usr/bin/env bash
# End-to-end tests of Vigie's pages in a real browser: Debian's Chromium driven by
# playwright-core, tests run by node's built-in test runner.
#
#   bash tests/browser/run.sh                     every test
#   bash tests/browser/run.sh tests/3-*.test.mjs  some files (paths relative to tests/browser)
#
# Installs what is missing (Debian's chromium with apt-get, playwright-core with npm ci),
# builds the server (cargo build -p vigie), starts `vigie serve` on a free loopback port with a
# fresh SQLite database in a temporary data directory (so the demo collective is created),
# runs the tests, stops the server. Exits non-zero if anything fails.
#
# Environment: CHROMIUM_PATH (default /usr/bin/chromium), TEST_CONCURRENCY (test files run at
# once, default 2); the tests get VIGIE_URL, VIGIE_DATA_DIR and VIGIE_BIN (the server binary,
# for operator commands such as `vigie role grant` on the same database), KEEP_DATA=1 keeps the temporary data
# directory (database, outbox, server.log) for a look after the run. Screenshots go to
# tests/browser/screenshots/ (git-ignored); a failing test leaves FAILED-*.png there.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
export CHROMIUM_PATH
started=$SECONDS

log() { printf '[browser-tests] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# --- Chromium (Debian's; Playwright's own browser download cannot work here) ---------------
if [ ! -x "$CHROMIUM_PATH" ]; then
  log "installing chromium with apt-get"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium fonts-liberation fonts-dejavu-core >/dev/null
fi

# --- playwright-core, pinned by package-lock.json ----------------------------------------------
command -v node >/dev/null || { log "node is required (Node.js 20 or newer)"; exit 1; }
cd "$HERE"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
  || [ package.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# --- the server ---------------------------------------------------------------------------
# cargo decides what is out of date; a no-op build takes a second or two.
log "cargo build -p vigie"
(cd "$ROOT" && "${CARGO:-cargo}" build -p vigie)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/vigie"
[ -x "$BIN" ] || { log "no server binary at $BIN"; exit 1; }

DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/vigie-browser.XXXXXX")"
SERVER_PID=""

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}

cleanup() {
  local status=$?
  stop_server
  if [ "$status" -ne 0 ] && [ -f "$DATA_DIR/server.log" ]; then
    log "server log (last 40 lines):"
    tail -n 40 "$DATA_DIR/server.log" | sed 's/\x1b\[[0-9;]*m//g' >&2 || true
  fi
  if [ "${KEEP_DATA:-0}" = 1 ]; then
    log "data directory kept: $DATA_DIR"
  else
    rm -rf "$DATA_DIR"
  fi
  log "done in $((SECONDS - started)) s (exit $status)"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

healthy() {
  node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(1000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));' "$1/healthz"
}

# A fresh database each run: settings that would point elsewhere are left out. Every test's
# visitors come from 127.0.0.1, so the anonymous allowance (20 per 10 minutes per client by
# default, tested by the Rust suite) is raised for the suite as a whole.
start_server() {
  local port="$1"
  rm -rf "${DATA_DIR:?}"/*
  env -u VIGIE_DATABASE_URL -u VIGIE_CONFIG -u VIGIE_PUBLIC_URL \
    VIGIE_DATA_DIR="$DATA_DIR" VIGIE_BIND="127.0.0.1:$port" NO_COLOR=1 \
    VIGIE__LIMITS__ANONYMOUS_SUBMISSIONS=200 \
    "$BIN" serve >"$DATA_DIR/server.log" 2>&1 &
  SERVER_PID=$!
}

URL=""
for attempt in 1 2 3; do
  port="$(free_port)"
  log "starting vigie serve on 127.0.0.1:$port (data in $DATA_DIR)"
  start_server "$port"
  for _ in $(seq 1 300); do             # up to 60 s (the demo seeding waits ≤ 8 s for the network)
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    if healthy "http://127.0.0.1:$port"; then URL="http://127.0.0.1:$port"; break; fi
    sleep 0.2
  done
  [ -n "$URL" ] && break
  log "server did not come up (attempt $attempt):"
  sed 's/\x1b\[[0-9;]*m//g' "$DATA_DIR/server.log" | tail -n 20 >&2 || true
  stop_server
done
[ -n "$URL" ] || { log "giving up: the server never answered /healthz"; exit 1; }
if ! grep -q "demo sample imported" "$DATA_DIR/server.log"; then
  log "warning: the demo collective was not filled from the shipped sample (online?);" \
      "the tests expect its 8 made-up schools"
fi
log "server ready at $URL after $((SECONDS - started)) s"

# --- the tests ----------------------------------------------------------------------------
if [ "$#" -gt 0 ]; then files=("$@"); else files=(tests/*.test.mjs); fi
rm -f screenshots/*.png
status=0
# Files run in parallel (each has its own browser; they touch different schools and accounts).
VIGIE_URL="$URL" VIGIE_DATA_DIR="$DATA_DIR" VIGIE_BIN="$BIN" \
  node --test --test-concurrency="${TEST_CONCURRENCY:-2}" --test-timeout=120000 \
  --test-reporter=spec --test-reporter-destination=stdout "${files[@]}" || status=$?
exit "$status"
