# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install lint run worker api verify-clocks test test-postgresql test-unit test-workflows test-api test-e2e bench bench-full clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Chromium for the headless browser test of the Temporal Web UI (tests/e2e/test_temporal_ui.py):
# Debian's package, installed as root when it is missing (Playwright drives it; no download).
CHROMIUM_STAMP := $(VENV)/.chromium
$(CHROMIUM_STAMP): $(STAMP)
	command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } || { echo "install Debian's chromium (as root: apt-get install chromium)"; exit 1; }
	touch $(CHROMIUM_STAMP)

install: $(STAMP) $(CHROMIUM_STAMP)

run: $(STAMP)  ## Temporal dev server (var/temporal.db), migrations, worker(s) and API; WORKERS=3 make run for three worker processes
	$(if $(WORKERS),WORKER_PROCESSES=$(WORKERS) )$(BIN)/python -m starter.run

worker: $(STAMP)
	$(BIN)/python worker.py

api: $(STAMP)  ## the API and the staff console (/console)
	$(BIN)/python -m console

verify-clocks: $(STAMP)  ## every clock figure of every case recomputed from Temporal and compared with the database
	$(BIN)/python -m starter.verify_clocks --all

lint: $(STAMP)  ## ruff (lint and format) and mypy: clean, or make test stops here
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The suites that go through the database, run a second time on PostgreSQL (TEST_DATABASE:
# tests/conftest.py makes the session's database there). README, "make test on both databases".
PG_SUITES := tests/access tests/activities tests/api tests/care tests/codec tests/console tests/customers tests/delivery tests/verify tests/workflows

test: lint $(CHROMIUM_STAMP)  ## the lint gate, the whole suite on SQLite (unit, activities, workflows, api, e2e, faults), then the database suites again on PostgreSQL
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory test-postgresql

test-postgresql: $(STAMP)  ## the database suites (PG_SUITES) on a fresh PostgreSQL database (127.0.0.1:5432; .ci/run starts it)
	TEST_DATABASE=postgresql $(BIN)/python -m pytest $(PG_SUITES)

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

test-workflows: $(STAMP)
	$(BIN)/python -m pytest tests/workflows

test-api: $(STAMP)
	$(BIN)/python -m pytest tests/api

test-e2e: $(STAMP) $(CHROMIUM_STAMP)
	$(BIN)/python -m pytest tests/e2e

$(VENV)/.bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(VENV)/.bench

bench: $(VENV)/.bench  ## quick set (1-4 at the 1,000 scale), under 5 minutes
	$(BIN)/python -m bench.run --mode quick

bench-full: $(VENV)/.bench  ## everything, 10,000 and 100,000 open complaints; the CP-18 monthly report over 1,000,000 closed (SQLite, PostgreSQL); 100,000 customer accounts open at once (bench/customer_scale.py)
	$(BIN)/python -m bench.run --mode full

clean:
	rm -rf $(VENV) var/*.db var/*.db-*
