"""Live progress of a nightly run, fed by the run's event log (DESIGN §4).

The night has five stages, in this order: loading raw files, raw quality gates, dbt models,
mart quality gates, publishing. Each Dagster step belongs to one (`stage_of`). The dbt step
is one step for ~50 models, so it logs one line per model it starts (`dbt_node_line`, from
dbt's structured LogStartLine events) into the run's events; the watcher reads those lines to
say which model is being built, n of N.

In a terminal the stages redraw in place (rich); without one (stdout not a terminal: cron,
CI, a pipe) each stage prints one plain line when it ends, with its count and its time.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

LOADING, RAW_GATES, DBT, MART_GATES, PUBLISHING, OTHER = (
    "Loading raw files",
    "Raw quality gates",
    "dbt models",
    "Mart quality gates",
    "Publishing",
    "Other steps",
)
STAGES = (LOADING, RAW_GATES, DBT, MART_GATES, PUBLISHING, OTHER)
#: What one step of a stage is, for "n of N <unit>".
UNITS = {LOADING: "tables", RAW_GATES: "suites", DBT: "models", MART_GATES: "suites",
         PUBLISHING: "steps", OTHER: "steps"}  # fmt: skip
DBT_STEP = "tepat_dbt_models"
#: The steps that run the Great Expectations suites of raw tables, and of marts
#: (orchestration/checks.py): one step per stage, one check per suite.
RAW_GATES_STEP = "raw_quality_gates"
MART_GATES_STEP = "mart_quality_gates"
GATE_STEPS = (RAW_GATES_STEP, MART_GATES_STEP)

_DBT_LINE = re.compile(r"^dbt: building (?P<kind>\w+) (?P<n>\d+) of (?P<total>\d+): (?P<name>\S+)$")
_GATE_LINE = re.compile(
    r"^quality gate: checking suite (?P<n>\d+) of (?P<total>\d+): (?P<name>\S+)$"
)


def stage_of(step_key: str) -> str:
    """The stage a step of nightly_refresh belongs to."""
    if step_key == DBT_STEP:
        return DBT
    if step_key.startswith("publish__"):
        return PUBLISHING
    if step_key == RAW_GATES_STEP:
        return RAW_GATES
    if step_key == MART_GATES_STEP:
        return MART_GATES
    if step_key.startswith("raw__"):
        return LOADING
    return OTHER


def step_label(step_key: str) -> str:
    """What a step works on, in the names users see: raw.dtsen_keluarga, data/marts/."""
    if step_key in GATE_STEPS:
        return step_key.replace("_", " ")
    if step_key.startswith("publish__"):
        return "data/marts/"
    return step_key.replace("__", ".", 1)


def is_gate_step(step_key: str | None) -> bool:
    """Whether a step runs quality gates (after the steps it checks, in every report)."""
    return step_key in GATE_STEPS


def gate_line(n: int, total: int, check_name: str) -> str:
    """The line a gate step logs when it starts a suite."""
    return f"quality gate: checking suite {n} of {total}: {check_name}"


def parse_gate_line(message: str) -> tuple[int, int, str] | None:
    """(n, total, check name) of a `gate_line`, else None."""
    return _n_of_total(_GATE_LINE, message)


def _n_of_total(line: re.Pattern, message: str) -> tuple[int, int, str] | None:
    match = line.match(message.strip())
    if match is None:
        return None
    return int(match["n"]), int(match["total"]), match["name"]


def dbt_node_line(kind: str, n: int, total: int, name: str) -> str:
    """The line the dbt step logs when dbt starts building a model (or seed)."""
    return f"dbt: building {kind} {n} of {total}: {name}"


def parse_dbt_node_line(message: str) -> tuple[int, int, str] | None:
    """(n, total, name) of a `dbt_node_line`, else None."""
    return _n_of_total(_DBT_LINE, message)


class DbtNodeCounter:
    """Turns dbt's structured events into `dbt_node_line`s: one per model or seed started.

    `total` is how many models and seeds this invocation builds (the dbt asset's selected
    asset keys); tests are not counted (they are checks, ~3 per model, and quick).
    """

    BUILT = ("model", "seed", "snapshot")

    def __init__(self, total: int) -> None:
        self.total, self.started = total, 0

    def line_for(self, raw_event: Mapping[str, Any]) -> str | None:
        # LogStartLine ("1 of 205 START sql table model …") is dbt's info-level event for a
        # node it starts; NodeStart says the same at debug level, which dbt does not print.
        if raw_event.get("info", {}).get("name") != "LogStartLine":
            return None
        node = raw_event.get("data", {}).get("node_info", {})
        unique_id = node.get("unique_id", "")
        kind = node.get("resource_type") or unique_id.split(".", 1)[0]
        if kind not in self.BUILT:
            return None
        self.started += 1
        name = node.get("node_name") or unique_id.rsplit(".", 1)[-1]
        return dbt_node_line(kind, self.started, max(self.total, self.started), name)


def format_duration(seconds: float) -> str:
    """`4.2 s`, `58 s`, `1 min 05 s`, `1 h 02 min`."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


