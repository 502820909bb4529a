"""What a night says in the terminal: the summary of a run, the files it held back, did not
read or quarantined, a failure in plain words, and `tepat check`'s report of the latest run."""

from __future__ import annotations

import contextlib
import json

from rich.console import Console
from rich.table import Table

from orchestration.paths import Paths

console = Console()


def print_summary(paths: Paths, result, elapsed: float) -> None:
    import pyarrow.parquet as pq

    checks = result.get_asset_check_evaluations()
    passed = sum(1 for c in checks if c.passed)
    if not result.success:
        # Plain words first (DESIGN §4): what stopped the night, the check's own report
        # (file, rows, masked examples, why it matters, what to do), and what is still
        # published; Dagster's own lines are in the run log, whose path `tepat run` prints.
        console.print(
            f"[bold red]The nightly run stopped[/] {stopped_at(result)} after {elapsed:.0f} s "
            f"(run {result.run_id[:8]}).",
            soft_wrap=True,
            highlight=False,
        )
        console.print(failure_report(result, paths), markup=False, soft_wrap=True, highlight=False)
        print_held_back(paths)
        print_raw_files_not_loaded(paths)
        return

    if not published_in(result):
        print_unchanged(paths, elapsed, launched=True)
        reused = sum(1 for c in checks if "reused_from_run" in c.metadata)
        console.print(
            f"Raw gates passed: {passed} of {len(checks)}"
            + (f" ({reused} not re-run: their tables are unchanged)" if reused else "")
        )
        print_held_back(paths)
        console.print(f"Marts:      {paths.marts_dir}/*.parquet")
        return

    table = Table(title=f"tepat: nightly run finished in {elapsed:.0f} s")
    table.add_column("mart (data/marts/)")
    table.add_column("rows", justify="right")
    for path in sorted(paths.marts_dir.glob("*.parquet")):
        table.add_row(path.name, f"{pq.ParquetFile(path).metadata.num_rows:,}")
    console.print(table)
    checks_line = f"Checks passed: {passed} of {len(checks)} (dbt tests and GE suites)"
    console.print(checks_line)
    print_quarantine(paths)
    print_held_back(paths)
    print_raw_files_not_loaded(paths)
    console.print(f"Marts:      {paths.marts_dir}/*.parquet  (read these)")
    console.print(f"            {paths.marts_dir}/marts.duckdb  (the same, as DuckDB views)")
    console.print(f"Warehouse:  {paths.warehouse}  (raw, staging, intermediate, marts, meta)")
    console.print("Exports:    .venv/bin/tepat export rpjmd|cakupan --wilayah <kode>")
    console.print("Docs:       make docs, then open data/docs/index.html")
    mart = paths.marts_dir / "mart_desil_distribution.parquet"
    console.print("Next: query a mart, e.g.")
    console.print(
        f'  .venv/bin/python -c "import duckdb; duckdb.sql(\\"from \'{mart}\'\\").show()"',
        soft_wrap=True,
    )
    console.print("  or open the Dagster UI (runs, checks, lineage, schedule): make dev")


def print_unchanged(paths: Paths, elapsed: float, launched: bool) -> None:
    """What a night with nothing new says: which run's marts data/marts/ still holds."""
    release = json.loads((paths.marts_dir / "release.json").read_text())
    what = "nothing was rebuilt" if launched else "no run was started"
    console.print(
        f"[bold green]Nothing changed[/] since run {release['run_id']} "
        f"(published {release['published_at']}): no raw file, model, check or library "
        f"is new, so {what} ({elapsed:.0f} s). data/marts/ still holds "
        "that run's marts. To rebuild anyway: .venv/bin/tepat run --force"
    )
    print_raw_files_not_loaded(paths)
    if not launched:
        console.print(f"Marts:      {paths.marts_dir}/*.parquet")


def published_in(result) -> bool:
    """Whether the run published a new release (a run with nothing new does not)."""
    import dagster as dg

    key = dg.AssetKey(["publish", "marts"])
    return any(
        event.event_specific_data.materialization.asset_key == key
        for event in result.all_events
        if event.is_step_materialization
    )


