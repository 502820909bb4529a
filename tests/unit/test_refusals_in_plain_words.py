"""Issue 16, "every block in plain words": what each refusal tells the person at the office.

Each kind of refusal tepat has is made to happen here, at the level where it is raised (the
loader's RawFileError sites, the BPS and agency readers, the GE suites' blocking
expectations), and the message is checked: it names the file or folder, says what to do,
shows no NIK, and is not an engine's own error text alone. The refusals that only surface in
a real night (dbt tests, the P1 > P0 gate, a negative pagu) are in
tests/e2e/test_refusals_in_a_night.py.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest.loader import RawFileError, sync_source
from orchestration.ingest.sources import SOURCES_BY_TABLE

ROSTERS = SOURCES_BY_TABLE["roster_rows"]
KELUARGA = SOURCES_BY_TABLE["dtsen_keluarga"]
ANGGARAN = SOURCES_BY_TABLE["referensi_anggaran_program"]
BPS = SOURCES_BY_TABLE["bps_indicators"]

#: An engine's own words: never the whole of what a person is told.
ENGINE_TEXT = re.compile(
    r"Conversion Error|Binder Error|Parser Error|Invalid Input Error|Catalog Error|"
    r"Traceback \(most recent call last\)|IO Error|Out of Memory Error|_duckdb\.|"
    r"UnicodeDecodeError|KeyError|IndexError|ValueError"
)
WHAT_TO_DO = re.compile(
    r"what to do|rename|save it|put it|put the|add |fix|correct|check|export|ask |keep |"
    r"use |move|open it|take it out|delete",
    re.IGNORECASE,
)
NIK = re.compile(r"\d{16}")


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> None:
    """These tests need no dbt project; override the suite's session fixture to stay fast."""


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def assert_plain(message: str, *names: str) -> None:
    """Names the file or folder, says what to do, shows no NIK; an engine's own words may
    follow as a detail, but the message without them still says all of that."""
    assert "Traceback" not in message, message
    assert not NIK.search(message), f"a NIK in:\n{message}"
    plain = re.sub(rf"(?:{ENGINE_TEXT.pattern}).*", "", message)
    for name in names:
        assert name in plain, f"{name!r} not named (outside engine text) in:\n{message}"
    assert WHAT_TO_DO.search(plain), f"no 'what to do' (outside engine text) in:\n{message}"


def refusal(con, source, raw: Path) -> str:
    with pytest.raises(RawFileError) as caught:
        sync_source(con, source, raw)
    return str(caught.value)


# --------------------------------------------------------------------------------------------
# A snapshot folder that is not a real date
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", ["2025-13-01", "2025-02-30", "2025-00-10"])
def test_a_snapshot_folder_that_is_no_real_date_is_refused_by_name(tmp_path, con, folder):
    """Was: DuckDB's `Conversion Error: date field value out of range` stopped the night."""
    write(tmp_path / f"registry/{folder}/keluarga.csv", "id_keluarga,no_kk,kode_wilayah,desil\n")
    message = refusal(con, KELUARGA, tmp_path)
    assert_plain(message, f"registry/{folder}", "real date", "YYYY-MM-DD", "rename")


# --------------------------------------------------------------------------------------------
# Ragged lines: quarantined in rosters, refused (naming the lines) elsewhere
# --------------------------------------------------------------------------------------------

ROSTER_HEADER = "nik,no_kk,nama,kode_wilayah,tahap,nilai_bantuan\n"
ROW = "53710115058000{:02d},5371010101200001,Nama {:d},5371011001,1,750000\n"


