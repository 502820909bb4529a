"""Killed mid-run (SIGKILL to the run and its children, as a power cut): the next run ends
normally and leaves what a night never interrupted leaves (docs/reliability.md).

Where the power goes: while a raw file is being loaded (its rows inserted, not committed),
during the dbt step, and between writing a release and switching data/marts to it; and a
run launched as the schedule launches it (a run of the instance executed by the run
worker's function, in a process of its own), killed during its dbt step.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.faults.faultkit import (
    assert_settled,
    copy_night,
    cut_power_during_dbt,
    dagster_state,
    environment,
    finish,
    loaded_files,
    mart_rows,
    read_copy,
    rows_per_file,
    start_power_cut,
    start_tepat,
    tepat,
)

pytestmark = pytest.mark.faults

KILLED = -9  # returncode of a process ended by SIGKILL


def test_power_cut_while_a_file_loads(reference, tmp_path):
    data = copy_night(reference["data"], tmp_path / "data", warehouse=False)
    home = tmp_path / "dagster_home"
    note = tmp_path / "cut.json"
    env = environment(data, home, POWER_CUT_NOTE=str(note))

    code, output = finish(start_power_cut(env, "load:roster_rows:3", "cli", "run"))
    assert code == KILLED, output[-3000:]
    cut = json.loads(note.read_text())
    assert cut["inserted"] > 0, "the power went with the file's rows inserted, uncommitted"

    # A file is loaded whole or not at all: the one cut short left nothing in raw.
    with read_copy(data / "warehouse.duckdb", tmp_path / "after_cut") as con:
        assert rows_per_file(con, "roster_rows").get(cut["file"], 0) == 0
        manifest = loaded_files(con)
        assert not [f for f in manifest if f[1] == cut["file"]]
        # and the files committed before it are whole
        for table, file, _, rows in manifest:
            if table == "roster_rows":
                assert rows_per_file(con, table)[file] == rows, file

    done = tepat(env, "run")
    assert done.returncode == 0, done.stdout[-3000:]
    assert_settled(data, home)
    assert mart_rows(data / "marts") == reference["marts"]
    with read_copy(data / "warehouse.duckdb", tmp_path / "after_rerun") as con:
        assert loaded_files(con) == reference["files"]
        assert rows_per_file(con, "roster_rows")[cut["file"]] > 0


def held_a_slot_and_stayed_started(home: Path) -> str:
    """The fault was real: the killed run is STARTED and holds the pool's slot (what made
    every later night hang before the run lock). Returns its run id."""
    state = dagster_state(home)
    started = [run for run, status in state["runs"].items() if status == "STARTED"]
    assert len(started) == 1, state
    assert state["pool"] == set(started), state
    return started[0]


def test_power_cut_during_dbt(reference, tmp_path):
    data = copy_night(reference["data"], tmp_path / "data")
    home = tmp_path / "dagster_home"
    env = environment(data, home)
    before = os.path.realpath(data / "marts")

    cut_power_during_dbt(start_tepat(env, "run", "--force"))
    killed = held_a_slot_and_stayed_started(home)
    assert os.path.realpath(data / "marts") == before

    done = tepat(env, "run", "--force")  # hung forever before the run lock
    assert done.returncode == 0, done.stdout[-3000:]
    assert f"Run {killed} had stopped without finishing" in done.stdout
    assert dagster_state(home)["runs"][killed] == "FAILURE"
    assert_settled(data, home)
    assert mart_rows(data / "marts") == reference["marts"]


def test_power_cut_between_release_and_switch(reference, tmp_path):
    data = copy_night(reference["data"], tmp_path / "data")
    home = tmp_path / "dagster_home"
    note = tmp_path / "cut.json"
    env = environment(data, home, POWER_CUT_NOTE=str(note))
    before = os.path.realpath(data / "marts")

    code, output = finish(start_power_cut(env, "switch", "cli", "run", "--force"))
    assert code == KILLED, output[-3000:]
    orphan = data / ".marts_releases" / json.loads(note.read_text())["release"]
    assert (orphan / "release.json").is_file(), "a whole release, never switched to"
    assert os.path.realpath(data / "marts") == before
    held_a_slot_and_stayed_started(home)

    done = tepat(env, "run")
    assert done.returncode == 0, done.stdout[-3000:]
    assert not orphan.exists()
    assert_settled(data, home)
    assert mart_rows(data / "marts") == reference["marts"]


def test_power_cut_of_the_scheduled_run(reference, tmp_path):
    """The run the schedule launches (a process of its own, no `tepat run` around it) takes
    the lock in its settings resource; the next scheduled run settles what it left."""
    data = copy_night(reference["data"], tmp_path / "data")
    home = tmp_path / "dagster_home"
    note = tmp_path / "run.json"
    env = environment(data, home, POWER_CUT_NOTE=str(note))

    cut_power_during_dbt(start_power_cut(env, "none", "schedule"))
    killed = held_a_slot_and_stayed_started(home)
    assert killed == json.loads(note.read_text())["run_id"]

    code, output = finish(start_power_cut(env, "none", "schedule"))
    assert code == 0 and "STATUS SUCCESS" in output, output[-3000:]
    assert dagster_state(home)["runs"][killed] == "FAILURE"
    assert_settled(data, home)
    assert mart_rows(data / "marts") == reference["marts"]
