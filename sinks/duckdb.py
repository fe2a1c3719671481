"""DuckDB, the embedded default sink.

One file, one writer: loads of the same file in one process queue on a lock, and a file
held by another process is a transient error (the next delivery or sweep retries).
Object storage reaches DuckDB through an fsspec filesystem registered on the
connection, because extensions cannot be downloaded at run time.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from manifests import ConfigError, LoaderError, MalformedFileError, SinkBusyError, TerminalError, TransientError
from manifests.secrets import redact
from manifests.store import ObjectStore
from sinks.base import Capabilities
from sinks.options import DuckDBOptions
from sinks.partition_values import joined
from sinks.rules import FILE_COLUMN, Part
from sinks.sql import SqlSink, Staged
from sinks.staging import check_merge_files, check_unit_columns, engine_text, unit_files

#: what a failure is, and why, for the message
Rule = tuple[type[LoaderError], str]

#: What a DuckDB error is, by its class (DuckDB's errors carry no code): looked up along
#: the error's classes, most specific first; a class no row names is terminal. Reading a
#: unit's files refines the terminal ones (DuckDBSink._translate: MalformedFileError).
DUCKDB_ERRORS: Mapping[str, Rule] = {
    # another transaction of this database changed the same rows or catalogue entry
    "TransactionException": (TransientError, "a conflict with another transaction"),
    "InterruptException": (TransientError, "the statement was interrupted"),
    "OutOfMemoryException": (TransientError, "DuckDB ran out of memory"),
    "ConnectionException": (TransientError, "the connection is closed"),
    # reading the lake through the filesystem DuckDB was given: the network
    "HTTPException": (TransientError, "an object could not be fetched"),
    "PermissionException": (ConfigError, "a DuckDB setting forbids the operation"),
    "CatalogException": (TerminalError, "no such table, schema or column"),
    "BinderException": (TerminalError, "the statement does not fit the tables"),
    "ParserException": (TerminalError, "the statement does not parse"),
    "ConstraintException": (TerminalError, "a constraint refused the rows"),
}
#: opening the database file: settings DuckDB does not take are the url's
_OPEN_ERRORS: Mapping[str, Rule] = {
    "InvalidInputException": (ConfigError, "a setting in the sink url's query is not one DuckDB takes"),
    "IOException": (ConfigError, "the file cannot be opened as a DuckDB database"),
}

_LOCKS: dict[str, threading.RLock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(path: str) -> threading.RLock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(path, threading.RLock())


def _by_class(exc: BaseException, table: Mapping[str, Rule]) -> Rule | None:
    """The row of the error's most specific class that ``table`` names."""
    return next((table[c.__name__] for c in type(exc).__mro__ if c.__name__ in table), None)


#: DuckDB's settings, as ``duckdb.connect(config=...)`` takes them
DuckDBConfig = dict[str, str | bool | int | float | list[str]]


def database_path(url: str, base_dir: str = ".") -> tuple[str, DuckDBConfig]:
    """``duckdb:///warehouse.duckdb`` (relative to the config's folder), ``duckdb:////abs``
    or ``duckdb:///:memory:``; query parameters become DuckDB settings."""
    parts = urlsplit(url)
    if parts.scheme != "duckdb":
        raise ConfigError(f"sink url {redact(url)!r}: expected duckdb:///path/to/file.duckdb")
    path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
    if not path:
        raise ConfigError(f"sink url {redact(url)!r}: no database file (duckdb:///warehouse.duckdb)")
    if path != ":memory:" and not os.path.isabs(path):
        path = os.path.normpath(os.path.join(base_dir, path))
    return path, dict(parse_qsl(parts.query))


