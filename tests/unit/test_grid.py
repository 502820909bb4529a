"""orchestration.ingest.grid: bytes → text → rows, for any reader (not BPS-specific)."""

from __future__ import annotations

import pytest

from orchestration.ingest.grid import (
    GridError,
    csv_records,
    decode,
    decode_text,
    read_grid,
    sniff_delimiter,
)
from orchestration.ingest.vocabulary import is_nik_header


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("\ufeffa;b".encode(), "a;b"),  # UTF-8 BOM first
        ("  \ufeffa;b".encode(), "  a;b"),  # BOM after leading spaces (BPS long download)
        ("a;é".encode("utf-16"), "a;é"),  # UTF-16 with BOM
        ("a;é".encode("utf-16-le"), "a;é"),  # UTF-16 without BOM
        ("a;é".encode("cp1252"), "a;é"),  # Windows export
    ],
)
def test_decode(raw, text):
    assert decode(raw) == text


def test_decode_names_the_encoding_and_never_replaces_a_character():
    assert decode_text("Bé".encode()) == ("Bé", "utf-8")
    assert decode_text("Bé".encode("cp1252")) == ("Bé", "cp1252")
    assert decode_text("  \ufeffa".encode()) == ("  a", "utf-8")
    # 0x81 is no Windows-1252 character: the text is guessed, never given U+FFFD
    text, encoding = decode_text("Dinas Sosial Kota Kupang é".encode("cp1252") + b"\x81\n")
    assert "\ufffd" not in text and encoding not in ("utf-8", "cp1252")


def test_sniff_delimiter():
    assert sniff_delimiter("a;b\n1;2\n") == ";"
    assert sniff_delimiter("a\tb\n1\t2\n") == "\t"
    assert sniff_delimiter('"a","b"\n1,2\n') == ","


def test_sniff_delimiter_from_the_header_row():
    """A roster whose title line holds commas: the NIK header row decides, not counts."""
    text = "Daftar KPM, PKH, Tahap 1, 2025\nNo|NIK|Nama\n1|5371011505800001|Budi, S.Pd\n"
    assert sniff_delimiter(text) == ","
    assert sniff_delimiter(text, is_nik_header) == "|"
    assert list(csv_records(text, "|"))[1:] == [
        (2, ["No", "NIK", "Nama"]),
        (3, ["1", "5371011505800001", "Budi, S.Pd"]),
    ]
    with pytest.raises(GridError, match="line 2"):
        list(csv_records('a,b\n"open,1\n', ","))


def test_csv_rows_keep_line_numbers_html_and_binary_xls(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes('  \ufeffx,y\n"multi\nline",1\nz,2'.encode())
    assert read_grid(path).rows == [(1, ["x", "y"]), (2, ["multi\nline", "1"]), (4, ["z", "2"])]
    html = tmp_path / "t.xls"
    html.write_text("<html><p>Judul</p><table><tr><td colspan=2>a</td><td>b</td></tr></table>")
    grid = read_grid(html)
    assert (grid.kind, grid.rows) == ("html", [(1, ["Judul"]), (2, ["a", "", "b"])])
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 32)
    with pytest.raises(GridError, match="old.xls: an old binary Excel.*save it as .xlsx"):
        read_grid(old)
