"""orchestration.ingest.names: the one way every reader compares place names."""

from __future__ import annotations

import pytest

from orchestration.ingest.names import district_key, place_key, tokens


def test_tokens_ignore_accents_case_apostrophes_and_punctuation():
    assert tokens("Pulau  MA'RANG") == tokens("pulau marang") == ["pulau", "marang"]
    assert tokens("Tojo Una-Una") == ["tojo", "una", "una"]
    assert tokens("Désa Bé") == ["desa", "be"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Kab. Kupang", "KUPANG"),
        ("Kabupaten Toli-Toli", "Tolitoli"),
        ("Kep. Siau Tagulandang Biaro", "Kepulauan Siau Tagulandang Biaro"),
        ("Kota Administrasi Jakarta Pusat", "Kota Jakarta Pusat"),
        ("Bau-Bau", "Kota Baubau".removeprefix("Kota ")),
    ],
)
def test_district_keys_that_are_the_same_district(a, b):
    assert district_key(a) == district_key(b)


def test_kota_stays_part_of_a_district_name():
    assert district_key("Kota Kupang") != district_key("Kupang")


def test_place_keys_read_number_words_and_roman_numerals_alike():
    assert place_key("Naikoten I") == place_key("NAIKOTEN SATU") == "naikoten1"
