"""The one header vocabulary (orchestration/ingest/vocabulary.py + header_aliases.csv)."""

from __future__ import annotations

import csv

import pytest

from orchestration.ingest import agency_files, loader
from orchestration.ingest.vocabulary import (
    ALIAS_FILE,
    aliases,
    canonical_header,
    header_key,
    is_nik_header,
)


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> None:
    """These tests need no dbt project; override the suite's session fixture to stay fast."""


def test_alias_file_is_one_table_without_contradictions():
    with ALIAS_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(row["header"] and row["column"] and row["layout"] for row in rows)
    assert len(aliases()) == len({header_key(row["header"]) for row in rows})


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("NIK*", "nik"),
        ("N.I.K", "nik"),
        ("Nomor Induk Kependudukan", "nik"),
        ("No. KK", "no_kk"),
        ("ID Keluarga P3KE", "id_keluarga"),
        ("Kode Kemendagri", "kode_wilayah"),
        ("Desil Kesejahteraan", "desil"),
        ("Hubungan dengan Kepala Keluarga", "hubungan"),
        ("kdkab", "kode_kabkota"),
        ("NMDESA", "nama_desa"),
        ("DESIL 7-10", "desil_7_10"),
        ("Penerima BPNT", "penerima_bpnt"),
    ],
)
def test_headers_of_every_layout(header, expected):
    assert canonical_header(header, ()) == expected


def test_the_tables_own_column_wins_over_an_alias():
    assert canonical_header("Desa", ("desa",)) == "desa"
    assert canonical_header("Desa", ()) == "kelurahan"


def test_nik_headers_and_both_readers_share_the_vocabulary():
    assert is_nik_header("No. NIK") and is_nik_header("NIK KTP") and not is_nik_header("No. KK")
    assert loader.canonical_header is canonical_header
    assert loader.RawFileError is agency_files.RawFileError
