"""`tepat docs`: the dbt docs site and the Great Expectations Data Docs under data/docs/.

- data/docs/dbt/index.html — `dbt docs generate --static`: one self-contained page (models,
  columns and their descriptions, lineage, column types from the warehouse's catalog) that
  opens from disk without a web server.
- data/docs/quality/index.html — the GE Data Docs the nightly checks write under
  data/quality/ (rebuilt from the stored results if the site itself is missing), with the
  scripts and styles their pages load copied in, so they open without internet
  (orchestration/quality/datadocs_offline.py); the site under data/quality/ is made offline
  too, since `tepat check` points at it.
- data/docs/index.html — a landing page linking both, with one line per published mart.

dbt reads the catalog from the warehouse, so the warehouse must exist (`make run`) and must
not be being written at that moment. Everything is built in a scratch folder beside
data/docs/ and moved into place at the end, so a failed build leaves the previous docs;
what dbt prints names the final paths, never that scratch folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import io
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from orchestration.paths import Paths

#: Files copied from dbt's target folder; static_index.html becomes index.html.
DBT_ARTIFACTS = ("manifest.json", "catalog.json")
DBT_DOCS_URL = "dbt/index.html#!/model/"


class DocsError(Exception):
    """A problem the user can fix, said in plain words."""


class DocsNotReady(DocsError):
    """No warehouse yet, or the nightly job is writing it: nothing is wrong, try later."""


@dataclass(frozen=True)
class DocsSites:
    root: Path
    dbt: Path
    quality: Path | None
    marts: list[str]


def docs_dir(paths: Paths) -> Path:
    return paths.data_dir / "docs"


def quality_dir(paths: Paths) -> Path:
    """The GX project of the nightly checks (orchestration/checks.py)."""
    return paths.data_dir / "quality"


def quality_site(paths: Paths) -> Path:
    return quality_dir(paths) / "gx" / "uncommitted" / "data_docs" / "local_site"


def dbt_docs_args(dbt_vars: dict[str, object]) -> list[str]:
    """Arguments of `dbt docs generate` (pure): the single-file static site, compiled with the
    same vars as the nightly `dbt build` so the compiled SQL shown is the SQL that ran."""
    args = ["docs", "generate", "--static"]
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars, sort_keys=True)]
    return args


def build_docs(paths: Paths) -> DocsSites:
    """Build both sites into data/docs/ (see the module docstring)."""
    if not paths.warehouse.exists():
        raise DocsNotReady(
            f"No warehouse at {paths.warehouse} yet: run `make run` first, then `make docs`."
        )
    _check_warehouse_readable(paths.warehouse)
    root = docs_dir(paths)
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    try:
        marts = _build_dbt_site(paths, scratch / "dbt", scratch / "target")
        has_quality = _copy_quality_site(paths, scratch / "quality")
        (scratch / "index.html").write_text(_landing_page(paths, marts, has_quality))
        for name in ("dbt", "quality", "index.html"):
            _swap_in(scratch / name, root / name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return DocsSites(
        root=root,
        dbt=root / "dbt" / "index.html",
        quality=root / "quality" / "index.html" if has_quality else None,
        marts=list(marts),
    )


def _check_warehouse_readable(warehouse: Path) -> None:
    import duckdb

    try:
        duckdb.connect(str(warehouse), read_only=True).close()
    except duckdb.Error as error:
        raise DocsNotReady(
            f"Cannot open {warehouse} ({error}). The nightly job is probably writing it right "
            "now; try `make docs` again when it ends."
        ) from None


def _build_dbt_site(paths: Paths, out: Path, target: Path) -> dict[str, str]:
    """`dbt docs generate --static` into a scratch target folder (never dbt_project/target,
    whose manifest Dagster reads); returns each published mart's name and description."""
    from orchestration.definitions import dbt_cli
    from orchestration.project import dbt_project
    from orchestration.resources import TepatSettings, dbt_environment

    dbt = dbt_cli()
    args = dbt_docs_args(TepatSettings.from_paths(paths).dbt_vars())
    final = docs_dir(paths) / out.name
    errors: list[str] = []
    with dbt_environment(paths.warehouse):
        invocation = dbt.cli(args, target_path=target, raise_on_error=False)
        # dagster-dbt echoes every dbt line to stdout; echo them ourselves, as they come,
        # with the scratch folder (gone once the build ends) replaced by where its files end up.
        events = invocation.stream_raw_events()
        while True:
            with contextlib.redirect_stdout(io.StringIO()):
                event = next(events, None)
            if event is None:
                break
            info = event.raw_event.get("info", {})
            message = final_paths(str(info.get("msg", "")), target, final)
            if info.get("level") == "error":
                errors.append(message)
            if message:
                print(message, flush=True)
        succeeded = invocation.is_successful()
    static = target / "static_index.html"
    if not succeeded or not static.exists():
        detail = "\n".join(errors[-5:]) or f"see {dbt_project.project_dir / 'logs' / 'dbt.log'}"
        raise DocsError(f"dbt docs generate failed:\n{detail}")
    out.mkdir(parents=True)
    shutil.copyfile(static, out / "index.html")
    for name in DBT_ARTIFACTS:
        shutil.copyfile(target / name, out / name)
    manifest = json.loads((target / "manifest.json").read_text())
    return {
        node["name"]: " ".join(node.get("description", "").split())
        for node in sorted(manifest["nodes"].values(), key=lambda node: node["name"])
        if node["resource_type"] == "model" and node["config"].get("meta", {}).get("publish")
    }


