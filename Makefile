# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run worker api test test-unit test-workflows test-api test-e2e lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)  ## Temporal dev server (var/temporal.db), migrations, worker and API
	$(BIN)/python -m starter.run

worker: $(STAMP)
	$(BIN)/python worker.py

api: $(STAMP)
	$(BIN)/python -m starter.api

test: $(STAMP)  ## the whole suite: unit, activities, workflows (time skipping), api, e2e
	$(BIN)/python -m pytest

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

test-workflows: $(STAMP)
	$(BIN)/python -m pytest tests/workflows

test-api: $(STAMP)
	$(BIN)/python -m pytest tests/api

test-e2e: $(STAMP)
	$(BIN)/python -m pytest tests/e2e

clean:
	rm -rf $(VENV) var/*.db var/*.db-*
