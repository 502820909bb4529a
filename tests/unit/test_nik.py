"""The dbt macro that applies the NIK rules at scale must agree with lokal-id, value for value."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import pytest
from lokal.provinces import PROVINCES

from orchestration.ingest.nik import describe_problem, mask_nik
from tests.unit.dbt_inline import compile_inline

TODAY = dt.date.today()

CASES = {
    "5371011505800001": None,  # man born 15-05-1980, Kota Kupang / Alak
    "5371015505820001": None,  # woman: day + 40
    "5301010101250001": None,  # born 2025 (two-digit year up to this year's is 20xx)
    "53.71.01.150580.0001": None,  # dotted as typed
    " 5371 0115 0580 0001 ": None,  # spaces
    "'5371011505800001": None,  # Excel's leading apostrophe
    "537101150580000": "format",  # 15 digits: the 16th was lost
    "53710115058000011": "format",  # 17 digits
    "5371O11505800001": "format",  # letter O for zero
    "5.37101E+15": "format",  # scientific notation
    "": "format",
    "0071011505800001": "province",
    "9971011505800001": "province",
    "5300011505800001": "wilayah",  # regency 00
    "5371001505800001": "wilayah",  # district 00
    "5371013205800001": "birth_date",  # day 32
    "5371017205800001": "birth_date",  # women's day 72 → 32
    "5371011513800001": "birth_date",  # month 13
    "5371010005800001": "birth_date",  # day 0
    "5371014005800001": "birth_date",  # day 40 → women's day 0
    "5371012902230001": "birth_date",  # 29-02-2023 does not exist
    "5371012902240001": None,  # 29-02-2024 does
    "5371011505800000": "serial",
}


@pytest.fixture(scope="module")
def nik_problem_sql(tmp_path_factory) -> str:
    """The SQL the dbt macros compile to, over table `t(v)`, as the models use them: the
    cleaned NIK and its DDMMYY digits computed first, then `nik_problem`."""
    inline = (
        "select i, {{ nik_problem('n', 'provinces', 'd') }} as problem from "
        "(select i, n, {{ nik_ddmmyy('n') }} as d "
        "from (select i, {{ nik_clean('v') }} as n from t))"
    )
    return compile_inline(inline, tmp_path_factory.mktemp("dbt_compile"))


def sql_problems(sql: str, values: list[str]) -> list[str | None]:
    con = duckdb.connect()
    con.execute("create table provinces (kode_wilayah varchar)")
    con.executemany("insert into provinces values (?)", [[code] for code in PROVINCES])
    con.execute("create table t (i integer, v varchar)")
    con.executemany("insert into t values (?, ?)", list(enumerate(values)))
    return [row[1] for row in con.execute(f"{sql} order by i").fetchall()]


@pytest.mark.parametrize(("value", "expected"), CASES.items())
def test_lokal_id_gives_the_expected_reason(value, expected):
    assert describe_problem(value, TODAY) == expected


def test_macro_agrees_with_lokal_id_on_every_case(nik_problem_sql):
    values = list(CASES)
    assert sql_problems(nik_problem_sql, values) == [describe_problem(v, TODAY) for v in values]


def test_macro_agrees_with_lokal_id_on_random_nik_like_strings(nik_problem_sql):
    rng = random.Random(7)
    values = []
    for _ in range(3000):
        # Mostly plausible NIKs with one part perturbed, so every branch is exercised.
        province = rng.choice(["53", "64", "61", "00", "99", "32"])
        regency = f"{rng.randint(0, 99):02d}"
        district = rng.choice(["01", "00", "12"])
        day = rng.randint(0, 75)
        month = rng.randint(0, 13)
        year = rng.randint(0, 99)
        serial = rng.choice(["0000", "0001", f"{rng.randint(0, 9999):04d}"])
        values.append(f"{province}{regency}{district}{day:02d}{month:02d}{year:02d}{serial}")
    expected = [describe_problem(v, TODAY) for v in values]
    assert sql_problems(nik_problem_sql, values) == expected
    assert set(expected) == {None, "province", "wilayah", "birth_date", "serial"}


def test_mask_keeps_only_the_ends():
    assert mask_nik("5371011505800001") == "5371********0001"
    assert mask_nik(None) == "(kosong)"
    assert "1505" not in mask_nik("5371011505800001")
