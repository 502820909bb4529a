"""Verval lists (issue 8): every reason finds exactly the cases the generator injected, the
summary mart counts the same, and `tepat verval` refuses without a purpose and audits."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import stat
import subprocess
import sys
import textwrap

import duckdb
import pytest
from typer.testing import CliRunner

pytestmark = pytest.mark.e2e

PURPOSE = "Verval PKH dan BPNT 2025 Kota Kupang, surat tugas 460/123/Dinsos/2025"


@pytest.fixture(scope="module")
def cases(nightly):
    """restricted.verval_kasus of the nightly run, read-only."""
    with duckdb.connect(str(nightly["paths"].warehouse), read_only=True) as con:
        return con.execute("select * from restricted.verval_kasus").df()


@pytest.fixture
def cli(nightly, tmp_path, monkeypatch):
    """Invoke `tepat …` in process, with a pseudonym key file of this test only."""
    from orchestration.cli import app

    monkeypatch.setenv("TEPAT_DATA_DIR", str(nightly["paths"].data_dir))
    monkeypatch.delenv("TEPAT_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("TEPAT_PSEUDONYM_KEY_FILE", str(tmp_path / "key" / "pseudonym.key"))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def restricted_files(paths) -> set:
    folder = paths.exports_dir / "restricted"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def audit_rows(paths) -> list[dict]:
    from orchestration.verval import audit as trail

    return [vars(r) for r in trail.records(trail.audit_dir(paths.data_dir))]


@pytest.mark.parametrize(
    "reason",
    ["meninggal", "eksklusi", "inklusi", "tidak_padan", "ganda", "aset_tidak_sesuai",
     "tidak_mutakhir"],
)  # fmt: skip
def test_each_reason_finds_exactly_the_injected_cases(nightly, cases, reason):
    truth = nightly["truth"]["verval"]
    expected = truth["reasons"][reason]
    mine = cases[(cases["kode_alasan"] == reason) & (cases["tahun"] == truth["tahun"])]
    listed = sorted(
        key.split(":", 1)[1] + (f"|{programme}" if isinstance(programme, str) else "")
        for key, programme in zip(mine["kunci_kasus"], mine["kode_program"], strict=True)
    )
    assert listed == expected["daftar"]
    assert mine["kunci_kasus"].nunique() == expected["unit"]
    by_kabkota = mine["kode_wilayah"].str[:4].value_counts().to_dict()
    assert {k: v for k, v in expected["kasus_by_kabkota"].items() if v} == by_kabkota


def test_registry_reasons_use_the_years_reference_snapshot(nightly, cases):
    truth = nightly["truth"]["verval"]
    registry = cases[cases["kode_program"].isna()]
    assert set(registry["tanggal_snapshot_data"].astype(str)) == {truth["tanggal_snapshot_acuan"]}
    assert (
        truth["reasons"]["tidak_mutakhir"]["kasus"]
        == (nightly["truth"]["registry"][truth["tanggal_snapshot_acuan"]]["stale_households"])
    )
    assert (
        truth["reasons"]["aset_tidak_sesuai"]["kasus"]
        == (nightly["truth"]["registry"][truth["tanggal_snapshot_acuan"]]["asset_contradictions"])
    )


def test_every_case_names_whom_to_visit(cases):
    households = cases[cases["kode_alasan"] != "tidak_padan"]
    assert households["id_keluarga"].notna().all()
    assert households["nik_kepala_keluarga"].notna().all()
    assert households["nama_kepala_keluarga"].notna().all()
    assert (households["kode_wilayah"].str.len() == 10).all()
    programme = cases[cases["kode_program"].notna()]
    assert programme["nik_terkait"].notna().all() and programme["tahap"].notna().all()
    assert cases["keterangan"].notna().all()


def test_summary_mart_counts_the_list(nightly, cases, marts):
    summary = marts("mart_verval_summary")
    desa = summary[summary["tingkat_wilayah"] == "desa"]
    placed = cases[cases["kode_wilayah"].str.len() == 10]
    per_reason = placed.groupby(["tahun", "kode_wilayah", "kode_alasan"]).agg(
        jumlah_sasaran=("kunci_kasus", "nunique"), jumlah_kasus=("kunci_kasus", "size")
    )
    every = placed.groupby(["tahun", "kode_wilayah"]).agg(
        jumlah_sasaran=("kunci_kasus", "nunique"), jumlah_kasus=("kunci_kasus", "size")
    )
    expected = {
        **{key: tuple(row) for key, row in zip(per_reason.index, per_reason.values, strict=True)},
        **{(*key, "semua"): tuple(row) for key, row in zip(every.index, every.values, strict=True)},
    }
    got = {
        (r.tahun, r.kode_wilayah, r.kode_alasan): (r.jumlah_sasaran, r.jumlah_kasus)
        for r in desa.itertuples()
    }
    assert got == expected
    # Province level: every case of the list, and the generator's unit counts.
    provinces = summary[(summary["tingkat_wilayah"] == "provinsi")]
    reasons = nightly["truth"]["verval"]["reasons"]
    for reason, truth in reasons.items():
        rows = provinces[provinces["kode_alasan"] == reason]
        assert rows["jumlah_kasus"].sum() == truth["kasus"], reason
        assert rows["jumlah_sasaran"].sum() == truth["unit"], reason


def test_summary_mart_has_no_personal_column(marts):
    summary = marts("mart_verval_summary")
    assert set(summary.columns) == {
        "tahun", "tingkat_wilayah", "kode_wilayah", "nama_wilayah", "kode_alasan", "alasan",
        "prioritas", "jumlah_sasaran", "jumlah_kasus",
    }  # fmt: skip


def test_refuses_without_a_purpose(nightly, cli):
    paths = nightly["paths"]
    before_files, before_audit = restricted_files(paths), len(audit_rows(paths))
    missing = cli("verval", "--wilayah", "5371")
    assert missing.exit_code == 2
    assert "--keperluan" in missing.output
    blank = cli("verval", "--wilayah", "5371", "--keperluan", "   cek  ")
    assert blank.exit_code == 2
    assert "Nothing was exported" in blank.output
    outside = cli("verval", "--wilayah", "5371", "--keperluan", PURPOSE, "--out", "/tmp/x.xlsx")
    assert outside.exit_code == 2
    assert restricted_files(paths) == before_files
    assert len(audit_rows(paths)) == before_audit


def test_export_is_audited_and_owner_only(nightly, cli, cases):
    import openpyxl

    paths = nightly["paths"]
    before = len(audit_rows(paths))
    result = cli("verval", "--wilayah", "5371", "--keperluan", PURPOSE, "--out", "kupang.xlsx")
    assert result.exit_code == 0, result.output
    target = paths.exports_dir / "restricted" / "kupang.xlsx"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700

    # One sheet per kelurahan, sorted by priority, with the field team's columns.
    kupang = cases[cases["kode_wilayah"].str.startswith("5371")]
    book = openpyxl.load_workbook(target, read_only=True)
    kelurahan = [name for name in book.sheetnames if name not in ("Petunjuk", "Ringkasan")]
    assert len(kelurahan) == kupang["kode_wilayah"].nunique()
    listed = 0
    for name in kelurahan:
        rows = list(book[name].iter_rows(values_only=True))
        header = rows.index(next(r for r in rows if r and r[0] == "No"))
        columns = rows[header]
        for wanted in ("Alasan", "Prioritas", "Hasil Kunjungan", "Tanggal Kunjungan", "Petugas"):
            assert wanted in columns
        body = [r for r in rows[header + 1 :] if r and r[0] is not None]
        priorities = [r[columns.index("Prioritas")] for r in body]
        assert priorities == sorted(priorities)
        assert all(r[columns.index("Hasil Kunjungan")] is None for r in body)
        niks = [r[columns.index("NIK Kepala Keluarga")] for r in body]
        assert all(n is None or (isinstance(n, str) and len(n) == 16) for n in niks)
        listed += len(body)
    truth = nightly["truth"]["verval"]["reasons"]
    assert listed == len(kupang) == sum(t["kasus_by_kabkota"]["5371"] for t in truth.values())

    # The audit record: who, when, why, where, how many, which file and its checksum.
    rows = audit_rows(paths)
    assert len(rows) == before + 1
    record = rows[-1]
    assert record["keperluan"] == PURPOSE
    assert record["wilayah"].startswith("5371 ")
    assert record["file"] == str(target.resolve())
    assert record["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert record["jumlah_kasus"] == len(kupang)
    assert record["jumlah_sasaran"] == kupang["kunci_kasus"].nunique()
    assert record["jumlah_orang"] > 0 and record["pengguna"] and record["waktu_utc"]

    # The trail holds no NIK, KK number or name in clear, and lists the export.
    from orchestration.verval import audit as trail
    from orchestration.verval.export import people_in
    from orchestration.verval.secrets import pseudonym, pseudonym_key

    directory = trail.audit_dir(paths.data_dir)
    exported = people_in(kupang) | set(kupang["no_kk"].dropna())
    names = set(kupang["nama_kepala_keluarga"].dropna())
    for file in (directory / trail.DB_NAME, directory / trail.LOG_NAME):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
        text = file.read_bytes().decode("latin-1")
        assert not exported & set(re.findall(r"[0-9]{16}", text)), file
        assert not any(name in text for name in names), file
    listing = cli("audit")
    assert listing.exit_code == 0
    assert "audit chain intact" in listing.output
    someone = kupang["nik_kepala_keluarga"].dropna().iloc[0]
    wanted = trail.exports_with_subject(directory, pseudonym(someone, pseudonym_key()))
    assert record["id_ekspor"] in wanted
    assert "1 export(s); audit chain intact" in cli("audit", "--nik", someone).output


def test_audit_trail_is_append_only(nightly, cli):
    from orchestration.verval import audit as trail

    paths = nightly["paths"]
    if not audit_rows(paths):
        assert cli("verval", "--wilayah", "5371", "--keperluan", PURPOSE).exit_code == 0
    con = sqlite3.connect(trail.audit_dir(paths.data_dir) / trail.DB_NAME)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(f"update {trail.TABLE} set keperluan = 'x'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(f"delete from {trail.TABLE}")
    finally:
        con.close()
    rows = trail.records(trail.audit_dir(paths.data_dir))
    assert trail.broken_links(rows) == []
    forged = [rows[0].__class__(**(vars(rows[0]) | {"keperluan": "lain"})), *rows[1:]]
    assert trail.broken_links(forged) == [rows[0].id_ekspor]


def test_a_locked_warehouse_is_said_plainly(nightly, cli):
    paths = nightly["paths"]
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(paths.warehouse)!r})
            print("locked", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = cli("verval", "--wilayah", "5371", "--keperluan", PURPOSE)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert result.exit_code == 2
    assert "being written by a running job" in result.output


def test_names_from_files_are_written_as_text_never_as_formulas(nightly, tmp_path):
    """A roster name `=HYPERLINK(…)` reaches the verval workbook as the text it was."""
    import datetime as dt

    import openpyxl

    from orchestration.verval.export import ExportInfo, Region, read_cases, write_workbook

    formula = '=HYPERLINK("http://contoh.invalid/","klik")'
    region = Region("5371", "Kota Kupang")
    cases, year = read_cases(nightly["paths"].warehouse, region, None)
    kupang = cases.head(20).copy()
    kupang.attrs = cases.attrs
    kupang["nama_kepala_keluarga"] = formula
    kupang["nama_terkait"] = "@SUM(1+1)"
    info = ExportInfo("uji", region, year, "uji", "uji", dt.datetime(2026, 12, 7))
    path = tmp_path / "verval.xlsx"
    write_workbook(path, kupang, info)

    book = openpyxl.load_workbook(path)
    cells = [c for ws in book for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert sum(c.value == formula and c.data_type == "s" for c in cells) == len(kupang)
