"""The engines the nightly dbt build runs on (DESIGN §6): DuckDB, the default, and Apache
Spark for national scale (README "Scaling out").

On Spark the night goes: the loader and the raw gates work in the DuckDB warehouse as on
DuckDB (same row rules, quarantine, thresholds); the raw tables are handed to Spark
(`hand_over`): the registry files the loader read as they are (their tidy form) are linked
for Spark to read itself, in parallel (`file_reads`), the other rows go as Parquet; dbt
builds every model on Spark into one folder of Parquet tables per night; then DuckDB views
over those tables take the place of the models in the warehouse (`attach_spark_tables`), so
the mart gates, the publication, `tepat check`, the exports and `marts.duckdb` read them
unchanged.

Chosen by the environment, as the data directory is: `TEPAT_ENGINE=spark` (or `tepat run
--engine spark`) with `TEPAT_SPARK_MASTER` (default `local[*]`, or `spark://host:7077`), or
`TEPAT_SPARK_METHOD=thrift` with `TEPAT_SPARK_HOST`/`TEPAT_SPARK_PORT` for a Thrift Server.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"
ENGINE_VARIABLE = "TEPAT_ENGINE"

#: The Spark settings profiles.yml reads, with their defaults.
SPARK_VARIABLES = {
    "TEPAT_SPARK_METHOD": "session",
    "TEPAT_SPARK_MASTER": "local[*]",
    "TEPAT_SPARK_HOST": "localhost",
    "TEPAT_SPARK_PORT": "10000",
    "TEPAT_SPARK_DRIVER_MEMORY": "2g",
    "TEPAT_SPARK_EXECUTOR_MEMORY": "2g",
    "TEPAT_SPARK_EXECUTOR_CORES": "1",
    "TEPAT_SPARK_SHUFFLE_PARTITIONS": "8",
}


class EngineError(ValueError):
    """A setting that names no engine, said in plain words."""


def engine_from_env() -> str:
    engine = os.environ.get(ENGINE_VARIABLE, DEFAULT_ENGINE).strip().lower() or DEFAULT_ENGINE
    if engine not in ENGINES:
        raise EngineError(
            f"{ENGINE_VARIABLE}={engine!r} is not an engine tepat runs on: use "
            + " or ".join(ENGINES)
            + "."
        )
    return engine


def spark_variables() -> dict[str, str]:
    """The Spark settings of this environment, the defaults filled in."""
    return {name: os.environ.get(name, default) for name, default in SPARK_VARIABLES.items()}


def spark_location(variables: dict[str, str]) -> str:
    """Where a Spark night's SQL runs, in words: the master URL, or the Thrift Server."""
    if variables.get("TEPAT_SPARK_METHOD") == "thrift":
        return f"Thrift Server {variables['TEPAT_SPARK_HOST']}:{variables['TEPAT_SPARK_PORT']}"
    return variables["TEPAT_SPARK_MASTER"]


def check_spark_installed() -> None:
    """The Spark engine's libraries and Java, or an EngineError saying how to get them."""
    import shutil

    missing = [name for name in ("pyspark", "dbt.adapters.spark") if not _importable(name)]
    if missing:
        raise EngineError(
            "the Spark engine needs pyspark and dbt-spark, which are not installed: run "
            "`.venv/bin/pip install -e '.[spark]'` (or `make test-spark`, which installs them)."
        )
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise EngineError(
            "the Spark engine needs Java 17 or newer, and no `java` is on the PATH (nor "
            "JAVA_HOME set): install a JDK, e.g. `apt-get install openjdk-17-jre-headless`."
        )


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


