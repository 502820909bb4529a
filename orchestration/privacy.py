"""The one masking rule for NIK and KK numbers (DESIGN §5, UU PDP 27/2022).

Wherever a value from a file can reach text — the terminal, the run log, meta.check_results,
Dagster events, the Great Expectations results and Data Docs, the quarantine tables — a
NIK- or KK-like value shows at most its first 4 and last 4 digit places:

- `mask_nik(value)`: a value of a NIK or KK column, masked whole;
- `mask_text(value)`: any text that may carry file values (examples, observed values, rows,
  messages); every NIK-like part of it is masked with `mask_nik`;
- `mask_json(obj)`: the same for every string and long number in a JSON-like structure
  (GX validation results, before they are stored).

The dbt macros `mask_nik` and `mask_nik_like` (dbt_project/macros/privacy.sql) compile to
SQL with the same regular expressions; tests/unit/test_masking.py proves they agree.
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Any

#: A digit place: a digit, or an `X`/`*` that already stands for one.
PLACE = "0-9Xx*"
_SCI_WHOLE = re.compile(r"\s*'?\s*[0-9][0-9*]*([.,][0-9*]*)?[eE][+-]?[0-9]+\s*")
_SCI_HEAD = re.compile(r"^[^0-9]*(?:[0-9][.,]?){0,4}")
_SCI_MANTISSA = re.compile(r"^[^eE]*")
_HEAD = re.compile(rf"^[^{PLACE}]*(?:[{PLACE}][^{PLACE}]*){{4}}")
_TAIL = re.compile(rf"[{PLACE}](?:[^{PLACE}]*[{PLACE}]){{3}}[^{PLACE}]*$")
_DIGIT = re.compile(r"[0-9Xx]")
#: In text: 12 or more digit places, separated by at most one space, dot, dash or apostrophe
#: — or one letter O, o, I or l, typed for 0 or 1 (`5371O14508950001`).
NIK_LIKE = re.compile(rf"[{PLACE}](?:[ .\-'OoIl]?[{PLACE}]){{11,}}")
#: In text: a number in scientific notation (its exponent decides whether it is NIK-like).
_SCI_TEXT = re.compile(r"(?<![0-9.,])([0-9]+)(?:[.,][0-9]+)?[eE]\+?([0-9]{1,3})(?![0-9])")


def _places(text: str) -> int:
    return sum(1 for char in text if char.isascii() and (char.isdigit() or char in "Xx*"))


def mask_nik(value: Any) -> str:
    """A value of a NIK or KK column, masked whole.

    `5371014508950001` → `5371********0001`; `5371 0145 0895 0001` → `5371 **** **** 0001`;
    `537106050489XXXX` → `5371********XXXX`; `5.37106E+15` → `5.371**E+15`; a value of 8 or
    fewer digit places shows none of them; empty → `(kosong)`."""
    if value is None or value == "":
        return "(kosong)"
    text = str(value)
    if _SCI_WHOLE.fullmatch(text):
        head = _SCI_HEAD.match(text).group()
        rest = text[len(head) :]
        mantissa = _SCI_MANTISSA.match(rest).group()
        return head + _DIGIT.sub("*", mantissa) + rest[len(mantissa) :]
    if _places(text) <= 8:
        return _DIGIT.sub("*", text)
    head = _HEAD.match(text).group()
    rest = text[len(head) :]
    tail = _TAIL.search(rest).group()
    return head + _DIGIT.sub("*", rest[: len(rest) - len(tail)]) + tail


def _mask_sci(match: re.Match[str]) -> str:
    digits_before_point, exponent = match.group(1), int(match.group(2))
    if len(digits_before_point) + exponent < 12:  # fewer than 12 digits: not NIK-like
        return match.group()
    return mask_nik(match.group())


def mask_text(value: Any) -> str:
    """`value` as text with every NIK-like part masked (DESIGN §5); the rest unchanged.

    `found 537106050489XXXX, 5.37106E+15` → `found 5371********XXXX, 5.371**E+15`."""
    text = str(value)
    text = _SCI_TEXT.sub(_mask_sci, text)
    return NIK_LIKE.sub(lambda match: mask_nik(match.group()), text)


def mask_json(value: Any) -> Any:
    """A JSON-like structure with every string masked by `mask_text`, and every number of
    12 or more digits before its point replaced by its masked text (a share such as
    33.333333333333336 stays a number). Keys stay."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {key: mask_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_json(item) for item in value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return value
    if not math.isfinite(value) or abs(value) < 1e11:  # fewer than 12 digits before the point
        return value
    text = str(value)
    masked = mask_text(text)
    return value if masked == text else masked
