#!/usr/bin/env bash
# Prints the container engine `make image` builds with: the first of the given commands (default
# podman, then docker) that is installed and whose daemon or service answers (`ENGINE info`).
# When none answers it says why, for each, and exits 1.
#
# Usage: tests/image/engine.sh [ENGINE...]      (make image CONTAINER_ENGINE=docker)
set -uo pipefail

engines=("$@")
[ "${#engines[@]}" -gt 0 ] || engines=(podman docker)

reasons=()
for engine in "${engines[@]}"; do
    if ! command -v "$engine" >/dev/null 2>&1; then
        reasons+=("$engine: not installed")
        continue
    fi
    if out="$(timeout 20 "$engine" info 2>&1 >/dev/null)"; then
        echo "$engine"
        exit 0
    fi
    last="$(printf '%s\n' "$out" | grep -v '^[[:space:]]*$' | tail -n 1)"
    reasons+=("$engine: installed, but \`$engine info\` fails: ${last:-no answer within 20 s}")
done

{
    echo "error: no container engine answers, so the image cannot be built here."
    printf '  - %s\n' "${reasons[@]}"
    echo "Start the Docker daemon (e.g. systemctl start docker), install Podman (daemonless),"
    echo "or name another engine: make image CONTAINER_ENGINE=NAME. Without an engine,"
    echo "tests/image/check.sh checks what it can of the Containerfile."
} >&2
exit 1
