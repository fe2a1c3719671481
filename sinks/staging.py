"""Staging for the sinks that read a unit's files themselves, with pyarrow.

PostgreSQL streams the files' rows into its stage (:func:`file_batches`, :func:`as_csv`);
Redshift COPYs them itself but reads their schemas here, to shape its stage. Both map
Arrow types to column types (:func:`column_type`, spelled per dialect by
:class:`TypeNames`), take the target's own types once it exists (:func:`stage_table`),
and name the manifest and the file in every error a file causes (:func:`read_error`).
Questions answered here rather than by the engine (a file's columns, the rows streamed)
are answered by the recording when ``loaders compile`` runs (:func:`ask`).

Every sink reads a file alike, so the same file gives the same outcome everywhere: a file
that is not valid in its format is refused whole (:class:`MalformedFileError`), never
half-read. CSV is read by pyarrow with DuckDB's dialect (``,``, ``"`` doubled to escape,
quoted newlines; :func:`csv_options`) and checked where pyarrow is more lenient than
DuckDB (:class:`_Counted`); JSON lines are read by DuckDB itself, with the DuckDB sink's
reader (``sql/duckdb/_reader.sql``), because pyarrow's JSON reader has no strict mode (it
joins an object split over lines, reads two objects on one line, and turns a ``null``
line into a row). Column names every sink can hold are checked in one place
(:func:`check_column_names`).
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from manifests import (
    Entry,
    LoaderError,
    MalformedFileError,
    Manifest,
    MissingFileError,
    SchemaMismatchError,
    TerminalError,
    TransientError,
    UnsupportedError,
)
from manifests.store import ObjectStore, open_object
from sinks.sqlbase import FILE_COLUMN, Part, SqlSink, holds_rows, merge_columns, require_merge_columns
from sinks.templates import Templates

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


# -- column names -------------------------------------------------------------------------------

#: the longest column name every sink keeps as written: PostgreSQL truncates longer ones
#: (NAMEDATALEN - 1), so two long names could silently become one column
MAX_NAME_BYTES = 63
#: names DuckDB's readers make up: for an empty name (``column03`` in CSV, ``C2`` in
#: Parquet) and for a name seen twice or in two cases (``a_1``); seeing one, the files'
#: own names are read to find out (:func:`raw_names`)
_MADE_UP = re.compile(r"(?i)^(column|c)\d+$|_\d+$")


def name_problem(name: str, fmt: str) -> str | None:
    """Why ``name`` cannot be a column on every sink; None when it can. In a CSV, a comma
    or a double quote in a name is the mark of a header that did not parse as its writer
    meant (a stray quote made one field of ``a,b,c``); Parquet and JSON name their columns
    explicitly, and every sink quotes identifiers, so there they are allowed."""
    if not name:
        return "an empty column name"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return f"column name {name!r} holds a control character"
    if fmt == "csv" and ("," in name or '"' in name):
        return f"column name {name!r} holds a comma or a double quote: a broken CSV header"
    if len(name.encode()) > MAX_NAME_BYTES:
        return f"column name {name[:20]!r}… is longer than {MAX_NAME_BYTES} bytes (PostgreSQL would cut it short)"
    return None


def check_column_names(names: Iterable[str], fmt: str, *, manifest: str | None = None, file: str | None = None) -> None:
    """Refuse a file whose column names cannot be columns (:func:`name_problem`) or that
    has two names equal ignoring case (the engines fold identifiers, so they would be one
    column, or one renamed): a :class:`MalformedFileError` naming the file and the name.
    Every sink's staging calls this on each file's columns."""
    seen: dict[str, str] = {}
    for name in names:
        problem = name_problem(name, fmt)
        if problem is not None:
            raise MalformedFileError(problem, manifest=manifest, file=file)
        twin = seen.get(name.lower())
        if twin is not None:
            same = (
                f"column {name!r} twice" if twin == name else f"columns {twin!r} and {name!r}, one name ignoring case"
            )
            raise MalformedFileError(same, manifest=manifest, file=file)
        seen[name.lower()] = name


def made_up(names: Iterable[str]) -> bool:
    """Whether a reader may have renamed a column (see :data:`_MADE_UP`)."""
    return any(_MADE_UP.search(name) for name in names)


def raw_names(store: ObjectStore, file: File, fmt: str) -> list[str]:
    """A file's columns as written, before any reader renames them: a Parquet footer, a
    CSV's first record, the keys of a JSON-lines file's objects (DuckDB, which renames a
    key seen in two cases, reads every line here). Called only when a name looks made up."""
    import pyarrow.parquet as pq

    if fmt == "parquet":
        with open_object(store, file.entry.url) as fh:
            return list(pq.read_schema(fh).names)
    if fmt == "csv":
        with open_object(store, file.entry.url) as fh:
            head = fh.read(SNIFF_BYTES).decode("utf-8-sig", errors="replace")
        return next(csv.reader(io.StringIO(head)), [])
    with _duckdb(store) as conn:
        keys = conn.execute(_reader_sql("json_keys", [file.path], "jsonl")).fetchall()
    return [str(k) for (k,) in keys]


def check_unit_columns(store: ObjectStore, files: Sequence[File], fmt: str, names: Sequence[str]) -> None:
    """:func:`check_column_names` for the columns a reader describes for ``files`` (all
    of a unit's at once on DuckDB and Snowflake, one file's elsewhere). Where a name is
    wrong, or looks made up by the reader, each file's own names are read
    (:func:`raw_names`) to name the file and the name; a name no file has (the reader
    invented it, e.g. for a key spelled in two cases across files) is refused too."""
    where = _where(files)
    try:
        check_column_names(names, fmt, **where)
        if not made_up(names):
            return
        problem: MalformedFileError | None = None
    except MalformedFileError as exc:
        problem = exc
    own: set[str] = set()
    for file in files:
        try:
            written = raw_names(store, file, fmt)
        except Exception as exc:
            raise read_error(exc, file) from exc
        check_column_names(written, fmt, manifest=file.manifest.url, file=file.entry.url)
        own.update(n.lower() for n in written)
    invented = [n for n in names if n.lower() not in own and n != FILE_COLUMN]
    if invented:
        raise MalformedFileError(
            f"the reader had to name column(s) {', '.join(map(repr, invented))}: a name is empty or spelled twice",
            **where,
        )
    if problem is not None:
        raise problem


def check_merge_files(
    store: ObjectStore, files: Sequence[File], fmt: str, own: Mapping[str, Sequence[str]] | None = None
) -> None:
    """:func:`sinks.sqlbase.require_merge_columns` for each file of a load whose target
    has keys or ``order_by``. ``own`` gives a file's columns where the sink knows them
    already (its Arrow schema; the described columns of a load of one file); the others
    are read from the file (:func:`raw_names`: a Parquet footer, a CSV's header, a
    JSON-lines file's keys). The partition's columns count as present: their values
    fill every row."""
    if not files or not merge_columns(files[0].part.unit.target):
        return
    unknown = [f for f in files if own is None or f.path not in own]
    keys = _json_keys(store, unknown) if fmt == "jsonl" and unknown else {}
    for file in files:
        if own is not None and file.path in own:
            names = list(own[file.path])
        elif fmt == "jsonl":
            names = keys.get(file.path, [])  # a file of empty objects has no column
        else:
            try:
                names = raw_names(store, file, fmt)
            except Exception as exc:
                raise read_error(exc, file) from exc
        filled = [k for k, _v in file.part.unit.partition.items]
        require_merge_columns(file.part.unit.target, file.manifest.url, file.entry.url, [*names, *filled])


def _json_keys(store: ObjectStore, files: Sequence[File]) -> dict[str, list[str]]:
    """Each JSON-lines file's keys, in one scan of all of them: a private connection per
    file cost 150 ms each here (20 files of 2,500 lines: 3.0 s; one scan: 0.1 s). Where
    the scan fails, the files are read one by one, so the error names its file."""
    try:
        with _duckdb(store) as conn:
            rows = conn.execute(_reader_sql("file_keys", [f.path for f in files], "jsonl")).fetchall()
    except Exception:
        found: dict[str, list[str]] = {}
        for file in files:
            try:
                found[file.path] = raw_names(store, file, "jsonl")
            except Exception as exc:
                raise read_error(exc, file) from exc
        return found
    return {str(path): [str(k) for k in names] for path, names in rows}


def _where(files: Sequence[File]) -> dict[str, str | None]:
    """The manifest and the file an error about ``files`` names, where there is one."""
    manifests = {f.manifest.url for f in files}
    return {
        "manifest": next(iter(manifests)) if len(manifests) == 1 else None,
        "file": files[0].entry.url if len(files) == 1 else None,
    }


# -- reading the unit's files ---------------------------------------------------------------


@dataclass(frozen=True)
class File:
    """One data file of a part, with what errors about it must name."""

    part: Part
    manifest: Manifest
    entry: Entry
    path: str


def unit_files(store: ObjectStore, parts: Sequence[Part]) -> list[File]:
    """The files to read: an empty CSV or JSON-lines file holds no rows (and no columns),
    so it is not read at all (:func:`sinks.sqlbase.holds_rows`)."""
    return [
        File(p, m, e, store.engine_path(e.url))
        for p in parts
        for m in p.pending
        for e in m.entries
        if holds_rows(e, p.unit.target.format)
    ]


def read_error(exc: Exception, file: File) -> LoaderError:
    """A reader's exception as the loader error it is, naming the manifest and the file.
    What a reader refuses to parse (pyarrow's ArrowInvalid, DuckDB's invalid-input,
    conversion and binder errors, bytes that are not UTF-8) is a MalformedFileError."""
    where = {"manifest": file.manifest.url, "file": file.entry.url}
    if isinstance(exc, LoaderError):
        return exc if exc.manifest else type(exc)(exc.reason, **where)
    if isinstance(exc, FileNotFoundError):
        return MissingFileError("the file is gone from the store", **where)
    if isinstance(exc, _malformed()):
        kind = _FORMAT_NAMES.get(_format_of(file), "data")
        return MalformedFileError(f"not valid {kind}: {engine_text(exc)}", **where)
    if isinstance(exc, OSError) and not isinstance(exc, UnicodeError):
        return TransientError(f"cannot read the file ({exc})", **where)  # network, throttling
    return TerminalError(f"cannot read the file: {exc}", **where)


_FORMAT_NAMES = {"csv": "CSV", "jsonl": "JSON lines", "parquet": "Parquet"}


def _format_of(file: File) -> str:
    return str(file.part.unit.target.format) if file.part is not None else ""


def _malformed() -> tuple[type[BaseException], ...]:
    """The exception classes of a reader refusing a file's content (by class, never by
    message). DuckDB's are looked up only once it is imported."""
    import pyarrow as pa

    classes: list[type[BaseException]] = [pa.ArrowInvalid, UnicodeError]
    duckdb = sys.modules.get("duckdb")
    if duckdb is not None:
        classes += [duckdb.InvalidInputException, duckdb.ConversionException, duckdb.BinderException]
    return tuple(classes)


