"""`tepat docs` on the shared nightly run, and the GE Data Docs opened with the network off.

The docs are built once for this module (`dbt docs generate` takes ~30 s). The pages are
opened from disk in headless Chromium whose every connection fails (a proxy on a closed
port, and every host name unresolvable); the table of validation results on the Data Docs
index is filled by bootstrap-table's JavaScript, so its rows appear only when the scripts
came from the site itself.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Chromium is not installed: as root, `apt-get update && apt-get install -y "
    "chromium` (.ci/run does this before `make test`)",
)
#: Hosts GE 1.24's pages load scripts, styles and images from.
CDN_HOSTS = (
    "unpkg.com",
    "cdnjs.cloudflare.com",
    "cdn.jsdelivr.net",
    "bootstrapcdn.com",
    "code.jquery.com",
    "amazonaws.com",
)
#: bootstrap-table's default page size on the index.
PAGE_SIZE = 10
#: The site the checks write each night (what `tepat check` points at), under data/.
NIGHTLY_SITE = "quality/gx/uncommitted/data_docs/local_site"


@pytest.fixture(scope="module")
def docs_run(nightly):
    """`tepat docs` once, as a user types it: its exit code and what it printed."""
    from orchestration.cli import app

    paths = nightly["paths"]
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TEPAT_DATA_DIR", str(paths.data_dir))
        env.delenv("TEPAT_WAREHOUSE", raising=False)
        result = CliRunner().invoke(app, ["docs"])
    return result


def offline_dom(page: Path, profile: Path) -> str:
    """The page's DOM after its scripts ran, in Chromium with no network at all."""
    done = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--proxy-server=127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--virtual-time-budget=10000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def validation_results(paths) -> list[str]:
    """The suite name of every validation result in the GX store (one row each)."""
    store = paths.data_dir / "quality" / "gx" / "uncommitted" / "validations"
    return sorted(p.relative_to(store).parts[0] for p in store.rglob("*.json"))


def results_table(dom: str) -> tuple[list[str], int]:
    """The rows of the index's validation results table and the total bootstrap-table's
    pagination says it holds."""
    start = dom.index("ge-index-page-validation-results-table")
    table = dom[start : dom.index("</table>", start)]
    rows = re.findall(r"<tr[^>]*data-index=\"\d+\"[^>]*>(.*?)</tr>", table, re.DOTALL)
    total = re.search(r"Showing 1 to \d+ of (\d+) rows", dom[start:])
    assert total, "no pagination under the validation results: bootstrap-table did not run"
    return rows, int(total.group(1))


def assert_nothing_remote(site: Path, results: list[str]) -> None:
    """No page or stylesheet of the site (its vendored copies aside) fetches anything."""
    from orchestration.quality.datadocs_offline import VENDOR, remote_addresses

    pages = [
        path
        for path in sorted(site.rglob("*"))
        if path.suffix in {".html", ".css"} and VENDOR not in path.relative_to(site).as_posix()
    ]
    # a page per validation result and one per suite, and the index
    assert len([p for p in pages if p.suffix == ".html"]) >= 2 * len(results) + 1
    for page in pages:
        text = page.read_text()
        assert remote_addresses(text) == [], page
        hosts = [host for host in CDN_HOSTS if host in text]
        assert not hosts, f"{page} still names {hosts}"


def assert_index_lists_every_result(index: Path, results: list[str], profile: Path) -> None:
    rows, total = results_table(offline_dom(index, profile))

    assert total == len(results)
    assert len(rows) == min(PAGE_SIZE, len(results))
    for row in rows:
        assert "fa-check-circle" in row or "fa-times-circle" in row, row[:300]
        suite = re.search(r'href="expectations/([^"]+)\.html"', row)
        assert suite and suite.group(1) in results, row[:600]


# The night's own Data Docs first, before `tepat docs` (which makes them offline too) runs.


def test_the_nights_data_docs_load_nothing_from_the_network(nightly):
    paths = nightly["paths"]
    assert_nothing_remote(paths.data_dir / NIGHTLY_SITE, validation_results(paths))


@needs_chromium
def test_the_nights_data_docs_list_every_validation_result_offline(nightly, tmp_path):
    paths = nightly["paths"]
    results = validation_results(paths)
    assert len(results) >= 40, results  # a raw and a mart suite per table, at least
    index = paths.data_dir / NIGHTLY_SITE / "index.html"
    assert_index_lists_every_result(index, results, tmp_path / "profile")


@needs_chromium
def test_the_network_is_really_off_in_the_browser(tmp_path):
    page = tmp_path / "cdn.html"
    page.write_text(
        '<html><head><script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
        "</head><body><p id=probe>network?</p><script>"
        "document.getElementById('probe').textContent = 'jquery:' + typeof jQuery;"
        "</script></body></html>"
    )
    assert "jquery:undefined" in offline_dom(page, tmp_path / "profile")


def test_docs_builds_the_dbt_site_and_the_data_docs(nightly, docs_run):
    result = docs_run
    assert result.exit_code == 0, result.output
    paths = nightly["paths"]
    docs = paths.data_dir / "docs"
    marts = sorted(path.stem for path in paths.marts_dir.glob("*.parquet"))
    assert "mart_desil_distribution" in marts

    dbt_page = (docs / "dbt" / "index.html").read_text()
    catalog = json.loads((docs / "dbt" / "catalog.json").read_text())
    landing = (docs / "index.html").read_text()
    quality = (docs / "quality" / "index.html").read_text()
    for mart in marts:
        assert mart in dbt_page, f"{mart} missing from the dbt docs"
        # The catalog was read from the warehouse: column types of every published table.
        assert catalog["nodes"][f"model.tepat.{mart}"]["columns"], mart
        assert f"model.tepat.{mart}" in landing
        assert f"{mart}__" in quality, f"no GE results for {mart} in the Data Docs"
    assert not [p.name for p in docs.iterdir() if p.name.startswith(".")], "scratch left over"


def test_every_path_docs_prints_exists(nightly, docs_run):
    output = docs_run.output
    docs = nightly["paths"].data_dir / "docs"
    printed = re.findall(r"(/[^\s'\"`]+)", output)
    assert f"Catalog written to {docs / 'dbt' / 'catalog.json'}" in output
    assert f"Open {docs / 'index.html'} in a browser." in output
    assert ".build-" not in output, output
    missing = [path for path in printed if not Path(path.rstrip(".,:")).exists()]
    assert not missing, f"printed but not there after `tepat docs`: {missing}"


def test_tepat_docs_copies_data_docs_that_load_nothing_from_the_network(nightly, docs_run):
    assert docs_run.exit_code == 0, docs_run.output
    paths = nightly["paths"]
    assert_nothing_remote(paths.data_dir / "docs" / "quality", validation_results(paths))


@needs_chromium
def test_tepat_docs_data_docs_list_every_validation_result_offline(nightly, docs_run, tmp_path):
    assert docs_run.exit_code == 0, docs_run.output
    paths = nightly["paths"]
    index = paths.data_dir / "docs" / "quality" / "index.html"
    assert_index_lists_every_result(index, validation_results(paths), tmp_path / "profile")
