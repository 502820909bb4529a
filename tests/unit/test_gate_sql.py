"""The mart gates' SQL is written once, in dbt (DESIGN §4): the suites read check views built
from the macros of dbt_project/macros/checks.sql, and a broken mart still fails its gate with
the suite's plain words.

The macros are compiled by dbt itself (`dbt compile --inline`) against a small warehouse file
and the real suites run on the views, as the night runs them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.paths import DBT_PROJECT_DIR, EXPECTATIONS_DIR
from orchestration.quality.runner import QualityProject, run_suite
from orchestration.quality.suites import Suite, load_suites
from orchestration.resources import load_thresholds

CHECKS_DIR = DBT_PROJECT_DIR / "models" / "checks"
MART_SUITES = [s for s in load_suites(EXPECTATIONS_DIR) if s.asset[0] == "marts"]


def build_check_views(warehouse: Path, models: list[str], target: Path) -> None:
    """`dbt run` of the given check models into `warehouse`, as the nightly build makes them
    (views in schema checks, columns read from the marts already there)."""
    subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "run", "--quiet", "--select", *models,
         "--target-path", str(target), "--log-path", str(target)],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "TEPAT_WAREHOUSE": str(warehouse)},
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip


def only_batches(suite: Suite, pattern: str) -> Suite:
    """The suite with only the expectations of batches whose name matches `pattern`."""
    keep = {name: b for name, b in suite.batches.items() if re.fullmatch(pattern, name)}
    expectations = [e for e in suite.expectations if e["meta"]["batch"] in keep]
    return dataclasses.replace(suite, batches=keep, expectations=expectations)


def suite(name: str) -> Suite:
    return next(s for s in MART_SUITES if s.name == name)


def run(warehouse: Path, tmp_path: Path, the_suite: Suite):
    project = QualityProject(tmp_path / "quality")
    return run_suite(the_suite, warehouse, project, load_thresholds(EXPECTATIONS_DIR), "run-1")


# --------------------------------------------------------------------------------------------
# Written once
# --------------------------------------------------------------------------------------------


def test_no_mart_suite_repeats_a_rule_the_check_views_hold():
    pasted = {
        "levels add up": re.compile(r"substring\(kode_wilayah|tingkat_wilayah = 'desa'"),
        "row as text": re.compile(r"COLUMNS\(\*\)|concat_ws"),
        "registry names": re.compile(r"dtsen_anggota|stg_rosters__rows"),
    }
    views = {p.stem for p in CHECKS_DIR.glob("chk_*.sql")}
    read = set()
    for mart_suite in MART_SUITES:
        for name, batch in mart_suite.batches.items():
            query = batch["query"]
            for rule, pattern in pasted.items():
                assert not pattern.search(query), f"{mart_suite.name}.{name} pastes {rule}"
            read |= set(re.findall(r"checks\.(chk_\w+)", query))
    assert read == views  # every view is read by its suite; no suite reads a missing one
    assert len(views) == 27  # 5 marts whose levels add up, 11 × (row text, names)
    level_batches = [
        name for s in MART_SUITES for name in s.batches if name.startswith("sum_")
    ]  # fmt: skip
    assert len(level_batches) == 18  # the same 18 expectations, each reading the one view


def test_every_check_view_is_one_macro_call():
    for path in CHECKS_DIR.glob("chk_*.sql"):
        text = path.read_text().strip()
        macros = "levels_add_up|published_row_text|registry_names_in"
        assert re.fullmatch(
            rf"\{{\{{ ({macros})\(\s*ref\('\w+'\).*\)\s*\}}\}}", text, flags=re.S
        ), path.name
        mart = path.stem.removeprefix("chk_").split("__")[0]
        assert f"ref('{mart}')" in text, path.name


def test_checks_are_views_in_their_own_schema_and_never_published():
    from orchestration.assets.dbt import published_model_names

    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    checks = [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["name"].startswith("chk_")
    ]
    assert len(checks) == 27
    assert {(n["config"]["materialized"], n["config"]["schema"]) for n in checks} == {
        ("view", "checks")
    }
    assert not any(name.startswith("chk_") for name in published_model_names())


# --------------------------------------------------------------------------------------------
# One small warehouse of broken marts; the check views built on it by dbt
# --------------------------------------------------------------------------------------------

COVERAGE_ROWS = [
    # tingkat, kode_wilayah, penerima, sasaran_layak
    ("desa", "5371011001", 3, 5),
    ("desa", "5371011002", 4, 6),
    ("kecamatan", "537101", 9, 11),  # broken: 3 + 4 = 7 recipients, not 9
    ("kabkota", "5371", 9, 11),
    ("provinsi", "53", 9, 11),
]

VERVAL_ROWS = [
    ("desa", "5371011001", 2),
    ("kecamatan", "537101", 3),  # one case placed at the kecamatan itself: passes
    ("desa", "5371021001", 4),
    ("kecamatan", "537102", 1),  # fewer than its desa: fails
    ("kabkota", "5371", 4),
    ("provinsi", "53", 4),
]

PROGRAM_ROWS = [  # a NIK and a registry member's name where labels should be
    ("PKH", "Program Keluarga Harapan", 1, 1.5),
    ("BPNT", "Siti Aminah", 1, None),
    ("KIP", "kontak 5371010101900001", 1, 2.25),
]

VIEWS = [
    "chk_mart_program_coverage__levels_add_up",
    "chk_mart_verval_summary__levels_add_up",
    "chk_dim_program__row_text",
    "chk_dim_program__names",
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("gate_sql")
    path = root / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create schema raw")
        con.execute("create schema staging")
        con.execute(
            "create table marts.mart_program_coverage (kode_program varchar, tahun integer, "
            "tahap integer, tingkat_wilayah varchar, kode_wilayah varchar, penerima bigint, "
            "sasaran_layak bigint)"
        )
        con.executemany(
            "insert into marts.mart_program_coverage values ('PKH', 2025, 1, ?, ?, ?, ?)",
            COVERAGE_ROWS,
        )
        con.execute(
            "create table marts.mart_verval_summary (tahun integer, kode_alasan varchar, "
            "tingkat_wilayah varchar, kode_wilayah varchar, jumlah_kasus bigint)"
        )
        con.executemany(
            "insert into marts.mart_verval_summary values (2025, 'meninggal', ?, ?, ?)",
            VERVAL_ROWS,
        )
        con.execute("create table raw.dtsen_anggota (nik varchar, nama varchar)")
        con.execute("insert into raw.dtsen_anggota values ('5371010101900001', ' Siti Aminah ')")
        con.execute(
            "create table marts.dim_program (kode_program varchar, nama_program varchar, "
            "desil_min integer, pagu double)"
        )
        con.executemany("insert into marts.dim_program values (?, ?, ?, ?)", PROGRAM_ROWS)
    build_check_views(path, VIEWS, root / "target")
    return path


# --------------------------------------------------------------------------------------------
# Region levels add up: the view's numbers, and the gate still fails a broken sum
# --------------------------------------------------------------------------------------------


def test_levels_add_up_view_names_the_parent_key_measure_and_difference(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        kinds = con.execute(
            "select table_name, table_type from information_schema.tables "
            "where table_schema = 'checks' order by 1"
        ).fetchall()
        rows = con.execute(
            "select tingkat_wilayah, kode_induk, kode_program, tahun, tahap, ukuran, "
            "jumlah_induk, jumlah_rinci, selisih "
            "from checks.chk_mart_program_coverage__levels_add_up order by all"
        ).fetchall()
    assert kinds == [(name, "VIEW") for name in sorted(VIEWS)]
    assert rows == [
        ("kabkota", "5371", "PKH", 2025, 1, "penerima", 9, 9, 0),
        ("kabkota", "5371", "PKH", 2025, 1, "sasaran_layak", 11, 11, 0),
        ("kecamatan", "537101", "PKH", 2025, 1, "penerima", 9, 7, 2),
        ("kecamatan", "537101", "PKH", 2025, 1, "sasaran_layak", 11, 11, 0),
        ("provinsi", "53", "PKH", 2025, 1, "penerima", 9, 9, 0),
        ("provinsi", "53", "PKH", 2025, 1, "sasaran_layak", 11, 11, 0),
    ]


def test_a_broken_level_sum_still_fails_the_coverage_gate_in_plain_words(warehouse, tmp_path):
    outcome = run(warehouse, tmp_path, only_batches(suite("mart_program_coverage"), "sum_.*"))
    assert len(outcome.findings) == 6
    assert not outcome.success
    assert [(f.batch, f.unexpected_count) for f in outcome.failures] == [
        ("sum_kecamatan_penerima", 1)
    ]
    report = outcome.report()
    assert "ge_mart_program_coverage failed (1 of 6)" in report
    assert "A kecamatan row must equal the sum of the regions below it" in report
    assert "check the model's roll-up" in report


def test_a_verval_kecamatan_may_count_more_than_its_desa_but_never_fewer(warehouse, tmp_path):
    """mart_verval_summary: cases placed at the kecamatan itself make it count more than its
    desa (selisih > 0 passes); a province is exactly the sum of its kabupaten/kota."""
    outcome = run(warehouse, tmp_path, only_batches(suite("mart_verval_summary"), "sum_.*"))
    assert len(outcome.findings) == 3
    assert [(f.batch, f.unexpected_count) for f in outcome.failures] == [("sum_desa_kecamatan", 1)]
    assert "never fewer" in outcome.report()


# --------------------------------------------------------------------------------------------
# No personal data: one macro for every mart, the suite still blocks a leak
# --------------------------------------------------------------------------------------------


def test_row_text_and_names_views_hold_what_the_suites_read(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        text = con.execute(
            "select isi_baris from checks.chk_dim_program__row_text order by 1"
        ).fetchall()
        names = con.execute("select * from checks.chk_dim_program__names").fetchall()
    assert text == [
        ("BPNT\x1fSiti Aminah\x1f1",),
        ("KIP\x1fkontak 5371010101900001\x1f1\x1f2.25",),
        ("PKH\x1fProgram Keluarga Harapan\x1f1\x1f1.5",),
    ]
    assert names == [("nama_program", 1)]  # the column, never the name itself


def test_a_nik_or_a_name_in_a_mart_still_fails_its_gate(warehouse, tmp_path):
    outcome = run(warehouse, tmp_path, only_batches(suite("dim_program"), "text|names"))
    assert len(outcome.findings) == 2
    assert sorted((f.batch, f.unexpected_count) for f in outcome.failures) == [
        ("names", 0),
        ("text", 1),
    ]
    report = outcome.report()
    assert "nothing that looks like a NIK or KK number" in report
    assert "Published files hold no person's name." in report
    assert "kolom=nama_program" in report
    assert "5371010101900001" not in report
    assert "Siti Aminah" not in report


# --------------------------------------------------------------------------------------------
# A check is a dbt test or a GE expectation, not both (expectations/README.md)
# --------------------------------------------------------------------------------------------

GE_AS_DBT = {
    "expect_column_values_to_be_between": "between",
    "expect_column_values_to_be_in_set": "accepted_values",
    "expect_column_values_to_be_unique": "unique",
}


def test_no_mart_check_is_both_a_dbt_test_and_a_ge_expectation():
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    dbt_tests = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or "test_metadata" not in node:
            continue
        model = (node.get("attached_node") or "").rsplit(".", 1)[-1]
        kwargs = node["test_metadata"]["kwargs"]
        dbt_tests.add((model, node["test_metadata"]["name"], kwargs.get("column_name")))
    both = []
    for mart_suite in MART_SUITES:
        for expectation in mart_suite.expectations:
            kind = GE_AS_DBT.get(expectation["type"])
            column = expectation["kwargs"].get("column")
            if kind and (mart_suite.name, kind, column) in dbt_tests:
                both.append((mart_suite.name, kind, column))
        for model, kind, column in dbt_tests:
            if model == mart_suite.name and kind == "sums_to_100":
                summed = [b for b in mart_suite.batches.values() if f"sum({column})" in b["query"]]
                assert not summed, f"{model}.{column} adds up to 100 in dbt and in GE"
    assert both == []
