"""The Athena sink's Iceberg path (sinks/athena/iceberg.py): S3 on a moto server, SQL on DuckDB.

moto's Athena runs no SQL. The sink's cursor here is ``DuckAthena``: every statement the
sink renders is parsed as Athena SQL by sqlglot and transpiled to DuckDB
(``sqlglot.transpile(sql, read="athena", write="duckdb")``), which runs it over local
tables; an Athena database is a DuckDB schema, and ``CREATE EXTERNAL TABLE`` loads the
Parquet files under its LOCATION (written by the sink to moto's S3). So the MERGE, the
de-duplication, the append retry and the replace are executed, not only rendered; what
Iceberg itself does (snapshots, partition specs) is not (see docs/sinks/athena.md).
The statement sequence and the 100-partition chunking are asserted from the sink's own
recording mode (``loaders compile`` uses it), which connects to nothing.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from manifests import Entry, Manifest, Partition, SinkBusyError
from manifests.store import S3Store
from sinks import LoadUnit, Strategy, Target
from sinks.athena import open_athena
from sinks.athena.hive import AthenaHiveSink
from sinks.athena.iceberg import MANIFEST_COLUMN, MAX_PARTITIONS, AthenaIcebergSink, MemoryStates
from tests.integration.conformance import P8, P9, Harness, SinkContract, rows, target, unit
from tests.integration.conformance import Crash as ContractCrash
from tests.lake import Lake

COLUMNS = "conversion_id, event_ts, revenue, dt, hour"


class DuckAthena:
    """A DB-API cursor running Athena SQL on DuckDB through sqlglot; keeps what it ran."""

    def __init__(self, s3: Any) -> None:
        import duckdb

        self.s3 = s3
        self.conn = duckdb.connect()
        self.statements: list[str] = []
        self.description: Any = None
        self._rows: list[tuple[Any, ...]] = []

    def execute(self, sql: str) -> None:
        import sqlglot
        from sqlglot import exp

        self.statements.append(sql)
        tree = sqlglot.parse_one(sql, read="athena")
        if isinstance(tree, exp.Create) and tree.args.get("kind") == "DATABASE":
            self.conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{tree.this.name}"')
            self.description, self._rows = None, []
            return
        if isinstance(tree, exp.Alter) and any(isinstance(a, exp.Schema) for a in tree.args.get("actions", [])):
            self._add_columns(tree)
            return
        (statement,) = sqlglot.transpile(sql, read="athena", write="duckdb")
        got = self.conn.execute(statement)
        self.description = got.description
        self._rows = got.fetchall() if got.description else []
        if isinstance(tree, exp.Create) and tree.find(exp.ExternalProperty) is not None:
            self._fill_external(tree.this.this, tree.find(exp.LocationProperty).this.name)

    def _add_columns(self, tree: Any) -> None:
        """Athena's ``ALTER TABLE t ADD COLUMNS (c type, …)``: sqlglot writes it for DuckDB
        as is, which DuckDB cannot parse; DuckDB adds one column per statement."""
        from sqlglot import exp

        for action in tree.args["actions"]:
            for column in action.expressions:
                add = exp.Alter(this=tree.this, kind="TABLE", actions=[column])
                self.conn.execute(add.sql(dialect="duckdb"))
        self.description, self._rows = None, []

    def _fill_external(self, table: Any, location: str) -> None:
        """What Athena reads through an external table: the Parquet files under LOCATION."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
        parts = [
            pq.read_table(io.BytesIO(self.s3.get_object(Bucket=bucket, Key=k)["Body"].read()))
            for k in keys
            if not k.rsplit("/", 1)[-1].startswith(("_", "."))
        ]
        if parts:
            self._staged = pa.concat_tables(parts)
            self.conn.register("_staged_files", self._staged)
            self.conn.execute(f'INSERT INTO "{table.db}"."{table.name}" BY NAME SELECT * FROM _staged_files')
            self.conn.unregister("_staged_files")

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows

    def close(self) -> None:
        """The test reads the tables after the sink closed its cursor."""

    def table(self, name: str = '"raw"."conversions"') -> list[tuple[Any, ...]]:
        order = "conversion_id, event_ts, dt, hour"
        return [tuple(r) for r in self.conn.execute(f"SELECT {COLUMNS} FROM {name} ORDER BY {order}").fetchall()]


