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
(``_query``), staging (``stage``) and its capabilities; every statement comes from
templates, run by the sink's :class:`~sinks.sql.client.SqlClient`. ``checkpoint`` is
called at each step boundary so that tests can crash a load exactly there.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

from manifests import LoaderError, Partition, TerminalError, TransientError, UnsupportedError
from manifests.secrets import error_text
from manifests.store import ObjectStore
from sinks.base import Answer, Capabilities, CompileSample, LoadResult, LoadUnit, Strategy
from sinks.options import SqlOptions
from sinks.retrying import retrying
from sinks.rules import ALREADY, Part, blame, check_unique_files, keyed, loaded, pending_manifests, skipped
from sinks.sql.apply import ApplySteps, Staged
from sinks.sql.client import SqlClient
from sinks.sql.recording import Recorded, sample_answers
from sinks.sql.state import StateReads, now, state_names
from sinks.sql.templates import Templates, load_context

log = logging.getLogger("loaders.sql")

#: how many times a load tries when concurrent loads change the state under it
LOAD_ATTEMPTS = 3


class _ChangedUnderUs(Exception):
    """Another load applied some of our manifests between the pre-check and the lock."""


class SqlSink(ApplySteps, StateReads):
    """Base of every SQL sink: a client for its statements, its state, the load transaction."""

    capabilities: ClassVar[Capabilities]
    default_schema: ClassVar[str] = "public"
    #: the type a new column gets when the data has only nulls in it (Arrow's null type)
    text_type: ClassVar[str] = "VARCHAR"
    #: steps a dialect runs as several statements (templates), in order
    statements: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    #: the options this sink type reads (sinks/options.py), checked once when it is made
    options_class: ClassVar[type[SqlOptions]] = SqlOptions
    #: the templates of this dialect (a dialect may spell identifiers its own way)
    templates_class: ClassVar[type[Templates]] = Templates
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
        schema = self.sink_options.state_schema
        self.state_schema = schema
        project = f"{project_dir}/sql" if project_dir else None
        templates = self.templates_class(self.capabilities.dialect, project, self.template_folders)
        self.client = SqlClient(
            name,
            templates,
            state_names(schema),
            self.statements,
            lambda sql: self._query(sql),
            lambda exc, step: self._translate(exc, step),
            lambda step, **context: self.render(step, **context),
        )
        self._state_ready = False
        #: datasets whose state rows this process has seen rewritten as keys (committed)
        self._keys_migrated: set[str] = set()
        self.clock: Callable[[], Any] = now

    @property
    def templates(self) -> Templates:
        return self.client.templates

    @templates.setter
    def templates(self, templates: Templates) -> None:
        self.client.templates = templates

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

    # -- statements, through the client ------------------------------------------------

    def render(self, step: str, **context: Any) -> str:
        return self.client.render(step, **context)

    def execute(self, step: str, **context: Any) -> list[tuple[Any, ...]]:
        """Run ``step``: its statements (:attr:`statements`) in order; the last one's rows."""
        return self.client.execute(step, context)

    def target_columns(self, context: dict[str, Any]) -> list[tuple[Any, ...]]:
        """The target's (name, type) columns, as the load sees them inside its transaction;
        none when it does not exist. A sink whose first loads race on creating it, or that
        read the columns while staging, extends this."""
        return self.execute("target_columns", **context)

    @contextlib.contextmanager
    def recording(self, answer: Answer, clock: Callable[[], Any]) -> Iterator[list[Recorded]]:
        """Render instead of run (``loaders compile``): the client's port is the recorder,
        so every statement is kept, in order, and answered by ``answer`` instead of the
        engine, and the load logic itself decides what is compiled. No connection is
        opened; ``clock`` stands in for the time."""
        saved = self.clock, self._state_ready
        self.clock, self._state_ready = clock, False
        try:
            with self.client.recording(answer) as kept:
                yield kept
        finally:
            self.clock, self._state_ready = saved

    def sample_answers(self, sample: CompileSample) -> Answer:
        """What the engine answers a recorded load (:func:`sinks.sql.recording.sample_answers`)."""
        return sample_answers(sample)

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
            try:
                for attempt in retrying(_ChangedUnderUs, LOAD_ATTEMPTS):
                    with attempt:
                        return self._attempt(units, context)
            except _ChangedUnderUs:
                keys = ", ".join(u.partition.key for u in units)
                changing = "concurrent loads kept changing the state; retry"
                raise TransientError(f"{target.dataset} {keys}: {changing}") from None
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _attempt(self, units: Sequence[LoadUnit], context: dict[str, Any]) -> list[LoadResult]:
        """One try: the pending manifests per partition, then their load (when the state
        changed between the check and the lock, :class:`_ChangedUnderUs`)."""
        seen, failed = self._state_now(context)
        parts = [Part(u, p) for u in units if (p := pending_manifests(u, seen.get(u.partition.key, set())))]
        if not parts:
            self._clear_failures(context, failed)
            return [self._skipped(u, ALREADY) for u in units]
        loaded = {r.partition: r for r in self._load(parts, seen, context)}
        self._clear_failures(context, failed - {p.key for p in loaded})
        return [loaded.get(u.partition) or self._skipped(u, ALREADY) for u in units]

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
            self.client.effect(lambda: self._keys_migrated.add(context["dataset"]))
        finally:
            if staging:  # also after staging failed halfway: drop_stage is DROP … IF EXISTS
                self._drop_stage(context)
        return [self._result(p, rows) for p in parts]

    def _result(self, part: Part, rows: dict[tuple[str, str], int]) -> LoadResult:
        return loaded(part, rows)

    def _blame(self, exc: LoaderError, parts: list[Part]) -> LoaderError:
        """Name the manifest and file an engine error is about (engines name only paths)."""
        return blame(exc, parts, self.store)

    def _context(self, units: Sequence[LoadUnit]) -> dict[str, Any]:
        return load_context(units, self.clock(), self.default_schema)

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
        return skipped(unit, reason)
