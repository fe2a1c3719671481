"""A distribution installed for a test: a ``*.dist-info`` folder (METADATA and
entry_points.txt) in a folder the test puts on ``sys.path`` (``PYTHONPATH`` for a
subprocess), which ``importlib.metadata`` then finds as it finds one pip installed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

#: the example SQLite sink (tests/example_sink), as its own distribution registers it
SQLITE = {"sqlite": "tests.example_sink:SINK_TYPE"}


def install(folder: Path, name: str, sinks: Mapping[str, str], version: str = "0.1") -> Path:
    """Write distribution ``name`` into ``folder``, with ``sinks`` (sink type → object
    reference) as its ``loaders.sinks`` entry points; returns ``folder``."""
    info = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    lines = ["[loaders.sinks]", *(f"{kind} = {target}" for kind, target in sinks.items())]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder
