"""Amounts and dates as people type them: the dbt macros staging reads them with."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from tests.unit.dbt_inline import compile_inline

AMOUNTS = {
    "750000": 750000,
    "1.500.000": 1500000,
    "1.500.000,50": 1500000.5,
    "1.500.000,00": 1500000,
    "750.000": 750000,  # a single `.` before three digits groups thousands (the convention)
    "Rp 1.500.000,-": 1500000,
    "Rp. 750.000": 750000,
    "IDR 750.000": 750000,
    "1 500 000": 1500000,
    "\u00a0750.000 ": 750000,
    "8,61": 8.61,
    "1,500,000": 1500000,  # only the other convention reads it
    "1,500,000.50": 1500000.5,
    "750000.5": 750000.5,
    "1500.5": 1500.5,
    "-250.000": -250000,
    "0": 0,
    "0750000": 750000,
    "": None,
    None: None,
}
AMBIGUOUS = ["750,000", "1,500"]  # thousands separator, or three decimals?
UNREADABLE = ["1.50.000", "1.500,000.00", "seratus ribu", "-", "Rp"]

DATES = {
    "12/03/2025": dt.date(2025, 3, 12),
    "12-03-2025": dt.date(2025, 3, 12),
    "1/3/2025": dt.date(2025, 3, 1),
    "12.03.2025": dt.date(2025, 3, 12),
    "2025-03-12": dt.date(2025, 3, 12),
    "2025-03-12T00:00:00": dt.date(2025, 3, 12),
    "2025-03-12 08:30:00": dt.date(2025, 3, 12),
    "2025/03/12": dt.date(2025, 3, 12),
    "2025-3-1": dt.date(2025, 3, 1),
    "12 Maret 2025": dt.date(2025, 3, 12),
    "12 MARET  2025": dt.date(2025, 3, 12),
    "12-Mar-2025": dt.date(2025, 3, 12),
    "17 Agustus 1945": dt.date(1945, 8, 17),
    "3 Nopember 2024": dt.date(2024, 11, 3),
    "45728": dt.date(2025, 3, 12),  # Excel serial
    "45728.5": dt.date(2025, 3, 12),
    "29/02/2024": dt.date(2024, 2, 29),
    # impossible day-first dates are never re-read month first
    "12/31/2025": None,
    "30/02/2025": None,
    # mixed separators, two-digit years (19xx or 20xx?), not dates
    "12/03-2025": None,
    "12/03/25": None,
    "12 Mar 25": None,
    "2025": None,
    "Maret 2025": None,
    "12 Maretan 2025": None,
    "": None,
    None: None,
}


@pytest.fixture(scope="module")
def read(tmp_path_factory):
    """read(values) → [(parse_amount, amount_problem, parse_date)] for each value."""
    sql = compile_inline(
        "select i, {{ parse_amount('v') }}, {{ amount_problem('v') }}, {{ parse_date('v') }} "
        "from t order by i",
        tmp_path_factory.mktemp("dbt_compile"),
    )

    def run(values):
        con = duckdb.connect()
        con.execute("create table t (i integer, v varchar)")
        con.executemany("insert into t values (?, ?)", list(enumerate(values)))
        return [row[1:] for row in con.execute(sql).fetchall()]

    return run


def test_amounts(read):
    values = list(AMOUNTS)
    results = read(values)
    assert [r[0] for r in results] == [AMOUNTS[v] for v in values]
    assert [r[1] for r in results] == [None] * len(values)


def test_ambiguous_and_unreadable_amounts_are_null_with_a_reason(read):
    results = read(AMBIGUOUS + UNREADABLE)
    assert [r[0] for r in results] == [None] * len(results)
    assert [r[1] for r in results] == ["ambigu"] * len(AMBIGUOUS) + ["tidak_terbaca"] * len(
        UNREADABLE
    )


def test_dates(read):
    values = list(DATES)
    assert [r[2] for r in read(values)] == [DATES[v] for v in values]
