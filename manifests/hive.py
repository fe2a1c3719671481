"""Partitions taken from the files' paths: one manifest, many partitions.

``UNLOAD ... PARTITION BY (col) MANIFEST`` writes one manifest whose files lie under
Hive-style ``col=value/`` folders (Amazon Redshift Database Developer Guide, "UNLOAD
examples", "Unload LINEITEM table to partitioned Parquet files" and "Unload the EVENT
table using PARTITION BY and MANIFEST parameters":
https://docs.aws.amazon.com/redshift/latest/dg/r_UNLOAD_command_examples.html). A
dataset with ``partition_from = "files"`` takes each file's partition from those
segments, and its manifest is split into one part per partition, each keeping the
manifest's identity (key and version), so each partition's load state records the one
manifest once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import unquote, urlsplit

from manifests.errors import ManifestError, RecordCountError
from manifests.models import Entry, Manifest, Partition
from manifests.parse import check_partition


def file_partition(url: str, fields: Sequence[str], manifest: str) -> Partition:
    """The partition a file's path names: for each field, its one ``field=value`` folder
    segment (the value as the key spells it: a ``file://`` URL's percent-encoding is
    undone, an S3 key is literal). A ManifestError naming the manifest and the file when
    a field has no segment, an empty value, or two different values."""
    parts = urlsplit(url)
    path = unquote(parts.path) if parts.scheme == "file" else parts.path
    folders = path.split("/")[:-1]
    values = []
    for name in fields:
        found = {seg.partition("=")[2] for seg in folders if seg.partition("=")[0] == name and "=" in seg}
        if not found or "" in found:
            problem = "an empty value" if found else "no"
            raise ManifestError(
                f'the file\'s path has {problem} {name}=<value> folder: with partition_from = "files"'
                f" every file lies under {'/'.join(f + '=<value>' for f in fields)}",
                manifest=manifest,
                file=url,
            )
        if len(found) > 1:
            raise ManifestError(
                f"the file's path names {name} twice ({', '.join(sorted(found))})", manifest=manifest, file=url
            )
        values.append((name, found.pop()))
    try:
        return check_partition(Partition.of(values), manifest, "the file's partition")
    except ManifestError as exc:
        raise ManifestError(exc.reason, manifest=manifest, file=url) from None


def split_by_files(manifest: Manifest, fields: Sequence[str]) -> dict[Partition, Manifest]:
    """The manifest's files grouped by the partition each one's path names: one manifest
    per partition, with the same url, key and version (one identity) and only that
    partition's entries. Every file is placed before anything is returned, so one file
    without a partition fails the whole manifest. An empty manifest names no partition.
    A top-level ``meta.record_count`` over files in many partitions needs every entry's
    own count (checked before the split): otherwise a RecordCountError, nothing loaded."""
    groups: dict[Partition, list[Entry]] = {}
    for entry in manifest.entries:
        groups.setdefault(file_partition(entry.url, fields, manifest.url), []).append(entry)
    whole = len(groups) == 1
    if not whole and manifest.record_count is not None and any(e.record_count is None for e in manifest.entries):
        # no part can carry the total, and its rows are only counted part by part
        raise RecordCountError(
            f"meta.record_count is {manifest.record_count}, but its files lie in {len(groups)} partitions and not "
            "every entry gives its meta.record_count: the total cannot be checked, so nothing is loaded",
            manifest=manifest.url,
        )
    return {
        # the totals of the top-level meta are the whole manifest's: each part's own
        # rows are checked per file, and the total once, before the split (check_files)
        p: replace(
            manifest,
            entries=tuple(entries),
            partition=p,
            record_count=manifest.record_count if whole else None,
            content_length=manifest.content_length if whole else None,
        )
        for p, entries in sorted(groups.items())
    }
