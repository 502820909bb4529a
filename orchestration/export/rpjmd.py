"""`tepat export rpjmd`: the RPJMD/RPD evaluation table planners paste into their reports.

One row per indicator in the shape of Permendagri 86/2017's evaluation tables: Indikator,
Satuan, Kondisi Awal, then per year of the plan Target, Realisasi and Capaian (%), then
Target Akhir Periode, Proyeksi Akhir Periode, Kategori Capaian, Status and Catatan. Every
number is mart_target_gap's own (nothing is recomputed here), so the workbook always agrees
with what analysts read from the marts.

`--tahun` is the evaluation year: it decides the Kategori Capaian, Status and Catatan
columns (and the summary sheet); every year of the plan is shown whatever it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestration.export.common import (
    INTEGER,
    NUMBER_2,
    YEAR,
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
    sheet_name,
    tanggal_indonesia,
    write_csv,
    write_note,
    write_value,
)

MARTS = ("mart_target_gap", "dim_wilayah", "mart_desil_distribution")

#: Indicator code (DESIGN §2.1) → label and unit, in the order rows are shown.
INDIKATOR: dict[str, tuple[str, str]] = {
    "p0": ("Persentase penduduk miskin (P0)", "%"),
    "p0_ekstrem": ("Persentase penduduk miskin ekstrem", "%"),
    "p1": ("Indeks kedalaman kemiskinan (P1)", "indeks"),
    "p2": ("Indeks keparahan kemiskinan (P2)", "indeks"),
    "jumlah_penduduk_miskin": ("Jumlah penduduk miskin", "ribu jiwa"),
    "garis_kemiskinan": ("Garis kemiskinan", "Rp/kapita/bulan"),
}

#: The mart's status (contract values, DESIGN §3.1) → the words of a Bappeda evaluation
#: table (DESIGN §3.2), by whether BPS has a realisation for the year: `off track` with one
#: means the target was missed, without one that the trend's projection misses it.
STATUS_LABEL: dict[tuple[str, bool], str] = {
    ("tercapai", True): "Tercapai",
    ("off track", True): "Tidak tercapai",
    ("on track", False): "Diperkirakan tercapai",
    ("off track", False): "Perlu percepatan",
    ("belum ada data", False): "Belum ada data",
}
#: Every status word a workbook or CSV may show.
STATUS_WORDS = frozenset(STATUS_LABEL.values())
KATEGORI_WORDS = frozenset(("Sangat tinggi", "Tinggi", "Sedang", "Rendah", "Sangat rendah"))
HIGH_KATEGORI = ("tinggi", "sangat tinggi")
NOT_MET = ("Tidak tercapai", "Perlu percepatan")


def status_label(status: str | None, realised: bool) -> str | None:
    """The Indonesian status of a mart status; `realised`: BPS has the year's value."""
    if not status:
        return None
    label = STATUS_LABEL.get((status, realised)) or STATUS_LABEL.get((status, not realised))
    return label or status[:1].upper() + status[1:]


