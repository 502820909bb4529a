"""Programme marts on generated data must reproduce exactly what the generator injected."""

from __future__ import annotations

from collections import defaultdict

import duckdb
import pandas as pd
import pytest

from tests.coverage_truth import COVERAGE_TRUTH

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def coverage(marts) -> pd.DataFrame:
    return marts("mart_program_coverage")


def test_every_roster_reproduces_the_injected_truth(nightly, coverage):
    kabkota = coverage[coverage["tingkat_wilayah"] == "kabkota"].set_index(
        ["kode_program", "kode_wilayah", "tahap"]
    )
    rosters = nightly["truth"]["rosters"]
    assert len(rosters) > 50
    for roster in rosters:
        row = kabkota.loc[(roster["kode_program"], roster["kode_wilayah"], roster["tahap"])]
        got = {column: row[column] for column in COVERAGE_TRUTH}
        want = {column: roster[field] for column, field in COVERAGE_TRUTH.items()}
        assert got == want, roster["file"]
        assert str(row["tanggal_snapshot_acuan"])[:10] == roster["reference_snapshot"]
        left_out = row["sasaran_layak"] - row["penerima_layak"]
        assert left_out == roster["eligible_left_out"]


def test_totals_per_programme_match_the_truth(nightly, coverage):
    kabkota = coverage[coverage["tingkat_wilayah"] == "kabkota"]
    want: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for roster in nightly["truth"]["rosters"]:
        for field in ("ineligible_recipients", "eligible_left_out", "not_in_registry",
                      "deceased_recipients", "duplicate_rows"):  # fmt: skip
            want[roster["kode_program"]][field] += roster[field]
        if roster["unit_sasaran"] == "individu":
            # A deceased recipient of an individual programme is not a living member.
            want[roster["kode_program"]]["ineligible_recipients"] += roster["deceased_recipients"]
    for programme, fields in want.items():
        rows = kabkota[kabkota["kode_program"] == programme]
        assert rows["penerima_tidak_layak"].sum() == fields["ineligible_recipients"], programme
        left_out = (rows["sasaran_layak"] - rows["penerima_layak"]).sum()
        assert left_out == fields["eligible_left_out"], programme
        assert rows["penerima_tidak_padan"].sum() == fields["not_in_registry"], programme
        assert rows["penerima_meninggal"].sum() == fields["deceased_recipients"], programme
        assert rows["baris_ganda"].sum() == fields["duplicate_rows"], programme
    totals = nightly["truth"]["totals"]
    assert kabkota["penerima_tidak_padan"].sum() == totals["not_in_registry"] > 0
    assert kabkota["penerima_meninggal"].sum() == totals["deceased_recipients"] > 0
    assert kabkota["baris_ganda"].sum() == totals["duplicate_rows"] > 0


def test_quarantined_rows_are_counted_by_reason(nightly):
    with duckdb.connect(str(nightly["paths"].warehouse), read_only=True) as con:
        reasons = dict(
            con.execute(
                "select coalesce(alasan_karantina, 'ok'), count(*) "
                "from intermediate.int_roster_rows_checked group by 1"
            ).fetchall()
        )
    totals = nightly["truth"]["totals"]
    invalid = sum(n for reason, n in reasons.items() if reason.startswith("nik_tidak_valid"))
    assert invalid == totals["invalid_niks"] > 0
    assert reasons.get("nik_rusak_excel", 0) == totals["excel_mangled_niks"] > 0
    assert reasons.get("kode_wilayah_tidak_dikenal", 0) == totals["unknown_region_codes"] > 0
    assert sum(reasons.values()) == totals["rows"]


def test_niks_that_excel_turned_into_numbers_are_recovered_only_when_confirmed(nightly):
    """The generator writes two kinds of number-cell NIKs: with the recipient's name and 15
    leading digits that are one person's (recoverable), and with neither name nor KK."""
    with duckdb.connect(str(nightly["paths"].warehouse), read_only=True) as con:
        recovered, damaged, per_file = con.execute(
            """
            select
                count(*) filter (where is_nik_dipulihkan and alasan_karantina is null),
                count(*) filter (where alasan_karantina = 'nik_rusak_excel'),
                (select sum(baris_nik_dipulihkan) from quarantine.quarantine_files)
            from intermediate.int_roster_rows_checked
            """
        ).fetchone()
    totals = nightly["truth"]["totals"]
    assert recovered == per_file == totals["excel_recovered_niks"] > 0
    assert damaged == totals["excel_mangled_niks"] > 0


