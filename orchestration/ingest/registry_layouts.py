"""Registry files in the layouts local governments hold (DESIGN §2.2), read into text columns.

The tidy `keluarga.*`/`anggota.*` go through DuckDB's reader (millions of rows); these
layouts are per-desa workbooks or aggregates, small enough for the agency reader, which finds
the header below a title block, reads the named sheet, drops totals and signature rows and
keeps each row's Excel row number. Values stay as they came; staging types and maps them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa

from orchestration.ingest.agency_files import read_agency_table
from orchestration.ingest.names import match_kelurahan
from orchestration.ingest.sources import Layout, RawSource
from orchestration.ingest.vocabulary import RawFileError


def read_registry_layout(
    path: Path,
    source: RawSource,
    layout: Layout,
    warnings: list[str],
    kode_kabkota: str | None = None,
) -> pa.Table:
    """One file of `layout` as text columns plus `_row_number`, `_sheet`, `_nik_asal`.
    `kode_kabkota` (from the folder) places desa names (SIKS-NG's `Desa_Kelurahan`)."""
    read = read_agency_table(
        path,
        source.required_columns + source.optional_columns,
        key_column=layout.key_column,
        sheets=(layout.sheet,) if layout.sheet else None,
    )
    warnings += read.warnings
    rows = read.rows
    if layout.folder == "agregat":
        _check_province_known(rows)
    if layout.per_household:
        rows = _households(rows, kode_kabkota, warnings)
    return rows


#: The columns a household row of a per-person export keeps (the rest describe persons).
_HOUSEHOLD_COLUMNS = ("id_keluarga", "no_kk", "desil", "kecamatan", "kelurahan")


def _households(rows: pa.Table, kode_kabkota: str | None, warnings: list[str]) -> pa.Table:
    """One row per `id_keluarga` from rows per person: its first row (its Excel/CSV row
    number), with `kode_wilayah` matched from the desa name (and kecamatan) within the
    kabupaten/kota of the folder. Per desa export, so small: plain Python."""
    for needed in ("id_keluarga", "kelurahan"):
        if needed not in rows.column_names:
            raise RawFileError(
                f"no column for '{needed}' (IDDTKS, Desa_Kelurahan); found: "
                f"{', '.join(c for c in rows.column_names if not c.startswith('_'))}"
            )
    first: dict[str, int] = {}
    for index, household in enumerate(rows.column("id_keluarga").to_pylist()):
        if household is not None and household.strip():
            first.setdefault(household.strip(), index)
    picked = rows.take(pa.array(sorted(first.values()), pa.int64()))
    keep = [c for c in _HOUSEHOLD_COLUMNS if c in picked.column_names]
    picked = picked.select([*keep, "_row_number", "_sheet"])
    desa = picked.column("kelurahan").to_pylist()
    kecamatan = (
        picked.column("kecamatan").to_pylist()
        if "kecamatan" in picked.column_names
        else [None] * len(desa)
    )
    names = [
        None if d is None else (f"{d} ({k})" if k else d)
        for d, k in zip(desa, kecamatan, strict=True)
    ]
    codes = (
        match_kelurahan(sorted({n for n in names if n}), kode_kabkota, warnings)
        if kode_kabkota
        else {}
    )
    return picked.append_column(
        "kode_wilayah", pa.array([codes.get(n) for n in names], pa.string())
    )


def _check_province_known(rows: pa.Table) -> None:
    """A 2-digit kdkab is a number within its province: without a kdprov column the desa
    cannot be placed (DESIGN §2.2), and guessing the province would be silent and wrong."""
    if "kode_provinsi" in rows.column_names:
        return
    short = [
        (number, value)
        for number, value in zip(
            rows.column("_row_number").to_pylist(),
            rows.column("kode_kabkota").to_pylist(),
            strict=True,
        )
        if value is not None and 0 < len(re.sub(r"\D", "", value)) < 4
    ]
    if short:
        number, value = short[0]
        raise RawFileError(
            f"kdkab holds kabupaten numbers without their province (row {number}: '{value}', "
            f"{len(short)} row(s) like it) and there is no kdprov column; add a column kdprov "
            "with the 2-digit province code (e.g. 53), or write kdkab with its province "
            "(e.g. 5371)"
        )
