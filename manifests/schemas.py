"""Avro schema fingerprints and the schema registry in the store.

A writer schema is published as JSON at ``<root>/schemas/<dataType>/<fingerprint>.json``,
the fingerprint written as the 16 lowercase hex digits of its unsigned 64-bit value. The
fingerprint is CRC-64-AVRO over the schema's Parsing Canonical Form (Avro specification,
"Schema Fingerprints"). The trap: some libraries (fastavro's ``fingerprint`` among them)
print the 8 bytes little-endian, so ``"null"`` — 7195948357588979594, ``63dd24e7cc258f8a``
— comes out as ``8a8f25cce724dd63``. The arithmetic is done here, from the specification,
so the file name and the number in a ``DataWrapper`` are the same value.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from manifests.errors import SchemaMismatchError

#: CRC-64-AVRO's initial value and table (Avro specification, "Schema Fingerprints").
EMPTY = 0xC15D213AA4D7A795
_TABLE: list[int] = []
for _i in range(256):
    _fp = _i
    for _ in range(8):
        _fp = (_fp >> 1) ^ (EMPTY & -(_fp & 1))
    _TABLE.append(_fp)


def crc64_avro(data: bytes) -> int:
    """The specification's algorithm, as an unsigned 64-bit value."""
    fp = EMPTY
    for byte in data:
        fp = (fp >> 8) ^ _TABLE[(fp ^ byte) & 0xFF]
    return fp


def canonical_form(schema: Any) -> str:
    """The Parsing Canonical Form of a schema (JSON text or a parsed object)."""
    from fastavro.schema import to_parsing_canonical_form

    parsed = json.loads(schema) if isinstance(schema, str | bytes) else schema
    return str(to_parsing_canonical_form(parsed))


def fingerprint(schema: Any) -> int:
    """The schema's fingerprint as Avro's signed long (what a DataWrapper carries)."""
    value = crc64_avro(canonical_form(schema).encode("utf-8"))
    return value - (1 << 64) if value >= 1 << 63 else value


def check_data_type(data_type: str) -> str:
    """A data type as the registry's folder name: one path segment, never empty, ``.`` or
    ``..``, without ``/``, ``\\`` or control characters, so ``<root>/schemas/<dataType>/`` stays
    inside the registry whether the name comes from ``loaders schemas publish`` or from a
    wrapped record's ``dataType``. ValueError otherwise."""
    if data_type in ("", ".", "..") or any(c in "/\\" or not c.isprintable() for c in data_type):
        raise ValueError("a data type is one folder name of the registry: no '/', '\\', '..' or control characters")
    return data_type


def hex_form(value: int) -> str:
    """The registry's file-name form: 16 lowercase hex digits of the unsigned value."""
    return f"{value & 0xFFFFFFFFFFFFFFFF:016x}"


class SchemaRegistry:
    """Writer schemas looked up in the store, checked, parsed and cached per process."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self._cache: dict[tuple[str, int], Any] = {}
        self._lock = threading.Lock()

    def url(self, data_type: str, value: int) -> str:
        """Where a schema is published; ValueError for a data type that is no folder name."""
        return f"{self.store.root}schemas/{check_data_type(data_type)}/{hex_form(value)}.json"

    def lookup(self, data_type: str, value: int, *, file: str | None = None) -> Any:
        """The parsed writer schema of ``data_type`` with fingerprint ``value``; a
        ``SchemaMismatchError`` naming the file and fingerprint if it is not published
        or its own fingerprint differs."""
        key = (data_type, value)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        from fastavro.schema import parse_schema

        try:
            url = self.url(data_type, value)
        except ValueError as exc:
            raise SchemaMismatchError(f"unknown schema: data type {data_type!r}: {exc}", file=file) from None
        try:
            raw, _version = self.store.read(url)
        except Exception as exc:
            raise SchemaMismatchError(
                f"unknown schema: {data_type} fingerprint {hex_form(value)} is not published at {url} ({exc})",
                file=file,
            ) from None
        try:
            published = json.loads(raw)
        except ValueError as exc:
            raise SchemaMismatchError(f"schema {url} is not valid JSON ({exc})", file=file) from None
        actual = fingerprint(published)
        if actual != value:
            raise SchemaMismatchError(
                f"schema {url} has fingerprint {hex_form(actual)}, not {hex_form(value)}", file=file
            )
        parsed = parse_schema(published)
        with self._lock:
            self._cache[key] = parsed
        return parsed

    def publish(self, data_type: str, schema: Any) -> str:
        """Write a schema under its fingerprint; returns the URL (``loaders schemas publish``)."""
        parsed = json.loads(schema) if isinstance(schema, str | bytes) else schema
        url = self.url(data_type, fingerprint(parsed))
        self.store.write(url, json.dumps(parsed, indent=2).encode("utf-8"))
        return url
