"""The one header vocabulary of tepat: how a header written in a raw file becomes a column.

Headers match ignoring case, spaces, dots, underscores, dashes, slashes, brackets and the
`*`/`:` that mark required fields (`header_key`). A header equal to one of the reading table's
own columns is that column; otherwise the aliases in `header_aliases.csv` (beside this
module: `header` as people write it, the contract `column` it means, and the `layout` it was
seen in — DESIGN §2) decide; anything else is kept under its snake_case name.

Both readers use it: the loader (tidy CSV/Parquet through DuckDB) and `agency_files`
(workbooks and agency CSVs). `RawFileError` lives here too, so neither imports the other's
internals.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

ALIAS_FILE = Path(__file__).with_name("header_aliases.csv")


class RawFileError(Exception):
    """A raw file that cannot be loaded; the message says which file, what and what to do."""


def header_key(name: object) -> str:
    """`No. KK`, `no_kk`, `NO KK*` → `nokk`: case, spaces, dots, underscores, dashes,
    slashes, brackets, `*` and `:` do not matter (nor a byte-order mark)."""
    return re.sub(r"[\s._\-/()\[\]{}*:]", "", str(name).strip().lstrip("\ufeff").lower())


@lru_cache(maxsize=1)
def aliases() -> dict[str, str]:
    """header_key → contract column, from header_aliases.csv (read once)."""
    table: dict[str, str] = {}
    with ALIAS_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key, column = header_key(row["header"]), row["column"].strip()
            if table.get(key, column) != column:
                raise ValueError(
                    f"{ALIAS_FILE.name}: '{row['header']}' means both '{table[key]}' and '{column}'"
                )
            table[key] = column
    return table


@lru_cache(maxsize=1)
def nik_header_keys() -> frozenset[str]:
    """Header keys that mean "the NIK column" (`NIK`, `No. NIK`, `Nomor Induk Kependudukan`…)."""
    return frozenset({"nik", *(key for key, column in aliases().items() if column == "nik")})


def snake_case(name: object) -> str:
    snake = re.sub(r"[^0-9a-z]+", "_", str(name).strip().lstrip("\ufeff").lower()).strip("_")
    return snake or "kolom_tanpa_nama"


def canonical_header(name: object, known: tuple[str, ...]) -> str:
    """The column a header means: one of `known` (the table's own columns), an alias, or the
    header in snake_case (`Keterangan Lain` → `keterangan_lain`)."""
    key = header_key(name)
    for column in known:
        if header_key(column) == key:
            return column
    table = aliases()
    if key in table:
        return table[key]
    return snake_case(re.sub(r"[*:]", "", str(name)))


def is_nik_header(value: object) -> bool:
    return isinstance(value, str) and header_key(value) in nik_header_keys()
