"""What a night says in the terminal: the summary of a run, the files it held back, did not
read or quarantined, a failure in plain words, and `tepat check`'s report of the latest run."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from orchestration.fingerprints import last_quiet_night, record_quiet_night
from orchestration.paths import Paths
from orchestration.progress import MART_GATES_STEP, RAW_GATES_STEP, is_gate_step

console = Console()


def _on_engine() -> str:
    """' (dbt on Spark, <where>)' for a Spark night; nothing for the default engine."""
    from orchestration.engines import SPARK_VARIABLES, engine_from_env, spark_location

    if engine_from_env() != "spark":
        return ""
    variables = {name: os.environ.get(name, default) for name, default in SPARK_VARIABLES.items()}
    return f" (dbt on Spark, {spark_location(variables)})"


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
        print_files_of_night(paths, result)
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
        print_files_of_night(paths, result)
        print_held_back(paths)
        console.print(f"Marts:      {paths.marts_dir}/*.parquet")
        return

    table = Table(title=f"tepat: nightly run finished in {elapsed:.0f} s{_on_engine()}")
    table.add_column("mart (data/marts/)")
    table.add_column("rows", justify="right")
    for path in sorted(paths.marts_dir.glob("*.parquet")):
        table.add_row(path.name, f"{pq.ParquetFile(path).metadata.num_rows:,}")
    console.print(table)
    console.print(checks_line(checks))
    print_files_of_night(paths, result)
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


# --- Your files this night (DESIGN §4.1) -------------------------------------------------

#: Up to this many files are listed one per line; beyond, per raw folder with totals.
FILES_LISTED = 15


@dataclass
class NightFile:
    """A raw file new, changed or removed since the last published run, and what it gave."""

    path: str
    change: str  # "new" | "changed" | "removed"
    rows_read: int | None = None
    counted: bool = False  # accepted/quarantined known (this night's dbt step counted them)
    accepted: int = 0
    quarantined: int = 0
    reasons: str = ""
    recovered: int = 0
    held_back: str = ""  # the reason, when held back
    blocked: bool = False
    copy_of: str = ""
    not_loaded: bool = False  # present under data/raw/, but the night stopped before it

    @property
    def folder(self) -> str:
        return self.path.split("/", 1)[0]

    def line(self) -> str:
        what = f"data/raw/{self.path} ({self.change})"
        if self.change == "removed":
            if self.not_loaded:
                return f"{what}: gone from data/raw/; the night stopped before retiring it."
            return f"{what}: gone from data/raw/; its rows are no longer used."
        if self.copy_of:
            return f"{what}: a byte-identical copy of {self.copy_of}, not loaded again."
        if self.not_loaded:
            return f"{what}: not loaded; the night stopped before or on it (see above)."
        if self.held_back and not self.rows_read:
            return f"{what}: HELD BACK, no row used. {self.held_back}"
        parts = [f"{self.rows_read or 0:,} rows read"]
        if self.counted:
            parts.append(f"{self.accepted:,} accepted")
            parts.append(
                f"{self.quarantined:,} quarantined" + (f" ({self.reasons})" if self.reasons else "")
            )
            parts.append(f"{self.recovered:,} NIK(s) recovered")
        else:
            parts.append("not checked: the night stopped before counting them")
        text = f"{what}: " + ", ".join(parts)
        if self.held_back:
            return text + f". HELD BACK, no row used. {self.held_back}"
        if self.blocked:
            return text + ". BLOCKED THE NIGHT."
        return text + "."


@dataclass
class NightFiles:
    files: list[NightFile]
    since_run: str | None  # the last published run before this one (None: first night)
    since_at: str | None

    @property
    def first_night(self) -> bool:
        return self.since_run is None


def _has(con, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


def unloaded_files(paths: Paths) -> list[str]:
    """The files under data/raw/ a night would still load, replace or retire (after a
    failed night: the ones it did not get to)."""
    import duckdb

    from orchestration.ingest.loader import pending_changes
    from orchestration.ingest.sources import SOURCES

    pending: list[str] = []
    try:
        with duckdb.connect(str(paths.warehouse), read_only=True) as con:
            for source in SOURCES:
                pending += pending_changes(con, source, paths.raw_dir)
    except (duckdb.Error, OSError):
        pass
    return pending


def files_of_night(paths: Paths, run_id: str, pending: list[str] | None = None) -> NightFiles:
    """The raw files new, changed or removed since the last run before `run_id` that
    published, with their counts from this run (DESIGN §4.1). `pending`: files the run did
    not get to load or retire (a failed run), listed too."""
    import duckdb

    pending = pending or []
    try:
        con = duckdb.connect(str(paths.warehouse), read_only=True)
    except duckdb.Error:
        return NightFiles([], None, None)
    with con:
        if not _has(con, "meta", "file_manifest"):
            return NightFiles([], None, None)
        since = None
        if _has(con, "meta", "build_state"):
            since = con.execute(
                "select run_id, built_at, published_at::varchar from meta.build_state "
                "where published_release is not null and run_id <> ? "
                "order by published_at desc limit 1",
                [run_id],
            ).fetchone()
        cutoff = since[1] if since else None
        rows = con.execute(
            "select file_path, row_count, loaded_at, removed_at, duplicate_of, "
            "held_back_reason from meta.file_manifest "
            "where table_name <> 'kemendagri_wilayah' order by file_path, loaded_at"
        ).fetchall()
        counted = (
            con.execute(
                "select count(*) from meta.check_results where run_id = ? and kind = 'dbt_test'",
                [run_id],
            ).fetchone()[0]
            if _has(con, "meta", "check_results")
            else 0
        )
        quarantine = {}
        if counted and _has(con, "quarantine", "quarantine_files"):
            quarantine = {
                row[0]: row[1:]
                for row in con.execute(
                    "select file_sumber, jumlah_baris, baris_diterima, baris_dikarantina, "
                    "coalesce(rincian_alasan, ''), coalesce(baris_nik_dipulihkan, 0), "
                    "is_melebihi_ambang from quarantine.quarantine_files"
                ).fetchall()
            }
        failed_files = set()
        if _has(con, "meta", "check_results"):
            failed_files = {
                row[0]
                for row in con.execute(
                    "select distinct file from meta.check_results "
                    "where run_id = ? and not success and file is not null",
                    [run_id],
                ).fetchall()
            }
        from orchestration.quality.holdback import held_back_files

        held = {h.file: h.reason for h in held_back_files(con)}

    before = {p for p, _, loaded, removed, *_ in rows if cutoff and loaded <= cutoff
              and (removed is None or removed > cutoff)}  # fmt: skip
    active = {p: row for p, *row in rows if row[2] is None}  # the last one loaded wins
    files: list[NightFile] = []
    for path, (row_count, loaded, _, copy_of, held_reason) in sorted(active.items()):
        if cutoff and loaded <= cutoff:
            if path in pending:  # changed or gone since, and the night stopped first
                gone = not (paths.raw_dir / path).exists()
                files.append(NightFile(path, "removed" if gone else "changed", not_loaded=True))
            continue
        file = NightFile(path, "changed" if path in before else "new", rows_read=row_count)
        if copy_of:
            file.copy_of = copy_of
        elif path in pending:
            file.not_loaded = True
        counts = quarantine.get(path)
        if counts and not copy_of:
            file.rows_read = row_count or counts[0]
            file.counted = True
            file.accepted, file.quarantined, file.reasons, file.recovered = counts[1:5]
            file.blocked = bool(counts[5])
        file.held_back = held.get(path, "") or (held_reason or "")
        file.blocked = (file.blocked or path in failed_files) and not file.held_back
        files.append(file)
    for path in sorted(set(pending) - set(active)):
        files.append(NightFile(path, "changed" if path in before else "new", not_loaded=True))
    for path in sorted(before - set(active)):
        files.append(NightFile(path, "removed"))
    return NightFiles(files, since[0] if since else None, since[2] if since else None)


def print_files_of_night(paths: Paths, result) -> None:
    """Your files this night (DESIGN §4.1): every raw file new, changed or removed since
    the last published run, with its rows read, accepted, quarantined and why."""
    pending = [] if result.success else unloaded_files(paths)
    night = files_of_night(paths, result.run_id, pending)
    files = night.files
    since = (
        f"since run {night.since_run} (published {night.since_at[:16]} UTC)"
        if night.since_run
        else "(first night: nothing was published before)"
    )
    if not files:
        console.print(f"Your files this night: none new, changed or removed {since}.")
        return
    title = f"[bold]Your files this night[/]: {len(files)} new, changed or removed {since}"
    if len(files) <= FILES_LISTED:
        console.print(title + ":")
        for file in files:
            console.print(f"  - {file.line()}", markup=False, soft_wrap=True)
        return
    if night.first_night and all(f.change == "new" for f in files):
        console.print(f"[bold]Your files this night[/]: all {len(files)} files are new {since}:")
    else:
        console.print(title + ", per folder of data/raw/:")
    for folder in sorted({f.folder for f in files}):
        group = [f for f in files if f.folder == folder]
        counted = [f for f in group if f.counted]
        changes = ", ".join(
            f"{sum(1 for f in group if f.change == c)} {c}"
            for c in ("new", "changed", "removed")
            if any(f.change == c for f in group)
        )
        line = f"  - data/raw/{folder}/: {len(group)} file(s) ({changes})"
        line += f", {sum(f.rows_read or 0 for f in group):,} rows read"
        if counted:
            line += (
                f", {sum(f.accepted for f in counted):,} accepted, "
                f"{sum(f.quarantined for f in counted):,} quarantined, "
                f"{sum(f.recovered for f in counted):,} NIK(s) recovered"
            )
        console.print(line, markup=False, soft_wrap=True)
    # A published night lists its files with quarantined rows in the table that follows
    # (print_quarantine): here only the files that need more than a look at that table.
    in_table = result.success
    only_quarantined = [
        f for f in files if f.quarantined and in_table
        and not (f.held_back or f.blocked or f.not_loaded or f.copy_of)
    ]  # fmt: skip
    notable = [
        f for f in files if f.held_back or f.blocked or f.quarantined or f.not_loaded
        or f.copy_of
    ]  # fmt: skip
    notable = [f for f in notable if f not in only_quarantined]
    if only_quarantined:
        console.print(
            f"  {len(only_quarantined)} of them had rows kept out of the marts: see the table "
            "below (rows kept out of the marts)."
        )
    if notable:
        console.print("  Of these, the files to look at:")
        for file in notable[:FILES_LISTED]:
            console.print(f"  - {file.line()}", markup=False, soft_wrap=True)
        if len(notable) > FILES_LISTED:
            console.print(f"  … and {len(notable) - FILES_LISTED} more: .venv/bin/tepat check")


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
        record_quiet_night(paths, by="tepat run")
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

    failures = [event.step_key for event in result.all_events if event.is_step_failure]
    if not failures:
        return "before its first step"
    if is_gate_step(failures[0]):  # one step checks many tables: name those that failed
        tables = [
            ".".join(check.asset_key.path)
            for check in result.get_asset_check_evaluations()
            if not check.passed
        ]
        if tables:
            return f"while checking {', '.join(dict.fromkeys(tables))} (quality checks)"
    return f"while {step_in_words(failures[0])}"


#: The dbt step's words when it did not start because an earlier step failed.
_NOT_BUILDING = "Not building the warehouse:"


def failure_report(result, paths: Paths | None = None) -> str:
    """Plain words for a failed run: the failed checks' own reports, then failed steps, then
    what data/marts/ still holds (its release, when `paths` is given)."""
    from orchestration.privacy import mask_text

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
    for event in sorted(failures, key=lambda event: is_gate_step(event.step_key)):
        data = event.step_failure_data
        if data.user_failure_data and data.user_failure_data.description:
            description = data.user_failure_data.description
            if description.startswith(_NOT_BUILDING) and lines:
                continue  # a consequence of the failure already explained above
            lines.append(description)
        elif data.error and "blocking" not in data.error.message.lower():
            lines.append(f"Step {event.step_key} failed: {mask_text(data.error.message.strip())}")
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


#: What both `tepat run`'s summary and `tepat check` count as one check (DESIGN §4.1).
CHECK_UNIT = "Dagster asset checks: one per dbt test and one per GE suite"


def checks_line(checks) -> str:
    """'Checks passed: 165 of 167 (…)' for a run's asset check evaluations."""
    passed = sum(1 for c in checks if c.passed)
    return f"Checks passed: {passed} of {len(checks)} ({CHECK_UNIT})"


