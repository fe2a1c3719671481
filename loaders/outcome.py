"""What a unit came to: :class:`Outcome`, as the CLI and the Lambda report it, and how a
failure becomes one (an exception that is no LoaderError is reported as an InternalError)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from manifests import InternalError, LoaderError, Partition
from sinks.base import LoadUnit

log = logging.getLogger("loaders")


@dataclass(frozen=True)
class Outcome:
    """One unit's result, as the CLI and the Lambda report it."""

    sink: str
    dataset: str | None
    partition: str | None
    action: str
    rows: int = 0
    manifests: int = 0
    reason: str = ""
    error: str | None = None
    error_class: str | None = None
    transient: bool = False
    load_id: str | None = None
    #: the manifest a failure is about, where one is (as the request named it)
    manifest: str | None = None

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "sink": self.sink,
            "dataset": self.dataset,
            "partition": self.partition,
            "action": self.action,
            "rows": self.rows,
            "manifests": self.manifests,
            "reason": self.reason,
            "load_id": self.load_id,
        }
        if self.action == "failed":
            doc.update(error=self.error, error_class=self.error_class, transient=self.transient)
            doc["manifest"] = self.manifest
        return doc

    @property
    def config_error(self) -> bool:
        """A failure the configuration must fix (CLI exit status 2)."""
        return self.action == "failed" and self.error_class == "ConfigError"


def new_load_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(4)


def only_manifest(unit: LoadUnit) -> str | None:
    """The manifest an error inside a unit names: its only one (of several, none is to blame)."""
    return unit.manifests[0].url if len(unit.manifests) == 1 else None


def as_failure(exc: Exception, *, manifest: str | None = None) -> LoaderError:
    """What a failure is reported as: a LoaderError as it is; any other exception (a bug,
    or a driver error no sink maps) as an InternalError, terminal, so that it fails the
    one unit it happened in, not the command, and is not retried for ever. Its traceback
    is logged at INFO (``-v``): the report itself stays one line."""
    if isinstance(exc, LoaderError):
        return exc
    log.info("unexpected %s", type(exc).__name__, exc_info=exc)
    return InternalError(f"unexpected {type(exc).__name__}: {exc}", manifest=manifest)


def failure_outcome(
    sink: str,
    dataset: str | None,
    partition: Partition | None,
    exc: LoaderError,
    load_id: str | None = None,
    manifest: str | None = None,
) -> Outcome:
    return Outcome(
        sink=sink,
        dataset=dataset,
        partition=partition.key if partition else None,
        action="failed",
        reason=exc.reason,
        error=str(exc),
        error_class=type(exc).__name__,
        transient=exc.transient,
        load_id=load_id,
        manifest=manifest or exc.manifest,
    )
