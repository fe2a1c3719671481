"""What every command shares: the ``--config`` option, errors as one line and an exit
status, the folder a command writes into, and the exit status of a run's units."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from loaders.outcome import Outcome
from manifests import ConfigError, LoaderError

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("loaders")


def config_option(func: F) -> F:
    return click.option(
        "--config",
        "config_path",
        metavar="PATH",
        envvar="LOADERS_CONFIG",
        help="loaders.toml to use (default: ./loaders.toml, or LOADERS_CONFIG).",
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")(func)


def handle_errors(func: F) -> F:
    """Failures print one clear line, never a traceback: the whole text and any traceback
    go to the log at ``-v``. An exception that is no LoaderError is a bug met outside every
    unit (each unit catches its own): reported as an InternalError, exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from loaders.report import one_line

        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except ConfigError as exc:
            log.info("the whole error: %s", exc)
            click.echo(f"error: {one_line(str(exc))}", err=True)
            sys.exit(2)
        except LoaderError as exc:
            log.info("the whole error: %s", exc)
            click.echo(f"error: {type(exc).__name__}: {one_line(str(exc))}", err=True)
            sys.exit(1)
        except Exception as exc:
            log.info("unexpected %s", type(exc).__name__, exc_info=exc)
            click.echo(f"error: InternalError: unexpected {type(exc).__name__}: {one_line(str(exc))}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def writable_folder(path: str, option: str) -> None:
    """The folder a command writes into must be a folder, or creatable: a file in its
    place (or in place of a parent) or no write permission is a usage error naming the
    option, found before any work, not an OSError midway reported as a bug."""
    at = os.path.abspath(path)
    while not os.path.lexists(at) and os.path.dirname(at) != at:
        at = os.path.dirname(at)
    if not os.path.isdir(at):
        raise ConfigError(f"{option} {path}: {at} is not a folder")
    if not os.access(at, os.W_OK | os.X_OK):
        raise ConfigError(f"{option} {path}: {at} is not writable")


def exit_status(outcomes: Sequence[Outcome], interrupted: bool = False) -> int:
    """2 when a unit failed for its configuration (a sink that cannot be opened, refused
    credentials), else 1 when any failed or the run was interrupted, else 0."""
    if any(o.config_error for o in outcomes):
        return 2
    return 1 if interrupted or any(o.action == "failed" for o in outcomes) else 0
