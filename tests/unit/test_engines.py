"""The engine switch and the hand-over between DuckDB and Spark's Parquet
(orchestration/engines.py), without Spark: DuckDB writes and reads the folders."""

from __future__ import annotations

import json

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
    assert engines.hand_over(warehouse, first, ["raw.rosters"]).rows == 7
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


def _handed_over(folder) -> list[tuple]:
    """The rows of a hand-over folder as Spark reads them: files plus partition folders."""
    with duckdb.connect() as con:
        return con.execute(
            f"select * from read_parquet('{folder}/**/*.parquet', hive_partitioning = true, "
            "hive_types_autocast = false) order by all"
        ).fetchall()


def _warehouse_rows(warehouse, relation: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select * exclude (tanggal_snapshot), tanggal_snapshot "
                           f"from {relation} order by all").fetchall()  # fmt: skip


def test_the_hand_over_writes_again_only_the_partitions_whose_rows_changed(tmp_path):
    """DESIGN §6.1: one folder per snapshot; a night rewrites the snapshots that changed,
    removes those gone, keeps the others' files untouched; new columns rewrite the table."""
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "create schema raw; create table raw.dtsen as select range::varchar as nik, "
            "case when range < 4 then '2025-03-31' else '2025-06-30' end as tanggal_snapshot "
            "from range(10)"
        )
        con.execute("create table raw.referensi as select 'PKH' as kode_program")
    folders = engines.SparkFolders.of(tmp_path, "run-1")
    tables = {"raw.dtsen": ["tanggal_snapshot"], "raw.referensi": []}
    handoff = folders.handoff / "raw" / "dtsen"

    first = engines.hand_over(warehouse, folders, tables)
    assert (first.rows, first.written, first.kept, first.removed) == (11, 3, 0, 0)
    assert sorted(p.name for p in handoff.iterdir()) == [
        "_tepat_handoff.json", "tanggal_snapshot=2025-03-31", "tanggal_snapshot=2025-06-30",
    ]  # fmt: skip
    assert _handed_over(handoff) == _warehouse_rows(warehouse, "raw.dtsen")
    march = handoff / "tanggal_snapshot=2025-03-31" / "part-0.parquet"
    march_file = (march.stat().st_ino, march.stat().st_mtime_ns)

    nothing = engines.hand_over(warehouse, folders, tables)
    assert (nothing.rows, nothing.written, nothing.kept) == (0, 0, 3)

    # a corrected June snapshot (one NIK fixed) and a new September one
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update raw.dtsen set nik = 'x' where nik = '7'")
        con.execute("insert into raw.dtsen values ('20', '2025-09-30'), ('20', '2025-09-30')")
    second = engines.hand_over(warehouse, folders, tables)
    assert (second.rows, second.written, second.kept, second.removed) == (8, 2, 2, 0)
    assert (march.stat().st_ino, march.stat().st_mtime_ns) == march_file
    assert _handed_over(handoff) == _warehouse_rows(warehouse, "raw.dtsen")

    # March withdrawn: its folder goes
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from raw.dtsen where tanggal_snapshot = '2025-03-31'")
    third = engines.hand_over(warehouse, folders, tables)
    assert (third.written, third.kept, third.removed) == (0, 3, 1)
    assert not march.parent.exists()
    assert _handed_over(handoff) == _warehouse_rows(warehouse, "raw.dtsen")

    # a new column: every partition again, all with it
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table raw.dtsen add column nama varchar")
    fourth = engines.hand_over(warehouse, folders, tables)
    assert (fourth.rows, fourth.written, fourth.kept) == (8, 2, 1)
    assert _handed_over(handoff) == _warehouse_rows(warehouse, "raw.dtsen")

    # a hand-over cut short (its fingerprints not yet written) is redone whole
    (handoff / engines.HANDOFF_STATE).unlink()
    assert engines.hand_over(warehouse, folders, tables).written == 2


def test_partition_folders_are_named_as_spark_names_them():
    assert engines._partition_path(("a", "b"), ("x/y=1%", None)) == (
        "a=x%2Fy%3D1%25/b=__HIVE_DEFAULT_PARTITION__"
    )
    assert engines._partition_path(("nama",), ("Désa Baru",)) == "nama=Désa Baru"


