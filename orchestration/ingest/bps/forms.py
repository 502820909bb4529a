"""The forms of DESIGN §2.1, detected from the content: tidy CSV, long download, BPS table.

Each reader turns a grid into `Value`s (region name, year, month, indicator, the cell as
written); region codes and numbers are settled afterwards by the reader module.

BPS table: title lines, then a header row whose name cell is "Provinsi/Kabupaten/Kota",
"Provinsi", "Kabupaten/Kota", "Wilayah", "District"…, then optional further header rows
(their name cell is empty, e.g. `,<title (unit)>` then `,<year>` in BPS's download CSV, or
months under years; a row of column numbers "(1) (2) (3)" is skipped). Each value column's
labels, read top to bottom (empty cells of upper rows inherit from the left, as merged
cells do), give its indicator, year and month; whatever a column does not say comes from
the title, and a year from the file name ("<title>, <year>.csv") as the last resort.
Columns named kode… / code / no. are ignored: names decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from orchestration.ingest.bps.common import (
    FORMS_HELP,
    INDICATORS,
    OTHER_INDICATOR,
    BpsFileError,
    Value,
    check_unit,
    indicator_for,
    indicators_in,
    is_urban_or_rural_only,
    key,
    month_in,
    units_in,
    words,
    years_in,
)
from orchestration.ingest.bps.numbers import is_missing_text
from orchestration.ingest.bps.regions import _regions
from orchestration.ingest.grid import Cell, Grid, cell_text, nonempty
from orchestration.ingest.wilayah import plain_code


@dataclass
class Read:
    """What a form reader found in a file."""

    values: list[Value]
    title: str = ""  # text that may name the province (title lines, variable names)
    provinces_only: bool = False  # the name column says "Provinsi"
    notes: list[str] = field(default_factory=list)  # per-file notes for the load log


def years_in_file_name(file: str) -> list[int]:
    """BPS names downloads "<table title>, <year>.csv": the years in the name."""
    stem = file.rsplit(".", 1)[0]
    return sorted(set(years_in(stem)))


def _header_index(cells: list[Cell], wanted: dict[str, tuple[str, ...]]) -> dict[str, int]:
    keys = [key(cell_text(c)) for c in cells]
    found = {}
    for name, variants in wanted.items():
        for i, found_key in enumerate(keys):
            if found_key in variants:
                found[name] = i
                break
    return found


_TIDY_COLUMNS = {
    "kode_wilayah": ("kodewilayah", "kode"),
    "tahun": ("tahun", "year"),
    "bulan": ("bulan", "month"),
    "indikator": ("indikator", "indicator"),
    "nilai": ("nilai", "value"),
    "nama_wilayah": ("namawilayah",),
}
_LONG_COLUMNS = {
    "variabel": ("namavariabel", "variabel"),
    "wilayah": (
        "namaitemverticalvariabel",
        "itemverticalvariabel",
        "namawilayah",
        "wilayah",
        "vervar",
        "labelvervar",
    ),
    "tahun": ("namatahun", "tahun"),
    "nilai": ("datacontent", "nilai"),
    "turunan_tahun": ("namaturunantahun", "turunantahun", "turtahun"),
    "turunan_variabel": ("namaitemturunanvariabel", "namaturunanvariabel", "turvar"),
    "satuan": ("satuan", "unit", "namasatuan"),
}
#: words a region-name column header is made of ("Provinsi/Kabupaten/Kota", "Wilayah", …)
_NAME_HEADER_WORDS = {
    "provinsi", "prov", "kabupaten", "kab", "kota", "kabkota", "wilayah", "nama", "daerah",
    "dan", "and", "province", "provinces", "regency", "city", "municipality", "region",
    "district", "districts", "name",
}  # fmt: skip
#: a name column that says its rows are provinces (so "Gorontalo" is the province)
_PROVINCE_HEADER_WORDS = {"provinsi", "prov", "province", "provinces"}
#: first words of columns that are never values: codes (BPS's or anyone's; names decide), no.
_IGNORED_HEADER_WORDS = {"kode", "code", "kd", "no", "nomor", "id"}


def _is_name_header(cell: Cell) -> bool:
    found = words(cell_text(cell))
    return bool(found) and all(w in _NAME_HEADER_WORDS for w in found)


def _is_province_header(cell: Cell) -> bool:
    found = words(cell_text(cell))
    return bool(found) and all(w in _PROVINCE_HEADER_WORDS for w in found)


def _is_ignored_header(cell: Cell) -> bool:
    found = words(cell_text(cell))
    return bool(found) and found[0] in _IGNORED_HEADER_WORDS


_FOOTNOTE = re.compile(r"^\s*(sumber|source|catatan|note|keterangan|ket\b|\*|¹|\d\))", re.I)


def _detect(grid: Grid) -> tuple[str, int]:
    """(form, index of the header row in grid.rows)."""
    for index, (_, cells) in enumerate(grid.rows[:60]):
        if nonempty(cells) < 2:
            # BPS's download CSV: "Provinsi/Kabupaten/Kota," alone on the first header line
            if len(cells) >= 2 and _is_name_header(cells[0]) and not cell_text(cells[1]):
                return "table", index
            continue
        tidy = _header_index(cells, _TIDY_COLUMNS)
        if {"kode_wilayah", "tahun", "indikator", "nilai"} <= tidy.keys() and key(
            cell_text(cells[tidy["kode_wilayah"]])
        ) == "kodewilayah":
            return "tidy", index
        long = _header_index(cells, _LONG_COLUMNS)
        if {"variabel", "wilayah", "tahun", "nilai"} <= long.keys():
            return "long", index
        if any(_is_name_header(cell) for cell in cells):
            return "table", index
    return "", -1


# --------------------------------------------------------------------------- the forms


def _getter(cols: dict[str, int], cells: list[Cell]):
    """`get(column)`: the text of a row's cell in a named column, "" when it has none."""

    def get(name: str) -> str:
        i = cols.get(name)
        return cell_text(cells[i]) if i is not None and i < len(cells) else ""

    return get


