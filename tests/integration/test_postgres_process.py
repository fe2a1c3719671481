"""What only real processes can show on a real server: six loaders at once, a loader killed.

Each loader is a separate Python process with its own connection. They start together:
every child loads its inputs (files, manifests), says ``ready`` and waits; the test then
releases all of them at once. A killed loader is stopped at a checkpoint inside its
transaction (it waits on stdin there) and then sent SIGKILL: no rollback, no cleanup; the
server ends its session when the socket closes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from sinks import Strategy
from tests.integration.conformance import P8, P9, TABLE, rows, target, unit
from tests.integration.test_postgres_sink import (  # noqa: F401 - the fixtures pg and pg_server
    Server,
    fixture_pg,
    fixture_pg_server,
    postgres_harness,
)

ROOT = Path(__file__).resolve().parents[2]
LOADERS = 6

CHILD = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from pathlib import Path
    from sinks import Strategy
    from tests.integration.conformance import target, unit
    from tests.integration.test_postgres_sink import Server, postgres_harness
    from tests.integration.test_redshift_postgres import redshift_harness

    server = Server(*json.loads(sys.argv[3]))
    job = json.loads(sys.argv[4])
    make = redshift_harness if job.get("sink") == "redshift" else postgres_harness
    h = make(Path(sys.argv[2]), server)
    sink = h.open_sink()
    manifests = [h.lake.manifest(k) for k in job["keys"]]
    the_unit = unit(target(Strategy(job["strategy"])), job["partition"], manifests)

    def block(at):
        if at == job.get("block"):
            print("blocked", flush=True)
            sys.stdin.readline()  # until killed

    sink.checkpoint = block
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        sys.exit(3)
    result = sink.load(the_unit)
    sink.close()
    print(json.dumps({"action": result.action, "rows": result.rows}), flush=True)
    """
)


def start(tmp_path: Path, server: Server, job: dict[str, Any]) -> subprocess.Popen[str]:
    args = json.dumps([server.conninfo, server.user, server.database])
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(ROOT), str(tmp_path), args, json.dumps(job)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return child


def expect(child: subprocess.Popen[str], line: str) -> None:
    assert child.stdout is not None
    got = child.stdout.readline().strip()
    if got != line:
        child.kill()
        raise AssertionError(f"child said {got!r}, expected {line!r}: {child.communicate(timeout=30)[1]}")


