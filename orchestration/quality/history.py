"""Every check result of every run, in the warehouse table meta.check_results."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from orchestration.privacy import mask_text
from orchestration.resources import warehouse_connection

HISTORY_DDL = """
create schema if not exists meta;
create table if not exists meta.check_results (
    run_id varchar not null,          -- the Dagster run
    checked_at timestamp not null,    -- UTC
    kind varchar not null,            -- great_expectations | dbt_test
    check_name varchar not null,      -- ge_<suite> or the dbt test's name
    asset varchar,                    -- the asset the check guards
    file varchar,                     -- the raw file, when the check is per file
    batch varchar,
    expectation varchar,
    column_name varchar,
    success boolean not null,
    element_count bigint,
    unexpected_count bigint,
    message varchar                   -- plain words; NIKs masked
);
"""

COLUMNS = [
    "run_id", "checked_at", "kind", "check_name", "asset", "file", "batch", "expectation",
    "column_name", "success", "element_count", "unexpected_count", "message",
]  # fmt: skip


def record(warehouse: Path | str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    frame = frame.reindex(columns=COLUMNS)
    # GE findings come masked; dbt's messages are masked here (DESIGN §5).
    frame["message"] = [None if m is None or pd.isna(m) else mask_text(m) for m in frame["message"]]
    with warehouse_connection(warehouse) as con:
        con.execute(HISTORY_DDL)
        con.register("_results", frame)
        con.execute(f"insert into meta.check_results select {', '.join(COLUMNS)} from _results")
        con.unregister("_results")


def dbt_results_frame(run_results: dict[str, Any], run_id: str) -> pd.DataFrame:
    """The dbt tests (data and unit) of one `dbt build`, as check-history rows."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = []
    for result in run_results.get("results", []):
        unique_id = result["unique_id"]
        if not unique_id.startswith(("test.", "unit_test.")):
            continue
        status = result["status"]
        rows.append(
            {
                "run_id": run_id,
                "checked_at": now,
                "kind": "dbt_test",
                "check_name": unique_id.split(".", 2)[-1],
                "success": status in ("pass", "success"),
                "unexpected_count": result.get("failures"),
                "message": None if status in ("pass", "success") else result.get("message"),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
