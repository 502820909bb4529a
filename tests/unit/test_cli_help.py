"""What `tepat … --help` and a refused `tepat verval` say (issue 17, smaller points)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from orchestration.cli import app

WIDE = {"COLUMNS": "200", "TERM": "dumb"}


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), env={**WIDE, **(env or {})})


def option_row(output: str, option: str) -> str:
    """The help row of one option (rich panel), without the box drawing."""
    row = next(line for line in output.splitlines() if re.search(rf"│ {option}\b", line))
    return row.strip("│ ")


def test_flags_are_shown_as_flags_and_values_keep_their_type():
    result = invoke("run", "--help")
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    force = option_row(result.output, "--force")
    assert re.match(r"--force\s+Rebuild and publish", force), force
    assert re.match(r"--help\s+Show this message", option_row(result.output, "--help"))
    # Options that take a value still say which.
    assert "<int range>" in option_row(result.output, "--wait")
    assert "<int>" in option_row(result.output, "--demo-households")


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("export", "Planners' workbooks and CSV files"),
        ("verval", "Verval list: per kelurahan, the households to visit"),
        ("audit", "Verval exports: who exported personal data"),
    ],
)
def test_top_level_help_lists_every_command_with_one_line(command, words):
    result = invoke("--help")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    index = next(i for i, line in enumerate(lines) if re.match(rf"│ {command}\s", line))
    row = lines[index].strip("│ ")
    assert row.split(None, 1)[1].startswith(words), row
    # One line: the next row starts the next command (or closes the panel).
    assert re.match(r"(│ [a-z-]+\s|╰)", lines[index + 1]), lines[index + 1]


@pytest.mark.parametrize("args", [("verval",), ("verval", "--wilayah", "5371")])
def test_verval_without_keperluan_says_what_it_is_for(args, tmp_path):
    result = invoke(*args, env={"TEPAT_DATA_DIR": str(tmp_path / "data")})
    text = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "Missing option" not in text
    assert text.startswith("Missing --keperluan: why is this list needed?")
    assert "audit trail" in text and "at least 10 characters" in text
    assert '--keperluan "Verval PKH tahap 2 Kec. Oebobo, surat tugas 460/123/Dinsos/2025"' in text
    assert text.endswith("Nothing was exported.")
    assert not (tmp_path / "data" / "exports").exists()


def test_verval_with_a_too_short_keperluan_shows_the_examples_too(tmp_path):
    result = invoke(
        "verval", "--wilayah", "5371", "--keperluan", "cek",
        env={"TEPAT_DATA_DIR": str(tmp_path / "data")},
    )  # fmt: skip
    text = " ".join(result.output.split())
    assert result.exit_code == 2
    assert text.startswith("--keperluan 'cek' is too short")
    assert "Pemutakhiran DTSEN Kel. Fatululi" in text


def test_verval_without_wilayah_names_it(tmp_path):
    purpose = "Verval PKH tahap 2 Kec. Oebobo, surat tugas 460/123/Dinsos/2025"
    result = invoke(
        "verval", "--keperluan", purpose, env={"TEPAT_DATA_DIR": str(tmp_path / "data")}
    )
    assert result.exit_code == 2
    assert "Missing --wilayah" in result.output and "5371" in result.output


def test_tepat_dev_starts_dg_dev_which_is_installed():
    """`dagster dev` is superseded in Dagster 1.13 and warns on start; `tepat dev` execs
    `dg dev` (tests/faults/test_ui_binding.py starts it for real)."""
    import inspect
    import subprocess
    import sys
    from pathlib import Path

    from orchestration import cli

    source = inspect.getsource(cli.dev)
    assert '"dg"' in source and '"dev", "-m", "orchestration.definitions"' in source
    dg = Path(sys.executable).parent / "dg"
    shown = subprocess.run([str(dg), "--version"], capture_output=True, text=True, timeout=120)
    # The same Dagster release as the one pinned in pyproject.toml.
    assert shown.stdout.strip() == "dg, version 1.13.27", shown
