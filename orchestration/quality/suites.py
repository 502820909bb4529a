"""Great Expectations suites of expectations/, and the thresholds that go with them.

A suite is GX 1.x JSON (`name`, `expectations`, `meta`). tepat adds, in `meta`:
- `asset`: the Dagster asset key the suite guards, e.g. ["raw", "roster_rows"];
- `table`: for raw suites, the raw table whose quarantine threshold applies;
- `batches`: named SQL queries run read-only against the warehouse; each expectation's
  `meta.batch` names the batch it validates. A batch with `per_file: true` is validated
  file by file (the query returns `_source_file`), so a failure names its file.
Expectations with `meta.quarantine_rule: true` describe a row rule whose bad rows are
quarantined: they get `mostly = 1 - threshold` of the file, from thresholds.yml.
- `holds_back_files: true` (rosters, BPS): a file that fails a per-file expectation is held
  back whole instead of failing the check (DESIGN §4); the check writes it to
  meta.held_back_files (orchestration/quality/holdback.py), which dbt reads.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Suite:
    name: str
    path: Path
    asset: tuple[str, ...]
    table: str | None
    batches: dict[str, dict[str, Any]]
    expectations: list[dict[str, Any]]
    description: str
    #: a failing file is held back, not blocking (DESIGN §4)
    holds_back_files: bool = False

    @property
    def check_name(self) -> str:
        return f"ge_{self.name}"


def load_suites(expectations_dir: Path) -> list[Suite]:
    suites = []
    for path in sorted(expectations_dir.glob("*.json")):
        data = json.loads(path.read_text())
        meta = data.get("meta", {})
        batches = meta.get("batches", {})
        for expectation in data["expectations"]:
            batch = expectation.get("meta", {}).get("batch")
            if batch not in batches:
                raise ValueError(
                    f"{path.name}: expectation {expectation['type']} has unknown batch {batch!r}"
                )
        suites.append(
            Suite(
                name=data["name"],
                path=path,
                asset=tuple(meta["asset"]),
                table=meta.get("table"),
                batches=batches,
                expectations=data["expectations"],
                description=meta.get("guards", ""),
                holds_back_files=bool(meta.get("holds_back_files", False)),
            )
        )
    return suites


def threshold_for(thresholds: dict[str, Any], table: str | None, file: str | None) -> float:
    """The share of a file's rows that may be quarantined (same rules as the dbt macro)."""
    for pattern, share in (thresholds.get("files") or {}).items():
        if file is not None and fnmatch.fnmatch(file, pattern):
            return float(share)
    return float((thresholds.get("tables") or {}).get(table, thresholds.get("default", 0.05)))
