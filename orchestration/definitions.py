"""The one Definitions object of the tepat code location.

Built by a function, not at import: settings come from the environment when Dagster loads
the location, and the dbt manifest is prepared first if this clone has none yet.
"""

from __future__ import annotations

import os
from functools import cached_property

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.fingerprints import quiet_skipped_gate_notices
from orchestration.paths import Paths
from orchestration.project import dbt_project
from orchestration.resources import TepatSettings, dbt_environment, dbt_vars_args

DEFAULT_CRON = "0 2 * * *"
DEFAULT_TIMEZONE = "Asia/Makassar"


def prepare_dbt(paths: Paths) -> None:
    """Write the dbt manifest (`dbt parse`) that the dbt assets are built from."""
    dbt = dbt_cli()
    args = ["parse", "--quiet", *dbt_vars_args(TepatSettings.from_paths(paths))]
    with dbt_environment(paths.warehouse):
        dbt.cli(args, target_path=dbt_project.target_path).wait()


def build_definitions(
    paths: Paths, cron: str = DEFAULT_CRON, timezone: str = DEFAULT_TIMEZONE
) -> dg.Definitions:
    if not dbt_project.manifest_path.exists():
        prepare_dbt(paths)
    # Imported here: these modules read the dbt manifest when they are imported.
    from orchestration.assets.dbt import tepat_dbt_models
    from orchestration.assets.publish import build_publish_asset
    from orchestration.assets.raw import raw_assets
    from orchestration.checks import build_ge_checks
    from orchestration.schedules import (
        build_nightly_schedule,
        new_raw_files_sensor,
        nightly_refresh,
    )

    quiet_skipped_gate_notices()
    settings = TepatSettings.from_paths(paths)
    return dg.Definitions(
        assets=[*raw_assets, tepat_dbt_models, build_publish_asset()],
        asset_checks=build_ge_checks(paths.expectations_dir),
        jobs=[nightly_refresh],
        schedules=[build_nightly_schedule(cron, timezone)],
        sensors=[new_raw_files_sensor],
        # Every run in one process, as nightly_refresh does: assets materialised from the UI
        # then hold the night's lock (orchestration/runlock.py) for the whole run, not step
        # by step in processes of their own, between which another run could slip in.
        executor=dg.in_process_executor,
        resources={
            "settings": settings,
            "dbt": dbt_cli(),
        },
    )


class TepatDbtCli(DbtCliResource):
    """dagster-dbt's dbt resource without two costs of every invocation that buy tepat
    nothing (issue 20; together ≈ 3 s of each night's fixed cost, measured at 100k and 1m):

    - `dbt --version` in a subprocess, to learn the version of the dbt executable: when it is
      the dbt installed beside this Python (`_dbt_executable`), it is dbt-core's version in
      this environment, read from the package metadata;
    - a dbt adapter built in this process (project, profile and every macro parsed) for
      dagster-dbt's column-metadata and row-count helpers, which tepat does not call. Without
      it the invocation carries `adapter=None`, as dagster-dbt's own fallback does.

    Both are private methods of dagster-dbt (pinned in pyproject.toml):
    tests/unit/test_dbt_cli_resource.py checks they still exist and still give the same
    version and the same builds."""

    @cached_property
    def _cli_version(self):
        import sys
        from importlib.metadata import version as installed
        from pathlib import Path

        from packaging import version

        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return version.parse(installed("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_cli() -> TepatDbtCli:
    """The dbt resource every tepat invocation of dbt uses."""
    return TepatDbtCli(project_dir=dbt_project, dbt_executable=_dbt_executable())


def _dbt_executable() -> str:
    """The dbt installed beside this Python, so `.venv/bin/tepat` works without activation."""
    import shutil
    import sys
    from pathlib import Path

    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(
        Paths.from_env(),
        cron=os.environ.get("TEPAT_NIGHTLY_CRON", DEFAULT_CRON),
        timezone=os.environ.get("TEPAT_TIMEZONE", DEFAULT_TIMEZONE),
    )
