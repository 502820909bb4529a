"""The nightly job on Apache Spark (issue 19, DESIGN §6): the same raw files give the same
published marts and the same quarantine as on DuckDB, in a local Spark session and on a
real standalone cluster on 127.0.0.1, and a failing gate publishes nothing.

`make test-spark` (the .[spark] extra, Java 17). Each night here is a real Dagster run with
a real dbt-spark build: about two minutes each on two cores."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.e2e.failing_check import (
    FAILING_COLUMN,
    FAILING_SUITE,
    add_bps_value,
    expectations_failing_a_mart_check,
)
from tests.e2e.isolation import isolated_tepat
from tests.spark.nights import assert_same_marts, night, published

pytestmark = [pytest.mark.spark, pytest.mark.e2e]

pytest.importorskip("pyspark")
pytest.importorskip("dbt.adapters.spark")


@pytest.fixture(scope="module")
def on_spark(raw, tmp_path_factory):
    paths, result = night(tmp_path_factory.mktemp("spark-night"), raw, "spark")
    assert result.success
    return paths


def quarantine_per_file(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select tabel, file_sumber, jumlah_baris, baris_diterima, baris_dikarantina, "
            "rincian_alasan, baris_nik_dipulihkan from quarantine.quarantine_files "
            "order by tabel, file_sumber"
        ).fetchall()


def test_a_spark_night_publishes_the_marts_of_a_duckdb_night(on_duckdb, on_spark):
    assert_same_marts(published(on_duckdb.marts_dir), published(on_spark.marts_dir))
    # the marts really came from Spark's build: the warehouse reads its Parquet
    with duckdb.connect(str(on_spark.warehouse), read_only=True) as con:
        definition = con.execute(
            "select sql from duckdb_views() where schema_name = 'marts' "
            "and view_name = 'mart_program_coverage'"
        ).fetchall()
    assert "spark/builds/" in definition[0][0]


def test_spark_reads_the_registry_files_itself(on_spark):
    """DESIGN §6.1: the registry's tidy CSVs are not copied but linked, one folder per
    snapshot and file, and Spark read every row of them itself (the parity tests say with
    the same values and row numbers); the rosters are handed over by programme-year."""
    with duckdb.connect(str(on_spark.warehouse), read_only=True) as con:
        files = con.execute(
            "select distinct tanggal_snapshot, _source_file from raw.dtsen_anggota order by 2"
        ).fetchall()
        programme_years = con.execute(
            "select count(distinct (folder_tahun, folder_kode_program)) from raw.roster_rows"
        ).fetchall()[0][0]
        members = con.execute(
            "select count(*), count(distinct tanggal_snapshot) "
            "from intermediate.int_dtsen_members_checked"
        ).fetchall()[0]
        raw_members = con.execute("select count(*) from raw.dtsen_anggota").fetchall()[0][0]
    handoff = on_spark.data_dir / "spark" / "handoff" / "raw"
    links = sorted((handoff / "dtsen_anggota__files").rglob("anggota.csv"))
    assert [link.relative_to(handoff / "dtsen_anggota__files").as_posix() for link in links] == [
        f"f0/format_registri=dtsen/tanggal_snapshot={date}/_source_file="
        + path.replace("/", "%2F")
        + "/anggota.csv"
        for date, path in files
    ]
    assert all(link.is_symlink() for link in links)
    assert [link.resolve() for link in links] == [
        (on_spark.raw_dir / path).resolve() for _, path in files
    ]
    assert len(files) > 1
    # the Parquet copy keeps none of their rows: an empty file in the partition of nulls
    assert [p.name for p in (handoff / "dtsen_anggota").glob("tanggal_snapshot=*")] == [
        "tanggal_snapshot=__HIVE_DEFAULT_PARTITION__"
    ]
    assert len(list((handoff / "roster_rows").glob("folder_tahun=*/folder_kode_program=*"))) == (
        programme_years
    )
    assert members == (raw_members, len(files))


def test_the_quarantine_per_file_is_the_same_on_both_engines(on_duckdb, on_spark):
    expected = quarantine_per_file(on_duckdb.warehouse)
    assert quarantine_per_file(on_spark.warehouse) == expected
    assert sum(row[4] for row in expected) > 0, "the demo data has quarantined rows"


def test_the_quarantined_rows_point_at_the_same_lines_on_both_engines(on_duckdb, on_spark):
    """Every quarantined row names the same file and line on both engines (the registry
    files Spark reads itself: tests/spark/test_file_reads.py, row for row)."""

    def rows(warehouse: Path) -> list[tuple]:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return con.execute(
                "select tabel, file_sumber, lembar, nomor_baris, kolom, alasan "
                "from quarantine.quarantine_rows order by all"
            ).fetchall()

    expected = rows(on_duckdb.warehouse)
    assert rows(on_spark.warehouse) == expected
    assert len(expected) > 100


def test_a_failing_mart_gate_on_spark_publishes_nothing(on_spark, tmp_path):
    """The last good marts stay, byte for byte, when a mart gate fails on a Spark night."""
    from orchestration.night import ensure_dagster_home, execute_nightly
    from orchestration.night_report import failure_report
    from orchestration.paths import Paths

    data = tmp_path / "data"
    shutil.copytree(on_spark.data_dir, data, symlinks=True)
    before = {p.name: p.read_bytes() for p in sorted((data / "marts").glob("*.parquet"))}
    handoff = data / "spark" / "handoff" / "raw"
    registry_files = {p: p.stat().st_mtime_ns for p in handoff.glob("dtsen_*/**/*.parquet")}
    bps_file = (handoff / "bps_indicators" / "part-0.parquet").stat().st_mtime_ns
    release_before = os.readlink(data / "marts")
    expectations = expectations_failing_a_mart_check(tmp_path / "expectations")
    add_bps_value(data / "raw")

    with isolated_tepat(tmp_path):
        os.environ["TEPAT_ENGINE"] = "spark"
        os.environ["TEPAT_EXPECTATIONS_DIR"] = str(expectations)
        paths = Paths.from_env()
        ensure_dagster_home()
        result = execute_nightly(paths)
    assert not result.success
    assert {p.name: p.read_bytes() for p in sorted(paths.marts_dir.glob("*.parquet"))} == before
    # only what changed went to Spark again: the BPS table, not the registry (DESIGN §6.1)
    assert {p: p.stat().st_mtime_ns for p in handoff.glob("dtsen_*/**/*.parquet")} == (
        registry_files
    )
    # one empty file per registry table: Spark read every registry file itself, here
    # through links to this data folder's raw files
    assert len(registry_files) == 3
    links = list(handoff.glob("dtsen_anggota__files/**/anggota.csv"))
    assert links
    assert all(link.resolve().is_relative_to(paths.raw_dir.resolve()) for link in links)
    assert (handoff / "bps_indicators" / "part-0.parquet").stat().st_mtime_ns != bps_file
    assert os.readlink(paths.marts_dir) == release_before
    report = failure_report(result)
    assert FAILING_SUITE in report
    assert FAILING_COLUMN in report


def test_a_registry_file_spark_reads_otherwise_than_the_loader_stops_the_night(on_spark, tmp_path):
    """DESIGN §6.1: Spark must read each registry file as the loader did. Here the manifest
    says the loader read one row more than the file has (as when a new export is copied
    over a snapshot mid-night): the night stops before any model and says which file."""
    from orchestration.night import ensure_dagster_home, execute_nightly
    from orchestration.night_report import failure_report
    from orchestration.paths import Paths

    data = tmp_path / "data"
    shutil.copytree(on_spark.data_dir, data, symlinks=True)
    before = {p.name: p.read_bytes() for p in sorted((data / "marts").glob("*.parquet"))}
    with duckdb.connect(str(data / "warehouse.duckdb")) as con:
        [(file, rows)] = con.execute(
            "update meta.file_manifest set row_count = row_count + 1 where file_path = ("
            "select min(file_path) from meta.file_manifest where tidy_form is not null "
            "and removed_at is null and table_name = 'dtsen_anggota') and removed_at is null "
            "returning file_path, row_count"
        ).fetchall()

    with isolated_tepat(tmp_path):
        os.environ["TEPAT_ENGINE"] = "spark"
        paths = Paths.from_env()
        ensure_dagster_home()
        result = execute_nightly(paths, force=True)
    assert not result.success
    report = failure_report(result)
    assert (
        f"The warehouse build stopped before building any model. Spark read {rows - 1} rows "
        f"of {file} where the loader read {rows} "
    ) in report
    assert "What to do: run the night again" in report
    assert "Traceback" not in report and "FileNotFoundError" not in report
    assert {p.name: p.read_bytes() for p in sorted(paths.marts_dir.glob("*.parquet"))} == before


def test_a_night_on_a_standalone_cluster_publishes_the_same_marts(raw, on_duckdb, tmp_path):
    """A master and two workers from the pyspark package on 127.0.0.1; dbt's Spark driver
    sends its tasks to them (the master lists the finished application)."""
    from orchestration.spark_cluster import standalone_cluster

    with standalone_cluster(work_dir=tmp_path / "cluster", workers=2) as cluster:
        paths, result = night(
            tmp_path / "night",
            raw,
            "spark",
            TEPAT_SPARK_MASTER=cluster.master_url,
            TEPAT_SPARK_EXECUTOR_MEMORY="512m",
            TEPAT_SPARK_EXECUTOR_CORES="1",
            SPARK_LOCAL_IP="127.0.0.1",
        )
        status = cluster.status()
    assert result.success
    applications = status.get("completedapps", []) + status.get("activeapps", [])
    assert [app["name"] for app in applications] == ["tepat-dbt"]
    assert applications[0]["cores"] == 2
    assert_same_marts(published(on_duckdb.marts_dir), published(paths.marts_dir))
