"""Demo data for tepat, with a ground truth that the end-to-end tests assert the marts against.

`generate()` writes, under one folder, exactly the raw files of DESIGN.md §2: the real BPS
figures of the nine demo regions, four quarterly DTSEN snapshots (2025-03-31 … 2025-12-31)
of synthetic households living in the real Kemendagri desa/kelurahan of those regions, the
beneficiary rosters of four national programmes and seven Kota Kupang OPD programmes, and the
`referensi/` tables. Next to it (never inside it — the pipeline must not see the answers) it
writes a JSON ground truth computed from the generator's own choices, never by re-reading the
files, so that a test comparing the marts with it checks the pipeline, not the generator.

Why it is built like this:

- Realism where the marts can see it. Households are allocated to regions in proportion to
  their real 2025 population (jumlah_penduduk_miskin × 1000 / P0) and spread over all their
  real desa; desil are national deciles drawn so that each region's poverty matches its real
  2025 P0 (latent x = z + s_r, z ~ N(0, 1), s_r = Φ⁻¹(0.0847) − Φ⁻¹(P0_r/100), desil =
  floor(10·Φ(x)) + 1); proxy-means-test variables, household size and schooling follow desil.
- Every data error the pipeline must catch is injected at a configurable rate (`ErrorRates`)
  and counted exactly, category by category (see `categories`).
- Vectorised throughout (numpy, pyarrow): a million households with four snapshots and all
  rosters are generated in well under a minute. Python loops run only over regions,
  programmes and periods, and over the cells of the .xlsx files (xlsxwriter has no bulk API).
- Memory about 1 GB per million households (10M fit a 24 GB machine): text columns (NIK,
  names, codes) are made on demand for the rows being written, never kept whole; registry
  CSVs are built and written in chunks; snapshots hold int32 indices; a few tables at most
  wait for the writer thread; the verval truth keeps only the households each roster names.
- Deterministic: every random draw comes from `np.random.default_rng([seed, stream, …])`, so
  the same seed gives byte-identical files (xlsx included: fixed document dates, and
  xlsxwriter's fixed zip timestamps).

Where each part lives (modules of orchestration/demo; a name with a leading underscore is
the generator's own, shared between these modules and used nowhere else):

- `config` — what a generation is asked for: year, snapshots, regions, `ErrorRates`, `Volume`.
- `regions` — the nine regions' real desa and BPS figures.
- `registry` — the simulated registry, one `_Universe` over the four quarters (and the
  asset-contradiction rule it keeps clear of); `snapshots` — its per-quarter views.
- `rosters` — the rosters, their rows drawn category by category (`categories`), anggaran.
- `writers` — the raw files' layouts and the background writer; `referensi` — referensi/.
- `truth` — the ground truth: registry, transitions, each roster, verval.
- `vectors` — small vectorised helpers (dates, draws, codes as text).
- here — `generate()`: the steps in their order, what is written where.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from orchestration.demo.config import BPS_REFERENCE, SNAPSHOTS, ErrorRates, Volume
from orchestration.demo.referensi import _write_reference_tables
from orchestration.demo.regions import _load_regions
from orchestration.demo.registry import _simulate_registry
from orchestration.demo.rosters import _RosterBuilder
from orchestration.demo.snapshots import _snapshot
from orchestration.demo.truth import _ground_truth, _registry_truth
from orchestration.demo.writers import _anggota_table, _chunks, _keluarga_table, _Writer

#: From this size on, .xlsx rosters are written by a worker process (below it, starting one
#: costs more than it saves).
_XLSX_WORKER_MIN_HOUSEHOLDS = 50_000
#: The folders of `out_dir` that the generator writes (they must be empty).
_OWNED = ("bps", "registry", "rosters", "referensi")


def _check_paths(out_dir: Path, truth_path: Path) -> None:
    out = out_dir.resolve()
    truth = truth_path.resolve()
    if truth == out or out in truth.parents:
        raise ValueError(f"truth file {truth_path} must be outside the output folder {out_dir}")
    for name in _OWNED:
        sub = out / name
        if sub.exists() and any(sub.iterdir()):
            raise ValueError(f"{sub} is not empty: generate into an empty folder")


def generate(
    out_dir: Path,
    *,
    households: int,
    seed: int,
    truth_path: Path,
    rates: ErrorRates = ErrorRates(),  # noqa: B008 (frozen dataclasses: immutable defaults)
    volume: Volume = Volume(),  # noqa: B008
) -> dict:
    """Write the demo raw files under `out_dir` and the ground truth to `truth_path`.

    `households` is the number of households of the first snapshot (at least 20 per region);
    later snapshots churn around it; `volume` sets people per household and roster rows per
    household (the default is the realistic demo; `BENCH_VOLUME` is issue 7's benchmark
    shape). Returns the truth dict (also written as JSON; what it holds: see
    `truth._ground_truth`).
    Raises ValueError when `truth_path` lies inside `out_dir` (the pipeline must not read the
    answers) or when one of the folders the generator writes already holds files.
    """
    out_dir, truth_path = Path(out_dir), Path(truth_path)
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    _check_paths(out_dir, truth_path)
    out_dir.mkdir(parents=True, exist_ok=True)

    regions = _load_regions(np.random.default_rng([seed, 0]))
    universe = _simulate_registry(
        np.random.default_rng([seed, 1]), regions, households, rates, volume
    )
    snaps = [_snapshot(universe, s, len(regions)) for s in range(len(SNAPSHOTS))]

    writer = _Writer(use_process=households >= _XLSX_WORKER_MIN_HOUSEHOLDS)
    try:
        (out_dir / "bps").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(BPS_REFERENCE, out_dir / "bps" / "bps_indikator_kabkota.csv")
        builder = _RosterBuilder(seed, universe, regions, snaps, rates, volume)
        rosters, budget = builder.build_all(out_dir, writer)
        verval_rows = builder.verval_rows
        del builder  # and its per-person arrays
        registry: dict[str, dict] = {}
        for snap in snaps:
            folder = out_dir / "registry" / snap.day.isoformat()
            writer.csv_chunks(
                folder / "keluarga.csv",
                (_keluarga_table(universe, snap, part) for part in _chunks(snap.hh)),
            )
            writer.csv_chunks(
                folder / "anggota.csv",
                (_anggota_table(universe, snap, part) for part in _chunks(snap.people)),
            )
            registry[snap.day.isoformat()] = _registry_truth(universe, snap, regions)
        _write_reference_tables(out_dir, regions, budget)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    del snaps[:-1]  # from here on only the last snapshot is needed (verval)

    truth = _ground_truth(
        seed=seed,
        households=households,
        regions=regions,
        rates=rates,
        volume=volume,
        universe=universe,
        registry=registry,
        rosters=rosters,
        budget=budget,
        last=snaps[-1],
        verval_rows=verval_rows,
    )
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    with truth_path.open("w", encoding="utf-8") as f:  # streamed: no whole-JSON string
        json.dump(truth, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return truth
