"""DESIGN §4 (issue 16): one agency's bad file is held back, not the night.

Among a province's many good rosters, one empty roster (a header, no rows), one roster with
more invalid NIKs than its threshold and one BPS table written in the wrong unit: the night
publishes, those files' rows are left out, the rows they would have fed say incomplete,
and every other row equals — exactly — a night run without those three files: the shared
`nightly` run of tests/e2e/conftest.py, whose raw files this night copies (so the module
costs one night of its own).
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.e2e.isolation import isolated_tepat
from tests.e2e.roster_files import living_people, write_roster

# A night of its own beside the shared clean night: with the other fault tests, `make test-faults`.
pytestmark = [pytest.mark.e2e, pytest.mark.faults]

EMPTY = "rosters/5371/2025/KPG_RTLH/kosong.csv"
OVER = "rosters/5312/2025/BPNT/bpnt_susulan.csv"
BPS = "bps/p0_per_mil.csv"
BPS_REGIONS = ("5371", "5301", "5302", "5303", "5304", "5305")
FLAGS = ["is_data_lengkap", "catatan_kelengkapan"]
PROGRAMME_MARTS = ("mart_program_coverage", "mart_benefit_incidence")
YEAR_MARTS = ("mart_program_overlap", "mart_program_overlap_pairs")


def _add_bad_files(raw: Path) -> None:
    write_roster(raw / EMPTY, [])  # an export that went wrong: the header only
    people = living_people(raw, "5312", 50)
    assert len(people) == 50
    rows = [[nik, kk, nama, desa, "2", "225000"] for nik, kk, nama, desa in people]
    for row in rows[:30]:  # 60 % of the NIKs lost their last digit: over the 10 %
        row[0] = row[0][:15]
    write_roster(raw / OVER, rows)
    values = [
        ("5371", 875),
        ("5301", 2236),
        ("5302", 2810),
        ("5303", 2815),
        ("5304", 3106),
        ("5305", 2821),
    ]  # fmt: skip  (P0 written per mille: every value implausible)
    (raw / BPS).write_text(
        "kode_wilayah,tahun,bulan,indikator,nilai\n"
        + "".join(f"{kode},2019,3,p0,{value}\n" for kode, value in values)
    )


@pytest.fixture(scope="module")
def nights(nightly, tmp_path_factory):
    """The shared clean night, and a night on a copy of its raw files plus the bad ones."""
    from orchestration.night import ensure_dagster_home, execute_nightly

    clean = {
        Path(name).stem: pd.read_parquet(io.BytesIO(data))
        for name, data in nightly["first_marts"].items()
        if name.startswith("mart_")
    }
    with isolated_tepat(tmp_path_factory.mktemp("held_back")) as paths:
        shutil.copytree(nightly["paths"].raw_dir, paths.raw_dir)
        _add_bad_files(paths.raw_dir)
        ensure_dagster_home()
        result = execute_nightly(paths)
        marts = {p.stem: pd.read_parquet(p) for p in sorted(paths.marts_dir.glob("mart_*.parquet"))}
    return {
        "clean": (nightly["paths"], nightly["first"], clean),
        "with_bad": (paths, result, marts),
    }


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.drop(columns=FLAGS)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def test_the_night_publishes_and_names_every_held_back_file(nights):
    paths, result, _ = nights["with_bad"]
    assert result.success
    from orchestration.night_report import published_in

    assert published_in(result)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        held = dict(
            con.execute("select file_sumber, jenis_masalah from quarantine.file_ditahan").fetchall()
        )
        manifest = con.execute(
            "select row_count, held_back_reason from meta.file_manifest "
            "where file_path = ? and removed_at is null",
            [EMPTY],
        ).fetchone()
        used = con.execute(
            "select count(*) from intermediate.int_roster_rows_valid where _source_file = ?",
            [OVER],
        ).fetchone()[0]
    assert held == {EMPTY: "tanpa_baris", OVER: "gagal_pemeriksaan", BPS: "gagal_pemeriksaan"}
    assert manifest[0] == 0 and "no rows" in manifest[1]
    assert used == 0  # held back whole: its 20 good rows are not used either


def test_the_summary_and_tepat_check_say_what_was_held_back(nights):
    from typer.testing import CliRunner

    from orchestration.cli import app
    from orchestration.night_report import console, print_summary

    paths, result, _ = nights["with_bad"]
    with console.capture() as captured:
        print_summary(paths, result, 1.0)
    summary = captured.get().replace("\n", " ")
    checked = CliRunner().invoke(app, ["check"], env={"TEPAT_DATA_DIR": str(paths.data_dir)})
    assert checked.exit_code == 0, checked.output
    for text in (summary, checked.output.replace("\n", " ")):
        assert "held back" in text.lower()
        for file in (EMPTY, OVER, BPS):
            assert file in text.replace(" ", "") or file in text
        assert "What to do" in text
        for nik, *_ in living_people(paths.raw_dir, "5312", 30):
            assert nik[:15] not in text  # examples are masked


def test_rows_the_held_back_files_would_feed_say_incomplete(nights):
    _, _, marts = nights["with_bad"]
    for name in PROGRAMME_MARTS:
        mart = marts[name]
        affected = mart["kode_program"].isin(["BPNT", "KPG_RTLH"]) & (mart["tahun"] == 2025)
        if name == "mart_program_coverage":  # the over-threshold roster's rows are tahap 2;
            affected &= (mart["kode_program"] == "KPG_RTLH") | (mart["tahap"] == 2)  # empty: all
            bpnt_notes = mart.loc[
                affected & (mart["kode_program"] == "BPNT"), "catatan_kelengkapan"
            ]
            assert bpnt_notes.str.contains("BPNT 2025 tahap 2", regex=False).all()
        assert affected.any()
        assert not mart.loc[affected, "is_data_lengkap"].any(), name
        assert mart.loc[~affected, "is_data_lengkap"].all(), name
        assert mart.loc[~affected, "catatan_kelengkapan"].isna().all(), name
        notes = mart.loc[affected, "catatan_kelengkapan"]
        assert notes.str.contains("Data belum lengkap").all()
        bpnt = affected & (mart["kode_program"] == "BPNT")
        assert mart.loc[bpnt, "catatan_kelengkapan"].str.contains(OVER, regex=False).all()
    for name in YEAR_MARTS:
        assert not marts[name]["is_data_lengkap"].any(), name  # the 2025 counts lack a file
    gap = marts["mart_target_gap"]
    affected = gap["kode_wilayah"].isin(BPS_REGIONS) & (gap["indikator"] == "p0")
    assert affected.any()
    assert not gap.loc[affected, "is_data_lengkap"].any()
    assert gap.loc[affected, "catatan_kelengkapan"].str.contains(BPS, regex=False).all()
    assert gap.loc[
        ~affected & (gap["indikator"] != "jumlah_penduduk_miskin"), "is_data_lengkap"
    ].all()


def test_every_other_row_equals_a_night_without_those_files(nights):
    """Held back whole: apart from the incomplete flags, every mart is the clean night's."""
    _, clean_result, clean = nights["clean"]
    _, _, with_bad = nights["with_bad"]
    assert clean_result.success
    assert set(clean) == set(with_bad)
    for name in clean:
        assert clean[name]["is_data_lengkap"].all() if "is_data_lengkap" in clean[name] else True
        if "is_data_lengkap" not in clean[name]:
            pd.testing.assert_frame_equal(
                clean[name].sort_values(list(clean[name].columns)).reset_index(drop=True),
                with_bad[name].sort_values(list(with_bad[name].columns)).reset_index(drop=True),
            )
            continue
        pd.testing.assert_frame_equal(_sorted(clean[name]), _sorted(with_bad[name]), obj=name)
    # and the rows of the other programmes are the same, flags included
    for name in PROGRAMME_MARTS:
        others = ~with_bad[name]["kode_program"].isin(["BPNT", "KPG_RTLH"])
        clean_others = ~clean[name]["kode_program"].isin(["BPNT", "KPG_RTLH"])
        key = list(clean[name].columns)
        pd.testing.assert_frame_equal(
            clean[name][clean_others].sort_values(key).reset_index(drop=True),
            with_bad[name][others].sort_values(key).reset_index(drop=True),
            obj=name,
        )


