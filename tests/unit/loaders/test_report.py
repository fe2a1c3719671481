"""What the CLI prints for a person: one line per unit, whatever the error holds."""

from __future__ import annotations

import io
import sys

import pytest

from loaders.report import one_line, print_grid, print_states, print_units
from loaders.runner import Outcome
from sinks.base import PartitionState


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("manifest m.json: not valid JSON", "manifest m.json: not valid JSON"),
        # an engine's error with its SQL context below: the first line, and a mark
        (
            'Conversion Error: "x" is no INT\n\nLINE 1: SELECT ...\n        ^',
            'Conversion Error: "x" is no INT [… more with -v]',
        ),
        ("\n\n  first after blanks  \n", "first after blanks"),
        ("tab\tand escape \x1b[2J", "tab and escape  [2J"),  # a tab would add a column; an escape drive the terminal
        ("a\u2028b", "a [… more with -v]"),  # a line separator is a line break too
        ("", ""),
    ],
)
def test_one_line(text: str, shown: str) -> None:
    assert one_line(text) == shown


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_table_on_a_terminal_shows_markup_in_an_error_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """rich reads "[/]" in a cell as a closing tag: a file or value holding it raised
    MarkupError, a traceback instead of the table."""
    out = Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setenv("COLUMNS", "400")  # no wrapping inside the cells
    error = "manifest m[/].json, file [bold]x[/bold].parquet: not valid JSON"
    print_units([Outcome("local", "a.b", "dt=[/]", "failed", error=error, error_class="ManifestError")], False)
    text = out.getvalue()
    assert "m[/].json" in text and "[bold]x[/bold]" in text and "dt=[/]" in text


def test_a_status_with_no_colour_of_its_own_is_shown_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """A status read back from a sink's load state that this version has no colour for
    ("pending", as a newer loader may write; "[bold]x" by hand) became the markup
    "[]pending[/]": rich refused the closing tag with nothing to close, a traceback."""
    out = Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setenv("COLUMNS", "400")
    states = [
        ("local", PartitionState("a.b", "dt=1", "pending", 1, 1, 0, None, None, None)),
        ("local", PartitionState("a.b", "dt=2", "[bold]x", 1, 1, 0, None, None, None)),
        ("local", PartitionState("a.b", "dt=3", "loaded", 1, 1, 0, None, None, None)),
    ]
    print_states(states, False, data=["missing", "missing", "loaded"])
    text = out.getvalue()
    assert "pending" in text and "[bold]x" in text
    assert "\x1b[32mloaded" in text  # a known status keeps its colour


def test_the_calendar_grid_shows_names_and_values_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """The grid's title names the dataset and the sink (a TOML key that may hold
    brackets); its rows name the dt value. A partition without "=" does not break it."""
    out = Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setenv("COLUMNS", "400")
    rows = [
        ("[/]wh", PartitionState("a.b", "dt=[bold]d/hour=01", "loaded", 1, 1, 0, None, None, None)),
        ("[/]wh", PartitionState("a.b", "dt=2026-01-02/hour", "missing", 0, 0, 0, None, None, None)),
    ]
    print_grid(rows)
    text = out.getvalue()
    assert "a.b → [/]wh" in text and "[bold]d" in text