@dataclass(frozen=True)
class SparkFolders:
    """Where a Spark night keeps its files, under the data directory (personal data, like
    the warehouse: never published)."""

    root: Path
    run_id: str

    @classmethod
    def of(cls, data_dir: str | Path, run_id: str) -> SparkFolders:
        return cls(Path(data_dir) / "spark", run_id)

    @property
    def handoff(self) -> Path:
        """The raw tables as Parquet, one folder per table: <schema>/<table>/."""
        return self.root / "handoff"

    @property
    def build(self) -> Path:
        """The night's dbt tables (spark.sql.warehouse.dir): <schema>.db/<table>/. One
        folder per run: the warehouse's views keep reading the last good night's until a
        new night has built every table."""
        return self.root / "builds" / self.run_id

    def environment(self) -> dict[str, str]:
        """The variables profiles.yml's spark target reads (the defaults filled in)."""
        variables = spark_variables()
        variables["TEPAT_SPARK_LOG_CONFIG"] = str(
            Path(__file__).with_name("spark-log4j2.properties")
        )
        variables["TEPAT_SPARK_HANDOFF"] = str(self.handoff)
        variables["TEPAT_SPARK_WAREHOUSE"] = str(self.build)
        reads = self.handoff / READS_FILE
        # what `register_raw_sources` runs for the tables whose files Spark reads itself
        variables["TEPAT_SPARK_FILE_READS"] = reads.read_text() if reads.is_file() else "{}"
        return variables


#: Per hand-over folder: the fingerprint of each partition's rows and of the table's columns.
#: Spark skips files whose name starts with `_`.
HANDOFF_STATE = "_tepat_handoff.json"
#: In the hand-over folder: per raw table whose files Spark reads itself, the Spark SQL that
#: registers it at run start (`file_reads`, macro `register_raw_sources`).
READS_FILE = "_tepat_reads.json"
#: Beside a table's Parquet copy: the links to its files Spark reads itself, one folder per
#: tidy form (`<table>__files/f<k>/`).
FILES_SUFFIX = "__files"


@dataclass
class HandOver:
    """What one night's hand-over did: rows and partitions written, partitions kept as they
    were (their rows did not change), partitions removed (gone from the warehouse)."""

    rows: int = 0
    written: int = 0
    kept: int = 0
    removed: int = 0
    #: files Spark reads itself (their rows are not in `rows`)
    linked: int = 0

    def describe(self) -> str:
        text = f"{self.rows:,} raw rows in {self.written} partitions written"
        if self.kept:
            text += f", {self.kept} unchanged kept"
        if self.removed:
            text += f", {self.removed} removed"
        if self.linked:
            text += f"; {self.linked} registry files Spark reads itself"
        return text


