"""The simulated DTSEN registry: every household and person of the four quarterly snapshots.

`_simulate_registry` draws the first snapshot (households in the real desa of each region,
desil from the region's real P0, proxy-means-test variables, household size and members from
desil), then churns it quarter by quarter (deaths, moves, births, new and vanished
households, desil moves, updates), and finally numbers everyone (NIK, no_kk) and names them.
The result is one `_Universe`; `snapshots` makes the per-quarter views of it.

Asset contradictions. A household's assets contradict its desil when::

    (desil in (1,2) and punya_mobil = 1)
    or (desil in (9,10) and jenis_lantai = 'tanah'
        and sumber_penerangan in ('non_pln','bukan_listrik'))

Normal generation can never produce this: a car is only given to households whose latent
desil is ≥ 5, an earth floor only to those whose latent desil is ≤ 6, and a household's
published desil never strays more than 2 from its latent one. `rates.asset_contradiction`
of the households of the first snapshot are then made contradictory on purpose (a car for a
desil 1–2 household; an earth floor without PLN electricity for a desil 9–10 one). Later desil
moves may take some of them out of the rule; the truth counts the rule on every snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from statistics import NormalDist

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.demo import names as demo_names
from orchestration.demo.config import (
    _EARLIEST_BIRTH,
    FABRICATED_SERIAL_MIN,
    MIN_HOUSEHOLDS_PER_REGION,
    SNAPSHOTS,
    STALE_MONTHS,
    ErrorRates,
    Volume,
)
from orchestration.demo.regions import _Region
from orchestration.demo.vectors import (
    _DAYS_PER_YEAR,
    _categorical,
    _count,
    _day,
    _ddmmyy,
    _group_rank,
    _interpolated,
    _minus_months,
    _sample,
    _str,
)

# Proxy-means-test categories, each ordered from poorer to richer. Probabilities are given at
# desil 1, 5.5 and 10 and interpolated linearly in between.
_PMT_CATEGORIES: dict[
    str, tuple[tuple[str, ...], tuple[float, ...], tuple[float, ...], tuple[float, ...]]
] = {
    "status_bangunan": (
        ("milik_sendiri", "sewa", "bebas_sewa", "lainnya"),
        (0.76, 0.05, 0.15, 0.04),
        (0.80, 0.09, 0.09, 0.02),
        (0.80, 0.16, 0.03, 0.01),
    ),
    "jenis_lantai": (
        ("tanah", "bambu", "kayu", "semen", "keramik", "marmer"),
        (0.30, 0.10, 0.15, 0.40, 0.05, 0.0),
        (0.06, 0.03, 0.10, 0.46, 0.35, 0.0),
        (0.0, 0.0, 0.03, 0.12, 0.80, 0.05),
    ),
    "jenis_dinding": (
        ("anyaman_bambu", "batang_kayu", "kayu", "plesteran_anyaman_bambu", "tembok", "lainnya"),
        (0.28, 0.17, 0.22, 0.08, 0.20, 0.05),
        (0.06, 0.03, 0.20, 0.06, 0.63, 0.02),
        (0.0, 0.0, 0.05, 0.02, 0.925, 0.005),
    ),
    "jenis_atap": (
        ("ijuk_rumbia", "kayu_sirap", "seng", "asbes", "genteng", "beton", "lainnya"),
        (0.28, 0.02, 0.62, 0.03, 0.03, 0.0, 0.02),
        (0.06, 0.02, 0.72, 0.07, 0.11, 0.01, 0.01),
        (0.0, 0.01, 0.50, 0.08, 0.25, 0.15, 0.01),
    ),
    "sumber_air_minum": (
        (
            "sungai_danau",
            "air_hujan",
            "mata_air",
            "sumur_tak_terlindung",
            "sumur_terlindung",
            "sumur_bor",
            "ledeng",
            "air_kemasan",
        ),
        (0.08, 0.05, 0.22, 0.18, 0.25, 0.08, 0.12, 0.02),
        (0.02, 0.02, 0.10, 0.06, 0.24, 0.16, 0.25, 0.15),
        (0.005, 0.005, 0.01, 0.0, 0.06, 0.12, 0.25, 0.55),
    ),
    "sumber_penerangan": (
        ("bukan_listrik", "non_pln", "pln_tanpa_meteran", "pln_meteran"),
        (0.15, 0.15, 0.25, 0.45),
        (0.03, 0.05, 0.10, 0.82),
        (0.0, 0.005, 0.01, 0.985),
    ),
    "bahan_bakar_memasak": (
        ("kayu_bakar", "arang", "minyak_tanah", "gas_elpiji", "listrik", "tidak_memasak"),
        (0.62, 0.04, 0.08, 0.25, 0.0, 0.01),
        (0.25, 0.02, 0.06, 0.64, 0.02, 0.01),
        (0.02, 0.0, 0.02, 0.85, 0.10, 0.01),
    ),
    "fasilitas_bab": (
        ("tidak_ada", "umum", "bersama", "sendiri"),
        (0.22, 0.05, 0.18, 0.55),
        (0.06, 0.03, 0.11, 0.80),
        (0.0, 0.0, 0.02, 0.98),
    ),
}
_DAYA = np.array([450, 900, 1300, 2200, 3500, 5500])
_DAYA_P = (
    (0.55, 0.40, 0.05, 0.0, 0.0, 0.0),
    (0.15, 0.55, 0.25, 0.05, 0.0, 0.0),
    (0.0, 0.05, 0.30, 0.35, 0.20, 0.10),
)
#: P(asset | latent desil 1..10). punya_mobil is 0 below latent desil 5 (asset rule).
_ASSET_P: dict[str, tuple[float, ...]] = {
    "punya_kulkas": (0.05, 0.10, 0.18, 0.28, 0.40, 0.52, 0.65, 0.76, 0.86, 0.94),
    "punya_ac": (0.0, 0.0, 0.0, 0.01, 0.02, 0.04, 0.08, 0.15, 0.28, 0.45),
    "punya_motor": (0.25, 0.35, 0.45, 0.55, 0.62, 0.68, 0.72, 0.75, 0.75, 0.72),
    "punya_mobil": (0.0, 0.0, 0.0, 0.0, 0.02, 0.04, 0.08, 0.15, 0.30, 0.50),
    "punya_lahan": (0.45, 0.45, 0.44, 0.42, 0.40, 0.38, 0.35, 0.33, 0.32, 0.35),
    "punya_emas_10g": (0.01, 0.02, 0.04, 0.06, 0.09, 0.13, 0.18, 0.25, 0.33, 0.45),
}
_TANAH = 0  # index of 'tanah' in jenis_lantai
_BUKAN_LISTRIK, _NON_PLN, _PLN_METERAN = 0, 1, 3  # indices in sumber_penerangan
#: Latent desil bounds that keep normal generation out of the asset-contradiction rule.
_MOBIL_MIN_LATENT = 5
_TANAH_MAX_LATENT = 6
_MAX_DESIL_DRIFT = 2


_DESIL_THRESHOLDS = np.array([NormalDist().inv_cdf(k / 10) for k in range(1, 10)])


def _allocate(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    """Largest-remainder allocation of `total` in proportion to `weights`, ≥ `minimum` each."""
    rest = total - minimum * len(weights)
    if rest < 0:
        raise ValueError(f"need at least {minimum * len(weights)} households, got {total}")
    share = weights / weights.sum() * rest
    base = np.floor(share).astype(np.int64)
    order = np.argsort(-(share - base), kind="stable")
    base[order[: rest - base.sum()]] += 1
    return base + minimum


def _household_batch(
    rng: np.random.Generator,
    regions: list[_Region],
    counts: np.ndarray,
    *,
    initial: bool,
    size_shift: float = 0.0,
) -> dict[str, np.ndarray]:
    """New households: region, desa, latent desil, size, head; PMT variables from desil.

    `initial` households are the settled population of the first snapshot; the others are
    new families appearing later (younger heads, smaller households).
    """
    n = int(counts.sum())
    kab = np.repeat(np.arange(len(regions), dtype=np.int8), counts)
    desa = np.empty(n, np.int64)
    start = 0
    for region, c in zip(regions, counts, strict=True):
        m = len(region.desa)
        p = region.desa_weight / region.desa_weight.sum()
        every_desa = initial and c >= m  # then every real desa gets households
        per_desa = 1 + rng.multinomial(c - m, p) if every_desa else rng.multinomial(c, p)
        desa[start : start + c] = np.repeat(region.desa, per_desa)
        start += c
    shift = np.array([r.shift for r in regions])
    latent = rng.standard_normal(n) + shift[kab]
    d0 = (1 + np.searchsorted(_DESIL_THRESHOLDS, latent, side="right")).astype(np.int8)

    mean_size = 4.0 - 0.17 * (d0 - 1) - (0.0 if initial else 0.9) + size_shift
    size = (1 + rng.poisson(np.maximum(mean_size - 1, 0.2))).clip(1, 12)
    if initial:
        head_age = rng.normal(46, 13, n).clip(19, 92)
        elderly_single = (size == 1) & (rng.random(n) < 0.5)
        head_age[elderly_single] = rng.uniform(60, 90, int(elderly_single.sum()))
    else:
        head_age = rng.normal(31, 7, n).clip(19, 75)
    head_female = rng.random(n) < np.where((size == 1) & (head_age >= 60), 0.55, 0.12)
    hb = {
        "kab": kab,
        "desa": desa,
        "d0": d0,
        "size": size,
        "head_age": head_age,
        "head_female": head_female,
    }
    hb.update(_pmt(rng, d0))
    return hb


def _pmt(rng: np.random.Generator, d0: np.ndarray) -> dict[str, np.ndarray]:
    """Proxy-means-test variables consistent with the latent desil (codes, not strings)."""
    n = len(d0)
    row = d0.astype(np.int64) - 1
    out: dict[str, np.ndarray] = {}
    for name, (_, poor, mid, rich) in _PMT_CATEGORIES.items():
        probs = _interpolated(poor, mid, rich)
        if name == "jenis_lantai":  # no earth floors above latent desil 6 (asset rule)
            probs[_TANAH_MAX_LATENT:, _TANAH] = 0.0
            probs /= probs.sum(axis=1, keepdims=True)
        out[name] = _categorical(rng, probs.cumsum(axis=1), row)
    median_area = 28.0 * (110.0 / 28.0) ** (row / 9.0)
    out["luas_lantai_m2"] = (median_area * rng.lognormal(0, 0.35, n)).round().clip(9, 600)
    out["luas_lantai_m2"] = out["luas_lantai_m2"].astype(np.int16)
    daya = _categorical(rng, _interpolated(*_DAYA_P).cumsum(axis=1), row)
    metered = out["sumber_penerangan"] == _PLN_METERAN
    out["daya_listrik_va"] = np.where(metered, _DAYA[daya], 0).astype(np.int16)
    for name, probs in _ASSET_P.items():
        out[name] = (rng.random(n) < np.asarray(probs)[row]).astype(np.int8)
    out["punya_mobil"][d0 < _MOBIL_MIN_LATENT] = 0  # asset rule (already 0 in the table)
    no_power = out["sumber_penerangan"] == _BUKAN_LISTRIK
    out["punya_kulkas"][no_power] = 0
    out["punya_ac"][no_power | (out["sumber_penerangan"] == _NON_PLN)] = 0
    return out


def _member_batch(
    rng: np.random.Generator, hb: dict[str, np.ndarray], ref_day: np.ndarray, hh_offset: int
) -> dict[str, np.ndarray]:
    """Members of new households: head, usually a spouse, children, sometimes a parent,
    grandchildren, a child-in-law or other relatives, with ages that fit together."""
    n = len(hb["size"])
    size = hb["size"].astype(np.int64)
    head_age = hb["head_age"]
    head_f = hb["head_female"]
    rem = size - 1
    spouse_age = np.where(
        head_f, head_age + rng.normal(3, 3, n), head_age - rng.normal(4, 4, n).clip(-3, 15)
    ).clip(17, 95)
    spouse = (rem >= 1) & (rng.random(n) < np.where(head_f, 0.15, 0.9))
    rem -= spouse
    parent = (rem >= 1) & (head_age <= 60) & (rng.random(n) < 0.10)
    rem -= parent
    # Children's ages hang on the younger parent (or the head alone).
    parent_age = np.where(spouse, np.minimum(head_age, spouse_age), head_age - 2 * ~head_f)
    eldest = parent_age - rng.uniform(19, 28, n)
    max_child = np.where(eldest > 0, 1 + np.floor(eldest / 2.2), 0).clip(0, 9).astype(np.int64)
    child = np.minimum(rem, max_child)
    rem -= child
    old = head_age >= 45
    grand = np.where(old, rem, 0)  # no room for more children: grandchildren
    rem -= grand
    # Three-generation households: some children's slots are grandchildren, often with
    # their parent married into the family (menantu).
    three = (head_age >= 50) & (child >= 2) & (eldest >= 22) & (rng.random(n) < 0.35)
    conv = np.where(three, np.minimum(child - 1, 1 + (rng.random(n) < 0.4)), 0)
    child -= conv
    grand += conv
    inlaw = three & (child >= 2) & (rng.random(n) < 0.5)
    child -= inlaw
    other_rel = np.where(rng.random(n) < 0.85, rem, 0)
    other = rem - other_rel
    counts = np.stack(
        [np.ones(n, np.int64), spouse, child, inlaw, grand, parent, other_rel, other], axis=1
    ).astype(np.int64)
    flat = counts.ravel()
    total = int(flat.sum())
    h = np.repeat(np.repeat(np.arange(n), 8), flat)
    role = np.repeat(np.tile(np.arange(1, 9, dtype=np.int8), n), flat)
    k = np.arange(total) - np.repeat(np.cumsum(flat) - flat, flat)  # index within the role

    eldest_age = np.maximum(eldest, 0.3)
    spacing = np.minimum(rng.uniform(1.8, 3.5, n), eldest_age / np.maximum(child - 1, 1))
    age = np.empty(total)
    u = rng.random(total)
    for r, value in (
        (1, head_age[h]),
        (2, spouse_age[h]),
        (3, eldest_age[h] - k * spacing[h] - (k > 0) * u * 0.25 * spacing[h]),
        (4, eldest_age[h] + (u * 7 - 4)),
        (5, u * np.clip(head_age[h] - 38, 1, 16)),
        (6, head_age[h] + 20 + u * 12),
        (7, 3 + u * 57),
        (8, 16 + u * 49),
    ):
        sel = role == r
        age[sel] = value[sel]
    age[role == 4] = age[role == 4].clip(17, None)
    age = age.clip(0, 96)
    birth = ref_day[h] - np.floor(age * _DAYS_PER_YEAR).astype(np.int64)
    birth = np.maximum(birth, _day(_EARLIEST_BIRTH))

    sex = np.where(rng.random(total) < 0.5, 1, 2).astype(np.int8)
    sex[role == 1] = np.where(head_f[h[role == 1]], 2, 1)
    sex[role == 2] = np.where(head_f[h[role == 2]], 1, 2)
    sex[role == 6] = np.where(rng.random(int((role == 6).sum())) < 0.65, 2, 1)
    disab = (rng.random(total) < 0.018 + 0.07 * (age >= 60)).astype(np.int8)
    return {
        "hh": h + hh_offset,
        "role": role,
        "sex": sex,
        "birth": birth,
        "disab": disab,
        "school": rng.random(total).astype(np.float32),
    }


def _death_probability(age: np.ndarray, mean: float) -> np.ndarray:
    """Per-person probability of dying in a quarter: rises with age, averages `mean`."""
    if len(age) == 0:
        return age.astype(float)
    w = np.exp(0.07 * age)
    return (w * (mean / w.mean())).clip(0, 0.3)


def _move_probability(role: np.ndarray, age: np.ndarray, rate: float) -> np.ndarray:
    """Moving out (status pindah): young adult children and relatives, not heads/spouses."""
    movable = (role >= 3) & (age >= 17) & (age <= 40)
    return np.where(movable, rate, 0.0)


def _move_desil(rng: np.random.Generator, current: np.ndarray, latent: np.ndarray) -> np.ndarray:
    """A ±1–2 desil move that stays within 2 of the latent desil (see the asset rule)."""
    deltas = np.array([-2, -1, 1, 2])
    weights = np.array([1.0, 3.0, 3.0, 1.0])
    lo = np.maximum(1, latent.astype(int) - _MAX_DESIL_DRIFT)
    hi = np.minimum(10, latent.astype(int) + _MAX_DESIL_DRIFT)
    cand = current.astype(int)[:, None] + deltas[None, :]
    ok = (cand >= lo[:, None]) & (cand <= hi[:, None])
    cum = (weights * ok).cumsum(axis=1)
    u = rng.random(len(current)) * cum[:, -1]
    j = (u[:, None] >= cum).sum(axis=1)
    return cand[np.arange(len(current)), j].astype(np.int8)


@dataclass
class _Universe:
    """Every household and person that exists in any snapshot, with per-snapshot state.

    Households are sorted by region then id_keluarga; people by household, hubungan, birth.
    """

    hh: dict[str, np.ndarray]
    desil: np.ndarray  # (4, H) int8, 0 = not ranked
    updated: np.ndarray  # (4, H) tanggal_pemutakhiran, days since epoch
    created: np.ndarray  # first snapshot index
    vanished: np.ndarray  # first snapshot index without the household (4 = never)
    pp: dict[str, np.ndarray]
    status: np.ndarray  # (4, P) int8: 0 absent/not born, 1 hidup, 2 meninggal, 3 pindah
    #: given and family names; pp["first_name"] and pp["last_name"] index it
    vocab: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))

    def present(self, s: int) -> np.ndarray:
        return (self.created <= s) & (self.vanished > s)

    # Text columns are made on demand, for the rows asked only: kept whole, they would cost
    # about 20 bytes per row each (at 10M households, 35M people).

    def id_keluarga_text(self, households: np.ndarray) -> pa.Array:
        padded = pc.utf8_lpad(_str(self.hh["id"][households]), width=9, padding="0")
        return pc.binary_join_element_wise("KLG", padded, "")

    def no_kk_text(self, households: np.ndarray) -> pa.Array:
        return _str(self.hh["no_kk"][households])

    def kode_wilayah_text(self, households: np.ndarray) -> pa.Array:
        return _str(self.hh["desa"][households])

    def nik_text(self, people: np.ndarray) -> pa.Array:
        return _str(self.pp["nik"][people])

    def nama_text(self, people: np.ndarray) -> pa.Array:
        first = self.vocab.take(self.pp["first_name"][people])
        last = self.vocab.take(self.pp["last_name"][people])
        return pc.binary_join_element_wise(first, last, " ")


def _grow(a: np.ndarray, n: int) -> np.ndarray:
    return a if len(a) >= n else np.concatenate([a, np.zeros(n - len(a), a.dtype)])


def _simulate_registry(
    rng: np.random.Generator,
    regions: list[_Region],
    n_households: int,
    rates: ErrorRates,
    volume: Volume,
) -> _Universe:
    """Four quarterly states of the registry: the first one, then churn quarter by quarter."""
    days = [_day(d) for d in SNAPSHOTS]
    counts = _allocate(
        n_households, np.array([r.population for r in regions]), MIN_HOUSEHOLDS_PER_REGION
    )
    hh = _household_batch(rng, regions, counts, initial=True, size_shift=volume.household_size)
    n0 = len(hh["kab"])
    pp = _member_batch(rng, hh, np.full(n0, days[0], np.int64), 0)
    created = np.zeros(n0, np.int8)
    vanished = np.full(n0, len(SNAPSHOTS), np.int8)

    # First snapshot: a few people already died or moved out and are still listed.
    n_p = len(pp["hh"])
    age = (days[0] - pp["birth"]) / _DAYS_PER_YEAR
    status0 = np.ones(n_p, np.int8)
    dead = rng.random(n_p) < _death_probability(age, 0.004)
    status0[dead] = 2
    status0[~dead & (rng.random(n_p) < _move_probability(pp["role"], age, 0.01))] = 3
    desil0 = np.where(rng.random(n0) < 0.025, 0, hh["d0"]).astype(np.int8)
    threshold = _day(_minus_months(SNAPSHOTS[0], STALE_MONTHS))
    # Fresh records lean towards the recent DTSEN consolidation (density rising to day 0).
    span = days[0] - threshold
    updated0 = threshold + np.floor(np.sqrt(rng.random(n0)) * (span + 1)).astype(np.int64)
    updated0 = np.minimum(updated0, days[0])
    stale = rng.choice(n0, _count(rates.stale, n0), replace=False)
    updated0[stale] = rng.integers(_day(date(2019, 1, 1)), threshold, len(stale))
    hh["kk_issued"] = rng.integers(_day(date(2008, 1, 1)), days[0] + 1, n0)
    _inject_asset_contradictions(rng, hh, desil0, rates)

    desil = [desil0]
    updated = [updated0]
    status = [status0]
    for q in range(1, len(SNAPSHOTS)):
        n_h, n_p = len(hh["kab"]), len(pp["hh"])
        prev = q - 1
        present = (created <= prev) & (vanished > prev)
        gone = present & (rng.random(n_h) < 0.015)
        vanished[gone] = q
        survives = present & ~gone

        st = status[prev].copy()
        age = (days[prev] - pp["birth"]) / _DAYS_PER_YEAR
        alive = np.flatnonzero((status[prev] == 1) & survives[pp["hh"]])
        die = alive[rng.random(len(alive)) < _death_probability(age[alive], 0.003)]
        st[die] = 2
        rest = alive[st[alive] == 1]
        moved = rest[rng.random(len(rest)) < _move_probability(pp["role"][rest], age[rest], 0.006)]
        st[moved] = 3
        fertile = rest[
            (st[rest] == 1)
            & (pp["sex"][rest] == 2)
            & (pp["role"][rest] <= 2)
            & (age[rest] >= 18)
            & (age[rest] <= 42)
        ]
        mothers = fertile[rng.random(len(fertile)) < 0.03]
        nb = len(mothers)
        babies = {
            "hh": pp["hh"][mothers],
            "role": np.full(nb, 3, np.int8),
            "sex": np.where(rng.random(nb) < 0.51, 1, 2).astype(np.int8),
            "birth": rng.integers(days[prev] + 1, days[q] + 1, nb),
            "disab": (rng.random(nb) < 0.005).astype(np.int8),
            "school": rng.random(nb).astype(np.float32),
        }

        per_region = np.bincount(hh["kab"][survives], minlength=len(regions))
        n_new = int(rng.binomial(int(survives.sum()), 0.02))
        new_counts = rng.multinomial(n_new, per_region / per_region.sum())
        new_hh = _household_batch(
            rng, regions, new_counts, initial=False, size_shift=volume.household_size
        )
        created_day = rng.integers(days[prev] + 1, days[q] + 1, n_new)
        new_hh["kk_issued"] = created_day
        new_pp = _member_batch(rng, new_hh, created_day, n_h)

        d = desil[prev].copy()
        ranked = np.flatnonzero(survives & (d > 0))
        movers = ranked[rng.random(len(ranked)) < 0.04]
        d[movers] = _move_desil(rng, d[movers], hh["d0"][movers])
        unranked = np.flatnonzero(survives & (d == 0))
        newly = unranked[rng.random(len(unranked)) < 0.2]
        d[newly] = hh["d0"][newly]

        changed = np.zeros(n_h, bool)
        for idx in (pp["hh"][die], pp["hh"][moved], babies["hh"], movers, newly):
            changed[idx] = True
        changed |= rng.random(n_h) < 0.02
        changed &= survives
        upd = updated[prev].copy()
        upd[changed] = rng.integers(days[prev] + 1, days[q] + 1, int(changed.sum()))

        # Append the quarter's new households and people.
        for key in hh:
            hh[key] = np.concatenate([hh[key], new_hh[key]])
        for key in pp:
            pp[key] = np.concatenate([pp[key], babies[key], new_pp[key]])
        created = np.concatenate([created, np.full(n_new, q, np.int8)])
        vanished = np.concatenate([vanished, np.full(n_new, len(SNAPSHOTS), np.int8)])
        new_desil = np.where(rng.random(n_new) < 0.25, 0, new_hh["d0"]).astype(np.int8)
        desil.append(np.concatenate([d, new_desil]))
        updated.append(np.concatenate([upd, created_day]))
        n_new_people = nb + len(new_pp["hh"])
        status.append(np.concatenate([st, np.ones(n_new_people, np.int8)]))

    n_h, n_p = len(hh["kab"]), len(pp["hh"])
    universe = _Universe(
        hh=hh,
        desil=np.stack([_grow(a, n_h) for a in desil]),
        updated=np.stack([_grow(a, n_h) for a in updated]),
        created=created,
        vanished=vanished,
        pp=pp,
        status=np.stack([_grow(a, n_p) for a in status]),
    )
    # _finalise makes sorted copies: let the unsorted originals go first.
    del hh, pp, created, vanished, desil, updated, status
    _finalise(rng, universe, regions, rates)
    return universe


def _inject_asset_contradictions(
    rng: np.random.Generator, hh: dict[str, np.ndarray], desil: np.ndarray, rates: ErrorRates
) -> None:
    """Make `rates.asset_contradiction` of the first snapshot's households contradictory."""
    candidates = np.flatnonzero(np.isin(desil, (1, 2, 9, 10)))
    chosen = _sample(rng, candidates, _count(rates.asset_contradiction, len(desil)))
    poor = chosen[desil[chosen] <= 2]
    rich = chosen[desil[chosen] >= 9]
    hh["punya_mobil"][poor] = 1
    hh["jenis_lantai"][rich] = _TANAH
    hh["sumber_penerangan"][rich] = np.where(rng.random(len(rich)) < 0.5, _NON_PLN, _BUKAN_LISTRIK)
    hh["daya_listrik_va"][rich] = 0
    hh["punya_ac"][rich] = 0
    hh["punya_kulkas"][rich] = 0


