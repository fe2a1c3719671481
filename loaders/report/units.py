"""What ``load``, ``backfill`` and ``sweep`` print: the units and how they ended, a dry
run's plan, the load requests a fan-out published, and the progress as units finish."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress as RichProgress
from rich.progress import TaskID

from loaders.outcome import Outcome
from loaders.planner import Planned
from loaders.report.text import emit, one_line, table
from manifests.store import ObjectStore

log = logging.getLogger("loaders")


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
    table("units", ("sink", "dataset", "partition", "action", "rows", "why"), rows, status_column=3)


def print_plan(store: ObjectStore, plan: Sequence[Planned], as_json: bool) -> None:
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
            "bytes": planned_bytes(store, p),
            "rows": 0,
        }
        for p in plan
    ]
    if as_json:
        emit({"units": rows, "summary": {"planned": len(rows)}, "rows": 0})
        return
    header = ("sink", "dataset", "partition", "action", "why", "manifests", "bytes")
    table("plan", header, [tuple(str(r[h]) for h in header) for r in rows], status_column=3)


def print_published(
    target: str,
    requests: Sequence[tuple[str, str, str, str]],
    plan: Sequence[Planned],
    ids: Sequence[str],
    as_json: bool,
) -> None:
    """A fan-out: the load request published per planned unit, and its message id."""
    units: list[dict[str, Any]] = [
        {"sink": s, "dataset": d, "partition": k, "action": "planned", "rows": 0, "why": p.why, "message_id": i}
        for (d, k, s, _r), p, i in zip(requests, plan, ids, strict=True)
    ]
    if as_json:
        emit({"units": units, "summary": {"published": len(units)}, "rows": 0})
    else:
        for u in units:
            click.echo(f"published\t{u['sink']}\t{u['dataset']}\t{u['partition']}\t{u['why']}")
        click.echo(f"{len(units)} load request(s) published to {target.removeprefix('sns:')}", err=True)


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
