"""Warehouse sinks behind one small protocol; drivers are imported only when used."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
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
from sinks.options import OPTIONS, SinkOptions


@dataclass(frozen=True)
class SinkType:
    """What opening a sink of one type takes: its class ("module:Class", imported only
    when a sink of the type is opened), its options, and the driver it connects with,
    with the extra that installs it (None: a dependency of loaders itself)."""

    target: str
    options: type[SinkOptions]
    driver: str
    extra: str | None = None

    def install_hint(self) -> str:
        return f"pip install 'loaders[{self.extra}]'" if self.extra else "pip install loaders"


#: sink type → how to open it
REGISTRY: dict[str, SinkType] = {
    "duckdb": SinkType("sinks.duckdb:DuckDBSink", OPTIONS["duckdb"], "duckdb"),
    "snowflake": SinkType("sinks.snowflake:SnowflakeSink", OPTIONS["snowflake"], "snowflake.connector", "snowflake"),
    "postgres": SinkType("sinks.postgres:PostgresSink", OPTIONS["postgres"], "psycopg", "postgres"),
    "redshift": SinkType("sinks.redshift:RedshiftSink", OPTIONS["redshift"], "redshift_connector", "redshift"),
    # the Hive tables need boto3 and pyarrow only (dependencies of loaders); the driver is
    # what Iceberg tables (table_format = "iceberg") connect with
    "athena": SinkType("sinks.athena:open_athena", OPTIONS["athena"], "pyathena", "athena"),
}


def sink_type(name: str, options: Mapping[str, Any], source: str | None = None) -> SinkType:
    """The registry entry of sink ``name``'s ``type``; a ConfigError for an unknown one."""
    kind = options.get("type")
    where = f"{source}: sinks.{name}.type" if source else f"sinks.{name}.type"
    if not isinstance(kind, str) or not kind:
        raise ConfigError(f"{where}: required string (one of {', '.join(REGISTRY)})")
    if kind not in REGISTRY:
        raise ConfigError(f"{where}: unknown sink type {kind!r} (known: {', '.join(REGISTRY)})")
    return REGISTRY[kind]


def open_sink(name: str, options: Mapping[str, Any], store: ObjectStore, project_dir: str | None = None) -> Sink:
    """A sink of ``options["type"]``, its options checked (as when the configuration is
    read) before its module is imported. Nothing connects here: the driver is imported
    by the first statement (:func:`import_driver`), so ``loaders compile`` needs none."""
    entry = sink_type(name, options)
    entry.options.read(name, options)
    module, _, cls = entry.target.partition(":")
    sink: Sink = getattr(importlib.import_module(module), cls)(name, options, store, project_dir)
    return sink


def import_driver(name: str, kind: str) -> ModuleType:
    """The driver module of sink ``name`` (of type ``kind``), imported on first use; a
    ConfigError saying which extra installs it when it is missing."""
    entry = REGISTRY[kind]
    try:
        return importlib.import_module(entry.driver)
    except ImportError as exc:
        raise ConfigError(f"sinks.{name}: the {kind} sink needs {entry.driver}: {entry.install_hint()}") from exc


__all__ = [
    "REGISTRY",
    "Capabilities",
    "LoadResult",
    "LoadUnit",
    "PartitionState",
    "ResetResult",
    "SchemaSeen",
    "Sink",
    "SinkOptions",
    "SinkType",
    "Snapshot",
    "Strategy",
    "Target",
    "import_driver",
    "open_sink",
    "sink_type",
]
