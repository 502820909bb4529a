"""What tepat reads from `data/raw/`: one `RawSource` per raw table (DESIGN §2).

A source says where its files live, which columns the contract requires, and which values
the folder path carries (snapshot date, roster region/year/programme). The loader turns every
file of a source into rows of `raw.<table>`, as text, exactly as they came.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

_DATE_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Layout:
    """A registry layout other than the tidy form (DESIGN §2.2), kept in its own subfolder of
    a snapshot folder and read by the agency reader (title blocks, sheets, footers)."""

    #: the subfolder (`registry/<date>/<folder>/`), also the rows' `format_registri`
    folder: str
    required_columns: tuple[str, ...]
    #: the column whose header marks the header row and whose cells tell data from footers
    key_column: str
    #: the workbook sheet this table reads (None: every sheet)
    sheet: str | None = None
    #: 2 when files lie in a subfolder named by kabupaten/kota (`siks_ng/<kode_kabkota>/`)
    depth: int = 1
    #: one row per household from rows per person (the first row of each `id_keluarga`)
    per_household: bool = False


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
    #: layouts other than the tidy form, recognised by their subfolder
    layouts: tuple[Layout, ...] = ()
    #: when set, a source without files still gets an empty raw table with these text
    #: columns (a layout few users have: the models that read it still run)
    empty_table_columns: tuple[str, ...] = ()
    #: where its files go, in words (default: the patterns), for the unread-files report
    placement: str = ""

    def layout_of(self, path: Path) -> Layout | None:
        """The layout of a file of this source (None: the tidy form, read by DuckDB): its
        folder, or the folder above it (`siks_ng/<kode_kabkota>/`)."""
        folders = (path.parent.name, path.parent.parent.name)
        return next((x for x in self.layouts if x.folder in folders[: x.depth]), None)

    def discover(self, raw_dir: Path) -> list[Path]:
        base = raw_dir / self.folder
        if not base.is_dir():
            return []
        found: set[Path] = set()
        for pattern in self.patterns:
            found.update(p for p in base.glob(pattern) if p.is_file())
        # Office lock files (~$roster.xlsx) and hidden files are never data; nor is a link
        # that leads out of data/raw/ (the unread-files report says so).
        inside = raw_dir.resolve()
        return sorted(
            p for p in found if not p.name.startswith(("~$", ".")) and is_inside(p, inside)
        )

    def where(self) -> str:
        """Where this source's files go, as the unread-files report says it."""
        return self.placement or " or ".join(f"{self.folder}/{p}" for p in self.patterns)


def _snapshot_columns(relative: Path) -> dict[str, str]:
    folder = relative.parts[0]
    if not _DATE_FOLDER.match(folder):
        raise ValueError(
            f"registry folder '{folder}' is not a snapshot date. What to do: rename "
            f"data/raw/registry/{folder}/ to the snapshot's reference date, YYYY-MM-DD, "
            "e.g. data/raw/registry/2025-03-31/"
        )
    try:
        dt.date.fromisoformat(folder)
    except ValueError:
        # Checked here, in words: else DuckDB's cast stops the night with its own error.
        raise ValueError(
            f"registry folder '{folder}' is not a real date (there is no such day: the "
            "month must be 01-12 and the day must exist in that month); the folder name "
            "must be a real date YYYY-MM-DD, the snapshot's reference date. What to do: "
            f"rename data/raw/registry/{folder}/ to the snapshot's date, e.g. "
            "data/raw/registry/2025-03-31/, and run again."
        ) from None
    # tidy files lie in the snapshot folder itself; other layouts in a subfolder (Layout)
    layout = relative.parts[1] if len(relative.parts) > 2 else "dtsen"
    columns = {"tanggal_snapshot": folder, "format_registri": layout}
    if len(relative.parts) == 4:  # siks_ng/<kode_kabkota>/<file>
        kabkota = "".join(ch for ch in relative.parts[2] if ch.isdigit())
        if len(kabkota) != 4:
            raise ValueError(
                f"registry/{relative.as_posix()}: the folder '{relative.parts[2]}' does not "
                "name a kabupaten/kota. What to do: put SIKS-NG exports in a folder named by "
                "the 4-digit kabupaten/kota code, e.g. registry/2025-03-31/siks_ng/5371/"
            )
        columns["folder_kode_wilayah"] = kabkota
    return columns


