#!/usr/bin/env bash
# The browser libraries the pages embed (Leaflet, Chart.js), pinned by package-lock.json (with their
# integrity hashes). The built files are kept in ../static/vendor/ so that `make run` needs no
# npm; this script re-fetches them from the npm registry and
#   bash update.sh          copies them there (after changing package.json: npm install
#                           --package-lock-only first)
#   bash update.sh --check  fails if the kept copies differ from what the lockfile gives
# `make test` runs the check.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEST="$HERE/../static/vendor"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vigie-vendor.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# What is kept: package file → kept name.
FILES=(
  "leaflet/dist/leaflet.js:leaflet.js"
  "leaflet/dist/leaflet.css:leaflet.css"
  "leaflet/LICENSE:LICENSE-leaflet.txt"
  "chart.js/dist/chart.umd.js:chart.umd.js"
  "chart.js/LICENSE.md:LICENSE-chart.js.txt"
)

cp "$HERE/package.json" "$HERE/package-lock.json" "$WORK/"
(cd "$WORK" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)

status=0
for pair in "${FILES[@]}"; do
  from="$WORK/node_modules/${pair%%:*}"
  to="$DEST/${pair##*:}"
  if [ "${1:-}" = "--check" ]; then
    if ! cmp -s "$from" "$to"; then
      echo "vendor: $to differs from ${pair%%:*} of the lockfile (run bash $0)" >&2
      status=1
    fi
  else
    mkdir -p "$DEST"
    cp "$from" "$to"
    echo "vendor: ${pair##*:} ← ${pair%%:*}"
  fi
done
if [ "${1:-}" = "--check" ] && [ "$status" = 0 ]; then
  echo "vendor: the kept files are those of package-lock.json"
fi
exit "$status"
