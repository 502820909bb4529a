"""Shared by the Spark tests: one demo dataset and one DuckDB night on it, the yardstick
every Spark night (local, standalone cluster, Thrift Server) is compared with."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.spark.nights import HOUSEHOLDS, SEED, night


@pytest.fixture(scope="session")
def raw(tmp_path_factory) -> Path:
    from orchestration.demo.generator import generate

    root = tmp_path_factory.mktemp("spark-raw")
    generate(root / "raw", households=HOUSEHOLDS, seed=SEED, truth_path=root / "truth.json")
    return root / "raw"


@pytest.fixture(scope="session")
def on_duckdb(raw, tmp_path_factory):
    paths, result = night(tmp_path_factory.mktemp("duckdb-night"), raw, "duckdb")
    assert result.success
    return paths
