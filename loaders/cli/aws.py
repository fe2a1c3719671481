"""The AWS commands: ``loaders dlq`` (the dead-letter queue, listed or redriven) and
``loaders package`` (a Lambda deployment zip)."""

from __future__ import annotations

import sys

import click

from loaders.cli.common import config_option, handle_errors, json_option, writable_folder
from loaders.config import load_config
from loaders.lambda_wheels import DEFAULT_ARCH, DEFAULT_PYTHON, MACHINES, TARGET_PYTHONS
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
@click.option(
    "--python",
    type=click.Choice(TARGET_PYTHONS),
    help=f"The function's runtime, pythonX.Y [default: {DEFAULT_PYTHON}; with --installed: this interpreter's].",
)
@click.option(
    "--arch",
    type=click.Choice(tuple(MACHINES)),
    help=f"The function's architecture [default: {DEFAULT_ARCH}; with --installed: this machine's].",
)
@click.option(
    "--installed",
    is_flag=True,
    help="Pack this environment's files instead (offline; this must be Linux CPython of the runtime's version).",
)
@json_option
@config_option
@handle_errors
def package(
    sink_name: str,
    out_dir: str,
    python: str | None,
    arch: str | None,
    installed: bool,
    as_json: bool,
    config_path: str | None,
) -> None:
    """Build a Lambda deployment zip with only this sink's extras.

    The versions installed here are fetched with pip from the package index (network
    access to it is needed at build time) as wheels for the runtime's Python and
    architecture that fit its glibc (2.34, Amazon Linux 2023); every shared object is
    checked against it, and one that needs more stops the build, naming the file.
    """
    from loaders.package import build_package

    writable_folder(out_dir, "--out")
    build_package(
        sink_name, out_dir, config_path=config_path, as_json=as_json, python=python, arch=arch, installed=installed
    )
