#!/usr/bin/env bash
# Checks the Vigie Helm chart (helm/vigie) offline, without a helm binary or a cluster:
#   - installs helm-python-sdk (Helm's Go SDK behind ctypes: the real template engine and
#     `helm lint`) and kubernetes-validate (Kubernetes JSON schemas) into helm/.venv, from PyPI;
#   - renders the chart with the default values, each helm/vigie/ci/*.yaml and a few variants,
#     lints each (strict), validates every rendered object against the Kubernetes schemas
#     (strict, Kubernetes 1.25 and the newest bundled), and checks the chart's promises;
#   - checks that bad values (SQLite with replicaCount > 1, a database URL in `config`, …)
#     fail rendering with a clear message.
# Rendered manifests land in helm/.out/. Exits non-zero on any problem.
#
# Usage: helm/test.sh            (PYTHON=python3.11 helm/test.sh to pick the interpreter)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
PYTHON="${PYTHON:-python3}"
# Pinned: the chart checks must not change under us.
HELM_PYTHON_SDK="helm-python-sdk==0.2.2"
KUBERNETES_VALIDATE="kubernetes-validate==1.37.0"
start=$SECONDS

make_venv() {
  rm -rf "$VENV"
  if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    # Debian's own python3 needs python3-venv for `python -m venv`.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "== installing python3-venv"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      rm -rf "$VENV"
      "$PYTHON" -m venv "$VENV"
    else
      echo "error: '$PYTHON -m venv' failed; install Python's venv module (python3-venv)" >&2
      exit 1
    fi
  fi
}

if ! "$VENV/bin/python" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed (tomllib)"'
  echo "== creating $VENV"
  make_venv
fi

echo "== installing $HELM_PYTHON_SDK $KUBERNETES_VALIDATE"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  "$HELM_PYTHON_SDK" "$KUBERNETES_VALIDATE"

echo "== rendering, linting and validating helm/vigie"
"$VENV/bin/python" -u "$HERE/test_chart.py"

echo "== helm chart checks passed in $((SECONDS - start)) s"
