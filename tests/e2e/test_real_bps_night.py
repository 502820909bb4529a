"""One real night with every real BPS download (tests/fixtures/bps-real; Sumber: BPS) dropped
into data/raw/bps/ beside the demo data, in a subfolder, README included, as a user would.

The issue that asked for this: the same files, copied into a fresh clone, stopped the night
(three-line headers, the year only in the file name, Mahakam Hulu, a subfolder ignored).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.e2e.isolation import isolated_tepat

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "bps-real"
REAL_FILES = sorted(p for p in REAL.rglob("*") if p.is_file() and p.suffix in (".csv", ".json"))
PROVINSI_2018 = "Jumlah dan Persentase Penduduk Miskin Menurut Provinsi, 2018.csv"


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    from orchestration.cli import ensure_dagster_home, execute_nightly
    from orchestration.demo.generator import generate

    base = tmp_path_factory.mktemp("real_bps")
    with isolated_tepat(base) as paths:
        generate(paths.raw_dir, households=300, seed=11, truth_path=base / "truth.json")
        shutil.copytree(REAL, paths.raw_dir / "bps" / "unduhan")  # README.md included
        ensure_dagster_home()
        yield paths, execute_nightly(paths)


def query(paths, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def metadata(result, asset: str) -> dict:
    for event in result.all_events:
        if event.is_step_materialization:
            materialization = event.event_specific_data.materialization
            if materialization.asset_key.to_user_string() == asset:
                return materialization.metadata
    raise AssertionError(f"{asset} was not materialized")


def test_every_real_file_loads_in_one_night(night):
    paths, result = night
    assert result.success
    assert len(REAL_FILES) == 13
    # the 13 real files from their subfolders, plus the demo's own BPS file
    assert metadata(result, "raw/bps_indicators")["files_loaded"].value == 14
    # every name of every file resolved (an unmatched name stops its file): all 514
    # kabupaten/kota of Kepmendagri 2025 and all 38 provinces have values
    levels = dict(
        query(
            paths,
            "select length(kode_wilayah), count(distinct kode_wilayah) "
            "from intermediate.int_bps_indicators_checked where alasan_karantina is null "
            "group by 1",
        )
    )
    assert levels == {2: 38 + 1, 4: 514}  # + 00, Indonesia


@pytest.mark.parametrize(
    ("kode", "tahun", "indikator", "nilai"),
    [
        ("5317", 2018, "p0", 34.85),  # Sumba Tengah (BPS's 5317 is Sumba Barat Daya)
        ("5371", 2018, "p0", 9.61),  # Kota Kupang
        ("6107", 2018, "p0", 7.17),  # Bengkayang (the panel's code 6102 is Mempawah's)
        ("5371", 2011, "garis_kemiskinan", 337_181),  # Kota Kupang
        ("5301", 2011, "garis_kemiskinan", 209_955),  # Kabupaten Kupang
        ("6411", 2023, "p1", None),  # Mahakam Ulu, written "Mahakam Hulu" by BPS: see below
        ("00", 2015, "p0", 11.22),  # Indonesia, kept at the national level
        ("53", 2017, "jumlah_penduduk_miskin", 1150.79),  # NTT, year from the file name
    ],
)
def test_spot_values_land_on_their_kemendagri_codes(night, kode, tahun, indikator, nilai):
    paths, _ = night
    found = query(
        paths,
        "select distinct nilai from intermediate.int_bps_indicators_checked where kode_wilayah = ? "
        "and tahun = ? and indikator = ? and bulan = 3 and alasan_karantina is null",
        [kode, tahun, indikator],
    )
    assert len(found) == 1  # files that repeat a value (panel and demo file) agree on it
    if nilai is not None:
        assert found[0][0] == pytest.approx(nilai)


def test_the_shifted_national_row_is_quarantined_with_its_line(night):
    paths, _ = night
    rows = query(
        paths,
        "select file_sumber, nomor_baris, count(*) from quarantine.quarantine_rows "
        "where tabel = 'bps_indicators' group by 1, 2",
    )
    assert rows == [(f"bps/unduhan/provinsi/{PROVINSI_2018}", 36, 6)]


def test_the_readme_beside_them_is_reported_not_read(night):
    _, result = night
    unread = metadata(result, "raw/unread_files")
    assert unread["files_unread"].value == 1
    assert "bps/unduhan/README.md" in unread["unread"].value
    assert "tepat reads no '.md' files in bps/" in unread["unread"].value


def test_the_targets_still_see_the_demo_regions(night):
    paths, _ = night
    realised = query(
        paths,
        "select count(*) from marts.mart_target_gap where realisasi is not null",
    )
    assert realised[0][0] > 0
