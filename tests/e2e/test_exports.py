"""Planners' exports (issue 6): `tepat export rpjmd` and `tepat export cakupan`.

The end-to-end tests open the generated workbooks with openpyxl and compare every number
with the published marts of the shared nightly run (Kota Kupang 5371 and Kabupaten
Bengkayang 6107), check the layout planners rely on (sheets, headers, merged cells, number
formats, frozen panes, the native chart, conditional colours, the source line), and the
plain-words errors. The unit tests at the bottom cover the pure helpers and need no run.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.export.cakupan import load_cakupan, sasaran_label
from orchestration.export.cakupan_csv import write_cakupan_csv
from orchestration.export.cakupan_xlsx import write_cakupan_xlsx
from orchestration.export.cli import Format, output_path
from orchestration.export.common import (
    ExportError,
    Marts,
    normalise_codes,
    read_release,
    tanggal_indonesia,
)
from orchestration.export.layout import (
    csv_number,
    inert_text,
    row_height,
    sheet_name,
    wrapped_lines,
)
from orchestration.export.rpjmd import (
    INDIKATOR,
    KATEGORI_WORDS,
    NOTE_STATUS,
    STATUS_WORDS,
    build_indicators,
    chart_points,
    compose_catatan,
    evaluation_year,
    load_rpjmd,
    year_ranges,
)
from orchestration.export.rpjmd_csv import write_rpjmd_csv
from orchestration.export.rpjmd_xlsx import write_rpjmd_xlsx

e2e = pytest.mark.e2e

KUPANG = "5371"
BENGKAYANG = "6107"
YEAR = 2025
LABEL_TO_CODE = {label: code for code, (label, _) in INDIKATOR.items()}
HEADER_ROW, SUBHEADER_ROW, FIRST_DATA_ROW = 5, 6, 8  # 1-based, rpjmd region sheets


def empty(value) -> bool:
    return value is None or pd.isna(value)


def same(cell, mart_value) -> bool:
    """A workbook cell holds the mart's number, or is empty where the mart has none."""
    if empty(mart_value):
        return cell is None
    return cell == pytest.approx(float(mart_value), rel=1e-12, abs=1e-12)


def kategori(value: str | None) -> str | None:
    """A mart category as the workbook shows it."""
    return None if empty(value) else value[:1].upper() + value[1:]


def status(row) -> str | None:
    """A mart row's status as the workbook shows it (DESIGN §3.2): the words depend on
    whether BPS has the year's realisation."""
    if empty(row["status"]):
        return None
    realised = not empty(row["realisasi"])
    return {
        ("tercapai", True): "Tercapai",
        ("off track", True): "Tidak tercapai",
        ("on track", False): "Diperkirakan tercapai",
        ("off track", False): "Perlu percepatan",
        ("belum ada data", False): "Belum ada data",
    }[(row["status"], realised)]


# --------------------------------------------------------------------------------------------
# Fixtures: the workbooks, written once from the nightly run's marts
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("exports")


@pytest.fixture(scope="module")
def marts_dir(nightly) -> Path:
    return nightly["paths"].marts_dir


@pytest.fixture(scope="module")
def target_gap(marts) -> pd.DataFrame:
    return marts("mart_target_gap")


@pytest.fixture(scope="module")
def coverage(marts) -> pd.DataFrame:
    return marts("mart_program_coverage")


@pytest.fixture(scope="module")
def rpjmd_books(marts_dir, out_dir) -> dict[str, Path]:
    books = {}
    for key, codes in {KUPANG: [KUPANG], BENGKAYANG: [BENGKAYANG]}.items():
        books[key] = out_dir / f"rpjmd_{key}.xlsx"
        write_rpjmd_xlsx(load_rpjmd(marts_dir, codes, YEAR), books[key])
    return books


@pytest.fixture(scope="module")
def cakupan_book(marts_dir, out_dir) -> Path:
    path = out_dir / "cakupan_5371_kecamatan.xlsx"
    write_cakupan_xlsx(load_cakupan(marts_dir, [KUPANG], YEAR, "kecamatan"), path)
    return path


def region_sheet(ws) -> dict[str, dict]:
    """A region sheet as {indikator: {kolom: value, 'years': {tahun: (t, r, c)}}}."""
    year_cols = {
        int(ws.cell(HEADER_ROW, col).value): col
        for col in range(1, ws.max_column + 1)
        if str(ws.cell(HEADER_ROW, col).value or "").isdigit()
    }
    headers = {ws.cell(HEADER_ROW, col).value: col for col in range(1, ws.max_column + 1)}
    akhir = next(c for h, c in headers.items() if h and h.startswith("Target Akhir"))
    proyeksi = next(c for h, c in headers.items() if h and h.startswith("Proyeksi Akhir"))
    rows = {}
    for row in range(FIRST_DATA_ROW, ws.max_row + 1):
        if not isinstance(ws.cell(row, 1).value, int):
            break
        cell = lambda col, row=row: ws.cell(row, col).value  # noqa: E731
        rows[LABEL_TO_CODE[cell(2)]] = {
            "satuan": cell(3),
            "tahun_dasar": cell(4),
            "nilai_dasar": cell(5),
            "years": {y: (cell(c), cell(c + 1), cell(c + 2)) for y, c in year_cols.items()},
            "target_akhir": cell(akhir),
            "proyeksi": cell(proyeksi),
            "kategori": cell(headers[f"Kategori Capaian {YEAR}"]),
            "status": cell(headers[f"Status {YEAR}"]),
            "catatan": cell(headers["Catatan"]),
            "row": row,
        }
    return rows


# --------------------------------------------------------------------------------------------
# tepat export rpjmd
# --------------------------------------------------------------------------------------------