class StoredRun:
    """A finished run read back from Dagster's run history, with what `print_summary` and
    `failure_report` read of a live run's result."""

    def __init__(self, instance, record) -> None:
        from dagster import DagsterRunStatus

        run = record.dagster_run
        self.run_id = run.run_id
        self.status = run.status
        self.success = run.status == DagsterRunStatus.SUCCESS
        self.tags = run.tags
        self.started = _utc(record.start_time or record.create_timestamp.timestamp())
        entries = instance.all_logs(run.run_id)
        self.all_events = [e.dagster_event for e in entries if e.is_dagster_event]

    def get_asset_check_evaluations(self) -> list:
        from dagster import DagsterEventType

        return [
            event.event_specific_data
            for event in self.all_events
            if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
        ]

    def describe(self) -> str:
        when = f"{self.started:%Y-%m-%d %H:%M} UTC"
        by = self.tags.get("launched_by") or self.tags.get("dagster/schedule_name") or ""
        return f"run {self.run_id} ({when}" + (f", {by})" if by else ")")


def _utc(timestamp: float):
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp, dt.UTC).replace(tzinfo=None)


def nightly_runs(paths: Paths, wanted: list[str]) -> tuple[StoredRun | None, dict]:
    """The latest finished `nightly_refresh` run in Dagster's run history, and the `wanted`
    runs by id (those this history does not hold are left out)."""
    import dagster as dg

    from orchestration.schedules import NIGHTLY_JOB_NAME

    home = _dagster_home()
    if not (home / "history").is_dir():  # no run ever recorded there: create nothing
        return None, {}
    known = runs_of_warehouse(paths)
    runs: dict[str, StoredRun] = {}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.get_run_records(
            filters=dg.RunsFilter(
                job_name=NIGHTLY_JOB_NAME,
                statuses=[dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE],
            ),
            limit=50,
        )
        # DAGSTER_HOME and TEPAT_DATA_DIR are set apart: a run of another data folder's
        # warehouse is not this warehouse's night.
        mine = next((r for r in records if r.dagster_run.run_id in known), None)
        latest = StoredRun(instance, mine) if mine else None
        if latest is not None:
            runs[latest.run_id] = latest
        for run_id in {w for w in wanted if w and w not in runs}:
            found = instance.get_run_records(filters=dg.RunsFilter(run_ids=[run_id]))
            if found:
                runs[run_id] = StoredRun(instance, found[0])
    return latest, runs


