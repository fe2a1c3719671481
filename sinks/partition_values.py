"""A partition's values win over the data's own columns of the same names.

The manifest's partition (``dt=2026-11-29/hour=08``, the path in the Hive and Athena
convention) is the unit of state, locking and replacement: ``replace`` deletes exactly the
partition's rows and a merge rewrites it. If a file's own ``dt`` column said another day,
the rows it inserts would belong to a partition the load never deletes, and every reload
would add a copy. So every staged row's partition columns hold the partition's values,
whether or not the file carries a column of that name.

Where the file carries the column, the value takes that column's type (a DATE ``dt``
gets DATE '2026-11-29', an integer ``hour`` gets 8 from '08'), so the table's column keeps
the type the data gives it. A value that cannot be one of that type is refused before
anything is loaded (:class:`SchemaMismatchError` naming the column, the value, the file).
The check is Arrow's cast, the same for every sink: DuckDB and Snowflake describe columns
as SQL types (mapped to Arrow here), PostgreSQL and Redshift read Arrow types from the
files. Athena's partition columns are its tables' string partition keys: the data's
column of that name is dropped there, so this module is not needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from manifests import DuplicateFileError, Partition, SchemaMismatchError
from manifests.store import ObjectStore
from sinks.sql.columntypes import parse

if TYPE_CHECKING:
    import pyarrow as pa

    from sinks.rules import Part
    from sinks.staging import File

T = exp.DataType.Type
_TEXT = {T.TEXT, T.VARCHAR, T.CHAR, T.NVARCHAR, T.NCHAR, T.NAME}

#: the partition's columns a file carries, as (the file's name, key, value), and those it
#: lacks, as (key, value)
PartitionColumns = tuple[list[tuple[str, str, str]], list[tuple[str, str]]]


def split(partition: Partition, names: Iterable[str]) -> PartitionColumns:
    """The partition's columns the data carries, as (the data's spelling of the name, the
    partition's key, value), and those it does not, as (key, value). Names compare
    without case, as the engines fold them."""
    own = {name.lower(): name for name in names}
    carried = [(own[k.lower()], k, v) for k, v in partition.items if k.lower() in own]
    missing = [(k, v) for k, v in partition.items if k.lower() not in own]
    return carried, missing


def checked_partition(file: File, schema: pa.Schema | None, names: Sequence[str]) -> PartitionColumns:
    """:func:`split` for one file read with pyarrow (PostgreSQL, Redshift), each carried
    value checked against the file's own type of the column; without a schema (compiling)
    nothing is checked."""
    carried, missing = split(file.part.unit.partition, names)
    if schema is not None:
        for name, key, value in carried:
            arrow_value(value, schema.field(name).type, key, manifest=file.manifest.url, file=file.entry.url)
    return carried, missing


def joined(
    store: ObjectStore, parts: Sequence[Part], described: Sequence[tuple[str, str]], dialect: str
) -> tuple[list[tuple[str, str, str]], list[str], list[list[str]]]:
    """What a stage that joins the partition's values on by file name needs: the carried
    columns as (the data's name, key, SQL type), the keys the data lacks, and one row per
    file, [engine path, value per key]. Each carried value is checked against the column's
    type first (:func:`check_sql_value`). A file named twice in one load would match two
    rows of the join and be read twice: a DuplicateFileError naming both manifests."""
    types = dict(described)
    carried, missing = split(parts[0].unit.partition, types)
    rows: list[list[str]] = []
    owner: dict[str, str] = {}
    for part in parts:
        values = part.unit.partition.as_dict()
        for manifest in part.pending:
            for entry in manifest.entries:
                where = {"manifest": manifest.url, "file": entry.url}
                for name, key, _value in carried:
                    check_sql_value(values[key], types[name], dialect, key, **where)
                path = store.engine_path(entry.url)
                if path in owner:
                    raise DuplicateFileError(
                        f"named by manifest {owner[path]} too, in one load: its rows would be loaded twice", **where
                    )
                owner[path] = manifest.url
                rows.append([path, *(v for _k, v in part.unit.partition.items)])
    return [(name, key, types[name]) for name, key, _v in carried], [k for k, _v in missing], rows


def arrow_value(value: str, kind: pa.DataType, column: str, shown: str | None = None, **where: str | None) -> pa.Array:
    """The partition's ``value`` as a one-element array of Arrow type ``kind``; a
    SchemaMismatchError naming ``column``, its type (``shown``, or ``kind``) and ``where``
    (manifest, file) when it is none."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array([value], pa.string())
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    try:
        return text.cast(kind)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        if pa.types.is_timestamp(kind) and kind.tz:  # no offset in the value: it is UTC
            try:
                # pyarrow-stubs type assume_timezone for microsecond timestamps only; any unit works
                naive = text.cast(pa.timestamp(kind.unit))
                return pc.assume_timezone(naive, "UTC").cast(kind)  # type: ignore[call-overload]
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
        raise _refused(column, value, shown or str(kind), where) from None


def check_sql_value(value: str, kind: str, dialect: str, column: str, **where: str | None) -> None:
    """Refuse ``value`` for a column the engine describes as SQL type ``kind`` in ``dialect``
    when it cannot be one (as :func:`arrow_value`); text takes any value."""
    try:
        parsed = parse(kind, dialect)
    except ValueError:
        parsed = None
    if parsed is not None and parsed.this in _TEXT:
        return
    arrow = _arrow_of(parsed) if parsed is not None else None
    if arrow is None:
        raise _refused(column, value, kind, where)
    arrow_value(value, arrow, column, kind, **where)


def _refused(column: str, value: str, kind: str, where: dict[str, str | None]) -> SchemaMismatchError:
    return SchemaMismatchError(
        f"partition column {column}: the data's column is {kind.upper()}, which cannot hold the partition's "
        f"value {value!r} (the partition's value wins over the data's)",
        **where,
    )


def _arrow_of(t: exp.DataType) -> Any:
    """The Arrow type a partition value is checked against for SQL type ``t``; None when
    no text value could be one (binary, nested, semi-structured)."""
    import pyarrow as pa

    simple = {
        T.BOOLEAN: pa.bool_(),
        T.TINYINT: pa.int8(),
        T.UTINYINT: pa.uint8(),
        T.SMALLINT: pa.int16(),
        T.USMALLINT: pa.uint16(),
        T.INT: pa.int32(),
        T.UINT: pa.uint32(),
        T.BIGINT: pa.int64(),
        T.UBIGINT: pa.uint64(),
        T.INT128: pa.decimal128(38, 0),
        T.UINT128: pa.decimal128(38, 0),
        T.FLOAT: pa.float32(),
        T.DOUBLE: pa.float64(),
        T.DATE: pa.date32(),
        T.TIMESTAMP: pa.timestamp("us"),
        T.TIMESTAMPNTZ: pa.timestamp("us"),
        T.DATETIME: pa.timestamp("us"),
        T.TIMESTAMPTZ: pa.timestamp("us", tz="UTC"),
        T.TIMESTAMPLTZ: pa.timestamp("us", tz="UTC"),
    }
    if t.this in simple:
        return simple[t.this]
    if t.this == T.DECIMAL:
        params = [int(e.name) for e in t.expressions if isinstance(e, exp.DataTypeParam)]
        precision, scale = (params[0], params[1] if len(params) > 1 else 0) if params else (38, 9)
        return pa.decimal128(precision, scale) if precision <= 38 else pa.decimal256(precision, scale)
    return None


def replaced(batch: pa.RecordBatch, carried: Sequence[tuple[str, str, str]], **where: str | None) -> pa.RecordBatch:
    """``batch`` with each carried partition column (:func:`split`) set to the partition's
    value in the column's own type."""
    import pyarrow as pa

    if not carried:
        return batch
    columns = list(batch.columns)
    for name, key, value in carried:
        index = batch.schema.get_field_index(name)
        kind = batch.schema.field(index).type
        one = arrow_value(value, kind, key, **where)
        columns[index] = pa.repeat(one[0], batch.num_rows) if batch.num_rows else pa.array([], one.type)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)
