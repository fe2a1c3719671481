"""What ``status`` prints: each partition's recorded state (a table, tab-separated lines,
or JSON), and with ``--days`` on a terminal a calendar grid per dataset and sink."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from loaders.planner import View
from loaders.report.text import emit, one_line, table
from loaders.timelayout import TimeLayout
from sinks.base import PartitionState


def state_json(sink: str, state: PartitionState, data: str | None = None) -> dict[str, Any]:
    """One partition as ``status --json`` shows it. ``status`` is ``failed`` while its last
    attempt failed, else what the data is; ``data`` says what the data is either way
    (loaded, stale, missing); ``last_attempt`` (ok, failed; None: never attempted),
    ``attempted_at``, ``attempts`` (failed in a row) and ``error`` describe the last attempt."""
    attempted = state.attempted_at
    return {
        "sink": sink,
        "dataset": state.dataset,
        "partition": state.partition,
        "status": shown_status(state, data),
        "data": data or state.data,
        "manifests": state.manifests,
        "rows": state.rows,
        "loaded_at": _utc(state.loaded_at),
        "last_attempt": ("failed" if state.failed else "ok") if attempted is not None or state.load_id else None,
        "attempted_at": _utc(attempted),
        "attempts": state.attempts,
        "error": state.last_error,
        "load_id": state.load_id,
    }


def shown_status(state: PartitionState, data: str | None = None) -> str:
    """The status ``status`` shows: a window's survey set it already (window_state, with
    ``data``); a recorded state alone shows failed, else what its data is."""
    return state.status if data is not None or state.failed else state.data


def _utc(at: Any) -> str | None:
    return at.isoformat() + "Z" if at is not None and hasattr(at, "isoformat") else None


def print_states(
    states: Sequence[tuple[str, PartitionState]], as_json: bool, data: Sequence[str] | None = None
) -> None:
    """The partitions' states; ``data`` (aligned with ``states``) what a window's survey
    found the data to be, where the store was listed (``status --days``)."""
    found = list(data) if data is not None else [None] * len(states)
    docs = [state_json(sink, s, d) for (sink, s), d in zip(states, found, strict=True)]
    if as_json:
        emit(docs)
        return
    rows = [
        (d["sink"], d["dataset"], d["partition"], d["status"], str(d["manifests"]), str(d["rows"]),
         s.loaded_at.isoformat(timespec="seconds") if s.loaded_at else "-",
         one_line(s.last_error or "") if s.failed else "", d["data"], f"{s.attempts} failed" if s.failed else "-")
        for d, (_sink, s) in zip(docs, states, strict=True)
    ]  # fmt: skip
    header = ("sink", "dataset", "partition", "status", "manifests", "rows", "loaded at", "error", "data", "attempts")
    table("status", header, rows, status_column=3, whole=(0, 1, 2), gives_way=7)


def window_state(view: View, recorded: PartitionState | None) -> PartitionState:
    """A partition of a window as status reports it: the recorded state, with the status
    the planner sees (missing, stale) against the store."""
    if recorded is None:
        recorded = PartitionState(view.dataset, view.partition.key, "", 0, 0, 0, None, None, None)
    return replace(recorded, status=view.status)


def print_window(
    views: Sequence[View],
    known: dict[tuple[str, str, str], PartitionState],
    as_json: bool,
    times: Mapping[str, TimeLayout] | None = None,
) -> None:
    """A window's partitions (``status --days``): as JSON or lines, or as a calendar grid
    on a terminal. ``known``: the recorded states by (sink, dataset, partition key);
    ``times``: each dataset's time, which places its partitions on the grid."""
    rows = [(v.sink, window_state(v, known.get((v.sink, v.dataset, v.partition.key)))) for v in views]
    if as_json or not sys.stdout.isatty():
        print_states(rows, as_json, data=[v.data for v in views])
    else:
        print_grid(rows, times)


_CELL = {"loaded": ("■", "green"), "stale": ("◆", "yellow"), "missing": ("·", "magenta"), "failed": ("✖", "bold red")}


def print_grid(rows: Sequence[tuple[str, PartitionState]], times: Mapping[str, TimeLayout] | None = None) -> None:
    """A calendar per dataset and sink: days down, hours across, coloured by status. A
    dataset in ``times`` has its partitions placed by the day and hour its fields spell
    (``yyyy=2026/mm=01/dd=05/hh=07``: 2026-01-05, 07); others by ``dt`` and ``hour``."""
    console = Console()
    groups: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
    failures: dict[tuple[str, str], list[PartitionState]] = {}
    for sink, state in rows:
        if state.status == "failed":
            failures.setdefault((state.dataset, sink), []).append(state)
        parts = dict(p.partition("=")[::2] for p in state.partition.split("/"))
        time = (times or {}).get(state.dataset)
        day, hour = time.day_hour(parts) if time else (parts.get("dt", "?"), parts.get("hour", ""))
        groups.setdefault((state.dataset, sink), {}).setdefault(day, {})[hour] = state.status
    for (dataset, sink), days in groups.items():
        hourly = any(h for hours in days.values() for h in hours)
        caption = "hours 00-23 (UTC) across" if hourly else None
        title = Text(f"{dataset} → {sink}", style="table.title")
        grid = Table(title=title, caption=caption, box=None, padding=(0, 0), pad_edge=False)
        grid.add_column("dt", no_wrap=True, min_width=11)
        columns = [f"{h:02d}" for h in range(24)] if hourly else [""]
        for column in columns:
            grid.add_column(column[-1] if hourly else "day", justify="right", no_wrap=True, min_width=2)
        for day in sorted(days, reverse=True):
            cells = []
            for column in columns:
                mark, style = _CELL.get(days[day].get(column, ""), (" ", ""))
                cells.append(f"[{style}]{mark}[/]" if style else mark)
            grid.add_row(Text(day), *cells)
        console.print(grid)
        for state in sorted(failures.get((dataset, sink), []), key=lambda s: s.partition, reverse=True):
            console.print(failure_legend(state), soft_wrap=True)
    console.print("  ".join(f"[{style}]{mark}[/] {name}" for name, (mark, style) in _CELL.items()))


def failure_legend(state: PartitionState) -> Text:
    """One line under a calendar for a failed cell: the partition, when its attempt ran,
    the error's class and the first line of its message (recorded as ``Class: message``)."""
    error = state.last_error or ""
    name, sep, message = error.partition(": ")
    if not sep or not name.isidentifier():
        name, message = "-", error
    at = state.attempted_at
    when = at.replace(tzinfo=None).isoformat(timespec="seconds") + "Z" if at is not None else "-"
    line = Text("  ✖ ", style="bold red")
    line.append(f"{state.partition}  {when}  {name}  {one_line(message)}")
    return line
