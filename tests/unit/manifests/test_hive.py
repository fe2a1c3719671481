"""Partitions from the files' paths: a manifest as UNLOAD ... PARTITION BY (col) MANIFEST
writes it (Amazon Redshift Database Developer Guide, "UNLOAD examples", "Unload the EVENT
table using PARTITION BY and MANIFEST parameters":
https://docs.aws.amazon.com/redshift/latest/dg/r_UNLOAD_command_examples.html), split
into one manifest per partition, each keeping the manifest's identity."""

from __future__ import annotations

import pytest

from manifests import Entry, Manifest, ManifestError, Partition
from manifests.hive import file_partition, split_by_files

M = "s3://lake/unload/lineitem/run1/manifest"
PREFIX = "s3://lake/unload/lineitem/run1/"


def unload(*paths: str) -> Manifest:
    entries = tuple(Entry(url=PREFIX + p, content_length=10, record_count=2) for p in paths)
    return Manifest(url=M, version="etag-1", entries=entries, key="unload/lineitem/run1/manifest", record_count=6)


def test_each_partition_gets_its_files_under_the_manifests_identity() -> None:
    manifest = unload(
        "l_shipdate=1992-01-03/0000_part_00.parquet",
        "l_shipdate=1992-01-02/0000_part_00.parquet",
        "l_shipdate=1992-01-02/0001_part_00.parquet",
    )
    parts = split_by_files(manifest, ["l_shipdate"])
    assert list(parts) == [Partition.of({"l_shipdate": "1992-01-02"}), Partition.of({"l_shipdate": "1992-01-03"})]
    assert {m.identity for m in parts.values()} == {("unload/lineitem/run1/manifest", "etag-1")}
    assert [len(m.entries) for m in parts.values()] == [2, 1]
    # the totals are the whole manifest's: no part claims them
    assert {m.record_count for m in parts.values()} == {None}


def test_two_fields_in_their_folders_and_one_partition_keeps_the_totals() -> None:
    manifest = unload("year=2026/month=11/0000_part_00.parquet", "year=2026/month=11/0001_part_00.parquet")
    [(partition, part)] = split_by_files(manifest, ["year", "month"]).items()
    assert partition.key == "year=2026/month=11"
    assert (part.record_count, len(part.entries)) == (6, 2)


def test_an_empty_manifest_names_no_partition() -> None:
    assert split_by_files(unload(), ["l_shipdate"]) == {}


def test_a_local_path_is_percent_decoded() -> None:
    url = "file:///lake/unload/run1/city=S%C3%A3o%20Paulo/0000_part_00.parquet"
    assert file_partition(url, ["city"], "m").as_dict() == {"city": "São Paulo"}


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("0000_part_00.parquet", "no l_shipdate=<value> folder"),
        ("l_shipdate=/0000_part_00.parquet", "an empty value"),
        ("l_shipdate=1992-01-02/l_shipdate=1992-01-03/0000_part_00.parquet", "names l_shipdate twice"),
        ("l_shipdate=1992\x1b01/0000_part_00.parquet", "control character U+001B"),
        ("x/0000_part_00.l_shipdate=1992-01-02", "no l_shipdate=<value> folder"),  # a file name is no folder
    ],
    ids=["no-folder", "empty-value", "twice", "control-character", "file-name"],
)
def test_a_file_without_its_partition_fails_the_whole_manifest(path: str, fragment: str) -> None:
    manifest = unload("l_shipdate=1992-01-02/0000_part_00.parquet", path)
    with pytest.raises(ManifestError) as caught:
        split_by_files(manifest, ["l_shipdate"])
    assert (caught.value.manifest, caught.value.file) == (M, PREFIX + path)
    assert fragment in caught.value.reason
