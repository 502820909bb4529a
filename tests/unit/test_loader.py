"""Raw loading: idempotent, replaces changed files, keeps every value and its row."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from orchestration.ingest import loader
from orchestration.ingest.loader import RawFileError, canonical_header, sync_source
from orchestration.ingest.sources import SOURCES_BY_TABLE

ROSTERS = SOURCES_BY_TABLE["roster_rows"]
KELUARGA = SOURCES_BY_TABLE["dtsen_keluarga"]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("NIK", "nik"),
        ("No. KK", "no_kk"),
        ("Nama Penerima", "nama"),
        ("Nilai Bantuan (Rp)", "nilai_bantuan"),
        ("Kode Wilayah", "kode_wilayah"),
        ("\ufeffnik", "nik"),
        ("Keterangan Lain", "keterangan_lain"),
    ],
)
def test_header_variants_map_to_contract_names(header, expected):
    assert canonical_header(header, ROSTERS.required_columns + ROSTERS.optional_columns) == expected


def test_roster_rows_keep_file_row_and_folder(tmp_path, con):
    write(
        tmp_path / "rosters/5371/2025/PKH/tahap1.csv",
        "NIK,No. KK,Nama Penerima,tahap,Nilai Bantuan (Rp)\n"
        "5371011505800001,5371010101200001,Budi,1,750000\n"
        "5371011505800002,,Ani,1,750000\n",
    )
    result = sync_source(con, ROSTERS, tmp_path)
    assert result.rows_loaded == 2
    rows = con.execute(
        "select nik, no_kk, _row_number, folder_kode_wilayah, folder_tahun, folder_kode_program, "
        "_source_file from raw.roster_rows order by _row_number"
    ).fetchall()
    assert rows == [
        ("5371011505800001", "5371010101200001", 2, "5371", "2025", "PKH",
         "rosters/5371/2025/PKH/tahap1.csv"),
        ("5371011505800002", None, 3, "5371", "2025", "PKH", "rosters/5371/2025/PKH/tahap1.csv"),
    ]  # fmt: skip


def test_a_bad_roster_is_held_back_and_the_others_load(tmp_path, con):
    """DESIGN §4: an empty roster and one without a NIK column are held back — recorded with
    their checksum, 0 rows and the reason — while the good roster loads; unchanged, they stay
    unchanged (nothing pending); corrected, the file loads in their place; a loaded roster
    replaced by a broken version loses its old rows (the agency replaced them)."""
    good = write(tmp_path / "rosters/5371/2025/PKH/tahap1.csv", "nik\n5371011505800001\n")
    empty = write(tmp_path / "rosters/5371/2025/BPNT/kosong.csv", "nik,nama\n")
    no_nik = write(tmp_path / "rosters/5371/2025/PIP/pip.csv", "nama\nBudi\n")
    result = sync_source(con, ROSTERS, tmp_path)
    assert result.loaded == ["rosters/5371/2025/PKH/tahap1.csv"]
    held = dict(result.held_back)
    assert set(held) == {"rosters/5371/2025/BPNT/kosong.csv", "rosters/5371/2025/PIP/pip.csv"}
    assert "has no rows" in held["rosters/5371/2025/BPNT/kosong.csv"]
    assert "no NIK column" in held["rosters/5371/2025/PIP/pip.csv"]
    assert all("What to do" in reason and "held back" in reason for reason in held.values())
    manifest = con.execute(
        "select file_path, row_count, held_back_reason is not null from meta.file_manifest "
        "where removed_at is null order by file_path"
    ).fetchall()
    assert manifest == [
        ("rosters/5371/2025/BPNT/kosong.csv", 0, True),
        ("rosters/5371/2025/PIP/pip.csv", 0, True),
        ("rosters/5371/2025/PKH/tahap1.csv", 1, False),
    ]
    listed = con.execute(
        "select file_path, decided_by from meta.held_back_files order by 1"
    ).fetchall()
    assert listed == [(f, "loader") for f in sorted(held)]
    assert loader.pending_changes(con, ROSTERS, tmp_path) == []
    again = sync_source(con, ROSTERS, tmp_path)
    assert again.loaded == [] and len(again.unchanged) == 3 and len(again.held_back) == 2

    write(no_nik, "nik,nama\n5371011505800002,Budi\n")  # corrected
    write(good, "nama\nAni\n")  # a broken new version of a loaded roster
    empty.unlink()
    assert sorted(loader.pending_changes(con, ROSTERS, tmp_path)) == sorted(
        [str(p.relative_to(tmp_path)) for p in (good, no_nik, empty)]
    )
    fixed = sync_source(con, ROSTERS, tmp_path)
    assert fixed.loaded == ["rosters/5371/2025/PIP/pip.csv"]
    assert [file for file, _ in fixed.held_back] == ["rosters/5371/2025/PKH/tahap1.csv"]
    assert con.execute("select _source_file, nik from raw.roster_rows").fetchall() == [
        ("rosters/5371/2025/PIP/pip.csv", "5371011505800002")
    ]


def test_same_file_twice_changes_nothing_and_changed_file_replaces(tmp_path, con):
    path = write(tmp_path / "rosters/5371/2025/PKH/a.csv", "nik\n1\n2\n")
    sync_source(con, ROSTERS, tmp_path)
    second = sync_source(con, ROSTERS, tmp_path)
    assert second.loaded == [] and second.unchanged == ["rosters/5371/2025/PKH/a.csv"]
    assert con.execute("select count(*) from raw.roster_rows").fetchone()[0] == 2
    assert con.execute("select count(*) from meta.file_manifest").fetchone()[0] == 1

    write(path, "nik\n7\n8\n9\n")
    replaced = sync_source(con, ROSTERS, tmp_path)
    assert replaced.loaded == ["rosters/5371/2025/PKH/a.csv"]
    assert sorted(r[0] for r in con.execute("select nik from raw.roster_rows").fetchall()) == [
        "7", "8", "9",
    ]  # fmt: skip
    history = con.execute(
        "select row_count, removed_at is null from meta.file_manifest order by loaded_at"
    ).fetchall()
    assert history == [(2, False), (3, True)]

    path.unlink()
    removed = sync_source(con, ROSTERS, tmp_path)
    assert removed.removed == ["rosters/5371/2025/PKH/a.csv"]
    assert con.execute("select count(*) from raw.roster_rows").fetchone()[0] == 0
    # Replaced and removed rows leave the current state but stay in history.
    retired = con.execute(
        "select nik, _row_number from raw_history.roster_rows order by _removed_at, _row_number"
    ).fetchall()
    assert retired == [("1", 2), ("2", 3), ("7", 2), ("8", 3), ("9", 4)]
    assert (
        con.execute("select count(distinct _removed_at) from raw_history.roster_rows").fetchone()[0]
        == 2
    )


def test_file_order_is_kept_for_large_files(tmp_path, con):
    lines = "\n".join(str(i) for i in range(200_000))
    write(tmp_path / "rosters/5371/2025/PKH/big.csv", "nik\n" + lines + "\n")
    sync_source(con, ROSTERS, tmp_path)
    mismatches = con.execute(
        "select count(*) from raw.roster_rows where cast(nik as integer) + 2 <> _row_number"
    ).fetchone()[0]
    assert mismatches == 0


def test_missing_required_column_names_the_file_and_column(tmp_path, con):
    write(
        tmp_path / "registry/2025-03-31/keluarga.csv", "id_keluarga,kode_wilayah\nK1,5371011001\n"
    )
    with pytest.raises(RawFileError) as error:
        sync_source(con, KELUARGA, tmp_path)
    message = str(error.value)
    assert "registry/2025-03-31/keluarga.csv" in message
    assert "no_kk" in message and "desil" in message
    assert "What to do" in message


def test_registry_folder_must_be_a_date(tmp_path, con):
    write(tmp_path / "registry/maret/keluarga.csv", "id_keluarga,no_kk,kode_wilayah,desil\n")
    with pytest.raises(RawFileError, match="YYYY-MM-DD"):
        sync_source(con, KELUARGA, tmp_path)


def test_xlsx_nik_typed_as_number_is_flagged(tmp_path, con):
    path = tmp_path / "rosters/5371/2025/KPG_RTLH/rtlh.xlsx"
    path.parent.mkdir(parents=True)
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["NIK", "Nama", "Nilai Bantuan (Rp)"])
    sheet.write_string(1, 0, "5371011505800001")
    sheet.write_string(1, 1, "Budi")
    sheet.write_number(1, 2, 20_000_000)
    sheet.write_number(2, 0, float("537101150580012" + "0"))  # what Excel keeps of a typed NIK
    sheet.write_string(2, 1, "Ani")
    sheet.write_number(2, 2, 20_000_000)
    workbook.close()

    sync_source(con, ROSTERS, tmp_path)
    rows = con.execute(
        "select nik, _nik_was_number, nilai_bantuan, _row_number from raw.roster_rows "
        "order by _row_number"
    ).fetchall()
    assert rows == [
        ("5371011505800001", False, "20000000", 2),
        ("5371011505800120", True, "20000000", 3),
    ]


def test_registry_snapshot_as_parquet_keeps_extra_columns(tmp_path, con):
    folder = tmp_path / "registry/2025-06-30"
    folder.mkdir(parents=True)
    con.execute(
        "copy (select 'K1' as id_keluarga, '5371010101200001' as no_kk, "
        "'53.71.01.1001' as kode_wilayah, 2 as desil, 1 as punya_motor, 'x' as catatan_petugas) "
        f"to '{folder / 'keluarga.parquet'}' (format parquet)"
    )
    sync_source(con, KELUARGA, tmp_path)
    row = con.execute(
        "select tanggal_snapshot, kode_wilayah, desil, punya_motor, catatan_petugas, "
        "jumlah_anggota from raw.dtsen_keluarga"
    ).fetchone()
    assert row == ("2025-06-30", "53.71.01.1001", "2", "1", "x", None)


BPS = SOURCES_BY_TABLE["bps_indicators"]
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_a_bps_table_as_downloaded_loads_as_tidy_rows(tmp_path, con):
    target = tmp_path / "bps" / "p0_ntt.csv"
    target.parent.mkdir()
    target.write_bytes((FIXTURES / "bps" / "ntt_p0_kabkota.csv").read_bytes())
    sync_source(con, BPS, tmp_path)
    rows = con.execute(
        "select kode_wilayah, tahun, bulan, indikator, nilai, _source_file "
        "from raw.bps_indicators where kode_wilayah in ('5301', '5371') and tahun = '2025' "
        "order by kode_wilayah"
    ).fetchall()
    assert rows == [
        ("5301", "2025", "3", "p0", "20.32", "bps/p0_ntt.csv"),
        ("5371", "2025", "3", "p0", "7.57", "bps/p0_ntt.csv"),
    ]
    numbers = con.execute("select min(_row_number) from raw.bps_indicators").fetchone()[0]
    assert numbers > 2  # the title lines come first


def test_unmatched_bps_names_hold_the_file_back_until_the_user_adds_an_alias(tmp_path, con):
    """DESIGN §4: an unreadable BPS file is held back (recorded with its reason and 0 rows),
    not a failed night; the alias file changes its checksum, so it loads next time."""
    table = tmp_path / "bps" / "p0_ntt.csv"
    table.parent.mkdir()
    table.write_text(
        "Persentase Penduduk Miskin (P0) Menurut Kabupaten/Kota di Provinsi Nusa Tenggara "
        "Timur (Persen)\nKabupaten/Kota;2024;2025\nKupang Raya;19,39;20,32\n"
        "Kota Kupang;8,61;7,57\n",
        encoding="utf-8",
    )
    result = sync_source(con, BPS, tmp_path)
    assert result.loaded == [] and [file for file, _ in result.held_back] == ["bps/p0_ntt.csv"]
    message = result.held_back[0][1]
    assert "'Kupang Raya' (row 3) under province 53" in message
    assert str(tmp_path / "referensi" / "alias_wilayah_bps.csv") in message
    assert "held back" in message and "What to do" in message
    assert con.execute(
        "select row_count, held_back_reason is not null from meta.file_manifest"
    ).fetchall() == [(0, True)]
    again = sync_source(con, BPS, tmp_path)  # the same bytes: unchanged, still held back
    assert again.unchanged == ["bps/p0_ntt.csv"] and len(again.held_back) == 1

    aliases = write(
        tmp_path / "referensi" / "alias_wilayah_bps.csv",
        "bps_name,province_code,kode_wilayah\nKupang Raya,53,5301\n",
    )
    fixed = sync_source(con, BPS, tmp_path)
    assert fixed.loaded == ["bps/p0_ntt.csv"] and fixed.held_back == []
    assert con.execute("select count(*) from meta.held_back_files").fetchone()[0] == 0
    values = con.execute(
        "select kode_wilayah, tahun, nilai from raw.bps_indicators order by 1, 2"
    ).fetchall()
    assert values == [("5301", "2024", "19.39"), ("5301", "2025", "20.32"),
                      ("5371", "2024", "8.61"), ("5371", "2025", "7.57")]  # fmt: skip
    assert sync_source(con, BPS, tmp_path).unchanged == ["bps/p0_ntt.csv"]

    # A changed alias file changes what the BPS rows mean: they are read again.
    write(aliases, "bps_name,province_code,kode_wilayah\nKupang Raya,53,5302\n")
    assert sync_source(con, BPS, tmp_path).loaded == ["bps/p0_ntt.csv"]
    codes = con.execute("select distinct kode_wilayah from raw.bps_indicators order by 1")
    assert codes.fetchall() == [("5302",), ("5371",)]


def test_an_agency_roster_with_a_title_block_and_a_cp1252_csv_load(tmp_path, con):
    path = tmp_path / "rosters/5371/2025/KPG_RTLH/rtlh_dinas.xlsx"
    path.parent.mkdir(parents=True)
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("Penerima")
    sheet.merge_range(0, 0, 0, 3, "DAFTAR PENERIMA BANTUAN RUMAH TIDAK LAYAK HUNI")
    sheet.merge_range(1, 0, 1, 3, "DINAS PERUMAHAN DAN KAWASAN PERMUKIMAN KOTA KUPANG")
    sheet.write_row(3, 0, ["No", "NIK", "Nama Penerima", "Nilai Bantuan (Rp)"])
    sheet.write_row(4, 0, [1, "5371011505800001", "Budi", 20000000])
    sheet.write_number(5, 0, 2)
    sheet.write_number(5, 1, float("537101150580012" + "0"))
    sheet.write_row(5, 2, ["Ani", 20000000])
    sheet.write_row(6, 0, ["JUMLAH", None, None, 40000000])
    workbook.close()
    csv_path = tmp_path / "rosters/5371/2025/KPG_RTLH/susulan.csv"
    csv_path.write_bytes(
        "Daftar susulan\nNIK;Nama Penerima;Nilai Bantuan (Rp)\n"
        "5371011505800002;José Ndun;1.500.000\n".encode("cp1252")
    )

    sync_source(con, ROSTERS, tmp_path)
    rows = con.execute(
        "select _source_file, _row_number, nik, nama, nilai_bantuan, _nik_was_number "
        "from raw.roster_rows order by _source_file, _row_number"
    ).fetchall()
    assert rows == [
        ("rosters/5371/2025/KPG_RTLH/rtlh_dinas.xlsx", 5, "5371011505800001", "Budi",
         "20000000", False),
        ("rosters/5371/2025/KPG_RTLH/rtlh_dinas.xlsx", 6, "5371011505800120", "Ani",
         "20000000", True),
        ("rosters/5371/2025/KPG_RTLH/susulan.csv", 3, "5371011505800002", "José Ndun",
         "1.500.000", False),
    ]  # fmt: skip


def test_kelurahan_names_become_codes_within_the_roster_kabkota(tmp_path, con):
    path = tmp_path / "rosters/5371/2025/KPG_DANA_BERGULIR/bergulir.xlsx"
    path.parent.mkdir(parents=True)
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["NIK", "Nama", "KELURAHAN", "Nilai Bantuan (Rp)"])
    sheet.write_row(1, 0, ["5371011505800001", "Budi", "Kel. Namosain", 5000000])
    sheet.write_row(2, 0, ["5371011505800002", "Ani", "NAMOSAIN", 5000000])
    sheet.write_row(3, 0, ["5371011505800003", "Yosef", "Kelurahan Entah", 5000000])
    workbook.close()

    result = sync_source(con, ROSTERS, tmp_path)
    rows = con.execute(
        "select nama, kelurahan, kode_wilayah from raw.roster_rows order by _row_number"
    ).fetchall()
    assert rows == [
        ("Budi", "Kel. Namosain", "5371011001"),
        ("Ani", "NAMOSAIN", "5371011001"),
        ("Yosef", "Kelurahan Entah", None),
    ]
    assert any("Entah" in warning for warning in result.warnings)


def test_a_windows_1252_registry_csv_is_read_without_touching_the_file(tmp_path, con):
    keluarga = tmp_path / "registry" / "2025-06-30" / "keluarga.csv"
    keluarga.parent.mkdir(parents=True)
    keluarga.write_bytes(
        "id_keluarga;no_kk;kode_wilayah;desil;status_bangunan\r\n"
        "K1;5371010101200001;5371011001;2;milik sendiri – lunas\r\n".encode("cp1252")
    )
    before = keluarga.read_bytes()
    result = sync_source(con, SOURCES_BY_TABLE["dtsen_keluarga"], tmp_path)
    assert result.warnings == [
        "registry/2025-06-30/keluarga.csv: file read as cp1252 (it is not UTF-8)"
    ]
    assert con.execute(
        "select id_keluarga, status_bangunan from raw.dtsen_keluarga"
    ).fetchall() == [("K1", "milik sendiri – lunas")]
    assert keluarga.read_bytes() == before


# ---------------------------------------------------------------------------------------------
# The stat cache: unchanged files are not read
# ---------------------------------------------------------------------------------------------

ROSTER_FILE = "rosters/5371/2025/PKH/a.csv"


def age(path: Path, seconds_ago: int) -> int:
    """Set the file's mtime in the past (older than RACY_SECONDS); return it in ns."""
    mtime_ns = (int(time.time()) - seconds_ago) * 1_000_000_000
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return mtime_ns


