"""Fixtures shared by the unit tests."""

from __future__ import annotations

import duckdb
import pytest


@pytest.fixture
def con():
    """An in-memory DuckDB warehouse, closed after the test."""
    connection = duckdb.connect()
    yield connection
    connection.close()