def test_the_workbooks_say_which_data_are_incomplete(nights, tmp_path):
    """The planners' workbooks repeat the marts' notes, in Indonesian."""
    import openpyxl

    from orchestration.export.cakupan import load_cakupan
    from orchestration.export.cakupan_xlsx import write_cakupan_xlsx
    from orchestration.export.rpjmd import load_rpjmd
    from orchestration.export.rpjmd_csv import write_rpjmd_csv

    paths, _, _ = nights["with_bad"]
    cakupan = load_cakupan(paths.marts_dir, ["5371"], 2025)
    write_cakupan_xlsx(cakupan, tmp_path / "cakupan.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "cakupan.xlsx").active
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("DATA BELUM LENGKAP" in text and "(KPG_RTLH)" in text for text in texts)
    assert any("Data belum lengkap" in text and EMPTY in text for text in texts)
    assert not any("DATA BELUM LENGKAP" in text and "(PKH)" in text for text in texts)
    assert any("held back" in warning for warning in cakupan.warnings)

    write_rpjmd_csv(load_rpjmd(paths.marts_dir, ["5371"]), tmp_path / "rpjmd.csv")
    with (tmp_path / "rpjmd.csv").open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    p0 = [row for row in rows if row["Kode Indikator"] == "p0"]
    assert p0 and all("Data belum lengkap" in row["Catatan"] for row in p0)
    assert all(BPS in row["Catatan"] for row in p0)
    others = [row for row in rows if row["Kode Indikator"] not in ("p0", "jumlah_penduduk_miskin")]
    assert not any("Data belum lengkap" in row["Catatan"] for row in others)


def test_an_unchanged_held_back_file_is_unchanged_and_a_corrected_one_replaces_it(nights):
    """Recorded with its checksum and 0 rows: the next night has nothing to rebuild; a
    corrected file (other bytes) is loaded in its place. Runs last: it edits the raw files."""
    from orchestration.fingerprints import unchanged_publication
    from orchestration.ingest.loader import pending_changes
    from orchestration.ingest.sources import SOURCES

    paths, _, _ = nights["with_bad"]
    rosters = next(source for source in SOURCES if source.table == "roster_rows")
    with isolated_tepat(paths.data_dir.parent):
        assert unchanged_publication(paths) is not None  # nothing to rebuild next night
        people = living_people(paths.raw_dir, "5371", 3)
        write_roster(
            paths.raw_dir / EMPTY, [[*person[:3], person[3], "1", "1000"] for person in people]
        )
        assert unchanged_publication(paths) is None
        with duckdb.connect(str(paths.warehouse), read_only=True) as con:
            assert pending_changes(con, rosters, paths.raw_dir) == [EMPTY]
