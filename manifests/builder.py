"""Manifests for producers that write none (Firehose to S3, Spark, Flink): the building
block behind ``loaders manifest build`` and the batch handler, usable from producer code::

    from manifests.builder import build, write_once
    from manifests.store import open_store

    store = open_store("s3://lake")
    doc = build(store, ["s3://lake/data/dt=2026-11-29/part-0.parquet", ...])
    write_once(store, "s3://lake/manifests/dt=2026-11-29/batch-1.json", doc)

A manifest is the Redshift COPY format, ``{"entries": [{"url", "mandatory": true,
"meta": {"content_length", "record_count"}}]}``, entries sorted by URL so the same files
always give the same bytes. ``content_length`` is the object's size from one LIST;
``record_count`` is read from a Parquet file's footer (only the footer: a ranged read of
its last bytes), and left out for other formats. :func:`write_once` creates the object
only if it is absent, so building the same manifest twice never overwrites another.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from manifests.conditional import Conflict, put, read_versioned
from manifests.errors import ManifestError, MissingFileError, TransientError
from manifests.models import ObjectInfo
from manifests.store import ObjectStore, open_object


def is_parquet(url: str, fmt: str | None = None) -> bool:
    """Whether to read a record count from the file: the format says so, or (none given)
    its name ends in ``.parquet``."""
    return fmt == "parquet" if fmt is not None else url.lower().endswith(".parquet")


def record_count(store: ObjectStore, url: str) -> int:
    """The rows a Parquet file holds, from its footer alone."""
    import pyarrow.parquet as pq

    try:
        with open_object(store, url) as fh:
            return int(pq.ParquetFile(fh).metadata.num_rows)
    except FileNotFoundError:
        raise MissingFileError("no such object in the store", file=url) from None
    except ValueError as exc:  # pyarrow's ArrowInvalid: not a Parquet file
        raise ManifestError(f"cannot read a Parquet footer ({exc})", file=url) from None
    except OSError as exc:  # the network, throttling
        raise TransientError(f"cannot read the Parquet footer ({exc})", file=url) from None


def sizes(store: ObjectStore, urls: Iterable[str]) -> dict[str, int]:
    """Each file's size, from a LIST of its own key (a missing file is an error)."""
    found: dict[str, int] = {}
    for url in urls:
        listed = {o.url: o.size for o in store.list(url)}
        if url not in listed:
            raise MissingFileError("no such object in the store", file=url)
        found[url] = listed[url]
    return found


def listed(store: ObjectStore, prefix: str) -> dict[str, int]:
    """Every data file under ``prefix`` with its size, from one LIST; names starting with
    ``_`` or ``.`` (``_SUCCESS``, ``.crc``, Spark's ``_temporary/``) are not data."""
    return {o.url: o.size for o in store.list(prefix) if _is_data(o, prefix)}


def _is_data(info: ObjectInfo, prefix: str) -> bool:
    rest = info.url[len(prefix) :] if info.url.startswith(prefix) else info.url.rsplit("/", 1)[-1]
    return not any(part.startswith(("_", ".")) for part in rest.split("/")) and info.size > 0


def is_data(url: str, size: int) -> bool:
    """Whether one file is data: not empty, and its name starts with neither ``_`` nor ``.``."""
    return size > 0 and not url.rsplit("/", 1)[-1].startswith(("_", "."))


def manifest_doc(files: Mapping[str, int], counts: Mapping[str, int]) -> dict[str, Any]:
    """The manifest of ``files`` (URL → size), with the record counts known."""
    entries = []
    for url in sorted(files):
        meta: dict[str, int] = {"content_length": files[url]}
        if url in counts:
            meta["record_count"] = counts[url]
        entries.append({"url": url, "mandatory": True, "meta": meta})
    return {"entries": entries}


def build(store: ObjectStore, sources: Sequence[str] | str, fmt: str | None = None) -> dict[str, Any]:
    """The manifest of the files ``sources`` name: each a file's URL, or a prefix (ending
    in ``/``) standing for every data file under it. ``fmt``: the files' format (default:
    by extension)."""
    files: dict[str, int] = {}
    for source in [sources] if isinstance(sources, str) else sources:
        if source.endswith("/"):
            found = listed(store, store.resolve(source.rstrip("/")) + "/")
            if not found:
                raise ManifestError(f"no data files under {source}")
            files.update(found)
        else:
            files.update(sizes(store, [store.resolve(source)]))
    counts = {u: record_count(store, u) for u in files if is_parquet(u, fmt)}
    return manifest_doc(files, counts)


def encode(doc: Mapping[str, Any]) -> bytes:
    """A manifest's bytes: the same document always gives the same bytes."""
    return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode()


def write_once(store: ObjectStore, url: str, doc: Mapping[str, Any]) -> bool:
    """Create the manifest at ``url`` (``If-None-Match: *``). True when this call wrote
    it, False when the very same manifest was there already; a different one there is a
    ManifestError, and it is left as it is."""
    data = encode(doc)
    try:
        put(store, url, data, None)
        return True
    except Conflict:
        found = read_versioned(store, url)
        if found is not None and found[0] == data:
            return False
        raise ManifestError("a different manifest already exists here; not overwritten", manifest=url) from None
