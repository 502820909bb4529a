# Every target bootstraps .venv itself; only Python 3.11 and make are needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test dev lint fmt validate clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## make run: install, create demo data if data/raw/ is empty, run the nightly job once, summarise
run: $(STAMP)
	$(BIN)/tepat run

## make test: the whole test suite
test: $(STAMP)
	$(BIN)/python -m pytest

## make dev: Dagster UI + daemon (nightly schedule and new-file sensor live)
dev: $(STAMP)
	$(BIN)/tepat dev

validate: $(STAMP)
	$(BIN)/tepat prepare
	$(BIN)/dagster definitions validate -m orchestration.definitions

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

fmt: $(STAMP)
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs .dagster data/warehouse.duckdb data/marts/*.parquet
