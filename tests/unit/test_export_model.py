"""Each export is a report model and its layouts (issue 18): the models decide every number and
word a planner reads, the layouts (xlsx, CSV) only place them. These tests pin that the
imports run one way only, and the rules that the split moved from the workbook into the
models: a row's label and Catatan, the chart's note, the status colours' tones, the
programme heading and the notes of the coverage table. No nightly run needed."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from orchestration.export.cakupan import (
    INCOMPLETE_HEADING,
    NOTE_ACUAN_SETELAH_PERIODE,
    NOTE_DEFINISI,
    NOTE_MASALAH,
    CakupanReport,
)
from orchestration.export.common import BAD, GOOD, WARNING, Region, Release
from orchestration.export.rpjmd import (
    KATEGORI_TONE,
    KATEGORI_WORDS,
    NOT_MET,
    STATUS_TONE,
    STATUS_WORDS,
    RegionReport,
    build_indicators,
    chart_note,
)

EXPORT = Path(__file__).resolve().parents[2] / "orchestration" / "export"

# --------------------------------------------------------------------------------------------
# Imports run one way: cli → layouts → models and layout.py → common.py
# --------------------------------------------------------------------------------------------


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def export_imports(name: str) -> set[str]:
    prefix = "orchestration.export."
    return {
        module.removeprefix(prefix)
        for module in imported_modules(EXPORT / f"{name}.py")
        if module.startswith(prefix)
    }


@pytest.mark.parametrize(
    ("name", "imports"),
    [
        ("common", set()),
        ("rpjmd", {"common"}),
        ("cakupan", {"common"}),
        ("layout", {"common"}),
        ("rpjmd_xlsx", {"layout", "rpjmd"}),
        ("rpjmd_csv", {"layout", "rpjmd"}),
        ("cakupan_xlsx", {"layout", "cakupan"}),
        ("cakupan_csv", {"layout", "cakupan"}),
    ],
)
def test_a_model_never_imports_a_layout_and_a_layout_only_its_own_model(name, imports):
    assert export_imports(name) == imports


@pytest.mark.parametrize("name", ["common", "rpjmd", "cakupan", "rpjmd_csv", "cakupan_csv"])
def test_only_the_workbook_layouts_know_a_spreadsheet_library(name):
    libraries = {m.split(".")[0] for m in imported_modules(EXPORT / f"{name}.py")}
    assert not libraries & {"xlsxwriter", "openpyxl"}


# --------------------------------------------------------------------------------------------
# rpjmd: the rules a region table, its chart and its colours read from the model
# --------------------------------------------------------------------------------------------


def plan_row(dokumen: str, indikator: str, tahun: int, tahun_akhir: int, **extra) -> dict:
    row = {
        "kode_wilayah": "6402",
        "dokumen": dokumen,
        "indikator": indikator,
        "arah": "turun",
        "keterangan": None,
        "tahun": tahun,
        "tahun_dasar": 2020,
        "nilai_dasar": 7.5,
        "target": 7.0,
        "realisasi": 7.2,
        "capaian": 97.14,
        "kategori_capaian": "sangat tinggi",
        "status": "off track",
        "tahun_data_terakhir": 2025,
        "nilai_terakhir": 7.2,
        "tahun_akhir": tahun_akhir,
        "target_akhir": 6.0,
        "proyeksi_tahun_akhir": 6.9,
        "catatan": None,
    }
    return {**row, **extra}


def region(records: list[dict]) -> RegionReport:
    return RegionReport(Region("6402", "Kabupaten Kutai Kartanegara", "kabkota"), records)


def test_one_plan_rows_keep_their_label_and_catatan_and_the_header_names_the_final_year():
    indicators = build_indicators(
        [
            plan_row("RPJMD 2021-2026", "p0", 2025, 2026),
            plan_row("RPJMD 2021-2026", "p1", 2025, 2026, kategori_capaian=None, status=None),
        ],
        2025,
    )
    table = region(indicators)
    assert table.tahun_akhir == 2026
    p0, p1 = indicators
    assert table.row_label(p0) == "Persentase penduduk miskin (P0)"
    assert table.row_catatan(p0) == p0.catatan
    assert p0.catatan.startswith("Kategori sangat tinggi menilai capaian 97,14 %")
    assert table.row_catatan(p1) == p1.catatan == ""


def test_plans_ending_in_different_years_name_their_document_and_final_year_on_each_row():
    indicators = build_indicators(
        [
            plan_row("RPJMD 2021-2026", "p0", 2024, 2026, kategori_capaian=None, status=None),
            plan_row("RPD 2023-2024", "p0_ekstrem", 2024, 2024, kategori_capaian=None, status=None),
        ],
        2024,
    )
    table = region(indicators)
    assert table.tahun_akhir is None
    ekstrem, p0 = indicators  # rows by document, then indicator
    assert table.row_label(p0) == "Persentase penduduk miskin (P0) — RPJMD 2021-2026"
    assert table.row_label(ekstrem) == "Persentase penduduk miskin ekstrem — RPD 2023-2024"
    # An empty Catatan gets no leading "; ".
    assert table.row_catatan(p0) == "target akhir periode: tahun 2026"
    assert table.row_catatan(ekstrem) == "target akhir periode: tahun 2024"


def test_the_chart_note_names_a_base_year_without_a_target_only():
    (ind,) = build_indicators([plan_row("RPJMD 2021-2026", "p0", 2025, 2026)], 2025)
    assert chart_note(ind) == "Jalur target 2020: kondisi awal (tahun dasar)"
    (own,) = build_indicators([plan_row("RPJMD 2021-2026", "p0", 2020, 2026)], 2020)
    assert chart_note(own) is None


def test_every_status_word_but_no_data_has_a_tone_and_every_kategori_exactly_one():
    assert set(STATUS_TONE) == STATUS_WORDS - {"Belum ada data"}
    assert NOT_MET == ("Tidak tercapai", "Perlu percepatan")
    assert [STATUS_TONE[w] for w in NOT_MET] == [BAD, WARNING]
    tones = {
        word: [tone for part, tone in KATEGORI_TONE if part in word.lower()]
        for word in KATEGORI_WORDS
    }
    assert tones == {
        "Sangat tinggi": [GOOD],
        "Tinggi": [GOOD],
        "Sedang": [WARNING],
        "Rendah": [BAD],
        "Sangat rendah": [BAD],
    }


# --------------------------------------------------------------------------------------------
# cakupan: the programme heading and the notes under the table
# --------------------------------------------------------------------------------------------


def coverage_row(kode_program: str, **extra) -> dict:
    row = {
        "kode_program": kode_program,
        "nama_program": None,
        "nama_opd": "Dinas Sosial",
        "sumber_dana": "APBD",
        "unit_sasaran": "keluarga",
        "desil_min": 1,
        "desil_max": 4,
        "usia_min": None,
        "usia_max": None,
        "is_data_lengkap": True,
        "is_acuan_setelah_periode": False,
        "catatan_kelengkapan": None,
    }
    return {**row, **extra}


def cakupan_report(rows: list[dict]) -> CakupanReport:
    release = Release(Path("."), None, None, is_recorded=False)
    return CakupanReport([], 2025, "kabkota", rows, None, release)


def test_a_programme_with_a_held_back_roster_says_so_in_its_heading_and_the_notes():
    held_back = coverage_row(
        "KPG_RTLH",
        nama_program="Bedah Rumah",
        is_data_lengkap=False,
        is_acuan_setelah_periode=True,
        catatan_kelengkapan="Data belum lengkap: roster tahap 2 ditahan",
    )
    complete = coverage_row("PKH")
    report = cakupan_report([held_back, complete])
    assert report.heading(held_back) == (
        "Bedah Rumah (KPG_RTLH) — Dinas Sosial · APBD · sasaran: keluarga desil 1–4"
        " — DATA BELUM LENGKAP (lihat Keterangan)"
    )
    assert (
        report.heading(complete) == "PKH (PKH) — Dinas Sosial · APBD · sasaran: keluarga desil 1–4"
    )
    assert report.notes() == [
        NOTE_DEFINISI,
        NOTE_MASALAH,
        NOTE_ACUAN_SETELAH_PERIODE,
        "Bedah Rumah: Data belum lengkap: roster tahap 2 ditahan",
    ]
    assert INCOMPLETE_HEADING not in cakupan_report([complete]).heading(complete)
    assert cakupan_report([complete]).notes() == [NOTE_DEFINISI, NOTE_MASALAH]
