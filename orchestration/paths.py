"""Every path tepat reads or writes, in one place.

Nothing is read at import: call `Paths.from_env()` when you need them. Each path can be
overridden by an environment variable so tests and deployments can point elsewhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
REFERENCE_DIR = PROJECT_ROOT / "orchestration" / "demo" / "reference"


@dataclass(frozen=True)
class Paths:
    data_dir: Path
    raw_dir: Path
    marts_dir: Path
    exports_dir: Path
    warehouse: Path
    expectations_dir: Path = EXPECTATIONS_DIR

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Paths:
        env = os.environ if environ is None else environ
        data_dir = _absolute(env.get("TEPAT_DATA_DIR", PROJECT_ROOT / "data"))
        return cls(
            data_dir=data_dir,
            raw_dir=_absolute(env.get("TEPAT_RAW_DIR", data_dir / "raw")),
            # data/marts is a symlink to the current release: never resolve it here.
            marts_dir=_absolute(env.get("TEPAT_MARTS_DIR", data_dir / "marts")),
            exports_dir=_absolute(env.get("TEPAT_EXPORTS_DIR", data_dir / "exports")),
            warehouse=_absolute(env.get("TEPAT_WAREHOUSE", data_dir / "warehouse.duckdb")),
            expectations_dir=_absolute(env.get("TEPAT_EXPECTATIONS_DIR", EXPECTATIONS_DIR)),
        )


def _absolute(path: str | Path) -> Path:
    """Absolute and normalised, without following symlinks."""
    return Path(os.path.abspath(path))
