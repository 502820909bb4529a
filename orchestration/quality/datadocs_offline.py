"""Great Expectations Data Docs that open without internet.

GE 1.24's page templates load jQuery, Bootstrap, bootstrap-table (which fills the tables of
validation results), its filter-control extension, bootstrap-datepicker, Font Awesome and
vega from CDNs, and its logo from GE's own bucket. In an office without internet such a
page is blank where the results should be. `make_offline(site)` copies those files into the
site (static/vendor/) and points every page at the copies:

- jQuery, Bootstrap 4 (its bundle carries Popper), Font Awesome and bootstrap-datepicker come
  from their XStatic packages on PyPI, pinned in pyproject.toml;
- bootstrap-table has no PyPI package: its npm package (pinned below by version and sha512)
  is fetched once at install time with npm (`make` runs `python -m
  orchestration.quality.datadocs_offline`) into the virtualenv, never at docs time;
- vega, vega-lite and vega-embed are dropped from pages that draw no chart (none of ours
  does), and so is the optional dark-theme stylesheet; GE's logo points at the copy GE
  already writes into the site.

A page that would still fetch something from the network is reported by `make_offline`
(`OfflineResult.remote`); `tepat docs` refuses such a site.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

#: Where the copies go inside a Data Docs site.
VENDOR = "static/vendor"

#: bootstrap-table from npm: the version GE's templates name, and its tarball's sha512.
BOOTSTRAP_TABLE = "bootstrap-table"
BOOTSTRAP_TABLE_VERSION = "1.19.1"
BOOTSTRAP_TABLE_INTEGRITY = "sha512-WvV+l1AI/C+zThaKmfHmi/IuayVNB0qdFyEhFx1jyZhO0oLtNJNANkCR3rvJf6Dkh72dsLElxpE/bzK9seEQLA=="  # noqa: E501
BOOTSTRAP_TABLE_FILES = (
    "dist/bootstrap-table.min.js",
    "dist/bootstrap-table.min.css",
    "dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    "dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
)

#: What is copied into the site: vendor subfolder -> (PyPI distribution, folder in it).
XSTATIC = {
    "jquery": ("XStatic-jQuery", "xstatic/pkg/jquery/data"),
    "bootstrap": ("XStatic-Bootstrap", "xstatic/pkg/bootstrap/data"),
    "font-awesome": ("XStatic-Font-Awesome", "xstatic/pkg/font_awesome/data"),
    "bootstrap-datepicker": (
        "XStatic-Bootstrap-Datepicker",
        "xstatic/pkg/bootstrap_datepicker/data",
    ),
}
#: Only these parts of each package are copied (Font Awesome's svgs etc. are not needed).
XSTATIC_PARTS = {
    "jquery": ("jquery.min.js",),
    "bootstrap": ("css/bootstrap.min.css", "js/bootstrap.bundle.min.js"),
    "font-awesome": ("css/all.min.css", "webfonts", "LICENSE.txt"),
    "bootstrap-datepicker": ("bootstrap-datepicker.js", "bootstrap-datepicker3.standalone.css"),
}

#: Each CDN address GE's templates use -> the local copy (under VENDOR), or None: drop the tag.
_RULES: tuple[tuple[re.Pattern[str], str | None], ...] = tuple(
    (re.compile(pattern), target)
    for pattern, target in (
        (r"^https://code\.jquery\.com/jquery-3\.[0-9.]+(\.min)?\.js$", "jquery/jquery.min.js"),
        # Popper is inside Bootstrap's bundle, which replaces bootstrap.min.js below.
        (r"^https://cdnjs\.cloudflare\.com/ajax/libs/popper\.js/.*$", None),
        (
            r"^https://[a-z.]*bootstrapcdn\.com/bootstrap/4\.[0-9.]+/js/bootstrap(\.min)?\.js$",
            "bootstrap/js/bootstrap.bundle.min.js",
        ),
        (
            r"^https://[a-z.]*bootstrapcdn\.com/bootstrap/4\.[0-9.]+/css/bootstrap(\.min)?\.css$",
            "bootstrap/css/bootstrap.min.css",
        ),
        (
            r"^https://unpkg\.com/bootstrap-table@[0-9.]+/dist/bootstrap-table(\.min)?\.js$",
            "bootstrap-table/bootstrap-table.min.js",
        ),
        (
            r"^https://unpkg\.com/bootstrap-table@[0-9.]+/dist/bootstrap-table(\.min)?\.css$",
            "bootstrap-table/bootstrap-table.min.css",
        ),
        (
            r"^https://unpkg\.com/bootstrap-table@[0-9.]+/dist/extensions/filter-control/"
            r"bootstrap-table-filter-control(\.min)?\.js$",
            "bootstrap-table/bootstrap-table-filter-control.min.js",
        ),
        (
            r"^https://unpkg\.com/bootstrap-table@[0-9.]+/dist/extensions/filter-control/"
            r"bootstrap-table-filter-control(\.min)?\.css$",
            "bootstrap-table/bootstrap-table-filter-control.min.css",
        ),
        (
            r"^https://cdnjs\.cloudflare\.com/ajax/libs/bootstrap-datepicker/[0-9.]+/js/.*\.js$",
            "bootstrap-datepicker/bootstrap-datepicker.js",
        ),
        (
            r"^https://cdnjs\.cloudflare\.com/ajax/libs/bootstrap-datepicker/[0-9.]+/css/.*\.css$",
            "bootstrap-datepicker/bootstrap-datepicker3.standalone.css",
        ),
        (
            r"^https://cdnjs\.cloudflare\.com/ajax/libs/font-awesome/6\.[0-9.]+/css/all(\.min)?\.css$",
            "font-awesome/css/all.min.css",
        ),
        # Optional dark theme: the pages read well without it.
        (r"^https://cdn\.jsdelivr\.net/npm/@forevolve/bootstrap-dark@.*$", None),
    )
)
#: vega is only needed by a page that draws a chart (calls vegaEmbed).
_VEGA = re.compile(r"^https://cdn\.jsdelivr\.net/npm/vega(-lite|-embed)?@[0-9.]+$")
#: GE's logo from its bucket -> the copy under static/images/ GE writes into every site.
_GE_ASSETS = re.compile(
    r"https://great-expectations-web-assets\.s3[a-z0-9.-]*\.amazonaws\.com/([A-Za-z0-9_.-]+)"
    r"(\?[^\"')\s]*)?"
)
_TAG = re.compile(r"<(script|link)\b[^>]*>(\s*</script>)?", re.IGNORECASE)
_URL_ATTR = re.compile(r"""\b(src|href)\s*=\s*["'](https?://[^"']+)["']""", re.IGNORECASE)
#: What a browser fetches by itself: src/srcset, stylesheet and icon links, CSS url()/@import.
_FETCHED = re.compile(
    r"""(?:\bsrc(?:set)?\s*=\s*["']|url\(\s*["']?|@import\s+["'])(https?://[^"')\s]+)"""
    r"""|<link\b[^>]*\bhref\s*=\s*["'](https?://[^"']+)["'][^>]*>""",
    re.IGNORECASE,
)


