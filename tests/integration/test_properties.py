"""Property: any sequence of deliveries gives the table a small reference model predicts.

Hypothesis draws batches over two partitions and a sequence of deliveries and in-place
rewrites: duplicates, reordering, late batches, overlapping keys, rewritten manifests.
Each strategy's final table must equal a pure-Python model of its rules. Event times
are unique, so "latest wins" never depends on a tie.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders.runner import Runner
from tests.integration.project import Project

PARTS = ({"dt": "2026-11-28", "hour": "08"}, {"dt": "2026-11-28", "hour": "09"})
SCHEMA = pa.schema([("conversion_id", pa.int64()), ("event_ts", pa.int64()), ("revenue", pa.float64())])
Row = tuple[int, int, float, str, str]


@dataclass
class Scenario:
    partition: list[int]  # batch → index into PARTS
    contents: dict[tuple[int, int], list[tuple[int, int, float]]]  # (batch, version) → rows
    ops: list[tuple[str, int]]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    batches = draw(st.integers(1, 4))
    partition = [draw(st.integers(0, 1)) for _ in range(batches)]
    ops = draw(st.lists(st.tuples(st.sampled_from(["deliver", "deliver", "rewrite"]), st.integers(0, batches - 1)),
                        min_size=1, max_size=8))  # fmt: skip
    versions = {b: 1 + sum(1 for op, i in ops if op == "rewrite" and i == b) for b in range(batches)}
    shapes = {
        (b, v): draw(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 9)), max_size=4))
        for b in range(batches)
        for v in range(versions[b])
    }
    total = sum(len(rows) for rows in shapes.values())
    times = iter(draw(st.permutations(range(total))))
    contents = {k: [(key, next(times), float(rev)) for key, rev in rows] for k, rows in shapes.items()}
    return Scenario(partition=partition, contents=contents, ops=ops)


def model(strategy: str, s: Scenario) -> list[Row]:
    """The rules of each strategy, stated as plainly as possible."""
    current: dict[int, int] = {}  # batch → version in the store
    applied: set[tuple[int, int]] = set()
    append: list[Row] = []
    merged: dict[int, Row] = {}
    replaced: dict[int, list[Row]] = {}
    replaced_set: dict[int, set[tuple[int, int]]] = {}

    def rows_of(b: int, v: int) -> list[Row]:
        p = PARTS[s.partition[b]]
        return [(k, t, r, p["dt"], p["hour"]) for k, t, r in s.contents[(b, v)]]

    for op, b in s.ops:
        if op == "rewrite":
            if b in current:
                current[b] += 1
            continue
        current.setdefault(b, 0)
        version = (b, current[b])
        if strategy == "replace":
            part = s.partition[b]
            live = {(x, v) for x, v in current.items() if s.partition[x] == part}
            if live != replaced_set.get(part):
                replaced[part] = [r for x, v in sorted(live) for r in rows_of(x, v)]
                replaced_set[part] = live
            continue
        if version in applied:
            continue
        applied.add(version)
        if strategy == "append":
            append.extend(rows_of(*version))
        else:
            newest: dict[int, Row] = {}
            for row in rows_of(*version):
                if row[0] not in newest or row[1] > newest[row[0]][1]:
                    newest[row[0]] = row
            for key, row in newest.items():
                if key not in merged or row[1] >= merged[key][1]:
                    merged[key] = row
    final = {"append": append, "merge": list(merged.values())}.get(strategy) or [
        r for rows in replaced.values() for r in rows
    ]
    return sorted(final)


def replay(strategy: str, s: Scenario, root: Path) -> list[Row]:
    project = Project(root, strategy=strategy)
    current: dict[int, int] = {}
    keys: dict[int, str] = {}

    def write(b: int) -> None:
        table = pa.Table.from_pylist(
            [{"conversion_id": k, "event_ts": t, "revenue": r} for k, t, r in s.contents[(b, current[b])]],
            schema=SCHEMA,
        )
        keys[b] = project.lake.write(PARTS[s.partition[b]], f"b{b}", table, version=f"-v{current[b]}")

    for op, b in s.ops:
        if op == "rewrite":
            if b in current:
                current[b] += 1
                write(b)
            continue
        if b not in current:
            current[b] = 0
            write(b)
        runner = Runner(project.config())
        try:
            [outcome] = runner.load([keys[b]])
        finally:
            runner.close()
        assert outcome.action in ("loaded", "skipped"), outcome.error
    got: list[Any] = project.query("SELECT conversion_id, event_ts, revenue, dt, hour FROM raw.conversions")
    return sorted(got)


@pytest.mark.parametrize("strategy", ["append", "merge", "replace"])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=scenarios())
def test_any_delivery_sequence_matches_the_model(strategy: str, s: Scenario) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        assert replay(strategy, s, Path(tmp)) == model(strategy, s)