def angka(value: float, decimals: int = 2) -> str:
    """8.25 → '8,25'; 1234.5 → '1.234,50' (Indonesian separators, for text notes)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def disagreement_note(row: dict[str, Any]) -> str | None:
    """Why a high Kategori Capaian sits beside a status that says the target is not met
    (DESIGN §3.2): the category grades capaian, the status whether the target is met."""
    kategori, realisasi, target = row.get("kategori_capaian"), row.get("realisasi"), row["target"]
    label = status_label(row.get("status"), realisasi is not None)
    if kategori not in HIGH_KATEGORI or label not in NOT_MET or row.get("capaian") is None:
        return None
    tahun, turun = row["tahun"], row["arah"] == "turun"
    if realisasi is not None:
        why = (
            f"realisasi {angka(realisasi)} masih {'di atas' if turun else 'di bawah'} target "
            f"{angka(target)} (indikator ini harus {'turun' if turun else 'naik'})"
        )
    else:
        why = f"proyeksi tren {tahun} belum mencapai target {angka(target)}"
    return (
        f"kategori {kategori} menilai capaian {angka(row['capaian'])} % terhadap target "
        f"{tahun}; status {label} karena {why}"
    )


#: mart_target_gap explains every empty value of its row in `catatan`; reasons about columns
#: this table does not show (people still to be lifted out, reduction still needed) would
#: only puzzle a reader, so they are left out.
HIDDEN_REASONS = (
    "penduduk miskin perlu dientaskan",
    "target sudah tercapai pada data terakhir: tidak ada penduduk miskin",
    "jumlah penduduk miskin",
    "target akhir sudah tercapai pada data terakhir: penurunan dibutuhkan",
)

NO_DATA_YEAR = "belum ada data BPS Maret "  # the mart's reason for a year without a value

TITLE = "EVALUASI CAPAIAN INDIKATOR KINERJA PENANGGULANGAN KEMISKINAN"
NOTE_CAPAIAN = (
    "Capaian (%) = realisasi / target × 100 bila semakin tinggi semakin baik; "
    "(2 × target − realisasi) / target × 100 bila semakin rendah semakin baik (Permendagri "
    "86/2017), tidak dibatasi 0–100."
)
NOTE_KATEGORI = (
    "Kategori capaian: > 90 sangat tinggi; > 75–90 tinggi; > 65–75 sedang; > 50–65 rendah; "
    "≤ 50 sangat rendah. Proyeksi akhir periode: nilai terakhir + tren tahunan (kuadrat "
    "terkecil, ≤ 5 tahun data terakhir) × sisa tahun."
)
NOTE_STATUS = (
    "Status: Tercapai / Tidak tercapai bila ada realisasi BPS tahun evaluasi (realisasi "
    "dibandingkan dengan target tahun itu); Diperkirakan tercapai / Perlu percepatan bila "
    "belum ada realisasi (proyeksi tren tahun itu dibandingkan dengan targetnya). Kategori "
    "capaian menilai besarnya capaian terhadap target, status menilai apakah target itu "
    "sendiri terpenuhi: untuk indikator yang harus turun, realisasi 8,25 terhadap target 8,00 "
    "berkategori Sangat tinggi (capaian 96,88 %) tetapi berstatus Tidak tercapai. Baris "
    "seperti itu dijelaskan di kolom Catatan."
)
NOTE_KOSONG = (
    "Sel kosong: data BPS belum tersedia atau nilai tidak dapat dihitung (alasannya di "
    "kolom Catatan). Kondisi awal dan target dari dokumen perencanaan daerah."
)


# --------------------------------------------------------------------------------------------
# The report, built from mart rows (pure)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearValues:
    target: float | None
    realisasi: float | None
    capaian: float | None


@dataclass
class IndicatorReport:
    kode_wilayah: str
    dokumen: str
    indikator: str
    arah: str
    tahun_dasar: int | None
    nilai_dasar: float | None
    years: dict[int, YearValues]
    tahun_akhir: int
    target_akhir: float
    proyeksi_tahun_akhir: float | None
    tahun_data_terakhir: int | None
    nilai_terakhir: float | None
    kategori_capaian: str | None  # of the evaluation year, as the mart writes it
    status: str | None  # of the evaluation year, as the mart writes it
    catatan: str
    realised: bool = False  # BPS has a realisation for the evaluation year

    @property
    def label(self) -> str:
        return INDIKATOR.get(self.indikator, (self.indikator, ""))[0]

    @property
    def satuan(self) -> str:
        return INDIKATOR.get(self.indikator, ("", ""))[1]

    @property
    def kategori_label(self) -> str | None:
        k = self.kategori_capaian
        return k[:1].upper() + k[1:] if k else None

    @property
    def status_label(self) -> str | None:
        return status_label(self.status, self.realised)


@dataclass
class RegionReport:
    region: Region
    indicators: list[IndicatorReport]

    @property
    def years(self) -> list[int]:
        return sorted({y for ind in self.indicators for y in ind.years})

    @property
    def documents(self) -> list[str]:
        return list(dict.fromkeys(ind.dokumen for ind in self.indicators))


@dataclass
class RpjmdReport:
    regions: list[RegionReport]
    tahun: int
    tahun_bps: int | None
    snapshot: dt.date | None
    release: Release
    warnings: list[str] = field(default_factory=list)

    @property
    def years(self) -> list[int]:
        return sorted({y for r in self.regions for y in r.years})

    @property
    def codes(self) -> list[str]:
        return [r.region.kode for r in self.regions]

    def footer(self) -> str:
        return f"tepat · {release_phrase(self.release, self.codes)}"

    def source_line(self) -> str:
        bps = (
            f"BPS, Susenas Maret (data terakhir tahun {self.tahun_bps})"
            if self.tahun_bps
            else "BPS, Susenas Maret (belum ada data untuk indikator ini)"
        )
        dtsen = (
            f"DTSEN snapshot {tanggal_indonesia(self.snapshot)}"
            if self.snapshot
            else "DTSEN: belum ada snapshot"
        )
        return f"Sumber: {bps}; {dtsen}; {release_phrase(self.release, self.codes)}."


def year_ranges(years: Sequence[int]) -> str:
    """2022, 2023, 2024, 2026 → '2022–2024, 2026'."""
    years = sorted(set(years))
    parts: list[str] = []
    start = prev = None
    for year in [*years, None]:
        if start is not None and (year is None or year != prev + 1):
            parts.append(str(start) if start == prev else f"{start}–{prev}")
            start = None
        if year is not None and start is None:
            start = year
        prev = year
    return ", ".join(parts)


def compose_catatan(rows: Sequence[dict[str, Any]], tahun: int) -> str:
    """The Catatan of one indicator for the evaluation year `tahun`, in Indonesian.

    Whether a held-back BPS file leaves the series incomplete (`catatan_kelengkapan`), why
    a high Kategori Capaian sits beside a missed target (`disagreement_note`), the mart's
    reasons for empty values of the plan years up to `tahun` (without repeats,
    without those about columns not shown), how the status was decided when there is no
    realisation yet, and the kind of each target (`keterangan`: public or illustrative).
    """
    rows = sorted(rows, key=lambda r: r["tahun"])
    notes: list[str] = []
    # A held-back BPS file (DESIGN §4): said first, it qualifies every number of the row.
    for row in rows:
        note = (row.get("catatan_kelengkapan") or "").strip().rstrip(".")
        if note and note not in notes:
            notes.append(note)
    current = next((r for r in rows if r["tahun"] == tahun), None)
    disagreement = disagreement_note(current) if current else None
    if disagreement:
        notes.append(disagreement)
    missing_years: list[str] = []
    upto = [r for r in rows if r["tahun"] <= tahun] or rows[:1]
    for row in upto:
        for reason in (row.get("catatan") or "").split(";"):
            reason = reason.strip()
            if reason.startswith(NO_DATA_YEAR) and reason[len(NO_DATA_YEAR) :].isdigit():
                # One phrase for all years: "belum ada data BPS Maret 2022, 2024".
                if not missing_years:
                    notes.append(NO_DATA_YEAR.strip())
                missing_years.append(reason[len(NO_DATA_YEAR) :])
            elif reason and not reason.startswith(HIDDEN_REASONS) and reason not in notes:
                notes.append(reason)
    if missing_years:
        at = notes.index(NO_DATA_YEAR.strip())
        notes[at] = NO_DATA_YEAR + ", ".join(missing_years)
    if current is None:
        notes.append(f"tidak ada target tahun {tahun} dalam dokumen ini")
    elif current.get("realisasi") is None and current.get("status") in ("on track", "off track"):
        notes.append(f"status {tahun} menurut proyeksi tren, belum ada realisasi")
    by_note: dict[str, list[int]] = {}
    for row in rows:
        if row.get("keterangan"):
            by_note.setdefault(row["keterangan"], []).append(row["tahun"])
    if by_note:
        notes.append("; ".join(f"target {year_ranges(ys)}: {note}" for note, ys in by_note.items()))
    text = "; ".join(notes)
    return text[:1].upper() + text[1:]


def build_indicators(records: Sequence[dict[str, Any]], tahun: int) -> list[IndicatorReport]:
    """mart_target_gap rows (one per target year) → one report row per indicator."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for record in records:
        key = (record["kode_wilayah"], record["dokumen"], record["indikator"])
        groups.setdefault(key, []).append(record)
    order = list(INDIKATOR)
    indicators: list[IndicatorReport] = []
    for (kode, dokumen, indikator), rows in groups.items():
        rows = sorted(rows, key=lambda r: r["tahun"])
        first = rows[0]
        current = next((r for r in rows if r["tahun"] == tahun), None)
        indicators.append(
            IndicatorReport(
                kode_wilayah=kode,
                dokumen=dokumen,
                indikator=indikator,
                arah=first["arah"],
                tahun_dasar=first["tahun_dasar"],
                nilai_dasar=first["nilai_dasar"],
                years={
                    r["tahun"]: YearValues(r["target"], r["realisasi"], r["capaian"]) for r in rows
                },
                tahun_akhir=first["tahun_akhir"],
                target_akhir=first["target_akhir"],
                proyeksi_tahun_akhir=first["proyeksi_tahun_akhir"],
                tahun_data_terakhir=first["tahun_data_terakhir"],
                nilai_terakhir=first["nilai_terakhir"],
                kategori_capaian=current["kategori_capaian"] if current else None,
                status=current["status"] if current else None,
                catatan=compose_catatan(rows, tahun),
                realised=bool(current) and current["realisasi"] is not None,
            )
        )
    indicators.sort(
        key=lambda i: (
            i.kode_wilayah,
            i.dokumen,
            order.index(i.indikator) if i.indikator in order else len(order),
            i.indikator,
        )
    )
    return indicators


