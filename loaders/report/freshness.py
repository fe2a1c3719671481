"""What ``status`` prints about freshness: per dataset and sink that declares it, the
newest loaded partition, the lag since the newest load and its level."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from loaders.config import DatasetConfig
from loaders.freshness import Lag, lag_of
from loaders.report.text import emit, table
from sinks.base import PartitionState


def lags(
    datasets: Sequence[DatasetConfig],
    states: Sequence[tuple[str, PartitionState]],
    sinks: Sequence[str],
    now: datetime | None = None,
) -> list[Lag]:
    """The freshness of each of these datasets that declares it, in each of its chosen sinks."""
    found = []
    for d in datasets:
        if d.freshness is None:
            continue
        for sink in (s for s in d.sinks if s in sinks):
            mine = [s for name, s in states if name == sink]
            found.append(lag_of(d.name, sink, mine, d.freshness, d.time, now))
    return found


def _shown(lag: Lag) -> str:
    if lag.lag is None:
        return "never loaded"
    seconds = int(lag.lag.total_seconds())
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def print_freshness(found: Sequence[Lag], as_json: bool) -> None:
    """The freshness block (a table on a terminal, lines elsewhere), or its JSON list."""
    if as_json:
        emit([f.as_json() for f in found])
        return
    rows = [
        (f.sink, f.dataset, f.partition or "-", f.level, _shown(f),
         f.loaded_at.isoformat(timespec="seconds") if f.loaded_at else "-")
        for f in found
    ]  # fmt: skip
    table("freshness", ("sink", "dataset", "newest partition", "level", "lag", "newest load"), rows, status_column=3)
