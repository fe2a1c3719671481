"""The apply and record steps of a SQL load, inside its transaction.

The target made ready for the staged columns (created, columns added, types checked:
:meth:`ApplySteps._prepare_target`), the merge keys checked before anything is applied
(:func:`check_keys`), the data statements of each strategy
(:meth:`ApplySteps._apply`), and the state written with them (:meth:`ApplySteps._record`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from manifests import TransientError
from manifests.store import ObjectStore
from sinks.base import Capabilities, Strategy
from sinks.rules import FILE_COLUMN, Part, columns_to_add, refuse_null_keys, rows_per_manifest, schema_changes
from sinks.sql.client import SqlClient
from sinks.sql.recording import Rows


@dataclass(frozen=True)
class Staged:
    """What staging found: the columns (name, type) and rows per engine path."""

    columns: tuple[tuple[str, str], ...]
    rows_by_path: Mapping[str, int]


class ApplySteps:
    """The apply half of :class:`~sinks.sql.transaction.SqlSink` (which supplies what is
    declared here)."""

    name: str
    capabilities: ClassVar[Capabilities]
    text_type: ClassVar[str]
    store: ObjectStore
    client: SqlClient
    _keys_migrated: set[str]

    def execute(self, step: str, **context: Any) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def target_columns(self, context: dict[str, Any]) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _rows_per_manifest(self, parts: list[Part], staged: Staged | None) -> dict[tuple[str, str], int]:
        pending = [m for p in parts for m in p.pending]
        return rows_per_manifest(pending, staged.rows_by_path if staged else {}, self.store)

    def _prepare_target(
        self, parts: list[Part], staged: Staged | None, context: dict[str, Any]
    ) -> tuple[list[tuple[Any, ...]], bool]:
        """The target made ready for the staged columns: created when missing (keys checked
        first), the columns the data brings added, every type checked before anything is
        altered. Returns its columns and whether it was created now. Added columns are read
        back and checked again: ADD COLUMN IF NOT EXISTS keeps the type a concurrent load
        gave a column, and that type must fit too."""
        existing = self.target_columns(context)
        if staged is None:
            return existing, False
        if not existing:
            self._schema_changes(parts, staged.columns, [])  # never create a table without its keys
            columns = [(name, kind) for name, kind in staged.columns if name != FILE_COLUMN]
            if context["target_schema_path"]:
                self.execute("create_schema", **context)
            untyped = [name for name, kind in columns if kind.upper() == "NULL"]  # null in every row
            self.execute(
                "create_target",
                columns=[name for name, _kind in columns],
                untyped=untyped,
                text_type=self.text_type,
                **context,
            )
            return columns, True
        if added := self._schema_changes(parts, staged.columns, existing):
            for name, kind in added:
                self.execute("add_column", column=name, column_type=kind, **context)
            existing = self.target_columns(context)
            if missing := self._schema_changes(parts, staged.columns, existing):
                raise TransientError(f"{self.name}: column(s) {', '.join(n for n, _t in missing)} not added; retry")
        return existing, False

    def _apply(
        self,
        parts: list[Part],
        staged: Staged | None,
        context: dict[str, Any],
        prepared: tuple[list[tuple[Any, ...]], bool] | None,
        dedupe: bool,
    ) -> None:
        """The data statements, after the target is prepared here or (``prepared``) before
        BEGIN; a merge de-duplicates the stage when ``dedupe`` (:meth:`check_keys`)."""
        strategy = parts[0].unit.target.strategy
        existing, created = prepared or self._prepare_target(parts, staged, context)
        # no file, or no row in any (a header-only CSV): nothing to insert or merge; the
        # stage's columns may not even compare with the target's (text sniffed from a
        # header alone beside a BIGINT key). Compiling shows the statements of rows.
        if staged is None or self.client.ask("stage_empty", context, lambda: _empty(staged)):
            if strategy is Strategy.REPLACE and existing:
                self.execute("delete_partition", **context)
            return
        context = {**context, "columns": [name for name, _type in staged.columns if name != FILE_COLUMN]}
        if strategy is Strategy.REPLACE:
            self.execute("delete_partition", **context)
            self.execute("insert", dedupe=False, **context)
        elif strategy is Strategy.MERGE:
            # into a table new in this transaction nothing can match; one made before BEGIN
            # another load may have filled meanwhile
            fresh = created and self.capabilities.ddl_in_transaction
            self.execute("insert" if fresh else "merge", dedupe=dedupe, **context)
        else:
            self.execute("insert", dedupe=False, **context)

    def check_keys(self, parts: Sequence[Part], staged: Sequence[tuple[str, str]], context: dict[str, Any]) -> bool:
        """:func:`check_keys` with this sink's statements."""
        return check_keys(self.capabilities, parts, staged, context, self.execute)

    def _schema_changes(
        self,
        parts: Sequence[Part],
        staged: Sequence[tuple[str, str | None]],
        existing: Sequence[Sequence[Any]],
    ) -> list[tuple[str, str]]:
        """:func:`sinks.rules.columns_to_add` under this sink's capabilities and
        :attr:`text_type`."""
        return columns_to_add(self.capabilities, parts, staged, existing, self.text_type)

    def _record(self, parts: list[Part], rows: dict[tuple[str, str], int], context: dict[str, Any]) -> None:
        # state written before manifests were known by their keys is rewritten first (so
        # that forgetting and recording below see one form), once per dataset and process;
        # compiling shows it only where the recorded state holds such rows (state_upgrade/)
        fresh = context["dataset"] not in self._keys_migrated
        if self.client.ask("keys_to_migrate", context, lambda: [(True,)] if fresh else []):
            for root in self.store.roots:
                self.execute("migrate_keys", root=root, **context)
        if parts[0].unit.target.strategy is Strategy.REPLACE:
            self.execute("forget_manifests", forget_urls=None, **context)
        elif any(p.unit.force for p in parts):  # re-applied versions are recorded anew
            urls = sorted({m.identity[0] for p in parts for m in p.pending})
            self.execute("forget_manifests", forget_urls=urls, **context)
        manifests = [
            {"partition_key": p.unit.partition.key, "url": key, "version": version, "rows": rows[(key, version)]}
            for p in parts
            for key, version in (m.identity for m in p.pending)
        ]
        self.execute("record_manifests", manifests=manifests, **context)
        first_seen: dict[str, str] = {}  # fingerprint → the first partition that has it
        for p in parts:
            for fingerprint in (f for m in p.pending for f in m.schemas):
                first_seen.setdefault(fingerprint, p.unit.partition.key)
        if first_seen:
            self.execute("record_schemas", schemas=sorted(first_seen.items()), **context)
        self.execute("record_partition", **context)


