"""The Athena sink's pure parts: Hive types, the merge's de-duplication, options, imports."""

from __future__ import annotations

import pyarrow as pa
import pytest

from manifests import ConfigError, UnsupportedError
from manifests.store import LocalStore
from sinks.athena import open_athena
from sinks.athena.hive import AthenaHiveSink
from sinks.athena.parquet import hive_type, latest_per_key


@pytest.mark.parametrize(
    ("arrow", "hive"),
    [
        (pa.int64(), "bigint"),
        (pa.int32(), "int"),
        (pa.uint64(), "decimal(20,0)"),
        (pa.float64(), "double"),
        (pa.string(), "string"),
        (pa.timestamp("us", "UTC"), "timestamp"),
        (pa.date32(), "date"),
        (pa.decimal128(12, 2), "decimal(12,2)"),
        (pa.list_(pa.int32()), "array<int>"),
        (pa.struct([("a", pa.string()), ("b", pa.bool_())]), "struct<a:string,b:boolean>"),
        (pa.map_(pa.string(), pa.int64()), "map<string,bigint>"),
        (pa.dictionary(pa.int8(), pa.string()), "string"),
    ],
)
def test_hive_types(arrow: pa.DataType, hive: str) -> None:
    assert hive_type(arrow) == hive


def test_a_type_hive_cannot_hold_is_unsupported() -> None:
    with pytest.raises(UnsupportedError):
        hive_type(pa.decimal256(60, 2))


def test_latest_per_key_keeps_the_greatest_order_by_and_new_rows_win_ties() -> None:
    table = pa.table(
        {
            "k1": [1, 1, 2, 2, None, None, 1],
            "k2": ["a", "a", "a", "a", "x", "x", "b"],
            "ts": [10, 30, 5, 5, 1, 2, 0],
            "v": ["old", "newest", "current", "incoming", "n1", "n2", "other"],
        }
    )
    got = latest_per_key(table, ["k1", "k2"], "ts").to_pylist()
    assert sorted((r["k1"] or 0, r["k2"], r["v"]) for r in got) == [
        (0, "x", "n2"),  # null keys are one key, as in a GROUP BY
        (1, "a", "newest"),
        (1, "b", "other"),
        (2, "a", "incoming"),  # a tie: the later row (the new data) wins
    ]


def options(**extra: str) -> dict[str, str]:
    return {"type": "athena", "url": "awsathena+rest://@athena.eu-west-1.amazonaws.com:443/raw", **extra}


def test_options_name_region_database_and_state_prefix(tmp_path: object) -> None:
    sink = AthenaHiveSink("ath", options(location="s3://lake/wh"), LocalStore(str(tmp_path)))
    assert (sink.region, sink.database, sink.location) == ("eu-west-1", "raw", "s3://lake/wh/")
    assert sink.state_prefix == "s3://lake/wh/_loaders/state/"
    assert sink.capabilities.batch_partitions is False


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "location"),
        ({"location": "/tmp/x"}, "location"),
        ({"table_format": "iceberg"}, "location"),  # the Iceberg sink wants it too
        ({"location": "s3://l/", "table_format": "delta"}, "must be one of hive, iceberg, got .delta."),
    ],
)
def test_bad_options_are_config_errors(extra: dict[str, str], message: str, tmp_path: object) -> None:
    with pytest.raises(ConfigError, match=message):
        open_athena("ath", options(**extra), LocalStore(str(tmp_path)))


# -- schema evolution: table types and the Glue update -----------------------------------


def test_data_is_written_in_the_tables_types_and_a_new_null_column_as_string() -> None:
    from sinks.athena.parquet import in_table_types

    schema = pa.schema([("id", pa.int32()), ("ts", pa.timestamp("ms", "UTC")), ("new", pa.null()), ("d", pa.int64())])
    table = [("id", "bigint"), ("ts", "timestamp"), ("d", "decimal(20,0)")]
    got = in_table_types(schema, table)
    assert [(f.name, f.type) for f in got] == [
        ("id", pa.int64()),
        ("ts", pa.timestamp("ms", "UTC")),  # the same Hive type: left as the producer wrote it
        ("new", pa.string()),
        ("d", pa.decimal128(20, 0)),
    ]


def test_a_fitting_change_arrow_cannot_write_is_refused_by_column_and_types() -> None:
    from manifests import SchemaMismatchError
    from sinks.athena.parquet import in_table_types

    nested = pa.schema([("s", pa.struct([("a", pa.int32())]))])
    with pytest.raises(SchemaMismatchError, match="column s: the table has STRING but the data has STRUCT<A:INT>"):
        in_table_types(nested, [("s", "string")])


