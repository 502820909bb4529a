"""The ground truth: every number the end-to-end tests hold the marts against, counted from
the generator's own state, never by re-reading the files it wrote.

The registry of each snapshot, the desil transitions, each roster (from the category of each
of its rows: the coverage rules of DESIGN §3.1 as the generator applies them) and the verval
list; `_ground_truth` puts them together.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pyarrow as pa

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
from orchestration.demo.config import SNAPSHOTS, STALE_MONTHS, YEAR, ErrorRates, Volume
from orchestration.demo.regions import _Region
from orchestration.demo.registry import _BUKAN_LISTRIK, _NON_PLN, _TANAH, _Universe
from orchestration.demo.snapshots import _Snapshot
from orchestration.demo.vectors import _day, _minus_months

ASSET_CONTRADICTION_RULE = (
    "(desil in (1,2) and punya_mobil = 1) or (desil in (9,10) and jenis_lantai = 'tanah' "
    "and sumber_penerangan in ('non_pln','bukan_listrik'))"
)
#: The desil label of a household the registry has not ranked.
UNRANKED = "belum_diperingkat"


def _desil_label(d: int) -> str:
    return UNRANKED if d == 0 else str(d)


def _asset_contradiction(u: _Universe, households: np.ndarray, desil: np.ndarray) -> np.ndarray:
    """ASSET_CONTRADICTION_RULE on the generator's state."""
    poor = np.isin(desil, (1, 2)) & (u.hh["punya_mobil"][households] == 1)
    rich = (
        np.isin(desil, (9, 10))
        & (u.hh["jenis_lantai"][households] == _TANAH)
        & np.isin(u.hh["sumber_penerangan"][households], (_NON_PLN, _BUKAN_LISTRIK))
    )
    return poor | rich


def _registry_truth(u: _Universe, snap: _Snapshot, regions: list[_Region]) -> dict:
    s = snap.index
    hh = snap.hh
    desil = u.desil[s][hh]
    kab = u.hh["kab"][hh]
    status = u.status[s][snap.people]
    threshold = _day(_minus_months(snap.day, STALE_MONTHS))
    stale = u.updated[s][hh] < threshold
    by_desil: dict[str, dict[str, int]] = {}
    people_by_desil: dict[str, dict[str, int]] = {}
    living_kab = u.hh["kab"][u.pp["hh"][snap.living]]
    living_desil = u.desil[s][u.pp["hh"][snap.living]]
    for r, region in enumerate(regions):
        hh_counts = np.bincount(desil[kab == r], minlength=11)
        pp_counts = np.bincount(living_desil[living_kab == r], minlength=11)
        by_desil[region.code] = {_desil_label(d): int(hh_counts[d]) for d in [*range(1, 11), 0]}
        people_by_desil[region.code] = {
            _desil_label(d): int(pp_counts[d]) for d in [*range(1, 11), 0]
        }
    if s > 0:
        before = u.present(s - 1)
        both = before & u.present(s)
        d_prev, d_now = u.desil[s - 1], u.desil[s]
        moves = int((both & (d_prev > 0) & (d_now > 0) & (d_prev != d_now)).sum())
        newly_ranked = int((both & (d_prev == 0) & (d_now > 0)).sum())
        new = int((u.created == s).sum())
        gone = int((u.vanished == s).sum())
    else:
        moves = newly_ranked = new = gone = 0
    return {
        "households": len(hh),
        "people": len(snap.people),
        "living_people": int((status == 1).sum()),
        "deceased": int((status == 2).sum()),
        "moved": int((status == 3).sum()),
        "unranked_households": int((desil == 0).sum()),
        "stale_households": int(stale.sum()),
        "asset_contradictions": int(_asset_contradiction(u, hh, desil).sum()),
        "shared_no_kk_households": int(snap.shared_no_kk[hh].sum()),
        "new_households": new,
        "vanished_households": gone,
        "desil_moves": moves,
        "newly_ranked_households": newly_ranked,
        "households_by_kabkota_desil": by_desil,
        "living_people_by_kabkota_desil": people_by_desil,
        "stale_households_by_kabkota": {
            region.code: int(stale[kab == r].sum()) for r, region in enumerate(regions)
        },
    }


