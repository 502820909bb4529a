"""The shape of the code location: renames of assets, jobs and schedules are deliberate."""

from __future__ import annotations

import json

import dagster as dg

from orchestration.paths import Paths
from orchestration.resources import TepatSettings, dbt_build_args

EXPECTED_ASSET_KEYS = {
    "raw/dtsen_keluarga",
    "raw/dtsen_anggota",
    "raw/roster_rows",
    "raw/bps_indicators",
    "raw/referensi_program",
    "raw/referensi_anggaran_program",
    "raw/referensi_target_rpjmd",
    "raw/kemendagri_wilayah",
    "raw/unread_files",
    "raw/bps_webapi",
    "raw/dtsen_desil_agregat",
    "staging/stg_dtsen__keluarga",
    "staging/stg_dtsen__anggota",
    "staging/stg_dtsen__desil_agregat",
    "staging/stg_rosters__rows",
    "staging/stg_bps__indicators",
    "staging/stg_referensi__program",
    "staging/stg_referensi__anggaran_program",
    "staging/stg_referensi__target_rpjmd",
    "staging/stg_kemendagri__wilayah",
    "intermediate/int_households_with_members",
    "intermediate/int_roster_rows_checked",
    "intermediate/int_roster_rows_valid",
    "intermediate/int_dtsen_households_checked",
    "intermediate/int_dtsen_households_valid",
    "intermediate/int_dtsen_members_checked",
    "intermediate/int_dtsen_members_valid",
    "intermediate/int_desil_agregat_checked",
    "intermediate/int_desil_agregat_valid",
    "intermediate/int_registry_files_checked",
    "quarantine/quarantine_rows",
    "quarantine/quarantine_files",
    "quarantine/file_ditahan",
    "intermediate/int_roster_periods_incomplete",
    "intermediate/int_roster_years_incomplete",
    "intermediate/int_bps_values_incomplete",
    "intermediate/int_periods_with_reference_snapshot",
    "intermediate/int_roster_rows_from_registry",
    "intermediate/int_roster_rows_by_nik",
    "intermediate/int_roster_rows_matched",
    "intermediate/int_program_units_eligible",
    "intermediate/int_program_recipients",
    "intermediate/int_household_programmes_per_year",
    "intermediate/int_bps_indicators_checked",
    "intermediate/int_bps_indicators_valid",
    "intermediate/int_bps_march_values",
    "intermediate/int_indicator_trends",
    "intermediate/int_target_rpjmd_checked",
    "intermediate/int_target_rpjmd_valid",
    "marts/dim_wilayah",
    "marts/dim_program",
    "marts/mart_desil_distribution",
    "marts/mart_desil_transitions",
    "marts/mart_registry_freshness",
    "marts/mart_program_coverage",
    "marts/mart_benefit_incidence",
    "marts/mart_program_overlap",
    "marts/mart_program_overlap_pairs",
    "marts/mart_target_gap",
    "marts/mart_verval_summary",
    # The mart gates' SQL (dbt_project/models/checks/, DESIGN §4): one view per mart and rule.
    "checks/chk_dim_program__names",
    "checks/chk_dim_program__row_text",
    "checks/chk_dim_wilayah__names",
    "checks/chk_dim_wilayah__row_text",
    "checks/chk_mart_benefit_incidence__names",
    "checks/chk_mart_benefit_incidence__row_text",
    "checks/chk_mart_desil_distribution__levels_add_up",
    "checks/chk_mart_desil_distribution__names",
    "checks/chk_mart_desil_distribution__row_text",
    "checks/chk_mart_desil_transitions__names",
    "checks/chk_mart_desil_transitions__row_text",
    "checks/chk_mart_program_coverage__levels_add_up",
    "checks/chk_mart_program_coverage__names",
    "checks/chk_mart_program_coverage__row_text",
    "checks/chk_mart_program_overlap__levels_add_up",
    "checks/chk_mart_program_overlap__names",
    "checks/chk_mart_program_overlap__row_text",
    "checks/chk_mart_program_overlap_pairs__names",
    "checks/chk_mart_program_overlap_pairs__row_text",
    "checks/chk_mart_registry_freshness__levels_add_up",
    "checks/chk_mart_registry_freshness__names",
    "checks/chk_mart_registry_freshness__row_text",
    "checks/chk_mart_target_gap__names",
    "checks/chk_mart_target_gap__row_text",
    "checks/chk_mart_verval_summary__levels_add_up",
    "checks/chk_mart_verval_summary__names",
    "checks/chk_mart_verval_summary__row_text",
    "referensi/verval_alasan",
    "referensi/verval_aturan_aset",
    "restricted/verval_kasus",
    "publish/marts",
}


