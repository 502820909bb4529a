"""Is data/warehouse.duckdb whole? And, when it is not, what to tell the operator.

A warehouse file can be damaged by a disk error, a copy that stopped half way, or a restore
from a bad backup. DuckDB then refuses it with its own words ("Could not read enough bytes",
"not a valid DuckDB database file", "Corrupt database file: computed checksum ..."). tepat
says instead which file is damaged and what to do: `tepat rebuild`, which moves the file
aside (never deletes it) and rebuilds the warehouse from data/raw/, the source of truth
(orchestration/rebuild.py).

`damaged_warehouse_message` is the quick look `tepat run` takes before it starts: it opens
the file and reads every block of every table (a warehouse up to `FULL_CHECK_BYTES`; of a
larger one, its catalogue and bookkeeping tables only), which finds a truncated or
overwritten file. Damage the quick look misses shows when the run reads the damaged table;
the run then fails with the same message (`looks_damaged` recognises DuckDB's errors, and
orchestration/diskspace.py `storage_problem` turns them into it).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from orchestration.paths import Paths

_DAMAGED = (
    "corrupt database file",
    "not a valid duckdb database",
    "could not read enough bytes",
    "does not match stored checksum",
    "invalid block",
    "failed to read database header",
    "wal file is corrupt",
)
#: Up to this size `tepat run` reads the whole warehouse before it starts (every block's
#: checksum; about ten seconds per GB); a larger one only its catalogue and bookkeeping.
FULL_CHECK_BYTES = 2 * 1024**3

_LOCKED = ("could not set lock on file", "conflicting lock is held")


def looks_damaged(error: BaseException | str | None) -> bool:
    text = str(error or "").lower()
    return any(part in text for part in _DAMAGED)


def damage_advice(warehouse: Path, detail: str = "") -> str:
    said = f" (DuckDB: {detail.strip().splitlines()[0][:200]})" if detail.strip() else ""
    return (
        f"The warehouse file {warehouse} is damaged and cannot be read{said}. It may have "
        "been cut short by a disk error or a copy that did not finish. Nothing was changed "
        "and nothing was published: data/marts/ still holds the last good marts. What to do: "
        "run `tepat rebuild`. It moves the damaged file aside (it is kept, never deleted), "
        "rebuilds the warehouse from the files under data/raw/ and publishes the marts again; "
        "the audit log and the release history are kept."
    )


def locked_advice(warehouse: Path, detail: str) -> str:
    match = re.search(r"held in (.+?) \(PID (\d+)\)", detail)
    who = f" ({match.group(1)}, process {match.group(2)})" if match else ""
    return (
        f"The warehouse file {warehouse} is open for writing in another program{who}, so the "
        "nightly run cannot write it. What to do: close that program (a notebook, DBeaver, a "
        "DuckDB shell: read data/marts/ instead, never the warehouse) and run again."
    )


def damaged_warehouse_message(paths: Paths) -> str | None:
    """None when the warehouse is missing (a first run makes it) or opens and reads;
    otherwise a plain message saying what is wrong and what to do."""
    warehouse = paths.warehouse
    if not warehouse.exists():
        return None
    whole = warehouse.stat().st_size <= FULL_CHECK_BYTES
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            tables = con.execute(
                "select schema_name, table_name from duckdb_tables() "
                + ("" if whole else "where schema_name in ('meta', 'quarantine')")
            ).fetchall()
            for schema, table in tables:
                _read_every_block(con, schema, table)
    except duckdb.Error as error:
        if any(part in str(error).lower() for part in _LOCKED):
            return locked_advice(warehouse, str(error))
        if looks_damaged(error) or isinstance(error, duckdb.SerializationException):
            return damage_advice(warehouse, str(error))
        raise
    return None


def _read_every_block(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> None:
    """Read every column of every row (a hash of the whole row: streamed, no memory to speak
    of), so that DuckDB checks the checksum of each block the table holds."""
    con.execute(f'select count(hash(_row_)) from "{schema}"."{table}" as _row_').fetchone()
