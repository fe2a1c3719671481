"""The one error tree every layer of loaders raises.

It lives on the ground floor because manifests, sinks and the runner all raise it, and
``loaders`` re-exports it. The split decides what happens next: a transient error is
retried (by AWS, by the next sweep, or by the user), a terminal one is not, because the
same input would fail the same way; it goes to the dead-letter queue instead.

    LoaderError
    ├── TransientError            retry later: throttling, locks, network, busy files
    │   └── SinkBusyError         another process or transaction holds the warehouse
    └── TerminalError             the input is wrong; retrying cannot help
        ├── ConfigError           the configuration must change first: loaders.toml, a
        │                         sink's credentials, database, role or grants, the AWS
        │                         credentials, region or resources (CLI exit status 2)
        ├── ManifestError         malformed JSON or shape
        │   ├── EmptyManifestError   no entries, and the dataset does not allow that
        │   └── DuplicateFileError   one file named twice: two spellings of it, or two
        │                            manifests or partitions of one load
        ├── ForeignURLError       a URL outside the allowed prefixes
        ├── MissingFileError      a mandatory file is not in the store
        ├── SizeMismatchError     content_length differs from the object's size
        ├── RecordCountError      record_count differs from the rows staged
        ├── SchemaMismatchError   the staged columns do not fit the target table
        ├── MalformedFileError    a data file is not valid in its format (an unterminated
        │                         quote, a JSON line that is no object, a column name that
        │                         cannot be a column); never half-read
        ├── NullKeyError          merge rows whose key is NULL
        ├── UnsupportedError      a format or feature this sink does not have
        └── InternalError         an unexpected exception inside one unit (a bug, or a
                                  driver error nobody mapped): that unit fails, others go on

Every error carries the manifest and the file it is about, when there is one, so the
message alone tells a person at 4 a.m. what is wrong and where.

Drivers' errors reach this tree through one table per engine, by class and code
(:mod:`manifests.aws_errors`, :mod:`sinks.sql.sqlstate`, and the Snowflake and DuckDB
sinks' own), never by the words of a message.
"""

from __future__ import annotations


class LoaderError(Exception):
    """Root of every error loaders raises on purpose."""

    transient = False

    def __init__(self, message: str, *, manifest: str | None = None, file: str | None = None) -> None:
        self.manifest = manifest
        self.file = file
        self.reason = message
        super().__init__(self._compose(message))

    def naming(self, manifest: str) -> LoaderError:
        """This error naming ``manifest`` too, for one raised where only the file was known
        (a reader of the file's format); as it is if it names one already."""
        if self.manifest is not None:
            return self
        return type(self)(self.reason, manifest=manifest, file=self.file)

    def _compose(self, message: str) -> str:
        where = []
        if self.manifest:
            where.append(f"manifest {_shown(self.manifest)}")
        if self.file:
            where.append(f"file {_shown(self.file)}")
        return f"{', '.join(where)}: {message}" if where else message


def _shown(name: str) -> str:
    """A name as a message shows it: a URL from a hostile manifest may hold a newline or
    a terminal escape, which must neither split the message nor reach a terminal raw."""
    if name.isprintable():
        return name
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in name)


class TransientError(LoaderError):
    """Worth retrying: the same input may succeed later."""

    transient = True


class SinkBusyError(TransientError):
    """The warehouse is held by another process or transaction."""


class TerminalError(LoaderError):
    """Not worth retrying: the input or the configuration must change first."""


class ConfigError(TerminalError):
    """The configuration must change before anything loads: loaders.toml or a flag, or what
    it names and grants (a sink's user, password, database, role or privileges; the AWS
    credentials, region, bucket, queue or topic)."""


class ManifestError(TerminalError):
    """The manifest is not valid JSON or does not have the shape of a COPY manifest."""


class EmptyManifestError(ManifestError):
    """The manifest lists no files and its dataset says that is an error."""


class DuplicateFileError(ManifestError):
    """One data file is named twice: under two spellings of its URL, or by two manifests
    (or two partitions) of one load. Loading it would load its rows twice."""


class ForeignURLError(TerminalError):
    """A manifest or data URL lies outside the store's allowed prefixes."""


class MissingFileError(TerminalError):
    """A mandatory file named by a manifest is not in the store."""


class SizeMismatchError(TerminalError):
    """A file's size in the store differs from the manifest's content_length."""


class RecordCountError(TerminalError):
    """The rows staged from a file differ from the manifest's record_count."""


class SchemaMismatchError(TerminalError):
    """The staged data does not fit the target table."""


class UnsupportedError(TerminalError):
    """A format or feature the chosen sink does not support."""


class MalformedFileError(TerminalError):
    """A data file is not valid in its format; it is refused whole, never half-read."""


class NullKeyError(TerminalError):
    """Rows to merge have a NULL in a key column: they could never be matched again."""


class InternalError(TerminalError):
    """An unexpected exception inside one unit: a bug, or a driver error nobody mapped."""
