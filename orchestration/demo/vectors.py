"""Small vectorised helpers of the demo generator: dates as day numbers, exact counts,
random draws without Python loops, integer codes as text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pyarrow as pa

_EPOCH = np.datetime64("1970-01-01", "D")
_DAYS_PER_YEAR = 365.2425


def _day(d: date) -> int:
    """Days since 1970-01-01 (numpy's date encoding, which pyarrow's date32 shares)."""
    return int((np.datetime64(d, "D") - _EPOCH).astype(np.int64))


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dt = days.astype("datetime64[D]")
    months = dt.astype("datetime64[M]")
    year = dt.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (dt - months).astype(np.int64) + 1
    return year, month, day


def _age(birth_days: np.ndarray, at: date) -> np.ndarray:
    """Age in completed years on `at` (the birthday itself counts)."""
    y, m, d = _ymd(birth_days)
    before_birthday = (m > at.month) | ((m == at.month) & (d > at.day))
    return (at.year - y - before_birthday).astype(np.int16)


def _ddmmyy(days: np.ndarray, female: np.ndarray | None = None) -> np.ndarray:
    """The DDMMYY block of a NIK/no_kk as an integer; women's day + 40 (NIK rule)."""
    y, m, d = _ymd(days)
    if female is not None:
        d = d + 40 * female
    return d * 10_000 + m * 100 + y % 100


def _minus_months(d: date, months: int) -> date:
    """Calendar-month subtraction, clamped to the month's last day (31 Mar − 1 m = 28 Feb)."""
    idx = d.year * 12 + d.month - 1 - months
    year, month = divmod(idx, 12)
    first_next = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    last_day = (first_next - date(year, month + 1, 1)).days
    return date(year, month + 1, min(d.day, last_day))


def _count(rate: float, n: int) -> int:
    """Exact injected count for a share: rounded, but at least one when the rate is > 0."""
    if rate <= 0 or n <= 0:
        return 0
    return max(1, int(round(rate * n)))


def _categorical(rng: np.random.Generator, cum: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Draw one category per element: `cum[rows]` are cumulative probabilities (per row)."""
    u = rng.random(len(rows))
    return (u[:, None] >= cum[rows]).sum(axis=1).clip(0, cum.shape[1] - 1).astype(np.int8)


def _interpolated(poor: Sequence[float], mid: Sequence[float], rich: Sequence[float]) -> np.ndarray:
    """(10, K) probabilities for desil 1..10 from anchors at desil 1, 5.5 and 10."""
    p, m, r = (np.asarray(v, dtype=float) for v in (poor, mid, rich))
    t = (np.arange(10) / 9.0)[:, None]
    out = np.where(t <= 0.5, (1 - 2 * t) * p + 2 * t * m, (2 - 2 * t) * m + (2 * t - 1) * r)
    return out / out.sum(axis=1, keepdims=True)


def _group_rank(rng: np.random.Generator, key: np.ndarray) -> np.ndarray:
    """0-based rank of each element within its key group, ties broken at random."""
    n = len(key)
    perm = rng.permutation(n)
    order = perm[np.argsort(key[perm], kind="stable")]
    sorted_key = key[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = sorted_key[1:] != sorted_key[:-1]
    start_pos = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - start_pos
    return rank


def _sample(
    rng: np.random.Generator, candidates: np.ndarray, k: int, weights: np.ndarray | None = None
) -> np.ndarray:
    """k distinct elements of `candidates` (weighted: Efraimidis–Spirakis exponential keys)."""
    k = min(int(k), len(candidates))
    if k <= 0:
        return candidates[:0]
    if weights is None:
        return candidates[np.sort(rng.choice(len(candidates), size=k, replace=False))]
    keys = rng.exponential(size=len(candidates)) / np.maximum(weights, 1e-12)
    return candidates[np.sort(np.argpartition(keys, k - 1)[:k])]


def _str(values: np.ndarray) -> pa.Array:
    """Integer codes (NIK, no_kk, kode_wilayah) → text, in C."""
    return pa.array(values, pa.int64()).cast(pa.string())