def test_coarser_levels_are_sums_of_finer_ones(coverage):
    key = ["kode_program", "tahun", "tahap"]
    additive = ["sasaran_layak", "penerima", "penerima_layak", "penerima_tidak_layak",
                "penerima_meninggal"]  # fmt: skip
    for fine, coarse, length in (("desa", "kecamatan", 6), ("kecamatan", "kabkota", 4),
                                 ("kabkota", "provinsi", 2)):  # fmt: skip
        rows = coverage[coverage["tingkat_wilayah"] == fine].copy()
        rows["parent"] = rows["kode_wilayah"].str[:length]
        summed = rows.groupby([*key, "parent"])[additive].sum()
        parents = coverage[coverage["tingkat_wilayah"] == coarse].set_index([*key, "kode_wilayah"])
        parents.index.names = [*key, "parent"]
        pd.testing.assert_frame_equal(
            summed.sort_index(), parents[additive].loc[summed.index].sort_index(), check_dtype=False
        )
        assert len(parents) == len(summed)


def test_rates_are_fractions_and_empty_without_denominator(coverage):
    for rate in ("cakupan", "kesalahan_inklusi", "kesalahan_eksklusi"):
        values = coverage[rate].dropna()
        assert ((values >= 0) & (values <= 1)).all()
    assert coverage.loc[coverage["sasaran_layak"] == 0, "cakupan"].isna().all()
    assert coverage.loc[coverage["penerima"] == 0, "kesalahan_inklusi"].isna().all()
    kabkota = coverage[coverage["tingkat_wilayah"] == "kabkota"]
    assert kabkota["pagu"].notna().all() and kabkota["realisasi_persen"].notna().all()
    assert coverage.loc[coverage["tingkat_wilayah"] != "kabkota", "pagu"].isna().all()


def test_benefit_incidence_reproduces_money_by_desil(nightly, marts):
    incidence = marts("mart_benefit_incidence")
    want: dict[tuple[str, str, str], float] = defaultdict(float)
    for roster in nightly["truth"]["rosters"]:
        for category, value in roster["nilai_bantuan_by_desil"].items():
            want[(roster["kode_program"], roster["kode_wilayah"], category)] += value
    got = {
        (r.kode_program, r.kode_wilayah, r.kategori_desil): r.nilai_bantuan
        for r in incidence.itertuples()
    }
    assert got == {k: v for k, v in want.items() if v or k in got}
    shares = incidence.groupby(["kode_program", "tahun", "kode_wilayah"])["persen_penerima"].sum()
    assert ((shares - 100).abs() < 1e-9).all()


def test_overlap_covers_every_eligible_household(nightly, marts):
    overlap = marts("mart_program_overlap")
    kabkota = overlap[overlap["tingkat_wilayah"] == "kabkota"].set_index("kode_wilayah")
    year_end = nightly["truth"]["registry"]["2025-12-31"]["households_by_kabkota_desil"]
    for region, by_desil in year_end.items():
        assert kabkota.loc[region, "keluarga_desil_1_5"] == sum(
            by_desil[str(d)] for d in range(1, 6)
        )
        assert kabkota.loc[region, "keluarga_desil_1_2"] == by_desil["1"] + by_desil["2"]
    parts = ["keluarga_tanpa_program", "keluarga_1_program", "keluarga_2_program",
             "keluarga_3_program_lebih"]  # fmt: skip
    assert (overlap[parts].sum(axis=1) == overlap["keluarga_desil_1_5"]).all()
    assert (kabkota["keluarga_2_program"] + kabkota["keluarga_3_program_lebih"]).sum() > 0
    pairs = marts("mart_program_overlap_pairs")
    assert (pairs["kode_program_a"] < pairs["kode_program_b"]).all()
    assert pairs.loc[pairs["peringkat"] == 1, "jumlah_keluarga"].min() > 0


def test_no_personal_data_in_published_marts(nightly):
    """No column and no value in data/marts/ is a NIK, KK number or a registry name."""
    paths = nightly["paths"]
    anggota = paths.raw_dir / "registry" / "2025-12-31" / "anggota.csv"
    with duckdb.connect() as con:
        names = {
            row[0]
            for row in con.execute(
                f"select distinct nama from read_csv('{anggota}', all_varchar = true)"
            ).fetchall()
        }
        for path in sorted(paths.marts_dir.glob("*.parquet")):
            columns = [row[0] for row in con.execute(f"describe select * from '{path}'").fetchall()]
            assert not {"nik", "no_kk", "nama", "alamat"} & set(columns), path.name
            for column in columns:
                hits = con.execute(
                    f"select count(*) from '{path}' "
                    # 16 digits standing alone (decimals of a float do not count)
                    f'where regexp_matches(cast("{column}" as varchar), '
                    "'(^|[^0-9.])[0-9]{16}([^0-9]|$)')"
                ).fetchone()[0]
                assert hits == 0, f"{path.name}.{column} holds 16-digit numbers"
                values = {
                    row[0]
                    for row in con.execute(
                        f"select distinct cast(\"{column}\" as varchar) from '{path}'"
                    ).fetchall()
                }
                assert not values & names, f"{path.name}.{column} holds registry names"
