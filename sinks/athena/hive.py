"""Athena over Hive tables: exactly once without transactions.

Athena cannot commit data and state together, so a load never changes data in place:

    stage    convert the unit's files (plus, for append and merge, the partition's current
             data) to Parquet under a content-addressed prefix
             ``location/<table>/<k=v>/…/<hash of inputs>/``; same inputs, same prefix, so
             a retry finds the prefix finished (its ``_loaders.json`` marker) and writes
             nothing (hive_stage.py)
    lock     take the partition's lease: a conditional write of its state object that
             also records the intended switch (``pending``) and a new fencing token
             (lease.py; the state object: state.py)
    apply    append the data's new columns to the Glue table (UpdateTable, only when some
             are missing: the table's columns always cover every partition's), then switch
             the Glue partition to the new prefix in one catalogue call
             (BatchCreatePartition when new, UpdatePartition otherwise): readers see the
             old files or the new ones, never a mix (glue.py)
    record   a conditional write of the state: applied manifests, rows, location, lease off

The switch is the commit point for readers; the state write after it is the commit point
for loaders. A loader that dies between the two leaves ``pending`` behind: whoever next
holds the partition compares the Glue partition's location with it and rolls forward
(the switch happened) or discards it (it did not), so nothing is applied twice or lost.
Old prefixes are never deleted during a load; they are listed as superseded.
See docs/sinks/athena.md. boto3 and pyarrow are imported when first used.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from manifests import Manifest, Partition, TransientError, UnsupportedError
from manifests.store import ObjectStore, split_s3
from sinks.athena import parquet as files_
from sinks.athena.glue import Table, evolve, partition_location, switch, table_columns
from sinks.athena.hive_stage import HiveStage, Staged
from sinks.athena.lease import PartitionStates, StateViews, contended
from sinks.athena.settings import AthenaSettings, AwsClients, AwsService
from sinks.athena.state import RACE_WAIT, Conflict, Versioned, applied_of
from sinks.base import Capabilities, LoadResult, LoadUnit, ResetResult, Strategy
from sinks.options import AthenaOptions
from sinks.retrying import retried
from sinks.rules import ALREADY, Part, check_unique_files, keyed, pending_manifests, skipped
from sinks.sql.templates import split_table


class AthenaHiveSink(StateViews):
    """Hive tables in Glue, loaded by partition switch; state in S3 (see module docstring)."""

    capabilities = Capabilities(
        dialect="athena",
        concurrent_loads=True,
        batch_partitions=False,
        adds_columns=True,
    )

    def __init__(
        self, name: str, options: Mapping[str, Any], store: ObjectStore, project_dir: str | None = None
    ) -> None:
        self.name, self.options, self.store = name, options, store
        self.sink_options = AthenaOptions.read(name, options)
        self.settings = settings = AthenaSettings.read(self.sink_options, store)
        self.location, self.database, self.region = settings.location, settings.database, settings.region
        self.state_prefix, self.batch_rows = settings.state_prefix, settings.batch_rows
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.clients = AwsClients(settings)
        self.partitions = PartitionStates(
            lambda: self.s3,
            settings,
            stamp=lambda: self.clock().replace(tzinfo=None, microsecond=0).isoformat(),
            identity=store.identity_of,
            now=lambda: self.clock(),
        )

    # -- clients and hooks ----------------------------------------------------------------

    def _client(self, service: AwsService) -> Any:
        return self.clients.get(service)

    @property
    def s3(self) -> Any:
        return self._client("s3")

    @property
    def glue(self) -> Any:
        return self._client("glue")

    def checkpoint(self, step: str) -> None:
        """Called after stage, lock, apply (the switch) and record; a crash test raises here."""

    def close(self) -> None:
        self.clients.clear()

    # -- state ----------------------------------------------------------------------------

    def reset(self, dataset: str, partition: Partition, *, forget: bool, dry_run: bool = False) -> ResetResult:
        """Clear a failed attempt; with ``forget`` forget the applied manifests too. The Glue
        partition keeps pointing at its prefix: the next replace load stages a new one and
        supersedes it as usual, merge merges over it, append adds to it (duplicates)."""
        return self.partitions.reset(dataset, partition, forget=forget, dry_run=dry_run)

    def superseded(self, dataset: str | None = None) -> list[dict[str, str]]:
        """Prefixes no Glue partition points at any more: what a clean-up may delete."""
        return [
            {"dataset": d["dataset"], "partition": d["partition"], **s}
            for d in self.states_store.all(dataset)
            for s in d["superseded"]
        ]

    def purge_superseded(
        self, dataset: str | None = None, grace: timedelta = timedelta(hours=6), *, dry_run: bool = True
    ) -> list[str]:
        """Prefixes superseded longer than ``grace`` ago: listed, and deleted only when
        ``dry_run`` is false. Never called by a load: a query that started before a switch
        may still be reading the old prefix, hence the grace period."""
        cutoff = self.clock() - grace
        purged: list[str] = []
        for doc in self.states_store.all(dataset):
            old = [s for s in doc["superseded"] if datetime.fromisoformat(s["at"]) <= cutoff]
            if not old or dry_run:
                purged += [s["location"] for s in old]
                continue
            for entry in old:
                bucket, prefix = split_s3(entry["location"])
                files_.delete_keys(self.s3, bucket, files_.all_keys(self.s3, bucket, prefix))
                purged.append(entry["location"])
            self._forget_superseded(doc["dataset"], doc["partition"], {s["location"] for s in old})
        return purged

    def _forget_superseded(self, dataset: str, partition: str, locations: set[str]) -> None:
        def forget(doc: dict[str, Any]) -> None:
            doc["superseded"] = [s for s in doc["superseded"] if s["location"] not in locations]

        self.partitions.update(dataset, partition, forget, "forgetting purged prefixes")

    # -- the load ---------------------------------------------------------------------------

    def load_many(self, units: Sequence[LoadUnit]) -> list[LoadResult]:
        """One partition after another: Glue cannot switch several partitions atomically,
        which is why ``batch_partitions`` is false and the runner calls ``load`` instead."""
        return [self.load(u) for u in units]

    def load(self, unit: LoadUnit) -> LoadResult:
        [unit] = keyed([unit], self.store)
        check_unique_files([unit])
        target = unit.target
        if target.format not in self.capabilities.formats:
            raise UnsupportedError(f"sink {self.name} cannot load format {target.format!r} yet")
        table = self._table(target.table)
        try:
            # Conflict: another loader changed the state since we read it: decide again
            taken = retried(lambda: self._stage_and_lock(table, unit), on=Conflict, attempts=3, wait=RACE_WAIT)
        except Conflict:
            raise contended(unit) from None
        if isinstance(taken, LoadResult):
            return taken
        return self._switch_and_record(table, unit, *taken)

    def _stage_and_lock(
        self, table: Table, unit: LoadUnit
    ) -> LoadResult | tuple[tuple[Manifest, ...], Staged, Versioned]:
        """One attempt at the steps before the switch: settle what a dead loader left, stage
        what is pending and take the lease; or the result when nothing is left to switch.
        Conflict when the state changed under it."""
        state = self._settle(table, unit, self.states_store.read(unit.target.dataset, unit.partition.key))
        pending = pending_manifests(unit, applied_of(state.doc, self.store.identity_of))
        if not pending:
            self.partitions.succeeded(state)  # a failed last attempt is cleared
            return skipped(unit, ALREADY)
        self.partitions.check_lease(state, unit)
        # no file to read (none listed, or only empty CSV/JSON-lines files)
        if unit.target.strategy is not Strategy.REPLACE and not Part(unit, pending).entries:
            doc = self.partitions.committed(state.doc, unit, pending, {m.identity: 0 for m in pending})
            self.states_store.write(Versioned(doc, state.etag))
            return skipped(unit, "empty manifest: recorded as applied, nothing to load")
        staged = self._stage(table, unit, pending, state.doc)
        self.checkpoint("staged")
        committed = self.partitions.committed(state.doc, unit, pending, staged.rows, staged.location)
        return pending, staged, self.partitions.take(state, unit, {"location": staged.location, "state": committed})

    def _switch_and_record(
        self, table: Table, unit: LoadUnit, pending: tuple[Manifest, ...], staged: Staged, state: Versioned
    ) -> LoadResult:
        try:
            self.checkpoint("locked")
            # the table gains the data's new columns before any partition shows them; a crash
            # after this leaves columns that read NULL everywhere until the retry switches
            columns, added = evolve(self.glue, table, unit.target.partition_columns, staged.columns)
            if added:
                self.checkpoint("evolved")
            if not self.partitions.holds(state, unit):  # fencing, as close to the switch as it gets
                raise TransientError(
                    f"{unit.partition.key}: the lease was taken over before the switch; nothing switched"
                )
            switch(self.glue, table, unit.partition, columns, staged.location)
            self.checkpoint("applied")
            doc = self.partitions.committed(state.doc, unit, pending, staged.rows, staged.location)
            state = self.partitions.record(state, unit, doc, "the next load reconciles")
            self.checkpoint("recorded")
        except BaseException:
            self._release(state)
            raise
        return LoadResult(
            dataset=unit.target.dataset,
            partition=unit.partition,
            action="loaded",
            rows=sum(staged.rows[m.identity] for m in pending),
            manifests=len(pending),
            reason=f"{len(pending)} manifest(s) → {staged.location}",
        )

    # -- lease, intent and reconciliation ------------------------------------------------------

    def _release(self, state: Versioned) -> None:
        """Best effort after a failure: drop the lease, keep ``pending`` for reconciliation
        (whether the switch happened is decided from Glue, not from this process's memory)."""
        self.partitions.release(state)

    def _settle(self, table: Table, unit: LoadUnit, state: Versioned) -> Versioned:
        """Resolve a switch left pending by a loader that failed or died."""
        doc = state.doc
        intent = doc["pending"]
        if intent is None or (doc["lease"] and not self.partitions.expired(doc["lease"])):
            return state
        switched = partition_location(self.glue, table, unit.partition) == intent["location"]
        settled = copy.deepcopy(intent["state"]) if switched else copy.deepcopy(doc)
        settled.update(lease=None, pending=None, token=doc["token"])
        return self.states_store.write(Versioned(settled, state.etag))

    # -- stage: Parquet under a content-addressed prefix (hive_stage.py) ---------------------

    def _stage(self, table: Table, unit: LoadUnit, pending: tuple[Manifest, ...], doc: Mapping[str, Any]) -> Staged:
        base = doc["location"] if unit.target.strategy is not Strategy.REPLACE else None
        stage = HiveStage(self.store, self.s3, self.batch_rows, self.capabilities)
        return stage.stage(table, unit, pending, base, table_columns(self.glue, table))

    # -- the catalogue -------------------------------------------------------------------------

    def _table(self, name: str) -> Table:
        parts = split_table(name)
        database = (parts[-2] if len(parts) > 1 else self.database).lower()
        table = parts[-1].lower()
        return Table(database, table, f"{self.location}{table}/")
