"""DuckDB runs the sink conformance suite, plus what only an embedded file can show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from sinks.duckdb import DuckDBSink
from tests.integration.conformance import Harness, SinkContract
from tests.lake import Lake


def duckdb_harness(tmp_path: Path) -> Harness:
    lake = Lake(tmp_path / "lake")
    path = tmp_path / "warehouse.duckdb"

    def open_sink() -> DuckDBSink:
        return DuckDBSink("local", {"type": "duckdb", "url": f"duckdb:///{path}"}, lake.store, str(tmp_path))

    def read(sql: str) -> list[tuple[Any, ...]]:
        # A connection of its own: it sees committed data only, as any other reader would.
        with duckdb.connect(str(path)) as conn:
            return conn.execute(sql).fetchall()

    return Harness(lake=lake, open_sink=open_sink, read=read)


class TestDuckDBContract(SinkContract):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> Harness:
        return duckdb_harness(tmp_path)
