"""`tepat export rpjmd`, the report: what the RPJMD/RPD evaluation table shows, whatever the
file format (the layouts are `rpjmd_xlsx.py` and `rpjmd_csv.py`).

One row per indicator in the shape of Permendagri 86/2017's evaluation tables: Indikator,
Satuan, Kondisi Awal, then per year of the plan Target, Realisasi and Capaian (%), then
Target Akhir Periode, Proyeksi Akhir Periode, Kategori Capaian, Status and Catatan. Every
number is mart_target_gap's own (nothing is recomputed here), so the workbook always agrees
with what analysts read from the marts. The words a planner reads (status, kategori, notes,
the Catatan of each row, the chart's points) are decided here, once for every format.

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
    BAD,
    GOOD,
    WARNING,
    ExportError,
    Marts,
    Region,
    Release,
    latest_snapshot,
    level_of,
    lookup_regions,
    normalise_codes,
    release_phrase,
    tanggal_indonesia,
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
#: How each status word reads (a format colours it: green, red, orange); "Belum ada data"
#: has no tone. Kept in this order: it is the order of the workbook's conditional formats.
STATUS_TONE: dict[str, str] = {
    "Tercapai": GOOD,
    "Diperkirakan tercapai": GOOD,
    "Tidak tercapai": BAD,
    "Perlu percepatan": WARNING,
}
NOT_MET = tuple(word for word, tone in STATUS_TONE.items() if tone != GOOD)
KATEGORI_WORDS = frozenset(("Sangat tinggi", "Tinggi", "Sedang", "Rendah", "Sangat rendah"))
#: How a Kategori Capaian reads, by the word it contains ("Sangat tinggi" contains "tinggi").
KATEGORI_TONE = (("tinggi", GOOD), ("sedang", WARNING), ("rendah", BAD))
HIGH_KATEGORI = ("tinggi", "sangat tinggi")


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
#: The Keterangan under every table of the report, in this order.
NOTES = (NOTE_CAPAIAN, NOTE_KATEGORI, NOTE_STATUS, NOTE_KOSONG)


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

    @property
    def tahun_akhir(self) -> int | None:
        """The final year of every plan shown, None when the plans end in different years."""
        years = {ind.tahun_akhir for ind in self.indicators}
        return years.pop() if len(years) == 1 else None

    def row_label(self, ind: IndicatorReport) -> str:
        """The indicator's label; with its plan document when the region has several."""
        return f"{ind.label} — {ind.dokumen}" if len(self.documents) > 1 else ind.label

    def row_catatan(self, ind: IndicatorReport) -> str:
        """The Catatan of a row in the region's own table, whose header names the final year
        only when every plan shares it (`tahun_akhir`): otherwise the row names its own."""
        if self.tahun_akhir is not None:
            return ind.catatan
        return f"{ind.catatan}; target akhir periode: tahun {ind.tahun_akhir}".lstrip("; ")


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
# The charts' data
# --------------------------------------------------------------------------------------------


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


def chart_note(ind: IndicatorReport) -> str | None:
    """The line under a chart's table when its target path starts at the baseline (a base
    year that has no target of its own)."""
    if ind.tahun_dasar is not None and ind.tahun_dasar not in ind.years:
        return f"Jalur target {ind.tahun_dasar}: kondisi awal (tahun dasar)"
    return None
