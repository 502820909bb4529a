"""dbt models as Dagster assets, grouped by their dbt folder (staging, intermediate, marts)."""

import contextlib
import io
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration import engines
from orchestration.diskspace import storage_failure
from orchestration.fingerprints import (
    build_fingerprint,
    is_forced,
    last_published,
    record_build,
    still_published,
)
from orchestration.progress import DbtNodeCounter
from orchestration.project import dbt_project, prune_invocation_targets
from orchestration.quality.gate import failures_in_run
from orchestration.quality.history import dbt_results_frame, record
from orchestration.quality.report import dbt_failure_report, dbt_start_failure_report
from orchestration.resources import (
    DUCKDB_WRITER_POOL,
    QUIET_DBT_TAG,
    TepatSettings,
    dbt_build_args,
    dbt_environment,
    warehouse_connection,
)


class TepatDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "model":
            # fqn = ["tepat", "<layer>", ...]: the layer folder is the group.
            return dbt_resource_props["fqn"][1]
        return super().get_group_name(dbt_resource_props)


translator = TepatDbtTranslator(
    settings=DagsterDbtTranslatorSettings(
        enable_asset_checks=True,
        # Tests on dbt sources check the raw tables: show them on the raw assets.
        enable_source_tests_as_checks=True,
        # meta.held_back_files (DESIGN §4) is written by the roster load and its gate: its
        # dbt source maps to raw/roster_rows too.
        enable_duplicate_source_asset_keys=True,
    )
)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    pool=DUCKDB_WRITER_POOL,
)
def tepat_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: TepatSettings
):
    try:
        yield from _build_models(context, dbt, settings)
    except (OSError, duckdb.Error) as error:
        # A full disk or a damaged warehouse, in plain words (orchestration/diskspace.py).
        plain = storage_failure(error, settings, "rebuilding the warehouse (dbt)")
        if plain is None:
            raise
        context.log.error(plain.description)
        raise plain from None


def _build_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: TepatSettings):
    upstream = failures_in_run(context.instance, context.run_id)
    if upstream:
        raise dg.Failure(description="Not building the warehouse: " + "; ".join(upstream) + ".")
    with warehouse_connection(settings.warehouse) as con:
        fingerprint = build_fingerprint(con, Path(settings.expectations_dir))
        published = last_published(con, fingerprint)
    if still_published(settings.marts_dir, published):
        if is_forced(context.run.tags):
            context.log.info("Nothing changed since the last publication; rebuilding (--force).")
        else:
            # Yielding nothing: no model is materialised, so Dagster skips the mart checks
            # and publication, and data/marts/ keeps the release built from these inputs.
            context.log.info(
                f"Nothing to rebuild: raw data, dbt project, quality suites and library "
                f"versions are those of run {published.run_id}, published "
                f"{published.published_at} UTC as release {published.release}, which "
                "data/marts/ still holds. Run `tepat run --force` to rebuild anyway."
            )
            return
    elif published and published.changed:
        context.log.info(f"Rebuilding: {published.changed} changed since the last publication.")
    # dbt runs as a subprocess that inherits this environment; profiles.yml reads the
    # warehouse path from it, so staging and raw assets always share one file.
    # dagster-dbt echoes every dbt line to stdout; `tepat run` shows its progress instead
    # (run tag QUIET_DBT_TAG). The lines stay in dbt_project/logs/dbt.log and the run's events.
    echo = context.run.tags.get(QUIET_DBT_TAG) != "true"
    spark = _hand_over_to_spark(context, settings) if settings.engine == "spark" else None
    with (
        dbt_environment(settings.warehouse, spark),
        contextlib.nullcontext() if echo else contextlib.redirect_stdout(io.StringIO()),
    ):
        invocation = dbt.cli(dbt_build_args(settings), context=context, raise_on_error=False)
        # What `invocation.stream()` does, plus one line per model dbt starts (n of N) in
        # the run's events: `tepat run` and the Dagster UI show which model is being built.
        counter = DbtNodeCounter(total=len(context.selected_asset_keys))
        errors: list[str] = []  # what dbt said went wrong, if it stops before any node
        for event in invocation.stream_raw_events():
            line = counter.line_for(event.raw_event)
            if line:
                context.log.info(line)
            info = event.raw_event.get("info", {})
            if info.get("level") == "error" and info.get("msg"):
                errors.append(str(info["msg"]))
            yield from event.to_default_asset_events(
                manifest=invocation.manifest,
                dagster_dbt_translator=invocation.dagster_dbt_translator,
                context=context,
                target_path=invocation.target_path,
                project=invocation.project,
            )
    try:
        run_results = invocation.get_artifact("run_results.json")
    except FileNotFoundError:
        # dbt stopped before it ran a node (its on-run-start failed): no results to report
        prune_invocation_targets(Path(invocation.project_dir) / invocation.target_path)
        report = dbt_start_failure_report(errors)
        context.log.error(report)
        raise dg.Failure(description=report) from None
    prune_invocation_targets(Path(invocation.project_dir) / invocation.target_path)
    record(settings.warehouse, dbt_results_frame(run_results, context.run_id))
    if spark is not None:
        _attach_spark_build(context, settings, spark, whole=invocation.is_successful())
    if not invocation.is_successful():
        report = dbt_failure_report(run_results, settings.warehouse)
        context.log.error(report)
        raise dg.Failure(description=report)
    with warehouse_connection(settings.warehouse) as con:
        record_build(con, context.run_id, fingerprint)


