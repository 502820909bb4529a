"""One night at a time: the run lock, and what a run finds when it takes it.

Every run of the nightly job — `tepat run`, `tepat rebuild`, and the runs the Dagster daemon
launches for the schedule and the sensor — holds an exclusive OS lock (`fcntl.flock`) on
`data/.tepat-run.lock` for as long as it runs. The kernel releases that lock when the
process ends, however it ends (a normal exit, a crash, `kill -9`, a power cut), so the lock
can never go stale and nobody has to delete it. The file itself stays; it holds who took
the lock last (run id, process id, start time, how it was launched), so a second run can say
in plain words which run is in progress, and since when.

Whoever holds the lock knows that no other run of this data folder is alive. So, before it
executes, it settles what dead runs left behind (`recover`):
- a run still STARTED/STARTING/CANCELING in Dagster's run storage is dead: it is marked
  failed, with a sentence saying why (it was the lock's last holder, or it never reached
  the lock within `STARTUP_GRACE_SECONDS` of starting);
- every slot of a concurrency pool (`duckdb_writer`) held by another run is freed: without
  this, a run killed mid-step keeps the pool's only slot forever and every later night
  waits on it ("Step still blocked by limit for pool duckdb_writer");
- releases of data/marts that were never published, and the temporary links of an
  interrupted switch, are removed (orchestration/assets/publish.py `clean_unpublished`).

The lock is re-entrant within one process: `tepat run` takes it before it creates the run,
and the run's `settings` resource (orchestration/resources.py) takes it again; a run that the
daemon launched takes it first in that resource, before any step claims a pool slot.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LOCK_FILE = ".tepat-run.lock"

#: A run launched by the daemon reaches the lock a few seconds after it is marked STARTED (it
#: loads the code location first). A STARTED run that never took the lock this long after it
#: started is dead.
STARTUP_GRACE_SECONDS = 300

#: Bytes the lock file always holds (its content padded with spaces): the holder rewrites it
#: in place, so taking the lock needs no new disk block even when the disk is full.
_SIZE = 1024

_UNFINISHED = ("STARTED", "STARTING", "CANCELING")


@dataclass(frozen=True)
class Holder:
    """Who took the lock last: written into the lock file by each holder."""

    run_id: str
    pid: int
    started_at: str  # ISO 8601, UTC
    launched_by: str
    host: str = ""

    def describe(self) -> str:
        return (
            f"run {self.run_id}, started {self.started_at} UTC by {self.launched_by} "
            f"(process {self.pid}{' on ' + self.host if self.host else ''})"
        )


class RunInProgress(RuntimeError):
    """Another run holds the lock. The message says which, since when, and what to do."""

    def __init__(self, lock_path: Path, holder: Holder | None) -> None:
        self.holder = holder
        who = holder.describe() if holder else "a run whose details could not be read"
        super().__init__(
            f"A nightly run is already in progress on {lock_path.parent}: {who}. "
            "Only one run at a time may write the warehouse, so this one did not start. "
            "What to do: wait until that run ends (the Dagster UI or its terminal shows it) "
            "and run again, or let `tepat run --wait 30` wait up to 30 minutes for it. "
            "Nothing was changed."
        )


def lock_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / LOCK_FILE


def read_holder(path: Path) -> Holder | None:
    try:
        data = json.loads(path.read_text().strip() or "null")
        return Holder(**data) if data else None
    except (OSError, ValueError, TypeError):
        return None


def holder_if_running(data_dir: str | Path) -> Holder | None:
    """The run holding the lock now, or None when no run is in progress (read-only probe: a
    shared lock taken and dropped at once; a run taking the lock retries meanwhile)."""
    path = lock_path(data_dir)
    if not path.exists():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return read_holder(path) or Holder("unknown", 0, "unknown", "unknown")
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


@dataclass
class _Held:
    fd: int
    count: int
    holder: Holder
    previous: Holder | None


_held: dict[str, _Held] = {}
_guard = threading.Lock()


@dataclass(frozen=True)
class Acquired:
    """The lock, as the caller got it: `first` when this call took it (not a re-entry);
    `previous` is who held it before (None on the first run in this data folder)."""

    holder: Holder
    previous: Holder | None
    first: bool


@contextlib.contextmanager
def night_lock(
    data_dir: str | Path, run_id: str, launched_by: str, wait_seconds: float = 0
) -> Iterator[Acquired]:
    """Hold the run lock of `data_dir` for the block. Raises RunInProgress when another
    process holds it (after waiting up to `wait_seconds`)."""
    path = lock_path(data_dir)
    key = str(path.resolve())
    with _guard:
        held = _held.get(key)
        if held is not None:
            held.count += 1
    if held is not None:
        try:
            yield Acquired(held.holder, held.previous, first=False)
        finally:
            with _guard:
                held.count -= 1
        return

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _lock(fd, path, wait_seconds)
    except BaseException:
        os.close(fd)
        raise
    previous = read_holder(path)
    holder = Holder(
        run_id=run_id,
        pid=os.getpid(),
        started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", ""),
        launched_by=launched_by,
        host=socket.gethostname(),
    )
    _write(fd, holder)
    held = _Held(fd, 1, holder, previous)
    with _guard:
        _held[key] = held
    try:
        yield Acquired(holder, previous, first=True)
    finally:
        with _guard:
            _held.pop(key, None)
        # Unlocked by close; the file stays (deleting it would let two runs lock two files).
        os.close(fd)


def _lock(fd: int, path: Path, wait_seconds: float) -> None:
    # A probe (holder_if_running) holds a shared lock for an instant: retry for two seconds
    # even when not asked to wait.
    deadline = time.monotonic() + max(wait_seconds, 2.0)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise RunInProgress(path, read_holder(path)) from None
            time.sleep(0.2)


def _write(fd: int, holder: Holder) -> None:
    text = json.dumps(holder.__dict__).encode()
    try:
        os.pwrite(fd, text.ljust(_SIZE)[: max(_SIZE, len(text))], 0)
    except OSError as error:  # a full disk: the lock holds anyway, only its note is stale
        if error.errno != errno.ENOSPC:
            raise


def recover(instance, current_run_id: str | None, previous: Holder | None) -> list[str]:
    """Settle what dead runs left in Dagster's storage. Call only while holding the lock.

    Returns one plain sentence per thing it settled, for the run's log.
    """
    from dagster import DagsterRunStatus, RunsFilter

    notes: list[str] = []
    now = time.time()
    statuses = [DagsterRunStatus[s] for s in _UNFINISHED]
    for record in instance.get_run_records(RunsFilter(statuses=statuses)):
        run = record.dagster_run
        if run.run_id == current_run_id:
            continue
        started = record.start_time or record.create_timestamp.timestamp()
        held_lock = previous is not None and previous.run_id == run.run_id
        if not held_lock and now - started < STARTUP_GRACE_SECONDS:
            continue  # launched a moment ago and still starting: it will meet the lock
        why = (
            "it held the run lock and its process has ended"
            if held_lock
            else f"it never took the run lock in the {STARTUP_GRACE_SECONDS // 60} minutes "
            "after it started"
        )
        instance.report_run_failed(
            run,
            message=(
                f"This run stopped without finishing ({why}: killed, a power cut or a crash). "
                f"Marked failed by {current_run_id or 'the next run'}; nothing it left half "
                "done was published."
            ),
        )
        notes.append(f"Run {run.run_id} had stopped without finishing; marked failed.")
    for run_id in sorted(pool_holders(instance) - {current_run_id}):
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        notes.append(f"Freed the pool slot(s) run {run_id} still held or waited for.")
    return notes


def pool_holders(instance) -> set[str]:
    """Runs holding or waiting for a slot of any concurrency pool (duckdb_writer)."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return set()
    runs = set(storage.get_concurrency_run_ids())
    for info in storage.get_concurrency_infos(sorted(storage.get_concurrency_keys())).values():
        runs |= info.active_run_ids
    return runs


def launched_by(tags: dict[str, str]) -> str:
    """How a run was launched, in words, from its Dagster tags."""
    if tags.get("launched_by"):
        return f"`{tags['launched_by']}`"
    if tags.get("dagster/schedule_name"):
        return f"the schedule {tags['dagster/schedule_name']}"
    if tags.get("dagster/sensor_name"):
        return f"the sensor {tags['dagster/sensor_name']}"
    return "the Dagster UI or daemon"
