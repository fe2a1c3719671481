"""AWS Lambda entry points: ``loaders.aws.handler`` and ``loaders.aws.sweep_handler``, and
the manifest builder's ``loaders.aws.batch_handler``.

Importing this module must stay cheap, because Lambda pays for it on every cold start,
and it must not touch logging, because the command line imports ``loaders.aws.*`` too
(``dlq``, ``--fan-out``). So Powertools (JSON logs on the ``loaders`` logger, EMF
metrics) is set up on the first invocation, and the configuration (``LOADERS_CONFIG``, a
path or an ``s3://`` URI) is read then and kept for the container's life; the runner,
boto3, pyarrow, DuckDB and the sink drivers are imported when a load needs them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loaders.aws.batch import BatchWorker
    from loaders.aws.worker import Worker

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@functools.lru_cache(maxsize=1)
def _worker(source: str | None) -> Worker:
    """One per container and configuration source: the config is read once.
    ``LOADERS_DATASET``/``LOADERS_SINK`` scope it to one dataset and sink."""
    from loaders.aws.telemetry import freshness, observe
    from loaders.aws.worker import Worker
    from loaders.config import load_config

    scope = {k: os.environ.get(f"LOADERS_{k.upper()}") or None for k in ("dataset", "sink")}
    return Worker(load_config(source), observe=observe, watch=freshness, **scope)


def current_worker() -> Worker:
    return _worker(os.environ.get("LOADERS_CONFIG"))


@functools.lru_cache(maxsize=1)
def _batch_worker(source: str | None) -> BatchWorker:
    """The manifest builder of the container's configuration, read once."""
    from loaders.aws.batch import BatchWorker
    from loaders.config import load_config

    return BatchWorker(load_config(source))


@functools.cache
def _decorated(name: str) -> Handler:
    """The entry point wrapped the way Powertools users know: Lambda context in every log
    line, metrics flushed at the end of each invocation."""
    from loaders.aws.telemetry import logger, metrics

    def run(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if name == "batch_handler":
            return _batch_worker(os.environ.get("LOADERS_CONFIG")).handle(event)
        worker = current_worker()
        return worker.handle(event) if name == "handler" else worker.sweep()

    return metrics.log_metrics(logger.inject_lambda_context(run, clear_state=True))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SNS events (S3 notifications, direct load requests), SQS events (SNS envelopes, raw
    payloads, EventBridge events) and S3 "Object Created" events from an EventBridge rule."""
    return _decorated("handler")(event, context)


def sweep_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """For an EventBridge schedule: each dataset over its own lookback."""
    return _decorated("sweep_handler")(event, context)


def batch_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The manifest builder: ObjectCreated notifications of data files (SNS, SQS or S3
    directly) batched into manifests; an event without ``Records`` (a schedule) seals
    the batches that are old enough."""
    return _decorated("batch_handler")(event, context)


__all__ = ["batch_handler", "current_worker", "handler", "sweep_handler"]
