"""One nightly run in this process: the Dagster home, the run itself (holding the night's
lock), what dead runs left, and what a failed step met (used by `tepat run`, `tepat rebuild`,
the tests and the bench)."""

from __future__ import annotations

import os
from pathlib import Path

from orchestration.night_report import console
from orchestration.paths import PROJECT_ROOT, Paths
from orchestration.progress import StepProgress

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
