"""AWS Lambda entry points: ``loaders.aws.handler`` and ``loaders.aws.sweep_handler``.

Importing this module must stay cheap, because Lambda pays for it on every cold start:
it loads Powertools' logger and metrics only. The configuration (``LOADERS_CONFIG``, a
path or an ``s3://`` URI) is read on the first invocation and kept for the container's
life; the runner, boto3, pyarrow, DuckDB and the sink drivers are imported when a load
needs them.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from loaders.aws.telemetry import logger, metrics, route_library_logs

if TYPE_CHECKING:
    from loaders.aws.worker import Worker


@functools.lru_cache(maxsize=1)
def _worker(source: str | None) -> Worker:
    """One per container and configuration source: the config is read once."""
    from loaders.aws.worker import Worker
    from loaders.config import load_config

    route_library_logs()
    return Worker(load_config(source))


def worker() -> Worker:
    return _worker(os.environ.get("LOADERS_CONFIG"))


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SNS events (S3 notifications, direct load requests) and SQS events of SNS envelopes."""
    return worker().handle(event)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def sweep_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """For an EventBridge schedule: each dataset over its own lookback."""
    return worker().sweep()


__all__ = ["handler", "sweep_handler", "worker"]
