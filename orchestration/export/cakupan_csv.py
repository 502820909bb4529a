"""`tepat export cakupan`, the CSV table: one line per row of the report that `cakupan.py`
builds, with the programme, period and level named on every line (a CSV has no heading
rows) and rates in percent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from orchestration.export.cakupan import CakupanReport, cell_values
from orchestration.export.layout import csv_number, write_csv

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
