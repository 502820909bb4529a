"""NIK (Nomor Induk Kependudukan) rules.

The structure rules come from `lokal-id` (PP KK CC DDMMYY SSSS: province, regency, district,
birth date with day + 40 for women, serial). Registries have tens of millions of NIKs, so the
warehouse applies the same rules as one SQL expression, the dbt macro `nik_problem`
(dbt_project/macros/nik.sql); tests/unit/test_nik.py proves the macro and lokal-id agree.
`describe_problem` gives the reason for a single value. A NIK appears in a message only as
`mask_nik` (orchestration/privacy.py, DESIGN §5) shows it.
"""

from __future__ import annotations

import datetime as dt

from lokal import parse_nik

from orchestration.privacy import mask_nik

__all__ = ["REASONS", "describe_problem", "mask_nik"]

# Reason codes, in the order lokal-id checks them; the first that applies is reported.
REASONS = {
    "format": "not 16 digits",
    "province": "unknown province code",
    "wilayah": "regency or district code is 00",
    "birth_date": "impossible birth date",
    "serial": "serial number 0000",
}


def describe_problem(value: str | None, reference_date: dt.date) -> str | None:
    """The reason code (a key of REASONS) why `value` cannot be a NIK, or None when valid."""
    if value is None:
        return "format"
    # A leading apostrophe is how Excel users force text; it is not part of the NIK.
    info = parse_nik(str(value).strip().removeprefix("'"), reference_date=reference_date)
    return None if info.valid else info.errors[0].code
