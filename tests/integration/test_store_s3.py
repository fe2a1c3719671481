"""S3Store and the manifest file checks against moto's real HTTP server.

Requests are counted with botocore's ``before-call.s3.*`` events on the store's own
client, so "one LIST, never a GET or HEAD per file" is measured, not assumed.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from loaders.config import load_config
from manifests import parse_manifest
from manifests.check import check_files
from manifests.errors import ConfigError, ForeignURLError, MissingFileError, SizeMismatchError
from manifests.store import S3Store, open_store
from manifests.urls import as_prefix


def count_requests(store: S3Store) -> Counter[str]:
    """Operation name → calls made through ``store.client`` from now on."""
    calls: Counter[str] = Counter()

    def before_call(model: Any, **_kwargs: Any) -> None:
        calls[model.name] += 1

    store.client.meta.events.register("before-call.s3.*", before_call)
    return calls


def put_directly(bucket: str, objects: dict[str, bytes]) -> None:
    """Write into the backend the in-process moto server serves: ~30 ms for 1,005 keys
    where as many PUTs over HTTP take ~5 s. Reads and listings still go over HTTP."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    for key, body in objects.items():
        backend.put_object(bucket, key, body)


@pytest.fixture
def store(s3_bucket: tuple[str, str]) -> S3Store:
    endpoint, bucket = s3_bucket
    return S3Store(f"s3://{bucket}", endpoint)


# -- resolve and key_of ------------------------------------------------------------------


def test_resolve_urls_and_relative_keys_without_requests(s3_bucket: tuple[str, str]) -> None:
    endpoint, bucket = s3_bucket
    store = S3Store(f"s3://{bucket}/lake/", endpoint)
    calls = count_requests(store)

    assert store.root == f"s3://{bucket}/lake/"
    assert store.resolve(f"s3://{bucket}/lake/m/a.json") == f"s3://{bucket}/lake/m/a.json"
    assert store.resolve(f"s3://{bucket.upper()}/lake/m/a.json") == f"s3://{bucket}/lake/m/a.json"
    assert store.resolve("m/dt=2026-11-29/a.json") == f"s3://{bucket}/lake/m/dt=2026-11-29/a.json"
    assert store.key_of(f"s3://{bucket}/lake/m/a.json") == "m/a.json"
    assert store.key_of(f"s3://{bucket}/elsewhere/a.json") is None
    assert not calls


@pytest.mark.parametrize("ref", ["/tmp/m/a.json", "file:///tmp/m/a.json", "https://example.com/a.json"])
def test_resolve_refuses_paths_and_other_schemes(store: S3Store, ref: str) -> None:
    with pytest.raises(ForeignURLError) as err:
        store.resolve(ref)
    assert err.value.file == ref


def test_resolve_refuses_dot_dot_keys(store: S3Store) -> None:
    with pytest.raises(ForeignURLError):
        store.resolve("m/../../other/a.json")


# -- list ---------------------------------------------------------------------------------


def test_list_brings_sizes_and_etags_from_one_list(store: S3Store) -> None:
    bucket = store.bucket
    bodies = {f"data/dt=2026-11-29/part-{i}.parquet": b"x" * (10 + i) for i in range(5)}
    bodies["data/dt=2026-11-30/part-0.parquet"] = b"other partition"
    for key, body in bodies.items():
        store.client.put_object(Bucket=bucket, Key=key, Body=body)
    etags = {key: store.client.head_object(Bucket=bucket, Key=key)["ETag"].strip('"') for key in bodies}
    calls = count_requests(store)

    found = store.list(f"s3://{bucket}/data/dt=2026-11-29/")

    assert dict(calls) == {"ListObjectsV2": 1}
    assert [o.url for o in found] == [f"s3://{bucket}/data/dt=2026-11-29/part-{i}.parquet" for i in range(5)]
    for obj in found:
        key = store.key_of(obj.url)
        assert key is not None
        assert obj.size == len(bodies[key])
        assert obj.version == etags[key]
        assert not obj.version.startswith('"')


def test_list_of_an_empty_prefix_is_empty(store: S3Store) -> None:
    assert store.list(f"s3://{store.bucket}/nothing/here/") == []


def test_list_pages_beyond_1000_keys(store: S3Store) -> None:
    bucket = store.bucket
    keys = [f"many/obj-{i:05d}" for i in range(1005)]
    put_directly(bucket, {k: k.encode() for k in keys})
    calls = count_requests(store)

    found = store.list(f"s3://{bucket}/many/")

    assert calls["ListObjectsV2"] == 2  # 1000 + 5: a page per 1000 keys, nothing per object
    assert set(calls) == {"ListObjectsV2"}
    assert [o.url for o in found] == [f"s3://{bucket}/{k}" for k in keys]
    assert all(o.size == len(store.key_of(o.url) or "") for o in found)


