"""Agency rosters as they arrive: title blocks, several sheets, footers, Excel-mangled NIKs,
CSV encodings and separators, amounts, dates, kelurahan names and NIK recovery."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlsxwriter

from orchestration.ingest import agency_files, grid
from orchestration.ingest.agency_files import agency_header, read_agency_table
from orchestration.ingest.loader import RawFileError
from orchestration.ingest.names import match_kelurahan
from orchestration.ingest.sources import SOURCES_BY_TABLE

ROSTERS = SOURCES_BY_TABLE["roster_rows"]
KNOWN = ROSTERS.required_columns + ROSTERS.optional_columns


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> None:
    """These tests need no dbt project; override the suite's session fixture to stay fast."""


def rows_of(table) -> list[dict]:
    return table.rows.to_pylist()


# ---------------------------------------------------------------------------------------------
# XLSX as an OPD sends it
# ---------------------------------------------------------------------------------------------


def build_opd_workbook(path: Path) -> Path:
    """Title block (merged) over a header on row 5, two data sheets, a Rekap sheet without NIK,
    totals and a signature block, and every way a NIK arrives from Excel."""
    book = xlsxwriter.Workbook(str(path))
    title = book.add_format({"bold": True, "align": "center"})
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    money = book.add_format({"num_format": "#,##0"})
    text = book.add_format({"num_format": "@"})

    one = book.add_worksheet("Tahap 1")
    one.merge_range("A1:G1", "DAFTAR PENERIMA BANTUAN SOSIAL PANGAN", title)
    one.merge_range("A2:G2", "DINAS SOSIAL KOTA KUPANG", title)
    one.merge_range("A3:G3", "TAHUN ANGGARAN 2025", title)
    # row 4 stays empty; the header is on row 5 (index 4)
    one.write_row(
        4,
        0,
        ["No", "N I K", "No. KK", "Nama Penerima", "Desa/Kelurahan", "Nilai Bantuan (Rp)",
         "Tanggal Salur"],
    )  # fmt: skip
    data = [
        (1, "5371011505800001", "Budi Santoso", "Kel. Oebobo"),
        (2, 5371011505800000, "Ani Lede", "OEBOBO"),  # a number: 16th digit lost
        (3, "5.37101E+15", "Yohanes Ch. Lay", "Naikoten I"),
        (4, "5371 0115 0580 0004", "Maria Bria", "Fontein"),
        (5, "5371.0115.0580.0005", "Paulus Tefa", "Fontein"),
        (6, "'5371011505800006", "Siti Aminah", "Oetete"),
        (7, None, "Kornelis Benu", "Oetete"),  # no NIK but a name: data, kept
    ]
    for i, (number, nik, name, kelurahan) in enumerate(data):
        row = 5 + i
        one.write_number(row, 0, number)
        if isinstance(nik, str):
            one.write_string(row, 1, nik, text)
        elif nik is not None:
            one.write_number(row, 1, nik)
        one.write_string(row, 2, f"53710101012000{number:02d}", text)
        one.write_string(row, 3, name)
        one.write_string(row, 4, kelurahan)
        one.write_number(row, 5, 750000 if number != 4 else 1500.5, money)
        one.write_datetime(row, 6, dt.datetime(2025, 3, 12), date)
    one.merge_range("A13:E13", "JUMLAH", title)
    one.write_formula("F13", "=SUM(F6:F12)", money, 4500000)
    one.write("F15", "Kupang, 12 Maret 2025")
    one.write("F16", "Kepala Dinas Sosial Kota Kupang")
    one.write("F19", "Drs. Nama Pejabat, M.Si")
    one.write("F20", "NIP. 19700101 199003 1 001")

    two = book.add_worksheet("Tahap 2")
    two.write("A1", "DAFTAR PENERIMA BANTUAN SOSIAL PANGAN TAHAP II")
    two.write("A2", "DINAS SOSIAL KOTA KUPANG")
    two.write_row(4, 0, ["NO", "NIK", "NAMA", "KELURAHAN", "Nominal"])
    two.write_row(5, 0, [1, 2, 3, 4, 5])  # column numbering under the header
    two.write_row(6, 0, [1, "5371014508950002", "Rina", None, 750000])
    two.merge_range("D7:D8", "Liliba")  # one kelurahan merged over two rows
    two.write_row(7, 0, [2, "5371014508950003", "Rudi", None, 750000])
    two.write_row(8, 0, ["Total", None, None, None, 1500000])

    rekap = book.add_worksheet("Rekap")
    rekap.write("A1", "REKAPITULASI PENERIMA")
    rekap.write_row(2, 0, ["Kelurahan", "Jumlah Penerima"])
    rekap.write_row(3, 0, ["Oebobo", 2])

    book.add_worksheet("Sheet3")  # empty: ignored without a word
    book.close()
    return path


