#!/usr/bin/env bash
# Checks the container image without a container engine (run by `make test`):
#   1. the Containerfile: its build stage builds the plugins and the server; its runtime stage
#      runs as a fixed non-root user, has `vigie` as entry point and `serve` as command, copies
#      only what the build stage makes, holds no secret, and agrees with the Helm chart;
#      .dockerignore/.containerignore; `make image`'s engine choice and its error;
#   2. the runtime stage's tree, assembled here from the built binary and plugins at the
#      image's paths, root-owned and mounted read-only (a private mount namespace and a chroot,
#      the base image's libraries copied from the binary's own), with only the data volume
#      writable: `vigie serve` started as the image's unprivileged user answers /healthz and
#      /readyz, takes a write through the API, verifies the image's extra plugin, stops on
#      SIGTERM, and has written nothing outside the data volume.
# Part 2 needs root (mount namespace, chroot); without it, it is skipped with a message.
#
# Usage: tests/image/check.sh [VIGIE_BIN [PLUGINS_DIR]]
#   VIGIE_BIN    built server binary (default: target/debug/vigie, built by `cargo test`)
#   PLUGINS_DIR  built plugins (default: plugins/dist)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export VIGIE_IMAGE_BIN="${1:-${VIGIE_IMAGE_BIN:-$ROOT/target/debug/vigie}}"
export VIGIE_IMAGE_PLUGINS="${2:-${VIGIE_IMAGE_PLUGINS:-$ROOT/plugins/dist}}"
start=$SECONDS
python3 -u "$ROOT/tests/image/check_image.py"
echo "== image checks done in $((SECONDS - start)) s"
