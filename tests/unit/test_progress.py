"""The pieces of `tepat run`'s progress and run log that need no night (DESIGN §4); the
night itself: tests/e2e/test_terminal_output.py."""

from __future__ import annotations

import datetime as dt

import pytest

from orchestration.night import prune_run_logs, run_log_of, run_log_path
from orchestration.paths import Paths
from orchestration.progress import (
    DBT,
    LOADING,
    MART_GATES,
    PUBLISHING,
    RAW_GATES,
    DbtNodeCounter,
    format_duration,
    gate_line,
    parse_dbt_node_line,
    parse_gate_line,
    stage_of,
    step_label,
)


def dbt_event(name: str, resource_type: str, node: str, index: int = 1) -> dict:
    """A dbt structured log event as `dbt --log-format json` writes it (dbt-core 1.11)."""
    return {
        "info": {"name": name, "code": "Q011", "level": "info",
                 "msg": f"{index} of 205 START sql table {resource_type} main.{node} [RUN]"},
        "data": {
            "description": f"sql table {resource_type} main.{node}", "index": index,
            "total": 205,
            "node_info": {"node_name": node, "unique_id": f"{resource_type}.tepat.{node}",
                          "resource_type": resource_type, "materialized": "table",
                          "node_path": f"marts/{node}.sql", "node_status": "started"},
        },
    }  # fmt: skip


@pytest.mark.parametrize(
    ("step", "stage", "label"),
    [
        ("raw__dtsen_keluarga", LOADING, "raw.dtsen_keluarga"),
        ("raw_quality_gates", RAW_GATES, "raw quality gates"),
        ("tepat_dbt_models", DBT, "tepat_dbt_models"),
        ("mart_quality_gates", MART_GATES, "mart quality gates"),
        ("publish__marts", PUBLISHING, "data/marts/"),
    ],
)
def test_every_step_has_a_stage_and_a_label(step, stage, label):
    assert stage_of(step) == stage
    assert step_label(step) == label


def test_the_dbt_step_says_which_model_it_starts_n_of_n():
    counter = DbtNodeCounter(total=50)
    lines = [
        counter.line_for(dbt_event("LogStartLine", "seed", "kode_alasan_verval")),
        counter.line_for(dbt_event("LogStartLine", "test", "not_null_x", 2)),  # a test: no
        counter.line_for(dbt_event("NodeStart", "model", "stg_bps__indicators")),  # debug
        counter.line_for(dbt_event("LogStartLine", "model", "stg_bps__indicators", 3)),
    ]
    assert lines == [
        "dbt: building seed 1 of 50: kode_alasan_verval",
        None,
        None,
        "dbt: building model 2 of 50: stg_bps__indicators",
    ]
    assert parse_dbt_node_line(lines[3]) == (2, 50, "stg_bps__indicators")
    assert parse_dbt_node_line("dbt: 50 models") is None


def test_a_gate_step_says_which_suite_it_checks_n_of_n():
    line = gate_line(3, 7, "ge_raw_roster_rows")
    assert line == "quality gate: checking suite 3 of 7: ge_raw_roster_rows"
    assert parse_gate_line(line) == (3, 7, "ge_raw_roster_rows")
    assert parse_gate_line("dbt: building model 2 of 50: x") is None


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(0.04, "0.0 s"), (4.25, "4.2 s"), (58.4, "58 s"), (65, "1 min 05 s"), (3725, "1 h 02 min")],
)
def test_durations_read_as_time(seconds, said):
    assert format_duration(seconds) == said


def test_run_logs_are_named_by_time_and_run_and_the_oldest_are_pruned(tmp_path):
    paths = Paths.from_env({"TEPAT_DATA_DIR": str(tmp_path / "data")})
    run_id = "69c01745-b84f-48f3-a9fc-b71fbf682e8d"
    moment = dt.datetime(2026, 12, 7, 4, 55, 24, tzinfo=dt.UTC)
    path = run_log_path(paths, run_id, moment)
    assert path == tmp_path / "data" / "logs" / "20261207T045524-69c01745.log"
    assert run_log_of(paths, run_id) is None
    path.parent.mkdir(parents=True)
    names = [f"202612{day:02d}T020000-{day:08d}.log" for day in range(1, 6)]
    for name in names:
        (path.parent / name).write_text("x")
    path.write_text("x")
    assert run_log_of(paths, run_id) == path
    deleted = prune_run_logs(path.parent, keep=3)
    assert [p.name for p in deleted] == names[:3]
    assert sorted(p.name for p in path.parent.iterdir()) == [*names[3:], path.name]