def test_list_of_a_missing_bucket_is_a_config_error(store: S3Store) -> None:
    with pytest.raises(ConfigError, match="the bucket does not exist") as err:
        store.list(f"s3://{store.bucket}-missing/data/")
    assert err.value.file == f"s3://{store.bucket}-missing/data/" and not err.value.transient


# -- read and write -------------------------------------------------------------------------


def test_read_returns_bytes_and_etag(store: S3Store) -> None:
    url = f"s3://{store.bucket}/manifests/a.json"
    store.write(url, b'{"entries": []}')
    etag = store.client.head_object(Bucket=store.bucket, Key="manifests/a.json")["ETag"].strip('"')

    data, version = store.read(url)

    assert data == b'{"entries": []}'
    assert version == etag
    assert [o.version for o in store.list(url)] == [etag]


def test_rewritten_object_gets_a_new_version(store: S3Store) -> None:
    url = f"s3://{store.bucket}/manifests/a.json"
    store.write(url, b'{"entries": []}')
    _, first = store.read(url)
    store.write(url, b'{"entries": [], "dataset": "a.b"}')

    data, second = store.read(url)

    assert data == b'{"entries": [], "dataset": "a.b"}'
    assert second != first
    assert [o.version for o in store.list(url)] == [second]


def test_same_content_keeps_its_version(store: S3Store) -> None:
    url = f"s3://{store.bucket}/manifests/a.json"
    store.write(url, b"same")
    _, first = store.read(url)
    store.write(url, b"same")
    assert store.read(url)[1] == first


def test_read_of_a_missing_key_is_missing_file(store: S3Store) -> None:
    url = f"s3://{store.bucket}/manifests/nope.json"
    with pytest.raises(MissingFileError) as err:
        store.read(url)
    assert err.value.file == url
    assert url in str(err.value)


def test_read_of_a_missing_bucket_is_a_config_error(store: S3Store) -> None:
    url = f"s3://{store.bucket}-missing/manifests/a.json"
    with pytest.raises(ConfigError, match=r"the bucket does not exist \(NoSuchBucket: ") as err:
        store.read(url)
    assert err.value.file == url


# -- endpoint configuration -------------------------------------------------------------------


