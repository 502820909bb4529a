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

from orchestration.night_report import published_in
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
    assert "mart_quality_gates" in skipped  # the mart gates: one step, 11 suites
    mart_checks = [
        c for c in second.get_asset_check_evaluations() if c.asset_key.path[0] == "marts"
    ]
    assert mart_checks == []
    # data/marts/ still points at the first run's release, recorded as built from this input.
    release = Path(os.path.realpath(paths.marts_dir)).name
    assert build_state(paths.warehouse) == [(first.run_id, release)]


def test_force_rebuilds_and_publishes_a_new_release_of_the_same_numbers(nightly, tmp_path):
    from orchestration.night import ensure_dagster_home, execute_nightly
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
    from orchestration.night_report import print_summary

    print_summary(nightly["paths"], nightly["second"], elapsed=3.0)
    out = " ".join(capsys.readouterr().out.split())
    assert f"Nothing changed since run {nightly['first'].run_id}" in out
    assert "Raw gates passed: 7 of 7 (7 not re-run: their tables are unchanged)" in out
    assert "tepat run --force" in out


def test_with_nothing_new_no_run_is_started_at_all(nightly):
    """`tepat run` and the nightly schedule ask before launching (orchestration/fingerprints.py)."""
    from orchestration.fingerprints import unchanged_publication
    from orchestration.schedules import nightly_request

    paths, first = nightly["paths"], nightly["first"]
    published = unchanged_publication(paths)
    assert published is not None and published.run_id == first.run_id
    assert published.release == Path(os.path.realpath(paths.marts_dir)).name
    request = nightly_request(paths)
    assert isinstance(request, dg.SkipReason)
    assert f"Nothing changed since run {first.run_id}" in request.skip_message


def copy_of_the_night(nightly, base: Path) -> Path:
    shutil.copytree(nightly["paths"].data_dir, base / "data", symlinks=True)
    return base


def test_a_new_raw_file_or_new_code_means_a_run(nightly, tmp_path, monkeypatch):
    from orchestration import fingerprints
    from orchestration.schedules import nightly_request
    from tests.e2e.isolation import isolated_tepat

    with isolated_tepat(copy_of_the_night(nightly, tmp_path)) as paths:
        assert fingerprints.unchanged_publication(paths) is not None
        with monkeypatch.context() as patched:
            patched.setattr(fingerprints, "code_state", lambda expectations_dir: "new code")
            assert fingerprints.unchanged_publication(paths) is None
        roster = next(paths.raw_dir.glob("rosters/**/*.csv"))
        roster.write_text(roster.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        assert fingerprints.unchanged_publication(paths) is None
        assert isinstance(nightly_request(paths), dg.RunRequest)


def test_a_quiet_night_names_unread_files_and_a_new_copy_means_a_run(nightly, tmp_path):
    """DESIGN §2: nothing under data/raw/ is ignored silently, even on a night with no run."""
    from orchestration import fingerprints
    from orchestration.schedules import nightly_request
    from tests.e2e.isolation import isolated_tepat

    with isolated_tepat(copy_of_the_night(nightly, tmp_path)) as paths:
        (paths.raw_dir / "Laporan TKPK.pdf").write_bytes(b"%PDF-1.4")
        request = nightly_request(paths)
        assert isinstance(request, dg.SkipReason)
        assert "Not read: 1 file(s) under data/raw/" in request.skip_message
        assert "data/raw/Laporan TKPK.pdf: it is in no folder tepat reads" in request.skip_message
        # A copy is recorded by a run (then it is known, and quiet nights stay run-free).
        roster = next(paths.raw_dir.glob("rosters/**/*.csv"))
        shutil.copyfile(roster, roster.with_name(f"{roster.stem} - Copy.csv"))
        assert fingerprints.unchanged_publication(paths) is None


def test_tepat_run_says_no_run_was_started(nightly, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from orchestration.cli import app
    from tests.e2e.isolation import isolated_tepat

    with isolated_tepat(copy_of_the_night(nightly, tmp_path)):
        monkeypatch.setattr("orchestration.verval.ensure_pseudonym_key", lambda: None)
        result = CliRunner().invoke(app, ["run"])
    out = " ".join(result.output.split())
    assert result.exit_code == 0, out
    assert f"Nothing changed since run {nightly['first'].run_id}" in out
    assert "no run was started" in out