@e2e
def test_rpjmd_workbook_has_the_region_sheet_and_the_chart_sheet(rpjmd_books):
    wb = openpyxl.load_workbook(rpjmd_books[KUPANG])
    assert wb.sheetnames == ["5371 Kota Kupang", "Grafik"]
    wb = openpyxl.load_workbook(rpjmd_books[BENGKAYANG])
    assert wb.sheetnames == ["6107 Kab. Bengkayang", "Grafik"]


@e2e
def test_rpjmd_headers_are_merged_per_year_bold_wrapped_and_frozen(rpjmd_books):
    ws = openpyxl.load_workbook(rpjmd_books[KUPANG])["5371 Kota Kupang"]
    assert ws["A1"].value == "EVALUASI CAPAIAN INDIKATOR KINERJA PENANGGULANGAN KEMISKINAN"
    assert ws["A2"].value == "Kota Kupang (5371)"
    assert "RPD 2023-2026" in ws["A3"].value and "Tahun evaluasi: 2025" in ws["A3"].value
    top = [ws.cell(HEADER_ROW, c).value for c in range(1, 20)]
    sub = [ws.cell(SUBHEADER_ROW, c).value for c in range(1, 20)]
    assert top == [
        "No", "Indikator", "Satuan", "Kondisi Awal", None,
        "2024", None, None, "2025", None, None, "2026", None, None,
        "Target Akhir Periode (2026)", "Proyeksi Akhir Periode (2026)",
        "Kategori Capaian 2025", "Status 2025", "Catatan",
    ]  # fmt: skip
    assert sub[3:14] == ["Tahun Dasar", "Nilai"] + ["Target", "Realisasi", "Capaian (%)"] * 3
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A5:A6", "B5:B6", "C5:C6", "D5:E5", "F5:H5", "I5:K5", "L5:N5"} <= merged
    assert {"O5:O6", "P5:P6", "Q5:Q6", "R5:R6", "S5:S6"} <= merged
    headers = [ws.cell(r, c) for r in (HEADER_ROW, SUBHEADER_ROW) for c in range(1, 20)]
    for header in (h for h in headers if h.value):  # merged cells keep the anchor's style
        assert header.font.b and header.alignment.wrap_text, header.coordinate
    assert ws.freeze_panes == "F8"  # header rows and No … Kondisi Awal stay in view
    assert ws.column_dimensions["B"].width > 25 and ws.column_dimensions["S"].width > 40
    assert ws.print_title_rows == "$5:$7"
    assert ws.page_setup.orientation == "landscape"


@e2e
@pytest.mark.parametrize("kode", [KUPANG, BENGKAYANG])
def test_rpjmd_values_equal_mart_target_gap(rpjmd_books, target_gap, kode):
    wb = openpyxl.load_workbook(rpjmd_books[kode])
    rows = region_sheet(wb[wb.sheetnames[0]])
    mart = target_gap[target_gap["kode_wilayah"] == kode]
    assert set(rows) == set(mart["indikator"])
    for indikator, got in rows.items():
        plan = mart[mart["indikator"] == indikator].sort_values("tahun")
        first = plan.iloc[0]
        assert got["satuan"] == INDIKATOR[indikator][1]
        assert got["tahun_dasar"] == first["tahun_dasar"]
        assert same(got["nilai_dasar"], first["nilai_dasar"])
        assert same(got["target_akhir"], first["target_akhir"])
        assert same(got["proyeksi"], first["proyeksi_tahun_akhir"])
        assert set(got["years"]) == set(plan["tahun"])
        for _, year in plan.iterrows():
            target, realisasi, capaian = got["years"][year["tahun"]]
            assert same(target, year["target"]), (indikator, year["tahun"])
            assert same(realisasi, year["realisasi"]), (indikator, year["tahun"])
            assert same(capaian, year["capaian"]), (indikator, year["tahun"])
        current = plan[plan["tahun"] == YEAR].iloc[0]
        assert got["kategori"] == kategori(current["kategori_capaian"])
        assert got["status"] == status(current)


@e2e
def test_rpjmd_kota_kupang_p0_numbers_as_the_planner_reads_them(rpjmd_books, target_gap):
    rows = region_sheet(openpyxl.load_workbook(rpjmd_books[KUPANG])["5371 Kota Kupang"])
    p0 = rows["p0"]
    mart = target_gap[(target_gap["kode_wilayah"] == KUPANG) & (target_gap["indikator"] == "p0")]
    realisasi = mart.set_index("tahun")["realisasi"]
    # BPS published no March 2024 figure for Kota Kupang: an empty cell, never 0.
    assert empty(realisasi[2024]) and p0["years"][2024] == (5.74, None, None)
    assert p0["years"][2025][1] == realisasi[2025] == 7.57
    assert p0["years"][2025][2] == pytest.approx((2 * 2.87 - 7.57) / 2.87 * 100)
    assert p0["years"][2026] == (0.0, None, None)  # zero-poverty target, no data yet
    assert (p0["tahun_dasar"], p0["nilai_dasar"]) == (2023, 8.61)
    assert (p0["kategori"], p0["status"]) == ("Sangat rendah", "Tidak tercapai")
    assert "Belum ada data BPS Maret 2024" in p0["catatan"]
    assert "target 2024–2025: ilustratif" in p0["catatan"]
    ekstrem = rows["p0_ekstrem"]
    assert all(r is None and c is None for _, r, c in ekstrem["years"].values())
    assert ekstrem["kategori"] is None and ekstrem["status"] == "Belum ada data"
    assert ekstrem["proyeksi"] is None


@e2e
def test_rpjmd_numbers_have_two_decimals_and_empty_cells_stay_blank(rpjmd_books):
    ws = openpyxl.load_workbook(rpjmd_books[KUPANG])["5371 Kota Kupang"]
    rows = region_sheet(ws)
    row = rows["p0"]["row"]
    for col in (5, 6, 7, 8, 9, 10, 11, 15, 16):  # Kondisi Awal … Proyeksi
        assert ws.cell(row, col).number_format == "#,##0.00", ws.cell(row, col).coordinate
    assert ws.cell(row, 4).number_format == "0"  # a year, not 2,023.00
    assert ws.cell(row, 7).value is None and ws.cell(row, 7).data_type == "n"


