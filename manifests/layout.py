"""Key layouts: ``manifests/ad_server/conversion/dt={dt}/hour={hour}/{batch}.json``.

A layout maps a manifest's key to its partition values, and a partition back to the one
prefix that a single LIST needs to find all of that partition's manifests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from manifests.models import Partition

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class KeyLayout:
    """A key pattern with ``{name}`` fields; each field matches one path segment's part."""

    pattern: str
    partition_fields: tuple[str, ...]

    def __post_init__(self) -> None:
        names = _FIELD.findall(self.pattern)
        if len(names) != len(set(names)):
            raise ValueError(f"pattern {self.pattern!r} names a field twice")
        missing = [f for f in self.partition_fields if f not in names]
        if missing:
            raise ValueError(f"pattern {self.pattern!r} has no field for partition {', '.join(missing)}")
        object.__setattr__(self, "_regex", _compile(self.pattern))

    def match(self, key: str) -> Partition | None:
        """The partition a key belongs to, or None when the key does not fit the pattern."""
        found = self._regex.fullmatch(key.lstrip("/"))  # type: ignore[attr-defined]
        if not found:
            return None
        return Partition.of((f, found.group(f)) for f in self.partition_fields)

    def prefix(self, partition: Partition) -> str:
        """The listing prefix holding every manifest of ``partition``.

        Fields are filled up to the first one the partition does not fix (usually the
        batch name), and the prefix is cut at the last ``/`` before it, so a LIST of it
        finds the partition's manifests and nothing of a sibling partition.
        """
        values = partition.as_dict()
        out = []
        pos = 0
        for found in _FIELD.finditer(self.pattern):
            out.append(self.pattern[pos : found.start()])
            name = found.group(1)
            if name not in values:
                text = "".join(out)
                return text[: text.rfind("/") + 1]
            out.append(values[name])
            pos = found.end()
        return "".join(out) + self.pattern[pos:]


def _compile(pattern: str) -> re.Pattern[str]:
    parts = []
    pos = 0
    for found in _FIELD.finditer(pattern):
        parts.append(re.escape(pattern[pos : found.start()]))
        parts.append(f"(?P<{found.group(1)}>[^/]+?)")
        pos = found.end()
    parts.append(re.escape(pattern[pos:]))
    return re.compile("".join(parts))
