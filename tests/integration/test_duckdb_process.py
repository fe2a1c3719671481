"""What only a real process can show: a killed loader, a file held elsewhere, threads."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from manifests import SinkBusyError
from sinks import Strategy
from sinks.base import LoadResult
from tests.integration.conformance import P8, TABLE, rows, target, unit
from tests.integration.test_duckdb_sink import duckdb_harness

ROOT = Path(__file__).resolve().parents[2]

KILLER = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, sys.argv[1])
    from tests.integration.conformance import P8, target, unit
    from tests.integration.test_duckdb_sink import duckdb_harness
    from pathlib import Path
    from sinks import Strategy

    h = duckdb_harness(Path(sys.argv[2]))
    sink = h.open_sink()
    step = sys.argv[3]

    def die(at):
        if at == step:
            os._exit(17)  # no rollback, no cleanup: the process is simply gone

    sink.checkpoint = die
    manifests = [h.lake.manifest(k) for k in sys.argv[5:]]
    sink.load(unit(target(Strategy(sys.argv[4])), P8, manifests))
    sys.exit(0)
    """
)


@pytest.mark.parametrize("step", ["staged", "locked", "applied", "recorded"])
def test_a_killed_process_leaves_nothing_and_the_rerun_converges(tmp_path: Path, step: str) -> None:
    h = duckdb_harness(tmp_path)
    k1 = h.lake.write(P8, "b1", rows((1, 10, 1.0)))
    sink = h.open_sink()
    sink.load(unit(target(Strategy.MERGE), P8, [h.lake.manifest(k1)]))
    sink.close()
    k2 = h.lake.write(P8, "b2", rows((1, 20, 2.0), (2, 10, 3.0)))
    before = h.read(f"SELECT * FROM {TABLE} ORDER BY 1")

    done = subprocess.run(
        [sys.executable, "-c", KILLER, str(ROOT), str(tmp_path), step, "merge", k1, k2], capture_output=True, text=True
    )
    assert done.returncode == 17, done.stderr
    assert h.read(f"SELECT * FROM {TABLE} ORDER BY 1") == before

    sink = h.open_sink()
    try:
        result = sink.load(unit(target(Strategy.MERGE), P8, [h.lake.manifest(k1), h.lake.manifest(k2)]))
        assert (result.action, result.rows, result.manifests) == ("loaded", 2, 1)
        [state] = sink.states()
        assert (state.status, state.manifests, state.rows) == ("loaded", 2, 3)
    finally:
        sink.close()
    assert h.read(f"SELECT conversion_id, event_ts FROM {TABLE} ORDER BY 1") == [(1, 20), (2, 10)]


HOLDER = textwrap.dedent(
    """
    import sys, duckdb
    conn = duckdb.connect(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.readline()
    """
)


def test_a_file_held_by_another_process_is_a_transient_error(tmp_path: Path) -> None:
    h = duckdb_harness(tmp_path)
    k1 = h.lake.write(P8, "b1", rows((1, 10, 1.0)))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "warehouse.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        sink = h.open_sink()
        with pytest.raises(SinkBusyError, match=r"warehouse\.duckdb") as caught:
            sink.load(unit(target(Strategy.APPEND), P8, [h.lake.manifest(k1)]))
        assert caught.value.transient
    finally:
        holder.communicate("\n", timeout=30)
    result = h.open_sink().load(unit(target(Strategy.APPEND), P8, [h.lake.manifest(k1)]))
    assert result.action == "loaded"


def test_concurrent_loads_in_one_process_serialise(tmp_path: Path) -> None:
    h = duckdb_harness(tmp_path)
    keys = [h.lake.write(P8, f"b{i}", rows((i, 10, float(i)))) for i in range(4)]
    manifests = [h.lake.manifest(k) for k in keys]
    results: list[LoadResult] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker() -> None:
        sink = h.open_sink()
        try:
            start.wait()
            results.append(sink.load(unit(target(Strategy.APPEND), P8, manifests)))
        except BaseException as exc:
            errors.append(exc)
        finally:
            sink.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r.action for r in results) == ["loaded", "skipped", "skipped", "skipped"]
    assert h.read(f"SELECT conversion_id FROM {TABLE} ORDER BY 1") == [(0,), (1,), (2,), (3,)]
