"""dagster-dbt's per-invocation target folders do not pile up night after night."""

import os

from orchestration.project import prune_invocation_targets


def test_only_the_newest_invocation_targets_are_kept(tmp_path):
    target = tmp_path / "target"
    folders = []
    for i in range(8):
        folder = target / f"tepat_dbt_models-run{i:03d}-abc{i}"
        (folder / "compiled").mkdir(parents=True)
        os.utime(folder, (1_000_000 + i, 1_000_000 + i))
        folders.append(folder)
    (target / "manifest.json").write_text("{}")  # Dagster's manifest: never touched
    (target / "other_op-run000-x").mkdir()  # another op's folder: not ours to remove

    prune_invocation_targets(folders[-1], keep=5)

    kept = sorted(p.name for p in target.iterdir())
    assert kept == sorted([f.name for f in folders[3:]] + ["manifest.json", "other_op-run000-x"])
