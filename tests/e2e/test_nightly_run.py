"""The real nightly job on generated data: the marts must reproduce what the files hold."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

LEVELS = {"provinsi": 2, "kabkota": 4, "kecamatan": 6, "desa": 10}

pytestmark = pytest.mark.e2e


def registry_counts_from_files(raw_dir: Path) -> pd.DataFrame:
    """Households and living people per snapshot × region level × desil, straight from CSV."""
    frames = []
    for folder in sorted((raw_dir / "registry").iterdir()):
        keluarga = pd.read_csv(folder / "keluarga.csv", dtype=str, keep_default_na=False)
        anggota = pd.read_csv(folder / "anggota.csv", dtype=str, keep_default_na=False)
        living = anggota[anggota["status"] == "hidup"].groupby("id_keluarga").size()
        keluarga["jiwa"] = keluarga["id_keluarga"].map(living).fillna(0).astype(int)
        keluarga["kategori_desil"] = keluarga["desil"].replace("", "belum_diperingkat")
        for level, length in LEVELS.items():
            grouped = (
                keluarga.assign(
                    kode_wilayah=keluarga["kode_wilayah"].str.replace(".", "").str[:length]
                )
                .groupby(["kode_wilayah", "kategori_desil"])
                .agg(jumlah_keluarga=("id_keluarga", "size"), jumlah_jiwa=("jiwa", "sum"))
                .reset_index()
            )
            grouped["tanggal_snapshot"] = folder.name
            grouped["tingkat_wilayah"] = level
            frames.append(grouped)
    return pd.concat(frames, ignore_index=True)


def test_run_succeeds_with_every_check_passing(nightly):
    result = nightly["first"]
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert len(checks) > 20
    assert [c.check_name for c in checks if not c.passed] == []


def test_desil_distribution_equals_counts_from_the_files(nightly):
    paths = nightly["paths"]
    mart = pd.read_parquet(paths.marts_dir / "mart_desil_distribution.parquet")
    mart["tanggal_snapshot"] = mart["tanggal_snapshot"].astype(str)
    expected = registry_counts_from_files(paths.raw_dir)

    key = ["tanggal_snapshot", "tingkat_wilayah", "kode_wilayah", "kategori_desil"]
    got = mart.set_index(key)[["jumlah_keluarga", "jumlah_jiwa"]].sort_index()
    want = expected.set_index(key)[["jumlah_keluarga", "jumlah_jiwa"]].sort_index()
    assert len(got) == len(want)
    pd.testing.assert_frame_equal(got.astype("int64"), want.astype("int64"))


def test_desil_distribution_matches_the_generator_truth(nightly):
    mart = pd.read_parquet(nightly["paths"].marts_dir / "mart_desil_distribution.parquet")
    mart = mart[mart["tingkat_wilayah"] == "kabkota"]
    for snapshot, facts in nightly["truth"]["registry"].items():
        rows = mart[mart["tanggal_snapshot"].astype(str) == snapshot]
        got = {
            (r.kode_wilayah, r.kategori_desil): int(r.jumlah_keluarga) for r in rows.itertuples()
        }
        want = {
            (kabkota, desil): count
            for kabkota, by_desil in facts["households_by_kabkota_desil"].items()
            for desil, count in by_desil.items()
            if count
        }
        assert got == want, snapshot
        assert int(rows["jumlah_keluarga"].sum()) == facts["households"]
        assert int(rows["jumlah_jiwa"].sum()) == facts["living_people"]


def test_shares_add_up_to_100_and_names_are_kemendagri(nightly):
    mart = pd.read_parquet(nightly["paths"].marts_dir / "mart_desil_distribution.parquet")
    totals = mart.groupby(["tanggal_snapshot", "tingkat_wilayah", "kode_wilayah"])[
        "persen_keluarga"
    ].sum()
    assert ((totals - 100).abs() < 1e-9).all()
    kupang = mart[(mart["kode_wilayah"] == "5371")]["nama_wilayah"].unique().tolist()
    assert kupang == ["Kota Kupang"]
    assert mart["nama_wilayah"].notna().all()


def test_poorer_regions_have_more_desil_1_to_3(nightly):
    mart = pd.read_parquet(nightly["paths"].marts_dir / "mart_desil_distribution.parquet")
    kab = mart[(mart["tingkat_wilayah"] == "kabkota") & (mart["desil"] <= 3)]
    share = kab.groupby("kode_wilayah")["persen_keluarga"].sum() / kab["tanggal_snapshot"].nunique()
    # Timor Tengah Selatan (P0 24.5 %) against Bontang (P0 3.2 %).
    assert share["5302"] > 2 * share["6474"]


def test_unchanged_input_loads_nothing_and_publishes_the_same_marts(nightly):
    second = nightly["second"]
    assert second.success
    materializations = [
        event.event_specific_data.materialization
        for event in second.all_events
        if event.is_step_materialization
    ]
    files_loaded = {
        m.asset_key.to_user_string(): m.metadata["files_loaded"].value
        for m in materializations
        if "files_loaded" in m.metadata
    }
    assert len(files_loaded) == 9
    assert set(files_loaded.values()) == {0}
    paths = nightly["paths"]
    for name, content in nightly["first_marts"].items():
        before = pd.read_parquet(io.BytesIO(content))
        after = pd.read_parquet(paths.marts_dir / name)
        pd.testing.assert_frame_equal(
            before.sort_values(list(before.columns)).reset_index(drop=True),
            after.sort_values(list(after.columns)).reset_index(drop=True),
        )


def test_every_check_result_is_kept_and_data_docs_are_written(nightly):
    """The first run validates every suite; the second, on the same files, reuses the
    result of each raw gate (nothing validated, nothing added to meta.check_results)."""
    import duckdb

    from orchestration.quality.suites import load_suites

    paths = nightly["paths"]
    first, second = nightly["first"], nightly["second"]
    raw_checks = {s.check_name for s in load_suites(paths.expectations_dir) if s.asset[0] == "raw"}
    assert len(raw_checks) == 7
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        per_run = dict(
            con.execute(
                "select run_id, count(*) from meta.check_results group by run_id"
            ).fetchall()
        )
        ge_checks = {
            run_id: {
                name
                for (name,) in con.execute(
                    "select distinct check_name from meta.check_results "
                    "where kind = 'great_expectations' and run_id = ?",
                    [run_id],
                ).fetchall()
            }
            for run_id in (first.run_id, second.run_id)
        }
        kinds = {
            row[0] for row in con.execute("select distinct kind from meta.check_results").fetchall()
        }
        failed = con.execute("select count(*) from meta.check_results where not success").fetchone()
        reuse = con.execute(
            "select run_id, count(*), count(*) filter (where success), "
            "count(distinct reused_from_run) filter (where reused_from_run = ?) "
            "from meta.check_reuse group by run_id order by run_id",
            [first.run_id],
        ).fetchall()
    assert per_run[first.run_id] > 100
    assert kinds == {"great_expectations", "dbt_test"}
    assert failed == (0,)

    # The dbt tests are asset checks too; the GE gates are named ge_<suite>.
    first_checks = {
        c.check_name for c in first.get_asset_check_evaluations() if c.check_name.startswith("ge_")
    }
    assert ge_checks[first.run_id] == first_checks >= raw_checks
    second_checks = {
        c.check_name: c
        for c in second.get_asset_check_evaluations()
        if c.check_name.startswith("ge_")
    }
    reused = {name for name, c in second_checks.items() if "reused_from_run" in c.metadata}
    assert reused == raw_checks  # 7 reused, 0 validated
    for name in reused:
        check = second_checks[name]
        assert check.passed
        assert check.metadata["reused_from_run"].value == first.run_id
        assert check.description.startswith("Not re-run: raw.")
    # Mart checks run again only if the dbt step rebuilt the marts; raw gates add no rows.
    assert ge_checks[second.run_id] == set(second_checks) - reused
    assert sorted(reuse) == sorted([(first.run_id, 7, 7, 0), (second.run_id, 7, 7, 1)])

    docs = paths.data_dir / "quality" / "gx" / "uncommitted" / "data_docs" / "local_site"
    assert (docs / "index.html").exists()
    assert len(list((docs / "validations").rglob("*.html"))) >= 17
