"""Quality gates: when a raw gate reuses its last result, per-file validation in big chunks,
and the Data Docs that stop growing."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from orchestration.paths import EXPECTATIONS_DIR
from orchestration.quality.reuse import (
    raw_tables_read,
    remember,
    reusable_result,
    reuse_description,
    reuse_key,
)
from orchestration.quality.runner import QualityProject, run_suite
from orchestration.quality.suites import load_suites

MANIFEST = """
create schema if not exists raw;
create schema if not exists meta;
create table meta.file_manifest (
    table_name varchar, file_path varchar, checksum varchar, size_bytes bigint,
    row_count bigint, loaded_at timestamp, removed_at timestamp
);
"""


def suite_named(name: str, expectations_dir: Path = EXPECTATIONS_DIR):
    return next(s for s in load_suites(expectations_dir) if s.name == name)


def load(con: duckdb.DuckDBPyConnection, table: str, file: str, checksum: str) -> None:
    con.execute(
        "update meta.file_manifest set removed_at = now() "
        "where table_name = ? and file_path = ? and removed_at is null",
        [table, file],
    )
    con.execute(
        "insert into meta.file_manifest values (?, ?, ?, 1, 1, now(), null)",
        [table, file, checksum],
    )


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(MANIFEST)
        for table in ("roster_rows", "kemendagri_wilayah", "referensi_program", "bps_indicators"):
            con.execute(f"create table raw.{table} (x integer)")
            load(con, table, f"{table}/a.csv", "1")
    return path


@pytest.fixture
def expectations(tmp_path: Path) -> Path:
    folder = tmp_path / "expectations"
    folder.mkdir()
    for name in ("raw_roster_rows.json", "mart_target_gap.json", "thresholds.yml"):
        (folder / name).write_bytes((EXPECTATIONS_DIR / name).read_bytes())
    return folder


def test_the_roster_suite_reads_three_raw_tables():
    suite = suite_named("raw_roster_rows")
    assert raw_tables_read(suite) == ["kemendagri_wilayah", "referensi_program", "roster_rows"]


def test_the_key_changes_with_the_tables_read_the_suite_and_the_thresholds(warehouse, expectations):
    suite = suite_named("raw_roster_rows", expectations)
    with duckdb.connect(str(warehouse)) as con:
        first = reuse_key(con, suite, expectations)
        assert first is not None and first == reuse_key(con, suite, expectations)

        load(con, "bps_indicators", "bps_indicators/a.csv", "2")  # not read by the suite
        assert reuse_key(con, suite, expectations) == first

        load(con, "referensi_program", "referensi_program/a.csv", "2")
        second = reuse_key(con, suite, expectations)
        assert second != first

        thresholds = expectations / "thresholds.yml"
        thresholds.write_text(
            thresholds.read_text().replace("roster_rows: 0.10", "roster_rows: 0.2")
        )
        third = reuse_key(con, suite, expectations)
        assert third not in (first, second)

        path = expectations / "raw_roster_rows.json"
        data = json.loads(path.read_text())
        data["meta"]["guards"] += " "
        path.write_text(json.dumps(data))
        assert reuse_key(con, suite_named("raw_roster_rows", expectations), expectations) not in (
            first,
            second,
            third,
        )


def test_no_key_for_a_mart_suite_or_a_table_the_manifest_does_not_know(warehouse, expectations):
    with duckdb.connect(str(warehouse)) as con:
        assert reuse_key(con, suite_named("mart_target_gap", expectations), expectations) is None
        con.execute("delete from meta.file_manifest where table_name = 'kemendagri_wilayah'")
        assert reuse_key(con, suite_named("raw_roster_rows", expectations), expectations) is None


def test_only_a_passed_validation_with_the_same_key_is_reused(warehouse, expectations):
    suite = suite_named("raw_roster_rows", expectations)
    with duckdb.connect(str(warehouse)) as con:
        key = reuse_key(con, suite, expectations)
        assert reusable_result(con, suite.check_name, key) is None

        remember(con, suite.check_name, key, "run-1", success=True)
        previous = reusable_result(con, suite.check_name, key)
        assert previous is not None and previous.run_id == "run-1"
        description = reuse_description(key, previous)
        assert description.startswith(
            "Not re-run: raw.kemendagri_wilayah, raw.referensi_program, raw.roster_rows "
            "and this suite are unchanged since run run-1 ("
        )

        remember(con, suite.check_name, key, "run-2", success=True, reused_from_run="run-1")
        assert reusable_result(con, suite.check_name, key).run_id == "run-1"

        remember(con, suite.check_name, key, "run-3", success=False)
        assert reusable_result(con, suite.check_name, key) is None

        load(con, "roster_rows", "roster_rows/a.csv", "2")
        assert reusable_result(con, suite.check_name, reuse_key(con, suite, expectations)) is None


ROW_SUITE = {
    "name": "raw_things",
    "meta": {
        "asset": ["raw", "things"],
        "table": "things",
        "batches": {
            "rows": {
                "per_file": True,
                "query": "select _source_file, kode, nilai, kode in ('a', 'b') as is_kode_dikenal "
                "from raw.things",
            }
        },
    },
    "expectations": [
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "is_kode_dikenal", "value_set": [True]},
            "meta": {"batch": "rows", "quarantine_rule": True, "example_column": "kode"},
        },
        {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "nilai"},
            "meta": {"batch": "rows"},
        },
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "nilai", "min_value": 0, "max_value": 100},
            "meta": {"batch": "rows"},
        },
    ],
}

#: file: (kode, nilai) rows — x.csv is clean, y.csv has 1 of 4 unknown codes and one
#: negative value, z.csv has a missing value.
ROWS = {
    "x.csv": [("a", 1), ("b", 2), ("a", 3)],
    "y.csv": [("a", 1), ("q", 2), ("b", -3), ("a", 4)],
    "z.csv": [("a", None), ("b", 5)],
}


@pytest.fixture
def things(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "things_expectations"
    folder.mkdir()
    (folder / "raw_things.json").write_text(json.dumps(ROW_SUITE))
    path = tmp_path / "things.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.things (_source_file varchar, kode varchar, nilai integer)")
        # Interleaved, so files span chunks and chunks hold several files.
        rows = [(f, *row) for f, file_rows in ROWS.items() for row in file_rows]
        con.executemany("insert into raw.things values (?, ?, ?)", sorted(rows, key=str))
    return folder, path


def findings_by_file(outcome) -> dict:
    return {
        (f.file, f.expectation): (f.success, f.element_count, f.unexpected_count, f.missing_count)
        for f in outcome.findings
    }


#: Counted by DuckDB (issue 20), and by GX's pandas engine in chunks of 2, 3 and 100 rows.
PATHS = [(100, True), (2, False), (3, False), (100, False)]


@pytest.mark.parametrize(("chunk_rows", "count_in_sql"), PATHS)
def test_per_file_rules_in_chunks_still_count_and_name_each_file(
    things, tmp_path, chunk_rows, count_in_sql
):
    folder, warehouse = things
    suite = load_suites(folder)[0]
    project = QualityProject(tmp_path / "quality")
    thresholds = {"default": 0.3, "tables": {}, "files": {}, "min_bad_rows": 0}
    options = {"chunk_rows": chunk_rows, "count_in_sql": count_in_sql}
    outcome = run_suite(suite, warehouse, project, thresholds, "run-1", **options)

    in_set, not_null, between = (e["type"] for e in ROW_SUITE["expectations"])
    assert findings_by_file(outcome) == {
        ("x.csv", in_set): (True, 3, 0, 0),
        ("x.csv", not_null): (True, 3, 0, 0),
        ("x.csv", between): (True, 3, 0, 0),
        ("y.csv", in_set): (True, 4, 1, 0),  # 25 % bad, 30 % allowed
        ("y.csv", not_null): (True, 4, 0, 0),
        ("y.csv", between): (False, 4, 1, 0),
        ("z.csv", in_set): (True, 2, 0, 0),
        ("z.csv", not_null): (False, 2, 1, 0),
        ("z.csv", between): (True, 2, 0, 1),
    }
    assert [f.file for f in outcome.findings] == ["x.csv"] * 3 + ["y.csv"] * 3 + ["z.csv"] * 3
    assert outcome.rows_checked == 9
    failed = {f.file: f for f in outcome.failures}
    assert "file y.csv" in failed["y.csv"].sentence() and failed["y.csv"].examples[0] in (
        "-3",
        "-3.0",
    )

    strict = {**thresholds, "files": {"y*": 0.1}}  # a per-file threshold still applies
    outcome = run_suite(suite, warehouse, project, strict, "run-2", **options)
    y_in_set = next(f for f in outcome.failures if f.expectation == in_set)
    assert (y_in_set.file, y_in_set.examples) == ("y.csv", ["q"])


def test_data_docs_keep_the_last_runs_and_refresh_only_the_suite(things, tmp_path):
    folder, warehouse = things
    suite = load_suites(folder)[0]
    project = QualityProject(tmp_path / "quality", keep_runs=2)
    thresholds = {"default": 0.3, "tables": {}, "files": {}, "min_bad_rows": 0}
    for run in ("run-1", "run-2", "run-3"):
        run_suite(suite, warehouse, project, thresholds, run)
        site = project.build_docs(suite=suite.name, run_name=run)
    runs = {key.run_id.run_name for key in project.context.validation_results_store.list_keys()}
    assert runs == {"run-2", "run-3"}
    pages = {
        part
        for page in (site / "validations").rglob("*.html")
        for part in page.parts
        if part.startswith("run-")
    }
    assert pages == {"run-2", "run-3"}
    assert "run-3" in (site / "index.html").read_text()
