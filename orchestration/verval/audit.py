"""The audit trail of verval exports: an append-only table and a log file.

Kept apart from the warehouse (which `tepat verval` only reads, and which the nightly job
may hold locked) in data/audit/ (mode 0700):

- `audit.sqlite` (mode 0600), table `ekspor_verval`: one row per export — who, when, why,
  which region, how many people, which file and its SHA-256. SQLite triggers refuse any
  UPDATE or DELETE, and every row carries the hash of the row before it, so a row removed
  or changed by other means breaks the chain that `tepat audit` verifies. Table
  `ekspor_verval_subjek` holds, per export, the keyed pseudonyms (HMAC-SHA256) of the
  NIKs it contained, so the question "was my data exported, by whom, why?" (UU PDP) can
  be answered without keeping any NIK in clear.
- `ekspor_verval.log` (mode 0600): the same rows as JSON lines, for log shipping.

No name, NIK or KK number is written to either.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

TABLE = "ekspor_verval"
SUBJECTS = "ekspor_verval_subjek"
DB_NAME = "audit.sqlite"
LOG_NAME = "ekspor_verval.log"

_SCHEMA = f"""
create table if not exists {TABLE} (
    urutan integer primary key autoincrement,
    id_ekspor text not null unique,
    waktu_utc text not null,
    pengguna text not null,
    host text not null,
    keperluan text not null,
    wilayah text not null,
    tahun integer not null,
    jumlah_kasus integer not null,
    jumlah_sasaran integer not null,
    jumlah_orang integer not null,
    file text not null,
    sha256 text not null,
    hash_sebelumnya text not null,
    hash_baris text not null
);
create table if not exists {SUBJECTS} (
    id_ekspor text not null references {TABLE}(id_ekspor),
    pseudonim_nik text not null
);
create index if not exists {SUBJECTS}_pseudonim on {SUBJECTS}(pseudonim_nik);
create trigger if not exists {TABLE}_no_update before update on {TABLE}
    begin select raise(abort, 'the verval audit trail is append-only'); end;
create trigger if not exists {TABLE}_no_delete before delete on {TABLE}
    begin select raise(abort, 'the verval audit trail is append-only'); end;
create trigger if not exists {SUBJECTS}_no_update before update on {SUBJECTS}
    begin select raise(abort, 'the verval audit trail is append-only'); end;
create trigger if not exists {SUBJECTS}_no_delete before delete on {SUBJECTS}
    begin select raise(abort, 'the verval audit trail is append-only'); end;
"""
GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditRecord:
    id_ekspor: str
    waktu_utc: str
    pengguna: str
    host: str
    keperluan: str
    wilayah: str
    tahun: int
    jumlah_kasus: int
    jumlah_sasaran: int
    jumlah_orang: int
    file: str
    sha256: str
    hash_sebelumnya: str = ""
    hash_baris: str = ""

    def chained(self, previous: str) -> AuditRecord:
        fields = asdict(self) | {"hash_sebelumnya": previous, "hash_baris": ""}
        digest = hashlib.sha256(
            json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        return AuditRecord(**(fields | {"hash_baris": digest}))


def audit_dir(data_dir: Path) -> Path:
    return data_dir / "audit"


def _connect(directory: Path) -> sqlite3.Connection:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(directory, 0o700)
    path = directory / DB_NAME
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    con.executescript(_SCHEMA)
    return con


def append(directory: Path, record: AuditRecord, subjects: Iterable[str]) -> AuditRecord:
    """Append one export (and its subjects' pseudonyms) to the table and the log file."""
    con = _connect(directory)
    try:
        con.execute("begin immediate")  # one writer at a time: the chain stays a chain
        row = con.execute(f"select hash_baris from {TABLE} order by urutan desc limit 1").fetchone()
        chained = record.chained(row[0] if row else GENESIS)
        values = asdict(chained)
        con.execute(
            f"insert into {TABLE} ({', '.join(values)}) values ({', '.join('?' * len(values))})",
            list(values.values()),
        )
        con.executemany(
            f"insert into {SUBJECTS} (id_ekspor, pseudonim_nik) values (?, ?)",
            [(chained.id_ekspor, s) for s in sorted(set(subjects))],
        )
        log = directory / LOG_NAME
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(values, ensure_ascii=False) + "\n")
        con.execute("commit")
    except BaseException:
        if con.in_transaction:
            con.execute("rollback")
        raise
    finally:
        con.close()
    return chained


def records(directory: Path) -> list[AuditRecord]:
    if not (directory / DB_NAME).exists():
        return []
    con = _connect(directory)
    try:
        columns = list(AuditRecord.__dataclass_fields__)
        rows = con.execute(f"select {', '.join(columns)} from {TABLE} order by urutan").fetchall()
    finally:
        con.close()
    return [AuditRecord(**dict(zip(columns, row, strict=True))) for row in rows]


def exports_with_subject(directory: Path, pseudonym: str) -> set[str]:
    if not (directory / DB_NAME).exists():
        return set()
    con = _connect(directory)
    try:
        rows = con.execute(
            f"select id_ekspor from {SUBJECTS} where pseudonim_nik = ?", [pseudonym]
        ).fetchall()
    finally:
        con.close()
    return {row[0] for row in rows}


def broken_links(rows: list[AuditRecord]) -> list[str]:
    """Export ids whose row does not follow from the row before it (changed or removed)."""
    broken = []
    previous = GENESIS
    for row in rows:
        if row.hash_sebelumnya != previous or row.chained(previous).hash_baris != row.hash_baris:
            broken.append(row.id_ekspor)
        previous = row.hash_baris
    return broken