def roster_rows(con) -> list[tuple]:
    return con.execute(
        "select _row_number, nik, nama, _baris_rusak from raw.roster_rows order by _row_number"
    ).fetchall()


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_a_ragged_roster_line_is_quarantined_with_its_line_and_the_rest_loads(
    tmp_path, con, encoding
):
    """An extra field on line 3 and a missing one on line 5 (was: DuckDB's sniffer read one
    column and the night stopped with `required column(s) nik missing (found: nik,…)`).
    UTF-8 goes through DuckDB; Windows-1252 through the agency reader: the same rows."""
    text = (
        ROSTER_HEADER
        + ROW.format(1, 1)
        + ROW.format(2, 2).replace(",1,750000", ",1,750000,extra")
        + ROW.format(3, 3)
        + ROW.format(4, 4).replace(",1,750000", ",1")
        + ROW.format(5, 5).replace("Nama", "Ané")
    )
    write(tmp_path / "rosters/5371/2025/PKH/tahap1.csv", text.encode(encoding))
    result = sync_source(con, ROSTERS, tmp_path)
    assert result.rows_loaded == 5
    rows = roster_rows(con)
    assert [(n, why) for n, _, _, why in rows] == [
        (2, None),
        (3, "kolom_berlebih"),
        (4, None),
        (5, "kolom_kurang"),
        (6, None),
    ]
    # a broken line keeps no values (they cannot be placed under the right columns)
    assert rows[1][1:3] == (None, None) and rows[3][1:3] == (None, None)
    assert rows[4][1] == "5371011505800005"
    said = [w for w in result.warnings if "line 3" in w]
    assert len(said) == 1
    assert_plain(said[0], "rosters/5371/2025/PKH/tahap1.csv", "line 5", "more fields")


def test_a_ragged_line_refuses_a_registry_file_naming_the_line(tmp_path, con):
    write(
        tmp_path / "registry/2025-03-31/keluarga.csv",
        "id_keluarga,no_kk,kode_wilayah,desil\nK1,5371010101200001,5371011001,3\n"
        "K2,5371010101200002,5371011001,4,extra\nK3,5371010101200003,5371011001,5\n",
    )
    message = refusal(con, KELUARGA, tmp_path)
    assert_plain(message, "registry/2025-03-31/keluarga.csv", "line 3", "more fields")
    assert not con.execute(
        "select count(*) from information_schema.tables where table_name = 'dtsen_keluarga'"
    ).fetchone()[0]


# --------------------------------------------------------------------------------------------
# A file still being copied while the night reads it
# --------------------------------------------------------------------------------------------


def test_a_file_still_being_copied_is_skipped_whole_and_loaded_next_time(tmp_path, con):
    """A background writer appends to a large roster while the real load runs: nothing of
    it reaches raw, the warning names it, the manifest does not record it; once the copy is
    done the next sync loads every row."""
    path = tmp_path / "rosters/5371/2025/PKH/besar.csv"
    lines = [ROSTER_HEADER] + [
        f"53710115{i:08d},5371010101200001,Nama {i},5371011001,1,750000\n" for i in range(200_000)
    ]
    write(path, "".join(lines))
    written = len(lines) - 1
    stop = threading.Event()
    appended = [0]

    def writer() -> None:  # the copy goes on: a few rows at a time, with pauses
        with path.open("a", encoding="utf-8") as handle:
            while not stop.is_set():
                for _ in range(50):
                    n = written + appended[0]
                    handle.write(f"53719915{n:08d},5371010101200001,Nama {n},5371011001,1,1\n")
                    appended[0] += 1
                handle.flush()
                time.sleep(0.005)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        time.sleep(0.05)
        result = sync_source(con, ROSTERS, tmp_path)
    finally:
        stop.set()
        thread.join()
    relative = "rosters/5371/2025/PKH/besar.csv"
    assert result.still_copying == [relative]
    assert result.loaded == [] and result.rows_loaded == 0
    assert (
        not con.execute(
            "select count(*) from information_schema.tables where table_name = 'roster_rows'"
        ).fetchone()[0]
        or not con.execute("select count(*) from raw.roster_rows").fetchone()[0]
    )
    assert not con.execute(
        "select count(*) from meta.file_manifest where file_path = ?", [relative]
    ).fetchone()[0]
    warning = next(w for w in result.warnings if w.startswith(relative))
    assert_plain(warning, relative, "still being copied", "next run")

    again = sync_source(con, ROSTERS, tmp_path)  # the copy is finished
    total = written + appended[0]
    assert again.loaded == [relative] and again.rows_loaded == total
    assert con.execute("select count(*) from raw.roster_rows").fetchone()[0] == total


