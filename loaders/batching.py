"""A dataset's data files and batch limits, for the manifest builder: the ``data`` and
``batch`` keys of a ``[datasets."…"]`` table::

    data = "data/ad_server/conversion/dt={dt}/hour={hour}/*.parquet"
    batch = { files = 100, bytes = 134_217_728, seconds = 300 }

``data`` is a key pattern like ``manifests``: ``{name}`` matches one path segment's
part and must name every partition field; ``*`` matches any part of one segment (never
a ``/``). ``batch`` seals a batch when it holds ``files`` files, or ``bytes`` bytes, or
its first file arrived ``seconds`` ago (each optional; these are the defaults). The
manifests pattern names one field besides the partition's (usually ``{batch}``): the
builder fills it with ``batch-000001``, ``batch-000002``… per partition.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from manifests import KeyLayout, Partition

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
DEFAULT_FILES = 100
DEFAULT_BYTES = 128 * 1024 * 1024
DEFAULT_SECONDS = 300


@dataclass(frozen=True)
class BatchSettings:
    """Where a dataset's data files lie, when a batch of them is sealed, and the name
    each sealed batch's manifest gets."""

    data: str
    partition: tuple[str, ...]
    manifests: KeyLayout
    batch_field: str
    #: the data files' format: Parquet files get a record_count from their footers
    fmt: str = "parquet"
    files: int = DEFAULT_FILES
    bytes: int = DEFAULT_BYTES
    seconds: int = DEFAULT_SECONDS

    def match(self, key: str) -> Partition | None:
        """The partition a data file's key belongs to, or None if it is not one."""
        found = _data_regex(self.data).fullmatch(key.lstrip("/"))
        if not found:
            return None
        return Partition.of((f, found.group(f)) for f in self.partition)

    def manifest_key(self, partition: Partition, seq: int) -> str:
        """The key of a partition's ``seq``-th built manifest."""
        values = {**partition.as_dict(), self.batch_field: f"batch-{seq:06d}"}
        return _FIELD.sub(lambda m: values[m.group(1)], self.manifests.pattern)


@functools.lru_cache(maxsize=64)
def _data_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    pos = 0
    for found in re.finditer(r"\{([A-Za-z_][A-Za-z0-9_]*)\}|\*", pattern):
        parts.append(re.escape(pattern[pos : found.start()]))
        parts.append(f"(?P<{found.group(1)}>[^/]+?)" if found.group(1) else "[^/]*")
        pos = found.end()
    parts.append(re.escape(pattern[pos:]))
    return re.compile("".join(parts))


def batch_settings(
    raw: dict[str, Any], layout: KeyLayout, fmt: str, fail: Callable[[str, str], Exception]
) -> BatchSettings | None:
    """A dataset's ``data``/``batch`` keys, checked; None when it has no ``data``."""
    data = raw.get("data")
    if data is None:
        if "batch" in raw:
            raise fail("batch", 'applies only with data = "<pattern of the data files>"')
        return None
    if not isinstance(data, str) or not data.strip("/"):
        raise fail("data", 'a key pattern, e.g. "data/src/type/dt={dt}/*.parquet"')
    if not layout.partition_fields:
        raise fail("data", 'the builder writes one manifest per partition, named by it; with partition_from = "files" '
                   'a manifest names no partition: leave partition_from out')  # fmt: skip
    names = _FIELD.findall(data)
    missing = [f for f in layout.partition_fields if f not in names]
    if missing or len(names) != len(set(names)):
        raise fail("data", f"must name each partition field once ({', '.join(layout.partition_fields)})")
    if any(part in (".", "..") for part in data.split("/")):
        raise fail("data", 'a key pattern may not hold a "." or ".." segment')
    extra = [f for f in _FIELD.findall(layout.pattern) if f not in layout.partition_fields]
    if len(extra) != 1:
        raise fail("manifests", "with data, the pattern needs exactly one field besides the partition's, e.g. {batch}")
    if _data_regex(data.lstrip("/")).fullmatch(_FIELD.sub("x", layout.pattern)):
        raise fail("data", "matches the keys of the manifests the builder writes: keep data files and manifests apart")
    limits = raw.get("batch", {})
    if not isinstance(limits, dict) or set(limits) - {"files", "bytes", "seconds"}:
        raise fail("batch", "a table of files, bytes and seconds, e.g. { files = 100, seconds = 300 }")
    for key, value in limits.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise fail(f"batch.{key}", f"must be a whole number of at least 1, got {value!r}")
    return BatchSettings(data.lstrip("/"), layout.partition_fields, layout, extra[0], fmt, **limits)
