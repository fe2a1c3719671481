"""Avro and wrapped Avro → Parquet in the store, so every sink loads them.

No sink here reads Avro container files natively (DuckDB's extension cannot be downloaded
offline; Snowflake and Redshift cannot read DataWrapper envelopes), so the runner
converts a unit's Avro files to Parquet under ``<root>/_loaders/staging/`` before the
load — the seed's AVRO → Parquet step — and removes them after. The converted manifest
keeps the original's URL and version, so the load state records what the producer
wrote, not our copy; its entries name the Parquet files, with their row counts, and its
``schemas`` the fingerprints of the writer schemas found, which the load state records.

Paths are derived from the manifest's identity and the attempt (the load id): several
functions may convert the same manifest at once (one per sink, a sweep beside a
notification), and each removes only its own copies, never files another is still
loading. Copies a crashed attempt leaves behind are never read again; an S3 lifecycle
rule on ``_loaders/staging/`` (docs/deploy.md) expires them.
A wrapped file becomes one Parquet file per writer schema; ``union_by_name`` reading
(and schema evolution in the sinks) lines their columns up.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import replace
from typing import Any

from manifests.avro import read_avro, read_wrapped
from manifests.errors import LoaderError, RecordCountError
from manifests.models import Entry, Manifest
from manifests.schemas import SchemaRegistry, hex_form
from manifests.store import ObjectStore, open_object

STAGING = "_loaders/staging/"


def convert(
    manifest: Manifest, fmt: str, store: ObjectStore, registry: SchemaRegistry, written: list[str], attempt: str
) -> Manifest:
    """The manifest with its Avro entries replaced by Parquet copies. Each copy's URL is
    added to ``written`` as soon as it exists, so the caller removes it even if a later
    file of the manifest fails."""
    import pyarrow.parquet as pq

    # the parts of one manifest split by its files' partitions share its URL and version:
    # each part converts into its own folder, or their first files' copies would collide
    part = f"#{manifest.partition.key}" if manifest.partition is not None else ""
    key = f"{manifest.url}#{manifest.version}#{attempt}{part}"
    folder = store.root + STAGING + hashlib.sha256(key.encode()).hexdigest()[:20]
    entries: list[Entry] = []
    found = set(manifest.schemas)  # the writer schemas' fingerprints
    for index, entry in enumerate(manifest.entries):
        groups: dict[str, tuple[Any, str, int]] = {}  # name → (writer, temp path, rows)
        with tempfile.TemporaryDirectory() as tmp, open_object(store, entry.url) as fh:
            batches = read_avro(fh, entry.url) if fmt == "avro" else read_wrapped(fh, entry.url, registry)
            try:
                for value, batch in batches:
                    name = hex_form(value)
                    found.add(name)
                    if name not in groups:
                        path = os.path.join(tmp, f"{name}.parquet")
                        groups[name] = (pq.ParquetWriter(path, batch.schema), path, 0)
                    writer, path, rows = groups[name]
                    writer.write_batch(batch)
                    groups[name] = (writer, path, rows + batch.num_rows)
            except LoaderError as exc:  # the readers know the file; the message names the manifest too
                raise exc.naming(manifest.url) from None
            finally:
                for writer, _path, _rows in groups.values():
                    writer.close()
            total = sum(rows for _writer, _path, rows in groups.values())
            if entry.record_count is not None and entry.record_count != total:
                raise RecordCountError(
                    f"record_count is {entry.record_count} but the file holds {total}",
                    manifest=manifest.url,
                    file=entry.url,
                )
            for name, (_writer, path, rows) in sorted(groups.items()):
                url = f"{folder}/{index:05d}-{name}.parquet"
                with open(path, "rb") as data:
                    body = data.read()
                store.write(url, body)
                written.append(url)
                entries.append(Entry(url=url, mandatory=True, content_length=len(body), record_count=rows))
    return replace(manifest, entries=tuple(entries), format="parquet", schemas=tuple(sorted(found)))
