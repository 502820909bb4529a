"""One measured phase of `make bench`, run in its own process by bench/run.py.

    python -m bench.worker <phase> <spec.json> <result.json>

Phases: `prepare` (dbt manifest, Dagster storage), `generate` (demo data), `pipeline` (the
nightly job, in process, exactly as `tepat run` runs it), `reference` (bench/reference.sql).
The spec and the result are JSON files; timestamps are time.time(), the clock the harness
samples on.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

STARTED = time.time()


def prepare(spec: dict[str, Any]) -> dict[str, Any]:
    """What `tepat run` does before the job, and what a deployment has before its first night:
    the dbt manifest (`dbt parse`), and DAGSTER_HOME's storage created."""
    import dagster as dg

    from orchestration.definitions import prepare_dbt
    from orchestration.night import ensure_dagster_home
    from orchestration.paths import Paths

    started = time.time()
    prepare_dbt(Paths.from_env())
    parsed = time.time()
    ensure_dagster_home()
    with dg.DagsterInstance.get():
        pass
    return {"windows": [("dbt_parse", started, parsed), ("dagster_home", parsed, time.time())]}


def generate(spec: dict[str, Any]) -> dict[str, Any]:
    from orchestration.demo.config import VOLUMES
    from orchestration.demo.generator import generate as write_demo_data

    started = time.time()
    write_demo_data(
        Path(spec["raw_dir"]),
        households=spec["households"],
        seed=spec["seed"],
        truth_path=Path(spec["truth_path"]),
        volume=VOLUMES[spec["volume"]],
    )
    return {"windows": [("generate", started, time.time())]}


def _stage_of_nodes(paths) -> dict[str, str]:
    """Dagster op name → bench stage, from the definitions the job is built from."""
    from orchestration.definitions import build_definitions

    definitions = build_definitions(paths)
    stages: dict[str, str] = {}
    for assets in definitions.assets or []:
        prefixes = {key.path[0] for key in assets.keys}
        if prefixes == {"raw"}:
            stage = "ingest"
        elif prefixes == {"publish"}:
            stage = "publish"
        else:
            stage = "dbt"
        stages[assets.node_def.name] = stage
    for checks in definitions.asset_checks or []:
        prefixes = {key.asset_key.path[0] for key in checks.check_keys}
        stages[checks.node_def.name] = "raw_gates" if prefixes == {"raw"} else "mart_gates"
    return stages


def _run_results(run_id: str) -> list[dict[str, Any]]:
    """dbt's run_results.json of this run's build (dagster-dbt's target folder), or []."""
    from orchestration.project import dbt_project

    target = Path(dbt_project.project_dir) / dbt_project.target_path
    found = sorted(target.glob(f"*-{run_id[:7]}-*/run_results.json"))
    if not found:
        return []
    return json.loads(found[-1].read_text()).get("results", [])


def _node_span(results: list[dict[str, Any]]) -> tuple[float, float] | None:
    """When dbt's first node started and its last finished (time.time() seconds)."""
    import datetime as dt

    stamps = [
        dt.datetime.fromisoformat(t[key].replace("Z", "+00:00")).timestamp()
        for r in results
        for t in r.get("timing") or ()
        for key in ("started_at", "completed_at")
        if t.get(key)
    ]
    return (min(stamps), max(stamps)) if stamps else None


def _dbt_nodes(results: list[dict[str, Any]], limit: int = 15) -> list[dict[str, Any]]:
    """The slowest dbt nodes of this run (models, tests), from dagster-dbt's run_results."""
    if not results:
        return []
    nodes = [
        {
            "node": r["unique_id"].split(".", 1)[0] + ":" + r["unique_id"].split(".", 2)[-1],
            "seconds": round(r.get("execution_time") or 0.0, 3),
            "status": r.get("status"),
        }
        for r in results
    ]
    nodes.sort(key=lambda n: -n["seconds"])
    total = sum(n["seconds"] for n in nodes)
    by_kind: dict[str, float] = {}
    for n in nodes:
        kind = n["node"].split(":", 1)[0]
        by_kind[kind] = by_kind.get(kind, 0.0) + n["seconds"]
    summary = [{"node": "(all nodes, summed over threads)", "seconds": round(total, 3)}]
    summary += [{"node": f"(all {k}s)", "seconds": round(v, 3)} for k, v in by_kind.items()]
    return summary + nodes[:limit]


def _raw_tables(warehouse: Path) -> dict[str, dict[str, int]]:
    import duckdb

    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(
                "select table_name, count(*), coalesce(sum(row_count), 0), "
                "coalesce(sum(size_bytes), 0) from meta.file_manifest "
                "where removed_at is null group by 1 order by 1"
            ).fetchall()
    except duckdb.Error:
        return {}
    return {t: {"files": f, "rows": r, "bytes": b} for t, f, r, b in rows}


