"""Freshness: parsing ``freshness = {…}`` and the level of a lag."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from loaders.freshness import Freshness, lag_of, parse_freshness
from loaders.timelayout import default_time
from sinks.base import PartitionState


class Bad(Exception):
    pass


def fail(key: str, message: str) -> Exception:
    return Bad(f"{key}: {message}")


def test_parses_durations_and_levels() -> None:
    f = parse_freshness({"warn_after": "2h", "error_after": "1d"}, fail)
    assert f == Freshness(timedelta(hours=2), timedelta(days=1))
    assert [f.level(timedelta(hours=h)) for h in (0, 2, 23, 24, 100)] == ["ok", "warn", "warn", "error", "error"]
    assert f.level(None) == "error"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2h", "freshness: must be a table"),
        ({"warn_after": "2h"}, "freshness.error_after: required"),
        ({"warn_after": "2x", "error_after": "6h"}, "freshness.warn_after: '2x': expected a duration"),
        ({"warn_after": "6h", "error_after": "6h"}, "freshness.warn_after: must be shorter than error_after"),
        ({"warn_after": "1h", "error_after": "6h", "filter": "x"}, "freshness.filter: unknown key"),
    ],
)
def test_bad_freshness_names_the_key(value: object, message: str) -> None:
    with pytest.raises(Bad, match=message):
        parse_freshness(value, fail)


def state(partition: str, loaded_at: datetime | None) -> PartitionState:
    return PartitionState("a.b", partition, "loaded", 1, 1, 0, None, "x", loaded_at)


def test_newest_partition_by_its_time_and_lag_from_the_newest_load() -> None:
    f = Freshness(timedelta(hours=2), timedelta(hours=6))
    now = datetime(2026, 12, 1, 12)
    states = [
        state("dt=2026-12-01/hour=05", datetime(2026, 12, 1, 7)),  # reloaded later, but an older hour
        state("dt=2026-12-01/hour=06", datetime(2026, 12, 1, 6, 30)),
        state("dt=2026-12-01/hour=07", None),  # never loaded (failed)
    ]
    lag = lag_of("a.b", "s", states, f, default_time(["dt", "hour"]), now)
    assert (lag.partition, lag.lag, lag.level) == ("dt=2026-12-01/hour=06", timedelta(hours=5), "warn")
    no_time = lag_of("a.b", "s", states, f, None, now)
    assert no_time.partition == "dt=2026-12-01/hour=05"  # by when it was loaded
    assert lag_of("a.b", "s", states, f, None, datetime(2026, 12, 1, 8)).level == "ok"
    assert lag_of("a.b", "s", states, f, None, datetime(2026, 12, 1, 13)).level == "error"
