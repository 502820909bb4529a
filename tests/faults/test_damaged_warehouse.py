"""A damaged warehouse file: `tepat run` says so in plain words and what to do, and
`tepat rebuild` moves the file aside (kept), rebuilds from data/raw/ and publishes the same
marts; the audit log and the release history are kept (docs/reliability.md)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.verval import audit
from tests.faults.faultkit import assert_settled, environment, mart_rows, tepat

pytestmark = pytest.mark.faults


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def an_audited_export(data: Path) -> None:
    """One verval export in the audit log, as `tepat verval` writes it (no personal data)."""
    record = audit.AuditRecord(
        id_ekspor="test-1", waktu_utc="2026-12-01T02:00:00", pengguna="operator",
        host="pc-dinsos", keperluan="verval triwulan", wilayah="5371", tahun=2025,
        jumlah_kasus=3, jumlah_sasaran=3, jumlah_orang=9, file="verval_5371.xlsx",
        sha256="0" * 64,
    )  # fmt: skip
    audit.append(audit.audit_dir(data), record, ["pseudonym-1", "pseudonym-2"])


def overwrite_a_block_of(warehouse: Path, table: str) -> None:
    """A disk error: 4 KB of garbage inside a block that holds rows of `table`."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        block = con.execute(
            f"select min(block_id) from pragma_storage_info('{table}') "
            "where persistent and block_id >= 0"
        ).fetchone()[0]
        block_size = con.execute("select block_size from pragma_database_size()").fetchone()[0]
    headers = 3 * 4096  # DuckDB's main header and its two database headers
    with open(warehouse, "r+b") as handle:
        handle.seek(headers + block * block_size + 1000)
        handle.write(os.urandom(4096))


@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_run_says_the_warehouse_is_damaged(reference, tmp_path, damage):
    data = tmp_path / "data"
    shutil.copytree(reference["data"], data, symlinks=True)
    warehouse = data / "warehouse.duckdb"
    size = warehouse.stat().st_size
    if damage == "truncated":  # a copy that stopped half way
        os.truncate(warehouse, size // 2)
    else:
        overwrite_a_block_of(warehouse, "raw.roster_rows")
    before = digest(warehouse)
    release = os.path.realpath(data / "marts")

    said = tepat(environment(data, tmp_path / "dagster_home"), "run", timeout=300)
    assert said.returncode == 4, said.stdout[-3000:]
    text = " ".join(said.stdout.split())
    assert f"The warehouse file {warehouse} is damaged" in text, text
    assert "What to do: run `tepat rebuild`" in text
    assert "Traceback" not in said.stdout
    assert digest(warehouse) == before, "nothing was changed"
    assert os.path.realpath(data / "marts") == release
    assert mart_rows(data / "marts") == reference["marts"]


def test_rebuild_from_raw(reference, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(reference["data"], data, symlinks=True)
    home = tmp_path / "dagster_home"
    env = environment(data, home)
    an_audited_export(data)
    warehouse = data / "warehouse.duckdb"
    os.truncate(warehouse, warehouse.stat().st_size // 2)
    damaged_bytes = digest(warehouse)
    audit_before = {p.name: digest(p) for p in audit.audit_dir(data).iterdir()}
    releases_before = {
        p.name: (p / "release.json").read_text() for p in (data / ".marts_releases").iterdir()
    }

    done = tepat(env, "rebuild")
    assert done.returncode == 0, done.stdout[-3000:]

    aside = [p for p in data.glob("warehouse.damaged-*.duckdb")]
    assert len(aside) == 1 and digest(aside[0]) == damaged_bytes, "kept, never deleted"
    assert mart_rows(data / "marts") == reference["marts"]
    assert {p.name: digest(p) for p in audit.audit_dir(data).iterdir()} == audit_before
    assert not audit.broken_links(audit.records(audit.audit_dir(data)))
    for name, about in releases_before.items():  # every release kept (the newest 3 are)
        assert (data / ".marts_releases" / name / "release.json").read_text() == about
    with duckdb.connect(str(warehouse), read_only=True) as con:
        published = con.execute(
            "select published_release from meta.build_state "
            "where published_release is not null order by published_at"
        ).fetchall()
    assert [r[0] for r in published[:-1]] == sorted(releases_before), "history restored"
    assert published[-1][0] == Path(os.path.realpath(data / "marts")).name
    assert_settled(data, home)
    release = json.loads((data / "marts" / "release.json").read_text())
    assert release["rows"] == {name: len(rows) for name, rows in reference["marts"].items()}
