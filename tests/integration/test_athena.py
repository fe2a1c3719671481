"""The Athena sink (Hive tables) end to end on a moto server: S3 and Glue over HTTP.

moto's Athena runs no SQL, so the reader here does what Athena does for a Hive table:
it asks Glue for the table's partitions, lists the files under each partition's
location (skipping ``_``/``.`` names) and reads them, with the partition values as
columns. DuckDB then runs the contract's queries over exactly that.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from manifests import Partition, SinkBusyError
from manifests.store import S3Store
from sinks import Strategy, Target
from sinks.athena import open_athena
from sinks.athena.hive import AthenaHiveSink
from tests.conformance_rows import conversions
from tests.integration.conformance import P8, P9, Crash, Harness, SinkContract, rows, target, unit
from tests.integration.planner_contract import DAY, PlannerContract, lake_of, sweep
from tests.lake import Lake


def read_hive(glue: Any, s3: Any, sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` over every Glue table as Athena would see it (partition locations only)."""
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    conn = duckdb.connect()
    try:
        for db in glue.get_databases()["DatabaseList"]:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{db["Name"]}"')
            for table in glue.get_tables(DatabaseName=db["Name"])["TableList"]:
                keys = [k["Name"] for k in table["PartitionKeys"]]
                # Athena shows the table's columns, read from each file by name (Parquet):
                # a column a file lacks reads NULL, a column the table lacks is not there
                names = [c["Name"] for c in table["StorageDescriptor"]["Columns"]]
                parts = glue.get_partitions(DatabaseName=db["Name"], TableName=table["Name"])["Partitions"]
                tables = []
                for partition in parts:
                    bucket, _, prefix = partition["StorageDescriptor"]["Location"].removeprefix("s3://").partition("/")
                    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
                    for obj in listed:
                        if obj["Key"].rsplit("/", 1)[-1].startswith(("_", ".")):
                            continue
                        body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
                        found = pq.read_table(io.BytesIO(body))
                        data = pa.table(
                            {n: found.column(n) if n in found.column_names else pa.nulls(found.num_rows) for n in names}
                        )
                        for key, value in zip(keys, partition["Values"], strict=True):
                            data = data.append_column(key, pa.array([value] * data.num_rows, pa.string()))
                        tables.append(data)
                if not tables:
                    continue
                view = f"_t_{db['Name']}_{table['Name']}"
                conn.register(view, pa.concat_tables(tables, promote_options="permissive"))
                conn.execute(f'CREATE VIEW "{db["Name"]}"."{table["Name"]}" AS SELECT * FROM {view}')
        return [tuple(r) for r in conn.execute(sql).fetchall()]
    finally:
        conn.close()


def athena_harness(s3_bucket: tuple[str, str], tmp_path: Path, **extra: Any) -> Harness:
    import boto3

    endpoint, bucket = s3_bucket
    store = S3Store(f"s3://{bucket}", endpoint)
    lake = Lake(tmp_path / "lake", store=store)
    options = {
        "type": "athena",
        "url": "awsathena+rest://@athena.us-east-1.amazonaws.com:443/raw?s3_staging_dir=s3://x/",
        "location": f"s3://{bucket}/warehouse/",
        **extra,
    }
    glue = boto3.client("glue", endpoint_url=endpoint)
    s3 = boto3.client("s3", endpoint_url=endpoint)

    def open_sink() -> AthenaHiveSink:
        return AthenaHiveSink("athena", options, store, str(tmp_path))

    return Harness(lake=lake, open_sink=open_sink, read=lambda sql: read_hive(glue, s3, sql))


@pytest.fixture
def glue_clean(moto_server: str) -> Iterator[None]:
    """Glue on the moto server is shared by the session: each test starts with no databases."""
    import boto3

    glue = boto3.client("glue", endpoint_url=moto_server)

    def wipe() -> None:
        for db in glue.get_databases()["DatabaseList"]:
            glue.delete_database(Name=db["Name"])

    wipe()
    yield
    wipe()