def evaluation_year(
    records: Sequence[dict[str, Any]], requested: int | None, where: str, today: dt.date
) -> int:
    """The requested year if the plans have a target for it; by default the latest year
    with a BPS realisation (else the latest plan year up to today, else the first)."""
    plan_years = sorted({r["tahun"] for r in records})
    if requested is not None:
        if requested not in plan_years:
            raise ExportError(
                f"No RPJMD/RPD target for {requested} for {where}: the plans cover "
                f"{year_ranges(plan_years)}. Choose one of those years with --tahun."
            )
        return requested
    realised = [r["tahun"] for r in records if r["realisasi"] is not None]
    if realised:
        return max(realised)
    past = [y for y in plan_years if y <= today.year]
    return max(past) if past else plan_years[0]


# --------------------------------------------------------------------------------------------
# Loading from the marts
# --------------------------------------------------------------------------------------------


def resolve_plan_regions(marts: Marts, codes: Sequence[str]) -> list[Region]:
    """Regions with targets for the given codes; a province code gives the province (when
    it has targets of its own) and then each of its kabupaten/kota with targets."""
    known = lookup_regions(marts, codes)
    planned = {
        r["kode_wilayah"]: r["nama_wilayah"]
        for r in marts.rows("select distinct kode_wilayah, nama_wilayah from mart_target_gap")
    }
    with_targets = ", ".join(f"{k} {v or ''}".strip() for k, v in sorted(planned.items()))
    regions: list[Region] = []
    for code in codes:
        region = known[code]
        level = level_of(code)
        if level in ("kecamatan", "desa"):
            raise ExportError(
                f"RPJMD/RPD targets are set for provinces and kabupaten/kota; {region.label} "
                f"is a {level}. Use its kabupaten/kota code {code[:4]}."
            )
        members = [code] if code in planned else []
        if level == "provinsi":
            members += sorted(k for k in planned if len(k) == 4 and k.startswith(code))
        if not members:
            raise ExportError(
                f"No RPJMD/RPD targets for {region.label} in the marts. Regions with targets: "
                f"{with_targets or 'none'}. Add its targets to "
                "data/raw/referensi/target_rpjmd.csv and run `make run`."
            )
        for kode in members:
            if all(r.kode != kode for r in regions):
                name = planned.get(kode) or (known[kode].nama if kode in known else kode)
                regions.append(Region(kode, name, level_of(kode)))
    return regions


