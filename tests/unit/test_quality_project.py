"""The GX project under data/quality/ (orchestration/quality/runner.py): how it stores the
definitions of the gates' validations (issue 20)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from great_expectations.core.run_identifier import RunIdentifier

from orchestration.quality.runner import BATCH_ASSET, QualityProject

IN_SET = [{"type": "expect_column_values_to_be_in_set",
           "kwargs": {"column": "status", "value_set": ["hidup", "meninggal"]}}]  # fmt: skip


def _run(definition, values: list[str]):
    run_id = RunIdentifier(run_name="night", run_time=dt.datetime.now(dt.UTC))
    frame = pd.DataFrame({"status": values})
    return definition.run(batch_parameters={"dataframe": frame}, run_id=run_id)


def test_every_batch_of_every_suite_is_validated_as_one_data_asset(tmp_path):
    """GX rewrites great_expectations.yml whole for each asset it adds: one asset in all."""
    project = QualityProject(tmp_path / "quality")
    first = project.definition("raw_dtsen_anggota__rows", IN_SET)
    second = project.definition("mart_x__rows__m0.95", IN_SET)
    assert [asset.name for asset in project.source.assets] == [BATCH_ASSET]
    assert _run(first, ["hidup", "x"]).results[0].result["unexpected_count"] == 1
    assert _run(second, ["hidup"]).success


def test_a_definition_stored_with_an_asset_of_its_own_is_replaced(tmp_path):
    """Before issue 20 each batch had its own data asset; opening the project drops them,
    so such a stored definition can no longer be read. It is replaced, not an error."""
    import great_expectations as gx

    quality = tmp_path / "quality"
    project = QualityProject(quality)
    asset = project.source.add_dataframe_asset("raw_dtsen_anggota__rows")
    old = asset.add_batch_definition_whole_dataframe("chunk")
    suite = project.context.suites.add_or_update(
        gx.ExpectationSuite(name="raw_dtsen_anggota__rows", expectations=IN_SET)
    )
    project.context.validation_definitions.add(
        gx.ValidationDefinition(name="raw_dtsen_anggota__rows", data=old, suite=suite)
    )

    reopened = QualityProject(quality)
    definition = reopened.definition("raw_dtsen_anggota__rows", IN_SET)
    assert _run(definition, ["hidup", "meninggal", "x"]).results[0].result["unexpected_count"] == 1
    assert [asset.name for asset in reopened.source.assets] == [BATCH_ASSET]
