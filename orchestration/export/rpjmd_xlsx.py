"""`tepat export rpjmd`, the workbook: the layout of the report that `rpjmd.py` builds.

A summary sheet when there are several regions, one sheet per region in the shape of
Permendagri 86/2017's evaluation tables (merged year headers, the evaluation year's columns
highlighted, numbered columns, conditional colours by the model's tones) and a chart sheet
with a native line chart per indicator. Nothing here decides a number or a word.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orchestration.export.layout import (
    INTEGER,
    NUMBER_2,
    YEAR,
    Formats,
    atomic_output,
    new_workbook,
    row_height,
    set_print_layout,
    sheet_name,
    write_note,
    write_value,
)
from orchestration.export.rpjmd import (
    KATEGORI_TONE,
    NOTES,
    STATUS_TONE,
    TITLE,
    IndicatorReport,
    RegionReport,
    RpjmdReport,
    YearValues,
    chart_note,
    chart_points,
)

# Region sheet layout (0-based rows and columns).
H1, H2, HN = 4, 5, 6  # header rows and the row of column numbers
FIRST_DATA = 7
C_NO, C_IND, C_SAT, C_DASAR_TAHUN, C_DASAR_NILAI, C_YEAR0 = range(6)
W_IND, W_LABEL, W_CATATAN = 30, 11, 46  # widths of the columns whose text wraps


def region_columns(years: Sequence[int]) -> dict[str, int]:
    """Column index of each part of a region sheet with these plan years."""
    end = C_YEAR0 + 3 * len(years)
    return {
        "target_akhir": end,
        "proyeksi": end + 1,
        "kategori": end + 2,
        "status": end + 3,
        "catatan": end + 4,
    }


def region_widths(years: Sequence[int]) -> list[float]:
    """Column widths of a region sheet: No, Indikator, Satuan, Kondisi Awal (2), three per
    plan year, Target Akhir, Proyeksi, Kategori, Status, Catatan."""
    return [4, W_IND, 8, 7, 8, *([8.5] * 3 * len(years)), 10, 10, W_LABEL, W_LABEL, W_CATATAN]


def _status_colours(sheet: Any, fmt: Formats, first: int, last: int, col: int) -> None:
    for text, tone in STATUS_TONE.items():
        sheet.conditional_format(
            first,
            col,
            last,
            col,
            {"type": "cell", "criteria": "==", "value": f'"{text}"', "format": fmt.tone[tone]},
        )


def _kategori_colours(sheet: Any, fmt: Formats, first: int, last: int, col: int) -> None:
    for text, tone in KATEGORI_TONE:
        sheet.conditional_format(
            first,
            col,
            last,
            col,
            {"type": "text", "criteria": "containing", "value": text, "format": fmt.tone[tone]},
        )


def _notes(
    sheet: Any, fmt: Formats, row: int, col: int, widths: Sequence[float], report: RpjmdReport
) -> None:
    """Keterangan and the source line below a table, across its width from `col`."""
    sheet.write(row, col, "Keterangan:", fmt.get(bold=True, font_size=8))
    for offset, text in enumerate(NOTES, start=1):
        write_note(sheet, row + offset, col, widths, text, fmt.note)
    write_note(sheet, row + len(NOTES) + 1, col, widths, report.source_line(), fmt.source)


def write_region_sheet(
    workbook: Any, fmt: Formats, name: str, region: RegionReport, report: RpjmdReport
) -> None:
    sheet = workbook.add_worksheet(name)
    years = region.years
    cols = region_columns(years)
    last_col = cols["catatan"]

    sheet.write(0, 0, TITLE, fmt.title)
    sheet.write(1, 0, f"{region.region.nama} ({region.region.kode})", fmt.subtitle)
    sheet.write(
        2,
        0,
        f"Dokumen: {', '.join(region.documents)} · Tahun evaluasi: {report.tahun} · "
        "Realisasi: BPS, Susenas Maret",
        fmt.get(),
    )

    header, eval_header = fmt.header, fmt.header_highlight
    for col, text in ((C_NO, "No"), (C_IND, "Indikator"), (C_SAT, "Satuan")):
        sheet.merge_range(H1, col, H2, col, text, header)
    sheet.merge_range(H1, C_DASAR_TAHUN, H1, C_DASAR_NILAI, "Kondisi Awal", header)
    sheet.write(H2, C_DASAR_TAHUN, "Tahun Dasar", header)
    sheet.write(H2, C_DASAR_NILAI, "Nilai", header)
    for i, year in enumerate(years):
        col = C_YEAR0 + 3 * i
        year_format = eval_header if year == report.tahun else header
        sheet.merge_range(H1, col, H1, col + 2, str(year), year_format)
        for j, text in enumerate(("Target", "Realisasi", "Capaian (%)")):
            sheet.write(H2, col + j, text, year_format)
    final = region.tahun_akhir
    final_suffix = "" if final is None else f" ({final})"
    for key, text in (
        ("target_akhir", f"Target Akhir Periode{final_suffix}"),
        ("proyeksi", f"Proyeksi Akhir Periode{final_suffix}"),
        ("kategori", f"Kategori Capaian {report.tahun}"),
        ("status", f"Status {report.tahun}"),
        ("catatan", "Catatan"),
    ):
        sheet.merge_range(H1, cols[key], H2, cols[key], text, header)
    for col in range(last_col + 1):
        sheet.write(HN, col, f"({col + 1})", fmt.column_number)
    sheet.set_row(H1, 22)
    sheet.set_row(H2, 26)

    text, centre = fmt.cell(), fmt.cell(align="center")
    number, year_cell = fmt.cell(NUMBER_2), fmt.cell(YEAR, align="center")
    for n, ind in enumerate(region.indicators):
        row = FIRST_DATA + n
        label = region.row_label(ind)
        write_value(sheet, row, C_NO, n + 1, fmt.cell(INTEGER, align="center"))
        write_value(sheet, row, C_IND, label, text)
        write_value(sheet, row, C_SAT, ind.satuan, centre)
        write_value(sheet, row, C_DASAR_TAHUN, ind.tahun_dasar, year_cell)
        write_value(sheet, row, C_DASAR_NILAI, ind.nilai_dasar, number)
        for i, year in enumerate(years):
            values = ind.years.get(year, YearValues(None, None, None))
            col = C_YEAR0 + 3 * i
            write_value(sheet, row, col, values.target, number)
            write_value(sheet, row, col + 1, values.realisasi, number)
            write_value(sheet, row, col + 2, values.capaian, number)
        catatan = region.row_catatan(ind)
        write_value(sheet, row, cols["target_akhir"], ind.target_akhir, number)
        write_value(sheet, row, cols["proyeksi"], ind.proyeksi_tahun_akhir, number)
        write_value(sheet, row, cols["kategori"], ind.kategori_label, centre)
        write_value(sheet, row, cols["status"], ind.status_label, centre)
        write_value(sheet, row, cols["catatan"], catatan, text)
        height = row_height(((label, W_IND), (ind.status_label, W_LABEL), (catatan, W_CATATAN)))
        if height:
            sheet.set_row(row, height)
    last_row = FIRST_DATA + max(len(region.indicators), 1) - 1
    _kategori_colours(sheet, fmt, FIRST_DATA, last_row, cols["kategori"])
    _status_colours(sheet, fmt, FIRST_DATA, last_row, cols["status"])

    widths = region_widths(years)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(FIRST_DATA, C_YEAR0)
    _notes(sheet, fmt, last_row + 2, C_IND, widths[C_IND:], report)
    set_print_layout(sheet, (H1, HN), report.footer())


SUMMARY_COLUMNS = (
    ("No", 4),
    ("Kode Wilayah", 8),
    ("Wilayah", 22),
    ("Dokumen", 15),
    ("Indikator", 28),
    ("Satuan", 8),
    ("Tahun Dasar", 7),
    ("Kondisi Awal", 9),
    ("Target {t}", 9),
    ("Realisasi {t}", 9),
    ("Capaian {t} (%)", 9),
    ("Kategori Capaian {t}", 11),
    ("Status {t}", 11),
    ("Target Akhir Periode", 9),
    ("Tahun Akhir Periode", 8),
    ("Proyeksi Akhir Periode", 9),
    ("Catatan", 46),
)


def write_summary_sheet(
    workbook: Any, fmt: Formats, report: RpjmdReport, sheet_of: dict[str, str]
) -> None:
    sheet = workbook.add_worksheet("Ringkasan")
    t = report.tahun
    sheet.write(0, 0, f"RINGKASAN CAPAIAN INDIKATOR KEMISKINAN TAHUN {t}", fmt.title)
    sheet.write(
        1,
        0,
        ", ".join(r.region.label for r in report.regions),
        fmt.subtitle,
    )
    sheet.write(2, 0, "Rincian per tahun rencana di lembar tiap wilayah.", fmt.get())
    header_row, first = 4, 5
    for col, (title, width) in enumerate(SUMMARY_COLUMNS):
        sheet.write(header_row, col, title.format(t=t), fmt.header)
        sheet.set_column(col, col, width)
    sheet.set_row(header_row, 36)
    text, centre = fmt.cell(), fmt.cell(align="center")
    number, year_cell = fmt.cell(NUMBER_2), fmt.cell(YEAR, align="center")
    link = fmt.cell(font_color="blue", underline=1)
    row = first
    for region in report.regions:
        for ind in region.indicators:
            values = ind.years.get(t, YearValues(None, None, None))
            cells = (
                (row - first + 1, fmt.cell(INTEGER, align="center")),
                (region.region.kode, centre),
                (None, link),
                (ind.dokumen, text),
                (ind.label, text),
                (ind.satuan, centre),
                (ind.tahun_dasar, year_cell),
                (ind.nilai_dasar, number),
                (values.target, number),
                (values.realisasi, number),
                (values.capaian, number),
                (ind.kategori_label, centre),
                (ind.status_label, centre),
                (ind.target_akhir, number),
                (ind.tahun_akhir, year_cell),
                (ind.proyeksi_tahun_akhir, number),
                (ind.catatan, text),
            )
            for col, (value, cell_format) in enumerate(cells):
                write_value(sheet, row, col, value, cell_format)
            height = row_height(
                (value, SUMMARY_COLUMNS[col][1]) for col, (value, _) in enumerate(cells)
            )
            if height:
                sheet.set_row(row, height)
            target_sheet = sheet_of[region.region.kode].replace("'", "''")
            sheet.write_url(
                row, 2, f"internal:'{target_sheet}'!A1", link, string=region.region.nama
            )
            row += 1
    last = max(row - 1, first)
    _kategori_colours(sheet, fmt, first, last, 11)
    _status_colours(sheet, fmt, first, last, 12)
    sheet.freeze_panes(first, 3)
    _notes(sheet, fmt, last + 2, 2, [w for _, w in SUMMARY_COLUMNS[2:]], report)
    set_print_layout(sheet, (header_row, header_row), report.footer())


CHART_TABLE_HEADER = ("Tahun", "Jalur Target", "Realisasi BPS", "Proyeksi Tren")
CHART_COL = 5  # charts sit right of their data table
CHART_BLOCK_ROWS = 19
CHART_SHEET_WIDTHS = [8, 11, 11, 11, *([8.43] * 12)]  # the tables, then the charts' span


def write_chart_sheet(workbook: Any, fmt: Formats, name: str, report: RpjmdReport) -> None:
    sheet = workbook.add_worksheet(name)
    sheet.write(0, 0, "GRAFIK REALISASI TERHADAP JALUR TARGET", fmt.title)
    sheet.write(
        1,
        0,
        "Jalur target: dari kondisi awal ke target akhir dokumen perencanaan; realisasi: "
        "BPS, Susenas Maret; proyeksi tren: dari data BPS terakhir ke akhir periode.",
        fmt.get(),
    )
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 3, 11)
    header = fmt.header
    number, year_cell = fmt.cell(NUMBER_2), fmt.cell(YEAR, align="center")
    row = 3
    for region in report.regions:
        for ind in region.indicators:
            points = chart_points(ind)
            sheet.write(row, 0, f"{region.region.nama} — {ind.label}", fmt.subtitle)
            top = row + 1
            for col, text in enumerate(CHART_TABLE_HEADER):
                sheet.write(top, col, text, header)
            for i, point in enumerate(points, start=1):
                write_value(sheet, top + i, 0, point.tahun, year_cell)
                write_value(sheet, top + i, 1, point.target, number)
                write_value(sheet, top + i, 2, point.realisasi, number)
                write_value(sheet, top + i, 3, point.proyeksi, number)
            bottom = top + len(points)
            note = chart_note(ind)
            if note:
                sheet.write(bottom + 1, 0, note, fmt.note_inline)
            # Below the block's title row, so the title stays readable.
            sheet.insert_chart(
                top, CHART_COL, _line_chart(workbook, name, ind, region, top, bottom)
            )
            row += max(CHART_BLOCK_ROWS, len(points) + 4)
    write_note(sheet, row, 0, CHART_SHEET_WIDTHS, report.source_line(), fmt.source)
    set_print_layout(sheet, (0, 0), report.footer())
    sheet.set_portrait()


def _line_chart(
    workbook: Any, sheet: str, ind: IndicatorReport, region: RegionReport, top: int, bottom: int
) -> Any:
    chart = workbook.add_chart({"type": "line"})
    categories = [sheet, top + 1, 0, bottom, 0]
    series = (
        (1, {"color": "#2F5597", "width": 2, "dash_type": "dash"}, "diamond", False),
        (2, {"color": "#C00000", "width": 2.5}, "circle", True),
        (3, {"color": "#7F7F7F", "width": 1.5, "dash_type": "round_dot"}, "none", False),
    )
    for col, line, marker, labels in series:
        if col == 3 and ind.proyeksi_tahun_akhir is None:
            continue
        options: dict[str, Any] = {
            "name": [sheet, top, col],
            "categories": categories,
            "values": [sheet, top + 1, col, bottom, col],
            "line": line,
            "marker": {"type": marker}
            if marker == "none"
            else {
                "type": marker,
                "size": 7,
                "fill": {"color": line["color"]},
                "border": {"color": line["color"]},
            },
        }
        if labels:
            options["data_labels"] = {"value": True, "position": "above", "num_format": "0.00"}
        chart.add_series(options)
    chart.set_title(
        {"name": f"{ind.label} — {region.region.nama}", "name_font": {"size": 11, "bold": True}}
    )
    chart.set_x_axis({"name": "Tahun", "name_font": {"size": 9, "bold": False}})
    chart.set_y_axis(
        {
            "name": ind.satuan,
            "name_font": {"size": 9, "bold": False},
            "num_format": "0.00",
            "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
        }
    )
    chart.set_legend({"position": "bottom"})
    chart.show_blanks_as("span")
    chart.set_size({"width": 640, "height": 340})
    return chart


def write_rpjmd_xlsx(report: RpjmdReport, path: Path) -> list[str]:
    """Write the workbook; returns its sheet names in order."""
    with atomic_output(path) as tmp:
        workbook = new_workbook(tmp)
        workbook.set_properties(
            {
                "title": f"Evaluasi capaian indikator kemiskinan tahun {report.tahun}",
                "subject": "Evaluasi RPJMD/RPD (Permendagri 86/2017)",
                "author": "tepat",
                "comments": report.source_line(),
            }
        )
        fmt = Formats(workbook)
        used = {"Ringkasan", "Grafik"}
        sheet_of = {
            r.region.kode: sheet_name(f"{r.region.kode} {r.region.nama}", used)
            for r in report.regions
        }
        names: list[str] = []
        if len(report.regions) > 1:
            write_summary_sheet(workbook, fmt, report, sheet_of)
            names.append("Ringkasan")
        for region in report.regions:
            write_region_sheet(workbook, fmt, sheet_of[region.region.kode], region, report)
            names.append(sheet_of[region.region.kode])
        write_chart_sheet(workbook, fmt, "Grafik", report)
        names.append("Grafik")
        workbook.close()
    return names
