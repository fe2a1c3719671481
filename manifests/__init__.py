"""The data description: manifests, partitions, key layouts and the object store."""

from manifests.errors import (
    ConfigError,
    DuplicateFileError,
    EmptyManifestError,
    ForeignURLError,
    InternalError,
    LoaderError,
    MalformedFileError,
    ManifestError,
    MissingFileError,
    NullKeyError,
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
    "DuplicateFileError",
    "EmptyManifestError",
    "Entry",
    "ForeignURLError",
    "InternalError",
    "KeyLayout",
    "LoaderError",
    "MalformedFileError",
    "Manifest",
    "ManifestError",
    "MissingFileError",
    "NullKeyError",
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