def test_endpoint_url_from_config_is_used(
    s3_bucket: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, bucket = s3_bucket
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # config wins over the environment
    path = tmp_path / "loaders.toml"
    path.write_text(
        f'[store]\nroot = "s3://{bucket}/lake"\nendpoint_url = "{endpoint}"\n\n'
        '[sinks.local]\ntype = "duckdb"\nurl = "duckdb:///w.duckdb"\n'
    )
    config = load_config(str(path))

    store = open_store(config.store.root, config.store.endpoint_url, base_dir=config.base_dir)

    assert isinstance(store, S3Store)
    assert store.endpoint_url == endpoint
    store.write(f"s3://{bucket}/lake/x.txt", b"hello")
    assert store.read(f"s3://{bucket}/lake/x.txt")[0] == b"hello"
    assert [o.size for o in store.list(f"s3://{bucket}/lake/")] == [5]


def test_aws_endpoint_url_env_is_honoured(s3_bucket: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint, bucket = s3_bucket
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    store = S3Store(f"s3://{bucket}")
    assert store.endpoint_url == endpoint

    store.write(f"s3://{bucket}/x.txt", b"hello")

    assert store.read(f"s3://{bucket}/x.txt")[0] == b"hello"
    # the fsspec filesystem handed to query engines goes to the same endpoint
    with store.filesystem().open(f"s3://{bucket}/x.txt", "rb") as fh:
        assert fh.read() == b"hello"


def test_filesystem_reads_through_pyarrow(store: S3Store) -> None:
    store.write(f"s3://{store.bucket}/data/f.bin", b"0123456789")
    fs = store.filesystem()
    assert "s3" in ((fs.protocol,) if isinstance(fs.protocol, str) else fs.protocol)
    assert fs.size(f"s3://{store.bucket}/data/f.bin") == 10
    with fs.open(f"s3://{store.bucket}/data/f.bin", "rb") as fh:
        assert fh.read() == b"0123456789"


# -- check_files with S3 entries ------------------------------------------------------------------


def _manifest(store: S3Store, name: str, entries: list[dict[str, Any]]) -> Any:
    url = f"s3://{store.bucket}/manifests/{name}.json"
    raw = json.dumps({"entries": entries}).encode()
    store.write(url, raw)
    data, version = store.read(url)
    return parse_manifest(data, url, version)


def _entry(url: str, size: int | None = None, *, mandatory: bool = True) -> dict[str, Any]:
    entry: dict[str, Any] = {"url": url, "mandatory": mandatory}
    if size is not None:
        entry["meta"] = {"content_length": size}
    return entry


def test_check_files_uses_one_list_per_folder(store: S3Store) -> None:
    data = f"s3://{store.bucket}/data/dt=2026-11-29"
    store.write(f"{data}/a.parquet", b"aaaa")
    store.write(f"{data}/b.parquet", b"bbbbbb")
    manifest = _manifest(store, "m1", [_entry(f"{data}/a.parquet", 4), _entry(f"{data}/b.parquet")])
    allowed = (as_prefix(f"s3://{store.bucket}"),)
    calls = count_requests(store)

    checked = check_files(manifest, store, allowed)

    assert dict(calls) == {"ListObjectsV2": 1}
    assert [(e.url, e.content_length) for e in checked.entries] == [(f"{data}/a.parquet", 4), (f"{data}/b.parquet", 6)]


def test_check_files_size_mismatch(store: S3Store) -> None:
    url = f"s3://{store.bucket}/data/a.parquet"
    store.write(url, b"aaaa")
    manifest = _manifest(store, "m1", [_entry(url, 5)])

    with pytest.raises(SizeMismatchError) as err:
        check_files(manifest, store, (as_prefix(f"s3://{store.bucket}"),))
    assert err.value.file == url
    assert err.value.manifest == manifest.url


def test_check_files_missing_mandatory_and_optional(store: S3Store) -> None:
    present = f"s3://{store.bucket}/data/a.parquet"
    absent = f"s3://{store.bucket}/data/gone.parquet"
    store.write(present, b"aaaa")
    allowed = (as_prefix(f"s3://{store.bucket}"),)

    optional = _manifest(store, "m1", [_entry(present, 4), _entry(absent, 3, mandatory=False)])
    assert [e.url for e in check_files(optional, store, allowed).entries] == [present]

    mandatory = _manifest(store, "m2", [_entry(present, 4), _entry(absent, 3)])
    with pytest.raises(MissingFileError) as err:
        check_files(mandatory, store, allowed)
    assert err.value.file == absent
    assert err.value.manifest == mandatory.url


def test_check_files_refuses_a_foreign_bucket_without_asking_it(
    store: S3Store, s3_bucket: tuple[str, str], moto_server: str
) -> None:
    import boto3

    foreign_bucket = f"{store.bucket}-foreign"
    boto3.client("s3", endpoint_url=moto_server).create_bucket(Bucket=foreign_bucket)
    foreign = f"s3://{foreign_bucket}/data/a.parquet"
    boto3.client("s3", endpoint_url=moto_server).put_object(Bucket=foreign_bucket, Key="data/a.parquet", Body=b"aaaa")
    own = f"s3://{store.bucket}/data/a.parquet"
    store.write(own, b"aaaa")
    manifest = _manifest(store, "m1", [_entry(own, 4), _entry(foreign, 4)])
    calls = count_requests(store)

    with pytest.raises(ForeignURLError) as err:
        check_files(manifest, store, (as_prefix(f"s3://{store.bucket}"),))

    assert err.value.file == foreign
    assert foreign in str(err.value)
    assert not calls  # refused from the allow-list alone: not even a LIST of our own bucket


# -- an endpoint that does not answer ------------------------------------------------------------


def test_unreachable_endpoint_is_transient(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from manifests.errors import TransientError

    with socket.socket() as sock:  # a port nobody listens on once the socket is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # botocore would otherwise retry with backoff
    store = S3Store("s3://lake", f"http://127.0.0.1:{port}")

    with pytest.raises(TransientError) as err:
        store.read("s3://lake/manifests/a.json")
    assert err.value.transient
    assert err.value.file == "s3://lake/manifests/a.json"
    with pytest.raises(TransientError):
        store.list("s3://lake/manifests/")


# -- no credentials ------------------------------------------------------------------------------


def test_reading_a_manifest_without_credentials_is_a_config_error_naming_them(no_aws_credentials: str) -> None:
    """botocore's NoCredentialsError was a TransientError: Lambda retried it for ever."""
    url = "s3://lake/manifests/a.json"
    with pytest.raises(ConfigError) as caught:
        S3Store("s3://lake", no_aws_credentials).read(url)
    assert caught.value.file == url and not caught.value.transient
    assert "no AWS credentials: set AWS_ACCESS_KEY_ID" in str(caught.value)
    assert "(NoCredentialsError: Unable to locate credentials)" in str(caught.value)
