"""Registry layouts other than the tidy form (DESIGN §2.2): loading and what blocks."""

from __future__ import annotations

import pandas as pd
import pytest
import xlsxwriter

from orchestration.demo.registry_layouts import (
    INDIVIDU_SHEET_COLUMNS,
    desil_counts,
    write_desil_aggregates,
    write_p3ke_workbooks,
)
from orchestration.ingest.loader import RawFileError, sync_source
from orchestration.ingest.sources import SOURCES_BY_TABLE

KELUARGA = SOURCES_BY_TABLE["dtsen_keluarga"]
ANGGOTA = SOURCES_BY_TABLE["dtsen_anggota"]
AGREGAT = SOURCES_BY_TABLE["dtsen_desil_agregat"]


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> None:
    """These tests need no dbt project; override the suite's session fixture to stay fast."""


def _keluarga() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id_keluarga": ["K1", "K2", "K3", "K4"],
            "no_kk": ["5371010101200001", "5371010101200002", "5371010101200003", "5"],
            "kode_wilayah": ["5371011001", "5371011001", "5371011002", "5371011002"],
            "desil": ["1", "8", "", "4"],
            "jumlah_anggota": ["2", "1", "1", "1"],
        }
    )


def _anggota() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "nik": ["5371010101800001", "5371014101820002", "5371010101900003"],
            "id_keluarga": ["K1", "K1", "K4"],
            "nama": ["Budi", "Ani", "Yosef"],
            "hubungan": ["1", "2", "1"],
            "jenis_kelamin": ["1", "2", "1"],
            "tanggal_lahir": ["1980-01-01", "1982-01-01", "1990-01-01"],
            "status": ["hidup", "meninggal", "hidup"],
        }
    )


def test_desil_counts_band_7_to_10_and_count_the_unranked():
    counts = desil_counts(_keluarga())
    assert counts.loc["5371011001", ["DESIL 1", "DESIL 7-10", "TOTAL"]].tolist() == [1, 1, 2]
    assert counts.loc["5371011002", ["DESIL 4", "DESIL NULL", "TOTAL"]].tolist() == [1, 1, 2]


def test_aggregates_load_below_their_title_with_excel_rows(tmp_path, con):
    write_desil_aggregates(tmp_path / "registry" / "2025-03-31", _keluarga())
    result = sync_source(con, AGREGAT, tmp_path)
    assert result.rows_loaded == 2
    assert any("totals/signature" in w for w in result.warnings)  # the JUMLAH row
    rows = con.execute(
        "select kode_provinsi, kode_kabkota, kode_kecamatan, kode_desa, desil_7_10, total, "
        "tanggal_snapshot, format_registri, _row_number from raw.dtsen_desil_agregat "
        "order by _row_number"
    ).fetchall()
    assert rows[0] == ("53", "71", "1", "1001", "1", "2", "2025-03-31", "agregat", 5)


def test_no_aggregate_files_still_give_an_empty_table(tmp_path, con):
    result = sync_source(con, AGREGAT, tmp_path)
    assert result.total_rows == 0
    columns = {r[0] for r in con.execute("describe raw.dtsen_desil_agregat").fetchall()}
    assert {"kode_desa", "desil_7_10", "tanggal_snapshot", "_source_file", "_sheet"} <= columns


def test_two_digit_kdkab_without_kdprov_blocks_in_plain_words(tmp_path, con):
    path = tmp_path / "registry/2025-03-31/agregat/kodewil_desil.xlsx"
    path.parent.mkdir(parents=True)
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, ["NMKAB", "NMKEC", "NMDESA", "kdkab", "kdkec", "kddesa", "TOTAL"])
        sheet.write_row(1, 0, ["KOTA KUPANG", "ALAK", "NAMOSAIN", 71, 1, 1001, 3])
    with pytest.raises(RawFileError) as error:
        sync_source(con, AGREGAT, tmp_path)
    message = str(error.value)
    assert "registry/2025-03-31/agregat/kodewil_desil.xlsx" in message
    assert "row 2" in message and "kdprov" in message


def test_p3ke_sheets_feed_households_and_members(tmp_path, con):
    folder = tmp_path / "registry" / "2025-03-31"
    paths = write_p3ke_workbooks(folder, _keluarga(), _anggota())
    assert [p.name for p in paths] == ["P3KE_5371011001.xlsx", "P3KE_5371011002.xlsx"]
    sync_source(con, KELUARGA, tmp_path)
    sync_source(con, ANGGOTA, tmp_path)
    households = con.execute(
        "select id_keluarga, kode_wilayah, desil, no_kk, _row_number, format_registri "
        "from raw.dtsen_keluarga order by id_keluarga"
    ).fetchall()
    # desil 1–4 only: K2 (desil 8) and K3 (not ranked) are not in P3KE
    assert households == [
        ("K1", "53.71.01.1001", "1", "5371010101200001", 13, "p3ke"),
        ("K4", "53.71.01.1002", "4", "5", 13, "p3ke"),
    ]
    members = con.execute(
        "select nik, hubungan, jenis_kelamin, status, _row_number "
        "from raw.dtsen_anggota order by nik"
    ).fetchall()
    # living members only; P3KE writes words and has no status column
    assert members == [
        ("5371010101800001", "Kepala Keluarga", "Laki-laki", None, 13),
        ("5371010101900003", "Kepala Keluarga", "Laki-laki", None, 13),
    ]


def test_p3ke_workbook_without_its_individu_sheet_blocks(tmp_path, con):
    path = tmp_path / "registry/2025-03-31/p3ke/P3KE_5371011001.xlsx"
    path.parent.mkdir(parents=True)
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet("Keluarga")
        sheet.write_row(11, 0, INDIVIDU_SHEET_COLUMNS)
    with pytest.raises(RawFileError) as error:
        sync_source(con, ANGGOTA, tmp_path)
    assert "no sheet named 'Individu'" in str(error.value)
    assert "P3KE_5371011001.xlsx" in str(error.value)


def test_tidy_files_beside_the_layouts_still_go_through_duckdb(tmp_path, con):
    folder = tmp_path / "registry" / "2025-03-31"
    folder.mkdir(parents=True)
    _keluarga().to_csv(folder / "keluarga.csv", index=False)
    assert KELUARGA.layout_of(folder / "keluarga.csv") is None
    assert KELUARGA.layout_of(folder / "p3ke" / "x.xlsx").sheet == "Keluarga"
    sync_source(con, KELUARGA, tmp_path)
    assert con.execute("select distinct format_registri from raw.dtsen_keluarga").fetchall() == [
        ("dtsen",)
    ]
