"""A SQL sink's load state read and reset: the partitions, manifests and schemas tables.

Reads create nothing: a database never loaded into has no state tables, and is read as
holding nothing (:meth:`StateReads._readable`). Only what writes (a load, a failure, a
reset) creates them (:meth:`StateReads.ensure_state`). Manifests recorded by absolute
URL (state written before manifests were known by their keys) are read as their keys.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from manifests import Partition
from manifests.store import ObjectStore
from sinks.base import PartitionState, ResetResult, SchemaSeen, Snapshot
from sinks.sql.client import SqlClient
from sinks.sql.recording import STATE_TABLES

#: the state tables' creation, in order (each CREATE … IF NOT EXISTS: a database that has
#: some of them, from an older version, gets the rest)
STATE_STEPS = ("state_schema", "state_partitions", "state_manifests", "state_schemas")


class StateReads:
    """The state half of :class:`~sinks.sql.transaction.SqlSink` (which supplies what is
    declared here)."""

    store: ObjectStore
    client: SqlClient
    clock: Callable[[], Any]
    _state_ready: bool

    def execute(self, step: str, **context: Any) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def exclusive(self) -> contextlib.AbstractContextManager[None]:
        raise NotImplementedError

    def transaction(self, context: dict[str, Any]) -> contextlib.AbstractContextManager[None]:
        raise NotImplementedError

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
        if self.client.ask("database_missing", {}, lambda: [] if self._database_exists() else [(True,)]):
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
            k: Snapshot(status=s, error=e, applied=frozenset(a), attempts=n, attempted_at=naive(at))
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
                loaded_at=naive(r[8]),
                attempted_at=naive(r[9]),
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
            self._forget(dataset, partition, forget)
        return result

    def _forget(self, dataset: str, partition: Partition, forget: bool) -> None:
        """The failed attempt cleared; with ``forget``, the partition's manifests and row gone."""
        context = {"dataset": dataset, "partition_keys": [partition.key], "load_id": "reset", "now": self.clock()}
        if not forget:
            self.execute("clear_failure", **context)
            return
        with self.transaction(context):
            self.execute("lock", **context)
            self.execute("forget_manifests", forget_urls=None, **context)
            self.execute("forget_partition", **context)

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
        return self.store.identity_of(recorded) if "://" in recorded else recorded


def now() -> datetime:
    """The state's clock: naive UTC, to the second."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def state_names(schema: str) -> dict[str, Any]:
    """The state tables' names (in ``schema``), which every template of a sink may use."""
    return {
        "partitions_table": (schema, "partitions"),
        "manifests_table": (schema, "manifests"),
        "schemas_table": (schema, "schemas"),
        "state_schema": schema,
    }


def naive(value: Any) -> Any:
    """A time the state holds, as naive UTC (engines hand back aware or naive values)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


__all__ = ["STATE_STEPS", "STATE_TABLES", "StateReads", "naive", "now", "state_names"]
