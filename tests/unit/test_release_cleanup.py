"""What an interrupted publication leaves, and what the next run removes (publish.py)."""

from __future__ import annotations

import os

from orchestration.assets.publish import RELEASE_FILE, clean_unpublished, switch_to


def release(folder, name: str, whole: bool = True):
    path = folder / ".marts_releases" / name
    path.mkdir(parents=True)
    (path / "mart_a.parquet").write_bytes(b"PAR1")
    if whole:
        (path / RELEASE_FILE).write_text("{}")
    return path


def test_leftovers_go_and_published_releases_stay(tmp_path):
    marts = tmp_path / "marts"
    older = release(tmp_path, "20261201T020000-aaaaaaaa")
    current = release(tmp_path, "20261202T020000-bbbbbbbb")
    switch_to(marts, current)
    unfinished = release(tmp_path, "20261203T020000-cccccccc", whole=False)
    never_switched = release(tmp_path, "20261203T020500-dddddddd")
    os.symlink(".marts_releases/20261203T020500-dddddddd", tmp_path / ".marts.1234abcd.tmp")

    removed = clean_unpublished(marts)

    assert len(removed) == 3, removed
    assert not unfinished.exists() and not never_switched.exists()
    assert not (tmp_path / ".marts.1234abcd.tmp").is_symlink()
    assert older.exists() and current.exists()
    assert os.path.realpath(marts) == str(current)
    assert clean_unpublished(marts) == []


def test_a_plain_marts_folder_is_never_cleaned(tmp_path):
    (tmp_path / "marts").mkdir()
    kept = release(tmp_path, "20261203T020500-dddddddd")
    unfinished = release(tmp_path, "20261203T030000-eeeeeeee", whole=False)
    clean_unpublished(tmp_path / "marts")
    assert kept.exists() and not unfinished.exists()
