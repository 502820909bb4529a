"""The roster and BPS files held back whole (DESIGN §4), in meta.held_back_files.

One list, written in two places that each know something the other cannot:
- the loader (orchestration/ingest/loader.py) records the files it cannot use — unreadable,
  no required column, no rows — with `decided_by = 'loader'`;
- the raw table's Great Expectations gate (orchestration/checks.py) records the files that
  fail a per-file expectation, e.g. more bad rows than their threshold in
  expectations/thresholds.yml, with `decided_by = ge_<suite>`.
Each writer replaces only its own rows. dbt reads the list (source meta.held_back_files →
quarantine.file_ditahan) to leave those files' rows out and mark the marts incomplete;
`tepat run` and `tepat check` read it to say which files were held back and why. Nothing
else decides whether a file is held back.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from orchestration.ingest.loader import MANIFEST_DDL
from orchestration.quality.runner import SuiteOutcome

HELD_BACK_NOTE = (
    "It is held back: none of its rows are used and what it covers is marked incomplete in "
    "the marts (is_data_lengkap); the next run loads the corrected file."
)


@dataclass(frozen=True)
class HeldBack:
    table: str
    file: str
    reason: str
    decided_by: str


def reasons_of(outcome: SuiteOutcome) -> dict[str, str]:
    """Per held-back file of a GE outcome, what is wrong with it in plain words."""
    return {
        file: " ".join(finding.sentence() for finding in findings) + " " + HELD_BACK_NOTE
        for file, findings in outcome.held_back.items()
    }


def record_gate_decision(
    con: duckdb.DuckDBPyConnection, table: str, check_name: str, reasons: dict[str, str]
) -> None:
    """Replace the files `check_name` holds back of `table` with `reasons` (file → reason)."""
    con.execute(MANIFEST_DDL)
    con.execute("begin transaction")
    con.execute(
        "delete from meta.held_back_files where table_name = ? and decided_by = ?",
        [table, check_name],
    )
    for file, reason in sorted(reasons.items()):
        con.execute(
            "insert into meta.held_back_files values (?, ?, ?, ?, now())",
            [table, file, reason, check_name],
        )
    con.execute("commit")


def held_back_files(con: duckdb.DuckDBPyConnection) -> list[HeldBack]:
    """Every file held back now, by table and path (empty before the first load)."""
    try:
        rows = con.execute(
            "select table_name, file_path, string_agg(reason, ' ' order by decided_by), "
            "string_agg(distinct decided_by, ', ') from meta.held_back_files "
            "group by 1, 2 order by 1, 2"
        ).fetchall()
    except duckdb.CatalogException:
        return []
    return [HeldBack(*row) for row in rows]
