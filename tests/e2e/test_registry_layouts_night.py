"""The registry in the layouts local governments hold (DESIGN §2.2), through a real night.

One generated dataset; before the run, Kota Bontang (6474) is taken out of the tidy files
and written as desa desil aggregates, Timor Tengah Selatan (5302) as P3KE workbooks (desil
1–4 households and their living members), Sumba Timur (5311) as a SIKS-NG export (living
people, desa by name, programme flags; its OPD rosters removed so the flags are the only
roster rows there), and one extra aggregate file carries a row for each quarantine reason.
The marts must equal what the same people give in the tidy form, for what each layout
carries: aggregates the households per desil with 7–10 as a band and no people; P3KE desil
1–4 with their people; SIKS-NG everyone living, and coverage from its flags.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import xlsxwriter

from tests.e2e.isolation import isolated_tepat

pytestmark = pytest.mark.e2e

AGREGAT = "6474"  # Kota Bontang (province 64 also holds 6402 in microdata: campuran)
P3KE = "5302"  # Timor Tengah Selatan
SIKS = "5311"  # Sumba Timur
LEVELS = {"provinsi": 2, "kabkota": 4, "kecamatan": 6, "desa": 10}
KEY = ["tanggal_snapshot", "tingkat_wilayah", "kode_wilayah", "kategori_desil"]
BAD_FILE = "registry/2025-12-31/agregat/kodewil_desil_susulan.xlsx"


def _tidy(raw_dir: Path) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    return {
        folder.name: (
            pd.read_csv(folder / "keluarga.csv", dtype=str, keep_default_na=False),
            pd.read_csv(folder / "anggota.csv", dtype=str, keep_default_na=False),
        )
        for folder in sorted((raw_dir / "registry").iterdir())
    }


def expected_distribution(tidy: dict[str, tuple[pd.DataFrame, pd.DataFrame]]) -> pd.DataFrame:
    """mart_desil_distribution from the tidy files, for what each layout carries: the P3KE
    kabupaten keeps desil 1–4, the aggregate one bands 7–10 and counts no people."""
    frames = []
    for snapshot, (keluarga, anggota) in tidy.items():
        living = anggota[anggota["status"] == "hidup"].groupby("id_keluarga").size()
        k = keluarga.assign(
            kode_wilayah=keluarga["kode_wilayah"].str.replace(".", ""),
            jiwa=keluarga["id_keluarga"].map(living).fillna(0).astype(float),
            kategori_desil=keluarga["desil"].replace("", "belum_diperingkat"),
        )
        in_p3ke = k["kode_wilayah"].str.startswith(P3KE)
        k = k[~in_p3ke | k["desil"].isin(["1", "2", "3", "4"])]
        # SIKS-NG lists people: a household with nobody living left is not in it
        in_siks = k["kode_wilayah"].str.startswith(SIKS)
        k = k[~in_siks | (k["jiwa"] > 0)].copy()
        agregat = k["kode_wilayah"].str.startswith(AGREGAT)
        k["is_agregat"] = agregat
        k.loc[agregat & k["desil"].isin(["7", "8", "9", "10"]), "kategori_desil"] = "7-10"
        k.loc[agregat, "jiwa"] = np.nan
        for level, length in LEVELS.items():
            grouped = (
                k.assign(kode_wilayah=k["kode_wilayah"].str[:length])
                .groupby(["kode_wilayah", "kategori_desil"])
                .agg(
                    jumlah_keluarga=("id_keluarga", "size"),
                    jumlah_jiwa=("jiwa", lambda s: s.sum() if s.notna().all() else np.nan),
                    is_agregat=("is_agregat", "all"),
                    has_agregat=("is_agregat", "any"),
                )
                .reset_index()
            )
            region = grouped.groupby("kode_wilayah")
            grouped["sumber_data"] = np.where(
                region["is_agregat"].transform("all"),
                "agregat_desa",
                np.where(region["has_agregat"].transform("any"), "campuran", "mikro"),
            )
            grouped.loc[grouped["sumber_data"] != "mikro", "jumlah_jiwa"] = np.nan
            grouped["tanggal_snapshot"] = snapshot
            grouped["tingkat_wilayah"] = level
            frames.append(grouped)
    expected = pd.concat(frames, ignore_index=True)
    return expected.set_index(KEY)[["jumlah_keluarga", "jumlah_jiwa", "sumber_data"]].sort_index()


def write_bad_aggregates(path: Path) -> None:
    """One row per quarantine reason (4 rows: below min_bad_rows, so nothing blocks)."""
    header = ["NMKAB", "NMKEC", "NMDESA", "kdprov", "kdkab", "kdkec", "kddesa"]
    header += [f"DESIL {d}" for d in range(1, 7)] + ["DESIL 7-10", "DESIL NULL", "TOTAL"]
    counts = [1, 0, 0, 0, 0, 0, 0, 0]
    rows = [
        # a BPS-style code that is no Kemendagri desa
        ["KOTA BONTANG", "BONTANG UTARA", "BONTANG KUALA", 64, 74, 10, 9999, *counts, 1],
        # a real code naming another desa
        ["KOTA BONTANG", "BONTANG UTARA", "LOK TUAN", 64, 74, 1, 1001, *counts, 1],
        # TOTAL is not the sum of the desil columns
        ["KOTA BONTANG", "BONTANG UTARA", "BONTANG KUALA", 64, 74, 1, 1001, *counts, 5],
        # a desa the microdata of the snapshot cover (Kota Kupang stays tidy)
        ["KOTA KUPANG", "ALAK", "NUNBAUN SABU", 53, 71, 1, 1002, *counts, 1],
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet("Sheet1")
        sheet.write_row(0, 0, header)
        for i, row in enumerate(rows, start=1):
            sheet.write_row(i, 0, row)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from orchestration.demo.generator import generate
    from orchestration.demo.registry_layouts import convert
    from orchestration.night import ensure_dagster_home, execute_nightly

    base = tmp_path_factory.mktemp("layouts")
    with isolated_tepat(base) as paths:
        generate(paths.raw_dir, households=300, seed=11, truth_path=base / "truth.json")
        tidy = _tidy(paths.raw_dir)
        convert(paths.raw_dir, agregat=AGREGAT, p3ke=P3KE, siks_ng=SIKS)
        shutil.rmtree(paths.raw_dir / "rosters" / SIKS)
        write_bad_aggregates(paths.raw_dir / BAD_FILE)
        before = {p: p.read_bytes() for p in (paths.raw_dir / "registry").rglob("*.xlsx")}
        ensure_dagster_home()
        result = execute_nightly(paths)
        yield {"paths": paths, "result": result, "tidy": tidy, "before": before}


def query(run, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(run["paths"].warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_the_night_succeeds_and_leaves_the_files_alone(run):
    assert run["result"].success
    after = {p: p.read_bytes() for p in run["before"]}
    assert after == run["before"]


def test_desil_distribution_equals_the_tidy_form_for_what_each_layout_carries(run):
    mart = pd.read_parquet(run["paths"].marts_dir / "mart_desil_distribution.parquet")
    mart["tanggal_snapshot"] = mart["tanggal_snapshot"].astype(str)
    got = mart.set_index(KEY)[["jumlah_keluarga", "jumlah_jiwa", "sumber_data"]].sort_index()
    want = expected_distribution(run["tidy"])
    assert got.index.tolist() == want.index.tolist()
    assert got["jumlah_keluarga"].astype(int).tolist() == want["jumlah_keluarga"].tolist()
    assert got["sumber_data"].tolist() == want["sumber_data"].tolist()
    pd.testing.assert_series_equal(
        got["jumlah_jiwa"].astype(float), want["jumlah_jiwa"].astype(float), check_names=False
    )
    # the trend: every snapshot has the aggregate kabupaten, banded, without people
    bontang = mart[(mart["kode_wilayah"] == AGREGAT)]
    assert bontang["tanggal_snapshot"].nunique() == len(run["tidy"])
    assert set(bontang["sumber_data"]) == {"agregat_desa"}
    assert bontang["jumlah_jiwa"].isna().all() and bontang["persen_jiwa"].isna().all()
    assert "7-10" in set(bontang["kategori_desil"]) and bontang["desil"].isna().any()
    assert not {"7", "8", "9", "10"} & set(bontang["kategori_desil"])
    shares = mart.groupby(["tanggal_snapshot", "tingkat_wilayah", "kode_wilayah"])
    assert ((shares["persen_keluarga"].sum() - 100).abs() < 1e-9).all()


def test_p3ke_rows_keep_their_workbook_sheet_and_excel_row(run):
    rows = query(
        run,
        "select min(_row_number), count(*), count(distinct _source_file) "
        "from raw.dtsen_anggota where format_registri = 'p3ke'",
    )
    assert rows[0][0] == 13 and rows[0][1] > 0 and rows[0][2] > 0
    statuses = query(
        run,
        "select distinct status, hubungan is not null, jenis_kelamin in (1, 2) "
        "from staging.stg_dtsen__anggota where format_registri = 'p3ke'",
    )
    assert statuses == [("hidup", True, True)]


def test_aggregate_rows_that_cannot_be_used_are_quarantined_with_their_reason(run):
    rows = query(
        run,
        "select nomor_baris, lembar, kolom, alasan from quarantine.quarantine_rows "
        "where tabel = 'dtsen_desil_agregat' order by file_sumber, nomor_baris",
    )
    assert rows == [
        (2, "Sheet1", "kode_wilayah", "kode_wilayah_tidak_dikenal"),
        (3, "Sheet1", "nama_desa", "nama_desa_tidak_cocok"),
        (4, "Sheet1", "total", "total_tidak_cocok"),
        (5, "Sheet1", "kode_wilayah", "desa_ada_data_mikro"),
    ]
    # nothing else of any registry layout is quarantined
    other = query(
        run,
        "select count(*) from quarantine.quarantine_rows "
        "where file_sumber like 'registry/%/p3ke/%' "
        "or file_sumber like 'registry/%/agregat/kodewil_desil.xlsx'",
    )
    assert other == [(0,)]


def test_siks_ng_flags_are_the_coverage_of_their_snapshot_quarter(run):
    from orchestration.demo.registry_layouts import siks_ng_flags, siks_ng_pbi

    programs = pd.read_csv(run["paths"].raw_dir / "referensi" / "program.csv", dtype=str)
    programs = programs.set_index("kode_program")
    coverage = pd.read_parquet(run["paths"].marts_dir / "mart_program_coverage.parquet")
    coverage = coverage[
        (coverage["tingkat_wilayah"] == "kabkota") & (coverage["kode_wilayah"] == SIKS)
    ]
    checked, recipients = 0, {"PKH": 0, "BPNT": 0, "PBI_JK": 0}
    for snapshot, (keluarga, anggota) in run["tidy"].items():
        quarter = (int(snapshot[5:7]) - 1) // 3 + 1
        living = anggota[anggota["status"] == "hidup"]
        k = keluarga[keluarga["kode_wilayah"].str.startswith(SIKS)]
        k = k[k["id_keluarga"].isin(set(living["id_keluarga"]))]
        desil = k.set_index("id_keluarga")["desil"]
        people = living[living["id_keluarga"].isin(set(k["id_keluarga"]))]
        for kode, column in (("PKH", 0), ("BPNT", 1), ("PBI_JK", None)):
            low, high = int(programs.loc[kode, "desil_min"]), int(programs.loc[kode, "desil_max"])

            def eligible(d: str, low=low, high=high) -> bool:
                return d != "" and low <= int(d) <= high

            if column is None:  # individu: living members of eligible households
                units = [(p.nik, desil[p.id_keluarga]) for p in people.itertuples()]
                flagged = [(u, d) for u, d in units if siks_ng_pbi(d, u)]
            else:
                units = list(desil.items())
                flagged = [(u, d) for u, d in units if siks_ng_flags(d, u)[column]]
            row = coverage[
                (coverage["kode_program"] == kode)
                & (coverage["tahun"] == 2025)
                & (coverage["tahap"] == quarter)
            ]
            assert len(row) == 1, (kode, snapshot)
            row = row.iloc[0]
            assert str(row["tanggal_snapshot_acuan"])[:10] == snapshot
            assert row["sasaran_layak"] == sum(eligible(d) for _, d in units)
            assert row["penerima"] == len(flagged)
            assert row["penerima_layak"] == sum(eligible(d) for _, d in flagged)
            assert row["penerima_tidak_layak"] == sum(not eligible(d) for _, d in flagged)
            assert row["baris_ganda"] == 0 and row["penerima_tidak_padan"] == 0
            checked += 1
            recipients[kode] += len(flagged)
    assert checked == 12
    assert min(recipients.values()) > 0
    sources = query(
        run,
        "select sumber_roster, count(*) from intermediate.int_roster_rows_checked "
        "where _source_file like 'registry/%/siks_ng/%' group by 1",
    )
    assert [s for s, _ in sources] == ["registri"]
    quarantined = query(
        run,
        "select count(*) from quarantine.quarantine_rows where file_sumber like '%siks_ng%'",
    )
    assert quarantined == [(0,)]
