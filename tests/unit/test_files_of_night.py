"""DESIGN §4.1, "Your files this night": which files are listed, with what, and when the
list is summarised. A real DuckDB warehouse holding the tables the summary reads (as the
loader, dbt and the gates write them); the real nights are in
tests/e2e/test_night_summary.py."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import duckdb
import pytest

from orchestration.ingest.loader import MANIFEST_DDL
from orchestration.night_report import console, print_files_of_night
from orchestration.paths import Paths

PUBLISHED = dt.datetime(2026, 1, 1, 10, 0)  # the last published run's build
BEFORE = dt.datetime(2026, 1, 1, 9, 0)  # loaded by that run
TONIGHT = dt.datetime(2026, 1, 2, 2, 0)

QUARANTINE_DDL = """
create schema if not exists quarantine;
create table quarantine.quarantine_files (
    tabel varchar, file_sumber varchar, jumlah_baris bigint, baris_diterima bigint,
    baris_dikarantina bigint, persen_dikarantina double, ambang_persen double,
    is_melebihi_ambang boolean, is_ditahan boolean, rincian_alasan varchar,
    baris_nik_dipulihkan bigint
);
create table meta.check_results (
    run_id varchar, checked_at timestamp, kind varchar, check_name varchar, asset varchar,
    file varchar, batch varchar, expectation varchar, column_name varchar,
    success boolean, element_count bigint, unexpected_count bigint, message varchar
);
create table meta.build_state (
    run_id varchar, fingerprint varchar, raw_state varchar, code_state varchar,
    built_at timestamp, published_release varchar, published_at timestamp
);
"""


@pytest.fixture
def warehouse(tmp_path) -> tuple[Paths, duckdb.DuckDBPyConnection]:
    paths = Paths.from_env({"TEPAT_DATA_DIR": str(tmp_path / "data")})
    paths.raw_dir.mkdir(parents=True)
    con = duckdb.connect(str(paths.warehouse))
    con.execute(MANIFEST_DDL)
    con.execute(QUARANTINE_DDL)
    # Tonight's dbt step ran: its tests are in the history, so quarantine_files is tonight's.
    con.execute(
        "insert into meta.check_results (run_id, checked_at, kind, check_name, success) "
        "values ('tonight', ?, 'dbt_test', 'not_null_x', true)",
        [TONIGHT],
    )
    return paths, con


def manifest(con, table, path, rows, loaded, removed=None, copy_of=None, held=None):
    con.execute(
        "insert into meta.file_manifest (table_name, file_path, checksum, row_count, "
        "loaded_at, removed_at, duplicate_of, held_back_reason) values (?,?,?,?,?,?,?,?)",
        [table, path, f"sha-{path}-{loaded}", rows, loaded, removed, copy_of, held],
    )


def counts(con, path, rows, accepted, reasons, recovered=0, over=False):
    con.execute(
        "insert into quarantine.quarantine_files (file_sumber, jumlah_baris, baris_diterima, "
        "baris_dikarantina, rincian_alasan, baris_nik_dipulihkan, is_melebihi_ambang) "
        "values (?,?,?,?,?,?,?)",
        [path, rows, accepted, rows - accepted, reasons, recovered, over],
    )


def summary(paths, con, success=True, pending=None) -> str:
    """What the summary prints of tonight's files (`pending`: what a failed night left)."""
    from orchestration.night_report import files_of_night

    con.close()
    with console.capture() as captured:
        if pending is None:
            print_files_of_night(paths, SimpleNamespace(run_id="tonight", success=success))
        else:
            for file in files_of_night(paths, "tonight", pending).files:
                console.print(file.line(), markup=False, soft_wrap=True)
    return captured.get()


