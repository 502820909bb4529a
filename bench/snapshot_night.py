"""One new-registry-snapshot night on a size's loaded bench warehouse, measured as `make
bench` measures its incremental nights (issue 20), without the full night before it:

    .venv/bin/python -m bench.snapshot_night 10m [--ref HEAD]

It writes the next quarter's snapshot (`write_next_snapshot`), runs one night with the code
of `--ref` (default: the working tree), removes the snapshot's files again and writes the
measurement to bench/results/<UTC>-<size>-snapshot-night.json. Used to rerun the 10m
snapshot night after the raw gates ran out of memory in it (bench/README.md)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Annotated

import typer

from bench.run import (
    INCREMENTAL_MARKER,
    RESULTS_DIR,
    Bench,
    _next_quarter_end,
    write_next_snapshot,
)


def main(
    size: str,
    ref: Annotated[str | None, typer.Option(help="measure this revision")] = None,
    cache_dir: Annotated[Path, typer.Option()] = Path("bench/data"),
) -> None:
    started = dt.datetime.now(dt.UTC)
    bench = Bench(cache_dir, 42, 0.1, False, ref, "6GB")
    size_dir = bench.size_dir(size)
    bench.phase("prepare", {}, bench.environment(size_dir), size_dir / "logs", "prepare")
    raw = size_dir / "raw"
    latest = sorted(p for p in (raw / "registry").iterdir() if p.is_dir())[-1]
    snapshot = raw / "registry" / _next_quarter_end(latest.name)
    marker = size_dir / INCREMENTAL_MARKER
    marker.write_text(f"{snapshot}\n")  # a night killed here makes the next bench regenerate
    try:
        written = write_next_snapshot(latest, snapshot, size_dir / "tmp")
        run = bench.pipeline_run(size_dir, "run_new_snapshot_alone", "duckdb")
    finally:
        shutil.rmtree(snapshot, ignore_errors=True)
        marker.unlink()
    record = {
        "size": size,
        "started_at": started.isoformat(timespec="seconds"),
        "git": bench.git,
        "change": f"new {snapshot.relative_to(raw)} (written in {written:.1f} s)",
        **{k: run.get(k) for k in ("success", "failure", "seconds", "peak_bytes")},
        "stages": {k: v["seconds"] for k, v in run["stages"].items()},
        "steps": [(s["step"], s["seconds"]) for s in run.get("steps", [])],
        "dbt_nodes": run.get("dbt_nodes", [])[:20],
    }
    out = RESULTS_DIR / f"{started:%Y%m%dT%H%M%SZ}-{size}-snapshot-night.json"
    out.write_text(json.dumps(record, indent=1, default=str))
    print(f"{'success' if run['success'] else 'FAILED'}: {run['seconds']:.1f} s; {out}")


if __name__ == "__main__":
    typer.run(main)