def print_quarantine(paths: Paths, limit: int = 8) -> None:
    """Per raw file with quarantined or recovered rows: how many, and why."""
    import duckdb

    try:
        with duckdb.connect(str(paths.warehouse), read_only=True) as con:
            files = con.execute(
                "select file_sumber, jumlah_baris, baris_dikarantina, baris_nik_dipulihkan, "
                "coalesce(rincian_alasan, '') from quarantine.quarantine_files "
                "where baris_dikarantina > 0 or baris_nik_dipulihkan > 0 "
                "order by baris_dikarantina desc, file_sumber"
            ).fetchall()
    except duckdb.Error:
        return
    if not files:
        console.print("Quarantine: no row of any file was kept out.")
        return
    total = sum(f[2] for f in files)
    table = Table(
        title=f"Rows kept out of the marts: {total:,} in {len(files)} file(s) "
        "(quarantine.quarantine_rows)"
    )
    table.add_column("raw file", overflow="fold")
    for column in ("rows", "kept out", "NIK recovered"):
        table.add_column(column, justify="right")
    table.add_column("main reason")
    for file, rows, bad, recovered, reasons in files[:limit]:
        parts = [r for r in reasons.split("; ") if r]
        main = parts[0] + (f" (+{len(parts) - 1} more)" if len(parts) > 1 else "") if parts else ""
        table.add_row(file, f"{rows:,}", f"{bad:,}", f"{recovered:,}", main)
    console.print(table)
    if len(files) > limit:
        console.print(f"… and {len(files) - limit} more file(s): .venv/bin/tepat check")


def held_back_now(paths: Paths) -> list:
    """The roster and BPS files held back whole (DESIGN §4), from meta.held_back_files."""
    import duckdb

    from orchestration.quality.holdback import held_back_files

    try:
        with duckdb.connect(str(paths.warehouse), read_only=True) as con:
            return held_back_files(con)
    except duckdb.Error:  # no warehouse yet
        return []


def print_held_back(paths: Paths, limit: int = 20) -> None:
    """Files held back whole: which, what is wrong, what to do; the rest was published."""
    held = held_back_now(paths)
    if not held:
        return
    console.print(
        f"[bold yellow]Held back: {len(held)} file(s)[/] (none of their rows are used, and "
        "what they cover is marked incomplete in the marts: is_data_lengkap = false; they "
        "stop nothing else):"
    )
    for file in held[:limit]:
        console.print(f"  - data/raw/{file.file}: {file.reason}", markup=False, soft_wrap=True)
    if len(held) > limit:
        console.print(f"  … and {len(held) - limit} more: .venv/bin/tepat check")


def print_raw_files_not_loaded(paths: Paths, limit: int = 20) -> None:
    """Files under data/raw/ that the night did not load: unread ones, and byte-identical
    copies of loaded files (DESIGN §2), each with what to do."""
    import duckdb

    from orchestration.ingest.sources import unread_files

    copies: list[tuple[str, str]] = []
    try:
        with duckdb.connect(str(paths.warehouse), read_only=True) as con:
            copies = con.execute(
                "select file_path, duplicate_of from meta.file_manifest "
                "where removed_at is null and duplicate_of is not null order by 1"
            ).fetchall()
    except duckdb.Error:  # no warehouse yet, or one from before copies were recorded
        pass
    unread = unread_files(paths.raw_dir)
    if unread:
        console.print(
            f"[bold yellow]Not read: {len(unread)} file(s) under data/raw/[/] "
            "(the night went on without them):"
        )
        for file in unread[:limit]:
            console.print(
                f"  - {file.path}: {file.reason}. What to do: {file.what_to_do}.",
                markup=False,
                soft_wrap=True,
            )
    if copies:
        console.print(
            f"[bold yellow]Copies not loaded again: {len(copies)} file(s)[/] "
            "(byte-identical to a file already loaded; their rows would count twice):"
        )
        for copy, original in copies[:limit]:
            console.print(
                f"  - {copy} = {original}. What to do: delete the copy if it was made by mistake.",
                markup=False,
                soft_wrap=True,
            )
    if len(unread) > limit or len(copies) > limit:
        console.print("  … and more: see the run's log (asset raw/unread_files).")


def stopped_at(result) -> str:
    """Where a failed run stopped, in words: its first failed step (not those that failed
    only because an earlier one did)."""
    from orchestration.night import step_in_words

    failures = [event.step_key for event in result.all_events if event.is_step_failure]
    if not failures:
        return "before its first step"
    return f"while {step_in_words(failures[0])}"


#: The dbt step's words when it did not start because an earlier step failed.
_NOT_BUILDING = "Not building the warehouse:"


def failure_report(result, paths: Paths | None = None) -> str:
    """Plain words for a failed run: the failed checks' own reports, then failed steps, then
    what data/marts/ still holds (its release, when `paths` is given)."""
    lines: list[str] = []
    for check in result.get_asset_check_evaluations():
        if check.passed:
            continue
        report = check.metadata.get("report")
        text = report.value if report is not None else (check.description or "")
        lines.append(
            text or f"Check {check.check_name} on {check.asset_key.to_user_string()} failed."
        )
    failures = [event for event in result.all_events if event.is_step_failure]
    # A step's own failure first (loading, dbt, publishing), then the checks that followed.
    for event in sorted(failures, key=lambda event: "_ge_" in (event.step_key or "")):
        data = event.step_failure_data
        if data.user_failure_data and data.user_failure_data.description:
            description = data.user_failure_data.description
            if description.startswith(_NOT_BUILDING) and lines:
                continue  # a consequence of the failure already explained above
            lines.append(description)
        elif data.error and "blocking" not in data.error.message.lower():
            lines.append(f"Step {event.step_key} failed: {data.error.message.strip()}")
    lines.append(_still_published(paths))
    return "\n".join(dict.fromkeys(line.strip() for line in lines if line.strip()))


