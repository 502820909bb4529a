"""Great Expectations suites of expectations/ as blocking Dagster asset checks.

`dagster-ge` cannot be installed with GX 1.x, so this is the small check it would be: run
the suite (orchestration/quality/runner.py), keep every result in meta.check_results,
refresh the suite's pages of the Data Docs under data/quality/, and report in plain words. A
failing raw check stops everything downstream; a failing mart check stops publication.
Except in the suites of rosters and BPS files (`holds_back_files`): a file that fails a
per-file expectation is held back whole (DESIGN §4), written to meta.held_back_files for
dbt and the summaries, and the check still passes when nothing else failed.

The suites run in two steps, one per stage (`RAW_GATES_STEP`, `MART_GATES_STEP`): each
step is one multi-asset check with one blocking check per suite, so a night opens one GX
project per stage and renders its Data Docs once per stage, also when a suite fails (issue
20: those were most of the gates' time on small data). Each check's result is still its
own, with its own report; a failing check blocks what is downstream of its asset.

A raw check whose tables, suite and thresholds are those of a run in which it passed reuses
that result instead of validating the same rows again (orchestration/quality/reuse.py);
`tepat run --force` always validates.
"""

from pathlib import Path

import dagster as dg

from orchestration.fingerprints import is_forced
from orchestration.progress import MART_GATES_STEP, RAW_GATES_STEP, gate_line
from orchestration.quality.datadocs_offline import make_offline_quietly
from orchestration.quality.history import record
from orchestration.quality.holdback import reasons_of, record_gate_decision
from orchestration.quality.reuse import (
    remember,
    reusable_result,
    reuse_description,
    reuse_key,
)
from orchestration.quality.runner import QualityProject, frame_of_findings, run_suite
from orchestration.quality.suites import Suite, load_suites
from orchestration.resources import (
    DUCKDB_WRITER_POOL,
    TepatSettings,
    load_thresholds,
    warehouse_connection,
)


class _Gate:
    """One gate step's run: the GX project is opened once, when a suite is first validated,
    and the Data Docs pages of the suites validated are rendered once, at the end."""

    def __init__(self, settings: TepatSettings, run_id: str) -> None:
        self.settings, self.run_id = settings, run_id
        self.expectations_dir = Path(settings.expectations_dir)
        self._project: QualityProject | None = None
        self._thresholds = None
        self.validated: list[str] = []

    @property
    def project(self) -> QualityProject:
        if self._project is None:
            self._project = QualityProject(Path(self.settings.data_dir) / "quality")
        return self._project

    @property
    def thresholds(self):
        if self._thresholds is None:
            self._thresholds = load_thresholds(self.expectations_dir)
        return self._thresholds

    def check(self, context, suite: Suite) -> dg.AssetCheckResult:
        settings, run_id = self.settings, self.run_id
        asset_key = dg.AssetKey(list(suite.asset))
        with warehouse_connection(settings.warehouse) as con:
            key = reuse_key(con, suite, self.expectations_dir)
            previous = None
            if key is not None and not is_forced(context.run.tags):
                previous = reusable_result(con, suite.check_name, key)
            if previous is not None:
                remember(con, suite.check_name, key, run_id, True, previous.run_id)
        if previous is not None:
            description = reuse_description(key, previous)
            context.log.info(description)
            return dg.AssetCheckResult(
                asset_key=asset_key,
                check_name=suite.check_name,
                passed=True,
                description=description,
                metadata={
                    "reused_from_run": dg.MetadataValue.text(previous.run_id),
                    "reused_from_time": dg.MetadataValue.text(previous.checked_at),
                    "tables": dg.MetadataValue.text(", ".join(key.tables)),
                },
            )

        outcome = run_suite(suite, settings.warehouse, self.project, self.thresholds, run_id)
        self.validated.append(suite.name)
        record(settings.warehouse, frame_of_findings(outcome, run_id))
        held_back = reasons_of(outcome)
        with warehouse_connection(settings.warehouse) as con:
            if suite.holds_back_files and suite.table:
                record_gate_decision(con, suite.table, suite.check_name, held_back)
            if key is not None:
                remember(con, suite.check_name, key, run_id, outcome.success)
        if not outcome.success:
            context.log.error(outcome.report())
        for file, reason in held_back.items():
            context.log.warning(f"Held back: data/raw/{file}: {reason}")
        return dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=suite.check_name,
            passed=outcome.success,
            description=outcome.report(),
            metadata={
                "expectations_checked": dg.MetadataValue.int(len(outcome.findings)),
                "expectations_failed": dg.MetadataValue.int(len(outcome.failures)),
                "files_held_back": dg.MetadataValue.int(len(held_back)),
                "rows_checked": dg.MetadataValue.int(outcome.rows_checked),
                "seconds": dg.MetadataValue.float(round(outcome.seconds, 2)),
                "report": dg.MetadataValue.md(outcome.report()),
                "data_docs": dg.MetadataValue.path(str(self.project.site / "index.html")),
            },
        )

    def render_docs(self) -> None:
        """The validated suites' pages of this run and the index, once for the step."""
        if self.validated:
            docs = self.project.build_docs(self.validated, run_name=self.run_id)
            make_offline_quietly(docs)  # pages that open without internet (issue 17)


def build_ge_gate(name: str, suites: list[Suite], stage: str) -> dg.AssetChecksDefinition:
    specs = [
        dg.AssetCheckSpec(
            suite.check_name,
            asset=dg.AssetKey(list(suite.asset)),
            blocking=True,
            description=f"Great Expectations suite expectations/{suite.path.name}. "
            f"{suite.description}",
        )
        for suite in suites
    ]

    @dg.multi_asset_check(
        specs=specs,
        name=name,
        description=f"The {stage} quality gates: the Great Expectations suites of "
        f"expectations/ on {stage} tables, one blocking check per suite.",
        # Reads the warehouse, appends to meta.check_results and meta.check_reuse.
        pool=DUCKDB_WRITER_POOL,
    )
    def _gate(context: dg.AssetCheckExecutionContext, settings: TepatSettings):
        gate = _Gate(settings, context.run.run_id)
        try:
            for n, suite in enumerate(suites, start=1):
                context.log.info(gate_line(n, len(suites), suite.check_name))
                yield gate.check(context, suite)
        finally:
            gate.render_docs()  # also when a suite failed or stopped the step

    return _gate


def build_ge_checks(expectations_dir: Path) -> list[dg.AssetChecksDefinition]:
    suites = load_suites(expectations_dir)
    raw = [suite for suite in suites if suite.asset[0] == "raw"]
    marts = [suite for suite in suites if suite.asset[0] != "raw"]
    gates = [(RAW_GATES_STEP, raw, "raw"), (MART_GATES_STEP, marts, "mart")]
    return [build_ge_gate(name, chosen, stage) for name, chosen, stage in gates if chosen]
