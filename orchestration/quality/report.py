"""Plain-words reports of a failed run and of the quarantine, for people, not engineers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb

from orchestration.privacy import mask_text


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
                # held-back roster/BPS files do not block (DESIGN §4): tepat run lists them
                "where is_melebihi_ambang and not is_ditahan order by file_sumber"
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
        shown = "; ".join(
            f"{at}: {col} = {mask_text(val)} ({why})" for at, col, val, why in examples[file]
        )
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
        if name.startswith("assert_bps_values_are_consistent"):
            conflicts = _bps_conflicts(warehouse)
            if conflicts:
                lines.append(conflicts)
                continue
        memory = _spark_memory_problem(name, result.get("message") or "")
        if memory:
            lines.append(memory)
            continue
        message = mask_text(result.get("message") or "").strip().splitlines()
        lines.append(
            f"- Check {name} failed: {message[0] if message else result['status']}."
            + _files_checked(warehouse, name)
            + " What to do: correct the file(s) named (see `tepat check` for the check's "
            "results) and run again; if the files are right, report this check to whoever "
            "maintains tepat."
        )
    lines.append("Nothing was published: data/marts/ still holds the last good marts.")
    return "\n".join(lines)


def _bps_conflicts(warehouse: Path | str, shown: int = 5) -> str:
    """assert_bps_values_are_consistent's stored failures in words: each region, indicator
    and year with its different values, and the file and row of each."""
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            found = con.execute(
                "select table_schema from information_schema.tables "
                "where table_name = 'assert_bps_values_are_consistent' limit 1"
            ).fetchone()
            if not found:
                return ""
            rows = con.execute(
                "select kode_wilayah, indikator, tahun, bulan, nilai, _source_file, _row_number "
                f'from "{found[0]}".assert_bps_values_are_consistent order by all'
            ).fetchall()
    except duckdb.Error:
        return ""
    keys: dict[tuple, list[str]] = {}
    for region, indicator, year, month, value, file, row in rows:
        keys.setdefault((region, indicator, year, month), []).append(
            f"{value:g} in {file} row {row}"
        )
    examples = [
        f"region {region}, {indicator}, {year} {'September' if month == 9 else 'March'}: "
        + "; ".join(values)
        for (region, indicator, year, month), values in list(keys.items())[:shown]
    ]
    more = f" (and {len(keys) - shown} more)" if len(keys) > shown else ""
    return (
        f"- BPS figures disagree: {len(keys)} region/indicator/year(s) have two different "
        f"values in the files under data/raw/bps/: {' | '.join(examples)}{more}. "
        "What to do: keep one value for each: correct or remove the file or row that is "
        "wrong (often an older download beside a newer one) and run again."
    )


def _files_checked(warehouse: Path | str, check: str) -> str:
    """' It checks <files>.' for a check on a raw table (its name holds the table's)."""
    from orchestration.ingest.sources import SOURCES

    name = check.replace("__", "_").replace("rosters_rows", "roster_rows")  # stg_<src>__<x>
    tables = sorted((s.table for s in SOURCES if s.table in name), key=len, reverse=True)
    if not tables:
        return ""
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            files = [
                row[0]
                for row in con.execute(
                    "select file_path from meta.file_manifest where table_name = ? "
                    "and removed_at is null and duplicate_of is null order by 1 limit 6",
                    [tables[0]],
                ).fetchall()
            ]
    except duckdb.Error:
        return ""
    if not files:
        return ""
    shown = ", ".join(files[:5]) + (" …" if len(files) > 5 else "")
    return f" It checks the data of data/raw/ file(s) {shown}."


#: What Spark says when a model needs more memory than its JVMs have.
_SPARK_OUT_OF_MEMORY = (
    "Could not allocate memory",
    "Not enough memory to build and broadcast",
    "java.lang.OutOfMemoryError",
    "Unable to acquire",
)


#: The sentence Spark's read of the registry files ends with when it read a file otherwise
#: than the loader (orchestration/engines.py::file_reads): already in plain words.
_SPARK_READ_OTHERWISE = re.compile(r"Spark read \d+ rows of .*?put it in the same place\.", re.S)


def dbt_start_failure_report(errors: list[str]) -> str:
    """dbt stopped before it built anything (its on-run-start failed, e.g. Spark read a
    registry file otherwise than the loader): what it said, in plain words where tepat
    wrote them, masked."""
    text = "\n".join(errors)
    found = _SPARK_READ_OTHERWISE.search(text)
    if found:
        said = mask_text(found.group(0))
    else:
        lines = [line.strip() for line in mask_text(text).splitlines() if line.strip()]
        said = (
            "dbt said: " + " ".join(lines[:3]) + ". What to do: check the run log (README "
            '"Scaling out" for a Spark engine\'s settings) and run again.'
            if lines
            else "dbt gave no reason. What to do: see the run log, and run again."
        )
    return f"The warehouse build stopped before building any model. {said}"


def _spark_memory_problem(model: str, message: str) -> str | None:
    """A model Spark could not build in the memory it was given: not the files' fault."""
    if not any(sign in message for sign in _SPARK_OUT_OF_MEMORY):
        return None
    from orchestration.engines import spark_variables

    settings = spark_variables()
    driver = settings["TEPAT_SPARK_DRIVER_MEMORY"]
    executor = settings["TEPAT_SPARK_EXECUTOR_MEMORY"]
    return (
        f"- Spark ran out of memory building {model}: the night's data needs more than Spark "
        f"was given (TEPAT_SPARK_DRIVER_MEMORY={driver}, which holds all the work with "
        f"{settings['TEPAT_SPARK_MASTER']}; on a cluster TEPAT_SPARK_EXECUTOR_MEMORY="
        f"{executor}). The raw files are not the cause. What to do: raise that setting to "
        'what the machine can spare (README "Scaling out"; 1 M households did not fit in '
        "2g) and run again."
    )


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
