"""Publication: marts → data/marts/<mart>.parquet, the only files analysts read.

Analysts never open the warehouse the pipeline writes. A run writes every mart into a new
release folder (data/.marts_releases/<release>/) and then points data/marts at it by
renaming a symlink over the old one: a single atomic rename, so a reader sees the previous
set of marts or the new set, never a mix, and a failed run never gets this far.

Each release also holds `marts.duckdb`, a small read-only catalogue: one view per mart over
that release's Parquet files, and a `rilis` table (when, which run). Opening
data/marts/marts.duckdb pins a reader to one release for as long as it keeps the connection
open, whatever the nightly run publishes meanwhile.
"""

import datetime as dt
import json
import os
import shutil
import uuid
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.diskspace import DiskFull, disk_full_message, is_disk_full, release_needs
from orchestration.fingerprints import record_publication
from orchestration.quality.gate import failures_in_run
from orchestration.resources import DUCKDB_WRITER_POOL, TepatSettings, warehouse_connection

MART_SCHEMA = "marts"
KEEP_RELEASES = 3


def releases_dir(marts_dir: Path) -> Path:
    return marts_dir.parent / f".{marts_dir.name}_releases"


RELEASE_FILE = "release.json"
CATALOG_FILE = "marts.duckdb"


def publish_tables(
    warehouse: str | Path, marts_dir: Path, names: list[str], run_id: str | None = None
) -> tuple[Path, dict[str, int]]:
    """Write `marts.<name>` tables as one new release and switch `marts_dir` to it.

    The release also holds release.json: when it was published, by which run, and the rows
    per mart, so exports can cite the run their numbers come from.
    """
    releases = releases_dir(marts_dir)
    now = dt.datetime.now(dt.UTC)
    stamp = now.strftime("%Y%m%dT%H%M%S")
    release = releases / f"{stamp}-{uuid.uuid4().hex[:8]}"
    needed = release_needs(marts_dir)
    try:
        release.mkdir(parents=True)
        counts: dict[str, int] = {}
        with warehouse_connection(warehouse, read_only=True) as con:
            for name in names:
                relation = f'{MART_SCHEMA}."{name}"'
                con.execute(
                    f"copy (select * from {relation}) to '{release / f'{name}.parquet'}' "
                    "(format parquet, compression zstd)"
                )
                counts[name] = con.execute(f"select count(*) from {relation}").fetchone()[0]
        write_catalog(release, names, now, run_id)
        # Written last: a release folder without release.json is unfinished (clean_unpublished).
        (release / RELEASE_FILE).write_text(
            json.dumps(
                {"published_at": now.isoformat(timespec="seconds"), "run_id": run_id,
                 "rows": counts},
                indent=2,
            )
        )  # fmt: skip
    except (OSError, duckdb.Error) as error:
        shutil.rmtree(release, ignore_errors=True)  # half a release is no release
        if is_disk_full(error):
            raise DiskFull(
                disk_full_message(releases, needed, "writing the new release of the marts")
            ) from error
        raise
    switch_to(marts_dir, release)
    prune(releases, keep=release)
    return release, counts


def write_catalog(release: Path, names: list[str], published_at: dt.datetime, run_id) -> None:
    """marts.duckdb in the release: a view per mart over this release's files, by absolute
    path, so the catalogue keeps pointing at this release after data/marts moves on."""
    folder = release.resolve()
    with duckdb.connect(str(folder / CATALOG_FILE)) as con:
        for name in names:
            target = (folder / f"{name}.parquet").as_posix().replace("'", "''")
            con.execute(f"create view \"{name}\" as select * from read_parquet('{target}')")
        con.execute(
            "create table rilis as select ?::timestamptz as dipublikasikan, ?::varchar as run_id, "
            "?::varchar as folder_rilis",
            [published_at, run_id, folder.name],
        )


def switch_to(marts_dir: Path, release: Path) -> None:
    """Point marts_dir at release with one atomic rename of a symlink."""
    if marts_dir.exists() and not marts_dir.is_symlink():
        # First publication into a plain folder (e.g. a fresh clone): keep its files as a
        # release of their own, then it becomes a symlink like every later publication.
        marts_dir.rename(releases_dir(marts_dir) / f"00000000-earlier-{uuid.uuid4().hex[:8]}")
    link = marts_dir.parent / f".{marts_dir.name}.{uuid.uuid4().hex[:8]}.tmp"
    os.symlink(os.path.relpath(release, marts_dir.parent), link)
    os.replace(link, marts_dir)


