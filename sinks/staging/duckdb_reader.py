"""DuckDB as the reader of JSON lines (and the judge of a doubtful CSV): a private
in-memory connection that reads the lake as the DuckDB sink does, with its reader
(``sql/duckdb/_reader.sql``), so every sink parses a file with the same options."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from manifests.store import ObjectStore
from sinks.rules import FILE_COLUMN
from sinks.sql.templates import Templates
from sinks.staging.files import File

if TYPE_CHECKING:
    import pyarrow as pa

#: how much of a CSV DuckDB's sniffer reads for :func:`sinks.staging.csv_files.sniffed_types`
#: (its own sample is 20,480 rows; a MiB holds about that many short rows); also how much
#: of a header :func:`sinks.staging.names.raw_names` reads
SNIFF_BYTES = 1 << 20


@functools.cache
def _duckdb_templates() -> Templates:
    return Templates("duckdb")


def reader_sql(step: str, files: Sequence[str], fmt: str) -> str:
    """A DuckDB statement over ``files`` through the DuckDB sink's own reader
    (``sql/duckdb/_reader.sql``), so every sink parses the file with the same options."""
    return _duckdb_templates().render(step, files=list(files), format=fmt, file_column=FILE_COLUMN, column_types=[])


@contextlib.contextmanager
def duckdb_connection(store: ObjectStore) -> Iterator[Any]:
    """A private in-memory DuckDB connection that reaches the store as the DuckDB sink
    does (an fsspec filesystem registered on it for S3)."""
    import duckdb

    conn = duckdb.connect()
    try:
        conn.execute("SET enable_progress_bar = false")
        fs = store.filesystem()
        if fs is not None:
            conn.register_filesystem(fs)
        yield conn
    finally:
        conn.close()


def json_lines(store: ObjectStore, file: File, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """A JSON-lines file's rows as DuckDB reads them (checked by :func:`_json_schema`)."""
    with duckdb_connection(store) as conn:
        # streamed: the Arrow stream turns an error into a bare OSError (a fault of the
        # store, transient), but every line was parsed already, by _json_schema
        yield from conn.sql(reader_sql("read_file", [file.path], "jsonl")).to_arrow_reader(batch_rows)
