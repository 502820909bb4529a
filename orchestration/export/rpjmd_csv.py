"""`tepat export rpjmd`, the CSV table: one line per indicator of the report that
`rpjmd.py` builds, every plan year's Target, Realisasi and Capaian side by side."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from orchestration.export.layout import csv_number, write_csv
from orchestration.export.rpjmd import RpjmdReport, YearValues


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