def hand_over(
    warehouse: str | Path,
    folders: SparkFolders,
    tables: Mapping[str, Sequence[str]] | Iterable[str],
    raw_dir: str | Path | None = None,
) -> HandOver:
    """Bring the Parquet copy of each raw table (`schema.table`) of the warehouse up to date
    for Spark (DESIGN §6.1). `tables` maps each table to its partition columns (none: one
    folder); a partition is `<table>/<column>=<value>/…`, as Spark reads it. Only partitions
    whose rows changed are written again; partitions no longer in the table are removed.

    With `raw_dir` (the folder the loader read), the files whose tidy form the manifest
    records are not copied: they are linked for Spark to read itself (`_link_tidy_files`),
    and their rows stay out of the Parquet copy."""
    if not isinstance(tables, Mapping):
        tables = {relation: () for relation in tables}
    done = HandOver()
    reads: dict[str, list[str]] = {}
    (folders.handoff / READS_FILE).unlink(missing_ok=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for relation, partition_by in tables.items():
            tidy = _tidy_files(con, relation) if raw_dir is not None else {}
            columns = _hand_over_table(
                con, folders.handoff, relation, tuple(partition_by), done, bool(tidy)
            )
            target = folders.handoff / Path(*relation.split("."))
            links = target.with_name(target.name + FILES_SUFFIX)
            shutil.rmtree(links, ignore_errors=True)
            if tidy:
                forms = _link_tidy_files(links, Path(raw_dir), tidy)
                loaded = {path: form["loaded"] for path, form in tidy.items()}
                reads[relation] = file_reads(
                    relation, columns, forms, folders, partition_by, loaded
                )
                done.linked += sum(len(files) for _, files in forms)
    folders.handoff.mkdir(parents=True, exist_ok=True)
    (folders.handoff / READS_FILE).write_text(json.dumps(reads, indent=1))
    return done


def _tidy_files(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, dict]:
    """The files of a raw table the loader recorded a tidy form for (DESIGN §6.1): path
    (relative to data/raw/) → the form (format, delimiter or Parquet columns, columns,
    values), with what the loader found in `loaded`: its rows and bytes."""
    schema, table = relation.split(".")
    has_forms = con.execute(
        "select count(*) from duckdb_columns() where schema_name = 'meta' "
        "and table_name = 'file_manifest' and column_name = 'tidy_form'"
    ).fetchone()[0]
    if schema != "raw" or not has_forms:
        return {}
    rows = con.execute(
        "select file_path, tidy_form, row_count, size_bytes from meta.file_manifest "
        "where table_name = ? and removed_at is null and tidy_form is not null "
        "order by file_path",
        [table],
    ).fetchall()
    return {path: json.loads(form) | {"loaded": [count, size]} for path, form, count, size in rows}


def _link_tidy_files(
    links: Path, raw_dir: Path, tidy: Mapping[str, dict]
) -> list[tuple[dict, list[str]]]:
    """Link each tidy file into `links/f<k>/<value>=…/_source_file=<path>/<name>`, one folder
    per form (format, delimiter or Parquet columns, which values): Spark reads a form's
    files as one table, the path's values and the file's path from the folder names. A
    link, not a copy: the raw file is neither copied nor touched. Returns each form with
    its files."""
    forms: dict[str, tuple[dict, list[str]]] = {}
    for path, form in tidy.items():
        shape = {name: value for name, value in form.items() if name != "loaded"}
        key = json.dumps(shape | {"values": sorted(form["values"])}, sort_keys=True)
        forms.setdefault(key, (form, []))[1].append(path)
    for k, (form, files) in enumerate(forms.values()):
        keys = (*sorted(form["values"]), "_source_file")
        for path in files:
            values = tidy[path]["values"]
            folder = (
                links / f"f{k}" / _partition_path(keys, (*(values[v] for v in keys[:-1]), path))
            )
            folder.mkdir(parents=True)
            (folder / Path(path).name).symlink_to((raw_dir / path).resolve())
    return list(forms.values())


def _spark_literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


#: DuckDB's types of the raw tables' columns, as Spark names them.
_SPARK_TYPES = {"VARCHAR": "string", "BIGINT": "bigint", "INTEGER": "int", "SMALLINT": "smallint",
                "TINYINT": "tinyint", "BOOLEAN": "boolean", "DATE": "date"}  # fmt: skip


def file_reads(
    relation: str,
    columns: Sequence[tuple[str, str]],
    forms: Sequence[tuple[dict, list[str]]],
    folders: SparkFolders,
    partition_by: Sequence[str],
    loaded: Mapping[str, Sequence[int]],
) -> list[str]:
    """The Spark SQL that makes the dbt source `relation` (the warehouse's `columns`) the
    Parquet copy of the loader's rows plus the tidy files Spark reads itself (DESIGN §6.1),
    run at the start of the dbt build (macro `register_raw_sources`):

    - `<relation>__handed`: the Parquet copy (`hand_over`);
    - `<relation>__files_<k>`: the linked files of form k: CSV, every column text, or
      Parquet with the files' columns;
    - `<relation>__read`: what Spark read of them, every value as text, in the night's
      build folder, with each row's block of its file (`_block`) and place in Spark's
      reading (`_position`: consecutive within a block; a Parquet file's row index);
    - a check that Spark read as many rows of each file as the loader did (`loaded`:
      path → rows, bytes, from the manifest) and the file still has its size: if not, the
      night stops there, naming the file;
    - the view `<relation>`: both, each tidy row numbered as the loader numbers it (the
      header is row 1): its place in its block plus the rows of the file's earlier blocks.
    """
    schema, table = relation.split(".")
    handoff = folders.handoff / schema / table
    statements = [
        f"drop table if exists {relation}__handed",
        f"create table {relation}__handed using parquet location {_spark_literal(str(handoff))}",
    ]
    if partition_by:
        statements += [
            f"alter table {relation}__handed recover partitions",
            f"analyze table {relation}__handed compute statistics noscan",
        ]
    names = [name for name, _ in columns]
    branches = []
    for k, (form, _) in enumerate(forms):
        values = sorted(form["values"])
        files = f"{relation}__files_{k}"
        partitions = ", ".join(f"{name} string" for name in (*values, "_source_file"))
        location = folders.handoff / schema / (table + FILES_SUFFIX) / f"f{k}"
        if form.get("format") == "parquet":
            data = ", ".join(
                f"`{name}` {_SPARK_TYPES[kind]}"
                for name, kind in zip(form["names"], form["types"], strict=True)
            )
            using = "parquet"
            position = {
                name: f"cast(`{original}` as string)"
                for name, original in zip(form["columns"], form["names"], strict=True)
            }
            block = "0L as _block, _metadata.row_index as _position"
        else:
            data = ", ".join(f"c{i} string" for i in range(len(form["columns"])))
            options = {"header": "true", "sep": form["delimiter"], "quote": '"', "escape": '"',
                       "multiLine": "false", "encoding": "UTF-8", "mode": "FAILFAST"}  # fmt: skip
            using = (
                "csv options ("
                + ", ".join(f"{key} {_spark_literal(value)}" for key, value in options.items())
                + ")"
            )
            position = {name: f"c{i}" for i, name in enumerate(form["columns"])}
            block = (
                "_metadata.file_block_start as _block, monotonically_increasing_id() as _position"
            )
        statements += [
            f"drop table if exists {files}",
            f"create table {files} ({data + ', ' if data else ''}{partitions}) using {using} "
            f"partitioned by ({', '.join((*values, '_source_file'))}) "
            f"location {_spark_literal(str(location))}",
            f"alter table {files} recover partitions",
        ]
        select = []
        for name, kind in columns:
            spark_type = _SPARK_TYPES.get(kind, "string")
            if name in position:
                select.append(f"{position[name]} as `{name}`")
            elif name in (*values, "_source_file"):
                select.append(f"`{name}`")
            elif name == "_nik_was_number":
                select.append("false as _nik_was_number")
            else:
                select.append(f"cast(null as {spark_type}) as `{name}`")
        branches.append(
            f"select {', '.join(select)}, {block}, _metadata.file_size as _file_size from {files}"
        )
    read = folders.build / f"{schema}.db" / f"{table}__read"
    listed = ", ".join(f"`{name}`" for name in names)
    numbered = ", ".join(
        "2 + blocks._before + (r._position - blocks._first) as _row_number"
        if name == "_row_number"
        else f"r.`{name}`"
        for name in names
    )
    expected = ", ".join(
        f"({_spark_literal(path)}, {rows}L, {size}L)" for path, (rows, size) in loaded.items()
    )
    statements += [
        f"drop table if exists {relation}__read",
        f"create table {relation}__read using parquet location {_spark_literal(str(read))} as "
        + " union all ".join(branches),
        # Spark read each file whole, as the loader did, or the night stops saying which
        "select raise_error(concat('Spark read ', coalesce(spark.rows, 0), ' rows of ', "
        "loader.file, ' where the loader read ', loader.rows, ' (the file has ', "
        "coalesce(spark.bytes, loader.bytes), ' bytes, ', loader.bytes, ' when it was "
        "loaded): the file changed after it was loaded, or Spark reads it otherwise than "
        "tepat. What to do: run the night again; if this repeats, save the file again as "
        "CSV UTF-8 and put it in the same place.')) "
        f"from (values {expected}) as loader(file, rows, bytes) left join ("
        "select _source_file, count(*) as rows, max(_file_size) as bytes from "
        f"{relation}__read group by _source_file) as spark on spark._source_file = "
        "loader.file where coalesce(spark.rows, 0) <> loader.rows "
        "or spark.bytes <> loader.bytes",
        f"create view {relation} as select {listed} from {relation}__handed "
        f"union all select {numbered} from {relation}__read as r join ("
        "select _source_file, _block, min(_position) as _first, coalesce(sum(count(*)) over "
        "(partition by _source_file order by _block rows between unbounded preceding and "
        f"1 preceding), 0) as _before from {relation}__read group by _source_file, _block"
        ") as blocks on r._source_file = blocks._source_file and r._block = blocks._block",
    ]
    return statements


def _hand_over_table(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    relation: str,
    partition_by: tuple[str, ...],
    done: HandOver,
    without_tidy_files: bool = False,
) -> list[tuple[str, str]]:
    """Hand one table over; returns its columns (name, DuckDB type). `without_tidy_files`:
    leave out the rows of the files Spark reads itself."""
    schema, table = relation.split(".")
    target = root / schema / table
    rows = f"{schema}.{table}"
    if without_tidy_files:
        rows = (
            f"(select * from {rows} where _source_file not in (select file_path from "
            f"meta.file_manifest where table_name = '{table}' and removed_at is null "
            "and tidy_form is not null))"
        )
    columns = con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where schema_name = ? and table_name = ? order by column_index",
        [schema, table],
    ).fetchall()
    keys = "".join(f"{column}, " for column in partition_by)
    # One pass over the table: rows and the sum of the row hashes per partition (a sum, not
    # a xor, so that two equal rows do not cancel out).
    counted = con.execute(
        f"select {keys}count(*), sum(hash(t)::hugeint)::varchar from {rows} as t"
        + (" group by all" if partition_by else "")
    ).fetchall()
    if partition_by and not counted:
        # An empty table has no partitions, but Spark needs a file to read its columns from:
        # an empty one, in the partition of nulls (it adds no row)
        counted = [(*(None for _ in partition_by), 0, None)]
    partitions = {
        _partition_path(partition_by, row[:-2]): (row[:-2], f"{row[-2]}:{row[-1]}")
        for row in counted
    }
    layout = {"columns": [list(c) for c in columns], "partition_by": list(partition_by)}
    state_file = target / HANDOFF_STATE
    state = json.loads(state_file.read_text()) if state_file.is_file() else {}
    if state.get("layout") != layout:
        shutil.rmtree(target, ignore_errors=True)  # other columns or partitions: all again
        state = {}
    before = state.get("partitions", {})
    target.mkdir(parents=True, exist_ok=True)
    state_file.unlink(missing_ok=True)  # a hand-over cut short is redone from scratch
    for path, (values, fingerprint) in sorted(partitions.items()):
        if before.get(path) == fingerprint and (target / path).is_dir():
            done.kept += 1
            continue
        values_of = dict(zip(partition_by, values, strict=True))
        done.rows += _write_partition(con, rows, target, path, values_of)
        done.written += 1
    for path in sorted(set(before) - set(partitions)):
        shutil.rmtree(target / path, ignore_errors=True)
        done.removed += 1
    after = {path: fingerprint for path, (_, fingerprint) in partitions.items()}
    state_file.write_text(json.dumps({"layout": layout, "partitions": after}, indent=1))
    return columns


