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


def test_a_state_from_before_the_schemas_table_gets_it_and_keeps_the_rest(tmp_path: Path) -> None:
    from dataclasses import replace

    from manifests import Partition
    from sinks import Strategy
    from tests.integration.conformance import P8, P9, rows, target, unit

    h = duckdb_harness(tmp_path)
    k1 = h.lake.write(P8, "b1", rows((1, 10, 1.0)))
    sink = h.open_sink()
    try:
        sink.load(unit(target(Strategy.APPEND), P8, [h.lake.manifest(k1)]))
        sink.connection.execute('DROP TABLE "_loaders"."schemas"')  # as an older version left it
    finally:
        sink.close()
    k2 = h.lake.write(P9, "b2", rows((2, 10, 1.0)))
    sink = h.open_sink()
    try:
        loaded = sink.load(
            unit(target(Strategy.APPEND), P9, [replace(h.lake.manifest(k2), schemas=("63dd24e7cc258f8a",))])
        )
        assert loaded.action == "loaded"
        assert [s.fingerprint for s in sink.schemas()] == ["63dd24e7cc258f8a"]
        assert sink.applied("ad_server.conversion", Partition.of(P8)) != set()  # the older state is kept
    finally:
        sink.close()
