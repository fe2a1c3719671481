"""The Athena sinks' load state: a partition's data apart from its last attempt, reset, and
reads that write nothing. Both table formats (Hive: Glue switch; Iceberg: SQL on DuckDB
through sqlglot, tests/integration/test_athena_iceberg.py) keep the same S3 state objects
(sinks/athena/lease.py), so every test here runs on both, against a moto server's S3
and Glue over HTTP.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from manifests import Partition, RecordCountError, SinkBusyError
from sinks import ResetResult, Strategy
from sinks.athena.state import Versioned
from tests.integration.conformance import P8, P9, rows, target, unit
from tests.integration.test_athena import athena_harness, glue_clean, read_hive
from tests.integration.test_athena_iceberg import Setup
from tests.lake import Lake

__all__ = ["glue_clean"]  # the fixture: Glue on the moto server starts empty for each test

DATASET = "ad_server.conversion"
KEY = Partition.of(P8).key


@dataclass
class Rig:
    """One Athena sink's world: its lake, fresh sink objects, the table's rows, and S3 and
    Glue to look at from outside."""

    kind: str
    lake: Lake
    open_sink: Callable[[], Any]
    read: Callable[[str], list[tuple[Any, ...]]]
    s3: Any
    glue: Any
    bucket: str
    #: Iceberg: the statements the DuckDB stand-in for Athena ran (Hive runs none)
    statements: list[str]

    def ids(self) -> list[tuple[int, int]]:
        """(conversion_id, event_ts) of every row in the table, sorted."""
        return [(r[0], r[1]) for r in self.read("SELECT conversion_id, event_ts FROM raw.conversions ORDER BY 1, 2")]

    def load(self, strategy: Strategy, keys: list[str], partition: dict[str, str] = P8) -> Any:
        sink = self.open_sink()
        try:
            return sink.load(unit(target(strategy), partition, [self.lake.manifest(k) for k in keys]))
        finally:
            sink.close()

    def everything(self) -> tuple[list[tuple[str, str]], list[str]]:
        """Every object in the bucket (key, ETag) and every Glue database: what a read must not change."""
        listed = self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])
        databases = [d["Name"] for d in self.glue.get_databases()["DatabaseList"]]
        return sorted((o["Key"], o["ETag"]) for o in listed), sorted(databases)


@pytest.fixture(autouse=True)
def _no_pyathena_needed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The Iceberg sink is given its cursor: nothing here may connect to Athena."""
    monkeypatch.setitem(sys.modules, "pyathena", None)
    yield


@pytest.fixture(params=["hive", "iceberg"])
def rig(request: pytest.FixtureRequest, s3_bucket: tuple[str, str], glue_clean: None, tmp_path: Path) -> Rig:
    import boto3

    endpoint, bucket = s3_bucket
    s3 = boto3.client("s3", endpoint_url=endpoint)
    glue = boto3.client("glue", endpoint_url=endpoint)
    if request.param == "hive":
        harness = athena_harness(s3_bucket, tmp_path)
        return Rig("hive", harness.lake, harness.open_sink, lambda sql: read_hive(glue, s3, sql), s3, glue, bucket, [])
    setup = Setup(s3_bucket, tmp_path)

    def read(sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in setup.duck.conn.execute(sql).fetchall()]

    return Rig("iceberg", setup.lake, setup.sink, read, s3, glue, bucket, setup.duck.statements)


def state_of(sink: Any, partition: str = KEY) -> Versioned:
    return sink.states_store.read(DATASET, partition)  # type: ignore[no-any-return]


def later(sink: Any, by: timedelta) -> None:
    """Move the sink's clock on by ``by`` (Hive's gives datetimes, Iceberg's ISO strings)."""
    now = datetime.now(UTC) + by
    sink.clock = (lambda: now) if isinstance(sink.clock(), datetime) else (lambda: now.replace(tzinfo=None).isoformat())


def puts(sink: Any) -> list[str]:
    """The keys the sink's S3 client writes from now on."""
    written: list[str] = []
    sink.s3.meta.events.register("before-call.s3.PutObject", lambda params, **_kw: written.append(params["Key"]))
    return written


# -- a success clears a failure; a failure changes only the attempt --------------------------------


