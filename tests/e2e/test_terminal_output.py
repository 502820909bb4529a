"""What `tepat run` prints without a terminal (cron, CI, a pipe), on a good night and a bad
one (DESIGN §4, issue 17).

A good night: the progress watcher of `tepat run` reads the shared `nightly` run's event log
(tests/e2e/conftest.py) and says one plain line per stage, in order, each with its time, the
dbt stage with n of N models. A bad night: a copy of that night's data with a registry file
over its threshold, run as `tepat run` in a subprocess whose stdout is a pipe: the stages,
then the failure in plain words first, no Dagster log line or traceback, the run log's path
(which holds Dagster's lines), exit status 1. One short night of its own: it stops at the raw
quality gates.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

STAGES = ("Loading raw files", "Raw quality gates", "dbt models", "Mart quality gates",
          "Publishing")  # fmt: skip
TIME = r"\((\d+\.\d s|\d+ s|\d+ min \d\d s|\d+ h \d\d min)\)"
BROKEN = "registry/2025-12-31/keluarga.csv"


def stage_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(tuple(f"{s}:" for s in STAGES))]


def models_and_seeds() -> int:
    from orchestration.project import dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text())
    return sum(n["resource_type"] in ("model", "seed") for n in manifest["nodes"].values())


def test_a_good_night_says_each_stage_with_its_time_and_dbt_models_n_of_n(nightly):
    """The watcher `tepat run` uses, on stdout that is not a terminal, over a real night."""
    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.progress import StepProgress
    from orchestration.schedules import NIGHTLY_JOB_NAME
    from tests.e2e.isolation import isolated_tepat

    paths, run_id = nightly["paths"], nightly["first"].run_id
    base = paths.data_dir.parent
    with isolated_tepat(base), dg.DagsterInstance.get() as instance:
        job = build_definitions(paths).resolve_job_def(NIGHTLY_JOB_NAME)
        out = io.StringIO()
        saved, sys.stdout = sys.stdout, out
        try:
            watcher = StepProgress(instance, run_id, [node.name for node in job.graph.nodes])
        finally:
            sys.stdout = saved
        watcher.start()
        watcher.stop()
    text = out.getvalue()
    assert "\x1b[" not in text and "\r" not in text, "nothing that redraws"
    lines = text.splitlines()
    assert [line.split(":")[0] for line in lines] == list(STAGES), text
    for line in lines:
        assert re.search(TIME + "$", line), line
    n = models_and_seeds()
    assert n >= 40
    assert lines[2].startswith(f"dbt models: {n} of {n} models built ("), lines[2]
    assert re.match(r"Loading raw files: (\d+) of \1 tables done \(", lines[0]), lines[0]
    assert re.match(r"Raw quality gates: (\d+) of \1 suites passed \(", lines[1]), lines[1]
    assert re.match(r"Mart quality gates: (\d+) of \1 suites passed \(", lines[3]), lines[3]
    assert re.match(r"Publishing: 1 of 1 steps done \(", lines[4]), lines[4]


@pytest.fixture(scope="module")
def bad_night(nightly, tmp_path_factory):
    """`tepat run` over a copy of the shared night's data whose latest registry snapshot has
    5 % of its households with desil 11 (its threshold is 2 %): the night is blocked."""
    base = tmp_path_factory.mktemp("terminal")
    data = base / "data"
    shutil.copytree(nightly["paths"].data_dir, data, symlinks=True)
    keluarga = data / "raw" / BROKEN
    lines = keluarga.read_text().splitlines()
    column = lines[0].split(",").index("desil")
    broken = max(5, len(lines) // 20)
    for i in range(1, 1 + broken):
        cells = lines[i].split(",")
        cells[column] = "11"
        lines[i] = ",".join(cells)
    keluarga.write_text("\n".join(lines) + "\n")
    release = json.loads((data / "marts" / "release.json").read_text())
    env = {
        **os.environ,
        "TEPAT_DATA_DIR": str(data),
        "DAGSTER_HOME": str(base / "dagster_home"),
        "TEPAT_PSEUDONYM_KEY": "k" * 64,
        "COLUMNS": "120",
    }
    env.pop("TEPAT_WAREHOUSE", None)
    tepat = Path(sys.executable).parent / "tepat"
    done = subprocess.run(
        [str(tepat), "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=900,
    )  # fmt: skip
    return {"done": done, "data": data, "release": release, "broken": broken}


def test_a_blocked_night_says_what_failed_in_plain_words_first(bad_night):
    done = bad_night["done"]
    output = done.stdout
    assert done.returncode == 1, output
    assert "dagster - " not in output and "Traceback" not in output, output
    assert "DagsterAssetCheckFailedError" not in output and "\x1b[" not in output

    lines = output.splitlines()
    stages = stage_lines(output)
    assert lines[: len(stages)] == stages, "the stages first, nothing before them"
    assert [line.split(":")[0] for line in stages] == list(STAGES)
    assert re.match(r"Loading raw files: (\d+) of \1 tables done " + TIME, stages[0])
    assert re.match(
        r"Raw quality gates: (\d+) of (\d+) suites passed, 1 failed \(ge_raw_dtsen_keluarga\) "
        + TIME, stages[1]
    ), stages[1]  # fmt: skip
    assert stages[3] == "Mart quality gates: not run (an earlier stage failed)"
    assert stages[4] == "Publishing: not run (an earlier stage failed)"

    # Then the plain explanation: what stopped the night, which file, how many rows,
    # examples, why it matters, what to do, and what is still published.
    explanation = lines[len(stages) :]
    assert explanation[0].startswith(
        "The nightly run stopped while checking raw.dtsen_keluarga (quality checks) after"
    ), explanation[0]
    text = " ".join(output.split())
    said = re.search(
        rf"file {BROKEN}: expect_column_values_to_be_in_set on column 'desil' failed for "
        rf"([\d,]+) of ([\d,]+) rows \((\d+\.\d) %\), more than the 2\.0 % allowed",
        text,
    )
    assert said, text
    assert int(said[1].replace(",", "")) == bad_night["broken"]
    assert 4.0 < float(said[3]) < 6.0
    for words in ("Examples: 11", "Why it matters:", "What to do:"):
        assert words in text
    last_good = bad_night["release"]["run_id"][:8]
    assert (
        f"Nothing was published: data/marts/ still holds the last good marts, those of run "
        f"{last_good} published"
    ) in text
    assert "Not building the warehouse" not in text  # a consequence, not a second cause
    marts = bad_night["data"] / "marts" / "release.json"
    assert json.loads(marts.read_text()) == bad_night["release"]


def test_a_blocked_night_writes_dagsters_lines_to_the_run_log_it_names(bad_night):
    output = bad_night["done"].stdout
    found = re.search(r"^Run log: +(\S+\.log) +\(Dagster's lines of run (\w{8})\)$", output, re.M)
    assert found, output
    log, run = Path(found[1]), found[2]
    assert log.parent == bad_night["data"] / "logs"
    assert re.fullmatch(rf"\d{{8}}T\d{{6}}-{run}\.log", log.name)
    assert f"(run {run})" in output
    held = log.read_text(encoding="utf-8")
    assert "dagster - ERROR" in held and "STEP_FAILURE" in held
    assert "raw_quality_gates" in held and "ge_raw_dtsen_keluarga" in held
    assert "DagsterAssetCheckFailedError" in held
    assert "dbt: building" not in held  # the night stopped before dbt
