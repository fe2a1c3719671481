"""The stage step of an Iceberg table's load: the units' files as Parquet under a staging
prefix, every row tagged with its manifest (:data:`MANIFEST_COLUMN`) and its partition
values, for the external table the statements read (:func:`write_stage`; compiling,
:func:`described` says what it would hold); the files deleted once the load is over
(:func:`delete_stage_files`). pyarrow is imported when a stage runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from manifests import Manifest
from manifests.store import ObjectStore, split_s3
from sinks.athena import parquet as files_
from sinks.rules import FILE_COLUMN, Part

#: the hidden column naming the manifest version each row came from (url#version)
MANIFEST_COLUMN = "_loaders_manifest"


def write_stage(
    store: ObjectStore,
    s3: Any,
    parts: list[Part],
    context: dict[str, Any],
    batch_rows: int,
    check: Callable[[list[tuple[str, str]]], object],
) -> tuple[list[tuple[str, str]], dict[str, int]]:
    """The units' files as Parquet under ``context["stage_location"]``, with the partition
    values and the manifest identity as columns; the data's columns are passed to ``check``
    (the sink's check against the target, which the load runs again) before anything is
    uploaded, so a refused change uploads nothing. The staged columns, and rows per file."""
    import pyarrow as pa

    from sinks.staging import file_batches, unit_files

    fmt = parts[0].unit.target.format
    files = unit_files(store, parts)
    schema = _data_schema(store, files, fmt, context["partition_columns"])
    check([(f.name, files_.iceberg_type(f.type)) for f in schema])
    extra = [*context["partition_columns"], MANIFEST_COLUMN]
    full = pa.schema([*schema, *(pa.field(c, pa.string()) for c in extra)])
    bucket, prefix = split_s3(context["stage_location"])
    writer = files_.PartWriter(s3, bucket, prefix, full)
    counts: dict[str, int] = {}
    for file in files:
        values = [v for _k, v in file.part.unit.partition.items] + [manifest_id(file.manifest)]
        counts[file.path] = 0
        for batch in file_batches(store, file, fmt, batch_rows):
            counts[file.path] += batch.num_rows
            data = files_.conform(batch, schema)
            constants = [pa.array([v] * batch.num_rows, pa.string()) for v in values]
            writer.write(pa.RecordBatch.from_arrays([*data.columns, *constants], schema=full))
    writer.close()
    return [(f.name, files_.iceberg_type(f.type)) for f in full], counts


def _data_schema(store: ObjectStore, files: Sequence[Any], fmt: str, partition_columns: Sequence[str]) -> Any:
    """The files' unified columns, without the partition columns and the manifest tag."""
    from sinks.staging import check_merge_files, file_schema, unify

    schemas = [file_schema(store, f, fmt) for f in files]
    # the unified schema hides a file without a key or order_by: checked per file
    check_merge_files(store, files, fmt, {f.path: s.names for f, s in zip(files, schemas, strict=True)})
    schema = unify(schemas, files).remove_metadata()
    fields = [c.lower() for c in partition_columns]
    for name in [f.name for f in schema if f.name.lower() in fields or f.name == MANIFEST_COLUMN]:
        schema = schema.remove(schema.get_field_index(name))
    return schema


def manifest_id(manifest: Manifest) -> str:
    """The tag of an appended row: the manifest's key (relative to the store root) and version."""
    key, version = manifest.identity
    return f"{key}#{version}"


def manifest_ids(manifest: Manifest) -> tuple[str, ...]:
    """The tags a crashed load may have left for a manifest: its key's, and its absolute
    URL's, as versions before manifests were known by their keys wrote them."""
    return tuple(dict.fromkeys((manifest_id(manifest), f"{manifest.url}#{manifest.version}")))


def described(ask: Callable[[str], list[Any]], context: dict[str, Any]) -> tuple[list[tuple[str, str]], dict[str, int]]:
    """What a recorded load's stage holds, from the answers to ``ask`` (``loaders compile``):
    the described columns (as text), the partition columns and :data:`MANIFEST_COLUMN`;
    and the rows per file."""
    found = [(str(n), "string") for n, _t in ask("describe") if n != FILE_COLUMN]
    fields = context["partition_columns"]
    columns = [c for c in found if c[0] not in fields]
    columns += [(c, "string") for c in fields] + [(MANIFEST_COLUMN, "string")]
    return columns, {str(p): int(n) for p, n in ask("staged_counts")}


def delete_stage_files(s3: Any, location: str) -> None:
    """The staging files under ``location`` deleted (the load is over)."""
    bucket, prefix = split_s3(location)
    files_.delete_keys(s3, bucket, files_.data_keys(s3, bucket, prefix))
