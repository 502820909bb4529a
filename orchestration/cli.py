"""`tepat`: run the nightly job, make demo data, open the Dagster UI."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from orchestration import verval
from orchestration.export.cli import export_app
from orchestration.paths import PROJECT_ROOT, Paths

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
app.add_typer(export_app, name="export")
console = Console()

DEFAULT_DEMO_HOUSEHOLDS = 20_000
DAGSTER_YAML = """\
# Written by tepat. Local instance for `tepat run` and `make dev`.
telemetry:
  enabled: false
concurrency:
  pools:
    # One writer at a time on the DuckDB warehouse (pool "duckdb_writer").
    default_limit: 1
"""


def ensure_dagster_home() -> Path:
    """DAGSTER_HOME (default .dagster/ in the project) with our dagster.yaml."""
    home = Path(os.environ.get("DAGSTER_HOME", PROJECT_ROOT / ".dagster")).resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def is_empty(raw_dir: Path) -> bool:
    return not any(p.is_file() and not p.name.startswith(".") for p in raw_dir.rglob("*"))


@app.command("demo-data")
def demo_data(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the raw files into.")],
    households: Annotated[int, typer.Option("--households", min=1)] = DEFAULT_DEMO_HOUSEHOLDS,
    seed: Annotated[int, typer.Option("--seed")] = 42,
    truth: Annotated[
        Path | None,
        typer.Option("--truth", help="Ground-truth JSON (outside --out). Default: beside --out."),
    ] = None,
) -> None:
    """Write every raw file of DESIGN §2 for the nine demo regions, plus the ground truth."""
    from orchestration.demo.generator import generate

    out = out.resolve()
    truth_path = (truth or out.parent / f"{out.name}_ground_truth.json").resolve()
    started = time.perf_counter()
    generate(out, households=households, seed=seed, truth_path=truth_path)
    console.print(
        f"Demo data: {households:,} households (seed {seed}) in {out} "
        f"({time.perf_counter() - started:.1f} s). Ground truth: {truth_path}"
    )


@app.command()
def prepare() -> None:
    """Parse the dbt project (writes the manifest Dagster builds its assets from)."""
    from orchestration.definitions import prepare_dbt

    prepare_dbt(Paths.from_env())


@app.command()
def run(
    demo_households: Annotated[
        int, typer.Option(help="Demo size when data/raw/ is empty.")
    ] = DEFAULT_DEMO_HOUSEHOLDS,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Rebuild and publish even when nothing changed since the last publication.",
        ),
    ] = False,
    wait: Annotated[
        int,
        typer.Option(
            "--wait",
            help="When another run is in progress, wait up to this many minutes for it to "
            "end (default: say so and stop).",
            min=0,
        ),
    ] = 0,
) -> None:
    """Run the nightly job once (the job the schedule runs) and summarise the results."""
    import uuid

    from orchestration.runlock import RunInProgress, night_lock

    verval.ensure_pseudonym_key()  # the HMAC secret, outside the repository (docs/privacy.md)
    paths = Paths.from_env()
    ensure_dagster_home()
    paths.raw_dir.mkdir(parents=True, exist_ok=True)
    run_id = str(uuid.uuid4())
    try:
        # One night at a time (orchestration/runlock.py), from the first look at the
        # warehouse on: never DuckDB's own lock error, never two writers.
        with night_lock(paths.data_dir, run_id, "`tepat run`", wait_seconds=wait * 60):
            _run_locked(paths, run_id, demo_households, force)
    except RunInProgress as error:
        console.print(f"[bold yellow]Not started[/]: {error}", soft_wrap=True)
        raise typer.Exit(code=RUN_IN_PROGRESS_EXIT) from None


#: Exit status of `tepat run` / `tepat rebuild` when another run holds the run lock.
RUN_IN_PROGRESS_EXIT = 3
#: Exit status when the warehouse file is damaged (what to do: `tepat rebuild`).
WAREHOUSE_DAMAGED_EXIT = 4


def _run_locked(paths: Paths, run_id: str, demo_households: int, force: bool) -> None:
    from orchestration.warehouse_health import damaged_warehouse_message

    if is_empty(paths.raw_dir):
        console.print(
            f"[bold]data/raw/ is empty[/]: writing demo data ({demo_households:,} households)…"
        )
        demo_data(out=paths.raw_dir, households=demo_households, seed=42, truth=None)

    settle_before_run(paths, run_id)
    damage = damaged_warehouse_message(paths)
    if damage:
        console.print(f"[bold red]Not started[/]: {damage}", soft_wrap=True)
        raise typer.Exit(code=WAREHOUSE_DAMAGED_EXIT)

    from orchestration.freshness import unchanged_publication

    started = time.perf_counter()
    published = None if force else unchanged_publication(paths)
    if published:
        # The schedule skips such a night the same way (orchestration/schedules.py).
        print_unchanged(paths, time.perf_counter() - started, launched=False)
        return

    from orchestration.definitions import prepare_dbt

    prepare_dbt(paths)
    started = time.perf_counter()
    result = execute_nightly(paths, progress=True, force=force, run_id=run_id)
    elapsed = time.perf_counter() - started
    print_summary(paths, result, elapsed)
    if not result.success:
        storage = storage_problem_of(result, paths)
        if storage:  # also when a step other than ours met it (a check writing its result)
            console.print(f"[bold red]What stopped the run[/]: {storage}", soft_wrap=True)
        raise typer.Exit(code=1)


def storage_problem_of(result, paths: Paths) -> str | None:
    """The plain message when a failed run met a full disk or a damaged warehouse file in
    any of its steps (orchestration/diskspace.py), else None."""
    from orchestration.diskspace import is_plain_storage_message, storage_problem

    failures = [event for event in result.all_events if event.is_step_failure]
    # A step's own failure first (loading, dbt, publishing), then the checks that followed.
    for event in sorted(failures, key=lambda event: "_ge_" in (event.step_key or "")):
        data = event.step_failure_data
        texts = [data.user_failure_data.description] if data.user_failure_data else []
        if texts and is_plain_storage_message(texts[0]):
            return texts[0]  # the step said it plainly already (raw assets, dbt, publish)
        error = data.error
        while error is not None:
            texts.append(error.message)
            error = error.cause or error.context
        for text in texts:
            message = storage_problem(
                text or "", paths.warehouse, paths.raw_dir, step_in_words(event.step_key)
            )
            if message:
                return message
    return None


def step_in_words(step_key: str) -> str:
    """What a step of the nightly job does, for an operator (its key is for engineers)."""
    if step_key == "tepat_dbt_models":
        return "rebuilding the warehouse (dbt)"
    if step_key.startswith("publish__"):
        return "publishing the marts"
    asset, _, check = step_key.partition("_ge_")
    table = asset.replace("__", ".", 1)
    if check:
        return f"checking {table} (quality checks)"
    return f"loading {table}" if asset.startswith("raw__") else f"the step {step_key}"


@app.command()
def rebuild() -> None:
    """Rebuild the warehouse from data/raw/ when its file is damaged: the old file is moved
    aside (kept, never deleted), every raw file is loaded again and the marts are published."""
    import uuid

    from orchestration.rebuild import move_aside, restore_publications
    from orchestration.runlock import RunInProgress, night_lock

    verval.ensure_pseudonym_key()
    paths = Paths.from_env()
    ensure_dagster_home()
    if is_empty(paths.raw_dir):
        console.print(
            f"Nothing to rebuild from: {paths.raw_dir} holds no files. The warehouse is built "
            "from the files under data/raw/; put them back first (from your backup)."
        )
        raise typer.Exit(code=2)
    run_id = str(uuid.uuid4())
    try:
        with night_lock(paths.data_dir, run_id, "`tepat rebuild`"):
            settle_before_run(paths, run_id)
            for moved in move_aside(paths):
                console.print(f"Moved the old warehouse file aside: {moved} (kept; delete it "
                              "yourself once the rebuilt warehouse serves you well).",
                              soft_wrap=True)  # fmt: skip
            restored = restore_publications(paths)
            if restored:
                console.print(f"Restored the history of {restored} publication(s) from "
                              "data/.marts_releases/*/release.json.")  # fmt: skip
            from orchestration.definitions import prepare_dbt

            prepare_dbt(paths)
            started = time.perf_counter()
            result = execute_nightly(
                paths, progress=True, force=True, run_id=run_id, launched_by="tepat rebuild"
            )
            print_summary(paths, result, time.perf_counter() - started)
    except RunInProgress as error:
        console.print(f"[bold yellow]Not started[/]: {error}", soft_wrap=True)
        raise typer.Exit(code=RUN_IN_PROGRESS_EXIT) from None
    if not result.success:
        storage = storage_problem_of(result, paths)
        if storage:
            console.print(f"[bold red]What stopped the rebuild[/]: {storage}", soft_wrap=True)
        raise typer.Exit(code=1)
    console.print("[bold green]Rebuilt[/]: the warehouse was built again from data/raw/.")


def settle_before_run(paths: Paths, run_id: str) -> None:
    """Holding the run lock: settle what dead runs left (orchestration/runlock.py), also on a
    night that then finds nothing to do, and say what was settled."""
    import dagster as dg

    from orchestration.resources import TepatSettings, settle_dead_runs
    from orchestration.runlock import night_lock

    with (
        night_lock(paths.data_dir, run_id, "`tepat run`") as acquired,
        dg.DagsterInstance.get() as instance,
    ):
        for note in settle_dead_runs(instance, TepatSettings.from_paths(paths), run_id, acquired):
            console.print(f"[yellow]Before this run[/]: {note}", soft_wrap=True)


def execute_nightly(
    paths: Paths,
    progress: bool = False,
    force: bool = False,
    run_id: str | None = None,
    launched_by: str = "tepat run",
):
    """Execute `nightly_refresh` in this process against the persistent Dagster instance.

    With `force`, the warehouse is rebuilt and published even when nothing changed since the
    last publication (orchestration/freshness.py); otherwise such a run loads nothing and
    leaves data/marts/ as it is.

    With `progress`, a progress bar shows which steps run and how many are done, and the
    console log keeps to warnings (every message is still in the run's event log: make dev).

    The run holds the run lock of the data folder (orchestration/runlock.py; RunInProgress
    when another run does) and first settles what dead runs left: runs still marked
    STARTED, slots of the duckdb_writer pool they held, unpublished releases.
    """
    import uuid

    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.freshness import FORCE_TAG
    from orchestration.runlock import night_lock
    from orchestration.schedules import NIGHTLY_JOB_NAME

    definitions = build_definitions(paths)
    job = definitions.resolve_job_def(NIGHTLY_JOB_NAME)
    run_id = run_id or str(uuid.uuid4())
    level = "WARNING" if progress else "INFO"
    echo = os.environ.get("TEPAT_DBT_ECHO")
    if progress:
        os.environ["TEPAT_DBT_ECHO"] = "0"
    with (
        night_lock(paths.data_dir, run_id, f"`{launched_by}`"),
        dg.DagsterInstance.get() as instance,
    ):
        settle_before_run(paths, run_id)  # re-enters the lock taken above
        watcher = StepProgress(instance, run_id, total=len(job.graph.nodes)) if progress else None
        if watcher:
            watcher.start()
        try:
            return job.execute_in_process(
                instance=instance,
                raise_on_error=False,
                run_id=run_id,
                tags={"launched_by": launched_by, **({FORCE_TAG: "true"} if force else {})},
                run_config={"loggers": {"console": {"config": {"log_level": level}}}},
            )
        finally:
            if watcher:
                watcher.stop()
            if progress:
                os.environ.pop("TEPAT_DBT_ECHO", None)
                if echo is not None:
                    os.environ["TEPAT_DBT_ECHO"] = echo


class StepProgress:
    """A progress bar fed by the run's event log: steps done of all, and which are running."""

    def __init__(self, instance, run_id: str, total: int) -> None:
        import threading

        self.instance, self.run_id, self.total = instance, run_id, total
        # Bound now: the dbt step redirects sys.stdout while it runs (TEPAT_DBT_ECHO=0).
        self.console = Console(file=sys.stdout)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _watch(self) -> None:
        from dagster import DagsterEventType
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        kinds = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS,
                 DagsterEventType.STEP_FAILURE, DagsterEventType.STEP_SKIPPED}  # fmt: skip
        running: dict[str, None] = {}
        cursor = None
        with Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=self.console, transient=True,
        ) as bar:  # fmt: skip
            task = bar.add_task("nightly_refresh: starting", total=self.total)
            while not self._stop.wait(0.5):
                try:
                    page = self.instance.get_records_for_run(
                        self.run_id, cursor=cursor, of_type=kinds
                    )
                except Exception:  # the run is not stored yet, or the store is busy
                    continue
                cursor = page.cursor
                for record in page.records:
                    event = record.event_log_entry.dagster_event
                    step = event.step_key or "?"
                    if event.event_type == DagsterEventType.STEP_START:
                        running[step] = None
                        continue
                    running.pop(step, None)
                    bar.advance(task)
                    if event.event_type == DagsterEventType.STEP_FAILURE:
                        self.console.print(f"[red]✗[/] {step} failed")
                now = ", ".join(list(running)[:2]) or "…"
                bar.update(task, description=f"nightly_refresh: {now}")