def engine_text(exc: BaseException) -> str:
    """An engine's message without its advice: DuckDB follows the error with its possible
    fixes (turning strictness off among them) and the options it used, which belong in a
    debug log, not in the one line a failed load shows."""
    lines = []
    for line in str(exc).strip().splitlines():
        if not line.strip() or line.startswith(("Possible", "Try ", "LINE ", "*")) or line.rstrip().endswith(":"):
            break
        lines.append(line.strip())
    return "; ".join(lines)[:400] or type(exc).__name__


# -- DuckDB as the reader of JSON lines (and the judge of a doubtful CSV) --------------------


@functools.cache
def _duckdb_templates() -> Templates:
    return Templates("duckdb")


def _reader_sql(step: str, files: Sequence[str], fmt: str) -> str:
    """A DuckDB statement over ``files`` through the DuckDB sink's own reader
    (``sql/duckdb/_reader.sql``), so every sink parses the file with the same options."""
    return _duckdb_templates().render(step, files=list(files), format=fmt, file_column=FILE_COLUMN, column_types=[])


@contextlib.contextmanager
def _duckdb(store: ObjectStore) -> Iterator[Any]:
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


def _json_lines(store: ObjectStore, file: File, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """A JSON-lines file's rows as DuckDB reads them (checked by :func:`_json_schema`)."""
    with _duckdb(store) as conn:
        # streamed: the Arrow stream turns an error into a bare OSError (a fault of the
        # store, transient), but every line was parsed already, by _json_schema
        yield from conn.sql(_reader_sql("read_file", [file.path], "jsonl")).to_arrow_reader(batch_rows)


# -- CSV with pyarrow ------------------------------------------------------------------------


#: how much of a CSV DuckDB's sniffer reads for :func:`sniffed_types` (its own sample is
#: 20,480 rows; a MiB holds about that many short rows); also how much of a header
#: :func:`raw_names` reads
SNIFF_BYTES = 1 << 20
#: the types DuckDB's sniffer gives that pyarrow is told to read as well (as
#: sinks.columntypes.arrow_type maps them); VARCHAR keeps "007" as text
_SNIFFED = ("BOOLEAN", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "VARCHAR")


def csv_options(store: ObjectStore, file: File, column_types: Sequence[tuple[str, str]] | None = None) -> Any:
    """How a CSV's values are converted wherever pyarrow reads it: as DuckDB reads them.
    Column types are DuckDB's sniffer's (:func:`sniffed_types`), those the dataset declares
    win (``column_types``; by default the file's target's), and an empty field, quoted or
    not, is NULL."""
    import pyarrow.csv as pacsv

    from sinks.columntypes import arrow_type

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


class _Counted(io.RawIOBase):
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


def _judged_by_duckdb(store: ObjectStore, file: File) -> None:
    """DuckDB reads the whole CSV strictly; it raises where the file is malformed. Run only
    for a file with an odd number of quotes, so a valid file never pays for it."""
    with _duckdb(store) as conn:
        # every column counted, so every field is parsed (COUNT(*) would skip them), and
        # DuckDB's own error raised (an Arrow stream would make it a bare OSError)
        conn.sql(_reader_sql("read_file", [file.path], "csv")).aggregate("COUNT(COLUMNS(*))").fetchall()


def _csv_batches(store: ObjectStore, file: File, column_types: Sequence[tuple[str, str]] | None) -> Iterator[Any]:
    import pyarrow.csv as pacsv

    with open_object(store, file.entry.url) as fh:
        counted = _Counted(fh)
        reader = pacsv.open_csv(
            io.BufferedReader(counted, 1 << 20),
            parse_options=csv_parse_options(),
            convert_options=csv_options(store, file, column_types),
        )
        _utf8_only(reader.schema, file)
        yield from reader
    if counted.quotes % 2:
        _judged_by_duckdb(store, file)


def _utf8_only(schema: pa.Schema, file: File) -> None:
    """pyarrow reads a CSV column holding bytes that are not UTF-8 as binary; DuckDB
    refuses the file. So does every sink."""
    binary = [f.name for f in schema if _is_binary(f.type)]
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
    from sinks.columntypes import arrow_type

    with _duckdb(store) as conn:
        relation = conn.sql(_reader_sql("read_file", [path], "csv"))
        names = list(relation.columns)
        check_column_names(names, "csv")  # before Arrow, which cuts a name at a NUL
        kinds = [str(t) for t in relation.types]
        rows = relation.limit(SNIFF_ROWS).to_arrow_table()
    return tuple(
        (name, arrow_type(kind))
        for i, (name, kind) in enumerate(zip(names, kinds, strict=True))
        if kind in _SNIFFED and rows.column(i).null_count < rows.num_rows
    )


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
                        io.BufferedReader(_Counted(fh), 1 << 20),
                        parse_options=csv_parse_options(),
                        convert_options=csv_options(store, file),
                    ).schema
                    _utf8_only(schema, file)
        if fmt != "jsonl":  # checked by _json_schema
            check_column_names(schema.names, fmt, manifest=file.manifest.url, file=file.entry.url)
        return schema
    except Exception as exc:
        raise read_error(exc, file) from exc


def _json_schema(store: ObjectStore, file: File) -> pa.Schema:
    """A JSON-lines file's columns as DuckDB reads them (every line, so a key first seen
    late is a column), after checking that every line is an object: DuckDB refuses an
    array or a scalar line itself, but reads a ``null`` line as a row of NULLs, as ``{}``."""
    with _duckdb(store) as conn:
        for _path, lines in conn.execute(_reader_sql("not_objects", [file.path], "jsonl")).fetchall()[:1]:
            raise MalformedFileError(
                f"{lines} line(s) are not JSON objects", manifest=file.manifest.url, file=file.entry.url
            )
        relation = conn.sql(_reader_sql("read_file", [file.path], "jsonl"))
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
            yield from _csv_batches(store, file, column_types)
        else:
            yield from _json_lines(store, file, batch_rows)
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