@pytest.fixture(scope="module")
def opd_table(tmp_path_factory):
    path = build_opd_workbook(tmp_path_factory.mktemp("xlsx") / "bansos_pangan.xlsx")
    return read_agency_table(path, KNOWN)


def test_xlsx_columns_are_canonical(opd_table):
    assert opd_table.columns == [
        "no", "nik", "no_kk", "nama", "kelurahan", "nilai_bantuan", "tanggal_salur",
    ]  # fmt: skip
    assert opd_table.rows.column_names == [*opd_table.columns, "_row_number", "_sheet", "_nik_asal"]
    assert opd_table.headers["nik"] == "N I K"
    assert opd_table.headers["nilai_bantuan"] == "Nilai Bantuan (Rp)"


def test_xlsx_rows_exact_with_sheet_row_and_nik_origin(opd_table):
    got = [
        (r["_sheet"], r["_row_number"], r["nik"], r["_nik_asal"], r["nama"], r["kelurahan"],
         r["nilai_bantuan"], r["tanggal_salur"], r["no_kk"])
        for r in rows_of(opd_table)
    ]  # fmt: skip
    assert got == [
        ("Tahap 1", 6, "5371011505800001", "teks", "Budi Santoso", "Kel. Oebobo", "750000",
         "2025-03-12", "5371010101200001"),
        ("Tahap 1", 7, "5371011505800000", "angka", "Ani Lede", "OEBOBO", "750000",
         "2025-03-12", "5371010101200002"),
        ("Tahap 1", 8, "5.37101E+15", "notasi_ilmiah", "Yohanes Ch. Lay", "Naikoten I",
         "750000", "2025-03-12", "5371010101200003"),
        ("Tahap 1", 9, "5371 0115 0580 0004", "teks", "Maria Bria", "Fontein", "1500.5",
         "2025-03-12", "5371010101200004"),
        ("Tahap 1", 10, "5371.0115.0580.0005", "teks", "Paulus Tefa", "Fontein", "750000",
         "2025-03-12", "5371010101200005"),
        ("Tahap 1", 11, "'5371011505800006", "teks", "Siti Aminah", "Oetete", "750000",
         "2025-03-12", "5371010101200006"),
        ("Tahap 1", 12, None, None, "Kornelis Benu", "Oetete", "750000", "2025-03-12",
         "5371010101200007"),
        ("Tahap 2", 7, "5371014508950002", "teks", "Rina", "Liliba", "750000", None, None),
        ("Tahap 2", 8, "5371014508950003", "teks", "Rudi", "Liliba", "750000", None, None),
    ]  # fmt: skip


def test_xlsx_warnings_say_what_was_skipped(opd_table):
    assert opd_table.warnings == [
        "sheet 'Tahap 1': 5 totals/signature row(s) without a NIK dropped: 13, 15, 16, 19, 20",
        "sheet 'Tahap 2': row 6 numbers the columns (1, 2, 3 …); skipped",
        "sheet 'Tahap 2': 1 totals/signature row(s) without a NIK dropped: 9",
        "sheet 'Rekap' skipped: no NIK column in its first 20 rows",
        "sheet 'Tahap 2' has no column(s) no_kk, tanggal_salur; its rows leave them empty",
    ]


