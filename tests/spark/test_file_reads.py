"""Spark reads the registry's tidy files itself (DESIGN §6.1, issue 19): what it reads is
what the loader read, row for row and value for value, with the same row numbers, also when
a file is split into many blocks read in parallel; a file only tepat's readers can read
(Windows-1252, a Parquet double) comes through the Parquet copy instead.

Real files, the real loader into a real DuckDB warehouse, the real hand-over, and the Spark
SQL `register_raw_sources` runs, in a real local Spark session with 64 KB blocks."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration import engines
from orchestration.ingest.loader import sync_source
from orchestration.ingest.sources import SOURCES_BY_TABLE

pytestmark = [pytest.mark.spark]

pytest.importorskip("pyspark")

KELUARGA = SOURCES_BY_TABLE["dtsen_keluarga"]
BLOCK = 64 * 1024


def household_rows(rng: random.Random, count: int, start: int) -> list[list[str]]:
    """Values a registry export has: quoted text with the delimiter, a quote or accents in
    it, empty fields, an empty quoted field, spaces kept at either end."""
    texts = [
        "milik sendiri",
        'kontrak, "bulanan"',
        "Désa Ñusa",
        "",
        " sewa ",
        '""',
        "semi;permanen",
    ]
    rows = []
    for i in range(start, start + count):
        rows.append(
            [
                f"K{i:07d}",
                f"53710101012{i:05d}",
                rng.choice(["5371011001", "5371011002", ""]),
                str(rng.randint(1, 10)),
                rng.choice(texts),
            ]
        )
    return rows


def csv_text(header: list[str], rows: list[list[str]], delimiter: str, newline: str) -> str:
    def cell(value: str) -> str:
        if value == '""':
            return '""'  # an empty quoted field
        if any(c in value for c in (delimiter, '"', " ")):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [delimiter.join(header)] + [delimiter.join(cell(v) for v in row) for row in rows]
    return newline.join(lines) + newline


def test_spark_reads_a_registry_file_split_into_blocks_as_the_loader_does(tmp_path: Path):
    from pyspark.sql import SparkSession

    rng = random.Random(19)
    raw = tmp_path / "raw"
    header = ["id_keluarga", "No. KK", "kode_wilayah", "desil", "status_bangunan"]
    files = {
        # comma, CRLF, about 20 blocks
        "registry/2025-03-31/keluarga.csv": csv_text(
            header, household_rows(rng, 30_000, 0), ",", "\r\n"
        ),
        # another form: semicolon, columns in another order, no final line break
        "registry/2025-06-30/keluarga.csv": csv_text(
            header[::-1], [row[::-1] for row in household_rows(rng, 8_000, 50_000)], ";", "\n"
        ).removesuffix("\n"),
    }
    for relative, text in files.items():
        (raw / relative).parent.mkdir(parents=True)
        (raw / relative).write_text(text, encoding="utf-8")
    # Windows-1252: only tepat's reader reads it, so its rows go over as Parquet
    (raw / "registry/2024-12-31").mkdir(parents=True)
    (raw / "registry/2024-12-31/keluarga.csv").write_bytes(
        csv_text(header, household_rows(rng, 50, 90_000), ",", "\r\n").encode("cp1252")
    )
    # Parquet snapshots: typed columns that print alike on both engines (text, whole
    # numbers, dates) are read by Spark; a double prints otherwise (6.0E7), so that file's
    # rows go over as the loader's text
    rows = household_rows(rng, 3_000, 100_000)
    typed = pa.table(
        {
            "ID Keluarga": [row[0] for row in rows],
            "No. KK": [row[1] for row in rows],
            "kode_wilayah": [row[2] or None for row in rows],
            "desil": pa.array([int(row[3]) for row in rows], pa.int64()),
            "tanggal_verifikasi": pa.array(
                [dt.date(2024, 1, 1) + dt.timedelta(days=i % 400) for i in range(len(rows))]
            ),
            "penghasilan": pa.array([i * 1000 for i in range(len(rows))], pa.int32()),
        }
    )
    (raw / "registry/2025-09-30").mkdir(parents=True)
    pq.write_table(typed, raw / "registry/2025-09-30/keluarga.parquet", row_group_size=500)
    (raw / "registry/2025-12-31").mkdir(parents=True)
    pq.write_table(
        typed.set_column(5, "penghasilan", pa.array([i * 1.5 for i in range(len(rows))])),
        raw / "registry/2025-12-31/keluarga.parquet",
    )
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        sync_source(con, KELUARGA, raw)
        loaded = con.execute("select * from raw.dtsen_keluarga order by all").fetchall()
        columns = [row[0] for row in con.execute("describe raw.dtsen_keluarga").fetchall()]
    assert len(loaded) == 44_050

    folders = engines.SparkFolders.of(tmp_path / "data", "night-1")
    done = engines.hand_over(
        warehouse, folders, {"raw.dtsen_keluarga": ["tanggal_snapshot"]}, raw_dir=raw
    )
    # three files linked; the cp1252 one and the Parquet file with a double copied
    assert (done.linked, done.rows) == (3, 3_050)
    statements = json.loads((folders.handoff / engines.READS_FILE).read_text())

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("tepat-file-reads")
        .config("spark.sql.warehouse.dir", str(folders.build))
        .config("spark.sql.files.maxPartitionBytes", str(BLOCK))
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    try:
        spark.sql("create database if not exists raw")
        for statement in statements["raw.dtsen_keluarga"]:
            spark.sql(statement).collect()
        blocks = spark.sql(
            "select count(distinct _source_file, _block) from raw.dtsen_keluarga__read"
        ).first()[0]
        read = spark.sql("select * from raw.dtsen_keluarga").collect()
        read_columns = spark.table("raw.dtsen_keluarga").columns

        # A file changed after the loader read it (a new export copied over it during the
        # night): Spark would read other rows than the gates passed, so the night stops.
        with (raw / "registry/2025-03-31/keluarga.csv").open("a") as handle:
            handle.write("K9999999,5371010101299999,5371011001,1,sewa\r\n")
        later = engines.SparkFolders.of(tmp_path / "data", "night-2")
        engines.hand_over(warehouse, later, {"raw.dtsen_keluarga": ["tanggal_snapshot"]}, raw)
        spark.sql("drop view raw.dtsen_keluarga")
        with pytest.raises(Exception, match="Spark read 30001 rows of registry/2025-03-31/"
                           "keluarga.csv where the loader read 30000") as stopped:  # fmt: skip
            for statement in json.loads((later.handoff / engines.READS_FILE).read_text())[
                "raw.dtsen_keluarga"
            ]:
                spark.sql(statement).collect()
        assert "What to do: run the night again" in str(stopped.value)
    finally:
        spark.stop()
    assert blocks >= 20  # the 2 MB file was read in many blocks
    assert read_columns == columns
    assert sorted(tuple(row) for row in read) == loaded