class Setup:
    def __init__(self, s3_bucket: tuple[str, str], tmp_path: Path) -> None:
        import boto3

        endpoint, bucket = s3_bucket
        self.store = S3Store(f"s3://{bucket}", endpoint)
        self.lake = Lake(tmp_path / "lake", store=self.store)
        self.options = {
            "type": "athena",
            "url": "awsathena+rest://@athena.us-east-1.amazonaws.com:443/raw?s3_staging_dir=s3://x/",
            "location": f"s3://{bucket}/warehouse/",
            "table_format": "iceberg",
        }
        self.s3 = boto3.client("s3", endpoint_url=endpoint)
        self.bucket = bucket
        self.duck = DuckAthena(self.s3)
        self.project = str(tmp_path)

    def sink(self) -> AthenaIcebergSink:
        sink = open_athena("athena", self.options, self.store, self.project)
        assert isinstance(sink, AthenaIcebergSink)
        sink.cursor = self.duck
        return sink

    def load(self, strategy: Strategy, partition: dict[str, str], keys: list[str], sink: Any = None) -> Any:
        sink = sink or self.sink()
        return sink.load(unit(target(strategy), partition, [self.lake.manifest(k) for k in keys]))

    def steps(self, sink: AthenaIcebergSink) -> list[str]:
        """The steps the sink runs from now on (its one ``execute``)."""
        seen: list[str] = []
        run = sink.execute

        def execute(step: str, **context: Any) -> list[tuple[Any, ...]]:
            if sink.render(step, **context):
                seen.append(step)
            return run(step, **context)

        sink.execute = execute  # type: ignore[method-assign]
        return seen


@pytest.fixture
def setup(s3_bucket: tuple[str, str], tmp_path: Path) -> Setup:
    return Setup(s3_bucket, tmp_path)


# -- each strategy, executed ------------------------------------------------------------------


def test_iceberg_opens_the_sql_sink_and_hive_stays_the_default(setup: Setup) -> None:
    assert isinstance(setup.sink(), AthenaIcebergSink)
    hive = open_athena("athena", {**setup.options, "table_format": "hive"}, setup.store)
    assert type(hive) is AthenaHiveSink


def test_append_statements_and_a_reload_is_skipped_without_statements(setup: Setup) -> None:
    k1 = setup.lake.write(P8, "b1", rows((1, 10, 1.0), (2, 10, 2.0)))
    sink = setup.sink()
    steps = setup.steps(sink)
    first = setup.load(Strategy.APPEND, P8, [k1], sink)
    assert (first.action, first.rows) == ("loaded", 2)
    assert steps == [
        "target_columns",
        "create_schema",
        "create_stage",
        "create_target",
        "delete_manifests",
        "insert",
        "drop_stage",
    ]
    assert setup.duck.table() == [(1, 10, 1.0, "2026-11-28", "08"), (2, 10, 2.0, "2026-11-28", "08")]
    steps.clear()
    assert setup.load(Strategy.APPEND, P8, [k1], sink).action == "skipped"
    assert steps == []
    k2 = setup.lake.write(P8, "b2", rows((3, 10, 3.0)))
    assert setup.load(Strategy.APPEND, P8, [k1, k2], sink).rows == 1
    assert steps == ["target_columns", "create_stage", "delete_manifests", "insert", "drop_stage"]
    assert [r[0] for r in setup.duck.table()] == [1, 2, 3]
    tagged = setup.duck.conn.execute(f'SELECT DISTINCT "{MANIFEST_COLUMN}" FROM raw.conversions').fetchall()
    assert {t[0].rsplit("#", 1)[0].rsplit("/", 1)[-1] for t in tagged} == {"b1.json", "b2.json"}
    state = sink.states_store.read("ad_server.conversion", Partition.of(P8).key).doc
    assert (state["status"], state["rows"], state["lease"], len(state["applied"])) == ("loaded", 3, None, 2)
    # the staging table and its files are gone
    stages = "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_loaders_stage%'"
    assert setup.duck.conn.execute(stages).fetchone() == (0,)
    listed = setup.s3.list_objects_v2(Bucket=setup.bucket, Prefix="warehouse/_loaders/stage/").get("Contents", [])
    assert listed == []


