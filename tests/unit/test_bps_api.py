"""Fetching BPS tables from the BPS Web API, against a loopback server that plays back
recorded responses (tests/fixtures/bps_webapi/README.md says which are real)."""

from __future__ import annotations

import http.server
import os
import re
import threading
from pathlib import Path

import pytest

from orchestration.ingest.bps_api import fetch_bps_tables, is_poverty_table, settings_from_env

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RECORDED = FIXTURES / "bps_webapi"
#: the real response (Sumber: BPS; tests/fixtures/bps-real/README.md)
VAR624_RESPONSE = FIXTURES / "bps-real" / "bps_webapi" / "Garis Kemiskinan var624 2025.json"
KEY = "0123456789abcdef0123456789abcdef"
VAR624 = "bps/api/0000/var624.json"


class _Recorded(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []
    broken: set[str] = set()  # var ids answered with an error

    def do_GET(self):  # noqa: N802 - http.server's name
        type(self).requests.append(self.path)
        var = re.search(r"/model/data/lang/ind/domain/0000/var/(\d+)/key/", self.path)
        if f"/key/{KEY}/" not in self.path:
            body, status = b'{"status":"Error","message":"Invalid key"}', 401
        elif "/model/var/lang/ind/domain/0000/keyword/" in self.path:
            body, status = (RECORDED / "var_list_0000_kemiskinan.json").read_bytes(), 200
        elif var and var.group(1) == "624" and "624" not in self.broken:
            body, status = VAR624_RESPONSE.read_bytes(), 200
        elif var:
            body, status = b'{"status":"OK","data-availability":"list-not-available"}', 200
        else:
            body, status = b'{"status":"Error","message":"Not found"}', 404
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def api():
    _Recorded.requests, _Recorded.broken = [], set()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorded)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/"
    server.shutdown()
    server.server_close()


def test_without_a_key_nothing_is_fetched_and_it_says_so(tmp_path):
    result = fetch_bps_tables(tmp_path, key=None)
    assert result.written == [] and result.problems == []
    assert "no BPS Web API key" in result.not_fetched
    assert not (tmp_path / "bps").exists()


def test_the_poverty_tables_are_fetched_and_written_unchanged(tmp_path, api):
    result = fetch_bps_tables(tmp_path, KEY, ("0000",), api)

    assert result.not_fetched is None
    assert result.written == [VAR624]
    assert (tmp_path / VAR624).read_bytes() == VAR624_RESPONSE.read_bytes()
    # The listed P0 table had no data: said, not written; commodity and Gini tables not asked.
    assert len(result.problems) == 1 and "var 9624" in result.problems[0]
    assert "list-not-available" in result.problems[0]
    asked = [r for r in _Recorded.requests if "/model/data/" in r]
    assert [re.search(r"/var/(\d+)/", r).group(1) for r in asked] == ["624", "9624"]
    assert all(f"/key/{KEY}/" in r for r in _Recorded.requests)
    assert KEY not in repr(result)

    # The same bytes again: the file is left alone, so the loader sees it unchanged.
    before = os.stat(tmp_path / VAR624).st_mtime_ns
    again = fetch_bps_tables(tmp_path, KEY, ("0000",), api)
    assert again.written == [] and again.unchanged == [VAR624]
    assert os.stat(tmp_path / VAR624).st_mtime_ns == before
    assert [p.name for p in (tmp_path / VAR624).parent.iterdir()] == ["var624.json"]


def test_an_error_answer_keeps_the_file_already_there(tmp_path, api):
    fetch_bps_tables(tmp_path, KEY, ("0000",), api)
    _Recorded.broken = {"624"}
    result = fetch_bps_tables(tmp_path, KEY, ("0000",), api)
    assert result.written == [] and any("var 624" in p for p in result.problems)
    assert (tmp_path / VAR624).read_bytes() == VAR624_RESPONSE.read_bytes()


def test_a_wrong_key_or_no_network_fetches_nothing_and_never_shows_the_key(tmp_path, api):
    wrong = "ffffffffffffffffffffffffffffffff"
    result = fetch_bps_tables(tmp_path, wrong, ("0000",), api)
    assert "HTTP 401" in result.not_fetched and "TEPAT_BPS_API_KEY" in result.not_fetched
    assert wrong not in repr(result)

    # A port nothing listens on (bound, then closed): connection refused, on loopback.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = fetch_bps_tables(tmp_path, KEY, ("0000",), f"http://127.0.0.1:{port}/v1/", 5)
    assert "could not be reached" in result.not_fetched and KEY not in repr(result)
    assert not (tmp_path / "bps").exists()


@pytest.mark.parametrize(
    ("title", "wanted"),
    [
        ("Garis Kemiskinan Menurut Kabupaten/Kota", True),
        ("Persentase Penduduk Miskin (P0) Menurut Kabupaten/Kota", True),
        ("Jumlah Penduduk Miskin (Ribu Jiwa) Menurut Provinsi dan Daerah", True),
        ("Indeks Kedalaman Kemiskinan (P1) Menurut Provinsi", True),
        ("Persentase Penduduk Miskin Ekstrem Menurut Kabupaten/Kota", True),
        ("Garis Kemiskinan Menurut Kelompok Komoditi", False),
        ("Gini Rasio Menurut Provinsi", False),
    ],
)
def test_which_tables_are_fetched(title, wanted):
    assert is_poverty_table(title) is wanted


def test_settings_come_from_the_environment():
    assert settings_from_env({}) == (None, ("0000",), "https://webapi.bps.go.id/v1/")
    env = {"TEPAT_BPS_API_KEY": " k ", "TEPAT_BPS_DOMAINS": "5300, 5371", "TEPAT_BPS_API_URL": "u"}
    assert settings_from_env(env) == ("k", ("5300", "5371"), "u")


def test_a_fetched_table_is_read_the_same_night_like_any_bps_file(tmp_path, api):
    import duckdb

    from orchestration.ingest.loader import sync_source
    from orchestration.ingest.sources import SOURCES_BY_TABLE

    fetch_bps_tables(tmp_path, KEY, ("0000",), api)
    with duckdb.connect() as con:
        result = sync_source(con, SOURCES_BY_TABLE["bps_indicators"], tmp_path)
        assert result.loaded == [VAR624]
        by_region = dict(
            con.execute(
                "select kode_wilayah, nilai from raw.bps_indicators "
                "where indikator = 'garis_kemiskinan' and tahun = '2025' and bulan = '3'"
            ).fetchall()
        )
    # Names decide: BPS's vervar 5317 is Sumba Barat Daya, Kemendagri's 5317 Sumba Tengah.
    assert len(by_region) == 552
    assert float(by_region["5371"]) == float(_value(5371)) and float(by_region["1101"]) > 0


def _value(bps_code: int) -> float:
    """The recorded value of one BPS vervar (var 624, turvar 0, tahun 125, turtahun 0)."""
    import json

    return json.loads(VAR624_RESPONSE.read_text())["datacontent"][f"{bps_code}62401250"]