def test_failures_count_attempts_and_a_load_that_finds_everything_applied_clears_them(rig: Rig) -> None:
    k1 = rig.lake.write(P8, "b1", rows((1, 10, 1.0), (2, 10, 2.0)))
    assert rig.load(Strategy.APPEND, [k1]).action == "loaded"
    sink = rig.open_sink()
    [loaded] = sink.states(DATASET)
    assert (loaded.status, loaded.attempts, loaded.last_error) == ("loaded", 0, None)
    assert loaded.attempted_at == loaded.loaded_at and loaded.attempted_at is not None
    data = {k: v for k, v in state_of(sink).doc.items() if k in ("applied", "rows", "location", "loaded_at")}
    for n in (1, 2):
        sink.fail(DATASET, Partition.of(P8), f"x{n}", RecordCountError(f"boom {n}"))
    [failed] = sink.states(DATASET)
    assert (failed.status, failed.attempts, failed.manifests, failed.rows) == ("failed", 2, 1, 2)
    assert failed.last_error is not None and "boom 2" in failed.last_error
    assert failed.attempted_at is not None and failed.attempted_at.tzinfo is None
    assert abs(failed.attempted_at - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=1)
    snap = sink.snapshot(DATASET, [Partition.of(P8)])[KEY]
    assert (snap.status, snap.attempts, snap.attempted_at) == ("failed", 2, failed.attempted_at)
    assert snap.error == failed.last_error and len(snap.applied) == 1
    sink.close()

    assert rig.load(Strategy.APPEND, [k1]).action == "skipped"  # a duplicate delivery: nothing to load
    sink = rig.open_sink()
    [cleared] = sink.states(DATASET)
    assert (cleared.status, cleared.attempts, cleared.last_error) == ("loaded", 0, None)
    assert cleared.attempted_at is not None and cleared.attempted_at >= failed.attempted_at
    assert {k: v for k, v in state_of(sink).doc.items() if k in data} == data  # the data untouched
    snap = sink.snapshot(DATASET, [Partition.of(P8)])[KEY]
    assert (snap.status, snap.error, snap.attempts) == ("loaded", None, 0)
    sink.close()
    assert rig.ids() == [(1, 10), (2, 10)]


def test_a_load_that_finds_everything_applied_on_a_healthy_partition_writes_nothing(rig: Rig) -> None:
    k1 = rig.lake.write(P8, "b1", rows((1, 10, 1.0)))
    rig.load(Strategy.MERGE, [k1])
    sink = rig.open_sink()
    later(sink, timedelta(minutes=5))  # a write now would differ from the state's in attempted_at
    before = state_of(sink).etag
    written = puts(sink)
    assert sink.load(unit(target(Strategy.MERGE), P8, [rig.lake.manifest(k1)])).action == "skipped"
    assert written == [] and state_of(sink).etag == before
    sink.close()


def test_a_batch_clears_the_failure_of_a_partition_it_found_loaded(rig: Rig) -> None:
    """load_many: P8 is applied already (and failed since), P9 is new; both succeed."""
    k8 = rig.lake.write(P8, "b1", rows((1, 10, 1.0)))
    k9 = rig.lake.write(P9, "b1", rows((2, 10, 2.0)))
    rig.load(Strategy.REPLACE, [k8])
    sink = rig.open_sink()
    sink.fail(DATASET, Partition.of(P8), "x1", RecordCountError("boom"))
    tgt = target(Strategy.REPLACE)
    results = sink.load_many([unit(tgt, P8, [rig.lake.manifest(k8)]), unit(tgt, P9, [rig.lake.manifest(k9)])])
    assert [r.action for r in results] == ["skipped", "loaded"]
    assert sorted((s.partition, s.status, s.attempts) for s in sink.states(DATASET)) == [
        (KEY, "loaded", 0),
        (Partition.of(P9).key, "loaded", 0),
    ]
    sink.close()


