"""Analysts read data/marts/ while the nightly run writes: never blocked, never a mix.

Three readers poll while a real `tepat run` (another process) rebuilds the marts from
changed raw data:
- a notebook-style reader that opened data/marts/marts.duckdb before the run and keeps the
  connection: it stays on its release, whatever is published meanwhile;
- a reader that opens data/marts/marts.duckdb afresh each time: it sees the old release,
  then the new one, and every time the row counts of one release, never a mix;
- a reader of the Parquet files themselves, through the folder data/marts points at.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

MARTS_DB = "marts.duckdb"
# A fault of its own (a second process publishing while readers read): `make test-faults`.
pytestmark = pytest.mark.faults

SLOW = 5.0  # seconds: a read slower than this would mean the reader was blocked


def counts_via_catalog(con: duckdb.DuckDBPyConnection) -> tuple[str, dict[str, int]]:
    run_id, folder = con.execute("select run_id, folder_rilis from rilis").fetchone()
    views = [
        r[0]
        for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()
    ]
    counts = {v: con.execute(f'select count(*) from "{v}"').fetchone()[0] for v in views}
    return folder, counts


def release_rows(data: Path, folder: str) -> dict[str, int]:
    release = json.loads((data / ".marts_releases" / folder / "release.json").read_text())
    return release["rows"]


def test_readers_are_never_blocked_nor_shown_a_mix_of_releases(nightly, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(nightly["paths"].data_dir, data, symlinks=True)
    marts = data / "marts"
    # New raw data, so the new release really differs: one roster less.
    roster = sorted((data / "raw" / "rosters").rglob("*.csv"))[0]
    roster.unlink()

    pinned = duckdb.connect(str(marts / MARTS_DB), read_only=True)
    first_folder, first_counts = counts_via_catalog(pinned)
    assert first_counts == release_rows(data, first_folder)

    env = {**os.environ, "TEPAT_DATA_DIR": str(data), "DAGSTER_HOME": str(tmp_path / "dh")}
    env.pop("TEPAT_WAREHOUSE", None)
    run = subprocess.Popen(
        [str(Path(sys.executable).parent / "tepat"), "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    slowest = 0.0
    polls = 0
    while True:
        finished = run.poll() is not None
        started = time.perf_counter()

        assert counts_via_catalog(pinned) == (first_folder, first_counts)

        with duckdb.connect(str(marts / MARTS_DB), read_only=True) as fresh:
            folder, counts = counts_via_catalog(fresh)
        assert counts == release_rows(data, folder), "one release's marts, all of them"
        if not seen or seen[-1] != folder:
            seen.append(folder)

        release = Path(os.path.realpath(marts))
        files = {p.stem: p for p in release.glob("*.parquet")}
        with duckdb.connect() as con:
            direct = {
                name: con.execute("select count(*) from read_parquet(?)", [str(path)]).fetchone()[0]
                for name, path in files.items()
            }
        assert direct == release_rows(data, release.name)

        slowest = max(slowest, time.perf_counter() - started)
        polls += 1
        if finished:
            break
        time.sleep(0.2)

    output = run.stdout.read()
    assert run.returncode == 0, output[-3000:]
    assert polls > 10
    assert slowest < SLOW
    # The old release, then the new one: never back, nothing in between.
    assert len(seen) == 2 and seen[0] == first_folder, seen
    assert release_rows(data, seen[1]) != first_counts
    pinned.close()