def manifest_stat(con) -> list[tuple]:
    return con.execute(
        "select size_bytes, mtime_ns, removed_at is null from meta.file_manifest order by loaded_at"
    ).fetchall()


def forbid_reading(monkeypatch) -> None:
    def fail(*args, **kwargs):
        raise AssertionError("the file was read")

    monkeypatch.setattr(loader, "_read_digest", fail)


def test_a_file_with_unchanged_size_and_mtime_is_not_read(tmp_path, con, monkeypatch):
    path = write(tmp_path / ROSTER_FILE, "nik\n1\n2\n")
    mtime_ns = age(path, 3600)
    sync_source(con, ROSTERS, tmp_path)
    assert manifest_stat(con) == [(path.stat().st_size, mtime_ns, True)]
    forbid_reading(monkeypatch)
    again = sync_source(con, ROSTERS, tmp_path)
    assert again.unchanged == [ROSTER_FILE] and again.loaded == []


def test_a_touched_file_with_the_same_bytes_stays_unchanged(tmp_path, con, monkeypatch):
    path = write(tmp_path / ROSTER_FILE, "nik\n1\n2\n")
    age(path, 3600)
    sync_source(con, ROSTERS, tmp_path)
    touched_ns = age(path, 60)
    touched = sync_source(con, ROSTERS, tmp_path)
    assert touched.unchanged == [ROSTER_FILE] and touched.loaded == []
    # No new manifest row, no rows retired; the new mtime is recorded for the next run.
    assert manifest_stat(con) == [(path.stat().st_size, touched_ns, True)]
    assert con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw_history'"
    ).fetchone() == (0,)
    forbid_reading(monkeypatch)
    assert sync_source(con, ROSTERS, tmp_path).unchanged == [ROSTER_FILE]


