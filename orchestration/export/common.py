"""What every planners' export shares: reading the published marts, region codes, the
source line, cell formats, and writing files atomically.

Exports read only the published Parquet marts (data/marts/, a symlink to the current
release), never the warehouse the nightly run writes. The release folder is resolved once
when a `Marts` is opened, so every number and the release time in the source line come
from the same release even if the nightly run publishes a new one meanwhile.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import json
import math
import os
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

RELEASE_FILE = "release.json"  # written by orchestration/assets/publish.py

#: Region level by the number of digits of a Kemendagri code (DESIGN §2).
LEVEL_BY_LENGTH = {2: "provinsi", 4: "kabkota", 6: "kecamatan", 10: "desa"}
LEVELS = ("provinsi", "kabkota", "kecamatan", "desa")

BULAN = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_MAX = 31  # Excel's limit


class ExportError(Exception):
    """A problem the user can fix, said in plain words (the CLI prints it, exit code 2)."""


# --------------------------------------------------------------------------------------------
# Pure helpers
# --------------------------------------------------------------------------------------------


def normalise_codes(values: Iterable[str]) -> list[str]:
    """Region codes as given on the command line → plain digits, in order, without repeats.

    Accepts repeated options and comma-separated lists, dotted (`53.71`) or plain (`5371`).
    """
    codes: list[str] = []
    for value in values:
        for part in str(value).split(","):
            code = re.sub(r"[\s.]", "", part)
            if not code:
                continue
            if not code.isdigit() or len(code) not in LEVEL_BY_LENGTH:
                raise ExportError(
                    f"'{part.strip()}' is not a Kemendagri region code: use 2 digits for a "
                    "province (53), 4 for a kabupaten/kota (5371), 6 for a kecamatan, 10 for "
                    "a desa/kelurahan; dotted codes (53.71) are fine too."
                )
            if code not in codes:
                codes.append(code)
    if not codes:
        raise ExportError("Give at least one region code with --wilayah, e.g. --wilayah 5371.")
    return codes


def level_of(code: str) -> str:
    """`provinsi`, `kabkota`, `kecamatan` or `desa` from the length of a plain code."""
    return LEVEL_BY_LENGTH[len(code)]


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


def tanggal_indonesia(value: dt.date) -> str:
    """31 Desember 2025."""
    return f"{value.day} {BULAN[value.month - 1]} {value.year}"


@dataclass(frozen=True)
class ZonaWaktu:
    """An Indonesian time zone: its name (WIB, WITA, WIT) and the IANA zone that gives its
    offset."""

    nama: str
    iana: str

    def local(self, value: dt.datetime) -> dt.datetime:
        from zoneinfo import ZoneInfo

        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(ZoneInfo(self.iana))


ZONA_WAKTU_FILE = Path(__file__).with_name("zona_waktu.csv")
WIB = ZonaWaktu("WIB", "Asia/Jakarta")  # the national row (00) and the capital's zone


@functools.lru_cache(maxsize=1)
def zona_waktu_provinsi() -> dict[str, ZonaWaktu]:
    """Province code → its time zone, from zona_waktu.csv (DESIGN §3.2)."""
    lines = [line for line in ZONA_WAKTU_FILE.read_text().splitlines() if not line.startswith("#")]
    return {
        row["kode_provinsi"]: ZonaWaktu(row["zona"], row["iana"]) for row in csv.DictReader(lines)
    }


def zona_waktu(kode_wilayah: str) -> ZonaWaktu:
    """The local time zone of a region, by its province (the first two digits)."""
    return zona_waktu_provinsi().get(kode_wilayah[:2], WIB)


def waktu_indonesia(value: dt.datetime, zones: Sequence[ZonaWaktu] = (WIB,)) -> str:
    """'22 November 2026 pukul 23.49 WITA' in the first zone; other zones in brackets:
    '… pukul 23.49 WITA (22.49 WIB)'. A naive time is taken as UTC."""
    zones = list(dict.fromkeys(zones)) or [WIB]

    def at(zone: ZonaWaktu, with_date: bool) -> str:
        local = zone.local(value)
        day = f"{tanggal_indonesia(local.date())} " if with_date else ""
        return f"{day}pukul {local:%H.%M} {zone.nama}"

    first = zones[0].local(value).date()
    text = at(zones[0], True)
    others = [at(z, z.local(value).date() != first) for z in zones[1:]]
    return f"{text} ({', '.join(others)})" if others else text


def missing(value: Any) -> bool:
    """None and NaN are 'no data' (DuckDB returns None for NULL; NaN only from floats)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def clean(value: Any) -> Any:
    """None for missing values, plain Python numbers otherwise."""
    if missing(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


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


def new_workbook(path: Path, **options: Any) -> Any:
    """An xlsxwriter workbook that writes every string as text, never as a formula or a link:
    a name like `=HYPERLINK(…)` from an agency's file stays the text it was (DESIGN §5)."""
    import xlsxwriter

    return xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_urls": False, **options}
    )


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


