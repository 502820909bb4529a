"""The bench's hand-written reference (bench/reference.sql) must compute the marts' numbers.

`make bench` compares the pipeline's speed with this script's, which is only fair if both
compute the same thing. Here the reference, rolled up from desa to kabupaten/kota, must
reproduce the generator's ground truth exactly (the same truth the end-to-end tests hold the
marts to); at bench time, bench/run.py also compares it with the marts' desa rows.
"""

from __future__ import annotations

import json

import duckdb
import pytest

from bench.reference import run_reference, write_regions
from orchestration.demo.config import VOLUMES
from orchestration.demo.generator import generate
from tests.coverage_truth import COVERAGE_TRUTH


@pytest.fixture(scope="module", params=["demo", "bench"])
def reference(request, tmp_path_factory):
    # Both volumes: the realistic demo's, and issue 7's shape that `make bench` generates.
    base = tmp_path_factory.mktemp(f"bench_reference_{request.param}")
    # At 13 % coverage a small region needs more households before every roster lists someone.
    households = 1500 if request.param == "demo" else 6000
    generate(
        base / "raw",
        households=households,
        seed=7,
        truth_path=base / "truth.json",
        volume=VOLUMES[request.param],
    )
    regions = write_regions(base / "wilayah.parquet")
    run = run_reference(base / "raw", regions, base / "out", base / "tmp")
    return {"out": base / "out", "truth": json.loads((base / "truth.json").read_text()), "run": run}


def test_coverage_reproduces_every_roster_of_the_truth(reference):
    columns = ", ".join(f"sum({c})" for c in COVERAGE_TRUTH)
    with duckdb.connect() as con:
        rows = con.execute(
            f"select kode_program, left(kode_wilayah, 4), tahap, {columns} "
            f"from '{reference['out'] / 'ref_program_coverage.parquet'}' group by all"
        ).fetchall()
    got = {(p, k, t): [float(v) for v in values] for p, k, t, *values in rows}
    rosters = reference["truth"]["rosters"]
    assert len(rosters) > 50
    for roster in rosters:
        key = (roster["kode_program"], roster["kode_wilayah"], roster["tahap"])
        want = [float(roster[field]) for field in COVERAGE_TRUTH.values()]
        assert got.get(key) == want, roster["file"]
    assert len(got) == len(rosters)


def test_desil_distribution_reproduces_households_and_living_people(reference):
    with duckdb.connect() as con:
        rows = con.execute(
            "select cast(tanggal_snapshot as varchar), left(kode_wilayah, 4), "
            "coalesce(cast(desil as varchar), 'belum_diperingkat'), "
            "sum(jumlah_keluarga), sum(jumlah_jiwa) "
            f"from '{reference['out'] / 'ref_desil_distribution.parquet'}' group by all"
        ).fetchall()
    got = {(s, k, d): (h, p) for s, k, d, h, p in rows}
    want = {}
    for snapshot, registry in reference["truth"]["registry"].items():
        people = registry["living_people_by_kabkota_desil"]
        for kabkota, by_desil in registry["households_by_kabkota_desil"].items():
            for desil, households in by_desil.items():
                if households or people[kabkota][desil]:
                    want[(snapshot, kabkota, desil)] = (households, people[kabkota][desil])
    assert got == want


def test_desa_shares_add_up_to_100(reference):
    with duckdb.connect() as con:
        worst = con.execute(
            "select max(abs(total - 100)) from (select sum(persen_keluarga) as total "
            f"from '{reference['out'] / 'ref_desil_distribution.parquet'}' "
            "group by tanggal_snapshot, kode_wilayah)"
        ).fetchone()[0]
    assert worst < 1e-9