@e2e
def test_rpjmd_source_line_names_bps_year_dtsen_snapshot_and_release(rpjmd_books, marts_dir, marts):
    ws = openpyxl.load_workbook(rpjmd_books[KUPANG])["5371 Kota Kupang"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    source = next(t for t in texts if t.startswith("Sumber:"))
    release = json.loads((marts_dir / "release.json").read_text())
    published = dt.datetime.fromisoformat(release["published_at"])
    snapshot = marts("mart_desil_distribution")["tanggal_snapshot"].max()
    assert "BPS, Susenas Maret (data terakhir tahun 2025)" in source
    assert f"DTSEN snapshot {tanggal_indonesia(pd.Timestamp(snapshot).date())}" in source
    # Kota Kupang (NTT) reads the release time in WITA, UTC+8 (DESIGN §3.2).
    local = published.astimezone(ZoneInfo("Asia/Makassar"))
    assert f"rilis {tanggal_indonesia(local)} pukul {local:%H.%M} WITA (proses " in source
    assert f"(proses {release['run_id'][:8]})" in source and "UTC" not in source


@e2e
def test_rpjmd_chart_sheet_charts_realisation_against_the_target_path(rpjmd_books, target_gap):
    wb = openpyxl.load_workbook(rpjmd_books[KUPANG])
    ws = wb["Grafik"]
    charts = ws._charts
    assert len(charts) == 2  # p0 and p0_ekstrem
    chart = charts[0]
    assert type(chart).__name__ == "LineChart"
    assert chart.title.tx.rich.p[0].r[0].t == "Persentase penduduk miskin (P0) — Kota Kupang"

    def cells(ref: str) -> list:
        sheet, rng = ref.split("!")
        found = wb[sheet][rng.replace("$", "")]
        if ":" not in rng:
            return [found.value]
        return [c.value for row in found for c in row]

    names = [cells(s.tx.strRef.f)[0] for s in chart.series]
    assert names == ["Jalur Target", "Realisasi BPS", "Proyeksi Tren"]
    years = cells(chart.series[0].cat.numRef.f)
    assert years == [2023, 2024, 2025, 2026]  # the baseline year starts the target path
    path, realised, projected = (cells(s.val.numRef.f) for s in chart.series)
    mart = target_gap[(target_gap["kode_wilayah"] == KUPANG) & (target_gap["indikator"] == "p0")]
    mart = mart.set_index("tahun")
    assert path == [8.61, *mart["target"].loc[[2024, 2025, 2026]]]
    assert realised == [None, None, 7.57, None]  # only BPS figures, never the baseline
    assert projected == [None, None, 7.57, pytest.approx(mart["proyeksi_tahun_akhir"][2026])]


@e2e
def test_rpjmd_several_regions_get_a_summary_sheet(marts_dir, out_dir, target_gap):
    path = out_dir / "rpjmd_multi.xlsx"
    names = write_rpjmd_xlsx(load_rpjmd(marts_dir, [f"{KUPANG},{BENGKAYANG}"], YEAR), path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == names == [
        "Ringkasan", "5371 Kota Kupang", "6107 Kab. Bengkayang", "Grafik",
    ]  # fmt: skip
    ws = wb["Ringkasan"]
    header = [c.value for c in ws[5]]
    assert header[:5] == ["No", "Kode Wilayah", "Wilayah", "Dokumen", "Indikator"]
    col = {h: i for i, h in enumerate(header)}
    got = {(r[1].value, LABEL_TO_CODE[r[4].value]): r for r in ws.iter_rows(min_row=6, max_row=8)}
    assert set(got) == {(KUPANG, "p0"), (KUPANG, "p0_ekstrem"), (BENGKAYANG, "p0")}
    for (kode, indikator), cells in got.items():
        mart = target_gap[
            (target_gap["kode_wilayah"] == kode)
            & (target_gap["indikator"] == indikator)
            & (target_gap["tahun"] == YEAR)
        ].iloc[0]
        assert same(cells[col["Target 2025"]].value, mart["target"])
        assert same(cells[col["Realisasi 2025"]].value, mart["realisasi"])
        assert same(cells[col["Capaian 2025 (%)"]].value, mart["capaian"])
        assert cells[col["Status 2025"]].value == status(mart)
        assert cells[col["Wilayah"]].hyperlink.location.startswith(f"'{kode} ")
    assert len(wb["Grafik"]._charts) == 3


@e2e
def test_rpjmd_province_code_gives_one_sheet_per_kabkota_with_targets(
    marts_dir, out_dir, target_gap
):
    path = out_dir / "rpjmd_53.xlsx"
    names = write_rpjmd_xlsx(load_rpjmd(marts_dir, ["53"], YEAR), path)
    kabkota = sorted(k for k in target_gap["kode_wilayah"].unique() if k.startswith("53"))
    assert len(kabkota) >= 2
    assert names[0] == "Ringkasan" and names[-1] == "Grafik"
    assert [n.split()[0] for n in names[1:-1]] == kabkota
    assert openpyxl.load_workbook(path).sheetnames == names


@e2e
def test_rpjmd_csv_has_indonesian_headers_and_the_mart_values(marts_dir, out_dir, target_gap):
    path = out_dir / "rpjmd.csv"
    write_rpjmd_csv(load_rpjmd(marts_dir, [KUPANG, BENGKAYANG], YEAR), path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8 right
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:8] == [
        "Kode Wilayah", "Wilayah", "Dokumen", "Indikator", "Kode Indikator", "Satuan",
        "Tahun Dasar", "Kondisi Awal",
    ]  # fmt: skip
    assert len(rows) == 3
    p0 = next(r for r in rows if r["Kode Wilayah"] == KUPANG and r["Kode Indikator"] == "p0")
    assert p0["Realisasi 2025"] == "7.57" and p0["Realisasi 2024"] == ""
    assert p0["Capaian 2025 (%)"] == "-63.76"
    assert p0["Status 2025"] == "Tidak tercapai" and p0["Target 2022"] == ""  # 2022: not its plan
    bengkayang = next(r for r in rows if r["Kode Wilayah"] == BENGKAYANG)
    mart = target_gap[(target_gap["kode_wilayah"] == BENGKAYANG) & (target_gap["tahun"] == 2023)]
    assert bengkayang["Capaian 2023 (%)"] == f"{mart['capaian'].iloc[0]:.2f}"


def label_cells(ws) -> dict[str, list]:
    """The Status and Kategori Capaian cells of a region sheet or the Ringkasan (header in
    row 5, data rows numbered in column A)."""
    cols = {
        kind: [
            col
            for col in range(1, ws.max_column + 1)
            if str(ws.cell(HEADER_ROW, col).value or "").startswith(kind)
        ]
        for kind in ("Status", "Kategori Capaian")
    }
    rows = [
        r for r in range(HEADER_ROW + 1, ws.max_row + 1) if isinstance(ws.cell(r, 1).value, int)
    ]
    return {
        kind: [ws.cell(r, c).value for r in rows for c in found] for kind, found in cols.items()
    }


@e2e
def test_rpjmd_every_status_and_kategori_is_an_indonesian_word(marts_dir, out_dir, target_gap):
    """Every region with targets, as evaluated in a first plan year (statuses from the
    trend), a year with BPS data and a last plan year: each Status and Kategori Capaian cell
    of the workbook and the CSV is a word of DESIGN §3.2, all five status words occur, and
    no English status or UTC time is left in any cell."""
    seen: set[str] = set()
    years = sorted(int(y) for y in target_gap["tahun"].unique())
    assert years == list(range(2022, 2030))
    for tahun in (2022, YEAR, 2029):
        report = load_rpjmd(marts_dir, ["53", "61", "64"], tahun)
        book, table = out_dir / f"rpjmd_all_{tahun}.xlsx", out_dir / f"rpjmd_all_{tahun}.csv"
        write_rpjmd_xlsx(report, book)
        write_rpjmd_csv(report, table)
        wb = openpyxl.load_workbook(book)
        assert wb.sheetnames[0] == "Ringkasan" and len(wb.sheetnames) == 11
        for ws in wb.worksheets[:-1]:  # the last is Grafik: no status column
            cells = label_cells(ws)
            assert cells["Status"], ws.title
            assert set(cells["Status"]) - {None} <= STATUS_WORDS, ws.title
            assert set(cells["Kategori Capaian"]) - {None} <= KATEGORI_WORDS, ws.title
            seen |= set(cells["Status"]) - {None}
        texts = [c.value for ws in wb for row in ws.iter_rows() for c in row]
        texts = [t for t in texts if isinstance(t, str)]
        assert not [t for t in texts if re.search(r"track|\bUTC\b|\brun\b", t, re.I)]
        with table.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert {r[f"Status {tahun}"] for r in rows} - {""} <= STATUS_WORDS
        assert {r[f"Kategori Capaian {tahun}"] for r in rows} - {""} <= KATEGORI_WORDS
    assert seen == STATUS_WORDS


@e2e
def test_rpjmd_a_high_kategori_beside_a_missed_target_is_explained_on_that_row(
    rpjmd_books, target_gap
):
    """Bengkayang 2025: capaian 99.31 is `Sangat tinggi`, yet P0 5.83 is above the target
    5.79, so the target is not met; the row's Catatan says why, the sheet's notes too."""
    ws = openpyxl.load_workbook(rpjmd_books[BENGKAYANG])["6107 Kab. Bengkayang"]
    p0 = region_sheet(ws)["p0"]
    mart = target_gap[
        (target_gap["kode_wilayah"] == BENGKAYANG)
        & (target_gap["indikator"] == "p0")
        & (target_gap["tahun"] == YEAR)
    ].iloc[0]
    assert (mart["realisasi"], mart["target"], mart["status"]) == (5.83, 5.79, "off track")
    assert (p0["kategori"], p0["status"]) == ("Sangat tinggi", "Tidak tercapai")
    assert p0["catatan"].startswith(
        "Kategori sangat tinggi menilai capaian 99,31 % terhadap target 2025; status Tidak "
        "tercapai karena realisasi 5,83 masih di atas target 5,79 (indikator ini harus turun)"
    )
    notes = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert NOTE_STATUS in notes
    # Kota Kupang's p0 is `Sangat rendah` and not met: they agree, no such note.
    kupang = openpyxl.load_workbook(rpjmd_books[KUPANG])["5371 Kota Kupang"]
    assert "menilai capaian" not in region_sheet(kupang)["p0"]["catatan"]


@e2e
def test_release_time_is_the_regions_local_time(rpjmd_books, cakupan_book, marts_dir, out_dir):
    published = dt.datetime.fromisoformat(
        json.loads((marts_dir / "release.json").read_text())["published_at"]
    )
    wib = published.astimezone(ZoneInfo("Asia/Jakarta"))
    wita = published.astimezone(ZoneInfo("Asia/Makassar"))

    def source(path: Path) -> str:
        wb = openpyxl.load_workbook(path)
        texts = [c.value for row in wb.worksheets[0].iter_rows() for c in row]
        return next(t for t in texts if isinstance(t, str) and t.startswith("Sumber:"))

    # Kabupaten Bengkayang (Kalimantan Barat): WIB, UTC+7.
    assert f"{tanggal_indonesia(wib)} pukul {wib:%H.%M} WIB (proses" in source(
        rpjmd_books[BENGKAYANG]
    )
    # Kota Kupang (Nusa Tenggara Timur): WITA, UTC+8, in both exports.
    expected = f"{tanggal_indonesia(wita)} pukul {wita:%H.%M} WITA (proses"
    assert expected in source(rpjmd_books[KUPANG])
    assert expected in source(cakupan_book)
    both = out_dir / "rpjmd_zones.xlsx"
    write_rpjmd_xlsx(load_rpjmd(marts_dir, [KUPANG, BENGKAYANG], YEAR), both)
    # WIB's date is named too when it is another day: published between 16.00 and 17.00 UTC
    # it is already tomorrow in Kupang (tests/unit/test_export_labels.py has both cases)
    wib_day = "" if wib.date() == wita.date() else f"{tanggal_indonesia(wib)} "
    assert f"pukul {wita:%H.%M} WITA ({wib_day}pukul {wib:%H.%M} WIB)" in source(both)


# --------------------------------------------------------------------------------------------
# tepat export cakupan
# --------------------------------------------------------------------------------------------

PROGRAMME = re.compile(r"\(([A-Z0-9_]+)\) — ")
CAKUPAN_FIELDS = {  # workbook header → mart column
    "Sasaran Layak": "sasaran_layak",
    "Penerima": "penerima",
    "Penerima Layak": "penerima_layak",
    "Cakupan": "cakupan",
    "Kesalahan Inklusi": "kesalahan_inklusi",
    "Kesalahan Eksklusi": "kesalahan_eksklusi",
    "Tidak Padan DTSEN": "penerima_tidak_padan",
    "Meninggal": "penerima_meninggal",
    "Data Ganda (baris)": "baris_ganda",
    "Pagu (Rp)": "pagu",
    "Nilai Bantuan (Rp)": "nilai_bantuan",
}


def cakupan_sheet(ws) -> tuple[dict[str, int], dict[tuple[str, int, str], dict]]:
    """Header → column, and the data rows keyed by (kode_program, tahap, kode_wilayah)."""
    columns = {}
    for col in range(1, ws.max_column + 1):
        lower, upper = ws.cell(6, col).value, ws.cell(5, col).value
        columns[lower or upper] = col
    rows, programme = {}, None
    for r in range(7, ws.max_row + 1):
        first = ws.cell(r, 1).value
        if isinstance(first, str) and PROGRAMME.search(first):
            programme = PROGRAMME.search(first).group(1)
            continue
        if not isinstance(first, int):
            break
        periode = ws.cell(r, columns["Periode"]).value
        tahap = 0 if periode == "Setahun" else int(periode.split()[1])
        values = {h: ws.cell(r, c).value for h, c in columns.items()}
        values["_row"] = r
        rows[(programme, tahap, ws.cell(r, columns["Kode Wilayah"]).value)] = values
    return columns, rows


@e2e
def test_cakupan_layout_groups_headers_and_colours_low_coverage(cakupan_book, coverage, marts):
    ws = openpyxl.load_workbook(cakupan_book)["Cakupan Program"]
    assert ws["A1"].value == "CAKUPAN DAN KETEPATAN SASARAN PROGRAM PENANGGULANGAN KEMISKINAN"
    assert ws["A2"].value == "Kota Kupang (5371) · Tahun 2025 · Rincian: kecamatan"
    columns, rows = cakupan_sheet(ws)
    assert list(columns)[:4] == ["No", "Periode", "Kode Wilayah", "Wilayah"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A5:A6", "E5:G5", "H5:J5", "K5:M5", "N5:P5", "Q5:Q6"} <= merged
    assert [ws.cell(5, c).value for c in (5, 8, 11, 14)] == [
        "Jumlah Unit", "Ketepatan Sasaran", "Penerima Bermasalah", "Anggaran",
    ]  # fmt: skip
    assert ws.freeze_panes == "E7"
    row = next(iter(rows.values()))["_row"]
    formats = {h: ws.cell(row, c).number_format for h, c in columns.items()}
    assert formats["Cakupan"] == formats["Kesalahan Inklusi"] == "0.00%"
    assert formats["Penerima"] == formats["Pagu (Rp)"] == "#,##0"
    assert formats["Snapshot DTSEN Acuan"] == "dd/mm/yyyy"
    rules = {str(cf.sqref): [r.formula[0] for r in cf.rules] for cf in ws.conditional_formatting}
    assert rules["H7:H" + str(max(r["_row"] for r in rows.values()))] == [
        "AND(ISNUMBER(H7),H7<0.6)"
    ]
    assert any(f == ["AND(ISNUMBER(I7),I7>0.2)"] for f in rules.values())
    texts = [c.value for r in ws.iter_rows() for c in r if isinstance(c.value, str)]
    source = next(t for t in texts if t.startswith("Sumber:"))
    mine = coverage[coverage["kode_wilayah"].str.startswith(KUPANG) & (coverage["tahun"] == YEAR)]
    used = mine["tanggal_snapshot_acuan"]
    acuan = ", ".join(tanggal_indonesia(pd.Timestamp(d)) for d in sorted(used.unique()))
    latest = pd.Timestamp(marts("mart_desil_distribution")["tanggal_snapshot"].max())
    assert f"(snapshot acuan: {acuan})" in source
    assert f"DTSEN snapshot terakhir {tanggal_indonesia(latest)}" in source and "(proses " in source


@e2e
def test_cakupan_rows_equal_mart_program_coverage(cakupan_book, coverage):
    _, rows = cakupan_sheet(openpyxl.load_workbook(cakupan_book)["Cakupan Program"])
    mart = coverage[
        (coverage["tahun"] == YEAR)
        & (
            (coverage["kode_wilayah"] == KUPANG)
            | (
                (coverage["tingkat_wilayah"] == "kecamatan")
                & coverage["kode_wilayah"].str.startswith(KUPANG)
            )
        )
    ]
    assert len(rows) == len(mart) > 100
    for _, want in mart.iterrows():
        got = rows[(want["kode_program"], want["tahap"], want["kode_wilayah"])]
        assert got["Wilayah"] == want["nama_wilayah"]
        for header, column in CAKUPAN_FIELDS.items():
            assert same(got[header], want[column]), (header, want["kode_program"])
        realisasi = want["realisasi_persen"]
        assert same(got["Realisasi"], None if empty(realisasi) else realisasi / 100)
        snapshot = pd.Timestamp(want["tanggal_snapshot_acuan"]).to_pydatetime()
        assert got["Snapshot DTSEN Acuan"] == snapshot
    # The PKH quarter-1 total of Kota Kupang, the first row a TKPK meeting looks at.
    pkh = rows[("PKH", 1, KUPANG)]
    want = mart[(mart["kode_program"] == "PKH") & (mart["tahap"] == 1)]
    want = want[want["kode_wilayah"] == KUPANG].iloc[0]
    assert (pkh["Sasaran Layak"], pkh["Penerima"]) == (want["sasaran_layak"], want["penerima"])
    assert pkh["Cakupan"] == pytest.approx(want["penerima_layak"] / want["sasaran_layak"])


@e2e
def test_cakupan_bengkayang_lists_its_programmes_at_kabkota_level(marts_dir, out_dir, coverage):
    path = out_dir / "cakupan_6107.xlsx"
    report = load_cakupan(marts_dir, [BENGKAYANG], YEAR)
    assert write_cakupan_xlsx(report, path) == ["Cakupan Program"]
    ws = openpyxl.load_workbook(path)["Cakupan Program"]
    assert "Rincian: kabupaten/kota" in ws["A2"].value
    _, rows = cakupan_sheet(ws)
    mart = coverage[(coverage["kode_wilayah"] == BENGKAYANG) & (coverage["tahun"] == YEAR)]
    assert {k[0] for k in rows} == set(mart["kode_program"])
    assert not any(k.startswith("KPG_") for k, _, _ in rows)  # Kota Kupang's own only
    assert len(rows) == len(mart)
    for _, want in mart.iterrows():
        got = rows[(want["kode_program"], want["tahap"], BENGKAYANG)]
        for header, column in CAKUPAN_FIELDS.items():
            assert same(got[header], want[column]), (header, want["kode_program"])


@e2e
def test_cakupan_csv_has_indonesian_headers_and_percentages(marts_dir, out_dir, coverage):
    path = out_dir / "cakupan.csv"
    write_cakupan_csv(load_cakupan(marts_dir, [KUPANG], YEAR, "desa", tahap=1), path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:4] == ["Tahun", "Kode Program", "Program", "Unit Sasaran"]
    mart = coverage[
        (coverage["tahun"] == YEAR)
        & (coverage["tahap"] == 1)
        & ((coverage["kode_wilayah"] == KUPANG) | (coverage["tingkat_wilayah"] == "desa"))
        & coverage["kode_wilayah"].str.startswith(KUPANG)
    ]
    assert len(rows) == len(mart)
    want = mart[(mart["kode_program"] == "PKH") & (mart["kode_wilayah"] == KUPANG)].iloc[0]
    got = next(r for r in rows if r["Kode Program"] == "PKH" and r["Kode Wilayah"] == KUPANG)
    assert got["Periode"] == "Tahap 1" and got["Tingkat Wilayah"] == "kabupaten/kota"
    assert got["Penerima"] == str(want["penerima"])
    assert got["Cakupan (%)"] == f"{want['cakupan'] * 100:.2f}"
    assert got["Realisasi Anggaran (%)"] == f"{want['realisasi_persen']:.2f}"
    assert got["Snapshot DTSEN Acuan"] == "2025-03-31"
    desa = next(r for r in rows if r["Tingkat Wilayah"] == "desa/kelurahan")
    assert desa["Kecamatan"] and desa["Pagu (Rp)"] == "" and len(desa["Kode Wilayah"]) == 10


# --------------------------------------------------------------------------------------------
# The CLI: files where they belong, and errors in plain words
# --------------------------------------------------------------------------------------------


def run_cli(*args: str):
    return CliRunner().invoke(app, ["export", *args])


@e2e
def test_cli_writes_default_files_into_the_exports_folder(nightly):
    exports = nightly["paths"].exports_dir
    result = run_cli("rpjmd", "--wilayah", "53.71", "--tahun", "2025")
    assert result.exit_code == 0, result.output
    assert (exports / "rpjmd_5371_2025.xlsx").is_file()
    assert "Wrote" in result.output
    result = run_cli("cakupan", "--wilayah", "6107", "--tahun", "2025", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert (exports / "cakupan_6107_2025_kabkota.csv").is_file()
    # The default evaluation year is the latest year with a BPS realisation.
    result = run_cli("rpjmd", "-w", "6107", "-o", str(exports / "b.xlsx"))
    assert result.exit_code == 0 and "2025" in result.output


@e2e
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("rpjmd", "-w", "9999"), "Unknown region code 9999: it is not a Kemendagri region"),
        (("cakupan", "-w", "9999", "--tahun", "2025"), "Unknown region code 9999"),
        (
            ("rpjmd", "-w", "3273"),
            "No data for Kota Bandung (3273) in this warehouse: its files have not been "
            "loaded. Regions with data: 53 Nusa Tenggara Timur (5301 Kabupaten Kupang, ",
        ),
        (
            ("cakupan", "-w", "32.73", "--tahun", "2025"),
            "6107 Kabupaten Bengkayang); 64 Kalimantan Timur (6402 Kabupaten Kutai "
            "Kartanegara, 6474 Kota Bontang). Choose one of those, or add the files of Kota "
            "Bandung under data/raw/ and run `make run`.",
        ),
        (("rpjmd", "-w", "537"), "'537' is not a Kemendagri region code"),
        (("rpjmd", "-w", "5371", "--tahun", "2019"), "No RPJMD/RPD target for 2019"),
        (
            ("cakupan", "-w", "5371", "--tahun", "2024"),
            "No programme coverage for Kota Kupang (5371) in 2024: the marts have 2025",
        ),
        (("rpjmd", "-w", "537101"), "is a kecamatan. Use its kabupaten/kota code 5371"),
        (("rpjmd", "-w", "5303"), "No RPJMD/RPD targets for"),
        (("cakupan", "-w", "537101", "--tahun", "2025", "--tingkat", "kabkota"), "--tingkat"),
    ],
)
def test_cli_errors_say_what_is_wrong_and_what_to_do(nightly, args, message):
    result = run_cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


@e2e
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("rpjmd", "-w", "5371", "--out", "{dir}/x.pdf"),
            "x.pdf ends in .pdf: this export writes only .xlsx or .csv files",
        ),
        (
            ("cakupan", "-w", "5371", "--tahun", "2025", "-o", "{dir}/x.pdf"),
            "x.pdf ends in .pdf: this export writes only .xlsx or .csv files",
        ),
        (
            ("rpjmd", "-w", "5371", "-o", "{dir}/x.csv", "--format", "xlsx"),
            "x.csv ends in .csv but --format is xlsx",
        ),
        (
            ("cakupan", "-w", "5371", "--tahun", "2025", "-f", "csv", "-o", "{dir}/t.xlsx"),
            "t.xlsx ends in .xlsx but --format is csv",
        ),
    ],
)
def test_cli_out_with_a_wrong_extension_fails_and_writes_nothing(nightly, tmp_path, args, message):
    result = run_cli(*(a.format(dir=tmp_path) for a in args))
    assert result.exit_code == 2, result.output
    assert "Export failed:" in result.stderr and message in result.stderr
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


