"""PostgreSQL runs the sink conformance suite on the real server of this machine.

One database per test session (``loaders_test_<random>``), dropped at the end; each test
starts from empty schemas. Without a reachable server (127.0.0.1:5432, trust auth, user
postgres or root; or ``LOADERS_TEST_POSTGRES`` as a libpq connection string) or without
psycopg, this module and every module that imports its fixtures are skipped at
collection, with one reason saying which.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from manifests import ConfigError, Partition, SchemaMismatchError, TerminalError, TransientError
from sinks import Strategy, open_sink
from sinks.base import Snapshot
from sinks.postgres import PostgresSink, connect_args
from tests.integration.conformance import P8, P9, TABLE, Harness, SinkContract, rows, target, unit
from tests.lake import Lake

HOST, PORT = "127.0.0.1", 5432
USERS = ("postgres", "root")
_created: list[Server] = []


@dataclass(frozen=True)
class Server:
    """A database of its own on the test server."""

    conninfo: str
    user: str
    database: str

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{self.user}@{HOST}:{PORT}/{self.database}"

    def connect(self) -> Any:
        import psycopg

        return psycopg.connect(f"{self.conninfo} dbname={self.database}", autocommit=True)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with self.connect() as conn:
            cur = conn.execute(sql)
            return [tuple(r) for r in cur.fetchall()] if cur.description else []

    def reset(self) -> None:
        """Every schema a test may have made, dropped (the state, raw, odd names, public)."""
        with self.connect() as conn:
            found = conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'"
            ).fetchall()
            for (name,) in found:
                conn.execute(f'DROP SCHEMA "{name}" CASCADE')  # names from the catalogue, quoted
            conn.execute("CREATE SCHEMA public")


def _reach_server() -> tuple[str, str]:
    """A libpq connection string that reaches the server as a superuser, and the user.

    Without one this module is skipped at collection, and so is every module importing
    it: one reason, one place (this line), one line in pytest's summary."""
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg is not installed: pip install 'loaders[postgres]'", allow_module_level=True)
    given = os.environ.get("LOADERS_TEST_POSTGRES")
    candidates = [given] if given else [f"host={HOST} port={PORT} user={u} connect_timeout=3" for u in USERS]
    errors = []
    for conninfo in candidates:
        try:
            with psycopg.connect(f"{conninfo} dbname=postgres", autocommit=True) as conn:
                row = conn.execute("SELECT current_user").fetchone()
            return conninfo, str(row[0] if row else "")
        except psycopg.Error as exc:
            errors.append(str(exc).strip().splitlines()[0])
    reason = f"no PostgreSQL server for these tests at {HOST}:{PORT} ({'; '.join(errors)}); .ci/run starts it"
    pytest.skip(reason, allow_module_level=True)


ADMIN, ADMIN_USER = _reach_server()


