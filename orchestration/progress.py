"""Live progress of a nightly run in the terminal, fed by the run's event log."""

from __future__ import annotations

import sys

from rich.console import Console


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
