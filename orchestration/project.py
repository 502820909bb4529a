"""The dbt project, loaded once, and the housekeeping of its target folder."""

from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.paths import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


#: dagster-dbt gives every invocation a target folder of its own (≈ 14 MB: compiled SQL,
#: manifest, run results); the latest few are kept for debugging, the rest removed.
KEEP_INVOCATION_TARGETS = 5


def prune_invocation_targets(current: Path, keep: int = KEEP_INVOCATION_TARGETS) -> None:
    """Remove all but the `keep` newest target folders of nightly dbt invocations."""
    import shutil

    prefix = current.name.split("-", 1)[0] + "-"
    folders = sorted(
        (p for p in current.parent.glob(f"{prefix}*") if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
    )
    for folder in folders[: max(0, len(folders) - keep)]:
        if folder != current:
            shutil.rmtree(folder, ignore_errors=True)
