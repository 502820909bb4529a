"""Compile a snippet of dbt Jinja (our macros) to the SQL dbt would run, without a warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration.paths import DBT_PROJECT_DIR


def compile_inline(inline: str, target: Path) -> str:
    """`dbt compile --inline` in our project; `target` takes dbt's target and log files."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "compile", "--quiet", "--inline", inline,
         "--target-path", str(target), "--log-path", str(target)],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "TEPAT_WAREHOUSE": str(target / "unused.duckdb")},
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    return result.stdout.strip()