def _roster_columns(relative: Path) -> dict[str, str]:
    if len(relative.parts) != 4:
        raise ValueError(
            "roster files belong in rosters/<kode_kabkota>/<tahun>/<kode_program>/<file>, "
            f"not rosters/{relative.as_posix()}"
        )
    kabkota, tahun, program, _ = relative.parts
    if not re.fullmatch(r"\d{4}", tahun):
        raise ValueError(
            f"rosters/{kabkota}/{tahun}/: the folder '{tahun}' should be the roster's year "
            f"(4 digits). What to do: move the file to rosters/{kabkota}/<tahun>/{program}/, "
            f"e.g. rosters/{kabkota}/2025/{program}/"
        )
    if len(re.sub(r"\D", "", kabkota)) != 4:
        raise ValueError(
            f"rosters/{kabkota}/: the folder '{kabkota}' should be the 4-digit kabupaten/kota "
            "code. What to do: move the file to rosters/<kode_kabkota>/<tahun>/<kode_program>/, "
            f"e.g. rosters/5371/{tahun}/{program}/"
        )
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

_SIKS_NG_PATTERNS = ("*/siks_ng/*/*.csv", "*/siks_ng/*/*.xlsx")
#: SIKS-NG programme flags (Y/N) that become roster rows (DESIGN §2.2); always columns of
#: raw.dtsen_anggota, empty for the other layouts
REGISTRY_PROGRAM_FLAGS = ("bansos_pkh", "bansos_bpnt", "pbi_jkn")

_AGREGAT_REQUIRED = ("nama_desa", "kode_kabkota", "kode_kecamatan", "kode_desa")
_AGREGAT_OPTIONAL = (
    "kode_provinsi", "nama_provinsi", "nama_kabkota", "nama_kecamatan",
    *(f"desil_{d}" for d in range(1, 11)), "desil_7_10", "desil_null", "total",
)  # fmt: skip