def test_merge_latest_wins_and_the_source_is_de_duplicated(setup: Setup) -> None:
    # key 1 twice in one manifest: Athena's MERGE would fail on it, so staging is de-duplicated
    k1 = setup.lake.write(P8, "b1", rows((1, 10, 1.0), (1, 30, 3.0), (2, 10, 2.0)))
    setup.load(Strategy.MERGE, P8, [k1])
    assert setup.duck.table() == [(1, 30, 3.0, "2026-11-28", "08"), (2, 10, 2.0, "2026-11-28", "08")]
    # now the table exists: a MERGE. An older key 1 loses, a newer key 2 wins, key 3 is new
    k2 = setup.lake.write(P8, "b2", rows((1, 20, -1.0), (2, 40, 4.0), (2, 35, -2.0), (3, 10, 5.0)))
    sink = setup.sink()
    steps = setup.steps(sink)
    setup.load(Strategy.MERGE, P8, [k1, k2], sink)
    assert steps == ["target_columns", "create_stage", "duplicate_keys", "merge", "drop_stage"]
    assert setup.duck.table() == [
        (1, 30, 3.0, "2026-11-28", "08"),
        (2, 40, 4.0, "2026-11-28", "08"),
        (3, 10, 5.0, "2026-11-28", "08"),
    ]
    # keys are per partition, as in the Hive path: key 1 in hour 09 is a row of its own
    k3 = setup.lake.write(P9, "b1", rows((1, 5, 5.0)))
    setup.load(Strategy.MERGE, P9, [k3])
    assert [(r[0], r[1], r[4]) for r in setup.duck.table() if r[0] == 1] == [(1, 5, "09"), (1, 30, "08")]


def test_merge_statement_run_twice_changes_nothing(setup: Setup) -> None:
    k1 = setup.lake.write(P8, "b1", rows((1, 10, 1.0)))
    setup.load(Strategy.MERGE, P8, [k1])
    k2 = setup.lake.write(P8, "b2", rows((1, 20, 2.0), (2, 20, 2.0), (2, 15, 1.5)))
    sink = setup.sink()
    sink._clean = lambda context: None  # type: ignore[method-assign]  # keep staging: run the MERGE again
    setup.load(Strategy.MERGE, P8, [k1, k2], sink)
    after = setup.duck.table()
    merge = next(s for s in reversed(setup.duck.statements) if "MERGE INTO" in s)
    setup.duck.execute(merge)
    assert setup.duck.table() == after == [(1, 20, 2.0, "2026-11-28", "08"), (2, 20, 2.0, "2026-11-28", "08")]


def test_replace_deletes_the_partition_and_inserts_only_there(setup: Setup) -> None:
    setup.load(Strategy.REPLACE, P9, [setup.lake.write(P9, "b1", rows((9, 1, 9.0)))])
    k1 = setup.lake.write(P8, "b1", rows((1, 10, 1.0), (2, 10, 2.0)))
    setup.load(Strategy.REPLACE, P8, [k1])
    k2 = setup.lake.write(P8, "b2", rows((3, 10, 3.0)))
    sink = setup.sink()
    steps = setup.steps(sink)
    setup.load(Strategy.REPLACE, P8, [k2], sink)
    assert steps == ["target_columns", "create_stage", "delete_partition", "insert", "drop_stage"]
    assert setup.duck.table() == [(3, 10, 3.0, "2026-11-28", "08"), (9, 1, 9.0, "2026-11-28", "09")]


# -- exactly once across a crash ------------------------------------------------------------------


class Crash(Exception):
    pass


