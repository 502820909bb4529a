"""The bench's new-registry-snapshot night (issue 20) is made from the latest snapshot: a
real change the loader loads (not a byte copy), with every untouched field kept as written."""

import csv

import pytest

from bench.run import _next_quarter_end, write_next_snapshot

KELUARGA = ["id_keluarga", "no_kk", "kode_wilayah", "desil", "tanggal_pemutakhiran", "nama_jalan"]
ANGGOTA = ["nik", "id_keluarga", "nama", "tanggal_lahir"]


@pytest.mark.parametrize(
    ("latest", "following"),
    [
        ("2025-12-31", "2026-03-31"),
        ("2025-03-31", "2025-06-30"),
        ("2025-09-30", "2025-12-31"),
        ("2024-11-30", "2025-02-28"),
    ],  # fmt: skip
)
def test_the_new_snapshot_is_dated_a_quarter_later(latest, following):
    assert _next_quarter_end(latest) == following


def test_the_new_snapshot_moves_a_tenth_by_one_desil_and_drops_the_last_household(tmp_path):
    latest = tmp_path / "registry" / "2025-12-31"
    latest.mkdir(parents=True)
    households = [
        [
            f"KLG{i:09d}",
            f"53710101012{i:05d}",
            "5371011001",
            "" if i % 97 == 0 else str(i % 10 + 1),
            "2024-12-06",
            f"Jl. Timor {i}, RT 01",
        ]  # fmt: skip
        for i in range(1, 2001)
    ]
    members = [
        [f"53710141019{i:05d}", f"KLG{i:09d}", f"Nama, {i}", "1990-01-01"] for i in range(1, 2001)
    ]
    for name, header, rows in (("keluarga", KELUARGA, households), ("anggota", ANGGOTA, members)):
        with (latest / f"{name}.csv").open("w", newline="") as out:
            csv.writer(out).writerows([header, *rows])
    target = tmp_path / "registry" / "2026-03-31"

    write_next_snapshot(latest, target, tmp_path / "tmp")

    with (target / "keluarga.csv").open(newline="") as source:
        new = list(csv.reader(source))
    with (target / "anggota.csv").open(newline="") as source:
        new_members = list(csv.reader(source))
    assert new[0] == KELUARGA and new_members[0] == ANGGOTA
    assert new[1:] and [r[0] for r in new[1:]] == [r[0] for r in households[:-1]]
    assert new_members[1:] == members[:-1]  # the last household's member left with it
    moved = 0
    for before, after in zip(households, new[1:], strict=False):
        if after == before:
            continue
        moved += 1
        assert after[:3] == before[:3] and after[5] == before[5]
        assert abs(int(after[3]) - int(before[3])) <= 1 and 1 <= int(after[3]) <= 10
        assert after[4] == "2026-03-31"
    assert 100 <= moved <= 300  # about a tenth of 2,000 (a hash picks them)
    assert all(after[3] == "" for after in new[1:] if after[0] == "KLG000000097")
