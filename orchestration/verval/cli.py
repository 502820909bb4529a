"""`tepat verval` and `tepat audit` (registered on the main app by `register`)."""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import os
import socket
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from orchestration.paths import Paths

console = Console()
MIN_PURPOSE_CHARS = 10
RESTRICTED = "restricted"


def restricted_dir(paths: Paths) -> Path:
    """data/exports/restricted/, owner-only (0700)."""
    folder = paths.exports_dir / RESTRICTED
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    return folder


def output_file(paths: Paths, out: Path | None, region_code: str, tahun: int) -> Path:
    """--out inside data/exports/restricted/ (a bare name goes there); nowhere else."""
    folder = restricted_dir(paths).resolve()
    if out is None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        return folder / f"verval_{region_code}_{tahun}_{stamp}.xlsx"
    target = (out if out.is_absolute() else folder / out).resolve()
    if folder not in target.parents:
        raise typer.BadParameter(
            f"{out}: verval lists hold personal data and are written only under {folder}.",
            param_hint="--out",
        )
    if target.suffix.lower() != ".xlsx":
        raise typer.BadParameter(f"{out}: the verval list is an .xlsx workbook.", "--out")
    return target


#: What a valid --keperluan looks like (docs/privacy.md): the programme, the area, the letter.
KEPERLUAN_EXAMPLES = (
    "Verval PKH tahap 2 Kec. Oebobo, surat tugas 460/123/Dinsos/2025",
    "Pemutakhiran DTSEN Kel. Fatululi, SK Kepala Dinas Sosial 12/2025",
)


def keperluan_help(problem: str) -> str:
    """Why --keperluan is asked for, with examples of valid values."""
    examples = "\n".join(f'  --keperluan "{example}"' for example in KEPERLUAN_EXAMPLES)
    return (
        f"{problem} A verval list holds personal data (names, NIK, KK numbers), so tepat "
        f"exports one only for a stated purpose (--keperluan, at least {MIN_PURPOSE_CHARS} "
        "characters: the programme, the area and the letter of assignment). The purpose is "
        "kept in the audit trail (`tepat audit`), so anyone can later be told who received "
        f"their data and why (docs/privacy.md). For example:\n{examples}\n"
        "Nothing was exported."
    )


def _fail(message: str) -> None:
    console.print(message, soft_wrap=True, highlight=False, markup=False)
    raise typer.Exit(code=2)


