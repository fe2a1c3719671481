"""The stage step of a Hive table's load: the partition's new content as Parquet under a
content-addressed prefix ``<table location><k=v>/…/<hash of inputs>/``.

The same inputs give the same prefix, so a retry finds the prefix finished (its marker,
parquet.MARKER) and writes nothing. Append copies the partition's current files in, merge
reads them and keeps the latest row per key, replace writes the new files only. Nothing
here touches the catalogue; pyarrow is imported when a stage runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from manifests import Manifest, SchemaMismatchError
from manifests.store import ObjectStore, split_s3
from sinks.athena import parquet as files_
from sinks.athena.glue import Table
from sinks.base import Capabilities, LoadUnit, Strategy
from sinks.rules import Part, refuse_null_keys, rows_per_manifest, schema_changes


@dataclass(frozen=True)
class Staged:
    """A finished prefix: where it is, its columns, and the rows of each manifest in it."""

    location: str
    columns: tuple[tuple[str, str], ...]
    rows: Mapping[tuple[str, str], int]


@dataclass(frozen=True)
class HiveStage:
    """Stages one load of a Hive table: the store the manifests' files are read from, the
    S3 client the prefix is written with, rows per batch, and the sink's capabilities
    (which schema changes it allows)."""

    store: ObjectStore
    s3: Any
    batch_rows: int
    capabilities: Capabilities

    def stage(
        self,
        table: Table,
        unit: LoadUnit,
        pending: tuple[Manifest, ...],
        base: str | None,
        existing: list[tuple[str, str]] | None,
    ) -> Staged:
        """The finished prefix of ``pending`` over ``base`` (the partition's current prefix,
        None for replace), the table's columns being ``existing`` (None: no table yet)."""
        from sinks.staging import unit_files

        files = unit_files(self.store, [Part(unit, pending)])
        schema = self._schema(unit, pending, files, existing)
        location = f"{table.location}{unit.partition.key}/{self._digest(table, unit, pending, base, schema)}/"
        bucket, prefix = split_s3(location)
        marker = files_.read_marker(self.s3, bucket, prefix)
        if marker is not None:  # a retry of the same inputs: the prefix is finished already
            rows = {(u, v): int(n) for u, v, n in marker["rows"]}
            return Staged(location, tuple((c, t) for c, t in marker["columns"]), rows)
        per_file: dict[str, int] = {}
        columns = self._write(unit, pending, files, schema, base, (bucket, prefix), per_file)
        if not columns and existing:
            columns = tuple(existing)
        rows = rows_per_manifest(pending, per_file, self.store)
        files_.write_marker(
            self.s3, bucket, prefix, {"rows": [[*k, n] for k, n in rows.items()], "columns": [list(c) for c in columns]}
        )
        return Staged(location, columns, rows)

    @staticmethod
    def _digest(table: Table, unit: LoadUnit, pending: tuple[Manifest, ...], base: str | None, schema: Any) -> str:
        """The hash naming the prefix: everything the prefix's content depends on."""
        target = unit.target
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
        return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:24]

    def _write(
        self,
        unit: LoadUnit,
        pending: tuple[Manifest, ...],
        files: Sequence[Any],
        schema: Any,
        base: str | None,
        where: tuple[str, str],
        per_file: dict[str, int],
    ) -> tuple[tuple[str, str], ...]:
        """Write the prefix's parts under ``where`` (bucket, prefix), counting each file's
        rows into ``per_file``; the columns written (none without files)."""
        from sinks.staging import file_batches

        bucket, prefix = where
        if unit.target.strategy is Strategy.MERGE and schema is not None:
            return self._merge(unit, pending, files, schema, base, where, per_file)
        if schema is None:
            if base:
                files_.copy_current(self.s3, base, bucket, prefix)
            return ()
        first = files_.copy_current(self.s3, base, bucket, prefix) if base else 0
        writer = files_.PartWriter(self.s3, bucket, prefix, schema, first)
        for file in files:
            per_file[file.path] = 0
            for batch in file_batches(self.store, file, unit.target.format, self.batch_rows):
                per_file[file.path] += batch.num_rows
                writer.write(files_.conform(batch, schema))
        writer.close()
        return tuple((f.name, files_.hive_type(f.type)) for f in schema)

    def _schema(
        self,
        unit: LoadUnit,
        pending: tuple[Manifest, ...],
        files: Sequence[Any],
        existing: list[tuple[str, str]] | None,
    ) -> Any:
        """The files' unified columns without the partition columns, checked against the
        table as every sink checks them (keys present; a column the table has in a type
        that fits it, :func:`sinks.sql.columntypes.fits` in Athena's dialect; a new column
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
        pending: tuple[Manifest, ...],
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
