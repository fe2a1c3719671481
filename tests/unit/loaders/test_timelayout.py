"""A dataset's time (``time = { dt = ..., hour = ... }``): its templates parsed at config
read, refused with the dataset's key when they cannot spell a day, and inverted into the
partitions of a window (Firehose ``YYYY/MM/DD/HH/``, Hive ``year=/month=/day=/hour=``)."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from loaders.config import Config, parse_config
from loaders.planner import Window, calendar, windowed
from loaders.timelayout import TimeLayout, default_time
from manifests import ConfigError, Partition

SOURCE = "/etc/loaders/loaders.toml"
DS = "firehose.events"
KEY = f'datasets."{DS}"'
FIREHOSE = {
    "table": "raw.events",
    "manifests": "manifests/firehose/events/{yyyy}/{mm}/{dd}/{hh}/{batch}.json",
    "partition": ["yyyy", "mm", "dd", "hh"],
    "time": {"dt": "{yyyy}-{mm}-{dd}", "hour": "{hh}"},
}
HIVE = {
    "table": "raw.clicks",
    "manifests": "manifests/clicks/year={year}/month={month}/day={day}/{batch}.json",
    "partition": ["year", "month", "day"],
    "time": {"dt": "{year}-{month}-{day}"},
}


def parse(**datasets: dict[str, Any]) -> Config:
    doc = {"store": {"root": "s3://lake"}, "sinks": {"wh": {"type": "duckdb", "url": "duckdb:///w.duckdb"}}}
    return parse_config({**doc, "datasets": datasets}, SOURCE, "/etc/loaders", {})


def firehose(**time: Any) -> dict[str, Any]:
    out = copy.deepcopy(FIREHOSE)
    out["time"] = time
    return out


def test_a_firehose_layout_lists_every_hour_of_the_window_zero_padded() -> None:
    dataset = parse(**{DS: FIREHOSE}).datasets[DS]
    assert windowed(dataset) is None
    partitions = calendar(dataset, Window(date(2026, 1, 5), date(2026, 1, 6)))
    assert len(partitions) == 48
    assert partitions[7] == Partition.parse("yyyy=2026/mm=01/dd=05/hh=07")
    assert partitions[-1].key == "yyyy=2026/mm=01/dd=06/hh=23"
    key = "manifests/firehose/events/2026/01/05/07/b1.json"
    assert dataset.layout.match(key) == partitions[7]  # what the LIST finds is the partition planned
    assert dataset.layout.prefix(partitions[7]) == "manifests/firehose/events/2026/01/05/07/"


def test_a_daily_hive_layout_has_one_partition_a_day() -> None:
    dataset = parse(**{"a.clicks": HIVE}).datasets["a.clicks"]
    days = calendar(dataset, Window(date(2025, 12, 31), date(2026, 1, 1)))
    assert [p.key for p in days] == ["year=2025/month=12/day=31", "year=2026/month=01/day=01"]
    assert dataset.time is not None and not dataset.time.hourly


def test_fields_in_another_order_than_the_template_keep_the_partition_order() -> None:
    hive = {
        **HIVE,
        "manifests": "m/day={day}/month={month}/year={year}/{batch}.json",
        "partition": ["day", "month", "year"],
    }
    [day] = calendar(parse(**{"a.clicks": hive}).datasets["a.clicks"], Window(date(2026, 3, 9), date(2026, 3, 9)))
    assert day.key == "day=09/month=03/year=2026"


def test_one_field_may_hold_the_whole_day() -> None:
    dataset = {"table": "t", "manifests": "m/date={date}/h={h}/{batch}.json", "partition": ["date", "h"]}
    dataset["time"] = {"dt": "{date}", "hour": "{h}"}
    [first, *_] = calendar(parse(**{"a.b": dataset}).datasets["a.b"], Window(date(2026, 2, 1), date(2026, 2, 1)))
    assert first.key == "date=2026-02-01/h=00"


def test_without_time_the_defaults_stay() -> None:
    assert default_time(["dt"]) == TimeLayout(("dt",), (("dt", 0, 10),))
    assert default_time(["dt", "hour"]) == TimeLayout(("dt", "hour"), (("dt", 0, 10),), (("hour", 0, 2),))
    assert default_time(["yyyy", "mm", "dd"]) is None
    plain = {"table": "t", "manifests": "m/dt={dt}/hour={hour}/{batch}.json", "partition": ["dt", "hour"]}
    [first, *_] = calendar(parse(**{"a.b": plain}).datasets["a.b"], Window(date(2026, 2, 1), date(2026, 2, 1)))
    assert first.key == "dt=2026-02-01/hour=00"


def test_a_layout_without_time_is_loadable_but_off_the_calendar() -> None:
    dataset = parse(**{DS: {k: v for k, v in FIREHOSE.items() if k != "time"}}).datasets[DS]
    assert dataset.time is None
    why = windowed(dataset)
    assert why is not None and why.startswith(f"{DS}: not in windows") and "time" in why
    with pytest.raises(ConfigError, match=f"{KEY}.time"):
        calendar(dataset, Window(date(2026, 1, 5), date(2026, 1, 5)))


def test_the_grid_places_a_partition_by_its_day_and_hour() -> None:
    time = parse(**{DS: FIREHOSE}).datasets[DS].time
    assert time is not None
    assert time.day_hour({"yyyy": "2026", "mm": "01", "dd": "05", "hh": "07"}) == ("2026-01-05", "07")
    assert time.day_hour({"yyyy": "2026", "mm": "1", "dd": "05", "hh": "07"}) == ("2026-??-05", "07")


SPARK = {
    "table": "raw.clicks",
    "manifests": "manifests/clicks/year={year}/month={month}/day={day}/hour={hour}/{batch}.json",
    "partition": ["year", "month", "day", "hour"],
    "time": {"dt": "{year}-{month:unpadded}-{day:unpadded}", "hour": "{hour:unpadded}"},
}


def test_an_unpadded_field_is_listed_without_leading_zeros() -> None:
    dataset = parse(**{"a.clicks": SPARK}).datasets["a.clicks"]
    partitions = calendar(dataset, Window(date(2026, 1, 5), date(2026, 1, 5)))
    assert [p.key for p in partitions[:2]] == ["year=2026/month=1/day=5/hour=0", "year=2026/month=1/day=5/hour=1"]
    assert partitions[7].key == "year=2026/month=1/day=5/hour=7"
    assert partitions[-1].key == "year=2026/month=1/day=5/hour=23"
    mixed = {**SPARK, "time": {"dt": "{year}-{month:unpadded}-{day}", "hour": "{hour}"}}
    [first, *_] = calendar(
        parse(**{"a.clicks": mixed}).datasets["a.clicks"], Window(date(2026, 2, 3), date(2026, 2, 3))
    )
    assert first.key == "year=2026/month=2/day=03/hour=00"  # padded stays the default, field by field
    key = "manifests/clicks/year=2026/month=1/day=5/hour=7/b1.json"
    assert dataset.layout.match(key) == partitions[7]


def test_the_grid_reads_an_unpadded_partition_back_to_its_day_and_hour() -> None:
    time = parse(**{"a.clicks": SPARK}).datasets["a.clicks"].time
    assert time is not None
    assert time.day_hour({"year": "2026", "month": "1", "day": "5", "hour": "7"}) == ("2026-01-05", "07")
    assert time.day_hour({"year": "2026", "month": "12", "day": "31", "hour": "23"}) == ("2026-12-31", "23")
    # a padded value is not what an unpadded field writes: it spells no day
    assert time.day_hour({"year": "2026", "month": "01", "day": "5", "hour": "7"}) == ("2026-??-05", "07")
    assert time.day_hour({"year": "2026", "month": "1", "day": "x", "hour": "123"}) == ("2026-01-??", "??")
    for p in calendar(parse(**{"a.clicks": SPARK}).datasets["a.clicks"], Window(date(2026, 3, 9), date(2026, 3, 9))):
        assert time.day_hour(dict(v.split("=") for v in p.key.split("/")))[0] == "2026-03-09"


INVALID = [
    pytest.param(
        {"dt": "{yyyy}-{mm}-{day}", "hour": "{hh}"}, "time.dt", "{day} is not a partition field", id="unknown"
    ),
    pytest.param({"dt": "{yyyy}-{mm}-{dd}", "hour": "{dd}"}, "time", "{dd} is used twice", id="twice"),
    pytest.param({"dt": "{yyyy}-{mm}-{yyyy}", "hour": "{hh}"}, "time", "{yyyy} is used twice", id="twice-in-dt"),
    pytest.param({"dt": "{yyyy}-{mm}", "hour": "{hh}"}, "time.dt", "cannot spell YYYY-MM-DD", id="no-day"),
    pytest.param({"dt": "{yyyy}{mm}{dd}", "hour": "{hh}"}, "time.dt", "cannot spell YYYY-MM-DD", id="run-together"),
    pytest.param({"dt": "{yyyy}/{mm}/{dd}", "hour": "{hh}"}, "time.dt", "cannot spell YYYY-MM-DD", id="slashes"),
    pytest.param({"dt": "{yyyy}-{mm}-{dd}", "hour": "{hh}:00"}, "time.hour", "cannot spell HH", id="hour-text"),
    pytest.param({"hour": "{hh}"}, "time.dt", "an hour needs its day", id="hour-without-dt"),
    pytest.param({"dt": "{yyyy}-{mm}-{dd"}, "time.dt", "unbalanced braces", id="braces"),
    pytest.param({"dt": ""}, "time.dt", "template", id="empty"),
    pytest.param({"dt": "{yyyy}-{mm}-{dd}", "minute": "{hh}"}, "time.minute", "unknown key", id="unknown-key"),
    pytest.param({"dt": "{yyyy}-{mm}-{dd}"}, "time", "partition field hh is in neither", id="field-left-out"),
    pytest.param(
        {"dt": "{yyyy}-{mm:d}-{dd}", "hour": "{hh}"}, "time.dt", "{mm:d} has an unknown format 'd'", id="format"
    ),
    pytest.param({"dt": "{yyyy}-{mm}-{dd}", "hour": "{hh:}"}, "time.hour", "unknown format ''", id="empty-format"),
    pytest.param(
        {"dt": "{yyyy}-{mm}-{dd}", "hour": "{hh:02}"}, "time.hour", "(known: {hh:unpadded})", id="hour-format"
    ),
    pytest.param({"dt": "{yyyy}-{mm}-{dd}", "hour": "{hh:unpadded}:00"}, "time.hour", "cannot spell HH", id="hour-f"),
    pytest.param(
        {"dt": "{yyyy}-{mm}-{day:unpadded}", "hour": "{hh}"}, "time.dt", "{day} is not a partition", id="unknown-f"
    ),
]


@pytest.mark.parametrize(("time", "key", "fragment"), INVALID)
def test_a_time_that_cannot_spell_a_day_is_refused_naming_the_dataset(
    time: dict[str, str], key: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse(**{DS: firehose(**time)})
    assert str(info.value).startswith(f"{SOURCE}: {KEY}.{key}: ")
    assert fragment in str(info.value)


def test_time_must_be_a_table() -> None:
    with pytest.raises(ConfigError, match=rf'{SOURCE}: datasets."{DS}".time: a table'):
        parse(**{DS: {**FIREHOSE, "time": "{yyyy}-{mm}-{dd}"}})


def test_the_status_grid_shows_firehose_partitions_by_day_and_hour(capsys: pytest.CaptureFixture[str]) -> None:
    from loaders.report import print_grid
    from sinks.base import PartitionState

    time = parse(**{DS: FIREHOSE}).datasets[DS].time
    assert time is not None

    def state(hour: int, status: str) -> tuple[str, PartitionState]:
        key = f"yyyy=2026/mm=01/dd=05/hh={hour:02d}"
        return "wh", PartitionState(DS, key, status, 0, 0, 0, None, None, None)

    print_grid([state(h, "loaded" if h == 7 else "missing") for h in range(24)], {DS: time})
    [day] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("2026-01-05")]
    assert day.split()[1:] == ["·"] * 7 + ["■"] + ["·"] * 16


def test_a_field_holding_the_whole_day_cannot_be_unpadded() -> None:
    dataset: dict[str, Any] = {"table": "t", "manifests": "m/date={date}/{batch}.json", "partition": ["date"]}
    dataset["time"] = {"dt": "{date:unpadded}"}
    with pytest.raises(ConfigError) as info:
        parse(**{"a.b": dataset})
    assert str(info.value).startswith(f'{SOURCE}: datasets."a.b".time.dt: ')
    assert "holding all of the day cannot be unpadded" in str(info.value)
