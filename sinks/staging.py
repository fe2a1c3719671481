"""Staging for the sinks that read a unit's files themselves, with pyarrow.

PostgreSQL streams the files' rows into its stage (:func:`file_batches`, :func:`as_csv`);
Redshift COPYs them itself but reads their schemas here, to shape its stage. Both map
Arrow types to column types (:func:`column_type`, spelled per dialect by
:class:`TypeNames`), take the target's own types once it exists (:func:`stage_table`),
and name the manifest and the file in every error a file causes (:func:`read_error`).
Questions answered here rather than by the engine (a file's columns, the rows streamed)
are answered by the recording when ``loaders compile`` runs (:func:`ask`).
"""

from __future__ import annotations

import functools
import io
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from manifests import (
    Entry,
    LoaderError,
    Manifest,
    MissingFileError,
    SchemaMismatchError,
    TerminalError,
    TransientError,
    UnsupportedError,
)
from manifests.store import ObjectStore, open_object
from sinks.sqlbase import FILE_COLUMN, Part, SqlSink

if TYPE_CHECKING:
    import pyarrow as pa

#: bytes a Parquet column chunk is read in (one range read each on S3)
READ_BUFFER = 1 << 20
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
        (_is_binary, names.binary),
        (types.is_date, "DATE"),
        (types.is_time, "TIME"),
        (_is_nested, names.json),
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


def _is_binary(t: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t))


def _is_nested(t: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_nested(t))


# -- reading the unit's files ---------------------------------------------------------------


@dataclass(frozen=True)
class File:
    """One data file of a part, with what errors about it must name."""

    part: Part
    manifest: Manifest
    entry: Entry
    path: str


def unit_files(store: ObjectStore, parts: Sequence[Part]) -> list[File]:
    return [File(p, m, e, store.engine_path(e.url)) for p in parts for m in p.pending for e in m.entries]


def read_error(exc: Exception, file: File) -> LoaderError:
    """A reader's exception as the loader error it is, naming the manifest and the file."""
    where = {"manifest": file.manifest.url, "file": file.entry.url}
    if isinstance(exc, LoaderError):
        return exc if exc.manifest else type(exc)(exc.reason, **where)
    if isinstance(exc, FileNotFoundError):
        return MissingFileError("the file is gone from the store", **where)
    if isinstance(exc, OSError) and not isinstance(exc, UnicodeError):
        return TransientError(f"cannot read the file ({exc})", **where)  # network, throttling
    return TerminalError(f"cannot read the file: {exc}", **where)


#: how much of a CSV DuckDB's sniffer reads for :func:`sniffed_types` (its own sample is
#: 20,480 rows; a MiB holds about that many short rows)
SNIFF_BYTES = 1 << 20
#: the types DuckDB's sniffer gives that pyarrow is told to read as well (as
#: sinks.columntypes.arrow_type maps them); VARCHAR keeps "007" as text
_SNIFFED = ("BOOLEAN", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "VARCHAR")


def csv_options(store: ObjectStore, file: File, column_types: Sequence[tuple[str, str]] | None = None) -> Any:
    """How a CSV is parsed wherever pyarrow reads it: as DuckDB reads it. Column types
    are DuckDB's sniffer's (:func:`sniffed_types`), those the dataset declares win
    (``column_types``; by default the file's target's), and an empty field, quoted or
    not, is NULL."""
    import pyarrow.csv as pacsv

    from sinks.columntypes import arrow_type

    if column_types is None:
        column_types = file.part.unit.target.column_types if file.part is not None else ()
    types = {**sniffed_types(store, file), **{name: arrow_type(kind) for name, kind in column_types}}
    return pacsv.ConvertOptions(column_types=types, strings_can_be_null=True, quoted_strings_can_be_null=True)


def sniffed_types(store: ObjectStore, file: File) -> dict[str, Any]:
    """The Arrow types of a CSV's columns as DuckDB's sniffer reads its first MiB, so that
    the sinks reading CSV with pyarrow infer what the DuckDB sink infers (pyarrow alone
    reads ``007`` as 7). A column empty in the sample is left to pyarrow (null type: it
    fits any column), as are types DuckDB's sniffer rarely gives (TIME, TIMESTAMP WITH TIME
    ZONE). Cached per file and size: describing and streaming a file sniff it once."""
    return dict(_sniff(store, file.entry.url, file.entry.content_length))


@functools.lru_cache(maxsize=256)
def _sniff(store: ObjectStore, url: str, _size: int | None) -> tuple[tuple[str, Any], ...]:
    import duckdb

    from sinks.columntypes import arrow_type

    with open_object(store, url) as fh:
        head = fh.read(SNIFF_BYTES)
    if len(head) == SNIFF_BYTES:
        head = head[: head.rfind(b"\n") + 1]  # whole rows only
    if not head.strip():
        return ()
    conn = duckdb.connect()
    try:
        sample = conn.read_csv(io.BytesIO(head), header=True)
        kinds = dict(zip(sample.columns, (str(t) for t in sample.dtypes), strict=True))
        rows = sample.to_arrow_table()
    finally:
        conn.close()
    return tuple(
        (name, arrow_type(kind))
        for name, kind in kinds.items()
        if kind in _SNIFFED and rows.column(name).null_count < rows.num_rows
    )