def build(tmp_path) -> dg.Definitions:
    from orchestration.definitions import build_definitions

    return build_definitions(Paths.from_env({"TEPAT_DATA_DIR": str(tmp_path)}))


def test_asset_keys_are_pinned(tmp_path):
    defs = build(tmp_path)
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == EXPECTED_ASSET_KEYS


def test_groups_follow_the_layers(tmp_path):
    graph = build(tmp_path).resolve_asset_graph()
    group = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert group["raw/dtsen_keluarga"] == "raw"
    assert group["staging/stg_dtsen__keluarga"] == "staging"
    assert group["intermediate/int_households_with_members"] == "intermediate"
    assert group["marts/mart_desil_distribution"] == "marts"
    assert group["publish/marts"] == "publish"
    assert group["checks/chk_mart_program_coverage__levels_add_up"] == "checks"


def test_raw_tables_feed_the_staging_models(tmp_path):
    graph = build(tmp_path).resolve_asset_graph()
    parents = graph.get(dg.AssetKey(["staging", "stg_dtsen__keluarga"])).parent_keys
    assert parents == {dg.AssetKey(["raw", "dtsen_keluarga"])}
    publish_parents = graph.get(dg.AssetKey(["publish", "marts"])).parent_keys
    assert dg.AssetKey(["marts", "mart_desil_distribution"]) in publish_parents
    # The gates' check views (DESIGN §4) read their mart and are never published.
    assert not any(key.path[0] == "checks" for key in publish_parents)
    check_parents = graph.get(
        dg.AssetKey(["checks", "chk_mart_program_coverage__levels_add_up"])
    ).parent_keys
    assert check_parents == {dg.AssetKey(["marts", "mart_program_coverage"])}


def test_job_schedule_and_sensor(tmp_path):
    defs = build(tmp_path)
    assert defs.resolve_job_def("nightly_refresh") is not None
    schedule = defs.resolve_schedule_def("nightly_refresh_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Makassar"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    sensor = defs.resolve_sensor_def("new_raw_files_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_schedule_is_configurable(tmp_path):
    from orchestration.definitions import build_definitions

    defs = build_definitions(
        Paths.from_env({"TEPAT_DATA_DIR": str(tmp_path)}),
        cron="30 1 * * *",
        timezone="Asia/Jakarta",
    )
    schedule = defs.resolve_schedule_def("nightly_refresh_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 1 * * *", "Asia/Jakarta")


def test_every_writer_shares_one_pool(tmp_path):
    graph = build(tmp_path).resolve_asset_graph()
    pools = {frozenset(graph.get(k).pools or ()) for k in graph.get_all_asset_keys()}
    assert pools == {frozenset({"duckdb_writer"})}


def test_dbt_build_args():
    settings = TepatSettings.from_paths(Paths.from_env({"TEPAT_DATA_DIR": "/srv/tepat"}))
    args = dbt_build_args(settings)
    assert args[:2] == ["build", "--vars"]
    assert args[3:] == ["--exclude", "resource_type:unit_test"]
    assert json.loads(args[2]) == {
        "quarantine_thresholds": {
            "default": 0.05,
            "tables": {"dtsen_keluarga": 0.02, "dtsen_anggota": 0.02, "roster_rows": 0.1},
            "files": {},
            "min_bad_rows": 5,
        }
    }


def test_dbt_environment_is_restored(monkeypatch):
    import os

    from orchestration.resources import dbt_environment

    monkeypatch.delenv("TEPAT_WAREHOUSE", raising=False)
    with dbt_environment("/srv/tepat/warehouse.duckdb"):
        assert os.environ["TEPAT_WAREHOUSE"] == "/srv/tepat/warehouse.duckdb"
    assert "TEPAT_WAREHOUSE" not in os.environ


def test_sensor_requests_a_run_only_when_files_change(tmp_path, monkeypatch):
    from orchestration.schedules import new_raw_files_sensor

    raw = tmp_path / "raw"
    raw.mkdir()
    monkeypatch.setenv("TEPAT_RAW_DIR", str(raw))
    (raw / "a.csv").write_text("x\n")

    first = new_raw_files_sensor(dg.build_sensor_context())
    assert isinstance(first, dg.SkipReason)
    context = dg.build_sensor_context(cursor=None)
    new_raw_files_sensor(context)
    unchanged = new_raw_files_sensor(dg.build_sensor_context(cursor=context.cursor))
    assert isinstance(unchanged, dg.SkipReason)
    (raw / "b.csv").write_text("y\n")
    changed = new_raw_files_sensor(dg.build_sensor_context(cursor=context.cursor))
    assert isinstance(changed, dg.RunRequest)
