"""Issue 17, items 4 and 5 (DESIGN §4.1), on real nights after the shared published one
(tests/e2e/conftest.py), on a copy of its data folder and Dagster home:

1. a night that adds one roster and changes another: the summary names both, with counts;
2. a night that stops on a broken registry file: the summary names the file;
3. the file is taken away and `tepat run` starts no run (a quiet night);
then `tepat check` must say that the latest night started no run, show the published run,
and count its checks as the summary of that run did.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.fingerprints import QUIET_NIGHT_FILE
from orchestration.night_report import console, print_check, print_summary
from tests.e2e.isolation import isolated_tepat

pytestmark = pytest.mark.e2e

ADDED = "rosters/5371/2025/PKH/PKH_5371_2025_susulan.csv"
CHANGED = "rosters/5301/2025/PKH/PKH_5301_2025_tahap1.csv"
BROKEN = "registry/2026-03-31/keluarga.csv"
GOOD_ROWS = 40


def _add_and_change_rosters(raw: Path) -> int:
    """A late roster of 42 rows (40 registry people, one unknown desa, one negative
    amount); the tahap-1 roster of 5301 loses its last 3 rows. Returns the latter's rows."""
    snapshot = raw / "registry" / "2025-03-31"
    with duckdb.connect() as con:
        people = con.execute(
            f"""select a.nik, k.no_kk, a.nama, k.kode_wilayah
            from read_csv('{snapshot / "anggota.csv"}', all_varchar = true) a
            join read_csv('{snapshot / "keluarga.csv"}', all_varchar = true) k using (id_keluarga)
            where a.status = 'hidup' and k.kode_wilayah like '5371%'
            order by a.nik limit {GOOD_ROWS + 2}"""
        ).fetchall()
    rows = [[nik, kk, nama, desa, "2", "600000"] for nik, kk, nama, desa in people]
    rows[-2][3] = "5371999999"  # no such desa: kode_wilayah_tidak_dikenal
    rows[-1][5] = "-600000"  # nilai_bantuan_negatif
    with (raw / ADDED).open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["nik", "no_kk", "nama", "kode_wilayah", "tahap", "nilai_bantuan"])
        writer.writerows(rows)
    lines = (raw / CHANGED).read_text(encoding="utf-8").splitlines()[:-3]
    (raw / CHANGED).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1


def _captured(call, *args) -> tuple[str, object]:
    with console.capture() as captured:
        value = call(*args)
    return " ".join(captured.get().split()), value


@pytest.fixture(scope="module")
def nights(nightly, tmp_path_factory):
    from typer.testing import CliRunner

    from orchestration.cli import app
    from orchestration.night import ensure_dagster_home, execute_nightly

    base = tmp_path_factory.mktemp("night_summary")
    shared = nightly["paths"].data_dir
    shutil.copytree(shared, base / "data", symlinks=True)
    shutil.copytree(shared.parent / "dagster_home", base / "dagster_home")
    with isolated_tepat(base) as paths, pytest.MonkeyPatch.context() as patch:
        patch.setattr("orchestration.verval.ensure_pseudonym_key", lambda: None)
        (paths.data_dir / QUIET_NIGHT_FILE).unlink(missing_ok=True)  # other tests' quiet nights
        ensure_dagster_home()
        changed_rows = _add_and_change_rosters(paths.raw_dir)
        added = execute_nightly(paths)
        summary_added, _ = _captured(print_summary, paths, added, 1.0)
        check_added, code_added = _captured(print_check, paths)

        broken = paths.raw_dir / BROKEN
        broken.parent.mkdir(parents=True)
        broken.write_text("nomor,catatan\n1,contoh\n")
        failed = execute_nightly(paths)
        summary_failed, _ = _captured(print_summary, paths, failed, 1.0)
        shutil.rmtree(broken.parent)

        quiet = CliRunner().invoke(app, ["run"])
        check_quiet, code_quiet = _captured(print_check, paths)
        yield {
            "paths": paths,
            "changed_rows": changed_rows,
            "added": added,
            "summary_added": summary_added,
            "check_added": (check_added, code_added),
            "failed": failed,
            "summary_failed": summary_failed,
            "quiet": " ".join(quiet.output.split()),
            "check_quiet": (check_quiet, code_quiet),
        }


def test_the_summary_names_the_added_and_the_changed_roster_with_their_counts(nights, nightly):
    added, summary = nights["added"], nights["summary_added"]
    assert added.success
    since = f"since run {nightly['first'].run_id}"
    assert f"Your files this night: 2 new, changed or removed {since}" in summary
    assert (
        f"data/raw/{ADDED} (new): {GOOD_ROWS + 2} rows read, {GOOD_ROWS} accepted, "
        "2 quarantined (kode_wilayah_tidak_dikenal: 1; nilai_bantuan_negatif: 1), "
        "0 NIK(s) recovered." in summary
    )
    rows = nights["changed_rows"]
    changed = re.search(
        rf"data/raw/{CHANGED} \(changed\): {rows:,} rows read, ([\d,]+) accepted, "
        r"([\d,]+) quarantined",
        summary,
    )
    assert changed, summary
    assert int(changed[1].replace(",", "")) + int(changed[2].replace(",", "")) == rows
    # The other 140 files are unchanged, and not listed.
    assert "PKH_5301_2025_tahap2.csv" not in summary.split("Your files this night")[1]


def test_the_summary_and_tepat_check_count_the_same_checks(nights):
    """Same unit (Dagster asset checks), same number, for the same run."""
    added = nights["added"]
    check, code = nights["check_added"]
    assert code == 0, check
    evaluations = added.get_asset_check_evaluations()
    line = (
        f"Checks passed: {len(evaluations)} of {len(evaluations)} "
        "(Dagster asset checks: one per dbt test and one per GE suite)"
    )
    assert line in nights["summary_added"]
    assert line in check
    assert f"Latest night: run {added.run_id}" in check
    assert "published the marts data/marts/ holds" in check
    with duckdb.connect(str(nights["paths"].warehouse), read_only=True) as con:
        rows = con.execute(
            "select count(*) from meta.check_results where run_id = ?", [added.run_id]
        ).fetchone()[0]
    assert rows > len(evaluations)  # the rows of meta.check_results are another unit


def test_a_failed_night_names_the_file_it_did_not_load(nights):
    failed, summary = nights["failed"], nights["summary_failed"]
    assert not failed.success
    assert BROKEN in summary
    assert "Your files this night: 1 new, changed or removed" in summary
    assert f"data/raw/{BROKEN} (new): not loaded; the night stopped before or on it" in summary


def test_tepat_check_after_a_failed_then_a_quiet_night(nights):
    added, failed = nights["added"], nights["failed"]
    assert f"Nothing changed since run {added.run_id}" in nights["quiet"]
    assert "no run was started" in nights["quiet"]
    check, code = nights["check_quiet"]
    assert code == 0, check
    assert "no run was started, nothing changed since run " + added.run_id in check
    assert f"Showing run {added.run_id}" in check
    assert f"A later run {failed.run_id}" in check and "failed;" in check
    assert BROKEN not in check and "2026-03-31" not in check
    evaluations = added.get_asset_check_evaluations()
    assert f"Checks passed: {len(evaluations)} of {len(evaluations)}" in check
