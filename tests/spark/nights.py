"""The Spark tests' nights: a DuckDB or Spark night on a copy of shared raw files, and the
comparison of two nights' published marts (tests/spark/conftest.py has the shared data)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd

from tests.e2e.isolation import isolated_tepat

HOUSEHOLDS = 600
SEED = 19


def night(base: Path, raw: Path, engine: str, **environment: str):
    """Copy `raw` into a data folder of its own under `base` and run the nightly job there
    on `engine`; returns (paths, result)."""
    from orchestration.night import ensure_dagster_home, execute_nightly

    with isolated_tepat(base) as paths:
        shutil.copytree(raw, paths.raw_dir)
        os.environ["TEPAT_ENGINE"] = engine
        os.environ.update(environment)
        ensure_dagster_home()
        return paths, execute_nightly(paths)


def published(marts_dir: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_parquet(p) for p in sorted(marts_dir.glob("*.parquet"))}


def assert_same_marts(expected: dict[str, pd.DataFrame], actual: dict[str, pd.DataFrame]):
    """Row for row: the same marts, columns and types, counts exact, rates to 1e-9."""
    assert sorted(actual) == sorted(expected)
    assert len(expected) == 11
    for name, want in expected.items():
        got = actual[name]
        assert list(got.columns) == list(want.columns), name
        assert got.dtypes.astype(str).tolist() == want.dtypes.astype(str).tolist(), name
        assert len(got) == len(want), name
        keys = [c for c in want.columns if not pd.api.types.is_float_dtype(want[c])]
        ordered = [
            frame.sort_values(keys, na_position="first", kind="stable").reset_index(drop=True)
            for frame in (want, got)
        ]
        pd.testing.assert_frame_equal(
            ordered[1], ordered[0], check_exact=False, rtol=0, atol=1e-9, obj=name
        )
