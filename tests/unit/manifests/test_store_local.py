"""LocalStore: a folder standing in for a bucket (tmp_path is the point here)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from manifests import ConfigError, ForeignURLError, MissingFileError, ObjectInfo
from manifests.store import LocalStore, open_store, sha256_version
from manifests.urls import file_url


def put(root: Path, rel: str, data: bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    root = tmp_path / "my lake"  # a space, so percent-encoding is exercised everywhere
    root.mkdir()
    return root


def test_root_is_a_canonical_folder_url(lake: Path) -> None:
    store = LocalStore(str(lake))
    assert store.root == file_url(str(lake)) + "/"
    assert store.root.endswith("/my%20lake/")
    assert store.path == str(lake)


def test_root_from_relative_path_is_absolute(lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(lake.parent)
    assert LocalStore("my lake").path == str(lake)


def test_resolve_relative_absolute_and_file_url(lake: Path) -> None:
    store = LocalStore(str(lake))
    expected = file_url(str(lake / "data" / "a b.parquet"))
    assert expected.endswith("/my%20lake/data/a%20b.parquet")
    assert store.resolve("data/a b.parquet") == expected
    assert store.resolve(str(lake / "data" / "a b.parquet")) == expected
    assert store.resolve(expected) == expected
    assert store.resolve(expected.replace("a%20b", "a b")) == expected
    assert store.resolve("file://localhost" + expected[len("file://") :]) == expected


def test_resolve_refuses_s3_and_hostile_file_urls(lake: Path) -> None:
    store = LocalStore(str(lake))
    for ref in ("s3://lake/data/x.parquet", "file://evil/x", store.root + "%2e%2e/secret"):
        with pytest.raises(ForeignURLError) as info:
            store.resolve(ref)
        assert info.value.file == ref


def test_key_of(lake: Path) -> None:
    store = LocalStore(str(lake))
    assert store.key_of(store.resolve("data/a b.parquet")) == "data/a b.parquet"
    assert store.key_of(file_url(str(lake.parent / "elsewhere.parquet"))) is None
    assert store.key_of(file_url(str(lake) + "2/x")) is None  # sibling folder sharing the name's prefix


def test_list_one_prefix_with_sizes(lake: Path) -> None:
    put(lake, "data/dt=1/hour=1/a.parquet", b"12345")
    put(lake, "data/dt=1/hour=1/sub/b.parquet", b"1")
    put(lake, "data/dt=1/hour=10/c.parquet", b"123")  # sibling partition
    put(lake, "data/dt=1/hour=1.parquet", b"12")  # sibling file sharing the text prefix
    put(lake, "other/hour=1/d.parquet", b"1234")
    store = LocalStore(str(lake))
    listing = store.list(store.resolve("data/dt=1/hour=1") + "/")
    assert listing == [
        ObjectInfo(url=store.resolve("data/dt=1/hour=1/a.parquet"), size=5, version=""),
        ObjectInfo(url=store.resolve("data/dt=1/hour=1/sub/b.parquet"), size=1, version=""),
    ]


def test_list_without_trailing_slash_is_a_key_prefix_like_s3(lake: Path) -> None:
    put(lake, "m/b-1.json", b"{}")
    put(lake, "m/b-10.json", b"{}")
    put(lake, "m/c-1.json", b"{}")
    store = LocalStore(str(lake))
    urls = [o.url for o in store.list(store.root + "m/b-1")]
    assert urls == [store.resolve("m/b-1.json"), store.resolve("m/b-10.json")]


def test_list_versions_are_content_hashes(lake: Path) -> None:
    put(lake, "m/a.json", b'{"entries": []}')
    store = LocalStore(str(lake))
    (info,) = store.list(store.root + "m/", versions=True)
    assert info.version == "sha256:" + hashlib.sha256(b'{"entries": []}').hexdigest()
    assert info.version == sha256_version(b'{"entries": []}')
    (plain,) = store.list(store.root + "m/")
    assert plain.version == ""


def test_list_url_is_percent_encoded_and_matches_resolve(lake: Path) -> None:
    put(lake, "data/a b#c.parquet", b"x")
    store = LocalStore(str(lake))
    (info,) = store.list(store.root + "data/")
    assert info.url == store.resolve("data/a b#c.parquet")
    assert info.url.endswith("/data/a%20b%23c.parquet")


def test_list_of_a_missing_folder_is_empty(lake: Path) -> None:
    store = LocalStore(str(lake))
    assert store.list(store.root + "nothing/here/") == []


def test_read_bytes_and_version_follows_content(lake: Path) -> None:
    path = put(lake, "m/a.json", b"one")
    store = LocalStore(str(lake))
    url = store.resolve("m/a.json")
    data, version = store.read(url)
    assert data == b"one"
    assert version == sha256_version(b"one")
    path.write_bytes(b"two")
    data2, version2 = store.read(url)
    assert data2 == b"two"
    assert version2 != version
    path.write_bytes(b"one")
    assert store.read(url) == (b"one", version)  # same content, same version


def test_read_missing_names_the_file(lake: Path) -> None:
    store = LocalStore(str(lake))
    url = store.resolve("m/missing.json")
    with pytest.raises(MissingFileError) as info:
        store.read(url)
    assert info.value.file == url
    assert url in str(info.value)


def test_read_a_folder_is_missing(lake: Path) -> None:
    (lake / "m").mkdir()
    store = LocalStore(str(lake))
    with pytest.raises(MissingFileError):
        store.read(store.resolve("m"))


def test_write_then_read(lake: Path) -> None:
    store = LocalStore(str(lake))
    url = store.resolve("new/dir/x.json")
    store.write(url, b"payload")
    assert (lake / "new" / "dir" / "x.json").read_bytes() == b"payload"
    assert store.read(url)[0] == b"payload"
    assert [p.name for p in (lake / "new" / "dir").iterdir()] == ["x.json"]  # no temp file left


def test_engine_path_is_the_decoded_local_path(lake: Path) -> None:
    store = LocalStore(str(lake))
    assert store.engine_path(store.resolve("data/a b.parquet")) == str(lake / "data" / "a b.parquet")
    assert store.filesystem() is None


def test_open_store_local_forms(lake: Path) -> None:
    assert isinstance(open_store("my lake", base_dir=str(lake.parent)), LocalStore)
    assert open_store("my lake", base_dir=str(lake.parent)).path == str(lake)
    assert open_store(str(lake)).path == str(lake)
    assert open_store(file_url(str(lake))).path == str(lake)  # file:// with %20 decoded


@pytest.mark.parametrize("root", ["http://example.com/lake", "https://lake.s3.amazonaws.com/", "gs://lake"])
def test_open_store_refuses_other_schemes(root: str) -> None:
    with pytest.raises(ConfigError, match=r"store\.root") as info:
        open_store(root)
    assert root in str(info.value)


def test_an_s3_url_splits_into_bucket_and_key_even_with_query_or_fragment_characters() -> None:
    from manifests.store import split_s3

    assert split_s3("s3://lake/data/dt=2026-11-28/a#1?.parquet") == ("lake", "data/dt=2026-11-28/a#1?.parquet")
    assert split_s3("s3://lake") == ("lake", "")


def test_a_linked_folder_lists_its_files_by_their_real_urls(tmp_path: Path) -> None:
    """One file, one URL: listing through a symlinked folder inside the lake gives the
    same URL that resolving any spelling of the file gives; a linked folder leading out
    of the lake lists nothing."""
    import os

    store = LocalStore(str(tmp_path / "lake"))
    real = tmp_path / "lake" / "data" / "dt=1"
    real.mkdir(parents=True)
    (real / "a.parquet").write_bytes(b"1234")
    os.symlink(real, tmp_path / "lake" / "data" / "today")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "b.parquet").write_bytes(b"12")
    os.symlink(outside, tmp_path / "lake" / "data" / "escape")
    assert [o.url for o in store.list(store.root + "data/today/")] == [store.resolve("data/dt=1/a.parquet")]
    assert store.list(store.root + "data/escape/") == []