@e2e
def test_cli_without_published_marts_says_run_make_run(nightly, tmp_path, monkeypatch):
    monkeypatch.setenv("TEPAT_MARTS_DIR", str(tmp_path / "no_marts"))
    for args in (("rpjmd", "-w", "5371"), ("cakupan", "-w", "5371", "--tahun", "2025")):
        result = run_cli(*args)
        assert result.exit_code == 2
        assert "run `make run` first" in result.stderr


# --------------------------------------------------------------------------------------------
# Unit tests of the pure helpers (no nightly run needed)
# --------------------------------------------------------------------------------------------


def test_normalise_codes_accepts_dotted_repeated_and_comma_separated_codes():
    assert normalise_codes(["53.71", "5371,61.07", " 53 "]) == ["5371", "6107", "53"]
    with pytest.raises(ExportError, match="'537' is not a Kemendagri region code"):
        normalise_codes(["537"])
    with pytest.raises(ExportError, match="at least one"):
        normalise_codes([" , "])


def test_sheet_names_are_valid_short_and_unique():
    used: set[str] = set()
    assert sheet_name("5371 Kota Kupang", used) == "5371 Kota Kupang"
    long = sheet_name("5302 Kabupaten Timor Tengah Selatan", used)
    assert long == "5302 Kab. Timor Tengah Selatan" and len(long) <= 31
    assert sheet_name("a/b:c*?[d]", used) == "a b c d"
    assert sheet_name("5371 Kota Kupang", used) == "5371 Kota Kupang (2)"
    assert len(sheet_name("x" * 40, used)) == 31