@pytest.mark.parametrize("strategy", list(Strategy))
def test_a_crash_between_the_data_statements_and_the_state_converges_on_rerun(setup: Setup, strategy: Strategy) -> None:
    k0 = setup.lake.write(P8, "b0", rows((1, 5, 0.5)))
    setup.load(strategy, P8, [k0])
    k1 = setup.lake.write(P8, "b1", rows((1, 10, 1.0), (2, 10, 2.0)))
    crashing = setup.sink()

    def crash(step: str) -> None:
        if step == "applied":
            raise Crash(step)

    crashing.checkpoint = crash  # type: ignore[method-assign]
    with pytest.raises(Crash):
        setup.load(strategy, P8, [k0, k1], crashing)
    state = crashing.states_store.read("ad_server.conversion", Partition.of(P8).key).doc
    assert len(state["applied"]) == 1 and state["lease"] is None  # released, not recorded
    assert setup.load(strategy, P8, [k0, k1]).action == "loaded"  # the retry runs it all again
    want = {
        Strategy.APPEND: [(1, 5), (1, 10), (2, 10)],
        Strategy.MERGE: [(1, 10), (2, 10)],
        Strategy.REPLACE: [(1, 5), (1, 10), (2, 10)],
    }[strategy]
    assert [(r[0], r[1]) for r in setup.duck.table()] == want
    assert setup.load(strategy, P8, [k0, k1]).action == "skipped"


def test_append_statements_run_twice_do_not_duplicate_and_the_insert_alone_would(setup: Setup) -> None:
    k1 = setup.lake.write(P8, "b1", rows((1, 10, 1.0), (2, 10, 2.0)))
    sink = setup.sink()
    sink._clean = lambda context: None  # type: ignore[method-assign]  # keep staging: run the statements again
    setup.load(Strategy.APPEND, P8, [k1], sink)
    ran = setup.duck.statements
    delete = next(s for s in ran if "DELETE FROM" in s)
    insert = next(s for s in ran if "INSERT INTO" in s)
    for statement in (delete, insert, delete, insert):  # a retry, and a retry of the retry
        setup.duck.execute(statement)
    assert [r[0] for r in setup.duck.table()] == [1, 2]
    setup.duck.execute(insert)  # what a retry without the delete would do: the test can fail
    assert [r[0] for r in setup.duck.table()] == [1, 1, 2, 2]


# -- leases --------------------------------------------------------------------------------------------


def test_a_live_lease_makes_another_loader_wait_and_an_expired_one_does_not(setup: Setup) -> None:
    k1 = setup.lake.write(P8, "b1", rows((1, 10, 1.0)))
    holder = setup.sink()
    manifest = setup.lake.manifest(k1)
    pending, state = holder._take(unit(target(Strategy.APPEND), P8, [manifest]))
    assert pending and state is not None and state.doc["lease"]
    with pytest.raises(SinkBusyError):
        setup.load(Strategy.APPEND, P8, [k1])
    doc = dict(state.doc, lease=dict(state.doc["lease"], expires="2000-01-01T00:00:00+00:00"))
    holder.states_store.write(type(state)(doc, state.etag))
    assert setup.load(Strategy.APPEND, P8, [k1]).rows == 1
    assert [r[0] for r in setup.duck.table()] == [1]


def test_statements_stop_when_the_lease_was_taken_over(setup: Setup) -> None:
    from manifests import TransientError

    k1 = setup.lake.write(P8, "b1", rows((1, 10, 1.0)))
    sink = setup.sink()
    other = setup.sink()

    def take_over(step: str) -> None:
        if step == "staged":  # another loader takes the partition after our lease expired
            state = other.states_store.read("ad_server.conversion", Partition.of(P8).key)
            other.states_store.write(type(state)(dict(state.doc, token=99), state.etag))

    sink.checkpoint = take_over  # type: ignore[method-assign]
    steps = setup.steps(sink)
    with pytest.raises(TransientError, match="taken over"):
        setup.load(Strategy.APPEND, P8, [k1], sink)
    assert "insert" not in steps and "delete_manifests" not in steps


# -- chunks of at most 100 partitions, recorded ---------------------------------------------------


def _recorded(sink: AthenaIcebergSink, units: list[LoadUnit], exists: bool) -> list[Any]:
    columns = [("conversion_id", "VARCHAR"), ("event_ts", "VARCHAR"), ("revenue", "VARCHAR")]
    replies = {
        "describe": columns,
        "staged_counts": [(f"s3://lake/p{i}.parquet", 1) for i in range(len(units))],
        "target_columns": [(n,) for n, _t in columns] + [("dt",), ("hour",)] if exists else [],
    }
    with sink.recording(lambda step, _c: replies.get(step, []), clock=lambda: "<now>") as kept:
        results = sink.load_many(units)
    assert all(r.action == "loaded" for r in results)
    return kept


