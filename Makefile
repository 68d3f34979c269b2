# Vigie — every task a developer or CI runs. `.ci/run` calls `make lint test`.
#
#   make run      build and start the server on http://127.0.0.1:8080 (SQLite + ./data + demo)
#   make test     every test, on SQLite and on the local PostgreSQL
#   make lint     rustfmt and clippy, warnings as errors
#   make openapi  regenerate docs/openapi.json after an API change

CARGO ?= cargo
# PostgreSQL server the tests create their throwaway databases on.
export VIGIE_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: run test lint fmt openapi build postgres clean

run:
	$(CARGO) run -p vigie -- serve

build:
	$(CARGO) build --workspace --all-targets

test: postgres
	$(CARGO) test --workspace --no-fail-fast

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

openapi:
	$(CARGO) run -q -p vigie -- openapi --output docs/openapi.json

# Starts the machine's PostgreSQL cluster if it is not answering (Debian's pg_ctlcluster).
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { \
	  echo "starting PostgreSQL"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -V | tail -n 1) main start; \
	  for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }

clean:
	$(CARGO) clean