# --------------------------------------------------------------------------------------------
# Reading the published marts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Release:
    """Where the numbers come from: the release folder and when/by which run it was published."""

    folder: Path
    published_at: dt.datetime | None
    run_id: str | None
    is_recorded: bool  # False: no release.json, published_at is the files' modification time


class Marts:
    """Read-only access to the published marts of one release, through in-memory DuckDB views.

    Use as a context manager: `with Marts.open(paths.marts_dir, ["mart_target_gap"]) as m:`.
    """

    def __init__(self, release: Release, con: duckdb.DuckDBPyConnection):
        self.release = release
        self.con = con

    @classmethod
    def open(cls, marts_dir: Path, names: Sequence[str]) -> Marts:
        folder = Path(marts_dir)
        if not folder.is_dir() or not any(folder.glob("*.parquet")):
            raise ExportError(
                f"No published marts in {marts_dir} yet: run `make run` first (the nightly job "
                "publishes them), then export again."
            )
        # Pin the release: data/marts is a symlink the nightly run swaps atomically.
        folder = folder.resolve()
        absent = [name for name in names if not (folder / f"{name}.parquet").is_file()]
        if absent:
            raise ExportError(
                f"The published marts in {marts_dir} lack {', '.join(absent)}: they come from "
                "an older version of tepat. Run `make run` to publish the current marts."
            )
        con = duckdb.connect(":memory:")
        try:
            for name in names:
                con.read_parquet(str(folder / f"{name}.parquet")).create_view(name)
        except duckdb.Error as error:
            con.close()
            raise ExportError(
                f"Cannot read the marts in {marts_dir} ({error}). Run `make run` to publish "
                "them again."
            ) from None
        return cls(read_release(folder), con)

    def __enter__(self) -> Marts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.con.close()

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        """Query result as a list of dicts with plain Python values (None for nulls).

        `params` are positional (`?`) or named (`$name`, given as a dict).
        """
        cursor = self.con.execute(sql, params if isinstance(params, dict) else list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, map(clean, record), strict=True)) for record in cursor.fetchall()]

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        record = self.con.execute(sql, list(params)).fetchone()
        return None if record is None else clean(record[0])


def read_release(folder: Path) -> Release:
    """release.json of a release folder; the files' modification time when it is missing."""
    path = folder / RELEASE_FILE
    try:
        info = json.loads(path.read_text())
        published = dt.datetime.fromisoformat(info["published_at"])
        return Release(folder, published, info.get("run_id"), is_recorded=True)
    except (OSError, ValueError, KeyError, TypeError):
        times = [p.stat().st_mtime for p in folder.glob("*.parquet")]
        published = dt.datetime.fromtimestamp(max(times), dt.UTC) if times else None
        return Release(folder, published, None, is_recorded=False)


# --------------------------------------------------------------------------------------------
# Regions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    kode: str
    nama: str
    tingkat: str

    @property
    def label(self) -> str:
        return f"{self.nama} ({self.kode})"


