"""Every published mart and every one of its columns is described in the dbt project."""

from __future__ import annotations

import json

import duckdb
import pytest

from orchestration.project import dbt_project

pytestmark = pytest.mark.e2e


def test_every_published_column_has_a_description(nightly):
    manifest = json.loads(dbt_project.manifest_path.read_text())
    models = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    undocumented = []
    with duckdb.connect() as con:
        for path in sorted(nightly["paths"].marts_dir.glob("*.parquet")):
            model = models[path.stem]
            assert model["description"].strip(), f"{path.stem} has no description"
            columns = [row[0] for row in con.execute(f"describe select * from '{path}'").fetchall()]
            described = {
                name for name, column in model["columns"].items() if column["description"].strip()
            }
            undocumented += [f"{path.stem}.{c}" for c in columns if c not in described]
    assert undocumented == []
