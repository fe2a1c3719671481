"""Every output format of every command: human tables on a terminal, plain lines in logs
and pipes, one JSON document with ``--json``.

    text       the table, the JSON document, a message as one line
    units      load, backfill and sweep: units, a dry run's plan, a fan-out, progress
    states     status: partition states and the calendar grid
    commands   reset, superseded, schemas, dlq and package
    manifests  manifest build
    doctor     doctor: one line per check
"""

from __future__ import annotations

from loaders.report.commands import (
    print_letters,
    print_package,
    print_redriven,
    print_resets,
    print_schema_published,
    print_schemas,
    print_superseded,
    reset_row,
    schema_row,
)
from loaders.report.doctor import check_json, print_checks
from loaders.report.manifests import built_row, print_built
from loaders.report.states import print_grid, print_states, print_window, state_json, window_state
from loaders.report.text import emit, one_line, table
from loaders.report.units import Progress, print_plan, print_published, print_units

__all__ = [
    "Progress",
    "built_row",
    "check_json",
    "emit",
    "one_line",
    "print_built",
    "print_checks",
    "print_grid",
    "print_letters",
    "print_package",
    "print_plan",
    "print_published",
    "print_redriven",
    "print_resets",
    "print_schema_published",
    "print_schemas",
    "print_states",
    "print_superseded",
    "print_units",
    "print_window",
    "reset_row",
    "schema_row",
    "state_json",
    "table",
    "window_state",
]
