"""Human tables on a terminal, plain lines in logs and pipes, one JSON document with ``--json``.

Every string that comes from data (dataset, partition, error text, a status read back from a
sink's load state, a sink's name) reaches rich as a :class:`rich.text.Text`, never as a
markup string: ``[/]oops`` or ``[bold]x`` in a partition value or an error prints as it
is instead of restyling the table or crashing it (a closing tag with nothing to close).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.progress import Progress as RichProgress
from rich.progress import TaskID
from rich.table import Table
from rich.text import Text

from loaders.planner import Planned
from loaders.runner import Outcome, Runner
from sinks.base import PartitionState

log = logging.getLogger("loaders")

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
         f"{o.error_class}: {one_line(o.error or '')}" if o.action == "failed" else o.reason)
        for o in outcomes
    ]  # fmt: skip
    for o in outcomes:
        if o.action == "failed" and one_line(o.error or "") != o.error:
            log.info("sink=%s dataset=%s partition=%s: the whole error:\n%s", o.sink, o.dataset, o.partition, o.error)
    _table("units", ("sink", "dataset", "partition", "action", "rows", "why"), rows, status_column=3)


def one_line(text: str) -> str:
    """A message as one line of a table or a terminal: its first line, with a mark when
    more was cut (engine errors add lines of SQL context; ``--json`` and ``-v`` keep the
    whole text), and tabs or control characters shown as spaces, so that a tab-separated
    line stays one row and a hostile file name cannot drive the terminal."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    first = lines[0].strip() if lines else ""
    shown = "".join(c if c.isprintable() else " " for c in first)
    return shown + " [… more with -v]" if len(lines) > 1 else shown


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
        # a window's survey set the status already (window_state); a recorded state alone
        # shows failed, else what its data is
        "status": state.status if data is not None or state.failed else state.data,
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
        cells = [Text(cell) for cell in row]  # a value such as "[/]" is text, not markup
        # a status this version has no colour for (a newer loader's) is shown plain
        cells[status_column] = Text(row[status_column], style=_STYLE.get(row[status_column], ""))
        table.add_row(*cells)
    Console().print(table)


def emit(doc: Any) -> None:
    """The one JSON document of a ``--json`` command."""
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")


def print_plan(runner: Runner, plan: Sequence[Planned], as_json: bool) -> None:
    """A dry run: what would be loaded and why; nothing is loaded."""
    from loaders.executor import planned_bytes

    rows = [
        {
            "sink": p.view.sink,
            "dataset": p.view.dataset,
            "partition": p.view.partition.key,
            "action": "planned",
            "why": p.why,
            "manifests": len(p.manifests),
            "bytes": planned_bytes(runner, p),
            "rows": 0,
        }
        for p in plan
    ]
    if as_json:
        emit({"units": rows, "summary": {"planned": len(rows)}, "rows": 0})
        return
    header = ("sink", "dataset", "partition", "action", "why", "manifests", "bytes")
    _table("plan", header, [tuple(str(r[h]) for h in header) for r in rows], status_column=3)


class Progress:
    """A progress bar on a terminal; a plain line per finished unit elsewhere (stderr)."""

    def __init__(self, total: int, quiet: bool = False) -> None:
        self.total = total
        self.quiet = quiet
        self.done = 0
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Progress:
        if sys.stderr.isatty() and not self.quiet and self.total:
            self._bar = RichProgress(console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("loading", total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self, outcomes: Sequence[Outcome]) -> None:
        self.done += len(outcomes)
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self.done)
        elif not self.quiet:
            for o in outcomes:
                sys.stderr.write(f"{o.sink} {o.dataset} {o.partition} {o.action} rows={o.rows}\n")


_CELL = {"loaded": ("■", "green"), "stale": ("◆", "yellow"), "missing": ("·", "magenta"), "failed": ("✖", "bold red")}


def print_grid(rows: Sequence[tuple[str, PartitionState]]) -> None:
    """A calendar per dataset and sink: days down, hours across, coloured by status."""
    console = Console()
    groups: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
    for sink, state in rows:
        parts = dict(p.partition("=")[::2] for p in state.partition.split("/"))
        day = groups.setdefault((state.dataset, sink), {}).setdefault(parts.get("dt", "?"), {})
        day[parts.get("hour", "")] = state.status
    for (dataset, sink), days in groups.items():
        hourly = any(h for hours in days.values() for h in hours)
        caption = "hours 00-23 (UTC) across" if hourly else None
        title = Text(f"{dataset} → {sink}", style="table.title")
        table = Table(title=title, caption=caption, box=None, padding=(0, 0), pad_edge=False)
        table.add_column("dt", no_wrap=True, min_width=11)
        columns = [f"{h:02d}" for h in range(24)] if hourly else [""]
        for column in columns:
            table.add_column(column[-1] if hourly else "day", justify="right", no_wrap=True, min_width=2)
        for day in sorted(days, reverse=True):
            cells = []
            for column in columns:
                mark, style = _CELL.get(days[day].get(column, ""), (" ", ""))
                cells.append(f"[{style}]{mark}[/]" if style else mark)
            table.add_row(Text(day), *cells)
        console.print(table)
    console.print("  ".join(f"[{style}]{mark}[/] {name}" for name, (mark, style) in _CELL.items()))