def _read_tidy(grid: Grid, header: int, file: str) -> list[Value]:
    cols = _header_index(grid.rows[header][1], _TIDY_COLUMNS)
    values: list[Value] = []
    problems: list[str] = []
    for number, cells in grid.rows[header + 1 :]:
        if not nonempty(cells):
            continue

        get = _getter(cols, cells)
        indicator = get("indikator").lower()
        kode = plain_code(get("kode_wilayah"))
        tahun, bulan = get("tahun"), get("bulan") or "3"
        if indicator not in INDICATORS:
            problems.append(
                f"row {number}: indikator '{get('indikator')}' is not one of "
                f"{', '.join(INDICATORS)}"
            )
            continue
        if kode not in _regions().known:
            problems.append(
                f"row {number}: kode_wilayah '{get('kode_wilayah')}' is not a "
                "Kemendagri province (2 digits) or kabupaten/kota (4 digits)"
            )
            continue
        if not re.fullmatch(r"\d{4}", tahun) or bulan not in ("3", "9", "03", "09"):
            problems.append(f"row {number}: tahun '{tahun}' / bulan '{bulan}' (bulan is 3 or 9)")
            continue
        values.append(
            Value(number, get("nama_wilayah") or None, kode, int(tahun), int(bulan),
                   indicator, cells[cols["nilai"]] if cols["nilai"] < len(cells) else None)
        )  # fmt: skip
    if problems:
        raise BpsFileError(
            f"{file}: {len(problems)} row(s) of the tidy CSV are wrong:\n  - "
            + "\n  - ".join(problems[:50])
            + "\nWhat to do: fix these rows (DESIGN §2.1) and run again."
        )
    return values


