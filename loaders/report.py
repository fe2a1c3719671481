"""Human tables on a terminal, one JSON document with ``--json``."""

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
        _emit({"units": [o.as_json() for o in outcomes], "summary": summary, "rows": sum(o.rows for o in outcomes)})
        return
    table = Table("sink", "dataset", "partition", "action", "rows", "why", title="units")
    for o in outcomes:
        style = _STYLE.get(o.action, "")
        table.add_row(
            o.sink,
            o.dataset or "-",
            o.partition or "-",
            f"[{style}]{o.action}[/]",
            str(o.rows),
            o.error if o.action == "failed" else o.reason,
        )
    Console(soft_wrap=not sys.stdout.isatty()).print(table)


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
        _emit([state_json(sink, s) for sink, s in states])
        return
    table = Table("sink", "dataset", "partition", "status", "manifests", "rows", "loaded at", "error", title="status")
    for sink, s in states:
        style = _STYLE.get(s.status, "")
        table.add_row(
            sink,
            s.dataset,
            s.partition,
            f"[{style}]{s.status}[/]",
            str(s.manifests),
            str(s.rows),
            s.loaded_at.isoformat(timespec="seconds") if s.loaded_at else "-",
            s.last_error or "",
        )
    Console(soft_wrap=not sys.stdout.isatty()).print(table)


def _emit(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
