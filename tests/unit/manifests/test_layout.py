"""KeyLayout: manifest key → partition, partition → one listing prefix; Partition text form."""

from __future__ import annotations

import pytest

from manifests import KeyLayout, Partition

HOURLY = KeyLayout("manifests/ad_server/conversion/dt={dt}/hour={hour}/{batch}.json", ("dt", "hour"))
DAILY = KeyLayout("manifests/crm/contact/dt={dt}/{batch}.json", ("dt",))


def P(text: str) -> Partition:
    return Partition.parse(text)


@pytest.mark.parametrize(
    ("layout", "key", "expected"),
    [
        (HOURLY, "manifests/ad_server/conversion/dt=2026-11-29/hour=08/batch-1.json", "dt=2026-11-29/hour=08"),
        (HOURLY, "manifests/ad_server/conversion/dt=2026-11-29/hour=23/b.part.7.json", "dt=2026-11-29/hour=23"),
        (HOURLY, "/manifests/ad_server/conversion/dt=2026-11-29/hour=00/x.json", "dt=2026-11-29/hour=00"),
        (DAILY, "manifests/crm/contact/dt=2026-01-01/0001.json", "dt=2026-01-01"),
        (DAILY, "manifests/crm/contact/dt=2026-01-01/firehose-1-2026-01-01-00-00-00.json", "dt=2026-01-01"),
    ],
)
def test_key_to_partition(layout: KeyLayout, key: str, expected: str) -> None:
    assert layout.match(key) == P(expected)


def test_match_orders_values_as_partition_fields() -> None:
    layout = KeyLayout("m/{dt}/{hour}/{batch}.json", ("hour", "dt"))
    assert layout.match("m/2026-11-29/08/b.json") == Partition((("hour", "08"), ("dt", "2026-11-29")))


@pytest.mark.parametrize(
    ("layout", "key"),
    [
        (HOURLY, "manifests/ad_server/click/dt=2026-11-29/hour=08/batch-1.json"),  # another dataset
        (HOURLY, "manifests/ad_server/conversions/dt=2026-11-29/hour=08/batch-1.json"),  # prefix of a name
        (HOURLY, "other/manifests/ad_server/conversion/dt=2026-11-29/hour=08/b.json"),  # leading segment
        (HOURLY, "manifests/ad_server/conversion/dt=2026-11-29/hour=08/extra/b.json"),  # extra segment
        (HOURLY, "manifests/ad_server/conversion/dt=2026-11-29/x/hour=08/b.json"),  # extra middle segment
        (HOURLY, "manifests/ad_server/conversion/dt=2026-11-29/b.json"),  # hour missing
        (HOURLY, "manifests/ad_server/conversion/dt=/hour=08/b.json"),  # empty field
        (HOURLY, "manifests/ad_server/conversion/dt=2026-11-29/hour=08/.json"),  # empty batch
        (HOURLY, "manifests/ad_server/conversion/dt=2026-11-29/hour=08/b.json.tmp"),  # suffix
        (HOURLY, "manifests/ad_server/conversion/dt=2026-11-29/hour=08/b.csv"),  # other extension
        (HOURLY, "manifests/ad_server/conversion/dt=2026-11-29/hour=08/"),  # the folder itself
        (DAILY, "manifests/crm/contact/dt=2026-01-01/hour=08/b.json"),  # hourly key, daily layout
        (DAILY, "manifests/crm/contact/2026-01-01/b.json"),  # missing dt=
        (DAILY, "manifests/crm/contactXdt=2026-01-01/b.json"),  # '/' is literal, not a wildcard
    ],
)
def test_non_matching_keys(layout: KeyLayout, key: str) -> None:
    assert layout.match(key) is None


def test_regex_metacharacters_in_pattern_are_literal() -> None:
    layout = KeyLayout("m/a.b+c/dt={dt}/{batch}.json", ("dt",))
    assert layout.match("m/a.b+c/dt=1/x.json") == P("dt=1")
    assert layout.match("m/aXbbc/dt=1/x.json") is None