def clean_unpublished(marts_dir: Path) -> list[str]:
    """Remove what an interrupted publication left: the temporary links of a switch, release
    folders that were never finished (no release.json), and finished ones that were never
    switched to (newer than the release data/marts points at: every publication switches to
    the release it just wrote). Call only while holding the run lock
    (orchestration/runlock.py), so no publication is under way. Returns what it removed."""
    removed: list[str] = []
    parent = marts_dir.parent
    for link in parent.glob(f".{marts_dir.name}.*.tmp"):
        if link.is_symlink():
            link.unlink()
            removed.append(f"the temporary link {link.name}")
    releases = releases_dir(marts_dir)
    if not releases.is_dir():
        return removed
    if not marts_dir.exists() and not marts_dir.is_symlink():
        # Killed inside the very first switch, after a plain folder was kept as a release.
        earlier = sorted(releases.glob("00000000-earlier-*"))
        if earlier:
            os.symlink(os.path.relpath(earlier[-1], parent), marts_dir)
            removed.append(f"nothing: data/marts pointed at nothing, now at {earlier[-1].name}")
    current = Path(os.path.realpath(marts_dir)) if marts_dir.is_symlink() else None
    for folder in sorted(p for p in releases.iterdir() if p.is_dir()):
        if current is not None and folder.resolve() == current:
            continue
        if folder.name.startswith("00000000-earlier-"):
            continue
        unfinished = not (folder / RELEASE_FILE).is_file()
        never_switched = current is not None and folder.name > current.name
        if unfinished or never_switched:
            shutil.rmtree(folder, ignore_errors=True)
            state = "unfinished" if unfinished else "finished but never published"
            removed.append(f"the {state} release {folder.name}")
    return removed


def prune(releases: Path, keep: Path) -> None:
    """Remove old releases; readers that opened one a moment ago still hold their files."""
    old = sorted(p for p in releases.iterdir() if p.is_dir() and p != keep)
    for path in old[: max(0, len(old) - (KEEP_RELEASES - 1))]:
        shutil.rmtree(path, ignore_errors=True)


def build_publish_asset() -> dg.AssetsDefinition:
    # Imported here: they read the dbt manifest, which the release helpers above do not need.
    from dagster_dbt import get_asset_key_for_model

    from orchestration.assets.dbt import published_model_names, tepat_dbt_models

    names = published_model_names()
    mart_keys = {get_asset_key_for_model([tepat_dbt_models], name) for name in names}

    @dg.asset(
        key=["publish", "marts"],
        group_name="publish",
        deps=sorted(mart_keys),
        description="Publishes every mart to data/marts/<mart>.parquet, all at once, "
        "only after every blocking check passed.",
        # Reads the warehouse; in the writer pool so no writer holds the file meanwhile.
        pool=DUCKDB_WRITER_POOL,
        kinds={"parquet"},
    )
    def published_marts(context: dg.AssetExecutionContext, settings: TepatSettings):
        reasons = failures_in_run(context.instance, context.run_id, must_be_built=mart_keys)
        if reasons:
            raise dg.Failure(
                description="Not publishing: " + "; ".join(reasons) + ". data/marts/ still "
                "holds the last good marts."
            )
        try:
            release, counts = publish_tables(
                settings.warehouse, Path(settings.marts_dir), names, run_id=context.run_id
            )
        except DiskFull as error:
            context.log.error(str(error))
            raise dg.Failure(description=str(error)) from None
        with warehouse_connection(settings.warehouse) as con:
            record_publication(con, context.run_id, release.name)
        for name, rows in counts.items():
            context.log.info(f"published {name}.parquet: {rows} rows")
        return dg.MaterializeResult(
            metadata={
                "marts_dir": dg.MetadataValue.path(settings.marts_dir),
                "rows_per_mart": dg.MetadataValue.json(counts),
            }
        )

    return published_marts
