"""SQLite: the load transaction of :class:`SqlSink` on a folder of SQLite files.

``sqlite:///warehouse`` is a folder (relative to loaders.toml's): ``main.sqlite`` holds
unqualified tables and each schema is a file of its own (``raw.sqlite`` for
``raw.conversions``), attached to the connection under the schema's name
(``sql/sqlite/attach.sql``). SQLite commits a transaction over several attached files
atomically (its rollback journal), and its DDL is transactional: data, DDL and the load
state commit together.

Staging reads the unit's files with pyarrow, a record batch at a time, and inserts each
batch into a TEMP table with bound parameters. Loads of one folder take turns (a lock
in this process; SQLite's file locks between processes, waited for ``busy_seconds``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from manifests import ConfigError, LoaderError, SinkBusyError, TerminalError, TransientError
from manifests.store import ObjectStore
from sinks import partition_values, staging
from sinks.base import Capabilities
from sinks.rules import Part
from sinks.sql import SqlSink, Staged
from sinks.sql.templates import Templates
from tests.example_sink import SQLiteOptions

#: the folder of this sink's templates: sql/sqlite/<step>.sql, the rest from sql/default
TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sql")
#: a schema is a file name too: nothing but a plain name becomes one
SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
#: SQLite's result codes (``sqlite_errorname``) that another try may not meet
TRANSIENT = {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_FULL", "SQLITE_IOERR", "SQLITE_INTERRUPT", "SQLITE_NOMEM"}
#: those the configuration must fix (a folder that cannot be written, a file that is not SQLite)
CONFIGURATION = {"SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM", "SQLITE_NOTADB", "SQLITE_AUTH"}

_LOCKS: dict[str, threading.RLock] = {}
_LOCKS_GUARD = threading.Lock()


def folder_of(url: str, base_dir: str) -> str:
    """``sqlite:///warehouse`` → the folder, relative to ``base_dir`` unless absolute."""
    parts = urlsplit(url)
    path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
    if parts.scheme != "sqlite" or not path:
        raise ConfigError(f"sink url {url!r}: expected sqlite:///folder")
    return path if os.path.isabs(path) else os.path.normpath(os.path.join(base_dir, path))


def _timestamp(value: bytes) -> dt.datetime:
    return dt.datetime.fromisoformat(value.decode())


def _date(value: bytes) -> dt.date:
    return dt.date.fromisoformat(value.decode()[:10])


