"""One generated dataset and one uninterrupted `tepat run` of it, for every fault test."""

from __future__ import annotations

import pytest

from tests.faults.faultkit import environment, loaded_files, mart_rows, read_copy, tepat

HOUSEHOLDS = 800
SEED = 5  # a seed whose injected errors stay under every threshold


@pytest.fixture(scope="session")
def reference(tmp_path_factory):
    """A night never interrupted: its data folder, its marts' rows and its raw manifest.
    Fault tests copy its data folder and compare what they end with against it."""
    from orchestration.demo.generator import generate

    base = tmp_path_factory.mktemp("reference")
    data = base / "data"
    generate(data / "raw", households=HOUSEHOLDS, seed=SEED, truth_path=base / "truth.json")
    done = tepat(environment(data, base / "dagster_home"), "run")
    assert done.returncode == 0, done.stdout[-3000:]
    with read_copy(data / "warehouse.duckdb", base / "look") as con:
        files = loaded_files(con)
    return {"data": data, "marts": mart_rows(data / "marts"), "files": files}