@pytest.mark.parametrize(
    ("layout", "partition", "prefix"),
    [
        (HOURLY, "dt=2026-11-29/hour=08", "manifests/ad_server/conversion/dt=2026-11-29/hour=08/"),
        (DAILY, "dt=2026-01-01", "manifests/crm/contact/dt=2026-01-01/"),
    ],
)
def test_partition_to_prefix(layout: KeyLayout, partition: str, prefix: str) -> None:
    assert layout.prefix(P(partition)) == prefix


@pytest.mark.parametrize("layout", [HOURLY, DAILY])
def test_prefix_and_match_agree(layout: KeyLayout) -> None:
    partition = P("dt=2026-11-29/hour=08") if layout is HOURLY else P("dt=2026-11-29")
    key = layout.prefix(partition) + "batch-42.json"
    assert layout.match(key) == partition


def test_prefix_does_not_catch_a_sibling_partition() -> None:
    prefix = HOURLY.prefix(P("dt=2026-11-29/hour=1"))
    own = "manifests/ad_server/conversion/dt=2026-11-29/hour=1/b.json"
    sibling = "manifests/ad_server/conversion/dt=2026-11-29/hour=10/b.json"
    assert own.startswith(prefix)
    assert not sibling.startswith(prefix)
    daily = DAILY.prefix(P("dt=2026-11-2"))
    assert not "manifests/crm/contact/dt=2026-11-29/b.json".startswith(daily)


def test_prefix_of_a_partial_partition_stops_at_the_last_complete_folder() -> None:
    # Only dt fixed: everything of that day, and nothing of dt=2026-11-290.
    assert HOURLY.prefix(P("dt=2026-11-29")) == "manifests/ad_server/conversion/dt=2026-11-29/"
    assert HOURLY.prefix(P("hour=08")) == "manifests/ad_server/conversion/"


@pytest.mark.parametrize(
    ("pattern", "fields", "fragment"),
    [
        ("manifests/x/y/{batch}.json", ("dt",), "no field for partition dt"),
        ("manifests/x/y/dt={dt}/{batch}.json", ("dt", "hour"), "no field for partition hour"),
        ("manifests/x/y/dt={date}/{batch}.json", ("dt",), "no field for partition dt"),
        ("manifests/x/y/dt={dt}/{dt}.json", ("dt",), "twice"),
    ],
)
def test_bad_patterns_raise(pattern: str, fields: tuple[str, ...], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment) as info:
        KeyLayout(pattern, fields)
    assert pattern in str(info.value)


@pytest.mark.parametrize("text", ["dt=2026-11-29", "dt=2026-11-29/hour=08", "hour=08/dt=2026-11-29", "a=1/b=2/c=3"])
def test_partition_parse_key_round_trip(text: str) -> None:
    partition = Partition.parse(text)
    assert partition.key == text
    assert str(partition) == text
    assert Partition.parse(partition.key) == partition
    assert Partition.of(partition.as_dict()) == partition


def test_partition_parse_tolerates_outer_slashes() -> None:
    assert Partition.parse("/dt=2026-11-29/hour=08/") == Partition((("dt", "2026-11-29"), ("hour", "08")))


def test_partition_of_mapping_and_pairs() -> None:
    assert Partition.of({"dt": "2026-11-29", "hour": 8}) == Partition((("dt", "2026-11-29"), ("hour", "8")))
    assert Partition.of([("hour", "08"), ("dt", "x")]).key == "hour=08/dt=x"


def test_partition_key_order_matters() -> None:
    assert Partition.parse("dt=1/hour=2") != Partition.parse("hour=2/dt=1")


@pytest.mark.parametrize("text", ["", "dt", "dt=1/hour", "=1", "dt=1//hour=2"])
def test_partition_parse_refuses_malformed(text: str) -> None:
    with pytest.raises(ValueError, match="k=v"):
        Partition.parse(text)
