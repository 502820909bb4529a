"""The nightly job, its schedule, and the sensor that reacts to new raw files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg

from orchestration.paths import Paths

NIGHTLY_JOB_NAME = "nightly_refresh"

nightly_refresh = dg.define_asset_job(
    NIGHTLY_JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Load data/raw/, build every dbt model with its tests, publish data/marts/.",
    # Steps share one DuckDB file and run one after another anyway; one process avoids
    # re-importing the code location for every step, and `tepat run` runs exactly this.
    executor_def=dg.in_process_executor,
)


def build_nightly_schedule(cron: str, timezone: str) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"{NIGHTLY_JOB_NAME}_schedule",
        job=nightly_refresh,
        cron_schedule=cron,
        execution_timezone=timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Nightly refresh; set TEPAT_NIGHTLY_CRON and TEPAT_TIMEZONE to move it. "
        "Skips the night when nothing changed since the publication data/marts/ holds.",
    )
    def _nightly(context: dg.ScheduleEvaluationContext):
        return nightly_request(Paths.from_env())

    return _nightly


def nightly_request(paths: Paths) -> dg.RunRequest | dg.SkipReason:
    """A run, unless a run now would rebuild nothing (orchestration/fingerprints.py), as
    `tepat run` decides. A run launched anyway (from the UI) skips the same work inside."""
    from orchestration.fingerprints import unchanged_publication
    from orchestration.ingest.sources import unread_files

    running = run_in_progress(paths)
    if running:
        return running
    published = unchanged_publication(paths)
    if published:
        from orchestration.fingerprints import record_quiet_night

        record_quiet_night(paths, by="the nightly schedule")  # `tepat check` reads it
        unread = unread_files(paths.raw_dir)
        listing = "".join(
            f"\n- data/raw/{f.path}: {f.reason}. What to do: {f.what_to_do}." for f in unread
        )
        return dg.SkipReason(
            f"Nothing changed since run {published.run_id} (published "
            f"{published.published_at} UTC as {published.release}): no raw file, model, "
            "check or library is new, and data/marts/ still holds that release."
            + (f"\nNot read: {len(unread)} file(s) under data/raw/:{listing}" if unread else "")
        )
    return dg.RunRequest()


def run_in_progress(paths: Paths) -> dg.SkipReason | None:
    """A SkipReason naming the run that holds the run lock (orchestration/runlock.py), if
    one does: the night is being refreshed already, and a second run would only wait."""
    from orchestration.runlock import holder_if_running

    holder = holder_if_running(paths.data_dir)
    if holder is None:
        return None
    return dg.SkipReason(
        f"A nightly run is in progress: {holder.describe()}. Not starting a second one; "
        "the next tick looks again."
    )


def raw_fingerprint(raw_dir: Path) -> str:
    """A digest of every file's path, size and modification time under data/raw/."""
    digest = hashlib.sha256()
    if raw_dir.is_dir():
        for path in sorted(p for p in raw_dir.rglob("*") if p.is_file()):
            if path.name.startswith((".", "~$")):
                continue
            stat = path.stat()
            digest.update(
                f"{path.relative_to(raw_dir)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode()
            )
    return digest.hexdigest()


@dg.sensor(
    name="new_raw_files_sensor",
    job=nightly_refresh,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts the nightly job when files under data/raw/ are added or changed.",
)
def new_raw_files_sensor(context: dg.SensorEvaluationContext):
    paths = Paths.from_env()
    running = run_in_progress(paths)
    if running:
        # The cursor stays: the files that changed are looked at again after that run.
        return running
    fingerprint = raw_fingerprint(paths.raw_dir)
    previous = context.cursor
    context.update_cursor(fingerprint)
    if previous is None:
        return dg.SkipReason(
            "First look at data/raw/: remembered its files; the schedule covers them."
        )
    if previous == fingerprint:
        return dg.SkipReason("No new or changed files under data/raw/.")
    return dg.RunRequest(run_key=fingerprint)
