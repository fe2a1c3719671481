"""The AWS commands: ``loaders dlq`` (the dead-letter queue, listed or redriven) and
``loaders package`` (a Lambda deployment zip)."""

from __future__ import annotations

import sys

import click

from loaders.cli.common import config_option, handle_errors, json_option, writable_folder
from loaders.config import load_config
from manifests import ConfigError


@click.group()
def dlq() -> None:
    """The dead-letter queue of [aws] dead_letter_queue: what failed for good, and why."""


@dlq.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True, help="At most N messages.")
@json_option
@config_option
@handle_errors
def dlq_list(limit: int, as_json: bool, config_path: str | None) -> None:
    """What is waiting in the queue, and why (reads without removing anything)."""
    from loaders.aws.worker import Worker
    from loaders.report import print_letters

    worker = Worker(load_config(config_path))
    if worker.dlq is None:
        raise ConfigError("no [aws] dead_letter_queue in the configuration")
    print_letters([r.letter for r in worker.dlq.peek(limit)], as_json)


@dlq.command("redrive")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True, help="At most N messages.")
@json_option
@config_option
@handle_errors
def dlq_redrive(limit: int, as_json: bool, config_path: str | None) -> None:
    """Load each message again; delete it when the load now succeeds, keep it (with the
    new reason) when it still fails. Exit 1 if any still fails."""
    from loaders.aws.worker import Worker
    from loaders.report import print_redriven

    done = Worker(load_config(config_path)).redrive(limit)
    print_redriven(done, as_json)
    sys.exit(1 if any(not result.startswith("loaded") for _received, result in done) else 0)


@click.command()
@click.option("--sink", "sink_name", required=True, metavar="NAME", help="A sink of loaders.toml, or a sink type.")
@click.option("--out", "out_dir", default="dist", show_default=True, metavar="DIR", help="Where to write the zip.")
@json_option
@config_option
@handle_errors
def package(sink_name: str, out_dir: str, as_json: bool, config_path: str | None) -> None:
    """Build a Lambda deployment zip with only this sink's extras."""
    from loaders.package import build_package

    writable_folder(out_dir, "--out")
    build_package(sink_name, out_dir, config_path=config_path, as_json=as_json)
