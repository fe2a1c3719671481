"""The sink conformance suite: every sink subclasses :class:`SinkContract`.

A subclass provides one fixture, ``harness``, giving a lake (a store the sink can read:
a local folder, or an S3 bucket on a moto server), a factory for fresh sink objects on
one warehouse, and a reader of committed rows through a connection of its own. The
checks are the same for every sink: loading twice is identical, lookback re-runs are
no-ops, a crash at any step converges on the next run with nothing partial ever
visible, empty and bad inputs change nothing.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, ClassVar

import pytest

from manifests import (
    DuplicateFileError,
    LoaderError,
    Manifest,
    NullKeyError,
    Partition,
    RecordCountError,
    SchemaMismatchError,
)
from sinks import Capabilities, LoadUnit, Sink, Strategy, Target
from sinks.base import SchemaHistory
from sinks.sql import STATE_STEPS
from tests.lake import Lake

TABLE = "raw.conversions"
COLUMNS = "conversion_id, event_ts, revenue, dt, hour"
P8 = {"dt": "2026-11-28", "hour": "08"}
P9 = {"dt": "2026-11-28", "hour": "09"}
#: the checkpoints a load passes (SqlSink.checkpoint): a crash test stops at each
STEPS = ["staged", "locked", "applied", "recorded"]


@dataclass
class Harness:
    lake: Lake
    open_sink: Callable[[], Sink]
    read: Callable[[str], list[tuple[Any, ...]]]


class Crash(Exception):
    """Stands in for a process dying at a step boundary."""


def rows(*triples: tuple[int, int, float]) -> list[dict[str, Any]]:
    return [{"conversion_id": c, "event_ts": t, "revenue": r} for c, t, r in triples]


def capabilities(harness: Harness) -> Capabilities:
    """What the sink under test declares (the contract checks each capability's promise)."""
    sink = harness.open_sink()
    try:
        return sink.capabilities
    finally:
        sink.close()


def keeps_schema_history(harness: Harness) -> bool:
    """Whether the sink under test declares the optional schema history."""
    sink = harness.open_sink()
    try:
        return isinstance(sink, SchemaHistory)
    finally:
        sink.close()


def target(strategy: Strategy, table: str = TABLE) -> Target:
    merge = strategy is Strategy.MERGE
    return Target(
        dataset="ad_server.conversion",
        table=table,
        format="parquet",
        strategy=strategy,
        partition_columns=("dt", "hour"),
        keys=("conversion_id",) if merge else (),
        order_by="event_ts" if merge else None,
    )


def unit(tgt: Target, partition: dict[str, str], manifests: Sequence[Manifest]) -> LoadUnit:
    return LoadUnit(
        target=tgt, partition=Partition.of(partition), manifests=tuple(manifests), load_id="t" + secrets.token_hex(6)
    )


class SinkContract:
    """Subclass with a ``harness`` fixture; every test here then runs on that sink."""

    #: the step from which other readers see the rows of a load that then crashes: None
    #: where data and state commit together; a sink without transactions names its
    #: commit point for readers (the rerun must still converge, applying each manifest once)
    visible_from: ClassVar[str | None] = None
    #: the steps after which a crashed load is found done by the rerun (rolled forward)
    done_after: ClassVar[tuple[str, ...]] = ()
    #: a merge rewrites one partition: a key is unique within it, not across the table
    merge_keys_per_partition: ClassVar[bool] = False
    #: a partition column the data carries keeps the data's type (taking the partition's
    #: value); False where partition columns are the table's own text partition keys and
    #: the data's column of that name is dropped (Athena)
    partition_typed_by_data: ClassVar[bool] = True
    #: the formats the sink's stand-in reads, for the tests taking ``fmt``
    formats: ClassVar[tuple[str, ...]] = ("parquet", "csv", "jsonl")

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "fmt" in metafunc.fixturenames:
            metafunc.parametrize("fmt", list(self.formats))

    def table(self, h: Harness, table: str = TABLE) -> list[tuple[Any, ...]]:
        try:
            return h.read(f"SELECT {COLUMNS} FROM {table} ORDER BY conversion_id, event_ts, dt, hour")
        except Exception:  # the table does not exist yet
            return []

    def load(
        self, h: Harness, tgt: Target, partition: dict[str, str], keys: Sequence[str], *, force: bool = False
    ) -> Any:
        sink = h.open_sink()
        try:
            return sink.load(replace(unit(tgt, partition, [h.lake.manifest(k) for k in keys]), force=force))
        finally:
            sink.close()

    def states(self, h: Harness) -> tuple[Any, set[tuple[str, str]]]:
        """The dataset's partition states and P8's applied manifests, as a sink reads them."""
        sink = h.open_sink()
        try:
            return sink.states("ad_server.conversion"), sink.applied("ad_server.conversion", Partition.of(P8))
        finally:
            sink.close()

    # -- each strategy loaded twice is identical -----------------------------------------

    @pytest.mark.parametrize("strategy", list(Strategy))
    def test_loading_twice_is_identical(self, harness: Harness, strategy: Strategy) -> None:
        k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0), (2, 10, 2.0)))
        k2 = harness.lake.write(P8, "b2", rows((3, 10, 3.0)))
        first = self.load(harness, target(strategy), P8, [k1, k2])
        after_first = self.table(harness)
        second = self.load(harness, target(strategy), P8, [k1, k2])
        assert first.action == "loaded" and first.rows == 3
        assert second.action == "skipped"
        assert self.table(harness) == after_first
        assert [r[0] for r in after_first] == [1, 2, 3]
        assert {(r[3], r[4]) for r in after_first} == {("2026-11-28", "08")}

    def test_append_applies_only_new_manifests(self, harness: Harness) -> None:
        k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
        self.load(harness, target(Strategy.APPEND), P8, [k1])
        k2 = harness.lake.write(P8, "b2", rows((2, 10, 2.0)))
        result = self.load(harness, target(Strategy.APPEND), P8, [k1, k2])
        assert (result.action, result.rows, result.manifests) == ("loaded", 1, 1)
        assert [r[0] for r in self.table(harness)] == [1, 2]

    # -- merge: latest order_by wins, whenever it arrives ---------------------------------

    def test_merge_late_older_version_does_not_win(self, harness: Harness) -> None:
        """Every row compared, so a key merged twice cannot hide. Where keys are unique per
        partition (``merge_keys_per_partition``), the older version loses within its
        partition and is a row of its own in another."""
        new = harness.lake.write(P8, "b1", rows((1, 20, 20.0), (2, 20, 2.0)))
        self.load(harness, target(Strategy.MERGE), P8, [new])
        if self.merge_keys_per_partition:
            old = harness.lake.write(P8, "b2", rows((1, 10, -1.0), (3, 10, 3.0)))
            self.load(harness, target(Strategy.MERGE), P8, [new, old])
        else:
            old = harness.lake.write(P9, "b1", rows((1, 10, -1.0), (3, 10, 3.0)))
            self.load(harness, target(Strategy.MERGE), P9, [old])
        hour = "08" if self.merge_keys_per_partition else "09"
        got = [(r[0], r[1], r[2], r[4]) for r in self.table(harness)]
        assert got == [(1, 20, 20.0, "08"), (2, 20, 2.0, "08"), (3, 10, 3.0, hour)]
        if self.merge_keys_per_partition:
            self.load(harness, target(Strategy.MERGE), P9, [harness.lake.write(P9, "b1", rows((1, 5, 5.0)))])
            assert [(r[0], r[1], r[4]) for r in self.table(harness) if r[0] == 1] == [(1, 5, "09"), (1, 20, "08")]

    def test_merge_newer_version_replaces_and_source_is_deduplicated(self, harness: Harness) -> None:
        k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
        self.load(harness, target(Strategy.MERGE), P8, [k1])
        k2 = harness.lake.write(P8, "b2", rows((1, 30, 30.0), (1, 25, 25.0), (4, 5, 4.0), (4, 6, 6.0)))
        self.load(harness, target(Strategy.MERGE), P8, [k1, k2])
        assert [(r[0], r[1], r[2]) for r in self.table(harness)] == [(1, 30, 30.0), (4, 6, 6.0)]

    # -- replace: the union of the partition's manifests ----------------------------------

    def test_replace_after_a_late_manifest(self, harness: Harness) -> None:
        k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
        other = harness.lake.write(P9, "b1", rows((9, 10, 9.0)))
        self.load(harness, target(Strategy.REPLACE), P8, [k1])
        self.load(harness, target(Strategy.REPLACE), P9, [other])
        late = harness.lake.write(P8, "late", rows((2, 10, 2.0)))
        result = self.load(harness, target(Strategy.REPLACE), P8, [k1, late])
        assert (result.action, result.rows) == ("loaded", 2)
        assert [r[0] for r in self.table(harness)] == [1, 2, 9]
        assert self.load(harness, target(Strategy.REPLACE), P8, [k1, late]).action == "skipped"

    def test_replace_with_a_rewritten_manifest_drops_the_old_rows(self, harness: Harness) -> None:
        k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0), (2, 10, 2.0)))
        self.load(harness, target(Strategy.REPLACE), P8, [k1])
        harness.lake.write(P8, "b1", rows((3, 10, 3.0)))
        assert self.load(harness, target(Strategy.REPLACE), P8, [k1]).action == "loaded"
        assert [r[0] for r in self.table(harness)] == [3]

    # -- the partition's values win over the data's own columns of those names ---------

    def test_the_partition_value_wins_over_a_column_the_data_carries(self, harness: Harness) -> None:
        """A file whose ``dt`` says another day than its partition: ``replace`` deletes the
        partition's rows, so the rows it inserts must be the partition's, or every reload
        would add a copy."""
        key = harness.lake.write(P8, "b1", [{**r, "dt": "2026-11-29"} for r in rows((1, 10, 1.0), (2, 10, 2.0))])
        for _ in range(2):
            result = self.load(harness, target(Strategy.REPLACE), P8, [key], force=True)
            assert (result.action, result.rows) == ("loaded", 2)
        got = [(r[0], str(r[3]), r[4]) for r in self.table(harness)]
        assert got == [(1, "2026-11-28", "08"), (2, "2026-11-28", "08")]

    def test_a_typed_partition_column_of_the_data_takes_the_partition_value_in_its_type(self, harness: Harness) -> None:
        data = [{**r, "dt": date(2026, 11, 29), "hour": 9} for r in rows((1, 10, 1.0), (2, 10, 2.0))]
        key = harness.lake.write(P8, "b1", data)
        for _ in range(2):
            assert self.load(harness, target(Strategy.REPLACE), P8, [key], force=True).rows == 2
        got = self.table(harness)
        assert [(r[0], str(r[3]), int(r[4])) for r in got] == [(1, "2026-11-28", 8), (2, "2026-11-28", 8)]
        if self.partition_typed_by_data:
            assert all(r[3] == date(2026, 11, 28) and r[4] == 8 for r in got)
        else:
            assert all((r[3], r[4]) == ("2026-11-28", "08") for r in got)

    def test_a_partition_value_the_data_column_cannot_hold_is_refused(self, harness: Harness) -> None:
        odd = {"dt": "2026-11-28", "hour": "8am"}
        key = harness.lake.write(odd, "b1", [{**r, "hour": 8} for r in rows((1, 10, 1.0))])
        if not self.partition_typed_by_data:  # the partition key is text: any value is one
            assert self.load(harness, target(Strategy.REPLACE), odd, [key]).rows == 1
            assert [(r[0], r[4]) for r in self.table(harness)] == [(1, "8am")]
            return
        with pytest.raises(SchemaMismatchError) as caught:
            self.load(harness, target(Strategy.REPLACE), odd, [key])
        assert "hour" in caught.value.reason and "8am" in caught.value.reason
        assert caught.value.file is not None and caught.value.file.endswith("b1-0.parquet")
        assert caught.value.manifest is not None and caught.value.manifest.endswith("b1.json")
        assert self.table(harness) == []

    # -- merge keys are never NULL --------------------------------------------------------

    def test_merge_refuses_rows_with_a_null_key_and_changes_nothing(self, harness: Harness) -> None:
        """A NULL key never matches under = and always under IS NOT DISTINCT FROM: sinks would
        disagree, and the first kind would add the row again on every re-merge. So a merge
        refuses such rows before anything is applied, naming the column and the count."""
        nulls = [
            {"conversion_id": None, "event_ts": 10, "revenue": 5.0},
            {"conversion_id": 2, "event_ts": 10, "revenue": 2.0},
            {"conversion_id": None, "event_ts": 11, "revenue": 6.0},
        ]
        bad = harness.lake.write(P8, "bad", nulls)
        with pytest.raises(NullKeyError) as caught:  # a first load: no table is made either
            self.load(harness, target(Strategy.MERGE), P8, [bad])
        assert "conversion_id" in caught.value.reason and "2 rows" in caught.value.reason
        assert caught.value.manifest is not None and caught.value.manifest.endswith("bad.json")
        assert self.table(harness) == [] and self.states(harness) == ([], set())
        k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
        self.load(harness, target(Strategy.MERGE), P8, [k1])
        before, state = self.table(harness), self.states(harness)
        with pytest.raises(NullKeyError, match="conversion_id"):
            self.load(harness, target(Strategy.MERGE), P8, [k1, bad])
        assert self.table(harness) == before and self.states(harness) == state
        k3 = harness.lake.write(P8, "b3", rows((3, 10, 3.0)))
        for _ in range(2):  # clean rows merged twice are there once
            self.load(harness, target(Strategy.MERGE), P8, [k1, k3], force=True)
        assert [(r[0], r[1]) for r in self.table(harness)] == [(1, 10), (3, 10)]

    # -- empty and bad inputs -----------------------------------------------------------

    @pytest.mark.parametrize("strategy", list(Strategy))
    def test_empty_manifest_is_a_recorded_no_op(self, harness: Harness, strategy: Strategy) -> None:
        k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
        self.load(harness, target(strategy), P8, [k1])
        empty = harness.lake.write_manifest(
            f"{harness.lake.pattern().split('dt=')[0]}dt=2026-11-28/hour=08/e.json", {"entries": []}
        )
        first = self.load(harness, target(strategy), P8, [k1, empty])
        if strategy is Strategy.REPLACE:  # the partition's set of manifests changed: reloaded whole
            assert (first.action, first.rows) == ("loaded", 1)
        else:
            assert (first.action, first.rows) == ("skipped", 0)
            assert "empty" in first.reason
        assert [r[0] for r in self.table(harness)] == [1]
        assert self.load(harness, target(strategy), P8, [k1, empty]).action == "skipped"

    def test_record_count_mismatch_changes_nothing(self, harness: Harness) -> None:
        k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
        self.load(harness, target(Strategy.APPEND), P8, [k1])
        before = self.table(harness)
        bad = harness.lake.write(P8, "b2", rows((2, 10, 2.0)))
        doc = harness.lake.store.read(harness.lake.store.resolve(bad))[0]
        harness.lake.write_manifest(bad, doc.decode().replace('"record_count": 1', '"record_count": 7'))
        with pytest.raises(RecordCountError) as caught:
            self.load(harness, target(Strategy.APPEND), P8, [k1, bad])
        assert "b2-0.parquet" in str(caught.value) and "b2.json" in str(caught.value)
        assert self.table(harness) == before
        sink = harness.open_sink()
        try:
            applied = sink.applied("ad_server.conversion", Partition.of(P8))
        finally:
            sink.close()
        assert {u.rsplit("/", 1)[1] for u, _v in applied} == {"b1.json"}

    def test_a_new_column_is_added_or_refused_as_the_sink_declares(self, harness: Harness) -> None:
        k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
        self.load(harness, target(Strategy.APPEND), P8, [k1])
        before = self.table(harness)
        k2 = harness.lake.write(P8, "b2", [{"conversion_id": 2, "event_ts": 1, "revenue": 1.0, "surprise": "x"}])
        adds = capabilities(harness).adds_columns
        if not adds:
            with pytest.raises(SchemaMismatchError, match="surprise"):
                self.load(harness, target(Strategy.APPEND), P8, [k1, k2])
            assert self.table(harness) == before
            return
        assert self.load(harness, target(Strategy.APPEND), P8, [k1, k2]).rows == 1
        assert harness.read(f"SELECT conversion_id, surprise FROM {TABLE} ORDER BY 1") == [(1, None), (2, "x")]

    def test_a_type_change_that_does_not_fit_is_refused_by_column_and_types(self, harness: Harness) -> None:
        adds = capabilities(harness).adds_columns
        if not adds:
            pytest.skip("this sink refuses every schema change (capabilities.adds_columns is false)")
        k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
        self.load(harness, target(Strategy.APPEND), P8, [k1])
        before = self.table(harness)
        k2 = harness.lake.write(P8, "b2", [{"conversion_id": 2, "event_ts": "late", "revenue": 1.0}])
        integer = r"(BIGINT|NUMBER\(38, 0\))"  # Snowflake's INTEGER is NUMBER(38, 0)
        refused = rf"column event_ts: the table has {integer} but the data has (VARCHAR|TEXT|STRING)"
        with pytest.raises(SchemaMismatchError, match=refused):
            self.load(harness, target(Strategy.APPEND), P8, [k2])
        assert self.table(harness) == before

    def test_the_writer_schemas_of_loaded_data_are_recorded_once_each(self, harness: Harness) -> None:
        if not keeps_schema_history(harness):
            pytest.skip("this sink does not record schema fingerprints (it is no SchemaHistory)")
        v1, v2 = "63dd24e7cc258f8a", "9f0e2a44c1b3d5e7"

        def with_schemas(key: str, *fingerprints: str) -> Manifest:
            return replace(harness.lake.manifest(key), schemas=fingerprints)

        k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
        k2 = harness.lake.write(P9, "b2", rows((2, 10, 1.0)))
        k3 = harness.lake.write(P9, "b3", rows((3, 10, 1.0)))
        sink = harness.open_sink()
        try:
            sink.load(unit(target(Strategy.APPEND), P8, [with_schemas(k1, v1)]))
            sink.load(unit(target(Strategy.APPEND), P9, [with_schemas(k2, v1, v2)]))
            sink.load(unit(target(Strategy.APPEND), P9, [with_schemas(k2, v1, v2), with_schemas(k3, v2)]))
            seen = sink.schemas("ad_server.conversion")  # type: ignore[attr-defined]
            assert sink.schemas("another.dataset") == []  # type: ignore[attr-defined]
        finally:
            sink.close()
        got = sorted((s.fingerprint, s.partition) for s in seen)
        assert got == [(v1, Partition.of(P8).key), (v2, Partition.of(P9).key)]

    def test_merge_without_key_column_is_a_schema_error(self, harness: Harness) -> None:
        k1 = harness.lake.write(P8, "b1", [{"id": 1, "event_ts": 1}])
        with pytest.raises(SchemaMismatchError, match="conversion_id"):
            self.load(harness, target(Strategy.MERGE), P8, [k1])
        assert self.table(harness) == []

    def test_a_file_missing_a_merge_key_or_order_by_is_refused_even_beside_good_files(
        self, harness: Harness, fmt: str
    ) -> None:
        """Readers unite the columns of a load's files, so a file without ``event_ts`` read
        beside one with it would be merged with NULLs; each file must have the keys and
        ``order_by`` itself, or the load is refused before anything is copied."""
        lake, merge = harness.lake, replace(target(Strategy.MERGE), format=fmt)
        k0 = lake.write(P8, "b0", rows((1, 10, 1.0)), fmt=fmt)
        self.load(harness, merge, P8, [k0])
        before, state = self.table(harness), self.states(harness)
        good = lake.write(P8, "good", rows((2, 10, 2.0)), fmt=fmt)
        bad = lake.write(P8, "bad", [{"conversion_id": 3, "revenue": 3.0}], fmt=fmt)
        entries = [e for k in (good, bad) for e in json.loads(lake.store.read(lake.store.resolve(k))[0])["entries"]]
        both = lake.write_manifest(good.replace("good.json", "both.json"), {"entries": entries})
        with pytest.raises(SchemaMismatchError) as caught:
            self.load(harness, merge, P8, [both])
        assert "event_ts" in caught.value.reason
        assert caught.value.file is not None and caught.value.file.endswith(f"bad-0.{fmt}")
        assert caught.value.manifest is not None and caught.value.manifest.endswith("both.json")
        assert self.table(harness) == before and self.states(harness) == state

    # -- state ----------------------------------------------------------------------------

    def test_state_records_manifests_rows_and_failures(self, harness: Harness) -> None:
        k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0), (2, 10, 2.0)))
        self.load(harness, target(Strategy.APPEND), P8, [k1])
        sink = harness.open_sink()
        try:
            [state] = sink.states("ad_server.conversion")
            assert (state.partition, state.status, state.manifests, state.rows) == (
                "dt=2026-11-28/hour=08",
                "loaded",
                1,
                2,
            )
            assert state.loaded_at is not None
            sink.fail("ad_server.conversion", Partition.of(P8), "x1", RecordCountError("boom"))
            [failed] = sink.states("ad_server.conversion")
        finally:
            sink.close()
        assert (failed.status, failed.manifests, failed.rows) == ("failed", 1, 2)
        assert failed.last_error is not None and "boom" in failed.last_error
        assert failed.attempts == state.attempts + 1

    # -- the last attempt apart from the data ---------------------------------------------

    def test_a_no_op_clears_a_failure_and_reset_clears_or_forgets(self, harness: Harness) -> None:
        """Every sink: a load that finds everything applied clears a failed last attempt
        (alone, and beside a partition that loads in the same batch); ``reset`` clears a
        failure, keeps the data, and with ``forget`` makes the next load apply it all again."""
        k8 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
        k9 = harness.lake.write(P9, "b1", rows((3, 10, 3.0)))
        tgt = target(Strategy.MERGE)
        p8, p9 = Partition.of(P8), Partition.of(P9)
        sink = harness.open_sink()
        try:
            for u in (unit(tgt, P8, [harness.lake.manifest(k8)]), unit(tgt, P9, [harness.lake.manifest(k9)])):
                sink.load(u)
            sink.fail("ad_server.conversion", p8, "x1", RecordCountError("boom"))
            assert sink.load(unit(tgt, P8, [harness.lake.manifest(k8)])).action == "skipped"
            by = {s.partition: s for s in sink.states("ad_server.conversion")}
            assert (by[p8.key].status, by[p8.key].attempts, by[p8.key].last_error) == ("loaded", 0, None)
            assert (by[p8.key].manifests, by[p8.key].rows) == (1, 1)
            # in a batch where another partition loads (a sink that batches)
            sink.fail("ad_server.conversion", p8, "x2", RecordCountError("boom"))
            k9b = harness.lake.write(P9, "b2", rows((4, 10, 4.0)))
            units = [
                unit(tgt, P8, [harness.lake.manifest(k8)]),
                unit(tgt, P9, [harness.lake.manifest(k9), harness.lake.manifest(k9b)]),
            ]
            batched = sink.capabilities.batch_partitions
            results = sink.load_many(units) if batched else [sink.load(u) for u in units]
            assert [r.action for r in results] == ["skipped", "loaded"]
            by = {s.partition: s for s in sink.states("ad_server.conversion")}
            assert [(by[k].status, by[k].attempts) for k in (p8.key, p9.key)] == [("loaded", 0), ("loaded", 0)]
            # reset: clear a failure
            sink.fail("ad_server.conversion", p8, "x3", RecordCountError("boom"))
            dry = sink.reset("ad_server.conversion", p8, forget=False, dry_run=True)
            assert (dry.found, dry.failure_cleared) == (True, True)
            assert {s.partition: s.status for s in sink.states("ad_server.conversion")}[p8.key] == "failed"
            done = sink.reset("ad_server.conversion", p8, forget=False)
            assert (done.found, done.failure_cleared) == (True, True)
            by = {s.partition: s for s in sink.states("ad_server.conversion")}
            assert (by[p8.key].status, by[p8.key].attempts, by[p8.key].manifests) == ("loaded", 0, 1)
            # reset of a partition never seen: nothing, nothing created
            never = Partition.of({"dt": "2026-11-28", "hour": "10"})
            assert sink.reset("ad_server.conversion", never, forget=True).found is False
            assert never.key not in {s.partition for s in sink.states("ad_server.conversion")}
            # forget: the state goes; the next load applies the manifest again (merge: no duplicate)
            sink.fail("ad_server.conversion", p8, "x4", RecordCountError("boom"))
            gone = sink.reset("ad_server.conversion", p8, forget=True)
            assert (gone.failure_cleared, gone.manifests_forgotten, gone.rows_forgotten) == (True, 1, 1)
            assert sink.applied("ad_server.conversion", p8) == set()
            assert p8.key not in {s.partition for s in sink.states("ad_server.conversion") if s.manifests}
            again = sink.load(unit(tgt, P8, [harness.lake.manifest(k8)]))
            assert (again.action, again.rows) == ("loaded", 1)
            by = {s.partition: s for s in sink.states("ad_server.conversion")}
            assert (by[p8.key].status, by[p8.key].attempts, by[p8.key].manifests) == ("loaded", 0, 1)
        finally:
            sink.close()
        assert [r[0] for r in self.table(harness)] == [1, 3, 4]

    def test_unchanged_reload_issues_no_data_statements(self, harness: Harness) -> None:
        k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
        self.load(harness, target(Strategy.MERGE), P8, [k1])
        sink = harness.open_sink()
        steps: list[str] = []
        original = sink.execute  # type: ignore[attr-defined]

        def spy(step: str, **context: Any) -> Any:
            steps.append(step)
            return original(step, **context)

        sink.execute = spy  # type: ignore[attr-defined]
        try:
            assert sink.load(unit(target(Strategy.MERGE), P8, [harness.lake.manifest(k1)])).action == "skipped"
        finally:
            sink.close()
        assert set(steps) <= {"state_tables", *STATE_STEPS, "applied"}

    # -- crashes at every step boundary converge ----------------------------------------

    @pytest.mark.parametrize("strategy", list(Strategy))
    @pytest.mark.parametrize("step", STEPS)
    def test_crash_at_each_step_then_rerun_converges(self, harness: Harness, strategy: Strategy, step: str) -> None:
        k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0), (2, 10, 2.0)))
        self.load(harness, target(strategy), P8, [k1])
        k2 = harness.lake.write(P8, "b2", rows((2, 20, 20.0), (3, 10, 3.0)))
        before = self.table(harness)
        seen: list[list[tuple[Any, ...]]] = []

        def crash(at: str) -> None:
            if at == step:
                seen.append(self.table(harness))  # what any other reader sees right now
                raise Crash(at)

        sink = harness.open_sink()
        sink.checkpoint = crash  # type: ignore[attr-defined]
        try:
            with pytest.raises(Crash):
                sink.load(unit(target(strategy), P8, [harness.lake.manifest(k1), harness.lake.manifest(k2)]))
        finally:
            sink.close()
        expected = {
            Strategy.APPEND: [1, 2, 2, 3],
            Strategy.MERGE: [1, 2, 3],
            Strategy.REPLACE: [1, 2, 2, 3],
        }[strategy]
        if self.visible_from is not None and STEPS.index(step) >= STEPS.index(self.visible_from):
            assert [[r[0] for r in t] for t in seen] == [expected], "a reader saw a partial load"
        else:
            assert seen == [before], "a reader saw a partial load"
            assert self.table(harness) == before
        result = self.load(harness, target(strategy), P8, [k1, k2])
        assert result.action == ("skipped" if step in self.done_after else "loaded")
        assert [r[0] for r in self.table(harness)] == expected
        sink = harness.open_sink()
        try:
            [state] = sink.states("ad_server.conversion")
        finally:
            sink.close()
        assert (state.status, state.manifests) == ("loaded", 2)
        assert self.load(harness, target(strategy), P8, [k1, k2]).action == "skipped"

    def test_a_file_vanishing_after_validation_fails_cleanly(self, harness: Harness) -> None:
        k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
        self.load(harness, target(Strategy.APPEND), P8, [k1])
        k2 = harness.lake.write(P8, "b2", rows((2, 10, 2.0)))
        manifest = harness.lake.manifest(k2)
        harness.lake.delete(manifest.entries[0].url)
        sink = harness.open_sink()
        try:
            with pytest.raises(LoaderError):
                sink.load(unit(target(Strategy.APPEND), P8, [harness.lake.manifest(k1), manifest]))
        finally:
            sink.close()
        assert [r[0] for r in self.table(harness)] == [1]

    def test_an_unreadable_file_is_blamed_on_its_manifest(self, harness: Harness) -> None:
        k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
        harness.lake.corrupt(harness.lake.manifest(k1).entries[0].url)  # same size, broken footer
        sink = harness.open_sink()
        try:
            with pytest.raises(LoaderError) as caught:
                sink.load(unit(target(Strategy.APPEND), P8, [harness.lake.manifest(k1)]))
        finally:
            sink.close()
        assert caught.value.manifest is not None and caught.value.manifest.endswith("b1.json")
        assert caught.value.file is not None and caught.value.file.endswith("b1-0.parquet")
        assert not caught.value.transient
        assert self.table(harness) == []

    # -- several partitions in one transaction ------------------------------------------

    @pytest.mark.parametrize("strategy", list(Strategy))
    def test_load_many_is_per_partition_and_idempotent(self, harness: Harness, strategy: Strategy) -> None:
        k8 = harness.lake.write(P8, "b1", rows((1, 10, 1.0), (2, 10, 2.0)))
        k9 = harness.lake.write(P9, "b1", rows((3, 10, 3.0)))
        tgt = target(strategy)
        sink = harness.open_sink()
        try:
            first = sink.load_many(
                [unit(tgt, P8, [harness.lake.manifest(k8)]), unit(tgt, P9, [harness.lake.manifest(k9)])]
            )
            assert [(r.partition.key, r.action, r.rows) for r in first] == [
                ("dt=2026-11-28/hour=08", "loaded", 2),
                ("dt=2026-11-28/hour=09", "loaded", 1),
            ]
            k9b = harness.lake.write(P9, "b2", rows((4, 10, 4.0)))
            again = sink.load_many(
                [
                    unit(tgt, P8, [harness.lake.manifest(k8)]),
                    unit(tgt, P9, [harness.lake.manifest(k9), harness.lake.manifest(k9b)]),
                ]
            )
            states = {s.partition: (s.manifests, s.rows) for s in sink.states("ad_server.conversion")}
        finally:
            sink.close()
        assert [r.action for r in again] == ["skipped", "loaded"]
        assert again[1].rows == (2 if strategy is Strategy.REPLACE else 1)
        assert [(r[0], r[4]) for r in self.table(harness)] == [(1, "08"), (2, "08"), (3, "09"), (4, "09")]
        assert states == {"dt=2026-11-28/hour=08": (1, 2), "dt=2026-11-28/hour=09": (2, 2)}

    @pytest.mark.parametrize("step", ["staged", "locked", "applied", "recorded"])
    def test_a_crash_in_load_many_leaves_every_partition_as_it_was(self, harness: Harness, step: str) -> None:
        k8 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
        k9 = harness.lake.write(P9, "b1", rows((3, 10, 3.0)))
        tgt = target(Strategy.MERGE)

        def crash(at: str) -> None:
            if at == step:
                raise Crash(at)

        sink = harness.open_sink()
        sink.checkpoint = crash  # type: ignore[attr-defined]
        try:
            with pytest.raises(Crash):
                sink.load_many([unit(tgt, P8, [harness.lake.manifest(k8)]), unit(tgt, P9, [harness.lake.manifest(k9)])])
            assert sink.states("ad_server.conversion") == []
        finally:
            sink.close()
        assert self.table(harness) == []

    # -- identity: manifests by key, files named once ------------------------------------

    def test_applied_manifests_are_recorded_by_key_relative_to_the_root(self, harness: Harness) -> None:
        """What makes a moved lake (a renamed bucket, a relocated folder) keep its state:
        the state names a manifest by its key, never by where the lake was."""
        k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
        self.load(harness, target(Strategy.APPEND), P8, [k1])
        version = harness.lake.manifest(k1).version
        _states, applied = self.states(harness)
        assert applied == {(k1, version)}
        # the same manifest read through a store rooted elsewhere is the same manifest
        moved = replace(harness.lake.manifest(k1), url="s3://elsewhere/" + k1, key=k1)
        sink = harness.open_sink()
        try:
            again = sink.load(unit(target(Strategy.APPEND), P8, [moved]))
        finally:
            sink.close()
        assert again.action == "skipped"
        assert [r[0] for r in self.table(harness)] == [1]

    @pytest.mark.parametrize("strategy", list(Strategy))
    def test_a_file_named_by_two_manifests_of_a_unit_is_refused(self, harness: Harness, strategy: Strategy) -> None:
        k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0), (2, 10, 2.0)))
        first = harness.lake.manifest(k1)
        k2 = harness.lake.write_manifest(
            k1.replace("b1.json", "b2.json"),
            {"entries": [{"url": first.entries[0].url, "mandatory": True}]},
        )
        sink = harness.open_sink()
        try:
            with pytest.raises(DuplicateFileError) as caught:
                sink.load(unit(target(strategy), P8, [first, harness.lake.manifest(k2)]))
            _states, applied = self.states(harness)
        finally:
            sink.close()
        assert k1 in str(caught.value) and k2 in str(caught.value)
        assert self.table(harness) == [] and applied == set()
