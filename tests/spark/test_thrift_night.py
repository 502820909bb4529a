"""The nightly job on a Spark Thrift Server (issue 19, DESIGN §6.1, TEPAT_SPARK_METHOD=thrift):
a real HiveThriftServer2 from the pyspark package on 127.0.0.1, a real Dagster night whose
dbt-spark build sends its SQL there over Thrift, and the same published marts as a DuckDB
night on the same raw files.

The server's catalog outlives a night: tables an earlier night left there (one whose folder
is gone) must be replaced, and their files left alone. About three minutes on two cores:
the DuckDB night, the server's start, the Spark night."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from tests.spark.nights import assert_same_marts, night, published

pytestmark = [pytest.mark.spark, pytest.mark.e2e]

pytest.importorskip("pyspark")
pytest.importorskip("pyhive")
pytest.importorskip("dbt.adapters.spark")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from orchestration.spark_cluster import process_group_alive
    from orchestration.spark_thrift import thrift_server

    with thrift_server(work_dir=tmp_path_factory.mktemp("thrift-server")) as running:
        yield running
    assert not process_group_alive(running.pid), "the Thrift Server's JVM is still running"


@pytest.fixture(scope="module")
def earlier_night(server, tmp_path_factory):
    """What an earlier night leaves in the server's catalog: a mart whose files are still
    read (the last good build) and a table whose build folder has since been removed."""
    folder = tmp_path_factory.mktemp("earlier-build")
    server.sql("create database if not exists marts")
    server.sql(
        "create table marts.mart_program_coverage using parquet "
        f"location '{folder}/mart_program_coverage' as select 1 as stale"
    )
    server.sql("create database if not exists intermediate")
    server.sql(
        "create table intermediate.int_desil_agregat_valid using parquet "
        f"location '{folder}/gone' as select 1 as stale"
    )
    shutil.rmtree(folder / "gone")
    return folder


@pytest.fixture(scope="module")
def on_thrift(raw, server, earlier_night, tmp_path_factory):  # noqa: F811
    paths, result = night(
        tmp_path_factory.mktemp("thrift-night"), raw, "spark", **server.environment()
    )
    assert result.success
    return paths


def location(server, relation: str) -> str:
    rows = server.sql(f"describe table extended {relation}")
    return next(value for name, value, _ in rows if name == "Location")


def test_a_thrift_night_publishes_the_marts_of_a_duckdb_night(on_duckdb, on_thrift):  # noqa: F811
    assert_same_marts(published(on_duckdb.marts_dir), published(on_thrift.marts_dir))


def test_the_tables_land_in_the_nights_build_folder_which_duckdb_reads(server, on_thrift):
    with duckdb.connect(str(on_thrift.warehouse), read_only=True) as con:
        (view,) = con.execute(
            "select sql from duckdb_views() where schema_name = 'marts' "
            "and view_name = 'mart_program_coverage'"
        ).fetchall()
        rows = con.execute("select count(*) from marts.mart_program_coverage").fetchall()[0][0]
    build = on_thrift.data_dir / "spark" / "builds"
    (night_folder,) = list(build.iterdir())
    assert f"{night_folder}/marts.db/mart_program_coverage/" in view[0]
    assert rows == len(published(on_thrift.marts_dir)["mart_program_coverage"]) > 0
    # the server's catalog names the same folder; its own warehouse holds no table
    assert location(server, "marts.mart_program_coverage") == (
        f"file:{night_folder}/marts.db/mart_program_coverage"
    )
    assert location(server, "referensi.verval_alasan") == (
        f"file:{night_folder}/referensi.db/verval_alasan"
    )
    assert not list(server.warehouse.rglob("*.parquet"))


def test_an_earlier_nights_tables_are_replaced_and_their_files_kept(
    server, earlier_night, on_thrift
):
    columns = [row[0] for row in server.sql("describe marts.mart_program_coverage")]
    assert "stale" not in columns and "kode_program" in columns
    assert "stale" not in [
        r[0] for r in server.sql("describe intermediate.int_desil_agregat_valid")
    ]
    # dropped from the catalog only: the files an earlier night's views may still read stay
    assert list((earlier_night / "mart_program_coverage").glob("*.parquet"))
