"""Analysts' notebooks and documentation sites, on the shared nightly run.

Every notebook under notebooks/ runs top to bottom in a Jupyter kernel of this venv, with
TEPAT_MARTS_DIR pointing at the fixture's published marts; the figures of
ringkasan_wilayah.ipynb are compared with the marts and the generator's ground truth.
`tepat docs` without a warehouse; its build on the nightly run is in test_docs_offline.py.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from typer.testing import CliRunner

from orchestration.paths import PROJECT_ROOT

pytestmark = pytest.mark.e2e

NOTEBOOKS = sorted(
    path
    for path in (PROJECT_ROOT / "notebooks").rglob("*.ipynb")
    if ".ipynb_checkpoints" not in path.parts
)
SUMMARY = "ringkasan_wilayah.ipynb"
CHARTS = ("grafik-desil", "grafik-cakupan", "grafik-target")
#: Appended to each notebook in memory: which Python ran the kernel.
PROBE_ID = "probe-kernel-python"


@dataclass
class Executed:
    notebook: nbformat.NotebookNode
    seconds: float
    error: str | None


def cell(notebook: nbformat.NotebookNode, cell_id: str) -> nbformat.NotebookNode:
    return next(c for c in notebook.cells if c.get("id") == cell_id)


def stdout(code_cell: nbformat.NotebookNode) -> str:
    return "".join(
        o["text"] for o in code_cell.outputs if o.output_type == "stream" and o.name == "stdout"
    )


@pytest.fixture(scope="module")
def executed(nightly) -> dict[str, Executed]:
    """Each notebook executed once against the fixture's marts (errors kept, not raised)."""
    paths = nightly["paths"]
    runs: dict[str, Executed] = {}
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TEPAT_DATA_DIR", str(paths.data_dir))
        env.setenv("TEPAT_MARTS_DIR", str(paths.marts_dir))
        env.delenv("TEPAT_WAREHOUSE", raising=False)
        env.delenv("MPLBACKEND", raising=False)
        for path in NOTEBOOKS:
            notebook = nbformat.read(path, as_version=4)
            probe = nbformat.v4.new_code_cell("import sys\nprint(sys.executable)", id=PROBE_ID)
            notebook.cells.append(probe)
            # kernel "python3" is ipykernel's own spec: jupyter_client starts it with
            # sys.executable, i.e. this venv's Python; the probe cell proves it.
            client = NotebookClient(
                notebook,
                kernel_name="python3",
                timeout=300,
                startup_timeout=120,
                resources={"metadata": {"path": str(path.parent)}},
            )
            started = time.perf_counter()
            try:
                client.execute()
                error = None
            except CellExecutionError as failure:
                error = str(failure)
            runs[path.name] = Executed(notebook, time.perf_counter() - started, error)
    return runs