def _units(strategy: Strategy, n: int) -> list[LoadUnit]:
    tgt = Target(
        dataset="ad_server.conversion",
        table="raw.conversions",
        format="parquet",
        strategy=strategy,
        partition_columns=("dt", "hour"),
        keys=("conversion_id",) if strategy is Strategy.MERGE else (),
        order_by="event_ts" if strategy is Strategy.MERGE else None,
    )
    out = []
    for i in range(n):
        partition = Partition.of({"dt": f"2026-11-{1 + i // 24:02d}", "hour": f"{i % 24:02d}"})
        entry = Entry(url=f"s3://lake/p{i}.parquet", mandatory=True, content_length=1, record_count=1)
        manifest = Manifest(url=f"s3://lake/m{i}.json", version="v1", entries=(entry,))
        out.append(LoadUnit(target=tgt, partition=partition, manifests=(manifest,), load_id="L1"))
    return out


@pytest.mark.parametrize("strategy", list(Strategy))
def test_statements_write_at_most_100_partitions_each(setup: Setup, strategy: Strategy) -> None:
    import sqlglot

    sink = setup.sink()
    kept = _recorded(sink, _units(strategy, MAX_PARTITIONS + 1), exists=True)
    data = {Strategy.APPEND: ["delete_manifests", "insert"], Strategy.MERGE: ["merge"]}.get(
        strategy, ["delete_partition", "insert"]
    )
    checked = ["duplicate_keys"] if strategy is Strategy.MERGE else []  # NULL keys, once for the load
    assert [r.step for r in kept] == ["target_columns", "create_stage", *checked, *data, *data, "drop_stage"]
    written = [r for r in kept if r.step in data]
    sizes = [r.sql.count('"dt" = \'2026-11-') for r in written]
    assert sizes == [MAX_PARTITIONS] * len(data) + [1] * len(data)
    for statement in kept:
        sqlglot.parse_one(statement.sql, read="athena")  # every statement is Athena SQL
    assert sink.memory_states is None  # recording kept its state in memory and dropped it


def test_load_many_records_each_partition_and_skips_what_is_applied(setup: Setup) -> None:
    sink = setup.sink()
    units = _units(Strategy.APPEND, 3)
    replies = {
        "describe": [("conversion_id", "VARCHAR")],
        "staged_counts": [(f"s3://lake/p{i}.parquet", 1) for i in range(3)],
    }
    with sink.recording(lambda step, _c: replies.get(step, []), clock=lambda: "<now>"):
        sink.memory_states = states = MemoryStates()
        first = sink.load_many(units)
        again = sink.load_many(units)
    assert [r.action for r in first] == ["loaded"] * 3 and [r.action for r in again] == ["skipped"] * 3
    assert sorted(d["partition"] for d in states.all()) == sorted(u.partition.key for u in units)


def test_the_staging_rows_carry_partition_values_and_the_manifest(setup: Setup) -> None:
    k1 = setup.lake.write(P8, "b1", rows((1, 10, 1.0)))
    sink = setup.sink()
    sink._clean = lambda context: None  # type: ignore[method-assign]  # keep staging to look at it
    setup.load(Strategy.APPEND, P8, [k1], sink)
    staged = setup.duck._staged.to_pylist()
    manifest = setup.lake.manifest(k1)
    assert staged == [
        {
            "conversion_id": 1,
            "event_ts": 10,
            "revenue": 1.0,
            "dt": "2026-11-28",
            "hour": "08",
            MANIFEST_COLUMN: f"{k1}#{manifest.version}",  # the key relative to the root
        }
    ]


