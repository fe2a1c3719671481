"""The data description: manifests, partitions, key layouts and the object store."""

from manifests.errors import (
    ConfigError,
    EmptyManifestError,
    ForeignURLError,
    LoaderError,
    ManifestError,
    MissingFileError,
    RecordCountError,
    SchemaMismatchError,
    SinkBusyError,
    SizeMismatchError,
    TerminalError,
    TransientError,
    UnsupportedError,
)
from manifests.layout import KeyLayout
from manifests.models import FORMATS, Entry, Manifest, ObjectInfo, Partition
from manifests.parse import parse_manifest

__all__ = [
    "FORMATS",
    "ConfigError",
    "EmptyManifestError",
    "Entry",
    "ForeignURLError",
    "KeyLayout",
    "LoaderError",
    "Manifest",
    "ManifestError",
    "MissingFileError",
    "ObjectInfo",
    "Partition",
    "RecordCountError",
    "SchemaMismatchError",
    "SinkBusyError",
    "SizeMismatchError",
    "TerminalError",
    "TransientError",
    "UnsupportedError",
    "parse_manifest",
]