def _transitions(u: _Universe, regions: list[_Region]) -> list[dict]:
    """mart_desil_transitions as the generator knows it (kabupaten/kota level)."""
    out = []
    for s in range(1, len(SNAPSHOTS)):
        before, after = u.present(s - 1), u.present(s)
        either = np.flatnonzero(before | after)
        src = np.where(before[either], u.desil[s - 1][either], 11)  # 11 = baru
        dst = np.where(after[either], u.desil[s][either], 12)  # 12 = keluar
        key = (u.hh["kab"][either].astype(np.int64) * 13 + src) * 13 + dst
        values, counts = np.unique(key, return_counts=True)
        for value, count in zip(values.tolist(), counts.tolist(), strict=True):
            kab, rest = divmod(value, 169)
            a, b = divmod(rest, 13)
            out.append(
                {
                    "tanggal_snapshot_asal": SNAPSHOTS[s - 1].isoformat(),
                    "tanggal_snapshot_tujuan": SNAPSHOTS[s].isoformat(),
                    "kode_wilayah": regions[kab].code,
                    "desil_asal": "baru" if a == 11 else _desil_label(a),
                    "desil_tujuan": "keluar" if b == 12 else _desil_label(b),
                    "jumlah_keluarga": count,
                }
            )
    return out


def _roster_truth(
    *,
    is_keluarga: bool,
    sasaran_layak: int,
    category: np.ndarray,
    nilai: np.ndarray,
    unit_desil: np.ndarray,
    recovered: int,
) -> dict:
    """One roster's numbers (DESIGN §3.1), counted from the category of each of its rows.

    Quarantine candidates (categories 7–9) are in no recipient count. In a keluarga
    programme the household of a deceased recipient, and one matched by its no_kk alone, is
    an eligible recipient; in an individu programme a deceased recipient is
    penerima_tidak_layak (but not an ineligible_recipient). `unit_desil` is the desil of the
    household each row names (-1: none), `recovered` the base rows whose NIK is a number
    cell that can be recovered.
    """
    n = np.bincount(category, minlength=10).tolist()
    if is_keluarga:
        layak = n[CAT_BASE] + n[CAT_DECEASED] + n[CAT_NO_KK_ONLY]
        tidak_layak = n[CAT_INELIGIBLE]
    else:
        layak = n[CAT_BASE]
        tidak_layak = n[CAT_INELIGIBLE] + n[CAT_DECEASED]
    valid = ~np.isin(category, _QUARANTINED)
    label = np.where(category == CAT_NOT_IN_REGISTRY, 11, unit_desil)
    by_desil = np.bincount(label[valid].astype(np.int64), weights=nilai[valid], minlength=12)
    incidence = {_desil_label(k): int(by_desil[k]) for k in [*range(1, 11), 0]}
    incidence["tidak_padan"] = int(by_desil[11])
    return {
        "rows": len(category),
        "sasaran_layak": sasaran_layak,
        "penerima": layak + tidak_layak,
        "penerima_layak": layak,
        "penerima_tidak_layak": tidak_layak,
        "eligible_left_out": sasaran_layak - layak,
        "ineligible_recipients": n[CAT_INELIGIBLE],
        "not_in_registry": n[CAT_NOT_IN_REGISTRY],
        "no_kk_only_matches": n[CAT_NO_KK_ONLY],
        "deceased_recipients": n[CAT_DECEASED],
        "duplicate_rows": n[CAT_DUPLICATE],
        "excel_mangled_niks": n[CAT_EXCEL_MANGLED],
        "excel_recovered_niks": recovered,
        "invalid_niks": n[CAT_INVALID_NIK],
        "unknown_region_codes": n[CAT_UNKNOWN_REGION],
        "nilai_bantuan": int(nilai.sum()),
        "nilai_bantuan_valid_rows": int(nilai[valid].sum()),
        "nilai_bantuan_by_desil": incidence,
    }


@dataclass(frozen=True)
class _VervalRows:
    """What the verval truth keeps of one roster category (every roster's are kept until the
    end, so nothing more): the distinct households it names or, for NIKs not in the registry
    (category 5), the NIKs and their desa codes."""

    category: int
    households: np.ndarray  # distinct universe indices; empty for category 5
    nik: pa.Array | None = None  # category 5 only
    kode_wilayah: pa.Array | None = None  # category 5 only


