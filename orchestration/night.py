"""One nightly run in this process: the Dagster home, the run itself (holding the night's
lock), what dead runs left, and what a failed step met (used by `tepat run`, `tepat rebuild`,
the tests and the bench)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
from pathlib import Path

from orchestration.night_report import console, step_in_words
from orchestration.paths import PROJECT_ROOT, Paths
from orchestration.progress import StepProgress, is_gate_step

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
    last publication (orchestration/fingerprints.py); otherwise such a run loads nothing and
    leaves data/marts/ as it is.

    Dagster's log lines go to the run log (`run_log_path`: data/logs/), which holds the
    run's event-log messages and nothing else. With `progress` (`tepat run`), the terminal
    shows the stages of the night instead (orchestration/progress.py) and none of Dagster's
    lines; without it (tests, the bench) they are also printed on the console, as before.

    The run holds the run lock of the data folder (orchestration/runlock.py; RunInProgress
    when another run does) and first settles what dead runs left: runs still marked
    STARTED, slots of the duckdb_writer pool they held, unpublished releases.
    """
    import uuid

    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.fingerprints import FORCE_TAG
    from orchestration.resources import QUIET_DBT_TAG
    from orchestration.runlock import night_lock
    from orchestration.schedules import NIGHTLY_JOB_NAME

    definitions = build_definitions(paths)
    run_log_file = _make_run_log_file()
    job = definitions.resolve_job_def(NIGHTLY_JOB_NAME)
    run_id = run_id or str(uuid.uuid4())
    log_path = run_log_path(paths, run_id)
    loggers: dict = {}
    logger_config: dict = {}
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        loggers["run_log"] = run_log_file
        logger_config["run_log"] = {"config": {"path": str(log_path)}}
    except OSError:  # a full disk or a read-only data folder: the event log still has it all
        pass
    if not progress:  # tests and the bench: Dagster's lines on the console too, as before
        loggers["console"] = dg.colored_console_logger
        logger_config["console"] = {"config": {"log_level": "INFO"}}
    elif not loggers:  # no run log: still none of Dagster's lines on the terminal (with no
        # logger at all, Dagster would fall back to its console logger at DEBUG)
        loggers["console"] = dg.colored_console_logger
        logger_config["console"] = {"config": {"log_level": "CRITICAL"}}
    job = job.with_logger_defs(loggers)
    with (
        night_lock(paths.data_dir, run_id, f"`{launched_by}`"),
        dg.DagsterInstance.get() as instance,
    ):
        settle_before_run(paths, run_id)  # re-enters the lock taken above
        steps = [node.name for node in job.graph.nodes]
        watcher = StepProgress(instance, run_id, steps) if progress else None
        if watcher:
            watcher.start()
        try:
            return job.execute_in_process(
                instance=instance,
                raise_on_error=False,
                run_id=run_id,
                tags={
                    "launched_by": launched_by,
                    **({FORCE_TAG: "true"} if force else {}),
                    **({QUIET_DBT_TAG: "true"} if progress else {}),
                },
                run_config={"loggers": logger_config},
            )
        finally:
            _close_run_log(log_path)
            if watcher:
                watcher.stop()


RUN_LOG_DIR = "logs"
#: Run logs kept in data/logs/ (the oldest beyond these are deleted as a new one starts).
RUN_LOGS_KEPT = 90
_RUN_LOG_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"
_open_run_logs: dict[str, logging.Handler] = {}


def run_log_path(paths: Paths, run_id: str, now: dt.datetime | None = None) -> Path:
    """data/logs/<YYYYmmddTHHMMSS>-<run id's first 8 characters>.log, the time in UTC."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S")
    return paths.data_dir / RUN_LOG_DIR / f"{stamp}-{run_id[:8]}.log"


def run_log_of(paths: Paths, run_id: str) -> Path | None:
    """The run log of a run of this data folder, if it has one."""
    found = sorted((paths.data_dir / RUN_LOG_DIR).glob(f"*-{run_id[:8]}.log"))
    return found[-1] if found else None


def prune_run_logs(folder: Path, keep: int = RUN_LOGS_KEPT) -> list[Path]:
    """Delete the oldest run logs beyond `keep` (names sort by time); returns those deleted."""
    logs = sorted(folder.glob("*-*.log"))
    old = logs[: max(len(logs) - keep, 0)]
    for path in old:
        path.unlink(missing_ok=True)
    return old


class _RunLogHandler(logging.FileHandler):
    """A file handler that stays quiet when it cannot write (a full disk): the run log is a
    copy of the run's event log, and logging's own error report would print a traceback
    where the operator expects the plain words of orchestration/diskspace.py."""

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(OSError):  # opening the file (delay=True) on a full disk
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        pass


class _MaskingFormatter(logging.Formatter):
    """The console format, with NIK/KK-like values masked (DESIGN §5): a backstop, as the
    messages are masked where they are made (orchestration/privacy.py)."""

    def format(self, record: logging.LogRecord) -> str:
        from orchestration.privacy import mask_text

        return mask_text(super().format(record))


def _run_log_logger(init_context) -> logging.Logger:
    """Dagster's log lines of one run, in the console logger's format, into a file."""
    path = init_context.logger_config["path"]
    handler = _RunLogHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(_MaskingFormatter(_RUN_LOG_FORMAT, "%Y-%m-%d %H:%M:%S %z"))
    _open_run_logs[path] = handler
    logger = logging.Logger("dagster", level=logging.DEBUG)
    logger.addHandler(handler)
    return logger


def _close_run_log(path: Path) -> None:
    handler = _open_run_logs.pop(str(path), None)
    if handler is not None:
        with contextlib.suppress(OSError):
            handler.close()
    with contextlib.suppress(OSError):
        prune_run_logs(path.parent)


def _make_run_log_file():
    import dagster as dg

    return dg.logger(
        {"path": dg.Field(str, description="The run log file (data/logs/…).")},
        description="Dagster's log lines of the run, into data/logs/ (not the terminal).",
    )(_run_log_logger)


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
    for event in sorted(failures, key=lambda event: is_gate_step(event.step_key)):
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
