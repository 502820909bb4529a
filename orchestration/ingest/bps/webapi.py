"""The BPS Web API response (JSON) → values (DESIGN §2.1).

`https://webapi.bps.go.id/v1/api/list/model/data/…` answers with `var` (the variable: its
label and unit give the indicator), `vervar` (regions: a BPS code as `val`, the name as
`label`, provinces wrapped in `<b>`), `turvar` (a breakdown, "Tidak ada" when none),
`tahun` (`val` is BPS's year id, `label` the year), `turtahun` (the period within the year,
whose label may name the month) and `datacontent`, a map whose keys are the concatenation
vervar val + var val + turvar val + tahun val + turtahun val (`357462401250` = region
3574, var 624, turvar 0, tahun 125 (2025), turtahun 0). `vervar` values are BPS codes,
not Kemendagri ones: the names decide. The row number of a value is the position of its
region in `vervar` (1 = the first), so a quarantine reason can point at it.
"""

from __future__ import annotations

import html
import json
import re

from orchestration.ingest.bps.common import (
    BpsFileError,
    Value,
    indicator_for,
    is_urban_or_rural_only,
    month_in,
    years_in,
)
from orchestration.ingest.bps.forms import Read

_TAG = re.compile(r"<[^>]*>")


def looks_like_webapi(text: str) -> bool:
    head = text.lstrip()[:1]
    markers = ('"datacontent"', '"vervar"', '"data-availability"')
    return head == "{" and any(marker in text for marker in markers)


def _label(entry: dict) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", str(entry.get("label", "")))).split())


def _entries(document: dict, name: str, file: str) -> list[dict]:
    entries = document.get(name)
    if isinstance(entries, dict):  # some responses give a single entry
        entries = [entries]
    if not entries and name in ("turvar", "turtahun"):
        return [{"val": 0, "label": ""}]
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise BpsFileError(
            f"{file}: the BPS Web API response has no usable '{name}' list. What to do: "
            "save the whole response of webapi.bps.go.id (list/model/data) again."
        )
    return entries


def read_webapi(text: str, file: str) -> Read:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise BpsFileError(
            f"{file}: not valid JSON (line {error.lineno}: {error.msg}). What to do: save "
            "the Web API response again, whole."
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("datacontent"), dict):
        status = document.get("data-availability") if isinstance(document, dict) else None
        raise BpsFileError(
            f"{file}: the BPS Web API response holds no 'datacontent'"
            + (f" (data-availability: {status})" if status else "")
            + ". What to do: request the table again with a year that has data."
        )
    content = {str(k): v for k, v in document["datacontent"].items()}
    variables = _entries(document, "var", file)
    regions = _entries(document, "vervar", file)
    breakdowns = _entries(document, "turvar", file)
    years = _entries(document, "tahun", file)
    periods = _entries(document, "turtahun", file)
    # Urban and rural parts are left out (tepat keeps a region's total); when the periods
    # name semesters, an annual figure ("Tahunan") is not a March or September value.
    breakdowns = [b for b in breakdowns if not is_urban_or_rural_only(_label(b))]
    if any(month_in(_label(p)) for p in periods):
        periods = [p for p in periods if month_in(_label(p))]

    values: list[Value] = []
    for var in variables:
        label = _label(var)
        unit = str(var.get("unit") or "").strip()
        described = f"{label} ({unit})" if unit else label
        indicator = indicator_for(described, file, f"var {var.get('val')}")
        for year in years:
            found = years_in(_label(year))
            if len(found) != 1:
                raise BpsFileError(
                    f"{file}: tahun entry {year!r} does not name one year. What to do: save "
                    "the Web API response again, whole."
                )
            for period in periods:
                for breakdown in breakdowns:
                    month = month_in(_label(period)) or month_in(_label(breakdown)) or 3
                    for position, region in enumerate(regions, start=1):
                        cell = (
                            f"{region.get('val')}{var.get('val')}{breakdown.get('val')}"
                            f"{year.get('val')}{period.get('val')}"
                        )
                        if cell not in content:
                            continue
                        values.append(
                            Value(
                                position,
                                _label(region),
                                None,
                                found[0],
                                month,
                                indicator,
                                content[cell],
                                described,
                            )
                        )
    title = " ".join(_label(v) for v in variables)
    return Read(values, title=title)
