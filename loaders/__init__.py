"""loaders: S3 manifests into warehouses, exactly once.

The error tree lives in ``manifests.errors`` (every layer raises it) and is re-exported
here so users write ``from loaders import TransientError``.
"""

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

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "EmptyManifestError",
    "ForeignURLError",
    "LoaderError",
    "ManifestError",
    "MissingFileError",
    "RecordCountError",
    "SchemaMismatchError",
    "SinkBusyError",
    "SizeMismatchError",
    "TerminalError",
    "TransientError",
    "UnsupportedError",
    "__version__",
]
