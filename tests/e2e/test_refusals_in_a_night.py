"""Issue 16, "every block in plain words", for the refusals that only a real night shows:
the raw gates (GE) of BPS and the budget file, dbt's BPS consistency test, and the rows the
night keeps out (a ragged roster line, a target for an unknown indicator) while it publishes.

The loader's and readers' refusals are walked at unit level in
tests/unit/test_refusals_in_plain_words.py; the same checks of the message apply here.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.e2e.test_quality_gates import (  # noqa: F401  (baseline is a fixture)
    assert_blocked,
    baseline,
    marts_snapshot,
    quarantine,
    run_scenario,
)
from tests.unit.test_refusals_in_plain_words import assert_plain

# Nights that block or publish around a bad file (about 5 min with their baseline night):
# run with the other fault tests, `make test-faults`.
pytestmark = [pytest.mark.e2e, pytest.mark.faults]

TIDY_BPS = "kode_wilayah,tahun,bulan,indikator,nilai\n"


def test_p1_above_p0_and_a_negative_pagu_name_their_files(baseline, tmp_path):  # noqa: F811
    """Both used to block the night without the output ever naming a file."""

    p0: list[str] = []

    def breaks(raw: Path) -> None:
        demo = (raw / "bps" / "bps_indikator_kabkota.csv").read_text().splitlines()
        p0.extend(next(x for x in demo if x.startswith("5371,") and ",p0," in x).split(","))
        (raw / "bps" / "p1_kupang.csv").write_text(TIDY_BPS + f"5371,{p0[1]},3,p1,48.5\n")
        budget = raw / "referensi" / "anggaran_program.csv"
        lines = budget.read_text().splitlines()
        cells = lines[1].split(",")
        header = lines[0].split(",")
        cells[header.index("pagu")] = "-" + cells[header.index("pagu")]
        lines[1] = ",".join(cells)
        budget.write_text("\n".join(lines) + "\n")

    report = assert_blocked(*run_scenario(baseline, tmp_path, breaks))
    assert_plain(report, "bps/p1_kupang.csv", "referensi/anggaran_program.csv")
    assert f"region 5371, {p0[1]} March: P1 48.5 (bps/p1_kupang.csv row 2) is above P0" in report
    assert "row 2 (" in report and ": pagu -" in report


def test_two_bps_files_that_disagree_name_both_files_and_rows(baseline, tmp_path):  # noqa: F811
    """dbt's assert_bps_values_are_consistent blocks; its report names the files and rows."""

    def breaks(raw: Path) -> None:
        demo = (raw / "bps" / "bps_indikator_kabkota.csv").read_text().splitlines()
        p0 = next(line for line in demo if line.startswith("5371,") and ",p0," in line)
        kode, tahun, bulan, _, nilai = p0.split(",")
        other = f"{float(nilai) + 1:.2f}"
        (raw / "bps" / "p0_lain.csv").write_text(TIDY_BPS + f"{kode},{tahun},{bulan},p0,{other}\n")

    report = assert_blocked(*run_scenario(baseline, tmp_path, breaks))
    assert_plain(report, "bps/p0_lain.csv row 2", "bps/bps_indikator_kabkota.csv row")


def test_a_ragged_roster_line_and_an_unknown_indicator_are_kept_out_and_the_night_publishes(
    baseline,  # noqa: F811
    tmp_path,
):
    roster = "rosters/5371/2025/PKH"
    target_file = "referensi/target_rpjmd.csv"
    broken: dict[str, int] = {}

    def breaks(raw: Path) -> None:
        path = sorted((raw / roster).glob("*.csv"))[0]
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        lines[2] = lines[2] + ",sisa"  # an extra field on line 3
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        broken["roster"] = 3
        broken["roster_file"] = path.relative_to(raw).as_posix()
        target = raw / target_file
        text = target.read_text().rstrip("\n").splitlines()
        header = text[0].split(",")
        row = dict(zip(header, text[1].split(","), strict=True))
        row.update(indikator="tingkat_pengangguran_terbuka", jenis="target", nilai="4,5")
        row["nilai"] = "4.5"
        text.append(",".join(row[h] for h in header))
        target.write_text("\n".join(text) + "\n")
        broken["target"] = len(text)

    paths, result, before, _ = run_scenario(baseline, tmp_path, breaks)
    assert result.success
    assert marts_snapshot(paths.marts_dir) != before
    assert quarantine(paths, broken["roster_file"]) == {"baris_kolom_berlebih": 1}
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        rows = con.execute(
            "select tabel, file_sumber, nomor_baris, kolom, nilai, alasan "
            "from quarantine.quarantine_rows where file_sumber = ?",
            [target_file],
        ).fetchall()
        roster_line = con.execute(
            "select nomor_baris from quarantine.quarantine_rows where file_sumber = ?",
            [broken["roster_file"]],
        ).fetchall()
    assert rows == [
        (
            "referensi_target_rpjmd",
            target_file,
            broken["target"],
            "indikator",
            "tingkat_pengangguran_terbuka",
            "indikator_tidak_dikenal",
        )
    ]
    assert roster_line == [(broken["roster"],)]
    gap = pd.read_parquet(paths.marts_dir / "mart_target_gap.parquet")
    assert "tingkat_pengangguran_terbuka" not in set(gap["indikator"])
    assert len(gap) > 0
