"""Roster files written by the scenario nights, from people of the generated registry."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

ROSTER_HEADER = ["nik", "no_kk", "nama", "kode_wilayah", "tahap", "nilai_bantuan"]


def living_people(
    raw: Path, kabkota: str, n: int, snapshot: str = "2025-12-31"
) -> list[tuple[str, str, str, str]]:
    """(nik, no_kk, nama, kode_wilayah) of the first `n` living people of a region (a code
    prefix) in a generated registry snapshot, by NIK."""
    folder = raw / "registry" / snapshot
    with duckdb.connect() as con:
        return con.execute(
            f"""select a.nik, k.no_kk, a.nama, k.kode_wilayah
            from read_csv('{folder / "anggota.csv"}', all_varchar = true) a
            join read_csv('{folder / "keluarga.csv"}', all_varchar = true) k using (id_keluarga)
            where a.status = 'hidup' and k.kode_wilayah like '{kabkota}%'
            order by a.nik limit {n}"""
        ).fetchall()


def write_roster(path: Path, rows) -> None:
    """A roster CSV in DESIGN §2.3's columns (the header only when `rows` is empty)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ROSTER_HEADER)
        writer.writerows(rows)
