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
from orchestration.ingest.sources import Layout, RawSource
from orchestration.ingest.vocabulary import RawFileError


def read_registry_layout(
    path: Path, source: RawSource, layout: Layout, warnings: list[str]
) -> pa.Table:
    """One file of `layout` as text columns plus `_row_number`, `_sheet`, `_nik_asal`."""
    read = read_agency_table(
        path,
        source.required_columns + source.optional_columns,
        key_column=layout.key_column,
        sheets=(layout.sheet,) if layout.sheet else None,
    )
    warnings += read.warnings
    if layout.folder == "agregat":
        _check_province_known(read.rows)
    return read.rows


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
