"""`tepat export cakupan`, the workbook: the layout of the report that `cakupan.py` builds.

One sheet: a legend of the colours, two header rows with merged column groups, a heading
row per programme, each region's total in bold, low coverage and high inclusion error
coloured, late reference snapshots marked, the Keterangan and the source line below. Nothing
here decides a number or a word.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from orchestration.export.cakupan import (
    CAKUPAN_RENDAH,
    INKLUSI_TINGGI,
    TINGKAT_LABEL,
    TITLE,
    CakupanReport,
    cell_values,
)
from orchestration.export.layout import (
    DATE,
    INTEGER,
    ORANGE,
    PERCENT_2,
    RED,
    Formats,
    atomic_output,
    new_workbook,
    row_height,
    set_print_layout,
    write_note,
    write_value,
)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    group: str | None
    width: float
    kind: str  # no | text | center | int | pct | rp | date


def table_columns(tingkat: str) -> list[Column]:
    """The table's columns; a desa-level table also names each desa's kecamatan.

    The programme is not a column: each programme opens with a heading row (name, agency,
    funding, eligibility), which reads better in a meeting than a long name on every row.
    """
    columns = [
        Column("no", "No", None, 4, "no"),
        Column("periode", "Periode", None, 8, "center"),
        Column("kode_wilayah", "Kode Wilayah", None, 10.5, "center"),
    ]
    if tingkat == "desa":
        columns.append(Column("nama_kecamatan", "Kecamatan", None, 16, "text"))
    return columns + [
        Column("nama_wilayah", "Wilayah", None, 20, "text"),
        Column("sasaran_layak", "Sasaran Layak", "Jumlah Unit", 8.5, "int"),
        Column("penerima", "Penerima", "Jumlah Unit", 8.5, "int"),
        Column("penerima_layak", "Penerima Layak", "Jumlah Unit", 8.5, "int"),
        Column("cakupan", "Cakupan", "Ketepatan Sasaran", 8.5, "pct"),
        Column("kesalahan_inklusi", "Kesalahan Inklusi", "Ketepatan Sasaran", 8.5, "pct"),
        Column("kesalahan_eksklusi", "Kesalahan Eksklusi", "Ketepatan Sasaran", 8.5, "pct"),
        Column("penerima_tidak_padan", "Tidak Padan DTSEN", "Penerima Bermasalah", 8.5, "int"),
        Column("penerima_meninggal", "Meninggal", "Penerima Bermasalah", 8.5, "int"),
        Column("baris_ganda", "Data Ganda (baris)", "Penerima Bermasalah", 8.5, "int"),
        Column("pagu", "Pagu (Rp)", "Anggaran", 13, "rp"),
        Column("nilai_bantuan", "Nilai Bantuan (Rp)", "Anggaran", 13, "rp"),
        Column("realisasi", "Realisasi", "Anggaran", 8.5, "pct"),
        Column("tanggal_snapshot_acuan", "Snapshot DTSEN Acuan", None, 10.5, "date"),
    ]


H1, H2, FIRST_DATA = 4, 5, 6
SHEET = "Cakupan Program"


def write_cakupan_xlsx(report: CakupanReport, path: Path) -> list[str]:
    """Write the workbook; returns its sheet names."""
    columns = table_columns(report.tingkat)
    col_of = {c.key: i for i, c in enumerate(columns)}
    with atomic_output(path) as tmp:
        workbook = new_workbook(tmp)
        workbook.set_properties(
            {
                "title": f"Cakupan program penanggulangan kemiskinan tahun {report.tahun}",
                "author": "tepat",
                "comments": report.source_line(),
            }
        )
        fmt = Formats(workbook)
        sheet = workbook.add_worksheet(SHEET)
        regions = ", ".join(r.label for r in report.regions)
        rincian = TINGKAT_LABEL.get(report.tingkat, report.tingkat)
        sheet.write(0, 0, TITLE, fmt.title)
        sheet.write(1, 0, f"{regions} · Tahun {report.tahun} · Rincian: {rincian}", fmt.subtitle)
        sheet.merge_range(
            2,
            0,
            2,
            2,
            f"cakupan < {CAKUPAN_RENDAH:.0%}",
            fmt.get(font_size=8, border=1, align="center", **RED),
        )
        sheet.merge_range(
            2,
            3,
            2,
            4,
            f"kesalahan inklusi > {INKLUSI_TINGGI:.0%}",
            fmt.get(font_size=8, border=1, align="center", **ORANGE),
        )
        sheet.merge_range(2, 5, 2, 6, "total wilayah", fmt.cell(bold=True, align="center"))

        _header(sheet, fmt, columns)
        formats = _cell_formats(fmt)
        late = fmt.cell(DATE, align="center", bg_color="#FFEB9C")
        heading = fmt.get(bold=True, border=1, bg_color="#FCE4D6", valign="vcenter")
        r, programme = FIRST_DATA, None
        for n, row in enumerate(report.rows):
            if row["kode_program"] != programme:
                programme = row["kode_program"]
                sheet.merge_range(r, 0, r, len(columns) - 1, report.heading(row), heading)
                sheet.set_row(r, 15)
                r += 1
            values = cell_values(row, n + 1)
            bold = bool(row["is_total"])
            for c, column in enumerate(columns):
                cell_format = formats[(column.kind, bold)]
                if column.key == "tanggal_snapshot_acuan" and row["is_acuan_setelah_periode"]:
                    cell_format = late
                write_value(sheet, r, c, values.get(column.key), cell_format)
            height = row_height((values.get(c.key), c.width) for c in columns if c.kind == "text")
            if height:
                sheet.set_row(r, height)
            r += 1
        last = max(r - 1, FIRST_DATA)
        _highlight(sheet, fmt, col_of["cakupan"], last, "<", CAKUPAN_RENDAH, fmt.red)
        _highlight(sheet, fmt, col_of["kesalahan_inklusi"], last, ">", INKLUSI_TINGGI, fmt.orange)

        for c, column in enumerate(columns):
            sheet.set_column(c, c, column.width)
        sheet.freeze_panes(FIRST_DATA, col_of["nama_wilayah"] + 1)
        widths = [c.width for c in columns[1:]]
        notes = report.notes()
        top = last + 2
        sheet.write(top, 1, "Keterangan:", fmt.get(bold=True, font_size=8))
        for offset, note in enumerate(notes, start=1):
            write_note(sheet, top + offset, 1, widths, note, fmt.note)
        write_note(sheet, top + len(notes) + 1, 1, widths, report.source_line(), fmt.source)
        set_print_layout(sheet, (H1, H2), report.footer())
        workbook.close()
    return [SHEET]


def _header(sheet: Any, fmt: Formats, columns: list[Column]) -> None:
    c = 0
    while c < len(columns):
        group = columns[c].group
        if group is None:
            sheet.merge_range(H1, c, H2, c, columns[c].header, fmt.header)
            c += 1
            continue
        end = c
        while end + 1 < len(columns) and columns[end + 1].group == group:
            end += 1
        sheet.merge_range(H1, c, H1, end, group, fmt.header)
        for i in range(c, end + 1):
            sheet.write(H2, i, columns[i].header, fmt.header)
        c = end + 1
    sheet.set_row(H1, 18)
    sheet.set_row(H2, 36)


def _cell_formats(fmt: Formats) -> dict[tuple[str, bool], Any]:
    kinds = {
        "no": {"num_format": INTEGER, "align": "center"},
        "text": {},
        "center": {"align": "center"},
        "int": {"num_format": INTEGER},
        "pct": {"num_format": PERCENT_2},
        "rp": {"num_format": INTEGER},
        "date": {"num_format": DATE, "align": "center"},
    }
    return {
        (kind, bold): fmt.cell(props.get("num_format"), bold=bold, **_without(props, "num_format"))
        for kind, props in kinds.items()
        for bold in (False, True)
    }


def _without(props: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != key}


def _highlight(
    sheet: Any, fmt: Formats, col: int, last: int, op: str, threshold: float, colour: Any
) -> None:
    """Colour the column's cells beyond the threshold; empty cells (no data) stay plain."""
    first = xl_rowcol_to_cell(FIRST_DATA, col)
    sheet.conditional_format(
        FIRST_DATA,
        col,
        last,
        col,
        {
            "type": "formula",
            "criteria": f"=AND(ISNUMBER({first}),{first}{op}{threshold})",
            "format": colour,
        },
    )
