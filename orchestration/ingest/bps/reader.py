"""`read_bps_file`: one BPS file, in any form of DESIGN §2.1, → the tidy table (SCHEMA).

Columns: kode_wilayah (NATIONAL_CODE `00`, Kemendagri province 2 or kabupaten/kota 4
digits), tahun, bulan (3 or 9), indikator, nilai (float; missing values are dropped, never
0), _row_number (the line of a CSV, the sheet row of an XLSX (first sheet only), for HTML
the row as Excel shows it, for the Web API the position of the region in `vervar`; a tidy
file's header is row 1), nama_wilayah_sumber (the region name as written; null in the tidy
form unless it has a nama_wilayah column), nilai_asli (the value as written) and
alasan_karantina (null for a usable value; else why the value is kept out of the marts).
Rows come in file order, then column order.

A value that is not a number, or is outside its indicator's plausible range (a misread
separator, a truncated or shifted cell), and a row with more cells than the header, are
quarantined, together with every other value of the same source row; the rest of the file
loads. Two different usable values for one region × indicator × year × month block the
file (DESIGN §3.1).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from orchestration.ingest.bps.common import RANGES, SCHEMA, BpsFileError, Value
from orchestration.ingest.bps.forms import Read, read_form
from orchestration.ingest.bps.numbers import NumberRule
from orchestration.ingest.bps.regions import (
    SHIPPED_ALIASES,
    _load_aliases,
    _Resolver,
    assign_codes,
)
from orchestration.ingest.bps.webapi import looks_like_webapi, read_webapi
from orchestration.ingest.grid import GridError, decode, read_grid
from orchestration.privacy import mask_text


def _read(path: Path) -> tuple[str, Read]:
    raw = path.read_bytes()
    if raw.lstrip()[:1] in (b"{", b"[") or raw[:4].lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        try:
            text = decode(raw)
        except GridError as error:
            raise BpsFileError(f"{path.name}: {error}") from None
        if looks_like_webapi(text):
            return "webapi", read_webapi(text, path.name)
        raise BpsFileError(
            f"{path.name}: a JSON file that is not a BPS Web API data response (it needs "
            "var, vervar, tahun and datacontent). What to do: save the response of "
            "webapi.bps.go.id/v1/api/list/model/data/… as it comes, or remove this file."
        )
    try:
        grid = read_grid(path, raw)
    except GridError as error:
        raise BpsFileError(str(error)) from None
    return read_form(grid, path.name)


def _plain(number: float) -> str:
    return f"{number:,.0f}" if abs(number) >= 1000 else f"{number:g}"


def _value_text(raw: object) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def read_bps_file(
    path: Path,
    aliases_path: Path | None = None,
    alias_hint: Path | None = None,
    warnings: list[str] | None = None,
) -> pa.Table:
    """Read one BPS file (any form of DESIGN §2.1) into the tidy table (see SCHEMA).

    Aliases: the shipped `bps_aliases.csv` is always read; `aliases_path`, when given, is
    read after it and wins on the same (name, province). `alias_hint` is the file an error
    tells the user to add aliases to (default: `aliases_path`, else the shipped file).
    `warnings`, when given, receives per-file notes for the load log (e.g. a year taken from
    the file name, rows quarantined).
    """
    path = Path(path)
    file = path.name
    alias_file = str(alias_hint or aliases_path or SHIPPED_ALIASES)
    form, read = _read(path)
    values = read.values
    if form != "tidy":
        resolver = _Resolver(_load_aliases([SHIPPED_ALIASES, aliases_path]))
        values = assign_codes(
            values, read.title, resolver, alias_file, file, provinces_only=read.provinces_only
        )
        values = [v for v in values if v.indikator and v.kode]

    rule = NumberRule((v.raw for v in values if isinstance(v.raw, str)), file)
    parsed: list[tuple[Value, float | None]] = []
    bad_rows: dict[int, str] = {}
    for v in sorted(values, key=lambda v: v.row):
        if v.problem:
            bad_rows.setdefault(v.row, v.problem)
        try:
            number = rule.parse(v.raw)
        except ValueError:
            bad_rows.setdefault(v.row, f"{v.where or v.indikator}: '{v.raw}' is not a number")
            parsed.append((v, None))
            continue
        if number is not None:
            low, high = RANGES[v.indikator]
            if not low <= number <= high:
                column = f" under '{v.where}'" if v.where else ""
                bad_rows.setdefault(
                    v.row,
                    f"{v.indikator} {v.tahun}-{v.bulan:02d} = {number:g} (written "
                    f"'{_value_text(v.raw)}'{column}) is outside the plausible "
                    f"{_plain(low)}–{_plain(high)}: a truncated, shifted or misread value",
                )
        parsed.append((v, number))

    out: dict[str, list] = {name: [] for name in SCHEMA.names}
    problems: list[str] = []
    seen: dict[tuple[str, int, int, str], tuple[float, int]] = {}
    quarantined = 0
    for v, number in parsed:
        reason = bad_rows.get(v.row)
        if reason is None:
            if number is None:
                continue  # missing: no row, never 0
            key = (v.kode, v.tahun, v.bulan, v.indikator)
            if key in seen:
                if seen[key][0] != number:
                    problems.append(
                        f"rows {seen[key][1]} and {v.row}: two different values for {v.kode} "
                        f"{v.indikator} {v.tahun}-{v.bulan:02d} ({seen[key][0]:g}, {number:g})"
                    )
                continue
            seen[key] = (number, v.row)
        elif _value_text(v.raw) in (None, "") and number is None and not isinstance(v.raw, str):
            continue
        else:
            quarantined += 1
        out["kode_wilayah"].append(v.kode)
        out["tahun"].append(v.tahun)
        out["bulan"].append(v.bulan)
        out["indikator"].append(v.indikator)
        out["nilai"].append(number if reason is None else None)
        out["_row_number"].append(v.row)
        out["nama_wilayah_sumber"].append(v.name)
        out["nilai_asli"].append(_value_text(v.raw))
        out["alasan_karantina"].append(
            # the reason quotes the value as written: NIK-like values masked (DESIGN §5)
            None if reason is None else mask_text(f"row {v.row} ({v.name or v.kode}): {reason}")
        )
    if problems:
        raise BpsFileError(
            f"{file}: {len(problems)} value(s) contradict each other:\n  - "
            + "\n  - ".join(problems[:50])
            + ("\n  - …" if len(problems) > 50 else "")
            + "\nWhat to do: keep one value per region, indicator, year and month (check "
            "that the region names are right, or add an alias), and run again."
        )
    if warnings is not None:
        warnings.extend(read.notes)
        if bad_rows:
            rows = ", ".join(str(r) for r in sorted(bad_rows))
            warnings.append(
                f"{len(bad_rows)} row(s) quarantined ({quarantined} value(s)), rows {rows}: "
                "see quarantine.quarantine_rows"
            )
    return pa.table(out, schema=SCHEMA)
