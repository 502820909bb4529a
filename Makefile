# Every target bootstraps .venv itself; only Python 3.11 and make are needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test test-faults test-spark dev lint fmt validate clean docs bench

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m orchestration.quality.datadocs_offline
	@touch $(STAMP)

## make run: install, create demo data if data/raw/ is empty, run the nightly job once, summarise
run: $(STAMP)
	$(BIN)/tepat run

## make test: the test suite, except the fault tests, on two workers (pytest-xdist: a module
## and its night stay on one worker)
test: $(STAMP)
	$(BIN)/python -m pytest -m "not faults and not spark" -n 2 --dist loadscope

## make test-spark: the nightly job on Apache Spark (issue 19): installs the .[spark] extra
## (pyspark, dbt-spark; needs Java 17), then compares Spark nights, local and on a real
## standalone cluster on 127.0.0.1, with a DuckDB night
SPARK_STAMP := $(VENV)/.spark-installed-stamp
$(SPARK_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	@touch $(SPARK_STAMP)

test-spark: $(SPARK_STAMP)
	$(BIN)/python -m pytest -m spark --durations=5

## make test-faults: the faults of docs/reliability.md, each done for real (slower; CI runs it)
test-faults: $(STAMP)
	$(BIN)/python -m pytest -m faults

## make dev: Dagster UI + daemon (nightly schedule and new-file sensor live)
dev: $(STAMP)
	$(BIN)/tepat dev

## make docs: dbt docs site + Great Expectations Data Docs into data/docs/ (after make run)
docs: $(STAMP)
	$(BIN)/tepat docs

## make bench: nightly job at 100k/1M/10M households vs a hand-written SQL reference (never in
## make test; datasets cached in bench/data/, results in bench/results/). SIZES=100k,1m to choose.
SIZES ?= 100k,1m,10m
ENGINE ?= duckdb
bench: $(STAMP)
	$(BIN)/python -m bench.run --sizes $(SIZES) --engine $(ENGINE)

validate: $(STAMP)
	$(BIN)/tepat prepare
	$(BIN)/dagster definitions validate -m orchestration.definitions

## make lint: ruff, then SQLFluff on dbt_project/ (.sqlfluff). The dbt templater compiles the
## models against an in-memory DuckDB: no prior run needed, nothing written under data/.
SQLFLUFF := TEPAT_WAREHOUSE=:memory: $(BIN)/sqlfluff
lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(SQLFLUFF) lint dbt_project --processes 2

## make fmt: ruff's fixes and format, then SQLFluff's case, `as` and spacing fixes (not LT02's
## indents: .sqlfluff says why; review the SQL diff)
fmt: $(STAMP)
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .
	$(SQLFLUFF) fix dbt_project --processes 2 --rules capitalisation,AL01,AL02,LT01,LT04,LT12

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs .dagster data/warehouse.duckdb data/marts/*.parquet
