"""What tepat reads from `data/raw/`: one `RawSource` per raw table (DESIGN §2).

A source says where its files live, which columns the contract requires, and which values
the folder path carries (snapshot date, roster region/year/programme). The loader turns every
file of a source into rows of `raw.<table>`, as text, exactly as they came.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

_DATE_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class RawSource:
    table: str
    description: str
    folder: str
    #: file name patterns (glob, relative to `folder`)
    patterns: tuple[str, ...]
    required_columns: tuple[str, ...]
    #: the contract's other columns, so their header variants are recognised
    optional_columns: tuple[str, ...] = ()
    #: values read from the path relative to `folder`, e.g. the snapshot date
    path_columns: Callable[[Path], dict[str, str]] = field(default=lambda _: {})
    #: what the user should do when a file of this source is wrong
    hint: str = ""
    #: where its files go, in words (default: the patterns), for the unread-files report
    layout: str = ""

    def discover(self, raw_dir: Path) -> list[Path]:
        base = raw_dir / self.folder
        if not base.is_dir():
            return []
        found: set[Path] = set()
        for pattern in self.patterns:
            found.update(p for p in base.glob(pattern) if p.is_file())
        # Office lock files (~$roster.xlsx) and hidden files are never data.
        return sorted(p for p in found if not p.name.startswith(("~$", ".")))

    def where(self) -> str:
        """Where this source's files go, as the unread-files report says it."""
        return self.layout or " or ".join(f"{self.folder}/{p}" for p in self.patterns)


def _snapshot_columns(relative: Path) -> dict[str, str]:
    folder = relative.parts[0]
    if not _DATE_FOLDER.match(folder):
        raise ValueError(
            f"registry folder '{folder}' is not a snapshot date; name it YYYY-MM-DD "
            "(the snapshot's reference date), e.g. data/raw/registry/2025-03-31/"
        )
    return {"tanggal_snapshot": folder}


def _roster_columns(relative: Path) -> dict[str, str]:
    if len(relative.parts) != 4:
        raise ValueError(
            "roster files belong in rosters/<kode_kabkota>/<tahun>/<kode_program>/<file>, "
            f"not rosters/{relative.as_posix()}"
        )
    kabkota, tahun, program, _ = relative.parts
    return {
        "folder_kode_wilayah": kabkota,
        "folder_tahun": tahun,
        "folder_kode_program": program,
    }


_KELUARGA_PMT = (
    "status_bangunan", "luas_lantai_m2", "jenis_lantai", "jenis_dinding", "jenis_atap",
    "sumber_air_minum", "sumber_penerangan", "daya_listrik_va", "bahan_bakar_memasak",
    "fasilitas_bab", "punya_kulkas", "punya_ac", "punya_motor", "punya_mobil", "punya_lahan",
    "punya_emas_10g",
)  # fmt: skip

SOURCES: tuple[RawSource, ...] = (
    RawSource(
        table="dtsen_keluarga",
        description="DTSEN households, one row per household per snapshot",
        folder="registry",
        patterns=("*/keluarga.csv", "*/keluarga.parquet"),
        required_columns=("id_keluarga", "no_kk", "kode_wilayah", "desil"),
        optional_columns=("jumlah_anggota", "tanggal_pemutakhiran", *_KELUARGA_PMT),
        path_columns=_snapshot_columns,
        hint="Export the snapshot again from DTSEN as registry/<YYYY-MM-DD>/keluarga.csv.",
        layout="registry/<YYYY-MM-DD>/keluarga.csv or .parquet",
    ),
    RawSource(
        table="dtsen_anggota",
        description="DTSEN household members, one row per person per snapshot",
        folder="registry",
        patterns=("*/anggota.csv", "*/anggota.parquet"),
        required_columns=("nik", "id_keluarga", "status"),
        optional_columns=(
            "nama",
            "hubungan",
            "jenis_kelamin",
            "tanggal_lahir",
            "disabilitas",
            "sekolah",
        ),  # fmt: skip
        path_columns=_snapshot_columns,
        hint="Export the snapshot again from DTSEN as registry/<YYYY-MM-DD>/anggota.csv.",
        layout="registry/<YYYY-MM-DD>/anggota.csv or .parquet",
    ),
    RawSource(
        table="roster_rows",
        description="Beneficiary rows of OPD rosters",
        folder="rosters",
        patterns=("*/*/*/*.csv", "*/*/*/*.xlsx"),
        required_columns=("nik",),
        optional_columns=(
            "no_kk",
            "nama",
            "kode_wilayah",
            "tahap",
            "nilai_bantuan",
            "kode_program",
            "tahun",
            "kelurahan",  # a name, when the agency gives no code (matched in the loader)
        ),  # fmt: skip
        path_columns=_roster_columns,
        hint="Ask the agency for the roster with at least a NIK column, one row per recipient.",
        layout="rosters/<kode_kabkota>/<tahun>/<kode_program>/<file>.csv or .xlsx",
    ),
    RawSource(
        table="bps_indicators",
        description="BPS poverty indicators (tidy, BPS tables, long downloads, HTML .xls)",
        folder="bps",
        # BPS files may sit in subfolders (bps/2025/…, bps/api/…); the Web API answers JSON
        patterns=("**/*.csv", "**/*.xlsx", "**/*.xls", "**/*.json"),
        required_columns=("kode_wilayah", "tahun", "indikator", "nilai"),
        optional_columns=("bulan",),
        hint="BPS tables as downloaded, the long download, or the tidy form (DESIGN §2.1).",
    ),
    RawSource(
        table="referensi_program",
        description="Programme reference: eligibility by desil and age",
        folder="referensi",
        patterns=("program.csv",),
        required_columns=("kode_program", "nama_program", "unit_sasaran", "desil_min", "desil_max"),
        optional_columns=("kode_opd", "nama_opd", "sumber_dana", "usia_min", "usia_max"),
        hint="See DESIGN §2.4 for the columns of program.csv.",
    ),
    RawSource(
        table="referensi_anggaran_program",
        description="Programme budgets (pagu) and recipient targets per kabupaten/kota and year",
        folder="referensi",
        patterns=("anggaran_program.csv",),
        required_columns=("kode_program", "kode_wilayah", "tahun", "pagu"),
        optional_columns=("target_penerima",),
        hint="See DESIGN §2.4 for the columns of anggaran_program.csv.",
    ),
    RawSource(
        table="referensi_target_rpjmd",
        description="RPJMD/RPD baselines and targets",
        folder="referensi",
        patterns=("target_rpjmd.csv",),
        required_columns=("kode_wilayah", "dokumen", "indikator", "jenis", "tahun", "nilai"),
        optional_columns=("arah", "keterangan"),
        hint="See DESIGN §2.4 for the columns of target_rpjmd.csv.",
    ),
)

