"""Two runs at once: the second says in plain words which run is in progress and stops;
never DuckDB's lock error, never two writers (docs/reliability.md).

The lock itself is an OS lock: the kernel drops it when its process dies, so a killed
holder leaves no stale lock, and a second process waiting for it gets it then.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import dagster as dg
import pytest

from orchestration.runlock import LOCK_FILE, holder_if_running
from tests.faults.faultkit import (
    assert_settled,
    copy_night,
    environment,
    finish,
    mart_rows,
    start_power_cut,
    start_tepat,
    tepat,
)

pytestmark = pytest.mark.faults

RAW_ENGINE_WORDS = ("Could not set lock", "Conflicting lock", "IO Error", "Traceback")

HOLD = """
import sys, time
from orchestration.runlock import night_lock
with night_lock(sys.argv[1], sys.argv[2], "a test holder", wait_seconds=float(sys.argv[3])):
    print("HELD", flush=True)
    time.sleep(float(sys.argv[4]))
"""


def hold(folder, run_id: str, wait: float, seconds: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder), run_id, str(wait), str(seconds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_the_lock_dies_with_its_process_and_a_waiting_run_gets_it(tmp_path):
    first = hold(tmp_path, "first", 0, 600)
    assert first.stdout.readline().strip() == "HELD"
    holder = holder_if_running(tmp_path)
    assert (holder.run_id, holder.pid) == ("first", first.pid)

    refused = hold(tmp_path, "second", 0, 0)
    assert refused.wait(timeout=60) != 0
    said = refused.stdout.read()
    assert "already in progress" in said and "run first" in said and str(first.pid) in said

    waiting = hold(tmp_path, "third", 120, 0)
    time.sleep(3)
    assert waiting.poll() is None, "waits while the first holds the lock"
    first.kill()  # SIGKILL: no chance to clean up
    first.wait(timeout=30)
    assert waiting.stdout.readline().strip() == "HELD"
    assert waiting.wait(timeout=60) == 0
    assert holder_if_running(tmp_path) is None, "no stale lock"
    last = json.loads((tmp_path / LOCK_FILE).read_text())
    assert last["run_id"] == "third"


def test_a_second_run_while_one_runs(reference, tmp_path, monkeypatch):
    data = copy_night(reference["data"], tmp_path / "data")
    home = tmp_path / "dagster_home"
    env = environment(data, home)
    first = start_tepat(env, "run", "--force")
    deadline = time.monotonic() + 300
    while (holder := holder_if_running(data)) is None or holder.pid != first.pid:
        assert first.poll() is None and time.monotonic() < deadline, first.stdout.read()
        time.sleep(0.2)

    # `tepat run` from a second terminal
    second = tepat(env, "run", "--force", timeout=120)
    assert second.returncode == 3, second.stdout
    assert "already in progress" in second.stdout
    assert holder.run_id in second.stdout and f"process {first.pid}" in second.stdout
    assert holder.started_at in second.stdout
    assert not [w for w in RAW_ENGINE_WORDS if w in second.stdout], second.stdout

    # the schedule and the sensor look, and skip
    monkeypatch.setenv("TEPAT_DATA_DIR", str(data))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    from orchestration.paths import Paths
    from orchestration.schedules import new_raw_files_sensor, nightly_request

    tick = nightly_request(Paths.from_env())
    assert isinstance(tick, dg.SkipReason) and holder.run_id in tick.skip_message
    sensed = new_raw_files_sensor(dg.build_sensor_context(cursor="an older fingerprint"))
    assert isinstance(sensed, dg.SkipReason) and "in progress" in sensed.skip_message

    # a run the daemon launched anyway (two ticks at once) stops before any step
    code, output = finish(start_power_cut(env, "none", "schedule"), timeout=600)
    assert code == 1 and "STATUS FAILURE" in output, output[-3000:]
    launched = output.split("RUN ", 1)[1].split()[0]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.get_records_for_run(launched).records
        events = [r.event_log_entry for r in records]
    assert not [e for e in events if e.dagster_event and e.dagster_event.is_step_start]
    assert any("already in progress" in (e.user_message or "") for e in events)

    code, output = finish(first)
    assert code == 0, output[-3000:]
    assert_settled(data, home)
    assert mart_rows(data / "marts") == reference["marts"]