def test_a_file_changed_to_the_same_size_with_a_new_mtime_is_loaded_again(tmp_path, con):
    path = write(tmp_path / ROSTER_FILE, "nik\n1\n2\n")
    age(path, 3600)
    sync_source(con, ROSTERS, tmp_path)
    write(path, "nik\n7\n8\n")
    age(path, 60)
    assert sync_source(con, ROSTERS, tmp_path).loaded == [ROSTER_FILE]
    assert con.execute("select nik from raw.roster_rows order by 1").fetchall() == [("7",), ("8",)]
    assert [active for *_, active in manifest_stat(con)] == [False, True]


def test_a_just_written_file_keeps_no_mtime_and_is_hashed_next_time(tmp_path, con, monkeypatch):
    path = write(tmp_path / ROSTER_FILE, "nik\n1\n2\n")  # mtime: now, within RACY_SECONDS
    sync_source(con, ROSTERS, tmp_path)
    assert manifest_stat(con) == [(path.stat().st_size, None, True)]
    hashed: list[Path] = []
    read_digest = loader._read_digest
    monkeypatch.setattr(
        loader, "_read_digest", lambda p, **kw: hashed.append(p) or read_digest(p, **kw)
    )
    assert sync_source(con, ROSTERS, tmp_path).unchanged == [ROSTER_FILE]
    assert hashed == [path]


