"""What every export's layout shares, so that each is written once: files written
atomically, CSV tables (numbers as the workbook shows them, text no spreadsheet evaluates),
and the workbook toolkit (xlsxwriter formats, column widths and row heights, notes across a
table, the print layout, sheet names).

The report models (`rpjmd.py`, `cakupan.py`) never import this module: a layout reads a
model, never the other way round.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from orchestration.export.common import BAD, GOOD, WARNING, clean

# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` in one rename,
    so nobody ever opens a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.tmp{path.suffix}")
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------

#: What a spreadsheet takes for the start of a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9][0-9.,]*%?")  # as csv_number writes them


def inert_text(value: Any) -> Any:
    """A text cell of a CSV export that no spreadsheet evaluates: a value from a file that
    starts like a formula (`=HYPERLINK(…)`, `+62…`, `@SUM(…)`) gets a leading `'`, which
    Excel and LibreOffice show as text. Numbers (`-1.50`) and other values pass unchanged."""
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def csv_number(value: Any, decimals: int = 2, scale: float = 1.0) -> str:
    """A number as the workbook shows it: rounded, dot decimals; empty for no data."""
    value = clean(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, int) and scale == 1.0:
        return str(value)
    number = round(float(value) * scale, decimals)
    if decimals == 0:
        return str(int(number))
    return f"{number:.{decimals}f}"


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Comma-separated, UTF-8 with BOM (so Excel reads the Indonesian text right); text that
    would start a formula is made inert (`inert_text`)."""
    with atomic_output(path) as tmp, tmp.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([inert_text(cell) for cell in row] for row in rows)


# --------------------------------------------------------------------------------------------
# Workbooks
# --------------------------------------------------------------------------------------------


def new_workbook(path: Path, **options: Any) -> Any:
    """An xlsxwriter workbook that writes every string as text, never as a formula or a link:
    a name like `=HYPERLINK(…)` from an agency's file stays the text it was (DESIGN §5)."""
    import xlsxwriter

    return xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_urls": False, **options}
    )


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_MAX = 31  # Excel's limit


def sheet_name(title: str, used: set[str]) -> str:
    """A valid, unique Excel sheet name (≤ 31 characters, no []:*?/\\); adds it to `used`."""
    name = _SHEET_FORBIDDEN.sub(" ", title).replace("Kabupaten ", "Kab. ").strip(" '")
    name = re.sub(r"\s+", " ", name)[:SHEET_NAME_MAX].rstrip() or "Sheet"
    candidate, n = name, 2
    while candidate.lower() in {u.lower() for u in used}:
        suffix = f" ({n})"
        candidate = name[: SHEET_NAME_MAX - len(suffix)].rstrip() + suffix
        n += 1
    used.add(candidate)
    return candidate


#: Number formats and colours.
NUMBER_2 = "#,##0.00"
INTEGER = "#,##0"
PERCENT_2 = "0.00%"
YEAR = "0"
DATE = "dd/mm/yyyy"

HEADER_FILL = "#DDEBF7"
HEADER_HIGHLIGHT_FILL = "#9BC2E6"  # the evaluation year's columns
TOTAL_FILL = "#F2F2F2"
RED = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}
ORANGE = {"bg_color": "#FFEB9C", "font_color": "#9C5700"}
GREEN = {"bg_color": "#C6EFCE", "font_color": "#006100"}


