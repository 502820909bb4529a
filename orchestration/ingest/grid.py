"""Files as grids of cells: bytes → text → rows, for CSV, XLSX and HTML tables.

Knows nothing about what the cells mean (BPS statistics, agency rosters, registries): it
only turns a file people downloaded or exported into `Grid.rows`, a list of
(row number as a person sees it, cells). Readers of particular forms build on it.

- Text: UTF-8 with or without a BOM (a BOM anywhere in the leading whitespace is dropped,
  as BPS's long download puts it after spaces), UTF-16 with a BOM or without one (detected
  from the NUL bytes), else Windows-1252 (every byte decodes, so it is the last resort).
- CSV: the delimiter (`;`, tab, `,`) is sniffed from the first lines; leading blanks
  before the first header are not data. Row numbers are the file's lines (a quoted cell
  spanning lines counts its lines).
- XLSX: the first sheet, its row numbers; numbers stay numbers.
- HTML (a "spreadsheet" saved as `.xls` that is an HTML page): block text above the first
  table becomes one-cell title rows, then the table rows with colspan/rowspan laid out as
  a spreadsheet would (spanned cells empty).
- A legacy binary `.xls` (OLE2) is refused with what to do.
"""

from __future__ import annotations

import csv
import datetime as dt
import html.parser
import io
from dataclasses import dataclass
from pathlib import Path

Cell = str | int | float | None


class GridError(ValueError):
    """A file that is not a readable grid; the message says what to do."""


@dataclass
class Grid:
    rows: list[tuple[int, list[Cell]]]  # (row number in the source, cells)
    kind: str  # csv / xlsx / html


def cell_text(cell: Cell) -> str:
    """A cell as stripped text; an integral float (from XLSX) without its `.0`."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def nonempty(cells: list[Cell]) -> int:
    """How many cells of a row hold text."""
    return sum(1 for c in cells if cell_text(c))


def _looks_utf16_without_bom(raw: bytes) -> str | None:
    sample = raw[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) // 2
    if odd > half * 0.4 and even < half * 0.05:
        return "utf-16-le"
    if even > half * 0.4 and odd < half * 0.05:
        return "utf-16-be"
    return None


def decode(raw: bytes) -> str:
    """Bytes → text: UTF-8 (BOM or not), UTF-16 (BOM or not), else Windows-1252."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = raw.decode("utf-16")
    elif encoding := _looks_utf16_without_bom(raw):
        text = raw.decode(encoding, errors="replace")
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
    # A BOM may come first or after leading spaces (BPS's long download): it is never data.
    return text.replace("\ufeff", "")


def sniff_delimiter(text: str) -> str:
    """`;` or tab when at least half the first 50 non-blank lines carry one, else `,`."""
    lines = [line for line in text.splitlines() if line.strip()][:50]
    counts = {d: sum(line.count(d) for line in lines) for d in (";", "\t", ",")}
    if counts[";"] >= max(1, len(lines) // 2):
        return ";"
    if counts["\t"] >= max(1, len(lines) // 2):
        return "\t"
    return ","


def csv_grid(text: str) -> Grid:
    lines = text.split("\n")
    for i, line in enumerate(lines):  # leading spaces before the first header are not data
        if line.strip():
            lines[i] = line.lstrip(" \t")
            break
    text = "\n".join(lines)
    reader = csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text), skipinitialspace=True)
    rows: list[tuple[int, list[Cell]]] = []
    start = 1
    for record in reader:
        cells: list[Cell] = [c.strip() for c in record]
        rows.append((start, cells))
        start = reader.line_num + 1
    return Grid(rows, "csv")


def xlsx_grid(path: Path) -> Grid:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds
        raise GridError(
            f"{path.name}: cannot be opened as an Excel workbook ({error}). What to do: open "
            "it in Excel or LibreOffice and save it again as .xlsx."
        ) from None
    try:
        sheet = workbook.worksheets[0]
        rows: list[tuple[int, list[Cell]]] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells: list[Cell] = []
            for value in values:
                if isinstance(value, str):
                    cells.append(value.strip())
                elif isinstance(value, (dt.date, dt.datetime)):
                    cells.append(str(value))
                else:
                    cells.append(value)
            rows.append((number, cells))
    finally:
        workbook.close()
    return Grid(rows, "xlsx")


class _HtmlTables(html.parser.HTMLParser):
    """Rows of an HTML page: block text before the first table as title rows, then the
    table rows with colspan/rowspan laid out as a spreadsheet would (spanned cells empty)."""

    _BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "div", "caption", "span", "b"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._text: list[str] = []
        self._in_table = 0
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._span = 1
        self._rowspan = 1
        self._pending: dict[int, int] = {}  # column → rows still covered by a rowspan
        self._skip = 0

    def flush_text(self) -> None:
        text = " ".join("".join(self._text).split())
        if text and not self._in_table:
            self.rows.append([text])
        self._text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "head"):  # not shown when Excel opens the file
            self._skip += 1
        elif tag == "table":
            self.flush_text()
            self._in_table += 1
        elif tag == "tr" and self._in_table:
            self._row = []
            self._fill_pending()
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._span = int(attrs.get("colspan") or 1)
            self._rowspan = int(attrs.get("rowspan") or 1)
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")
        elif tag in self._BLOCKS and not self._in_table:
            self.flush_text()

    def _fill_pending(self) -> None:
        while self._row is not None and self._pending.get(len(self._row), 0) > 0:
            self._pending[len(self._row)] -= 1
            self._row.append("")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            text = " ".join("".join(self._cell).split())
            for offset in range(self._span):
                column = len(self._row)
                if self._rowspan > 1:
                    self._pending[column] = self._rowspan - 1
                self._row.append(text if offset == 0 else "")
                self._fill_pending()
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._fill_pending()
            self.rows.append(self._row)
            self._row = None
        elif tag == "table":
            self._in_table = max(0, self._in_table - 1)
        elif tag in self._BLOCKS and not self._in_table:
            self.flush_text()

    def handle_data(self, data):
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        elif not self._in_table:
            self._text.append(data)


def html_grid(text: str) -> Grid:
    parser = _HtmlTables()
    parser.feed(text)
    parser.close()
    parser.flush_text()
    return Grid([(i, list(row)) for i, row in enumerate(parser.rows, start=1)], "html")


def is_html_table(text: str) -> bool:
    head = text.lstrip()[:4096].lower()
    return head.startswith("<") and "<table" in text.lower()


def read_grid(path: Path, raw: bytes | None = None) -> Grid:
    """A CSV, XLSX or HTML-table file as a grid, whatever its extension says."""
    path = Path(path)
    raw = path.read_bytes() if raw is None else raw
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise GridError(
            f"{path.name}: an old binary Excel (.xls) workbook, which tepat does not read. "
            "What to do: open it and save it as .xlsx or CSV, then run again."
        )
    if raw.startswith(b"PK\x03\x04"):
        return xlsx_grid(path)
    text = decode(raw)
    if is_html_table(text):
        return html_grid(text)
    if "\x00" in text:
        raise GridError(
            f"{path.name}: a binary file, not a table. What to do: export it as CSV or .xlsx."
        )
    return csv_grid(text)