class DuckDBSink(SqlSink):
    capabilities = Capabilities(
        dialect="duckdb",
        concurrent_loads=False,
        batch_partitions=True,
        formats=("parquet", "csv", "jsonl"),
        adds_columns=True,
    )
    default_schema = "main"
    options_class = DuckDBOptions
    sink_options: DuckDBOptions

    def __init__(
        self, name: str, options: Mapping[str, Any], store: ObjectStore, project_dir: str | None = None
    ) -> None:
        super().__init__(name, options, store, project_dir)
        self.path, self.settings = database_path(self.sink_options.url, project_dir or ".")
        self._conn: Any = None
        self._lock = _lock_for(self.path) if self.path != ":memory:" else threading.RLock()

    @property
    def connection(self) -> Any:
        if self._conn is None:
            import duckdb

            if self.path != ":memory:":
                os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            try:
                conn = duckdb.connect(self.path, config=self.settings)
            except duckdb.Error as exc:
                raise self._open_error(exc) from None
            fs = self.store.filesystem()
            if fs is not None:
                conn.register_filesystem(fs)
            self._conn = conn
        return self._conn

    def _database_exists(self) -> bool:
        # connecting would create the file: a status or a dry run must not
        return self._conn is not None or self.path == ":memory:" or os.path.exists(self.path)

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._lock:
            yield

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
            self._state_ready = False

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        cursor = self.connection.execute(sql)
        return cursor.fetchall() if cursor.description else []

    def _open_error(self, exc: Exception) -> LoaderError:
        """A file another process holds is busy (retried); any other refusal to open it (a
        file that is no DuckDB database, a folder that cannot be written, a setting DuckDB
        does not take) is the configuration's to fix.

        DuckDB raises the same IOException, with no code, for a lock held by another
        process and for a file that is not a database: its message is the only difference.
        So this one rule reads it, for the one phrase DuckDB's lock failure starts with
        ("Could not set lock on file"), at open only, where nothing else takes a lock."""
        text = f"{self.name}: cannot open {self.path}: {exc}"
        if type(exc).__name__ == "IOException" and "could not set lock" in str(exc).lower():
            return SinkBusyError(f"{self.name}: {self.path} is open in another process ({exc})")
        kind, why = _by_class(exc, _OPEN_ERRORS) or (TerminalError, "")
        return kind(f"{text} ({why})" if why else text)

    def _translate(self, exc: Exception, step: str) -> LoaderError:
        import duckdb

        text = f"{self.name}: step {step} failed: {exc}"
        found = _by_class(exc, DUCKDB_ERRORS)
        if found is not None and found[0] is not TerminalError:
            return found[0](f"{text} ({found[1]})")
        if step in ("stage", "describe", "not_objects"):
            # the reader refusing a file's content, by class: invalid input (a CSV row that
            # does not parse, JSON that is not, bytes that are not UTF-8), a value that is
            # not its column's type, and, where only the reader is bound, a file it cannot
            # make records of (a JSON-lines file of blank lines)
            refused = (duckdb.InvalidInputException, duckdb.ConversionException)
            if isinstance(exc, refused) or (step == "describe" and isinstance(exc, duckdb.BinderException)):
                return MalformedFileError(f"{self.name}: cannot read the unit's files: {exc}")
            return TerminalError(f"{self.name}: cannot read the unit's files: {exc}")
        return TerminalError(text)

    def _blame(self, exc: LoaderError, parts: list[Part]) -> LoaderError:
        """DuckDB names the file it refused inside its message, after a page of advice
        (turning strictness off among it): the error names the manifest and the file and
        keeps the message's first lines only."""
        if isinstance(exc, MalformedFileError) and not exc.manifest:
            found = [
                (len(path), m.url, e.url)
                for p in parts
                for m in p.pending
                for e in m.entries
                if (path := self.store.engine_path(e.url)) in exc.reason
            ]
            text = engine_text(exc.reason)
            if found:
                _n, manifest, url = max(found)
                return MalformedFileError(text, manifest=manifest, file=url)
            exc = MalformedFileError(text)
        return super()._blame(exc, parts)

    def _described(self, parts: Sequence[Part], files: list[str], context: dict[str, Any]) -> list[tuple[str, str]]:
        """The unit's columns as the reader describes them, each name one every sink can
        hold (:func:`check_unit_columns`), and, for JSON lines, every line an object. A
        file the reader refuses without naming it (a bind-time error) is found by
        describing the files one by one, only then."""
        try:
            described = [(str(r[0]), str(r[1])) for r in self.execute("describe", files=files, **context)]
        except MalformedFileError as exc:
            if any(path in exc.reason for path in files):
                raise
            for file in unit_files(self.store, parts):
                try:
                    self.execute("describe", files=[file.path], **context)
                except MalformedFileError as one:
                    raise MalformedFileError(
                        engine_text(one.reason), manifest=file.manifest.url, file=file.entry.url
                    ) from exc
            raise
        # DuckDB spells the type of a column null in every row "NULL", quoted
        described = [(name, "NULL" if kind.strip('"') == "NULL" else kind) for name, kind in described]
        fmt = context["format"]
        self.client.effect(lambda: self._check_files(parts, described, fmt))
        if fmt == "jsonl" and files:
            for path, lines in self.execute("not_objects", files=files, **context)[:1]:
                raise MalformedFileError(f"{lines} line(s) are not JSON objects ({path})")
        return described

    def _check_files(self, parts: Sequence[Part], described: Sequence[tuple[str, str]], fmt: str) -> None:
        """Every file's column names, and, since the reader unites the files' columns, the
        keys and order_by of each file on its own."""
        names = [name for name, _kind in described if name != FILE_COLUMN]
        every = unit_files(self.store, parts)
        check_unit_columns(self.store, every, fmt, names)
        check_merge_files(self.store, every, fmt, {every[0].path: names} if len(every) == 1 else None)

    def stage(self, parts: Sequence[Part], context: dict[str, Any]) -> Staged:
        files = [self.store.engine_path(e.url) for p in parts for e in p.entries]
        described = self._described(parts, files, context)
        # the partition's values win over the files' own columns of those names
        carried, fill, rows = joined(self.store, parts, described, "duckdb")
        partition_names = [k for k, _v in parts[0].unit.partition.items]
        self.execute(
            "stage",
            files=files,
            partition_names=partition_names,
            carried_columns=carried,
            fill_columns=fill,
            partition_rows=rows,
            json_columns=[(n, k) for n, k in described if n != FILE_COLUMN] if context["format"] == "jsonl" else [],
            **context,
        )
        # one scan counts each file's rows and, for CSV and JSON lines, each text column's
        # values: a column with none (sniffed as VARCHAR, all NULL) fits any target type
        text = [n for n, kind in described if kind == "VARCHAR" and n != FILE_COLUMN and context["format"] != "parquet"]
        found = self.execute("staged_counts", files=files, text_columns=text, **context)
        counts = {str(row[0]): int(row[1]) for row in found}
        values = [sum(int(row[2 + i]) for row in found) for i in range(len(text))]  # no row: no value
        empty = {name for name, n in zip(text, values, strict=False) if not n}
        described = [(name, "NULL" if name in empty else kind) for name, kind in described]
        columns = (*described, *((name, "VARCHAR") for name in fill))
        return Staged(columns=columns, rows_by_path=counts)