def runs_of_warehouse(paths: Paths) -> set[str]:
    """The runs that left a trace in this warehouse (loads, checks, reused gates, builds)."""
    import duckdb

    known: set[str] = set()
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        for table in ("night_runs", "check_results", "check_reuse", "build_state"):
            if _has(con, "meta", table):
                known |= {
                    r[0]
                    for r in con.execute(f"select distinct run_id from meta.{table}").fetchall()
                }
    return known


def _release(paths: Paths) -> dict:
    try:
        return json.loads((paths.marts_dir / "release.json").read_text())
    except (OSError, ValueError):
        return {}


def print_check(paths: Paths) -> int:
    """The latest night (DESIGN §4.1): which it was, which run's checks are shown and why,
    those checks counted as `tepat run`'s summary counts them, the files held back, and per
    file the rows accepted and quarantined."""
    import duckdb

    if not paths.warehouse.exists():
        console.print(f"No warehouse at {paths.warehouse} yet: run `make run` first.")
        return 2
    try:
        con = duckdb.connect(str(paths.warehouse), read_only=True)
    except duckdb.Error:
        console.print("The nightly job is writing the warehouse right now; try again when it ends.")
        return 2
    con.close()
    published_run = _release(paths).get("run_id")
    quiet = last_quiet_night(paths)
    latest, runs = nightly_runs(paths, [published_run, (quiet or {}).get("published_run")])
    shown: StoredRun | None = latest
    if quiet and (latest is None or quiet["at"] > f"{latest.started:%Y-%m-%d %H:%M:%S}"):
        console.print(
            f"Latest night: {quiet['at'][:16]} UTC ({quiet['by']}): no run was started, "
            f"nothing changed since run {quiet['published_run']}.",
            soft_wrap=True,
        )
        shown = runs.get(quiet["published_run"])
        if shown is not None:
            console.print(
                f"Showing {shown.describe()}, whose marts data/marts/ holds.", soft_wrap=True
            )
        if latest is not None and latest.run_id != quiet["published_run"]:
            outcome = "failed" if not latest.success else "published nothing new"
            console.print(
                f"A later {latest.describe()} {outcome}; the night after it found nothing to "
                "rebuild (its files are gone or back as before), so its report no longer "
                "applies.",
                soft_wrap=True,
            )
    elif latest is not None:
        if not latest.success:
            outcome = "[bold red]failed[/]: nothing was published, data/marts/ still holds " + (
                f"run {published_run}'s marts" if published_run else "no marts"
            )
        elif latest.run_id == published_run:
            outcome = "published the marts data/marts/ holds"
        else:
            outcome = (
                f"published nothing new: nothing changed since run {published_run}, whose "
                "marts data/marts/ still holds"
            )
        console.print(f"Latest night: {latest.describe()} {outcome}.", soft_wrap=True)
    if shown is None:
        return _print_check_results_only(paths)

    checks = shown.get_asset_check_evaluations()
    reused = sum(1 for c in checks if "reused_from_run" in c.metadata)
    console.print(
        f"{checks_line(checks)}."
        + (f" {reused} not re-run: their tables are unchanged." if reused else ""),
        soft_wrap=True,
    )
    if not shown.success:
        console.print(failure_report(shown), markup=False, soft_wrap=True)
    _print_held_back_and_files(paths)
    return 0 if shown.success else 1


