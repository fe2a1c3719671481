"""``loaders compile``: every statement a load would run, rendered without connecting."""

from __future__ import annotations

import sys

import click

from loaders.cli.common import config_option, handle_errors, writable_folder
from loaders.config import load_config
from manifests import ConfigError


@click.command("compile")
@click.option("--sink", "sink_name", metavar="NAME", help="Only this sink.")
@click.option("--dataset", "dataset", metavar="NAME", help="Only this dataset.")
@click.option("--partition", metavar="K=V/...", help="Compile from this partition's real manifests.")
@click.option("--out", "out_dir", default="target/compiled", show_default=True, metavar="DIR")
@click.option("--check", "check_sql", is_flag=True, help="Exit 1 if a statement does not parse in its dialect.")
@config_option
@handle_errors
def compile_sql(
    sink_name: str | None,
    dataset: str | None,
    partition: str | None,
    out_dir: str,
    check_sql: bool,
    config_path: str | None,
) -> None:
    """Render every statement a load would run, per sink and dataset, without connecting."""
    from loaders.compile import check, compile_project

    config = load_config(config_path)
    writable_folder(out_dir, "--out")
    try:
        compiled = compile_project(config, out_dir, sink=sink_name, dataset=dataset, partition=partition)
    except LookupError as exc:  # a template missing: name it
        raise ConfigError(str(exc)) from None
    for note in compiled.notes:
        click.echo(f"note: {note}", err=True)
    folders = sorted({str(s.path.parent) for s in compiled.statements})
    click.echo(f"{len(compiled.statements)} statement(s) in {len(folders)} folder(s) under {out_dir}", err=True)
    if check_sql:
        problems = check(compiled.statements)
        for problem in problems:
            click.echo(problem, err=True)
        if problems:
            sys.exit(1)
        click.echo(f"all {len(compiled.statements)} statement(s) parse", err=True)
