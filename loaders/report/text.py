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
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    status_column: int,
    whole: Sequence[int] = (),
    gives_way: int | None = None,
) -> None:
    """A coloured table on a terminal; plain tab-separated lines elsewhere (logs, pipes).
    The columns in ``whole`` (names: a dataset, a partition, a sink) and the status are
    never cut on a narrow terminal; the column ``gives_way`` (an error) takes what width
    is left, and the others fold."""
    if not sys.stdout.isatty():
        for row in rows:
            sys.stdout.write("\t".join(row) + "\n")
        if not rows:
            sys.stdout.write(f"no {title}\n")
        return
    console = Console()
    shown = Table(title=title)
    if whole:
        _fitted_columns(shown, header, rows, {*whole, status_column}, gives_way, console.width)
    else:
        for name in header:
            shown.add_column(name)
    for row in rows:
        cells = [Text(cell) for cell in row]  # a value such as "[/]" is text, not markup
        # a status this version has no colour for (a newer loader's) is shown plain
        cells[status_column] = Text(row[status_column], style=_STYLE.get(row[status_column], ""))
        shown.add_row(*cells)
    console.print(shown)


def _fitted_columns(
    shown: Table,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    kept: set[int],
    gives_way: int | None,
    width: int,
) -> None:
    """The columns of a table that fits ``width``: those ``kept`` whole, the one that
    ``gives_way`` as wide as what is left (at least 12; wrapped over lines, or below 40
    one line cut with …), the others folding."""
    natural = [max([len(name), *(len(row[i]) for row in rows)]) for i, name in enumerate(header)]
    borders = 3 * len(header) + 1  # a rule and a space either side of each column
    left = width - borders - sum(w for i, w in enumerate(natural) if i != gives_way)
    for i, name in enumerate(header):
        if i in kept:
            shown.add_column(name, no_wrap=True, min_width=natural[i], overflow="fold")
        elif i == gives_way:
            cut = left < 40  # too narrow to wrap a message over lines: one line, cut
            shown.add_column(name, no_wrap=cut, width=min(natural[i], max(12, left)), overflow="ellipsis")
        else:
            shown.add_column(name, overflow="fold")


def emit(doc: Any) -> None:
    """The one JSON document of a ``--json`` command."""
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