def lookup_regions(marts: Marts, codes: Sequence[str]) -> dict[str, Region]:
    """The regions of `codes` from dim_wilayah; an unknown code is an error naming it."""
    found = {
        r["kode_wilayah"]: Region(r["kode_wilayah"], r["nama_wilayah"], r["tingkat_wilayah"])
        for r in marts.rows(
            "select kode_wilayah, nama_wilayah, tingkat_wilayah from dim_wilayah "
            "where kode_wilayah in (select unnest(?))",
            [list(codes)],
        )
    }
    unknown = [code for code in codes if code not in found]
    if not unknown:
        return found
    with_data = regions_with_data(marts)
    # A real Kemendagri region outside this warehouse is named, not called unknown.
    for code in unknown:
        name = kemendagri_name(code)
        if name:
            raise ExportError(
                f"No data for {name} ({code}) in this warehouse: its files have not been "
                f"loaded. Regions with data: {with_data or 'none'}. Choose one of those, or "
                f"add the files of {name} under data/raw/ and run `make run`."
            )
    raise ExportError(
        f"Unknown region code {', '.join(unknown)}: it is not a Kemendagri region "
        f"(Kepmendagri 2025). Regions with data: {with_data or 'none'}. Check the code "
        "(e.g. 5371 for Kota Kupang)."
    )


def kemendagri_name(code: str) -> str | None:
    """The Kemendagri name of a region code ('Kota Bandung' for 3273), None if unknown."""
    from orchestration.ingest.wilayah import name_of

    try:
        return name_of(code)
    except (KeyError, ValueError, LookupError):
        return None


def regions_with_data(marts: Marts) -> str:
    """'53 Nusa Tenggara Timur (5371 Kota Kupang, …), 61 …': the provinces of the warehouse
    with their kabupaten/kota that have registry data (needs mart_desil_distribution)."""
    rows = marts.rows(
        "select distinct d.kode_wilayah, d.nama_wilayah, d.tingkat_wilayah "
        "from mart_desil_distribution as d "
        "where d.tingkat_wilayah in ('provinsi', 'kabkota') order by d.kode_wilayah"
    )
    provinces = [r for r in rows if r["tingkat_wilayah"] == "provinsi"]
    parts = []
    for province in provinces:
        kabkota = [
            f"{r['kode_wilayah']} {r['nama_wilayah']}"
            for r in rows
            if r["tingkat_wilayah"] == "kabkota"
            and r["kode_wilayah"].startswith(province["kode_wilayah"])
        ]
        inner = f" ({', '.join(kabkota)})" if kabkota else ""
        parts.append(f"{province['kode_wilayah']} {province['nama_wilayah']}{inner}")
    return "; ".join(parts)


# --------------------------------------------------------------------------------------------
# The source line
# --------------------------------------------------------------------------------------------


def latest_snapshot(marts: Marts) -> dt.date | None:
    """The latest DTSEN snapshot in the marts (needs the view mart_desil_distribution)."""
    return marts.value("select max(tanggal_snapshot) from mart_desil_distribution")


def release_phrase(release: Release, codes: Sequence[str] = ()) -> str:
    """'data tepat rilis 22 November 2026 pukul 23.49 WITA (proses b7b591ef)', in the local
    time of the regions `codes` (DESIGN §3.2)."""
    if release.published_at is None:
        return "data tepat (waktu rilis tidak tercatat)"
    when = waktu_indonesia(release.published_at, [zona_waktu(code) for code in codes])
    if not release.is_recorded:
        return f"data tepat dari berkas mart bertanggal {when}"
    run = f" (proses {release.run_id[:8]})" if release.run_id else ""
    return f"data tepat rilis {when}{run}"


# --------------------------------------------------------------------------------------------
# Workbook formats
# --------------------------------------------------------------------------------------------

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


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Comma-separated, UTF-8 with BOM (so Excel reads the Indonesian text right); text that
    would start a formula is made inert (`inert_text`)."""
    with atomic_output(path) as tmp, tmp.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([inert_text(cell) for cell in row] for row in rows)
