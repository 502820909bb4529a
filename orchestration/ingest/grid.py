"""Files as grids of cells: bytes → text → rows, for CSV, XLSX and HTML tables.

Knows nothing about what the cells mean (BPS statistics, agency rosters, registries): it
only turns a file people downloaded or exported into `Grid.rows`, a list of
(row number as a person sees it, cells). Readers of particular forms build on it.

- Text (`decode_text`, for every reader of text files: BPS, registry layouts, rosters):
  UTF-16 with a BOM or without one (detected from the NUL bytes), UTF-8 with or without a
  BOM (a BOM in the leading whitespace is dropped, as BPS's long download puts it after
  spaces), else Windows-1252, else charset-normalizer's guess; a character is never
  replaced or dropped.
- CSV: the delimiter is sniffed (`sniff_delimiter`: from the header row when the reader
  knows what marks it, else from the first lines); leading blanks before the first header
  are not data. Row numbers are the file's lines (a quoted cell spanning lines counts its
  lines).
- XLSX: the first sheet, its row numbers; numbers stay numbers.
- HTML (a "spreadsheet" saved as `.xls` that is an HTML page): block text above the first
  table becomes one-cell title rows, then the table rows with colspan/rowspan laid out as
  a spreadsheet would (spanned cells empty).
- A legacy binary `.xls` (OLE2) is refused with what to do.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import html.parser
import io
from collections.abc import Callable, Iterator
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


def decode_text(raw: bytes) -> tuple[str, str]:
    """Bytes → (text, encoding), never altering a character: UTF-16 with a BOM or without
    one (NUL bytes), UTF-8 (a BOM at the start or after leading blanks is dropped), else
    Windows-1252, else charset-normalizer's best guess; GridError when nothing fits."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16"), "utf-16"
    if encoding := _looks_utf16_without_bom(raw):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    stripped = raw.lstrip(b" \t\r\n")
    if stripped.startswith(codecs.BOM_UTF8):  # BPS's long download puts it after spaces
        raw = raw[: len(raw) - len(stripped)] + stripped[len(codecs.BOM_UTF8) :]
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise GridError("the file is not text in a known encoding (UTF-8, Windows-1252)")
    return str(best), best.encoding


def decode(raw: bytes) -> str:
    """`decode_text` without the encoding."""
    return decode_text(raw)[0]


DELIMITERS = (",", ";", "\t", "|")


def csv_records(text: str, delimiter: str) -> Iterator[tuple[int, list[str | None]]]:
    """Records with the line on which each starts (blank lines are empty records, empty
    cells None); GridError with the line when a quote is never closed."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 0
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise GridError(f"line {start}: {error}") from None
        line = reader.line_num
        yield start, [c if c != "" else None for c in cells]


def sniff_delimiter(
    text: str, is_header: Callable[[object], bool] | None = None, search_rows: int = 20
) -> str:
    """The delimiter of a CSV text.

    With `is_header` (a test for the cell that marks the header row, e.g. a NIK column):
    the delimiter under which a header row appears within `search_rows` records, with the
    most cells and the most records of its width after it. Without: `;` or tab when at least
    half the first 50 non-blank lines carry one, else `,` (title lines above a BPS table).
    """
    if is_header is None:
        lines = [line for line in text.splitlines() if line.strip()][:50]
        counts = {d: sum(line.count(d) for line in lines) for d in (";", "\t", ",")}
        for delimiter in (";", "\t"):
            if counts[delimiter] >= max(1, len(lines) // 2):
                return delimiter
        return ","
    best, best_score = ",", (False, 0, 0)
    for delimiter in DELIMITERS:
        records = []
        try:
            for _, cells in csv_records(text, delimiter):
                records.append(cells)
                if len(records) >= search_rows + 10:
                    break
        except GridError:
            continue
        for i, cells in enumerate(records[:search_rows]):
            if any(is_header(c) for c in cells):
                after = [r for r in records[i + 1 :] if r]
                consistent = sum(1 for r in after if len(r) == len(cells))
                score = (True, len(cells), consistent)
                break
        else:
            score = (False, max((len(r) for r in records), default=0), 0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


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
    try:
        text = decode(raw)
    except GridError as error:
        raise GridError(f"{path.name}: {error}. What to do: save it again as CSV UTF-8.") from None
    if is_html_table(text):
        return html_grid(text)
    if "\x00" in text:
        raise GridError(
            f"{path.name}: a binary file, not a table. What to do: export it as CSV or .xlsx."
        )
    return csv_grid(text)
