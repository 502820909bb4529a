"""DESIGN §5: one masking rule for NIK- and KK-like values, in Python and in the dbt macros.

The e2e scan (tests/e2e/test_masking_scan.py) proves the rule reaches every place a file
value can be shown; these tests pin the rule itself and that SQL and Python agree on it.
"""

from __future__ import annotations

import json

import duckdb
import pytest

from orchestration.privacy import mask_json, mask_nik, mask_text
from tests.unit.dbt_inline import compile_inline

NIK = "5371014508950001"

#: A value of a NIK/KK column → what is shown.
WHOLE = {
    NIK: "5371********0001",
    "53710145089500": "5371******9500",  # 14 digits
    "537101450895000": "5371*******5000",  # 15 digits
    "53710145089500017": "5371*********0017",  # 17 digits
    "5371 0145 0895 0001": "5371 **** **** 0001",  # spaces stay
    "5371 0145 0895 001": "5371 **** ***5 001",
    "53.71.01.450895.0001": "53.71.**.******.0001",
    "5371-0145-0895-00": "5371-****-**95-00",
    "'537101450895000": "'5371*******5000",  # Excel's text apostrophe
    "537106050489XXXX": "5371********XXXX",  # masked by the agency: still 16 places
    "537106050489xxxx": "5371********xxxx",
    "5371014508**0001": "5371********0001",
    "5.37106E+15": "5.371**E+15",  # scientific notation: 4 digits of the mantissa
    "5.37101450895E+15": "5.371********E+15",
    "5,37101E+15": "5,371**E+15",
    "537101E+15": "5371**E+15",  # as nik_clean leaves it (the dot removed)
    " 5371014508950001 ": " 5371********0001 ",
    "5371O14508950001": "5371O*******0001",  # letter O: 15 digit places
    "12345678": "********",  # 8 or fewer places show none
    "12-34": "**-**",
    "": "(kosong)",
    None: "(kosong)",
    "belum ada": "belum ada",
}

#: Text that may carry file values → what is shown.
TEXT = {
    f"examples: {NIK}, 5371 0145 0895 001.": "examples: 5371********0001, 5371 **** ***5 001.",
    "nik=537106050489XXXX; no_kk=5.37101450895E+15": (
        "nik=5371********XXXX; no_kk=5.371********E+15"
    ),
    "found 5.37106e+15 and 1.5e+3 and 2.5e-07": "found 5.371**e+15 and 1.5e+3 and 2.5e-07",
    "row 12, kode_wilayah 5371011001, 3,212 rows in 129 file(s)": (
        "row 12, kode_wilayah 5371011001, 3,212 rows in 129 file(s)"
    ),
    "run at 2026-12-07 04:43:36, snapshot registry/2025-03-31/anggota.csv": (
        "run at 2026-12-07 04:43:36, snapshot registry/2025-03-31/anggota.csv"
    ),
    "5371014508950001.0": "5371*********001.0",  # a NIK read as a float
    "Rp 1.500.000 x 12": "Rp 1.500.000 x 12",
    "53710145089": "53710145089",  # 11 digits: not NIK-like in text
    "5371********0001": "5371********0001",  # already masked: unchanged
    "NIK 5371O14508950001 (letter O)": "NIK 5371O*******0001 (letter O)",
    "hash 3a5b7c9d1e2f3a4b5c6d7e8f9a0b1c2d": "hash 3a5b7c9d1e2f3a4b5c6d7e8f9a0b1c2d",
}


@pytest.mark.parametrize(("value", "shown"), WHOLE.items())
def test_a_nik_column_value_shows_at_most_its_first_and_last_four_places(value, shown):
    assert mask_nik(value) == shown


@pytest.mark.parametrize(("text", "shown"), TEXT.items())
def test_text_masks_every_nik_like_part_and_nothing_else(text, shown):
    assert mask_text(text) == shown


@pytest.mark.parametrize("value", [v for v in WHOLE if v])
def test_masking_is_idempotent(value):
    assert mask_nik(mask_nik(value)) == mask_nik(value)
    assert mask_text(mask_text(value)) == mask_text(value)


def test_a_nik_like_value_alone_is_masked_the_same_in_text_as_in_its_column():
    nik_like = [v for v in WHOLE if v and sum(c.isdigit() or c in "Xx*" for c in v) >= 12]
    assert len(nik_like) >= 14
    for value in nik_like:
        assert mask_text(value) == mask_nik(value), value


