"""The load rules every sink follows, SQL or not: pure functions over manifests and columns.

Which manifests a partition still needs (:func:`pending_manifests`), which files hold rows at all
(:func:`holds_rows`), how staged columns may change a target (:func:`schema_changes`), the
columns a merge needs (:func:`merge_columns`, :func:`require_merge_columns`), NULL keys
(:func:`refuse_null_keys`), rows per manifest (:func:`rows_per_manifest`), the checks
on a load's units (:func:`keyed`, :func:`check_unique_files`), and what a load reports
(:func:`skipped`, :func:`loaded`, :func:`blame`). Nothing here runs a statement or reads
a file: a sink calls these with what it read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from manifests import (
    DuplicateFileError,
    Entry,
    LoaderError,
    Manifest,
    NullKeyError,
    RecordCountError,
    SchemaMismatchError,
)
from manifests.check import unique_files
from manifests.store import ObjectStore
from sinks.base import Capabilities, LoadResult, LoadUnit, Strategy, Target
from sinks.sql.columntypes import fits

#: the column naming each staged row's file (DuckDB's ``filename``)
FILE_COLUMN = "_loaders_file"
#: the formats whose files may hold no rows at all (a CSV of zero bytes has not even a header)
TEXT_FORMATS = ("csv", "jsonl")
#: why a unit was skipped when every one of its manifest versions is applied
ALREADY = "already loaded: every manifest version is applied"


@dataclass(frozen=True)
class Part:
    """One unit's share of a load: the manifests its partition still needs."""

    unit: LoadUnit
    pending: tuple[Manifest, ...]

    @property
    def entries(self) -> tuple[Entry, ...]:
        """The files to read (:func:`holds_rows`)."""
        return tuple(e for m in self.pending for e in m.entries if holds_rows(e, self.unit.target.format))


def holds_rows(entry: Entry, fmt: str) -> bool:
    """Whether a file is read at all. A CSV or JSON-lines file of zero bytes holds no rows
    and no columns: every sink skips it, as it would a manifest without entries, where
    the readers would disagree (DuckDB invents a column for an empty CSV and refuses an
    empty JSON-lines file; pyarrow refuses an empty CSV). A CSV with only its header is
    read, and gives zero rows everywhere."""
    return not (fmt in TEXT_FORMATS and entry.content_length == 0)


def pending_manifests(unit: LoadUnit, applied: set[tuple[str, str]]) -> tuple[Manifest, ...]:
    """The unit's manifests its partition still needs, given the (key, version) pairs
    ``applied``: append and merge skip what is applied (``force`` re-applies merge);
    replace re-reads every manifest unless exactly those are applied."""
    if unit.force and unit.target.strategy is not Strategy.APPEND:
        return unit.manifests
    if unit.target.strategy is Strategy.REPLACE:
        return () if {m.identity for m in unit.manifests} == applied else unit.manifests
    return tuple(m for m in unit.manifests if m.identity not in applied)


def schema_changes(
    capabilities: Capabilities,
    parts: Sequence[Part],
    staged: Sequence[tuple[str, str | None]],
    existing: Sequence[tuple[str, str | None]],
) -> list[tuple[str, str]]:
    """Check the staged columns (name, type) against the target's; the columns to add.
    Shared by every sink, SQL or not (the Athena Hive sink checks its Glue table with it).

    The keys and ``order_by`` must be there. Once the target exists, a column it lacks
    is added where the sink declares ``adds_columns`` (rows loaded before read null)
    and refused otherwise; where it adds columns, a column whose new type does not fit
    the table's safely (:func:`sinks.sql.columntypes.fits`) is refused naming both types.
    A type of None is unknown and not compared. Nothing is executed here."""
    target = parts[0].unit.target
    pending = [m for p in parts for m in p.pending]
    where = pending[0].url if len(pending) == 1 else None
    lower = {name.lower() for name, _type in staged}
    absent = [c for c in merge_columns(target) if c.lower() not in lower]
    if absent:
        raise SchemaMismatchError(f"the staged data has no column {', '.join(absent)} (keys/order_by)", manifest=where)
    if not existing:
        return []
    known = {name.lower(): kind for name, kind in existing}
    adds = capabilities.adds_columns
    new = [(name, kind) for name, kind in staged if name != FILE_COLUMN and name.lower() not in known]
    if new and not adds:
        raise SchemaMismatchError(
            f"column(s) {', '.join(n for n, _t in new)} are not in table {target.table}", manifest=where
        )
    for name, kind in staged if adds else ():
        old = known.get(name.lower())
        if kind and old and not fits(kind, old, capabilities.dialect):
            raise SchemaMismatchError(
                f"column {name}: the table has {old.upper()} but the data has {kind.upper()},"
                " which does not fit safely",
                manifest=where,
            )
    untyped = [n for n, kind in new if not kind]
    if untyped:
        raise SchemaMismatchError(f"column(s) {', '.join(untyped)}: no type to add them with", manifest=where)
    return [(name, kind) for name, kind in new if kind]


def columns_to_add(
    capabilities: Capabilities,
    parts: Sequence[Part],
    staged: Sequence[tuple[str, str | None]],
    existing: Sequence[Sequence[Any]],
    text_type: str,
) -> list[tuple[str, str]]:
    """:func:`schema_changes` against the target as a SQL sink reads it (rows of name, and
    type where the engine gives one); a column to add that is null in every row so far
    (Arrow's null type) gets ``text_type``."""
    known = [(str(r[0]), str(r[1]) if len(r) > 1 and r[1] is not None else None) for r in existing]
    added = schema_changes(capabilities, parts, staged, known)
    return [(name, text_type if kind.upper() == "NULL" else kind) for name, kind in added]