@dataclass
class Stage:
    """One stage of the night as the event log has shown it so far."""

    name: str
    steps: set[str]
    done: set[str] = field(default_factory=set)
    failed: list[str] = field(default_factory=list)
    started_at: float | None = None
    ended_at: float | None = None
    current: str = ""
    dbt_n: int = 0
    dbt_total: int = 0
    #: gate stages: suites to check (from the step's lines), and the checks' results so far
    suites_total: int = 0
    suites_done: int = 0
    suites_failed: list[str] = field(default_factory=list)

    @property
    def is_gate(self) -> bool:
        return self.name in (RAW_GATES, MART_GATES)

    @property
    def finished(self) -> bool:
        return self.ended_at is not None

    def line(self, now: float | None = None) -> str:
        """The plain line of this stage: what was done, n of N, and its time."""
        if self.started_at is None:
            return f"{self.name}: not run (an earlier stage failed)"
        end = self.ended_at if self.ended_at is not None else (now or self.started_at)
        took = f"({format_duration(max(end - self.started_at, 0.0))})"
        if self.name == DBT:
            return f"{self.name}: {self._dbt_words()} {took}"
        if self.is_gate:  # one step per stage, one check per suite
            total, done = max(self.suites_total, self.suites_done), self.suites_done
            failed = self.suites_failed
        else:
            total, done = len(self.steps), len(self.done)
            failed = [step_label(step) for step in self.failed]
        passed = done - len(failed)
        verb = "passed" if self.is_gate else "done"
        words = f"{passed} of {total} {UNITS[self.name]} {verb}"
        if failed:
            words += f", {len(failed)} failed ({', '.join(failed)})"
        elif self.is_gate and self.failed:
            words += ", the step failed"
        missing = total - done
        if missing:
            words += f", {missing} not run"
        return f"{self.name}: {words} {took}"

    def _dbt_words(self) -> str:
        if self.failed:
            if self.dbt_n:
                return (
                    f"failed while building model {self.dbt_n} of {self.dbt_total} ({self.current})"
                )
            return "not built (an earlier stage failed, or dbt could not start)"
        if not self.dbt_n:
            return "nothing to rebuild (inputs unchanged since the last publication)"
        return f"{self.dbt_n} of {self.dbt_total} models built"


class NightStages:
    """The stages of one run, updated from its event-log records (no I/O: unit-testable)."""

    def __init__(self, step_keys: Iterable[str]) -> None:
        grouped: dict[str, set[str]] = {}
        for key in step_keys:
            grouped.setdefault(stage_of(key), set()).add(key)
        self.stages = [Stage(name, grouped[name]) for name in STAGES if name in grouped]
        self._by_step = {key: stage for stage in self.stages for key in stage.steps}

    def stage(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name), None)

    def apply(self, record) -> Stage | None:
        """Apply one EventLogRecord; returns the stage if this record finished it."""
        from dagster import DagsterEventType

        entry = record.event_log_entry
        stage = self._by_step.get(entry.step_key or "")
        if stage is None:
            return None
        event = entry.dagster_event
        if event is None:  # a log line: the dbt step's per-model lines, a gate's suites
            message = entry.user_message or ""
            if stage.name == DBT and (parsed := parse_dbt_node_line(message)):
                stage.dbt_n, stage.dbt_total, stage.current = parsed
            elif stage.is_gate and (parsed := parse_gate_line(message)):
                _, stage.suites_total, stage.current = parsed
            return None
        kind = event.event_type
        if kind == DagsterEventType.STEP_START:
            if stage.started_at is None:
                stage.started_at = entry.timestamp
            if stage.name != DBT:
                stage.current = step_label(entry.step_key)
            return None
        if kind == DagsterEventType.ASSET_CHECK_EVALUATION and stage.is_gate:
            evaluation = event.event_specific_data
            stage.suites_done += 1
            if not evaluation.passed:
                stage.suites_failed.append(evaluation.check_name)
            return None
        if kind not in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE,
                        DagsterEventType.STEP_SKIPPED):  # fmt: skip
            return None
        if stage.started_at is None:
            stage.started_at = entry.timestamp
        stage.done.add(entry.step_key)
        if kind == DagsterEventType.STEP_FAILURE:
            stage.failed.append(entry.step_key)
        if stage.done >= stage.steps and stage.ended_at is None:
            stage.ended_at = entry.timestamp
            return stage
        return None


