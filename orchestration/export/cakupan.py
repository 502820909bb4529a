"""`tepat export cakupan`: the programme coverage table for a TKPK meeting.

Per programme, period and area: eligible units (sasaran), recipients (penerima), coverage,
inclusion and exclusion error, recipients not found in DTSEN, deceased recipients, double
rows (data ganda), money paid and budget realisation — mart_program_coverage's own numbers.
The requested region comes first (its total, in bold) followed by its areas at `--tingkat`.

Quarterly programmes have one row per tahap and whole-year ones one row (`Setahun`):
units cannot be added up over quarters (a household paid in four quarters is one
household), so no yearly total is invented for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from orchestration.export.common import (
    DATE,
    INTEGER,
    LEVELS,
    ORANGE,
    PERCENT_2,
    RED,
    ExportError,
    Formats,
    Marts,
    Region,
    Release,
    atomic_output,
    csv_number,
    latest_snapshot,
    level_of,
    lookup_regions,
    new_workbook,
    normalise_codes,
    release_phrase,
    row_height,
    set_print_layout,
    tanggal_indonesia,
    write_csv,
    write_note,
    write_value,
)

MARTS = ("mart_program_coverage", "dim_program", "dim_wilayah", "mart_desil_distribution")

#: Thresholds of the conditional colours. Coverage below 60 % of the eligible and more than
#: one recipient in five outside the eligible desil are what TKPK meetings pick out first.
CAKUPAN_RENDAH = 0.60
INKLUSI_TINGGI = 0.20

TINGKAT_LABEL = {
    "provinsi": "provinsi",
    "kabkota": "kabupaten/kota",
    "kecamatan": "kecamatan",
    "desa": "desa/kelurahan",
}
UNIT_LABEL = {"keluarga": "Keluarga", "individu": "Individu"}
#: National programmes first (APBN), then the region's own (APBD), then the others.
SUMBER_DANA_ORDER = {"APBN": 0, "APBD": 1, "Dana Desa": 2, "CSR": 3}

TITLE = "CAKUPAN DAN KETEPATAN SASARAN PROGRAM PENANGGULANGAN KEMISKINAN"
NOTE_DEFINISI = (
    "Sasaran layak: unit (keluarga atau individu) pada desil sasaran program di snapshot DTSEN "
    "acuan. Cakupan = penerima layak / sasaran layak; kesalahan eksklusi = 1 − cakupan; "
    "kesalahan inklusi = penerima di luar desil sasaran / penerima yang padan DTSEN."
)
NOTE_MASALAH = (
    "Tidak padan DTSEN: NIK penerima yang tidak ditemukan di DTSEN (tidak ikut dihitung dalam "
    "kesalahan inklusi). Data ganda: baris roster berulang untuk unit yang sama dalam satu "
    "periode. Realisasi = nilai bantuan / pagu tahunan (hanya baris kabupaten/kota). "
    "Sel kosong: tidak ada data atau penyebut nol."
)


def periode_label(tahap: int) -> str:
    return "Setahun" if tahap == 0 else f"Tahap {tahap}"


def sasaran_label(
    unit: str | None,
    desil_min: int | None,
    desil_max: int | None,
    usia_min: int | None = None,
    usia_max: int | None = None,
) -> str:
    """'sasaran: individu desil 1–4, usia 6–21 tahun' (the programme's eligibility rule)."""
    text = f"sasaran: {unit or 'unit'}"
    if desil_min is not None and desil_max is not None:
        text += (
            f" desil {desil_min}" if desil_min == desil_max else f" desil {desil_min}–{desil_max}"
        )
    if usia_min is not None and usia_max is not None:
        text += f", usia {usia_min}–{usia_max} tahun"
    elif usia_min is not None:
        text += f", usia ≥ {usia_min} tahun"
    elif usia_max is not None:
        text += f", usia ≤ {usia_max} tahun"
    return text


def program_heading(row: dict[str, Any]) -> str:
    """The heading row of a programme's block."""
    parts = [row["nama_opd"], row["sumber_dana"]]
    parts.append(
        sasaran_label(
            row["unit_sasaran"],
            row["desil_min"],
            row["desil_max"],
            row["usia_min"],
            row["usia_max"],
        )
    )
    details = " · ".join(p for p in parts if p)
    return f"{row['nama_program'] or row['kode_program']} ({row['kode_program']}) — {details}"


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


@dataclass
class CakupanReport:
    regions: list[Region]
    tahun: int
    tingkat: str
    rows: list[dict[str, Any]]
    snapshot: dt.date | None
    release: Release
    warnings: list[str] = field(default_factory=list)

    @property
    def reference_snapshots(self) -> list[dt.date]:
        return sorted({r["tanggal_snapshot_acuan"] for r in self.rows})

    @property
    def codes(self) -> list[str]:
        return [r.kode for r in self.regions]

    def footer(self) -> str:
        return f"tepat · {release_phrase(self.release, self.codes)}"

    def source_line(self) -> str:
        acuan = ", ".join(tanggal_indonesia(d) for d in self.reference_snapshots)
        latest = tanggal_indonesia(self.snapshot) if self.snapshot else "tidak diketahui"
        return (
            f"Sumber: roster penerima OPD tahun {self.tahun} dipadankan dengan DTSEN (snapshot "
            f"acuan: {acuan}); DTSEN snapshot terakhir {latest}; pagu: anggaran program "
            f"daerah; {release_phrase(self.release, self.codes)}."
        )


# --------------------------------------------------------------------------------------------
# Loading from the marts
# --------------------------------------------------------------------------------------------


def default_tingkat(region_level: str) -> str:
    """Without --tingkat: a province is broken down by kabupaten/kota, the rest not at all."""
    return "kabkota" if region_level == "provinsi" else region_level


def check_tingkat(region: Region, tingkat: str) -> None:
    level = level_of(region.kode)
    if LEVELS.index(tingkat) < LEVELS.index(level):
        raise ExportError(
            f"--tingkat {tingkat} is above {region.label}, which is a {TINGKAT_LABEL[level]}: "
            f"use a finer level ({', '.join(LEVELS[LEVELS.index(level) :])})."
        )


def sort_key(row: dict[str, Any], region_order: dict[str, int]) -> tuple:
    return (
        SUMBER_DANA_ORDER.get(row["sumber_dana"], len(SUMBER_DANA_ORDER)),
        row["kode_program"],
        row["tahap"],
        region_order[row["kode_induk"]],
        not row["is_total"],
        row["kode_wilayah"],
    )


_SELECT = """
select
    c.kode_program, c.nama_program, p.unit_sasaran, p.sumber_dana, p.nama_opd,
    p.desil_min, p.desil_max, p.usia_min, p.usia_max, c.tahun, c.tahap,
    c.tanggal_snapshot_acuan, c.is_acuan_setelah_periode, c.tingkat_wilayah, c.kode_wilayah,
    c.nama_wilayah, w.nama_kecamatan, c.sasaran_layak, c.penerima, c.penerima_layak,
    c.penerima_tidak_layak, c.cakupan, c.kesalahan_inklusi, c.kesalahan_eksklusi,
    c.penerima_tidak_padan, c.penerima_meninggal, c.baris_ganda, c.nilai_bantuan, c.pagu,
    c.target_penerima, c.realisasi_persen, c.is_data_lengkap, c.catatan_kelengkapan,
    c.kode_wilayah = $kode as is_total,
    $kode as kode_induk
from mart_program_coverage as c
left join dim_program as p on p.kode_program = c.kode_program
left join dim_wilayah as w on w.kode_wilayah = c.kode_wilayah
where c.tahun = $tahun
    and (c.kode_wilayah = $kode
         or (c.tingkat_wilayah = $tingkat and starts_with(c.kode_wilayah, $kode)))
    and ($tahap::integer is null or c.tahap = $tahap)
"""


def load_cakupan(
    marts_dir: Path,
    wilayah: Sequence[str],
    tahun: int,
    tingkat: str | None = None,
    tahap: int | None = None,
) -> CakupanReport:
    codes = normalise_codes(wilayah)
    if tahap is not None and not 0 <= tahap <= 4:
        raise ExportError(f"--tahap {tahap}: use 0 (whole-year rosters) or 1–4 (quarters).")
    with Marts.open(marts_dir, MARTS) as marts:
        known = lookup_regions(marts, codes)
        regions = [known[code] for code in codes]
        levels = [
            default_tingkat(level_of(r.kode)) if tingkat is None else tingkat for r in regions
        ]
        rows: list[dict[str, Any]] = []
        for region, level in zip(regions, levels, strict=True):
            check_tingkat(region, level)
            _check_year(marts, region, tahun)
            found = marts.rows(
                _SELECT,
                {"kode": region.kode, "tahun": tahun, "tingkat": level, "tahap": tahap},
            )
            if not found:
                periods = marts.rows(
                    "select distinct tahap from mart_program_coverage "
                    "where kode_wilayah = ? and tahun = ? order by tahap",
                    [region.kode, tahun],
                )
                names = ", ".join(periode_label(p["tahap"]) for p in periods)
                raise ExportError(
                    f"No programme coverage for {region.label} in {tahun}, "
                    f"{periode_label(tahap or 0).lower()}: the periods with data are {names}. "
                    "Choose one with --tahap (0 = whole year), or leave --tahap out."
                )
            rows += found
        snapshot = latest_snapshot(marts)
        release = marts.release
    order = {r.kode: i for i, r in enumerate(regions)}
    rows.sort(key=lambda r: sort_key(r, order))
    shown = levels[0] if len(set(levels)) == 1 else "campuran"
    report = CakupanReport(regions, tahun, shown, rows, snapshot, release)
    if any(r["is_acuan_setelah_periode"] for r in rows):
        report.warnings.append(
            "Some periods are judged against a DTSEN snapshot taken after the period (no "
            "snapshot was old enough); they are marked in the workbook."
        )
    incomplete = sorted({r["kode_program"] for r in rows if not r["is_data_lengkap"]})
    if incomplete:
        report.warnings.append(
            f"Incomplete data for {', '.join(incomplete)}: a roster file was held back "
            "(DESIGN §4); the workbook's notes say which. Run `tepat check` for what to do."
        )
    return report


def incomplete_notes(rows: Sequence[dict[str, Any]]) -> list[str]:
    """One note per programme whose rows are incomplete (a held-back roster, DESIGN §4)."""
    notes: dict[str, str] = {}
    for row in rows:
        if not row["is_data_lengkap"] and row["kode_program"] not in notes:
            name = row["nama_program"] or row["kode_program"]
            notes[row["kode_program"]] = f"{name}: {row['catatan_kelengkapan']}"
    return list(notes.values())


def _check_year(marts: Marts, region: Region, tahun: int) -> None:
    years = [
        r["tahun"]
        for r in marts.rows(
            "select distinct tahun from mart_program_coverage where kode_wilayah = ? "
            "order by tahun",
            [region.kode],
        )
    ]
    if not years:
        raise ExportError(
            f"No programme coverage for {region.label} in the marts: no roster placed "
            "recipients there. Rosters go in data/raw/rosters/<kode_kabkota>/<tahun>/"
            "<kode_program>/; then run `make run`."
        )
    if tahun not in years:
        raise ExportError(
            f"No programme coverage for {region.label} in {tahun}: the marts have "
            f"{', '.join(map(str, years))}. Choose one of those years with --tahun."
        )


# --------------------------------------------------------------------------------------------
# Cell values
# --------------------------------------------------------------------------------------------


def cell_values(row: dict[str, Any], number: int) -> dict[str, Any]:
    """The workbook's values for one mart row: rates as fractions (shown as %)."""
    realisasi = row["realisasi_persen"]
    return {
        **row,
        "no": number,
        "program": row["nama_program"] or row["kode_program"],
        "unit": UNIT_LABEL.get(row["unit_sasaran"], row["unit_sasaran"]),
        "periode": periode_label(row["tahap"]),
        "tingkat": TINGKAT_LABEL.get(row["tingkat_wilayah"], row["tingkat_wilayah"]),
        "realisasi": None if realisasi is None else realisasi / 100,
    }


# --------------------------------------------------------------------------------------------
# Workbook
# --------------------------------------------------------------------------------------------

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
        incomplete = {row["kode_program"] for row in report.rows if not row["is_data_lengkap"]}
        for n, row in enumerate(report.rows):
            if row["kode_program"] != programme:
                programme = row["kode_program"]
                title = program_heading(row)
                if programme in incomplete:
                    title += " — DATA BELUM LENGKAP (lihat Keterangan)"
                sheet.merge_range(r, 0, r, len(columns) - 1, title, heading)
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
        notes = [NOTE_DEFINISI, NOTE_MASALAH]
        if any(row["is_acuan_setelah_periode"] for row in report.rows):
            notes.append(
                "Snapshot acuan berwarna kuning: tidak ada snapshot DTSEN sebelum akhir periode, "
                "sehingga dipakai snapshot paling awal."
            )
        notes += incomplete_notes(report.rows)
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


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------

CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Tahun", "tahun"),
    ("Kode Program", "kode_program"),
    ("Program", "program"),
    ("Unit Sasaran", "unit"),
    ("Sumber Dana", "sumber_dana"),
    ("Periode", "periode"),
    ("Tingkat Wilayah", "tingkat"),
    ("Kode Wilayah", "kode_wilayah"),
    ("Kecamatan", "nama_kecamatan"),
    ("Wilayah", "nama_wilayah"),
    ("Sasaran Layak", "sasaran_layak"),
    ("Penerima", "penerima"),
    ("Penerima Layak", "penerima_layak"),
    ("Cakupan (%)", "cakupan"),
    ("Kesalahan Inklusi (%)", "kesalahan_inklusi"),
    ("Kesalahan Eksklusi (%)", "kesalahan_eksklusi"),
    ("Penerima Tidak Padan DTSEN", "penerima_tidak_padan"),
    ("Penerima Meninggal", "penerima_meninggal"),
    ("Data Ganda (baris)", "baris_ganda"),
    ("Pagu (Rp)", "pagu"),
    ("Nilai Bantuan (Rp)", "nilai_bantuan"),
    ("Realisasi Anggaran (%)", "realisasi_persen"),
    ("Snapshot DTSEN Acuan", "tanggal_snapshot_acuan"),
    ("Snapshot Acuan Setelah Periode", "is_acuan_setelah_periode"),
    ("Data Lengkap", "is_data_lengkap"),
    ("Catatan Kelengkapan", "catatan_kelengkapan"),
)
_CSV_FRACTIONS = {"cakupan", "kesalahan_inklusi", "kesalahan_eksklusi"}  # shown ×100
_CSV_PERCENT = {"realisasi_persen"}  # already 0–100
_CSV_RUPIAH = {"pagu", "nilai_bantuan"}


def csv_rows(report: CakupanReport) -> list[list[str]]:
    out: list[list[str]] = []
    for n, row in enumerate(report.rows):
        values = cell_values(row, n + 1)
        line: list[str] = []
        for _, key in CSV_COLUMNS:
            value = values.get(key)
            if key in _CSV_FRACTIONS:
                line.append(csv_number(value, 2, scale=100))
            elif key in _CSV_PERCENT:
                line.append(csv_number(value, 2))
            elif key in _CSV_RUPIAH:
                line.append(csv_number(value, 0))
            elif isinstance(value, dt.date):
                line.append(value.isoformat())
            elif isinstance(value, bool | int | float):
                line.append(csv_number(value))
            else:
                line.append("" if value is None else str(value))
        out.append(line)
    return out


def write_cakupan_csv(report: CakupanReport, path: Path) -> None:
    write_csv(path, [header for header, _ in CSV_COLUMNS], csv_rows(report))
