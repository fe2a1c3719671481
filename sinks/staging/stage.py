"""What a SQL sink's stage is made of: the unit's columns described (asked through the
sink's port, so a recording answers it) and the stage shaped like the target."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from manifests import UnsupportedError
from sinks.rules import FILE_COLUMN, Part
from sinks.staging.arrow_types import UNTYPED, TypeNames, checked_type, column_type
from sinks.staging.files import File
from sinks.staging.reading import file_schema, unify

if TYPE_CHECKING:
    import pyarrow as pa

    from sinks.sql.transaction import SqlSink


def describe(
    sink: SqlSink, files: Sequence[File], context: dict[str, Any], names: TypeNames
) -> tuple[list[tuple[str, str]], dict[str, pa.Schema]]:
    """(name, column type) of every column the unit's files have, and each file's schema."""
    fmt = context["format"]
    schemas: dict[str, pa.Schema] = {}

    def read() -> list[tuple[str, str]]:
        for file in files:
            schemas[file.path] = file_schema(sink.store, file, fmt)
        unified = unify(list(schemas.values()), files)
        try:
            return [(f.name, column_type(f.type, names)) for f in unified]
        except UnsupportedError as exc:
            raise UnsupportedError(f"sink {sink.name}: {exc.reason}") from None

    described = sink.client.ask("describe", context, read)
    return [(str(n), str(t)) for n, t in described if n != FILE_COLUMN], schemas


def stage_table(
    sink: SqlSink, parts: Sequence[Part], columns: Sequence[tuple[str, str]], context: dict[str, Any]
) -> dict[str, Any]:
    """What ``create_stage`` needs: the columns with their mapped types and, once the target
    exists, the target's column of each name, whose type the stage then takes.

    The columns are checked against the target here, before anything is copied, as the
    load checks them again under its lock; a column the target lacks (schema evolution)
    is staged with its mapped type and added to the target by the load. The look at the
    target runs outside the load's transaction: it only shapes the stage."""
    existing = sink.execute("target_columns", **context)
    sink._schema_changes(parts, columns, existing)
    by_name = {str(r[0]).lower(): str(r[0]) for r in existing}
    staged = [(name, checked_type(sink.text_type if kind == UNTYPED else kind)) for name, kind in columns]
    return {
        **context,
        "like_target": bool(existing),
        "like_columns": [(name, by_name.get(name.lower()), kind) for name, kind in staged],
        "stage_columns": staged,
    }
