"""Nothing analysts read holds personal data (issue 8, DESIGN §5): every published file, log
line and Data Docs page of a full nightly run is scanned for NIK-like numbers and for the
names of the generated registry and rosters, and none is found.

Masked NIKs in quarantine messages (`5371********0001`) are by design: they are not 16-digit
numbers. Numbers are NIK-like when 16 digits stand alone (not inside a longer number or the
decimals of a float, the same rule as the GE suites' `isi_baris` check).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e

NIK_LIKE = re.compile(r"(?<![0-9.])[0-9]{16}(?![0-9])")
WORD = r"[^\W\d_]+"


@dataclass(frozen=True)
class Personal:
    names: set[str]  # casefolded
    numbers: set[str]  # every NIK and KK number of the registry and the rosters

    def found_in(self, text: str, *, binary: bool = False) -> list[str]:
        """NIK-like numbers and registry/roster names (2–4 words) in `text`.

        In text every NIK-like number counts. In binary files (SQLite) and structured event
        data, hashes and timestamps are glued to each other, so there only the real NIKs
        and KK numbers of the registry and rosters count.
        """
        hits = [n for n in NIK_LIKE.findall(text) if not binary or n in self.numbers]
        folded = text.casefold()
        for words in (2, 3, 4):
            pattern = re.compile(rf"(?=\b({WORD}(?: {WORD}){{{words - 1}}})\b)")
            hits += [m.group(1) for m in pattern.finditer(folded) if m.group(1) in self.names]
        return hits


@pytest.fixture(scope="module")
def personal(nightly) -> Personal:
    with duckdb.connect(str(nightly["paths"].warehouse), read_only=True) as con:
        names = {
            row[0].casefold()
            for row in con.execute(
                "select nama from staging.stg_dtsen__anggota where nama is not null union "
                "select nama from staging.stg_rosters__rows where nama is not null"
            ).fetchall()
        }
        numbers = {
            row[0]
            for row in con.execute(
                "select nik from staging.stg_dtsen__anggota union "
                "select no_kk from staging.stg_dtsen__keluarga union "
                "select nik from staging.stg_rosters__rows union "
                "select no_kk from staging.stg_rosters__rows"
            ).fetchall()
            if row[0]
        }
    assert len(names) > 100 and len(numbers) > 1000
    return Personal(names, numbers)


def published_texts(nightly) -> dict[str, str]:
    """Every file under data/marts (Parquet and DuckDB as their values, as text)."""
    texts: dict[str, str] = {}
    marts = Path(nightly["paths"].marts_dir)
    with duckdb.connect() as con:
        for path in sorted(marts.rglob("*")):
            if not path.is_file():
                continue
            if path.suffix == ".parquet":
                rows = con.execute(
                    f"select concat_ws(chr(31), *COLUMNS(*)) from '{path}'"
                ).fetchall()
                texts[str(path)] = "\n".join(r[0] or "" for r in rows)
            elif path.suffix == ".duckdb":
                with duckdb.connect(str(path), read_only=True) as catalog:
                    for (table,) in catalog.execute(
                        "select table_name from information_schema.tables"
                    ).fetchall():
                        rows = catalog.execute(
                            f'select concat_ws(chr(31), *COLUMNS(*)) from "{table}"'
                        ).fetchall()
                        texts[f"{path}:{table}"] = "\n".join(r[0] or "" for r in rows)
            else:
                texts[str(path)] = path.read_bytes().decode("utf-8", "replace")
    return texts


def test_published_marts_hold_no_personal_data(nightly, personal):
    texts = published_texts(nightly)
    assert any(name.endswith("mart_verval_summary.parquet") for name in texts)
    leaks = {name: personal.found_in(text)[:3] for name, text in texts.items()}
    assert {k: v for k, v in leaks.items() if v} == {}


def test_data_docs_and_gx_results_hold_no_personal_data(nightly, personal):
    quality = nightly["paths"].data_dir / "quality"
    files = [p for p in quality.rglob("*") if p.is_file() and p.suffix in (".html", ".json")]
    assert any(p.name == "index.html" for p in files)
    leaks = {}
    for path in files:
        hits = personal.found_in(path.read_bytes().decode("utf-8", "replace"))
        if hits:
            leaks[str(path)] = hits[:3]
    assert leaks == {}


def test_run_logs_hold_no_personal_data(nightly, personal):
    """Every event of both runs (Dagster's log lines, dbt's output streamed into them,
    check descriptions) and every check message `tepat check` prints."""
    import dagster as dg

    lines: list[str] = []  # what people read: any NIK-like number counts
    events: list[str] = []  # structured event data (hashes, versions): real NIKs count
    with dg.DagsterInstance.get() as instance:
        for result in (nightly["first"], nightly["second"]):
            for record in instance.all_logs(result.run_id):
                lines.append(record.message or "")
                lines.append(record.user_message or "")
                event = record.dagster_event
                if event is not None:
                    events.append(repr(event.event_specific_data))
    assert len(lines) > 100
    with duckdb.connect(str(nightly["paths"].warehouse), read_only=True) as con:
        lines += [
            r[0] or "" for r in con.execute("select message from meta.check_results").fetchall()
        ]
        lines += [
            r[0] or ""
            for r in con.execute(
                "select rincian_alasan from quarantine.quarantine_files"
            ).fetchall()
        ]
    leaks = [(line[:120], personal.found_in(line)[:3]) for line in lines if personal.found_in(line)]
    leaks += [
        (event[:120], personal.found_in(event, binary=True)[:3])
        for event in events
        if personal.found_in(event, binary=True)
    ]
    assert leaks == []
    # Masked NIKs do appear (quarantine reasons), and are not NIK-like.
    assert not NIK_LIKE.search("nik_tidak_valid 5371********0001")


def test_dagster_home_holds_no_personal_data(nightly, personal):
    """The instance's own files (event log database, compute logs), byte for byte."""
    import os

    home = Path(os.environ["DAGSTER_HOME"])
    leaks = {}
    for path in home.rglob("*"):
        if path.is_file():
            hits = personal.found_in(path.read_bytes().decode("latin-1"), binary=True)
            if hits:
                leaks[str(path)] = hits[:3]
    assert leaks == {}
