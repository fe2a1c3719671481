"""A unit's data files as staging reads them (:class:`File`), and what a reader's error
about one is: the loader error naming its manifest and file (:func:`read_error`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

from manifests import (
    Entry,
    LoaderError,
    MalformedFileError,
    Manifest,
    MissingFileError,
    TerminalError,
    TransientError,
)
from manifests.store import ObjectStore
from sinks.rules import Part, holds_rows


@dataclass(frozen=True)
class File:
    """One data file of a part, with what errors about it must name."""

    part: Part
    manifest: Manifest
    entry: Entry
    path: str


def unit_files(store: ObjectStore, parts: Sequence[Part]) -> list[File]:
    """The files to read: an empty CSV or JSON-lines file holds no rows (and no columns),
    so it is not read at all (:func:`sinks.rules.holds_rows`)."""
    return [
        File(p, m, e, store.engine_path(e.url))
        for p in parts
        for m in p.pending
        for e in m.entries
        if holds_rows(e, p.unit.target.format)
    ]


def read_error(exc: Exception, file: File) -> LoaderError:
    """A reader's exception as the loader error it is, naming the manifest and the file.
    What a reader refuses to parse (pyarrow's ArrowInvalid, DuckDB's invalid-input,
    conversion and binder errors, bytes that are not UTF-8) is a MalformedFileError."""
    where = {"manifest": file.manifest.url, "file": file.entry.url}
    if isinstance(exc, LoaderError):
        return exc if exc.manifest else type(exc)(exc.reason, **where)
    if isinstance(exc, FileNotFoundError):
        return MissingFileError("the file is gone from the store", **where)
    if isinstance(exc, _malformed()):
        kind = _FORMAT_NAMES.get(_format_of(file), "data")
        return MalformedFileError(f"not valid {kind}: {engine_text(exc)}", **where)
    if isinstance(exc, OSError) and not isinstance(exc, UnicodeError):
        return TransientError(f"cannot read the file ({exc})", **where)  # network, throttling
    return TerminalError(f"cannot read the file: {exc}", **where)


_FORMAT_NAMES = {"csv": "CSV", "jsonl": "JSON lines", "parquet": "Parquet"}


def _format_of(file: File) -> str:
    return str(file.part.unit.target.format) if file.part is not None else ""


def _malformed() -> tuple[type[BaseException], ...]:
    """The exception classes of a reader refusing a file's content (by class, never by
    message). DuckDB's are looked up only once it is imported."""
    import pyarrow as pa

    classes: list[type[BaseException]] = [pa.ArrowInvalid, UnicodeError]
    duckdb = sys.modules.get("duckdb")
    if duckdb is not None:
        classes += [duckdb.InvalidInputException, duckdb.ConversionException, duckdb.BinderException]
    return tuple(classes)


def engine_text(exc: BaseException | str) -> str:
    """An engine's message without its advice: DuckDB follows the error with its possible
    fixes (turning strictness off among them) and the options it used, which belong in a
    debug log, not in the one line a failed load shows."""
    lines = []
    for line in str(exc).strip().splitlines():
        if not line.strip() or line.startswith(("Possible", "Try ", "LINE ", "*")) or line.rstrip().endswith(":"):
            break
        lines.append(line.strip())
    return "; ".join(lines)[:400] or type(exc).__name__


def where_of(files: Sequence[File]) -> dict[str, str | None]:
    """The manifest and the file an error about ``files`` names, where there is one."""
    manifests = {f.manifest.url for f in files}
    return {
        "manifest": next(iter(manifests)) if len(manifests) == 1 else None,
        "file": files[0].entry.url if len(files) == 1 else None,
    }
