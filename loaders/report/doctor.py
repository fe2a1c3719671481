"""``loaders doctor``: one line per check, ✓ or ✗, the fix after a ✗; or with ``--json``
one document listing every check."""

from __future__ import annotations

from collections.abc import Sequence

import click

from loaders.doctor import Check
from loaders.report.text import emit, one_line


def check_json(check: Check) -> dict[str, object]:
    return {"check": check.name, "ok": check.ok, "detail": one_line(check.detail), "fix": check.fix or None}


def print_checks(checks: Sequence[Check], as_json: bool) -> None:
    """Every check, in the order they ran."""
    if as_json:
        emit({"ok": all(c.ok for c in checks), "checks": [check_json(c) for c in checks]})
        return
    for check in checks:
        line = f"{'✓' if check.ok else '✗'} {check.name}: {one_line(check.detail)}"
        if not check.ok and check.fix:
            line += f" — fix: {check.fix}"
        click.echo(line)
