"""An example of a sink type that is not built in: SQLite, registered as a distribution of
its own would register it, through the ``loaders.sinks`` entry point group::

    [project.entry-points."loaders.sinks"]
    sqlite = "tests.example_sink:SINK_TYPE"

This module is what the entry point loads: the sink type's options and where its class
is. It imports nothing but the options declaration, so validating a loaders.toml that
names the type stays cheap; the sink itself (:mod:`tests.example_sink.sink`) is imported
only when a sink of the type is opened. docs/adding-a-sink.md walks through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sinks import SinkType
from sinks.options import SqlOptions, text, whole


@dataclass(frozen=True, kw_only=True)
class SQLiteOptions(SqlOptions):
    """``[sinks.<name>]`` of ``type = "sqlite"``."""

    kind: ClassVar[str] = "sqlite"

    url: str = text("sqlite:///folder (relative to loaders.toml's folder): a database file per schema", required=True)
    busy_seconds: int = whole("how long a statement waits for another process's lock", 5, maximum=3600)


#: what the entry point names
SINK_TYPE = SinkType("tests.example_sink.sink:SQLiteSink", SQLiteOptions, driver="sqlite3")
