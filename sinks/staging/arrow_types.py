"""Arrow types as the column types of a SQL dialect (:class:`TypeNames` spells the ones
dialects disagree on), and the fence a column type passes before it is pasted into DDL."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from manifests import UnsupportedError

if TYPE_CHECKING:
    import pyarrow as pa


#: the type of a column null in every row (Arrow's null type): it fits any target column;
#: staged as the target's type, or as text when the target lacks the column
UNTYPED = "NULL"
#: what a column type may look like; types never come from input, this is a second fence
_SQL_TYPE = re.compile(r"^[A-Z][A-Z ]*(\(\d+(, ?\d+)?\))?$")


# -- Arrow types → column types ---------------------------------------------------------------


@dataclass(frozen=True)
class TypeNames:
    """The column types a dialect spells differently; the rest are standard SQL."""

    text: str
    binary: str
    json: str
    partition: str
    max_decimal_precision: int = 1000


def column_type(t: pa.DataType, names: TypeNames) -> str:
    """The column type holding Arrow type ``t``; partition columns use ``names.partition``."""
    import pyarrow as pa

    types = pa.types
    if types.is_dictionary(t):
        return column_type(t.value_type, names)
    simple: list[tuple[Callable[[pa.DataType], bool], str]] = [
        (types.is_boolean, "BOOLEAN"),
        (lambda x: types.is_int8(x) or types.is_int16(x) or types.is_uint8(x), "SMALLINT"),
        (lambda x: types.is_int32(x) or types.is_uint16(x), "INTEGER"),
        (lambda x: types.is_int64(x) or types.is_uint32(x), "BIGINT"),
        (types.is_uint64, "NUMERIC(20, 0)"),
        (lambda x: types.is_float16(x) or types.is_float32(x), "REAL"),
        (types.is_float64, "DOUBLE PRECISION"),
        (lambda x: types.is_string(x) or types.is_large_string(x) or types.is_string_view(x), names.text),
        (types.is_null, UNTYPED),
        (is_binary, names.binary),
        (types.is_date, "DATE"),
        (types.is_time, "TIME"),
        (is_nested, names.json),
    ]
    for test, name in simple:
        if test(t):
            return name
    if types.is_timestamp(t):
        return "TIMESTAMPTZ" if t.tz else "TIMESTAMP"
    if types.is_decimal(t) and t.precision <= names.max_decimal_precision:
        return f"NUMERIC({t.precision}, {t.scale})"
    raise UnsupportedError(f"no column type for Arrow type {t}")


def checked_type(name: str) -> str:
    """Column types are pasted into DDL as keywords; refuse anything but a type name."""
    if not _SQL_TYPE.match(name):
        raise ValueError(f"not a column type: {name!r}")
    return name


def is_binary(t: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t))


def is_nested(t: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_nested(t))