#: The reasons of the verval list (dbt_project/seeds/verval_alasan.csv), in priority order.
VERVAL_REASONS: tuple[str, ...] = (
    "meninggal", "eksklusi", "inklusi", "tidak_padan", "ganda", "aset_tidak_sesuai",
    "tidak_mutakhir",
)  # fmt: skip


def _verval_truth(
    u: _Universe,
    regions: list[_Region],
    last: _Snapshot,
    rosters: list[tuple[str, list[_VervalRows]]],
) -> dict:
    """Who the verval list of YEAR must name, reason by reason, from the generator's choices.

    Programme reasons are cases (unit × programme, over every period of the year): the unit
    is the household — of the recipient (keluarga) or of the person (individu) — and, for
    roster NIKs not in DTSEN, the NIK. Registry reasons are households of the year's
    reference snapshot (the last one). Quarantined rows (categories 7–9) match nobody.
    Household ids are turned into text only for the households named.
    """
    codes = [r.code for r in regions]
    programme_reasons = ("meninggal", "inklusi", "tidak_padan", "ganda")
    cases: dict[str, set[tuple[str, str]]] = {k: set() for k in programme_reasons}
    kab_of: dict[str, str] = {}

    def household_ids(index: np.ndarray) -> list[str]:
        """id_keluarga of universe households `index`, noting their kabupaten/kota."""
        ids = u.id_keluarga_text(index).to_pylist()
        kab_of.update(zip(ids, (codes[k] for k in u.hh["kab"][index].tolist()), strict=True))
        return ids

    received: list[np.ndarray] = []
    by_category = {CAT_INELIGIBLE: "inklusi", CAT_DECEASED: "meninggal", CAT_DUPLICATE: "ganda"}
    for kode, parts in rosters:
        for rows in parts:
            if rows.category == CAT_NOT_IN_REGISTRY:
                for nik, desa in zip(
                    rows.nik.to_pylist(), rows.kode_wilayah.to_pylist(), strict=True
                ):
                    cases["tidak_padan"].add((nik, kode))
                    kab_of[nik] = desa[:4]
                continue
            received.append(rows.households)
            reason = by_category.get(rows.category)
            if reason:
                cases[reason].update((unit, kode) for unit in household_ids(rows.households))

    s = last.index
    hh = last.hh
    desil = u.desil[s][hh]
    got = np.zeros(len(u.hh["kab"]), bool)
    if received:
        got[np.concatenate(received)] = True
    threshold = _day(_minus_months(last.day, STALE_MONTHS))
    registry = {
        "eksklusi": hh[np.isin(desil, (1, 2)) & ~got[hh]],
        "aset_tidak_sesuai": hh[_asset_contradiction(u, hh, desil)],
        "tidak_mutakhir": hh[u.updated[s][hh] < threshold],
    }

    def entry(keys: list[tuple[str, str]], units: set[str]) -> dict:
        by_kab = {code: 0 for code in codes}
        for unit, _ in keys:
            by_kab[kab_of[unit]] += 1
        return {
            "kasus": len(keys),
            "unit": len(units),
            "kasus_by_kabkota": by_kab,
            "daftar": sorted(f"{unit}|{kode}" if kode else unit for unit, kode in keys),
        }

    out: dict[str, dict] = {}
    for reason in VERVAL_REASONS:
        if reason in cases:
            keys = sorted(cases.pop(reason))  # popped: one reason's cases at a time
        else:
            keys = [(unit, "") for unit in household_ids(registry[reason])]
        out[reason] = entry(keys, {unit for unit, _ in keys})
    return {
        "tahun": YEAR,
        "tanggal_snapshot_acuan": last.day.isoformat(),
        "reasons": out,
    }