def check_keys(
    capabilities: Capabilities,
    parts: Sequence[Part],
    staged: Sequence[tuple[str, str]],
    context: dict[str, Any],
    execute: Callable[..., Rows],
) -> bool:
    """Before a merge applies anything (DDL too): the key columns must be among the
    ``staged`` columns (SchemaMismatchError), no staged row may have a NULL in one
    (:func:`refuse_null_keys`); returns whether the stage must be de-duplicated. One
    aggregate (``duplicate_keys``, run with ``execute``) answers both: whether a key
    repeats, and how many rows are NULL in each key column. Asking beats ranking every row
    (2M staged rows on PostgreSQL here: asking took 1.0 s and saved 1.4 s on the insert,
    2.0 s on the merge; with duplicates, it is 1.0 s spent). Compiling, the recording
    answers that keys repeat and none is NULL (so the de-duplicating statement shows)."""
    schema_changes(capabilities, parts, staged, [])  # the keys are there to count
    keys = list(context["keys"])
    [(found, *nulls)] = execute("duplicate_keys", **context) or [(True, *[0] * len(keys))]
    refuse_null_keys(zip(keys, (int(n or 0) for n in nulls), strict=True), [m for p in parts for m in p.pending])
    return bool(found)


def _empty(staged: Staged) -> list[tuple[bool]]:
    """A row when no file of the stage held a row (a header-only CSV): nothing to apply."""
    return [] if any(staged.rows_by_path.values()) else [(True,)]
