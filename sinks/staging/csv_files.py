"""CSV read with pyarrow as DuckDB reads it: DuckDB's dialect and sniffed types, and a
file pyarrow would read more leniently than DuckDB judged by DuckDB (:class:`Counted`)."""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any

from manifests import MalformedFileError
from manifests.store import ObjectStore, open_object
from sinks.staging.arrow_types import is_binary
from sinks.staging.duckdb_reader import duckdb_connection, reader_sql
from sinks.staging.files import File
from sinks.staging.names import check_column_names

if TYPE_CHECKING:
    import pyarrow as pa


#: the types DuckDB's sniffer gives that pyarrow is told to read as well (as
#: sinks.sql.columntypes.arrow_type maps them); VARCHAR keeps "007" as text
_SNIFFED = ("BOOLEAN", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "VARCHAR")


def csv_options(store: ObjectStore, file: File, column_types: Sequence[tuple[str, str]] | None = None) -> Any:
    """How a CSV's values are converted wherever pyarrow reads it: as DuckDB reads them.
    Column types are DuckDB's sniffer's (:func:`sniffed_types`), those the dataset declares
    win (``column_types``; by default the file's target's), and an empty field, quoted or
    not, is NULL."""
    import pyarrow.csv as pacsv

    from sinks.sql.columntypes import arrow_type

    if column_types is None:
        column_types = file.part.unit.target.column_types if file.part is not None else ()
    types = {**sniffed_types(store, file), **{name: arrow_type(kind) for name, kind in column_types}}
    return pacsv.ConvertOptions(column_types=types, strings_can_be_null=True, quoted_strings_can_be_null=True)


def csv_parse_options() -> Any:
    """The CSV dialect of every sink, as ``sql/duckdb/_reader.sql`` gives it to DuckDB:
    ``,`` between fields, ``"`` around them and doubled inside, newlines allowed inside
    quotes (pyarrow then splits blocks only between rows), and a row with more or fewer
    fields than the header an error (no handler skips it)."""
    import pyarrow.csv as pacsv

    return pacsv.ParseOptions(
        delimiter=",", quote_char='"', double_quote=True, escape_char=False, newlines_in_values=True
    )


class Counted(io.RawIOBase):
    """The file as pyarrow reads it, counting its double quotes on the way (C-speed
    ``bytes.count`` per block, no second pass) and ending its last line if the file does
    not (pyarrow refuses a header-only file without a final newline; DuckDB reads it).

    pyarrow reads a quote that is never closed to the end of the file, swallowing every
    row after it into one value, where DuckDB refuses the file. Every quote of a valid
    CSV comes in a pair (opening, closing, or doubled inside), so an odd count means a
    quote was left open, or a stray one sits inside an unquoted field; DuckDB then
    decides which (:func:`_judged_by_duckdb`)."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self.raw = raw
        self.quotes = 0
        self._last = b"\n"
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        if not data and not self._ended and self._last not in (b"\n", b"\r"):
            data = b"\n"
        self._ended = self._ended or not data
        if data:
            self.quotes += data.count(b'"')
            self._last = data[-1:]
            buffer[: len(data)] = data
        return len(data)


def _judged_byduckdb_connection(store: ObjectStore, file: File) -> None:
    """DuckDB reads the whole CSV strictly; it raises where the file is malformed. Run only
    for a file with an odd number of quotes, so a valid file never pays for it."""
    with duckdb_connection(store) as conn:
        # every column counted, so every field is parsed (COUNT(*) would skip them), and
        # DuckDB's own error raised (an Arrow stream would make it a bare OSError)
        conn.sql(reader_sql("read_file", [file.path], "csv")).aggregate("COUNT(COLUMNS(*))").fetchall()


def csv_batches(store: ObjectStore, file: File, column_types: Sequence[tuple[str, str]] | None) -> Iterator[Any]:
    import pyarrow.csv as pacsv

    with open_object(store, file.entry.url) as fh:
        counted = Counted(fh)
        reader = pacsv.open_csv(
            io.BufferedReader(counted, 1 << 20),
            parse_options=csv_parse_options(),
            convert_options=csv_options(store, file, column_types),
        )
        utf8_only(reader.schema, file)
        yield from reader
    if counted.quotes % 2:
        _judged_byduckdb_connection(store, file)


def utf8_only(schema: pa.Schema, file: File) -> None:
    """pyarrow reads a CSV column holding bytes that are not UTF-8 as binary; DuckDB
    refuses the file. So does every sink."""
    binary = [f.name for f in schema if is_binary(f.type)]
    if binary:
        names = ", ".join(binary)
        raise MalformedFileError(
            f"column(s) {names} hold bytes that are not UTF-8", manifest=file.manifest.url, file=file.entry.url
        )


def sniffed_types(store: ObjectStore, file: File) -> dict[str, Any]:
    """The Arrow types of a CSV's columns as DuckDB's sniffer reads them, with the DuckDB
    sink's reader, so that the sinks reading CSV with pyarrow infer what the DuckDB sink
    infers (pyarrow alone reads ``007`` as 7). A column with no value in the sniffer's
    sample is left to pyarrow (null type: it fits any column), as are types DuckDB's
    sniffer rarely gives (TIME, TIMESTAMP WITH TIME ZONE). A file the sniffer refuses is
    malformed (DuckDB's message, with its line). Cached per file and size: describing and
    streaming a file sniff it once."""
    return dict(_sniff(store, file.entry.url, file.path, file.entry.content_length))


#: rows of a CSV the sniff looks at for values (DuckDB's own sample size)
SNIFF_ROWS = 20480


@functools.lru_cache(maxsize=256)
def _sniff(store: ObjectStore, _url: str, path: str, _size: int | None) -> tuple[tuple[str, Any], ...]:
    from sinks.sql.columntypes import arrow_type

    with duckdb_connection(store) as conn:
        relation = conn.sql(reader_sql("read_file", [path], "csv"))
        names = list(relation.columns)
        check_column_names(names, "csv")  # before Arrow, which cuts a name at a NUL
        kinds = [str(t) for t in relation.types]
        rows = relation.limit(SNIFF_ROWS).to_arrow_table()
    return tuple(
        (name, arrow_type(kind))
        for i, (name, kind) in enumerate(zip(names, kinds, strict=True))
        if kind in _SNIFFED and rows.column(i).null_count < rows.num_rows
    )