class TestAthenaHiveContract(SinkContract):
    """The shared contract; where Athena differs by design, the override says how and why."""

    #: the Glue switch is the commit point for readers: before it they see the old rows,
    #: from it the new ones; a crash after it is rolled forward from the recorded intent
    visible_from = "applied"
    done_after = ("applied", "recorded")
    merge_keys_per_partition = True
    #: partition columns are the table's string partition keys; a column of the data's of
    #: the same name is dropped, so the partition's value wins and no cast can fail
    partition_typed_by_data = False

    @pytest.fixture
    def harness(self, s3_bucket: tuple[str, str], glue_clean: None, tmp_path: Path) -> Harness:
        return athena_harness(s3_bucket, tmp_path)

    def test_unchanged_reload_issues_no_data_statements(self, harness: Harness) -> None:
        """A reload of applied manifests only reads its state object: no write, no Glue call."""
        k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
        self.load(harness, target(Strategy.MERGE), P8, [k1])
        sink = harness.open_sink()
        calls: list[str] = []
        for client in (sink.s3, sink.glue):  # type: ignore[attr-defined]
            client.meta.events.register("before-call.*.*", lambda model, **_kw: calls.append(model.name))
        try:
            assert sink.load(unit(target(Strategy.MERGE), P8, [harness.lake.manifest(k1)])).action == "skipped"
        finally:
            sink.close()
        assert calls == ["GetObject"]

    @pytest.mark.parametrize("step", ["staged", "locked", "applied", "recorded"])
    def test_a_crash_in_load_many_leaves_every_partition_as_it_was(self, harness: Harness, step: str) -> None:
        """Glue switches one partition per call, so load_many is not all-or-nothing here
        (``batch_partitions`` is false): a crash leaves each partition old or new, never
        half, and the rerun converges every one of them."""
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
        finally:
            sink.close()
        assert [r[0] for r in self.table(harness)] == ([1] if step in ("applied", "recorded") else [])
        sink = harness.open_sink()
        try:
            sink.load_many([unit(tgt, P8, [harness.lake.manifest(k8)]), unit(tgt, P9, [harness.lake.manifest(k9)])])
            assert sorted((s.partition, s.rows) for s in sink.states("ad_server.conversion")) == [
                ("dt=2026-11-28/hour=08", 1),
                ("dt=2026-11-28/hour=09", 1),
            ]
        finally:
            sink.close()
        assert [r[0] for r in self.table(harness)] == [1, 3]


# -- what only this sink does -----------------------------------------------------------


@pytest.fixture
def harness(s3_bucket: tuple[str, str], glue_clean: None, tmp_path: Path) -> Harness:
    return athena_harness(s3_bucket, tmp_path)


def test_two_loaders_of_one_partition_apply_it_exactly_once(harness: Harness) -> None:
    """B loads while A holds the lease: B is told the partition is busy (transient, so it
    is retried), A finishes, B's retry finds everything applied."""
    k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0), (2, 10, 2.0)))
    manifests = [harness.lake.manifest(k1)]
    a, b = harness.open_sink(), harness.open_sink()
    outcome: list[Any] = []

    def while_a_holds_the_lease(at: str) -> None:
        if at == "locked":
            with pytest.raises(SinkBusyError, match="holds the partition's lease"):
                b.load(unit(target(Strategy.APPEND), P8, manifests))
            outcome.append("b busy")

    a.checkpoint = while_a_holds_the_lease  # type: ignore[method-assign]
    assert a.load(unit(target(Strategy.APPEND), P8, manifests)).action == "loaded"
    assert b.load(unit(target(Strategy.APPEND), P8, manifests)).action == "skipped"
    assert outcome == ["b busy"]
    assert [r[0] for r in harness.read("SELECT conversion_id FROM raw.conversions ORDER BY 1")] == [1, 2]


def test_a_lost_race_for_the_lease_rereads_and_skips(harness: Harness) -> None:
    """A and B read the same state; A takes the lease and finishes first. B's conditional
    write of the lease then fails (412), B reads again and finds nothing left to do."""
    k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
    manifests = [harness.lake.manifest(k1)]
    a, b = harness.open_sink(), harness.open_sink()
    results: list[str] = []

    def a_first(at: str) -> None:
        if at == "staged" and not results:
            results.append(a.load(unit(target(Strategy.APPEND), P8, manifests)).action)

    b.checkpoint = a_first  # type: ignore[method-assign]
    assert b.load(unit(target(Strategy.APPEND), P8, manifests)).action == "skipped"
    assert results == ["loaded"]
    assert [r[0] for r in harness.read("SELECT conversion_id FROM raw.conversions")] == [1]


def test_a_loader_whose_lease_was_taken_over_before_the_switch_switches_nothing(harness: Harness) -> None:
    """Fencing: after adding the table's columns (and just before the switch) the loader
    checks the state is still what its lease wrote; another loader took the lease over
    meanwhile (its write changed the state), so nothing is switched or recorded."""
    import copy

    from manifests import TransientError
    from sinks.athena.state import Versioned

    k1 = harness.lake.write(P8, "b0", rows((1, 10, 1.0)))
    harness.open_sink().load(unit(target(Strategy.APPEND), P8, [harness.lake.manifest(k1)]))
    k2 = harness.lake.write(P8, "b1", [{"conversion_id": 2, "event_ts": 10, "revenue": 2.0, "coupon": "W"}])
    sink = harness.open_sink()
    store = sink.states_store  # type: ignore[attr-defined]

    def taken_over(at: str) -> None:
        if at == "evolved":  # the new column is in the table; the switch comes next
            state = store.read("ad_server.conversion", Partition.of(P8).key)
            doc = copy.deepcopy(state.doc)
            doc["token"] += 1  # what another loader's lease writes
            store.write(Versioned(doc, state.etag))

    sink.checkpoint = taken_over  # type: ignore[method-assign]
    with pytest.raises(TransientError, match="taken over before the switch; nothing switched"):
        sink.load(unit(target(Strategy.APPEND), P8, [harness.lake.manifest(k2)]))
    assert [r[0] for r in harness.read("SELECT conversion_id FROM raw.conversions")] == [1]
    [state] = sink.states("ad_server.conversion")  # type: ignore[attr-defined]
    assert (state.manifests, state.rows) == (1, 1)