def test_a_changed_file_being_copied_keeps_its_earlier_rows(tmp_path, con, monkeypatch):
    """A corrected roster copied over the old one: while the copy runs, the old rows stay
    (the whole replacement is rolled back), and the next sync takes the new version."""
    from orchestration.ingest import loader

    path = write(tmp_path / "rosters/5371/2025/PKH/a.csv", ROSTER_HEADER + ROW.format(1, 1))
    sync_source(con, ROSTERS, tmp_path)
    write(path, ROSTER_HEADER + ROW.format(1, 1) + ROW.format(2, 2))
    real = loader._load_file

    def load_while_copying(*args, **kwargs):
        rows = real(*args, **kwargs)
        with path.open("a") as handle:  # more bytes arrive after the read
            handle.write(ROW.format(3, 3))
        return rows

    monkeypatch.setattr(loader, "_load_file", load_while_copying)
    result = sync_source(con, ROSTERS, tmp_path)
    assert result.still_copying == ["rosters/5371/2025/PKH/a.csv"]
    assert con.execute("select count(*) from raw.roster_rows").fetchone()[0] == 1
    monkeypatch.setattr(loader, "_load_file", real)
    assert sync_source(con, ROSTERS, tmp_path).rows_loaded == 3


# --------------------------------------------------------------------------------------------
# The raw gates (GE suites): a contradiction between BPS figures, a negative budget
# --------------------------------------------------------------------------------------------


def gate_report(tmp_path: Path, raw: Path, source, suite_name: str) -> str:
    """Load `source` from `raw` into a warehouse file and run its GE suite as the night does;
    the report the run log and `tepat check` show."""
    from orchestration.paths import EXPECTATIONS_DIR
    from orchestration.quality.runner import QualityProject, run_suite
    from orchestration.quality.suites import load_suites
    from orchestration.resources import load_thresholds

    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        sync_source(con, source, raw)
    suite = next(s for s in load_suites(EXPECTATIONS_DIR) if s.name == suite_name)
    project = QualityProject(tmp_path / "quality")
    outcome = run_suite(suite, warehouse, project, load_thresholds(EXPECTATIONS_DIR), "run-1")
    assert not outcome.success
    return outcome.report()


def test_bps_p1_above_p0_names_both_files_rows_and_the_region(tmp_path):
    """Was: `batch 'per_region_year': … failed for 1 of 2 rows` — no file, no region."""
    raw = tmp_path / "raw"
    header = "kode_wilayah,tahun,bulan,indikator,nilai\n"
    write(raw / "bps/p0_2024.csv", header + "5371,2024,3,p0,8.5\n5301,2024,3,p0,20.1\n")
    write(raw / "bps/p1_2024.csv", header + "5371,2024,3,p1,1.2\n5301,2024,3,p1,21.4\n")
    report = gate_report(tmp_path, raw, BPS, "raw_bps_indicators")
    assert_plain(report, "bps/p0_2024.csv", "bps/p1_2024.csv", "What to do")
    assert "region 5301, 2024 March: P1 21.4 (bps/p1_2024.csv row 3) is above P0 20.1" in report
    assert "(bps/p0_2024.csv row 3)" in report
    assert "5371" not in report  # the region whose figures agree is not blamed


def test_a_negative_pagu_names_the_file_and_its_row(tmp_path):
    raw = tmp_path / "raw"
    write(
        raw / "referensi/anggaran_program.csv",
        "kode_program,kode_wilayah,tahun,pagu,target_penerima\n"
        "PKH,5371,2025,9600000,40\nBPNT,5371,2025,-2400000,10\n",
    )
    report = gate_report(tmp_path, raw, ANGGARAN, "raw_referensi_anggaran_program")
    assert_plain(report, "referensi/anggaran_program.csv", "What to do")
    assert "row 3 (BPNT, 5371, 2025): pagu -2400000" in report


# --------------------------------------------------------------------------------------------
# Every kind of refusal the loader and the readers have, walked one by one
# --------------------------------------------------------------------------------------------


def told(con, source, raw: Path) -> str:
    """What the person is told about the files of `source`: the refusal, or — where a bad
    file is held back instead of stopping the night — every message the sync reports."""
    try:
        result = sync_source(con, source, raw)
    except RawFileError as error:
        return str(error)
    said: list[str] = []
    for value in vars(result).values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            said += [str(x) for x in (item if isinstance(item, tuple) else (item,))]
    return "\n".join(said)


def xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    with xlsxwriter.Workbook(path) as book:
        for name, rows in sheets.items():
            sheet = book.add_worksheet(name)
            for number, row in enumerate(rows):
                sheet.write_row(number, 0, row)


