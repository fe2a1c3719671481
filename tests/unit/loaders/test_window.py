"""Windows of days: every flag that makes one is bounded, so date arithmetic never overflows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from loaders.config import MAX_DAYS, parse_duration
from loaders.planner import Window
from manifests import ConfigError

TODAY = date(2026, 11, 29)


def test_the_most_recent_days_today_included() -> None:
    assert Window.last_days(3, TODAY) == Window(date(2026, 11, 27), TODAY)
    assert len(Window.last_days(MAX_DAYS, TODAY).days()) == MAX_DAYS


@pytest.mark.parametrize("days", [0, -1, MAX_DAYS + 1, 100_000_000])
def test_days_out_of_range_are_a_usage_error_naming_the_flag(days: int) -> None:
    """--days 100000000 was an OverflowError (date value out of range): a traceback."""
    with pytest.raises(ConfigError, match=f"--days {days}: must be from 1 to {MAX_DAYS}"):
        Window.last_days(days, TODAY)


@pytest.mark.parametrize("start", [date(1, 1, 1), date(1800, 1, 1)])
def test_a_window_longer_than_a_century_is_a_usage_error(start: date) -> None:
    """--start 0001-01-01 planned 740,000 days (17 million hourly partitions, a LIST each)."""
    with pytest.raises(ConfigError, match=f"--start {start} --end {TODAY}: a window may span at most"):
        Window(start, TODAY).days()


def test_a_start_after_the_end_is_named() -> None:
    with pytest.raises(ConfigError, match="--start 2026-11-30 is after --end 2026-11-29"):
        Window(date(2026, 11, 30), TODAY).days()


def test_the_last_days_of_the_calendar_are_a_window_like_any() -> None:
    assert Window(date(9999, 12, 30), date(9999, 12, 31)).days() == [date(9999, 12, 30), date(9999, 12, 31)]


@pytest.mark.parametrize(
    ("lookback", "now", "start"),
    [
        ("36h", datetime(2026, 11, 29, 1, 0, tzinfo=UTC), date(2026, 11, 27)),  # back to the 27th, 13:00
        ("36h", datetime(2026, 11, 29, 13, 0, tzinfo=UTC), date(2026, 11, 28)),
        ("25h", datetime(2026, 11, 29, 0, 30, tzinfo=UTC), date(2026, 11, 27)),
        ("12h", datetime(2026, 11, 29, 1, 0, tzinfo=UTC), date(2026, 11, 28)),
        ("12h", datetime(2026, 11, 29, 13, 0, tzinfo=UTC), date(2026, 11, 29)),
        ("3d", datetime(2026, 11, 29, 1, 0, tzinfo=UTC), date(2026, 11, 27)),  # three days, today included
        ("24h", datetime(2026, 11, 29, 1, 0, tzinfo=UTC), date(2026, 11, 29)),  # as 1d: whole days
    ],
)
def test_a_lookback_in_hours_reaches_back_across_the_utc_day_boundary(
    lookback: str, now: datetime, start: date
) -> None:
    """Before: a lookback of more than a day and not whole days ("36h", "25h") kept only
    its whole days: at 01:00 UTC, 36 hours back is the day before yesterday, 13:00, but
    the sweep looked at today alone and never again at yesterday's partitions."""
    dataset = SimpleNamespace(lookback=parse_duration(lookback))
    assert Window.lookback(dataset, now) == Window(start, now.date())  # type: ignore[arg-type]