def file_schema(store: ObjectStore, file: File, fmt: str) -> pa.Schema:
    """The file's columns: a Parquet footer, a CSV's first block, a JSON file read whole."""
    import pyarrow.csv as pacsv
    import pyarrow.json as pajson
    import pyarrow.parquet as pq

    try:
        with open_object(store, file.entry.url) as fh:
            if fmt == "parquet":
                return pq.read_schema(fh)
            if fmt == "csv":
                return pacsv.open_csv(fh, convert_options=csv_options(store, file)).schema
            return pajson.read_json(fh).schema
    except Exception as exc:
        raise read_error(exc, file) from exc


def file_batches(
    store: ObjectStore,
    file: File,
    fmt: str,
    batch_rows: int,
    column_types: Sequence[tuple[str, str]] | None = None,
) -> Iterator[pa.RecordBatch]:
    """The file's rows, a bounded batch at a time (JSON lines: the file is read whole)."""
    import pyarrow.csv as pacsv
    import pyarrow.json as pajson
    import pyarrow.parquet as pq

    try:
        with open_object(store, file.entry.url) as fh:
            if fmt == "parquet":
                # Read column chunks through a small buffer instead of whole row groups at
                # once: a 6M-row file's decoding peaked at 117 MB of Arrow memory by default,
                # 14 MB so.
                parquet = pq.ParquetFile(fh, buffer_size=READ_BUFFER, pre_buffer=False)
                yield from parquet.iter_batches(batch_size=batch_rows)
            elif fmt == "csv":
                yield from pacsv.open_csv(fh, convert_options=csv_options(store, file, column_types))
            else:
                yield from pajson.read_json(fh).to_batches(max_chunksize=batch_rows)
    except Exception as exc:
        raise read_error(exc, file) from exc


def unify(schemas: Sequence[pa.Schema], files: Sequence[File]) -> pa.Schema:
    """All files' columns by name, first seen first; types widened where they differ."""
    import pyarrow as pa

    try:
        return pa.unify_schemas(list(schemas), promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        manifest = files[0].manifest.url if len({f.manifest.url for f in files}) == 1 else None
        raise SchemaMismatchError(f"the unit's files disagree on column types: {exc}", manifest=manifest) from None


def as_csv(batch: pa.RecordBatch, constants: Sequence[tuple[str, str]] = ()) -> bytes:
    """One batch as CSV rows for ``COPY … WITH (FORMAT csv)``: NULL unquoted and empty,
    strings always quoted, so an empty string stays an empty string. Binary columns become
    ``\\x`` hex text and nested ones JSON text, which PostgreSQL parses into bytea and
    jsonb; ``constants`` (the partition's values) are appended to every row."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    columns = []
    for column in batch.columns:
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        if _is_binary(column.type):
            column = pa.array([None if v is None else "\\x" + v.hex() for v in column.to_pylist()], pa.string())
        elif _is_nested(column.type):
            column = pa.array([None if v is None else json.dumps(v, default=str) for v in column.to_pylist()])
        columns.append(column)
    names = [*batch.schema.names, *(name for name, _v in constants)]
    columns += [pa.array([value] * batch.num_rows, pa.string()) for _n, value in constants]
    out = io.BytesIO()
    pacsv.write_csv(pa.RecordBatch.from_arrays(columns, names=names), out, pacsv.WriteOptions(include_header=False))
    return out.getvalue()


def ask(sink: SqlSink, question: str, context: dict[str, Any], compute: Callable[[], list[Any]]) -> list[Any]:
    """A question a sink answers in Python rather than SQL (a file's columns, the rows it
    streamed); when compiling, the recording answers it as it answers the engine's, and
    nothing is read."""
    if sink._recording is not None:
        return sink._recording[1](question, context)
    return compute()


def describe(
    sink: SqlSink, files: Sequence[File], context: dict[str, Any], names: TypeNames
) -> tuple[list[tuple[str, str]], dict[str, pa.Schema]]:
    """(name, column type) of every column the unit's files have, and each file's schema."""
    fmt = context["format"]
    schemas: dict[str, pa.Schema] = {}

    def read() -> list[tuple[str, str]]:
        for file in files:
            schemas[file.path] = file_schema(sink.store, file, fmt)
        unified = unify(list(schemas.values()), files)
        try:
            return [(f.name, column_type(f.type, names)) for f in unified]
        except UnsupportedError as exc:
            raise UnsupportedError(f"sink {sink.name}: {exc.reason}") from None

    described = ask(sink, "describe", context, read)
    return [(str(n), str(t)) for n, t in described if n != FILE_COLUMN], schemas


def stage_table(
    sink: SqlSink, parts: Sequence[Part], columns: Sequence[tuple[str, str]], context: dict[str, Any]
) -> dict[str, Any]:
    """What ``create_stage`` needs: the columns with their mapped types and, once the target
    exists, the target's column of each name, whose type the stage then takes.

    The columns are checked against the target here, before anything is copied, as the
    load checks them again under its lock; a column the target lacks (schema evolution)
    is staged with its mapped type and added to the target by the load. The look at the
    target runs outside the load's transaction: it only shapes the stage."""
    existing = sink.execute("target_columns", **context)
    sink._schema_changes(parts, columns, existing)
    by_name = {str(r[0]).lower(): str(r[0]) for r in existing}
    staged = [(name, checked_type(sink.text_type if kind == UNTYPED else kind)) for name, kind in columns]
    return {
        **context,
        "like_target": bool(existing),
        "like_columns": [(name, by_name.get(name.lower()), kind) for name, kind in staged],
        "stage_columns": staged,
    }
