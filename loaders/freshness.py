"""Freshness: a dataset's ``freshness = { warn_after, error_after }`` (dbt's source
freshness vocabulary), and per dataset and sink the newest loaded partition, the lag
since the newest load and its level (ok, warn, error)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from loaders.timelayout import TimeLayout
from sinks.base import PartitionState

LEVELS = ("ok", "warn", "error")


@dataclass(frozen=True)
class Freshness:
    """A lag at or past ``warn_after`` warns; at or past ``error_after`` is an error."""

    warn_after: timedelta
    error_after: timedelta

    def level(self, lag: timedelta | None) -> str:
        """The level of a lag; None (nothing loaded yet) is an error."""
        if lag is None or lag >= self.error_after:
            return "error"
        return "warn" if lag >= self.warn_after else "ok"


def parse_freshness(value: Any, fail: Callable[[str, str], Exception]) -> Freshness:
    """``{ warn_after = "2h", error_after = "6h" }``; ``fail(key, message)`` makes the
    ConfigError naming the key."""
    from loaders.config import parse_duration

    if not isinstance(value, Mapping):
        raise fail("freshness", 'must be a table such as { warn_after = "2h", error_after = "6h" }')
    unknown = sorted(set(value) - {"warn_after", "error_after"})
    if unknown:
        raise fail(f"freshness.{unknown[0]}", "unknown key; expected warn_after and error_after")
    after: dict[str, timedelta] = {}
    for key in ("warn_after", "error_after"):
        if key not in value:
            raise fail(f"freshness.{key}", "required, a duration such as 2h or 1d")
        try:
            after[key] = parse_duration(str(value[key]))
        except ValueError as exc:
            raise fail(f"freshness.{key}", str(exc)) from None
    if not after["warn_after"] < after["error_after"]:
        raise fail("freshness.warn_after", "must be shorter than error_after")
    return Freshness(after["warn_after"], after["error_after"])


@dataclass(frozen=True)
class Lag:
    """One dataset in one sink: its newest loaded partition, when the newest load was,
    the lag since then and its level."""

    dataset: str
    sink: str
    partition: str | None
    loaded_at: datetime | None
    lag: timedelta | None
    level: str

    def as_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "sink": self.sink,
            "newest_partition": self.partition,
            "loaded_at": self.loaded_at.replace(tzinfo=None).isoformat() + "Z" if self.loaded_at else None,
            "lag_seconds": round(self.lag.total_seconds(), 3) if self.lag is not None else None,
            "level": self.level,
        }


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _partition_end(state: PartitionState, time: TimeLayout | None) -> datetime | None:
    """The end of the partition's slice of time, when the dataset's fields spell one."""
    if time is None:
        return None
    try:
        values = dict(p.split("=", 1) for p in state.partition.split("/"))
        day, hour = time.day_hour(values)
        start = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(hours=int(hour or 0))
    except (KeyError, ValueError):
        return None
    return start + (timedelta(hours=1) if time.hourly else timedelta(days=1))


def lag_of(
    dataset: str, sink: str, states: Iterable[PartitionState], freshness: Freshness,
    time: TimeLayout | None = None, now: datetime | None = None,
) -> Lag:  # fmt: skip
    """The freshness of one dataset in one sink from its recorded states: the newest
    loaded partition (by the end of its slice of time, else by when it was loaded) and
    the lag from the newest load to ``now``."""
    loaded = [s for s in states if s.dataset == dataset and s.loaded_at is not None]
    if not loaded:
        return Lag(dataset, sink, None, None, None, freshness.level(None))
    newest_load = max(_utc(s.loaded_at) for s in loaded if s.loaded_at is not None)
    newest = max(loaded, key=lambda s: (_partition_end(s, time) or _utc(s.loaded_at or newest_load), s.partition))
    lag = max(timedelta(0), _utc(now or datetime.now(UTC)) - newest_load)
    return Lag(dataset, sink, newest.partition, newest_load, lag, freshness.level(lag))
