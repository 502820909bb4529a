"""Great Expectations suites of expectations/ as blocking Dagster asset checks.

`dagster-ge` cannot be installed with GX 1.x, so this is the small check it would be: run
the suite (orchestration/quality/runner.py), keep every result in meta.check_results,
refresh the suite's pages of the Data Docs under data/quality/, and report in plain words. A
failing raw check stops everything downstream; a failing mart check stops publication.
Except in the suites of rosters and BPS files (`holds_back_files`): a file that fails a
per-file expectation is held back whole (DESIGN §4), written to meta.held_back_files for
dbt and the summaries, and the check still passes when nothing else failed.

A raw check whose tables, suite and thresholds are those of a run in which it passed reuses
that result instead of validating the same rows again (orchestration/quality/reuse.py);
`tepat run --force` always validates.
"""

from pathlib import Path

import dagster as dg

from orchestration.fingerprints import is_forced
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


def build_ge_check(suite: Suite) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(list(suite.asset)),
        name=suite.check_name,
        blocking=True,
        description=f"Great Expectations suite expectations/{suite.path.name}. {suite.description}",
        # Reads the warehouse, appends to meta.check_results and meta.check_reuse.
        pool=DUCKDB_WRITER_POOL,
    )
    def _ge_check(
        context: dg.AssetCheckExecutionContext, settings: TepatSettings
    ) -> dg.AssetCheckResult:
        run_id = context.run.run_id
        expectations_dir = Path(settings.expectations_dir)
        with warehouse_connection(settings.warehouse) as con:
            key = reuse_key(con, suite, expectations_dir)
            previous = None
            if key is not None and not is_forced(context.run.tags):
                previous = reusable_result(con, suite.check_name, key)
            if previous is not None:
                remember(con, suite.check_name, key, run_id, True, previous.run_id)
        if previous is not None:
            description = reuse_description(key, previous)
            context.log.info(description)
            return dg.AssetCheckResult(
                passed=True,
                description=description,
                metadata={
                    "reused_from_run": dg.MetadataValue.text(previous.run_id),
                    "reused_from_time": dg.MetadataValue.text(previous.checked_at),
                    "tables": dg.MetadataValue.text(", ".join(key.tables)),
                },
            )

        project = QualityProject(Path(settings.data_dir) / "quality")
        thresholds = load_thresholds(expectations_dir)
        outcome = run_suite(suite, settings.warehouse, project, thresholds, run_id)
        record(settings.warehouse, frame_of_findings(outcome, run_id))
        held_back = reasons_of(outcome)
        with warehouse_connection(settings.warehouse) as con:
            if suite.holds_back_files and suite.table:
                record_gate_decision(con, suite.table, suite.check_name, held_back)
            if key is not None:
                remember(con, suite.check_name, key, run_id, outcome.success)
        docs = project.build_docs(suite=suite.name, run_name=run_id)
        make_offline_quietly(docs)  # pages that open without internet (issue 17)
        if not outcome.success:
            context.log.error(outcome.report())
        for file, reason in held_back.items():
            context.log.warning(f"Held back: data/raw/{file}: {reason}")
        return dg.AssetCheckResult(
            passed=outcome.success,
            description=outcome.report(),
            metadata={
                "expectations_checked": dg.MetadataValue.int(len(outcome.findings)),
                "expectations_failed": dg.MetadataValue.int(len(outcome.failures)),
                "files_held_back": dg.MetadataValue.int(len(held_back)),
                "rows_checked": dg.MetadataValue.int(outcome.rows_checked),
                "seconds": dg.MetadataValue.float(round(outcome.seconds, 2)),
                "report": dg.MetadataValue.md(outcome.report()),
                "data_docs": dg.MetadataValue.path(str(docs / "index.html")),
            },
        )

    return _ge_check


def build_ge_checks(expectations_dir: Path) -> list[dg.AssetChecksDefinition]:
    return [build_ge_check(suite) for suite in load_suites(expectations_dir)]
