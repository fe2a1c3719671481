"""The Athena sink's pure parts: Hive types, the merge's de-duplication, options, imports."""

from __future__ import annotations

import pyarrow as pa
import pytest

from manifests import ConfigError, UnsupportedError
from manifests.store import LocalStore
from sinks.athena import AthenaSink
from sinks.athena_files import hive_type, latest_per_key


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
    sink = AthenaSink("ath", options(location="s3://lake/wh"), LocalStore(str(tmp_path)))
    assert (sink.region, sink.database, sink.location) == ("eu-west-1", "raw", "s3://lake/wh/")
    assert sink.state_prefix == "s3://lake/wh/_loaders/state/"
    assert sink.capabilities.transactions is False and sink.capabilities.batch_partitions is False


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "location"),
        ({"location": "/tmp/x"}, "location"),
        ({"table_format": "iceberg"}, "location"),  # the Iceberg sink wants it too
        ({"location": "s3://l/", "table_format": "delta"}, "expected hive or iceberg"),
    ],
)
def test_bad_options_are_config_errors(extra: dict[str, str], message: str, tmp_path: object) -> None:
    with pytest.raises(ConfigError, match=message):
        AthenaSink("ath", options(**extra), LocalStore(str(tmp_path)))