def test_there_is_a_notebook_for_analysts():
    assert SUMMARY in [path.name for path in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_is_committed_without_outputs(path: Path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    dirty = [
        c.get("id", index)
        for index, c in enumerate(notebook.cells)
        if c.cell_type == "code" and (c.outputs or c.execution_count is not None)
    ]
    assert not dirty, f"{path.name}: clear the outputs of cells {dirty} before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_top_to_bottom_in_the_venv_kernel(executed, path: Path):
    run = executed[path.name]
    assert run.error is None, f"{path.name} failed:\n{run.error}"
    code = [c for c in run.notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "some cells did not run"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    kernel_python = stdout(cell(run.notebook, PROBE_ID)).strip()
    assert Path(kernel_python) == Path(sys.executable), "the kernel is not this venv's Python"
    print(f"{path.name}: {run.seconds:.1f} s")


@pytest.fixture(scope="module")
def summary(executed) -> dict:
    run = executed[SUMMARY]
    assert run.error is None, run.error
    tagged = [c for c in run.notebook.cells if "ringkasan" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell is tagged 'ringkasan'"
    return json.loads(stdout(tagged[0]))


def test_summary_counts_the_households_of_the_region(summary, marts, nightly):
    assert (summary["kode_wilayah"], summary["tahun"]) == ("5371", 2025)  # the defaults
    desil = marts("mart_desil_distribution")
    desil["tanggal_snapshot"] = pd.to_datetime(desil["tanggal_snapshot"])
    region = desil[(desil["tingkat_wilayah"] == "kabkota") & (desil["kode_wilayah"] == "5371")]
    snapshot = region.loc[region["tanggal_snapshot"] <= "2025-12-31", "tanggal_snapshot"].max()
    assert summary["tanggal_snapshot"] == snapshot.date().isoformat()
    at_snapshot = region[region["tanggal_snapshot"] == snapshot]

    truth = nightly["truth"]["registry"][summary["tanggal_snapshot"]]
    by_desil = truth["households_by_kabkota_desil"]["5371"]
    expected = sum(by_desil.values())
    assert expected > 0
    assert summary["jumlah_keluarga"] == expected == at_snapshot["jumlah_keluarga"].sum()
    poorest = sum(by_desil[str(d)] for d in range(1, 5))
    assert summary["persen_keluarga_desil_1_4"] == pytest.approx(100 * poorest / expected, abs=0.01)

    wilayah = marts("dim_wilayah")
    kecamatan = wilayah[
        (wilayah["tingkat_wilayah"] == "kecamatan") & (wilayah["kode_induk"] == "5371")
    ]
    assert summary["jumlah_kecamatan"] == len(kecamatan) == 6


def test_summary_coverage_is_the_latest_period_of_each_programme(summary, marts):
    coverage = marts("mart_program_coverage")
    region = coverage[
        (coverage["tingkat_wilayah"] == "kabkota")
        & (coverage["kode_wilayah"] == "5371")
        & (coverage["tahun"] == 2025)
    ]
    latest = region[region["tahap"] == region.groupby("kode_program")["tahap"].transform("max")]
    assert set(summary["program"]) == set(latest["kode_program"])
    assert {"PKH", "BPNT", "PBI_JK"} <= set(summary["program"])
    for row in latest.itertuples():
        shown = summary["program"][row.kode_program]
        assert shown["tahap"] == row.tahap
        assert shown["sasaran_layak"] == row.sasaran_layak
        assert shown["penerima_layak"] == row.penerima_layak
        assert shown["cakupan"] == pytest.approx(row.cakupan)


def test_summary_p0_and_projection_come_from_the_target_gap(summary, marts, nightly):
    gap = marts("mart_target_gap")
    rows = gap[
        (gap["kode_wilayah"] == "5371")
        & (gap["indikator"] == "p0")
        & (gap["dokumen"] == summary["dokumen"])
    ]
    assert len(rows), f"no p0 target rows for {summary['dokumen']!r}"
    row = rows.iloc[0]
    (region,) = [r for r in nightly["truth"]["regions"] if r["kode_wilayah"] == "5371"]
    assert summary["nilai_terakhir"] == pytest.approx(region["p0_2025"])
    assert summary["nilai_terakhir"] == pytest.approx(row["nilai_terakhir"])
    assert summary["tahun_akhir"] == row["tahun_akhir"]
    assert summary["proyeksi_tahun_akhir"] == pytest.approx(row["proyeksi_tahun_akhir"])


def test_summary_notebook_draws_its_three_charts(executed):
    notebook = executed[SUMMARY].notebook
    for chart in CHARTS:
        images = [o for o in cell(notebook, chart).outputs if "image/png" in o.get("data", {})]
        assert len(images) == 1, f"cell {chart} drew {len(images)} figures, not 1"
        assert base64.b64decode(images[0]["data"]["image/png"]).startswith(b"\x89PNG")


def table_cells(code_cell: nbformat.NotebookNode) -> list[str]:
    """The data cells of the HTML tables a cell displayed."""
    html = "".join(o.get("data", {}).get("text/html", "") for o in code_cell.outputs)
    return [text.strip() for text in re.findall(r"<td[^>]*>([^<]*)</td>", html)]


def test_summary_notebook_writes_numbers_in_indonesian_style(executed, summary):
    """3.160 keluarga and 38,2 %, as the planners' workbooks write them: thousands with a
    dot, decimals with a comma, in printed lines and in the tables; statuses in the
    workbook's words (DESIGN §3.2)."""
    from orchestration.export.rpjmd import STATUS_WORDS

    notebook = executed[SUMMARY].notebook
    line = re.search(
        r"(\d{1,3}(?:\.\d{3})*) keluarga, (\d+,\d) % di desil 1–4\.",
        stdout(cell(notebook, "grafik-desil")),
    )
    assert line, stdout(cell(notebook, "grafik-desil"))
    assert int(line[1].replace(".", "")) == summary["jumlah_keluarga"]
    assert float(line[2].replace(",", ".")) == pytest.approx(
        summary["persen_keluarga_desil_1_4"], abs=0.051
    )
    coverage = table_cells(cell(notebook, "grafik-cakupan"))
    target = table_cells(cell(notebook, "grafik-target"))
    assert coverage and target
    dot_decimals = [t for t in coverage + target if re.fullmatch(r"-?[0-9]+\.[0-9]+", t)]
    assert not dot_decimals, dot_decimals
    for code, shown in summary["program"].items():
        if shown["cakupan"] is not None:
            percent = f"{100 * shown['cakupan']:.1f}".replace(".", ",")
            assert percent in coverage, (code, percent)
    assert {t for t in target if t in STATUS_WORDS}, target
    assert not [t for t in target if "track" in t]
    printed = "".join(stdout(c) for c in notebook.cells if c.cell_type == "code")
    assert not re.search(r"[0-9]\.[0-9]+ ?%", printed)
    assert "UTC" not in printed and re.search(r"dirilis .* pukul \d\d\.\d\d WITA", printed)


def test_docs_without_a_warehouse_says_to_run_make_run_first(tmp_path, monkeypatch):
    from orchestration.cli import app

    monkeypatch.setenv("TEPAT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TEPAT_WAREHOUSE", raising=False)
    result = CliRunner().invoke(app, ["docs"])
    assert result.exit_code == 2
    assert "run `make run` first" in result.output
    assert not (tmp_path / "data" / "docs").exists()


def test_dbt_docs_args_build_the_static_site_with_the_run_vars():
    from orchestration.docs import dbt_docs_args

    assert dbt_docs_args({}) == ["docs", "generate", "--static"]
    assert dbt_docs_args({"quarantine_thresholds": {"default": 0.05}}) == [
        "docs",
        "generate",
        "--static",
        "--vars",
        '{"quarantine_thresholds": {"default": 0.05}}',
    ]
