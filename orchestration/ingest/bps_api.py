"""Fetch BPS poverty tables from the BPS Web API into data/raw/bps/api/ (DESIGN §2.1).

Optional: without a key (`TEPAT_BPS_API_KEY`) nothing is fetched. With one, for each BPS
domain the dynamic tables whose title names a poverty indicator are listed (`model/var`) and
fetched (`model/data`); each response is written unchanged to
`data/raw/bps/api/<domain>/var<var>.json`, and only when its bytes changed, so that the
loader sees an unchanged table as unchanged. The BPS reader then reads those files like any
other BPS download.

BPS's own Python client (`stadata` 1.0.0) calls the same URLs, but it pins pandas < 3 and
pytest < 8, which our stack excludes; the standard library's urllib does these GETs. The key
is part of every URL (BPS's API wants it there): it never appears in a message or log.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.ingest.bps.common import indicators_in

API_URL = "https://webapi.bps.go.id/v1/"
#: BPS domain 0000 is Indonesia: its tables list every province and kabupaten/kota.
DEFAULT_DOMAINS = ("0000",)
#: searched in the titles of a domain's dynamic tables
KEYWORDS = ("miskin", "kemiskinan")
API_FOLDER = Path("bps") / "api"

#: a table laid out by province or kabupaten/kota (not by commodity, age group, …)
_BY_REGION = re.compile(r"menurut\s+(provinsi|kabupaten|kota)")


@dataclass
class FetchResult:
    #: files under data/raw/ written because their bytes changed (or are new)
    written: list[str] = field(default_factory=list)
    #: files fetched again with the same bytes (left untouched)
    unchanged: list[str] = field(default_factory=list)
    #: tables not written, with why (no data, an error answer)
    problems: list[str] = field(default_factory=list)
    #: why nothing was fetched at all (no key, no network), else None
    not_fetched: str | None = None


def settings_from_env(env: dict[str, str] | None = None) -> tuple[str | None, tuple[str, ...], str]:
    """(key or None, domains, base URL) from TEPAT_BPS_API_KEY/_DOMAINS/_URL."""
    env = os.environ if env is None else env
    key = (env.get("TEPAT_BPS_API_KEY") or "").strip() or None
    domains = tuple(d.strip() for d in (env.get("TEPAT_BPS_DOMAINS") or "").split(",") if d.strip())
    return key, domains or DEFAULT_DOMAINS, env.get("TEPAT_BPS_API_URL") or API_URL


def is_poverty_table(title: str) -> bool:
    """A table tepat reads: it names a poverty indicator (in the BPS readers' own wording
    rules) and is laid out by region."""
    text = " ".join(str(title).lower().split())
    return bool(indicators_in(text) and _BY_REGION.search(text))


class _Api:
    def __init__(self, key: str, base_url: str, timeout: float):
        self.key, self.base_url, self.timeout = key, base_url.rstrip("/") + "/", timeout

    def get(self, path: str) -> bytes:
        url = f"{self.base_url}api/list/{path}/key/{self.key}/"
        request = urllib.request.Request(url, headers={"User-Agent": "tepat"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return response.read()

    def safe(self, text: object) -> str:
        """A message without the key (it is part of every URL)."""
        return str(text).replace(self.key, "<key>")


def _json(raw: bytes) -> dict:
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {"status": "not JSON"}
    return data if isinstance(data, dict) else {"status": "not a JSON object"}


def _available(data: dict) -> bool:
    return data.get("status") == "OK" and data.get("data-availability") == "available"


def _poverty_tables(api: _Api, domain: str) -> dict[int, str]:
    """var id → title of the domain's dynamic tables tepat reads."""
    tables: dict[int, str] = {}
    for keyword in KEYWORDS:
        page, pages = 1, 1
        while page <= pages:
            data = _json(
                api.get(f"model/var/lang/ind/domain/{domain}/keyword/{keyword}/page/{page}")
            )
            if not _available(data) or not isinstance(data.get("data"), list):
                break
            info, items = (data["data"] + [{}, []])[:2]
            pages = int(info.get("pages") or 1) if isinstance(info, dict) else 1
            for item in items if isinstance(items, list) else []:
                title = str(item.get("title") or "")
                if item.get("var_id") is not None and is_poverty_table(title):
                    tables[int(item["var_id"])] = title
            page += 1
    return tables


def _write_if_changed(path: Path, raw: bytes) -> bool:
    """Write `raw` to `path` atomically unless it already holds those bytes."""
    if path.is_file() and path.read_bytes() == raw:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".fetching-", delete=False) as tmp:
        tmp.write(raw)
    os.replace(tmp.name, path)
    return True


def fetch_bps_tables(
    raw_dir: Path,
    key: str | None,
    domains: tuple[str, ...] = DEFAULT_DOMAINS,
    base_url: str = API_URL,
    timeout: float = 60,
) -> FetchResult:
    """Fetch the poverty tables of `domains` into raw_dir/bps/api/ (see the module docstring)."""
    result = FetchResult()
    if not key:
        result.not_fetched = (
            "no BPS Web API key (set TEPAT_BPS_API_KEY to fetch BPS tables each night): "
            "nothing fetched; the files under data/raw/bps/ are used as they are"
        )
        return result
    api = _Api(key, base_url, timeout)
    for domain in domains:
        try:
            tables = _poverty_tables(api, domain)
            if not tables:
                result.problems.append(
                    f"domain {domain}: the BPS Web API lists no poverty table by region"
                )
            for var, title in sorted(tables.items()):
                raw = api.get(f"model/data/lang/ind/domain/{domain}/var/{var}")
                data = _json(raw)
                if not _available(data) or "datacontent" not in data:
                    why = data.get("message") or data.get("data-availability") or data.get("status")
                    result.problems.append(
                        f"domain {domain}, var {var} ('{title}'): not written, the API "
                        f"answered {api.safe(why)!r}; the file already there, if any, stays"
                    )
                    continue
                relative = (API_FOLDER / domain / f"var{var}.json").as_posix()
                if _write_if_changed(raw_dir / relative, raw):
                    result.written.append(relative)
                else:
                    result.unchanged.append(relative)
        except urllib.error.HTTPError as error:
            hint = " (check TEPAT_BPS_API_KEY)" if error.code in (401, 403) else ""
            result.not_fetched = (
                f"the BPS Web API answered HTTP {error.code} {api.safe(error.reason)}{hint}: "
                "nothing more fetched; the files already under data/raw/bps/ are used"
            )
            break
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            result.not_fetched = (
                f"the BPS Web API could not be reached ({api.safe(reason)}): nothing more "
                "fetched; the files already under data/raw/bps/ are used"
            )
            break
    return result