@pytest.fixture(scope="session", name="pg_server")
def fixture_pg_server() -> Iterator[Server]:
    """The session's database; created once even when several modules import this fixture."""
    import psycopg

    if not _created:
        database = f"loaders_test_{secrets.token_hex(4)}"
        with psycopg.connect(f"{ADMIN} dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        _created.append(Server(ADMIN, ADMIN_USER, database))
    server = _created[0]
    yield server
    with (
        contextlib.suppress(psycopg.Error),
        psycopg.connect(f"{server.conninfo} dbname=postgres", autocommit=True) as conn,
    ):
        conn.execute(f'DROP DATABASE IF EXISTS "{server.database}" WITH (FORCE)')


@pytest.fixture(name="pg")
def fixture_pg(pg_server: Server) -> Server:
    pg_server.reset()
    return pg_server


def postgres_harness(root: Path, server: Server, **options: Any) -> Harness:
    lake = Lake(root / "lake")

    def open_sink() -> PostgresSink:
        return PostgresSink("pg", {"type": "postgres", "url": server.url, **options}, lake.store, str(root))

    return Harness(lake=lake, open_sink=open_sink, read=server.query)


class TestPostgresContract(SinkContract):
    @pytest.fixture
    def harness(self, tmp_path: Path, pg: Server) -> Harness:
        return postgres_harness(tmp_path, pg)


# -- what the contract does not cover --------------------------------------------------------


def load(h: Harness, strategy: Strategy, partition: dict[str, str], keys: list[str]) -> Any:
    sink = h.open_sink()
    try:
        return sink.load(unit(target(strategy), partition, [h.lake.manifest(k) for k in keys]))
    finally:
        sink.close()


def test_the_registry_opens_it_without_connecting(tmp_path: Path) -> None:
    sink = open_sink(
        "pg", {"type": "postgres", "url": "postgresql+psycopg://u@nowhere.invalid/db"}, Lake(tmp_path).store
    )
    assert isinstance(sink, PostgresSink) and sink.capabilities.concurrent_loads
    sink.close()


def test_url_parts_and_query_parameters_reach_the_driver() -> None:
    args = connect_args(
        "postgresql+psycopg://us%40er:p%3Ass@db.example:6543/ware%20house?sslmode=require", ("postgresql+psycopg",)
    )
    assert args == {
        "host": "db.example", "port": 6543, "user": "us@er", "password": "p:ss", "database": "ware house",
        "sslmode": "require",
    }  # fmt: skip


def test_a_wrong_url_is_a_config_error_that_hides_the_password() -> None:
    with pytest.raises(ConfigError, match=r"expected postgresql\+psycopg://") as caught:
        connect_args("mysql://u:secret@h/db", ("postgresql+psycopg",))
    assert "secret" not in str(caught.value)


def test_an_unreachable_server_is_a_transient_error(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    key = lake.write(P8, "b1", rows((1, 10, 1.0)))
    # port 1 on loopback: refused at once, nothing leaves the machine
    sink = PostgresSink("pg", {"url": f"postgresql+psycopg://nobody:pw@{HOST}:1/db"}, lake.store)
    with pytest.raises(TransientError, match=r"cannot connect to 127\.0\.0\.1:1/db") as caught:
        sink.load(unit(target(Strategy.APPEND), P8, [lake.manifest(key)]))
    assert "pw" not in str(caught.value)


def test_types_survive_the_csv_stream(tmp_path: Path, pg: Server) -> None:
    """NULL versus empty string, quotes and newlines, binary, nested, decimals, timestamps."""
    import datetime as dt
    from decimal import Decimal

    h = postgres_harness(tmp_path, pg)
    table = pa.table(
        {
            "conversion_id": pa.array([1, 2, 3], pa.int64()),
            "event_ts": pa.array([10, 10, 10], pa.int32()),
            "revenue": pa.array([1.5, None, float("inf")]),
            "note": pa.array(["", None, 'say "hi",\nthen go']),
            "blob": pa.array([b"\x00\xff", None, b""]),
            "tags": pa.array([["a", "b"], None, []]),
            "price": pa.array([Decimal("1.23"), None, Decimal("-0.50")], pa.decimal128(10, 2)),
            "at": pa.array([dt.datetime(2026, 11, 28, 8, 0, 1, 250000), None, None], pa.timestamp("us")),
            "day": pa.array([dt.date(2026, 11, 28), None, None]),
            "kind": pa.array(["x", "y", "x"]).dictionary_encode(),
        }
    )
    key = h.lake.write(P8, "b1", table)
    assert load(h, Strategy.APPEND, P8, [key]).rows == 3
    got = pg.query(
        f"SELECT conversion_id, revenue, note, blob, tags, price, at, day, kind, dt, hour FROM {TABLE} ORDER BY 1"
    )
    assert got == [
        (1, 1.5, "", b"\x00\xff", ["a", "b"], Decimal("1.23"), dt.datetime(2026, 11, 28, 8, 0, 1, 250000),
         dt.date(2026, 11, 28), "x", "2026-11-28", "08"),
        (2, None, None, None, None, None, None, None, "y", "2026-11-28", "08"),
        (3, float("inf"), 'say "hi",\nthen go', b"", [], Decimal("-0.50"), None, None, "x", "2026-11-28", "08"),
    ]  # fmt: skip
    columns = dict(
        pg.query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'conversions'")
    )
    assert columns["blob"] == "bytea" and columns["tags"] == "jsonb" and columns["price"] == "numeric"


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_csv_and_json_lines_load_and_count(tmp_path: Path, pg: Server, fmt: str) -> None:
    h = postgres_harness(tmp_path, pg)
    key = h.lake.write(P8, "b1", rows((1, 10, 1.0), (2, 10, 2.5)), fmt=fmt)
    tgt = target(Strategy.APPEND)
    sink = h.open_sink()
    try:
        fmt_target = type(tgt)(**{**tgt.__dict__, "format": fmt})
        result = sink.load(unit(fmt_target, P8, [h.lake.manifest(key)]))
    finally:
        sink.close()
    assert (result.action, result.rows) == ("loaded", 2)
    assert pg.query(f"SELECT conversion_id, revenue, dt FROM {TABLE} ORDER BY 1") == [
        (1, 1.0, "2026-11-28"),
        (2, 2.5, "2026-11-28"),
    ]


def test_small_batches_stream_a_file_in_pieces(tmp_path: Path, pg: Server) -> None:
    h = postgres_harness(tmp_path, pg, batch_rows=7)
    key = h.lake.write(P8, "b1", rows(*((i, 10, float(i)) for i in range(100))))
    sink = h.open_sink()
    sent: list[int] = []
    original = sink._feed  # type: ignore[attr-defined]

    def counting(*args: Any) -> Any:
        for chunk in original(*args):
            sent.append(chunk.count(b"\n"))
            yield chunk

    sink._feed = counting  # type: ignore[attr-defined]
    try:
        assert sink.load(unit(target(Strategy.APPEND), P8, [h.lake.manifest(key)])).rows == 100
    finally:
        sink.close()
    assert sent == [7] * 14 + [2]
    assert pg.query(f"SELECT count(*), count(DISTINCT conversion_id) FROM {TABLE}") == [(100, 100)]


def test_files_of_one_unit_with_different_column_types_are_widened(tmp_path: Path, pg: Server) -> None:
    h = postgres_harness(tmp_path, pg)
    k1 = h.lake.write(P8, "b1", pa.table({"conversion_id": pa.array([1], pa.int32()), "revenue": [1.0]}))
    k2 = h.lake.write(P8, "b2", pa.table({"conversion_id": pa.array([2**40], pa.int64()), "revenue": [2.0]}))
    assert load(h, Strategy.APPEND, P8, [k1, k2]).rows == 2
    assert pg.query(f"SELECT conversion_id FROM {TABLE} ORDER BY 1") == [(1,), (2**40,)]


def test_incompatible_column_types_are_a_schema_error(tmp_path: Path, pg: Server) -> None:
    h = postgres_harness(tmp_path, pg)
    k1 = h.lake.write(P8, "b1", pa.table({"conversion_id": [1]}))
    k2 = h.lake.write(P8, "b2", pa.table({"conversion_id": [[1, 2]]}))
    with pytest.raises(SchemaMismatchError, match="disagree on column types"):
        load(h, Strategy.APPEND, P8, [k1, k2])


def test_a_column_whose_values_the_target_cannot_hold_is_refused_before_copying(tmp_path: Path, pg: Server) -> None:
    h = postgres_harness(tmp_path, pg)
    k1 = h.lake.write(P8, "b1", rows((1, 10, 1.0)))
    load(h, Strategy.APPEND, P8, [k1])
    k2 = h.lake.write(P8, "b2", [{"conversion_id": 2, "event_ts": 10, "revenue": "lots"}], fmt="csv")
    csv_target = type(target(Strategy.APPEND))(**{**target(Strategy.APPEND).__dict__, "format": "csv"})
    sink = h.open_sink()
    try:
        steps = spy_steps(sink)
        with pytest.raises(SchemaMismatchError) as caught:
            sink.load(unit(csv_target, P8, [h.lake.manifest(k2)]))
    finally:
        sink.close()
    assert "column revenue: the table has DOUBLE PRECISION but the data has TEXT" in str(caught.value)
    assert caught.value.manifest is not None and caught.value.manifest.endswith("b2.json")
    assert "copy_stage" not in steps and "create_stage" not in steps
    assert pg.query(f"SELECT conversion_id FROM {TABLE}") == [(1,)]


def test_a_deadlock_or_serialization_failure_is_transient(tmp_path: Path, pg: Server) -> None:
    import psycopg.errors

    sink = postgres_harness(tmp_path, pg).open_sink()
    assert isinstance(sink._translate(psycopg.errors.DeadlockDetected("d"), "merge"), TransientError)  # type: ignore[attr-defined]
    assert isinstance(sink._translate(psycopg.errors.SerializationFailure("s"), "merge"), TransientError)  # type: ignore[attr-defined]
    assert isinstance(sink._translate(psycopg.errors.LockNotAvailable("l"), "lock"), TransientError)  # type: ignore[attr-defined]
    assert isinstance(sink._translate(psycopg.errors.DivisionByZero("z"), "merge"), TerminalError)  # type: ignore[attr-defined]
    assert isinstance(sink._translate(psycopg.errors.UndefinedColumn("u"), "merge"), TerminalError)  # type: ignore[attr-defined]


def test_a_broken_connection_is_transient_and_the_next_load_reconnects(tmp_path: Path, pg: Server) -> None:
    h = postgres_harness(tmp_path, pg)
    k1 = h.lake.write(P8, "b1", rows((1, 10, 1.0)))
    k2 = h.lake.write(P9, "b1", rows((2, 10, 2.0)))
    sink = h.open_sink()
    try:
        sink.load(unit(target(Strategy.APPEND), P8, [h.lake.manifest(k1)]))
        [(pid,)] = sink._query("SELECT pg_backend_pid()")  # type: ignore[attr-defined]
        pg.query(f"SELECT pg_terminate_backend({int(pid)})")
        with pytest.raises(TransientError):
            sink.load(unit(target(Strategy.APPEND), P9, [h.lake.manifest(k2)]))
        assert sink.load(unit(target(Strategy.APPEND), P9, [h.lake.manifest(k2)])).action == "loaded"
    finally:
        sink.close()
    assert pg.query(f"SELECT conversion_id FROM {TABLE} ORDER BY 1") == [(1,), (2,)]


def test_threads_sharing_one_sink_use_a_connection_each(tmp_path: Path, pg: Server) -> None:
    """The backfill runs a concurrent sink's units in threads, on one sink object."""
    import threading

    h = postgres_harness(tmp_path, pg)
    parts = [{"dt": "2026-11-28", "hour": f"{i:02d}"} for i in range(4)]
    keys = [h.lake.write(p, "b1", rows((i, 10, 1.0))) for i, p in enumerate(parts)]
    sink = h.open_sink()
    start = threading.Barrier(4)
    errors: list[BaseException] = []
    pids: dict[int, Any] = {}

    def work(i: int) -> None:
        try:
            start.wait()
            sink.load(unit(target(Strategy.MERGE), parts[i], [h.lake.manifest(keys[i])]))
            [(pids[i],)] = sink._query("SELECT pg_backend_pid()")  # type: ignore[attr-defined]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sink.close()
    assert errors == []
    assert sorted(pids) == [0, 1, 2, 3] and len(set(pids.values())) == 4  # four server backends: one per thread
    assert pg.query(f"SELECT conversion_id, hour FROM {TABLE} ORDER BY 1") == [(i, f"{i:02d}") for i in range(4)]
    assert len(pg.query("SELECT 1 FROM _loaders.partitions")) == 4


def test_states_are_read_back_with_typed_values(tmp_path: Path, pg: Server) -> None:
    h = postgres_harness(tmp_path, pg)
    manifest = h.lake.manifest(h.lake.write(P8, "b1", rows((1, 10, 1.0))))
    loaded = unit(target(Strategy.REPLACE), P8, [manifest])
    sink = h.open_sink()
    try:
        sink.load(loaded)
    finally:
        sink.close()
    sink = h.open_sink()  # a new connection: everything below comes from the server
    try:
        snap = sink.snapshot("ad_server.conversion", [Partition.of(P8), Partition.of(P9)])
        [state] = sink.states("ad_server.conversion")
    finally:
        sink.close()
    [(key, found)] = snap.items()
    assert key == "dt=2026-11-28/hour=08" and isinstance(found.attempted_at, datetime)
    assert found == Snapshot(
        status="loaded", error=None, applied=frozenset({manifest.identity}), attempted_at=found.attempted_at
    )
    assert found.attempted_at.tzinfo is None and state.attempted_at == found.attempted_at
    assert (state.dataset, state.partition) == ("ad_server.conversion", "dt=2026-11-28/hour=08")
    assert (state.status, state.manifests, state.rows) == ("loaded", 1, 1)
    assert (state.last_error, state.load_id) == (None, loaded.load_id)
    assert isinstance(state.loaded_at, datetime)
    assert type(state.attempts) is int and state.attempts == 0  # failed attempts since the last success


def test_a_column_null_in_every_row_takes_the_targets_type(tmp_path: Path, pg: Server) -> None:
    """JSON lines whose revenue is always null give Arrow's null type; staged with the target's
    double precision (the stage copies it from the target), not as text the insert refuses."""
    h = postgres_harness(tmp_path, pg)
    load(h, Strategy.APPEND, P8, [h.lake.write(P8, "b1", rows((1, 10, 1.0)))])
    key = h.lake.write(P8, "b2", [{"conversion_id": 2, "event_ts": 10, "revenue": None}], fmt="jsonl")
    tgt = target(Strategy.APPEND)
    sink = h.open_sink()
    try:
        assert sink.load(unit(type(tgt)(**{**tgt.__dict__, "format": "jsonl"}), P8, [h.lake.manifest(key)])).rows == 1
    finally:
        sink.close()
    assert pg.query(f"SELECT conversion_id, revenue FROM {TABLE} ORDER BY 1") == [(1, 1.0), (2, None)]


def spy_steps(sink: Any) -> list[str]:
    """The steps the sink executes from now on, in order."""
    steps: list[str] = []
    original = sink.execute

    def spy(step: str, **context: Any) -> Any:
        steps.append(step)
        return original(step, **context)

    sink.execute = spy
    return steps


def test_a_column_the_target_lacks_is_added_with_its_type_in_the_load_transaction(tmp_path: Path, pg: Server) -> None:
    h = postgres_harness(tmp_path, pg)
    load(h, Strategy.MERGE, P8, [h.lake.write(P8, "b1", rows((1, 10, 1.0)))])
    seen = pa.array([1_700_000_000_000_000], pa.timestamp("us"))
    key = h.lake.write(P8, "b2", pa.table({"conversion_id": [2], "event_ts": [11], "revenue": [2.0], "seen": seen}))
    sink = h.open_sink()
    try:
        steps = spy_steps(sink)
        assert sink.load(unit(target(Strategy.MERGE), P8, [h.lake.manifest(key)])).rows == 1
    finally:
        sink.close()
    assert steps.index("begin") < steps.index("add_column") < steps.index("merge") < steps.index("commit")
    assert pg.query(
        "SELECT data_type FROM information_schema.columns WHERE table_name = 'conversions' AND column_name = 'seen'"
    ) == [("timestamp without time zone",)]
    got = pg.query(f"SELECT conversion_id, seen IS NULL FROM {TABLE} ORDER BY 1")
    assert got == [(1, True), (2, False)]


def test_memory_is_bounded_by_a_batch_not_the_file(tmp_path: Path, pg: Server) -> None:
    """A million rows in one Parquet row group (24 MB decoded), streamed 2,000 rows at a
    time: Arrow's memory stays well under the file's decoded size, so no step (a reader, a
    conversion) ever holds the whole file."""
    import numpy as np
    import pyarrow.parquet as pq

    h = postgres_harness(tmp_path, pg, batch_rows=2000)
    n = 1_000_000
    rng = np.random.default_rng(1)
    table = pa.table({"conversion_id": np.arange(n), "event_ts": rng.integers(0, 1 << 40, n), "revenue": rng.random(n)})
    key = h.lake.write(P8, "b1", table)
    assert pq.ParquetFile(next((tmp_path / "lake" / "data").rglob("*.parquet"))).metadata.num_row_groups == 1
    sink = h.open_sink()
    original = sink._feed  # type: ignore[attr-defined]
    base = pa.total_allocated_bytes()
    peak = [0]

    def watched(*args: Any) -> Any:
        for chunk in original(*args):
            peak[0] = max(peak[0], pa.total_allocated_bytes() - base)
            yield chunk

    sink._feed = watched  # type: ignore[attr-defined]
    try:
        assert sink.load(unit(target(Strategy.APPEND), P8, [h.lake.manifest(key)])).rows == n
    finally:
        sink.close()
    assert 0 < peak[0] < table.nbytes / 2, (peak[0], table.nbytes)


def test_two_loads_bringing_the_same_new_column_at_once_both_commit(tmp_path: Path, pg: Server) -> None:
    """Both look at the target under their own partition's lock and find the column missing;
    the second ALTER waits for the first to commit, then adds nothing (IF NOT EXISTS)
    instead of failing with 'column already exists'."""
    import threading

    h = postgres_harness(tmp_path, pg)
    load(h, Strategy.APPEND, P8, [h.lake.write(P8, "b0", rows((0, 10, 1.0)))])
    parts = [{"dt": "2026-11-28", "hour": f"{i:02d}"} for i in (1, 2)]
    keys = [
        h.lake.write(p, "b1", [{"conversion_id": i, "event_ts": 10, "revenue": 1.0, "coupon": f"c{i}"}])
        for i, p in zip((1, 2), parts, strict=True)
    ]
    both_locked = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []

    class Racing(PostgresSink):
        def checkpoint(self, step: str) -> None:
            if step == "locked":  # neither has looked at the target's columns yet
                both_locked.wait()

    def work(i: int) -> None:
        sink = Racing("pg", {"type": "postgres", "url": pg.url}, h.lake.store, str(tmp_path))
        try:
            sink.load(unit(target(Strategy.APPEND), parts[i], [h.lake.manifest(keys[i])]))
        except BaseException as exc:
            errors.append(exc)
        finally:
            sink.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    got = pg.query(f"SELECT conversion_id, coupon FROM {TABLE} ORDER BY 1")
    assert got == [(0, None), (1, "c1"), (2, "c2")]
