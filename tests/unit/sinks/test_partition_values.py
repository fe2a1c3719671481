"""The partition's values win over the data's own columns: the checks every sink shares."""

from __future__ import annotations

import datetime

import pyarrow as pa
import pytest

from manifests import DuplicateFileError, Entry, Manifest, Partition, SchemaMismatchError
from manifests.store import S3Store
from sinks import LoadUnit, Strategy, Target
from sinks.partition_values import arrow_value, check_sql_value, joined, replaced, split
from sinks.rules import Part

TARGET = Target("ad_server.conversion", "raw.conversions", "parquet", Strategy.REPLACE, ("dt", "hour"))
P8 = Partition.of({"dt": "2026-11-28", "hour": "08"})
P9 = Partition.of({"dt": "2026-11-28", "hour": "09"})


def part(partition: Partition, *manifests: tuple[str, list[str]]) -> Part:
    built = tuple(
        Manifest(url=f"s3://lake/{m}.json", version="v1", entries=tuple(Entry(f"s3://lake/{f}") for f in files))
        for m, files in manifests
    )
    return Part(LoadUnit(TARGET, partition, built, load_id="L1"), built)


def test_split_matches_names_without_case_and_keeps_the_datas_spelling() -> None:
    assert split(P8, ["id", "DT"]) == ([("DT", "dt", "2026-11-28")], [("hour", "08")])
    assert split(P8, []) == ([], [("dt", "2026-11-28"), ("hour", "08")])


@pytest.mark.parametrize(
    ("value", "kind", "dialect"),
    [
        ("08", "INTEGER", "duckdb"),
        ("08", "NUMBER(38, 0)", "snowflake"),
        ("2026-11-28", "DATE", "duckdb"),
        ("2026-11-28", "TIMESTAMP WITH TIME ZONE", "duckdb"),
        ("anything", "VARCHAR", "duckdb"),
        ("anything", "TEXT", "snowflake"),
        ("true", "BOOLEAN", "duckdb"),
        ("1.5", "DECIMAL(4, 1)", "duckdb"),
    ],
)
def test_a_value_that_is_one_of_the_columns_type_passes(value: str, kind: str, dialect: str) -> None:
    check_sql_value(value, kind, dialect, "c")


@pytest.mark.parametrize(
    ("value", "kind"),
    [("8am", "INTEGER"), ("300", "TINYINT"), ("2026-13-01", "DATE"), ("x", "BLOB"), ("1", "STRUCT(a INTEGER)")],
)
def test_a_value_the_column_cannot_hold_is_refused_naming_column_value_type_and_file(value: str, kind: str) -> None:
    with pytest.raises(SchemaMismatchError) as caught:
        check_sql_value(value, kind, "duckdb", "hour", manifest="s3://lake/m.json", file="s3://lake/f.parquet")
    assert f"partition column hour: the data's column is {kind.upper()}" in caught.value.reason
    assert repr(value) in caught.value.reason
    assert (caught.value.manifest, caught.value.file) == ("s3://lake/m.json", "s3://lake/f.parquet")


def test_arrow_values_take_the_columns_own_type() -> None:
    assert arrow_value("08", pa.int32(), "hour").to_pylist() == [8]
    assert arrow_value("2026-11-28", pa.date32(), "dt").to_pylist() == [datetime.date(2026, 11, 28)]
    assert arrow_value("x", pa.dictionary(pa.int8(), pa.string()), "dt").to_pylist() == ["x"]


def test_replaced_sets_every_row_of_a_carried_column_and_keeps_its_type() -> None:
    batch = pa.record_batch({"id": [1, 2], "DT": pa.array([datetime.date(2026, 11, 29)] * 2)})
    out = replaced(batch, [("DT", "dt", "2026-11-28")])
    assert out.schema == batch.schema
    assert out.column(1).to_pylist() == [datetime.date(2026, 11, 28)] * 2
    assert out.column(0) == batch.column(0)
    assert replaced(batch.slice(0, 0), [("DT", "dt", "2026-11-28")]).num_rows == 0


def test_joined_gives_one_row_per_file_with_its_partitions_values() -> None:
    store = S3Store("s3://lake")
    parts = [part(P8, ("m8", ["a.parquet", "b.parquet"])), part(P9, ("m9", ["c.parquet"]))]
    carried, fill, rows = joined(store, parts, [("id", "BIGINT"), ("hour", "INTEGER")], "duckdb")
    assert (carried, fill) == ([("hour", "hour", "INTEGER")], ["dt"])
    assert rows == [
        ["s3://lake/a.parquet", "2026-11-28", "08"],
        ["s3://lake/b.parquet", "2026-11-28", "08"],
        ["s3://lake/c.parquet", "2026-11-28", "09"],
    ]


@pytest.mark.parametrize("same_partition", [True, False])
def test_joined_refuses_a_file_named_twice_which_would_multiply_its_rows(same_partition: bool) -> None:
    store = S3Store("s3://lake")
    other = P8 if same_partition else P9
    parts = [part(P8, ("m1", ["a.parquet"])), part(other, ("m2", ["a.parquet"]))]
    if same_partition:
        parts = [part(P8, ("m1", ["a.parquet"]), ("m2", ["a.parquet"]))]
    with pytest.raises(DuplicateFileError, match=r"named by manifest s3://lake/m1\.json too") as caught:
        joined(store, parts, [("id", "BIGINT")], "duckdb")
    assert (caught.value.manifest, caught.value.file) == ("s3://lake/m2.json", "s3://lake/a.parquet")


def test_joined_checks_each_partitions_value_against_the_type() -> None:
    odd = Partition.of({"dt": "2026-11-28", "hour": "8am"})
    parts = [part(P8, ("m8", ["a.parquet"])), part(odd, ("modd", ["b.parquet"]))]
    with pytest.raises(SchemaMismatchError, match="partition column hour") as caught:
        joined(S3Store("s3://lake"), parts, [("hour", "BIGINT")], "duckdb")
    assert (caught.value.manifest, caught.value.file) == ("s3://lake/modd.json", "s3://lake/b.parquet")