def test_a_warehouse_from_before_the_stat_cache_keeps_working(tmp_path, con):
    path = write(tmp_path / ROSTER_FILE, "nik\n1\n2\n")
    age(path, 3600)
    con.execute(
        "create schema meta; create table meta.file_manifest (table_name varchar not null, "
        "file_path varchar not null, checksum varchar not null, size_bytes bigint, "
        "row_count bigint, loaded_at timestamp not null, removed_at timestamp)"
    )
    con.execute(
        "create schema raw; create table raw.roster_rows (nik varchar, _source_file varchar)"
    )
    con.execute("insert into raw.roster_rows values ('1', ?), ('2', ?)", [ROSTER_FILE] * 2)
    con.execute(
        "insert into meta.file_manifest values ('roster_rows', ?, ?, ?, 2, now(), null)",
        [ROSTER_FILE, loader.sha256_of(path), path.stat().st_size],
    )
    assert sync_source(con, ROSTERS, tmp_path).unchanged == [ROSTER_FILE]
    assert manifest_stat(con) == [(path.stat().st_size, path.stat().st_mtime_ns, True)]


def test_bps_files_are_always_hashed(tmp_path, con, monkeypatch):
    path = write(
        tmp_path / "bps" / "p0.csv", "kode_wilayah,tahun,indikator,nilai\n5371,2025,p0,7.57\n"
    )
    age(path, 3600)
    sync_source(con, BPS, tmp_path)
    forbid_reading(monkeypatch)
    with pytest.raises(AssertionError, match="the file was read"):
        sync_source(con, BPS, tmp_path)


