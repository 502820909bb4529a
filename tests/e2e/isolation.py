"""A tepat environment of its own for a module- or session-wide run."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from orchestration.paths import Paths


@contextlib.contextmanager
def isolated_tepat(base: Path) -> Iterator[Paths]:
    """A data folder and Dagster home of their own under `base`, for a module- or
    session-wide run; the environment is restored afterwards."""
    saved = dict(os.environ)
    os.environ["TEPAT_DATA_DIR"] = str(base / "data")
    os.environ["DAGSTER_HOME"] = str(base / "dagster_home")
    os.environ.pop("TEPAT_WAREHOUSE", None)
    try:
        yield Paths.from_env()
    finally:
        os.environ.clear()
        os.environ.update(saved)
