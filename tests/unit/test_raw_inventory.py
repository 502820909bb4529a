"""Nothing under data/raw/ is silently ignored or counted twice (DESIGN §2)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from orchestration.fingerprints import table_state
from orchestration.ingest.loader import pending_changes, sync_source
from orchestration.ingest.sources import SOURCES_BY_TABLE, looks_like_copy, unread_files

ROSTERS = SOURCES_BY_TABLE["roster_rows"]
FOLDER = "rosters/5301/2025/PKH"
ORIGINAL = f"{FOLDER}/PKH_5301_2025_tahap1.csv"
COPY = f"{FOLDER}/PKH_5301_2025_tahap1 - Copy.csv"
ROSTER = (
    "NIK,Nama Penerima,tahap,Nilai Bantuan (Rp)\n"
    "5301011505800001,Budi,1,750000\n"
    "5301011505800002,Ani,1,750000\n"
    "5301011505800003,Wati,1,750000\n"
)


def write(raw: Path, relative: str, text: str = "x\n") -> Path:
    path = raw / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    old = path.stat().st_mtime - 60  # older than the loader's racy window: stat cache applies
    os.utime(path, (old, old))
    return path


def roster_rows(con) -> list[tuple[str, int]]:
    return con.execute(
        "select _source_file, count(*) from raw.roster_rows group by 1 order by 1"
    ).fetchall()


def test_a_windows_copy_is_loaded_once_and_reported(tmp_path, con):
    write(tmp_path, ORIGINAL, ROSTER)
    write(tmp_path, COPY, ROSTER)  # " - Copy" sorts before ".csv": the name decides, not order
    assert sorted(pending_changes(duckdb.connect(), ROSTERS, tmp_path)) == [COPY, ORIGINAL]

    result = sync_source(con, ROSTERS, tmp_path)

    assert result.loaded == [ORIGINAL]
    assert result.duplicates == [(COPY, ORIGINAL)]
    assert result.rows_loaded == 3 and result.total_rows == 3
    assert roster_rows(con) == [(ORIGINAL, 3)]
    assert any(COPY in w and "byte-identical copy of" in w for w in result.warnings)
    assert con.execute(
        "select file_path, row_count, duplicate_of from meta.file_manifest order by 1"
    ).fetchall() == [(COPY, 0, ORIGINAL), (ORIGINAL, 3, None)]
    # Recorded: the next night has nothing to do, and still names the copy.
    assert pending_changes(con, ROSTERS, tmp_path) == []
    again = sync_source(con, ROSTERS, tmp_path)
    assert again.loaded == [] and again.unchanged == [ORIGINAL]
    assert again.duplicates == [(COPY, ORIGINAL)]
    assert con.execute("select count(*) from meta.file_manifest").fetchone()[0] == 2


def test_recording_a_copy_changes_nothing_the_build_reads(tmp_path, con):
    write(tmp_path, ORIGINAL, ROSTER)
    sync_source(con, ROSTERS, tmp_path)
    before = table_state(con, "roster_rows")

    write(tmp_path, f"{FOLDER}/zz_kiriman_ulang.csv", ROSTER)  # same bytes, any name
    assert pending_changes(con, ROSTERS, tmp_path) == [f"{FOLDER}/zz_kiriman_ulang.csv"]
    result = sync_source(con, ROSTERS, tmp_path)

    assert result.duplicates == [(f"{FOLDER}/zz_kiriman_ulang.csv", ORIGINAL)]
    assert roster_rows(con) == [(ORIGINAL, 3)]
    assert table_state(con, "roster_rows") == before


def test_the_file_already_loaded_stays_the_one_loaded(tmp_path, con):
    write(tmp_path, COPY, ROSTER)  # only the copy arrives first: it is loaded
    sync_source(con, ROSTERS, tmp_path)
    write(tmp_path, ORIGINAL, ROSTER)

    result = sync_source(con, ROSTERS, tmp_path)

    assert result.loaded == [] and result.duplicates == [(ORIGINAL, COPY)]
    assert roster_rows(con) == [(COPY, 3)]


def test_a_copy_is_loaded_when_its_original_goes_or_it_changes(tmp_path, con):
    original = write(tmp_path, ORIGINAL, ROSTER)
    write(tmp_path, COPY, ROSTER)
    sync_source(con, ROSTERS, tmp_path)

    original.unlink()
    assert pending_changes(con, ROSTERS, tmp_path) == [COPY, ORIGINAL]
    result = sync_source(con, ROSTERS, tmp_path)
    assert result.loaded == [COPY] and result.removed == [ORIGINAL]
    assert result.duplicates == []
    assert roster_rows(con) == [(COPY, 3)]
    # The original's rows are kept in raw_history, never lost.
    assert (
        con.execute(
            "select count(*) from raw_history.roster_rows where _source_file = ?", [ORIGINAL]
        ).fetchone()[0]
        == 3
    )

    # Back again: now the original is the copy (the file already loaded stays loaded).
    write(tmp_path, ORIGINAL, ROSTER)
    assert sync_source(con, ROSTERS, tmp_path).duplicates == [(ORIGINAL, COPY)]
    # An edited copy is a file of its own.
    write(tmp_path, ORIGINAL, ROSTER + "5301011505800004,Tono,1,750000\n")
    result = sync_source(con, ROSTERS, tmp_path)
    assert result.loaded == [ORIGINAL] and result.duplicates == []
    assert roster_rows(con) == [(COPY, 3), (ORIGINAL, 4)]


def test_copies_already_loaded_by_an_older_tepat_are_retired(tmp_path, con):
    """A warehouse from before copies were recognised holds both files' rows."""
    write(tmp_path, ORIGINAL, ROSTER)
    sync_source(con, ROSTERS, tmp_path)
    write(tmp_path, COPY, ROSTER + "5301011505800004,Tono,1,750000\n")
    sync_source(con, ROSTERS, tmp_path)  # different bytes: loaded
    write(tmp_path, COPY, ROSTER)  # now the same bytes as the original
    result = sync_source(con, ROSTERS, tmp_path)
    assert result.duplicates == [(COPY, ORIGINAL)]
    assert roster_rows(con) == [(ORIGINAL, 3)]


