"""Athena over Hive tables: exactly once without transactions.

Athena cannot commit data and state together, so a load never changes data in place:

    stage    convert the unit's files (plus, for append and merge, the partition's current
             data) to Parquet under a content-addressed prefix
             ``location/<table>/<k=v>/…/<hash of inputs>/``; same inputs, same prefix, so
             a retry finds the prefix finished (its ``_loaders.json`` marker) and writes nothing
    lock     take the partition's lease: a conditional write of its state object that
             also records the intended switch (``pending``) and a new fencing token
    apply    append the data's new columns to the Glue table (UpdateTable, only when some
             are missing: the table's columns always cover every partition's), then switch
             the Glue partition to the new prefix in one catalogue call
             (BatchCreatePartition when new, UpdatePartition otherwise): readers see the
             old files or the new ones, never a mix
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
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from manifests import (
    Partition,
    SchemaMismatchError,
    TransientError,
    UnsupportedError,
)
from manifests.store import ObjectStore, split_s3
from sinks import athena_files as files_
from sinks.athena_glue import Table, evolve, partition_location, switch, table_columns
from sinks.athena_iceberg import AthenaTemplates
from sinks.athena_partitions import AthenaSettings, AwsClients, PartitionStates, contended
from sinks.athena_state import Conflict, MemoryStates, StateStore, Versioned, applied_of
from sinks.base import (
    Capabilities,
    LoadResult,
    LoadUnit,
    PartitionState,
    ResetResult,
    SchemaSeen,
    Snapshot,
    Strategy,
)
from sinks.options import AthenaOptions
from sinks.rules import (
    ALREADY,
    Part,
    check_unique_files,
    keyed,
    pending_manifests,
    refuse_null_keys,
    rows_per_manifest,
    schema_changes,
)
from sinks.sql.templates import split_table


@dataclass(frozen=True)
class Staged:
    """A finished prefix: where it is, its columns, and the rows of each manifest in it."""

    location: str
    columns: tuple[tuple[str, str], ...]
    rows: Mapping[tuple[str, str], int]


class AthenaSink:
    """Hive tables in Glue, loaded by partition switch; state in S3 (see module docstring)."""

    capabilities = Capabilities(
        dialect="athena",
        concurrent_loads=True,
        batch_partitions=False,
        supersedes=True,
        adds_columns=True,
        schema_history=True,
    )

    #: the templates of ``table_format = "iceberg"`` (what sqlfluff lints sql/athena/ with)
    templates_class = AthenaTemplates

    def __new__(cls, name: str, options: Mapping[str, Any], store: ObjectStore, project_dir: str | None = None) -> Any:
        """``table_format = "iceberg"`` opens the SQL sink of sinks/athena_iceberg.py instead."""
        if AthenaOptions.read(name, options).table_format == "iceberg":
            from sinks.athena_iceberg import AthenaIcebergSink

            return AthenaIcebergSink(name, options, store, project_dir)
        return super().__new__(cls)

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

    def _client(self, service: str) -> Any:
        return self.clients.get(service)

    @property
    def s3(self) -> Any:
        return self._client("s3")

    @property
    def glue(self) -> Any:
        return self._client("glue")

    @property
    def states_store(self) -> StateStore | MemoryStates:
        return self.partitions.store

    def checkpoint(self, step: str) -> None:
        """Called after stage, lock, apply (the switch) and record; a crash test raises here."""

    def close(self) -> None:
        self.clients.clear()

    # -- state ----------------------------------------------------------------------------

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
        for _attempt in range(3):
            try:
                state = self._settle(table, unit, self.states_store.read(target.dataset, unit.partition.key))
                pending = pending_manifests(unit, applied_of(state.doc, self.store.identity_of))
                if not pending:
                    self.partitions.succeeded(state)  # a failed last attempt is cleared
                    return self._skipped(unit, ALREADY)
                self.partitions.check_lease(state, unit)
                # no file to read (none listed, or only empty CSV/JSON-lines files)
                if target.strategy is not Strategy.REPLACE and not Part(unit, pending).entries:
                    doc = self.partitions.committed(state.doc, unit, pending, {m.identity: 0 for m in pending})
                    self.states_store.write(Versioned(doc, state.etag))
                    return self._skipped(unit, "empty manifest: recorded as applied, nothing to load")
                staged = self._stage(table, unit, pending, state.doc)
                self.checkpoint("staged")
                committed = self.partitions.committed(state.doc, unit, pending, staged.rows, staged.location)
                state = self.partitions.take(state, unit, {"location": staged.location, "state": committed})
            except Conflict:
                continue  # another loader changed the state since we read it: decide again
            return self._switch_and_record(table, unit, pending, staged, state)
        raise contended(unit)

    def _switch_and_record(
        self, table: Table, unit: LoadUnit, pending: tuple[Any, ...], staged: Staged, state: Versioned
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

    # -- stage: Parquet under a content-addressed prefix ------------------------------------

    def _stage(self, table: Table, unit: LoadUnit, pending: tuple[Any, ...], doc: Mapping[str, Any]) -> Staged:
        from sinks.staging import file_batches, unit_files

        target = unit.target
        base = doc["location"] if target.strategy is not Strategy.REPLACE else None
        existing = table_columns(self.glue, table)
        files = unit_files(self.store, [Part(unit, pending)])
        schema = self._schema(unit, pending, files, existing)
        inputs = {
            "table": [table.database, table.name],
            "partition": unit.partition.key,
            "strategy": str(target.strategy),
            "keys": list(target.keys),
            "order_by": target.order_by,
            "base": base,
            "manifests": [list(m.identity) for m in pending],
            # the types the files are written in follow the table's: another prefix if they changed
            "columns": [[f.name, files_.hive_type(f.type)] for f in schema] if schema is not None else None,
        }
        digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:24]
        location = f"{table.location}{unit.partition.key}/{digest}/"
        bucket, prefix = split_s3(location)
        marker = files_.read_marker(self.s3, bucket, prefix)
        if marker is not None:  # a retry of the same inputs: the prefix is finished already
            rows = {(u, v): int(n) for u, v, n in marker["rows"]}
            return Staged(location, tuple((c, t) for c, t in marker["columns"]), rows)
        columns = tuple((f.name, files_.hive_type(f.type)) for f in schema) if schema is not None else ()
        per_file: dict[str, int] = {}
        if target.strategy is Strategy.MERGE and schema is not None:
            columns = self._merge(unit, pending, files, schema, base, (bucket, prefix), per_file)
        elif schema is not None:
            first = files_.copy_current(self.s3, base, bucket, prefix) if base else 0
            writer = files_.PartWriter(self.s3, bucket, prefix, schema, first)
            for file in files:
                per_file[file.path] = 0
                for batch in file_batches(self.store, file, target.format, self.batch_rows):
                    per_file[file.path] += batch.num_rows
                    writer.write(files_.conform(batch, schema))
            writer.close()
        elif base:
            files_.copy_current(self.s3, base, bucket, prefix)
        if not columns and existing:
            columns = tuple(existing)
        rows = rows_per_manifest(pending, per_file, self.store)
        files_.write_marker(
            self.s3, bucket, prefix, {"rows": [[*k, n] for k, n in rows.items()], "columns": [list(c) for c in columns]}
        )
        return Staged(location, columns, rows)

    def _schema(
        self, unit: LoadUnit, pending: tuple[Any, ...], files: Sequence[Any], existing: list[tuple[str, str]] | None
    ) -> Any:
        """The files' unified columns without the partition columns, checked against the
        table as every sink checks them (keys present; a column the table has in a type
        that fits it, :func:`sinks.columntypes.fits` in Athena's dialect; a new column
        allowed: ``adds_columns``) and then in the table's types. None without files."""
        import pyarrow as pa

        from sinks.staging import check_merge_files, file_schema, unify

        schemas = [file_schema(self.store, f, unit.target.format) for f in files]
        if not schemas:
            return None
        # the unified schema hides a file without a key or order_by: checked per file
        own = {f.path: s.names for f, s in zip(files, schemas, strict=True)}
        check_merge_files(self.store, files, unit.target.format, own)
        drop = {c.lower() for c in unit.target.partition_columns}
        schema = unify(schemas, files).remove_metadata()
        for name in [f.name for f in schema if f.name.lower() in drop]:
            schema = schema.remove(schema.get_field_index(name))
        staged = [(f.name, "NULL" if pa.types.is_null(f.type) else files_.hive_type(f.type)) for f in schema]
        schema_changes(self.capabilities, [Part(unit, pending)], staged, existing or [])
        try:
            return files_.in_table_types(schema, existing or [])
        except SchemaMismatchError as exc:
            raise SchemaMismatchError(exc.reason, manifest=pending[0].url if len(pending) == 1 else None) from None

    def _merge(
        self,
        unit: LoadUnit,
        pending: tuple[Any, ...],
        files: Sequence[Any],
        schema: Any,
        base: str | None,
        where: tuple[str, str],
        per_file: dict[str, int],
    ) -> tuple[tuple[str, str], ...]:
        """The partition's current rows plus the new ones, latest ``order_by`` per key, written
        under ``where`` (bucket, prefix). Unlike append and replace this holds the partition
        in memory (documented)."""
        bucket, prefix = where
        import pyarrow as pa

        from sinks.staging import file_batches

        new = []
        for file in files:
            batches = [
                files_.conform(b, schema) for b in file_batches(self.store, file, unit.target.format, self.batch_rows)
            ]
            per_file[file.path] = sum(b.num_rows for b in batches)
            new.append(pa.Table.from_batches(batches, schema=schema))
        # rows with a NULL key are refused before anything is written (as on every sink)
        refuse_null_keys([(k, sum(t.column(k).null_count for t in new)) for k in unit.target.keys], pending)
        tables = []
        if base:
            base_bucket, base_prefix = split_s3(base)
            tables = files_.read_parts(self.s3, base_bucket, files_.data_keys(self.s3, base_bucket, base_prefix))
        merged = pa.concat_tables([*tables, *new], promote_options="permissive")
        merged = files_.latest_per_key(merged, unit.target.keys, str(unit.target.order_by))
        writer = files_.PartWriter(self.s3, bucket, prefix, merged.schema)
        for batch in merged.to_batches(max_chunksize=self.batch_rows):
            writer.write(batch)
        writer.close()
        return tuple((f.name, files_.hive_type(f.type)) for f in merged.schema)

    # -- the catalogue -------------------------------------------------------------------------

    def _table(self, name: str) -> Table:
        parts = split_table(name)
        database = (parts[-2] if len(parts) > 1 else self.database).lower()
        table = parts[-1].lower()
        return Table(database, table, f"{self.location}{table}/")

    def _skipped(self, unit: LoadUnit, reason: str) -> LoadResult:
        return LoadResult(dataset=unit.target.dataset, partition=unit.partition, action="skipped", reason=reason)
