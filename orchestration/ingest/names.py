"""Place names → Kemendagri codes: one way of comparing names, for every reader.

People and BPS write a region's name in many ways (`KUPANG`, `Kab. Kupang`, `Toli-Toli` and
`Tolitoli`, `Kel. Naikoten I` and `NAIKOTEN SATU`, accents, apostrophes). `tokens` is the one
normaliser all readers compare names with: accents removed, case folded, apostrophes
dropped (`Ma'rang` = `Marang`), anything else that is not a letter or digit a separator.
On it:

- `district_key` — a kabupaten/kota name as the BPS readers match it within its province
  (orchestration/ingest/bps/regions.py resolves whole BPS tables with it): `Kab.`,
  `Kabupaten`, `Administrasi` dropped, `Kep.` read as `Kepulauan`; `Kota` stays part of the
  name (`Kupang` is Kabupaten Kupang 5301, `Kota Kupang` 5371).
- `place_key` and `match_kelurahan` — desa/kelurahan names within one kabupaten/kota, for
  rosters and registry exports that name the desa instead of giving its code.

Nothing fuzzier than these keys is tried: a name that matches nothing, or two places, is
reported, never guessed.
"""

from __future__ import annotations

import re
import unicodedata
import warnings as _warnings
from functools import lru_cache

from orchestration.ingest.wilayah import regions_table


def tokens(name: object) -> list[str]:
    """The words of a name: accents removed, case folded, apostrophes dropped."""
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"['’‘`]", "", text)
    return re.sub(r"[^0-9a-z]+", " ", text).split()


def district_tokens(name: object) -> list[str]:
    """`tokens` of a kabupaten/kota name without what BPS and Kemendagri write differently."""
    words = ["kepulauan" if t == "kep" else t for t in tokens(name)]
    words = [t for t in words if t not in ("administrasi", "adm")]
    while words and words[0] in ("kabupaten", "kab"):
        words = words[1:]
    return words


def district_key(name: object) -> str:
    """The key a kabupaten/kota name is matched on: `Kab. Kupang` = `KUPANG`."""
    return "".join(district_tokens(name))


_NUMERALS = {
    **{w: str(i) for i, w in enumerate(
        ["satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan",
         "sepuluh"], start=1)},
    **{r: str(i) for i, r in enumerate(
        ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"], start=1)},
}  # fmt: skip
_PREFIXES = (
    ("kelurahan", "desa"), ("desa", "kelurahan"), ("kel", "desa"), ("desa", "kel"),
    ("kel", "ds"), ("ds", "kel"), ("kelurahan",), ("kel",), ("desa",), ("ds",),
)  # fmt: skip
_KECAMATAN_PREFIXES = (("kecamatan",), ("kec",))


def _strip_prefix(words: list[str], prefixes) -> list[str]:
    for prefix in prefixes:
        if tuple(words[: len(prefix)]) == prefix and len(words) > len(prefix):
            return words[len(prefix) :]
    return words


def place_key(name: str) -> str:
    """`Kel. Naikoten I` and `NAIKOTEN SATU` → `naikoten1`: case, accents, punctuation,
    spaces and number words/roman numerals do not matter."""
    return "".join(_NUMERALS.get(token, token) for token in tokens(name))


def _place_keys(name: str, prefixes=_PREFIXES) -> list[str]:
    words = tokens(name)
    keys = ["".join(_NUMERALS.get(t, t) for t in words)]
    stripped = _strip_prefix(words, prefixes)
    if stripped != words:
        keys.append("".join(_NUMERALS.get(t, t) for t in stripped))
    return keys


@lru_cache(maxsize=64)
def _desa_index(kode_kabkota: str) -> dict[str, list[tuple[str, str, str]]]:
    """normalised name → [(10-digit code, name, kecamatan name)] within one kabupaten/kota."""
    table = regions_table()
    kecamatan = {}
    index: dict[str, list[tuple[str, str, str]]] = {}
    rows = zip(
        table.column("kode_wilayah").to_pylist(),
        table.column("nama_wilayah").to_pylist(),
        table.column("tingkat_wilayah").to_pylist(),
        strict=True,
    )
    desa = []
    for code, name, level in rows:
        if not code.startswith(kode_kabkota):
            continue
        if level == "kecamatan":
            kecamatan[code] = name
        elif level == "desa":
            desa.append((code, name))
    for code, name in desa:
        index.setdefault(place_key(name), []).append((code, name, kecamatan.get(code[:6], "")))
    return index


def match_kelurahan(
    names: list[str],
    kode_kabkota: str,
    warnings: list[str] | None = None,
) -> dict[str, str | None]:
    """Desa/kelurahan names → 10-digit Kemendagri codes within one kabupaten/kota.

    Case, accents, spaces, punctuation, a prefix (`Kel.`, `Kelurahan`, `Desa`, `Ds.`,
    `Desa/Kel.`) and number words vs roman numerals (`Naikoten I` = `Naikoten Satu`) do not
    matter; nothing fuzzier is tried. A name can carry its kecamatan to tell twins apart:
    `Oesao (Kupang Timur)` or `Oesao, Kec. Kupang Timur`. A name found nowhere, or in more
    than one place (the same name in two kecamatan), maps to None and adds a warning (to
    `warnings` when given, and as a Python UserWarning) — one place is never picked silently.
    """
    kabkota = "".join(ch for ch in str(kode_kabkota) if ch.isdigit())
    if len(kabkota) != 4:
        raise ValueError(f"kode_kabkota must have 4 digits, not '{kode_kabkota}'")
    index = _desa_index(kabkota)
    result: dict[str, str | None] = {}
    problems: list[str] = []
    for name in names:
        if name in result:
            continue
        if name is None or not str(name).strip():
            result[name] = None
            continue
        found = _lookup(str(name), index)
        if len(found) == 1:
            result[name] = found[0][0]
            continue
        result[name] = None
        if found:
            places = ", ".join(f"{code} ({kec})" for code, _, kec in found)
            problems.append(
                f"kelurahan '{name}' matches {len(found)} places in {kabkota}: {places}; "
                "write the code or add the kecamatan, e.g. 'Name (Kecamatan)'"
            )
        else:
            problems.append(f"kelurahan '{name}' not found in kabupaten/kota {kabkota}")
    for problem in problems:
        if warnings is not None:
            warnings.append(problem)
        _warnings.warn(problem, UserWarning, stacklevel=2)
    return result


def _lookup(name: str, index) -> list[tuple[str, str, str]]:
    for key in _place_keys(name):
        if key in index:
            return index[key]
    # "Oesao (Kupang Timur)" / "Oesao, Kec. Kupang Timur": a kecamatan after the name.
    split = re.match(r"^\s*(.+?)\s*(?:\((.+)\)|,(.+))\s*$", name)
    if split:
        place, kecamatan = split.group(1), split.group(2) or split.group(3)
        kec_keys = set(_place_keys(kecamatan, _KECAMATAN_PREFIXES))
        for key in _place_keys(place):
            hits = [hit for hit in index.get(key, []) if place_key(hit[2]) in kec_keys]
            if hits:
                return hits
    return []
