"""The ways every command prints: a coloured table on a terminal, plain tab-separated lines
in logs and pipes, one JSON document with ``--json``, and a message as one line.

Every string that comes from data (dataset, partition, error text, a status read back from a
sink's load state, a sink's name) reaches rich as a :class:`rich.text.Text`, never as a
markup string: ``[/]oops`` or ``[bold]x`` in a partition value or an error prints as it
is instead of restyling the table or crashing it (a closing tag with nothing to close).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

_STYLE = {
    "loaded": "green",
    "skipped": "cyan",
    "failed": "bold red",
    "planned": "yellow",
    "stale": "yellow",
    "missing": "magenta",
}


def one_line(text: str) -> str:
    """A message as one line of a table or a terminal: its first line, with a mark when
    more was cut (engine errors add lines of SQL context; ``--json`` and ``-v`` keep the
    whole text), and tabs or control characters shown as spaces, so that a tab-separated
    line stays one row and a hostile file name cannot drive the terminal."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    first = lines[0].strip() if lines else ""
    shown = "".join(c if c.isprintable() else " " for c in first)
    return shown + " [… more with -v]" if len(lines) > 1 else shown


def table(
    title: str, header: Sequence[str], rows: Sequence[Sequence[str]], status_column: int, whole: Sequence[int] = ()
) -> None:
    """A coloured table on a terminal; plain tab-separated lines elsewhere (logs, pipes).
    The columns in ``whole`` (names: a dataset, a partition, a sink) and the status are
    never cut on a narrow terminal: the other columns (an error first) give way, folding."""
    if not sys.stdout.isatty():
        for row in rows:
            sys.stdout.write("\t".join(row) + "\n")
        if not rows:
            sys.stdout.write(f"no {title}\n")
        return
    shown = Table(title=title)
    kept = {*whole, status_column} if whole else set()
    for i, name in enumerate(header):
        widest = max([len(name), *(len(row[i]) for row in rows)])
        if i in kept:
            shown.add_column(name, no_wrap=True, min_width=widest, overflow="fold")
        else:
            shown.add_column(name, overflow="fold" if whole else "ellipsis")
    for row in rows:
        cells = [Text(cell) for cell in row]  # a value such as "[/]" is text, not markup
        # a status this version has no colour for (a newer loader's) is shown plain
        cells[status_column] = Text(row[status_column], style=_STYLE.get(row[status_column], ""))
        shown.add_row(*cells)
    Console().print(shown)


def emit(doc: Any) -> None:
    """The one JSON document of a ``--json`` command."""
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
