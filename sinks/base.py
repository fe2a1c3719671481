"""The sink boundary: one small protocol, capabilities declared as data.

Callers choose behaviour from a sink's :class:`Capabilities`, never from its name. A
sink receives a :class:`LoadUnit` (what to load where) and returns a
:class:`LoadResult`; it owns the load state of the partitions it holds, so that the data
and the record of having loaded it commit together. Optional features are protocols of
their own at the end (:class:`SupersededPrefixes`, :class:`SchemaHistory`), checked with
``isinstance``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from manifests import Manifest, Partition

if TYPE_CHECKING:
    from sinks.sql.recording import Recorded


class Strategy(enum.StrEnum):
    """How a partition's manifests become rows in the target table.

    append   each manifest version is applied once; re-deliveries are no-ops.
    merge    upsert on ``keys``; the newest ``order_by`` wins, an older version arriving
             late never overwrites a newer one; the source is de-duplicated first.
    replace  the partition's rows become the union of all its manifests, re-read each
             time; naturally idempotent and the friendliest to lookback.
    """

    APPEND = "append"
    MERGE = "merge"
    REPLACE = "replace"


@dataclass(frozen=True)
class Capabilities:
    """What a sink can do; the runner and planner read these, not the sink's name."""

    dialect: str
    concurrent_loads: bool = True
    #: loads several partitions of a dataset in one transaction (``Sink.load_many``)
    batch_partitions: bool = False
    formats: tuple[str, ...] = ("parquet", "csv", "jsonl")
    #: adds a column that newer data brings to the target table (``add_column``) and
    #: refuses a type change that does not fit safely; otherwise a new column is refused
    adds_columns: bool = False
    #: DDL (a first load's CREATE TABLE, ADD COLUMN) runs inside the load's transaction;
    #: where DDL would commit an open transaction (Snowflake) it runs just before BEGIN
    ddl_in_transaction: bool = True


@dataclass(frozen=True)
class SchemaSeen:
    """A writer schema a dataset's table holds data of, and the load that first brought it."""

    dataset: str
    fingerprint: str
    partition: str
    load_id: str
    first_loaded_at: Any


@dataclass(frozen=True)
class Target:
    """The dataset as a sink needs to see it (a sink never imports the config)."""

    dataset: str
    table: str
    format: str
    strategy: Strategy
    partition_columns: tuple[str, ...]
    keys: tuple[str, ...] = ()
    order_by: str | None = None
    #: CSV column types declared in the dataset (name, canonical type: sinks.sql.columntypes)
    column_types: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class LoadUnit:
    """One (sink, dataset, partition) and the manifests to apply to it.

    ``force`` re-applies manifests already applied where that is idempotent (merge,
    replace); append never applies a manifest version twice.
    """

    target: Target
    partition: Partition
    manifests: tuple[Manifest, ...]
    load_id: str
    force: bool = False


@dataclass(frozen=True)
class LoadResult:
    """What happened to a unit; ``action`` is loaded, skipped or failed."""

    dataset: str
    partition: Partition
    action: str
    rows: int = 0
    manifests: int = 0
    reason: str = ""


@dataclass(frozen=True)
class PartitionState:
    """The recorded state of one partition in one sink: its data, and apart from it its
    last attempt.

    The data: ``manifests`` applied, ``rows`` staged from them, ``loaded_at`` (when they
    last changed; None: never loaded). The last attempt: ``status`` is ``loaded`` when it
    succeeded (a no-op that found everything applied included) and ``failed`` when it
    failed; ``attempts`` counts the failed attempts since the last success (0 after one),
    ``last_error`` says why the last one failed, ``attempted_at`` when it ran. A failed
    attempt never touches the data fields.
    """

    dataset: str
    partition: str
    status: str
    rows: int
    manifests: int
    attempts: int
    last_error: str | None
    load_id: str | None
    loaded_at: datetime | None
    attempted_at: datetime | None = None

    @property
    def failed(self) -> bool:
        """Whether the last attempt failed (and nothing has succeeded since)."""
        return self.status == "failed"

    @property
    def data(self) -> str:
        """``loaded`` when some manifest is applied (or a load completed), else ``missing``."""
        return "loaded" if self.manifests or self.loaded_at is not None else "missing"


@dataclass(frozen=True)
class Snapshot:
    """What a sink knows of one partition: the manifest versions applied, and its last
    attempt (``status`` ``failed`` or ``loaded``; failed ``attempts`` since the last
    success, the ``error``, when it ran: naive UTC)."""

    status: str
    error: str | None
    applied: frozenset[tuple[str, str]]
    attempts: int = 0
    attempted_at: datetime | None = None

    @property
    def failed(self) -> bool:
        return self.status == "failed"