def test_year_ranges_and_indonesian_dates():
    assert year_ranges([2026, 2022, 2023, 2024]) == "2022–2024, 2026"
    assert year_ranges([2025]) == "2025"
    assert tanggal_indonesia(dt.date(2025, 12, 31)) == "31 Desember 2025"


def test_csv_numbers_are_rounded_like_the_workbook_and_empty_without_data():
    assert csv_number(7.57) == "7.57"
    assert csv_number(-63.763066) == "-63.76"
    assert csv_number(0.658653, scale=100) == "65.87"
    assert csv_number(90600000.0, 0) == "90600000"
    assert csv_number(12) == "12"
    assert csv_number(None) == "" and csv_number(float("nan")) == ""


def _plan_row(tahun, target, realisasi=None, capaian=None, **extra):
    row = {
        "kode_wilayah": "5371",
        "dokumen": "RPD 2023-2026",
        "indikator": "p0",
        "arah": "turun",
        "keterangan": "ilustratif",
        "tahun": tahun,
        "tahun_dasar": 2023,
        "nilai_dasar": 8.61,
        "target": target,
        "realisasi": realisasi,
        "capaian": capaian,
        "kategori_capaian": None,
        "status": "off track",
        "tahun_data_terakhir": 2025,
        "nilai_terakhir": 7.57,
        "tahun_akhir": 2026,
        "target_akhir": 0.0,
        "proyeksi_tahun_akhir": 7.31,
        "catatan": None,
    }
    return {**row, **extra}


