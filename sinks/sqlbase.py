"""The load transaction shared by every SQL sink.

    stage   copy the unit's files into a staging table named for this attempt
    BEGIN
    lock    write the partition's state row (serialises concurrent loads of it)
    check   drop manifests already applied; skip when nothing changed
    apply   append | merge on keys | delete the partition + insert
    record  the applied manifest versions and the partition's row
    COMMIT
    clean   drop staging

Data and state commit together or not at all. A subclass supplies a connection
(``_query``), staging (``stage``) and its capabilities; everything else, and every
statement, comes from templates. ``checkpoint`` is called at each step boundary so that
tests can crash a load exactly there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from manifests import (
    DuplicateFileError,
    Entry,
    LoaderError,
    Manifest,
    NullKeyError,
    Partition,
    RecordCountError,
    SchemaMismatchError,
    TerminalError,
    TransientError,
    UnsupportedError,
)
from manifests.check import unique_files
from manifests.secrets import error_text, redact
from manifests.store import ObjectStore
from sinks.base import (
    Capabilities,
    LoadResult,
    LoadUnit,
    PartitionState,
    ResetResult,
    SchemaSeen,
    Snapshot,
    Strategy,
    Target,
)
from sinks.columntypes import fits
from sinks.options import SqlOptions
from sinks.templates import Templates, split_table

log = logging.getLogger("loaders.sql")

FILE_COLUMN = "_loaders_file"
#: the formats whose files may hold no rows at all (a CSV of zero bytes has not even a header)
TEXT_FORMATS = ("csv", "jsonl")
#: the state tables' creation, in order (each CREATE … IF NOT EXISTS: a database that has
#: some of them, from an older version, gets the rest)
STATE_STEPS = ("state_schema", "state_partitions", "state_manifests", "state_schemas")
STATE_TABLES = ("partitions", "manifests", "schemas")
ALREADY = "already loaded: every manifest version is applied"


#: What a recorded statement "returns" when compiling: given the step and its context.
Answer = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]


@dataclass(frozen=True)
class Recorded:
    """One statement a load would run, in order (``loaders compile``)."""

    step: str
    sql: str
    template: str


@dataclass(frozen=True)
class Staged:
    """What staging found: the columns (name, type) and rows per engine path."""

    columns: tuple[tuple[str, str], ...]
    rows_by_path: Mapping[str, int]


@dataclass(frozen=True)
class Part:
    """One unit's share of a load: the manifests its partition still needs."""

    unit: LoadUnit
    pending: tuple[Manifest, ...]

    @property
    def entries(self) -> tuple[Entry, ...]:
        """The files to read (:func:`holds_rows`)."""
        return tuple(e for m in self.pending for e in m.entries if holds_rows(e, self.unit.target.format))


def holds_rows(entry: Entry, fmt: str) -> bool:
    """Whether a file is read at all. A CSV or JSON-lines file of zero bytes holds no rows
    and no columns: every sink skips it, as it would a manifest without entries, where
    the readers would disagree (DuckDB invents a column for an empty CSV and refuses an
    empty JSON-lines file; pyarrow refuses an empty CSV). A CSV with only its header is
    read, and gives zero rows everywhere."""
    return not (fmt in TEXT_FORMATS and entry.content_length == 0)


class _ChangedUnderUs(Exception):
    """Another load applied some of our manifests between the pre-check and the lock."""


