"""Warehouse sinks behind one small protocol; drivers are imported only when used."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from manifests import ConfigError
from manifests.store import ObjectStore
from sinks.base import (
    Capabilities,
    LoadResult,
    LoadUnit,
    PartitionState,
    ResetResult,
    SchemaSeen,
    Sink,
    Snapshot,
    Strategy,
    Target,
)

#: sink type → "module:Class"; a module is imported only when a sink of its type is opened.
REGISTRY: dict[str, str] = {
    "duckdb": "sinks.duckdb:DuckDBSink",
    "snowflake": "sinks.snowflake:SnowflakeSink",
    "postgres": "sinks.postgres:PostgresSink",
    "redshift": "sinks.redshift:RedshiftSink",
    "athena": "sinks.athena:AthenaSink",
}


def open_sink(name: str, options: Mapping[str, Any], store: ObjectStore, project_dir: str | None = None) -> Sink:
    kind = str(options.get("type", ""))
    if kind not in REGISTRY:
        raise ConfigError(f"sinks.{name}.type: unknown sink type {kind!r} (known: {', '.join(REGISTRY)})")
    module, _, cls = REGISTRY[kind].partition(":")
    sink: Sink = getattr(importlib.import_module(module), cls)(name, options, store, project_dir)
    return sink


__all__ = [
    "REGISTRY",
    "Capabilities",
    "LoadResult",
    "LoadUnit",
    "PartitionState",
    "ResetResult",
    "SchemaSeen",
    "Sink",
    "Snapshot",
    "Strategy",
    "Target",
    "open_sink",
]
