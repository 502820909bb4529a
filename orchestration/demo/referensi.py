"""The `referensi/` tables: the programmes, their budgets (anggaran, from what the rosters
paid) and the RPJMD poverty targets (public ones where the documents are public)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from orchestration.demo.config import BPS_REFERENCE
from orchestration.demo.programs import program_table
from orchestration.demo.regions import _Region
from orchestration.demo.writers import _write_csv


def _target_rows(regions: list[_Region]) -> list[dict]:
    """target_rpjmd.csv: the public targets of the reference README, illustrative others.

    Public rows (keterangan 'target publik'): Kota Kupang RPD 2023-2026 (p0 8.61 and
    p0_ekstrem 3.7 in 2023 → 0 in 2026), Bengkayang RPJMD 2021-2026 (p0 6.48 in 2021 → 5.62
    in 2026), Bontang RPJMD 2025-2029 (p0 4.11 in 2023 → 0 in 2029), Kutai Kartanegara RPJMD
    2021-2026 (p0_ekstrem 0 in 2024, no baseline: the value is not in our reference).
    Intermediate years and the other regions' documents are illustrative (keterangan
    'ilustratif'); their baselines are real BPS March values from the reference file.
    """
    bps = {}
    for row in pacsv.read_csv(
        BPS_REFERENCE,
        convert_options=pacsv.ConvertOptions(column_types={"kode_wilayah": pa.string()}),
    ).to_pylist():
        bps[(row["kode_wilayah"], row["indikator"], row["tahun"])] = float(row["nilai"])
    rows: list[dict] = []

    def add(code, doc, ind, jenis, year, value, note):
        rows.append(
            {
                "kode_wilayah": code,
                "dokumen": doc,
                "indikator": ind,
                "jenis": jenis,
                "tahun": year,
                "nilai": round(value, 2),
                "arah": "turun",
                "keterangan": note,
            }
        )

    def path(code, doc, ind, base_year, base, final_year, final, public_ends: bool):
        note = "target publik" if public_ends else "ilustratif"
        add(code, doc, ind, "baseline", base_year, base, note)
        for year in range(base_year + 1, final_year):
            step = (year - base_year) / (final_year - base_year)
            add(code, doc, ind, "target", year, base + (final - base) * step, "ilustratif")
        add(code, doc, ind, "target", final_year, final, note)

    path("5371", "RPD 2023-2026", "p0", 2023, 8.61, 2026, 0.0, True)
    path("5371", "RPD 2023-2026", "p0_ekstrem", 2023, 3.7, 2026, 0.0, True)
    path("6107", "RPJMD 2021-2026", "p0", 2021, bps[("6107", "p0", 2021)], 2026, 5.62, True)
    path("6474", "RPJMD 2025-2029", "p0", 2023, 4.11, 2029, 0.0, True)
    add("6402", "RPJMD 2021-2026", "p0_ekstrem", "target", 2024, 0.0, "target publik")
    for region in regions:  # illustrative p0 paths for the others: about −1 point a year
        if region.code in ("5371", "6107", "6474"):
            continue
        base = bps.get((region.code, "p0", 2021))
        if base is None:
            continue
        final = round(base - (5.0 if base > 10 else 1.5), 2)
        path(region.code, "RPJMD 2021-2026", "p0", 2021, base, 2026, final, False)
    return rows


_ANGGARAN_SCHEMA = pa.schema(
    [
        ("kode_program", pa.string()),
        ("kode_wilayah", pa.string()),
        ("tahun", pa.int16()),
        ("pagu", pa.int64()),
        ("target_penerima", pa.int64()),
    ]
)
_TARGET_SCHEMA = pa.schema(
    [
        ("kode_wilayah", pa.string()),
        ("dokumen", pa.string()),
        ("indikator", pa.string()),
        ("jenis", pa.string()),
        ("tahun", pa.int16()),
        ("nilai", pa.float64()),
        ("arah", pa.string()),
        ("keterangan", pa.string()),
    ]
)


def _write_reference_tables(out_dir: Path, regions: list[_Region], budget: list[dict]) -> None:
    ref = out_dir / "referensi"
    _write_csv(ref / "program.csv", program_table())
    _write_csv(ref / "anggaran_program.csv", pa.Table.from_pylist(budget, _ANGGARAN_SCHEMA))
    targets = pa.Table.from_pylist(_target_rows(regions), _TARGET_SCHEMA)
    _write_csv(ref / "target_rpjmd.csv", targets)
