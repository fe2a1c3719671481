"""Where a dataset's partition comes from: its manifests' keys, or its files' paths.

``partition_from = "manifest"`` (the default) places each manifest in the partition its
key names through the dataset's ``manifests`` pattern (or its own ``dataset`` and
``partition`` keys). ``partition_from = "files"`` is for one manifest over many
partitions, as ``UNLOAD ... PARTITION BY (col) MANIFEST`` writes it: the pattern only
finds the dataset's manifests, and each file's partition comes from the ``name=value``
folders of its path (:mod:`manifests.hive`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from manifests import ConfigError, KeyLayout
from sinks.base import Strategy

#: the values of ``partition_from``
PARTITION_FROM = ("manifest", "files")


def dataset_layout(
    raw: dict[str, Any],
    pattern: str,
    partition: tuple[str, ...],
    strategy: Strategy,
    fail: Callable[[str, str], ConfigError],
) -> tuple[KeyLayout, str]:
    """The dataset's key layout and its ``partition_from``, or a ConfigError naming the key.

    With ``"files"`` the pattern need not (and may not) name the partition fields: the
    manifest's key says nothing of its partitions. ``replace`` is refused: it reloads a
    partition from the manifests one LIST of its folder finds, and the manifests of a
    partition taken from its files lie anywhere."""
    source = raw.get("partition_from", "manifest")
    if source not in PARTITION_FROM:
        raise fail("partition_from", f'must be "manifest" or "files", got {source!r}')
    if source == "files" and strategy is Strategy.REPLACE:
        raise fail("partition_from", '"files" works with append and merge; replace needs each partition\'s manifests '
                   "in its own folder")  # fmt: skip
    try:
        layout = KeyLayout(pattern, partition if source == "manifest" else ())
    except ValueError as exc:
        raise fail("manifests", str(exc)) from None
    named = [f for f in partition if "{" + f + "}" in pattern]
    if source == "files" and named:
        raise fail("manifests", f"with partition_from = \"files\" the pattern may not name the partition field "
                   f"{named[0]}: each file's path says its partition")  # fmt: skip
    return layout, source
