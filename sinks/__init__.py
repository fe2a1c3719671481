"""Warehouse sinks behind one small protocol; drivers are imported only when used.

The registry: each sink type (the ``type`` of a ``[sinks.<name>]`` table) maps to a
:class:`SinkType`. The built-in types are :data:`REGISTRY`. Any other type is looked up
among the ``loaders.sinks`` entry points of the installed distributions, only when a
configuration names a type that is not built in, so importing loaders reads no package
metadata. An entry point's name is the sink type; its value is a :class:`SinkType`, or a
callable returning one. Built-in names are reserved: an entry point named like a built-in
type is never looked at. A broken entry point is a ConfigError naming its distribution.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import ModuleType
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint, EntryPoints

#: the entry-point group third-party sink types register in (pyproject.toml:
#: ``[project.entry-points."loaders.sinks"]``, ``sqlite = "loaders_sqlite:SINK_TYPE"``)
ENTRY_POINTS = "loaders.sinks"


@dataclass(frozen=True)
class SinkType:
    """What opening a sink of one type takes: its class ("module:Class", imported only
    when a sink of the type is opened), its options, and the driver it connects with,
    with the extra that installs it (None: a dependency of the distribution itself).
    ``package`` is the distribution that provides the type: None for the built-ins
    (loaders); for a type registered through an entry point, its distribution's name
    unless the entry point says otherwise."""

    target: str
    options: type[SinkOptions]
    driver: str
    extra: str | None = None
    package: str | None = None

    def install_hint(self) -> str:
        package = self.package or "loaders"
        return f"pip install '{package}[{self.extra}]'" if self.extra else f"pip install {package}"


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


#: sink types found among the entry points, by name (each loaded once per process)
_INSTALLED: dict[str, SinkType] = {}
_INSTALLED_GUARD = threading.RLock()  # re-entrant: a sink module may look up its own type on import


def find_sink_type(kind: str) -> SinkType | None:
    """The :class:`SinkType` of ``kind``: a built-in one, else the one a distribution
    registers under that name in the ``loaders.sinks`` entry points; None when there is
    none. Entry points are read only for a type that is not built in."""
    if kind in REGISTRY:
        return REGISTRY[kind]
    with _INSTALLED_GUARD:
        if kind not in _INSTALLED:
            found = list(_entry_points().select(name=kind))
            if not found:
                return None
            _INSTALLED[kind] = _load_entry_point(kind, found)
        return _INSTALLED[kind]


def _entry_points() -> EntryPoints:
    """The ``loaders.sinks`` entry points of the installed distributions (importlib.metadata
    is imported here, not with this package: reading package metadata takes time)."""
    from importlib import metadata

    return metadata.entry_points(group=ENTRY_POINTS)


def _distribution(ep: EntryPoint) -> str:
    dist = ep.dist
    return f"{dist.name} {dist.version}" if dist is not None else "an unknown distribution"


def _load_entry_point(kind: str, found: list[EntryPoint]) -> SinkType:
    """The SinkType an entry point names (or a callable of it returns); a ConfigError
    naming the distribution, the entry point and what is wrong with it."""
    if len({ep.value for ep in found}) > 1:
        both = "; ".join(sorted(f"{ep.value} ({_distribution(ep)})" for ep in found))
        raise ConfigError(f"sink type {kind!r} is registered ({ENTRY_POINTS} entry points) more than once: {both}")
    ep = found[0]
    where = f"sink type {kind!r}: entry point {ep.name} = {ep.value!r} of {_distribution(ep)} ({ENTRY_POINTS})"
    try:
        entry = ep.load()
        if not isinstance(entry, SinkType) and callable(entry):
            entry = entry()
    except Exception as exc:
        raise ConfigError(f"{where} cannot be loaded: {type(exc).__name__}: {exc}") from exc
    if not isinstance(entry, SinkType):
        raise ConfigError(f"{where} is a {type(entry).__name__}, not a sinks.SinkType (or a callable returning one)")
    if not (isinstance(entry.options, type) and issubclass(entry.options, SinkOptions)):
        raise ConfigError(f"{where}: its options must be a sinks.options.SinkOptions subclass, got {entry.options!r}")
    if entry.target.count(":") != 1:
        raise ConfigError(f"{where}: its target must be 'module:Class', got {entry.target!r}")
    if entry.package is None and ep.dist is not None:
        entry = replace(entry, package=ep.dist.name)
    return entry


def _known() -> str:
    """The sink types there are, for an error: the built-ins, then the installed ones."""
    installed = sorted(set(_entry_points().names) - set(REGISTRY))
    return ", ".join([*REGISTRY, *installed])


def sink_type(name: str, options: Mapping[str, Any], source: str | None = None) -> SinkType:
    """The registry entry of sink ``name``'s ``type``; a ConfigError for an unknown one."""
    kind = options.get("type")
    where = f"{source}: sinks.{name}.type" if source else f"sinks.{name}.type"
    if not isinstance(kind, str) or not kind:
        raise ConfigError(f"{where}: required string (one of {_known()})")
    entry = find_sink_type(kind)
    if entry is None:
        raise ConfigError(f"{where}: unknown sink type {kind!r} (known: {_known()})")
    return entry


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
    entry = find_sink_type(kind)
    if entry is None:
        raise ConfigError(f"sinks.{name}: unknown sink type {kind!r}")
    try:
        return importlib.import_module(entry.driver)
    except ImportError as exc:
        raise ConfigError(f"sinks.{name}: the {kind} sink needs {entry.driver}: {entry.install_hint()}") from exc


__all__ = [
    "ENTRY_POINTS",
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
    "find_sink_type",
    "import_driver",
    "open_sink",
    "sink_type",
]
