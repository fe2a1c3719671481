"""loaders: S3 manifests into warehouses, exactly once.

The error tree lives in ``manifests.errors`` (every layer raises it) and is re-exported
here so users write ``from loaders import TransientError``.
"""

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

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DuplicateFileError",
    "EmptyManifestError",
    "ForeignURLError",
    "InternalError",
    "LoaderError",
    "MalformedFileError",
    "ManifestError",
    "MissingFileError",
    "NullKeyError",
    "RecordCountError",
    "SchemaMismatchError",
    "SinkBusyError",
    "SizeMismatchError",
    "TerminalError",
    "TransientError",
    "UnsupportedError",
    "__version__",
]
