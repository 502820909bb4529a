"""What decides that a night has nothing to rebuild (orchestration/fingerprints.py)."""

from __future__ import annotations

import logging
import os

import duckdb
import pytest

from orchestration import fingerprints
from orchestration.fingerprints import Fingerprint
from orchestration.ingest.loader import MANIFEST_DDL


@pytest.fixture
def con():
    with duckdb.connect() as con:
        con.execute(MANIFEST_DDL)
        yield con


def add_file(con, table: str, path: str, checksum: str) -> None:
    con.execute(
        "update meta.file_manifest set removed_at = now() "
        "where table_name = ? and file_path = ? and removed_at is null",
        [table, path],
    )
    con.execute(
        "insert into meta.file_manifest (table_name, file_path, checksum, loaded_at) "
        "values (?, ?, ?, now())",
        [table, path, checksum],
    )


def test_a_table_state_changes_with_its_files_only(con):
    add_file(con, "roster_rows", "rosters/a.csv", "aa")
    add_file(con, "bps_indicators", "bps/b.csv", "bb")
    rosters, bps, whole = (
        fingerprints.table_state(con, "roster_rows"),
        fingerprints.table_state(con, "bps_indicators"),
        fingerprints.raw_state(con),
    )
    assert fingerprints.table_state(con, "roster_rows") == rosters  # stable
    add_file(con, "roster_rows", "rosters/a.csv", "a2")  # replaced
    assert fingerprints.table_state(con, "roster_rows") != rosters
    assert fingerprints.table_state(con, "bps_indicators") == bps
    assert fingerprints.raw_state(con) != whole
    changed = fingerprints.table_state(con, "roster_rows")
    con.execute("update meta.file_manifest set removed_at = now() where checksum = 'a2'")
    assert fingerprints.table_state(con, "roster_rows") not in (rosters, changed)  # removed


def test_the_latest_publication_says_what_changed_since(con, tmp_path):
    assert fingerprints.last_published(con, Fingerprint("r1", "c1")) is None
    fingerprints.record_build(con, "run-1", Fingerprint("r1", "c1"))
    assert fingerprints.last_published(con, Fingerprint("r1", "c1")) is None  # built, not published
    fingerprints.record_publication(con, "run-1", "20261122T010000-aaaa")
    same = fingerprints.last_published(con, Fingerprint("r1", "c1"))
    assert (same.run_id, same.release, same.changed) == ("run-1", "20261122T010000-aaaa", "")
    assert fingerprints.last_published(con, Fingerprint("r2", "c1")).changed == "raw data"
    assert fingerprints.last_published(con, Fingerprint("r2", "c2")).changed == (
        "raw data and code, quality suites or library versions"
    )
    # A later build from other input that failed before publication does not count.
    fingerprints.record_build(con, "run-2", Fingerprint("r2", "c1"))
    assert fingerprints.last_published(con, Fingerprint("r1", "c1")).run_id == "run-1"


def test_only_the_release_data_marts_points_at_is_current(tmp_path):
    releases = tmp_path / ".marts_releases"
    for name in ("r1", "r2"):
        (releases / name).mkdir(parents=True)
    (releases / "r1" / "release.json").write_text("{}")
    marts = tmp_path / "marts"
    os.symlink(".marts_releases/r1", marts)
    published = fingerprints.Published("run-1", "r1", "2026-11-22")
    assert fingerprints.is_current(marts, published)
    assert fingerprints.still_published(marts, published) is published
    assert not fingerprints.is_current(marts, fingerprints.Published("run-2", "r2", "2026-11-22"))
    changed = fingerprints.Published("run-1", "r1", "2026-11-22", changed="raw data")
    assert fingerprints.still_published(marts, changed) is None
    assert fingerprints.still_published(marts, None) is None
    (releases / "r1" / "release.json").unlink()  # an incomplete release is not trusted
    assert not fingerprints.is_current(marts, published)
    assert fingerprints.still_published(marts, published) is None
    assert not fingerprints.is_current(tmp_path / "missing", published)


def test_code_state_follows_the_suites_but_not_build_output(tmp_path):
    suites = tmp_path / "expectations"
    suites.mkdir()
    (suites / "raw_x.json").write_text('{"name": "raw_x"}')
    before = fingerprints.code_state(suites)
    assert fingerprints.code_state(suites) == before
    (suites / "thresholds.yml").write_text("default: 0.05\n")
    assert fingerprints.code_state(suites) != before

    project = tmp_path / "dbt_project"
    (project / "models").mkdir(parents=True)
    (project / "models" / "m.sql").write_text("select 1")
    state = fingerprints.files_state(project)
    (project / "target").mkdir()
    (project / "target" / "manifest.json").write_text("{}")
    (project / "logs").mkdir()
    (project / "logs" / "dbt.log").write_text("x")
    assert fingerprints.files_state(project) == state
    (project / "models" / "m.sql").write_text("select 2")
    assert fingerprints.files_state(project) != state


def test_force_tag():
    assert fingerprints.is_forced({fingerprints.FORCE_TAG: "true"})
    assert not fingerprints.is_forced({})
    assert not fingerprints.is_forced({fingerprints.FORCE_TAG: "false"})


def test_only_the_skipped_gate_notice_is_quieted(caplog):
    fingerprints.quiet_skipped_gate_notices()
    fingerprints.quiet_skipped_gate_notices()  # idempotent
    logger = logging.getLogger("dagster._core.execution.plan.active")
    assert len([f for f in logger.filters if isinstance(f, fingerprints._SkippedGateNotice)]) == 1
    with caplog.at_level(logging.WARNING, logger=logger.name):
        logger.warning("Blocking asset check 'x' emitted no result in step 'y'; downstream …")
        logger.warning("something else")
    assert [r.getMessage() for r in caplog.records] == ["something else"]
