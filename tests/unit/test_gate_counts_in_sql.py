"""Per-file row rules counted by DuckDB (issue 20) find exactly what GX's pandas engine finds
in chunks: the same counts, verdicts, examples and messages, on values that trip SQL up
(NULL and NaN, quotes, booleans with gaps, numbers at the bounds, many files)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import pytest

from orchestration.quality.runner import QualityProject, allowed_bad_rows, run_suite
from orchestration.quality.suites import load_suites

QUERY = (
    "select _source_file, status, skor, ada, jumlah, nik, "
    "regexp_full_match(coalesce(nik, ''), '[0-9]{16}') as is_nik_16_digit from raw.orang"
)
SUITE = {
    "name": "raw_orang",
    "meta": {
        "asset": ["raw", "orang"],
        "table": "orang",
        "batches": {"rows": {"per_file": True, "query": QUERY}},
    },
    "expectations": [
        {"type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "status", "value_set": ["hidup", "meninggal", "it's"]},
         "meta": {"batch": "rows", "quarantine_rule": True}},
        {"type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "is_nik_16_digit", "value_set": [True]},
         "meta": {"batch": "rows", "quarantine_rule": True, "example_column": "nik"}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "status"},
         "meta": {"batch": "rows"}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "skor", "min_value": 0, "max_value": 1, "strict_max": True},
         "meta": {"batch": "rows"}},
        {"type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "ada", "value_set": [True]}, "meta": {"batch": "rows"}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "jumlah", "min_value": 1, "strict_min": True},
         "meta": {"batch": "rows", "quarantine_rule": True}},
    ],
}  # fmt: skip


def _row(i: int) -> tuple:
    """Mostly good rows; file f6 is clean, the others have a few bad ones of every kind."""
    file = f"registry/f{i % 7}.csv" if i % 29 else None
    nik = f"53710101019{i:05d}"
    if file == "registry/f6.csv":
        return file, "hidup", 0.5, True, 3, nik
    status = [None, "Hidup", "pindah ", "it's"][i % 4] if i % 10 == 0 else "meninggal"
    skor = [None, math.nan, 0.0, 1.0, -0.1][i % 5] if i % 9 == 0 else 0.25
    ada = [None, False][i % 2] if i % 15 == 0 else True
    jumlah = i % 3 if i % 8 == 0 else 5
    if i % 13 == 0:
        nik = ["5371 0101", None, "'"][i % 3]
    return file, status, skor, ada, jumlah, nik


@pytest.fixture
def orang(tmp_path: Path):
    folder = tmp_path / "expectations"
    folder.mkdir()
    (folder / "raw_orang.json").write_text(json.dumps(SUITE))
    path = tmp_path / "orang.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute(
            "create table raw.orang (_source_file varchar, status varchar, skor double, "
            "ada boolean, jumlah integer, nik varchar)"
        )
        con.executemany("insert into raw.orang values (?, ?, ?, ?, ?, ?)", map(_row, range(3000)))
    return load_suites(folder)[0], path


def _found(outcome):
    return [
        (f.file, f.expectation, f.column, f.success, f.element_count, f.unexpected_count,
         f.missing_count, f.examples, f.sentence())
        for f in outcome.findings
    ]  # fmt: skip


@pytest.mark.parametrize(
    "thresholds",
    [
        {"default": 0.05, "tables": {}, "files": {}, "min_bad_rows": 0},
        {
            "default": 0.2,
            "tables": {"orang": 0.5},
            "files": {"registry/f3*": 0.0},
            "min_bad_rows": 40,
        },
    ],  # fmt: skip
)
def test_duckdb_counts_what_gx_counts_in_chunks(orang, tmp_path, thresholds):
    suite, warehouse = orang
    project = QualityProject(tmp_path / "quality")
    in_sql = run_suite(suite, warehouse, project, thresholds, "sql")
    in_chunks = run_suite(suite, warehouse, project, thresholds, "gx", 250, count_in_sql=False)

    assert _found(in_sql) == _found(in_chunks)
    assert in_sql.rows_checked == in_chunks.rows_checked == 3000
    assert {f.file for f in in_sql.findings} == {f"registry/f{i}.csv" for i in range(7)} | {None}
    # the data has failures of every kind, and passes too
    assert {f.success for f in in_sql.findings} == {True, False}
    assert any(f.missing_count for f in in_sql.findings)
    assert any(f.examples for f in in_sql.findings)
    # counted by DuckDB: GX validated the counts per file, not the rows, and its record
    # lists each failing file with its examples (masked: the NIKs' middle digits are gone)
    suites = {s.name for s in project.context.suites.all()}
    assert "raw_orang__rows__per_file" in suites
    stored = [
        json.loads(path.read_text())
        for path in (tmp_path / "quality").rglob("validations/**/*.json")
        if "raw_orang__rows__per_file" in path.read_text()
    ]
    listed = [
        row
        for result in stored
        for expectation in result["results"]
        for row in expectation["result"].get("unexpected_index_list") or []
    ]
    failed = {f.file for f in in_sql.failures}
    assert failed and {row["file"] for row in listed} == {f or "" for f in failed}
    assert any("nik: " in row["examples"] for row in listed), listed
    assert not any("0101" in row["examples"] for row in listed)


def test_a_value_sql_would_compare_otherwise_goes_through_gx(orang, tmp_path):
    suite, warehouse = orang
    mixed = {**SUITE["expectations"][0], "kwargs": {"column": "status", "value_set": [1, "hidup"]}}
    suite.expectations[0] = mixed  # a number against text: pandas never matches, DuckDB casts
    project = QualityProject(tmp_path / "quality")
    thresholds = {"default": 0.05, "tables": {}, "files": {}, "min_bad_rows": 0}
    outcome = run_suite(suite, warehouse, project, thresholds, "mixed")
    assert "raw_orang__rows__per_file" not in {s.name for s in project.context.suites.all()}
    assert outcome.rows_checked == 3000


@pytest.mark.parametrize(
    ("checked", "mostly", "min_bad_rows", "allowed"),
    [
        (100, None, 0, 0),
        (100, 0.98, 0, 2),
        (99, 0.98, 0, 1),
        (100, 0.98, 5, 4),
        (0, 0.9, 0, 0),
        (1000, 0.95, 5, 50),
    ],  # fmt: skip
)
def test_the_rows_a_rule_allows_a_file(checked, mostly, min_bad_rows, allowed):
    assert allowed_bad_rows(checked, mostly, min_bad_rows) == allowed
