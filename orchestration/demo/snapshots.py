"""One registry snapshot as the rosters, the files and the truth need it: who is listed,
living or deceased on the snapshot date, region by region, as indices into the `_Universe`;
and school status, which follows age on that date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from orchestration.demo.config import SNAPSHOTS
from orchestration.demo.registry import _Universe
from orchestration.demo.vectors import _age


@dataclass
class _Snapshot:
    """One registry snapshot as the roster builder needs it (universe indices throughout).

    Four of them live at once, so indices are int32 (people and households stay far below
    2**31) and per-household counts int16: half the memory of int64.
    """

    index: int
    day: date
    hh: np.ndarray  # present households, sorted (so grouped by region)
    hh_bounds: np.ndarray  # region r is hh[hh_bounds[r]:hh_bounds[r+1]]
    people: np.ndarray  # people listed in the snapshot
    living: np.ndarray  # status hidup
    living_bounds: np.ndarray
    dead: np.ndarray  # status meninggal
    dead_bounds: np.ndarray
    age: np.ndarray  # (P,) completed years on the snapshot date
    representative: np.ndarray  # (H,) first living member (head preferred), -1 none
    second: np.ndarray  # (H,) second living member, -1 none
    dead_member: np.ndarray  # (H,) first deceased member, -1 none
    shared_no_kk: np.ndarray  # (H,) bool
    living_count: np.ndarray  # (H,) int16


def _first_and_second(
    members: np.ndarray, hh_of: np.ndarray, n_h: int
) -> tuple[np.ndarray, np.ndarray]:
    """For people sorted by household: the first and second of each household (-1 none)."""
    first = np.full(n_h, -1, members.dtype)
    second = np.full(n_h, -1, members.dtype)
    if len(members) == 0:
        return first, second
    is_first = np.ones(len(members), bool)
    is_first[1:] = hh_of[1:] != hh_of[:-1]
    first[hh_of[is_first]] = members[is_first]
    is_second = np.zeros(len(members), bool)
    is_second[1:] = ~is_first[1:] & is_first[:-1]
    second[hh_of[is_second]] = members[is_second]
    return first, second


def _snapshot(u: _Universe, s: int, n_regions: int) -> _Snapshot:
    n_h = len(u.hh["kab"])
    present = u.present(s)
    hh = np.flatnonzero(present).astype(np.int32)
    pp_hh = u.pp["hh"]
    listed = present[pp_hh] & (u.status[s] > 0)
    people = np.flatnonzero(listed).astype(np.int32)
    del listed
    status = u.status[s][people]
    living = people[status == 1]
    dead = people[status == 2]
    del status
    regions = np.arange(n_regions + 1)

    def bounds(households: np.ndarray) -> np.ndarray:
        return np.searchsorted(u.hh["kab"][households], regions, side="left")

    rep, second = _first_and_second(living, pp_hh[living], n_h)
    dead_member, _ = _first_and_second(dead, pp_hh[dead], n_h)
    kk = u.hh["no_kk"][hh]
    _, inv, cnt = np.unique(kk, return_inverse=True, return_counts=True)
    shared = np.zeros(n_h, bool)
    shared[hh] = cnt[inv] > 1
    return _Snapshot(
        index=s,
        day=SNAPSHOTS[s],
        hh=hh,
        hh_bounds=bounds(hh),
        people=people,
        living=living,
        living_bounds=bounds(pp_hh[living]),
        dead=dead,
        dead_bounds=bounds(pp_hh[dead]),
        age=_age(u.pp["birth"], SNAPSHOTS[s]),
        representative=rep,
        second=second,
        dead_member=dead_member,
        shared_no_kk=shared,
        living_count=np.bincount(pp_hh[living], minlength=n_h).astype(np.int16),
    )


def _sekolah(age: np.ndarray, latent_desil: np.ndarray, propensity: np.ndarray) -> np.ndarray:
    """School status by age; poorer children leave earlier (codes into SEKOLAH).

    Start at 6 (latent desil ≥ 5) or 7; leave at 11–20 (desil 1) … 17–24 (desil 10),
    drawn from a fixed per-person propensity so that a person's path is monotone in time.
    """
    d = latent_desil.astype(float) - 1
    start = np.where(latent_desil >= 5, 6, 7)
    leave = 11 + d * (6 / 9) + propensity * (9 - d * (2 / 9))
    return np.where(age < start, 0, np.where(age < leave, 1, 2)).astype(np.int8)
