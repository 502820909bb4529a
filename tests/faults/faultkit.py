"""Helpers of the fault tests: real processes, real kills, and what must survive them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from orchestration.paths import PROJECT_ROOT

BIN = Path(sys.executable).parent
POWER_CUT = Path(__file__).with_name("power_cut.py")
#: A run on this data takes a minute or two; a recovery that hangs on a pool slot never ends.
RUN_TIMEOUT = 900


def environment(data: Path, dagster_home: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "TEPAT_DATA_DIR": str(data), "DAGSTER_HOME": str(dagster_home)}
    for name in ("TEPAT_WAREHOUSE", "TEPAT_RAW_DIR", "TEPAT_MARTS_DIR", "TEPAT_EXPORTS_DIR"):
        env.pop(name, None)
    env.update(extra)
    return env


def tepat(env: dict[str, str], *args: str, timeout: float = RUN_TIMEOUT):
    """`tepat <args>` in a process of its own; stdout and stderr together."""
    return subprocess.run(
        [str(BIN / "tepat"), *args],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )


def start(env: dict[str, str], *command: str) -> subprocess.Popen:
    """A process in a session of its own, so a power cut can take it and its children."""
    return subprocess.Popen(
        list(command),
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def start_tepat(env, *args: str) -> subprocess.Popen:
    return start(env, str(BIN / "tepat"), *args)


def start_power_cut(env, point: str, *how: str) -> subprocess.Popen:
    return start(env, sys.executable, str(POWER_CUT), point, *how)


def finish(process: subprocess.Popen, timeout: float = RUN_TIMEOUT) -> tuple[int, str]:
    output, _ = process.communicate(timeout=timeout)
    return process.returncode, output


def session_processes(session: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process in a session."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getsid(int(entry.name)) != session:
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ProcessLookupError):
            continue
        found.append((int(entry.name), cmdline))
    return found


def cut_power_during_dbt(process: subprocess.Popen, after: float = 4.0) -> None:
    """Wait until the run's `dbt build` is running, let it build for `after` seconds, then
    SIGKILL the whole session (the run and dbt), as a power cut does."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("the run ended before its dbt step: " + process.stdout.read())
        if any(" build " in cmd and "dbt" in cmd for _, cmd in session_processes(process.pid)):
            break
        time.sleep(0.3)
    time.sleep(after)
    assert process.poll() is None, "the run ended before the power cut"
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    # Nothing of the session survives a power cut.
    deadline = time.monotonic() + 30
    while session_processes(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not session_processes(process.pid)


def copy_night(source: Path, target: Path, warehouse: bool = True) -> Path:
    """A copy of a data folder (its raw files, and with `warehouse` everything else)."""
    if warehouse:
        shutil.copytree(source, target, symlinks=True)
    else:
        shutil.copytree(source / "raw", target / "raw")
    return target


def read_copy(warehouse: Path, tmp: Path) -> duckdb.DuckDBPyConnection:
    """A connection to a copy of a warehouse (with its write-ahead log), so reading it after
    a kill changes nothing of the evidence."""
    tmp.mkdir(parents=True, exist_ok=True)
    copy = tmp / "look.duckdb"
    for suffix in ("", ".wal"):
        if Path(f"{warehouse}{suffix}").exists():
            shutil.copy(f"{warehouse}{suffix}", f"{copy}{suffix}")
    return duckdb.connect(str(copy))


def mart_rows(marts_dir: Path) -> dict[str, list[tuple]]:
    """Every published mart's rows, sorted: equal for two runs that built the same marts."""
    with duckdb.connect() as con:
        return {
            path.stem: con.execute(
                "select * from read_parquet(?) order by all", [str(path)]
            ).fetchall()
            for path in sorted(Path(marts_dir).glob("*.parquet"))
        }


def loaded_files(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """The active manifest: (table, file, checksum, rows), what raw holds file by file."""
    return con.execute(
        "select table_name, file_path, checksum, row_count from meta.file_manifest "
        "where removed_at is null order by all"
    ).fetchall()


def rows_per_file(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, int]:
    return dict(
        con.execute(f"select _source_file, count(*) from raw.{table} group by 1").fetchall()
    )


def dagster_state(dagster_home: Path) -> dict:
    """Runs by status, and the runs holding or waiting for a pool slot."""
    import dagster as dg

    from orchestration.runlock import pool_holders

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        records = instance.get_run_records()
        runs = {r.dagster_run.run_id: r.dagster_run.status.value for r in records}
        return {"runs": runs, "pool": pool_holders(instance)}


def assert_settled(data: Path, dagster_home: Path) -> None:
    """What a recovered night leaves: no stale lock, no unfinished run holding a pool slot,
    no temporary release, and data/marts pointing at a whole release, the newest."""
    from orchestration.runlock import holder_if_running

    assert holder_if_running(data) is None, "no stale lock"
    state = dagster_state(dagster_home)
    unfinished = {r: s for r, s in state["runs"].items() if s in ("STARTED", "STARTING")}
    assert not unfinished, state
    assert not state["pool"], state
    assert not list(data.glob(".marts.*.tmp")), "no temporary link"
    marts = data / "marts"
    assert marts.is_symlink()
    current = Path(os.path.realpath(marts))
    releases = sorted(p for p in (data / ".marts_releases").iterdir() if p.is_dir())
    assert all((p / "release.json").is_file() for p in releases), releases
    assert current == releases[-1].resolve(), (current, releases)
    release = json.loads((current / "release.json").read_text())
    for name, rows in release["rows"].items():
        assert (current / f"{name}.parquet").is_file(), name
        with duckdb.connect() as con:
            got = con.execute(
                "select count(*) from read_parquet(?)", [str(current / f"{name}.parquet")]
            ).fetchone()[0]
        assert got == rows, name