SOURCES_BY_TABLE = {source.table: source for source in SOURCES}


#: The user's own BPS-name aliases (bps_name,province_code,kode_wilayah), relative to data/raw/:
#: read with every BPS file (orchestration/ingest/loader.py), so never an unread file.
BPS_ALIAS_FILE = Path("referensi") / "alias_wilayah_bps.csv"

#: How Windows, macOS and people name a copy: `x - Copy.csv`, `x - Copy (2).csv`,
#: `x - Salinan.csv`, `x (1).csv`, `Copy of x.csv`, `Salinan x.csv`.
_COPY_NAME = re.compile(
    r"(\s-\s(copy|salinan|kopi)(\s\(\d+\))?|\s\(\d+\)|\scopy(\s\d+)?)$|^(copy of|salinan)\s",
    re.IGNORECASE,
)


def looks_like_copy(path: Path) -> bool:
    """Whether a file's name says it is a copy of another (see _COPY_NAME)."""
    return bool(_COPY_NAME.search(Path(path).stem))


@dataclass(frozen=True)
class UnreadFile:
    """A file under data/raw/ that no raw table reads, why, and what to do about it."""

    path: str  # relative to data/raw/
    reason: str
    what_to_do: str


def unread_files(raw_dir: Path) -> list[UnreadFile]:
    """Every file under `raw_dir` that no source reads (DESIGN §2), in path order.

    Hidden files (a `.` anywhere in the path's names, e.g. `.gitkeep`) are not data and are
    not listed; Office lock files (`~$…`) are, since their workbook is open.
    """
    if not raw_dir.is_dir():
        return []
    read = {p for source in SOURCES for p in source.discover(raw_dir)}
    read.add(raw_dir / BPS_ALIAS_FILE)
    folders: dict[str, list[RawSource]] = {}
    for source in SOURCES:
        folders.setdefault(source.folder, []).append(source)
    everywhere = "; ".join(dict.fromkeys(f"{s.folder}/" for s in SOURCES))
    unread = []
    for path in sorted(raw_dir.rglob("*")):
        relative = path.relative_to(raw_dir)
        if path in read or not path.is_file():
            continue
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.name.startswith("~$"):
            unread.append(UnreadFile(
                relative.as_posix(),
                "an Office lock file: its workbook is open in Excel right now",
                "close the workbook in Excel (the lock file goes with it), then run again",
            ))  # fmt: skip
            continue
        owners = folders.get(relative.parts[0]) if len(relative.parts) > 1 else None
        if not owners:
            unread.append(UnreadFile(
                relative.as_posix(),
                "it is in no folder tepat reads",
                f"move it into one of {everywhere} as DESIGN §2 describes, or take it "
                "out of data/raw/",
            ))  # fmt: skip
            continue
        places = "; ".join(source.where() for source in owners)
        suffixes = sorted({Path(p).suffix for s in owners for p in s.patterns})
        if path.suffix.lower() not in suffixes:
            reason = (
                f"tepat reads no '{path.suffix or '(no extension)'}' files in "
                f"{relative.parts[0]}/ (only {', '.join(suffixes)})"
            )
            what = (
                f"save it as one of those, where tepat reads it ({places}), or take it out "
                "of data/raw/"
            )
        else:
            reason = f"it is not where files of {relative.parts[0]}/ go, or not named as they are"
            what = f"move or rename it: tepat reads {places}"
        unread.append(UnreadFile(relative.as_posix(), reason, what))
    return unread
