"""A file's schema and rows, a bounded batch at a time, in every format; the files'
schemas unified; a batch as the CSV PostgreSQL's COPY reads."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from manifests import MalformedFileError, SchemaMismatchError
from manifests.store import ObjectStore, open_object
from sinks.staging.arrow_types import is_binary, is_nested
from sinks.staging.csv_files import Counted, csv_batches, csv_options, csv_parse_options, utf8_only
from sinks.staging.duckdb_reader import duckdb_connection, json_lines, reader_sql
from sinks.staging.files import File, read_error
from sinks.staging.names import check_column_names, check_unit_columns

if TYPE_CHECKING:
    import pyarrow as pa

#: bytes a Parquet column chunk is read in (one range read each on S3)
READ_BUFFER = 1 << 20


def file_schema(store: ObjectStore, file: File, fmt: str) -> pa.Schema:
    """The file's columns, their names checked (:func:`check_column_names`): a Parquet
    footer, a CSV's first block, a JSON-lines file as DuckDB reads it whole, each line
    first checked to be an object (:func:`_json_schema`). Every sink that reads files
    with pyarrow asks this before :func:`file_batches`."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    try:
        if fmt == "jsonl":
            schema = _json_schema(store, file)
        else:
            with open_object(store, file.entry.url) as fh:
                if fmt == "parquet":
                    schema = pq.read_schema(fh)
                else:
                    schema = pacsv.open_csv(
                        io.BufferedReader(Counted(fh), 1 << 20),
                        parse_options=csv_parse_options(),
                        convert_options=csv_options(store, file),
                    ).schema
                    utf8_only(schema, file)
        if fmt != "jsonl":  # checked by _json_schema
            check_column_names(schema.names, fmt, manifest=file.manifest.url, file=file.entry.url)
        return schema
    except Exception as exc:
        raise read_error(exc, file) from exc


def _json_schema(store: ObjectStore, file: File) -> pa.Schema:
    """A JSON-lines file's columns as DuckDB reads them (every line, so a key first seen
    late is a column), after checking that every line is an object: DuckDB refuses an
    array or a scalar line itself, but reads a ``null`` line as a row of NULLs, as ``{}``."""
    with duckdb_connection(store) as conn:
        for _path, lines in conn.execute(reader_sql("not_objects", [file.path], "jsonl")).fetchall()[:1]:
            raise MalformedFileError(
                f"{lines} line(s) are not JSON objects", manifest=file.manifest.url, file=file.entry.url
            )
        relation = conn.sql(reader_sql("read_file", [file.path], "jsonl"))
        # checked as DuckDB names them: Arrow's C interface cuts a name at a NUL
        check_unit_columns(store, [file], "jsonl", relation.columns)
        return relation.limit(0).to_arrow_table().schema


def file_batches(
    store: ObjectStore,
    file: File,
    fmt: str,
    batch_rows: int,
    column_types: Sequence[tuple[str, str]] | None = None,
) -> Iterator[pa.RecordBatch]:
    """The file's rows, a bounded batch at a time (after :func:`file_schema`)."""
    import pyarrow.parquet as pq

    try:
        if fmt == "parquet":
            with open_object(store, file.entry.url) as fh:
                # Read column chunks through a small buffer instead of whole row groups at
                # once: a 6M-row file's decoding peaked at 117 MB of Arrow memory by default,
                # 14 MB so.
                parquet = pq.ParquetFile(fh, buffer_size=READ_BUFFER, pre_buffer=False)
                yield from parquet.iter_batches(batch_size=batch_rows)
        elif fmt == "csv":
            yield from csv_batches(store, file, column_types)
        else:
            yield from json_lines(store, file, batch_rows)
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
        if isinstance(column, pa.DictionaryArray):
            column = column.dictionary_decode()
        if is_binary(column.type):
            column = pa.array([None if v is None else "\\x" + v.hex() for v in column.to_pylist()], pa.string())
        elif is_nested(column.type):
            column = pa.array([None if v is None else json.dumps(v, default=str) for v in column.to_pylist()])
        columns.append(column)
    names = [*batch.schema.names, *(name for name, _v in constants)]
    columns += [pa.array([value] * batch.num_rows, pa.string()) for _n, value in constants]
    out = io.BytesIO()
    pacsv.write_csv(pa.RecordBatch.from_arrays(columns, names=names), out, pacsv.WriteOptions(include_header=False))
    return out.getvalue()
