"""One generated dataset and one real nightly run, shared by every end-to-end test."""

from __future__ import annotations

import json

import pytest

from tests.e2e.isolation import isolated_tepat

HOUSEHOLDS = 1500
SEED = 7


@pytest.fixture(scope="session")
def nightly(tmp_path_factory):
    """Generate demo data and run nightly_refresh twice (the second with nothing changed).

    Yields the paths, the generator's ground truth, both run results and the bytes of the
    marts published by the first run.
    """
    from orchestration.demo.generator import generate
    from orchestration.night import ensure_dagster_home, execute_nightly

    base = tmp_path_factory.mktemp("nightly")
    with isolated_tepat(base) as paths:
        truth_path = base / "ground_truth.json"
        generate(paths.raw_dir, households=HOUSEHOLDS, seed=SEED, truth_path=truth_path)
        ensure_dagster_home()
        first = execute_nightly(paths)
        first_marts = {p.name: p.read_bytes() for p in paths.marts_dir.glob("*.parquet")}
        second = execute_nightly(paths)
        yield {
            "paths": paths,
            "truth": json.loads(truth_path.read_text()),
            "first": first,
            "second": second,
            "first_marts": first_marts,
        }


@pytest.fixture(scope="session")
def marts(nightly):
    """Read a published mart as a pandas DataFrame: marts('mart_desil_distribution')."""
    import pandas as pd

    def read(name: str) -> pd.DataFrame:
        return pd.read_parquet(nightly["paths"].marts_dir / f"{name}.parquet")

    return read