def _ground_truth(
    *,
    seed: int,
    households: int,
    regions: list[_Region],
    rates: ErrorRates,
    volume: Volume,
    universe: _Universe,
    registry: dict[str, dict],
    rosters: list[dict],
    budget: list[dict],
    last: _Snapshot,
    verval_rows: list[tuple[str, list[_VervalRows]]],
) -> dict:
    """The truth of one generation, as `generate()` returns and writes it.

    `registry` holds `_registry_truth` of each snapshot, `rosters` and `budget` what
    `_RosterBuilder.build_all` returned, `verval_rows` the builder's `verval_rows`, and
    `last` the last snapshot. The truth:

    - `seed`, `households`, `snapshots` (ISO dates), `rates` (the ErrorRates used), `volume`,
      `asset_contradiction_rule` (ASSET_CONTRADICTION_RULE), `regions` (code, name, real
      2025 P0 and derived population, number of desa, households in the first snapshot).
    - `registry[<snapshot>]`: households, people (anggota rows), living_people, deceased,
      moved (status pindah), unranked_households, stale_households (tanggal_pemutakhiran
      before the snapshot date minus 24 months), asset_contradictions (the rule),
      shared_no_kk_households (households whose no_kk another household of the snapshot
      also has), new_households / vanished_households / desil_moves / newly_ranked_households
      (against the previous snapshot, by id_keluarga), households_by_kabkota_desil and
      living_people_by_kabkota_desil ({kabkota: {"1".."10", "belum_diperingkat": n}}),
      stale_households_by_kabkota.
    - `desil_transitions`: rows of mart_desil_transitions (DESIGN §3.1) at kabkota level.
    - `rosters`: one entry per file: file (relative to out_dir), format, kode_program,
      unit_sasaran, kode_wilayah, tahun, tahap (0 = whole year), reference_snapshot, rows,
      and the DESIGN §3.1 numbers with quarantine candidates (invalid NIK, Excel-mangled
      NIK, unknown region code) excluded: sasaran_layak, penerima, penerima_layak,
      penerima_tidak_layak, eligible_left_out; the injected categories
      ineligible_recipients, not_in_registry (distinct NIKs), no_kk_only_matches,
      deceased_recipients, duplicate_rows, excel_mangled_niks (NIK as a number, no name
      or KK to confirm it: quarantined), excel_recovered_niks (base recipients whose NIK
      is a number but recoverable: counted), invalid_niks, unknown_region_codes;
      nilai_bantuan (all rows), nilai_bantuan_valid_rows and
      nilai_bantuan_by_desil (valid rows by the desil of the unit's household,
      "tidak_padan" for rows that match nothing). For individu programmes a deceased
      recipient is penerima_tidak_layak but not an ineligible_recipient.
    - `anggaran`: the rows of referensi/anggaran_program.csv.
    - `totals`: every integer roster count summed over all rosters.
    - `verval`: the field-verification list of YEAR (restricted.verval_kasus): `tahun`,
      `tanggal_snapshot_acuan` and, per reason (VERVAL_REASONS), `kasus` (unit ×
      programme for programme reasons, households for registry reasons), `unit` (distinct
      households, or NIKs for tidak_padan), `kasus_by_kabkota` and `daftar` (the sorted
      cases, `<id_keluarga or NIK>|<kode_program>`, or `<id_keluarga>`). Recorded from
      the roster builder's rows; it changes no generated file.
    """
    count_keys = (
        [k for k, v in rosters[0].items() if isinstance(v, int) and k not in ("tahun", "tahap")]
        if rosters
        else []
    )
    totals = {k: sum(t[k] for t in rosters) for k in count_keys}
    first = SNAPSHOTS[0].isoformat()
    truth = {
        "seed": seed,
        "households": households,
        "snapshots": [d.isoformat() for d in SNAPSHOTS],
        "regions": [
            {
                "kode_wilayah": region.code,
                "nama_wilayah": region.name,
                "p0_2025": region.p0,
                "penduduk_2025": round(region.population),
                "desa": len(region.desa),
                "households_first_snapshot": sum(
                    registry[first]["households_by_kabkota_desil"][region.code].values()
                ),
            }
            for region in regions
        ],
        "rates": asdict(rates),
        "volume": asdict(volume),
        "asset_contradiction_rule": ASSET_CONTRADICTION_RULE,
        "registry": registry,
        "desil_transitions": _transitions(universe, regions),
        "rosters": rosters,
        "anggaran": budget,
        "totals": totals,
        "verval": _verval_truth(universe, regions, last, verval_rows),
    }
    return truth
