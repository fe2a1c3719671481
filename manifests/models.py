"""The data description: partitions, manifest entries and manifests.

These are plain frozen values so that every layer can pass them around, compare them
and put them in sets without asking where they came from.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

FORMATS = ("parquet", "csv", "jsonl", "avro", "avro-wrapped")
#: formats no sink reads: the runner converts them to Parquet copies first (manifests.convert)
AVRO_FORMATS = ("avro", "avro-wrapped")


def loaded_format(fmt: str) -> str:
    """The format a sink receives a dataset's files in."""
    return "parquet" if fmt in AVRO_FORMATS else fmt


#: Unicode categories no name or value from outside may hold: controls (NUL, newline,
#: escape, C1), format characters (zero-width, right-to-left overrides), surrogates, and
#: the line and paragraph separators.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def unprintable(text: str) -> str | None:
    """The first character of ``text`` that is not printable, as ``U+XXXX``, or None."""
    if text.isascii() and text.isprintable():
        return None
    for char in text:
        if unicodedata.category(char) in _UNPRINTABLE:
            return f"U+{ord(char):04X}"
    return None


@dataclass(frozen=True, order=True)
class Partition:
    """A dataset's time slice, e.g. ``dt=2026-11-29/hour=08``; order of keys matters."""

    items: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, values: Mapping[str, str] | Iterable[tuple[str, str]]) -> Partition:
        pairs = values.items() if isinstance(values, Mapping) else values
        return cls(tuple((str(k), str(v)) for k, v in pairs))

    @classmethod
    def parse(cls, text: str) -> Partition:
        """Parse ``k=v/k=v``; the inverse of :attr:`key`."""
        pairs = []
        for part in text.strip("/").split("/"):
            name, sep, value = part.partition("=")
            if not sep or not name:
                raise ValueError(f"partition {text!r}: expected k=v/k=v")
            pairs.append((name, value))
        return cls(tuple(pairs))

    @property
    def key(self) -> str:
        return "/".join(f"{k}={v}" for k, v in self.items)

    def as_dict(self) -> dict[str, str]:
        return dict(self.items)

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True)
class Entry:
    """One data file of a manifest (Redshift COPY manifest entry)."""

    url: str
    mandatory: bool = False
    content_length: int | None = None
    record_count: int | None = None


@dataclass(frozen=True)
class Manifest:
    """A batch of data files; identified by its key plus its version (ETag or hash).

    ``key`` is the manifest's key relative to the store root (the absolute URL when it
    lies outside the root): what the load state records, so that a lake that moves
    keeps its state. ``url`` is where it is read from now.
    """

    url: str
    version: str
    entries: tuple[Entry, ...]
    dataset: str | None = None
    partition: Partition | None = None
    format: str | None = None
    schema_fingerprint: str | None = None
    #: the writer schemas of the data, as 16-hex-digit fingerprints: the manifest's
    #: ``schema_fingerprint``, or those the Avro files named (set when they are converted)
    schemas: tuple[str, ...] = field(default=(), compare=False)
    extra: Mapping[str, object] = field(default_factory=dict, compare=False, hash=False)
    key: str | None = None
    #: the totals of the top-level ``meta`` (UNLOAD ... MANIFEST VERBOSE writes them):
    #: the rows and bytes of all its files, checked against what is found and read
    record_count: int | None = None
    content_length: int | None = None

    @property
    def identity(self) -> tuple[str, str]:
        """(key, version): the same manifest wherever the lake lives now."""
        return (self.key or self.url, self.version)

    @property
    def bytes(self) -> int:
        return sum(e.content_length or 0 for e in self.entries)


@dataclass(frozen=True)
class ObjectInfo:
    """What one LIST of the store says about an object; no GET or HEAD needed."""

    url: str
    size: int
    version: str
    #: the key relative to the store root, where the lister knows it (see Manifest.key)
    key: str | None = None
    #: when the object was last written (naive UTC), where the lister says
    modified: datetime | None = field(default=None, compare=False)

    @property
    def identity(self) -> tuple[str, str]:
        return (self.key or self.url, self.version)
