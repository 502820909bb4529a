"""The rewrite that makes GE's Data Docs open offline, on GE's own templates and a tiny site."""

from __future__ import annotations

import re
from pathlib import Path

import great_expectations
import pytest

from orchestration.docs import final_paths
from orchestration.quality.datadocs_offline import (
    VENDOR,
    make_offline,
    remote_addresses,
    rewrite_page,
)

TEMPLATES = Path(great_expectations.__file__).parent / "render" / "view" / "templates"
#: The templates whose <head> or script block loads something from a CDN (GE 1.24).
LOADING = ("js_script_imports.j2", "page.j2", "index_page.j2", "page_minimal.j2")
LOGO = (
    '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png'
    '?d=20261207T045218.815125Z&dataContextId=38ebf960"/>'
    "<style>.x { background: url('https://great-expectations-web-assets.s3.us-east-2"
    ".amazonaws.com/full_logo_dark.png') 0 0 no-repeat; }</style>"
)
LOCAL_REF = re.compile(r"""(?:src|href)="((?:\.\./)*static/[^"]+)"|url\('([^']+)'\)""")


def page_like_ge(body: str = "") -> str:
    """A page as GE writes it: every CDN tag of its templates, its logo, a body."""
    head = "\n".join((TEMPLATES / name).read_text() for name in LOADING)
    return f"<html><head>{head}</head><body>{LOGO}{body}</body></html>"


@pytest.mark.parametrize("template", LOADING)
def test_each_ge_template_loads_nothing_from_the_network_once_rewritten(template):
    text = (TEMPLATES / template).read_text()
    assert remote_addresses(text), f"{template} loads nothing remote: is this still GE 1.24?"

    assert remote_addresses(rewrite_page(text, "../")) == []


def test_scripts_keep_their_order_and_lose_the_cdn_integrity_checks():
    text = rewrite_page((TEMPLATES / "js_script_imports.j2").read_text(), "")
    scripts = re.findall(r'<script src="([^"]+)"', text)
    assert scripts == [
        f"{VENDOR}/jquery/jquery.min.js",
        f"{VENDOR}/bootstrap/js/bootstrap.bundle.min.js",  # Popper is inside
        f"{VENDOR}/bootstrap-table/bootstrap-table.min.js",
        f"{VENDOR}/bootstrap-table/bootstrap-table-filter-control.min.js",
        f"{VENDOR}/bootstrap-datepicker/bootstrap-datepicker.js",
    ]
    assert "integrity=" not in text and "crossorigin" not in text


def test_a_site_made_offline_points_only_at_files_it_holds(tmp_path):
    site = tmp_path / "local_site"
    index = site / "index.html"
    deep = site / "validations" / "suite__rows" / "run" / "20261207T045217Z" / "page.html"
    for page in (index, deep):
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(page_like_ge())
    (site / "static" / "images").mkdir(parents=True)
    (site / "static" / "images" / "logo-long.png").write_bytes(b"\x89PNG")

    result = make_offline(site)

    assert (result.pages, result.rewritten, result.remote) == (2, 2, [])
    for page in (index, deep):
        text = page.read_text()
        refs = [a or b for a, b in LOCAL_REF.findall(text)]
        assert len(refs) >= 11, refs  # 6 styles, 5 scripts, the logo twice
        missing = [ref for ref in refs if not (page.parent / ref).resolve().is_file()]
        assert not missing, missing
        assert "vega" not in text and "bootstrap-dark" not in text
    assert 'href="../../../../static/vendor/font-awesome/css/all.min.css"' in deep.read_text()
    assert (site / VENDOR / "font-awesome" / "webfonts" / "fa-solid-900.woff2").is_file()

    again = make_offline(site)
    assert (again.rewritten, again.remote) == (0, [])
    assert make_offline(site, full=False).pages == 0  # nothing written since


def test_what_the_rewrite_does_not_know_is_reported(tmp_path):
    site = tmp_path / "local_site"
    site.mkdir()
    chart = '<div id="c"></div><script>vegaEmbed("#c", {});</script>'
    unknown = '<script src="https://cdn.example.org/new-widget.js"></script>'
    (site / "chart.html").write_text(page_like_ge(chart))
    (site / "new.html").write_text(page_like_ge(unknown))

    remote = sorted(make_offline(site).remote)

    assert remote == [
        ("chart.html", "https://cdn.jsdelivr.net/npm/vega-embed@6"),
        ("chart.html", "https://cdn.jsdelivr.net/npm/vega-lite@5"),
        ("chart.html", "https://cdn.jsdelivr.net/npm/vega@5"),
        ("new.html", "https://cdn.example.org/new-widget.js"),
    ]


def test_dbt_lines_name_the_final_folder_not_the_scratch_one(tmp_path):
    target = tmp_path / "data" / "docs" / ".build-x1y2" / "target"
    final = tmp_path / "data" / "docs" / "dbt"

    assert final_paths(f"Catalog written to {target}/catalog.json", target, final) == (
        f"Catalog written to {final}/catalog.json"
    )
    assert final_paths(f"wrote {target}/static_index.html", target, final) == (
        f"wrote {final}/index.html"
    )
    assert final_paths("Building catalog", target, final) == "Building catalog"