def print_summary(paths: Paths, result, elapsed: float) -> None:
    import pyarrow.parquet as pq

    checks = result.get_asset_check_evaluations()
    passed = sum(1 for c in checks if c.passed)
    if not result.success:
        console.print(
            f"[bold red]The nightly run failed[/] after {elapsed:.0f} s (run {result.run_id})."
        )
        console.print(failure_report(result), markup=False, soft_wrap=True)
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


def failure_report(result) -> str:
    """Plain words for a failed run: the failed checks' own reports, then failed steps."""
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
            lines.append(data.user_failure_data.description)
        elif data.error and "blocking" not in data.error.message.lower():
            lines.append(f"Step {event.step_key} failed: {data.error.message.strip()}")
    lines.append("Nothing was published: data/marts/ still holds the last good marts.")
    return "\n".join(dict.fromkeys(line.strip() for line in lines if line.strip()))


@app.command()
def check() -> None:
    """The latest run's checks in plain words, and per file the rows accepted and quarantined."""
    import duckdb

    paths = Paths.from_env()
    if not paths.warehouse.exists():
        console.print(f"No warehouse at {paths.warehouse} yet: run `make run` first.")
        raise typer.Exit(code=2)
    try:
        con = duckdb.connect(str(paths.warehouse), read_only=True)
    except duckdb.Error:
        console.print("The nightly job is writing the warehouse right now; try again when it ends.")
        raise typer.Exit(code=2) from None
    with con:
        latest = con.execute(
            "select run_id, max(checked_at) from meta.check_results "
            "group by run_id order by 2 desc limit 1"
        ).fetchone()
        if latest is None:
            console.print("No checks have run yet: run `make run` first.")
            raise typer.Exit(code=2)
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
    if counts[1]:
        raise typer.Exit(code=1)


