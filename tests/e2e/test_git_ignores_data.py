"""Nothing tepat writes under data/ can be committed by `git add -A` (issue 17): the
warehouse, marts, releases, exports, the audit log of personal-data exports, run logs."""

from __future__ import annotations

import subprocess

from orchestration.paths import PROJECT_ROOT


def ignored(paths: list[str]) -> set[str]:
    """The paths (relative to the project) that git would not add."""
    out = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "check-ignore", "--no-index", "--stdin"],
        input="\n".join(paths),
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode in (0, 1), out.stderr  # 1: none of them is ignored
    return set(out.stdout.splitlines())


def test_every_file_a_night_writes_under_data_is_ignored(nightly):
    data_dir = nightly["paths"].data_dir
    written = [
        "data/" + str(path.relative_to(data_dir))
        for path in data_dir.rglob("*")
        if path.is_file() or path.is_symlink()
    ]
    # Written by commands the shared night does not run (exports, verval, docs, run logs).
    written += [
        "data/audit/verval_exports.jsonl",
        "data/exports/rpjmd_5371.xlsx",
        "data/logs/20261207T010000-1234abcd.log",
        "data/docs/index.html",
        "data/.tepat-run.lock",
        "data/warehouse.duckdb.wal",
        "data/warehouse.damaged-20261207.duckdb",
    ]
    assert len(written) > 50  # the night wrote its warehouse, marts, releases and GE results
    assert sorted(set(written) - ignored(written)) == []


def test_the_raw_folder_placeholder_stays_tracked():
    assert ignored(["data/raw/.gitkeep", "orchestration/cli.py"]) == set()
