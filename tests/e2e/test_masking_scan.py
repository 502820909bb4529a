"""DESIGN §5 (issue 17): no NIK or KK number from a file is shown whole, anywhere.

One real night (`tepat run` in a terminal of its own) on a small generated dataset plus
rosters whose NIKs and KK numbers are written every way an agency writes them — 14, 15 and
17 digits, spaces, dots, dashes, an apostrophe, an X-masked tail, scientific notation, a
letter O —, a BPS table with NIKs typed into its indicator and value columns, and a
registry member whose status is a KK number. Every
place a value from a file can reach text is then scanned for 6 consecutive digits of an
input value that lie outside its first 4 and last 4 digit places: the terminal output of
`tepat run`, `tepat check` and `tepat export`, every text file under the data folder
(run logs, GX validation results, Data Docs), every text column of meta.check_results,
meta.held_back_files and the quarantine tables, every message and metadata value of the
run's Dagster events, and the notes of the exported workbook.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.e2e.isolation import isolated_tepat
from tests.e2e.roster_files import living_people, write_roster

pytestmark = pytest.mark.e2e

KEEP_ROSTERS = ("rosters/5371/2025/PKH", "rosters/5312/2025/PKH")
NIK_FILE_1 = "rosters/5371/2025/PKH/pkh_nik_rusak_1.csv"
NIK_FILE_2 = "rosters/5371/2025/PKH/pkh_nik_rusak_2.csv"
KK_FILE = "rosters/5371/2025/PKH/pkh_kk_di_kolom_wilayah.csv"
BPS_FILE = "bps/p0_nik_di_kolom_indikator.csv"
BPS_VALUE_FILE = "bps/p0_nik_di_kolom_nilai.csv"
PLACE = re.compile(r"[0-9Xx*]")


# Each way a NIK (n) or KK number is written, applied to a different person's number.
NIK_FORMS_1 = [
    lambda n: n[:14],  # 14 digits
    lambda n: f"{n[:4]} {n[4:8]} {n[8:12]} {n[12:15]}",  # 15 digits with spaces
    lambda n: f"{n[:2]}.{n[2:4]}.{n[4:6]}.{n[6:12]}.{n[12:]}7",  # 17 digits with dots
    lambda n: f"{n[:4]}-{n[4:8]}-{n[8:12]}-{n[12:14]}",  # 14 digits with dashes
    lambda n: "'" + n[:15],  # Excel's apostrophe, 15 digits
]
NIK_FORMS_2 = [
    lambda n: n[:12] + "XXXX",  # masked by the agency, not enough
    lambda n: f"{n[0]}.{n[1:12]}E+15",  # scientific notation, 12 digits of mantissa
    lambda n: f"{n[0]}.{n[1:6]}E+15",  # scientific notation as Excel shows it
    lambda n: n[:4] + "O" + n[5:],  # letter O for zero
    lambda n: n + "1",  # 17 digits
]
KK_FORMS = [
    lambda k: f"{k[:4]} {k[4:8]} {k[8:12]} {k[12:]}",
    lambda k: f"{k[:4]}.{k[4:8]}.{k[8:12]}.{k[12:]}",
    lambda k: k[:13],
    lambda k: f"{k[0]}.{k[1:13]}E+15",
    lambda k: "'" + k,
]


def middle_windows(value: str) -> set[str]:
    """Every 6 consecutive digits of `value` outside its first 4 and last 4 digit places
    (digits, or X/* standing for one); in scientific notation, of the mantissa after its
    first 4 digits."""
    sci = re.fullmatch(r"'?([0-9])[.,]([0-9]+)[eE]\+?[0-9]+", value)
    if sci:
        middle = (sci.group(1) + sci.group(2))[4:]
    else:
        places = "".join(PLACE.findall(value))
        middle = places[4 : len(places) - 4]
    return {middle[i : i + 6] for i in range(len(middle) - 5) if middle[i : i + 6].isdigit()}


#: What the machinery writes, not a file: ids and timestamps (their digits are random).
MACHINE_TEXT = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # run and result ids
    r"|\b[0-9a-f]{32}\b"  # GX data fingerprints
    r"|\b[0-9a-f]{64}\b"  # Dagster data and code versions (SHA-256)
    r"|\d{8}T\d{6}(?:\.\d+)?Z?"  # GX run times
    # times, with or without seconds: `tepat check` says "2026-12-07 19:02 UTC", whose
    # digits would otherwise read as 120719, a NIK's birth date, between 19:00 and 20:00
    r"|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:?\d{2}|Z)?"
)


def leaks(text: str, inputs: list[str]) -> list[tuple[str, str]]:
    """(input, its digits) for every input whose middle digits appear in `text`, whatever
    separates them there (spaces, dots, dashes, apostrophes, commas). Ids and timestamps
    are left out first: they are not from a file, and their random digits would match."""
    joined = re.sub(r"(?<=[0-9])[ .,\-']+(?=[0-9])", "", MACHINE_TEXT.sub(" ", text))
    return [
        (value, window)
        for value in inputs
        for window in sorted(middle_windows(value))
        if window in joined
    ]


def _add_bad_files(raw: Path) -> list[str]:
    """The rosters and BPS table with NIKs and KK numbers written every way; returns every
    value written that way."""
    people = living_people(raw, "5371", 40)
    assert len(people) == 40 and len({kk for _, kk, _, _ in people}) >= 15
    written: list[str] = []

    def rows(forms, chosen, column: int):
        out = []
        for form, (nik, kk, nama, desa) in zip(forms, chosen, strict=True):
            row = [nik, kk, nama, desa, "1", "600000"]
            row[column] = form(row[column])
            written.append(row[column])
            out.append(row)
        return out

    good = [[nik, kk, nama, desa, "1", "600000"] for nik, kk, nama, desa in people[30:35]]
    write_roster(raw / NIK_FILE_1, rows(NIK_FORMS_1, people[0:5], 0) + good)
    write_roster(raw / NIK_FILE_2, rows(NIK_FORMS_2, people[5:10], 0) + good)
    # KK numbers written oddly in their own column, and typed into the region column.
    kk_rows = []
    for form, (nik, kk, nama, _) in zip(KK_FORMS, people[10:15], strict=True):
        written.append(form(kk))
        kk_rows.append([nik, form(kk), nama, form(kk), "1", "600000"])
    write_roster(raw / KK_FILE, kk_rows + good)
    nik_in_bps = [people[20][0], f"{people[21][0][0]}.{people[21][0][1:14]}E+15"]
    written += nik_in_bps
    header = "kode_wilayah,tahun,bulan,indikator,nilai\n"
    (raw / BPS_FILE).write_text(header + f"5371,2019,3,{nik_in_bps[0]},12.5\n")
    (raw / BPS_VALUE_FILE).write_text(header + f"5371,2010,3,p0,{nik_in_bps[1]}\n")
    # A KK number typed into a registry member's status: quarantined (one row is within
    # the threshold), and GX lists the unexpected status among its results.
    anggota = sorted((raw / "registry").iterdir())[-1] / "anggota.csv"
    lines = anggota.read_text().splitlines()
    column = lines[0].split(",").index("status")
    cells = lines[1].split(",")
    kk = people[25][1]
    cells[column] = f"{kk[:4]}.{kk[4:8]}.{kk[8:12]}.{kk[12:]}"
    written.append(cells[column])
    lines[1] = ",".join(cells)
    anggota.write_text("\n".join(lines) + "\n")
    return written


def _tepat(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "tepat"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _strings(value) -> list[str]:
    """Every string inside a JSON value: of a Dagster event, its messages, metadata values
    and errors (the event is serialized as Dagster stores it)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    from orchestration.demo.generator import generate

    base = tmp_path_factory.mktemp("masking")
    with isolated_tepat(base) as paths:
        generate(paths.raw_dir, households=400, seed=11, truth_path=base / "truth.json")
        for folder in sorted((paths.raw_dir / "rosters").glob("*/*/*")):
            if folder.relative_to(paths.raw_dir).as_posix() not in KEEP_ROSTERS:
                shutil.rmtree(folder)
        inputs = _add_bad_files(paths.raw_dir)
        env = dict(os.environ)
        terminal = {}
        run = _tepat("run", env=env)
        terminal["tepat run"] = run.stdout + run.stderr
        check = _tepat("check", env=env)
        terminal["tepat check"] = check.stdout + check.stderr
        workbook = paths.exports_dir / "cakupan_masking.xlsx"
        export = _tepat(
            "export", "cakupan", "-w", "5371", "--tahun", "2025", "-o", str(workbook), env=env
        )
        terminal["tepat export"] = export.stdout + export.stderr

        from dagster import DagsterInstance, serialize_value

        with DagsterInstance.get() as instance:
            events = {
                run.run_id: [
                    text
                    for entry in instance.all_logs(run.run_id)
                    for text in _strings(json.loads(serialize_value(entry)))
                ]
                for run in instance.get_runs()
            }
    return {
        "paths": paths,
        "inputs": inputs,
        "run": run,
        "terminal": terminal,
        "workbook": workbook,
        "events": events,
    }


def test_the_scan_finds_a_value_left_unmasked():
    nik = "5371014508950001"
    inputs = [f"{nik[:4]} {nik[4:8]} {nik[8:12]} {nik[12:15]}", nik[:12] + "XXXX"]
    # The old examples (`537101450895XXXX`), a value as typed, digits split by other text.
    assert leaks(f"Examples: {nik[:12]}XXXX.", inputs) == [
        (inputs[0], "014508"), (inputs[0], "145089"), (inputs[1], "014508"),
        (inputs[1], "145089"), (inputs[1], "450895"),
    ]  # fmt: skip
    assert leaks("found 5371 0145 0895 001", inputs[:1])
    assert leaks("nilai = 5.371014508950E+15", [f"5.{nik[1:13]}E+15"])
    # Masked as DESIGN §5 says: nothing.
    from orchestration.privacy import mask_nik, mask_text

    shown = " ".join(mask_nik(v) + " " + mask_text(f"x {v} y") for v in inputs)
    assert leaks(shown, inputs) == []


def test_the_night_ran_and_file_values_reached_the_messages_masked(night):
    assert night["run"].returncode == 0, night["terminal"]["tepat run"][-3000:]
    assert len(night["inputs"]) == 18
    # The gate's examples name the bad values, masked: the places below were really reached.
    with duckdb.connect(str(night["paths"].warehouse), read_only=True) as con:
        messages = " ".join(
            m
            for (m,) in con.execute(
                "select message from meta.check_results where not success"
            ).fetchall()
        )
        held = dict(con.execute("select file_path, reason from meta.held_back_files").fetchall())
    for file in (NIK_FILE_1, NIK_FILE_2, KK_FILE, BPS_FILE):
        assert file in held, held
    assert "5371 **** **" in messages and "5371********XXXX" in messages, messages
    events = " ".join(text for texts in night["events"].values() for text in texts)
    assert "5371********XXXX" in events and "5.371**E+15" in events
    assert "5371********XXXX" in night["terminal"]["tepat check"]
    gx = " ".join(
        p.read_text() for p in (night["paths"].data_dir / "quality").rglob("validations/**/*.json")
    )
    status = night["inputs"][-1]
    assert f"{status[:4]}.****.****.{status[-4:]}" in gx, "GX lists the status it met, masked"