class StepProgress:
    """Shows a run's stages while it runs, from its event log (polled in a thread).

    In a terminal: one rich progress row per stage, redrawn in place. Otherwise: one plain
    line per stage when it ends (and, when the run stops, one for each stage left unfinished).
    """

    def __init__(self, instance, run_id: str, step_keys: Iterable[str]) -> None:
        import threading

        self.instance, self.run_id = instance, run_id
        self.night = NightStages(step_keys)
        # Bound now: the dbt step redirects sys.stdout while it runs (run tag QUIET_DBT_TAG).
        self.console = Console(file=sys.stdout)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._cursor = None
        self._said: set[str] = set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _poll(self) -> list:
        try:
            page = self.instance.get_records_for_run(self.run_id, cursor=self._cursor)
        except Exception:  # the run is not stored yet, or the store is busy
            return []
        self._cursor = page.cursor
        return list(page.records)

    def _watch(self) -> None:
        if self.console.is_terminal:
            self._watch_terminal()
        else:
            self._watch_plain()

    def _say(self, stage: Stage, now: float | None = None, mark: str = "") -> None:
        if stage.name not in self._said:
            self._said.add(stage.name)
            self.console.print(
                mark + stage.line(now), markup=False, highlight=False, soft_wrap=True
            )

    def _watch_plain(self) -> None:
        while True:
            stopping = self._stop.is_set()  # read before the last poll: nothing is missed
            for record in self._poll():
                finished = self.night.apply(record)
                if finished:
                    self._say(finished)
            if stopping:
                break
            self._stop.wait(0.5)
        now = time.time()
        for stage in self.night.stages:
            self._say(stage, now)

    def _watch_terminal(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        rows: dict[str, int] = {}
        with Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=self.console,
        ) as bar:  # fmt: skip
            while True:
                stopping = self._stop.is_set()
                for record in self._poll():
                    self.night.apply(record)
                for stage in self.night.stages:
                    if stage.started_at is None:
                        continue
                    if stage.name not in rows:
                        rows[stage.name] = bar.add_task(stage.name, total=len(stage.steps))
                    task = rows[stage.name]
                    if stage.name == DBT:  # models: n of N from the dbt step's lines
                        total = stage.dbt_total or (1 if stage.finished else None)
                        done = max(stage.dbt_n - 1, 0)
                        if stage.finished and not stage.failed:
                            done = total
                        bar.update(task, total=total, completed=done)
                    elif stage.is_gate:  # suites: n of N from the gate step's lines
                        total = stage.suites_total or (1 if stage.finished else None)
                        bar.update(task, total=total, completed=stage.suites_done)
                    else:
                        bar.update(task, completed=len(stage.done))
                    if stage.finished:
                        mark = "✗" if stage.failed else "✓"
                        bar.update(task, description=f"{mark} {stage.line()}")
                        bar.stop_task(task)
                    else:
                        bar.update(task, description=f"{stage.name}: {stage.current}")
                if stopping:
                    break
                self._stop.wait(0.5)
        for stage in self.night.stages:
            if stage.name not in rows:  # never started: under the ✓/✗ rows, aligned
                self._say(stage, mark="– ")
