"""The ``loaders`` command line: the group and its commands, one module per command group.

Exit status: 0 done, 1 a load failed, 2 usage or configuration error. With ``--json``
stdout holds exactly one JSON document; everything else goes to stderr. What each
command prints is in :mod:`loaders.report`.
"""

from __future__ import annotations

import logging
import sys

import click

from loaders.cli import aws, compile_sql, demo, doctor, load, manifest, reset, schemas, status
from loaders.cli.common import exit_status
from manifests import secrets


@click.group()
@click.version_option(package_name="loaders")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-v info, -vv SQL).")
def main(verbose: int) -> None:
    """Load S3 manifests into warehouses, exactly once."""
    # Everything this process prints (messages, --json, tables, logs, a traceback) passes
    # through the one redaction of configured secrets.
    sys.stdout, sys.stderr = secrets.guarded(sys.stdout), secrets.guarded(sys.stderr)
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    secrets.guard_logging("loaders")


for command in (
    load.load,
    load.backfill,
    load.sweep,
    status.status,
    reset.reset,
    doctor.doctor,
    compile_sql.compile_sql,
    schemas.superseded,
    schemas.schemas,
    aws.dlq,
    aws.package,
    manifest.manifest,
    demo.demo,
):
    main.add_command(command)

__all__ = ["exit_status", "main"]