KELUARGA_HEADER = "id_keluarga,no_kk,kode_wilayah,desil\n"
TIDY_BPS = "kode_wilayah,tahun,bulan,indikator,nilai\n"

#: (what goes wrong, the source, the file or folder to be named, its bytes, words to say)
REFUSALS = [
    ("folder not a date", KELUARGA, "registry/maret-2025/keluarga.csv", KELUARGA_HEADER,
     ["maret-2025", "YYYY-MM-DD"]),
    ("folder no real date", KELUARGA, "registry/2025-13-01/keluarga.csv", KELUARGA_HEADER,
     ["2025-13-01", "real date"]),
    ("SIKS-NG folder without a code", SOURCES_BY_TABLE["dtsen_anggota"],
     "registry/2025-03-31/siks_ng/kupang/export.csv", "NIK,IDDTKS\n", ["kupang", "5371"]),
    ("neither UTF-8 nor Windows-1252", KELUARGA, "registry/2025-03-31/keluarga.csv",
     KELUARGA_HEADER.encode() + b"K1,\x81\x8d,5371011001,3\n", ["UTF-8", "Windows-1252"]),
    ("a Parquet file cut short", KELUARGA, "registry/2025-03-31/keluarga.parquet",
     b"PAR1\x15\x04\x15\x10\x15\x14L\x15\x02\x15\x00", ["Parquet", "cut short"]),
    ("two headers meaning one column", KELUARGA, "registry/2025-03-31/keluarga.csv",
     "id_keluarga,no_kk,No. KK,kode_wilayah,desil\nK1,1,1,5371011001,3\n",
     ["both mean 'no_kk'"]),
    ("a required column missing", KELUARGA, "registry/2025-03-31/keluarga.csv",
     "id_keluarga,no_kk,kode_wilayah\nK1,1,5371011001\n", ["no column for desil"]),
    ("a ragged registry line", KELUARGA, "registry/2025-03-31/keluarga.csv",
     KELUARGA_HEADER + "K1,1,5371011001,3,x\n", ["line 2", "more fields"]),
    ("a roster without a NIK column", ROSTERS, "rosters/5371/2025/PKH/a.csv",
     "nama,nilai_bantuan\nBudi,750000\n", ["NIK column"]),
    ("a roster .xlsx that is no workbook", ROSTERS, "rosters/5371/2025/PKH/a.xlsx",
     "nik,nama\n", ["cannot be read as .xlsx"]),
    ("a roster with two NIK columns", ROSTERS, "rosters/5371/2025/PKH/a.csv",
     "NIK,No. NIK,nama\n1,2,Budi\n", ["both mean 'nik'"]),
    ("a roster quote never closed", ROSTERS, "rosters/5371/2025/PKH/a.csv",
     'NIK;nama\n"5371011505800001;Budi\n', ["line 2"]),
    ("a P3KE workbook without its sheet", SOURCES_BY_TABLE["dtsen_anggota"],
     "registry/2025-03-31/p3ke/P3KE_5371011001.xlsx", {"Keluarga": [["NIK"]]},
     ["no sheet named 'Individu'"]),
    ("a SIKS-NG export without IDDTKS", KELUARGA, "registry/2025-03-31/siks_ng/5371/a.csv",
     "NIK,Nama,Desa_Kelurahan\n5371011505800001,Budi,Oebobo\n", ["id_keluarga"]),
    ("aggregates without their province", SOURCES_BY_TABLE["dtsen_desil_agregat"],
     "registry/2025-03-31/agregat/kodewil_desil.xlsx",
     {"Sheet1": [["NMKAB", "NMKEC", "NMDESA", "kdkab", "kdkec", "kddesa", "TOTAL"],
                 ["KOTA KUPANG", "ALAK", "NAMOSAIN", 71, 1, 1001, 3]]},
     ["kdprov", "row 2"]),
    ("an old binary .xls from BPS", BPS, "bps/kemiskinan.xls",
     b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, ["old binary Excel"]),
    ("a BPS file of no known form", BPS, "bps/lain.csv", "a,b\n1,2\n",
     ["not a BPS poverty table"]),
    ("BPS region names that match nothing", BPS, "bps/p0.csv",
     "Persentase Penduduk Miskin (Persen)\nProvinsi/Kabupaten/Kota,2024\n"
     "NUSA TENGGARA TIMUR,19.48\nKabupaten Entah Berantah,20.1\n",
     ["Entah Berantah", "alias"]),
    ("BPS tidy rows that are wrong", BPS, "bps/tidy.csv", TIDY_BPS + "5371,dua ribu,3,p0,8\n",
     ["row"]),
    ("a JSON that is no Web API answer", BPS, "bps/api/0000/var1.json", '{"a": 1}',
     ["Web API"]),
    ("BPS numbers with two decimal marks", BPS, "bps/gk.csv",
     "Garis Kemiskinan (Rupiah/Kapita/Bulan)\nProvinsi/Kabupaten/Kota,2023,2024\n"
     "NUSA TENGGARA TIMUR,\"1.234,5\",\"1,234.5\"\n", ["decimal"]),
    ("a roster year folder that is no year", ROSTERS, "rosters/5371/tahun2025/PKH/a.csv",
     "nik\n5371011505800001\n", ["tahun2025", "year"]),
    ("a roster region folder that is no code", ROSTERS, "rosters/kupang/2025/PKH/a.csv",
     "nik\n5371011505800001\n", ["kupang", "kabupaten/kota"]),
    ("BPS poor people counted in jiwa", BPS, "bps/jumlah.csv",
     "Jumlah Penduduk Miskin Menurut Kabupaten/Kota (Jiwa)\nProvinsi/Kabupaten/Kota,2024\n"
     "NUSA TENGGARA TIMUR,1130000\nKupang,63000\n", ["ribu"]),
    ("a Web API answer without data", BPS, "bps/api/0000/var2.json",
     '{"status": "OK", "data-availability": "list-not-available", "var": [], "vervar": [], '
     '"tahun": [], "turvar": [], "turtahun": []}', ["datacontent"]),
    ("a reference file without its columns", SOURCES_BY_TABLE["referensi_program"],
     "referensi/program.csv", "kode_program,nama_program\nPKH,PKH\n", ["no column for"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("source", "relative", "content", "words"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_every_refusal_names_the_file_and_says_what_to_do(
    tmp_path, con, source, relative, content, words
):
    path = tmp_path / relative
    if isinstance(content, dict):
        xlsx(path, content)
    else:
        write(path, content)
    message = told(con, source, tmp_path)
    assert_plain(message, relative, *words)


@pytest.mark.parametrize(
    ("source", "suite", "relative", "content", "words"),
    [
        (
            SOURCES_BY_TABLE["referensi_program"],
            "raw_referensi_program",
            "referensi/program.csv",
            "kode_program,nama_program,unit_sasaran,desil_min,desil_max\n"
            "PKH,PKH,keluarga,1,4\nBPNT,BPNT,keluarga,5,2\n",
            ["row 3 (BPNT): unit_sasaran keluarga, desil_min 5, desil_max 2"],
        ),
        (
            SOURCES_BY_TABLE["referensi_target_rpjmd"],
            "raw_referensi_target_rpjmd",
            "referensi/target_rpjmd.csv",
            "kode_wilayah,dokumen,indikator,jenis,tahun,nilai,arah\n"
            "5371,RPJMD,p0,target,2026,8.0,turun\n5371,RPJMD,p0,sasaran,dua ribu,7.5,turun\n",
            ["row 3 (5371, p0): jenis sasaran", "tahun dua ribu"],
        ),
        (
            ANGGARAN,
            "raw_referensi_anggaran_program",
            "referensi/anggaran_program.csv",
            "kode_program,kode_wilayah,tahun,pagu,target_penerima\n"
            "PKH,5371,2025,9600000,40\nPKH,5371,2025,9600000,40\nBPNT,5371,2O25,1,1\n",
            ["PKH|5371|2025", "row 4 (BPNT, 5371, 2O25)"],
        ),
    ],
    ids=["program desil range", "target jenis and year", "budget key and year"],
)
def test_reference_gates_name_the_file_and_row(tmp_path, source, suite, relative, content, words):
    raw = tmp_path / "raw"
    write(raw / relative, content)
    assert_plain(gate_report(tmp_path, raw, source, suite), relative, "What to do", *words)


# --------------------------------------------------------------------------------------------
# dbt's blocking tests: the failure report names the files
# --------------------------------------------------------------------------------------------


def test_a_failed_dbt_check_names_the_files_it_checks_and_bps_conflicts_their_rows(tmp_path):
    from orchestration.quality.report import dbt_failure_report

    raw = tmp_path / "raw"
    write(raw / "referensi/program.csv", "kode_program,nama_program,unit_sasaran,desil_min,"
          "desil_max\nPKH,PKH,keluarga,1,4\n")  # fmt: skip
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        sync_source(con, SOURCES_BY_TABLE["referensi_program"], raw)
        con.execute("create schema dbt_test__audit")
        con.execute(
            "create table dbt_test__audit.assert_bps_values_are_consistent as select * from "
            "(values ('5371', 'p0', 2024, 3, 8.5, 'bps/a.csv', 4), "
            "('5371', 'p0', 2024, 3, 9.5, 'bps/b.csv', 2)) as t(kode_wilayah, indikator, "
            "tahun, bulan, nilai, _source_file, _row_number)"
        )
    results = {
        "results": [
            {"unique_id": f"test.tepat.{name}.1a2b", "status": "fail", "message": "Got 2 results"}
            for name in ("not_null_stg_referensi__program_kode_program",
                         "assert_bps_values_are_consistent")
        ]
    }  # fmt: skip
    report = dbt_failure_report(results, warehouse)
    assert_plain(report, "referensi/program.csv", "What to do")
    assert "region 5371, p0, 2024 March: 8.5 in bps/a.csv row 4; 9.5 in bps/b.csv row 2" in report


def test_spark_running_out_of_memory_says_which_setting_not_which_file(tmp_path, monkeypatch):
    """The message of the 1m Spark night of bench/results/20261207T123100Z-1m-spark.json
    (default 2g driver): the planner is told to raise the memory, not to correct files."""
    from orchestration.quality.report import dbt_failure_report

    monkeypatch.delenv("TEPAT_SPARK_DRIVER_MEMORY", raising=False)
    message = (
        "Runtime Error in model verval_kasus (models/restricted/verval_kasus.sql)\n"
        "  An error occurred while calling o47.sql.\n"
        "  : org.apache.spark.SparkException: Job aborted due to stage failure: Task 0 in "
        "stage 1098.0 failed 1 times, most recent failure: Lost task 0.0 in stage 1098.0 "
        "(TID 1171) (192.0.2.2 executor driver): java.io.IOException: "
        "org.apache.spark.SparkException: Could not allocate memory to grow BytesToBytesMap."
    )
    results = {
        "results": [
            {"unique_id": "model.tepat.verval_kasus", "status": "error", "message": message}
        ]
    }
    report = dbt_failure_report(results, tmp_path / "warehouse.duckdb")
    assert "Spark ran out of memory building verval_kasus" in report
    assert "TEPAT_SPARK_DRIVER_MEMORY=2g" in report
    assert "The raw files are not the cause" in report
    assert "correct the file" not in report
    assert "Nothing was published" in report


def test_a_bps_alias_file_without_its_columns_is_named(tmp_path, con):
    write(
        tmp_path / "bps/p0.csv",
        "Persentase Penduduk Miskin (Persen)\nProvinsi/Kabupaten/Kota,2024\n"
        "NUSA TENGGARA TIMUR,19.48\nKupang,20.1\n",
    )
    write(tmp_path / "referensi/alias_wilayah_bps.csv", "nama,kode\nToli-Toli,7204\n")
    message = told(con, BPS, tmp_path)
    assert_plain(message, "referensi/alias_wilayah_bps.csv", "bps_name,province_code,kode_wilayah")


def test_dbt_stopping_before_any_model_says_what_dbt_said_masked():
    """An on-run-start that fails leaves no run results: the report quotes dbt's error lines
    (NIK-like values masked) instead of a Python traceback. The Spark file check's own
    sentence is passed on as it is: tests/spark/test_spark_night.py."""
    from orchestration.quality.report import dbt_start_failure_report

    report = dbt_start_failure_report(
        ["Database Error", "  value 5371011505800001 cannot be read", "  at line 3"]
    )
    assert report.startswith("The warehouse build stopped before building any model. dbt said:")
    assert "5371011505800001" not in report
    assert "What to do" in report
    assert "dbt gave no reason" in dbt_start_failure_report([])
