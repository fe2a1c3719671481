"""``loaders doctor``: checks the configuration, the store and each sink, one line each.
Exit status 0 when every check passes, 1 when any fails, 2 when the configuration does
not read."""

from __future__ import annotations

import sys

import click

from loaders.cli.common import config_option, json_option
from loaders.config import load_config
from manifests import ConfigError


@click.command()
@click.option("--sink", "sink_name", metavar="NAME", help="Only this sink.")
@json_option
@config_option
def doctor(sink_name: str | None, as_json: bool, config_path: str | None) -> None:
    """Check that the configuration reads, the store lists and its manifests read, and
    each sink connects: one line each, ✓ or ✗ with the fix."""
    from loaders.doctor import config_failure, run_checks
    from loaders.report.doctor import print_checks

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print_checks([config_failure(exc)], as_json)
        sys.exit(2)
    try:
        checks = run_checks(config, sink_name)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    print_checks(checks, as_json)
    sys.exit(0 if all(c.ok for c in checks) else 1)
