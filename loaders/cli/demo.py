"""``loaders demo``: a travel ad network's data set, loaded into DuckDB step by step."""

from __future__ import annotations

import sys

import click

from loaders.cli.common import handle_errors, writable_folder


@click.command()
@click.option("--dir", "directory", default="loaders-demo", show_default=True, help="Folder for the demo project.")
@handle_errors
def demo(directory: str) -> None:
    """Build a travel ad-network data set and load it into DuckDB, step by step."""
    from loaders.demo import run_demo

    writable_folder(directory, "--dir")
    sys.exit(run_demo(directory))
