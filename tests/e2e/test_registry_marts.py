"""Desil transitions and registry freshness from a real nightly run, against known answers.

The generator's ground truth (`truth["desil_transitions"]`, `truth["registry"]`) is computed
from its own state, not from the files, so these tests check the whole path: files, loading,
staging, the marts' SQL and publication (DESIGN §3 "Desil", "Freshness", §3.1 "Registry").
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.e2e

LEVELS = {"provinsi": 2, "kabkota": 4, "kecamatan": 6, "desa": 10}
DESIL_LABELS = [str(d) for d in range(1, 11)] + ["belum_diperingkat"]
TRANSITION_KEY = [
    "tanggal_snapshot_asal",
    "tanggal_snapshot_tujuan",
    "kode_wilayah",
    "desil_asal",
    "desil_tujuan",
]
TRANSITION_COLUMNS = [
    *TRANSITION_KEY[:3],
    "nama_wilayah",
    *TRANSITION_KEY[3:],
    "jumlah_keluarga",
    "persen_keluarga",
]
FRESHNESS_COLUMNS = [
    "tanggal_snapshot",
    "tingkat_wilayah",
    "kode_wilayah",
    "nama_wilayah",
    "tanggal_batas_mutakhir",
    "jumlah_keluarga",
    "keluarga_tidak_mutakhir",
    "persen_tidak_mutakhir",
    "jumlah_keluarga_desil_1_4",
    "keluarga_tidak_mutakhir_desil_1_4",
    "persen_tidak_mutakhir_desil_1_4",
]


@pytest.fixture(scope="module")
def transitions(marts) -> pd.DataFrame:
    frame = marts("mart_desil_transitions")
    for column in ("tanggal_snapshot_asal", "tanggal_snapshot_tujuan"):
        frame[column] = frame[column].astype(str)
    return frame


@pytest.fixture(scope="module")
def freshness(marts) -> pd.DataFrame:
    frame = marts("mart_registry_freshness")
    frame["tanggal_snapshot"] = frame["tanggal_snapshot"].astype(str)
    return frame


def stale_counts_from_files(raw_dir: Path) -> pd.DataFrame:
    """Households, stale households and the desil 1–4 split per snapshot × desa, from CSV."""
    frames = []
    for folder in sorted((raw_dir / "registry").iterdir()):
        keluarga = pd.read_csv(folder / "keluarga.csv", dtype=str, keep_default_na=False)
        snapshot = pd.Timestamp(folder.name)
        # DateOffset subtracts calendar months, clamped to the month's end.
        boundary = snapshot - pd.DateOffset(months=24)
        updated = pd.to_datetime(keluarga["tanggal_pemutakhiran"].replace("", None))
        stale = updated.isna() | (updated < boundary)
        desil = pd.to_numeric(keluarga["desil"].replace("", None))
        poorest = desil.between(1, 4)
        grouped = (
            pd.DataFrame(
                {
                    "kode_wilayah": keluarga["kode_wilayah"].str.replace(".", ""),
                    "jumlah_keluarga": 1,
                    "keluarga_tidak_mutakhir": stale.astype(int),
                    "jumlah_keluarga_desil_1_4": poorest.astype(int),
                    "keluarga_tidak_mutakhir_desil_1_4": (stale & poorest).astype(int),
                }
            )
            .groupby("kode_wilayah")
            .sum()
            .reset_index()
        )
        grouped["tanggal_snapshot"] = folder.name
        frames.append(grouped)
    return pd.concat(frames, ignore_index=True)


# ---- mart_desil_transitions -----------------------------------------------------------------


def test_transitions_reproduce_the_generator_truth_row_for_row(nightly, transitions):
    got = {
        tuple(row[:5]): int(row[5])
        for row in transitions[[*TRANSITION_KEY, "jumlah_keluarga"]].itertuples(index=False)
    }
    want = {
        tuple(row[column] for column in TRANSITION_KEY): row["jumlah_keluarga"]
        for row in nightly["truth"]["desil_transitions"]
    }
    assert len(transitions) == len(want)
    assert got == want


def test_transitions_have_exactly_the_documented_columns_and_labels(nightly, transitions):
    # No personal data: nothing beyond the documented aggregate columns.
    assert list(transitions.columns) == TRANSITION_COLUMNS
    assert set(transitions["desil_asal"]) <= {*DESIL_LABELS, "baru"}
    assert set(transitions["desil_tujuan"]) <= {*DESIL_LABELS, "keluar"}
    born_and_gone = (transitions["desil_asal"] == "baru") & (
        transitions["desil_tujuan"] == "keluar"
    )
    assert not born_and_gone.any()
    assert (transitions["kode_wilayah"].str.len() == 4).all()
    names = {r["kode_wilayah"]: r["nama_wilayah"] for r in nightly["truth"]["regions"]}
    assert (transitions["nama_wilayah"] == transitions["kode_wilayah"].map(names)).all()


def test_only_consecutive_snapshots_are_paired(nightly, transitions):
    snapshots = nightly["truth"]["snapshots"]
    pairs = set(
        transitions[["tanggal_snapshot_asal", "tanggal_snapshot_tujuan"]].itertuples(
            index=False, name=None
        )
    )
    assert pairs == set(zip(snapshots, snapshots[1:], strict=False))


def test_transitions_add_up_to_the_households_of_both_snapshots(nightly, transitions):
    registry = nightly["truth"]["registry"]
    for (before, after), rows in transitions.groupby(
        ["tanggal_snapshot_asal", "tanggal_snapshot_tujuan"]
    ):
        leaving = rows[rows["desil_asal"] != "baru"]
        arriving = rows[rows["desil_tujuan"] != "keluar"]
        assert int(leaving["jumlah_keluarga"].sum()) == registry[before]["households"]
        assert int(arriving["jumlah_keluarga"].sum()) == registry[after]["households"]

        # Per region and desil: out of the earlier snapshot, into the later one (the demo
        # households never change kabupaten/kota, so both sides hold region by region).
        out_of = leaving.groupby(["kode_wilayah", "desil_asal"])["jumlah_keluarga"].sum()
        into = arriving.groupby(["kode_wilayah", "desil_tujuan"])["jumlah_keluarga"].sum()
        for snapshot, sums in ((before, out_of), (after, into)):
            want = {
                (kabkota, desil): count
                for kabkota, by_desil in registry[snapshot]["households_by_kabkota_desil"].items()
                for desil, count in by_desil.items()
                if count
            }
            assert {key: int(value) for key, value in sums.items()} == want, snapshot


def test_transitions_agree_with_the_published_desil_distribution(marts, transitions):
    distribution = marts("mart_desil_distribution")
    kabkota = distribution[distribution["tingkat_wilayah"] == "kabkota"]
    per_snapshot = {
        (str(r.tanggal_snapshot), r.kode_wilayah, r.kategori_desil): int(r.jumlah_keluarga)
        for r in kabkota.itertuples()
    }
    for column, excluded in (("asal", "baru"), ("tujuan", "keluar")):
        rows = transitions[transitions[f"desil_{column}"] != excluded]
        sums = rows.groupby([f"tanggal_snapshot_{column}", "kode_wilayah", f"desil_{column}"])[
            "jumlah_keluarga"
        ].sum()
        snapshots = set(rows[f"tanggal_snapshot_{column}"])
        want = {key: count for key, count in per_snapshot.items() if key[0] in snapshots}
        assert {key: int(count) for key, count in sums.items()} == want, column


def test_moves_births_and_departures_match_the_truth(nightly, transitions):
    registry = nightly["truth"]["registry"]
    ranks = DESIL_LABELS[:10]
    for after, rows in transitions.groupby("tanggal_snapshot_tujuan"):
        facts = registry[after]
        from_rank, to_rank = rows["desil_asal"].isin(ranks), rows["desil_tujuan"].isin(ranks)
        moved = rows[from_rank & to_rank & (rows["desil_asal"] != rows["desil_tujuan"])]
        newly_ranked = rows[(rows["desil_asal"] == "belum_diperingkat") & to_rank]
        assert int(moved["jumlah_keluarga"].sum()) == facts["desil_moves"]
        assert int(newly_ranked["jumlah_keluarga"].sum()) == facts["newly_ranked_households"]
        new = rows.loc[rows["desil_asal"] == "baru", "jumlah_keluarga"].sum()
        gone = rows.loc[rows["desil_tujuan"] == "keluar", "jumlah_keluarga"].sum()
        assert int(new) == facts["new_households"]
        assert int(gone) == facts["vanished_households"]


def test_origin_rows_add_up_to_100_percent(transitions):
    totals = transitions.groupby(TRANSITION_KEY[:4])["persen_keluarga"].sum()
    assert ((totals - 100).abs() < 1e-9).all()


# ---- mart_registry_freshness ----------------------------------------------------------------


def test_freshness_has_exactly_the_documented_columns(freshness):
    assert list(freshness.columns) == FRESHNESS_COLUMNS
    assert freshness["nama_wilayah"].notna().all()


def test_stale_households_match_the_truth_per_snapshot_and_kabkota(nightly, freshness):
    registry = nightly["truth"]["registry"]
    assert set(freshness["tanggal_snapshot"]) == set(registry)
    for snapshot, facts in registry.items():
        rows = freshness[freshness["tanggal_snapshot"] == snapshot]
        kabkota = rows[rows["tingkat_wilayah"] == "kabkota"]
        got = {r.kode_wilayah: int(r.keluarga_tidak_mutakhir) for r in kabkota.itertuples()}
        assert got == facts["stale_households_by_kabkota"], snapshot
        want_households = {
            code: sum(by_desil.values())
            for code, by_desil in facts["households_by_kabkota_desil"].items()
        }
        got_households = {r.kode_wilayah: int(r.jumlah_keluarga) for r in kabkota.itertuples()}
        assert got_households == want_households, snapshot
        for level in LEVELS:
            at_level = rows[rows["tingkat_wilayah"] == level]
            assert int(at_level["keluarga_tidak_mutakhir"].sum()) == facts["stale_households"]
            assert int(at_level["jumlah_keluarga"].sum()) == facts["households"]


def test_stale_desa_counts_equal_the_rule_applied_to_the_files(nightly, freshness):
    expected = stale_counts_from_files(nightly["paths"].raw_dir)
    counts = [
        "jumlah_keluarga",
        "keluarga_tidak_mutakhir",
        "jumlah_keluarga_desil_1_4",
        "keluarga_tidak_mutakhir_desil_1_4",
    ]
    desa = freshness[freshness["tingkat_wilayah"] == "desa"]
    key = ["tanggal_snapshot", "kode_wilayah"]
    got = desa.set_index(key)[counts].sort_index().astype("int64")
    want = expected.set_index(key)[counts].sort_index().astype("int64")
    pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize(
    ("coarse", "fine"), [("provinsi", "kabkota"), ("kabkota", "kecamatan"), ("kecamatan", "desa")]
)
def test_each_region_level_sums_the_one_below(freshness, coarse, fine):
    counts = [
        "jumlah_keluarga",
        "keluarga_tidak_mutakhir",
        "jumlah_keluarga_desil_1_4",
        "keluarga_tidak_mutakhir_desil_1_4",
    ]
    parent = freshness[freshness["tingkat_wilayah"] == coarse]
    child = freshness[freshness["tingkat_wilayah"] == fine].copy()
    child["kode_wilayah"] = child["kode_wilayah"].str[: LEVELS[coarse]]
    rolled = child.groupby(["tanggal_snapshot", "kode_wilayah"])[counts].sum().sort_index()
    got = parent.set_index(["tanggal_snapshot", "kode_wilayah"])[counts].sort_index()
    pd.testing.assert_frame_equal(got.astype("int64"), rolled.astype("int64"))


def test_shares_and_boundary_dates(freshness):
    share = 100 * freshness["keluarga_tidak_mutakhir"] / freshness["jumlah_keluarga"]
    assert ((freshness["persen_tidak_mutakhir"] - share).abs() < 1e-9).all()
    assert freshness["persen_tidak_mutakhir"].between(0, 100).all()
    poorest = freshness["jumlah_keluarga_desil_1_4"] > 0
    share_1_4 = (
        100
        * freshness.loc[poorest, "keluarga_tidak_mutakhir_desil_1_4"]
        / freshness.loc[poorest, "jumlah_keluarga_desil_1_4"]
    )
    got_1_4 = freshness.loc[poorest, "persen_tidak_mutakhir_desil_1_4"]
    assert ((got_1_4 - share_1_4).abs() < 1e-9).all()
    assert freshness.loc[~poorest, "persen_tidak_mutakhir_desil_1_4"].isna().all()
    boundary = pd.to_datetime(freshness["tanggal_snapshot"]) - pd.DateOffset(months=24)
    assert (pd.to_datetime(freshness["tanggal_batas_mutakhir"]) == boundary).all()