def load_rpjmd(
    marts_dir: Path,
    wilayah: Sequence[str],
    tahun: int | None = None,
    today: dt.date | None = None,
) -> RpjmdReport:
    codes = normalise_codes(wilayah)
    with Marts.open(marts_dir, MARTS) as marts:
        regions = resolve_plan_regions(marts, codes)
        records = marts.rows(
            "select * from mart_target_gap where kode_wilayah in (select unnest(?)) "
            "order by kode_wilayah, dokumen, indikator, tahun",
            [[r.kode for r in regions]],
        )
        snapshot = latest_snapshot(marts)
        release = marts.release
    where = ", ".join(r.label for r in regions)
    year = evaluation_year(records, tahun, where, today or dt.date.today())
    indicators = build_indicators(records, year)
    reports = [
        RegionReport(region, [i for i in indicators if i.kode_wilayah == region.kode])
        for region in regions
    ]
    bps_years = [r["tahun_data_terakhir"] for r in records if r["tahun_data_terakhir"]]
    report = RpjmdReport(reports, year, max(bps_years, default=None), snapshot, release)
    if not any(r["realisasi"] is not None for r in records if r["tahun"] == year):
        report.warnings.append(
            f"BPS has no March {year} figure for these indicators yet: Realisasi and Capaian "
            f"{year} are empty, and Status {year} comes from the trend's projection."
        )
    return report


