"""Schema evolution on Athena Hive tables, and every format loading the same table there.

The shared contract checks that a new column is added and a type change that does not
fit is refused (tests/integration/conformance.py). Here: what Glue holds afterwards, how
rows of older partitions read, and a crash between the table update and the state write.
The reader is ``read_hive``: Glue's table columns, read by name from the files each
partition points at, as Athena reads Parquet.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loaders.config import load_config
from loaders.runner import Runner
from manifests import Partition, SchemaMismatchError
from manifests.schemas import SchemaRegistry
from sinks import Strategy
from tests.integration.conformance import P8, P9, Crash, Harness, rows, target, unit
from tests.integration.test_athena import DAY, glue_clean, harness, lake_of, project, read_hive
from tests.integration.test_athena_iceberg import Setup
from tests.integration.test_formats import ROWS, SCHEMA, avro_bytes, wrapped_bytes

__all__ = ["glue_clean", "harness", "project"]  # fixtures

ORIGINAL = [("conversion_id", "bigint"), ("event_ts", "bigint"), ("revenue", "double")]


def glue_table(harness: Harness) -> dict[str, Any]:
    sink = harness.open_sink()
    try:
        return dict(sink.glue.get_table(DatabaseName="raw", Name="conversions")["Table"])  # type: ignore[attr-defined]
    finally:
        sink.close()


def columns_of(described: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["Name"], c["Type"]) for c in described["StorageDescriptor"]["Columns"]]


def partition_columns(harness: Harness, hour: str) -> list[tuple[str, str]]:
    sink = harness.open_sink()
    try:
        got = sink.glue.get_partition(  # type: ignore[attr-defined]
            DatabaseName="raw", TableName="conversions", PartitionValues=["2026-11-28", hour]
        )
    finally:
        sink.close()
    return columns_of(got["Partition"])


def load(harness: Harness, strategy: Strategy, partition: dict[str, str], keys: list[str]) -> Any:
    sink = harness.open_sink()
    try:
        return sink.load(unit(target(strategy), partition, [harness.lake.manifest(k) for k in keys]))
    finally:
        sink.close()


def test_a_new_column_is_appended_to_the_table_and_older_partitions_read_null(harness: Harness) -> None:
    load(harness, Strategy.APPEND, P8, [harness.lake.write(P8, "b1", rows((1, 10, 1.0)))])
    before = glue_table(harness)
    newer = [{"conversion_id": 2, "event_ts": 20, "revenue": 2.0, "coupon": "WINTER", "units": 3}]
    assert load(harness, Strategy.APPEND, P9, [harness.lake.write(P9, "b1", newer)]).rows == 1
    after = glue_table(harness)
    assert columns_of(after) == [*ORIGINAL, ("coupon", "string"), ("units", "bigint")]
    # only the columns changed: partition keys, SerDe, location and parameters are as created
    assert (
        after["PartitionKeys"]
        == before["PartitionKeys"]
        == [
            {"Name": "dt", "Type": "string"},
            {"Name": "hour", "Type": "string"},
        ]
    )
    for key in ("Location", "SerdeInfo", "InputFormat", "OutputFormat"):
        assert after["StorageDescriptor"][key] == before["StorageDescriptor"][key]
    assert after["Parameters"] == before["Parameters"] and after["TableType"] == "EXTERNAL_TABLE"
    # the older partition keeps the columns it was registered with; the new one has the table's
    assert partition_columns(harness, "08") == ORIGINAL
    assert partition_columns(harness, "09") == columns_of(after)
    assert harness.read("SELECT conversion_id, coupon, units, hour FROM raw.conversions ORDER BY 1") == [
        (1, None, None, "08"),
        (2, "WINTER", 3, "09"),
    ]
    # and data without the new columns still loads: they read NULL for its rows
    load(
        harness,
        Strategy.APPEND,
        P9,
        [harness.lake.write(P9, "b1", newer), harness.lake.write(P9, "b2", rows((3, 30, 3.0)))],
    )
    assert columns_of(glue_table(harness)) == columns_of(after)
    assert harness.read("SELECT conversion_id, coupon FROM raw.conversions ORDER BY 1") == [
        (1, None),
        (2, "WINTER"),
        (3, None),
    ]


def test_a_narrower_type_is_written_in_the_tables_type(harness: Harness) -> None:
    """int32 data into a bigint column fits: the new files hold int64, as the table says,
    so Athena never meets two Parquet types for one column."""
    load(harness, Strategy.APPEND, P8, [harness.lake.write(P8, "b1", rows((1, 10, 1.0)))])
    narrow = pa.table(
        {"conversion_id": pa.array([2], pa.int32()), "event_ts": pa.array([20], pa.int32()), "revenue": [2.0]}
    )
    assert load(harness, Strategy.APPEND, P9, [harness.lake.write(P9, "b1", narrow)]).rows == 1
    assert columns_of(glue_table(harness)) == ORIGINAL
    sink = harness.open_sink()
    location = sink.states_store.read("ad_server.conversion", Partition.of(P9).key).doc["location"]  # type: ignore[attr-defined]
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    body = sink.s3.get_object(Bucket=bucket, Key=f"{prefix}part-00000.parquet")["Body"].read()  # type: ignore[attr-defined]
    sink.close()
    written = pq.read_schema(io.BytesIO(body))
    assert (written.field("conversion_id").type, written.field("event_ts").type) == (pa.int64(), pa.int64())


def test_a_type_change_that_does_not_fit_leaves_glue_and_the_state_untouched(harness: Harness) -> None:
    load(harness, Strategy.APPEND, P8, [harness.lake.write(P8, "b1", rows((1, 10, 1.0)))])
    bad = [{"conversion_id": 2, "event_ts": 1.5, "revenue": 1.0, "coupon": "X"}]
    with pytest.raises(SchemaMismatchError, match="column event_ts: the table has BIGINT but the data has DOUBLE"):
        load(harness, Strategy.APPEND, P9, [harness.lake.write(P9, "b1", bad)])
    assert columns_of(glue_table(harness)) == ORIGINAL  # coupon was not added either
    sink = harness.open_sink()
    try:
        assert [s.partition for s in sink.states()] == [Partition.of(P8).key]
    finally:
        sink.close()


@pytest.mark.parametrize("step", ["evolved", "applied"])
def test_a_crash_between_the_glue_update_and_the_state_write_converges(harness: Harness, step: str) -> None:
    """ "evolved": the table has the column, the partition still points at its old prefix
    (its rows read NULL there), the state has the intent; the retry discards the intent,
    finds the staged prefix finished (same inputs, same table types: same prefix) and
    switches. "applied": the switch happened too; the retry rolls the intent forward."""
    k1 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
    load(harness, Strategy.APPEND, P8, [k1])
    k2 = harness.lake.write(P8, "b2", [{"conversion_id": 2, "event_ts": 20, "revenue": 2.0, "coupon": "WINTER"}])
    seen: list[list[tuple[Any, ...]]] = []

    def crash(at: str) -> None:
        if at == step:
            seen.append(harness.read("SELECT conversion_id, coupon FROM raw.conversions ORDER BY 1"))
            raise Crash(at)

    sink = harness.open_sink()
    sink.checkpoint = crash  # type: ignore[attr-defined]
    try:
        with pytest.raises(Crash):
            sink.load(unit(target(Strategy.APPEND), P8, [harness.lake.manifest(k1), harness.lake.manifest(k2)]))
    finally:
        sink.close()
    assert columns_of(glue_table(harness)) == [*ORIGINAL, ("coupon", "string")]
    assert seen == [[(1, None)] if step == "evolved" else [(1, None), (2, "WINTER")]]
    again = load(harness, Strategy.APPEND, P8, [k1, k2])
    assert again.action == ("loaded" if step == "evolved" else "skipped")
    assert harness.read("SELECT conversion_id, coupon FROM raw.conversions ORDER BY 1") == [(1, None), (2, "WINTER")]
    assert columns_of(glue_table(harness)) == [*ORIGINAL, ("coupon", "string")]  # added once
    sink = harness.open_sink()
    try:
        [state] = sink.states("ad_server.conversion")
        assert (state.status, state.manifests, state.rows) == ("loaded", 2, 2)
        bucket, prefix = sink.location.removeprefix("s3://").split("/", 1)  # type: ignore[attr-defined]
        listed = sink.s3.list_objects_v2(  # type: ignore[attr-defined]
            Bucket=bucket, Prefix=f"{prefix}conversions/{Partition.of(P8).key}/"
        )["Contents"]
    finally:
        sink.close()
    assert len({o["Key"].rsplit("/", 2)[-2] for o in listed}) == 2  # the first load's prefix and one more
    assert load(harness, Strategy.APPEND, P8, [k1, k2]).action == "skipped"


# -- the same rows in every format load the same Hive table -----------------------------------


def write_avro(lake: Any, body: bytes, batch: str = "b1") -> str:
    part = f"dt={DAY}/hour=01"
    data = f"data/ad_server/conversion/{part}/{batch}.avro"
    lake.store.write(lake.store.resolve(data), body)
    entry = {"url": data, "mandatory": True, "meta": {"content_length": len(body), "record_count": len(ROWS)}}
    return str(lake.write_manifest(f"manifests/ad_server/conversion/{part}/{batch}.json", {"entries": [entry]}))


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl", "avro", "avro-wrapped"])
def test_the_same_rows_in_every_format_load_the_same_hive_table(project: Path, fmt: str) -> None:
    """The sibling of tests/integration/test_formats.py (DuckDB) and test_postgres_formats.py:
    Avro formats reach the sink as Parquet copies (manifests/convert.py), so the sink's
    formats are parquet, csv and jsonl, and every one gives the same Glue columns and rows."""
    project.write_text(project.read_text().replace('format = "parquet"', f'format = "{fmt}"'))
    lake = lake_of(project)
    if fmt == "avro":
        key = write_avro(lake, avro_bytes(SCHEMA, ROWS))
    elif fmt == "avro-wrapped":
        SchemaRegistry(lake.store).publish("conversion", SCHEMA)
        key = write_avro(lake, wrapped_bytes(ROWS))
    else:
        key = lake.write({"dt": DAY, "hour": "01"}, "b1", ROWS, fmt=fmt)
    runner = Runner(load_config(str(project)))
    try:
        [outcome] = runner.load([key])
        [again] = runner.load([key])
        sink: Any = runner.sink("ath")
        glue, s3 = sink.glue, sink.s3
        table = glue.get_table(DatabaseName="raw", Name="conversions")["Table"]
        got = read_hive(glue, s3, "SELECT conversion_id, event_ts, revenue, dt, hour FROM raw.conversions ORDER BY 1")
    finally:
        runner.close()
    assert (outcome.action, outcome.rows) == ("loaded", 3), outcome.error
    assert again.action == "skipped"  # the state holds the producer's manifest, not the Parquet copy
    assert columns_of(table) == ORIGINAL
    assert got == [(i, 10 * i, 2.5, DAY, "01") for i in (1, 2, 3)]
    store: Any = lake.store
    copies = store.client.list_objects_v2(Bucket=store.bucket, Prefix="_loaders/staging/")
    assert copies.get("KeyCount", 0) == 0  # the runner removed its Parquet copies


def test_declared_csv_columns_and_empty_fields_load_as_on_duckdb(project: Path) -> None:
    from tests.integration.test_formats import TRICKY_CSV, TRICKY_ROWS, declare_zip

    project.write_text(project.read_text().replace('format = "parquet"', 'format = "csv"'))
    declare_zip(project)
    key = lake_of(project).write_text({"dt": DAY, "hour": "01"}, "b1", TRICKY_CSV)
    runner = Runner(load_config(str(project)))
    try:
        [outcome] = runner.load([key])
        sink: Any = runner.sink("ath")
        table = sink.glue.get_table(DatabaseName="raw", Name="conversions")["Table"]
        got = read_hive(sink.glue, sink.s3, "SELECT conversion_id, zip, note FROM raw.conversions ORDER BY 1")
    finally:
        runner.close()
    assert (outcome.action, outcome.rows) == ("loaded", 3), outcome.error
    assert columns_of(table) == [*ORIGINAL, ("zip", "string"), ("note", "string")]
    assert got == TRICKY_ROWS


# -- Iceberg: ALTER TABLE … ADD COLUMNS, run on DuckDB through sqlglot ------------------------


@pytest.fixture
def setup(s3_bucket: tuple[str, str], tmp_path: Path) -> Setup:
    return Setup(s3_bucket, tmp_path)


def test_iceberg_adds_the_column_before_the_data_statements(setup: Setup) -> None:
    setup.load(Strategy.APPEND, P8, [setup.lake.write(P8, "b1", rows((1, 10, 1.0)))])
    k2 = setup.lake.write(P9, "b1", [{"conversion_id": 2, "event_ts": 20, "revenue": 2.0, "coupon": "WINTER"}])
    sink = setup.sink()
    steps = setup.steps(sink)
    assert setup.load(Strategy.APPEND, P9, [k2], sink).rows == 1
    assert steps == ["target_columns", "create_stage", "add_column", "delete_manifests", "insert", "drop_stage"]
    [alter] = [s for s in setup.duck.statements if s.startswith("ALTER")]
    assert alter.strip() == "ALTER TABLE `raw`.`conversions` ADD COLUMNS (`coupon` string)"
    got = setup.duck.conn.execute("SELECT conversion_id, coupon FROM raw.conversions ORDER BY 1").fetchall()
    assert got == [(1, None), (2, "WINTER")]


def test_iceberg_refuses_a_type_change_before_anything_is_staged(setup: Setup) -> None:
    setup.load(Strategy.APPEND, P8, [setup.lake.write(P8, "b1", rows((1, 10, 1.0)))])
    k2 = setup.lake.write(P9, "b1", [{"conversion_id": 2, "event_ts": "late", "revenue": 2.0}])
    sink = setup.sink()
    steps = setup.steps(sink)
    with pytest.raises(SchemaMismatchError, match="column event_ts: the table has BIGINT but the data has STRING"):
        setup.load(Strategy.APPEND, P9, [k2], sink)
    assert steps == ["target_columns"]  # refused before the upload: no stage table, no data statement


def test_iceberg_a_crash_after_the_column_is_added_converges_without_adding_it_again(setup: Setup) -> None:
    k1 = setup.lake.write(P8, "b1", rows((1, 10, 1.0)))
    setup.load(Strategy.APPEND, P8, [k1])
    k2 = setup.lake.write(P8, "b2", [{"conversion_id": 2, "event_ts": 20, "revenue": 2.0, "coupon": "WINTER"}])
    crashing = setup.sink()

    def crash(step: str) -> None:
        if step == "evolved":
            raise Crash(step)

    crashing.checkpoint = crash  # type: ignore[method-assign]
    with pytest.raises(Crash):
        setup.load(Strategy.APPEND, P8, [k1, k2], crashing)
    columns = (
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'raw' AND table_name = 'conversions' ORDER BY ordinal_position"
    )
    assert setup.duck.conn.execute(columns).fetchall() == [  # committed on its own, after the others
        ("conversion_id", "BIGINT"), ("event_ts", "BIGINT"), ("revenue", "DOUBLE"), ("dt", "VARCHAR"),
        ("hour", "VARCHAR"), ("_loaders_manifest", "VARCHAR"), ("coupon", "VARCHAR"),
    ]  # fmt: skip
    sink = setup.sink()
    steps = setup.steps(sink)
    assert setup.load(Strategy.APPEND, P8, [k1, k2], sink).action == "loaded"
    assert "add_column" not in steps
    got = setup.duck.conn.execute("SELECT conversion_id, coupon FROM raw.conversions ORDER BY 1").fetchall()
    assert got == [(1, None), (2, "WINTER")]


def test_iceberg_a_column_another_loader_added_first_is_checked_not_added(setup: Setup) -> None:
    setup.load(Strategy.APPEND, P8, [setup.lake.write(P8, "b1", rows((1, 10, 1.0)))])
    k2 = setup.lake.write(P9, "b1", [{"conversion_id": 2, "event_ts": 20, "revenue": 2.0, "coupon": "WINTER"}])
    sink = setup.sink()
    run = sink.execute

    def concurrently(step: str, **context: Any) -> list[tuple[Any, ...]]:
        if step == "add_column":  # another loader's ALTER lands first: Athena refuses ours
            setup.duck.conn.execute("ALTER TABLE raw.conversions ADD COLUMN coupon VARCHAR")
        return run(step, **context)

    sink.execute = concurrently  # type: ignore[method-assign]
    assert setup.load(Strategy.APPEND, P9, [k2], sink).rows == 1
    got = setup.duck.conn.execute("SELECT conversion_id, coupon FROM raw.conversions ORDER BY 1").fetchall()
    assert got == [(1, None), (2, "WINTER")]
    # and when the other loader's column does not fit, the load is refused by name and type
    k3 = setup.lake.write(P9, "b2", [{"conversion_id": 3, "event_ts": 30, "revenue": 3.0, "units": "many"}])

    def other_type(step: str, **context: Any) -> list[tuple[Any, ...]]:
        if step == "add_column":
            setup.duck.conn.execute("ALTER TABLE raw.conversions ADD COLUMN units BIGINT")
        return run(step, **context)

    sink.execute = other_type  # type: ignore[method-assign]
    with pytest.raises(SchemaMismatchError, match="column units: the table has BIGINT but the data has STRING"):
        setup.load(Strategy.APPEND, P9, [k2, k3], sink)
    assert [r[0] for r in setup.duck.table()] == [1, 2]
