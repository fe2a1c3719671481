"""Human tables on a terminal, plain lines in logs and pipes, one JSON document with ``--json``."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from loaders.runner import Outcome
from sinks.base import PartitionState

_STYLE = {
    "loaded": "green",
    "skipped": "cyan",
    "failed": "bold red",
    "planned": "yellow",
    "stale": "yellow",
    "missing": "magenta",
}


def print_units(outcomes: Sequence[Outcome], as_json: bool) -> None:
    if as_json:
        summary: dict[str, int] = {}
        for o in outcomes:
            summary[o.action] = summary.get(o.action, 0) + 1
        emit({"units": [o.as_json() for o in outcomes], "summary": summary, "rows": sum(o.rows for o in outcomes)})
        return
    rows = [
        (o.sink, o.dataset or "-", o.partition or "-", o.action, str(o.rows),
         (o.error or "") if o.action == "failed" else o.reason)
        for o in outcomes
    ]  # fmt: skip
    _table("units", ("sink", "dataset", "partition", "action", "rows", "why"), rows, status_column=3)


def state_json(sink: str, state: PartitionState) -> dict[str, Any]:
    return {
        "sink": sink,
        "dataset": state.dataset,
        "partition": state.partition,
        "status": state.status,
        "manifests": state.manifests,
        "rows": state.rows,
        "loaded_at": state.loaded_at.isoformat() + "Z" if state.loaded_at else None,
        "attempts": state.attempts,
        "error": state.last_error,
        "load_id": state.load_id,
    }


def print_states(states: Sequence[tuple[str, PartitionState]], as_json: bool) -> None:
    if as_json:
        emit([state_json(sink, s) for sink, s in states])
        return
    rows = [
        (sink, s.dataset, s.partition, s.status, str(s.manifests), str(s.rows),
         s.loaded_at.isoformat(timespec="seconds") if s.loaded_at else "-", s.last_error or "")
        for sink, s in states
    ]  # fmt: skip
    header = ("sink", "dataset", "partition", "status", "manifests", "rows", "loaded at", "error")
    _table("status", header, rows, status_column=3)


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]], status_column: int) -> None:
    """A coloured table on a terminal; plain tab-separated lines elsewhere (logs, pipes)."""
    if not sys.stdout.isatty():
        for row in rows:
            sys.stdout.write("\t".join(row) + "\n")
        if not rows:
            sys.stdout.write(f"no {title}\n")
        return
    table = Table(*header, title=title)
    for row in rows:
        cells = list(row)
        cells[status_column] = f"[{_STYLE.get(row[status_column], '')}]{row[status_column]}[/]"
        table.add_row(*cells)
    Console().print(table)


def emit(doc: Any) -> None:
    """The one JSON document of a ``--json`` command."""
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