def test_a_state_written_before_attempted_at_existed_reads_as_unknown(rig: Rig) -> None:
    k1 = rig.lake.write(P8, "b1", rows((1, 10, 1.0)))
    rig.load(Strategy.APPEND, [k1])
    sink = rig.open_sink()
    state = state_of(sink)
    old = {k: v for k, v in state.doc.items() if k != "attempted_at"}
    sink.states_store.write(Versioned({**old, "status": "failed", "attempts": 3, "last_error": "old"}, state.etag))
    [read] = sink.states(DATASET)
    assert (read.status, read.attempts, read.attempted_at) == ("failed", 3, None)
    assert sink.snapshot(DATASET, [Partition.of(P8)])[KEY].attempted_at is None
    sink.close()
    rig.load(Strategy.APPEND, [k1])  # the no-op success clears it (and stamps the attempt)
    sink = rig.open_sink()
    [read] = sink.states(DATASET)
    assert (read.status, read.attempts) == ("loaded", 0) and read.attempted_at is not None
    sink.close()


def test_a_failure_after_a_success_is_the_first_in_a_row_whatever_the_old_state_counted(rig: Rig) -> None:
    """The previous version never reset ``attempts`` on a success. Before: the first
    failure after the upgrade counted on (4 here), past the sweep's max_attempts."""
    k1 = rig.lake.write(P8, "b1", rows((1, 10, 1.0)))
    rig.load(Strategy.APPEND, [k1])
    sink = rig.open_sink()
    state = state_of(sink)
    sink.states_store.write(Versioned({**state.doc, "attempts": 3}, state.etag))  # loaded, as it was left
    sink.fail(DATASET, Partition.of(P8), "x1", RecordCountError("boom"))
    sink.fail(DATASET, Partition.of(P8), "x2", RecordCountError("boom"))
    [read] = sink.states(DATASET)
    sink.close()
    assert (read.status, read.attempts, read.manifests) == ("failed", 2, 1)


def test_a_partition_another_loader_holds_is_not_cleared_under_its_lease(rig: Rig) -> None:
    """A no-op arriving while another loader holds the lease writes nothing: the holder's
    fencing compares the state's ETag, and its own record clears the failure."""
    k1 = rig.lake.write(P8, "b1", rows((1, 10, 1.0)))
    rig.load(Strategy.APPEND, [k1])
    sink = rig.open_sink()
    sink.fail(DATASET, Partition.of(P8), "x1", RecordCountError("boom"))
    k2 = rig.lake.write(P8, "b2", rows((2, 10, 2.0)))
    held = sink.partitions.take(state_of(sink), unit(target(Strategy.APPEND), P8, [rig.lake.manifest(k2)]), {})
    assert sink.load(unit(target(Strategy.APPEND), P8, [rig.lake.manifest(k1)])).action == "skipped"
    assert state_of(sink).etag == held.etag
    with pytest.raises(SinkBusyError, match="holds the partition's lease"):
        sink.reset(DATASET, Partition.of(P8), forget=False)
    with pytest.raises(SinkBusyError, match="holds the partition's lease"):
        sink.reset(DATASET, Partition.of(P8), forget=True, dry_run=True)
    assert state_of(sink).etag == held.etag
    sink.close()


def test_a_loader_refused_by_a_live_lease_records_nothing_and_the_holder_finishes(rig: Rig) -> None:
    """Two loads of one partition: the second finds the first's live lease (SinkBusyError),
    and the runner records that failure with ``fail``. Before: that write changed the
    state's ETag under the lease, so the holder's fencing took it for a take-over and its
    load failed too ("the lease was taken over"), though nothing had taken it over."""
    k1 = rig.lake.write(P8, "b1", rows((1, 10, 1.0)))
    k2 = rig.lake.write(P8, "b2", rows((2, 10, 2.0)))
    holder, other = rig.open_sink(), rig.open_sink()
    refused: list[SinkBusyError] = []

    def meanwhile(step: str) -> None:
        if step == "locked":  # the holder has its lease; the other loader comes now
            with pytest.raises(SinkBusyError) as caught:
                other.load(unit(target(Strategy.APPEND), P8, [rig.lake.manifest(k2)]))
            other.fail(DATASET, Partition.of(P8), "other", caught.value)  # as the runner does
            refused.append(caught.value)

    holder.checkpoint = meanwhile
    try:
        result = holder.load(unit(target(Strategy.APPEND), P8, [rig.lake.manifest(k1)]))
    finally:
        holder.close()
    assert refused and (result.action, result.rows) == ("loaded", 1)
    [state] = other.states(DATASET)
    other.close()
    assert (state.status, state.attempts, state.manifests) == ("loaded", 0, 1)
    assert rig.ids() == [(1, 10)]


# -- reset -------------------------------------------------------------------------------------------


def test_reset_clears_a_failure_and_keeps_the_data(rig: Rig) -> None:
    k1 = rig.lake.write(P8, "b1", rows((1, 10, 1.0), (2, 10, 2.0)))
    rig.load(Strategy.APPEND, [k1])
    sink = rig.open_sink()
    sink.fail(DATASET, Partition.of(P8), "x1", RecordCountError("boom"))
    failed = state_of(sink)
    want = ResetResult(DATASET, KEY, found=True, failure_cleared=True)
    assert sink.reset(DATASET, Partition.of(P8), forget=False, dry_run=True) == want
    assert state_of(sink).etag == failed.etag  # the dry run wrote nothing
    assert sink.reset(DATASET, Partition.of(P8), forget=False) == want
    doc = state_of(sink).doc
    assert (doc["status"], doc["attempts"], doc["last_error"]) == ("loaded", 0, None)
    assert {k: doc[k] for k in ("applied", "rows", "location", "loaded_at", "load_id")} == {
        k: failed.doc[k] for k in ("applied", "rows", "location", "loaded_at", "load_id")
    }
    healthy = state_of(sink).etag
    assert sink.reset(DATASET, Partition.of(P8), forget=False) == ResetResult(DATASET, KEY, found=True)
    assert state_of(sink).etag == healthy  # nothing to clear: nothing written
    assert sink.reset(DATASET, Partition.of(P9), forget=True) == ResetResult(DATASET, Partition.of(P9).key, False)
    assert state_of(sink, Partition.of(P9).key).etag is None  # no object made for it
    sink.close()


@pytest.mark.parametrize("strategy", [Strategy.REPLACE, Strategy.MERGE])
def test_reset_forget_makes_the_next_load_apply_everything_again_each_row_once(rig: Rig, strategy: Strategy) -> None:
    k1 = rig.lake.write(P8, "b1", rows((1, 10, 1.0), (2, 10, 2.0)))
    k2 = rig.lake.write(P8, "b2", rows((3, 10, 3.0)))
    rig.load(strategy, [k1, k2])
    sink = rig.open_sink()
    sink.fail(DATASET, Partition.of(P8), "x1", RecordCountError("boom"))
    before = state_of(sink)
    want = ResetResult(DATASET, KEY, found=True, failure_cleared=True, manifests_forgotten=2, rows_forgotten=3)
    assert sink.reset(DATASET, Partition.of(P8), forget=True, dry_run=True) == want
    assert state_of(sink).etag == before.etag
    assert sink.reset(DATASET, Partition.of(P8), forget=True) == want
    doc = state_of(sink).doc
    assert (doc["applied"], doc["rows"], doc["loaded_at"]) == ([], 0, None)
    assert (doc["status"], doc["attempts"], doc["last_error"]) == ("loaded", 0, None)
    kept = ("location", "superseded", "lease", "schemas", "token")
    assert {k: doc.get(k) for k in kept} == {k: before.doc.get(k) for k in kept}
    assert sink.applied(DATASET, Partition.of(P8)) == set()
    [state] = sink.states(DATASET)
    assert (state.data, state.manifests, state.rows, state.failed) == ("missing", 0, 0, False)
    # a second forget finds nothing left to forget, and writes nothing
    assert sink.reset(DATASET, Partition.of(P8), forget=True) == ResetResult(DATASET, KEY, found=True)
    sink.close()

    again = rig.load(strategy, [k1, k2])
    assert (again.action, again.manifests, again.rows) == ("loaded", 2, 3)
    assert rig.ids() == [(1, 10), (2, 10), (3, 10)]  # each row once
    sink = rig.open_sink()
    [state] = sink.states(DATASET)
    assert (state.status, state.manifests, state.rows) == ("loaded", 2, 3)
    sink.close()
    assert rig.load(strategy, [k1, k2]).action == "skipped"


def test_append_after_forget_re_applies_on_iceberg_and_duplicates_on_hive(rig: Rig) -> None:
    """What the docs promise: Iceberg's append deletes the rows tagged with a manifest
    before inserting it; a Hive partition's current files are the base append adds to."""
    k1 = rig.lake.write(P8, "b1", rows((1, 10, 1.0)))
    rig.load(Strategy.APPEND, [k1])
    sink = rig.open_sink()
    sink.reset(DATASET, Partition.of(P8), forget=True)
    sink.close()
    assert rig.load(Strategy.APPEND, [k1]).action == "loaded"
    assert rig.ids() == ([(1, 10)] if rig.kind == "iceberg" else [(1, 10), (1, 10)])


def test_reset_forget_rewrites_the_switch_a_crashed_hive_loader_left_pending(
    s3_bucket: tuple[str, str], glue_clean: None, tmp_path: Path
) -> None:
    """A loader that dies after switching leaves ``pending``; the next load rolls it forward.
    Forgetting forgets in the intent too, so the roll-forward cannot bring the manifests back."""
    from tests.integration.conformance import Crash

    harness = athena_harness(s3_bucket, tmp_path)
    k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
    dead = harness.open_sink()
    dead._release = lambda state: None  # type: ignore[attr-defined,method-assign]  # killed: no clean-up

    def die(at: str) -> None:
        if at == "applied":
            raise Crash(at)

    dead.checkpoint = die  # type: ignore[method-assign]
    with pytest.raises(Crash):
        dead.load(unit(target(Strategy.REPLACE), P8, [harness.lake.manifest(k1)]))
    sink = harness.open_sink()
    with pytest.raises(SinkBusyError):
        sink.reset(DATASET, Partition.of(P8), forget=True)
    now = sink.clock()
    sink.clock = lambda: now + timedelta(hours=1)  # type: ignore[method-assign]  # the lease expired
    assert sink.reset(DATASET, Partition.of(P8), forget=True).found
    assert state_of(sink).doc["pending"]["state"]["applied"] == []
    result = sink.load(unit(target(Strategy.REPLACE), P8, [harness.lake.manifest(k1)]))
    assert (result.action, result.rows) == ("loaded", 1)  # not rolled forward as applied: loaded again
    assert [r[0] for r in harness.read("SELECT conversion_id FROM raw.conversions")] == [1]
    sink.close()


# -- reads write nothing -----------------------------------------------------------------------------


def test_reads_on_a_fresh_sink_create_nothing_in_s3_or_glue(rig: Rig) -> None:
    k1 = rig.lake.write(P8, "b1", rows((1, 10, 1.0)))
    before = rig.everything()
    sink = rig.open_sink()
    written = puts(sink)
    partition = Partition.of(P8)
    assert sink.has_state() is False
    assert sink.applied(DATASET, partition) == set()
    assert sink.snapshot(DATASET, [partition]) == {}
    assert sink.states() == [] and sink.states(DATASET) == []
    assert sink.schemas() == []
    assert sink.reset(DATASET, partition, forget=True, dry_run=True) == ResetResult(DATASET, KEY, found=False)
    assert sink.reset(DATASET, partition, forget=True) == ResetResult(DATASET, KEY, found=False)
    if rig.kind == "hive":
        assert sink.superseded() == []
    sink.close()
    assert written == [] and rig.everything() == before and rig.statements == []
    rig.load(Strategy.APPEND, [k1])
    sink = rig.open_sink()
    assert sink.has_state() is True
    sink.close()


def test_a_state_bucket_that_does_not_exist_is_no_state(rig: Rig) -> None:
    from sinks.athena import open_athena

    sink = rig.open_sink()
    options = {**sink.options, "state_prefix": "s3://loaders-test-no-such-bucket/state/"}
    absent = open_athena("athena", options, rig.lake.store)
    assert absent.has_state() is False
    assert absent.states() == [] and absent.snapshot(DATASET, [Partition.of(P8)]) == {}
    assert absent.reset(DATASET, Partition.of(P8), forget=False) == ResetResult(DATASET, KEY, found=False)
    absent.close()
    sink.close()
    buckets = [b["Name"] for b in rig.s3.list_buckets()["Buckets"]]
    assert "loaders-test-no-such-bucket" not in buckets
