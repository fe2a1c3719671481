"""Conditional writes on the object store: create an object only if it is absent, replace
it only if it is still the version that was read.

On S3 these are ``PutObject`` with ``If-None-Match: *`` and ``If-Match: <etag>``: a write
that loses a race fails with 412 (or 409 while a concurrent one is in flight) instead of
overwriting. In a local folder the same guarantees come from ``link(2)`` (which never
replaces a file) and an exclusive lock (a ``.lock`` file beside the object, left in place) around
compare-and-replace. Either way a lost race
raises :class:`Conflict`; the caller reads again and decides again.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from manifests.aws_errors import aws_failure
from manifests.errors import MissingFileError
from manifests.store import LocalStore, ObjectStore, S3Store, error_code, sha256_version, split_s3
from manifests.urls import local_path

#: S3 answers a lost conditional write with 412, and a concurrent one in flight with 409.
_LOST = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")


class Conflict(Exception):
    """The object exists (create) or changed since it was read (replace)."""


def read_versioned(store: ObjectStore, url: str) -> tuple[bytes, str] | None:
    """The object's bytes and version (what :func:`replace` expects), or None if absent."""
    try:
        return store.read(url)
    except MissingFileError:
        return None


def put(store: ObjectStore, url: str, data: bytes, version: str | None) -> str:
    """Write ``data`` at ``url``: create it when ``version`` is None (it must not exist),
    else replace it (it must still be ``version``). The new version; Conflict if not."""
    if isinstance(store, S3Store):
        return _s3_put(store, url, data, version)
    if isinstance(store, LocalStore):
        return _local_create(url, data) if version is None else _local_replace(url, data, version)
    raise TypeError(f"conditional writes need an S3 or local store, not {type(store).__name__}")


def _s3_put(store: S3Store, url: str, data: bytes, version: str | None) -> str:
    bucket, key = split_s3(url)
    condition = {"IfNoneMatch": "*"} if version is None else {"IfMatch": f'"{version.strip(chr(34))}"'}
    try:
        done: dict[str, Any] = store.client.put_object(Bucket=bucket, Key=key, Body=data, **condition)
    except Exception as exc:
        if error_code(exc) in (*_LOST, "NoSuchKey"):  # If-Match on a deleted object: it changed too
            raise Conflict(url) from None
        raise aws_failure(exc, "the object store", file=url) from exc
    return str(done["ETag"]).strip('"')


def _local_create(url: str, data: bytes) -> str:
    path = local_path(url)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}-{id(data)}"
    with open(tmp, "wb") as fh:
        fh.write(data)
    try:
        os.link(tmp, path)  # fails if the name exists: never replaces
    except FileExistsError:
        raise Conflict(url) from None
    finally:
        os.remove(tmp)
    return sha256_version(data)


def _local_replace(url: str, data: bytes, version: str) -> str:
    path = local_path(url)
    with open(f"{path}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(path, "rb") as fh:
                current = sha256_version(fh.read())
        except FileNotFoundError:
            raise Conflict(url) from None
        if current != version:
            raise Conflict(url)
        tmp = f"{path}.tmp-{os.getpid()}-{id(data)}"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    return sha256_version(data)
