"""The beneficiary rosters: every programme × region × period, its rows drawn category by
category (`categories`: base recipients, then each data error at its `ErrorRates` rate), and
the anggaran rows that follow from what they paid. What each roster must count is
`truth._roster_truth`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.demo import names as demo_names
from orchestration.demo.categories import (
    _QUARANTINED,
    CAT_BASE,
    CAT_DECEASED,
    CAT_DUPLICATE,
    CAT_EXCEL_MANGLED,
    CAT_INELIGIBLE,
    CAT_INVALID_NIK,
    CAT_NO_KK_ONLY,
    CAT_NOT_IN_REGISTRY,
    CAT_UNKNOWN_REGION,
)
from orchestration.demo.config import (
    _EARLIEST_BIRTH,
    FABRICATED_SERIAL_MIN,
    SNAPSHOTS,
    XLSX_REGION,
    YEAR,
    ErrorRates,
    Volume,
)
from orchestration.demo.programs import PIP_NILAI, PROGRAMMES, Programme
from orchestration.demo.regions import _Region
from orchestration.demo.registry import _Universe
from orchestration.demo.snapshots import _sekolah, _Snapshot
from orchestration.demo.truth import _roster_truth, _VervalRows
from orchestration.demo.vectors import _DAYS_PER_YEAR, _day, _ddmmyy, _sample, _str
from orchestration.demo.writers import _Writer


@dataclass
class _Rows:
    """Rows of one roster category, before concatenation and shuffling."""

    nik: pa.Array
    no_kk: pa.Array
    nama: pa.Array
    kode_wilayah: pa.Array
    nilai: np.ndarray
    category: int
    unit_desil: np.ndarray  # desil of the unit's household (0 unranked); -1 not matched
    #: rows whose NIK goes into an Excel number cell (None: category 8 rows only)
    nik_as_number: np.ndarray | None = None
    #: universe indices of the household each row matches (-1: none), for the verval truth
    households: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.nik)

    def verval(self) -> _VervalRows:
        """What the verval truth keeps of these rows."""
        if self.category == CAT_NOT_IN_REGISTRY:
            return _VervalRows(self.category, np.zeros(0, np.int64), self.nik, self.kode_wilayah)
        return _VervalRows(self.category, np.unique(self.households))


def _fabricated_numbers(
    rng: np.random.Generator,
    kec: np.ndarray,
    lo_day: int,
    hi_day: int,
    with_sex: bool,
    taken: np.ndarray | None = None,
) -> np.ndarray:
    """Valid NIK-shaped (or no_kk-shaped) numbers with serial 9000–9999, hence never equal to
    a registry number; distinct among themselves and from `taken` when it is given."""
    n = len(kec)
    day = rng.integers(lo_day, hi_day + 1, n)
    female = (rng.random(n) < 0.5).astype(np.int64) if with_sex else None
    prefix = (kec * 1_000_000 + _ddmmyy(day, female)) * 10_000
    numbers = prefix + rng.integers(FABRICATED_SERIAL_MIN, 10_000, n)
    if taken is None:
        return numbers
    for _ in range(100):
        _, first = np.unique(numbers, return_index=True)
        clash = np.ones(n, bool)
        clash[first] = False
        clash |= np.isin(numbers, taken)
        if not clash.any():
            return numbers
        redraw = rng.integers(FABRICATED_SERIAL_MIN, 10_000, int(clash.sum()))
        numbers[clash] = prefix[clash] + redraw
    raise RuntimeError("could not fabricate distinct numbers")


def _invalid_niks(rng: np.random.Generator, valid: np.ndarray) -> pa.Array:
    """NIKs that fail lokal.parse_nik, in the ways they do arrive: 15 or 17 digits, a letter,
    province 00/99, day 32, month 13, serial 0000."""
    n = len(valid)
    kind = rng.integers(0, 8, n)
    dd = (valid // 10**8) % 100
    mm = (valid // 10**6) % 100
    as_int = valid.copy()
    as_int = np.where(kind == 0, valid // 10, as_int)  # 15 digits
    as_int = np.where(kind == 1, valid * 10 + rng.integers(0, 10, n), as_int)  # 17 digits
    as_int = np.where(kind == 3, valid % 10**14 + 99 * 10**14, as_int)  # province 99
    as_int = np.where(kind == 4, valid + (np.where(dd > 40, 72, 32) - dd) * 10**8, as_int)
    as_int = np.where(kind == 5, valid + (13 - mm) * 10**6, as_int)  # month 13
    as_int = np.where(kind == 6, valid - valid % 10_000, as_int)  # serial 0000
    text = _str(as_int)
    letters = pc.utf8_replace_slice(text, start=10, stop=11, replacement="O")
    province00 = pc.utf8_lpad(_str(valid % 10**14), width=16, padding="0")
    kind_pa = pa.array(kind)
    text = pc.if_else(pc.equal(kind_pa, 2), letters, text)
    text = pc.if_else(pc.equal(kind_pa, 7), province00, text)
    return text


def _shuffled_table(
    rng: np.random.Generator,
    parts: list[_Rows],
    nilai: np.ndarray,
    tahap: int | None,
    number_cell: np.ndarray,
) -> tuple[pa.Table, np.ndarray]:
    """The roster's rows in a random order (no category shows in the order), and which of
    them hold the NIK as an Excel number cell, in that order."""
    total = len(nilai)
    perm = pa.array(rng.permutation(total))
    table = pa.table(
        {
            "nik": pa.concat_arrays([p.nik for p in parts]).take(perm),
            "no_kk": pa.concat_arrays([p.no_kk for p in parts]).take(perm),
            "nama": pa.concat_arrays([p.nama for p in parts]).take(perm),
            "kode_wilayah": pa.concat_arrays([p.kode_wilayah for p in parts]).take(perm),
            "tahap": pa.array([tahap] * total, pa.int8()),
            "nilai_bantuan": pa.array(nilai).take(perm),
        }
    )
    return table, number_cell[perm.to_numpy()]


def _units(
    u: _Universe, snap: _Snapshot, prog: Programme, r: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """The units of a programme in region `r` on the snapshot, and which are eligible (E).

    A keluarga programme's units are the households (eligible: desil in the programme's
    range), listed by a representative (the first living member, head first; none if nobody
    lives); an individu programme's are the living people (eligible: their household's desil
    in range and their age within the programme's bounds). Returns units, their desil,
    eligible, representative (a person), has_representative, and the person's age (None for
    keluarga programmes).
    """
    desil_now = u.desil[snap.index]
    lo_d, hi_d = prog.desil_min, prog.desil_max
    if prog.is_keluarga:
        units = snap.hh[snap.hh_bounds[r] : snap.hh_bounds[r + 1]]
        d = desil_now[units]
        eligible = (d >= lo_d) & (d <= hi_d)
        rep = snap.representative[units]
        return units, d, eligible, rep, rep >= 0, None
    units = snap.living[snap.living_bounds[r] : snap.living_bounds[r + 1]]
    d = desil_now[u.pp["hh"][units]]
    person_age = snap.age[units]
    age_lo, age_hi = prog.age_bounds
    age_ok = (person_age >= age_lo) & (person_age <= age_hi)
    eligible = (d >= lo_d) & (d <= hi_d) & age_ok
    return units, d, eligible, units, np.ones(len(units), bool), person_age


class _RosterBuilder:
    """Builds every roster row, category by category (see `categories`), and its truth.

    Recipient units and their membership of E follow DESIGN §3.1.
    """

    def __init__(
        self,
        seed: int,
        u: _Universe,
        regions: list[_Region],
        snaps: list[_Snapshot],
        rates: ErrorRates,
        volume: Volume,
    ) -> None:
        self.seed = seed
        self.volume = volume
        self.u = u
        self.regions = regions
        self.snaps = snaps
        self.rates = rates
        rng = np.random.default_rng([seed, 2])
        # Household propensity to receive aid, shared by all programmes (so they overlap).
        self.aid_propensity = rng.standard_normal(len(u.hh["kab"]))
        self.fabricated = np.zeros(0, np.int64)  # fabricated NIKs of the current roster
        self.vocab = u.vocab
        # People whose 15 leading NIK digits are theirs alone: a NIK of theirs that loses its
        # 16th digit in Excel can be recovered (DESIGN §3.1, issue 5).
        _, inverse, counts = np.unique(u.pp["nik"] // 10, return_inverse=True, return_counts=True)
        self.unique_nik_prefix = counts[inverse] == 1
        #: per roster: (kode_program, rows per category) for the verval truth; quarantine
        #: candidates (categories 7–9) match nobody and are left out
        self.verval_rows: list[tuple[str, list[_VervalRows]]] = []

    # -- helpers ---------------------------------------------------------------------------

    def _names(self, rng: np.random.Generator, region: _Region, n: int) -> pa.Array:
        """Random plausible names of the region (for people the registry does not know)."""
        sex = np.where(rng.random(n) < 0.5, 1, 2)
        first = np.zeros(n, np.int64)
        last = np.zeros(n, np.int64)
        vocab_index = {name: i for i, name in enumerate(self.vocab.to_pylist())}
        for s in (1, 2):
            firsts = np.array([vocab_index[x] for x in demo_names.FIRST_NAMES[region.group][s]])
            lasts_by = demo_names.LAST_NAMES[region.group]
            lasts = np.array([vocab_index[x] for x in lasts_by.get(s, lasts_by.get(0, ()))])
            sel = sex == s
            first[sel] = firsts[rng.integers(0, len(firsts), int(sel.sum()))]
            last[sel] = lasts[rng.integers(0, len(lasts), int(sel.sum()))]
        return pc.binary_join_element_wise(self.vocab.take(first), self.vocab.take(last), " ")

    def _registry_rows(
        self,
        people: np.ndarray,
        category: int,
        nilai: np.ndarray,
        snap: _Snapshot,
        upper: np.ndarray | None = None,
    ) -> _Rows:
        """Rows for registry people: their NIK, their household's no_kk and desa."""
        hh = self.u.pp["hh"][people]
        nama = self.u.nama_text(people)
        if upper is not None and upper.any():
            nama = pc.if_else(pa.array(upper), pc.utf8_upper(nama), nama)
        return _Rows(
            nik=self.u.nik_text(people),
            no_kk=self.u.no_kk_text(hh),
            nama=nama,
            kode_wilayah=self.u.kode_wilayah_text(hh),
            nilai=nilai,
            category=category,
            unit_desil=self.u.desil[snap.index][hh].astype(np.int8),
            households=hh,
        )

    def _nilai(
        self, prog: Programme, rng: np.random.Generator, age: np.ndarray | None, n: int
    ) -> np.ndarray:
        """Amount per row: fixed per programme; PIP by school level (age on the period end)."""
        if prog.kode != "PIP":
            return np.full(n, prog.nilai, np.int64)
        levels = np.array([v for _, _, v in PIP_NILAI], np.int64)
        if age is None:
            return levels[rng.integers(0, len(levels), n)]
        upper_ages = np.array([hi for _, hi, _ in PIP_NILAI])
        return levels[np.searchsorted(upper_ages, age, side="left").clip(0, len(levels) - 1)]

    def _fabricated_rows(
        self,
        rng: np.random.Generator,
        prog: Programme,
        region: _Region,
        category: int,
        n: int,
        snap: _Snapshot,
        households: np.ndarray | None = None,
    ) -> _Rows:
        """Rows for people the registry does not know (categories 4, 5, 7, 9)."""
        if households is not None:  # no_kk_only: the household's kecamatan, no_kk, desa
            kec = self.u.hh["kec"][households]
            desa = self.u.hh["desa"][households]
        else:
            desa = region.desa[rng.integers(0, len(region.desa), n)]
            kec = desa // 10_000
        end = snap.day
        lo_age, hi_age = prog.age_bounds if prog.has_age_range else (18, 75)
        hi_age = min(hi_age, 90)
        lo_day = max(_day(end) - int((hi_age + 1) * _DAYS_PER_YEAR) + 2, _day(_EARLIEST_BIRTH))
        hi_day = _day(end) - int(lo_age * _DAYS_PER_YEAR)
        nik = _fabricated_numbers(rng, kec, lo_day, hi_day, True, self.fabricated)
        self.fabricated = np.concatenate([self.fabricated, nik])
        if households is not None:
            no_kk = self.u.no_kk_text(households)
            unit_desil = self.u.desil[snap.index][households].astype(np.int8)
        else:
            kk = _fabricated_numbers(rng, kec, _day(date(2008, 1, 1)), _day(end), False)
            no_kk = _str(kk)
            unit_desil = np.full(n, -1, np.int8)
        nik_text = _invalid_niks(rng, nik) if category == CAT_INVALID_NIK else _str(nik)
        if category == CAT_UNKNOWN_REGION:
            codes = pa.array(list(region.unknown_codes), pa.string())
            kode = codes.take(pa.array(rng.integers(0, len(codes), n)))
        else:
            kode = _str(desa)
        return _Rows(
            nik=nik_text,
            no_kk=no_kk,
            nama=self._names(rng, region, n),
            kode_wilayah=kode,
            nilai=self._nilai(prog, rng, None, n),
            category=category,
            unit_desil=unit_desil,
            households=households if households is not None else np.full(n, -1, np.int64),
        )

    # -- one roster --------------------------------------------------------------------------

    def build(
        self,
        prog: Programme,
        r: int,
        tahap: int,
        snap: _Snapshot,
        latent: np.ndarray,
        threshold: float,
        xlsx: bool,
    ) -> tuple[pa.Table, np.ndarray, dict] | None:
        """Rows (shuffled), their mangled flags, and the roster's truth; None when empty."""
        rng = np.random.default_rng([self.seed, 3, PROGRAMMES.index(prog), r, tahap])
        self.fabricated = np.zeros(0, np.int64)
        region = self.regions[r]
        rates = self.rates
        u = self.u
        lo_d, hi_d = prog.desil_min, prog.desil_max
        age_lo, age_hi = prog.age_bounds
        desil_now = u.desil[snap.index]
        parts: list[_Rows] = []

        units, d, eligible, rep, has_rep, person_age = _units(u, snap, prog, r)
        n = len(units)
        used = np.zeros(n, bool)

        # 1. base: a persistent (across tahap) coverage sample of E.
        noise = rng.standard_normal(n)
        score = (latent[units] + 0.3 * noise) / math.sqrt(1.09)
        pick = eligible & has_rep & (score < threshold)
        if prog.kode == "PIP":  # PIP reaches children who are still at school
            hh_of = u.pp["hh"][units]
            in_school = _sekolah(person_age, u.hh["d0"][hh_of], u.pp["school"][units]) == 1
            pick &= in_school
        base = np.flatnonzero(pick)
        used[base] = True
        n_base = len(base)
        base_people = rep[base]
        base_age = None if person_age is None else person_age[base]
        base_nilai = self._nilai(prog, rng, base_age, n_base)
        base_rows = self._registry_rows(base_people, CAT_BASE, base_nilai, snap)
        if xlsx:
            # Some base recipients' NIKs were typed into General cells too, but the name is
            # there and the 15 leading digits are one person's: they are recovered, and count.
            # Chosen by a hash of the person, not the rng, so the rest of the data stays put.
            picked = (base_people.astype(np.int64) * 7919) % 1000 < round(
                rates.excel_recoverable * 1000
            )
            base_rows.nik_as_number = picked & self.unique_nik_prefix[base_people]
        parts.append(base_rows)

        def draw(rate: float) -> int:
            return int(rng.binomial(n_base, rate)) if n_base else 0

        # 2. ineligible: near misses are likelier (desil just above the range, wrong age).
        cand = np.flatnonzero(~eligible & has_rep & ~used)
        over = d[cand].astype(float) - hi_d
        weight = np.where(
            d[cand] == 0, 0.4, np.where(over > 0, 1 / np.maximum(over, 1) ** 1.5, 1.0)
        )
        if person_age is not None and prog.has_age_range:
            a = person_age[cand]
            weight = weight * np.where((a >= age_lo) & (a <= age_hi), 1.0, 0.15)
        chosen = _sample(rng, cand, draw(rates.ineligible), weight)
        used[chosen] = True
        n_ineligible = len(chosen)
        nilai = self._nilai(
            prog, rng, None if person_age is None else person_age[chosen], n_ineligible
        )
        parts.append(self._registry_rows(rep[chosen], CAT_INELIGIBLE, nilai, snap))

        # 3. deceased: a deceased person of an eligible-desil household not on the roster.
        if prog.is_keluarga:
            dead_of = snap.dead_member[units]
            cand = np.flatnonzero(eligible & ~used & (dead_of >= 0))
            chosen = _sample(rng, cand, draw(rates.deceased))
            used[chosen] = True
            dead_people = dead_of[chosen]
        else:
            dead = snap.dead[snap.dead_bounds[r] : snap.dead_bounds[r + 1]]
            dd = desil_now[u.pp["hh"][dead]]
            ok = (dd >= lo_d) & (dd <= hi_d)
            if prog.has_age_range:
                ok &= (snap.age[dead] >= age_lo) & (snap.age[dead] <= age_hi)
            dead_people = _sample(rng, dead[ok], draw(rates.deceased))
        n_deceased = len(dead_people)
        dead_age = None if person_age is None else snap.age[dead_people]
        nilai = self._nilai(prog, rng, dead_age, n_deceased)
        parts.append(self._registry_rows(dead_people, CAT_DECEASED, nilai, snap))

        # 4. no_kk_only: keluarga programmes only.
        n_no_kk = 0
        if prog.is_keluarga:
            cand = np.flatnonzero(eligible & ~used & ~snap.shared_no_kk[units])
            chosen = _sample(rng, cand, draw(rates.no_kk_only))
            used[chosen] = True
            n_no_kk = len(chosen)
            parts.append(
                self._fabricated_rows(
                    rng, prog, region, CAT_NO_KK_ONLY, n_no_kk, snap, households=units[chosen]
                )
            )

        # 5. not in the registry at all.
        n_nir = draw(rates.not_in_registry)
        parts.append(self._fabricated_rows(rng, prog, region, CAT_NOT_IN_REGISTRY, n_nir, snap))

        # 6. duplicates of base units.
        dup = _sample(rng, np.arange(n_base), draw(rates.duplicate))
        dup_people = base_people[dup]
        upper = rng.random(len(dup)) < (0.3 if prog.is_keluarga else 0.5)
        if prog.is_keluarga:
            other = snap.second[units[base[dup]]]
            use_other = (other >= 0) & (rng.random(len(dup)) < 0.5)
            dup_people = np.where(use_other, other, dup_people)
            upper &= ~use_other
        parts.append(
            self._registry_rows(dup_people, CAT_DUPLICATE, base_nilai[dup], snap, upper=upper)
        )

        # 7. invalid NIKs.
        n_invalid = draw(rates.invalid_nik)
        parts.append(self._fabricated_rows(rng, prog, region, CAT_INVALID_NIK, n_invalid, snap))

        # 8. Excel-mangled NIKs (xlsx only): units not otherwise listed, eligible first;
        #    NIKs ending in 0 are avoided so that the lost digit is really lost.
        n_mangled = 0
        if xlsx:
            nik_last = u.pp["nik"][rep[has_rep]] % 10 if n else np.zeros(0, np.int64)
            ok = np.zeros(n, bool)
            ok[np.flatnonzero(has_rep)] = nik_last != 0
            want = draw(rates.excel_mangled)
            first = _sample(rng, np.flatnonzero(ok & ~used & eligible), want)
            rest = _sample(rng, np.flatnonzero(ok & ~used & ~eligible), want - len(first))
            chosen = np.concatenate([first, rest])
            used[chosen] = True
            n_mangled = len(chosen)
            nilai = self._nilai(
                prog, rng, None if person_age is None else person_age[chosen], n_mangled
            )
            mangled_rows = self._registry_rows(rep[chosen], CAT_EXCEL_MANGLED, nilai, snap)
            # Only the damaged number and the amount: nothing confirms who it is.
            mangled_rows.nama = pa.nulls(len(chosen), pa.string())
            mangled_rows.no_kk = pa.nulls(len(chosen), pa.string())
            parts.append(mangled_rows)

        # 9. unknown region code.
        n_unknown = draw(rates.unknown_region)
        parts.append(self._fabricated_rows(rng, prog, region, CAT_UNKNOWN_REGION, n_unknown, snap))

        parts = [p for p in parts if len(p)]
        if parts:
            self.verval_rows.append(
                (prog.kode, [p.verval() for p in parts if p.category not in _QUARANTINED])
            )
        if not parts:  # nobody to list (tiny demo): no file, as an agency would send none
            return None
        category = np.concatenate([np.full(len(p), p.category, np.int8) for p in parts])
        nilai = np.concatenate([p.nilai for p in parts]).astype(np.int64)
        as_number = np.concatenate(
            [
                p.nik_as_number if p.nik_as_number is not None else np.full(len(p), False)
                for p in parts
            ]
        )
        number_cell = (category == CAT_EXCEL_MANGLED) | as_number
        tahap_value = tahap if prog.quarterly else None
        table, mangled = _shuffled_table(rng, parts, nilai, tahap_value, number_cell)
        truth = _roster_truth(
            is_keluarga=prog.is_keluarga,
            sasaran_layak=int(eligible.sum()),
            category=category,
            nilai=nilai,
            unit_desil=np.concatenate([p.unit_desil for p in parts]),
            recovered=int(as_number.sum()),
        )
        return table, mangled, truth

    # -- all rosters -----------------------------------------------------------------------

    def build_all(self, out_dir: Path, writer: _Writer) -> tuple[list[dict], list[dict]]:
        """Every programme × region × period; returns (roster truths, anggaran rows)."""
        rosters: list[dict] = []
        budget: list[dict] = []
        n_h = len(self.u.hh["kab"])
        n_p = len(self.u.pp["hh"])
        # xlsx regions first, so that the worker process starts early.
        order = sorted(
            (
                (p, r)
                for p in PROGRAMMES
                for r, region in enumerate(self.regions)
                if p.local_region in (None, region.code)
            ),
            key=lambda pr: not self._is_xlsx(pr[0], self.regions[pr[1]]),
        )
        latent_cache: dict[str, np.ndarray] = {}
        for prog, r in order:
            region = self.regions[r]
            if not self._is_xlsx(prog, region):
                writer.start_xlsx()  # every .xlsx roster is queued: let the worker run
            p_index = PROGRAMMES.index(prog)
            rng = np.random.default_rng([self.seed, 4, p_index, r])
            coverage = rng.uniform(*prog.coverage) * self.volume.coverage
            threshold = NormalDist().inv_cdf(coverage)
            if prog.kode not in latent_cache:
                prng = np.random.default_rng([self.seed, 5, p_index])
                if prog.is_keluarga:
                    latent = 0.6 * self.aid_propensity + 0.8 * prng.standard_normal(n_h)
                else:
                    latent = 0.5 * self.aid_propensity[self.u.pp["hh"]] + math.sqrt(
                        0.75
                    ) * prng.standard_normal(n_p)
                latent_cache = {prog.kode: latent}  # keep one programme in memory
            latent = latent_cache[prog.kode]
            xlsx = self._is_xlsx(prog, region)
            periods = [1, 2, 3, 4] if prog.quarterly else [0]
            paid = 0
            most = 0
            for tahap in periods:
                snap = self.snaps[tahap - 1 if tahap else len(SNAPSHOTS) - 1]
                built = self.build(prog, r, tahap, snap, latent, threshold, xlsx)
                if built is None:
                    continue
                table, mangled, truth = built
                suffix = f"_tahap{tahap}" if tahap else ""
                ext = "xlsx" if xlsx else "csv"
                name = f"{prog.kode}_{region.code}_{YEAR}{suffix}.{ext}"
                rel = f"rosters/{region.code}/{YEAR}/{prog.kode}/{name}"
                if xlsx:
                    writer.xlsx(out_dir / rel, table, mangled)
                else:
                    writer.csv(out_dir / rel, table)
                rosters.append(
                    {
                        "file": rel,
                        "format": ext,
                        "kode_program": prog.kode,
                        "unit_sasaran": prog.unit,
                        "kode_wilayah": region.code,
                        "tahun": YEAR,
                        "tahap": tahap,
                        "reference_snapshot": snap.day.isoformat(),
                        **truth,
                    }
                )
                paid += truth["nilai_bantuan"]
                most = max(most, truth["penerima"])
            markup = rng.uniform(1.03, 1.12)
            if paid == 0:
                continue
            budget.append(
                {
                    "kode_program": prog.kode,
                    "kode_wilayah": region.code,
                    "tahun": YEAR,
                    "pagu": int(math.ceil(paid * markup / 1e6) * 1_000_000),
                    "target_penerima": int(round(most * rng.uniform(1.0, 1.1))),
                }
            )
        order_key = {
            (p.kode, reg.code): (i, j)
            for i, p in enumerate(PROGRAMMES)
            for j, reg in enumerate(self.regions)
        }
        rosters.sort(key=lambda t: (*order_key[(t["kode_program"], t["kode_wilayah"])], t["tahap"]))
        budget.sort(key=lambda t: order_key[(t["kode_program"], t["kode_wilayah"])])
        return rosters, budget

    @staticmethod
    def _is_xlsx(prog: Programme, region: _Region) -> bool:
        return region.code == XLSX_REGION or prog.local_region is not None
