"""A nightly run that loses power at a chosen point: run as a script in its own session.

    python tests/faults/power_cut.py <point> cli run --force      # `tepat run --force`
    python tests/faults/power_cut.py <point> schedule             # as the schedule's run

<point> is where the power goes (SIGKILL to the whole process group: this process and
every child it started, dbt included, as a power cut or `kill -9` of the session does):
- `load:<table>:<n>` — inside loading the n-th file of raw.<table>, after its rows were
  inserted and before its transaction commits;
- `switch` — after the new release of the marts was written whole, before data/marts is
  switched to it;
- `none` — no kill from inside (the test kills from outside, e.g. during the dbt step).

`schedule` executes the nightly job the way Dagster's run launcher does for the schedule:
the run is created in the instance (tagged with the schedule's name) and executed by
`core_execute_run`, the function the run worker process of the default run launcher runs.
"""

from __future__ import annotations

import os
import signal
import sys


def power_cut() -> None:
    sys.stdout.flush()
    os.killpg(os.getpgrp(), signal.SIGKILL)


def note(**what) -> None:
    """Tell the test where the power went (the file $POWER_CUT_NOTE, JSON)."""
    import json
    from pathlib import Path

    Path(os.environ["POWER_CUT_NOTE"]).write_text(json.dumps(what))


def arm(point: str) -> None:
    if point == "none":
        return
    if point == "switch":
        from orchestration.assets import publish

        def cut_before_switch(marts_dir, release):
            assert (release / publish.RELEASE_FILE).is_file()  # the release is whole
            note(release=release.name)
            power_cut()

        publish.switch_to = cut_before_switch
        return
    kind, table, nth = point.split(":")
    assert kind == "load"
    from orchestration.ingest import loader

    original = loader._load_file
    calls = {"n": 0}

    def cut_inside_load(con, source, raw_dir, path, *args, **kwargs):
        rows = original(con, source, raw_dir, path, *args, **kwargs)
        if source.table == table:
            calls["n"] += 1
            if calls["n"] == int(nth):
                inserted = con.execute(
                    f"select count(*) from raw.{table} where _source_file = ?",
                    [path.relative_to(raw_dir).as_posix()],
                ).fetchone()[0]
                note(file=path.relative_to(raw_dir).as_posix(), inserted=inserted)
                power_cut()
        return rows

    loader._load_file = cut_inside_load


def run_as_schedule() -> int:
    import dagster as dg
    from dagster._core.definitions.reconstruct import ReconstructableRepository
    from dagster._grpc.impl import core_execute_run

    from orchestration.definitions import prepare_dbt
    from orchestration.night import ensure_dagster_home
    from orchestration.paths import Paths

    ensure_dagster_home()
    prepare_dbt(Paths.from_env())
    repo = ReconstructableRepository.for_module("orchestration.definitions", "defs", os.getcwd())
    job = repo.get_reconstructable_job("nightly_refresh")
    with dg.DagsterInstance.get() as instance:
        run = instance.create_run_for_job(
            job_def=job.get_definition(),
            job_code_origin=job.get_python_origin(),
            tags={"dagster/schedule_name": "nightly_refresh_schedule", "tepat/force": "true"},
        )
        print(f"RUN {run.run_id}", flush=True)
        if os.environ.get("POWER_CUT_NOTE"):
            note(run_id=run.run_id)
        for _ in core_execute_run(job, run, instance, inject_env_vars=False):
            pass
        status = instance.get_run_by_id(run.run_id).status
    print(f"STATUS {status.value}", flush=True)
    return 0 if status == dg.DagsterRunStatus.SUCCESS else 1


def main() -> int:
    point, how, *args = sys.argv[1:]
    arm(point)
    if how == "schedule":
        return run_as_schedule()
    from orchestration.cli import app

    try:
        app(args)
    except SystemExit as exit_:
        return exit_.code or 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
