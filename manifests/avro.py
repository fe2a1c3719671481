"""Avro object container files, plain and wrapped, as Arrow record batches.

``avro``: records of the file's own writer schema. ``avro-wrapped``: records of the
envelope ``DataWrapper { string dataType; long schemaFingerprint; bytes data; }`` whose
``data`` is one datum in Avro binary encoding under the writer schema with that
fingerprint, found in the store's schema registry (``manifests.schemas``). Wrapped rows
are grouped by schema: one batch never mixes two.

Memory is bounded by ``batch_rows`` records per batch (per schema for wrapped files),
never a whole file. Every error names the file, and for wrapped data the record index
and the fingerprint in its 16-hex-digit form.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO, Any, cast

from manifests.errors import MalformedFileError, SchemaMismatchError
from manifests.schemas import SchemaRegistry, fingerprint, hex_form

BATCH_ROWS = 65_536
WRAPPER_FIELDS = {"dataType", "schemaFingerprint", "data"}

_PRIMITIVES = {
    "boolean": "bool_",
    "int": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
    "string": "string",
    "bytes": "binary",
}


def arrow_schema(avro_schema: Any) -> Any:
    """The Arrow schema of a record schema's fields (nullable where the union allows null)."""
    import pyarrow as pa

    fields = []
    for field in avro_schema["fields"]:
        kind, nullable = _unwrap_union(field["type"])
        fields.append(pa.field(field["name"], _arrow_type(kind), nullable=nullable))
    return pa.schema(fields)


def _unwrap_union(kind: Any) -> tuple[Any, bool]:
    if isinstance(kind, list):
        others = [k for k in kind if k != "null"]
        return (others[0] if len(others) == 1 else "string"), "null" in kind
    return kind, False


def _arrow_type(kind: Any) -> Any:
    import pyarrow as pa

    if isinstance(kind, dict):
        logical = kind.get("logicalType")
        if logical == "timestamp-millis":
            return pa.timestamp("ms", tz="UTC")
        if logical == "timestamp-micros":
            return pa.timestamp("us", tz="UTC")
        if logical == "date":
            return pa.date32()
        if logical == "decimal":
            return pa.decimal128(int(kind["precision"]), int(kind.get("scale", 0)))
        if kind.get("type") == "enum":
            return pa.string()
        return _arrow_type(kind.get("type"))
    if isinstance(kind, str) and kind in _PRIMITIVES:
        return getattr(pa, _PRIMITIVES[kind])()
    return pa.string()  # records, arrays, maps: carried as their JSON text


def _unreadable() -> tuple[type[Exception], ...]:
    """What fastavro raises for bytes that are no Avro container file: a short read, a
    broken block or sync marker, text that is not UTF-8, a header whose schema does not
    parse (a flipped byte in it) or names a type it never defines."""
    from fastavro.read import SchemaResolutionError
    from fastavro.schema import SchemaParseException, UnknownType

    return (ValueError, EOFError, SchemaResolutionError, SchemaParseException, UnknownType)


def _record_schema(schema: Any, file: str) -> Any:
    """The writer schema, if it is a record with fields: a file of bare longs or strings
    has no columns to load."""
    if not isinstance(schema, dict) or schema.get("type") != "record" or not isinstance(schema.get("fields"), list):
        raise MalformedFileError("its writer schema is not a record of fields, so it has no columns", file=file)
    return schema


def read_avro(fh: IO[bytes], file: str, batch_rows: int = BATCH_ROWS) -> Iterator[tuple[int, Any]]:
    """(fingerprint, record batch) pairs of a plain Avro container file: one writer
    schema, the file header's, whose fingerprint every pair carries."""
    import fastavro

    unreadable = _unreadable()
    try:
        reader = fastavro.reader(fh)
        schema = arrow_schema(_record_schema(reader.writer_schema, file))
        value = fingerprint(reader.writer_schema)
        rows: list[dict[str, Any]] = []
        # the writer schema is a record (checked above), so every datum is a dict
        for record in cast("Iterator[dict[str, Any]]", reader):
            rows.append(record)
            if len(rows) >= batch_rows:
                yield value, _batch(rows, schema, file)
                rows = []
    except unreadable as exc:
        raise MalformedFileError(f"not a readable Avro container file ({exc})", file=file) from None
    if rows:
        yield value, _batch(rows, schema, file)


def read_wrapped(
    fh: IO[bytes], file: str, registry: SchemaRegistry, batch_rows: int = BATCH_ROWS
) -> Iterator[tuple[int, Any]]:
    """(fingerprint, record batch) pairs of an ``avro-wrapped`` file, grouped by schema."""
    import fastavro

    pending: dict[int, list[dict[str, Any]]] = {}
    schemas: dict[int, tuple[Any, Any]] = {}
    unreadable = _unreadable()
    try:
        reader = fastavro.reader(fh)
        names = {f["name"] for f in _record_schema(reader.writer_schema, file)["fields"]}
        if not names >= WRAPPER_FIELDS:
            raise MalformedFileError(f"records are not DataWrapper envelopes (fields: {sorted(names)})", file=file)
        # the envelope is a record (its fields checked above), so every datum is a dict
        for index, wrapper in enumerate(cast("Iterator[dict[str, Any]]", reader)):
            value = int(wrapper["schemaFingerprint"])
            if value not in schemas:
                writer = registry.lookup(str(wrapper["dataType"]), value, file=file)
                schemas[value] = (writer, arrow_schema(writer))
            writer, schema = schemas[value]
            try:
                row = fastavro.schemaless_reader(io.BytesIO(wrapper["data"]), writer, None)
            except Exception as exc:  # any decoding failure of one datum
                raise SchemaMismatchError(
                    f"record {index} does not decode with schema {hex_form(value)} ({type(exc).__name__}: {exc})",
                    file=file,
                ) from None
            rows = pending.setdefault(value, [])
            rows.append(cast("dict[str, Any]", row))  # a datum of a record schema (arrow_schema read its fields)
            if len(rows) >= batch_rows:
                yield value, _batch(rows, schema, file)
                pending[value] = []
    except unreadable as exc:
        raise MalformedFileError(f"not a readable Avro container file ({exc})", file=file) from None
    for value, rows in pending.items():
        if rows:
            yield value, _batch(rows, schemas[value][1], file)


def _batch(rows: list[dict[str, Any]], schema: Any, file: str) -> Any:
    import json

    import pyarrow as pa

    complex_columns = [f.name for f in schema if pa.types.is_string(f.type)]
    for row in rows:
        for name in complex_columns:
            value = row.get(name)
            if value is not None and not isinstance(value, str):
                row[name] = json.dumps(value, default=str)
    try:
        return pa.RecordBatch.from_pylist(rows, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise SchemaMismatchError(f"rows do not fit their schema ({exc})", file=file) from None
