"""NIK (Nomor Induk Kependudukan) rules.

The structure rules come from `lokal-id` (PP KK CC DDMMYY SSSS: province, regency, district,
birth date with day + 40 for women, serial). Registries have tens of millions of NIKs, so the
warehouse applies the same rules as one SQL expression (`nik_problem_sql`); the unit tests
prove the SQL and lokal-id agree. `describe_problem` gives the plain-words reason for a
single value, and `mask_nik` is the only form in which a NIK may appear in a message.
"""

from __future__ import annotations

import datetime as dt

from lokal import parse_nik
from lokal.provinces import PROVINCES

# Reason codes, in the order lokal-id checks them; the first that applies is reported.
REASONS = {
    "format": "not 16 digits",
    "province": "unknown province code",
    "wilayah": "regency or district code is 00",
    "birth_date": "impossible birth date",
    "serial": "serial number 0000",
}

# What may separate digit groups in a typed NIK (lokal-id strips the same characters).
_SEPARATORS_REGEX = r"[\s.\-]"


def describe_problem(value: str | None, reference_date: dt.date) -> str | None:
    """The reason code (a key of REASONS) why `value` cannot be a NIK, or None when valid."""
    if value is None:
        return "format"
    info = parse_nik(str(value), reference_date=reference_date)
    return None if info.valid else info.errors[0].code


def mask_nik(value: str | None) -> str:
    """`5371014508950001` → `5371********0001`: enough to find the row, not the person."""
    if not value:
        return "(kosong)"
    text = str(value)
    if len(text) <= 8:
        return "*" * len(text)
    return f"{text[:4]}{'*' * (len(text) - 8)}{text[-4:]}"


def nik_clean_sql(column: str) -> str:
    """SQL: the NIK with separators (spaces, dots, dashes) removed, as lokal-id reads it."""
    return f"regexp_replace(coalesce({column}, ''), '{_SEPARATORS_REGEX}', '', 'g')"


def nik_problem_sql(column: str, reference_date: dt.date) -> str:
    """SQL expression giving the reason code (see REASONS) or NULL for a valid NIK.

    `column` must already be cleaned (`nik_clean_sql`). The century of the birth year follows
    lokal-id: a two-digit year up to the reference date's year is 20xx, otherwise 19xx.
    """
    provinces = ", ".join(f"'{code}'" for code in sorted(PROVINCES))
    pivot = reference_date.year % 100
    raw_day = f"cast(substr({column}, 7, 2) as integer)"
    month = f"cast(substr({column}, 9, 2) as integer)"
    yy = f"cast(substr({column}, 11, 2) as integer)"
    year = f"(case when {yy} <= {pivot} then 2000 + {yy} else 1900 + {yy} end)"
    day = f"(case when {raw_day} > 40 then {raw_day} - 40 else {raw_day} end)"  # women: +40
    birth_date = f"try_cast(printf('%04d-%02d-%02d', {year}, {month}, {day}) as date)"
    return f"""(case
        when not regexp_full_match({column}, '[0-9]{{16}}') then 'format'
        when substr({column}, 1, 2) not in ({provinces}) then 'province'
        when substr({column}, 3, 2) = '00' or substr({column}, 5, 2) = '00' then 'wilayah'
        when {day} < 1 or {birth_date} is null then 'birth_date'
        when substr({column}, 13, 4) = '0000' then 'serial'
    end)"""