def _read_long(grid: Grid, header: int, file: str) -> Read:
    cols = _header_index(grid.rows[header][1], _LONG_COLUMNS)
    cache: dict[str, str] = {}
    values: list[Value] = []
    for number, cells in grid.rows[header + 1 :]:
        if not nonempty(cells):
            continue

        get = _getter(cols, cells)
        variable = get("variabel")
        if _FOOTNOTE.match(variable) and not get("wilayah"):
            continue
        if is_urban_or_rural_only(get("turunan_variabel")):
            continue  # urban or rural part of a region; the total is on its own row
        label = f"{variable} ({get('satuan')})" if get("satuan") else variable
        if label not in cache:
            cache[label] = indicator_for(label, file, f"row {number}: nama_variabel")
        years = years_in(get("tahun"))
        if len(years) != 1:
            raise BpsFileError(
                f"{file}, row {number}: nama_tahun '{get('tahun')}' is not one year. "
                "What to do: download the long table again from BPS."
            )
        month = (month_in(get("turunan_tahun")) or month_in(get("turunan_variabel"))
                 or month_in(variable) or 3)  # fmt: skip
        raw = cells[cols["nilai"]] if cols["nilai"] < len(cells) else None
        values.append(
            Value(number, get("wilayah"), None, years[0], month, cache[label], raw, variable)
        )
    # The title lines and the variable names may name the province.
    title = " ".join({cell_text(c) for _, cells in grid.rows[:header] for c in cells})
    title += " " + " ".join(dict.fromkeys(v.where for v in values))
    return Read(values, title=title)


def _column_numbers(cells: list[Cell]) -> bool:
    """A row of column numbers, "(1) (2) (3)", as BPS prints under its headers."""
    texts = [cell_text(c) for c in cells if cell_text(c)]
    return bool(texts) and all(re.fullmatch(r"\(\d{1,2}\)", t) for t in texts)


