"""When a raw gate may reuse its last result instead of validating the same rows again.

A raw suite's verdict depends only on the rows of the raw tables its batch SQL reads, the
suite itself, the quarantine thresholds and the code that validates (GX and our runner). If
none of these changed since a run in which every expectation passed, validating again
would cost minutes at province scale and say the same thing. The *reuse key* digests them:

- the state (orchestration/fingerprints.py `table_state`) of every `raw.<table>` named in the
  suite's batch queries, or of every raw table when no query names one (a batch reading
  meta.file_manifest for a table is covered by that table's state, which digests the same
  manifest rows);
- the suite file's bytes, thresholds.yml's bytes, runner.py and suites.py, and the GX
  version.

meta.check_reuse keeps one row per validated raw gate (passed or failed) and one per reuse.
A result is reused only when the latest *validated* row with the same key passed; a failure
is never reused, and a forced run (`tepat/force`) always validates. When in doubt — a table
the manifest does not know, a mart suite — there is no key and the suite runs.

meta.check_results is the history of what was checked, so a reused gate adds nothing there:
meta.check_reuse says which run reused which run's result.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import duckdb

from orchestration.fingerprints import files_state, table_state
from orchestration.quality.suites import Suite

REUSE_DDL = """
create schema if not exists meta;
create table if not exists meta.check_reuse (
    check_name varchar not null,     -- ge_<suite>
    reuse_key varchar not null,      -- raw table states + suite + thresholds + GX version
    tables varchar not null,         -- the raw tables the key covers, comma-separated
    run_id varchar not null,         -- the Dagster run that validated (or reused)
    checked_at timestamp not null,   -- UTC
    success boolean not null,        -- every expectation passed
    reused_from_run varchar          -- null: validated in run_id; else whose result was reused
);
"""

_RAW_TABLE = re.compile(r"\braw\s*\.\s*\"?([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
_CODE = (Path(__file__).with_name("runner.py"), Path(__file__).with_name("suites.py"))


@dataclass(frozen=True)
class ReuseKey:
    tables: tuple[str, ...]
    digest: str

    def in_words(self) -> str:
        """'raw.a, raw.b and this suite'."""
        return ", ".join(f"raw.{t}" for t in self.tables) + " and this suite"


@dataclass(frozen=True)
class Reusable:
    run_id: str
    checked_at: str


def raw_tables_read(suite: Suite) -> list[str]:
    """The raw tables named in the suite's batch queries (`raw.<table>`), sorted."""
    return sorted(
        {
            match.group(1).lower()
            for batch in suite.batches.values()
            for match in _RAW_TABLE.finditer(str(batch.get("query", "")))
        }
    )


def reuse_key(
    con: duckdb.DuckDBPyConnection, suite: Suite, expectations_dir: Path
) -> ReuseKey | None:
    """The key of a raw suite's inputs, or None when its result must not be reused."""
    if not suite.asset or suite.asset[0] != "raw":
        return None
    managed = _manifest_tables(con)
    tables = raw_tables_read(suite) or _raw_tables(con)
    if not tables or not set(tables) <= managed:
        return None  # rows the manifest does not describe: their state is unknown
    try:
        gx_version = version("great-expectations")
    except PackageNotFoundError:
        gx_version = "missing"
    parts = [f"raw.{table}:{table_state(con, table)}" for table in tables]
    parts += [
        files_state(suite.path),
        files_state(Path(expectations_dir) / "thresholds.yml"),
        files_state(*_CODE),
        f"great-expectations=={gx_version}",
    ]
    return ReuseKey(tuple(tables), hashlib.sha256("\n".join(parts).encode()).hexdigest())


def reusable_result(
    con: duckdb.DuckDBPyConnection, check_name: str, key: ReuseKey
) -> Reusable | None:
    """The run whose result may stand for this one: the latest validation with the same key,
    if it passed."""
    con.execute(REUSE_DDL)
    row = con.execute(
        "select run_id, strftime(checked_at, '%Y-%m-%d %H:%M UTC'), success "
        "from meta.check_reuse where check_name = ? and reuse_key = ? "
        "and reused_from_run is null order by checked_at desc limit 1",
        [check_name, key.digest],
    ).fetchone()
    if row is None or not row[2]:
        return None
    return Reusable(run_id=row[0], checked_at=row[1])


def remember(
    con: duckdb.DuckDBPyConnection,
    check_name: str,
    key: ReuseKey,
    run_id: str,
    success: bool,
    reused_from_run: str | None = None,
) -> None:
    con.execute(REUSE_DDL)
    con.execute(
        "insert into meta.check_reuse values (?, ?, ?, ?, ?, ?, ?)",
        [
            check_name,
            key.digest,
            ",".join(key.tables),
            run_id,
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
            success,
            reused_from_run,
        ],
    )


def reuse_description(key: ReuseKey, previous: Reusable) -> str:
    return (
        f"Not re-run: {key.in_words()} are unchanged since run "
        f"{previous.run_id} ({previous.checked_at}), where every expectation passed."
    )


def _manifest_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    try:
        rows = con.execute("select distinct table_name from meta.file_manifest").fetchall()
    except duckdb.CatalogException:
        return set()
    return {row[0] for row in rows}


def _raw_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
    ).fetchall()
    return [row[0] for row in rows]