PLAN = [
    _plan_row(2024, 5.74, catatan="belum ada data BPS Maret 2024"),
    _plan_row(2025, 2.87, 7.57, -63.76, kategori_capaian="sangat rendah"),
    _plan_row(
        2026,
        0.0,
        keterangan="target publik",
        catatan="belum ada data BPS Maret 2026; target 0: capaian tidak dapat dihitung; "
        "penduduk miskin perlu dientaskan hanya dihitung untuk p0",
    ),
]


def test_build_indicators_gives_one_row_per_indicator_with_the_evaluation_year():
    (ind,) = build_indicators(PLAN, 2025)
    assert sorted(ind.years) == [2024, 2025, 2026]
    assert ind.years[2025].realisasi == 7.57 and ind.years[2024].realisasi is None
    assert (ind.kategori_label, ind.status_label) == ("Sangat rendah", "Tidak tercapai")
    assert (ind.label, ind.satuan) == ("Persentase penduduk miskin (P0)", "%")


def test_catatan_explains_empty_cells_up_to_the_evaluation_year_and_target_kinds():
    text = compose_catatan(PLAN, 2025)
    assert text == (
        "Belum ada data BPS Maret 2024; target 2024–2025: ilustratif; target 2026: target publik"
    )
    later = compose_catatan(PLAN, 2026)
    assert "target 0: capaian tidak dapat dihitung" in later
    assert "penduduk miskin" not in later  # a column this table does not show
    assert "menurut proyeksi tren" in later  # 2026 status without a realisation
    assert later.startswith("Belum ada data BPS Maret 2024, 2026; ")  # one phrase, all years


