"""Which type changes schema evolution lets through: only those that lose no value."""

from __future__ import annotations

import pytest

from sinks.sql.columntypes import arrow_type, declared, fits, spelled

FITS = [
    ("BIGINT", "bigint", "postgres"),  # spellings of one type
    ("INTEGER", "bigint", "postgres"),
    ("NUMERIC(20, 0)", "numeric", "postgres"),  # unconstrained NUMERIC holds any exact number
    ("TIMESTAMP", "timestamp without time zone", "postgres"),
    ("REAL", "double precision", "postgres"),
    ("INTEGER", "double precision", "postgres"),
    ("JSONB", "jsonb", "postgres"),
    ("BIGINT", "text", "postgres"),  # anything into text
    ("NULL", "double precision", "postgres"),  # a column null in every row
    ("VARCHAR(65535)", "character varying", "redshift"),
    ("NUMBER(38,0)", "NUMBER(38,0)", "snowflake"),
    ("BIGINT", "NUMBER(38,0)", "snowflake"),
    ("NUMBER(18,0)", "NUMBER(38,2)", "snowflake"),
    ("TEXT", "VARCHAR(16777216)", "snowflake"),
    ("TIMESTAMP_NTZ(9)", "TIMESTAMP", "snowflake"),
    ("OBJECT", "VARIANT", "snowflake"),
    ("int", "bigint", "athena"),
    ("STRUCT(a INTEGER)", "STRUCT(a INTEGER)", "duckdb"),
    ("UINTEGER", "BIGINT", "duckdb"),
]
REFUSED = [
    ("TEXT", "bigint", "postgres"),
    ("BIGINT", "integer", "postgres"),  # narrower column
    ("BIGINT", "double precision", "postgres"),  # digits beyond 2**53
    ("DOUBLE PRECISION", "bigint", "postgres"),
    ("TIMESTAMPTZ", "timestamp without time zone", "postgres"),
    ("NUMBER(10,2)", "NUMBER(38,0)", "snowflake"),  # the fraction would be cut
    ("NUMBER(38,0)", "NUMBER(10,0)", "snowflake"),
    ("string", "bigint", "athena"),
    ("STRUCT(a INTEGER, b INTEGER)", "STRUCT(a INTEGER)", "duckdb"),
    ("BIGINT", "UBIGINT", "duckdb"),  # signed into unsigned
    ("UBIGINT", "BIGINT", "duckdb"),
    ("DATE", "TIMESTAMP", "duckdb"),
]


@pytest.mark.parametrize(("new", "old", "dialect"), FITS)
def test_a_change_that_loses_nothing_fits(new: str, old: str, dialect: str) -> None:
    assert fits(new, old, dialect)


@pytest.mark.parametrize(("new", "old", "dialect"), REFUSED)
def test_a_change_that_could_lose_a_value_does_not_fit(new: str, old: str, dialect: str) -> None:
    assert not fits(new, old, dialect)


def test_something_that_is_no_type_is_an_error_not_a_verdict() -> None:
    with pytest.raises(ValueError, match="not a column type"):
        fits("BIGINT; DROP TABLE x", "BIGINT", "postgres")


@pytest.mark.parametrize(
    ("kind", "canonical", "arrow"),
    [
        ("varchar", "VARCHAR", "string"),
        ("text", "VARCHAR", "string"),
        ("numeric(12,2)", "DECIMAL(12, 2)", "decimal128(12, 2)"),
        ("int", "INTEGER", "int32"),
        ("int8", "BIGINT", "int64"),
        ("timestamp", "TIMESTAMP", "timestamp[us]"),
        ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ", "timestamp[us, tz=UTC]"),
        ("double precision", "DOUBLE", "double"),
        ("date", "DATE", "date32[day]"),
    ],
)
def test_a_declared_csv_type_has_one_spelling_and_one_arrow_type(kind: str, canonical: str, arrow: str) -> None:
    assert declared(kind) == canonical
    assert str(arrow_type(kind)) == arrow


@pytest.mark.parametrize("kind", ["STRUCT(a INT)", "JSON", "DECIMAL(40, 2)", "BIGINT; DROP TABLE x"])
def test_a_type_no_sink_reads_alike_cannot_be_declared(kind: str) -> None:
    with pytest.raises(ValueError):
        declared(kind)


def test_a_declared_type_is_spelled_in_the_sinks_dialect() -> None:
    assert spelled("REAL", "snowflake") == "FLOAT"
    assert spelled("DECIMAL(12, 2)", "snowflake") == "DECIMAL(12, 2)"
