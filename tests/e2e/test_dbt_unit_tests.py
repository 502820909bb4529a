"""dbt's unit tests (the rules of each model, in its yml) against the suite's warehouse.

The nightly build leaves them out: they check our SQL, not the night's data.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from orchestration.paths import DBT_PROJECT_DIR
from orchestration.resources import TepatSettings, dbt_environment


def test_every_dbt_unit_test_passes(nightly, tmp_path):
    settings = TepatSettings.from_paths(nightly["paths"])
    dbt = Path(sys.executable).parent / "dbt"
    with dbt_environment(settings.warehouse):
        run = subprocess.run(
            [str(dbt), "test", "--select", "test_type:unit",
             "--vars", json.dumps(settings.dbt_vars(), sort_keys=True),
             "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path)],
            cwd=DBT_PROJECT_DIR, capture_output=True, text=True,
        )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    unit_tests = manifest.get("unit_tests", {})
    done = re.search(r"PASS=(\d+) WARN=0 ERROR=0 SKIP=0", run.stdout)
    # dbt counts the project's on-run-start hook (macros/engine.sql) among the passes
    hooks = [n for n in manifest["nodes"].values() if n["resource_type"] == "operation"]
    assert len(hooks) == 1
    assert done and int(done.group(1)) == len(unit_tests) + len(hooks), run.stdout[-2000:]
    assert len(unit_tests) > 20
