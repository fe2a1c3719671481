"""check_files: allowed prefixes, existence and sizes, from one LIST per folder."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from manifests import (
    DuplicateFileError,
    Entry,
    ForeignURLError,
    Manifest,
    MissingFileError,
    ObjectInfo,
    RecordCountError,
    SizeMismatchError,
)
from manifests.check import check_files
from manifests.store import LocalStore
from manifests.urls import as_prefix


class CountingStore:
    """Passes through to a real store, counting calls; check_files must never read."""

    def __init__(self, inner: LocalStore) -> None:
        self.inner = inner
        self.root = inner.root
        self.lists: list[str] = []

    def resolve(self, ref: str) -> str:
        return self.inner.resolve(ref)

    def key_of(self, url: str) -> str | None:
        return self.inner.key_of(url)

    def list(self, prefix: str, *, versions: bool = False) -> list[ObjectInfo]:
        self.lists.append(prefix)
        return self.inner.list(prefix, versions=versions)

    def read(self, url: str) -> tuple[bytes, str]:
        raise AssertionError(f"check_files read {url}")

    def write(self, url: str, data: bytes) -> None:
        raise AssertionError(f"check_files wrote {url}")


def put(root: Path, rel: str, size: int) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)


@pytest.fixture
def store(tmp_path: Path) -> CountingStore:
    root = tmp_path / "lake root"
    root.mkdir()
    return CountingStore(LocalStore(str(root)))


def lake(store: CountingStore) -> Path:
    return Path(store.inner.path)


def manifest(*entries: Entry) -> Manifest:
    return Manifest(url="file:///m/batch-1.json", version="v1", entries=entries, dataset="a.b")


def allowed(store: CountingStore) -> tuple[str, ...]:
    return (as_prefix(store.root),)


def test_all_present_keeps_everything_canonical(store: CountingStore) -> None:
    put(lake(store), "data/dt=1/a.parquet", 10)
    put(lake(store), "data/dt=1/b c.parquet", 20)
    checked = check_files(
        manifest(
            Entry(url=store.resolve("data/dt=1/a.parquet"), mandatory=True, content_length=10, record_count=3),
            Entry(url=store.root + "data/dt=1/b c.parquet", mandatory=True),  # raw space: canonicalised
        ),
        store,
        allowed(store),
    )
    assert [e.url for e in checked.entries] == [
        store.resolve("data/dt=1/a.parquet"),
        store.resolve("data/dt=1/b c.parquet"),
    ]
    assert [e.content_length for e in checked.entries] == [10, 20]  # size filled in from LIST
    assert checked.entries[0].record_count == 3
    assert checked.url == "file:///m/batch-1.json"
    assert checked.version == "v1"
    assert checked.dataset == "a.b"


def test_relative_entry_urls_resolve_against_the_root(store: CountingStore) -> None:
    put(lake(store), "data/dt=1/a.parquet", 4)
    checked = check_files(manifest(Entry(url="data/dt=1/a.parquet", mandatory=True)), store, allowed(store))
    assert [e.url for e in checked.entries] == [store.resolve("data/dt=1/a.parquet")]
    assert checked.entries[0].url.startswith(store.root)


@pytest.mark.parametrize(
    "spelling",
    ["same", "absolute", "localhost", "encoded"],
)
def test_one_file_named_twice_is_a_duplicate_in_any_spelling(store: CountingStore, spelling: str) -> None:
    """Found on the canonical form: the same string twice, or two spellings of one file."""
    put(lake(store), "data/dt=1/a-b.parquet", 4)
    path = str(lake(store) / "data/dt=1/a-b.parquet")
    second = {
        "same": "data/dt=1/a-b.parquet",
        "absolute": "file://" + path,
        "localhost": "file://localhost" + path,
        "encoded": "file://" + path.replace("-", "%2D"),
    }[spelling]
    with pytest.raises(DuplicateFileError) as caught:
        check_files(manifest(Entry(url="data/dt=1/a-b.parquet"), Entry(url=second)), store, allowed(store))
    assert caught.value.manifest == "file:///m/batch-1.json"
    assert caught.value.file == store.resolve("data/dt=1/a-b.parquet")
    assert "twice" in str(caught.value)


def test_missing_mandatory_file_names_manifest_and_file(store: CountingStore) -> None:
    put(lake(store), "data/dt=1/a.parquet", 4)
    with pytest.raises(MissingFileError) as info:
        check_files(
            manifest(
                Entry(url="data/dt=1/a.parquet", mandatory=True),
                Entry(url="data/dt=1/gone.parquet", mandatory=True),
            ),
            store,
            allowed(store),
        )
    exc = info.value
    assert exc.manifest == "file:///m/batch-1.json"
    assert exc.file == store.resolve("data/dt=1/gone.parquet")
    assert "file:///m/batch-1.json" in str(exc)
    assert exc.file in str(exc)


def test_missing_optional_file_is_dropped(store: CountingStore, caplog: pytest.LogCaptureFixture) -> None:
    put(lake(store), "data/dt=1/a.parquet", 4)
    with caplog.at_level(logging.WARNING, logger="manifests.check"):
        checked = check_files(
            manifest(
                Entry(url="data/dt=1/gone.parquet", mandatory=False),
                Entry(url="data/dt=1/a.parquet", mandatory=True),
            ),
            store,
            allowed(store),
        )
    assert [e.url for e in checked.entries] == [store.resolve("data/dt=1/a.parquet")]
    assert "gone.parquet" in caplog.text


def test_all_optional_files_missing_gives_an_empty_manifest(store: CountingStore) -> None:
    checked = check_files(manifest(Entry(url="data/x.parquet")), store, allowed(store))
    assert checked.entries == ()


def test_content_length_mismatch(store: CountingStore) -> None:
    put(lake(store), "data/dt=1/a.parquet", 7)
    with pytest.raises(SizeMismatchError) as info:
        check_files(manifest(Entry(url="data/dt=1/a.parquet", mandatory=True, content_length=8)), store, allowed(store))
    exc = info.value
    assert exc.manifest == "file:///m/batch-1.json"
    assert exc.file == store.resolve("data/dt=1/a.parquet")
    assert "8" in exc.reason and "7" in exc.reason


def test_size_mismatch_applies_to_optional_files_too(store: CountingStore) -> None:
    put(lake(store), "data/a.parquet", 1)
    with pytest.raises(SizeMismatchError):
        check_files(manifest(Entry(url="data/a.parquet", content_length=0)), store, allowed(store))


def test_zero_length_file_matches_zero(store: CountingStore) -> None:
    put(lake(store), "data/empty.parquet", 0)
    checked = check_files(manifest(Entry(url="data/empty.parquet", content_length=0)), store, allowed(store))
    assert [e.content_length for e in checked.entries] == [0]


@pytest.mark.parametrize(
    "url",
    [
        "s3://lake/data/a.parquet",
        "file:///etc/passwd",
        "../outside.parquet",
        "data/../../outside.parquet",
        "file://evil.example.com/x.parquet",
    ],
)
def test_url_outside_allowed_prefixes(store: CountingStore, url: str) -> None:
    put(lake(store).parent, "outside.parquet", 1)  # exists, but outside the root
    with pytest.raises(ForeignURLError) as info:
        check_files(manifest(Entry(url=url, mandatory=True)), store, allowed(store))
    assert info.value.manifest == "file:///m/batch-1.json"
    assert "file:///m/batch-1.json" in str(info.value)
    assert info.value.file is not None
    assert store.lists == []  # refused before any listing


def test_allowed_prefix_narrower_than_root(store: CountingStore) -> None:
    put(lake(store), "database/a.parquet", 1)
    with pytest.raises(ForeignURLError):
        check_files(manifest(Entry(url="database/a.parquet", mandatory=True)), store, (as_prefix(store.root + "data"),))


def test_one_list_per_distinct_folder_and_no_read(store: CountingStore) -> None:
    for rel in ("data/dt=1/a.parquet", "data/dt=1/b.parquet", "data/dt=1/c.parquet", "data/dt=2/d.parquet"):
        put(lake(store), rel, 3)
    checked = check_files(
        manifest(
            Entry(url="data/dt=1/a.parquet", mandatory=True),
            Entry(url="data/dt=2/d.parquet", mandatory=True),
            Entry(url="data/dt=1/b.parquet", mandatory=True),
            Entry(url=store.resolve("data/dt=1/c.parquet"), mandatory=True),
        ),
        store,
        allowed(store),
    )
    assert len(checked.entries) == 4
    assert sorted(store.lists) == sorted({store.root + "data/dt=1/", store.root + "data/dt=2/"})
    assert len(store.lists) == 2


def test_empty_manifest_lists_nothing(store: CountingStore) -> None:
    assert check_files(manifest(), store, allowed(store)).entries == ()
    assert store.lists == []


def test_shared_listings_list_each_folder_once_across_manifests(store: CountingStore) -> None:
    put(lake(store), "data/dt=1/a.parquet", 4)
    put(lake(store), "data/dt=1/b.parquet", 5)
    put(lake(store), "data/dt=2/c.parquet", 6)
    listings: dict = {}
    first = manifest(Entry(url="data/dt=1/a.parquet", mandatory=True))
    second = manifest(Entry(url="data/dt=1/b.parquet", mandatory=True), Entry(url="data/dt=2/c.parquet"))
    check_files(first, store, allowed(store), listings)
    checked = check_files(second, store, allowed(store), listings)
    assert [e.content_length for e in checked.entries] == [5, 6]
    assert sorted(store.lists) == [store.resolve("data/dt=1") + "/", store.resolve("data/dt=2") + "/"]
    check_files(first, store, allowed(store))  # without shared listings: a LIST of its own
    assert len(store.lists) == 3


# -- the top-level meta of UNLOAD ... MANIFEST VERBOSE (totals of all the files) --------------


def totals(*entries: Entry, rows: int, size: int | None = None) -> Manifest:
    return Manifest(url="file:///m/batch-1.json", version="v1", entries=entries, record_count=rows, content_length=size)


def test_a_missing_optional_file_short_of_the_total_is_a_record_count_error(store: CountingStore) -> None:
    """Before: the optional file was skipped and 200 of 350 rows loaded as a success."""
    put(lake(store), "unload/0000_part_00.parquet", 10)
    with pytest.raises(RecordCountError) as caught:
        check_files(
            totals(
                Entry(url="unload/0000_part_00.parquet", content_length=10, record_count=200),
                Entry(url="unload/0001_part_00.parquet", content_length=10, record_count=150),
                rows=350,
            ),
            store,
            allowed(store),
        )
    assert caught.value.manifest == "file:///m/batch-1.json"
    assert caught.value.file == store.resolve("unload/0001_part_00.parquet")
    assert "350" in caught.value.reason and "200" in caught.value.reason and "missing" in caught.value.reason


def test_a_missing_optional_file_short_of_the_total_bytes_is_a_size_error(store: CountingStore) -> None:
    put(lake(store), "unload/0000_part_00.parquet", 10)
    with pytest.raises(SizeMismatchError, match=r"meta\.content_length is 20 but the files found hold 10 bytes"):
        check_files(
            totals(
                Entry(url="unload/0000_part_00.parquet"),
                Entry(url="unload/0001_part_00.parquet"),
                rows=350,
                size=20,
            ),
            store,
            allowed(store),
        )


def test_totals_that_add_up_pass_and_unknown_counts_wait_for_the_rows_read(store: CountingStore) -> None:
    put(lake(store), "unload/0000_part_00.parquet", 10)
    put(lake(store), "unload/0001_part_00.parquet", 12)
    both = (
        Entry(url="unload/0000_part_00.parquet", record_count=200),
        Entry(url="unload/0001_part_00.parquet", record_count=150),
    )
    checked = check_files(totals(*both, rows=350, size=22), store, allowed(store))
    assert (checked.record_count, checked.content_length, len(checked.entries)) == (350, 22, 2)
    # without every file's own record_count the rows are only known once read (rows_per_manifest)
    unknown = (both[0], Entry(url="unload/0001_part_00.parquet"))
    assert len(check_files(totals(*unknown, rows=999), store, allowed(store)).entries) == 2
