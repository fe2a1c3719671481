"""What both Athena sinks share about their partitions: the load state of each and the
lease a loader takes on one.

Hive tables (hive.py) and Iceberg tables (iceberg.py) keep the same state object per
partition (state.py) and change it the same way: a loader
takes a fenced lease with a conditional write that also records what it intends
(``pending``), checks before each irreversible step that the state is still what its lease
wrote, and records the applied manifests with one more conditional write that drops the
lease. Each sink holds one :class:`PartitionStates` and delegates to it; where the two
differ, the sink passes the difference in (the intent a lease records, the clocks, the
prefix a load switched to). :class:`StateViews` is what both sinks answer from it.

A state object holds a partition's data (``applied``, ``rows``, ``loaded_at``) and, apart
from it, its last attempt (``status``, ``attempts``, ``last_error``, ``attempted_at``): a
failure changes only the attempt, a success (a load that found nothing left to do
included) clears it, and ``reset`` clears it, or forgets the data, on request.
"""

from __future__ import annotations

import contextlib
import copy
import os
import socket
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from manifests import Manifest, Partition, SinkBusyError, TransientError
from manifests.secrets import error_text
from sinks.athena.settings import AthenaSettings
from sinks.athena.state import (
    RACE_WAIT,
    Conflict,
    MemoryStates,
    StateStore,
    Versioned,
    applied_of,
    record_schemas,
    schemas_seen,
)
from sinks.base import LoadUnit, PartitionState, ResetResult, SchemaSeen, Snapshot, Strategy
from sinks.retrying import retried


def _utcnow() -> datetime:
    return datetime.now(UTC)


def naive_utc(text: str | None) -> datetime | None:
    """A time a state object records (ISO 8601) as naive UTC, as the sink protocol reports
    times; None when it records none (``attempted_at`` of a state written before it was)."""
    if not text:
        return None
    when = datetime.fromisoformat(text)
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def contended(unit: LoadUnit) -> TransientError:
    """What a load raises when every attempt to change the state lost a race."""
    key = f"{unit.target.dataset} {unit.partition.key}"
    return TransientError(f"{key}: concurrent loads kept changing the state; retry")


