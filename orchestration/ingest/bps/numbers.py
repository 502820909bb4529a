"""Numbers as BPS writes them: the decimal rule, decided once per file (DESIGN §2).

A value with both "." and "," uses the last one as the decimal mark, the other as
thousands separator. Otherwise a separator is a thousands separator only if EVERY value
carrying it looks like thousands groups (`535.547`, `1.234.567`); else it is the decimal
mark. If a file has both ","-values and "."-values, Indonesian style (decimal comma,
thousands dot) is tried first, then English; a file that fits neither is an error. So
`8.61` is 8.61, `8,61` is 8.61, `535.547` alone is 535547, and `8,61` beside `535.547` is
8.61 and 535547. `-`, `–`, `…`, `...`, `NA`, `N/A` and empty mean missing. XLSX and JSON
numbers are numbers already.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from orchestration.ingest.bps.common import BpsFileError

MISSING = {"", "-", "–", "—", "…", "...", "..", "na", "n/a", "n.a", "n.a.", "nan", "none"}


def is_missing_text(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in MISSING)


_THOUSANDS = {".": re.compile(r"^\d{1,3}(\.\d{3})+$"), ",": re.compile(r"^\d{1,3}(,\d{3})+$")}


def _clean_number_text(text: str) -> str:
    text = str(text).strip().replace("\u00a0", "").replace(" ", "")
    text = text.rstrip("*").removesuffix("%").strip()
    if text.lower().startswith("rp"):
        text = text[2:].lstrip(".")
    return text.lstrip("+").removeprefix("-")


class NumberRule:
    """Decimal/thousands separators, decided once for a whole file (module docstring)."""

    def __init__(self, texts: Iterable[str], file: str):
        decimal: set[str] = set()
        comma_cells: list[str] = []
        dot_cells: list[str] = []
        for raw in texts:
            if is_missing_text(raw):
                continue
            text = _clean_number_text(raw)
            if "," in text and "." in text:
                decimal.add("," if text.rfind(",") > text.rfind(".") else ".")
            elif "," in text:
                comma_cells.append(text)
            elif "." in text:
                dot_cells.append(text)
        if len(decimal) > 1:
            raise BpsFileError(
                f"{file}: some numbers use ',' and others '.' as the decimal mark "
                "(e.g. 1.234,5 and 1,234.5). What to do: save the table again from BPS in "
                "one language setting."
            )
        commas_thousands = all(_THOUSANDS[","].match(t) for t in comma_cells)
        dots_thousands = all(_THOUSANDS["."].match(t) for t in dot_cells)
        if decimal:
            self.decimal = decimal.pop()
        elif comma_cells and dot_cells:
            if dots_thousands:
                self.decimal = ","
            elif commas_thousands:
                self.decimal = "."
            else:
                raise BpsFileError(
                    f"{file}: numbers use both ',' and '.' as decimal marks (e.g. "
                    f"{comma_cells[0]} and {dot_cells[0]}). What to do: save the table again "
                    "from BPS, or use the tidy CSV form with '.' decimals."
                )
        elif comma_cells:
            self.decimal = "." if commas_thousands else ","
        elif dot_cells:
            self.decimal = "," if dots_thousands else "."
        else:
            self.decimal = "."
        self.thousands = "," if self.decimal == "." else "."

    def parse(self, raw: object) -> float | None:
        """A cell as a float; None when missing; ValueError when it is not a number."""
        if raw is None:
            return None
        if isinstance(raw, bool):
            raise ValueError(raw)
        if isinstance(raw, (int, float)):
            return None if raw != raw else float(raw)  # NaN → missing
        text = str(raw).strip()
        if text.lower() in MISSING:
            return None
        cleaned = str(raw).strip().replace("\u00a0", "").replace(" ", "").rstrip("*")
        cleaned = cleaned.removesuffix("%")
        if cleaned.lower().startswith("rp"):
            cleaned = cleaned[2:].lstrip(".")
        cleaned = cleaned.replace(self.thousands, "").replace(self.decimal, ".")
        if not re.fullmatch(r"[+-]?\d+(\.\d+)?", cleaned):
            raise ValueError(raw)
        return float(cleaned)
