"""A full disk, in plain words: which folder, how much space is free, how much is needed.

A night writes in three places: the warehouse (data/warehouse.duckdb, while loading raw
files and while dbt rebuilds the models), and the new release of the marts
(data/.marts_releases/). When the disk under one of them fills up, the error arrives as
Python's `OSError` (ENOSPC), as DuckDB's "IO Error: ... No space left on device", or in
dbt's run results with the same words. `disk_full_failure` turns any of them into one
sentence an operator can act on; the needed space is an estimate, said to be one.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

_NO_SPACE = ("no space left on device", "disk quota exceeded", "errno 28", "enospc")

#: Headroom on top of every estimate: DuckDB's write-ahead log and checkpoints, temp files.
_MARGIN = 16 * 1024 * 1024


def is_disk_full(error: BaseException | str | None) -> bool:
    """Whether an error (or its text, or any error it was raised from) means a full disk."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if any(text in str(error).lower() for text in _NO_SPACE):
            return True
        if isinstance(error, str):
            return False
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def size_of(path: Path) -> int:
    """Bytes of a file, or of every file under a folder (0 when missing)."""
    try:
        if path.is_file():
            return path.stat().st_size
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    except OSError:
        return 0


def free_bytes(path: Path) -> int:
    """Free bytes on the disk holding `path` (its nearest existing folder)."""
    path = Path(path)
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def human(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} GB"


def warehouse_needs(warehouse: Path, raw_dir: Path) -> int:
    """Estimate of the space a night needs beside the warehouse: DuckDB rebuilds tables next
    to the old ones before it frees them, so about the warehouse's size again, and loading
    raw files takes about as much as the files themselves (DuckDB compresses, CSV does not,
    so this errs on the high side); plus a tenth and some headroom."""
    return int(max(size_of(warehouse), size_of(raw_dir)) * 1.1) + _MARGIN


def release_needs(marts_dir: Path) -> int:
    """Estimate of a new release of the marts: about the size of the current one."""
    current = Path(os.path.realpath(marts_dir))
    return int(size_of(current) * 1.2) + 1024 * 1024


def disk_full_message(folder: Path, needed: int, doing: str) -> str:
    folder = Path(folder)
    free = free_bytes(folder)
    missing = max(needed - free, 0)
    return (
        f"The disk is full: the folder {folder} has {human(free)} free, and {doing} needs "
        f"about {human(needed)} there (an estimate). The run stopped; nothing was published, "
        "and data/marts/ still holds the last good marts, which can be read as usual. "
        f"What to do: free at least {human(max(missing, 1024 * 1024))} on the disk "
        f"holding {folder} (delete or move files you no longer need there, but never files "
        "under data/raw/), or move the data folder to a bigger disk (TEPAT_DATA_DIR); then "
        "run `tepat run` again."
    )


def is_plain_storage_message(text: str | None) -> bool:
    """Whether `text` is already one of the plain messages of this module or of
    orchestration/warehouse_health.py (so it is passed on, not translated again)."""
    text = text or ""
    return text.startswith("The disk is full: ") or (
        text.startswith("The warehouse file ") and " is damaged " in text
    )


class DiskFull(RuntimeError):
    """A full disk, with the plain message of `disk_full_message`."""


def folder_named_in(text: str) -> Path | None:
    """The folder of the file an error names (DuckDB: `file "…"`, Python: `: '…'`)."""
    import re

    match = re.search(r"""file ["']([^"']+)["']""", text) or re.search(
        r"""No space left on device: ["']([^"']+)["']""", text
    )
    return Path(match.group(1)).parent if match else None


def storage_problem(
    error: BaseException | str, warehouse: Path, raw_dir: Path, doing: str
) -> str | None:
    """The plain message for an error that means a full disk or a damaged warehouse file,
    else None (the caller reports the error as it is)."""
    from orchestration.warehouse_health import damage_advice, looks_damaged

    warehouse, raw_dir = Path(warehouse), Path(raw_dir)
    if is_disk_full(error):
        text = str(error)
        cause = error
        while isinstance(cause, BaseException) and not folder_named_in(text):
            cause = cause.__cause__ or cause.__context__
            text += f" {cause}" if cause is not None else ""
        folder = folder_named_in(text) or warehouse.parent
        found = (p for p in (folder, *folder.parents) if p.name.endswith("_releases"))
        releases = next(found, None)
        if releases is not None:  # data/.marts_releases/<release>/: a new release of the marts
            marts_dir = releases.parent / releases.name[1:].removesuffix("_releases")
            return disk_full_message(releases, release_needs(marts_dir), doing)
        return disk_full_message(folder, warehouse_needs(warehouse, raw_dir), doing)
    if looks_damaged(error):
        return damage_advice(warehouse, str(error))
    return None


def storage_failure(error: BaseException, settings, doing: str):
    """A Dagster Failure with the plain message when `error` means a full disk or a damaged
    warehouse (settings: the run's TepatSettings), else None."""
    import dagster as dg

    text = error.description if isinstance(error, dg.Failure) else error
    warehouse, raw_dir = Path(settings.warehouse), Path(settings.raw_dir)
    message = storage_problem(text or error, warehouse, raw_dir, doing)
    return dg.Failure(description=message) if message else None