SOURCES: tuple[RawSource, ...] = (
    RawSource(
        table="dtsen_keluarga",
        description="DTSEN households, one row per household per snapshot",
        folder="registry",
        patterns=(
            "*/keluarga.csv",
            "*/keluarga.parquet",
            "*/p3ke/*.xlsx",
            *_SIKS_NG_PATTERNS,
        ),
        required_columns=("id_keluarga", "no_kk", "kode_wilayah", "desil"),
        optional_columns=("jumlah_anggota", "tanggal_pemutakhiran", *_KELUARGA_PMT),
        path_columns=_snapshot_columns,
        hint="Export the snapshot again from DTSEN as registry/<YYYY-MM-DD>/keluarga.csv, "
        "or put P3KE workbooks as distributed in registry/<YYYY-MM-DD>/p3ke/.",
        layouts=(
            Layout(
                folder="p3ke",
                required_columns=("id_keluarga", "no_kk", "kode_wilayah", "desil"),
                key_column="id_keluarga",
                sheet="Keluarga",
            ),
            Layout(
                folder="siks_ng",
                required_columns=("id_keluarga", "no_kk", "kode_wilayah"),
                key_column="nik",
                depth=2,
                per_household=True,
            ),
        ),
        placement="registry/<YYYY-MM-DD>/keluarga.csv or .parquet, P3KE workbooks in "
        "registry/<YYYY-MM-DD>/p3ke/, SIKS-NG exports in "
        "registry/<YYYY-MM-DD>/siks_ng/<kode_kabkota>/ (.csv or .xlsx)",
    ),
    RawSource(
        table="dtsen_anggota",
        description="DTSEN household members, one row per person per snapshot",
        folder="registry",
        patterns=("*/anggota.csv", "*/anggota.parquet", "*/p3ke/*.xlsx", *_SIKS_NG_PATTERNS),
        required_columns=("nik", "id_keluarga", "status"),
        optional_columns=(
            "nama",
            "hubungan",
            "jenis_kelamin",
            "tanggal_lahir",
            "disabilitas",
            "sekolah",
            *REGISTRY_PROGRAM_FLAGS,
        ),  # fmt: skip
        path_columns=_snapshot_columns,
        hint="Export the snapshot again from DTSEN as registry/<YYYY-MM-DD>/anggota.csv, "
        "or put P3KE workbooks as distributed in registry/<YYYY-MM-DD>/p3ke/.",
        # P3KE has no status column: staging reads its members as living (DESIGN §2.2)
        layouts=(
            Layout(
                folder="p3ke",
                required_columns=("nik", "id_keluarga"),
                key_column="nik",
                sheet="Individu",
            ),
            Layout(
                folder="siks_ng",
                required_columns=("nik", "id_keluarga"),
                key_column="nik",
                depth=2,
            ),
        ),
        placement="registry/<YYYY-MM-DD>/anggota.csv or .parquet",
    ),
    RawSource(
        table="dtsen_desil_agregat",
        description="DTSEN households per desil, aggregated per desa (kodewil_desil files)",
        folder="registry",
        patterns=("*/agregat/*.xlsx", "*/agregat/*.csv"),
        required_columns=_AGREGAT_REQUIRED,
        optional_columns=_AGREGAT_OPTIONAL,
        path_columns=_snapshot_columns,
        hint="Put the desa desil aggregates as received (NMKAB, NMKEC, NMDESA, kdprov, kdkab, "
        "kdkec, kddesa, DESIL 1 … DESIL 7-10, DESIL NULL, TOTAL) in "
        "registry/<YYYY-MM-DD>/agregat/ (DESIGN §2.2).",
        layouts=(
            Layout(folder="agregat", required_columns=_AGREGAT_REQUIRED, key_column="kode_desa"),
        ),
        empty_table_columns=(
            *_AGREGAT_REQUIRED,
            *_AGREGAT_OPTIONAL,
            "tanggal_snapshot",
            "format_registri",
            "_sheet",
        ),
        placement="registry/<YYYY-MM-DD>/agregat/<file>.xlsx or .csv (desa desil aggregates)",
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
        placement="rosters/<kode_kabkota>/<tahun>/<kode_program>/<file>.csv or .xlsx",
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
        # the table exists even when every BPS file is held back (DESIGN §4)
        empty_table_columns=(
            "kode_wilayah",
            "tahun",
            "bulan",
            "indikator",
            "nilai",
            "nama_wilayah_sumber",
            "nilai_asli",
            "alasan_karantina",
        ),
        placement="bps/ or any subfolder of it: BPS tables as .csv, .xlsx, .xls or Web API .json",
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


def is_inside(path: Path, resolved_raw_dir: Path) -> bool:
    """Whether `path`, once every symlink and `..` is followed, still lies in data/raw/
    (`resolved_raw_dir`, itself resolved: data/raw may be a link to a share). tepat reads
    nothing outside it (DESIGN §2)."""
    return path.resolve().is_relative_to(resolved_raw_dir)


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
    everywhere = ", ".join(dict.fromkeys(f"{s.folder}/" for s in SOURCES))
    unread = []
    for path in sorted(raw_dir.rglob("*")):
        relative = path.relative_to(raw_dir)
        if any(part.startswith(".") for part in relative.parts):
            continue
        linked_folder = path.is_symlink() and path.is_dir()  # rglob does not go into it
        if path in read or not (path.is_file() or linked_folder):
            continue
        if not is_inside(path, raw_dir.resolve()):
            kind = "folder" if linked_folder else "file"
            unread.append(UnreadFile(
                relative.as_posix() + ("/" if linked_folder else ""),
                f"it is a link to a {kind} outside data/raw/, and tepat reads nothing "
                "outside data/raw/",
                f"copy the {kind} itself into data/raw/ (and remove the link), or take the "
                "link out of data/raw/",
            ))  # fmt: skip
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
