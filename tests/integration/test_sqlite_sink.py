"""A sink type that is not built in: the example SQLite sink (tests/example_sink), found
through its distribution's ``loaders.sinks`` entry point, runs the conformance suite and
loads from the command line."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sinks
from manifests import Partition
from sinks import Sink, open_sink
from tests.conformance_rows import conversions
from tests.installed import SQLITE, install
from tests.integration.conformance import P8, Harness, SinkContract
from tests.lake import Lake


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The example sink's distribution on sys.path, as if pip installed it."""
    folder = install(tmp_path / "site", "loaders-sqlite-example", SQLITE)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setattr(sinks, "_INSTALLED", {})
    yield folder


def read_folder(folder: Path, sql: str) -> list[tuple[Any, ...]]:
    """Committed rows through a connection of its own, every schema file attached."""
    conn = sqlite3.connect(folder / "main.sqlite", detect_types=sqlite3.PARSE_DECLTYPES)
    try:
        for path in sorted(folder.glob("*.sqlite")):
            if path.stem != "main":
                conn.execute("ATTACH DATABASE ? AS ?", (str(path), path.stem))
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def sqlite_harness(tmp_path: Path) -> Harness:
    lake = Lake(tmp_path / "lake")
    options = {"type": "sqlite", "url": "sqlite:///warehouse"}

    def open_one() -> Sink:
        return open_sink("local", options, lake.store, str(tmp_path))

    return Harness(lake=lake, open_sink=open_one, read=lambda sql: read_folder(tmp_path / "warehouse", sql))


class TestSQLiteContract(SinkContract):
    @pytest.fixture
    def harness(self, tmp_path: Path, installed: Path) -> Harness:
        return sqlite_harness(tmp_path)


def test_the_sink_is_the_entry_points_and_its_templates_its_own(tmp_path: Path, installed: Path) -> None:
    sink: Any = sqlite_harness(tmp_path).open_sink()
    try:
        assert type(sink).__module__ == "tests.example_sink.sink"
        assert sinks.find_sink_type("sqlite").package == "loaders-sqlite-example"  # type: ignore[union-attr]
        assert "tests/example_sink/sql/sqlite/attach.sql" in sink.templates.source("attach")
        assert sink.templates.source("states").endswith("sql/default/states.sql")  # the rest is shared
    finally:
        sink.close()


def test_loaders_loads_into_it_from_the_command_line(tmp_path: Path, installed: Path) -> None:
    lake = Lake(tmp_path / "lake")
    (tmp_path / "loaders.toml").write_text(
        '[store]\nroot = "./lake"\n\n[sinks.local]\ntype = "sqlite"\nurl = "sqlite:///warehouse"\n\n'
        '[datasets."ad_server.conversion"]\ntable = "raw.conversions"\nformat = "parquet"\n'
        'manifests = "manifests/ad_server/conversion/dt={dt}/hour={hour}/{batch}.json"\n'
        'partition = ["dt", "hour"]\nstrategy = "merge"\nkeys = ["conversion_id"]\norder_by = "event_ts"\n'
    )
    key = lake.write(P8, "b1", conversions((1, 10), (2, 10)))
    path = os.pathsep.join([str(installed), os.environ.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-m", "loaders", "load", key, "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    [unit] = json.loads(done.stdout)["units"]
    assert (unit["action"], unit["rows"]) == ("loaded", 2)
    rows = read_folder(tmp_path / "warehouse", "SELECT conversion_id FROM raw.conversions ORDER BY 1")
    assert rows == [(1,), (2,)]
    sink: Any = sqlite_harness(tmp_path).open_sink()
    try:
        assert sink.applied("ad_server.conversion", Partition.of(P8)) != set()
    finally:
        sink.close()