def test_only_files_already_loaded_have_rows_to_retire(tmp_path, con, monkeypatch):
    retired: list[str] = []
    retire_rows = loader._retire_rows
    monkeypatch.setattr(
        loader,
        "_retire_rows",
        lambda con, table, relative: retired.append(relative) or retire_rows(con, table, relative),
    )
    first = write(tmp_path / ROSTER_FILE, "nik\n1\n")
    write(tmp_path / "rosters/5371/2025/PKH/b.csv", "nik\n2\n")
    sync_source(con, ROSTERS, tmp_path)
    assert retired == []
    write(first, "nik\n3\n4\n")
    sync_source(con, ROSTERS, tmp_path)
    assert retired == [ROSTER_FILE]


def test_a_changed_csv_is_read_once_before_duckdb_loads_it(tmp_path, con, monkeypatch):
    monkeypatch.setattr(
        loader, "_is_utf8", lambda path: pytest.fail("UTF-8 checked in a second pass")
    )
    path = tmp_path / "registry/2025-03-31/keluarga.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(
        "id_keluarga,no_kk,kode_wilayah,desil,status_bangunan\nK1,1,5371011001,2,ü\n".encode()
    )
    assert sync_source(con, KELUARGA, tmp_path).warnings == []
    path.write_bytes(
        "id_keluarga,no_kk,kode_wilayah,desil,status_bangunan\nK1,1,5371011001,2,ü\n".encode(
            "cp1252"
        )
    )
    result = sync_source(con, KELUARGA, tmp_path)
    assert result.warnings == [
        "registry/2025-03-31/keluarga.csv: file read as cp1252 (it is not UTF-8)"
    ]
    assert con.execute("select status_bangunan from raw.dtsen_keluarga").fetchall() == [("ü",)]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"a" * ((1 << 20) - 1) + "é".encode() + b"b", True),  # é cut at the block boundary
        (b"a" * (1 << 20) + "é".encode()[:1], False),  # the file ends inside a character
        (b"nik\n" + "Müller".encode("cp1252") + b"\n", False),
        (b"plain ascii\n", True),
        (b"", True),
    ],
)
def test_checksum_and_utf8_in_one_pass(tmp_path, data, expected):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    checksum, is_utf8, lines = loader._read_digest(path, check_utf8=True)
    assert checksum == hashlib.sha256(data).hexdigest()
    assert is_utf8 is expected
    assert lines == data.count(b"\n")  # whether each record is one line (DESIGN §6.1)