def _finalise(
    rng: np.random.Generator, u: _Universe, regions: list[_Region], rates: ErrorRates
) -> None:
    """Sort, number, and give everyone a NIK, every household a no_kk, everyone a name."""
    n_h = len(u.hh["kab"])
    ids = np.arange(1, n_h + 1, dtype=np.int64)  # creation order: never reused
    order = np.lexsort((ids, u.hh["kab"]))
    inverse = np.empty(n_h, np.int64)
    inverse[order] = np.arange(n_h)
    for k in list(u.hh):  # one column at a time: never two copies of the whole table
        u.hh[k] = u.hh[k][order]
    u.hh["id"] = ids[order]
    u.hh["kec"] = u.hh["desa"] // 10_000
    u.desil, u.updated = u.desil[:, order], u.updated[:, order]
    u.created, u.vanished = u.created[order], u.vanished[order]
    u.pp["hh"] = inverse[u.pp["hh"]]
    p_order = np.lexsort((u.pp["birth"], u.pp["role"], u.pp["hh"]))
    for k in list(u.pp):
        u.pp[k] = u.pp[k][p_order]
    u.status = u.status[:, p_order]
    del p_order, inverse

    # NIK: kecamatan (6) + DDMMYY (women +40) + serial 0001–8999, unique per prefix+DDMMYY.
    female = (u.pp["sex"] == 2).astype(np.int64)
    key = u.hh["kec"][u.pp["hh"]] * 1_000_000 + _ddmmyy(u.pp["birth"], female)
    serial = _group_rank(rng, key) + 1
    if serial.max(initial=0) >= FABRICATED_SERIAL_MIN:
        raise RuntimeError("NIK serial space exhausted")  # impossible at realistic sizes
    u.pp["nik"] = key * 10_000 + serial
    del female, key, serial
    # no_kk: kecamatan (6) + DDMMYY of issue + serial, same rule (no +40).
    key = u.hh["kec"] * 1_000_000 + _ddmmyy(u.hh["kk_issued"])
    u.hh["no_kk"] = key * 10_000 + _group_rank(rng, key) + 1
    del key
    for k in ("size", "head_age", "head_female", "kk_issued"):  # only the simulation used these
        del u.hh[k]
    _share_no_kk(rng, u, rates)

    _name_people(rng, u, regions)