#: Hive's name for a null partition value, which Spark reads back as null.
_NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
#: The characters Spark escapes in partition folder names (ExternalCatalogUtils).
_ESCAPED = set("\"#%'*/:=?\\\x7f{[]^") | {chr(c) for c in range(1, 32)}


def _partition_path(columns: tuple[str, ...], values: tuple) -> str:
    """`a=1/b=x`, as Spark names partition folders (its characters escaped as %XX)."""

    def escaped(value: object) -> str:
        if value is None:
            return _NULL_PARTITION
        return "".join(f"%{ord(c):02X}" if c in _ESCAPED else c for c in str(value))

    pairs = zip(columns, values, strict=True)
    return "/".join(f"{column}={escaped(value)}" for column, value in pairs)


def _write_partition(
    con: duckdb.DuckDBPyConnection, relation: str, target: Path, path: str, values: dict
) -> int:
    """Write one partition's rows (without its partition columns, which Spark reads from
    the folder names) into a fresh folder, then put it in place of the old one."""
    fresh = target / f".writing-{path.replace('/', '.')}"  # a dot: Spark never reads it
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    where = " and ".join(
        f"{column} is null" if value is None else f"{column} = ?"
        for column, value in values.items()
    )
    select = f"select * exclude ({', '.join(values)})" if values else "select *"
    # COPY answers with the number of rows it wrote
    rows = con.execute(
        f"copy ({select} from {relation}{' where ' + where if where else ''}) "
        f"to '{fresh / 'part-0.parquet'}' (format parquet)",
        [value for value in values.values() if value is not None],
    ).fetchall()[0][0]
    if path:
        shutil.rmtree(target / path, ignore_errors=True)
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        fresh.rename(target / path)
    else:  # a table without partitions: its file, beside the state file
        fresh.joinpath("part-0.parquet").replace(target / "part-0.parquet")
        fresh.rmdir()
    return rows