def final_paths(message: str, target: Path, final: Path) -> str:
    """A dbt log line with the scratch target folder replaced by the folder its files are
    copied to (pure): `Catalog written to …/data/docs/dbt/catalog.json`."""
    message = message.replace(str(target / "static_index.html"), str(final / "index.html"))
    return message.replace(str(target), str(final))


def _copy_quality_site(paths: Paths, out: Path) -> bool:
    """Copy the GE Data Docs the checks built, made to open offline; rebuild them first if
    only the results exist. False when no check has run yet."""
    from orchestration.quality.datadocs_offline import AssetsMissing, make_offline

    site = quality_site(paths)
    if not (site / "index.html").exists():
        if not (quality_dir(paths) / "gx").is_dir():
            return False
        from orchestration.quality.runner import QualityProject

        QualityProject(quality_dir(paths)).build_docs()
    if not (site / "index.html").exists():
        return False
    try:
        make_offline(site, full=False)  # `tepat check` points at this one
        shutil.copytree(site, out)
        result = make_offline(out)
    except AssetsMissing as error:
        raise DocsError(f"The Data Docs cannot be made to open offline: {error}") from None
    if result.remote:
        listed = "\n".join(f"  {page}: {address}" for page, address in result.remote[:5])
        raise DocsError(
            f"{len(result.remote)} address(es) in the Data Docs would still need internet "
            f"(a newer Great Expectations?); add them to "
            f"orchestration/quality/datadocs_offline.py:\n{listed}"
        )
    return True


def _swap_in(new: Path, current: Path) -> None:
    """Replace current with new: a rename each way, the old copy removed last."""
    if not new.exists():
        if current.is_dir():
            shutil.rmtree(current)
        return
    if new.is_file():
        os.replace(new, current)
        return
    old = current.with_name(f".old-{current.name}-{os.getpid()}")
    if current.exists():
        current.rename(old)
    new.rename(current)
    shutil.rmtree(old, ignore_errors=True)


def _landing_page(paths: Paths, marts: dict[str, str], has_quality: bool) -> str:
    built = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    rows = "\n".join(
        f'<li><a href="{DBT_DOCS_URL}model.tepat.{html.escape(name)}">{html.escape(name)}</a>: '
        f"{html.escape(_first_sentence(description))}</li>"
        for name, description in marts.items()
    )
    quality = (
        '<li><a href="quality/index.html">Great Expectations Data Docs</a>: every check of '
        "the nightly runs on the raw tables and the marts, with what was found.</li>"
        if has_quality
        else "<li>Great Expectations Data Docs: no check has run yet (`make run`).</li>"
    )
    return f"""<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>tepat — dokumentasi</title>
<style>body{{font-family:sans-serif;max-width:48rem;margin:2rem auto;line-height:1.5}}</style>
</head><body>
<h1>tepat — dokumentasi data</h1>
<p>Dibangun {html.escape(built)} dari {html.escape(str(paths.warehouse))}.</p>
<ul>
<li><a href="dbt/index.html">dbt docs</a>: every model and column, lineage from raw files
to marts, compiled SQL.</li>
{quality}
</ul>
<h2>Mart (data/marts/*.parquet)</h2>
<ul>
{rows}
</ul>
</body></html>
"""


def _first_sentence(text: str) -> str:
    sentence = text.split(". ")[0].rstrip(".")
    return sentence + "." if sentence else ""