def test_xlsx_two_row_header_and_unnamed_column(tmp_path):
    path = tmp_path / "alamat.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Data")
    sheet.write("A1", "DAFTAR PENERIMA PKH")
    sheet.merge_range("A3:A4", "NIK")
    sheet.merge_range("B3:B4", "Nama")
    sheet.merge_range("C3:D3", "Alamat")
    sheet.write_row(3, 2, ["RT", "RW"])
    sheet.write_row(4, 0, ["5371011505800001", "Budi", "001", "002", "catatan"])
    book.close()
    table = read_agency_table(path, KNOWN)
    assert table.columns == ["nik", "nama", "alamat_rt", "alamat_rw", "kolom_E"]
    assert rows_of(table) == [
        {"nik": "5371011505800001", "nama": "Budi", "alamat_rt": "001", "alamat_rw": "002",
         "kolom_E": "catatan", "_row_number": 5, "_sheet": "Data", "_nik_asal": "teks"},
    ]  # fmt: skip
    assert table.warnings == ["sheet 'Data': column E has data but no header; kept as 'kolom_E'"]


def test_xlsx_without_any_nik_header_is_an_error(tmp_path):
    path = tmp_path / "rekap.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Rekap").write_row(0, 0, ["Kelurahan", "Jumlah"])
    book.close()
    with pytest.raises(RawFileError, match="no NIK column found"):
        read_agency_table(path, KNOWN)


def test_xlsx_two_headers_for_one_column_is_an_error(tmp_path):
    path = tmp_path / "dobel.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("A").write_row(0, 0, ["NIK", "Nama", "Nama Penerima"])
    book.close()
    with pytest.raises(RawFileError, match="both mean 'nama'"):
        read_agency_table(path, KNOWN)


def test_not_really_xlsx_is_a_clear_error(tmp_path):
    path = tmp_path / "html.xlsx"
    path.write_text("<table><tr><td>NIK</td></tr></table>")
    with pytest.raises(RawFileError, match="cannot be read as .xlsx"):
        read_agency_table(path, KNOWN)


# ---------------------------------------------------------------------------------------------
# CSV in the wild
# ---------------------------------------------------------------------------------------------


def test_csv_cp1252_semicolon_with_title_and_totals(tmp_path):
    path = tmp_path / "blt.csv"
    text = (
        "DAFTAR PENERIMA BLT DANA DESA;;;;\r\n"
        "TAHUN 2025;;;;\r\n"
        "\r\n"
        "NIK;Nama Penerima;Desa/Kelurahan;Nilai Bantuan (Rp);Tanggal Salur\r\n"
        "5371011505800001;José Fernandes;Kel. Oebobo;1.500.000;12/03/2025\r\n"
        "5,37101E+15;Ana Ndun;Liliba;Rp 750.000,-;13-03-2025\r\n"
        ";Kornelis Benu;Oetete;1.500.000,50;45728\r\n"
        "JUMLAH;;;3.750.000,50;\r\n"
        "Kupang,   Maret 2025;;;;\r\n"
    )
    path.write_bytes(text.encode("cp1252"))
    table = read_agency_table(path, KNOWN)
    assert table.columns == ["nik", "nama", "kelurahan", "nilai_bantuan", "tanggal_salur"]
    assert rows_of(table) == [
        {"nik": "5371011505800001", "nama": "José Fernandes", "kelurahan": "Kel. Oebobo",
         "nilai_bantuan": "1.500.000", "tanggal_salur": "12/03/2025", "_row_number": 5,
         "_sheet": None, "_nik_asal": "teks"},
        {"nik": "5,37101E+15", "nama": "Ana Ndun", "kelurahan": "Liliba",
         "nilai_bantuan": "Rp 750.000,-", "tanggal_salur": "13-03-2025", "_row_number": 6,
         "_sheet": None, "_nik_asal": "notasi_ilmiah"},
        {"nik": None, "nama": "Kornelis Benu", "kelurahan": "Oetete",
         "nilai_bantuan": "1.500.000,50", "tanggal_salur": "45728", "_row_number": 7,
         "_sheet": None, "_nik_asal": None},
    ]  # fmt: skip
    assert table.warnings == [
        "file read as cp1252 (it is not UTF-8)",
        "file: 2 totals/signature row(s) without a NIK dropped: 8, 9",
    ]


