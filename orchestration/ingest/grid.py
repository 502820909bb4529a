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
- XLSX (`xlsx_sheets`, for every reader of workbooks: rosters, registry layouts, BPS):
  every sheet as the full workbook shows it, streamed when the workbook has only cells,
  with merged ranges and hidden rows; `xlsx_grid` is the first sheet as a grid (BPS).
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


@dataclass
class Sheet:
    """One worksheet as the full workbook shows it: every row from row 1, as wide as the
    widest row, cell values as openpyxl gives them (numbers stay numbers, dates datetimes,
    a formula its cached value); merged ranges as (first row, first column index, last row,
    last column index), rows 1-based and columns 0-based; hidden rows; whether it is hidden."""

    name: str
    rows: list[list[object]]
    merges: list[tuple[int, int, int, int]]
    hidden_rows: list[int]
    hidden: bool


def xlsx_sheets(path: Path, first_only: bool = False) -> list[Sheet]:
    """The sheets of an .xlsx workbook (GridError when it is not one).

    A workbook whose sheets hold only cells is streamed with openpyxl's read-only mode, which
    is several times faster and lighter than building the whole workbook. Merged cells,
    hyperlinks and comments need the full workbook (read-only sheets cannot report merges, and
    in a full workbook all three create cells, which decides where a sheet ends), so a workbook
    with any of them is loaded fully. Both paths give the same sheets.
    """
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = _load_read_only(path)
        streamable = False
        try:
            streamable = _is_streamable(workbook)
        finally:
            if not streamable:
                workbook.close()
        if not streamable:
            workbook = openpyxl.load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        raise GridError(
            f"{path.name}: cannot be opened as an Excel workbook ({type(error).__name__}). "
            "What to do: open it in Excel or LibreOffice and save it again as .xlsx."
        ) from None
    sheets: list[Sheet] = []
    try:
        for sheet in workbook.worksheets[:1] if first_only else workbook.worksheets:
            if streamable:
                rows, hidden_rows = _stream_sheet(sheet)
                merges: list[tuple[int, int, int, int]] = []
            else:
                rows = [
                    list(row) for row in sheet.iter_rows(min_row=1, min_col=1, values_only=True)
                ]
                merges = [
                    (m.min_row, m.min_col - 1, m.max_row, m.max_col - 1)
                    for m in sheet.merged_cells.ranges
                ]
                hidden_rows = [r for r, dim in sheet.row_dimensions.items() if dim.hidden]
            sheets.append(
                Sheet(sheet.title, rows, merges, hidden_rows, sheet.sheet_state != "visible")
            )
    finally:
        workbook.close()
    return sheets


def xlsx_grid(path: Path) -> Grid:
    """The first sheet of a workbook as a grid: text stripped, dates as text."""
    rows: list[tuple[int, list[Cell]]] = []
    for number, values in enumerate(xlsx_sheets(path, first_only=True)[0].rows, start=1):
        cells: list[Cell] = []
        for value in values:
            if isinstance(value, str):
                cells.append(value.strip())
            elif isinstance(value, (dt.date, dt.datetime)):
                cells.append(str(value))
            else:
                cells.append(value)  # type: ignore[arg-type]
        rows.append((number, cells))
    return Grid(rows, "xlsx")


def _load_read_only(path: Path):
    """`openpyxl.load_workbook(path, read_only=True, data_only=True)` with a faster reader of
    the shared strings (see `_shared_strings`)."""
    from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader

    class _Reader(ExcelReader):
        def read_strings(self) -> None:
            part = self.package.find(SHARED_STRINGS)
            if part is not None:
                with self.archive.open(part.PartName[1:]) as source:
                    self.shared_strings = _shared_strings(source)

    reader = _Reader(path, read_only=True, data_only=True)
    reader.read()
    return reader.wb


def _shared_strings(source) -> list[str]:
    """openpyxl's `read_string_table`, without building a `Text` object for the plain strings
    (`<si><t>…</t></si>`, nearly all of them); any other string goes through `Text`."""
    from openpyxl.cell.text import Text
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    string_tag, text_tag = f"{{{SHEET_MAIN_NS}}}si", f"{{{SHEET_MAIN_NS}}}t"
    strings = []
    for _, node in iterparse(source):
        if node.tag == string_tag:
            if len(node) == 1 and node[0].tag == text_tag:
                text = node[0].text or ""
            else:
                text = Text.from_tree(node).content
            strings.append(text.replace("x005F_", ""))
            node.clear()
    return strings


# Sheet XML that makes openpyxl's full workbook differ from the cells alone (see _read_xlsx).
# Matched as bytes, so any namespace prefix matches too; a false match only costs speed.
_FULL_WORKBOOK_MARKERS = (b"mergeCell", b"hyperlink")


def _is_streamable(workbook) -> bool:
    """No sheet of this read-only workbook has merged cells or hyperlinks, and it has no
    comments: its sheets can be streamed (the raw XML is scanned; no cell is parsed)."""
    archive = workbook._archive
    if any("comments" in name.lower() for name in archive.namelist()):
        return False
    for sheet in workbook.worksheets:
        tail = b""
        with archive.open(sheet._worksheet_path) as source:
            for block in iter(lambda source=source: source.read(1 << 20), b""):
                window = tail + block
                if any(marker in window for marker in _FULL_WORKBOOK_MARKERS):
                    return False
                tail = block[-16:]
    return True


def _stream_sheet(sheet) -> tuple[list[list[object]], list[int]]:
    """A read-only sheet as the full workbook's `iter_rows(min_row=1, min_col=1)` gives it:
    rows 1 … last row with a cell, each as wide as the widest row, missing cells None (a
    `<c>` element without a value counts, as it does in the full workbook); plus the row
    numbers marked hidden.

    The values come from openpyxl's own sheet parser, the one the full workbook uses, so
    numbers, dates, booleans, shared and inline strings are converted identically.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    book = sheet.parent
    cells: dict[int, dict[int, object]] = {}
    last_row = last_column = 0
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=book.data_only,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for _, row in parser.parse():
            for cell in row:
                r, c = cell["row"], cell["column"]
                cells.setdefault(r, {})[c] = cell["value"]
                last_column = max(last_column, c)
                last_row = max(last_row, r)
    if not cells:  # an empty sheet is one empty cell, as in the full workbook
        last_row = last_column = 1
    width = range(1, last_column + 1)
    grid = []
    for r in range(1, last_row + 1):
        values = cells.get(r)
        grid.append([values.get(c) for c in width] if values else [None] * last_column)
    # openpyxl's RowDimension.hidden reads 'false', 'f' and '0' as False, any other text True.
    hidden = [
        int(r)
        for r, attrs in parser.row_dimensions.items()
        if attrs.get("hidden", "0") not in ("false", "f", "0", "")
    ]
    return grid, hidden


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