def test_evaluation_year_defaults_to_the_latest_realisation_and_rejects_other_years():
    today = dt.date(2026, 6, 1)
    assert evaluation_year(PLAN, None, "Kota Kupang", today) == 2025
    assert evaluation_year(PLAN, 2026, "Kota Kupang", today) == 2026
    no_data = [_plan_row(y, 1.0) for y in (2024, 2025, 2030)]
    assert evaluation_year(no_data, None, "X", today) == 2025
    with pytest.raises(ExportError, match="No RPJMD/RPD target for 2019 for Kota Kupang"):
        evaluation_year(PLAN, 2019, "Kota Kupang", today)


def test_chart_points_start_the_target_path_at_the_baseline_and_project_to_the_end():
    (ind,) = build_indicators(PLAN, 2025)
    points = [(p.tahun, p.target, p.realisasi, p.proyeksi) for p in chart_points(ind)]
    assert points == [
        (2023, 8.61, None, None),
        (2024, 5.74, None, None),
        (2025, 2.87, 7.57, 7.57),
        (2026, 0.0, None, 7.31),
    ]


def test_wrapped_text_gets_a_taller_row():
    assert wrapped_lines("pendek", 10) == 1
    assert wrapped_lines("satu dua tiga empat lima enam tujuh", 10) == 4
    assert wrapped_lines("a\nb", 40) == 2
    assert row_height([("pendek", 10), (None, 5)]) is None
    assert row_height([("satu dua tiga empat lima enam tujuh", 10)]) == 4 * 12 + 2