def _value(value: Any) -> Any:
    """One Arrow value as SQLite stores it: times as ISO text (read back by the
    converters of the declared type), decimals as text, nested values as JSON."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return value


class SQLiteTemplates(Templates):
    """The shared templates, with the load's clock written as ISO text: SQLite's
    CAST(... AS TIMESTAMP) casts to NUMERIC, which reads 2026-11-28 08:00:00 as 2026."""

    def timestamp(self, value: Any) -> str:
        return self.lit(value)


class SQLiteSink(SqlSink):
    """``sqlite:///folder``; options ``url``, ``state_schema``, ``busy_seconds``."""

    capabilities = Capabilities(
        dialect="sqlite",
        concurrent_loads=False,
        batch_partitions=True,
        formats=("parquet", "csv", "jsonl"),
        adds_columns=True,
    )
    default_schema = "main"
    type_names = staging.TypeNames(text="TEXT", binary="BLOB", json="TEXT", partition="TEXT")
    text_type = "TEXT"
    options_class = SQLiteOptions
    sink_options: SQLiteOptions
    template_folders = (TEMPLATES,)
    templates_class = SQLiteTemplates
    #: no CREATE SCHEMA: a schema is a file, attached (attach.sql); the merge is two statements
    statements: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "state_schema": (),
        "create_schema": (),
        "merge": ("merge_update", "merge_insert"),
    }

    def __init__(
        self, name: str, options: Mapping[str, Any], store: ObjectStore, project_dir: str | None = None
    ) -> None:
        super().__init__(name, options, store, project_dir)
        self.folder = folder_of(self.sink_options.url, project_dir or ".")
        self._conn: sqlite3.Connection | None = None
        self._attached: set[str] = set()
        self._rows: Iterator[Sequence[Any]] | None = None  # the batch insert_stage binds
        with _LOCKS_GUARD:
            self._lock = _LOCKS.setdefault(self.folder, threading.RLock())

    # -- the connection -----------------------------------------------------------------

    @property
    def connection(self) -> sqlite3.Connection:
        if self._conn is None:
            for name, convert in (("TIMESTAMP", _timestamp), ("DATE", _date)):
                sqlite3.register_converter(name, convert)  # what PARSE_DECLTYPES reads back
            os.makedirs(self.folder, exist_ok=True)
            try:
                self._conn = sqlite3.connect(
                    os.path.join(self.folder, "main.sqlite"),
                    timeout=self.sink_options.busy_seconds,
                    isolation_level=None,  # BEGIN and COMMIT come from the templates
                    detect_types=sqlite3.PARSE_DECLTYPES,
                    check_same_thread=False,  # loads take turns on the lock (exclusive)
                )
            except sqlite3.Error as exc:
                raise ConfigError(f"{self.name}: cannot open {self.folder}: {exc}") from None
            self._attached = {"main", "temp"}
            # part of opening it, as the engine's settings are: the state schema's file
            state = self.state_schema
            self._conn.execute(self.render("attach", schema=state, file=self._file(state)))
            self._attached.add(state)
        return self._conn

    def attach(self, schema: str) -> None:
        """Attach ``schema``'s file once per connection (attach.sql)."""
        if schema not in self._attached:
            self.execute("attach", schema=schema, file=self._file(schema))
            self._attached.add(schema)

    def _file(self, schema: str) -> str:
        """The database file of ``schema``: a file name, so a plain name only."""
        if not SCHEMA_NAME.fullmatch(schema):
            raise TerminalError(f"{self.name}: schema {schema!r}: SQLite schemas here are plain names (files)")
        return os.path.join(self.folder, f"{schema}.sqlite")

    def _database_exists(self) -> bool:
        # connecting would create the files: a status or a dry run must not
        return self._conn is not None or os.path.exists(os.path.join(self.folder, "main.sqlite"))

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._lock:
            yield

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn, self._attached = None, set()
            self._state_ready = False

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        rows, self._rows = self._rows, None
        if rows is not None:
            self.connection.executemany(sql, rows)
            return []
        return self.connection.execute(sql).fetchall()

    def _translate(self, exc: Exception, step: str) -> LoaderError:
        code = getattr(exc, "sqlite_errorname", "")
        text = f"{self.name}: step {step} failed: {exc} ({code or type(exc).__name__})"
        if code in ("SQLITE_BUSY", "SQLITE_LOCKED"):
            return SinkBusyError(f"{self.name}: {self.folder} is busy in another process ({exc})")
        if code in TRANSIENT:
            return TransientError(text)
        if code in CONFIGURATION:
            return ConfigError(text)
        return TerminalError(text)

    def target_columns(self, context: dict[str, Any]) -> list[tuple[Any, ...]]:
        """The target's schema attached first: every load looks for its target before
        it touches it."""
        self.attach(context["target_schema"])
        return super().target_columns(context)

    # -- staging ------------------------------------------------------------------------

    def stage(self, parts: Sequence[Part], context: dict[str, Any]) -> Staged:
        self.attach(context["target_schema"])  # the stage is shaped on the target's columns
        files = staging.unit_files(self.store, parts)
        described, schemas = staging.describe(self, files, context, self.type_names)
        names = {name.lower() for name, _type in described}
        fill = [k for k, _v in parts[0].unit.partition.items if k.lower() not in names]
        columns = [*described, *((k, self.type_names.partition) for k in fill)]
        own = {f.path: schemas[f.path].names if f.path in schemas else [n for n, _t in described] for f in files}
        staging.check_merge_files(self.store, files, context["format"], own)
        stage = staging.stage_table(self, parts, columns, context)
        # create_target (a first load) spells the target's columns as staged: the load's
        # context reaches every later step of it
        context["stage_columns"] = stage["stage_columns"]
        self.execute("create_stage", **stage)
        counts: dict[str, int] = {}
        for file in files:
            carried, missing = partition_values.checked_partition(file, schemas.get(file.path), own[file.path])
            self._rows = self._file_rows(file, carried, missing, counts, context["format"])
            try:
                self.execute("insert_stage", copy_columns=[*own[file.path], *(k for k, _v in missing)], **context)
            except LoaderError as exc:
                raise staging.read_error(exc, file) from exc
            finally:
                self._rows = None
        return Staged(columns=tuple(columns), rows_by_path=counts)

    def _file_rows(
        self, file: staging.File, carried: Any, missing: Sequence[tuple[str, str]], counts: dict[str, int], fmt: str
    ) -> Iterator[tuple[Any, ...]]:
        """The file's rows, a record batch read at a time, the partition's values set in
        the columns it carries and appended where it has none; counting the rows read,
        the counts the load checks. Compiling, the statement is recorded and this is
        never started: nothing is read."""
        counts[file.path] = 0
        for batch in staging.file_batches(self.store, file, fmt, 65536):
            counts[file.path] += batch.num_rows
            try:
                table = partition_values.replaced(batch, carried).to_pydict()
            except Exception as exc:
                raise staging.read_error(exc, file) from exc
            values = [[_value(v) for v in column] for column in table.values()]
            values += [[value] * batch.num_rows for _key, value in missing]
            yield from zip(*values, strict=True)
