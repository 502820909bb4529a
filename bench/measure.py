"""Wall time and peak memory of a process tree, attributed to stages; the machine measured on.

Each measured phase (data generation, a pipeline run, the reference) runs in a child process
of the harness, so the harness's own memory never counts and every phase starts from a fresh
interpreter. A thread of the harness samples the child's process tree (the child and its
descendants, e.g. the dbt subprocess or the generator's .xlsx worker). On Linux each sample
reads every process's peak RSS since the previous sample (VmHWM, then reset through
/proc/<pid>/clear_refs), so a spike shorter than the sampling interval is still seen;
elsewhere it falls back to the current RSS. A tree's peak is the sum over its processes
(pages shared between processes count once per process: an upper bound).
"""

from __future__ import annotations

import os
import platform
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

GIB = 1024**3


@dataclass
class Sample:
    at: float  # time.time() at the end of the interval the peak covers
    peak_bytes: int
    processes: int
    #: CPU seconds (user + system) used by the tree so far, ended and orphaned processes included
    cpu_seconds: float = 0.0


def _peak_since_last(pid: int) -> int | None:
    """VmHWM of pid, then reset it (Linux); None when unavailable."""
    try:
        with open(f"/proc/{pid}/status") as status:
            hwm = next((line for line in status if line.startswith("VmHWM:")), None)
        if hwm is None:
            return None
        with open(f"/proc/{pid}/clear_refs", "w") as clear:
            clear.write("5")
        return int(hwm.split()[1]) * 1024
    except OSError:
        return None


class TreeSampler(threading.Thread):
    """Samples the peak RSS of a process tree every `interval` seconds until stopped."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(name=f"sampler-{pid}", daemon=True)
        self.pid = pid
        self.interval = interval
        self.samples: list[Sample] = []
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        # CPU per process (pid, start time): its own user + system time as last seen. A
        # process that ends keeps its last value. Its parent's children_* times are not read:
        # a process orphaned before it ends (Spark's JVM when dbt exits) is reaped by init, so
        # its time never reaches our tree's children_* and the tree's sum would drop; such a
        # process is followed (CPU and memory) until it ends. What a process uses in its last
        # interval (≤ `interval`) and processes shorter than one interval are missed.
        cpu_of: dict[tuple[int, float], float] = {}
        #: every process seen in the tree, still followed once orphaned (until it ends)
        seen: dict[tuple[int, float], psutil.Process] = {}
        while not self._halt.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for process in tree:
                try:
                    seen.setdefault((process.pid, process.create_time()), process)
                except psutil.Error:
                    continue
            processes = [p for p in seen.values() if p.is_running()]
            total = 0
            alive = 0
            for process in processes:
                try:
                    times = process.cpu_times()
                    cpu_of[(process.pid, process.create_time())] = times.user + times.system
                    peak = _peak_since_last(process.pid) or process.memory_info().rss
                except psutil.Error:
                    continue
                total += peak
                alive += 1
            if alive:
                self.samples.append(Sample(time.time(), total, alive, sum(cpu_of.values())))
            self._halt.wait(self.interval)

    def stop(self) -> list[Sample]:
        self._halt.set()
        self.join()
        return self.samples


@dataclass
class Measured:
    """One child process, run to completion under the sampler."""

    returncode: int
    started: float
    ended: float
    samples: list[Sample] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    @property
    def peak_bytes(self) -> int:
        return max((s.peak_bytes for s in self.samples), default=0)


def run_measured(
    command: list[str], env: dict[str, str], cwd: Path, log: Path, interval: float
) -> Measured:
    """Run command with stdout and stderr to log, sampling its process tree meanwhile."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        started = time.time()
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        sampler = TreeSampler(process.pid, interval)
        sampler.start()
        returncode = process.wait()
        ended = time.time()
        samples = sampler.stop()
    return Measured(returncode, started, ended, samples)


def peaks_by_window(
    samples: list[Sample], windows: list[tuple[str, float, float]]
) -> dict[str, int]:
    """Peak per named window; a sample counts for the window its interval ends in. Windows
    with the same name (steps of one stage) share one peak."""
    peaks: dict[str, int] = {}
    for name, start, end in windows:
        inside = [s.peak_bytes for s in samples if start <= s.at <= end]
        # A window shorter than the sampling interval: the first sample after it covers it.
        if not inside:
            after = [s for s in samples if s.at > end]
            inside = [after[0].peak_bytes] if after else []
        if inside:
            peaks[name] = max(peaks.get(name, 0), max(inside))
    return peaks


def cpu_at(samples: list[Sample], at: float) -> float:
    """The tree's CPU seconds at time `at`, interpolated between samples."""
    before = [s for s in samples if s.at <= at]
    after = [s for s in samples if s.at > at]
    if not before:
        return 0.0
    if not after:
        return before[-1].cpu_seconds
    a, b = before[-1], after[0]
    return a.cpu_seconds + (b.cpu_seconds - a.cpu_seconds) * (at - a.at) / (b.at - a.at)


def cpu_by_window(
    samples: list[Sample], windows: list[tuple[str, float, float]]
) -> dict[str, float]:
    """CPU seconds per named window (windows with one name add up)."""
    used: dict[str, float] = {}
    for name, start, end in windows:
        used[name] = used.get(name, 0.0) + max(0.0, cpu_at(samples, end) - cpu_at(samples, start))
    return used


# --------------------------------------------------------------------------------------------
# Where it was measured
# --------------------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, object]:
    memory = psutil.virtual_memory()
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {
        "hostname": platform.node(),
        "cpu_model": cpu_model(),
        "cpu_count_logical": psutil.cpu_count(logical=True),
        "cpu_count_physical": psutil.cpu_count(logical=False),
        "ram_bytes": memory.total,
        "ram_available_bytes": memory.available,
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average_1_5_15": load,
    }


def git_info(root: Path) -> dict[str, object]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, check=True
            ).stdout.rstrip("\n")
        except (OSError, subprocess.CalledProcessError):
            return ""

    dirty = [line[3:] for line in git("status", "--porcelain").splitlines() if line]
    return {
        "commit": git("rev-parse", "HEAD").strip(),
        "dirty_files": dirty,
        "is_dirty": bool(dirty),
    }


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("dagster", "dagster-dbt", "dbt-core", "dbt-duckdb", "duckdb",
                    "great-expectations", "pandas", "pyarrow"):  # fmt: skip
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found