def _still_published(paths: Paths | None) -> str:
    """That nothing was published, and which release data/marts/ still holds."""
    said = "Nothing was published: data/marts/ still holds the last good marts"
    if paths is None:
        return said + "."
    try:
        release = json.loads((paths.marts_dir / "release.json").read_text())
    except (OSError, ValueError):
        return "Nothing was published, and no earlier night has published marts yet."
    import datetime as dt

    published = str(release.get("published_at", "?"))
    with contextlib.suppress(ValueError):
        moment = dt.datetime.fromisoformat(published)
        published = moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{said}, those of run {str(release.get('run_id', '?'))[:8]} published {published}; "
        "analysts and exports keep reading them."
    )


def print_check(paths: Paths) -> int:
    """The latest run's checks in plain words, and per file the rows accepted and quarantined."""
    import duckdb

    if not paths.warehouse.exists():
        console.print(f"No warehouse at {paths.warehouse} yet: run `make run` first.")
        return 2
    try:
        con = duckdb.connect(str(paths.warehouse), read_only=True)
    except duckdb.Error:
        console.print("The nightly job is writing the warehouse right now; try again when it ends.")
        return 2
    with con:
        latest = con.execute(
            "select run_id, max(checked_at) from meta.check_results "
            "group by run_id order by 2 desc limit 1"
        ).fetchone()
        if latest is None:
            console.print("No checks have run yet: run `make run` first.")
            return 2
        run_id, checked_at = latest
        passed = con.execute(
            "select count(*) filter (where success) from meta.check_results where run_id = ?",
            [run_id],
        ).fetchone()[0]
        from orchestration.quality.holdback import held_back_files

        held = held_back_files(con)
        held_files = {h.file for h in held}
        # A failed per-file finding of a held-back file does not block (DESIGN §4).
        failures = [
            (name, message)
            for name, message, file in con.execute(
                "select check_name, coalesce(message, ''), file from meta.check_results "
                "where run_id = ? and not success order by check_name",
                [run_id],
            ).fetchall()
            if file is None or file not in held_files
        ]
        try:  # raw gates that stood on an earlier run's result (unchanged input)
            reused = con.execute(
                "select count(*) from meta.check_reuse "
                "where run_id = ? and reused_from_run is not null",
                [run_id],
            ).fetchone()[0]
        except duckdb.Error:
            reused = 0
        try:
            files = con.execute(
                "select file_sumber, jumlah_baris, baris_diterima, baris_dikarantina, "
                "persen_dikarantina, ambang_persen, is_melebihi_ambang, rincian_alasan "
                "from quarantine.quarantine_files order by baris_dikarantina desc, file_sumber"
            ).fetchall()
        except duckdb.Error:
            files = []
    counts = (passed, len(failures))

    console.print(
        f"Run {run_id} ({checked_at:%Y-%m-%d %H:%M} UTC): {counts[0]} checks passed, "
        f"{counts[1]} failed."
    )
    if reused:
        console.print(
            f"{reused} raw gate(s) were not re-run: their tables and suites were unchanged "
            "since the run in which they passed (meta.check_reuse)."
        )
    for name, message in failures:
        console.print(f"- [bold red]{name}[/]: {message}", soft_wrap=True)
    if held:
        console.print(
            f"[bold yellow]Held back: {len(held)} file(s)[/] (none of their rows are used, and "
            "what they cover is marked incomplete in the marts: is_data_lengkap = false; they "
            "stop nothing else):"
        )
        for file in held:
            console.print(
                f"- data/raw/{file.file} ({file.decided_by}): {file.reason}",
                markup=False,
                soft_wrap=True,
            )
    quarantined = [f for f in files if f[3]]
    console.print("Rows per file, accepted and quarantined (details: quarantine.quarantine_rows):")
    for file, rows, accepted, bad, share, threshold, blocked, reasons in quarantined:
        verdict = ""
        if file in held_files:
            verdict = " [bold yellow]HELD BACK[/]"
        elif blocked:
            verdict = " [bold red]BLOCKS THE RUN[/]"
        console.print(
            f"- {file}: {rows:,} rows, {accepted:,} accepted, {bad:,} quarantined "
            f"({share:.1f} %, threshold {threshold:.1f} %){verdict}. {reasons}",
            soft_wrap=True,
        )
    console.print(f"{len(files) - len(quarantined)} other file(s) had no quarantined rows.")
    console.print(
        f"Data Docs: {paths.data_dir / 'quality/gx/uncommitted/data_docs/local_site/index.html'}"
    )
    return 1 if counts[1] else 0
