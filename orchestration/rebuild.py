"""`tepat rebuild`: a new warehouse from data/raw/, the source of truth.

For a damaged data/warehouse.duckdb (orchestration/warehouse_health.py). Nothing is deleted:
the old file (and its write-ahead log) is renamed beside itself, `warehouse.damaged-<when>.duckdb`
(a rename needs no disk space), where it stays until someone removes it. The new warehouse
loads every file under data/raw/ again, dbt builds every model, the checks run, and the marts
are published as a new release, as any night does.

What the warehouse kept besides the raw files is not in data/raw/: the publication history
(`meta.build_state`) is restored from the releases' own release.json files; the history of
replaced files (`raw_history`), earlier check results and the manifest of removed files stay
in the damaged file only. The audit log of verval exports (data/audit/) and the releases under
data/.marts_releases/ are not touched.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb

from orchestration.paths import Paths


def move_aside(paths: Paths) -> list[Path]:
    """Rename the warehouse file and its write-ahead log out of the way; returns the new
    names (empty when there was no warehouse)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    warehouse = paths.warehouse
    target = warehouse.with_name(f"{warehouse.stem}.damaged-{stamp}{warehouse.suffix}")
    moved: list[Path] = []
    for suffix in ("", ".wal"):
        source = Path(f"{warehouse}{suffix}")
        if source.exists():
            destination = Path(f"{target}{suffix}")
            source.rename(destination)
            moved.append(destination)
    return moved


def restore_publications(paths: Paths) -> int:
    """Write what each release's release.json says about its publication into the new
    warehouse's `meta.build_state` (oldest first). Returns how many were restored."""
    from orchestration.assets.publish import RELEASE_FILE, releases_dir
    from orchestration.fingerprints import STATE_DDL

    found = []
    folder = releases_dir(paths.marts_dir)
    for release in sorted(folder.glob(f"*/{RELEASE_FILE}")) if folder.is_dir() else []:
        try:
            about = json.loads(release.read_text())
            found.append((about.get("run_id") or "unknown", release.parent.name,
                          about["published_at"]))  # fmt: skip
        except (OSError, ValueError, KeyError):
            continue
    if not found:
        return 0
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute(STATE_DDL)
        for run_id, release, published_at in found:
            con.execute(
                "insert into meta.build_state by name select ? as run_id, "
                "'restored from release.json' as fingerprint, "
                "?::timestamptz::timestamp as built_at, ? as published_release, "
                "?::timestamptz::timestamp as published_at",
                [run_id, published_at, release, published_at],
            )
    return len(found)