def test_an_empty_partitioned_table_still_gives_spark_its_columns(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.rosters (nik varchar, folder_tahun varchar)")
    folders = engines.SparkFolders.of(tmp_path, "run-1")
    done = engines.hand_over(warehouse, folders, {"raw.rosters": ["folder_tahun"]})
    assert (done.rows, done.written) == (0, 1)
    empty = folders.handoff / "raw" / "rosters" / "folder_tahun=__HIVE_DEFAULT_PARTITION__"
    with duckdb.connect() as con:
        parquet = f"read_parquet('{empty}/part-0.parquet', hive_partitioning = false)"
        columns = con.execute(f"describe select * from {parquet}").fetchall()
        assert [c[0] for c in columns] == ["nik"]
    assert _handed_over(folders.handoff / "raw" / "rosters") == []
    # the first roster arrives: its partition comes, the empty one goes
    with duckdb.connect(str(warehouse)) as con:
        con.execute("insert into raw.rosters values ('1', '2025')")
    done = engines.hand_over(warehouse, folders, {"raw.rosters": ["folder_tahun"]})
    assert (done.written, done.removed) == (1, 1)
    assert not empty.exists()
    assert _handed_over(folders.handoff / "raw" / "rosters") == [("1", "2025")]


@pytest.mark.parametrize("command", [["run", "--engine", "postgres"], ["dev"]])
def test_run_and_dev_refuse_an_unknown_engine_before_starting(command, monkeypatch):
    """`tepat run --engine x`, and `make dev` with TEPAT_ENGINE=x, whose schedule would fail
    at night: said at once, in plain words, exit 2."""
    from typer.testing import CliRunner

    from orchestration.cli import app

    monkeypatch.setenv("TEPAT_ENGINE", "postgres")
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2
    assert "Not started" in result.output
    assert "'postgres' is not an engine tepat runs on: use duckdb or spark" in result.output


def test_the_registry_files_spark_reads_itself_are_linked_not_copied(tmp_path):
    """DESIGN §6.1: a registry file with a tidy form is linked for Spark, its rows stay out
    of the Parquet copy; once it needs tepat's reader (here: saved again as Windows-1252)
    its rows are handed over as Parquet and the link goes."""
    from orchestration.ingest.loader import sync_source
    from orchestration.ingest.sources import SOURCES_BY_TABLE

    raw = tmp_path / "raw"
    header = "id_keluarga,no_kk,kode_wilayah,desil,status_bangunan\n"
    march = raw / "registry" / "2025-03-31" / "keluarga.csv"
    june = raw / "registry" / "2025-06-30" / "keluarga.csv"
    for path, rows in ((march, "K1,1,5371011001,2,sewa\nK2,2,5371011001,3,sewa\n"),
                       (june, "K1,1,5371011001,2,Désa\n")):  # fmt: skip
        path.parent.mkdir(parents=True)
        path.write_bytes((header + rows).encode("cp1252" if path == june else "utf-8"))
    before = march.read_bytes()
    warehouse = tmp_path / "warehouse.duckdb"
    keluarga = SOURCES_BY_TABLE["dtsen_keluarga"]
    with duckdb.connect(str(warehouse)) as con:
        sync_source(con, keluarga, raw)
    folders = engines.SparkFolders.of(tmp_path / "data", "run-1")
    tables = {"raw.dtsen_keluarga": ["tanggal_snapshot"]}
    handoff = folders.handoff / "raw" / "dtsen_keluarga"
    links = handoff.with_name("dtsen_keluarga__files")

    done = engines.hand_over(warehouse, folders, tables, raw_dir=raw)
    assert (done.rows, done.written, done.linked) == (1, 1, 1)
    assert "1 registry files Spark reads itself" in done.describe()
    assert sorted(p.name for p in handoff.glob("tanggal_snapshot=*")) == [
        "tanggal_snapshot=2025-06-30"
    ]
    [link] = links.rglob("keluarga.csv")
    assert link.relative_to(links).as_posix() == (
        "f0/format_registri=dtsen/tanggal_snapshot=2025-03-31/"
        "_source_file=registry%2F2025-03-31%2Fkeluarga.csv/keluarga.csv"
    )
    assert link.is_symlink() and link.resolve() == march.resolve()
    assert march.read_bytes() == before
    reads = json.loads((folders.handoff / engines.READS_FILE).read_text())
    assert list(reads) == ["raw.dtsen_keluarga"]
    assert reads["raw.dtsen_keluarga"][-1].startswith("create view raw.dtsen_keluarga as ")
    assert folders.environment()["TEPAT_SPARK_FILE_READS"] == json.dumps(reads, indent=1)

    # March saved again as Windows-1252: tepat's reader reads it, its rows go as Parquet
    march.write_bytes(
        (header + "K1,1,5371011001,2,sewa\nK2,2,5371011001,3,Désa\n").encode("cp1252")
    )
    with duckdb.connect(str(warehouse)) as con:
        sync_source(con, keluarga, raw)
    again = engines.hand_over(warehouse, folders, tables, raw_dir=raw)
    assert (again.rows, again.written, again.kept, again.linked) == (2, 1, 1, 0)
    assert not links.exists()
    assert json.loads((folders.handoff / engines.READS_FILE).read_text()) == {}
    assert _handed_over(handoff) == _warehouse_rows(warehouse, "raw.dtsen_keluarga")