def _hand_over_to_spark(
    context: dg.AssetExecutionContext, settings: TepatSettings
) -> engines.SparkFolders:
    """Before a Spark build: the raw tables (every dbt source) as Parquet, and an empty
    folder for the night's tables (orchestration/engines.py)."""
    folders = engines.SparkFolders.of(settings.data_dir, context.run_id)
    started = time.monotonic()
    done = engines.hand_over(settings.warehouse, folders, _source_relations(), settings.raw_dir)
    engines.start_build(folders)
    context.log.info(
        f"Handed the raw tables to Spark as Parquet ({done.describe()}) in "
        f"{time.monotonic() - started:.1f} s; "
        f"building on Spark ({engines.spark_location(folders.environment())})."
    )
    return folders


def _attach_spark_build(
    context: dg.AssetExecutionContext,
    settings: TepatSettings,
    folders: engines.SparkFolders,
    whole: bool,
) -> None:
    """After a Spark build: the warehouse reads the night's tables. A failed build attaches
    its quarantine tables only (the failure report reads them); the marts stay those of the
    last good night, whose build folder is kept until a night succeeds."""
    relations = engines.spark_tables(folders)
    if not whole:
        relations = [r for r in relations if r.startswith("quarantine.")]
    with warehouse_connection(settings.warehouse) as con:
        attached = engines.attach_spark_tables(con, folders, relations)
    context.log.info(f"The warehouse now reads {len(attached)} tables Spark built.")
    if whole:
        engines.remove_other_builds(folders)


def _source_relations() -> dict[str, list[str]]:
    """`schema.name` of every dbt source (the raw tables a Spark build reads), with the
    columns its Parquet copy is partitioned by (`meta.spark_partition_by`, DESIGN §6.1)."""
    import json

    manifest = json.loads(dbt_project.manifest_path.read_text())
    return {
        f"{node['schema']}.{node['identifier']}": node["meta"].get("spark_partition_by", [])
        for node in sorted(manifest["sources"].values(), key=lambda node: node["unique_id"])
    }


def published_model_names() -> list[str]:
    """Models users read: everything under models/marts (meta.publish set in dbt_project.yml)."""
    import json

    manifest = json.loads(dbt_project.manifest_path.read_text())
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("meta", {}).get("publish")
    )