def test_concurrent_threads_load_a_partition_once(harness: Harness) -> None:
    k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0), (2, 10, 2.0)))
    manifests = [harness.lake.manifest(k1)]
    actions: list[str] = []
    start = threading.Barrier(4)

    def run() -> None:
        sink = harness.open_sink()
        start.wait()
        for _ in range(1000):  # no sleep: each busy answer is one GET
            try:
                actions.append(sink.load(unit(target(Strategy.APPEND), P8, manifests)).action)
                return
            except SinkBusyError:
                continue
        actions.append("gave up")

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(actions) == ["loaded", "skipped", "skipped", "skipped"]
    assert [r[0] for r in harness.read("SELECT conversion_id FROM raw.conversions ORDER BY 1")] == [1, 2]


def test_a_dead_loaders_lease_expires_and_its_switch_is_rolled_forward(harness: Harness) -> None:
    """A process killed after the switch cannot release its lease: others are refused until
    it expires, then the first to come rolls its recorded intent forward."""
    k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
    dead = harness.open_sink()
    dead._release = lambda state: None  # type: ignore[attr-defined,method-assign]  # killed: no clean-up

    def die(at: str) -> None:
        if at == "applied":
            raise Crash(at)

    dead.checkpoint = die  # type: ignore[method-assign]
    with pytest.raises(Crash):
        dead.load(unit(target(Strategy.APPEND), P8, [harness.lake.manifest(k1)]))
    later = harness.open_sink()
    with pytest.raises(SinkBusyError):
        later.load(unit(target(Strategy.APPEND), P8, [harness.lake.manifest(k1)]))
    now = later.clock()
    later.clock = lambda: now + timedelta(hours=1)  # type: ignore[method-assign]
    assert later.load(unit(target(Strategy.APPEND), P8, [harness.lake.manifest(k1)])).action == "skipped"
    [state] = later.states()
    assert (state.status, state.manifests, state.rows) == ("loaded", 1, 1)
    assert [r[0] for r in harness.read("SELECT conversion_id FROM raw.conversions")] == [1]