def verval(
    # Both are required, checked below rather than by click: a missing --keperluan must
    # say what it is for, not only "Missing option".
    wilayah: Annotated[
        str | None,
        typer.Option("--wilayah", help="Required. Kabupaten/kota (or province) code, e.g. 5371."),
    ] = None,
    keperluan: Annotated[
        str | None,
        typer.Option(
            "--keperluan",
            help="Required. Why the list is needed (recorded in the audit trail), e.g. "
            '"Verval PKH tahap 2 Kec. Oebobo, surat tugas 460/123/Dinsos/2025".',
        ),
    ] = None,
    kecamatan: Annotated[
        str | None, typer.Option("--kecamatan", help="Kecamatan code or name.")
    ] = None,
    kelurahan: Annotated[
        str | None, typer.Option("--kelurahan", help="Kelurahan/desa code or name.")
    ] = None,
    tahun: Annotated[
        int | None, typer.Option("--tahun", help="Roster year (default: the latest).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="File name under data/exports/restricted/ (.xlsx)."),
    ] = None,
) -> None:
    """Verval list: per kelurahan, the households to visit and why (personal data, audited).

    Refuses to run without --keperluan. The workbook goes to data/exports/restricted/
    (owner-only) and every export is recorded: `tepat audit` lists them.
    """
    from orchestration.verval import audit as trail
    from orchestration.verval.export import (
        ExportInfo,
        VervalError,
        people_in,
        read_cases,
        resolve_region,
        write_workbook,
    )
    from orchestration.verval.secrets import PseudonymKeyError, pseudonym, pseudonym_key

    if keperluan is None:
        _fail(keperluan_help("Missing --keperluan: why is this list needed?"))
    purpose = " ".join(keperluan.split())
    if len(purpose) < MIN_PURPOSE_CHARS:
        _fail(
            keperluan_help(
                f"--keperluan {keperluan!r} is too short to say why this personal data is needed."
            )
        )
    if not wilayah:
        _fail(
            "Missing --wilayah: the Kemendagri code of the kabupaten/kota (or province) "
            "whose households to list, e.g. --wilayah 5371. Nothing was exported."
        )
    paths = Paths.from_env()
    try:
        key = pseudonym_key()
        region = resolve_region(wilayah, kecamatan, kelurahan)
        cases, year = read_cases(paths.warehouse, region, tahun)
    except (VervalError, PseudonymKeyError) as error:
        _fail(f"{error} Nothing was exported.")
    if cases.empty:
        _fail(f"No household to visit in {region.label} for {year}. Nothing was exported.")

    target = output_file(paths, out, region.kode, year)
    info = ExportInfo(
        id_ekspor=str(uuid.uuid4()),
        region=region,
        tahun=year,
        keperluan=purpose,
        pengguna=getpass.getuser(),
        dibuat=dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None),
    )
    partial = target.with_name(f".{target.name}.{info.id_ekspor}.tmp")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        sheets = write_workbook(partial, cases, info)
        os.chmod(partial, 0o600)
        checksum = hashlib.sha256(partial.read_bytes()).hexdigest()
        people = people_in(cases)
        record = trail.append(
            trail.audit_dir(paths.data_dir),
            trail.AuditRecord(
                id_ekspor=info.id_ekspor,
                waktu_utc=info.dibuat.isoformat(),
                pengguna=info.pengguna,
                host=socket.gethostname(),
                keperluan=purpose,
                wilayah=f"{region.kode} {region.label}",
                tahun=year,
                jumlah_kasus=len(cases),
                jumlah_sasaran=int(cases["kunci_kasus"].nunique()),
                jumlah_orang=len(people),
                file=str(target),
                sha256=checksum,
            ),
            (pseudonym(nik, key) for nik in people),
        )
        # Only an audited file becomes visible under its name.
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    kelurahan_sheets = len(sheets) - 2
    console.print(
        f"Wrote {target} ({kelurahan_sheets} kelurahan/desa sheet(s), {len(cases):,} cases, "
        f"{record.jumlah_sasaran:,} households/NIKs, {record.jumlah_orang:,} people; "
        f"owner-only). Audit record {record.id_ekspor}: `tepat audit`.",
        soft_wrap=True,
        highlight=False,
        markup=False,
    )


def audit(
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most recent exports.")] = 50,
    nik: Annotated[
        str | None,
        typer.Option(
            "--nik",
            help="Only exports that held this NIK (matched by its pseudonym; never stored).",
        ),
    ] = None,
) -> None:
    """Verval exports: who exported personal data, when, why, for which region, which file."""
    from orchestration.verval import audit as trail
    from orchestration.verval.secrets import pseudonym, pseudonym_key

    paths = Paths.from_env()
    directory = trail.audit_dir(paths.data_dir)
    rows = trail.records(directory)
    if not rows:
        console.print("No verval export has been made yet.")
        return
    broken = set(trail.broken_links(rows))
    if nik is not None:
        wanted = trail.exports_with_subject(directory, pseudonym(nik.strip(), pseudonym_key()))
        rows = [row for row in rows if row.id_ekspor in wanted]
    table = Table(title=f"Verval exports ({directory / trail.DB_NAME})")
    for column in ("when (UTC)", "who", "purpose", "region", "year", "people", "file", "sha256"):
        table.add_column(column, justify="right" if column in ("year", "people") else "left")
    for row in rows[-limit:]:
        file_state = "" if Path(row.file).exists() else " (deleted)"
        table.add_row(
            row.waktu_utc.replace("T", " "),
            f"{row.pengguna}@{row.host}",
            row.keperluan,
            row.wilayah,
            str(row.tahun),
            f"{row.jumlah_orang:,}",
            row.file + file_state,
            row.sha256[:12] + ("  [BROKEN CHAIN]" if row.id_ekspor in broken else ""),
        )
    console.print(table)
    if broken:
        console.print(
            f"[bold red]The audit trail was altered[/]: {len(broken)} record(s) do not follow "
            "from the one before them."
        )
        raise typer.Exit(code=1)
    console.print(f"{len(rows)} export(s); audit chain intact. Log: {directory / trail.LOG_NAME}")
