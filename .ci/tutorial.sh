#!/usr/bin/env bash
# Runs the plugin tutorial, docs/plugins.md, the way a reader would: every fenced block whose
# info string is exactly `sh tutorial`, in order, in one bash shell (set -euo pipefail), from
# the root of a scratch copy of the repository, with the `vigie` binary built from this
# checkout on PATH and VIGIE_BIND set to a free port. Exits non-zero when a step fails.
#
#   bash .ci/tutorial.sh
#
#   VIGIE_BIN=path/to/vigie   use this binary instead of running `cargo build -p vigie`
#   TUTORIAL_KEEP=1           keep the scratch copy (its path is printed)
#   TUTORIAL_TIMEOUT=1200     seconds after which the steps are stopped (default 1200)
#
# Needs bash, git, GNU tar and coreutils (timeout, shuf, sha256sum), curl, and what
# `make run` and plugins/build.sh need.
#
# The checkout is left as it was. The scratch copy holds the tracked files and the untracked,
# not ignored ones (so uncommitted changes are tested too). To avoid rebuilding everything:
# - `vigie` is built in the checkout itself (same sources, usual target folder), because a
#   build from another folder would rerun the plugin build script and relink the binary;
# - the copy starts with a copy of the checkout's plugins/target (a few seconds): cargo keys
#   artifacts by workspace-relative paths and the copy keeps the files' times, so the plugin
#   builds and tests of the steps reuse what is already built and only redo what changed,
#   without ever writing into the checkout's plugins/target.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOC=docs/plugins.md
MARKER='```sh tutorial'
TIMEOUT="${TUTORIAL_TIMEOUT:-1200}"

log() { printf '[tutorial] %s\n' "$*" >&2; }
die() { printf '[tutorial] error: %s\n' "$*" >&2; exit 1; }

started=$SECONDS
for tool in git tar curl sha256sum timeout shuf; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
done
[ -f "$REPO/$DOC" ] || die "$REPO/$DOC not found"

scratch=""
runner_pid=""
finish() {
    local status=$?
    if [ -n "$runner_pid" ] && kill -0 "$runner_pid" 2>/dev/null; then
        kill "$runner_pid" 2>/dev/null || true
        wait "$runner_pid" 2>/dev/null || true
    fi
    if [ -n "$scratch" ] && [ -n "${TUTORIAL_KEEP:-}" ]; then
        log "scratch copy kept: $scratch/repo"
    elif [ -n "$scratch" ]; then
        rm -rf "$scratch"
    fi
    if [ "$status" -eq 0 ]; then
        log "passed in $((SECONDS - started)) s"
    else
        log "FAILED (exit $status) after $((SECONDS - started)) s"
    fi
    exit "$status"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. The vigie binary, built from the checkout.
if [ -n "${VIGIE_BIN:-}" ]; then
    [ -x "$VIGIE_BIN" ] || die "VIGIE_BIN=$VIGIE_BIN is not an executable"
    vigie_bin="$(cd "$(dirname "$VIGIE_BIN")" && pwd)/$(basename "$VIGIE_BIN")"
else
    log "building vigie (cargo build -p vigie)"
    (cd "$REPO" && cargo build -p vigie) || die "cargo build -p vigie failed"
    vigie_bin="${CARGO_TARGET_DIR:-$REPO/target}/debug/vigie"
    [ -x "$vigie_bin" ] || die "$vigie_bin was not built"
fi

# 2. The scratch copy.
scratch="$(mktemp -d "${TMPDIR:-/tmp}/vigie-tutorial.XXXXXX")"
mkdir "$scratch/repo" "$scratch/bin"
(
    cd "$REPO"
    git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do
            # Skip files deleted but not yet committed.
            if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
        done |
        tar --null --no-recursion -T - -cf -
) | tar -xf - -C "$scratch/repo"
if [ -d "$REPO/plugins/target" ]; then
    cp -a --reflink=auto "$REPO/plugins/target" "$scratch/repo/plugins/target"
fi
# A copy, so that a concurrent build of the checkout cannot swap the binary mid-run.
cp "$vigie_bin" "$scratch/bin/vigie"

# 3. The steps: the marked blocks, each announced with its line in the page.
steps="$scratch/steps.sh"
{
    echo 'set -euo pipefail'
    # A server a failed step left running is stopped with the shell.
    echo "trap 'jobs -p | xargs -r kill 2>/dev/null || true' EXIT"
    awk -v marker="$MARKER" -v doc="$DOC" -v page="$scratch/repo/$DOC" '
        $0 == marker {
            if (inside) { printf "%s:%d: block opened inside a block\n", doc, NR > "/dev/stderr"; exit 2 }
            inside = 1; n++; first = NR + 1
            next
        }
        inside && /^```[ \t]*$/ {
            inside = 0
            printf "printf %s \"%s\" %d >&2\n", "\047\\n[tutorial] ── %s line %d\\n\047", doc, first
            printf "sed -n \047%d,%dp\047 \"%s\" | sed \047s/^/[tutorial]   /\047 >&2\n", first, NR - 1, page
            printf "%s", body
            body = ""
            next
        }
        inside { body = body $0 "\n" }
        END {
            if (inside) { printf "%s: the block opened at line %d is not closed\n", doc, first - 1 > "/dev/stderr"; exit 2 }
            if (n == 0) { printf "%s: no block marked %s\n", doc, marker > "/dev/stderr"; exit 2 }
            printf "printf \047\\n[tutorial] all %d blocks ran\\n\047 >&2\n", n
        }
    ' "$scratch/repo/$DOC"
} >"$steps" || die "cannot extract the steps of $DOC"
log "$(grep -cxF "$MARKER" "$scratch/repo/$DOC") block(s) marked '$MARKER' in $DOC"

# 4. Run them as documented, away from the caller's Vigie settings.
free_port() {
    local port
    for port in $(shuf -i 20000-60999 -n 50); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    return 1
}
port="$(free_port)" || die "no free port found"
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep -E '^(VIGIE|CARGO_TARGET_DIR$)' || true)
export VIGIE_BIND="127.0.0.1:$port"
export PATH="$scratch/bin:$PATH"
log "running the steps in $scratch/repo (vigie: $vigie_bin, VIGIE_BIND=$VIGIE_BIND)"
cd "$scratch/repo"
# In the background so that INT/TERM reach our traps at once; `timeout` stops the steps and
# whatever they started (it signals its whole process group).
timeout --kill-after=15 "$TIMEOUT" bash "$steps" &
runner_pid=$!
status=0
wait "$runner_pid" || status=$?
runner_pid=""
if [ "$status" -eq 124 ]; then
    die "the steps took more than $TIMEOUT s"
fi
[ "$status" -eq 0 ] || die "a step of $DOC failed (exit $status)"