@dataclass(frozen=True)
class ResetResult:
    """What ``Sink.reset`` changed in (or, dry, would change in) one partition's state."""

    dataset: str
    partition: str
    #: the partition had a state at all
    found: bool
    #: its last attempt was failed and is cleared (attempts back to 0, no error)
    failure_cleared: bool = False
    #: applied manifest versions forgotten (the next run loads them again)
    manifests_forgotten: int = 0
    rows_forgotten: int = 0


class Sink(Protocol):
    """A warehouse loaders can load into."""

    name: str
    capabilities: Capabilities

    def load(self, unit: LoadUnit) -> LoadResult:
        """Apply the unit exactly once: data and state commit together or not at all."""
        ...

    def applied(self, dataset: str, partition: Partition) -> set[tuple[str, str]]:
        """The (manifest URL, version) pairs already applied to a partition."""
        ...

    def load_many(self, units: Sequence[LoadUnit]) -> list[LoadResult]:
        """Several partitions of one dataset, all or nothing; same results as ``load`` each."""
        ...

    def fail(self, dataset: str, partition: Partition, load_id: str, error: BaseException) -> None:
        """Record a failed attempt without touching data or applied manifests: status
        failed, one more attempt, the error, the time."""
        ...

    def snapshot(self, dataset: str, partitions: Sequence[Partition]) -> dict[str, Snapshot]:
        """The state of many partitions (by partition key) in one query; absent = never seen.
        Like every read here it creates nothing: without a state, nothing is known."""
        ...

    def states(self, dataset: str | None = None) -> list[PartitionState]:
        """The recorded state of every partition (of one dataset)."""
        ...

    def has_state(self) -> bool:
        """Whether this sink's load state exists at all (read without creating anything)."""
        ...

    def reset(self, dataset: str, partition: Partition, *, forget: bool, dry_run: bool = False) -> ResetResult:
        """Clear a partition's failed attempt; with ``forget`` also forget its applied
        manifests and its row, so that the next run loads it again (the target's rows are
        left as they are). ``dry_run`` changes nothing and says what would change."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class SupersededPrefixes(Protocol):
    """A sink that leaves superseded data behind (old Hive prefixes) for an explicit
    clean-up, never done by a load: ``loaders superseded`` lists it and removes it."""

    def superseded(self, dataset: str | None = None) -> list[dict[str, str]]:
        """What no partition points at any more: dataset, partition, location, at."""
        ...

    def purge_superseded(
        self, dataset: str | None = None, grace: timedelta = timedelta(hours=6), *, dry_run: bool = True
    ) -> list[str]:
        """The locations superseded longer than ``grace`` ago; deleted unless ``dry_run``."""
        ...


@runtime_checkable
class SchemaHistory(Protocol):
    """A sink that records the writer-schema fingerprints of the data it loads."""

    def schemas(self, dataset: str | None = None) -> list[SchemaSeen]:
        """The fingerprints each dataset's table holds data of, first seen first."""


#: What a recorded statement or question "returns" when compiling: given the step and its context.
Answer = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]


@dataclass(frozen=True)
class CompileSample:
    """What ``loaders compile`` has a recorded load find, for a sink to answer from."""

    #: the staged columns (name, type)
    columns: tuple[tuple[str, str], ...]
    #: the dataset's partition columns
    fields: tuple[str, ...]
    #: rows per file (engine path)
    counts: tuple[tuple[str, int], ...]
    #: the state and the target table exist
    exists: bool
    #: the target's columns (name, type), where it exists
    target: tuple[tuple[str, str], ...]
    #: the state holds a manifest by this absolute URL (written before manifests had keys)
    legacy: str | None = None
    load_id: str = "<load_id>"
    now: str = "<now>"


@runtime_checkable
class CompileAnswers(Sink, Protocol):
    """A sink ``loaders compile`` can record: its own load code runs with every statement
    kept instead of sent and every question it asks its engine answered from samples that
    the sink itself supplies (a sink whose engine answers more, such as Snowflake's COPY
    rows, extends them)."""

    def sample_answers(self, sample: CompileSample) -> Answer:
        """What this sink's engine would answer a load of ``sample``."""
        ...

    def recording(self, answer: Answer, clock: Callable[[], Any]) -> AbstractContextManager[list[Recorded]]:
        """Statements kept and answered by ``answer``; ``clock`` stands in for the time."""
        ...

    def execute(self, step: str, **context: Any) -> list[tuple[Any, ...]]:
        """Run (or, recording, keep) one step."""
        ...
