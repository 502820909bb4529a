"""A whole nightly run with files as people really send them (tests/fixtures/realworld/).

The demo data supplies the reference tables, BPS figures and the 2025 registry; the fixtures
add a DTSEN snapshot of 2026-03-31 (Parquet with typed and extra columns, a `;` CSV with a
BOM, dd/mm/yyyy dates, decimal commas) and two 2026 rosters: an OPD workbook with a title
block, two sheets, kelurahan names and NIKs typed every way, and a Windows-1252 CSV. Each
row's fate is known: tests/fixtures/realworld/build.py says what each one is.

The same night also carries every real BPS download (tests/fixtures/bps-real; Sumber: BPS)
dropped into data/raw/bps/ in a subfolder, README included, as a user would: the files that,
copied into a fresh clone, once stopped the night (three-line headers, the year only in the
file name, Mahakam Hulu, a subfolder ignored). One night serves both: each costs a minute
of make test.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.e2e.isolation import isolated_tepat

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "realworld"
REAL_BPS = FIXTURES.parent / "bps-real"
REAL_BPS_FILES = sorted(p for p in REAL_BPS.rglob("*") if p.suffix in (".csv", ".json"))
PROVINSI_2018 = "Jumlah dan Persentase Penduduk Miskin Menurut Provinsi, 2018.csv"
RTLH = "rosters/5371/2026/KPG_RTLH/rtlh_dinas_perkim_2026.xlsx"
PKH = "rosters/5371/2026/PKH/pkh_tahap1_2026.csv"
PKH_COPY = "rosters/5371/2026/PKH/pkh_tahap1_2026 - Copy.csv"
MISPLACED = "rosters/5371/PKH/pkh_tahap2_2026.csv"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from orchestration.demo.generator import generate
    from orchestration.night import ensure_dagster_home, execute_nightly

    base = tmp_path_factory.mktemp("realworld")
    with isolated_tepat(base) as paths:
        generate(paths.raw_dir, households=300, seed=11, truth_path=base / "truth.json")
        for folder in ("registry", "rosters"):
            shutil.copytree(FIXTURES / folder, paths.raw_dir / folder, dirs_exist_ok=True)
        before = {p: p.read_bytes() for p in FIXTURES.rglob("*") if p.is_file()}
        # What offices also do: a Windows copy beside a roster, a roster one folder too
        # high, a document dropped in data/raw/ itself (DESIGN §2: none ignored silently).
        raw = paths.raw_dir
        shutil.copyfile(raw / PKH, raw / PKH_COPY)
        (raw / MISPLACED).parent.mkdir(parents=True)
        shutil.copyfile(raw / PKH, raw / MISPLACED)
        (raw / "Notulen rapat TKPK.docx").write_bytes(b"PK\x03\x04 not a table")
        shutil.copytree(REAL_BPS, raw / "bps" / "unduhan")  # README.md included
        ensure_dagster_home()
        result = execute_nightly(paths)
        yield {"paths": paths, "result": result, "fixtures_before": before}


def query(run, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(run["paths"].warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def metadata(result, asset: str) -> dict:
    for event in result.all_events:
        if event.is_step_materialization:
            materialization = event.event_specific_data.materialization
            if materialization.asset_key.to_user_string() == asset:
                return materialization.metadata
    raise AssertionError(f"{asset} was not materialized")


def test_the_run_succeeds_and_leaves_the_files_alone(run):
    assert run["result"].success
    after = {p: p.read_bytes() for p in FIXTURES.rglob("*") if p.is_file()}
    assert after == run["fixtures_before"]


def test_every_roster_row_is_read_checked_and_recovered_as_expected(run):
    rows = query(
        run,
        """
        select checked._sheet, checked._row_number, checked.nik, checked.kode_wilayah,
               checked.nilai_bantuan, checked.is_nik_dipulihkan, checked.alasan_karantina
        from intermediate.int_roster_rows_checked as checked
        where checked._source_file = ?
        order by checked._sheet, checked._row_number
        """,
        [RTLH],
    )
    assert rows == [
        # text NIK, kelurahan name → desa code, numeric amount
        ("Penerima", 5, "5371011505800771", "5371011001", 17500000.0, False, None),
        # number cell; the name (spacing/case aside) confirms the one registry person
        ("Penerima", 6, "5371016107750773", "5371011004", 17500000.0, True, None),
        # number cell, no name, no KK: nothing confirms it
        ("Penerima", 7, "5371010909690770", "5371011005", 17500000.0, False, "nik_rusak_excel"),
        # spaces in the NIK, apostrophe, `17.500.000,00`
        ("Penerima", 8, "5371020101850776", "5371021001", 17500000.0, False, None),
        ("Penerima", 9, "5371023006780777", "5371021002", 17500000.0, False, None),
        # a kelurahan name found nowhere: the row counts at kabupaten/kota level
        ("Penerima", 10, "5371021111880999", "5371", 17500000.0, False, None),
        # scientific notation: the digits are gone
        ("Penerima", 11, "5,37101E+15", "5371011011", 17500000.0, False, "nik_rusak_excel"),
        # `15,000`: thousands or decimals? not guessed
        ("Tambahan", 4, "5371015212900775", "5371011006", None, False, "nilai_bantuan_ambigu"),
    ]
    pkh = query(
        run,
        "select _row_number, nik, tahap, nilai_bantuan, alasan_karantina "
        "from intermediate.int_roster_rows_checked where _source_file = ? order by 1",
        [PKH],
    )
    assert pkh == [
        (4, "5371011505800771", 1, 750000.0, None),  # dotted NIK, `Rp 750.000,-`
        (6, "5371023006780777", 1, 750000.0, None),  # row 5 is the quoted newline's
        (7, "5371016107750773", 1, None, "nilai_bantuan_ambigu"),  # `750,000`
    ]


def test_quarantined_rows_say_where_and_why_with_masked_niks(run):
    rows = query(
        run,
        "select file_sumber, lembar, nomor_baris, kolom, nilai, alasan "
        "from quarantine.quarantine_rows where file_sumber in (?, ?) order by 1, 2, 3",
        [PKH, RTLH],
    )
    assert rows == [
        (RTLH, "Penerima", 7, "nik", "5371********0770", "nik_rusak_excel"),
        (RTLH, "Penerima", 11, "nik", "5,371**E+15", "nik_rusak_excel"),  # DESIGN §5
        (RTLH, "Tambahan", 4, "nilai_bantuan", "15,000", "nilai_bantuan_ambigu"),
        (PKH, None, 7, "nilai_bantuan", "750,000", "nilai_bantuan_ambigu"),
    ]
    files = query(
        run,
        "select file_sumber, jumlah_baris, baris_diterima, baris_dikarantina, "
        "baris_nik_dipulihkan, is_melebihi_ambang from quarantine.quarantine_files "
        "where file_sumber in (?, ?) order by 1",
        [PKH, RTLH],
    )
    assert files == [(RTLH, 8, 5, 3, 1, False), (PKH, 3, 2, 1, 0, False)]


def test_a_parquet_and_a_semicolon_csv_snapshot_with_extra_columns(run):
    households = query(
        run,
        "select id_keluarga, desil, tanggal_pemutakhiran, luas_lantai_m2 "
        "from staging.stg_dtsen__keluarga where tanggal_snapshot = '2026-03-31' order by 1",
    )
    assert households == [
        ("F01", 1, dt.date(2026, 1, 15), 21.5),
        ("F02", 2, dt.date(2026, 1, 15), 30.0),
        ("F03", 3, dt.date(2026, 2, 2), 36.0),
        ("F04", 5, dt.date(2026, 2, 2), 45.25),
        ("F05", 8, dt.date(2025, 12, 20), 120.0),
        ("F06", 2, dt.date(2025, 12, 20), 28.75),
    ]
    # The proxy-means-test score is not in the contract, and it is kept as it came.
    assert query(run, "select skor_pmt from raw.dtsen_keluarga where id_keluarga = 'F05'") == [
        ("0.811",)
    ]
    born = query(
        run,
        "select nik, tanggal_lahir from staging.stg_dtsen__anggota "
        "where tanggal_snapshot = '2026-03-31' and id_keluarga = 'F06'",
    )
    assert born == [("5371023006780777", dt.date(1978, 6, 30))]
    quarantined = query(
        run,
        "select count(*) from quarantine.quarantine_rows where file_sumber like 'registry/2026%'",
    )
    assert quarantined == [(0,)]


def test_the_marts_count_the_recovered_and_the_unmatched(run):
    coverage = pd.read_parquet(run["paths"].marts_dir / "mart_program_coverage.parquet")
    kota = coverage[(coverage.tingkat_wilayah == "kabkota") & (coverage.kode_wilayah == "5371")]
    columns = ["sasaran_layak", "penerima", "penerima_layak", "penerima_tidak_layak",
               "penerima_tidak_padan", "nilai_bantuan"]  # fmt: skip
    rtlh = kota[(kota.kode_program == "KPG_RTLH") & (kota.tahun == 2026)]
    # desil 1–3: F01, F02, F03, F06. Recipients: F01, F02 (recovered), F06 and F05 (desil 8);
    # Paulus Ratu is in no snapshot. Money: the five usable rows.
    assert rtlh[columns].to_dict("records") == [
        {"sasaran_layak": 4, "penerima": 4, "penerima_layak": 3, "penerima_tidak_layak": 1,
         "penerima_tidak_padan": 1, "nilai_bantuan": 5 * 17_500_000}
    ]  # fmt: skip
    pkh = kota[(kota.kode_program == "PKH") & (kota.tahun == 2026)]
    assert pkh[["tahap", *columns]].to_dict("records") == [
        {"tahap": 1, "sasaran_layak": 4, "penerima": 2, "penerima_layak": 2,
         "penerima_tidak_layak": 0, "penerima_tidak_padan": 0, "nilai_bantuan": 1_500_000}
    ]  # fmt: skip


def test_a_copy_is_loaded_once_and_unread_files_are_reported(run, capsys):
    """The PKH money above (1,500,000) counts the roster once, though its copy lies beside it."""
    from orchestration.night_report import print_raw_files_not_loaded

    assert query(
        run,
        "select file_path, row_count, duplicate_of from meta.file_manifest "
        "where removed_at is null and table_name = 'roster_rows' and file_path like ? "
        "order by file_path",
        ["rosters/5371/2026/PKH/%"],
    ) == [(PKH_COPY, 0, PKH), (PKH, 3, None)]
    assert query(
        run, "select count(*) from raw.roster_rows where _source_file = ?", [PKH_COPY]
    ) == [(0,)]
    assert metadata(run["result"], "raw/roster_rows")["files_copies_not_loaded"].value == 1
    unread = metadata(run["result"], "raw/unread_files")
    assert unread["files_unread"].value == 3  # and bps/unduhan/README.md, below
    listed = unread["unread"].value
    assert MISPLACED in listed and "Notulen rapat TKPK.docx" in listed
    print_raw_files_not_loaded(run["paths"])
    out = " ".join(capsys.readouterr().out.split())
    assert "Not read: 3 file(s) under data/raw/" in out
    assert f"{MISPLACED}: it is not where files of rosters/ go" in out
    assert "rosters/<kode_kabkota>/<tahun>/<kode_program>/<file>.csv or .xlsx" in out
    assert "Notulen rapat TKPK.docx: it is in no folder tepat reads" in out
    assert "Copies not loaded again: 1 file(s)" in out and f"{PKH_COPY} = {PKH}" in out


# ---------------------------------------------------------------- real BPS downloads


def test_every_real_bps_file_loads_in_the_same_night(run):
    result = run["result"]
    assert result.success
    assert len(REAL_BPS_FILES) == 13
    # the 13 real files from their subfolders, plus the demo's own BPS file
    assert metadata(result, "raw/bps_indicators")["files_loaded"].value == 14
    # every name of every file resolved (an unmatched name stops its file): all 514
    # kabupaten/kota of Kepmendagri 2025 and all 38 provinces have values
    levels = dict(
        query(
            run,
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
def test_real_bps_spot_values_land_on_their_kemendagri_codes(run, kode, tahun, indikator, nilai):
    found = query(
        run,
        "select distinct nilai from intermediate.int_bps_indicators_checked where kode_wilayah = ? "
        "and tahun = ? and indikator = ? and bulan = 3 and alasan_karantina is null",
        [kode, tahun, indikator],
    )
    assert len(found) == 1  # files that repeat a value (panel and demo file) agree on it
    if nilai is not None:
        assert found[0][0] == pytest.approx(nilai)


def test_the_shifted_national_bps_row_is_quarantined_with_its_line(run):
    rows = query(
        run,
        "select file_sumber, nomor_baris, count(*) from quarantine.quarantine_rows "
        "where tabel = 'bps_indicators' group by 1, 2",
    )
    assert rows == [(f"bps/unduhan/provinsi/{PROVINSI_2018}", 36, 6)]


def test_the_readme_beside_the_bps_files_is_reported_not_read(run):
    unread = metadata(run["result"], "raw/unread_files")
    assert "bps/unduhan/README.md" in unread["unread"].value
    assert "tepat reads no '.md' files in bps/" in unread["unread"].value


def test_the_targets_still_see_the_demo_regions(run):
    realised = query(
        run,
        "select count(*) from marts.mart_target_gap where realisasi is not null",
    )
    assert realised[0][0] > 0
