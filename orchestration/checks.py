"""Great Expectations suites of expectations/ as blocking Dagster asset checks.

`dagster-ge` cannot be installed with GX 1.x, so this is the small check it would be: run
the suite (orchestration/quality/runner.py), keep every result in meta.check_results,
refresh the Data Docs under data/quality/, and report in plain words. A failing raw check
stops everything downstream; a failing mart check stops publication.
"""

from pathlib import Path

import dagster as dg

from orchestration.quality.history import record
from orchestration.quality.runner import QualityProject, frame_of_findings, run_suite
from orchestration.quality.suites import Suite, load_suites
from orchestration.resources import DUCKDB_WRITER_POOL, TepatSettings, load_thresholds


def build_ge_check(suite: Suite) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(list(suite.asset)),
        name=suite.check_name,
        blocking=True,
        description=f"Great Expectations suite expectations/{suite.path.name}. {suite.description}",
        # Reads the warehouse and appends to meta.check_results.
        pool=DUCKDB_WRITER_POOL,
    )
    def _ge_check(
        context: dg.AssetCheckExecutionContext, settings: TepatSettings
    ) -> dg.AssetCheckResult:
        project = QualityProject(Path(settings.data_dir) / "quality")
        thresholds = load_thresholds(Path(settings.expectations_dir))
        run_id = context.run.run_id
        outcome = run_suite(suite, settings.warehouse, project, thresholds, run_id)
        record(settings.warehouse, frame_of_findings(outcome, run_id))
        docs = project.build_docs()
        if not outcome.success:
            context.log.error(outcome.report())
        return dg.AssetCheckResult(
            passed=outcome.success,
            description=outcome.report(),
            metadata={
                "expectations_checked": dg.MetadataValue.int(len(outcome.findings)),
                "expectations_failed": dg.MetadataValue.int(len(outcome.failures)),
                "rows_checked": dg.MetadataValue.int(outcome.rows_checked),
                "seconds": dg.MetadataValue.float(round(outcome.seconds, 2)),
                "report": dg.MetadataValue.md(outcome.report()),
                "data_docs": dg.MetadataValue.path(str(docs / "index.html")),
            },
        )

    return _ge_check


def build_ge_checks(expectations_dir: Path) -> list[dg.AssetChecksDefinition]:
    return [build_ge_check(suite) for suite in load_suites(expectations_dir)]
