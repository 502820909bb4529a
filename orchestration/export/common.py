"""What every report model shares: reading the published marts, region codes, dates and
local times in Indonesian, the release phrase of the source line, and the errors a user can
fix (`ExportError`). Nothing here knows a file format: that is `layout.py`.

Exports read only the published Parquet marts (data/marts/, a symlink to the current
release), never the warehouse the nightly run writes. The release folder is resolved once
when a `Marts` is opened, so every number and the release time in the source line come
from the same release even if the nightly run publishes a new one meanwhile.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import math
import re
from collections.abc import Iterable, Sequence
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

#: How a value reads to a planner: each format shows it its own way (the workbook in green,
#: orange and red). The report models say which value has which tone.
GOOD, WARNING, BAD = "good", "warning", "bad"


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
