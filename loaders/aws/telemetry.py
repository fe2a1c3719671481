"""Structured logs and CloudWatch metrics, with Powertools for AWS Lambda.

Logs are JSON lines on stdout (Powertools ``Logger``), with the load id, dataset,
partition, sink and the SNS/SQS message id as keys; the ``loaders`` logger of the
runner and sinks writes through the same formatter. Metrics are CloudWatch embedded
metric format (EMF) lines, namespace ``POWERTOOLS_METRICS_NAMESPACE`` (default
``loaders``), dimension ``service``:

    ManifestsLoaded      manifests applied                       Count
    RowsLoaded           rows written                            Count
    LoadSeconds          wall time of one delivery's loads       Seconds
    PartitionLagSeconds  load time - end of the partition's slice Seconds
    SkippedDuplicates    units with nothing new (re-deliveries)  Count
    Failures             failed units; also per ``error_class``  Count
    FreshnessLagSeconds  now - the newest load, per ``dataset``  Seconds
                         and ``sink`` (the sweep; datasets that
                         declare ``freshness``)
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from manifests.secrets import guard_logging, guarded

if TYPE_CHECKING:
    from loaders.freshness import Lag
    from loaders.runner import Outcome

#: Also the name of the Python logger Powertools configures: ``loaders``, the logger of
#: the runner and the sinks, so every line of a load is JSON with the same keys.
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "loaders")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "loaders")

# Every JSON line passes through the one redaction of configured secrets: the message,
# the keys, and a traceback's text, which Powertools formats itself.
logger = Logger(service=SERVICE, stream=guarded(sys.stdout))
guard_logging(SERVICE, "loaders")
# A delivery that loads nothing new has no metrics; that is normal, not worth a warning line.
warnings.filterwarnings("ignore", message="No application metrics to publish")
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


def count(name: str, value: float, unit: MetricUnit = MetricUnit.Count) -> None:
    """Add to a metric; a zero count is left out, a zero duration is not."""
    if value or unit is not MetricUnit.Count:
        metrics.add_metric(name=name, unit=unit, value=value)


def failure(error_class: str) -> None:
    """One failed unit: in the total (for alarms) and by error class (for diagnosis)."""
    metrics.add_metric(name="Failures", unit=MetricUnit.Count, value=1)
    with single_metric(
        name="Failures", unit=MetricUnit.Count, value=1, namespace=NAMESPACE, default_dimensions={"service": SERVICE}
    ) as metric:
        metric.add_dimension(name="error_class", value=error_class)


def freshness(lags: Sequence[Lag]) -> None:
    """The lag since the newest load of each watched dataset in each sink; a dataset
    never loaded has no lag to publish (``status`` shows it as an error)."""
    for lag in lags:
        if lag.lag is None:
            continue
        with single_metric(
            name="FreshnessLagSeconds", unit=MetricUnit.Seconds, value=lag.lag.total_seconds(), namespace=NAMESPACE,
            default_dimensions={"service": SERVICE},
        ) as metric:  # fmt: skip
            metric.add_dimension(name="dataset", value=lag.dataset)
            metric.add_dimension(name="sink", value=lag.sink)


def partition_lag(partition: str, now: datetime | None = None) -> float | None:
    """Seconds from the end of a ``dt=…[/hour=…]`` slice to now; None for other layouts."""
    values = dict(p.split("=", 1) for p in partition.split("/") if "=" in p)
    try:
        start = datetime.fromisoformat(values["dt"]).replace(tzinfo=UTC)
        length = timedelta(days=1)
        if "hour" in values:
            start += timedelta(hours=int(values["hour"]))
            length = timedelta(hours=1)
    except (KeyError, ValueError):
        return None
    return max(0.0, ((now or datetime.now(UTC)) - (start + length)).total_seconds())


def observe(outcomes: Sequence[Outcome], seconds: float) -> None:
    """The metrics of one delivery (or one sweep)."""
    for o in outcomes:
        if o.action == "failed":
            failure(o.error_class or "TerminalError")
        elif o.action == "skipped":
            count("SkippedDuplicates", 1)
        elif o.action == "loaded":
            count("ManifestsLoaded", o.manifests)
            count("RowsLoaded", o.rows)
            lag = partition_lag(o.partition or "")
            if lag is not None:
                count("PartitionLagSeconds", lag, MetricUnit.Seconds)
    if any(o.action == "loaded" for o in outcomes):
        count("LoadSeconds", seconds, MetricUnit.Seconds)


__all__ = ["MetricUnit", "count", "failure", "freshness", "logger", "metrics", "observe", "partition_lag"]