def test_same_inputs_same_prefix_and_old_prefixes_are_listed_as_superseded(harness: Harness) -> None:
    k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
    sink = harness.open_sink()
    crashed = harness.open_sink()

    def crash(at: str) -> None:
        if at == "staged":
            raise Crash(at)

    crashed.checkpoint = crash  # type: ignore[method-assign]
    with pytest.raises(Crash):
        crashed.load(unit(target(Strategy.REPLACE), P8, [harness.lake.manifest(k1)]))
    first = sink.load(unit(target(Strategy.REPLACE), P8, [harness.lake.manifest(k1)]))
    assert first.action == "loaded"
    location = sink.states_store.read("ad_server.conversion", Partition.of(P8).key).doc["location"]
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    names = [o["Key"].rsplit("/", 1)[1] for o in sink.s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]]
    assert sorted(names) == ["_loaders.json", "part-00000.parquet"]  # the crashed attempt's prefix, reused
    assert sink.superseded() == []
    harness.lake.write(P8, "b1", rows((2, 10, 2.0)), version="v2")  # rewritten: a new version, a new prefix
    assert sink.load(unit(target(Strategy.REPLACE), P8, [harness.lake.manifest(k1)])).action == "loaded"
    [old] = sink.superseded("ad_server.conversion")
    assert (old["partition"], old["location"]) == ("dt=2026-11-28/hour=08", location)
    glue = sink.glue.get_table(DatabaseName="raw", Name="conversions")["Table"]
    assert glue["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    assert [k["Name"] for k in glue["PartitionKeys"]] == ["dt", "hour"]


def test_iceberg_opens_the_sql_sink(harness: Harness, tmp_path: Path) -> None:
    from sinks.athena.iceberg import AthenaIcebergSink  # tested in tests/integration/test_athena_iceberg.py

    options = {"type": "athena", "location": "s3://x/", "table_format": "iceberg"}
    opened = open_athena("ath", options, harness.lake.store)
    assert isinstance(opened, AthenaIcebergSink)


# -- status and backfill through this sink ----------------------------------------------


@pytest.fixture
def project(s3_bucket: tuple[str, str], glue_clean: None, tmp_path: Path) -> Path:
    endpoint, bucket = s3_bucket
    config = tmp_path / "loaders.toml"
    config.write_text(
        f'[store]\nroot = "s3://{bucket}"\nendpoint_url = "{endpoint}"\n\n'
        '[sinks.ath]\ntype = "athena"\n'
        'url = "awsathena+rest://@athena.us-east-1.amazonaws.com:443/raw?s3_staging_dir=s3://x/"\n'
        f'location = "s3://{bucket}/warehouse/"\n\n'
        '[datasets."ad_server.conversion"]\n'
        'table = "raw.conversions"\nformat = "parquet"\n'
        'manifests = "manifests/ad_server/conversion/dt={dt}/hour={hour}/{batch}.json"\n'
        'partition = ["dt", "hour"]\nstrategy = "merge"\nkeys = ["conversion_id"]\norder_by = "event_ts"\n'
        'sinks = ["ath"]\n'
    )
    return config


class TestAthenaPlanner(PlannerContract):
    sink = "ath"


def test_import_loads_no_sdk_no_arrow_and_no_pyathena() -> None:
    probe = (
        "import json, sys; import sinks.athena; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('boto3', 'botocore', 'pyarrow', 'pyathena', 'duckdb'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


def test_superseded_prefixes_are_purged_only_after_a_dry_run_and_the_grace_period(harness: Harness) -> None:
    k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
    sink = harness.open_sink()
    sink.load(unit(target(Strategy.REPLACE), P8, [harness.lake.manifest(k1)]))
    harness.lake.write(P8, "b1", rows((2, 10, 2.0)), version="v2")
    sink.load(unit(target(Strategy.REPLACE), P8, [harness.lake.manifest(k1)]))
    [old] = [s["location"] for s in sink.superseded()]
    bucket, _, prefix = old.removeprefix("s3://").partition("/")

    def objects() -> int:
        return int(sink.s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0))

    assert sink.purge_superseded(dry_run=False) == []  # within the grace period: kept
    now = sink.clock()
    sink.clock = lambda: now + timedelta(days=1)  # type: ignore[method-assign]
    assert sink.purge_superseded() == [old] and objects() == 2  # dry run: listed, kept
    assert sink.purge_superseded(dry_run=False) == [old]
    assert objects() == 0 and sink.superseded() == []
    assert [r[0] for r in harness.read("SELECT conversion_id FROM raw.conversions")] == [2]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_csv_and_json_lines_become_parquet_with_the_partition_in_the_catalogue(harness: Harness, fmt: str) -> None:
    part = {"dt": "2026-11-28", "hour": "08"}
    k1 = harness.lake.write(part, "b1", [{**r, **part} for r in rows((1, 10, 1.5), (2, 11, 2.5))], fmt=fmt)
    sink = harness.open_sink()
    tgt = Target(**{**target(Strategy.APPEND).__dict__, "format": fmt})
    assert sink.load(unit(tgt, P8, [harness.lake.manifest(k1)])).rows == 2
    columns = sink.glue.get_table(DatabaseName="raw", Name="conversions")["Table"]["StorageDescriptor"]["Columns"]
    assert [(c["Name"], c["Type"]) for c in columns] == [
        ("conversion_id", "bigint"),
        ("event_ts", "bigint"),
        ("revenue", "double"),
    ]  # dt and hour are partition keys, not data columns
    assert harness.read("SELECT conversion_id, revenue, dt, hour FROM raw.conversions ORDER BY 1") == [
        (1, 1.5, "2026-11-28", "08"),
        (2, 2.5, "2026-11-28", "08"),
    ]


def test_an_unchanged_sweep_reads_state_objects_and_writes_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake_of(project).write({"dt": DAY, "hour": "01"}, "b1", conversions((1, 10), (2, 10)))
    assert [o.action for o in sweep(project, "ath")] == ["loaded"]
    calls: list[str] = []
    original = AthenaHiveSink._client

    def spied(sink: AthenaHiveSink, service: str) -> Any:
        client = original(sink, service)
        if not getattr(client, "_loaders_spied", False):
            client.meta.events.register("before-call.*.*", lambda model, **_kw: calls.append(model.name))
            client._loaders_spied = True
        return client

    monkeypatch.setattr(AthenaHiveSink, "_client", spied)
    assert sweep(project, "ath") == []
    assert calls == ["GetObject"] * 24  # one state object per partition of the window: no write, no copy, no Glue
