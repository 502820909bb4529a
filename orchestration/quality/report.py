"""Plain-words reports of a failed run and of the quarantine, for people, not engineers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb


def dbt_failure_report(run_results: dict[str, Any], warehouse: Path | str) -> str:
    """Which dbt checks failed, and for files above their quarantine threshold: which file,
    how many rows, why, a few masked examples and what to do."""
    failed = [r for r in run_results.get("results", []) if r["status"] in ("fail", "error")]
    lines = [f"The warehouse build stopped: {len(failed)} check(s) or model(s) failed."]
    storage = _storage_problem(failed, Path(warehouse))  # a full disk, a damaged file
    if storage:
        return f"{lines[0]}\n{storage}"
    blocked_files: list[tuple] = []
    examples: dict[str, list[tuple]] = {}
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            blocked_files = con.execute(
                "select tabel, file_sumber, jumlah_baris, baris_dikarantina, persen_dikarantina, "
                "ambang_persen, rincian_alasan from quarantine.quarantine_files "
                "where is_melebihi_ambang order by file_sumber"
            ).fetchall()
            for _, file, *_ in blocked_files:
                examples[file] = con.execute(
                    "select coalesce('sheet ' || lembar || ', ', '') || 'row ' || nomor_baris, "
                    "kolom, nilai, alasan from quarantine.quarantine_rows "
                    "where file_sumber = ? order by lembar nulls first, nomor_baris limit 3",
                    [file],
                ).fetchall()
    except duckdb.Error:
        pass  # the quarantine tables were not built: the failures below say why
    for table, file, rows, bad, share, threshold, reasons in blocked_files:
        shown = "; ".join(f"{at}: {col} = {val} ({why})" for at, col, val, why in examples[file])
        lines.append(
            f"- File {file} ({table}): {bad:,} of {rows:,} rows ({share:.1f} %) broke a row "
            f"rule, more than the {threshold:.1f} % allowed, so the file blocks the run. "
            f"Reasons: {reasons}. Examples: {shown}. What to do: correct the file (or ask the "
            f"agency for a corrected one) and put it in the same place; see `tepat check`."
        )
    for result in failed:
        name = result["unique_id"].split(".", 2)[-1]
        if blocked_files and "quarantine_threshold" in name:
            continue
        message = (result.get("message") or "").strip().splitlines()
        lines.append(f"- {name}: {message[0] if message else result['status']}")
    lines.append("Nothing was published: data/marts/ still holds the last good marts.")
    return "\n".join(lines)


def _storage_problem(failed: list[dict[str, Any]], warehouse: Path) -> str | None:
    """When dbt stopped because the disk is full (or the warehouse file is damaged), that is
    the one thing to say: every later model fails for the same reason."""
    from orchestration.diskspace import storage_problem

    for result in failed:
        message = storage_problem(
            result.get("message") or "", warehouse, warehouse.parent / "raw",
            "rebuilding the warehouse (dbt)",
        )  # fmt: skip
        if message:
            return message
    return None
