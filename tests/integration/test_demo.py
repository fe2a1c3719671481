"""``loaders demo`` end to end: the numbers it shows are the numbers the warehouse holds.

The demo is run twice in one folder (the second run must start clean and leave the
user's own files alone); every expectation is computed from the demo's own generator,
and the warehouse is read directly with DuckDB, not through loaders.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from loaders.config import load_config
from loaders.demo import CLICK, CONVERSION, TABLES, DemoData, generate, run_demo
from loaders.runner import Runner
from sinks.base import PartitionState


@dataclass(frozen=True)
class DemoRun:
    root: Path
    codes: tuple[int, int]
    data: DemoData


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    root = tmp_path_factory.mktemp("demo")
    first = run_demo(root)
    (root / "notes.txt").write_text("mine, not the demo's")
    second = run_demo(str(root))
    # The lake's newest click day is the demo's "today" (robust to a run across midnight UTC).
    today = max(date.fromisoformat(p.name.removeprefix("dt=")) for p in (root / "lake/data/ad_server/click").iterdir())
    return DemoRun(root=root, codes=(first, second), data=generate(today))


def query(root: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def states(root: Path) -> list[PartitionState]:
    runner = Runner(load_config(str(root / "loaders.toml")))
    try:
        return [state for _sink, state in runner.states()]
    finally:
        runner.close()


def test_demo_succeeds_twice_in_the_same_folder(demo: DemoRun) -> None:
    assert demo.codes == (0, 0)
    assert (demo.root / "notes.txt").read_text() == "mine, not the demo's"


def test_tables_hold_exactly_the_generated_rows(demo: DemoRun) -> None:
    data = demo.data
    clicks = sum(b.table.num_rows for b in data.initial if b.dataset == CLICK)
    batches = [b for b in (*data.initial, data.late) if b.dataset == CONVERSION]
    conversion_ids = {cid for b in batches for cid in b.table["conversion_id"].to_pylist()}
    assert data.expected_rows() == {TABLES[CLICK]: clicks, TABLES[CONVERSION]: len(conversion_ids)}
    assert query(demo.root, "SELECT count(*) FROM raw.clicks") == [(clicks,)]
    assert query(demo.root, "SELECT count(*) FROM raw.conversions") == [(len(conversion_ids),)]
    loaded = {r[0] for r in query(demo.root, "SELECT conversion_id FROM raw.conversions")}
    assert loaded == conversion_ids


def test_late_batch_landed_in_its_old_partition(demo: DemoRun) -> None:
    late = demo.data.late
    dt, hour = (v for _k, v in late.partition)
    ids = late.table["conversion_id"].to_pylist()
    found = query(
        demo.root,
        "SELECT dt, hour, count(*) FROM raw.conversions WHERE list_contains(?, conversion_id) GROUP BY ALL",
        ids,
    )
    assert found == [(dt, hour, len(ids))]


def test_duplicate_delivery_changed_nothing(demo: DemoRun) -> None:
    data = demo.data
    per_day = {dict(b.partition)["dt"]: b.table.num_rows for b in data.initial if b.dataset == CLICK}
    # Clicks are appended: a re-applied duplicate would double a day's rows.
    assert dict(query(demo.root, "SELECT dt, count(*) FROM raw.clicks GROUP BY dt")) == per_day
    # Each manifest version is recorded once: the first delivery, the late batch and the correction.
    applied = query(demo.root, "SELECT url, count(*) FROM _loaders.manifests GROUP BY url")
    assert len(applied) == len(data.initial) + 2
    assert {n for _url, n in applied} == {1}
    # And once more now: a third delivery of the same manifests is skipped, rows unchanged.
    both = "SELECT (SELECT count(*) FROM raw.clicks), (SELECT count(*) FROM raw.conversions)"
    before = query(demo.root, both)
    runner = Runner(load_config(str(demo.root / "loaders.toml")))
    try:
        outcomes = runner.load([b.key for b in data.initial])
    finally:
        runner.close()
    assert {o.action for o in outcomes} == {"skipped"}
    assert len(outcomes) == len(data.initial)
    assert query(demo.root, both) == before


def test_newer_version_wins_and_stale_version_does_not_overwrite(demo: DemoRun) -> None:
    data = demo.data
    sql = "SELECT booking_value, event_ts FROM raw.conversions WHERE conversion_id = ?"
    new, stale, original = data.corrected, data.stale, data.stale_original
    assert query(demo.root, sql, new["conversion_id"]) == [(new["booking_value"], new["event_ts"])]
    assert query(demo.root, sql, stale["conversion_id"]) == [(original["booking_value"], original["event_ts"])]
    assert stale["event_ts"] < original["event_ts"] and stale["booking_value"] != original["booking_value"]


def test_broken_manifest_failed_its_partition_and_loaded_nothing(demo: DemoRun) -> None:
    bad = demo.data.bad
    by_status: dict[str, list[PartitionState]] = {}
    for state in states(demo.root):
        by_status.setdefault(state.status, []).append(state)
    assert set(by_status) == {"loaded", "failed"}
    [failed] = by_status["failed"]
    assert (failed.dataset, failed.partition, failed.rows, failed.manifests) == (CONVERSION, bad.partition_key, 0, 0)
    assert failed.last_error is not None
    assert "SizeMismatchError" in failed.last_error and bad.key in failed.last_error
    dt, hour = (v for _k, v in bad.partition)
    assert query(demo.root, "SELECT count(*) FROM raw.conversions WHERE dt = ? AND hour = ?", dt, hour) == [(0,)]
    assert len(by_status["loaded"]) == len(demo.data.initial)


@pytest.fixture
def forgetful_sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A sink that never remembers what it applied, so duplicates are not skipped."""
    from sinks.sql import SqlSink

    monkeypatch.setattr(SqlSink, "_state_now", lambda self, context: ({}, set()))
    yield


def test_demo_fails_with_one_line_when_duplicates_are_not_skipped(
    tmp_path: Path, forgetful_sink: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_demo(tmp_path) == 1
    out = capsys.readouterr().out
    assert "demo failed:" in out and "duplicate delivery" in out
    assert "Traceback" not in out
