"""What the CLI prints for a person: one line per unit, whatever the error holds."""

from __future__ import annotations

import pytest

from loaders.report import one_line


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