class AssetsMissing(Exception):
    """The packaged copies are not installed: say how to install them."""


@dataclass
class OfflineResult:
    pages: int = 0
    rewritten: int = 0
    #: (page relative to the site, address) of everything still fetched from the network
    remote: list[tuple[str, str]] = field(default_factory=list)


def assets_home() -> Path:
    """The copies of this installation, beside the virtualenv's packages."""
    return Path(sys.prefix) / "share" / "tepat" / "datadocs"


def _bootstrap_table_dir(home: Path) -> Path:
    return home / f"{BOOTSTRAP_TABLE}-{BOOTSTRAP_TABLE_VERSION}"


def fetch_bootstrap_table(home: Path | None = None) -> Path:
    """Install bootstrap-table's files from its npm package (install time, online); the
    tarball must match the pinned sha512. Does nothing when already installed."""
    target = _bootstrap_table_dir(home or assets_home())
    if all((target / Path(name).name).is_file() for name in BOOTSTRAP_TABLE_FILES):
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise AssetsMissing(
            "npm (Node.js) is needed once, at install time, to fetch bootstrap-table for the "
            "offline Data Docs: install Node.js (Debian: `apt-get install -y npm`), then run "
            "`.venv/bin/python -m orchestration.quality.datadocs_offline`."
        )
    with tempfile.TemporaryDirectory(prefix="tepat-npm-") as tmp:
        spec = f"{BOOTSTRAP_TABLE}@{BOOTSTRAP_TABLE_VERSION}"
        done = subprocess.run(
            [npm, "pack", spec, "--json", "--pack-destination", tmp],
            cwd=tmp,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise AssetsMissing(f"`npm pack {spec}` failed: {done.stderr.strip()[-500:]}")
        tarball = Path(tmp) / json.loads(done.stdout)[0]["filename"]
        digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if f"sha512-{digest}" != BOOTSTRAP_TABLE_INTEGRITY:
            raise AssetsMissing(f"{spec} from npm does not match its pinned sha512: not used.")
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=_mkdir(target.parent)))
        with tarfile.open(tarball) as archive:
            for name in (*BOOTSTRAP_TABLE_FILES, "LICENSE"):
                member = archive.extractfile(f"package/{name}")
                if member is None:
                    raise AssetsMissing(f"{spec} has no {name}")
                (staging / Path(name).name).write_bytes(member.read())
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    return target


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _xstatic_dir(distribution: str, folder: str) -> Path:
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        raise AssetsMissing(
            f"{distribution} is not installed: run `make` (or `pip install -e .`) again."
        ) from None
    return Path(str(dist.locate_file(folder)))