class SqlSink:
    """Base of every SQL sink: templates, one ``execute``, the load transaction."""

    capabilities: ClassVar[Capabilities]
    default_schema: ClassVar[str] = "public"
    #: the type a new column gets when the data has only nulls in it (Arrow's null type)
    text_type: ClassVar[str] = "VARCHAR"
    #: steps a dialect runs as several statements (templates), in order
    statements: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    #: the options this sink type reads (sinks/options.py), checked once when it is made
    options_class: ClassVar[type[SqlOptions]] = SqlOptions
    #: folders of the sink's own templates (``<folder>/<dialect>/<step>.sql``), searched
    #: after the project's and before the shipped ``sql/``: a sink installed as a package
    #: of its own keeps its templates in it
    template_folders: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, name: str, options: Mapping[str, Any], store: ObjectStore, project_dir: str | None = None
    ) -> None:
        self.name = name
        self.options = options
        self.sink_options = self.options_class.read(name, options)
        self.store = store
        project = f"{project_dir}/sql" if project_dir else None
        self.templates = Templates(self.capabilities.dialect, project, self.template_folders)
        schema = self.sink_options.state_schema
        self.state = {
            "partitions_table": (schema, "partitions"),
            "manifests_table": (schema, "manifests"),
            "schemas_table": (schema, "schemas"),
        }
        self.state_schema = schema
        self._state_ready = False
        self._legacy_keys = False  # the state holds manifests by absolute URL (see _manifest_key)
        #: datasets whose state rows this process has seen rewritten as keys (committed)
        self._keys_migrated: set[str] = set()
        self._recording: tuple[list[Recorded], Answer] | None = None
        self.clock: Callable[[], Any] = _now

    # -- hooks for subclasses ---------------------------------------------------------

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _translate(self, exc: Exception, step: str) -> LoaderError:
        return TerminalError(f"{self.name}: step {step} failed: {exc}")

    def stage(self, parts: Sequence[Part], context: dict[str, Any]) -> Staged:
        """Make the parts' files readable as one relation named ``context["stage"]``."""
        raise NotImplementedError

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Held for a whole load; a sink that cannot run loads concurrently locks here."""
        yield

    def checkpoint(self, step: str) -> None:
        """Called after stage, lock, apply and record; a crash test raises here."""

    def close(self) -> None:
        """Release the connection."""

    # -- one execute for every statement ----------------------------------------------

    def render(self, step: str, **context: Any) -> str:
        return self.templates.render(step, **self.state, state_schema=self.state_schema, **context)

    def execute(self, step: str, **context: Any) -> list[tuple[Any, ...]]:
        """Run ``step``: its statements (:attr:`statements`) in order; the last one's rows."""
        rows: list[tuple[Any, ...]] = []
        for statement in self.statements.get(step, (step,)):
            rows = self._execute_one(statement, context)
        return rows

    def _execute_one(self, step: str, context: dict[str, Any]) -> list[tuple[Any, ...]]:
        sql = self.render(step, **context)
        if self._recording is not None:
            kept, answer = self._recording
            kept.append(Recorded(step, sql, self.templates.source(step)))
            return answer(step, context)
        log.debug("sink=%s load_id=%s step=%s\n%s", self.name, context.get("load_id", "-"), step, redact(sql))
        try:
            return self._query(sql)
        except LoaderError:
            raise
        except Exception as exc:
            raise self._translate(exc, step) from exc

    def target_columns(self, context: dict[str, Any]) -> list[tuple[Any, ...]]:
        """The target's (name, type) columns, as the load sees them inside its transaction;
        none when it does not exist. A sink whose first loads race on creating it, or that
        read the columns while staging, extends this."""
        return self.execute("target_columns", **context)

    @contextlib.contextmanager
    def recording(self, answer: Answer, clock: Callable[[], Any]) -> Iterator[list[Recorded]]:
        """Render instead of run: every statement is kept, in order, and answered by
        ``answer`` instead of the engine, so the load logic itself decides what is
        compiled. No connection is opened; ``clock`` stands in for the time."""
        kept: list[Recorded] = []
        saved = self._recording, self.clock, self._state_ready, self._legacy_keys
        self._recording, self.clock, self._state_ready, self._legacy_keys = (kept, answer), clock, False, False
        try:
            yield kept
        finally:
            self._recording, self.clock, self._state_ready, self._legacy_keys = saved

    # -- state --------------------------------------------------------------------------

    def ensure_state(self) -> None:
        """Create the state tables once; a read first, because DDL costs a commit. Only
        what writes (a load, a failure, a reset) calls this: reads create nothing."""
        if not self._state_ready:
            if len(self.execute("state_tables")) < len(STATE_TABLES):
                for step in STATE_STEPS:
                    self.execute(step)
            self._state_ready = True

    def _database_exists(self) -> bool:
        """Whether the database itself is there, asked without creating it; an embedded
        engine whose file is missing says no here, before connecting creates the file."""
        return True

    def _state_tables(self) -> set[str]:
        """The state tables that exist (lower-case names), asked without creating any."""
        if self._state_ready:
            return set(STATE_TABLES)
        if self._recording is None and not self._database_exists():
            return set()
        found = {str(row[0]).lower() for row in self.execute("state_tables")}
        self._state_ready = found >= set(STATE_TABLES)
        return found

    def _readable(self, *tables: str) -> bool:
        """Whether the state (its partitions and manifests, and ``tables``) can be read: a
        database never loaded into has none, and is then read as holding nothing."""
        return {"partitions", "manifests", *tables} <= self._state_tables()

    def has_state(self) -> bool:
        with self.exclusive():
            return self._readable()

    def applied(self, dataset: str, partition: Partition) -> set[tuple[str, str]]:
        with self.exclusive():
            if not self._readable():
                return set()
            found = self._applied_now({"dataset": dataset, "partition_keys": [partition.key]})
        return found.get(partition.key, set())

    def snapshot(self, dataset: str, partitions: Sequence[Partition]) -> dict[str, Snapshot]:
        if not partitions:
            return {}
        with self.exclusive():
            if not self._readable():
                return {}
            rows = self.execute("window_state", dataset=dataset, partition_keys=[p.key for p in partitions])
        found: dict[str, tuple[str, str | None, int, Any, set[tuple[str, str]]]] = {}
        for key, status, error, attempts, at, url, version in rows:
            entry = found.setdefault(str(key), (str(status), error, int(attempts or 0), at, set()))
            if url is not None:
                entry[4].add((self._manifest_key(str(url)), str(version)))
        return {
            k: Snapshot(status=s, error=e, applied=frozenset(a), attempts=n, attempted_at=_naive(at))
            for k, (s, e, n, at, a) in found.items()
        }

    def states(self, dataset: str | None = None) -> list[PartitionState]:
        with self.exclusive():
            if not self._readable():
                return []
            return self._states(dataset)

    def _states(self, dataset: str | None, partition_keys: Sequence[str] = ()) -> list[PartitionState]:
        rows = self.execute("states", dataset=dataset, partition_keys=list(partition_keys))
        return [
            PartitionState(
                dataset=r[0],
                partition=r[1],
                status=r[2],
                rows=int(r[3]),
                manifests=int(r[4]),
                attempts=int(r[5]),
                last_error=r[6],
                load_id=r[7],
                loaded_at=_naive(r[8]),
                attempted_at=_naive(r[9]),
            )
            for r in rows
        ]

    def schemas(self, dataset: str | None = None) -> list[SchemaSeen]:
        """The writer-schema fingerprints each dataset's table holds data of, first seen first."""
        with self.exclusive():
            if not self._readable("schemas"):
                return []
            rows = self.execute("schemas", dataset=dataset)
        return [SchemaSeen(str(d), str(f), str(p), str(i), t) for d, f, p, i, t in rows]

    def reset(self, dataset: str, partition: Partition, *, forget: bool, dry_run: bool = False) -> ResetResult:
        """Clear the partition's failed attempt (one UPDATE); with ``forget``, delete its
        applied manifests and its state row in one transaction under the partition's lock,
        so the next run loads every manifest it has. The target's rows stay as they are."""
        with self.exclusive():
            found = self._states(dataset, [partition.key]) if self._readable() else []
            if not found:
                return ResetResult(dataset, partition.key, found=False)
            state = found[0]
            result = ResetResult(
                dataset,
                partition.key,
                found=True,
                failure_cleared=state.failed,
                manifests_forgotten=state.manifests if forget else 0,
                rows_forgotten=state.rows if forget else 0,
            )
            if dry_run or not (forget or state.failed):
                return result
            context = {
                "dataset": dataset,
                "partition_keys": [partition.key],
                "load_id": "reset",
                "now": self.clock(),
            }
            if not forget:
                self.execute("clear_failure", **context)
                return result
            with self.transaction(context):
                self.execute("lock", **context)
                self.execute("forget_manifests", forget_urls=None, **context)
                self.execute("forget_partition", **context)
        return result

    # -- the load transaction -----------------------------------------------------------

    def load(self, unit: LoadUnit) -> LoadResult:
        return self.load_many([unit])[0]

    def load_many(self, units: Sequence[LoadUnit]) -> list[LoadResult]:
        """Load several partitions of one dataset in one transaction (see Capabilities)."""
        if not units:
            return []
        if len(units) > 1 and not self.capabilities.batch_partitions:
            raise UnsupportedError(
                f"sink {self.name} loads one partition per transaction (capabilities.batch_partitions is off)"
            )
        target = units[0].target
        if any(u.target != target for u in units) or len({u.partition for u in units}) != len(units):
            raise ValueError("load_many takes one unit per partition of a single dataset")
        units = keyed(units, self.store)
        check_unique_files(units)
        if target.format not in self.capabilities.formats:
            raise UnsupportedError(f"sink {self.name} cannot load format {target.format!r} yet")
        context = self._context(units)
        with self.exclusive():
            self.ensure_state()
            for _attempt in range(3):
                seen, failed = self._state_now(context)
                parts = [Part(u, p) for u in units if (p := self._pending(u, seen.get(u.partition.key, set())))]
                if not parts:
                    break
                try:
                    loaded = {r.partition: r for r in self._load(parts, seen, context)}
                except _ChangedUnderUs:
                    continue
                self._clear_failures(context, failed - {p.key for p in loaded})
                return [loaded.get(u.partition) or self._skipped(u, ALREADY) for u in units]
            else:
                keys = ", ".join(u.partition.key for u in units)
                raise TransientError(f"{target.dataset} {keys}: concurrent loads kept changing the state; retry")
            self._clear_failures(context, failed)
        return [self._skipped(u, ALREADY) for u in units]

    def _clear_failures(self, context: dict[str, Any], keys: Iterable[str]) -> None:
        """Partitions that needed nothing had a successful attempt all the same: a failed
        one is failed no more. Only those the state says failed are written, so a duplicate
        delivery of a healthy partition still writes nothing."""
        if keys := sorted(keys):
            self.execute("clear_failure", **{**context, "partition_keys": keys})

    def fail(self, dataset: str, partition: Partition, load_id: str, error: BaseException) -> None:
        """Record a failed attempt: status, attempts and error only; data and the applied
        manifests stay as they were."""
        context = {
            "dataset": dataset,
            "partition_key": partition.key,
            "partition_keys": [partition.key],
            "load_id": load_id,
            "now": self.clock(),
            "error": error_text(error),
        }
        several = len(self.statements.get("record_failure", ())) > 1  # they commit together
        with self.exclusive():
            self.ensure_state()
            with self.transaction(context) if several else contextlib.nullcontext():
                self.execute("record_failure", **context)

    @contextlib.contextmanager
    def transaction(self, context: dict[str, Any]) -> Iterator[None]:
        """BEGIN, the block, COMMIT; anything raised (a crash test's too) rolls back."""
        self.execute("begin", **context)
        try:
            yield
            self.execute("commit", **context)
        except BaseException:
            self._rollback(context)
            raise

    def _load(
        self, parts: list[Part], seen: dict[str, set[tuple[str, str]]], context: dict[str, Any]
    ) -> list[LoadResult]:
        context = {
            **context,
            "partition_keys": [p.unit.partition.key for p in parts],
            "partitions": [list(p.unit.partition.items) for p in parts],
        }
        staging = any(p.entries for p in parts)
        try:
            try:
                staged = self.stage(parts, context) if staging else None
            except LoaderError as exc:
                raise self._blame(exc, parts) from exc
            rows = self._rows_per_manifest(parts, staged)
            merging = staged is not None and parts[0].unit.target.strategy is Strategy.MERGE
            dedupe = self.check_keys(parts, staged.columns, context) if staged and merging else False
            prepared = None if self.capabilities.ddl_in_transaction else self._prepare_target(parts, staged, context)
            self.checkpoint("staged")
            with self.transaction(context):
                self.execute("lock", **context)
                self.checkpoint("locked")
                if self.capabilities.concurrent_loads:  # else the pre-check ran under our lock
                    now = self._applied_now(context)
                    if any(now.get(k, set()) != seen.get(k, set()) for k in context["partition_keys"]):
                        raise _ChangedUnderUs
                self._apply(parts, staged, context, prepared, dedupe)
                self.checkpoint("applied")
                self._record(parts, rows, context)
                self.checkpoint("recorded")
            if self._recording is None:
                self._keys_migrated.add(context["dataset"])
        finally:
            if staging:  # also after staging failed halfway: drop_stage is DROP … IF EXISTS
                self._drop_stage(context)
        return [self._result(p, rows) for p in parts]

    def _result(self, part: Part, rows: dict[tuple[str, str], int]) -> LoadResult:
        unit = part.unit
        if not part.entries and unit.target.strategy is not Strategy.REPLACE:
            return self._skipped(unit, "empty manifest: recorded as applied, nothing to load")
        return LoadResult(
            dataset=unit.target.dataset,
            partition=unit.partition,
            action="loaded",
            rows=sum(rows[m.identity] for m in part.pending),
            manifests=len(part.pending),
            reason=f"{len(part.pending)} manifest(s), {len(part.entries)} file(s)",
        )

    def _blame(self, exc: LoaderError, parts: list[Part]) -> LoaderError:
        """Name the manifest and file an engine error is about (engines name only paths)."""
        if exc.manifest:
            return exc
        text = str(exc)
        pending = [m for p in parts for m in p.pending]
        for manifest in pending:
            for entry in manifest.entries:
                if self.store.engine_path(entry.url) in text:
                    return type(exc)(exc.reason, manifest=manifest.url, file=entry.url)
        if len(pending) == 1:
            return type(exc)(exc.reason, manifest=pending[0].url)
        return exc

    def _context(self, units: Sequence[LoadUnit]) -> dict[str, Any]:
        target = units[0].target
        table = split_table(target.table)
        load_id = units[0].load_id
        return {
            "dataset": target.dataset,
            "partition_keys": [u.partition.key for u in units],
            "load_id": load_id,
            "now": self.clock(),
            "target": table,
            "target_schema": table[-2] if len(table) > 1 else self.default_schema,
            "target_schema_path": table[:-1],
            "target_name": table[-1],
            "stage": f"_loaders_stage_{re.sub(r'[^0-9a-zA-Z]', '', load_id)}",
            "keys": list(target.keys),
            "order_by": target.order_by,
            "format": target.format,
            "column_types": list(target.column_types),
            "file_column": FILE_COLUMN,
        }

    def _applied_now(self, context: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
        """Applied (key, version) pairs per partition key, in one query for all partitions."""
        return self._state_now(context)[0]

    def _state_now(self, context: dict[str, Any]) -> tuple[dict[str, set[tuple[str, str]]], set[str]]:
        """Applied (key, version) pairs per partition key, and the keys of those whose
        last attempt failed: one query for all partitions."""
        applied: dict[str, set[tuple[str, str]]] = {}
        failed: set[str] = set()
        for key, url, version in self.execute("applied", **context):
            if url is None:
                failed.add(str(key))
            else:
                applied.setdefault(str(key), set()).add((self._manifest_key(str(url)), str(version)))
        return applied, failed

    def _manifest_key(self, recorded: str) -> str:
        """A recorded manifest as its key. State written by an older version holds
        absolute URLs: one under the store root is read as its key, and the next load
        rewrites the dataset's rows in that form (``migrate_keys``), so that a lake moved
        after that keeps its state."""
        if "://" in recorded:
            key = self.store.identity_of(recorded)
            if key != recorded:
                self._legacy_keys = True
                return key
        return recorded

    @staticmethod
    def _pending(unit: LoadUnit, applied: set[tuple[str, str]]) -> tuple[Manifest, ...]:
        if unit.force and unit.target.strategy is not Strategy.APPEND:
            return unit.manifests
        if unit.target.strategy is Strategy.REPLACE:
            return () if {m.identity for m in unit.manifests} == applied else unit.manifests
        return tuple(m for m in unit.manifests if m.identity not in applied)

    def _rows_per_manifest(self, parts: list[Part], staged: Staged | None) -> dict[tuple[str, str], int]:
        pending = [m for p in parts for m in p.pending]
        return rows_per_manifest(pending, staged.rows_by_path if staged else {}, self.store)

    def _prepare_target(
        self, parts: list[Part], staged: Staged | None, context: dict[str, Any]
    ) -> tuple[list[tuple[Any, ...]], bool]:
        """The target made ready for the staged columns: created when missing (keys checked
        first), the columns the data brings added, every type checked before anything is
        altered. Returns its columns and whether it was created now. Added columns are read
        back and checked again: ADD COLUMN IF NOT EXISTS keeps the type a concurrent load
        gave a column, and that type must fit too."""
        existing = self.target_columns(context)
        if staged is None:
            return existing, False
        if not existing:
            self._schema_changes(parts, staged.columns, [])  # never create a table without its keys
            columns = [(name, kind) for name, kind in staged.columns if name != FILE_COLUMN]
            if context["target_schema_path"]:
                self.execute("create_schema", **context)
            untyped = [name for name, kind in columns if kind.upper() == "NULL"]  # null in every row
            self.execute(
                "create_target",
                columns=[name for name, _kind in columns],
                untyped=untyped,
                text_type=self.text_type,
                **context,
            )
            return columns, True
        if added := self._schema_changes(parts, staged.columns, existing):
            for name, kind in added:
                self.execute("add_column", column=name, column_type=kind, **context)
            existing = self.target_columns(context)
            if missing := self._schema_changes(parts, staged.columns, existing):
                raise TransientError(f"{self.name}: column(s) {', '.join(n for n, _t in missing)} not added; retry")
        return existing, False

    def _apply(
        self,
        parts: list[Part],
        staged: Staged | None,
        context: dict[str, Any],
        prepared: tuple[list[tuple[Any, ...]], bool] | None,
        dedupe: bool,
    ) -> None:
        """The data statements, after the target is prepared here or (``prepared``) before
        BEGIN; a merge de-duplicates the stage when ``dedupe`` (:meth:`check_keys`)."""
        strategy = parts[0].unit.target.strategy
        existing, created = prepared or self._prepare_target(parts, staged, context)
        # no file, or no row in any (a header-only CSV): nothing to insert or merge; the
        # stage's columns may not even compare with the target's (text sniffed from a
        # header alone beside a BIGINT key). Compiling shows the statements of rows.
        if staged is None or (self._recording is None and not any(staged.rows_by_path.values())):
            if strategy is Strategy.REPLACE and existing:
                self.execute("delete_partition", **context)
            return
        context = {**context, "columns": [name for name, _type in staged.columns if name != FILE_COLUMN]}
        if strategy is Strategy.REPLACE:
            self.execute("delete_partition", **context)
            self.execute("insert", dedupe=False, **context)
        elif strategy is Strategy.MERGE:
            # into a table new in this transaction nothing can match; one made before BEGIN
            # another load may have filled meanwhile
            fresh = created and self.capabilities.ddl_in_transaction
            self.execute("insert" if fresh else "merge", dedupe=dedupe, **context)
        else:
            self.execute("insert", dedupe=False, **context)

    def check_keys(self, parts: Sequence[Part], staged: Sequence[tuple[str, str]], context: dict[str, Any]) -> bool:
        """Before a merge applies anything (DDL too): the key columns must be among the
        ``staged`` columns (SchemaMismatchError), no staged row may have a NULL in one
        (:func:`refuse_null_keys`); returns whether the stage must be de-duplicated. One
        aggregate (``duplicate_keys``) answers both: whether a key repeats, and how many
        rows are NULL in each key column. Asking beats ranking every row (2M staged rows on
        PostgreSQL here: asking took 1.0 s and saved 1.4 s on the insert, 2.0 s on the
        merge; with duplicates, it is 1.0 s spent). Compiling, the recording answers that
        keys repeat and none is NULL (so the de-duplicating statement shows)."""
        schema_changes(self.capabilities, parts, staged, [])  # the keys are there to count
        keys = list(context["keys"])
        [(found, *nulls)] = self.execute("duplicate_keys", **context) or [(True, *[0] * len(keys))]
        refuse_null_keys(zip(keys, (int(n or 0) for n in nulls), strict=True), [m for p in parts for m in p.pending])
        return bool(found)

    def _schema_changes(
        self,
        parts: Sequence[Part],
        staged: Sequence[tuple[str, str | None]],
        existing: Sequence[Sequence[Any]],
    ) -> list[tuple[str, str]]:
        """:func:`schema_changes` under this sink's capabilities, against the target as
        ``target_columns`` returns it (name, and type where the engine gives one); a
        column to add that is null in every row so far gets :attr:`text_type`."""
        known = [(str(r[0]), str(r[1]) if len(r) > 1 and r[1] is not None else None) for r in existing]
        added = schema_changes(self.capabilities, parts, staged, known)
        return [(name, self.text_type if kind.upper() == "NULL" else kind) for name, kind in added]

    def _record(self, parts: list[Part], rows: dict[tuple[str, str], int], context: dict[str, Any]) -> None:
        # state written before manifests were known by their keys is rewritten first (so
        # that forgetting and recording below see one form), once per dataset and process;
        # compiling shows it only where the recorded state holds such rows (state_upgrade/)
        migrate = self._legacy_keys if self._recording is not None else context["dataset"] not in self._keys_migrated
        if migrate:
            for root in self.store.roots:
                self.execute("migrate_keys", root=root, **context)
        if parts[0].unit.target.strategy is Strategy.REPLACE:
            self.execute("forget_manifests", forget_urls=None, **context)
        elif any(p.unit.force for p in parts):  # re-applied versions are recorded anew
            urls = sorted({m.identity[0] for p in parts for m in p.pending})
            self.execute("forget_manifests", forget_urls=urls, **context)
        manifests = [
            {"partition_key": p.unit.partition.key, "url": key, "version": version, "rows": rows[(key, version)]}
            for p in parts
            for key, version in (m.identity for m in p.pending)
        ]
        self.execute("record_manifests", manifests=manifests, **context)
        first_seen: dict[str, str] = {}  # fingerprint → the first partition that has it
        for p in parts:
            for fingerprint in (f for m in p.pending for f in m.schemas):
                first_seen.setdefault(fingerprint, p.unit.partition.key)
        if first_seen:
            self.execute("record_schemas", schemas=sorted(first_seen.items()), **context)
        self.execute("record_partition", **context)

    def _rollback(self, context: dict[str, Any]) -> None:
        try:
            self.execute("rollback", **context)
        except Exception:  # the connection may be gone; the engine rolls back anyway
            log.warning("sink=%s load_id=%s rollback failed", self.name, context["load_id"], exc_info=True)

    def _drop_stage(self, context: dict[str, Any]) -> None:
        try:
            self.execute("drop_stage", **context)
        except Exception:
            log.warning("sink=%s could not drop staging %s", self.name, context["stage"], exc_info=True)

    def _skipped(self, unit: LoadUnit, reason: str) -> LoadResult:
        return LoadResult(dataset=unit.target.dataset, partition=unit.partition, action="skipped", reason=reason)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _naive(value: Any) -> Any:
    """A time the state holds, as naive UTC (engines hand back aware or naive values)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def schema_changes(
    capabilities: Capabilities,
    parts: Sequence[Part],
    staged: Sequence[tuple[str, str | None]],
    existing: Sequence[tuple[str, str | None]],
) -> list[tuple[str, str]]:
    """Check the staged columns (name, type) against the target's; the columns to add.
    Shared by every sink, SQL or not (the Athena Hive sink checks its Glue table with it).

    The keys and ``order_by`` must be there. Once the target exists, a column it lacks
    is added where the sink declares ``adds_columns`` (rows loaded before read null)
    and refused otherwise; where it adds columns, a column whose new type does not fit
    the table's safely (:func:`sinks.columntypes.fits`) is refused naming both types.
    A type of None is unknown and not compared. Nothing is executed here."""
    target = parts[0].unit.target
    pending = [m for p in parts for m in p.pending]
    where = pending[0].url if len(pending) == 1 else None
    lower = {name.lower() for name, _type in staged}
    absent = [c for c in merge_columns(target) if c.lower() not in lower]
    if absent:
        raise SchemaMismatchError(f"the staged data has no column {', '.join(absent)} (keys/order_by)", manifest=where)
    if not existing:
        return []
    known = {name.lower(): kind for name, kind in existing}
    adds = capabilities.adds_columns
    new = [(name, kind) for name, kind in staged if name != FILE_COLUMN and name.lower() not in known]
    if new and not adds:
        raise SchemaMismatchError(
            f"column(s) {', '.join(n for n, _t in new)} are not in table {target.table}", manifest=where
        )
    for name, kind in staged if adds else ():
        old = known.get(name.lower())
        if kind and old and not fits(kind, old, capabilities.dialect):
            raise SchemaMismatchError(
                f"column {name}: the table has {old.upper()} but the data has {kind.upper()},"
                " which does not fit safely",
                manifest=where,
            )
    untyped = [n for n, kind in new if not kind]
    if untyped:
        raise SchemaMismatchError(f"column(s) {', '.join(untyped)}: no type to add them with", manifest=where)
    return [(name, kind) for name, kind in new if kind]


def merge_columns(target: Target) -> tuple[str, ...]:
    """The columns every row of a merge needs: its keys and ``order_by``."""
    return (*target.keys, *([target.order_by] if target.order_by else []))


def require_merge_columns(target: Target, manifest: str, file: str, names: Iterable[str]) -> None:
    """One file's own columns must hold the keys and ``order_by``. Checked per file,
    before anything is copied: the readers unite the columns of a load's files (DuckDB's
    ``union_by_name``, the unified Arrow schema), so a file without ``order_by`` beside
    one with it would be read as NULLs and merged (a NULL ``order_by`` never wins, a NULL
    key is one more row), where alone it is refused by :func:`schema_changes`."""
    lower = {name.lower() for name in names}
    absent = [c for c in merge_columns(target) if c.lower() not in lower]
    if absent:
        raise SchemaMismatchError(
            f"the file has no column {', '.join(absent)} (keys/order_by): every file of the load must have them",
            manifest=manifest,
            file=file,
        )


def refuse_null_keys(nulls: Iterable[tuple[str, int]], pending: Sequence[Manifest]) -> None:
    """A NullKeyError naming each key column with NULLs and how many rows (and the manifest,
    when the load has one), for rows to merge. A row whose key is NULL can never be matched
    again: compared with = (PostgreSQL, Redshift) it would be inserted anew by every
    re-merge, compared with IS NOT DISTINCT FROM (DuckDB, Snowflake, Athena) all such rows
    would be one key. Every sink refuses them instead, before anything is applied."""
    found = [(key, n) for key, n in nulls if n]
    if found:
        counts = ", ".join(f"{key} ({n} row{'s' if n != 1 else ''})" for key, n in found)
        raise NullKeyError(
            f"NULL in merge key column(s) {counts}: a row without its whole key can never be matched,"
            " so none is merged",
            manifest=pending[0].url if len(pending) == 1 else None,
        )


def rows_per_manifest(
    pending: Sequence[Manifest], rows_by_path: Mapping[str, int], store: ObjectStore
) -> dict[tuple[str, str], int]:
    """Rows per manifest version from the rows read per file (engine path), each file's
    ``record_count`` checked: a RecordCountError naming the manifest and the file."""
    rows: dict[tuple[str, str], int] = {}
    for manifest in pending:
        total = 0
        for entry in manifest.entries:
            got = rows_by_path.get(store.engine_path(entry.url), 0)
            if entry.record_count is not None and entry.record_count != got:
                raise RecordCountError(
                    f"record_count is {entry.record_count} but {got} rows were read",
                    manifest=manifest.url,
                    file=entry.url,
                )
            total += got
        rows[manifest.identity] = total
    return rows


def keyed(units: Sequence[LoadUnit], store: ObjectStore) -> list[LoadUnit]:
    """The units with each manifest known by its key relative to the store root (the
    runner sets it when it reads a manifest; a caller of a sink may not have)."""

    def key(m: Manifest) -> Manifest:
        return m if m.key else dataclasses.replace(m, key=store.identity_of(m.url))

    return [dataclasses.replace(u, manifests=tuple(key(m) for m in u.manifests)) for u in units]


def check_unique_files(units: Sequence[LoadUnit]) -> None:
    """Refuse units that name one data file twice (in one manifest, or in two manifests
    or partitions): its rows would be loaded twice. The runner refuses such loads before
    they reach a sink; this guards a sink called directly."""
    clashes = unique_files((u.partition.key, m) for u in units for m in u.manifests)
    if clashes:
        manifest, (message, file) = next(iter(sorted(clashes.items())))
        raise DuplicateFileError(message, manifest=manifest, file=file)