def _print_check_results_only(paths: Paths) -> int:
    """When Dagster's run history (DAGSTER_HOME) holds no nightly run: the latest run of
    meta.check_results, its checks counted in the same unit (one per GE suite or dbt test)."""
    import duckdb

    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        try:
            latest = con.execute(
                "select run_id, max(checked_at) from meta.check_results "
                "group by run_id order by 2 desc limit 1"
            ).fetchone()
        except duckdb.Error:
            latest = None
        if latest is None:
            console.print("No checks have run yet: run `make run` first.")
            return 2
        run_id, checked_at = latest
        from orchestration.quality.holdback import held_back_files

        held = [h.file for h in held_back_files(con)]
        # A failed per-file finding of a held-back file does not fail its check (DESIGN §4).
        checks = con.execute(
            "select check_name, bool_and(success or coalesce(list_contains(?, file), false)) "
            "from meta.check_results where run_id = ? group by check_name order by check_name",
            [held, run_id],
        ).fetchall()
    failed = [name for name, ok in checks if not ok]
    console.print(
        f"Dagster's run history ({_dagster_home()}) holds no nightly run; from "
        f"meta.check_results, run {run_id} ({checked_at:%Y-%m-%d %H:%M} UTC): "
        f"checks passed: {len(checks) - len(failed)} of {len(checks)} "
        "(one per dbt test and one per GE suite; raw gates not re-run are not there).",
        soft_wrap=True,
    )
    for name in failed:
        console.print(f"- [bold red]{name}[/] failed (details: meta.check_results).")
    _print_held_back_and_files(paths)
    return 1 if failed else 0