class PartitionStates:
    """The state objects of one sink's partitions, and the lease on one (module docstring).

    ``s3`` gives the client the objects are read with (the sink's, so that a test spying on
    the sink's clients sees these calls); ``now`` is the clock leases expire by and
    superseded prefixes are stamped with; ``stamp`` gives the ``loaded_at`` a load records.
    """

    def __init__(
        self,
        s3: Callable[[], Any],
        settings: AthenaSettings,
        stamp: Callable[[], str],
        now: Callable[[], datetime] = _utcnow,
        identity: Callable[[str], str] = str,
    ) -> None:
        self._s3 = s3
        #: a recorded manifest URL → its key relative to the store root (ObjectStore.identity_of)
        self.identity = identity
        self.prefix = settings.state_prefix
        self.lease = settings.lease
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stamp, self.now = stamp, now
        #: set (by tests, and while recording) to keep the state in memory instead of S3
        self.memory: MemoryStates | None = None

    @property
    def store(self) -> StateStore | MemoryStates:
        if self.memory is not None:
            return self.memory
        return StateStore(self._s3(), self.prefix)

    # -- what the planner and the CLI read ------------------------------------------------------

    def applied(self, dataset: str, partition: Partition) -> set[tuple[str, str]]:
        return applied_of(self.store.read(dataset, partition.key).doc, self.identity)

    def snapshot(self, dataset: str, partitions: Sequence[Partition]) -> dict[str, Snapshot]:
        found = {}
        for partition in partitions:
            doc = self.store.read(dataset, partition.key).doc
            if doc["status"] != "new":
                found[partition.key] = Snapshot(
                    status=doc["status"],
                    error=doc["last_error"],
                    applied=frozenset(applied_of(doc, self.identity)),
                    attempts=int(doc.get("attempts") or 0),
                    attempted_at=naive_utc(doc.get("attempted_at")),
                )
        return found

    def states(self, dataset: str | None = None) -> list[PartitionState]:
        return [
            PartitionState(
                dataset=d["dataset"],
                partition=d["partition"],
                status=d["status"],
                rows=int(d["rows"]),
                manifests=len(d["applied"]),
                attempts=int(d.get("attempts") or 0),
                last_error=d["last_error"],
                load_id=d["load_id"],
                loaded_at=naive_utc(d["loaded_at"]),
                attempted_at=naive_utc(d.get("attempted_at")),
            )
            for d in self.store.all(dataset)
            if d["status"] != "new"
        ]

    def has_state(self) -> bool:
        """Whether any partition's state object exists (one LIST; nothing created)."""
        return self.store.has_state()

    def schemas(self, dataset: str | None = None) -> list[SchemaSeen]:
        return schemas_seen(self.store.all(dataset))

    # -- changes outside a load -----------------------------------------------------------------

    def update(self, dataset: str, partition: str, change: Callable[[dict[str, Any]], None], doing: str) -> None:
        """Read, ``change`` and conditionally write the state, again while others win. A
        change that changes nothing is not written, so that a no-op costs one GET and leaves
        the ETag a lease holder's fencing compares with as it was."""

        def attempt() -> None:
            state = self.store.read(dataset, partition)
            doc = copy.deepcopy(state.doc)
            change(doc)
            if doc != state.doc:
                self.store.write(Versioned(doc, state.etag))  # Conflict: lost a race, read again

        try:
            retried(attempt, on=Conflict, attempts=5, wait=RACE_WAIT)
        except Conflict:
            raise TransientError(f"{dataset} {partition}: the state kept changing while {doing}") from None

    def fail(self, dataset: str, partition: Partition, load_id: str, error: BaseException) -> None:
        """Record a failed attempt; data, location and applied manifests stay as they were.
        ``attempts`` counts failures in a row: after a success this one is the first, also
        where an older version's state kept counting across successes. Nothing is written
        while another loader's lease is live (this attempt was refused as busy, or lost
        to it): the holder's fencing would read the write as a take-over and abandon a
        load that is going well, and its own record says how the partition's attempt ended."""

        def failed(doc: dict[str, Any]) -> None:
            if self.leased(doc) and doc["lease"]["owner"] != f"{self.owner}/{load_id}":
                return
            before = int(doc.get("attempts") or 0) if doc["status"] == "failed" else 0
            doc.update(status="failed", attempts=before + 1, load_id=load_id)
            doc.update(last_error=error_text(error), attempted_at=self.stamp())

        self.update(dataset, partition.key, failed, "recording a failure")

    def succeeded(self, state: Versioned) -> None:
        """A load found every manifest applied: a success all the same, so a failed last
        attempt is cleared (conditionally, the data fields untouched). A healthy state
        (the usual duplicate delivery) is not written; nor is one a live lease of another
        loader holds: its fencing would see our write as a take-over, and its own record
        clears the failure anyway."""
        if state.doc["status"] != "failed":
            return

        def cleared(doc: dict[str, Any]) -> None:
            if doc["status"] == "failed" and not self.leased(doc):
                doc.update(status="loaded", attempts=0, last_error=None, attempted_at=self.stamp())

        self.update(state.doc["dataset"], state.doc["partition"], cleared, "clearing a failure")

    def reset(self, dataset: str, partition: Partition, *, forget: bool, dry_run: bool = False) -> ResetResult:
        """Clear the partition's failed attempt; with ``forget`` also forget its applied
        manifests, so that the next load applies them all again (the data in the table
        and the prefix the Glue partition points at are left as they are: that load
        replaces, merges over or, for append, adds to them). A ``pending`` switch of a
        crashed loader forgets them too, so rolling it forward cannot bring them back.
        Refused while another loader's lease is live; ``dry_run`` writes nothing."""
        key = partition.key
        seen: dict[str, Any] = {}

        def change(doc: dict[str, Any]) -> None:
            if self.leased(doc):
                lease = doc["lease"]
                raise SinkBusyError(
                    f"{dataset} {key}: loader {lease['owner']} holds the partition's lease until {lease['expires']}; "
                    "reset it when that load is over"
                )
            seen.clear()
            seen.update(copy.deepcopy(doc))
            _reset(doc, forget)

        if dry_run:
            state = self.store.read(dataset, key)
            if state.etag is not None:
                change(copy.deepcopy(state.doc))
        else:
            # nothing to reset where no object exists: the change would create one
            if self.store.read(dataset, key).etag is not None:
                self.update(dataset, key, change, "resetting")
        if not seen:
            return ResetResult(dataset, key, found=False)
        return ResetResult(
            dataset,
            key,
            found=True,
            failure_cleared=seen["status"] == "failed",
            manifests_forgotten=len(seen["applied"]) if forget else 0,
            rows_forgotten=int(seen["rows"]) if forget else 0,
        )

    # -- the lease ------------------------------------------------------------------------------

    def expired(self, lease: Mapping[str, Any]) -> bool:
        return datetime.fromisoformat(lease["expires"]) <= self.now()

    def leased(self, doc: Mapping[str, Any]) -> bool:
        """A loader holds the partition: its lease is there and has not expired."""
        return bool(doc["lease"]) and not self.expired(doc["lease"])

    def check_lease(self, state: Versioned, unit: LoadUnit) -> None:
        """A live lease of another loader: the partition is busy."""
        lease = state.doc["lease"]
        if self.leased(state.doc):
            raise SinkBusyError(
                f"{unit.target.dataset} {unit.partition.key}: loader {lease['owner']} holds the partition's lease "
                f"until {lease['expires']}"
            )

    def take(self, state: Versioned, unit: LoadUnit, intent: Mapping[str, Any]) -> Versioned:
        """Our lease with a new fencing token, and ``intent`` as ``pending``: what a loader
        finding the lease expired needs to finish or redo the load. Conflict: lost a race."""
        doc = copy.deepcopy(state.doc)
        doc["token"] += 1
        doc["lease"] = {
            "owner": f"{self.owner}/{unit.load_id}",
            "expires": (self.now() + self.lease).isoformat(),
            "token": doc["token"],
        }
        doc["pending"] = {**intent, "load_id": unit.load_id, "token": doc["token"]}
        return self.store.write(Versioned(doc, state.etag))

    def holds(self, state: Versioned, unit: LoadUnit) -> bool:
        """Fencing: the partition's state is still what our lease wrote."""
        return self.store.read(unit.target.dataset, unit.partition.key).etag == state.etag

    def record(self, state: Versioned, unit: LoadUnit, doc: dict[str, Any], then: str) -> Versioned:
        """Write the state after applying, over what our lease wrote."""
        try:
            return self.store.write(Versioned(doc, state.etag))
        except Conflict:
            raise TransientError(f"{unit.partition.key}: the lease expired and was taken over; {then}") from None

    def release(self, state: Versioned) -> None:
        """Best effort after a failure: drop the lease, keep ``pending`` for whoever comes next."""
        if not state.doc.get("lease"):
            return
        doc = copy.deepcopy(state.doc)
        doc["lease"] = None
        with contextlib.suppress(Exception):  # if this fails too, the lease expires on its own
            self.store.write(Versioned(doc, state.etag))

    def committed(
        self,
        doc: Mapping[str, Any],
        unit: LoadUnit,
        pending: Sequence[Manifest],
        rows: Mapping[tuple[str, str], int],
        location: str | None = None,
    ) -> dict[str, Any]:
        """The state once ``pending`` is applied: what the record step writes. A ``location``
        other than the state's (Hive tables) becomes it, the old one superseded."""
        keys = {m.identity[0] for m in pending}
        if unit.target.strategy is Strategy.REPLACE:
            kept: list[list[Any]] = []
        else:
            recorded = [[self.identity(str(a[0])), *a[1:]] for a in doc["applied"]]
            kept = [a for a in recorded if not (unit.force and a[0] in keys)]
        applied = kept + [[*m.identity, int(rows[m.identity])] for m in pending]
        new = copy.deepcopy(dict(doc))
        now = self.stamp()
        new.update(
            status="loaded",
            applied=applied,
            rows=sum(int(a[2]) for a in applied),
            attempts=0,
            last_error=None,
            attempted_at=now,
            load_id=unit.load_id,
            loaded_at=now,
            lease=None,
            pending=None,
        )
        record_schemas(new, pending, unit.load_id, new["loaded_at"])
        if location is not None and location != doc["location"]:
            if doc["location"]:
                new["superseded"] = [*doc["superseded"], {"location": doc["location"], "at": self.now().isoformat()}]
            new["location"] = location
        return new


