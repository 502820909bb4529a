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
        # Office lock files (~$roster.xlsx) and hidden files are never data.
        return sorted(p for p in found if not p.name.startswith(("~$", ".")))


def _snapshot_columns(relative: Path) -> dict[str, str]:
    folder = relative.parts[0]
    if not _DATE_FOLDER.match(folder):
        raise ValueError(
            f"registry folder '{folder}' is not a snapshot date; name it YYYY-MM-DD "
            "(the snapshot's reference date), e.g. data/raw/registry/2025-03-31/"
        )
    # tidy files lie in the snapshot folder itself; other layouts in a subfolder (Layout)
    layout = relative.parts[1] if len(relative.parts) > 2 else "dtsen"
    columns = {"tanggal_snapshot": folder, "format_registri": layout}
    if len(relative.parts) == 4:  # siks_ng/<kode_kabkota>/<file>
        kabkota = "".join(ch for ch in relative.parts[2] if ch.isdigit())
        if len(kabkota) != 4:
            raise ValueError(
                f"registry/{relative.as_posix()}: put SIKS-NG exports in a folder named by the "
                "4-digit kabupaten/kota code, e.g. registry/2025-03-31/siks_ng/5371/"
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
    ),
    RawSource(
        table="bps_indicators",
        description="BPS poverty indicators (tidy, BPS tables, long downloads, HTML .xls)",
        folder="bps",
        patterns=("*.csv", "*.xlsx", "*.xls"),
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