def test_gx_results_lose_their_nik_like_values_and_keep_their_shape():
    import numpy as np

    result = {
        "element_count": 12,
        "unexpected_count": 2,
        "unexpected_percent": 16.666666666666664,
        "partial_unexpected_list": [5371014508950001.0, "5371 0145 0895 0001", 7.5, None],
        "partial_unexpected_counts": [{"value": np.float64(5.37101450895e15), "count": 1}],
        "partial_unexpected_index_list": [3, 11],
        "observed_value": np.int64(5371014508950001),
        "success": False,
    }
    masked = mask_json(result)
    assert masked == {
        "element_count": 12,
        "unexpected_count": 2,
        "unexpected_percent": 16.666666666666664,
        "partial_unexpected_list": ["5371*********001.0", "5371 **** **** 0001", 7.5, None],
        "partial_unexpected_counts": [{"value": "5371*********000.0", "count": 1}],
        "partial_unexpected_index_list": [3, 11],
        "observed_value": "5371********0001",
        "success": False,
    }
    assert "01450895" not in json.dumps(masked)


@pytest.fixture(scope="module")
def sql_masks(tmp_path_factory):
    """The SQL the dbt macros compile to, over table `t(i, v)`."""
    inline = "select i, {{ mask_nik('v') }} as whole, {{ mask_nik_like('v') }} as other from t"
    sql = compile_inline(inline, tmp_path_factory.mktemp("dbt_compile"))

    def run(values: list[str | None]) -> list[tuple[str, str]]:
        con = duckdb.connect()
        con.execute("create table t (i integer, v varchar)")
        con.executemany("insert into t values (?, ?)", list(enumerate(values)))
        return [row[1:] for row in con.execute(f"{sql} order by i").fetchall()]

    return run


def test_the_dbt_macros_mask_exactly_as_python(sql_masks):
    values = (
        list(WHOLE)
        + [t for t in TEXT if t.count(" ") == 0]
        + [
            "Rp 1.500.000.000.000",
            "5371 0145 0895 0001 ",
            "5.37101450895E+15",
            "1.5E+3",
            "'5371014508950001",
            "5371011001",
            "PKH",
        ]
    )
    shown = sql_masks(values)
    assert [whole for whole, _ in shown] == [mask_nik(v) for v in values]
    # Any other column: masked when it holds one NIK-like value, else as it came.
    others = [v for v in values if v is not None]
    assert [other for (_, other), v in zip(shown, values, strict=True) if v is not None] == [
        mask_text(v) for v in others
    ]


def _stored_text(quality_dir) -> str:
    return " ".join(
        path.read_text(errors="replace")
        for path in quality_dir.rglob("*")
        if path.is_file() and path.suffix in (".json", ".html")
    )


def test_gx_stores_and_renders_only_masked_values_even_those_stored_before(tmp_path):
    """A result is masked before GX stores it; one stored by an earlier tepat, unmasked,
    is masked (and its page rendered again) once, when the project is next opened."""
    import datetime as dt

    import pandas as pd
    from great_expectations.core.run_identifier import RunIdentifier

    from orchestration.quality.runner import MASKED_MARKER, QualityProject

    quality = tmp_path / "quality"
    project = QualityProject(quality)
    definition = project.definition(
        "raw_dtsen_anggota__rows",
        [{"type": "expect_column_values_to_be_in_set",
          "kwargs": {"column": "status", "value_set": ["hidup", "meninggal"]}}],
    )  # fmt: skip
    frame = pd.DataFrame({"status": ["hidup", "5371 0145 0895 0001", NIK]})
    run_id = RunIdentifier(run_name="night", run_time=dt.datetime.now(dt.UTC))
    result = definition.run(batch_parameters={"dataframe": frame}, run_id=run_id)
    assert result.results[0].result["partial_unexpected_list"] == [
        "5371 **** **** 0001",
        "5371********0001",
    ]
    project.build_docs()
    stored = _stored_text(quality)
    assert "5371 **** **** 0001" in stored and "5371********0001" in stored
    assert "0145" not in stored and "01450895" not in stored

    # As an earlier tepat stored it: unmasked, and rendered.
    store = project.context.validation_results_store
    (key,) = store.list_keys()
    old = store.get(key)
    old.results[0].result["partial_unexpected_list"] = ["5371 0145 0895 0001", NIK]
    store.set(key, old)
    project.build_docs()
    assert NIK in _stored_text(quality)
    (quality / "gx" / MASKED_MARKER).unlink()

    reopened = QualityProject(quality)
    assert (quality / "gx" / MASKED_MARKER).exists()
    stored = _stored_text(quality)
    assert NIK not in stored and "0145 0895" not in stored
    assert "5371********0001" in stored
    assert reopened.mask_earlier_results() == 0  # once
