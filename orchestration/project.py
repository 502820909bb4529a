"""The dbt project, loaded once. Nothing else lives here (dagster-open-platform's habit)."""

from dagster_dbt import DbtProject

from orchestration.paths import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
