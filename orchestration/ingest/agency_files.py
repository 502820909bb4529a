"""Agency (OPD) roster files as they really arrive: xlsx with title blocks and footers, CSV in
any of the usual encodings and separators (DESIGN §2, §2.3).

`read_agency_table` turns one file into text columns with canonical names, keeping every value
as the person sees it, plus where each row came from:

- `_row_number` — the row a person sees in Excel (the header's real position counts: with the
  header on row 4 the first data row is 5), or for CSV the line on which the record starts
  (a quoted field may span lines);
- `_sheet` — the sheet name (null for CSV);
- `_nik_asal` — how the NIK arrived: `teks`, `angka` (a numeric cell: Excel keeps only 15
  significant digits, so the 16th is lost), `notasi_ilmiah` (text such as `5.37101E+15`), or
  null when the NIK cell is empty;
- `_baris_rusak` (only when a CSV has such lines) — a line with more (`kolom_berlebih`) or
  fewer (`kolom_kurang`) fields than the file's other lines: its cells cannot be trusted to
  sit under the right headers, so the row keeps no values, only its line and this reason
  (the loader quarantines it in a roster and refuses any other file with it).

What is NOT data and is dropped (always with a warning that gives the rows):
- everything above the header row (title block). The header is the first row, within the
  first `HEADER_SEARCH_ROWS` rows, with a NIK-like cell (`NIK`, `N I K`, `No. NIK`,
  `Nomor Induk Kependudukan`, …);
- empty rows; a column-numbering row (1, 2, 3 … or (1), (2) …) directly under the header;
  a repeated header row;
- footer rows: a row whose NIK cell holds no NIK (no digit) AND that looks like a total or a
  signature block (`JUMLAH`, `Total`, `Kupang, 12 Maret 2025`, `Mengetahui`,
  `Kepala Dinas …`, `NIP. …`, ranks such as `Pembina`), plus the rows without a NIK that
  directly follow such a row (the signer's name) until a row with a NIK appears again.
  A row without a NIK that does not look like a footer (e.g. it has a name) is data and kept,
  so the quarantine can report it.

Cells are rendered as text: numbers as plain digits when integral (`750000`, a NIK cell
`5371011505800000`), otherwise with a dot decimal (`1500.5`, up to 15 significant digits as
Excel shows them); date cells as ISO `YYYY-MM-DD` (`YYYY-MM-DDTHH:MM:SS` when they carry a time);
booleans as `TRUE`/`FALSE`; text cells exactly as typed (an empty text cell is null). A cell
that is merged vertically (one column, several rows) shows its value on each of those rows,
as the person sees it; horizontal merges keep the value in their first cell only.

The warehouse cleans values later, in SQL (amounts, dates and the recovery of NIKs that
Excel turned into numbers are dbt macros and models); `match_kelurahan` is the helper the
loader calls to turn kelurahan names into codes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from orchestration.ingest.grid import (
    GridError,
    csv_records,
    decode_text,
    sniff_delimiter,
    xlsx_sheets,
)
from orchestration.ingest.vocabulary import (
    RawFileError,
    canonical_header,
    header_key,
    is_nik_header,
)

#: The header row is looked for within this many rows (xlsx) or records (CSV).
HEADER_SEARCH_ROWS = 20

NIK_ASAL_TEKS = "teks"
NIK_ASAL_ANGKA = "angka"
NIK_ASAL_NOTASI_ILMIAH = "notasi_ilmiah"

_MONTHS = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "feb": 2, "pebruari": 2, "peb": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nov": 11, "nop": 11, "nopember": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12,
}  # fmt: skip
_MONTH_WORDS = "|".join(sorted(_MONTHS, key=len, reverse=True))

# A cell that marks a totals row or a signature block (matched on the stripped, casefolded text).
_FOOTER_PATTERNS = [
    re.compile(r"^(sub\s*|grand\s*)?(jumlah|total)\b"),
    re.compile(
        r"^(mengetahui|menyetujui|disetujui|diperiksa|dibuat|yang\s+membuat|tertanda|ttd)\b"
    ),
    re.compile(
        r"^(plt|plh|pj|a\.?\s*n)\.?\s+|^kepala\s+(dinas|badan|bidang|kantor|bagian|seksi|sub|uptd?)"
    ),
    re.compile(r"^(sekretaris|bendahara|pejabat\s+pembuat|kasubag|kabid)\b"),
    re.compile(r"^nip\b"),
    re.compile(r"^(pembina|penata|pengatur|juru)(\s+(utama|muda|tingkat|tk)\b.*)?$"),
    re.compile(r"^(catatan|keterangan)\s*:"),
    re.compile(rf"^[a-z][a-z .'\-]*,\s*(\d{{1,2}}\s+)?({_MONTH_WORDS})\s+\d{{4}}$"),
]

_SCIENTIFIC = re.compile(r"^\s*'?\s*[+-]?\d+(?:[.,]\d+)?\s*[eE]\s*[+-]?\s*\d+\s*$")
_NUMBERING_CELL = re.compile(r"^\(?(\d{1,3})\)?$")


@dataclass
class AgencyTable:
    """One agency file, read. `rows` holds `columns` (text) + `_row_number`, `_sheet`,
    `_nik_asal`; `headers` maps each canonical column to the header as first written."""

    columns: list[str]
    rows: pa.Table
    warnings: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


def agency_header(name: str, known_columns: tuple[str, ...]) -> str:
    """`vocabulary.canonical_header`: the one header vocabulary (`No. NIK`, `Desa/Kelurahan`…)."""
    return canonical_header(name, known_columns)


def nik_asal(value: object) -> str | None:
    """How a NIK cell arrived: `angka`, `notasi_ilmiah`, `teks`, or None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return NIK_ASAL_ANGKA
    if isinstance(value, str) and _SCIENTIFIC.match(value):
        return NIK_ASAL_NOTASI_ILMIAH
    return NIK_ASAL_TEKS


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def read_agency_table(
    path: Path,
    known_columns: tuple[str, ...],
    *,
    key_column: str = "nik",
    sheets: tuple[str, ...] | None = None,
) -> AgencyTable:
    """Read an agency roster (.xlsx/.xlsm or .csv/.txt) — see the module docstring.

    `key_column` is the column whose header marks the header row and whose cells tell data
    from footers (the NIK for rosters; a registry layout names its own, e.g. `kode_desa`).
    `sheets` (names, matched like headers) reads only those sheets of a workbook, each of
    which must exist.

    Raises RawFileError when the file cannot be read, when no sheet has the key header, when
    a named sheet is missing, or when two headers of one sheet mean the same column.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        blocks, file_warnings = _read_xlsx(path)
    elif suffix in (".csv", ".txt"):
        blocks, file_warnings = _read_csv(path)
    else:
        raise RawFileError(f"{path.name}: unsupported file type '{suffix}' (use .xlsx or .csv)")
    if sheets is not None and suffix in (".xlsx", ".xlsm"):
        wanted = {header_key(name): name for name in sheets}
        found = {header_key(b.sheet): b for b in blocks}
        missing = [name for key, name in wanted.items() if key not in found]
        if missing:
            raise RawFileError(
                f"{path.name}: no sheet named {', '.join(repr(m) for m in missing)} (sheets: "
                f"{', '.join(repr(b.sheet) for b in blocks)}); keep the workbook's sheets as "
                "they were distributed"
            )
        blocks = [found[key] for key in wanted]
        file_warnings = [w for w in file_warnings if any(f"'{b.sheet}'" in w for b in blocks)]

    if key_column == "nik":
        is_key, what = is_nik_header, "NIK column"
    else:

        def is_key(value: object) -> bool:
            return isinstance(value, str) and canonical_header(value, known_columns) == key_column

        what = f"'{key_column}' column"
    parsed: list[_Parsed] = []
    warnings = list(file_warnings)
    for block in blocks:
        result = _parse_block(block, known_columns, warnings, is_key, what)
        if result is not None:
            parsed.append(result)
    if not parsed:
        where = "sheet" if suffix in (".xlsx", ".xlsm") else "line"
        example = "such as 'NIK' or 'No. NIK'" if key_column == "nik" else f"for '{key_column}'"
        raise RawFileError(
            f"{path.name}: no {what} found (looked for a header {example} "
            f"in the first {HEADER_SEARCH_ROWS} rows of every {where}). What to do: add the "
            "column with its header, or ask the agency for the list with that column"
        )
    return _combine(parsed, warnings)


@dataclass
class _Parsed:
    sheet: str | None
    columns: list[str]
    headers: list[str]
    rows: list[tuple[int, list[str | None], str | None]]  # row number, cells, _nik_asal
    #: CSV lines with more or fewer fields than the others: row number → reason
    ragged: dict[int, str] = field(default_factory=dict)


Record = tuple[int, list[object]]


@dataclass
class _Block:
    """One sheet (or a CSV): every row from row 1 with its number, and merged ranges as
    (first row, first column index, last row, last column index); rows 1-based, columns 0-based.
    """

    sheet: str | None
    records: list[Record]
    merges: list[tuple[int, int, int, int]]


def _label(sheet: str | None) -> str:
    return f"sheet '{sheet}'" if sheet is not None else "file"


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_footer_text(value: object) -> bool:
    if not isinstance(value, str):
        return False
    text = " ".join(value.split()).casefold()
    return any(pattern.search(text) for pattern in _FOOTER_PATTERNS)


def _has_nik(value: object) -> bool:
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    text = str(value)
    if text.isdigit():
        return True
    return any(ch.isdigit() for ch in text) and not _is_footer_text(text)


def _is_numbering_row(cells: list[object]) -> bool:
    numbers = []
    for value in cells:
        if _blank(value):
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            numbers.append(value)
            continue
        if isinstance(value, float) and value.is_integer():
            numbers.append(int(value))
            continue
        match = _NUMBERING_CELL.match(str(value).strip())
        if not match:
            return False
        numbers.append(int(match.group(1)))
    return len(numbers) >= 3 and numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:8])
    return shown + (f" … ({len(rows)} rows)" if len(rows) > 8 else "")


def _parse_block(
    block: _Block,
    known_columns: tuple[str, ...],
    warnings: list[str],
    is_key=is_nik_header,
    what: str = "NIK column",
) -> _Parsed | None:
    sheet, records = block.sheet, block.records
    header: list[object] | None = None
    position = 0
    seen_any = False
    for index, (_, cells) in enumerate(records[:HEADER_SEARCH_ROWS]):
        if any(not _blank(v) for v in cells):
            seen_any = True
        if any(is_key(v) for v in cells):
            header, position = list(cells), index
            break
    if header is None:
        if seen_any:
            warnings.append(
                f"{_label(sheet)} skipped: no {what} in its first {HEADER_SEARCH_ROWS} rows"
            )
        return None
    header_row = records[position][0]
    header, depth = _merged_header(header, header_row, records, block.merges)
    body = [list(cells) for _, cells in records[position + 1 + depth :]]
    numbers = [n for n, _ in records[position + 1 + depth :]]
    # Vertically merged data cells (one column, several rows) show their value on each row.
    first_body_row = header_row + depth + 1
    for top, col, bottom, right in block.merges:
        if col != right or bottom <= top or top < first_body_row:
            continue
        start = top - first_body_row
        if start >= len(body) or col >= len(body[start]):
            continue
        for r in range(start + 1, min(bottom - first_body_row + 1, len(body))):
            if col < len(body[r]):
                body[r][col] = body[start][col]
    iterator = zip(numbers, body, strict=True)

    key_index = next(i for i, v in enumerate(header) if is_key(v))
    nik_index = next((i for i, v in enumerate(header) if is_nik_header(v)), None)
    kept: list[tuple[int, list[object]]] = []
    footer: list[int] = []
    numbering: list[int] = []
    repeated: list[int] = []
    in_footer = False
    first_after_header = True
    for row_number, cells in iterator:
        if all(_blank(v) for v in cells):
            continue
        key_cell = cells[key_index] if key_index < len(cells) else None
        if first_after_header and _is_numbering_row(cells):
            numbering.append(row_number)
            first_after_header = False
            continue
        first_after_header = False
        if isinstance(key_cell, str) and not key_cell.isdigit() and is_key(key_cell):
            repeated.append(row_number)
            continue
        if not _has_nik(key_cell) and (in_footer or any(_is_footer_text(v) for v in cells)):
            footer.append(row_number)
            in_footer = True
            continue
        in_footer = False
        kept.append((row_number, cells))

    ragged = _ragged_lines(header, kept) if sheet is None else {}
    if ragged:
        kept = [(n, cells) for n, cells in kept if n not in ragged]

    label = _label(sheet)
    if numbering:
        warnings.append(f"{label}: row {numbering[0]} numbers the columns (1, 2, 3 …); skipped")
    if repeated:
        warnings.append(f"{label}: repeated header row(s) skipped: {_rows_text(repeated)}")
    if footer:
        warnings.append(
            f"{label}: {len(footer)} totals/signature row(s) without a NIK dropped: "
            f"{_rows_text(footer)}"
        )

    # Columns: the header's, plus unnamed columns that hold data in kept rows.
    width = max([len(header), *(len(c) for _, c in kept)])
    names: list[str] = []
    headers: list[str] = []
    used: list[int] = []
    seen: dict[str, str] = {}
    for i in range(width):
        raw = header[i] if i < len(header) else None
        text = _cell_text(raw)
        if text is None or not text.strip():
            if not any(i < len(c) and not _blank(c[i]) for _, c in kept):
                continue
            name = f"kolom_{_column_letter(i) if sheet is not None else i + 1}"
            text = ""
            warnings.append(f"{label}: column {name[6:]} has data but no header; kept as '{name}'")
        else:
            name = agency_header(text, known_columns)
        if name in seen:
            raise RawFileError(
                f"{label}: columns '{seen[name]}' and '{text}' both mean '{name}'; keep one of them"
            )
        seen[name] = text
        names.append(name)
        headers.append(text.strip())
        used.append(i)

    rows = []
    for row_number, cells in kept:
        values = [_cell_text(cells[i]) if i < len(cells) else None for i in used]
        nik_cell = cells[nik_index] if nik_index is not None and nik_index < len(cells) else None
        rows.append((row_number, values, nik_asal(nik_cell)))
    if not rows and not ragged:
        warnings.append(f"{label}: header on row {header_row} but no data rows")
    return _Parsed(sheet=sheet, columns=names, headers=headers, rows=rows, ragged=ragged)


def _ragged_lines(header: list[object], kept: list[tuple[int, list[object]]]) -> dict[int, str]:
    """CSV lines whose number of fields differs from the file's: the width most data lines
    have (the header's when they agree or tie). Empty cells at the end of a line do not
    count: `a;b;;` is as wide as `a;b`. A line of another width is `kolom_berlebih` (an
    extra field) or `kolom_kurang` (a missing one)."""

    def width(cells: list[object]) -> int:
        filled = [i for i, v in enumerate(cells) if not _blank(v)]
        return len(cells) if not filled else max(len(cells), filled[-1] + 1)

    header_width = len(header)
    widths: dict[int, int] = {}
    for _, cells in kept:
        widths[len(cells)] = widths.get(len(cells), 0) + 1
    if not widths:
        return {}
    usual = max(widths, key=lambda w: (widths[w], w == header_width))
    ragged = {}
    for number, cells in kept:
        if len(cells) == usual:
            continue
        filled = max((i + 1 for i, v in enumerate(cells) if not _blank(v)), default=0)
        if len(cells) > usual and filled <= usual:
            continue  # only empty cells beyond the usual width
        ragged[number] = "kolom_berlebih" if width(cells) > usual else "kolom_kurang"
    return ragged


def _merged_header(
    header: list[object], header_row: int, records: list[Record], merges
) -> tuple[list[object], int]:
    """A header that spans several rows (cells merged down from the header row, with
    sub-headers under a group such as `Alamat` → `RT`, `RW`): one name per column
    (`Alamat RT`), and how many extra rows the header takes."""
    bottom = max(
        (last for top, _, last, _ in merges if top == header_row and last > header_row),
        default=header_row,
    )
    depth = bottom - header_row
    if depth == 0:
        return header, 0
    names = [_cell_text(v) for v in header]
    for top, col, _, right in merges:  # a group label spans its columns
        if top == header_row and right > col:
            for c in range(col + 1, right + 1):
                if c < len(names):
                    names[c] = names[col]
    by_number = dict(records)
    for row in range(header_row + 1, bottom + 1):
        cells = by_number.get(row, [])
        for c, value in enumerate(cells):
            text = _cell_text(value)
            if text is None or not text.strip():
                continue
            if c >= len(names):
                names.extend([None] * (c + 1 - len(names)))
            if names[c] is None:
                names[c] = text
            elif not is_nik_header(names[c]):
                names[c] = f"{names[c]} {text}"
    return list(names), depth


def _combine(parsed: list[_Parsed], warnings: list[str]) -> AgencyTable:
    columns: list[str] = []
    headers: dict[str, str] = {}
    for part in parsed:
        for name, text in zip(part.columns, part.headers, strict=True):
            if name not in headers:
                columns.append(name)
                headers[name] = text
    if len(parsed) > 1:
        for part in parsed:
            missing = [c for c in columns if c not in part.columns]
            if missing:
                warnings.append(
                    f"{_label(part.sheet)} has no column(s) {', '.join(missing)}; "
                    "its rows leave them empty"
                )
    data: dict[str, list] = {name: [] for name in columns}
    row_numbers: list[int] = []
    sheets: list[str | None] = []
    origins: list[str | None] = []
    broken: list[str | None] = []
    for part in parsed:
        position = {name: i for i, name in enumerate(part.columns)}
        rows = [(n, values, origin, None) for n, values, origin in part.rows]
        # a broken line keeps its place and reason, none of its values
        rows += [(n, [None] * len(part.columns), None, why) for n, why in part.ragged.items()]
        for row_number, values, origin, why in sorted(rows, key=lambda r: r[0]):
            for name in columns:
                i = position.get(name)
                data[name].append(values[i] if i is not None else None)
            row_numbers.append(row_number)
            sheets.append(part.sheet)
            origins.append(origin)
            broken.append(why)
    arrays = {name: pa.array(values, pa.string()) for name, values in data.items()}
    arrays["_row_number"] = pa.array(row_numbers, pa.int64())
    arrays["_sheet"] = pa.array(sheets, pa.string())
    arrays["_nik_asal"] = pa.array(origins, pa.string())
    if any(why is not None for why in broken):
        arrays["_baris_rusak"] = pa.array(broken, pa.string())
    return AgencyTable(columns=columns, rows=pa.table(arrays), warnings=warnings, headers=headers)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell_text(value: object) -> str | None:
    """A cell as the text the person sees (see the module docstring for numbers and dates)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        text = format(value, ".15g")
        return repr(value) if "e" in text else text
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------


def _read_xlsx(path: Path) -> tuple[list[_Block], list[str]]:
    """Every sheet as rows of cell values, as grid.xlsx_sheets reads workbooks for every
    reader (streamed when the workbook has only cells; merged cells kept)."""
    try:
        sheets = xlsx_sheets(path)
    except GridError:
        raise RawFileError(
            f"{path.name}: cannot be read as .xlsx; if it is an old .xls or an HTML page, open "
            "it in Excel and save it as .xlsx"
        ) from None
    warnings: list[str] = []
    blocks: list[_Block] = []
    for sheet in sheets:
        if sheet.hidden:
            warnings.append(f"sheet '{sheet.name}' is hidden; it is read like the others")
        hidden = [r for r in sheet.hidden_rows if r <= len(sheet.rows)]
        if hidden:
            warnings.append(
                f"sheet '{sheet.name}': hidden row(s) {_rows_text(sorted(hidden))} are read"
            )
        records = [(i + 1, row) for i, row in enumerate(sheet.rows)]
        blocks.append(_Block(sheet.name, records, sheet.merges))
    return blocks, warnings


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


def _read_csv(path: Path) -> tuple[list[_Block], list[str]]:
    """A CSV as one block: text and delimiter as grid reads every text file (the delimiter
    from the header row, marked by its NIK column)."""
    try:
        text, encoding = decode_text(path.read_bytes())
        delimiter = sniff_delimiter(text, is_nik_header, HEADER_SEARCH_ROWS)
        records: list[Record] = list(csv_records(text, delimiter))
    except GridError as error:
        raise RawFileError(
            f"{path.name}: {error}. What to do: open the file, correct that line (a quote "
            '" that is opened and never closed is the usual cause), save it as CSV and put '
            "it back."
        ) from None
    warnings = []
    if encoding != "utf-8":
        warnings.append(f"file read as {encoding} (it is not UTF-8)")
    return [_Block(None, records, [])], warnings
