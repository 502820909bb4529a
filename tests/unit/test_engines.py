"""The engine switch and the hand-over between DuckDB and Spark's Parquet
(orchestration/engines.py), without Spark: DuckDB writes and reads the folders."""

from __future__ import annotations

import duckdb
import pytest

from orchestration import engines
from orchestration.resources import TepatSettings, dbt_build_args


def test_an_unknown_engine_is_refused_in_plain_words(monkeypatch):
    monkeypatch.setenv("TEPAT_ENGINE", "postgres")
    with pytest.raises(engines.EngineError, match="'postgres' is not an engine .* duckdb or spark"):
        engines.engine_from_env()
    monkeypatch.setenv("TEPAT_ENGINE", " Spark ")
    assert engines.engine_from_env() == "spark"
    monkeypatch.delenv("TEPAT_ENGINE")
    assert engines.engine_from_env() == "duckdb"


def test_a_spark_night_builds_with_the_spark_target(tmp_path):
    settings = TepatSettings(
        data_dir=str(tmp_path), raw_dir=str(tmp_path / "raw"), marts_dir=str(tmp_path / "m"),
        exports_dir=str(tmp_path / "e"), warehouse=str(tmp_path / "w.duckdb"), engine="spark",
    )  # fmt: skip
    assert dbt_build_args(settings)[:3] == ["build", "--target", "spark"]
    assert "--target" not in dbt_build_args(settings.model_copy(update={"engine": "duckdb"}))


def test_where_spark_runs_in_words():
    variables = dict(engines.SPARK_VARIABLES)
    assert engines.spark_location(variables) == "local[*]"
    variables |= {
        "TEPAT_SPARK_METHOD": "thrift",
        "TEPAT_SPARK_HOST": "sts",
        "TEPAT_SPARK_PORT": "10001",
    }
    assert engines.spark_location(variables) == "Thrift Server sts:10001"


def test_raw_tables_go_over_as_parquet_and_spark_tables_come_back_as_views(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "create schema raw; create table raw.rosters as select range as i from range(7)"
        )
        con.execute("create schema marts; create table marts.m as select 1 as stale")
    first = engines.SparkFolders.of(tmp_path, "run-1")
    assert engines.hand_over(warehouse, first, ["raw.rosters"]) == 7
    assert not (first.handoff / "raw" / "rosters.writing").exists()
    with duckdb.connect() as con:
        parquet = first.handoff / "raw" / "rosters" / "part-0.parquet"
        assert con.execute(f"select sum(i) from '{parquet}'").fetchall() == [(21,)]

    # what Spark would write: <build>/<schema>.db/<table>/*.parquet
    engines.start_build(first)
    for relation, rows in (("marts.m", 3), ("quarantine.q", 2), ("raw.rosters", 7)):
        schema, name = relation.split(".")
        folder = first.build / f"{schema}.db" / name
        folder.mkdir(parents=True)
        with duckdb.connect() as con:
            con.execute(f"copy (select range as x from range({rows})) to '{folder}/part-0.parquet'")
    assert engines.spark_tables(first) == ["marts.m", "quarantine.q"]  # raw: DuckDB's own
    with duckdb.connect(str(warehouse)) as con:
        assert engines.attach_spark_tables(con, first, engines.spark_tables(first)) == [
            "marts.m",
            "quarantine.q",
        ]
        assert con.execute("select count(*) from marts.m").fetchall() == [(3,)]
        assert con.execute("select count(*) from raw.rosters").fetchall() == [(7,)]

    # the next night builds beside it; once it succeeds, the older build goes
    second = engines.SparkFolders.of(tmp_path, "run-2")
    engines.start_build(second)
    assert first.build.is_dir()
    assert engines.remove_other_builds(second) == [first.build]
    assert not first.build.exists() and second.build.is_dir()