class StateViews:
    """The sink methods both Athena sinks answer from their :class:`PartitionStates` (what
    the planner and the CLI read, and a failed attempt recorded); ``reset`` each sink
    writes itself, since what a reset leaves in its tables differs."""

    partitions: PartitionStates

    @property
    def states_store(self) -> StateStore | MemoryStates:
        return self.partitions.store

    def applied(self, dataset: str, partition: Partition) -> set[tuple[str, str]]:
        return self.partitions.applied(dataset, partition)

    def snapshot(self, dataset: str, partitions: Sequence[Partition]) -> dict[str, Snapshot]:
        return self.partitions.snapshot(dataset, partitions)

    def states(self, dataset: str | None = None) -> list[PartitionState]:
        return self.partitions.states(dataset)

    def schemas(self, dataset: str | None = None) -> list[SchemaSeen]:
        return self.partitions.schemas(dataset)

    def has_state(self) -> bool:
        return self.partitions.has_state()

    def fail(self, dataset: str, partition: Partition, load_id: str, error: BaseException) -> None:
        self.partitions.fail(dataset, partition, load_id, error)


def _reset(doc: dict[str, Any], forget: bool) -> None:
    """``reset``'s change of a state object (and of the state a pending switch records)."""
    if doc["status"] == "failed":
        doc.update(status="loaded", attempts=0, last_error=None)
    if forget:
        doc.update(applied=[], rows=0, loaded_at=None, attempts=0, last_error=None)
        intent = doc.get("pending") or {}
        if isinstance(intent.get("state"), dict):
            _reset(intent["state"], forget)
