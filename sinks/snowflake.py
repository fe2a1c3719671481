"""Snowflake: COPY INTO from an external stage, then the shared load transaction.

Staging happens before ``BEGIN`` because Snowflake commits an open transaction before
any DDL (https://docs.snowflake.com/en/sql-reference/transactions): the staging table, the
target on a first load and the columns new data brings are made outside it, so the
transaction holds only DML and stays atomic. Inside it, merge is DELETE + INSERT, not
MERGE, and the lock is an UPDATE of the state rows (Snowflake's DML lock) followed by an
INSERT of the missing ones; both are plain DML that fakesnow can also run inside BEGIN.

Identifiers are folded to upper case, then quoted: what users write unquoted in
Snowflake (``raw.conversions``) names the tables loaders creates, and any name is still
safe to quote. The connector is imported only when a connection is opened.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import unquote

from manifests import ConfigError, ForeignURLError, LoaderError, MissingFileError, TerminalError
from manifests.secrets import hide_password, query_args, sink_url
from manifests.store import ObjectStore
from sinks import import_driver
from sinks.base import Answer, Capabilities, CompileSample, LoadUnit
from sinks.options import SnowflakeOptions
from sinks.partition_values import joined
from sinks.rules import FILE_COLUMN, Part
from sinks.snowflake_errors import SNOWFLAKE_ERRORS, copy_error, error_rule
from sinks.sql import SqlSink, Staged
from sinks.sql.columntypes import spelled
from sinks.sql.templates import Templates
from sinks.staging import check_merge_files, check_unit_columns, unit_files

#: a staging column no file has: each partition's rows are marked with its key once their
#: partition values are set, so the next partition's COPY adds the only unmarked rows
PARTITION_MARK = "_loaders_partition"
#: COPY's FILES and INFER_SCHEMA's FILES take at most 1,000 names each
#: (https://docs.snowflake.com/en/user-guide/data-load-considerations-load#lists-of-files).
MAX_FILES = 1000
#: QUERY_TAG holds at most 2,000 characters (https://docs.snowflake.com/en/sql-reference/parameters#query-tag).
MAX_TAG = 2000
#: A type name as INFER_SCHEMA reports it: ``NUMBER(38, 0)``, ``TEXT``, ``TIMESTAMP_NTZ(9)``.
_TYPE = re.compile(r"[A-Z_]+(\(\s*\d+\s*(,\s*\d+\s*)?\))?")
#: connector arguments that are numbers; every other query parameter is passed as text.
_INTS = frozenset(["port", "login_timeout", "network_timeout", "socket_timeout", "client_prefetch_threads"])
#: ``@stage``, ``@schema.stage`` or ``@db.schema.stage``, each part bare or double-quoted.
_PART = r'(?:[A-Za-z_][A-Za-z0-9_$]*|"[^"]+")'
_STAGE = re.compile(rf"@{_PART}(?:\.{_PART}){{0,2}}")


class _Folded(Templates):
    """Templates whose identifiers are folded to upper case before quoting, as Snowflake
    stores unquoted names (https://docs.snowflake.com/en/sql-reference/identifiers-syntax)."""

    def __init__(self, dialect: str, project_dir: str | None, own: Sequence[str] = ()) -> None:
        super().__init__(dialect, project_dir, own)
        self.env.filters["fold"] = fold

    def ident(self, name: str | Sequence[str]) -> str:
        return super().ident(fold(name) if isinstance(name, str) else [fold(p) for p in name])


def fold(name: Any) -> Any:
    return name.upper() if isinstance(name, str) else name


def connect_args(url: str) -> dict[str, Any]:
    """``snowflake://user:password@account/DATABASE/SCHEMA?warehouse=…&role=…``, read by
    SQLAlchemy as snowflake-sqlalchemy users write it: every query parameter passes to
    ``snowflake.connector.connect`` as it is (true/false as bool, the connector's numeric
    settings as int), so authenticator, private_key_file, host, port and protocol all
    work. Anything else stays text: a passcode keeps its leading zero."""
    form = "snowflake://user:password@account/DATABASE/SCHEMA"
    parsed = sink_url(url, ("snowflake",), form)
    if not parsed.host:
        raise ConfigError(f"sink url {hide_password(url)!r}: expected {form}")
    args: dict[str, Any] = {"account": parsed.host}
    if parsed.port is not None:
        args["port"] = parsed.port
    if parsed.username:
        args["user"] = parsed.username
    if parsed.password:
        args["password"] = parsed.password
    path = [unquote(p) for p in (parsed.database or "").split("/") if p]
    if len(path) != 2:  # the state, the stage and one-part table names live in them
        raise ConfigError(f"sink url {hide_password(url)!r}: the path is /DATABASE/SCHEMA")
    args.update(zip(("database", "schema"), path, strict=True))
    for key, value in query_args(parsed).items():
        low = value.lower()
        args[key] = int(value) if key in _INTS else (low == "true") if low in ("true", "false") else value
    return args


class SnowflakeSink(SqlSink):
    capabilities = Capabilities(
        dialect="snowflake",
        batch_partitions=True,
        formats=("parquet", "csv", "jsonl"),
        adds_columns=True,
        ddl_in_transaction=False,  # DDL commits an open transaction:
    )  # https://docs.snowflake.com/en/sql-reference/transactions
    options_class = SnowflakeOptions
    sink_options: SnowflakeOptions
    templates_class = _Folded

    def __init__(
        self, name: str, options: Mapping[str, Any], store: ObjectStore, project_dir: str | None = None
    ) -> None:
        super().__init__(name, options, store, project_dir)
        settings = self.sink_options
        self.connect_args = connect_args(settings.url)
        self.stage_ref = settings.stage  # checked as @stage (sinks/options.py): it is rendered as it is
        # The stage's own URL: FILES names are paths relative to it. It defaults to
        # store.root: the quick start creates the external stage over the store root.
        self.stage_url = (settings.stage_url or store.root).rstrip("/") + "/"
        if not re.match(r"(s3|gcs|azure)://", self.stage_url):
            raise ConfigError(f"sinks.{name}.stage_url: {self.stage_url!r} is not a cloud location the stage can hold")
        self._conn: Any = None
        self._lock = threading.RLock()
        self._tagged: str | None = None
        self._formats: set[str] = set()  # file formats made sure of on this connection
        #: (load id, target table) → its columns, as read or created while staging

    # -- connection -------------------------------------------------------------------

    @property
    def connection(self) -> Any:
        if self._conn is None:
            connector = import_driver(self.name, "snowflake")
            try:
                self._conn = connector.connect(**self.connect_args)
            except Exception as exc:
                raise self._translate(exc, "connect") from exc
        return self._conn

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """One connection, one transaction at a time: threads sharing this sink queue here."""
        with self._lock:
            yield

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # closing a dead session must not mask the real error
                self._conn.close()
            self._conn = None
            self._state_ready = False
            self._tagged = None
            self._formats.clear()

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall()) if cursor.description else []

    def _translate(self, exc: Exception, step: str) -> LoaderError:
        """By :data:`SNOWFLAKE_ERRORS`; a COPY or INFER_SCHEMA refusing the files is
        terminal, naming the file and line where Snowflake says; anything else terminal."""
        text = f"{self.name}: step {step} failed: {exc}"
        found = error_rule(exc)
        if found is not None and found[0] is not TerminalError:
            return found[0](f"{text} ({found[1]})")
        if step == "copy":
            return copy_error(str(exc), self.stage_url)
        if step == "describe":
            return TerminalError(f"{self.name}: cannot read the unit's files: {exc}")
        return TerminalError(text)

    def _context(self, units: Sequence[LoadUnit]) -> dict[str, Any]:
        """The staging table lives beside the state tables: it needs no current schema and
        never shows up among the user's tables."""
        context = super()._context(units)
        return {**context, "stage": (self.state_schema, context["stage"]), "stage_ref": self.stage_ref}

    def sample_answers(self, sample: CompileSample) -> Answer:
        """The SQL sinks' sample answers, and COPY INTO's result: one row per file (file,
        status, rows_parsed, rows_loaded, ...), each loaded whole."""
        answer = super().sample_answers(sample)
        copied = [(path, "LOADED", n, n, 1, 0, None, None, None, None) for path, n in sample.counts]
        return lambda step, context: list(copied) if step == "copy" else answer(step, context)

    # -- one step, several statements --------------------------------------------------

    #: the lock is an UPDATE of the state rows then an INSERT of the missing ones; merge
    #: is a DELETE then an INSERT (see the module docstring)
    statements: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "lock": ("lock", "lock_insert"),
        "merge": ("merge_delete", "merge_insert"),
    }

    def execute(self, step: str, **context: Any) -> list[tuple[Any, ...]]:
        """Tags the load's statements before its BEGIN, and returns the session to its own
        schema after a CREATE SCHEMA (Snowflake makes the new schema current)."""
        if step == "begin" and context.get("load_id") != self._tagged:
            self._tag(context)
        rows = super().execute(step, **context)
        if step in ("state_schema", "create_schema"):
            home = (self.connect_args["database"], self.connect_args["schema"])
            super().execute("use_schema", home=home, **{k: v for k, v in context.items() if k != "home"})
        return rows

    def _tag(self, context: dict[str, Any]) -> None:
        """QUERY_TAG for the rest of the load, so its cost can be attributed to it."""
        keys = list(context.get("partition_keys", []))
        tag = {"loader": "loaders", "sink": self.name, "dataset": context["dataset"], "load_id": context["load_id"]}
        while keys and len(json.dumps({**tag, "partitions": keys})) > MAX_TAG:
            keys = keys[:-1]
        self.execute("query_tag", query_tag=json.dumps({**tag, "partitions": keys}), **context)
        self._tagged = context["load_id"]

    # -- staging --------------------------------------------------------------------------

    def stage_path(self, url: str) -> str:
        """``s3://lake/data/x.parquet`` → ``data/x.parquet``, the name FILES takes."""
        if not url.startswith(self.stage_url):
            raise ForeignURLError(f"outside stage {self.stage_ref} ({self.stage_url})", file=url)
        return url[len(self.stage_url) :]

    def stage(self, parts: Sequence[Part], context: dict[str, Any]) -> Staged:
        self._tag(context)
        entries = {self.stage_path(e.url): e for p in parts for e in p.entries}
        owner = {e.url: m.url for p in parts for m in p.pending for e in m.entries}
        ctx = {**context, "file_format": (self.state_schema, f"loaders_{context['format']}")}
        fmt = context["format"]
        if fmt not in self._formats:
            self.execute("file_format", **ctx)
            self.client.effect(lambda: self._formats.add(fmt))
        try:
            described: dict[str, tuple[str, str]] = {}
            for files in _chunks(list(entries)):
                for name, kind in self.execute("describe", files=files, **ctx):
                    described.setdefault(str(name).upper(), (str(name), _checked(str(kind))))
            described.pop(FILE_COLUMN.upper(), None)
            names = [name for name, _kind in described.values()]
            self.client.effect(lambda: self._check_files(parts, names, fmt))
            for name, kind in parts[0].unit.target.column_types:  # declared CSV types win over inferred
                if name.upper() in described:
                    described[name.upper()] = (described[name.upper()][0], _checked(spelled(kind, "snowflake")))
            # the partition's values win over the files' own columns of those names
            carried, fill, _rows = joined(self.store, parts, list(described.values()), "snowflake")
            columns = (*described.values(), *((k, "VARCHAR") for k in fill))
            self.execute("create_stage", stage_columns=[*columns, (PARTITION_MARK, "VARCHAR")], **ctx)
            counts = self._copy(parts, {key: name for name, key, _t in carried}, entries, ctx)
        except LoaderError as exc:
            if (blamed := _blame(exc, entries, owner)) is not exc:
                raise blamed from exc
            raise
        return Staged(columns=columns, rows_by_path=counts)

    def _check_files(self, parts: Sequence[Part], names: Sequence[str], fmt: str) -> None:
        """Names every sink can hold, as every sink checks them; INFER_SCHEMA unites the
        files' columns, so the keys and order_by are checked per file, in the files' own
        headers (read from the store)."""
        every = unit_files(self.store, parts)
        check_unit_columns(self.store, every, fmt, names)
        check_merge_files(self.store, every, fmt, {every[0].path: list(names)} if len(every) == 1 else None)

    def _copy(
        self, parts: Sequence[Part], carried: Mapping[str, str], entries: Mapping[str, Any], ctx: dict[str, Any]
    ) -> dict[str, int]:
        """COPY each partition's files, at most 1,000 per statement, then set its partition
        values on the rows just copied (``carried``: key → the files' own column of that
        name, which the value overwrites); returns the rows loaded per file, from COPY's
        own result."""
        counts: dict[str, int] = {}
        for part in parts:
            names = [self.stage_path(e.url) for e in part.entries]
            for files in _chunks(names):
                for row in self.execute("copy", files=files, **ctx):
                    counts[self.store.engine_path(self._copied(row, entries))] = int(row[3] or 0)
            if names:
                values = [(carried.get(k, k), v) for k, v in part.unit.partition.items]
                self.execute(
                    "fill_partition",
                    partition_values=values,
                    mark_column=PARTITION_MARK,
                    mark=part.unit.partition.key,
                    **ctx,
                )
        return counts

    def _copied(self, row: Sequence[Any], entries: Mapping[str, Any]) -> str:
        """The store URL of one COPY result row, after checking that the file loaded whole."""
        name = str(row[0])
        url = name if "://" in name else self.stage_url + name
        if self.stage_path(url) not in entries:
            raise TerminalError(f"{self.name}: COPY reported a file this load did not ask for: {name}")
        if str(row[1]).upper() != "LOADED" or int(row[5] or 0):
            where = f"line {row[7]}, character {row[8]}, column {row[9]}"
            raise TerminalError(f"COPY {row[1]}: {row[6]} ({where})", file=url)
        return url


def _blame(exc: LoaderError, entries: Mapping[str, Any], owner: Mapping[str, str]) -> LoaderError:
    """Name the manifest and file an error is about; Snowflake names files relative to the stage."""
    if exc.manifest:
        return exc
    text = f"{exc} {exc.file or ''}"
    for path, entry in entries.items():
        if entry.url in text or path in text:
            missing = type(exc) is TerminalError and any(w in str(exc).lower() for w in ("not found", "no files"))
            kind = MissingFileError if missing else type(exc)
            return kind(exc.reason, manifest=owner.get(entry.url), file=entry.url)
    return exc


def _checked(kind: str) -> str:
    """A type from INFER_SCHEMA goes into CREATE TABLE as text: it must look like one."""
    if not _TYPE.fullmatch(kind.strip().upper()):
        raise TerminalError(f"INFER_SCHEMA reported an unexpected column type {kind!r}")
    return kind.strip().upper()


def _chunks(names: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(names), MAX_FILES):
        yield list(names[start : start + MAX_FILES])


__all__ = ["MAX_TAG", "SNOWFLAKE_ERRORS", "SnowflakeSink", "connect_args", "copy_error", "error_rule"]