class Formats:
    """The formats of one workbook, created once and reused (xlsxwriter keeps each one)."""

    def __init__(self, workbook: Any):
        self._workbook = workbook
        self._cache: dict[tuple, Any] = {}
        base = {"font_name": "Arial", "font_size": 9, "valign": "top"}
        self.base = base
        self.title = self.get(bold=True, font_size=12, valign="vcenter")
        self.subtitle = self.get(bold=True, font_size=10, valign="vcenter")
        self.note = self.get(
            italic=True, font_size=8, font_color="#404040", text_wrap=True, valign="top"
        )
        self.note_inline = self.get(italic=True, font_size=8, font_color="#404040")
        self.source = self.get(bold=True, font_size=8, text_wrap=True, valign="top")
        self.header = self.get(
            bold=True,
            text_wrap=True,
            align="center",
            valign="vcenter",
            border=1,
            bg_color=HEADER_FILL,
        )
        self.column_number = self.get(
            italic=True, font_size=7, align="center", border=1, font_color="#595959"
        )
        self.header_highlight = self.get(
            bold=True,
            text_wrap=True,
            align="center",
            valign="vcenter",
            border=1,
            bg_color=HEADER_HIGHLIGHT_FILL,
        )
        self.red = workbook.add_format(RED)
        self.orange = workbook.add_format(ORANGE)
        self.green = workbook.add_format(GREEN)
        #: A model's tone (common.GOOD, WARNING, BAD) → its conditional colour.
        self.tone = {GOOD: self.green, WARNING: self.orange, BAD: self.red}

    def get(self, **props: Any) -> Any:
        """A format with these properties on top of the base font (cached)."""
        key = tuple(sorted(props.items()))
        if key not in self._cache:
            self._cache[key] = self._workbook.add_format({**self.base, **props})
        return self._cache[key]

    def cell(self, num_format: str | None = None, *, bold: bool = False, **props: Any) -> Any:
        """A bordered table cell; numbers right-aligned by Excel, text wrapped."""
        extra: dict[str, Any] = {"border": 1, **props}
        if num_format:
            extra["num_format"] = num_format
        else:
            extra.setdefault("text_wrap", True)
        if bold:
            extra["bold"] = True
            extra["bg_color"] = TOTAL_FILL
        return self.get(**extra)


#: Characters of 9-point Arial per unit of Excel column width (a unit is one "0" of the
#: default 11-point font), kept on the low side so estimated rows are never too short.
CHARS_PER_WIDTH = 1.15
LINE_HEIGHT = 12.0  # points per line of 9-point text


def wrapped_lines(text: str, width: float) -> int:
    """How many lines `text` takes when wrapped at word boundaries in a column this wide."""
    per_line = max(1, int(width * CHARS_PER_WIDTH))
    total = 0
    for paragraph in str(text).split("\n"):
        lines, length = 1, 0
        for word in paragraph.split():
            if length == 0:
                length = len(word)
            elif length + 1 + len(word) <= per_line:
                length += 1 + len(word)
            else:
                lines, length = lines + 1, len(word)
            while length > per_line:  # a word longer than the line breaks anywhere
                lines, length = lines + 1, length - per_line
        total += lines
    return total


def row_height(cells: Iterable[tuple[Any, float]]) -> float | None:
    """Height (points) for a row whose wrapped text cells are (text, column width) pairs;
    None when one line is enough. Excel and LibreOffice do not grow rows written by
    xlsxwriter to fit wrapped text, so the writer sets them."""
    lines = max((wrapped_lines(t, w) for t, w in cells if isinstance(t, str) and t), default=1)
    return None if lines <= 1 else lines * LINE_HEIGHT + 2


def write_value(sheet: Any, row: int, col: int, value: Any, cell_format: Any) -> None:
    """Write a number, text or date; a missing value becomes an empty (formatted) cell."""
    value = clean(value)
    if value is None:
        sheet.write_blank(row, col, None, cell_format)
    elif isinstance(value, bool):
        sheet.write_string(row, col, "ya" if value else "tidak", cell_format)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, cell_format)
    elif isinstance(value, dt.datetime | dt.date):
        sheet.write_datetime(row, col, value, cell_format)
    else:
        sheet.write_string(row, col, str(value), cell_format)


def write_note(
    sheet: Any, row: int, first_col: int, widths: Sequence[float], text: str, cell_format: Any
) -> None:
    """A note across the table's width (columns first_col … first_col + len(widths) − 1),
    wrapped, in a row tall enough for it: long lines stay inside the printed page."""
    last_col = first_col + len(widths) - 1
    if last_col > first_col:
        sheet.merge_range(row, first_col, row, last_col, text, cell_format)
    else:
        sheet.write(row, first_col, text, cell_format)
    height = row_height([(text, sum(widths) * 1.1)])  # notes are 8-point, a little denser
    if height:
        sheet.set_row(row, height)


def set_print_layout(sheet: Any, header_rows: tuple[int, int], footer: str) -> None:
    """A4 landscape, one page wide, header rows repeated on every page, `footer` (short:
    Excel allows 255 characters) at the bottom left and the page number at the right."""
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(*header_rows)
    sheet.hide_gridlines(2)
    sheet.set_footer(f"&L&7{footer[:200].replace('&', '&&')}&R&7Halaman &P dari &N")
