"""DESIGN §4: which roster and BPS files a raw gate holds back, and the one list they go to."""

from __future__ import annotations

from pathlib import Path

from orchestration.paths import EXPECTATIONS_DIR
from orchestration.quality.holdback import held_back_files, reasons_of, record_gate_decision
from orchestration.quality.runner import Finding, SuiteOutcome
from orchestration.quality.suites import Suite, load_suites


def suite(holds_back: bool) -> Suite:
    return Suite(
        name="raw_roster_rows",
        path=Path("raw_roster_rows.json"),
        asset=("raw", "roster_rows"),
        table="roster_rows",
        batches={},
        expectations=[],
        description="",
        holds_back_files=holds_back,
    )


def finding(file: str | None, success: bool, batch: str = "rows") -> Finding:
    return Finding(
        suite="raw_roster_rows",
        batch=batch,
        file=file,
        expectation="expect_column_values_to_be_in_set",
        column="is_nik_16_digit",
        success=success,
        element_count=50,
        unexpected_count=0 if success else 30,
        what_to_do="Ask the agency to correct the NIKs.",
        mostly=0.9,
    )


def test_a_failing_file_is_held_back_and_the_gate_passes():
    outcome = SuiteOutcome(
        suite(holds_back=True),
        [finding("rosters/a.csv", True), finding("rosters/b.csv", False)],
        seconds=0.1,
        rows_checked=100,
    )
    assert outcome.success
    assert list(outcome.held_back) == ["rosters/b.csv"]
    assert "1 file(s) held back" in outcome.report()
    reason = reasons_of(outcome)["rosters/b.csv"]
    assert "30 of 50 rows (60.0 %)" in reason and "held back" in reason


def test_a_failure_that_is_not_per_file_still_blocks():
    outcome = SuiteOutcome(
        suite(holds_back=True),
        [finding(None, False, batch="columns"), finding("rosters/b.csv", False)],
        seconds=0.1,
        rows_checked=100,
    )
    assert not outcome.success
    assert [f.file for f in outcome.blocking_failures] == [None]
    assert "failed (1 of 2)" in outcome.report()


def test_a_registry_suite_holds_nothing_back():
    outcome = SuiteOutcome(
        suite(holds_back=False), [finding("registry/x.csv", False)], seconds=0.1, rows_checked=1
    )
    assert not outcome.success and outcome.held_back == {}


def test_each_writer_replaces_only_its_own_decisions(con):
    record_gate_decision(con, "roster_rows", "ge_raw_roster_rows", {"rosters/b.csv": "bad"})
    con.execute(
        "insert into meta.held_back_files values "
        "('roster_rows', 'rosters/empty.csv', 'has no rows', 'loader', now())"
    )
    record_gate_decision(con, "roster_rows", "ge_raw_roster_rows", {"rosters/c.csv": "worse"})
    assert [(h.file, h.decided_by) for h in held_back_files(con)] == [
        ("rosters/c.csv", "ge_raw_roster_rows"),
        ("rosters/empty.csv", "loader"),
    ]


def test_only_the_roster_and_bps_suites_hold_files_back():
    holding = {s.name for s in load_suites(EXPECTATIONS_DIR) if s.holds_back_files}
    assert holding == {"raw_roster_rows", "raw_bps_indicators"}


def test_the_loader_and_dbt_agree_on_the_tables_that_hold_files_back():
    from orchestration.ingest.loader import HELD_BACK_TABLES
    from orchestration.paths import PROJECT_ROOT

    macro = (PROJECT_ROOT / "dbt_project/macros/quarantine.sql").read_text()
    assert "('roster_rows', 'bps_indicators')" in macro
    assert {"roster_rows", "bps_indicators"} == HELD_BACK_TABLES
    tables = {s.table for s in load_suites(EXPECTATIONS_DIR) if s.holds_back_files}
    assert tables == HELD_BACK_TABLES
