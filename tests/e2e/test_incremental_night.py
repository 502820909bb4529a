"""A night rebuilds what its changes reach, and ends where a full rebuild would (DESIGN §6.2).

One generated dataset, three real nights:
1. every file but one roster file (a full build: the warehouse is new);
2. that roster file arrives and another roster file is replaced by a corrected copy (one
   row fewer): the build selects what the rosters reach and keeps the registry models;
3. `--force` on the same files: every model rebuilt.
Every table dbt builds, and every published mart, must be the same after night 2 as after
night 3, row for row.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.e2e.isolation import isolated_tepat

pytestmark = pytest.mark.e2e

HOUSEHOLDS = 600
SEED = 23
#: The schemas dbt writes tables to (views are read through them).
BUILT_SCHEMAS = ("intermediate", "marts", "quarantine", "restricted", "referensi")


def _kept(result) -> dict[str, str]:
    """asset key → the run whose table it kept, for the models a night did not rebuild."""
    kept = {}
    for event in result.all_events:
        if event.is_step_materialization:
            materialization = event.event_specific_data.materialization
            run = materialization.metadata.get("kept_from_run")
            if run is not None:
                kept[materialization.asset_key.to_user_string()] = run.value
    return kept


def _built_tables(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [
            f"{schema}.{name}"
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_type = 'BASE TABLE' and table_schema in "
                f"({', '.join(repr(s) for s in BUILT_SCHEMAS)}) order by 1, 2"
            ).fetchall()
        ]


def _save_tables(warehouse: Path, tables: list[str], folder: Path) -> None:
    folder.mkdir(parents=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in tables:
            con.execute(f"copy {table} to '{folder / table}.parquet' (format parquet)")


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    from orchestration.demo.generator import generate
    from orchestration.night import ensure_dagster_home, execute_nightly

    base = tmp_path_factory.mktemp("incremental")
    with isolated_tepat(base) as paths:
        generate(paths.raw_dir, households=HOUSEHOLDS, seed=SEED, truth_path=base / "truth.json")
        rosters = sorted((paths.raw_dir / "rosters").rglob("*.csv"))
        new, corrected = rosters[-1], rosters[0]
        assert new.parent != corrected.parent
        held_out = base / "held_out.csv"
        shutil.move(new, held_out)
        ensure_dagster_home()
        first = execute_nightly(paths)

        shutil.move(held_out, new)
        lines = corrected.read_bytes().splitlines(keepends=True)
        assert len(lines) > 2
        corrected.write_bytes(b"".join(lines[:-1]))  # the agency's corrected copy
        second = execute_nightly(paths)
        tables = _built_tables(paths.warehouse)
        _save_tables(paths.warehouse, tables, base / "after_second")
        second_marts = base / "second_marts"
        shutil.copytree(paths.marts_dir, second_marts)

        import dagster as dg

        with dg.DagsterInstance.get() as instance:
            dbt_lines = [
                entry.user_message
                for entry in instance.all_logs(second.run_id)
                if entry.step_key == "tepat_dbt_models" and entry.dagster_event is None
            ]
        third = execute_nightly(paths, force=True)
        yield {
            "paths": paths,
            "base": base,
            "first": first,
            "second": second,
            "third": third,
            "tables": tables,
            "second_marts": second_marts,
            "dbt_lines": dbt_lines,
            "new": new.relative_to(paths.raw_dir).as_posix(),
            "corrected": corrected.relative_to(paths.raw_dir).as_posix(),
        }


def test_a_new_and_a_corrected_roster_rebuild_only_what_the_rosters_reach(nights):
    first, second, third = nights["first"], nights["second"], nights["third"]
    assert first.success and second.success and third.success
    assert _kept(first) == {} and _kept(third) == {}
    kept = _kept(second)
    messages = nights["dbt_lines"]
    # The registry's models read no roster: kept from the first night's build.
    for model in (
        "intermediate/int_dtsen_members_checked",
        "intermediate/int_dtsen_households_checked",
        "intermediate/int_households_with_members",
        "intermediate/int_registry_files_checked",
        "marts/mart_desil_distribution",
        "marts/mart_desil_transitions",
        "marts/dim_wilayah",
    ):
        assert kept.get(model) == first.run_id, (model, messages[:3])
    # What the rosters feed was rebuilt.
    for model in (
        "marts/mart_program_coverage",
        "marts/mart_benefit_incidence",
        "restricted/verval_kasus",
        "quarantine/quarantine_rows",
        "quarantine/quarantine_files",
    ):
        assert model not in kept, model
    assert any(
        "Rebuilding what changed (meta.held_back_files, raw.roster_rows)" in message
        or "Rebuilding what changed (raw.roster_rows)" in message
        for message in messages
    ), messages


def test_the_tables_and_marts_equal_a_full_rebuild_on_the_same_files(nights):
    paths, saved = nights["paths"], nights["base"] / "after_second"
    tables = nights["tables"]
    assert len(tables) > 20 and _built_tables(paths.warehouse) == tables
    differing = {}
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        for table in tables:
            incremental = f"read_parquet('{saved / table}.parquet')"
            only = [
                con.execute(
                    f"select count(*) from (select * from {a} except all select * from {b})"
                ).fetchone()[0]
                for a, b in ((incremental, table), (table, incremental))
            ]
            if any(only):
                differing[table] = only
        assert differing == {}
        for mart in sorted(paths.marts_dir.glob("*.parquet")):
            before = f"read_parquet('{nights['second_marts'] / mart.name}')"
            after = f"read_parquet('{mart}')"
            for a, b in ((before, after), (after, before)):
                extra = con.execute(
                    f"select count(*) from (select * from {a} except all select * from {b})"
                ).fetchone()[0]
                assert extra == 0, mart.name


def test_the_corrected_roster_replaced_the_old_one(nights):
    """Not a trivial night: the new file is in and the corrected file has one row fewer."""
    with duckdb.connect(str(nights["paths"].warehouse), read_only=True) as con:
        files = {
            file: rows
            for file, rows in con.execute(
                "select file_path, row_count from meta.file_manifest "
                "where table_name = 'roster_rows' and removed_at is null"
            ).fetchall()
        }
    assert nights["new"] in files and nights["corrected"] in files
