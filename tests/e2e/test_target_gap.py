"""mart_target_gap on the demo data: every number checked against arithmetic done by hand.

The demo target_rpjmd.csv comes from orchestration/demo/referensi.py (`_target_rows`), the BPS
figures from orchestration/demo/reference/bps_seed_regions.csv (real BPS March values).
Kota Kupang (5371), "RPD 2023-2026": p0 baseline 8.61 (2023); targets on the straight line to
0 rounded to two decimals, 2024 8.61 × 2/3 = 5.74 and 2025 8.61 × 1/3 = 2.87 (ilustratif),
2026 0 (target publik); p0_ekstrem baseline 3.7 (2023) → 0 in 2026, with no BPS data at all.
Kabupaten Bengkayang (6107), "RPJMD 2021-2026": p0 baseline 6.48 (2021); targets 6.48 −
0.172 × k rounded, 6.31, 6.14, 5.96, 5.79 for 2022–2025 (ilustratif), 5.62 in 2026.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.paths import DBT_PROJECT_DIR

pytestmark = pytest.mark.e2e

KUPANG = "5371"
BENGKAYANG = "6107"

# BPS March values used below (bps_seed_regions.csv):
#   Kota Kupang p0: 2015 10.21, 2016 9.97, 2017 9.81, 2018 9.61, 2021 9.17, 2023 8.61,
#     2025 7.57 (none for 2019, 2020, 2022, 2024); jumlah_penduduk_miskin 2025 37.91 (thousand).
#   Bengkayang p0: 2015 6.94, 2016 7.46, 2017 7.51, 2018 7.17, 2021 6.48, 2023 6.28, 2025 5.83;
#     jumlah_penduduk_miskin 2025 16.09.
#
# Trend: least squares over the last five years with data, 2017, 2018, 2021, 2023, 2025
# (2015 and 2016 are older than the five latest):
#   x̄ = 10104 / 5 = 2020.8; x − x̄ = −3.8, −2.8, 0.2, 2.2, 4.2; Σ(x − x̄)² = 14.44 + 7.84 + 0.04
#   + 4.84 + 17.64 = 44.8.
#   Kupang: ȳ = 44.77 / 5 = 8.954; y − ȳ = 0.856, 0.656, 0.216, −0.344, −1.384;
#     Σ(x − x̄)(y − ȳ) = −3.2528 − 1.8368 + 0.0432 − 0.7568 − 5.8128 = −11.616;
#     slope = −11.616 / 44.8 = −0.259285714…
#   Bengkayang: ȳ = 33.27 / 5 = 6.654; y − ȳ = 0.856, 0.516, −0.174, −0.374, −0.824;
#     Σ(x − x̄)(y − ȳ) = −3.2528 − 1.4448 − 0.0348 − 0.8228 − 3.4608 = −9.016;
#     slope = −9.016 / 44.8 = −0.20125.
KUPANG_TREND = -0.2592857142857143
BENGKAYANG_TREND = -0.20125


def approx(value: float):
    return pytest.approx(value, rel=1e-9, abs=1e-9)


@pytest.fixture(scope="module")
def target_gap(marts) -> pd.DataFrame:
    return marts("mart_target_gap")


def row(frame: pd.DataFrame, kode: str, indikator: str, tahun: int) -> pd.Series:
    rows = frame[
        (frame["kode_wilayah"] == kode)
        & (frame["indikator"] == indikator)
        & (frame["tahun"] == tahun)
    ]
    assert len(rows) == 1, (kode, indikator, tahun)
    return rows.iloc[0]


def is_empty(value) -> bool:
    return value is None or pd.isna(value)


def test_one_row_per_target_row_of_the_plan(nightly, target_gap):
    plan = pd.read_csv(
        nightly["paths"].raw_dir / "referensi" / "target_rpjmd.csv",
        dtype={"kode_wilayah": str},
    )
    targets = plan[plan["jenis"] == "target"]
    key = ["kode_wilayah", "dokumen", "indikator", "tahun"]
    assert len(target_gap) == len(targets)
    assert not target_gap.duplicated(key).any()
    got = set(target_gap[key].itertuples(index=False, name=None))
    assert got == set(targets[key].itertuples(index=False, name=None))
    # Only kabupaten/kota codes in the demo plan.
    assert set(target_gap["tingkat_wilayah"]) == {"kabkota"}
    assert set(target_gap["status"]) <= {"tercapai", "on track", "off track", "belum ada data"}


def test_kota_kupang_p0_shared_columns(target_gap):
    for tahun in (2024, 2025, 2026):
        r = row(target_gap, KUPANG, "p0", tahun)
        assert r["tingkat_wilayah"] == "kabkota"
        assert r["nama_wilayah"] == "Kota Kupang"
        assert r["dokumen"] == "RPD 2023-2026"
        assert r["arah"] == "turun"
        assert r["tahun_dasar"] == 2023
        assert r["nilai_dasar"] == approx(8.61)
        assert r["tren_per_tahun"] == approx(KUPANG_TREND)
        assert r["tahun_data_terakhir"] == 2025
        assert r["nilai_terakhir"] == approx(7.57)
        assert r["tahun_akhir"] == 2026
        assert r["target_akhir"] == approx(0.0)
        # 7.57 + (−0.259285714…) × (2026 − 2025) = 7.310714285…
        assert r["proyeksi_tahun_akhir"] == approx(7.310714285714286)
        # (7.57 − 0) / (2026 − 2025) = 7.57 a year
        assert r["penurunan_dibutuhkan_per_tahun"] == approx(7.57)


def test_kota_kupang_p0_2024_illustrative_target_without_bps_figure(target_gap):
    r = row(target_gap, KUPANG, "p0", 2024)
    assert r["keterangan"] == "ilustratif"
    assert r["target"] == approx(5.74)
    for column in ("realisasi", "selisih", "capaian", "kategori_capaian", "progres"):
        assert is_empty(r[column]), column
    # No March 2024 figure: the trend decides, 7.57 + (−0.259285714…) × (2024 − 2025)
    # = 7.829285714… > 5.74 → off track.
    assert r["status"] == "off track"
    # 37.91 × 1000 × (7.57 − 5.74) / 7.57 = 37910 × 1.83 / 7.57 = 69375.3 / 7.57 = 9164.5046…
    assert r["penduduk_miskin_perlu_dientaskan"] == approx(9164.50462351387)
    assert r["catatan"] == "belum ada data BPS Maret 2024"


def test_kota_kupang_p0_2025_against_the_bps_march_figure(target_gap):
    r = row(target_gap, KUPANG, "p0", 2025)
    assert r["keterangan"] == "ilustratif"
    assert r["target"] == approx(2.87)
    assert r["realisasi"] == approx(7.57)
    # 7.57 − 2.87 = 4.70
    assert r["selisih"] == approx(4.70)
    # turun: (2 × 2.87 − 7.57) / 2.87 × 100 = −1.83 / 2.87 × 100 = −63.7630662… (not floored)
    assert r["capaian"] == approx(-63.76306620209059)
    assert r["kategori_capaian"] == "sangat rendah"
    # (8.61 − 7.57) / (8.61 − 2.87) × 100 = 1.04 / 5.74 × 100 = 18.1184668…
    assert r["progres"] == approx(18.118466898954704)
    # 7.57 > 2.87
    assert r["status"] == "off track"
    # 37910 × (7.57 − 2.87) / 7.57 = 178177 / 7.57 = 23537.2523…
    assert r["penduduk_miskin_perlu_dientaskan"] == approx(23537.252311756936)
    assert is_empty(r["catatan"])


def test_kota_kupang_p0_zero_target_in_2026(target_gap):
    r = row(target_gap, KUPANG, "p0", 2026)
    assert r["keterangan"] == "target publik"
    assert r["target"] == 0.0
    # Target 0: capaian is undefined (never 0), and there is no March 2026 figure yet.
    for column in ("realisasi", "selisih", "capaian", "kategori_capaian", "progres"):
        assert is_empty(r[column]), column
    assert r["catatan"] == "belum ada data BPS Maret 2026; target 0: capaian tidak dapat dihitung"
    # Projection 7.57 − 0.259285714… = 7.3107… > 0 → off track.
    assert r["status"] == "off track"
    # 37910 × (7.57 − 0) / 7.57 = 37910: every poor person.
    assert r["penduduk_miskin_perlu_dientaskan"] == approx(37910.0)


def test_kota_kupang_extreme_poverty_has_no_bps_data(target_gap):
    for tahun, target in ((2024, 2.47), (2025, 1.23), (2026, 0.0)):
        r = row(target_gap, KUPANG, "p0_ekstrem", tahun)
        # 3.7 × 2/3 = 2.4667 → 2.47; 3.7 × 1/3 = 1.2333 → 1.23
        assert r["target"] == approx(target)
        assert r["nilai_dasar"] == approx(3.7)
        assert r["status"] == "belum ada data"
        for column in ("realisasi", "capaian", "tren_per_tahun", "proyeksi_tahun_akhir"):
            assert is_empty(r[column]), column
    assert row(target_gap, KUPANG, "p0_ekstrem", 2026)["catatan"] == (
        "belum ada data BPS Maret untuk indikator ini; target 0: capaian tidak dapat dihitung; "
        "penduduk miskin perlu dientaskan hanya dihitung untuk p0"
    )


def test_bengkayang_p0_shared_columns(target_gap):
    for tahun in range(2022, 2027):
        r = row(target_gap, BENGKAYANG, "p0", tahun)
        assert r["nama_wilayah"] == "Kabupaten Bengkayang"
        assert r["dokumen"] == "RPJMD 2021-2026"
        assert r["tahun_dasar"] == 2021
        assert r["nilai_dasar"] == approx(6.48)
        assert r["tren_per_tahun"] == approx(BENGKAYANG_TREND)
        assert r["tahun_data_terakhir"] == 2025
        assert r["nilai_terakhir"] == approx(5.83)
        assert r["tahun_akhir"] == 2026
        assert r["target_akhir"] == approx(5.62)
        # 5.83 + (−0.20125) × 1 = 5.62875
        assert r["proyeksi_tahun_akhir"] == approx(5.62875)
        # (5.83 − 5.62) / (2026 − 2025) = 0.21 a year
        assert r["penurunan_dibutuhkan_per_tahun"] == approx(0.21)


def test_bengkayang_p0_year_by_year(target_gap):
    # 2023: realisasi 6.28 against 6.14.
    r = row(target_gap, BENGKAYANG, "p0", 2023)
    assert r["target"] == approx(6.14)
    assert r["realisasi"] == approx(6.28)
    assert r["selisih"] == approx(0.14)  # 6.28 − 6.14
    # (2 × 6.14 − 6.28) / 6.14 × 100 = 6.00 / 6.14 × 100 = 97.7198697…
    assert r["capaian"] == approx(97.71986970684038)
    assert r["kategori_capaian"] == "sangat tinggi"
    # (6.48 − 6.28) / (6.48 − 6.14) × 100 = 0.20 / 0.34 × 100 = 58.8235294…
    assert r["progres"] == approx(58.8235294117647)
    assert r["status"] == "off track"  # 6.28 > 6.14
    # The latest P0 5.83 already meets 6.14: nobody left to lift out for this target.
    assert is_empty(r["penduduk_miskin_perlu_dientaskan"])
    assert r["catatan"] == (
        "target sudah tercapai pada data terakhir: tidak ada penduduk miskin yang perlu dientaskan"
    )

    # 2025: realisasi 5.83 against 5.79.
    r = row(target_gap, BENGKAYANG, "p0", 2025)
    assert r["target"] == approx(5.79)
    assert r["realisasi"] == approx(5.83)
    assert r["selisih"] == approx(0.04)  # 5.83 − 5.79
    # (2 × 5.79 − 5.83) / 5.79 × 100 = 5.75 / 5.79 × 100 = 99.3091537…
    assert r["capaian"] == approx(99.3091537132988)
    assert r["kategori_capaian"] == "sangat tinggi"
    # (6.48 − 5.83) / (6.48 − 5.79) × 100 = 0.65 / 0.69 × 100 = 94.2028985…
    assert r["progres"] == approx(94.20289855072464)
    assert r["status"] == "off track"  # 5.83 > 5.79
    # 16.09 × 1000 × (5.83 − 5.79) / 5.83 = 643.6 / 5.83 = 110.3945111…
    assert r["penduduk_miskin_perlu_dientaskan"] == approx(110.39451114922814)
    assert is_empty(r["catatan"])

    # 2026, target publik 5.62: projection 5.83 − 0.20125 = 5.62875 > 5.62 → off track.
    r = row(target_gap, BENGKAYANG, "p0", 2026)
    assert r["keterangan"] == "target publik"
    assert r["target"] == approx(5.62)
    assert is_empty(r["realisasi"]) and is_empty(r["capaian"])
    assert r["status"] == "off track"
    # 16090 × (5.83 − 5.62) / 5.83 = 3378.9 / 5.83 = 579.5711835…
    assert r["penduduk_miskin_perlu_dientaskan"] == approx(579.5711835334477)
    assert r["catatan"] == "belum ada data BPS Maret 2026"

    # Years without a March figure: the trend from 2025 decides (back-projected for past years).
    # 2022: 5.83 + 0.20125 × 3 = 6.43375 > 6.31; 2024: 5.83 + 0.20125 = 6.03125 > 5.96.
    for tahun, target in ((2022, 6.31), (2024, 5.96)):
        r = row(target_gap, BENGKAYANG, "p0", tahun)
        assert r["target"] == approx(target)
        assert r["keterangan"] == "ilustratif"
        assert is_empty(r["realisasi"])
        assert r["status"] == "off track"


def test_conflicting_bps_values_block_the_build_and_name_the_files(nightly, tmp_path):
    """DESIGN §3.1: one key twice with identical values is one value; different values fail
    assert_bps_values_are_consistent, whose stored failures name both files, and nothing
    downstream of the BPS figures is rebuilt."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(nightly["paths"].warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into raw.bps_indicators by name "
            "select * from (values "
            # identical to the reference file's Kupang p0 2023 (8.61): not a conflict
            "('5371', '2023', '3', 'p0', '8.61', 'bps/ulang.csv', 2), "
            # differs from the reference file's Kupang p0 2025 (7.57): a conflict
            "('5371', '2025', '3', 'p0', '7.75', 'bps/revisi.csv', 3)"
            ") as t(kode_wilayah, tahun, bulan, indikator, nilai, _source_file, _row_number)"
        )
    result = _dbt_build(
        warehouse,
        tmp_path,
        "stg_bps__indicators int_bps_march_values assert_bps_values_are_consistent",
    )
    assert result.returncode != 0, result.stdout
    run_results = json.loads((tmp_path / "target" / "run_results.json").read_text())
    status = {r["unique_id"].split(".")[-1]: r["status"] for r in run_results["results"]}
    assert status["assert_bps_values_are_consistent"] == "fail"
    assert status["int_bps_march_values"] == "skipped"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        failures = con.execute(
            "select kode_wilayah, indikator, tahun, nilai, _source_file, berkas_bertentangan "
            "from dbt_test__audit.assert_bps_values_are_consistent order by _source_file"
        ).fetchall()
    files = "bps/bps_indikator_kabkota.csv, bps/revisi.csv"
    assert failures == [
        ("5371", "p0", 2025, 7.57, "bps/bps_indikator_kabkota.csv", files),
        ("5371", "p0", 2025, 7.75, "bps/revisi.csv", files),
    ]


