"""Issue 16, "many files": a province's rosters as agencies send them — 5,000 roster files over
23 kabupaten/kota — load within the DuckDB memory bound, and a night with one changed file
among them reads only that one.

The load runs in a child process with TEPAT_DUCKDB_MEMORY_LIMIT set, so its peak resident
memory (the whole process: Python, pyarrow, DuckDB) can be measured and compared with it.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.ingest import loader
from orchestration.ingest.loader import pending_changes, sync_source
from orchestration.ingest.sources import SOURCES_BY_TABLE
from orchestration.resources import warehouse_connection

pytestmark = pytest.mark.faults

ROSTERS = SOURCES_BY_TABLE["roster_rows"]
FILES = 5_000
#: NTT's 22 kabupaten and Kota Kupang
KABKOTA = [f"53{c:02d}" for c in range(1, 23)] + ["5371"]
PROGRAMS = ["PKH", "BPNT", "PBI_JK", "KPG_RTLH", "PIP"]
MEMORY_LIMIT = "512MB"
MEMORY_LIMIT_BYTES = 512 * 1024 * 1024
#: every file was last written this long ago (older than loader.RACY_SECONDS)
SETTLED = time.time() - 3600


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> None:
    """The loader needs no dbt project; override the suite's session fixture."""


CHILD = """
import json, re, sys, time
from pathlib import Path
from orchestration.ingest.loader import sync_source
from orchestration.ingest.sources import SOURCES_BY_TABLE
from orchestration.resources import warehouse_connection

started = time.perf_counter()
with warehouse_connection(sys.argv[2]) as con:
    result = sync_source(con, SOURCES_BY_TABLE["roster_rows"], Path(sys.argv[1]))
print(json.dumps({
    "loaded": len(result.loaded), "rows": result.rows_loaded, "total": result.total_rows,
    "seconds": time.perf_counter() - started,
    # VmHWM: this process's own peak. getrusage's ru_maxrss would also count the pytest
    # process this child was forked from (Linux keeps the larger of the two across exec).
    "peak_rss": int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text())[1])
    * 1024,
}))
"""


def write_rosters(raw: Path) -> int:
    """5,000 small CSV rosters, one per desa and programme, as agencies send them."""
    rng = random.Random(16)
    rows_written = 0
    for i in range(FILES):
        kabkota = KABKOTA[i % len(KABKOTA)]
        program = PROGRAMS[(i // len(KABKOTA)) % len(PROGRAMS)]
        folder = raw / "rosters" / kabkota / "2025" / program
        folder.mkdir(parents=True, exist_ok=True)
        lines = ["nik,no_kk,nama,kode_wilayah,tahap,nilai_bantuan"]
        for r in range(rng.randint(5, 40)):
            lines.append(
                f"{kabkota}01{r % 28 + 1:02d}0180{i:04d},{kabkota}0101200{r:03d}1,"
                f"Penerima {r},{kabkota}011001,{r % 4 + 1},750000"
            )
        rows_written += len(lines) - 1
        path = folder / f"{program}_{kabkota}_desa{i:05d}.csv"
        path.write_text("\n".join(lines) + "\n")
        os.utime(path, (SETTLED, SETTLED))
    return rows_written


def test_5000_roster_files_load_within_memory_and_one_change_reads_one_file(tmp_path, monkeypatch):
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse.duckdb"
    rows_written = write_rosters(raw)

    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(raw), str(warehouse)],
        env={**os.environ, "TEPAT_DUCKDB_MEMORY_LIMIT": MEMORY_LIMIT},
        capture_output=True,
        text=True,
        check=True,
    )
    first = json.loads(child.stdout.strip().splitlines()[-1])
    print(
        f"\n5,000 files: {first['seconds']:.0f} s, peak RSS "
        f"{first['peak_rss'] / 2**20:.0f} MB (DuckDB limit {MEMORY_LIMIT})"
    )
    assert first["loaded"] == FILES
    assert first["rows"] == first["total"] == rows_written
    assert first["peak_rss"] < MEMORY_LIMIT_BYTES

    # Count what a night reads: checksums (whole-file reads) and loads.
    hashed: list[Path] = []
    loaded: list[Path] = []
    read_digest, load_file = loader._read_digest, loader._load_file

    def counting_digest(path, check_utf8):
        hashed.append(Path(path))
        return read_digest(path, check_utf8)

    def counting_load(con, source, raw_dir, path, *args, **kwargs):
        loaded.append(Path(path))
        return load_file(con, source, raw_dir, path, *args, **kwargs)

    monkeypatch.setattr(loader, "_read_digest", counting_digest)
    monkeypatch.setattr(loader, "_load_file", counting_load)

    with warehouse_connection(warehouse, read_only=True) as con:
        assert pending_changes(con, ROSTERS, raw) == []  # nothing new: nothing is read
    assert hashed == []

    changed = sorted((raw / "rosters" / "5371").rglob("*.csv"))[3]
    with changed.open("a") as handle:
        handle.write("5371012801809999,5371010120099991,Penerima Baru,5371011001,4,750000\n")
    os.utime(changed, (SETTLED + 60, SETTLED + 60))
    relative = changed.relative_to(raw).as_posix()

    with warehouse_connection(warehouse) as con:
        assert pending_changes(con, ROSTERS, raw) == [relative]
        assert hashed == [changed]
        hashed.clear()
        started = time.perf_counter()
        result = sync_source(con, ROSTERS, raw)
        seconds = time.perf_counter() - started
        total = con.execute("select count(*) from raw.roster_rows").fetchone()[0]
    print(f"one changed file among 5,000: {seconds:.1f} s")
    assert result.loaded == [relative]
    assert len(result.unchanged) == FILES - 1
    assert hashed == [changed] and loaded == [changed]
    assert total == rows_written + 1
