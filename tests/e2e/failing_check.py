"""A mart check made to fail on purpose, for the nights that prove a failing gate publishes
nothing (tests/e2e/test_quality_gates.py, tests/spark/test_spark_night.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

#: The suite and column the broken expectation is on: the failure report names both.
FAILING_SUITE = "ge_mart_desil_distribution"
FAILING_COLUMN = "persen_keluarga"


def expectations_failing_a_mart_check(folder: Path) -> Path:
    """A copy of expectations/ in `folder` where persen_keluarga (a share, 0-100) must be
    at most 1: every night with data fails mart_desil_distribution's suite."""
    from orchestration.paths import EXPECTATIONS_DIR

    shutil.copytree(EXPECTATIONS_DIR, folder)
    suite_path = folder / "mart_desil_distribution.json"
    suite = json.loads(suite_path.read_text())
    for expectation in suite["expectations"]:
        if expectation["kwargs"].get("column") == FAILING_COLUMN:
            expectation["kwargs"]["max_value"] = 1
    suite_path.write_text(json.dumps(suite))
    return folder


def add_bps_value(raw: Path) -> None:
    """New data, so the night rebuilds and would publish changed marts."""
    path = raw / "bps" / "bps_indikator_kabkota.csv"
    path.write_text(path.read_text() + "5371,2024,3,p0,8.1\n")
