"""Run settings as a Dagster resource: where the data lives and how dbt is called."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.engines import SparkFolders, engine_from_env
from orchestration.paths import EXPECTATIONS_DIR, Paths

#: Every step that writes the DuckDB file runs in this pool (limit 1): DuckDB allows one
#: writer or many readers, never both.
DUCKDB_WRITER_POOL = "duckdb_writer"

#: DuckDB's memory budget for every connection to the warehouse, ours and dbt's (profiles.yml
#: reads the same variable). Beyond it DuckDB spills to <warehouse>.tmp/ instead of taking
#: 80 % of the machine, its default. 4 GB keeps a whole run within 6 GB at province scale.
MEMORY_LIMIT_VARIABLE = "TEPAT_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "4GB"

#: Run tag: dbt's own lines stay off the terminal (`tepat run` shows its progress instead).
#: A setting carried by the run, not by the environment.
QUIET_DBT_TAG = "tepat/quiet_dbt"


def duckdb_memory_limit() -> str:
    import os

    return os.environ.get(MEMORY_LIMIT_VARIABLE, DEFAULT_MEMORY_LIMIT)


class TepatSettings(dg.ConfigurableResource):
    """Absolute paths of this deployment (see orchestration/paths.py for the defaults)."""

    data_dir: str
    raw_dir: str
    marts_dir: str
    exports_dir: str
    warehouse: str
    expectations_dir: str = str(EXPECTATIONS_DIR)
    #: Where dbt builds the models: duckdb (the warehouse file) or spark (orchestration/engines.py)
    engine: str = "duckdb"

    @classmethod
    def from_paths(cls, paths: Paths) -> TepatSettings:
        return cls(
            data_dir=str(paths.data_dir),
            raw_dir=str(paths.raw_dir),
            marts_dir=str(paths.marts_dir),
            exports_dir=str(paths.exports_dir),
            warehouse=str(paths.warehouse),
            expectations_dir=str(paths.expectations_dir),
            engine=engine_from_env(),
        )

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[TepatSettings]:
        """For the whole run: hold the run lock of the data folder (orchestration/runlock.py).

        Dagster initialises this resource once per run, before any step claims a slot of the
        duckdb_writer pool, so a run the daemon launched (schedule, sensor, UI) takes the lock
        here; under `tepat run` the process holds it already and this is a re-entry. The
        first holder settles what dead runs left behind before the steps start."""
        run = context.dagster_run
        if run is None or context.instance is None:  # a step called directly (unit tests)
            yield self
            return
        from orchestration.runlock import RunInProgress, launched_by, night_lock

        try:
            lock = night_lock(self.data_dir, run.run_id, launched_by(run.tags))
            acquired = lock.__enter__()
        except RunInProgress as error:
            context.log.error(str(error))
            raise dg.Failure(description=str(error)) from None
        try:
            if acquired.first:
                for note in settle_dead_runs(context.instance, self, run.run_id, acquired):
                    context.log.warning(note)
            yield self
        finally:
            lock.__exit__(None, None, None)

    def dbt_vars(self) -> dict[str, object]:
        """Run knobs passed to dbt: the quarantine thresholds of expectations/."""
        return {"quarantine_thresholds": load_thresholds(Path(self.expectations_dir))}


def settle_dead_runs(instance, settings: TepatSettings, run_id: str | None, acquired) -> list[str]:
    """While holding the run lock: mark dead runs failed, free their pool slots, and remove
    releases of data/marts an interrupted publication left (orchestration/runlock.py)."""
    from orchestration.assets.publish import clean_unpublished
    from orchestration.runlock import recover

    notes = recover(instance, run_id, acquired.previous)
    notes += [f"Removed {what} (left by an interrupted run)." for what in
              clean_unpublished(Path(settings.marts_dir))]  # fmt: skip
    return notes


def load_thresholds(expectations_dir: Path) -> dict[str, object]:
    """expectations/thresholds.yml, checked: every share must be a fraction in [0, 1]."""
    import yaml

    path = expectations_dir / "thresholds.yml"
    settings = yaml.safe_load(path.read_text()) or {}
    shares = [settings.get("default", 0.05)]
    shares += list((settings.get("tables") or {}).values())
    shares += list((settings.get("files") or {}).values())
    for share in shares:
        if not isinstance(share, (int, float)) or not 0 <= share <= 1:
            raise ValueError(f"{path}: thresholds are fractions between 0 and 1, not {share!r}")
    return {
        "default": settings.get("default", 0.05),
        "tables": settings.get("tables") or {},
        "files": settings.get("files") or {},
        "min_bad_rows": int(settings.get("min_bad_rows", 5)),
    }


def dbt_vars_args(settings: TepatSettings) -> list[str]:
    """`--vars` for every dbt command of a run. `dbt parse` gets them too: dbt drops its
    partial parse when the vars differ from the saved manifest's, and would parse the whole
    project again each night."""
    variables = settings.dbt_vars()
    return ["--vars", json.dumps(variables, sort_keys=True)] if variables else []


def dbt_build_args(settings: TepatSettings) -> list[str]:
    """Arguments of the nightly `dbt build` (pure, unit-tested).

    dbt unit tests check our SQL, not the night's data: the test suite runs them
    (tests/e2e/test_dbt_unit_tests.py), the nightly build leaves them out.
    """
    target = ["--target", "spark"] if settings.engine == "spark" else []
    return ["build", *target, *dbt_vars_args(settings), "--exclude", "resource_type:unit_test"]


@contextmanager
def dbt_environment(warehouse: str | Path, spark: SparkFolders | None = None) -> Iterator[None]:
    """TEPAT_WAREHOUSE and the memory budget for a dbt subprocess (profiles.yml reads them),
    and with `spark` the spark target's settings, restored afterwards so they never leak
    into the rest of the process (Paths.from_env would pick the warehouse up)."""
    import os

    variables = {"TEPAT_WAREHOUSE": str(warehouse), MEMORY_LIMIT_VARIABLE: duckdb_memory_limit()}
    if spark is not None:
        variables |= spark.environment()
    previous = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def warehouse_connection(
    path: str | Path, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection to the warehouse file, always closed (and checkpointed) after use."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        str(path), read_only=read_only, config={"memory_limit": duckdb_memory_limit()}
    )
    try:
        yield con
    finally:
        con.close()
