"""The ``loaders`` command line.

Exit status: 0 done, 1 a load failed, 2 usage or configuration error. With ``--json``
stdout holds exactly one JSON document; everything else goes to stderr.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import click

from loaders.config import Config, load_config
from manifests import ConfigError, LoaderError

F = TypeVar("F", bound=Callable[..., Any])


def config_option(func: F) -> F:
    return click.option(
        "--config",
        "config_path",
        metavar="PATH",
        envvar="LOADERS_CONFIG",
        help="loaders.toml to use (default: ./loaders.toml, or LOADERS_CONFIG).",
    )(func)


def handle_errors(func: F) -> F:
    """Expected failures print one clear line, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except LoaderError as exc:
            click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group()
@click.version_option(package_name="loaders")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-v info, -vv SQL).")
def main(verbose: int) -> None:
    """Load S3 manifests into warehouses, exactly once."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.argument("manifest_uris", nargs=-1, required=True, metavar="MANIFEST_URI...")
@click.option("--sink", "sink_name", metavar="NAME", help="Load into this sink only.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@config_option
@handle_errors
def load(manifest_uris: tuple[str, ...], sink_name: str | None, as_json: bool, config_path: str | None) -> None:
    """Load these manifests now (s3:// URLs, file:// URLs or paths under the store root)."""
    from loaders.report import print_units
    from loaders.runner import Runner

    runner = Runner(_config(config_path), only_sink=sink_name)
    try:
        outcomes = runner.load(list(manifest_uris))
    finally:
        runner.close()
    print_units(outcomes, as_json)
    sys.exit(1 if any(o.action == "failed" for o in outcomes) else 0)


@main.command()
@click.option("--sink", "sink_name", metavar="NAME", help="Only this sink.")
@click.option("--dataset", "dataset", metavar="NAME", help="Only this dataset.")
@click.option("--days", type=click.IntRange(min=1), help="Only partitions of the N most recent days (UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@config_option
@handle_errors
def status(
    sink_name: str | None, dataset: str | None, days: int | None, as_json: bool, config_path: str | None
) -> None:
    """Show the load state of each partition in each sink."""
    from loaders.report import print_states
    from loaders.runner import Runner

    config = _config(config_path)
    if dataset is not None and dataset not in config.datasets:
        raise ConfigError(f"--dataset {dataset}: not configured in {config.source}")
    runner = Runner(config, only_sink=sink_name)
    try:
        states = runner.states(dataset)
    finally:
        runner.close()
    if days is not None:
        first = (datetime.now(UTC).date() - timedelta(days=days - 1)).isoformat()
        states = [(s, st) for s, st in states if _partition_day(st.partition) >= first]
    print_states(states, as_json)


@main.command()
@click.option("--dir", "directory", default="loaders-demo", show_default=True, help="Folder for the demo project.")
@handle_errors
def demo(directory: str) -> None:
    """Build a travel ad-network data set and load it into DuckDB, step by step."""
    from loaders.demo import run_demo

    sys.exit(run_demo(directory))


def _config(path: str | None) -> Config:
    return load_config(path)


def _partition_day(partition: str) -> str:
    for part in partition.split("/"):
        name, _, value = part.partition("=")
        if name == "dt":
            return value
    return "9999-12-31"