def _dagster_home() -> Path:
    """Where `tepat run` keeps Dagster's run history (orchestration/night.py)."""
    import os

    from orchestration.paths import PROJECT_ROOT

    return Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster").resolve()


def _print_held_back_and_files(paths: Paths) -> None:
    import duckdb

    from orchestration.quality.holdback import held_back_files

    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        held = held_back_files(con)
        try:
            files = con.execute(
                "select file_sumber, jumlah_baris, baris_diterima, baris_dikarantina, "
                "persen_dikarantina, ambang_persen, is_melebihi_ambang, rincian_alasan "
                "from quarantine.quarantine_files order by baris_dikarantina desc, file_sumber"
            ).fetchall()
        except duckdb.Error:
            files = []
    held_files = {h.file for h in held}
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
    console.print(
        "Rows per file of the warehouse's last build, accepted and quarantined "
        "(details: quarantine.quarantine_rows):"
    )
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


def step_in_words(step_key: str) -> str:
    """What a step of the nightly job does, for an operator (its key is for engineers)."""
    if step_key == "tepat_dbt_models":
        return "rebuilding the warehouse (dbt)"
    if step_key.startswith("publish__"):
        return "publishing the marts"
    if step_key == RAW_GATES_STEP:
        return "checking the raw tables (quality gates)"
    if step_key == MART_GATES_STEP:
        return "checking the marts (quality gates)"
    table = step_key.replace("__", ".", 1)
    return f"loading {table}" if step_key.startswith("raw__") else f"the step {step_key}"
