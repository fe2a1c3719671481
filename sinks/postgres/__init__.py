"""PostgreSQL: the load transaction on a real server, staging streamed with COPY FROM STDIN.

Staging reads the unit's files with pyarrow, one record batch at a time, and streams each
batch as CSV into a temporary table created for the attempt (``COPY … FROM STDIN``), so
memory is bounded by a batch, never a file. Row counts per file are what was streamed.
JSON lines are the exception: ``pyarrow.json.read_json`` reads a whole file, because its
streaming reader fixes the schema from the first block and fails on a field first seen
later.

Locking: the shared ``lock`` step upserts each partition's state row, which takes its row
lock; a concurrent load of the same partition queues there and then re-checks what the
first one applied (``Capabilities.concurrent_loads``). DDL that several first loads could
race on (the state tables, a target table that does not exist yet) runs under one
transaction-level advisory lock, because ``CREATE … IF NOT EXISTS`` does not wait for a
concurrent uncommitted creation: it fails with a unique violation.

The connection helpers (:mod:`sinks.postgres._session`), and the readers and type mapping
of :mod:`sinks.staging`, are shared with :mod:`sinks.redshift`, whose SQL is this one's
family of templates.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from manifests import LoaderError
from manifests.store import ObjectStore
from sinks import import_driver
from sinks.base import Capabilities
from sinks.options import PostgresOptions
from sinks.partition_values import PartitionColumns, checked_partition, replaced
from sinks.postgres._session import Sessions, connect_args
from sinks.rules import Part
from sinks.sql import STATE_STEPS, STATE_TABLES, SqlSink, Staged
from sinks.sql.sqlstate import connect_failure, startup_sqlstate, statement_failure
from sinks.staging import (
    File,
    TypeNames,
    as_csv,
    check_merge_files,
    describe,
    file_batches,
    read_error,
    stage_table,
    unit_files,
)

# -- the sink ---------------------------------------------------------------------------------


class PostgresSink(SqlSink):
    """``postgresql+psycopg://user:password@host:5432/database?sslmode=require``.

    Options: ``url`` (query parameters pass to ``psycopg.connect``), ``state_schema``,
    ``batch_rows`` (rows per streamed batch, default 65536).
    """

    capabilities = Capabilities(
        dialect="postgres",
        concurrent_loads=True,
        batch_partitions=True,
        formats=("parquet", "csv", "jsonl"),
        adds_columns=True,
    )
    default_schema = "public"
    type_names: ClassVar[TypeNames] = TypeNames(text="TEXT", binary="BYTEA", json="JSONB", partition="TEXT")
    text_type = type_names.text
    schemes: ClassVar[tuple[str, ...]] = ("postgresql+psycopg", "postgresql", "postgres")
    options_class = PostgresOptions
    sink_options: PostgresOptions

    def __init__(
        self, name: str, options: Mapping[str, Any], store: ObjectStore, project_dir: str | None = None
    ) -> None:
        super().__init__(name, options, store, project_dir)
        self.connect_args = connect_args(self.sink_options.url, self.schemes)
        self.batch_rows = self.sink_options.batch_rows
        self.sessions = Sessions(self._connect)

    def _connect(self) -> Any:
        psycopg = import_driver(self.name, "postgres")

        args = dict(self.connect_args)
        args["dbname"] = args.pop("database", None) or args.get("user", "")
        args.setdefault("application_name", "loaders")
        try:
            return psycopg.connect(autocommit=True, **args)
        except psycopg.Error as exc:
            # by the SQLSTATE the server refused it with (an unknown database, a wrong
            # password: ConfigError), which psycopg does not carry (sinks.sql.sqlstate); none
            # (refused, unresolvable, timed out): transient; an invalid option: ConfigError
            state = ""
            if isinstance(exc, psycopg.OperationalError) and not exc.sqlstate:
                state = startup_sqlstate(psycopg.conninfo.make_conninfo(**args))
            where = f"{args.get('host', 'localhost')}:{args.get('port', 5432)}/{args['dbname']}"
            raise connect_failure(self.name, where, exc, state) from None

    def close(self) -> None:
        self.sessions.close()
        self._state_ready = False

    # -- one statement ----------------------------------------------------------------------

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        feed: Iterator[bytes] | None = getattr(self.sessions.local, "feed", None)
        self.sessions.local.feed = None
        with self.sessions.get().cursor() as cur:
            if feed is not None:
                with cur.copy(sql) as copy:
                    for chunk in feed:
                        copy.write(chunk)
                return []
            cur.execute(sql)
            return cur.fetchall() if cur.description else []

    def _translate(self, exc: Exception, step: str) -> LoaderError:
        conn = getattr(self.sessions.local, "conn", None)
        if conn is not None and (conn.broken or conn.closed):
            self.sessions.drop()  # the next statement reconnects
        return statement_failure(self.name, step, exc)

    def target_columns(self, context: dict[str, Any]) -> list[tuple[Any, ...]]:
        """When the target is about to be created: wait for any other first load doing the
        same, then look again, so that the second one merges into the table the first
        created instead of inserting next to it."""
        rows = super().target_columns(context)
        if not rows:
            self.execute("ddl_lock", **context)
            rows = super().target_columns(context)
        return rows

    def _copy_in(self, feed: Iterator[bytes], step: str, **context: Any) -> None:
        """Run ``step`` (a ``COPY … FROM STDIN``) with ``feed`` as its data; when compiling,
        the statement is recorded and the feed, never started, reads nothing."""
        self.sessions.local.feed = feed
        try:
            self.execute(step, **context)
        finally:
            self.sessions.local.feed = None

    # -- state ----------------------------------------------------------------------------

    def ensure_state(self) -> None:
        """The state tables, created in one transaction under the DDL lock: loaders starting
        at once on a new database would otherwise race on CREATE … IF NOT EXISTS."""
        if self._state_ready:
            return
        if len(self.execute("state_tables")) < len(STATE_TABLES):
            context: dict[str, Any] = {"load_id": "-"}
            with self.transaction(context):
                self.execute("ddl_lock", **context)
                for step in STATE_STEPS:
                    self.execute(step, **context)
        self._state_ready = True

    # -- staging ----------------------------------------------------------------------------

    def stage(self, parts: Sequence[Part], context: dict[str, Any]) -> Staged:
        files = unit_files(self.store, parts)
        described, schemas = describe(self, files, context, self.type_names)
        names = {name.lower() for name, _type in described}
        fill = [k for k, _v in parts[0].unit.partition.items if k.lower() not in names]
        columns = [*described, *((k, self.type_names.partition) for k in fill)]
        # the partition's values win over the files' own columns of those names (each value
        # checked against each file's type first) and are appended where a file has none
        own = {f.path: schemas[f.path].names if f.path in schemas else [n for n, _t in described] for f in files}
        check_merge_files(self.store, files, context["format"], own)  # the reader united the files' columns
        partition = {f.path: checked_partition(f, schemas.get(f.path), own[f.path]) for f in files}
        self.execute("create_stage", **stage_table(self, parts, columns, context))
        counts: dict[str, int] = {}
        for file in files:
            feed = self._feed(file, partition[file.path], counts, context["format"])
            appended = [k for k, _v in partition[file.path][1]]
            try:
                self._copy_in(feed, "copy_stage", copy_columns=[*own[file.path], *appended], **context)
            except LoaderError as exc:
                raise read_error(exc, file) from exc
        self.execute("analyze_stage", **context)
        streamed = self.client.ask("staged_counts", context, lambda: list(counts.items()))
        counts = {str(p): int(n) for p, n in streamed}
        return Staged(columns=tuple(columns), rows_by_path=counts)

    def _feed(self, file: File, partition: PartitionColumns, counts: dict[str, int], fmt: str) -> Iterator[bytes]:
        """The file as CSV chunks, counting the rows it streams: the counts the load checks.
        ``partition``: the partition's columns the file carries (set to the partition's
        values) and those it lacks (appended to each row)."""
        counts[file.path] = 0
        carried, missing = partition
        for batch in file_batches(self.store, file, fmt, self.batch_rows):
            counts[file.path] += batch.num_rows
            try:
                yield as_csv(replaced(batch, carried), missing)
            except Exception as exc:
                raise read_error(exc, file) from exc


__all__ = ["PostgresSink", "Sessions", "connect_args"]
