"""What every BPS module shares: the tidy schema, the indicators, the error, text helpers.

An indicator is recognised from BPS's wordings (Indonesian and English) in a title, a
column label, a long download's nama_variabel or a Web API `var` label; its unit, when
written in brackets, must agree with it; a month (Maret/September, semester) and years are
read from the same texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

from orchestration.ingest.grid import Cell

INDICATORS = ("p0", "p1", "p2", "jumlah_penduduk_miskin", "garis_kemiskinan", "p0_ekstrem")

#: the national total (Indonesia) is kept at its own level, with this code (DESIGN §2.1)
NATIONAL_CODE = "00"

#: plausible ranges; a value outside is a misread separator, a truncated or a shifted cell
RANGES = {
    "p0": (0.0, 100.0),
    "p0_ekstrem": (0.0, 100.0),
    "p1": (0.0, 100.0),
    "p2": (0.0, 100.0),
    "jumlah_penduduk_miskin": (0.0, 100_000.0),  # thousand people; Indonesia ≈ 24 000
    # Rp per capita per month: the lowest kabupaten line since 2010 is above Rp 150 000,
    # the highest below Rp 1 500 000; a value outside lost or gained digits.
    "garis_kemiskinan": (50_000.0, 5_000_000.0),
}

SCHEMA = pa.schema(
    [
        ("kode_wilayah", pa.string()),
        ("tahun", pa.int64()),
        ("bulan", pa.int64()),
        ("indikator", pa.string()),
        ("nilai", pa.float64()),
        ("_row_number", pa.int64()),
        ("nama_wilayah_sumber", pa.string()),
        ("nilai_asli", pa.string()),
        ("alasan_karantina", pa.string()),
    ]
)

FORMS_HELP = (
    "What to do: download the table again from BPS, or save it in one of the forms "
    "tepat reads (DESIGN §2.1): the tidy CSV kode_wilayah,tahun,bulan,indikator,nilai; a BPS "
    "table (title lines, then a 'Provinsi/Kabupaten/Kota' column and one column per year or "
    "per indicator and month) as CSV, XLSX or HTML-as-.xls; BPS's long download "
    "(nama_variabel, nama_tahun, data_content and nama_wilayah or "
    "nama_item_vertical_variabel); or a BPS Web API JSON response (var, vervar, datacontent)."
)


class BpsFileError(ValueError):
    """A BPS file tepat cannot read; the message says which file, what is wrong, what to do."""


@dataclass
class Value:
    """One value as read from a file, before its region code and number are settled."""

    row: int
    name: str | None
    kode: str | None
    tahun: int
    bulan: int
    indikator: str
    raw: Cell
    where: str = ""  # the column (label) it came from, for quarantine reasons
    problem: str | None = None  # set by a form reader for a malformed source row


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", str(text).lower())


def key(text: str) -> str:
    """Header key: lower case, letters and digits only."""
    return "".join(words(text))


# --------------------------------------------------------------------------- indicators

_INDICATOR_PATTERNS = (
    ("p0_ekstrem", r"\b(persentase\s+penduduk\s+miskin|tingkat\s+kemiskinan|kemiskinan)\s+"
                   r"ekstrem|\bp0\s*ekstrem"),
    ("p0", r"\bpersentase\s+penduduk\s+miskin\b(?!\s+ekstrem)|\bp0\b(?!\s*ekstrem)"
           r"|\btingkat\s+kemiskinan\b(?!\s+ekstrem)"
           # English panels: "pov2010", "poverty rate", "headcount" (not line/gap/severity)
           r"|\bpov(?:erty)?(?:\s*rate)?(?:\s*(?:19|20)\d{2})?\b"
           r"(?!\s*(?:line|gap|severity|depth|index|ekstrem|extreme))|\bheadcount\b"),
    ("jumlah_penduduk_miskin", r"\bjumlah\s+(dan\s+persentase\s+)?penduduk\s+miskin\b"
                               r"(?!\s+ekstrem)"),
    ("p1", r"\bkedalaman\s+kemiskinan\b|\bp1\b|\bpoverty\s+gap\b"),
    ("p2", r"\bkeparahan\s+kemiskinan\b|\bp2\b|\bpoverty\s+severity\b"),
    ("garis_kemiskinan", r"\bgaris\s+kemiskinan\b|\bpoverty\s+line\b"),
)  # fmt: skip

#: phrases that look like an indicator tepat does not read (for a clear error)
OTHER_INDICATOR = re.compile(
    r"\b(gini|indeks\s+pembangunan|pengangguran|ipm|tpt|inflasi|pdrb|rasio|indeks|"
    r"jumlah\s+penduduk|rata|pengeluaran|persentase)\b"
)


def indicators_in(text: str) -> list[str]:
    low = " ".join(words(text))
    return [name for name, pattern in _INDICATOR_PATTERNS if re.search(pattern, low)]


def units_in(text: str) -> set[str]:
    units = set()
    for group in re.findall(r"\(([^()]*)\)", str(text)):
        low = group.lower()
        if re.search(r"persen|%|percent", low):
            units.add("persen")
        if re.search(r"rupiah|\brp\b", low):
            units.add("rupiah")
        if re.search(r"jiwa|orang|people|persons", low):
            units.add("ribu_jiwa" if re.search(r"ribu|000|thousand", low) else "jiwa")
    return units


_ALLOWED_UNITS = {
    "p0": {"persen"},
    "p0_ekstrem": {"persen"},
    "p1": {"persen"},
    "p2": {"persen"},
    "jumlah_penduduk_miskin": {"ribu_jiwa"},
    "garis_kemiskinan": {"rupiah"},
}


def check_unit(indicator: str, units: set[str], where: str, file: str) -> None:
    wrong = units - _ALLOWED_UNITS[indicator]
    if not wrong:
        return
    if indicator == "jumlah_penduduk_miskin" and wrong == {"jiwa"}:
        raise BpsFileError(
            f"{file}: {where} gives Jumlah Penduduk Miskin in jiwa (people); tepat stores it "
            "in ribu jiwa (thousand people). What to do: download BPS's table in ribu jiwa, "
            "or convert the values to thousands in the tidy CSV form."
        )
    raise BpsFileError(
        f"{file}: {where} says the unit is {', '.join(sorted(wrong))}, which contradicts "
        f"the indicator {indicator} (expected {', '.join(sorted(_ALLOWED_UNITS[indicator]))}). "
        "What to do: check that the title/column and the values belong together; download "
        "the table again from BPS."
    )


def month_in(text: str) -> int | None:
    low = " ".join(words(text))
    if re.search(r"\b(maret|march|mar|semester\s+(1|i))\b", low):
        return 3
    if re.search(r"\b(september|sept|sep|semester\s+(2|ii))\b", low):
        return 9
    return None


def is_urban_or_rural_only(text: str) -> bool:
    """A label for urban (perkotaan) or rural (perdesaan) areas alone: tepat keeps the
    total of a region ("Perkotaan+Perdesaan", "Total", "Jumlah"), never a part of it."""
    low = " ".join(words(text))
    urban = re.search(r"\b(perkotaan|kota\s+urban|urban)\b", low)
    rural = re.search(r"\b(perdesaan|pedesaan|rural)\b", low)
    return bool(urban) != bool(rural) and not re.search(r"\b(total|jumlah)\b", low)


def years_in(text: str) -> list[int]:
    return [int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", str(text))]


def indicator_for(text: str, file: str, where: str) -> str:
    found = indicators_in(text)
    if len(found) == 1:
        check_unit(found[0], units_in(text), where, file)
        return found[0]
    if not found:
        raise BpsFileError(
            f"{file}: {where} '{text}' is not an indicator tepat reads. Known: Persentase "
            "Penduduk Miskin (p0), Indeks Kedalaman Kemiskinan (p1), Indeks Keparahan "
            "Kemiskinan (p2), Jumlah Penduduk Miskin (ribu jiwa), Garis Kemiskinan "
            "(Rupiah/kapita/bulan), Persentase Penduduk Miskin Ekstrem (p0_ekstrem). "
            "What to do: remove this file from data/raw/bps/, or download one of these tables."
        )
    raise BpsFileError(
        f"{file}: {where} '{text}' names several indicators ({', '.join(found)}). "
        "What to do: download one table per indicator, or convert to the tidy CSV form."
    )