def vendor_into(site: Path, home: Path | None = None) -> Path:
    """Copy the packaged files into site/static/vendor (only what changed)."""
    vendor = site / VENDOR
    table = _bootstrap_table_dir(home or assets_home())
    if not (table / "bootstrap-table.min.js").is_file():
        table = fetch_bootstrap_table(home)
    sources: list[tuple[Path, Path]] = [
        (table / path.name, vendor / "bootstrap-table" / path.name) for path in table.iterdir()
    ]
    for name, (distribution, folder) in XSTATIC.items():
        base = _xstatic_dir(distribution, folder)
        for part in XSTATIC_PARTS[name]:
            source = base / part
            if source.is_dir():
                sources += [
                    (file, vendor / name / part / file.relative_to(source))
                    for file in sorted(source.rglob("*"))
                    if file.is_file()
                ]
            else:
                sources.append((source, vendor / name / part))
    for source, copy in sources:
        if not source.is_file():
            raise AssetsMissing(f"{source} is missing: reinstall with `make`.")
        if copy.is_file() and copy.stat().st_size == source.stat().st_size:
            continue
        copy.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{copy.name}.", dir=copy.parent)
        os.close(fd)
        shutil.copyfile(source, tmp)
        os.replace(tmp, copy)  # a check running beside this one never sees half a file
    return vendor


def rewrite_page(text: str, to_root: str) -> str:
    """The page with every CDN address pointed at the site's copies (pure). `to_root` is
    the relative way from the page's folder to the site's root ("" or "../../")."""

    def tag(match: re.Match[str]) -> str:
        whole = match.group(0)
        url = _URL_ATTR.search(whole)
        if url is None:
            return whole
        address = url.group(2)
        if _VEGA.match(address):
            return whole if "vegaEmbed" in text else ""
        for pattern, target in _RULES:
            if pattern.match(address):
                if target is None:
                    return ""
                local = f"{to_root}{VENDOR}/{target}"
                if match.group(1).lower() == "script":
                    return f'<script src="{local}"></script>'
                return f'<link rel="stylesheet" href="{local}">'
        return whole

    text = _TAG.sub(tag, text)
    return _GE_ASSETS.sub(lambda m: f"{to_root}static/images/{_ge_image(m.group(1))}", text)


def _ge_image(name: str) -> str:
    """GE's site carries logo-long.png, not the dark-theme logo."""
    return name if name in {"logo-long.png", "short-logo.png", "favicon.ico"} else "logo-long.png"


def remote_addresses(text: str) -> list[str]:
    """Addresses a browser would fetch from the network when showing this page or sheet."""
    return [m.group(1) or m.group(2) for m in _FETCHED.finditer(text)]


def make_offline(site: Path, home: Path | None = None, full: bool = True) -> OfflineResult:
    """Vendor the assets into `site` and rewrite its pages and stylesheets to use them;
    idempotent (a page already offline is not written again). With full=False only the
    files written since the last pass are read: each nightly check re-renders a few pages,
    and reading all of them after every check would cost seconds per check."""
    result = OfflineResult()
    if not site.is_dir():
        return result
    vendor = vendor_into(site, home)
    stamp = vendor / ".offline-since"
    started = time.time_ns()
    since = 0
    if not full and stamp.is_file():
        since = int(stamp.read_text().strip() or 0)
    files = sorted(site.rglob("*.html")) + sorted((site / "static" / "styles").glob("*.css"))
    for path in files:
        if since and path.stat().st_mtime_ns < since:
            continue
        relative = path.relative_to(site)
        to_root = "../" * (len(relative.parts) - 1)
        text = path.read_text(encoding="utf-8")
        new = rewrite_page(text, to_root)
        if path.suffix == ".html":
            result.pages += 1
        if new != text:
            _write_atomically(path, new)
            result.rewritten += 1
        result.remote += [(relative.as_posix(), address) for address in remote_addresses(new)]
    _write_atomically(stamp, str(started))
    return result


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


def make_offline_quietly(site: Path) -> None:
    """For the nightly build: the night never fails over its Data Docs; what is missing is
    said once on stderr (`tepat docs` says it again and refuses)."""
    try:
        result = make_offline(site, full=False)
    except (AssetsMissing, OSError) as error:
        print(f"Data Docs left needing internet: {error}", file=sys.stderr)
        return
    if result.remote:
        page, address = result.remote[0]
        print(
            f"Data Docs: {len(result.remote)} address(es) still need internet, e.g. {address} "
            f"in {page}",
            file=sys.stderr,
        )


def main() -> int:
    """`python -m orchestration.quality.datadocs_offline`: install bootstrap-table (make)."""
    try:
        path = fetch_bootstrap_table()
    except AssetsMissing as error:
        print(f"warning: {error}", file=sys.stderr)
        return 0  # the install goes on; `tepat docs` says what is missing
    print(f"Offline Data Docs assets: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