def test_new_changed_removed_held_back_blocked_and_copied_files_each_get_a_line(warehouse):
    paths, con = warehouse
    con.execute(
        "insert into meta.build_state (run_id, built_at, published_release, published_at) "
        "values ('published', ?, 'r1', ?)",
        [PUBLISHED, PUBLISHED],
    )
    roster = "roster_rows"
    manifest(con, roster, "rosters/5371/2025/PKH/same.csv", 10, BEFORE)
    counts(con, "rosters/5371/2025/PKH/same.csv", 10, 10, None)
    manifest(con, roster, "rosters/5371/2025/PKH/b.csv", 12, BEFORE, removed=TONIGHT)
    manifest(con, roster, "rosters/5371/2025/PKH/b.csv", 9, TONIGHT)
    counts(con, "rosters/5371/2025/PKH/b.csv", 9, 9, None)
    manifest(con, roster, "rosters/5371/2025/BPNT/baru.csv", 42, TONIGHT)
    counts(
        con,
        "rosters/5371/2025/BPNT/baru.csv",
        42,
        40,
        "kode_wilayah_tidak_dikenal: 1; nilai_bantuan_negatif: 1",
        recovered=3,
    )
    manifest(con, roster, "rosters/5371/2025/PKH/lama.csv", 7, BEFORE, removed=TONIGHT)
    manifest(con, roster, "rosters/5371/2025/PKH/b - Copy.csv", 0, TONIGHT, copy_of="b.csv")
    manifest(con, roster, "rosters/5371/2025/PKH/kosong.csv", 0, TONIGHT, held="no rows.")
    con.execute(
        "insert into meta.held_back_files values ('roster_rows', "
        "'rosters/5371/2025/PKH/kosong.csv', 'The file has no rows. What to do: export it "
        "again.', 'loader', ?)",
        [TONIGHT],
    )
    manifest(con, "dtsen_keluarga", "registry/2025-09-30/keluarga.csv", 100, TONIGHT)
    counts(con, "registry/2025-09-30/keluarga.csv", 100, 60, "desil_di_luar_1_10: 40", over=True)
    out = summary(paths, con)
    text = " ".join(out.split())
    assert "Your files this night: 6 new, changed or removed since run published" in text
    assert "same.csv" not in text  # unchanged since the last publication
    assert (
        "data/raw/rosters/5371/2025/BPNT/baru.csv (new): 42 rows read, 40 accepted, "
        "2 quarantined (kode_wilayah_tidak_dikenal: 1; nilai_bantuan_negatif: 1), "
        "3 NIK(s) recovered." in text
    )
    assert (
        "data/raw/rosters/5371/2025/PKH/b.csv (changed): 9 rows read, 9 accepted, "
        "0 quarantined, 0 NIK(s) recovered." in text
    )
    assert "data/raw/rosters/5371/2025/PKH/lama.csv (removed): gone from data/raw/" in text
    assert "b - Copy.csv (new): a byte-identical copy of b.csv, not loaded again." in text
    assert "kosong.csv (new): HELD BACK, no row used. The file has no rows. What to do" in text
    assert (
        "data/raw/registry/2025-09-30/keluarga.csv (new): 100 rows read, 60 accepted, "
        "40 quarantined (desil_di_luar_1_10: 40), 0 NIK(s) recovered. BLOCKED THE NIGHT." in text
    )


def test_a_night_that_stopped_before_loading_names_the_files_it_did_not_load(warehouse):
    paths, con = warehouse
    con.execute("delete from meta.check_results")  # the night stopped before dbt
    con.execute(
        "insert into meta.build_state (run_id, built_at, published_release, published_at) "
        "values ('published', ?, 'r1', ?)",
        [PUBLISHED, PUBLISHED],
    )
    manifest(con, "roster_rows", "rosters/5371/2025/PKH/a.csv", 10, TONIGHT)
    counts(con, "rosters/5371/2025/PKH/a.csv", 10, 10, None)  # an older build's counts
    text = " ".join(summary(paths, con, pending=["registry/2025-09-30/keluarga.csv"]).split())
    assert (
        "data/raw/registry/2025-09-30/keluarga.csv (new): not loaded; the night stopped "
        "before or on it" in text
    )
    assert (
        "rosters/5371/2025/PKH/a.csv (new): 10 rows read, not checked: the night stopped "
        "before counting them." in text
    )


def test_a_first_night_of_130_files_is_summarised_per_folder(warehouse):
    paths, con = warehouse
    for i in range(128):
        path = f"rosters/5371/2025/PKH/r{i:03}.csv"
        manifest(con, "roster_rows", path, 25, TONIGHT)
        bad = 2 if i == 7 else 0
        counts(con, path, 25, 25 - bad, "nik_tidak_valid_panjang: 2" if bad else None)
    manifest(con, "dtsen_keluarga", "registry/2025-03-31/keluarga.csv", 1500, TONIGHT)
    counts(con, "registry/2025-03-31/keluarga.csv", 1500, 1500, None)
    manifest(con, "dtsen_anggota", "registry/2025-03-31/anggota.csv", 5000, TONIGHT)
    counts(con, "registry/2025-03-31/anggota.csv", 5000, 5000, None)
    out = summary(paths, con)
    text = " ".join(out.split())
    assert "Your files this night: all 130 files are new (first night" in text
    assert (
        "data/raw/registry/: 2 file(s) (2 new), 6,500 rows read, 6,500 accepted, "
        "0 quarantined, 0 NIK(s) recovered" in text
    )
    assert (
        "data/raw/rosters/: 128 file(s) (128 new), 3,200 rows read, 3,198 accepted, "
        "2 quarantined, 0 NIK(s) recovered" in text
    )
    # Published: the one file with quarantined rows is in the quarantine table that follows.
    assert "1 of them had rows kept out of the marts: see the table below" in text
    assert "Of these, the files to look at:" not in text
    assert "r008.csv" not in text
    assert len(out.splitlines()) < 12