# ---------------------------------------------------------------------------------------------
# pending_changes: what a sync would do, said before it, read-only
# ---------------------------------------------------------------------------------------------


def test_pending_changes_names_exactly_what_the_next_sync_loads_or_retires(tmp_path, con):
    kept = write(tmp_path / ROSTER_FILE, "nik\n1\n")
    changed = write(tmp_path / "rosters/5371/2025/PKH/b.csv", "nik\n2\n")
    removed = write(tmp_path / "rosters/5371/2025/PKH/c.csv", "nik\n3\n")
    touched = write(tmp_path / "rosters/5371/2025/PKH/d.csv", "nik\n4\n")
    for path in (kept, changed, removed, touched):
        age(path, 3600)
    assert loader.pending_changes(con, ROSTERS, tmp_path) == [  # nothing loaded yet
        ROSTER_FILE,
        *(f"rosters/5371/2025/PKH/{n}.csv" for n in "bcd"),
    ]
    sync_source(con, ROSTERS, tmp_path)
    assert loader.pending_changes(con, ROSTERS, tmp_path) == []

    write(changed, "nik\n5\n")
    removed.unlink()
    age(touched, 60)  # same bytes, new mtime: hashed, not reloaded
    write(tmp_path / "rosters/5371/2025/PKH/e.csv", "nik\n6\n")
    manifest_before = con.execute("from meta.file_manifest order by all").fetchall()
    pending = loader.pending_changes(con, ROSTERS, tmp_path)
    assert pending == [
        "rosters/5371/2025/PKH/b.csv",
        "rosters/5371/2025/PKH/e.csv",
        "rosters/5371/2025/PKH/c.csv",
    ]
    assert con.execute("from meta.file_manifest order by all").fetchall() == manifest_before
    result = sync_source(con, ROSTERS, tmp_path)
    assert sorted(result.loaded + result.removed) == sorted(pending)
    assert loader.pending_changes(con, ROSTERS, tmp_path) == []