@pytest.mark.parametrize(
    ("name", "copy"),
    [
        ("PKH_5301_2025_tahap1 - Copy.csv", True),
        ("PKH - Copy (2).xlsx", True),
        ("PKH - Salinan.csv", True),
        ("PKH (1).csv", True),
        ("Copy of PKH.csv", True),
        ("PKH.csv", False),
        ("PKH tahap (1) final.csv", False),
        ("keluarga.csv", False),
    ],
)
def test_copy_names(name, copy):
    assert looks_like_copy(Path(name)) is copy


def test_every_file_no_source_reads_is_listed_with_what_to_do(tmp_path):
    read = [
        "rosters/5371/2025/PKH/tahap1.csv",
        "registry/2025-03-31/keluarga.csv",
        "registry/2025-03-31/anggota.parquet",
        "bps/p0_kabkota.csv",
        "referensi/program.csv",
        "referensi/alias_wilayah_bps.csv",
    ]
    for relative in read:
        write(tmp_path, relative)
    for hidden in (".gitkeep", "rosters/.DS_Store", ".kopian/a.csv"):
        write(tmp_path, hidden)
    unread = {
        "rosters/5371/PKH/tahap2.csv": "not where files of rosters/ go",
        "registry/2025-03-31/keluarga_lama.csv": "not where files of registry/ go",
        "registry/2025-03-31/catatan.txt": "tepat reads no '.txt' files in registry/",
        "catatan.txt": "in no folder tepat reads",
        "laporan/PKH_5371.csv": "in no folder tepat reads",
        "rosters/5371/2025/PKH/~$tahap1.xlsx": "Office lock file",
        "referensi/program_lama.csv": "not where files of referensi/ go",
    }
    for relative in unread:
        write(tmp_path, relative)

    found = unread_files(tmp_path)

    assert [f.path for f in found] == sorted(unread)
    by_path = {f.path: f for f in found}
    for relative, reason in unread.items():
        assert reason in by_path[relative].reason, relative
    roster = by_path["rosters/5371/PKH/tahap2.csv"].what_to_do
    assert "rosters/<kode_kabkota>/<tahun>/<kode_program>/<file>.csv or .xlsx" in roster
    snapshot = by_path["registry/2025-03-31/keluarga_lama.csv"].what_to_do
    assert "registry/<YYYY-MM-DD>/keluarga.csv or .parquet" in snapshot
    assert "bps/" in by_path["catatan.txt"].what_to_do
    assert "close the workbook" in by_path["rosters/5371/2025/PKH/~$tahap1.xlsx"].what_to_do


def test_links_out_of_data_raw_are_not_read_and_are_listed(tmp_path, con):
    raw, outside = tmp_path / "raw", tmp_path / "elsewhere"
    write(raw, ORIGINAL, ROSTER)
    secret = write(outside, "gaji_pegawai.csv", ROSTER.replace("Budi", "Dewi"))
    linked = raw / FOLDER / "PKH_5301_2025_tahap2.csv"
    linked.symlink_to(secret)  # a link to a file outside data/raw/
    (raw / "rosters/5301/2025/PIP").symlink_to(outside, target_is_directory=True)
    escaped = raw / FOLDER / "PKH_5301_2025_tahap3.csv"
    escaped.symlink_to(Path("..", "..", "..", "..", "..", "elsewhere", "gaji_pegawai.csv"))

    result = sync_source(con, ROSTERS, raw)

    assert result.loaded == [ORIGINAL]
    assert roster_rows(con) == [(ORIGINAL, 3)]
    listed = {f.path: f for f in unread_files(raw)}
    assert sorted(listed) == [
        "rosters/5301/2025/PIP/",
        f"{FOLDER}/PKH_5301_2025_tahap2.csv",
        f"{FOLDER}/PKH_5301_2025_tahap3.csv",
    ]
    for file in listed.values():
        assert "outside data/raw/" in file.reason
        assert "itself into data/raw/" in file.what_to_do


def test_data_raw_itself_may_be_a_link(tmp_path, con):
    share = tmp_path / "share"
    write(share, ORIGINAL, ROSTER)
    raw = tmp_path / "raw"
    raw.symlink_to(share, target_is_directory=True)

    assert sync_source(con, ROSTERS, raw).loaded == [ORIGINAL]
    assert unread_files(raw) == []
