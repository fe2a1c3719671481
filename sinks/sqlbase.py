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
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from manifests import (
    Entry,
    LoaderError,
    Manifest,
    Partition,
    RecordCountError,
    SchemaMismatchError,
    TerminalError,
    UnsupportedError,
)
from manifests.store import ObjectStore
from sinks.base import Capabilities, LoadResult, LoadUnit, PartitionState, Strategy
from sinks.templates import Templates, split_table

log = logging.getLogger("loaders.sql")

FILE_COLUMN = "_loaders_file"
_SECRET = re.compile(r"(?i)(password|secret|token|credentials?|aws_secret_access_key)(\s*[=:]\s*)'[^']*'")


@dataclass(frozen=True)
class Staged:
    """What staging found: the columns (name, type) and rows per engine path."""

    columns: tuple[tuple[str, str], ...]
    rows_by_path: Mapping[str, int]


class _ChangedUnderUs(Exception):
    """Another load applied some of our manifests between the pre-check and the lock."""


class SqlSink:
    """Base of every SQL sink: templates, one ``execute``, the load transaction."""

    capabilities: ClassVar[Capabilities]
    default_schema: ClassVar[str] = "public"

    def __init__(
        self, name: str, options: Mapping[str, Any], store: ObjectStore, project_dir: str | None = None
    ) -> None:
        self.name = name
        self.options = options
        self.store = store
        self.templates = Templates(self.capabilities.dialect, f"{project_dir}/sql" if project_dir else None)
        schema = str(options.get("state_schema", "_loaders"))
        self.state = {"partitions_table": (schema, "partitions"), "manifests_table": (schema, "manifests")}
        self.state_schema = schema
        self._state_ready = False

    # -- hooks for subclasses ---------------------------------------------------------

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _translate(self, exc: Exception, step: str) -> LoaderError:
        return TerminalError(f"{self.name}: step {step} failed: {exc}")

    def stage(self, unit: LoadUnit, entries: Sequence[Entry], context: dict[str, Any]) -> Staged:
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
        sql = self.render(step, **context)
        log.debug("sink=%s load_id=%s step=%s\n%s", self.name, context.get("load_id", "-"), step, redact(sql))
        try:
            return self._query(sql)
        except LoaderError:
            raise
        except Exception as exc:
            raise self._translate(exc, step) from exc

    # -- state --------------------------------------------------------------------------

    def ensure_state(self) -> None:
        if not self._state_ready:
            for step in ("state_schema", "state_partitions", "state_manifests"):
                self.execute(step)
            self._state_ready = True

    def applied(self, dataset: str, partition: Partition) -> set[tuple[str, str]]:
        with self.exclusive():
            self.ensure_state()
            rows = self.execute("applied", dataset=dataset, partition_key=partition.key)
        return {(str(u), str(v)) for u, v in rows}

    def states(self, dataset: str | None = None) -> list[PartitionState]:
        with self.exclusive():
            self.ensure_state()
            rows = self.execute("states", dataset=dataset)
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
                loaded_at=r[8],
            )
            for r in rows
        ]

    # -- the load transaction -----------------------------------------------------------

    def load(self, unit: LoadUnit) -> LoadResult:
        target = unit.target
        if target.format not in self.capabilities.formats:
            raise UnsupportedError(f"sink {self.name} cannot load format {target.format!r} yet")
        context = self._context(unit)
        with self.exclusive():
            self.ensure_state()
            for _attempt in range(3):
                pending = self._pending(unit, self._applied_now(context))
                if not pending:
                    return self._skipped(unit, "already loaded: every manifest version is applied")
                try:
                    return self._load(unit, pending, context)
                except _ChangedUnderUs:
                    continue
            return self._skipped(unit, "another load kept changing this partition; left for the next run")

    def fail(self, dataset: str, partition: Partition, load_id: str, error: BaseException) -> None:
        """Record a failed attempt: status, attempts and error only; data and the applied
        manifests stay as they were."""
        message = f"{type(error).__name__}: {error}"[:2000]
        context = {"dataset": dataset, "partition_key": partition.key, "load_id": load_id, "now": _now()}
        with self.exclusive():
            self.ensure_state()
            self.execute("record_failure", error=message, **context)

    def _load(self, unit: LoadUnit, pending: tuple[Manifest, ...], context: dict[str, Any]) -> LoadResult:
        entries = [e for m in pending for e in m.entries]
        try:
            staged = self.stage(unit, entries, context) if entries else None
        except LoaderError as exc:
            raise self._blame(exc, pending) from exc
        try:
            rows = self._rows_per_manifest(pending, staged)
            self.checkpoint("staged")
            self.execute("begin", **context)
            try:
                self.execute("lock", **context)
                self.checkpoint("locked")
                applied = self._applied_now(context)
                if unit.target.strategy is Strategy.REPLACE:
                    if applied == {m.identity for m in unit.manifests}:
                        self.execute("rollback", **context)
                        return self._skipped(unit, "already loaded: every manifest version is applied")
                elif applied & {m.identity for m in pending}:
                    raise _ChangedUnderUs
                self._apply(unit, staged, context)
                self.checkpoint("applied")
                self._record(unit, pending, rows, context)
                self.checkpoint("recorded")
                self.execute("commit", **context)
            except BaseException:
                self._rollback(context)
                raise
        finally:
            if staged is not None:
                self._drop_stage(context)
        total = sum(rows.values())
        if not entries and unit.target.strategy is not Strategy.REPLACE:
            return self._skipped(unit, "empty manifest: recorded as applied, nothing to load")
        return LoadResult(
            dataset=unit.target.dataset,
            partition=unit.partition,
            action="loaded",
            rows=total,
            manifests=len(pending),
            reason=f"{len(pending)} manifest(s), {len(entries)} file(s)",
        )

    def _blame(self, exc: LoaderError, pending: tuple[Manifest, ...]) -> LoaderError:
        """Name the manifest and file an engine error is about (engines name only paths)."""
        if exc.manifest:
            return exc
        text = str(exc)
        for manifest in pending:
            for entry in manifest.entries:
                if self.store.engine_path(entry.url) in text:
                    return type(exc)(exc.reason, manifest=manifest.url, file=entry.url)
        if len(pending) == 1:
            return type(exc)(exc.reason, manifest=pending[0].url)
        return exc

    def _context(self, unit: LoadUnit) -> dict[str, Any]:
        target = unit.target
        parts = split_table(target.table)
        schema = parts[-2] if len(parts) > 1 else self.default_schema
        return {
            "dataset": target.dataset,
            "partition_key": unit.partition.key,
            "partition": list(unit.partition.items),
            "load_id": unit.load_id,
            "now": _now(),
            "target": parts,
            "target_schema": schema,
            "target_schema_path": parts[:-1],
            "target_name": parts[-1],
            "stage": f"_loaders_stage_{re.sub(r'[^0-9a-zA-Z]', '', unit.load_id)}",
            "keys": list(target.keys),
            "order_by": target.order_by,
            "format": target.format,
            "file_column": FILE_COLUMN,
        }

    def _applied_now(self, context: dict[str, Any]) -> set[tuple[str, str]]:
        return {(str(u), str(v)) for u, v in self.execute("applied", **context)}

    @staticmethod
    def _pending(unit: LoadUnit, applied: set[tuple[str, str]]) -> tuple[Manifest, ...]:
        if unit.target.strategy is Strategy.REPLACE:
            return () if {m.identity for m in unit.manifests} == applied else unit.manifests
        return tuple(m for m in unit.manifests if m.identity not in applied)

    def _rows_per_manifest(self, pending: tuple[Manifest, ...], staged: Staged | None) -> dict[tuple[str, str], int]:
        counts = staged.rows_by_path if staged else {}
        rows: dict[tuple[str, str], int] = {}
        for manifest in pending:
            total = 0
            for entry in manifest.entries:
                got = counts.get(self.store.engine_path(entry.url), 0)
                if entry.record_count is not None and entry.record_count != got:
                    raise RecordCountError(
                        f"record_count is {entry.record_count} but {got} rows were staged",
                        manifest=manifest.url,
                        file=entry.url,
                    )
                total += got
            rows[manifest.identity] = total
        return rows

    def _apply(self, unit: LoadUnit, staged: Staged | None, context: dict[str, Any]) -> None:
        strategy = unit.target.strategy
        existing = self.execute("target_columns", **context)
        if staged is None:
            if strategy is Strategy.REPLACE and existing:
                self.execute("delete_partition", **context)
            return
        columns = [name for name, _type in staged.columns if name != FILE_COLUMN]
        self._check_columns(unit, columns, [str(r[0]) for r in existing])
        context = {**context, "columns": columns}
        if not existing:
            if context["target_schema_path"]:
                self.execute("create_schema", **context)
            self.execute("create_target", **context)
        if strategy is Strategy.REPLACE:
            self.execute("delete_partition", **context)
            self.execute("insert", **context)
        elif strategy is Strategy.MERGE:
            self.execute("merge", **context)
        else:
            self.execute("insert", **context)

    def _check_columns(self, unit: LoadUnit, staged: list[str], existing: list[str]) -> None:
        target = unit.target
        where = unit.manifests[0].url if len(unit.manifests) == 1 else None
        lower = {c.lower() for c in staged}
        needed = [*target.keys, *([target.order_by] if target.order_by else [])]
        absent = [c for c in needed if c.lower() not in lower]
        if absent:
            raise SchemaMismatchError(
                f"the staged data has no column {', '.join(absent)} (keys/order_by)", manifest=where
            )
        if existing:
            known = {c.lower() for c in existing}
            extra = [c for c in staged if c.lower() not in known]
            if extra:
                raise SchemaMismatchError(
                    f"column(s) {', '.join(extra)} are not in table {target.table}", manifest=where
                )

    def _record(
        self, unit: LoadUnit, pending: tuple[Manifest, ...], rows: dict[tuple[str, str], int], context: dict[str, Any]
    ) -> None:
        if unit.target.strategy is Strategy.REPLACE:
            self.execute("forget_manifests", **context)
        manifests = [{"url": m.url, "version": m.version, "rows": rows[m.identity]} for m in pending]
        self.execute("record_manifests", manifests=manifests, **context)
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
            log.warning("sink=%s could not drop staging table %s", self.name, context["stage"], exc_info=True)

    def _skipped(self, unit: LoadUnit, reason: str) -> LoadResult:
        return LoadResult(dataset=unit.target.dataset, partition=unit.partition, action="skipped", reason=reason)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def redact(sql: str) -> str:
    """Hide secrets (passwords, keys, tokens) before a statement reaches a log."""
    return _SECRET.sub(r"\1\2'***'", sql)
