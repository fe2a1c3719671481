"""Column names every sink can hold, checked per file before anything is copied: names
that cannot be columns, names a reader made up, and the merge columns each file must have."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from manifests import MalformedFileError
from manifests.store import ObjectStore, open_object
from sinks.rules import FILE_COLUMN, merge_columns, require_merge_columns
from sinks.staging.duckdb_reader import SNIFF_BYTES, duckdb_connection, reader_sql
from sinks.staging.files import File, read_error, where_of

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
    with duckdb_connection(store) as conn:
        keys = conn.execute(reader_sql("json_keys", [file.path], "jsonl")).fetchall()
    return [str(k) for (k,) in keys]


def check_unit_columns(store: ObjectStore, files: Sequence[File], fmt: str, names: Sequence[str]) -> None:
    """:func:`check_column_names` for the columns a reader describes for ``files`` (all
    of a unit's at once on DuckDB and Snowflake, one file's elsewhere). Where a name is
    wrong, or looks made up by the reader, each file's own names are read
    (:func:`raw_names`) to name the file and the name; a name no file has (the reader
    invented it, e.g. for a key spelled in two cases across files) is refused too."""
    where = where_of(files)
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
    """:func:`sinks.rules.require_merge_columns` for each file of a load whose target
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
        with duckdb_connection(store) as conn:
            rows = conn.execute(reader_sql("file_keys", [f.path for f in files], "jsonl")).fetchall()
    except Exception:
        found: dict[str, list[str]] = {}
        for file in files:
            try:
                found[file.path] = raw_names(store, file, "jsonl")
            except Exception as exc:
                raise read_error(exc, file) from exc
        return found
    return {str(path): [str(k) for k in names] for path, names in rows}