@app.command()
def docs() -> None:
    """Build the dbt docs site and the GE Data Docs into data/docs/ (open its index.html)."""
    from orchestration.docs import DocsError, DocsNotReady, build_docs

    try:
        sites = build_docs(Paths.from_env())
    except DocsError as error:
        console.print(str(error), markup=False, soft_wrap=True)
        raise typer.Exit(code=2 if isinstance(error, DocsNotReady) else 1) from None
    console.print(f"dbt docs ({len(sites.marts)} marts): {sites.dbt}", soft_wrap=True)
    if sites.quality:
        console.print(f"Great Expectations Data Docs: {sites.quality}", soft_wrap=True)
    else:
        console.print("No Great Expectations results yet: they are written by `make run`.")
    console.print(f"Open {sites.root / 'index.html'} in a browser.", soft_wrap=True)


@app.command()
def dev() -> None:
    """Dagster UI with the daemon (nightly schedule and new-file sensor live)."""
    ensure_dagster_home()
    from orchestration.definitions import prepare_dbt

    prepare_dbt(Paths.from_env())
    # The UI has no login: it listens on this machine only unless TEPAT_UI_HOST says
    # otherwise; expose it behind a reverse proxy with authentication (README).
    host = os.environ.get("TEPAT_UI_HOST", "127.0.0.1")
    port = os.environ.get("TEPAT_UI_PORT", "3000")
    console.print(f"Dagster UI: http://{host}:{port} (this machine only; README: Dagster UI)")
    dagster = Path(sys.executable).parent / "dagster"
    os.execv(
        str(dagster),
        [str(dagster), "dev", "-m", "orchestration.definitions", "--host", host, "--port", port],
    )


verval.register(app)  # tepat verval, tepat audit (orchestration/verval)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