def merge_columns(target: Target) -> tuple[str, ...]:
    """The columns every row of a merge needs: its keys and ``order_by``."""
    return (*target.keys, *([target.order_by] if target.order_by else []))


def require_merge_columns(target: Target, manifest: str, file: str, names: Iterable[str]) -> None:
    """One file's own columns must hold the keys and ``order_by``. Checked per file,
    before anything is copied: the readers unite the columns of a load's files (DuckDB's
    ``union_by_name``, the unified Arrow schema), so a file without ``order_by`` beside
    one with it would be read as NULLs and merged (a NULL ``order_by`` never wins, a NULL
    key is one more row), where alone it is refused by :func:`schema_changes`."""
    lower = {name.lower() for name in names}
    absent = [c for c in merge_columns(target) if c.lower() not in lower]
    if absent:
        raise SchemaMismatchError(
            f"the file has no column {', '.join(absent)} (keys/order_by): every file of the load must have them",
            manifest=manifest,
            file=file,
        )


def refuse_null_keys(nulls: Iterable[tuple[str, int]], pending: Sequence[Manifest]) -> None:
    """A NullKeyError naming each key column with NULLs and how many rows (and the manifest,
    when the load has one), for rows to merge. A row whose key is NULL can never be matched
    again: compared with = (PostgreSQL, Redshift) it would be inserted anew by every
    re-merge, compared with IS NOT DISTINCT FROM (DuckDB, Snowflake, Athena) all such rows
    would be one key. Every sink refuses them instead, before anything is applied."""
    found = [(key, n) for key, n in nulls if n]
    if found:
        counts = ", ".join(f"{key} ({n} row{'s' if n != 1 else ''})" for key, n in found)
        raise NullKeyError(
            f"NULL in merge key column(s) {counts}: a row without its whole key can never be matched,"
            " so none is merged",
            manifest=pending[0].url if len(pending) == 1 else None,
        )


def rows_per_manifest(
    pending: Sequence[Manifest], rows_by_path: Mapping[str, int], store: ObjectStore
) -> dict[tuple[str, str], int]:
    """Rows per manifest version from the rows read per file (engine path), each file's
    ``record_count`` checked: a RecordCountError naming the manifest and the file; and
    the manifest's total, where its top-level ``meta`` gives one (UNLOAD ... MANIFEST
    VERBOSE), against the sum: a RecordCountError naming the manifest and both numbers."""
    rows: dict[tuple[str, str], int] = {}
    for manifest in pending:
        total = 0
        for entry in manifest.entries:
            got = rows_by_path.get(store.engine_path(entry.url), 0)
            if entry.record_count is not None and entry.record_count != got:
                raise RecordCountError(
                    f"record_count is {entry.record_count} but {got} rows were read",
                    manifest=manifest.url,
                    file=entry.url,
                )
            total += got
        if manifest.record_count is not None and manifest.record_count != total:
            raise RecordCountError(
                f"meta.record_count is {manifest.record_count} but {total} rows were read from its files",
                manifest=manifest.url,
            )
        rows[manifest.identity] = total
    return rows


def keyed(units: Sequence[LoadUnit], store: ObjectStore) -> list[LoadUnit]:
    """The units with each manifest known by its key relative to the store root (the
    runner sets it when it reads a manifest; a caller of a sink may not have)."""

    def key(m: Manifest) -> Manifest:
        return m if m.key else dataclasses.replace(m, key=store.identity_of(m.url))

    return [dataclasses.replace(u, manifests=tuple(key(m) for m in u.manifests)) for u in units]


def check_unique_files(units: Sequence[LoadUnit]) -> None:
    """Refuse units that name one data file twice (in one manifest, or in two manifests
    or partitions): its rows would be loaded twice. The runner refuses such loads before
    they reach a sink; this guards a sink called directly."""
    clashes = unique_files((u.partition.key, m) for u in units for m in u.manifests)
    if clashes:
        manifest, (message, file) = next(iter(sorted(clashes.items())))
        raise DuplicateFileError(message, manifest=manifest, file=file)


def skipped(unit: LoadUnit, reason: str) -> LoadResult:
    """The result of a unit with nothing to load, and why."""
    return LoadResult(dataset=unit.target.dataset, partition=unit.partition, action="skipped", reason=reason)


def loaded(part: Part, rows: Mapping[tuple[str, str], int]) -> LoadResult:
    """The result of a part its load applied (``rows`` per manifest version): an empty
    manifest is skipped, except by replace, which emptied the partition."""
    unit = part.unit
    if not part.entries and unit.target.strategy is not Strategy.REPLACE:
        return skipped(unit, "empty manifest: recorded as applied, nothing to load")
    return LoadResult(
        dataset=unit.target.dataset,
        partition=unit.partition,
        action="loaded",
        rows=sum(rows[m.identity] for m in part.pending),
        manifests=len(part.pending),
        reason=f"{len(part.pending)} manifest(s), {len(part.entries)} file(s)",
    )


def blame(exc: LoaderError, parts: Sequence[Part], store: ObjectStore) -> LoaderError:
    """``exc`` naming the manifest and file it is about (engines name only paths)."""
    if exc.manifest:
        return exc
    text = str(exc)
    pending = [m for p in parts for m in p.pending]
    for manifest in pending:
        for entry in manifest.entries:
            if store.engine_path(entry.url) in text:
                return type(exc)(exc.reason, manifest=manifest.url, file=entry.url)
    if len(pending) == 1:
        return type(exc)(exc.reason, manifest=pending[0].url)
    return exc
