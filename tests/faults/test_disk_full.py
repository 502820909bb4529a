"""A full disk while loading and while publishing: a plain message naming the full folder
and the space needed, the last good release still published and readable, and the next run
after space is freed succeeds (docs/reliability.md).

The full disk is real: a size-limited tmpfs mounted for the test (needs root, as in CI),
filled with a ballast file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.faults.faultkit import assert_settled, copy_night, environment, mart_rows, tepat

pytestmark = pytest.mark.faults


@contextlib.contextmanager
def small_disk(folder: Path, megabytes: int):
    folder.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(disk: Path, leave_kb: int) -> Path:
    """Fill the disk but `leave_kb` with a ballast file."""
    ballast = disk / "ballast"
    free = shutil.disk_usage(disk).free - leave_kb * 1024
    with open(ballast, "wb") as out:
        os.posix_fallocate(out.fileno(), 0, free)
    return ballast


def current_release(marts: Path) -> str:
    return Path(os.path.realpath(marts)).name


def test_disk_full_while_loading(reference, tmp_path):
    with small_disk(tmp_path / "disk", 64) as disk:
        data = copy_night(reference["data"], disk / "data")
        home = tmp_path / "dagster_home"
        env = environment(data, home)
        before = current_release(data / "marts")
        # A corrected roster arrives: the night has a file to load.
        roster = sorted((data / "raw" / "rosters").rglob("*.csv"))[0]
        lines = roster.read_text().splitlines(keepends=True)
        roster.write_text("".join(lines[:-1]))
        ballast = fill(disk, leave_kb=0)

        full = tepat(env, "run")
        assert full.returncode == 1, full.stdout[-3000:]
        said = f"The disk is full: the folder {data} has 0 bytes free, and loading "
        assert said + "raw.roster_rows needs about" in full.stdout, full.stdout[-3000:]
        assert "What stopped the run: " + said in full.stdout
        assert "What to do: free at least" in full.stdout
        # the last good release is still published, whole and readable
        assert current_release(data / "marts") == before
        assert mart_rows(data / "marts") == reference["marts"]

        ballast.unlink()
        done = tepat(env, "run")
        assert done.returncode == 0, done.stdout[-3000:]
        assert current_release(data / "marts") != before
        assert_settled(data, home)


def test_disk_full_while_publishing(reference, tmp_path):
    """data/marts on a disk of its own (TEPAT_MARTS_DIR), full when the release is written."""
    data = copy_night(reference["data"], tmp_path / "data")
    with small_disk(tmp_path / "marts_disk", 4) as disk:
        old = data / ".marts_releases"
        shutil.move(old, disk / ".marts_releases")
        release = current_release(data / "marts")
        (data / "marts").unlink()
        os.symlink(f".marts_releases/{release}", disk / "marts")
        home = tmp_path / "dagster_home"
        env = environment(data, home, TEPAT_MARTS_DIR=str(disk / "marts"))
        ballast = fill(disk, leave_kb=128)

        full = tepat(env, "run", "--force")
        assert full.returncode == 1, full.stdout[-3000:]
        releases = disk / ".marts_releases"
        assert f"The disk is full: the folder {releases}" in full.stdout, full.stdout[-3000:]
        assert "writing the new release of the marts needs about" in full.stdout
        assert [p.name for p in releases.iterdir()] == [release], "no half release left"
        assert mart_rows(disk / "marts") == reference["marts"]

        ballast.unlink()
        done = tepat(env, "run", "--force")
        assert done.returncode == 0, done.stdout[-3000:]
        assert current_release(disk / "marts") != release
        assert mart_rows(disk / "marts") == reference["marts"]