def test_quarantined_and_national_bps_rows(nightly, tmp_path):
    """DESIGN §2.1 (issue 15): a row the BPS reader quarantined is listed in
    quarantine.quarantine_rows and kept out of the March values, even where its value
    differs from a valid one; the national row 00 is its own region beside province 53."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(nightly["paths"].warehouse, warehouse)
    reason = "row 7 (Kota Kupang): p0 2025-03 = 757 (written '757') is outside 0–100"
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into raw.bps_indicators by name "
            "select * from (values "
            "('5371', '2025', '3', 'p0', null, '757', ?, 'bps/rusak.csv', 7), "
            "('00', '2025', '3', 'p0', '8.47', '8.47', null, 'bps/nasional.csv', 2), "
            "('53', '2025', '3', 'p0', '18.6', '18.6', null, 'bps/nasional.csv', 3)"
            ") as t(kode_wilayah, tahun, bulan, indikator, nilai, nilai_asli, "
            "alasan_karantina, _source_file, _row_number)",
            [reason],
        )
    result = _dbt_build(
        warehouse,
        tmp_path,
        "stg_bps__indicators int_bps_indicators_checked int_bps_indicators_valid "
        "int_bps_march_values assert_bps_values_are_consistent quarantine_rows",
    )
    assert result.returncode == 0, result.stdout
    with duckdb.connect(str(warehouse), read_only=True) as con:
        quarantined = con.execute(
            "select tabel, file_sumber, nomor_baris, kolom, nilai, alasan "
            "from quarantine.quarantine_rows where tabel = 'bps_indicators'"
        ).fetchall()
        march = con.execute(
            "select kode_wilayah, nilai from intermediate.int_bps_march_values "
            "where indikator = 'p0' and tahun = 2025 and kode_wilayah in ('00', '53', '5371') "
            "order by 1"
        ).fetchall()
    assert quarantined == [("bps_indicators", "bps/rusak.csv", 7, "nilai", "757", reason)]
    assert march == [("00", 8.47), ("53", 18.6), ("5371", 7.57)]


def _dbt_build(warehouse: Path, tmp_path: Path, select: str) -> subprocess.CompletedProcess:
    """`dbt build --select <select>` (no unit tests) on a copy of a night's warehouse."""
    dbt = Path(sys.executable).parent / "dbt"
    return subprocess.run(
        [str(dbt), "build", "--select", select, "--exclude-resource-type", "unit_test",
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "TEPAT_WAREHOUSE": str(warehouse)},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