def test_pending_changes_works_on_a_read_only_warehouse(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    raw = tmp_path / "raw"
    age(write(raw / ROSTER_FILE, "nik\n1\n"), 3600)
    with duckdb.connect(str(warehouse)) as writer:
        sync_source(writer, ROSTERS, raw)
        loader.sync_regions(writer, "0-test")
    with duckdb.connect(str(warehouse), read_only=True) as reader:
        assert loader.pending_changes(reader, ROSTERS, raw) == []
        assert loader.pending_changes(reader, KELUARGA, raw) == []  # no files, none loaded
        assert not loader.regions_pending(reader, "0-test")
        assert loader.regions_pending(reader, "0-newer")


def test_the_manifest_says_which_registry_files_another_engine_can_read_as_is(tmp_path, con):
    """DESIGN §6.1: a registry CSV DuckDB read as it is (UTF-8, header on line 1, one record
    per line) gets its tidy form; Spark then reads that file itself. Anything that needed
    more than that keeps none, and is handed over as the loader's rows."""
    snapshot = tmp_path / "registry" / "2025-06-30"
    header = "ID Keluarga;No. KK;kode_wilayah;desil;status_bangunan\r\n"
    write(snapshot / "keluarga.csv", header + "K1;5371010101200001;5371011001;2;sewa\r\n")
    # a quoted line break: two lines, one record; Spark's block reader would split it
    write(
        tmp_path / "registry" / "2025-03-31" / "keluarga.csv",
        header.replace("\r", "")
        + 'K2;5371010101200002;5371011001;2;"lantai\ntanah"\n'
        + "K4;5371010101200004;5371011001;3;sewa\n",
    )
    # Windows-1252: read through a re-encoded copy
    (tmp_path / "registry" / "2024-12-31").mkdir()
    (tmp_path / "registry" / "2024-12-31" / "keluarga.csv").write_bytes(
        (header + "K3;1;2;3;ü\r\n").encode("cp1252")
    )
    write(
        tmp_path / "registry" / "2024-09-30" / "keluarga.csv", header
    )  # a header alone: no rows, still tidy
    sync_source(con, KELUARGA, tmp_path)
    forms = dict(
        con.execute(
            "select file_path, tidy_form from meta.file_manifest where removed_at is null"
        ).fetchall()
    )
    assert json.loads(forms["registry/2025-06-30/keluarga.csv"]) == {
        "format": "csv",
        "delimiter": ";",
        "columns": ["id_keluarga", "no_kk", "kode_wilayah", "desil", "status_bangunan"],
        "values": {"tanggal_snapshot": "2025-06-30", "format_registri": "dtsen"},
    }
    assert forms["registry/2025-03-31/keluarga.csv"] is None
    assert forms["registry/2024-12-31/keluarga.csv"] is None
    assert json.loads(forms["registry/2024-09-30/keluarga.csv"])["delimiter"] == ";"


def test_rosters_keep_no_tidy_form(tmp_path, con):
    write(tmp_path / "rosters/5371/2025/PKH/tahap1.csv", "nik,no_kk\n5371011505800001,1\n")
    sync_source(con, ROSTERS, tmp_path)
    assert con.execute("select tidy_form from meta.file_manifest").fetchall() == [(None,)]


def test_a_registry_parquet_file_keeps_a_tidy_form_when_its_values_print_alike(tmp_path, con):
    """DESIGN §6.1: text, whole numbers and dates print the same on DuckDB and Spark, so
    Spark reads such a Parquet file itself; a double does not (6.0E7 against 60000000.0)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {
        "ID Keluarga": ["K1", "K2"],
        "No. KK": ["5371010101200001", "5371010101200002"],
        "kode_wilayah": ["5371011001", None],
        "desil": pa.array([1, 2], pa.int64()),
    }
    for snapshot, extra in (("2025-03-31", pa.array([1, 2], pa.int32())),
                            ("2025-06-30", pa.array([1.5, 2.0]))):  # fmt: skip
        (tmp_path / "registry" / snapshot).mkdir(parents=True)
        table = pa.table(columns | {"penghasilan": extra})
        pq.write_table(table, tmp_path / "registry" / snapshot / "keluarga.parquet")
    sync_source(con, KELUARGA, tmp_path)
    forms = dict(con.execute("select file_path, tidy_form from meta.file_manifest").fetchall())
    assert json.loads(forms["registry/2025-03-31/keluarga.parquet"]) == {
        "format": "parquet",
        "columns": ["id_keluarga", "no_kk", "kode_wilayah", "desil", "penghasilan"],
        "names": ["ID Keluarga", "No. KK", "kode_wilayah", "desil", "penghasilan"],
        "types": ["VARCHAR", "VARCHAR", "VARCHAR", "BIGINT", "INTEGER"],
        "values": {"tanggal_snapshot": "2025-03-31", "format_registri": "dtsen"},
    }
    assert forms["registry/2025-06-30/keluarga.parquet"] is None