# --------------------------------------------------------------------------------------------
# Workbook
# --------------------------------------------------------------------------------------------

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
    colours = (
        ("Tercapai", fmt.green),
        ("Diperkirakan tercapai", fmt.green),
        ("Tidak tercapai", fmt.red),
        ("Perlu percepatan", fmt.orange),
    )
    for text, colour in colours:
        sheet.conditional_format(
            first,
            col,
            last,
            col,
            {"type": "cell", "criteria": "==", "value": f'"{text}"', "format": colour},
        )


def _kategori_colours(sheet: Any, fmt: Formats, first: int, last: int, col: int) -> None:
    for text, colour in (("tinggi", fmt.green), ("sedang", fmt.orange), ("rendah", fmt.red)):
        sheet.conditional_format(
            first,
            col,
            last,
            col,
            {"type": "text", "criteria": "containing", "value": text, "format": colour},
        )


def _notes(
    sheet: Any, fmt: Formats, row: int, col: int, widths: Sequence[float], report: RpjmdReport
) -> None:
    """Keterangan and the source line below a table, across its width from `col`."""
    sheet.write(row, col, "Keterangan:", fmt.get(bold=True, font_size=8))
    notes = (NOTE_CAPAIAN, NOTE_KATEGORI, NOTE_STATUS, NOTE_KOSONG)
    for offset, text in enumerate(notes, start=1):
        write_note(sheet, row + offset, col, widths, text, fmt.note)
    write_note(sheet, row + len(notes) + 1, col, widths, report.source_line(), fmt.source)