def test_csv_utf8_bom_comma_with_multiline_address(tmp_path):
    path = tmp_path / "pkh.csv"
    text = (
        "NIK,No KK,Nama,Alamat,Nominal\n"
        '5371011505800001,5371010101200001,Budi,"Jl. Timor Raya\nRT 01 / RW 02",750000\n'
        '"5371011505800002",5371010101200002,Ani,"Jl. Sumba, No. 3",750000\n'
        "\n"
        "'5371011505800003,,Yanti,,\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    table = read_agency_table(path, KNOWN)
    assert table.columns == ["nik", "no_kk", "nama", "alamat", "nilai_bantuan"]
    assert [(r["_row_number"], r["nik"], r["alamat"], r["_nik_asal"]) for r in rows_of(table)] == [
        (2, "5371011505800001", "Jl. Timor Raya\nRT 01 / RW 02", "teks"),
        (4, "5371011505800002", "Jl. Sumba, No. 3", "teks"),
        (6, "'5371011505800003", None, "teks"),
    ]
    assert table.warnings == []


def test_csv_plain_utf8_without_title_block(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("nik;nama;kode_wilayah\n5371011505800001;Budi;53.71.04.1001\n")
    table = read_agency_table(path, KNOWN)
    assert rows_of(table) == [
        {"nik": "5371011505800001", "nama": "Budi", "kode_wilayah": "53.71.04.1001",
         "_row_number": 2, "_sheet": None, "_nik_asal": "teks"},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("NIK", "nik"),
        ("N I K", "nik"),
        ("No. NIK", "nik"),
        ("Nomor Induk Kependudukan", "nik"),
        ("No. KK", "no_kk"),
        ("No KK", "no_kk"),
        ("Nama Penerima", "nama"),
        ("Nama", "nama"),
        ("Nilai Bantuan (Rp)", "nilai_bantuan"),
        ("Nominal", "nilai_bantuan"),
        ("KELURAHAN", "kelurahan"),
        ("Desa/Kelurahan", "kelurahan"),
        ("Kode Wilayah", "kode_wilayah"),
        ("Tahap", "tahap"),
        ("Keterangan Lain", "keterangan_lain"),
    ],
)
def test_header_variants(header, expected):
    assert agency_header(header, KNOWN) == expected


# ---------------------------------------------------------------------------------------------
# Kelurahan names
# ---------------------------------------------------------------------------------------------


def test_match_kelurahan_within_kota_kupang():
    names = ["Kel. Oebobo", "OEBOBO", "Kelurahan  oebobo", "Naikoten I", "naikoten 2",
             "Desa Fontein", "Kayu-Putih", "Air Nona", "Antah Berantah", ""]  # fmt: skip
    warnings: list[str] = []
    with pytest.warns(UserWarning, match="Antah Berantah"):
        got = match_kelurahan(names, "53.71", warnings)
    assert got == {
        "Kel. Oebobo": "5371041001",
        "OEBOBO": "5371041001",
        "Kelurahan  oebobo": "5371041001",
        "Naikoten I": "5371051004",
        "naikoten 2": "5371051005",
        "Desa Fontein": "5371051008",
        "Kayu-Putih": "5371041013",
        "Air Nona": "5371051003",
        "Antah Berantah": None,
        "": None,
    }
    assert warnings == ["kelurahan 'Antah Berantah' not found in kabupaten/kota 5371"]


def test_match_kelurahan_is_within_the_kabkota_only():
    # Oebobo is a kelurahan of Kota Kupang, not of Kabupaten Kupang.
    with pytest.warns(UserWarning):
        assert match_kelurahan(["Oebobo"], "5301") == {"Oebobo": None}


def test_match_kelurahan_same_name_twice_is_never_picked():
    warnings: list[str] = []
    with pytest.warns(UserWarning, match="matches 2 places"):
        got = match_kelurahan(["Desa Oesao", "Oesao (Kupang Timur)"], "5301", warnings)
    # Kabupaten Kupang has a kelurahan and a desa Oesao, both in kecamatan Kupang Timur.
    assert got == {"Desa Oesao": None, "Oesao (Kupang Timur)": None}
    assert warnings[0] == (
        "kelurahan 'Desa Oesao' matches 2 places in 5301: 5301061004 (Kupang Timur), "
        "5301062015 (Kupang Timur); write the code or add the kecamatan, e.g. 'Name (Kecamatan)'"
    )
    assert len(warnings) == 2


def test_match_kelurahan_kecamatan_tells_twins_apart():
    # Timor Tengah Selatan has a Desa Tumu in Amanuban Tengah and one in Amanatun Utara.
    with pytest.warns(UserWarning, match="matches 2 places"):
        got = match_kelurahan(
            ["Tumu", "Tumu (Amanuban Tengah)", "Desa Tumu, Kec. Amanatun Utara"], "5302"
        )
    assert got == {
        "Tumu": None,
        "Tumu (Amanuban Tengah)": "5302052005",
        "Desa Tumu, Kec. Amanatun Utara": "5302092005",
    }


def test_match_kelurahan_rejects_a_bad_kabkota():
    with pytest.raises(ValueError):
        match_kelurahan(["Oebobo"], "537")


def test_xlsx_saved_by_excel_float_nik_quote_prefix_and_repeated_header(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(["DAFTAR PENERIMA"])
    sheet.append(["NIK *", "Nama", "Tanggal"])
    sheet.append([5.3710115058e15, "Ani", dt.datetime(2025, 3, 12, 10, 30)])
    sheet.append(["NIK", "Nama", "Tanggal"])  # the header again, e.g. above a second block
    cell = sheet.cell(5, 1, "5371011505800001")
    cell.quotePrefix = True  # typed as '5371011505800001: the apostrophe is not in the value
    sheet.cell(5, 2, "Budi")
    book.save(tmp_path / "excel.xlsx")
    table = read_agency_table(tmp_path / "excel.xlsx", KNOWN)
    assert [(r["_row_number"], r["nik"], r["_nik_asal"], r["tanggal"]) for r in rows_of(table)] == [
        (3, "5371011505800000", "angka", "2025-03-12T10:30:00"),
        (5, "5371011505800001", "teks", None),
    ]
    assert table.warnings == ["sheet 'Data': repeated header row(s) skipped: 4"]


# ---------------------------------------------------------------------------------------------
# XLSX streamed (read-only) vs the full workbook
# ---------------------------------------------------------------------------------------------


def read_both_ways(path: Path, monkeypatch) -> tuple:
    """(blocks, warnings) of the streamed path and of the full-workbook path."""
    streamed = agency_files._read_xlsx(path)
    with monkeypatch.context() as patch:
        patch.setattr(grid, "_is_streamable", lambda workbook: False)
        full = agency_files._read_xlsx(path)
    return streamed, full


def block_tuples(read: tuple) -> tuple:
    blocks, warnings = read
    return [(b.sheet, b.records, b.merges) for b in blocks], warnings


def build_plain_workbook(path: Path) -> Path:
    """No merges, but every other odd case: a title above the header, NIKs as numbers and
    in scientific notation, dates with and without time, booleans, a formula, an empty row,
    a gap of missing rows, a styled empty cell beyond the data, a hidden row and a hidden
    sheet, a numbering row and an empty sheet."""
    book = xlsxwriter.Workbook(str(path))
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    stamp = book.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    fill = book.add_format({"bg_color": "#FFFF00"})
    one = book.add_worksheet("Penerima")
    one.write("A1", "DAFTAR PENERIMA BANTUAN")
    one.write_row(3, 0, ["No", "NIK", "Nama", "Nilai", "Tanggal", "Aktif"])
    one.write_row(4, 0, [1, 2, 3, 4, 5, 6])
    one.write_row(5, 0, [1, 5371011505800000, "Ani", 750000])
    one.write_datetime(5, 4, dt.datetime(2025, 3, 12), date)
    one.write_boolean(5, 5, True)
    one.write_row(6, 0, [2, "5.37101E+15", "Budi", 1500.5])
    one.write_datetime(6, 4, dt.datetime(2025, 3, 12, 10, 30), stamp)
    one.write_boolean(6, 5, False)
    # row 8 stays empty; rows 9-11 are missing from the file
    one.write_row(11, 0, [3, "5371011505800003", "Citra"])
    one.write_formula("D12", "=D6*2", None, 1500000)
    one.set_row(11, None, None, {"hidden": True})
    one.write_blank("J14", None, fill)  # a styled empty cell widens and lengthens the sheet
    one.write_row(14, 0, ["JUMLAH", None, None, 3750000.5])
    two = book.add_worksheet("Tahap 2")
    two.write_row(0, 0, ["N I K", "Nama"])
    two.write_row(1, 0, [5371014508950002, "Dedi"])
    two.hide()
    book.add_worksheet("Kosong")
    book.close()
    return path


def test_plain_xlsx_is_streamed_and_reads_exactly_as_the_full_workbook(tmp_path, monkeypatch):
    path = build_plain_workbook(tmp_path / "plain.xlsx")
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    assert grid._is_streamable(workbook)
    workbook.close()
    streamed, full = read_both_ways(path, monkeypatch)
    assert block_tuples(streamed) == block_tuples(full)
    assert streamed[1] == [
        "sheet 'Penerima': hidden row(s) 12 are read",
        "sheet 'Tahap 2' is hidden; it is read like the others",
    ]
    table = read_agency_table(path, KNOWN)
    assert [(r["_sheet"], r["_row_number"], r["nik"], r["_nik_asal"]) for r in rows_of(table)] == [
        ("Penerima", 6, "5371011505800000", "angka"),
        ("Penerima", 7, "5.37101E+15", "notasi_ilmiah"),
        ("Penerima", 12, "5371011505800003", "teks"),
        ("Tahap 2", 2, "5371014508950002", "angka"),
    ]
    assert [(r["tanggal"], r["aktif"], r["nilai"]) for r in rows_of(table)][:3] == [
        ("2025-03-12", "TRUE", "750000"),
        ("2025-03-12T10:30:00", "FALSE", "1500.5"),
        (None, None, "1500000"),
    ]


def test_fixture_xlsx_reads_exactly_as_the_full_workbook(monkeypatch):
    path = (
        Path(__file__).parents[1]
        / "fixtures/realworld/rosters/5371/2026/KPG_RTLH/rtlh_dinas_perkim_2026.xlsx"
    )
    streamed, full = read_both_ways(path, monkeypatch)
    assert block_tuples(streamed) == block_tuples(full)


def test_xlsx_with_merged_cells_or_hyperlinks_uses_the_full_workbook(tmp_path, monkeypatch):
    import openpyxl

    merged = build_opd_workbook(tmp_path / "merged.xlsx")
    linked = tmp_path / "linked.xlsx"
    book = xlsxwriter.Workbook(str(linked))
    sheet = book.add_worksheet("Data")
    sheet.write_row(0, 0, ["NIK", "Nama"])
    sheet.write_row(1, 0, ["5371011505800001", "Ani"])
    sheet.write_url("D9", "https://example.org", string="bukti")
    book.close()
    for path in (merged, linked):
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        assert not grid._is_streamable(workbook)
        workbook.close()
    # the merged workbook's merges still reach the parser (vertical merge, title block)
    blocks, _ = agency_files._read_xlsx(merged)
    assert blocks[1].merges == [(7, 3, 8, 3)]


def test_shared_strings_read_as_openpyxl_reads_them():
    import io

    from openpyxl.reader.strings import read_string_table

    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<si><t>NIK</t></si>"
        "<si><t/></si>"
        '<si><t xml:space="preserve">  Budi  </t></si>'
        "<si><t>a_x005F_x000D_b</t></si>"
        "<si><r><rPr><b/></rPr><t>Kel. </t></r><r><t>Oebobo</t></r></si>"
        "<si><t>カ</t><rPh sb='0' eb='1'><t>カナ</t></rPh></si>"
        "<si></si>"
        "</sst>"
    ).encode()
    fast = grid._shared_strings(io.BytesIO(xml))
    assert fast == list(read_string_table(io.BytesIO(xml)))
    assert fast[:5] == ["NIK", "", "  Budi  ", "a_x000D_b", "Kel. Oebobo"]