def _share_no_kk(rng: np.random.Generator, u: _Universe, rates: ErrorRates) -> None:
    """Pairs of first-snapshot households in one kecamatan that carry the same no_kk.

    Disjoint pairs, so `rates.shared_no_kk` is (about) the share of households whose no_kk
    is shared; the truth counts the state of each snapshot.
    """
    first = np.flatnonzero(u.created == 0)
    n_pairs = _count(rates.shared_no_kk / 2, len(first))
    if n_pairs == 0:
        return
    by_kec = first[np.lexsort((rng.random(len(first)), u.hh["kec"][first]))]
    half = len(by_kec) // 2
    a, b = by_kec[0 : 2 * half : 2], by_kec[1 : 2 * half : 2]
    pairs = np.flatnonzero(u.hh["kec"][a] == u.hh["kec"][b])
    chosen = _sample(rng, pairs, n_pairs)
    u.hh["no_kk"][b[chosen]] = u.hh["no_kk"][a[chosen]]


def _name_people(rng: np.random.Generator, u: _Universe, regions: list[_Region]) -> None:
    """Given name + family name (NTT: the head's, for children and grandchildren) or two
    given names (Kalimantan)."""
    vocabulary: list[str] = []
    index: dict[str, int] = {}

    def codes(names: Sequence[str]) -> np.ndarray:
        for name in names:
            index.setdefault(name, len(index))
            if len(vocabulary) < len(index):
                vocabulary.append(name)
        return np.array([index[name] for name in names], np.int64)

    n_p = len(u.pp["hh"])
    groups = sorted(demo_names.FIRST_NAMES)
    group_of_region = np.array([groups.index(r.group) for r in regions])
    group = group_of_region[u.hh["kab"][u.pp["hh"]]]
    sex = u.pp["sex"]
    first = np.zeros(n_p, np.int16)  # indices into the vocabulary (a few hundred names)
    last = np.zeros(n_p, np.int16)
    uf, ul = rng.random(n_p), rng.random(n_p)
    family_u = rng.random(len(u.hh["kab"]))[u.pp["hh"]]
    inherits = np.isin(u.pp["role"], (1, 3, 5))
    for g, gname in enumerate(groups):
        for s in (1, 2):
            sel = (group == g) & (sex == s)
            names = codes(demo_names.FIRST_NAMES[gname][s])
            first[sel] = names[(uf[sel] * len(names)).astype(np.int64)]
            last_names = demo_names.LAST_NAMES[gname]
            if gname in demo_names.FAMILY_NAME_GROUPS:
                pool = codes(last_names[0])
                draw = np.where(inherits[sel], family_u[sel], ul[sel])
            else:
                pool = codes(last_names[s])
                draw = ul[sel]
            last[sel] = pool[(draw * len(pool)).astype(np.int64)]
    u.pp["first_name"], u.pp["last_name"] = first, last
    u.vocab = pa.array(vocabulary, pa.string())  # also for fabricated roster names