def _text_files(data_dir: Path) -> dict[str, str]:
    found = {}
    for path in sorted(data_dir.rglob("*")):
        relative = path.relative_to(data_dir).as_posix()
        if not path.is_file() or relative.startswith("raw/") or path.suffix == ".xlsx":
            continue
        if "/static/" in relative:  # the Data Docs' own scripts, styles and images
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary: the warehouse, parquet (scanned through SQL below)
        found[relative] = data.decode("utf-8", errors="replace")
    return found


def test_no_place_shows_a_nik_or_kk_number_from_a_file(night):
    inputs = night["inputs"]
    # The scan sees each input that has 6 digits to leak, when shown as it was written.
    found_unmasked = {value for value, _ in leaks("\n".join(inputs), inputs)}
    assert found_unmasked == {value for value in inputs if middle_windows(value)}
    assert len(found_unmasked) == 16  # `5.37101E+15` and a 13-digit KK have no 6 to show
    places: dict[str, str] = {}
    places.update({f"terminal: {k}": v for k, v in night["terminal"].items()})
    files = _text_files(night["paths"].data_dir)
    assert any(name.startswith("quality/") and name.endswith(".html") for name in files)
    assert any("validations/" in name for name in files)
    places.update({f"file: {k}": v for k, v in files.items()})
    with duckdb.connect(str(night["paths"].warehouse), read_only=True) as con:
        for table in (
            "meta.check_results",
            "meta.held_back_files",
            "quarantine.quarantine_rows",
            "quarantine.quarantine_files",
            "quarantine.file_ditahan",
        ):
            schema, name = table.split(".")
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? "
                    "and table_name = ? and data_type = 'VARCHAR'",
                    [schema, name],
                ).fetchall()
            ]
            assert columns, table
            rows = con.execute(f"select {', '.join(columns)} from {table}").fetchall()
            places[f"table: {table}"] = "\n".join(" | ".join(map(str, row)) for row in rows)
    assert night["events"]
    for run_id, texts in night["events"].items():
        places[f"dagster events of {run_id}"] = "\n".join(texts)

    from openpyxl import load_workbook

    workbook = load_workbook(night["workbook"], read_only=True)
    places["export workbook"] = "\n".join(
        str(cell)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    )
    assert "ditahan" in places["export workbook"], "the workbook's notes name the held-back files"

    found = {where: hits for where, text in places.items() if (hits := leaks(text, inputs))}
    assert found == {}, found