def run_together(tmp_path: Path, server: Server, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Start every loader, wait until all are ready, release them at once; their results."""
    children = [start(tmp_path, server, job) for job in jobs]
    try:
        for child in children:
            expect(child, "ready")
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        results = []
        for child in children:
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()


@pytest.mark.parametrize("strategy", [Strategy.APPEND, Strategy.MERGE])
def test_six_loaders_of_the_same_manifests_all_succeed_and_load_every_row_once(
    tmp_path: Path, pg: Server, strategy: Strategy
) -> None:
    h = postgres_harness(tmp_path, pg)
    keys = [h.lake.write(P8, f"b{b}", rows(*((b * 1000 + i, 10, 1.0) for i in range(500)))) for b in range(3)]
    job = {"keys": keys, "strategy": strategy.value, "partition": P8}
    results = run_together(tmp_path, pg, [job] * LOADERS)
    assert sorted(r["action"] for r in results) == ["loaded"] + ["skipped"] * (LOADERS - 1)
    assert [r["rows"] for r in results if r["action"] == "loaded"] == [1500]
    assert pg.query(f"SELECT count(*), count(DISTINCT conversion_id) FROM {TABLE}") == [(1500, 1500)]
    assert pg.query("SELECT status, manifests, rows_loaded FROM _loaders.partitions") == [("loaded", 3, 1500)]
    assert pg.query("SELECT count(*) FROM _loaders.manifests") == [(3,)]


def test_six_first_loads_of_two_partitions_create_one_table_and_merge_across_them(tmp_path: Path, pg: Server) -> None:
    """No state tables, no target yet: the DDL lock makes the first loads take turns, and a
    load that waited merges into the table another created instead of inserting beside it."""
    h = postgres_harness(tmp_path, pg)
    k8 = h.lake.write(P8, "b1", rows(*((i, 10, 1.0) for i in range(300))))
    k9 = h.lake.write(P9, "b1", rows(*((i, 20, 2.0) for i in range(150, 450))))  # keys 150..299 in both, newer
    jobs = [{"keys": [k8 if i % 2 else k9], "strategy": "merge", "partition": P8 if i % 2 else P9} for i in range(6)]
    results = run_together(tmp_path, pg, jobs)
    assert sorted(r["action"] for r in results) == ["loaded", "loaded", "skipped", "skipped", "skipped", "skipped"]
    got = pg.query(f"SELECT conversion_id, event_ts, hour FROM {TABLE} ORDER BY 1")
    assert [r[0] for r in got] == list(range(450))  # every key once
    assert {r[1:] for r in got if 150 <= r[0] < 300} == {(20, "09")}  # the newer version won, whoever ran first
    assert sorted(pg.query("SELECT partition_key, status FROM _loaders.partitions")) == [
        ("dt=2026-11-28/hour=08", "loaded"),
        ("dt=2026-11-28/hour=09", "loaded"),
    ]


def test_redshift_loaders_queue_on_the_state_lock(tmp_path: Path, pg: Server) -> None:
    """The Redshift sink's LOCK of the state tables, on PostgreSQL: four at once, one loads."""
    h = postgres_harness(tmp_path, pg)
    keys = [h.lake.write(P8, f"b{b}", rows(*((b * 100 + i, 10, 1.0) for i in range(100)))) for b in range(2)]
    job = {"keys": keys, "strategy": "append", "partition": P8, "sink": "redshift"}
    first = run_together(tmp_path, pg, [job])  # creates the state tables; Redshift has no DDL lock
    more = run_together(tmp_path, pg, [{**job, "keys": [*keys, h.lake.write(P8, "b9", rows((9999, 1, 1.0)))]}] * 4)
    assert first == [{"action": "loaded", "rows": 200}]
    assert sorted(r["action"] for r in more) == ["loaded", "skipped", "skipped", "skipped"]
    assert pg.query(f"SELECT count(*), count(DISTINCT conversion_id) FROM {TABLE}") == [(201, 201)]
    assert pg.query("SELECT count(*) FROM _loaders.partitions") == [(1,)]


@pytest.mark.parametrize("step", ["locked", "applied", "recorded"])
def test_a_loader_killed_mid_transaction_leaves_nothing_and_the_rerun_converges(
    tmp_path: Path, pg: Server, step: str
) -> None:
    h = postgres_harness(tmp_path, pg)
    k1 = h.lake.write(P8, "b1", rows((1, 10, 1.0)))
    sink = h.open_sink()
    try:
        sink.load(unit(target(Strategy.MERGE), P8, [h.lake.manifest(k1)]))
    finally:
        sink.close()
    k2 = h.lake.write(P8, "b2", rows((1, 20, 2.0), (2, 10, 3.0)))
    before = pg.query(f"SELECT * FROM {TABLE} ORDER BY 1")
    state_before = pg.query("SELECT status, manifests, rows_loaded, attempts FROM _loaders.partitions")

    child = start(tmp_path, pg, {"keys": [k1, k2], "strategy": "merge", "partition": P8, "block": step})
    try:
        expect(child, "ready")
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
        expect(child, "blocked")  # inside the transaction, holding the partition's lock
        assert pg.query(f"SELECT * FROM {TABLE} ORDER BY 1") == before  # nothing visible meanwhile
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
    assert pg.query(f"SELECT * FROM {TABLE} ORDER BY 1") == before
    assert pg.query("SELECT status, manifests, rows_loaded, attempts FROM _loaders.partitions") == state_before

    sink = h.open_sink()  # waits, if need be, until the server has ended the killed session
    try:
        result = sink.load(unit(target(Strategy.MERGE), P8, [h.lake.manifest(k1), h.lake.manifest(k2)]))
        assert (result.action, result.rows, result.manifests) == ("loaded", 2, 1)
        [state] = sink.states()
        assert (state.status, state.manifests, state.rows) == ("loaded", 2, 3)
    finally:
        sink.close()
    assert pg.query(f"SELECT conversion_id, event_ts FROM {TABLE} ORDER BY 1") == [(1, 20), (2, 10)]
    stale = pg.query(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in%'"
    )
    assert stale == [(0,)]  # the killed session is gone, not idle in a transaction
