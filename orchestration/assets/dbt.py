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
    BuildPlan,
    build_fingerprint,
    is_forced,
    last_published,
    plan_build,
    record_attempt,
    record_build,
    source_states,
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
    plan, states = _plan(context, settings, fingerprint)
    selection = _selection(plan)
    if selection is None and not plan.is_full:
        plan = BuildPlan(None, f"{plan.reason}, which no model reads")
    if plan.is_full:
        context.log.info(f"Building every model: {plan.reason}.")
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
        args = dbt_build_args(settings)
        total = len(context.selected_asset_keys)
        if selection is not None:
            selectors, rebuilt, manifest = selection
            total = len(rebuilt)
            args += ["--select", " ".join(selectors)]
            context.log.info(
                f"Rebuilding what changed ({', '.join(plan.changed)}): {total} models; "
                f"the other {len(context.selected_asset_keys) - total} keep the tables of "
                f"run {plan.kept_from}, built from the same inputs (DESIGN §6.2)."
            )
            yield from _kept_models(context, plan, rebuilt, manifest)
        if selection is None:
            invocation = dbt.cli(args, context=context, raise_on_error=False)
        else:
            # Without the context: dagster-dbt would add `--select fqn:*` after ours (every
            # asset of the night is selected), and dbt heeds the last --select.
            invocation = dbt.cli(
                args,
                manifest=dbt_project.manifest_path,
                dagster_dbt_translator=translator,
                raise_on_error=False,
                target_path=_target_path(context),
            )
        # What `invocation.stream()` does, plus one line per model dbt starts (n of N) in
        # the run's events: `tepat run` and the Dagster UI show which model is being built.
        counter = DbtNodeCounter(total=total)
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
        record_build(con, context.run_id, fingerprint, states)


def _target_path(context: dg.AssetExecutionContext) -> Path:
    """The target folder dagster-dbt names for an invocation with the context (step name,
    run, a random part): the pruning of old folders and the bench find it by that name."""
    import os
    import uuid

    name = f"{context.op_execution_context.op.name}-{context.run.run_id[:7]}-"
    return Path(os.environ.get("DBT_TARGET_PATH", "target")) / (name + uuid.uuid4().hex[:7])


def _plan(
    context: dg.AssetExecutionContext, settings: TepatSettings, fingerprint
) -> tuple[BuildPlan, dict[str, str] | None]:
    """What tonight's build rebuilds (DESIGN §6.2), and the source states to record once it
    is complete (None on Spark: its builds keep nothing from an earlier night). Notes the
    attempt first: a build that does not complete makes the next one build everything."""
    full = None
    if is_forced(context.run.tags):
        full = "the run was started with --force"
    elif settings.engine == "spark":
        full = "every Spark night builds into a folder of its own"
    with warehouse_connection(settings.warehouse) as con:
        states = source_states(con)
        plan = plan_build(con, fingerprint, states, full)
        record_attempt(con, context.run_id)
    return plan, (None if settings.engine == "spark" else states)


def _selection(plan: BuildPlan) -> tuple[list[str], list[str], dict] | None:
    """dbt's `--select` for the models downstream of the plan's changed sources, the models
    and seeds that selection rebuilds, and the manifest; None when the whole project is to
    be built."""
    import json

    if plan.is_full:
        return None
    manifest = json.loads(dbt_project.manifest_path.read_text())
    by_relation = {
        f"{node['schema']}.{node['identifier']}": node for node in manifest["sources"].values()
    }
    sources = [by_relation[name] for name in plan.changed if name in by_relation]
    if not sources:
        return None
    selectors = [f"source:{node['source_name']}.{node['name']}+" for node in sources]
    reached: set[str] = set()
    frontier = [node["unique_id"] for node in sources]
    while frontier:
        for child in manifest["child_map"].get(frontier.pop(), []):
            if child not in reached:
                reached.add(child)
                frontier.append(child)
    rebuilt = sorted(node for node in reached if node.split(".", 1)[0] in DbtNodeCounter.BUILT)
    return selectors, rebuilt, manifest


def _kept_models(
    context: dg.AssetExecutionContext, plan: BuildPlan, rebuilt: list[str], manifest: dict
):
    """Every model tonight's build does not select keeps its table (DESIGN §6.2): it is
    reported materialized, with the run that built it, so the mart gates and publication
    read it as on any night. Yielded before dbt starts and parents first (Dagster wants a
    multi-asset's outputs in topological order): no kept model depends on a rebuilt one,
    as the selection takes everything downstream of what it rebuilds."""
    nodes = {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in DbtNodeCounter.BUILT and unique_id not in set(rebuilt)
    }
    done: set[str] = set()

    def parents_first(unique_id: str):
        if unique_id in done:
            return
        done.add(unique_id)
        for parent in manifest["parent_map"].get(unique_id, []):
            if parent in nodes:
                yield from parents_first(parent)
        yield unique_id

    selected = context.selected_asset_keys
    for unique_id in sorted(nodes):
        for kept in parents_first(unique_id):
            key = translator.get_asset_key(nodes[kept])
            if key not in selected:
                continue
            yield dg.Output(
                None,
                output_name=context.assets_def.get_output_name_for_asset_key(key),
                metadata={
                    "kept_from_run": dg.MetadataValue.text(plan.kept_from or ""),
                    "changed": dg.MetadataValue.text(", ".join(plan.changed or ())),
                },
            )


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
