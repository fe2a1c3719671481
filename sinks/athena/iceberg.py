"""Athena over Iceberg tables: idempotent SQL statements, state in S3.

``table_format = "iceberg"`` sinks run Athena SQL (through pyathena), every statement from
``sql/athena/<step>.sql``. Athena commits each statement on its own, so a load is a
sequence of statements each of which can be repeated without changing the result:

    stage    write the unit's files as Parquet (pyarrow) under a staging prefix, every row
             tagged with its manifest (``_loaders_manifest`` = url#version) and its
             partition values, and create an external table over the prefix
             (iceberg_stage.py)
    lock     take the partitions' leases: conditional writes of their S3 state objects
             (lease.py and state.py, as for Hive tables)
    evolve   ALTER TABLE … ADD COLUMNS per column the data brings (commits on its own)
    apply    per chunk of at most 100 partitions, one of
               append   DELETE the rows of the pending manifests, then INSERT them
               merge    MERGE INTO target USING (staging, latest order_by per key)
               replace  DELETE the partitions, then INSERT them
    record   conditional write of each partition's state: applied manifests, rows, lease off
    clean    drop the staging table and its files

A crash between apply and record leaves the manifests unrecorded, so the next load runs
the same statements again: append deletes what the crashed load inserted before
inserting it again, merge converges (latest wins) and replace refills the partition.
See docs/sinks/athena.md. pyathena, boto3 and pyarrow are imported when first used.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from manifests import LoaderError, Manifest, Partition, TransientError, UnsupportedError
from manifests.store import ObjectStore
from sinks.athena.errors import statement_error
from sinks.athena.iceberg_stage import MANIFEST_COLUMN, delete_stage_files, described, manifest_ids, write_stage
from sinks.athena.lease import PartitionStates, StateViews, contended
from sinks.athena.settings import AthenaConnection, AthenaSettings, AwsClients
from sinks.athena.state import RACE_WAIT, Conflict, MemoryStates, Versioned, applied_of
from sinks.athena.templates import AthenaTemplates
from sinks.base import Answer, Capabilities, CompileSample, LoadResult, LoadUnit, ResetResult, Strategy
from sinks.options import AthenaOptions
from sinks.retrying import retried
from sinks.rules import (
    ALREADY,
    Part,
    blame,
    check_unique_files,
    columns_to_add,
    keyed,
    loaded,
    pending_manifests,
    rows_per_manifest,
    skipped,
)
from sinks.sql.apply import Staged, check_keys
from sinks.sql.client import SqlClient
from sinks.sql.columntypes import parse
from sinks.sql.recording import Recorded, sample_answers
from sinks.sql.state import state_names
from sinks.sql.templates import load_context, split_table

log = logging.getLogger("loaders.athena")

#: Athena writes at most 100 partitions per INSERT/MERGE statement
MAX_PARTITIONS = 100
#: the type a new column gets when the data has only nulls in it (Arrow's null type)
TEXT_TYPE = "VARCHAR"


class AthenaIcebergSink(StateViews):
    """Iceberg tables through Athena SQL (see module docstring): its statements rendered
    and run by a :class:`~sinks.sql.client.SqlClient`, its state in S3 as Hive tables'."""

    capabilities = Capabilities(
        dialect="athena",
        concurrent_loads=True,
        batch_partitions=True,
        adds_columns=True,
    )

    def __init__(
        self, name: str, options: Mapping[str, Any], store: ObjectStore, project_dir: str | None = None
    ) -> None:
        self.name, self.options, self.store = name, options, store
        self.sink_options = AthenaOptions.read(name, options)
        self.client = SqlClient(
            name,
            AthenaTemplates("athena", f"{project_dir}/sql" if project_dir else None),
            state_names(self.sink_options.state_schema),
            {},
            lambda sql: self.connection.query(sql),
            lambda exc, step: statement_error(exc, f"{self.name}: step {step}"),
            lambda step, **context: self.render(step, **context),
        )
        self.settings = settings = AthenaSettings.read(self.sink_options, store)
        self.location, self.database, self.region = settings.location, settings.database, settings.region
        self.state_prefix, self.batch_rows = settings.state_prefix, settings.batch_rows
        self.connection = AthenaConnection(name, settings, self.sink_options)
        self.stage_prefix = f"{self.location}_loaders/stage/"
        self.clock: Callable[[], Any] = _now
        self.clients = AwsClients(settings)
        # the lease's clock is the real one: ``clock`` is a string while recording
        self.partitions = PartitionStates(
            lambda: self.s3, settings, stamp=lambda: _iso(self.clock()), identity=store.identity_of
        )

    # -- connections ------------------------------------------------------------------------

    @property
    def s3(self) -> Any:
        return self.clients.get("s3")

    @property
    def memory_states(self) -> MemoryStates | None:
        """Set by tests (and by recording) to keep the state in memory instead of S3."""
        return self.partitions.memory

    @memory_states.setter
    def memory_states(self, states: MemoryStates | None) -> None:
        self.partitions.memory = states

    @property
    def cursor(self) -> Any:
        """The DB-API cursor statements run on; opened on first use (tests put their own here)."""
        return self.connection.cursor

    @cursor.setter
    def cursor(self, cursor: Any) -> None:
        self.connection.cursor = cursor

    # -- statements, through the client ----------------------------------------------------------

    def render(self, step: str, **context: Any) -> str:
        return self.client.render(step, **context)

    def execute(self, step: str, **context: Any) -> list[tuple[Any, ...]]:
        """Run ``step`` through the client; a step rendering to nothing (Athena has no
        transactions, so ``rollback`` is empty) is neither run nor recorded."""
        if not self.render(step, **context):
            return []
        return self.client.execute(step, context)

    @contextlib.contextmanager
    def recording(self, answer: Answer, clock: Callable[[], Any]) -> Iterator[list[Recorded]]:
        """Render instead of run (``loaders compile``): the client's port is the recorder,
        ``clock`` stands in for the time, and the state is in memory (each recording
        starts from none). No connection is opened."""
        saved = self.memory_states, self.clock
        self.memory_states, self.clock = MemoryStates(), clock
        try:
            with self.client.recording(answer) as kept:
                yield kept
        finally:
            self.memory_states, self.clock = saved

    def sample_answers(self, sample: CompileSample) -> Answer:
        """What Athena answers a recorded load: the SQL sinks' (:func:`sinks.sql.recording.sample_answers`)."""
        return sample_answers(sample)

    def checkpoint(self, step: str) -> None:
        """Called after lock, stage, evolve, apply and record; a crash test raises here."""

    def close(self) -> None:
        self.connection.close()
        self.clients.clear()

    # -- state: S3 objects, as for Hive tables -------------------------------------------------

    def ensure_state(self) -> None:
        """Nothing to create: the state objects are written on first change."""

    def reset(self, dataset: str, partition: Partition, *, forget: bool, dry_run: bool = False) -> ResetResult:
        """Clear a failed attempt; with ``forget`` forget the applied manifests too. The rows
        stay in the table: the next replace load deletes and refills the partition, merge
        converges, and append deletes the rows tagged with each manifest before inserting
        them again."""
        return self.partitions.reset(dataset, partition, forget=forget, dry_run=dry_run)

    def _take(self, unit: LoadUnit) -> tuple[tuple[Manifest, ...], Versioned]:
        """The manifests the partition still needs and its state, with our lease when some
        are (as read, no lease, when there is nothing to do). A live lease of another
        loader is busy."""

        def attempt() -> tuple[tuple[Manifest, ...], Versioned]:
            state = self.states_store.read(unit.target.dataset, unit.partition.key)
            pending = pending_manifests(unit, applied_of(state.doc, self.store.identity_of))
            if not pending:
                return (), state
            self.partitions.check_lease(state, unit)
            # what is being applied; a loader that dies leaves it, and the next load simply
            # runs the same (idempotent) statements again
            intent = {"manifests": [list(m.identity) for m in pending]}
            return pending, self.partitions.take(state, unit, intent)  # Conflict: lost a race

        try:
            return retried(attempt, on=Conflict, attempts=3, wait=RACE_WAIT)
        except Conflict:
            raise contended(unit) from None

    # -- the load ---------------------------------------------------------------------------------

    def load(self, unit: LoadUnit) -> LoadResult:
        return self.load_many([unit])[0]

    def load_many(self, units: Sequence[LoadUnit]) -> list[LoadResult]:
        if not units:
            return []
        target = units[0].target
        if any(u.target != target for u in units) or len({u.partition for u in units}) != len(units):
            raise ValueError("load_many takes one unit per partition of a single dataset")
        if target.format not in self.capabilities.formats:
            raise UnsupportedError(f"sink {self.name} cannot load format {target.format!r} yet")
        units = keyed(units, self.store)
        check_unique_files(units)
        leased: list[tuple[Part, Versioned]] = []
        done: list[Versioned] = []  # the states of the partitions with nothing left to do
        results: dict[Partition, LoadResult] = {}
        try:
            for unit in units:
                pending, state = self._take(unit)
                if not pending:
                    results[unit.partition] = skipped(unit, ALREADY)
                    done.append(state)
                else:
                    leased.append((Part(unit, pending), state))
            if leased:
                self.checkpoint("locked")
                results.update(self._load_parts(leased))
        except BaseException:
            for _part, state in leased:
                self.partitions.release(state)
            raise
        for state in done:  # once the whole batch succeeded: a failed last attempt is cleared
            self.partitions.succeeded(state)
        return [results[u.partition] for u in units]

    def _load_parts(self, leased: list[tuple[Part, Versioned]]) -> dict[Partition, LoadResult]:
        parts = [p for p, _s in leased]
        context = self._athena_context(parts)
        existing = self._target_columns(context)
        has_rows = any(p.entries for p in parts)
        if has_rows and not existing:  # the staging table lives in the target's database
            self.execute("create_schema", **context)
        try:
            staged = self._stage(parts, context, existing) if has_rows else None
        except LoaderError as exc:
            raise blame(exc, parts, self.store) from exc
        try:
            rows = rows_per_manifest(
                [m for p in parts for m in p.pending], staged.rows_by_path if staged else {}, self.store
            )
            if staged is not None and parts[0].unit.target.strategy is Strategy.MERGE:
                # NULL keys refused before any statement changes the table; the answer on
                # duplicates is not needed: merge.sql always de-duplicates per partition
                data = [c for c in staged.columns if c[0] != MANIFEST_COLUMN]
                check_keys(self.capabilities, parts, data, context, self.execute)
            self.checkpoint("staged")
            self._apply_chunks(parts, staged, existing, context, leased)
            self.checkpoint("applied")
            for index, (part, state) in enumerate(leased):
                doc = self.partitions.committed(state.doc, part.unit, part.pending, rows)
                leased[index] = (part, self.partitions.record(state, part.unit, doc, "the next load re-applies"))
            self.checkpoint("recorded")
        finally:
            if staged is not None:
                self._clean(context)
        return {p.unit.partition: loaded(p, rows) for p in parts}

    def _athena_context(self, parts: Sequence[Part]) -> dict[str, Any]:
        units = [p.unit for p in parts]
        context = load_context(units, self.clock(), self.database)
        table = split_table(units[0].target.table)
        database = (table[-2] if len(table) > 1 else self.database).lower()
        name = table[-1].lower()
        context.update(
            target=(database, name),
            target_schema=database,
            target_schema_path=(database,),
            target_name=name,
            target_location=f"{self.location}{name}/",
            stage_table=(database, context["stage"]),
            stage_location=f"{self.stage_prefix}{context['stage']}/",
            partition_columns=list(units[0].target.partition_columns),
            manifest_column=MANIFEST_COLUMN,
            partition_keys=[u.partition.key for u in units],
            partitions=[list(u.partition.items) for u in units],
        )
        return context

    def _apply_chunks(
        self,
        parts: list[Part],
        staged: Staged | None,
        existing: list[tuple[str, str | None]],
        context: dict[str, Any],
        leased: list[tuple[Part, Versioned]],
    ) -> None:
        strategy = parts[0].unit.target.strategy
        if staged is None and not existing:
            return  # nothing to insert, and no table to delete from
        if staged is not None:
            columns = [n for n, _t in staged.columns]
            data = [c for c in staged.columns if c[0] != MANIFEST_COLUMN]
            new = self._schema_changes(parts, data, existing)
            context = {**context, "columns": columns, "typed_columns": [list(c) for c in staged.columns]}
            if not existing:
                self.execute("create_target", **context)
            for name, kind in new:
                self._add_column(parts, name, kind, context)
            if new:
                self.checkpoint("evolved")
        for start in range(0, len(parts), MAX_PARTITIONS):
            chunk = parts[start : start + MAX_PARTITIONS]
            self._still_ours(leased[start : start + MAX_PARTITIONS])
            ctx = {
                **context,
                "partition_keys": [p.unit.partition.key for p in chunk],
                "partitions": [list(p.unit.partition.items) for p in chunk],
                "manifest_ids": sorted({i for p in chunk for m in p.pending for i in manifest_ids(m)}),
            }
            if strategy is Strategy.REPLACE:
                self.execute("delete_partition", **ctx)
                if staged is not None:
                    self.execute("insert", dedupe=False, **ctx)
            elif staged is None:
                continue
            elif strategy is Strategy.MERGE:
                self.execute("merge" if existing else "insert", dedupe=True, **ctx)
            else:
                self.execute("delete_manifests", **ctx)
                self.execute("insert", dedupe=False, **ctx)

    def _target_columns(self, context: dict[str, Any]) -> list[tuple[str, str | None]]:
        """The target's (name, type); a type sqlglot cannot read as Athena's is unknown (None)
        and not compared."""
        found = []
        for row in self.execute("target_columns", **context):
            kind = str(row[1]) if len(row) > 1 and row[1] is not None else None
            try:
                parse(kind or "", "athena")
            except ValueError:
                kind = None
            found.append((str(row[0]), kind))
        return found

    def _add_column(self, parts: list[Part], name: str, kind: str, context: dict[str, Any]) -> None:
        """``ALTER TABLE … ADD COLUMNS`` commits on its own, before any data statement: a
        crash after it leaves a column that reads NULL, which the retry finds and keeps. A
        loader of another partition may add the column first; Athena then refuses ours and
        the column as it now is gets the check any existing column gets."""
        try:
            self.execute("add_column", column=name, column_type=kind, **context)
        except LoaderError:
            now = [c for c in self._target_columns(context) if c[0].lower() == name.lower()]
            if not now:
                raise
            self._schema_changes(parts, [(name, kind)], now)

    def _schema_changes(
        self, parts: Sequence[Part], staged: Sequence[tuple[str, str | None]], existing: Sequence[Sequence[Any]]
    ) -> list[tuple[str, str]]:
        return columns_to_add(self.capabilities, parts, staged, existing, TEXT_TYPE)

    def _still_ours(self, leased: Sequence[tuple[Part, Versioned]]) -> None:
        """Fencing: run a chunk's statements only while its state is what our lease wrote."""
        for part, state in leased:
            if not self.partitions.holds(state, part.unit):
                raise TransientError(f"{part.unit.partition.key}: the lease was taken over; statements not run")

    # -- staging: Parquet under a prefix, an external table over it --------------------------

    def _stage(self, parts: list[Part], context: dict[str, Any], existing: list[tuple[str, str | None]]) -> Staged:
        def write() -> list[Any]:
            changes = lambda c: self._schema_changes(parts, c, existing)  # noqa: E731
            return [write_stage(self.store, self.s3, parts, context, self.batch_rows, changes)]

        written = self.client.ask("write_stage", context, write)
        # compile: the answers say what the files hold
        columns, counts = written[0] if written else described(lambda q: self.client.ask(q, context, list), context)
        self.execute("create_stage", typed_columns=[list(c) for c in columns], **context)
        return Staged(tuple(columns), counts)

    def _clean(self, context: dict[str, Any]) -> None:
        try:
            self.execute("drop_stage", **context)
            self.client.effect(lambda: delete_stage_files(self.s3, context["stage_location"]))
        except Exception:
            log.warning("sink=%s could not drop staging %s", self.name, context["stage"], exc_info=True)


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0).isoformat()


def _iso(now: datetime | str) -> str:
    """``loaded_at`` from the clock, which is a string already unless a recording passed a datetime."""
    return now if isinstance(now, str) else now.isoformat()
