# OpenWard: `make run` serves the demo hospital, `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=
# Test processes (pytest-xdist): one per core; each has its own databases and servers.
TEST_WORKERS ?= auto

.PHONY: run test lint clean-db help

help:
	@echo "make run       start OpenWard on SQLite with demo data (http://$(HOST):$(PORT); HOST= and PORT= change it)"
	@echo "make test      run the whole test suite (TEST_WORKERS=0: one process; PYTEST_ARGS=...: to pytest)"
	@echo "make lint      ruff, and the import contracts between domains"
	@echo "make clean-db  delete the demo database, its secret and its demo logins"
	@echo "make help      this list"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "OpenWard needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/openward db upgrade
	$(BIN)/openward demo
	$(BIN)/openward serve --host $(HOST) --port $(PORT)

test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15 $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest -q -p no:xdist tests/core/test_import_contracts.py

clean-db:
	rm -f openward.db openward.db-wal openward.db-shm openward.db.secret openward.db.demo-logins
