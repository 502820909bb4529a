"""The raw files as the pipeline reads them, and how they get written.

The registry CSVs (keluarga.csv, anggota.csv) are built from a snapshot in chunks; rosters
are CSV or .xlsx (`write_roster_xlsx`, which can run in a worker process). `_Writer` writes
in the background so that generation and I/O overlap, with bytes that never depend on
scheduling.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import xlsxwriter

from orchestration.demo.registry import _PMT_CATEGORIES, _Universe
from orchestration.demo.snapshots import _sekolah, _Snapshot

XLSX_CREATED = datetime(2025, 1, 1, 0, 0, 0)


KELUARGA_COLUMNS: tuple[str, ...] = (
    "id_keluarga", "no_kk", "kode_wilayah", "desil", "jumlah_anggota", "tanggal_pemutakhiran",
    "status_bangunan", "luas_lantai_m2", "jenis_lantai", "jenis_dinding", "jenis_atap",
    "sumber_air_minum", "sumber_penerangan", "daya_listrik_va", "bahan_bakar_memasak",
    "fasilitas_bab", "punya_kulkas", "punya_ac", "punya_motor", "punya_mobil", "punya_lahan",
    "punya_emas_10g",
)  # fmt: skip
ANGGOTA_COLUMNS: tuple[str, ...] = (
    "nik", "id_keluarga", "nama", "hubungan", "jenis_kelamin", "tanggal_lahir", "status",
    "disabilitas", "sekolah",
)  # fmt: skip
ROSTER_COLUMNS: tuple[str, ...] = ("nik", "no_kk", "nama", "kode_wilayah", "tahap", "nilai_bantuan")

STATUS = ("", "hidup", "meninggal", "pindah")  # index 0 = not in the snapshot
SEKOLAH = ("belum", "masih", "tidak_lagi")


#: Rows per chunk of a registry CSV. A snapshot's keluarga/anggota rows are built and written
#: chunk by chunk (the CSV bytes are those of the whole table), never held whole in memory.
_CSV_CHUNK_ROWS = 1 << 19


def _chunks(rows: np.ndarray) -> Iterator[np.ndarray]:
    """Consecutive slices of `rows`, _CSV_CHUNK_ROWS long (one empty slice if it is empty)."""
    for lo in range(0, max(len(rows), 1), _CSV_CHUNK_ROWS):
        yield rows[lo : lo + _CSV_CHUNK_ROWS]


def _keluarga_table(u: _Universe, snap: _Snapshot, households: np.ndarray) -> pa.Table:
    """keluarga.csv rows of `households` (a slice of snap.hh)."""
    desil = u.desil[snap.index][households]
    cols: dict[str, pa.Array] = {
        "id_keluarga": u.id_keluarga_text(households),
        "no_kk": u.no_kk_text(households),
        "kode_wilayah": u.kode_wilayah_text(households),
        "desil": pa.array(desil, pa.int8(), mask=desil == 0),
        "jumlah_anggota": pa.array(snap.living_count[households], pa.int16()),
        "tanggal_pemutakhiran": pa.array(
            u.updated[snap.index][households].astype("datetime64[D]"), pa.date32()
        ),
    }
    for name in KELUARGA_COLUMNS[6:]:
        values = u.hh[name][households]
        if name in _PMT_CATEGORIES:
            cols[name] = pa.array(_PMT_CATEGORIES[name][0], pa.string()).take(pa.array(values))
        else:
            cols[name] = pa.array(values)
    return pa.table(cols)


def _anggota_table(u: _Universe, snap: _Snapshot, people: np.ndarray) -> pa.Table:
    """anggota.csv rows of `people` (a slice of snap.people)."""
    hh = u.pp["hh"][people]
    sekolah = _sekolah(snap.age[people], u.hh["d0"][hh], u.pp["school"][people])
    return pa.table(
        {
            "nik": u.nik_text(people),
            "id_keluarga": u.id_keluarga_text(hh),
            "nama": u.nama_text(people),
            "hubungan": pa.array(u.pp["role"][people]),
            "jenis_kelamin": pa.array(u.pp["sex"][people]),
            "tanggal_lahir": pa.array(u.pp["birth"][people].astype("datetime64[D]"), pa.date32()),
            "status": pa.array(STATUS, pa.string()).take(pa.array(u.status[snap.index][people])),
            "disabilitas": pa.array(u.pp["disab"][people]),
            "sekolah": pa.array(SEKOLAH, pa.string()).take(pa.array(sekolah)),
        }
    )


_CSV_OPTIONS = pacsv.WriteOptions(quoting_style="none", quoting_header="none")


def _write_csv(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, path, write_options=_CSV_OPTIONS)


class _CsvSink:
    """One CSV file written table by table, header with the first: the same bytes as
    `_write_csv` of their concatenation (pyarrow writes row by row, quoting nothing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: pacsv.CSVWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pacsv.CSVWriter(str(self.path), table.schema, write_options=_CSV_OPTIONS)
        self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def write_roster_xlsx(
    path: str,
    nik: list[str],
    no_kk: list[str],
    nama: list[str],
    kode_wilayah: list[str],
    tahap: list[int | None],
    nilai: list[int],
    mangled: list[bool],
) -> None:
    """An agency roster as .xlsx: header on row 1, NIK/no_kk/kode_wilayah as text cells.

    A mangled NIK is written the way Excel stores a NIK typed into a General cell: a number
    with 15 significant digits (`float(nik[:15] + '0')`). Public and module-level so that a
    worker process can run it.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(path, {"in_memory": True})
    workbook.set_properties({"created": XLSX_CREATED, "author": "tepat demo"})
    sheet = workbook.add_worksheet("penerima")
    sheet.write_row(0, 0, ROSTER_COLUMNS)
    text, number, blank = sheet.write_string, sheet.write_number, sheet.write_blank
    for i in range(len(nik)):
        row = i + 1
        if mangled[i]:
            number(row, 0, float(nik[i][:15] + "0"))
        else:
            text(row, 0, nik[i])
        for column, value in ((1, no_kk[i]), (2, nama[i])):
            if value is None:
                blank(row, column, None)
            else:
                text(row, column, value)
        text(row, 3, kode_wilayah[i])
        if tahap[i] is None:
            blank(row, 4, None)
        else:
            number(row, 4, tahap[i])
        number(row, 5, nilai[i])
    workbook.close()


def _xlsx_worker(job_dir: str) -> None:
    """Entry point of the xlsx worker process: every job file of `job_dir`, in name order."""
    for job in sorted(Path(job_dir).glob("*.arrow")):
        with pa.memory_map(str(job)) as source:
            table = pa.ipc.open_file(source).read_all()
        target = table.schema.metadata[b"path"].decode("utf-8")
        write_roster_xlsx(
            target,
            *(table.column(c).to_pylist() for c in ROSTER_COLUMNS),
            table.column("_mangled").to_pylist(),
        )


class _Writer:
    """Writes files in the background so that generation and I/O overlap.

    CSV files (pyarrow releases the GIL) are written by a thread, in submission order; at
    most `MAX_QUEUED` tables wait for it (generation blocks beyond that), so that tables
    waiting to be written never pile up in memory. Large .xlsx batches go to
    one worker process (xlsxwriter is pure Python, and this machine has a second core): the
    rosters are handed over as Arrow IPC files and the worker is a plain `python -c`
    subprocess, so nothing depends on how the caller's main module is guarded. Output never
    depends on scheduling: each file is written whole by one task.
    """

    MAX_QUEUED = 3

    def __init__(self, use_process: bool) -> None:
        self._threads = ThreadPoolExecutor(max_workers=1)
        self._futures: list[Future] = []
        self._job_dir = Path(tempfile.mkdtemp(prefix="tepat-xlsx-")) if use_process else None
        self._jobs = 0
        self._worker: subprocess.Popen | None = None

    def _submit(self, task: Callable[..., None], *args: object) -> None:
        self._futures.append(self._threads.submit(task, *args))
        if len(self._futures) > self.MAX_QUEUED:  # one thread, FIFO: wait for an older task
            self._futures[-self.MAX_QUEUED - 1].result()

    def csv(self, path: Path, table: pa.Table) -> None:
        self._submit(_write_csv, path, table)

    def csv_chunks(self, path: Path, tables: Iterable[pa.Table]) -> None:
        """One CSV from consecutive tables of one schema, each built (by iterating `tables`)
        while the previous ones are being written."""
        sink = _CsvSink(path)
        for table in tables:
            self._submit(sink.write, table)
        self._submit(sink.close)

    def xlsx(self, path: Path, table: pa.Table, mangled: np.ndarray) -> None:
        if self._job_dir is None:
            write_roster_xlsx(
                str(path),
                *(table.column(c).to_pylist() for c in ROSTER_COLUMNS),
                mangled.tolist(),
            )
            return
        job = table.append_column("_mangled", pa.array(mangled))
        job = job.replace_schema_metadata({"path": str(path)})
        target = self._job_dir / f"{self._jobs:05d}.arrow"
        self._jobs += 1
        with pa.OSFile(str(target), "wb") as sink, pa.ipc.new_file(sink, job.schema) as out:
            out.write_table(job)

    def start_xlsx(self) -> None:
        """Hand the queued .xlsx rosters to the worker process (call once, when all are
        queued)."""
        if self._job_dir is None or self._worker is not None or self._jobs == 0:
            return
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        code = (
            "import sys; from orchestration.demo.writers import _xlsx_worker; "
            "_xlsx_worker(sys.argv[1])"
        )
        self._worker = subprocess.Popen(
            [sys.executable, "-c", code, str(self._job_dir)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def abort(self) -> None:
        """Stop everything without waiting for files (generation failed)."""
        self._threads.shutdown(cancel_futures=True)
        if self._worker is not None and self._worker.poll() is None:
            self._worker.kill()
            self._worker.wait()
        if self._job_dir is not None:
            shutil.rmtree(self._job_dir, ignore_errors=True)

    def close(self) -> None:
        """Wait for every file; raise if any write failed."""
        try:
            self.start_xlsx()
            for future in self._futures:
                future.result()
            if self._worker is not None:
                _, err = self._worker.communicate()
                if self._worker.returncode != 0:
                    raise RuntimeError(f"xlsx worker failed:\n{err.decode(errors='replace')}")
        finally:
            self._threads.shutdown()
            if self._worker is not None and self._worker.poll() is None:
                self._worker.kill()
                self._worker.wait()
            if self._job_dir is not None:
                shutil.rmtree(self._job_dir, ignore_errors=True)