def write_region_sheet(
    workbook: Any, fmt: Formats, name: str, region: RegionReport, report: RpjmdReport
) -> None:
    sheet = workbook.add_worksheet(name)
    years = region.years
    cols = region_columns(years)
    last_col = cols["catatan"]
    several_docs = len(region.documents) > 1

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
    final_years = {i.tahun_akhir for i in region.indicators}
    final_suffix = f" ({final_years.pop()})" if len(final_years) == 1 else ""
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
        label = f"{ind.label} — {ind.dokumen}" if several_docs else ind.label
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
        catatan = ind.catatan
        if not final_suffix:
            catatan = f"{catatan}; target akhir periode: tahun {ind.tahun_akhir}".lstrip("; ")
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


@dataclass(frozen=True)
class ChartPoint:
    tahun: int
    target: float | None
    realisasi: float | None
    proyeksi: float | None


def chart_points(ind: IndicatorReport) -> list[ChartPoint]:
    """The target path, the realisations and the trend's projection, per year.

    The target path starts at the baseline (kondisi awal) of the plan's base year, so the
    line runs from where the plan started to its final target. Realisations are only the
    mart's BPS figures: a baseline is the plan document's number, never drawn as one. The
    projection runs from the latest BPS value to the projected value of the final year (a
    straight line: the trend is linear).
    """
    points: dict[int, ChartPoint] = {}
    if (
        ind.tahun_dasar is not None
        and ind.nilai_dasar is not None
        and ind.tahun_dasar not in ind.years
    ):
        points[ind.tahun_dasar] = ChartPoint(ind.tahun_dasar, ind.nilai_dasar, None, None)
    for year, values in ind.years.items():
        points[year] = ChartPoint(year, values.target, values.realisasi, None)
    latest, final = ind.tahun_data_terakhir, ind.tahun_akhir
    if ind.proyeksi_tahun_akhir is not None and latest in points and final in points:
        p = points[latest]
        points[latest] = ChartPoint(p.tahun, p.target, p.realisasi, ind.nilai_terakhir)
        p = points[final]
        points[final] = ChartPoint(p.tahun, p.target, p.realisasi, ind.proyeksi_tahun_akhir)
    return [points[y] for y in sorted(points)]


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
            if ind.tahun_dasar is not None and ind.tahun_dasar not in ind.years:
                sheet.write(
                    bottom + 1,
                    0,
                    f"Jalur target {ind.tahun_dasar}: kondisi awal (tahun dasar)",
                    fmt.note_inline,
                )
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


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


def csv_header(years: Sequence[int], tahun: int) -> list[str]:
    header = [
        "Kode Wilayah",
        "Wilayah",
        "Dokumen",
        "Indikator",
        "Kode Indikator",
        "Satuan",
        "Tahun Dasar",
        "Kondisi Awal",
    ]
    for year in years:
        header += [f"Target {year}", f"Realisasi {year}", f"Capaian {year} (%)"]
    return header + [
        "Tahun Akhir Periode",
        "Target Akhir Periode",
        "Proyeksi Akhir Periode",
        f"Kategori Capaian {tahun}",
        f"Status {tahun}",
        "Catatan",
    ]


def csv_rows(report: RpjmdReport) -> list[list[str]]:
    years = report.years
    rows: list[list[str]] = []
    for region in report.regions:
        for ind in region.indicators:
            row = [
                region.region.kode,
                region.region.nama,
                ind.dokumen,
                ind.label,
                ind.indikator,
                ind.satuan,
                csv_number(ind.tahun_dasar, 0),
                csv_number(ind.nilai_dasar),
            ]
            for year in years:
                values = ind.years.get(year, YearValues(None, None, None))
                row += [
                    csv_number(values.target),
                    csv_number(values.realisasi),
                    csv_number(values.capaian),
                ]
            row += [
                csv_number(ind.tahun_akhir, 0),
                csv_number(ind.target_akhir),
                csv_number(ind.proyeksi_tahun_akhir),
                ind.kategori_label or "",
                ind.status_label or "",
                ind.catatan,
            ]
            rows.append(row)
    return rows


def write_rpjmd_csv(report: RpjmdReport, path: Path) -> None:
    write_csv(path, csv_header(report.years, report.tahun), csv_rows(report))
