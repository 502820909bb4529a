"""A night with nothing new rebuilds nothing; `--force` rebuilds all the same.

The shared fixture runs the nightly job twice on the same files (tests/e2e/conftest.py).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.cli import published_in
from orchestration.paths import Paths

pytestmark = pytest.mark.e2e

PUBLISH = dg.AssetKey(["publish", "marts"])


def materialized(result) -> set[str]:
    return {
        event.event_specific_data.materialization.asset_key.to_user_string()
        for event in result.all_events
        if event.is_step_materialization
    }


def skipped_steps(result) -> set[str]:
    return {event.step_key for event in result.all_events if event.is_step_skipped}


def build_state(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select run_id, published_release from meta.build_state order by built_at"
        ).fetchall()


def test_an_unchanged_night_builds_checks_and_publishes_nothing(nightly):
    first, second, paths = nightly["first"], nightly["second"], nightly["paths"]
    assert first.success and second.success
    built_first = {key for key in materialized(first) if key.startswith("marts/")}
    assert len(built_first) == 11
    # Second night: the raw assets report their (unchanged) tables, nothing else.
    assert materialized(second) == {key for key in materialized(first) if key.startswith("raw/")}
    assert not published_in(second)
    skipped = skipped_steps(second)
    assert "publish__marts" in skipped
    assert len([s for s in skipped if s.startswith("marts__")]) == 11  # the mart gates
    mart_checks = [
        c for c in second.get_asset_check_evaluations() if c.asset_key.path[0] == "marts"
    ]
    assert mart_checks == []
    # data/marts/ still points at the first run's release, recorded as built from this input.
    release = Path(os.path.realpath(paths.marts_dir)).name
    assert build_state(paths.warehouse) == [(first.run_id, release)]


def test_force_rebuilds_and_publishes_a_new_release_of_the_same_numbers(nightly, tmp_path):
    from orchestration.cli import ensure_dagster_home, execute_nightly
    from tests.e2e.isolation import isolated_tepat

    shutil.copytree(nightly["paths"].data_dir, tmp_path / "data", symlinks=True)
    with isolated_tepat(tmp_path) as paths:
        assert paths == Paths.from_env()
        ensure_dagster_home()
        before = Path(os.path.realpath(paths.marts_dir)).name
        result = execute_nightly(paths, force=True)
        assert result.success
        assert published_in(result)
        after = Path(os.path.realpath(paths.marts_dir)).name
        assert after != before
        assert [row[1] for row in build_state(paths.warehouse)] == [before, after]
        for name, content in nightly["first_marts"].items():
            rebuilt = duckdb.sql(f"select * from '{paths.marts_dir / name}' order by all")
            original = tmp_path / "original.parquet"
            original.write_bytes(content)
            assert (
                rebuilt.fetchall()
                == duckdb.sql(f"select * from '{original}' order by all").fetchall()
            ), name


def test_the_summary_says_nothing_changed_and_which_release_stays(nightly, capsys):
    from orchestration.cli import print_summary

    print_summary(nightly["paths"], nightly["second"], elapsed=3.0)
    out = " ".join(capsys.readouterr().out.split())
    assert f"Nothing changed since run {nightly['first'].run_id}" in out
    assert "Raw gates passed: 7 of 7 (7 not re-run: their tables are unchanged)" in out
    assert "tepat run --force" in out
