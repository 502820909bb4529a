"""`tepat`: run the nightly job, make demo data, open the Dagster UI."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from orchestration import verval
from orchestration.export.cli import export_app
from orchestration.night import (
    ensure_dagster_home,
    execute_nightly,
    settle_before_run,
    storage_problem_of,
)
from orchestration.night_report import console, print_check, print_summary, print_unchanged
from orchestration.paths import Paths


def _show_flags_as_flags() -> None:
    """typer's rich help prints a type after flags (`--force <bool>`, `--help <bool>`), as if
    they took a value; its plain help does not. Show a flag as a flag, everywhere in `tepat`."""
    from typer.core import TyperOption

    original = TyperOption.display_type_rich
    if getattr(original, "flags_as_flags", False):
        return

    def display_type_rich(self, ctx):
        return None if self.is_flag or self.count else original(self, ctx)

    display_type_rich.flags_as_flags = True
    TyperOption.display_type_rich = display_type_rich


_show_flags_as_flags()
app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
app.add_typer(
    export_app,
    name="export",
    help="Planners' workbooks and CSV files (RPJMD progress, programme coverage) from the "
    "published marts.",
)

DEFAULT_DEMO_HOUSEHOLDS = 20_000


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
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help='Where dbt builds the models: duckdb (default) or spark (README "Scaling '
            "out\"; needs pip install -e '.[spark]'). Default: $TEPAT_ENGINE, else duckdb.",
            metavar="duckdb|spark",
        ),
    ] = "",
    spark_master: Annotated[
        str,
        typer.Option(
            "--spark-master",
            help="With --engine spark: local[*] (default, Spark in this process) or a "
            "cluster's master URL, spark://host:7077. Default: $TEPAT_SPARK_MASTER.",
            metavar="URL",
        ),
    ] = "",
) -> None:
    """Run the nightly job once (the job the schedule runs) and summarise the results."""
    import uuid

    from orchestration.runlock import RunInProgress, night_lock

    _choose_engine(engine, spark_master)

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


def _choose_engine(engine: str, spark_master: str) -> None:
    """--engine and --spark-master into the environment the night's settings read
    (orchestration/engines.py), checked first: a wrong name or a missing extra is said in
    plain words before anything runs."""
    from orchestration import engines

    if engine:
        os.environ[engines.ENGINE_VARIABLE] = engine
    if spark_master:
        os.environ["TEPAT_SPARK_MASTER"] = spark_master
    try:
        chosen = engines.engine_from_env()
        if chosen == "spark":
            engines.check_spark_installed()
    except engines.EngineError as error:
        console.print(f"[bold red]Not started[/]: {error}", soft_wrap=True)
        raise typer.Exit(code=2) from None


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

    from orchestration.fingerprints import unchanged_publication

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
    print_run_log(paths, result.run_id)
    if not result.success:
        raise typer.Exit(code=1)


def print_run_log(paths: Paths, run_id: str) -> None:
    """Where Dagster's own lines of the run went (they are kept off the terminal)."""
    from orchestration.night import run_log_of

    log = run_log_of(paths, run_id)
    if log:
        console.print(
            f"Run log:    {log}  (Dagster's lines of run {run_id[:8]})",
            soft_wrap=True,
            highlight=False,
        )


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
            print_run_log(paths, result.run_id)
    except RunInProgress as error:
        console.print(f"[bold yellow]Not started[/]: {error}", soft_wrap=True)
        raise typer.Exit(code=RUN_IN_PROGRESS_EXIT) from None
    if not result.success:
        storage = storage_problem_of(result, paths)
        if storage:
            console.print(f"[bold red]What stopped the rebuild[/]: {storage}", soft_wrap=True)
        raise typer.Exit(code=1)
    console.print("[bold green]Rebuilt[/]: the warehouse was built again from data/raw/.")


@app.command()
def check() -> None:
    """The latest run's checks in plain words, and per file the rows accepted and quarantined."""
    code = print_check(Paths.from_env())
    if code:
        raise typer.Exit(code=code)


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
    from orchestration.engines import engine_from_env, spark_location, spark_variables

    # The schedule's and the sensor's nights read TEPAT_ENGINE as `tepat run` does: a wrong
    # name or a missing extra is said now, not at 02:00.
    _choose_engine("", "")
    ensure_dagster_home()
    from orchestration.definitions import prepare_dbt

    prepare_dbt(Paths.from_env())
    # The UI has no login: it listens on this machine only unless TEPAT_UI_HOST says
    # otherwise; expose it behind a reverse proxy with authentication (README).
    host = os.environ.get("TEPAT_UI_HOST", "127.0.0.1")
    port = os.environ.get("TEPAT_UI_PORT", "3000")
    console.print(f"Dagster UI: http://{host}:{port} (this machine only; README: Dagster UI)")
    if engine_from_env() == "spark":
        console.print(f"Nights build on Spark ({spark_location(spark_variables())}).")
    # `dg dev`, not `dagster dev`, which Dagster 1.13 marks superseded (it warns on start);
    # given a module, dg starts the same webserver and daemon.
    dg = Path(sys.executable).parent / "dg"
    os.execv(
        str(dg),
        [str(dg), "dev", "-m", "orchestration.definitions", "--host", host, "--port", port],
    )


verval.register(app)  # tepat verval, tepat audit (orchestration/verval)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