@pytest.fixture(autouse=True)
def _no_pyathena_needed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gives the sink its cursor: nothing here may connect to Athena."""
    import sys

    monkeypatch.setitem(sys.modules, "pyathena", None)
    yield


# -- the shared sink contract ------------------------------------------------------------------


class TestAthenaIcebergContract(SinkContract):
    """The contract every sink passes, on the Iceberg path (statements run on DuckDB)."""

    #: Athena commits each statement on its own: from "applied" on, readers see the new
    #: rows before the state says so; the rerun runs the same idempotent statements again
    #: (loaded, no duplicate) until the state is recorded
    visible_from = "applied"
    done_after = ("recorded",)
    merge_keys_per_partition = True  # MERGE ... ON the keys and the partition columns
    #: partition columns are the table's string partition keys; a column of the data's of
    #: the same name is dropped, so the partition's value wins and no cast can fail
    partition_typed_by_data = False

    @pytest.fixture
    def harness(self, s3_bucket: tuple[str, str], tmp_path: Path) -> Harness:
        setup = Setup(s3_bucket, tmp_path)

        def read(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in setup.duck.conn.execute(sql).fetchall()]

        return Harness(lake=setup.lake, open_sink=setup.sink, read=read)

    @pytest.mark.parametrize("step", ["staged", "locked", "applied", "recorded"])
    def test_a_crash_in_load_many_leaves_every_partition_as_it_was(self, harness: Harness, step: str) -> None:
        """One statement writes both partitions (one chunk), so they change together; the
        state objects are written one per partition after it, and the rerun converges."""
        k8 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
        k9 = harness.lake.write(P9, "b1", rows((3, 10, 3.0)))
        tgt = target(Strategy.MERGE)

        def crash(at: str) -> None:
            if at == step:
                raise ContractCrash(at)

        sink = harness.open_sink()
        sink.checkpoint = crash  # type: ignore[attr-defined]
        with pytest.raises(ContractCrash):
            sink.load_many([unit(tgt, P8, [harness.lake.manifest(k8)]), unit(tgt, P9, [harness.lake.manifest(k9)])])
        assert [r[0] for r in self.table(harness)] == ([1, 3] if step in ("applied", "recorded") else [])
        sink = harness.open_sink()
        sink.load_many([unit(tgt, P8, [harness.lake.manifest(k8)]), unit(tgt, P9, [harness.lake.manifest(k9)])])
        assert sorted((s.partition, s.rows) for s in sink.states("ad_server.conversion")) == [
            ("dt=2026-11-28/hour=08", 1),
            ("dt=2026-11-28/hour=09", 1),
        ]
        assert [r[0] for r in self.table(harness)] == [1, 3]


def test_ddl_quoting_and_column_types_admit_nothing_else() -> None:
    from sinks.athena.templates import AthenaTemplates

    templates = AthenaTemplates("athena")
    assert templates.ddl_ident(("raw", "a`b; drop")) == "`raw`.`a``b; drop`"
    assert templates.ident(("raw", 'a"b')) == '"raw"."a""b"'
    for good in ("string", "decimal(20,0)", "array<struct<a:int,b:string>>", "map<string,bigint>"):
        assert templates.column_type(good) == good
    for bad in ("string) LOCATION 's3://x/'", "int; DROP TABLE t", "string`", "", "struct<a:int>, injected string"):
        with pytest.raises(ValueError):
            templates.column_type(bad)


def test_struct_field_names_that_would_inject_ddl_are_refused() -> None:
    import pyarrow as pa

    from manifests import UnsupportedError
    from sinks.athena.parquet import hive_type

    assert hive_type(pa.struct([("a_1", pa.int32())])) == "struct<a_1:int>"
    with pytest.raises(UnsupportedError, match="struct field name"):
        hive_type(pa.struct([("a:int>, injected string, z array<int", pa.int32())]))


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl", "avro", "avro-wrapped"])
def test_the_same_rows_in_every_format_load_the_same_iceberg_table(setup: Setup, fmt: str) -> None:
    """The sibling of tests/integration/test_formats.py (DuckDB): Avro reaches the sink as
    its Parquet copies, as the runner hands them over."""
    from dataclasses import replace

    from tests.integration.test_formats import manifest_in

    manifest, loads_as = manifest_in(setup.lake, fmt)
    tgt = replace(target(Strategy.APPEND), format=loads_as)
    assert setup.sink().load(unit(tgt, P8, [manifest])).rows == 3
    got = setup.duck.conn.execute("SELECT conversion_id, event_ts, revenue, dt, hour FROM raw.conversions ORDER BY 1")
    assert got.fetchall() == [(i, 10 * i, 2.5, "2026-11-28", "08") for i in (1, 2, 3)]