def _read_table(grid: Grid, header: int, file: str) -> Read:
    rows = grid.rows
    head_cells = rows[header][1]
    name_col = next(i for i, c in enumerate(head_cells) if _is_name_header(c))
    notes: list[str] = []
    title = " ".join(cell_text(c) for _, cells in rows[:header] for c in cells if cell_text(c))

    # Header rows: the first header row and the rows after it whose name cell is empty.
    header_rows = [head_cells]
    index = header + 1
    while index < len(rows):
        cells = rows[index][1]
        name = cell_text(cells[name_col]) if name_col < len(cells) else ""
        if (name and not _column_numbers(cells)) or not nonempty(cells):
            if not nonempty(cells) and index + 1 < len(rows):
                index += 1  # a blank line inside the header block
                continue
            break
        header_rows.append(cells)
        index += 1
    # a row of column numbers "(1) (2) (3)" is no header
    header_rows = [cells for cells in header_rows if not _column_numbers(cells)]
    width = max(len(c) for c in header_rows)
    labels: dict[int, list[str]] = {}
    for level, cells in enumerate(header_rows):
        carried = ""
        for col in range(name_col + 1, width):
            text = cell_text(cells[col]) if col < len(cells) else ""
            if text:
                carried = text
            elif level < len(header_rows) - 1:
                text = carried  # a merged cell spans the columns to its right
            labels.setdefault(col, []).append(text)

    data_rows = rows[index:]
    ignored = {
        col for col in range(name_col + 1, min(width, len(head_cells)))
        if _is_ignored_header(head_cells[col])
    }  # fmt: skip
    value_cols = [c for c in range(name_col + 1, width) if c not in ignored]

    title_indicators = indicators_in(title)
    if not title_indicators and not any(indicators_in(" ".join(v)) for v in labels.values()):
        # BPS names downloads after the table's title: the indicator, as the last resort
        title_indicators = indicators_in(file.rsplit(".", 1)[0].replace("_", "/"))
        if len(title_indicators) == 1:
            notes.append(f"indicator {title_indicators[0]} taken from the file name")
    title_years = sorted(set(years_in(title)))
    name_years = years_in_file_name(file)
    title_month = month_in(title)
    if len(title_indicators) == 1:
        check_unit(title_indicators[0], units_in(title), "the title", file)

    columns: dict[int, tuple[str, int, int]] = {}
    for col in value_cols:
        label = " ".join(t for t in labels.get(col, []) if t)
        has_data = any(
            col < len(cells) and not is_missing_text(cells[col]) for _, cells in data_rows
            if not _FOOTNOTE.match(cell_text(cells[name_col]) if name_col < len(cells) else "")
        )  # fmt: skip
        if not label and not has_data:
            continue
        if is_urban_or_rural_only(label):
            note = "urban (perkotaan) and rural (perdesaan) columns skipped: tepat keeps totals"
            if note not in notes:
                notes.append(note)
            continue
        indicator_here = indicators_in(label)
        if indicator_here:
            indicator = indicator_for(label, file, f"column {col + 1}")
        elif len(title_indicators) == 1:
            indicator = title_indicators[0]
            if OTHER_INDICATOR.search(" ".join(words(label))):
                indicator_for(label, file, f"column {col + 1}")  # raises: unknown indicator
        elif not title_indicators:
            indicator_for(title or label or "(no title)", file, "the title")
            raise AssertionError  # unreachable: _indicator_for raised
        else:
            raise BpsFileError(
                f"{file}: column {col + 1} ('{label}') does not say which of "
                f"{', '.join(title_indicators)} (named in the title) it holds. What to do: "
                "download one table per indicator, or convert to the tidy CSV form."
            )
        check_unit(indicator, units_in(label), f"column {col + 1} ('{label}')", file)
        years = sorted(set(years_in(label))) or title_years
        if not years and len(name_years) == 1:
            years = name_years
            note = (
                f"year {name_years[0]} taken from the file name (no header line or title "
                "names a year)"
            )
            if note not in notes:
                notes.append(note)
        if len(years) != 1:
            raise BpsFileError(
                f"{file}: column {col + 1} ('{label}') has no single year (title years: "
                f"{', '.join(map(str, title_years)) or 'none'}; file-name years: "
                f"{', '.join(map(str, name_years)) or 'none'}). What to do: download the "
                "table with the years as column headers, or name the file "
                "'<table title>, <year>.csv' as BPS does, or convert to the tidy CSV form."
            )
        month = month_in(label) or title_month or 3
        columns[col] = (indicator, years[0], month, label)

    if not columns:
        raise BpsFileError(f"{file}: found the region column but no value columns. {FORMS_HELP}")
    values: list[Value] = []
    last_with_values = max(
        (
            i for i, (_, cells) in enumerate(data_rows)
            if any(col < len(cells) and cell_text(cells[col]) for col in columns)
        ),
        default=-1,
    )  # fmt: skip
    header_width = max(len(cells) for cells in header_rows)
    for i, (number, cells) in enumerate(data_rows):
        name = cell_text(cells[name_col]) if name_col < len(cells) else ""
        # Footnotes ("Sumber: …", "Catatan: …") and value-less rows after the last value
        # (notes without a keyword) are not regions.
        if not name or _FOOTNOTE.match(name) or i > last_with_values:
            continue
        extra = [cell_text(c) for c in cells[header_width:] if cell_text(c)]
        problem = (
            f"the row has {header_width + len(extra)} cells but the header {header_width}: "
            "its cells are shifted"
            if extra
            else None
        )
        for col, (indicator, year, month, label) in columns.items():
            raw = cells[col] if col < len(cells) else None
            values.append(Value(number, name, None, year, month, indicator, raw, label, problem))
    return Read(
        values,
        title=title,
        provinces_only=_is_province_header(head_cells[name_col]),
        notes=notes,
    )


def read_form(grid: Grid, file: str) -> tuple[str, Read]:
    """(form, what it holds) of a grid; an error when it is none of the forms."""
    form, header = _detect(grid)
    if form == "tidy":
        return form, Read(_read_tidy(grid, header, file))
    if form == "long":
        return form, _read_long(grid, header, file)
    if form == "table":
        return form, _read_table(grid, header, file)
    raise BpsFileError(f"{file}: not a BPS poverty table tepat recognises. {FORMS_HELP}")