def test_sasaran_label_states_the_eligibility_rule():
    assert sasaran_label("keluarga", 1, 4) == "sasaran: keluarga desil 1–4"
    assert sasaran_label("individu", 1, 4, 6, 21) == "sasaran: individu desil 1–4, usia 6–21 tahun"
    assert sasaran_label("individu", 1, 4, 60, None).endswith("usia ≥ 60 tahun")
    assert sasaran_label("individu", 1, 5, 0, 4).endswith("usia 0–4 tahun")


def test_output_path_follows_format_then_suffix_then_xlsx(tmp_path):
    exports = tmp_path / "exports"
    assert output_path(exports, None, None, "x") == (exports / "x.xlsx", Format.xlsx)
    assert output_path(exports, None, Format.csv, "x") == (exports / "x.csv", Format.csv)
    mine = tmp_path / "mine.CSV"
    assert output_path(exports, mine, None, "x") == (mine, Format.csv)
    with pytest.raises(ExportError, match="ends in .txt: this export writes only .xlsx or .csv"):
        output_path(exports, tmp_path / "a.txt", None, "x")


def test_marts_must_be_published_before_export(tmp_path):
    with pytest.raises(ExportError, match="run `make run` first"):
        Marts.open(tmp_path / "missing", ["mart_target_gap"])
    (tmp_path / "old").mkdir()
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "old" / "dim_wilayah.parquet")
    with pytest.raises(ExportError, match="lack mart_target_gap"):
        Marts.open(tmp_path / "old", ["dim_wilayah", "mart_target_gap"])


def test_release_without_release_json_falls_back_to_the_files_time(tmp_path):
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "dim_wilayah.parquet")
    release = read_release(tmp_path)
    assert not release.is_recorded and release.run_id is None
    assert release.published_at is not None
    (tmp_path / "release.json").write_text(
        json.dumps({"published_at": "2026-01-02T03:04:05+00:00", "run_id": "abc", "rows": {}})
    )
    release = read_release(tmp_path)
    assert release.is_recorded and release.run_id == "abc"
    assert release.published_at == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


FORMULA = '=HYPERLINK("http://contoh.invalid/","klik")'


@e2e
def test_text_from_files_is_written_as_text_never_as_a_formula(marts_dir, tmp_path):
    """A programme or agency name like `=HYPERLINK(…)` (program.csv is typed by people) is
    text in the workbook and starts with `'` in the CSV: no spreadsheet evaluates it."""
    import shutil

    import duckdb

    release = tmp_path / "rilis"
    shutil.copytree(marts_dir.resolve(), release)
    con = duckdb.connect()
    for mart, column in (("mart_program_coverage", "nama_program"), ("dim_program", "nama_opd")):
        path = release / f"{mart}.parquet"
        con.execute(
            f"copy (select * replace (? as {column}) from read_parquet('{path}')) "
            f"to '{path}.new' (format parquet)",
            [FORMULA],
        )
        (release / f"{mart}.parquet.new").replace(path)
    report = load_cakupan(release, [KUPANG], YEAR, "kabkota")
    book, table = tmp_path / "cakupan.xlsx", tmp_path / "cakupan.csv"
    write_cakupan_xlsx(report, book)
    write_cakupan_csv(report, table)

    ws = openpyxl.load_workbook(book)["Cakupan Program"]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    assert any(FORMULA in c.value and c.data_type == "s" for c in cells)
    with table.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    names = [cell for row in rows[1:] for cell in row if "HYPERLINK" in cell]
    assert names and all(name.startswith("'=") for name in names)
    numbers = [cell for row in rows[1:] for cell in row if cell.startswith("-")]
    assert not [n for n in numbers if not re.fullmatch(r"-[0-9.]+", n)]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+6281234", "'+6281234"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("-1.50", "-1.50"),
        ("12", "12"),
        ("Kota Kupang", "Kota Kupang"),
        ("", ""),
    ],
)
def test_inert_text_neutralises_what_would_start_a_formula(value, written):
    assert inert_text(value) == written