class FakeGlue:
    """GetTable/UpdateTable as Glue answers them, refusing a stale VersionId once."""

    def __init__(self, conflicts: int) -> None:
        self.conflicts = conflicts
        self.version = 1
        self.updates: list[dict[str, object]] = []
        self.table = {
            "Name": "conversions",
            "DatabaseName": "raw",
            "CreateTime": "2026-11-28",
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "parquet"},
            "PartitionKeys": [{"Name": "dt", "Type": "string"}],
            "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}], "Location": "s3://l/t/"},
        }

    def get_table(self, DatabaseName: str, Name: str) -> dict[str, object]:
        return {"Table": {**self.table, "VersionId": str(self.version)}}

    def update_table(self, DatabaseName: str, TableInput: dict[str, object], VersionId: str) -> None:
        from botocore.exceptions import ClientError

        if self.conflicts:  # another loader added a column since this one read the table
            self.conflicts -= 1
            self.table["StorageDescriptor"]["Columns"].append({"Name": "other", "Type": "int"})  # type: ignore[index]
            self.version += 1
        if VersionId != str(self.version):
            raise ClientError({"Error": {"Code": "ConcurrentModificationException"}}, "UpdateTable")
        self.updates.append(TableInput)
        self.table = {**self.table, **TableInput}
        self.version += 1


def test_evolve_appends_missing_columns_and_rereads_after_a_concurrent_update() -> None:
    from sinks.athena.glue import Table, evolve

    glue = FakeGlue(conflicts=1)
    table = Table("raw", "conversions", "s3://l/t/")
    columns, added = evolve(glue, table, ["dt"], [("id", "bigint"), ("coupon", "string")])
    assert added == [("coupon", "string")]
    assert columns == [("id", "bigint"), ("other", "int"), ("coupon", "string")]  # the other loader's kept
    [update] = glue.updates
    assert set(update) == {"Name", "TableType", "Parameters", "PartitionKeys", "StorageDescriptor"}  # no read-only
    assert evolve(glue, table, ["dt"], [("id", "bigint"), ("coupon", "string")]) == (columns, [])  # no update
    assert len(glue.updates) == 1


def test_evolve_refuses_a_column_another_loader_added_with_another_type() -> None:
    from manifests import TransientError
    from sinks.athena.glue import Table, evolve

    glue = FakeGlue(conflicts=0)
    with pytest.raises(TransientError, match="column id: the table has bigint but this attempt wrote string"):
        evolve(glue, Table("raw", "conversions", "s3://l/t/"), ["dt"], [("id", "string")])
    assert glue.updates == []


def test_evolve_gives_up_after_five_concurrent_updates() -> None:
    from manifests import TransientError
    from sinks.athena.glue import Table, evolve

    glue = FakeGlue(conflicts=5)
    with pytest.raises(TransientError, match=r"raw\.conversions: the table kept changing while adding columns; retry"):
        evolve(glue, Table("raw", "conversions", "s3://l/t/"), ["dt"], [("id", "bigint"), ("coupon", "string")])
    assert glue.updates == [] and glue.conflicts == 0  # five attempts, each lost to another loader


def test_a_state_change_gives_up_after_five_lost_races() -> None:
    from datetime import timedelta

    from manifests import TransientError
    from sinks.athena.lease import PartitionStates
    from sinks.athena.settings import AthenaSettings
    from sinks.athena.state import Conflict, MemoryStates, Versioned

    class Racing(MemoryStates):
        writes = 0

        def write(self, state: Versioned) -> Versioned:
            self.writes += 1
            raise Conflict("another loader wrote first")

    settings = AthenaSettings("s3://l/", "raw", None, None, "s3://l/_loaders/state/", timedelta(minutes=15), 10, {})
    states = PartitionStates(lambda: None, settings, stamp=lambda: "2026-11-28T08:00:00")
    states.memory = racing = Racing()
    with pytest.raises(TransientError, match=r"a\.b dt=1: the state kept changing while resetting"):
        states.update("a.b", "dt=1", lambda doc: doc.update(status="loaded"), "resetting")
    assert racing.writes == 5


class _RefusingS3:
    """An S3 client whose LIST answers with one error code, as botocore raises it."""

    def __init__(self, code: str) -> None:
        self.code = code

    def list_objects_v2(self, **_kw: object) -> dict[str, object]:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": self.code, "Message": self.code}}, "ListObjectsV2")


@pytest.mark.parametrize(
    ("code", "raised"),
    [("NoSuchBucket", None), ("AccessDenied", "TerminalError"), ("InternalError", "TransientError")],
)
def test_has_state_is_false_without_a_bucket_and_raises_a_refused_read(code: str, raised: str | None) -> None:
    import manifests
    from sinks.athena.state import StateStore

    store = StateStore(_RefusingS3(code), "s3://lake/wh/_loaders/state/")
    if raised is None:
        assert store.has_state() is False
        return
    with pytest.raises(getattr(manifests, raised), match=r"s3://lake/wh/_loaders/state/"):
        store.has_state()
