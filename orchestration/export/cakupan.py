"""`tepat export cakupan`, the report: what the programme coverage table for a TKPK meeting
shows, whatever the file format (the layouts are `cakupan_xlsx.py` and `cakupan_csv.py`).

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

from orchestration.export.common import (
    LEVELS,
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

MARTS = ("mart_program_coverage", "dim_program", "dim_wilayah", "mart_desil_distribution")

#: Thresholds of the values a format marks (the workbook in red and orange). Coverage below
#: 60 % of the eligible and more than one recipient in five outside the eligible desil are
#: what TKPK meetings pick out first.
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
#: Only when some period is judged against a later snapshot (the workbook marks its
#: reference date in yellow).
NOTE_ACUAN_SETELAH_PERIODE = (
    "Snapshot acuan berwarna kuning: tidak ada snapshot DTSEN sebelum akhir periode, "
    "sehingga dipakai snapshot paling awal."
)
INCOMPLETE_HEADING = " — DATA BELUM LENGKAP (lihat Keterangan)"


def program_name(row: dict[str, Any]) -> str:
    """The programme's name; its code when dim_program has none."""
    return row["nama_program"] or row["kode_program"]


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
    return f"{program_name(row)} ({row['kode_program']}) — {details}"


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

    @property
    def incomplete_programmes(self) -> set[str]:
        """The programmes with a held-back roster (DESIGN §4)."""
        return {row["kode_program"] for row in self.rows if not row["is_data_lengkap"]}

    def heading(self, row: dict[str, Any]) -> str:
        """The heading of the block of `row`'s programme; it says when the data are
        incomplete."""
        title = program_heading(row)
        if row["kode_program"] in self.incomplete_programmes:
            title += INCOMPLETE_HEADING
        return title

    def notes(self) -> list[str]:
        """The Keterangan under the table, in order."""
        notes = [NOTE_DEFINISI, NOTE_MASALAH]
        if any(row["is_acuan_setelah_periode"] for row in self.rows):
            notes.append(NOTE_ACUAN_SETELAH_PERIODE)
        return notes + incomplete_notes(self.rows)

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
            notes[row["kode_program"]] = f"{program_name(row)}: {row['catatan_kelengkapan']}"
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
# The values of a row
# --------------------------------------------------------------------------------------------


def cell_values(row: dict[str, Any], number: int) -> dict[str, Any]:
    """What a table shows for one mart row (`number`: its No): the mart's values plus the
    labels of programme, unit, period and level; rates as fractions (shown as %)."""
    realisasi = row["realisasi_persen"]
    return {
        **row,
        "no": number,
        "program": program_name(row),
        "unit": UNIT_LABEL.get(row["unit_sasaran"], row["unit_sasaran"]),
        "periode": periode_label(row["tahap"]),
        "tingkat": TINGKAT_LABEL.get(row["tingkat_wilayah"], row["tingkat_wilayah"]),
        "realisasi": None if realisasi is None else realisasi / 100,
    }
