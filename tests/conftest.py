"""Shared fixtures. The dbt manifest is prepared once, before any test imports the
Dagster definitions (the dbt assets are built from it at import)."""

from __future__ import annotations

import sys

import pytest

from orchestration.paths import Paths

# With the .[spark] extra installed, Great Expectations imports pyspark.sql.connect, whose
# doctest guard calls sys.exit(0) when the main module has no file: a pytest-xdist worker's
# has none. Give it one, so GE imports as it does under `tepat run`.
_main = sys.modules["__main__"]
if getattr(_main, "__spec__", None) is None and not hasattr(_main, "__file__"):
    _main.__file__ = "<pytest-xdist worker>"


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`dbt parse` once per test process; with pytest-xdist (`make test` runs two workers)
    one worker at a time, so none reads a manifest another is still writing."""
    import fcntl

    from orchestration.definitions import prepare_dbt
    from orchestration.project import dbt_project

    data_dir = tmp_path_factory.mktemp("parse")
    target = (
        dbt_project.target_path
        if dbt_project.target_path.is_absolute()
        else (dbt_project.project_dir / dbt_project.target_path)
    )
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".pytest-parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        prepare_dbt(Paths.from_env({"TEPAT_DATA_DIR": str(data_dir)}))


@pytest.fixture
def tepat_env(tmp_path, monkeypatch) -> Paths:
    """A private data directory and Dagster home for one test."""
    monkeypatch.setenv("TEPAT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.delenv("TEPAT_WAREHOUSE", raising=False)
    return Paths.from_env()