def start_build(folders: SparkFolders) -> None:
    """Each Spark night builds into an empty folder of its own: the catalog is in memory, so
    a table folder left by an earlier build would stop Spark from creating the table."""
    shutil.rmtree(folders.build, ignore_errors=True)
    folders.build.mkdir(parents=True)


def remove_other_builds(folders: SparkFolders) -> list[Path]:
    """After a night whose every table the warehouse now reads: the earlier nights' builds."""
    removed = []
    for build in sorted((folders.root / "builds").iterdir()):
        if build != folders.build:
            shutil.rmtree(build, ignore_errors=True)
            removed.append(build)
    return removed


#: Folders of the Spark build that are not dbt's tables: the raw tables registered over the
#: hand-over (DuckDB has its own) and dbt's store of test failures.
_NOT_ATTACHED = ("raw", "meta", "dbt_test__audit")


def spark_tables(folders: SparkFolders) -> list[str]:
    """`schema.name` of every table the night's Spark build wrote (Parquet folders)."""
    found = []
    for schema_folder in sorted(folders.build.glob("*.db")):
        schema = schema_folder.name.removesuffix(".db")
        if schema not in _NOT_ATTACHED:
            found += [f"{schema}.{table.name}" for table in sorted(schema_folder.iterdir())]
    return found


def attach_spark_tables(
    con: duckdb.DuckDBPyConnection, folders: SparkFolders, relations: Iterable[str]
) -> list[str]:
    """Point each table (`schema.name`) of the warehouse at the Parquet Spark wrote: a
    DuckDB view in place of the table DuckDB would have built. Returns those attached."""
    attached = []
    for relation in relations:
        schema, name = relation.split(".")
        folder = folders.build / f"{schema}.db" / name
        con.execute(f"create schema if not exists {schema}")
        kind = con.execute(
            "select table_type from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()
        if kind and kind[0][0] == "BASE TABLE":
            con.execute(f"drop table {schema}.{name}")
        con.execute(
            f"create or replace view {schema}.{name} as "
            f"select * from read_parquet('{folder}/*.parquet')"
        )
        attached.append(relation)
    return attached
