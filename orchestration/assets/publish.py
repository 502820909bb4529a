"""Publication: marts → data/marts/<mart>.parquet, the only files analysts read.

Analysts never open the warehouse the pipeline writes. Each mart is written to a temporary
file next to its target and renamed over it (`os.replace` is atomic on one filesystem), so
a reader sees the old file or the new one, never half of one.
"""

import os
from pathlib import Path

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from orchestration.assets.dbt import published_model_names, tepat_dbt_models
from orchestration.resources import DUCKDB_WRITER_POOL, TepatSettings, warehouse_connection

MART_SCHEMA = "marts"


def publish_tables(warehouse: str | Path, marts_dir: Path, names: list[str]) -> dict[str, int]:
    """Copy each `marts.<name>` table to `<marts_dir>/<name>.parquet`; returns row counts."""
    marts_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with warehouse_connection(warehouse, read_only=True) as con:
        for name in names:
            target = marts_dir / f"{name}.parquet"
            temporary = marts_dir / f".{name}.parquet.tmp"
            con.execute(
                f"copy (select * from {MART_SCHEMA}.\"{name}\") to '{temporary}' "
                "(format parquet, compression zstd)"
            )
            os.replace(temporary, target)
            counts[name] = con.execute(f'select count(*) from {MART_SCHEMA}."{name}"').fetchone()[0]
    return counts


def build_publish_asset() -> dg.AssetsDefinition:
    names = published_model_names()

    @dg.asset(
        key=["publish", "marts"],
        group_name="publish",
        deps=[get_asset_key_for_model([tepat_dbt_models], name) for name in names],
        description="Copies every mart to data/marts/<mart>.parquet, atomically per file.",
        # Reads the warehouse; in the writer pool so no writer holds the file meanwhile.
        pool=DUCKDB_WRITER_POOL,
        kinds={"parquet"},
    )
    def published_marts(context: dg.AssetExecutionContext, settings: TepatSettings):
        counts = publish_tables(settings.warehouse, Path(settings.marts_dir), names)
        for name, rows in counts.items():
            context.log.info(f"published {name}.parquet: {rows} rows")
        return dg.MaterializeResult(
            metadata={
                "marts_dir": dg.MetadataValue.path(settings.marts_dir),
                "rows_per_mart": dg.MetadataValue.json(counts),
            }
        )

    return published_marts