def pipeline(spec: dict[str, Any]) -> dict[str, Any]:
    from orchestration.fingerprints import unchanged_publication
    from orchestration.night import ensure_dagster_home, execute_nightly
    from orchestration.night_report import failure_report
    from orchestration.paths import Paths

    imported = time.time()
    paths = Paths.from_env()
    ensure_dagster_home()
    started = time.time()
    # As `tepat run` and the nightly schedule: no run when a run would rebuild nothing.
    published = unchanged_publication(paths)
    checked = time.time()
    if published:
        return {
            "success": True,
            "launched": False,
            "run_id": None,
            "unchanged_since_run": published.run_id,
            "imported_at": imported,
            "job_started": started,
            "job_ended": checked,
            "steps": [],
            "windows": [("startup", STARTED, started), ("freshness", started, checked)],
            "failure": None,
            "dbt_nodes": [],
            "raw_tables": _raw_tables(paths.warehouse),
        }
    result = execute_nightly(paths)
    ended = time.time()

    import dagster as dg

    stage_of = _stage_of_nodes(paths)
    steps: dict[str, dict[str, Any]] = {}
    run_window: list[float] = []
    #: the dbt step's own log lines that split it (Spark: hand-over, attach), by time
    messages: list[tuple[float, str]] = []
    with dg.DagsterInstance.get() as instance:
        for record in instance.all_logs(result.run_id):
            event = record.dagster_event
            if event is None:
                text = record.user_message or ""
                if text.startswith(("Handed ", "The warehouse now reads ")):
                    messages.append((record.timestamp, text))
                continue
            kind = event.event_type_value
            if kind in ("RUN_START", "PIPELINE_START", "RUN_SUCCESS", "PIPELINE_SUCCESS",
                        "RUN_FAILURE", "PIPELINE_FAILURE"):  # fmt: skip
                run_window.append(record.timestamp)
            if not event.step_key:
                continue
            step = steps.setdefault(
                event.step_key,
                {"step": event.step_key, "stage": stage_of.get(event.step_key, "other")},
            )
            if kind == "STEP_START":
                step["start"] = record.timestamp
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
                step["end"] = record.timestamp
                step["status"] = "success" if kind == "STEP_SUCCESS" else "failure"
            elif kind == "STEP_SKIPPED":
                step["status"] = "skipped"
    timed = [s for s in steps.values() if "start" in s and "end" in s]
    results = _run_results(result.run_id)
    dbt_phases = _dbt_phases(timed, messages, _node_span(results))
    timed.sort(key=lambda s: s["start"])
    windows: list[tuple[str, float, float]] = [
        ("startup", STARTED, started),
        ("freshness", started, checked),
    ]
    cursor = checked
    for step in timed:
        windows.append(("setup" if cursor == checked else "orchestration", cursor, step["start"]))
        windows.append((step["stage"], step["start"], step["end"]))
        cursor = step["end"]
    windows.append(("orchestration", cursor, ended))
    # A run can succeed with its publication skipped (a dbt model's event lost, so every step
    # downstream of it skipped): then no marts were published and nothing is measured.
    publish = [s.get("status", "skipped") for s in steps.values() if s["stage"] == "publish"]
    success = result.success and "success" in publish
    failure = None if success else failure_report(result)
    if result.success and not success:
        failure = f"The run succeeded but published nothing (publish step: {publish or 'none'})."
    return {
        "success": success,
        "launched": True,
        "run_id": result.run_id,
        "imported_at": imported,
        "job_started": started,
        "job_ended": ended,
        "steps": timed,
        "windows": windows,
        "failure": failure,
        "dbt_nodes": _dbt_nodes(results),
        "dbt_phases": dbt_phases,
        "raw_tables": _raw_tables(paths.warehouse),
    }


def _dbt_phases(
    steps: list[dict[str, Any]],
    messages: list[tuple[float, str]],
    span: tuple[float, float] | None,
) -> list[tuple[str, float, float]]:
    """The dbt step split in time: on Spark `hand_over` (raw tables to Parquet), `dbt_start`
    (dbt's start, the Spark session, the sources registered: until the first node starts),
    `dbt_nodes` (first node started → last node finished), `exit_attach` (dbt's exit and the
    DuckDB views over the build) and `dbt_rest` (run_results, the check history); on DuckDB
    `dbt_start`, `dbt_nodes`, `dbt_rest`."""
    step = next((s for s in steps if s["stage"] == "dbt"), None)
    if step is None or span is None:
        return []
    handed = next((at for at, text in messages if text.startswith("Handed ")), None)
    attached = next((at for at, text in messages if text.startswith("The warehouse ")), None)
    cursor = step["start"]
    phases = []
    if handed is not None:
        phases.append(("hand_over", cursor, handed))
        cursor = handed
    phases.append(("dbt_start", cursor, max(cursor, span[0])))
    phases.append(("dbt_nodes", max(cursor, span[0]), span[1]))
    cursor = span[1]
    if attached is not None and attached > cursor:
        # dbt's exit is not logged: its window and the attach's are one
        phases.append(("exit_attach", cursor, attached))
        cursor = attached
    phases.append(("dbt_rest", cursor, step["end"]))
    return phases


def reference(spec: dict[str, Any]) -> dict[str, Any]:
    from bench.reference import run_reference

    run = run_reference(
        Path(spec["raw_dir"]),
        Path(spec["wilayah"]),
        Path(spec["out_dir"]),
        Path(spec["temp_dir"]),
        spec.get("memory_limit"),
    )
    return {"windows": [("startup", STARTED, run.windows[0][1]), *run.windows], "rows": run.rows}


PHASES = {"prepare": prepare, "generate": generate, "pipeline": pipeline, "reference": reference}


def main(argv: list[str]) -> int:
    phase, spec_path, result_path = argv
    spec = json.loads(Path(spec_path).read_text())
    result = PHASES[phase](spec)
    result["process_started"] = STARTED
    result["process_ended"] = time.time()
    Path(result_path).write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
