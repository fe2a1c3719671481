"""The object store: a local folder or an S3 bucket (any S3-compatible endpoint).

One ``list`` call is one LIST of a prefix and brings every object's size (and, on S3, its
ETag) with it, so validating a manifest's files never needs a GET or HEAD per file.
boto3 and pyarrow are imported only when an S3 store is actually used.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import stat
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from manifests.aws_errors import aws_failure, client_failure
from manifests.aws_errors import error_code as error_code  # re-exported: the Athena sinks read codes with it
from manifests.errors import ConfigError, ForeignURLError, LoaderError, MissingFileError, TransientError
from manifests.models import ObjectInfo
from manifests.urls import check_segments, file_url, local_path, normalise

if TYPE_CHECKING:
    import fsspec

log = logging.getLogger(__name__)


class ObjectStore(Protocol):
    """Where manifests and data files live. URLs in and out are canonical."""

    root: str

    def resolve(self, ref: str) -> str:
        """A user's reference (URL, absolute path, or path relative to the root) → URL."""
        ...

    def key_of(self, url: str) -> str | None:
        """The key of ``url`` relative to the root (decoded), or None outside the root."""
        ...

    def identity_of(self, url: str) -> str:
        """What a manifest is known by in the load state: its key relative to the root, as
        the URL spells it (percent-encoded: ``root + key`` is the URL again), so that a
        lake that moves (a renamed or replicated bucket, a relocated folder) keeps its
        state; a URL outside the root stays absolute."""
        ...

    @property
    def roots(self) -> tuple[str, ...]:
        """Every spelling of the root a URL may have been recorded under (a local folder
        reached through a symlink: the link's path and the real one)."""
        ...

    def list(self, prefix: str, *, versions: bool = False) -> list[ObjectInfo]:
        """Every object whose URL starts with ``prefix``, in one LIST."""
        ...

    def read(self, url: str) -> tuple[bytes, str]:
        """The object's bytes and its version (ETag on S3, content hash locally)."""
        ...

    def write(self, url: str, data: bytes) -> None: ...

    def delete(self, url: str) -> None:
        """Remove an object; one that is already gone is not an error."""
        ...

    def engine_path(self, url: str) -> str:
        """The path a query engine opens for ``url`` (local path, or the s3:// URL)."""
        ...

    def filesystem(self) -> fsspec.AbstractFileSystem | None:
        """An fsspec filesystem for engines that cannot reach the store by themselves."""
        ...

    def __hash__(self) -> int:
        """Stores key per-file caches (the CSV sniff's), so a store is hashable."""
        ...


def open_object(store: ObjectStore, url: str) -> IO[bytes]:
    """A streaming reader of one object, for readers that take a file (pyarrow, fastavro):
    through the store's filesystem on S3, a plain file locally; never the whole object."""
    fs = store.filesystem()
    path = store.engine_path(url)
    return fs.open(path, "rb") if fs is not None else open(path, "rb")


def open_store(root: str, endpoint_url: str | None = None, *, base_dir: str = ".") -> ObjectStore:
    """The store for a ``[store] root``: ``s3://bucket[/prefix]`` or a local folder."""
    if root.startswith("s3://"):
        return S3Store(root, endpoint_url)
    if "://" in root and not root.startswith("file://"):
        raise ConfigError(f"store.root {root!r}: use s3://bucket/prefix or a local folder")
    path = local_path(root) if root.startswith("file://") else os.path.join(base_dir, root)
    return LocalStore(path)


def sha256_version(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class LocalStore:
    """A folder on disk standing in for a bucket; versions are content hashes."""

    def __init__(self, path: str) -> None:
        # the real path: every URL the store hands out has its symlinks resolved, so one
        # file has one URL however it was reached
        self.path = os.path.realpath(path)
        self.root = file_url(self.path) + "/"
        # the root as older versions spelled it (not resolved): state may name manifests so
        self.alias_root = file_url(os.path.abspath(path)) + "/"

    def resolve(self, ref: str) -> str:
        """The canonical URL of a reference: percent-decoded and re-encoded, host
        ``localhost`` dropped, a relative path taken from the root, and symlinks resolved
        (a link inside the lake pointing outside it resolves outside, where the
        allowed-prefix check refuses it)."""
        if ref.startswith("s3://"):
            raise ForeignURLError(f"an s3:// URL, but the store is the local folder {self.path}", file=ref)
        if ref.startswith("file://"):
            path = local_path(normalise(ref))
        else:
            if "://" in ref:
                raise ForeignURLError("not a file:// URL or a path in the local store", file=ref)
            check_segments(ref, file=ref)
            path = ref if os.path.isabs(ref) else os.path.join(self.path, ref)
        return normalise(file_url(os.path.realpath(path)))

    def key_of(self, url: str) -> str | None:
        path = local_path(url)
        return path[len(self.path) + 1 :] if path.startswith(self.path + "/") else None

    def identity_of(self, url: str) -> str:
        for root in self.roots:
            if url.startswith(root) and "://" not in url[len(root) :]:
                return url[len(root) :]
        return url

    @property
    def roots(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.root, self.alias_root)))

    def list(self, prefix: str, *, versions: bool = False) -> list[ObjectInfo]:
        """Every file under ``prefix``, by its canonical URL. A symlink is listed by the
        path it resolves to, and only when that lies in the store; a dangling one, or a
        file that vanished while listing, is skipped with a warning: one bad entry in a
        folder must not stop every load that lists it."""
        base = local_path(prefix)
        folder = base if base.endswith("/") else os.path.dirname(base)
        found: dict[str, ObjectInfo] = {}
        for dirpath, _dirs, files in os.walk(folder):
            for name in files:
                full = os.path.join(dirpath, name)
                if not full.startswith(base):
                    continue
                real = os.path.realpath(full)  # a link, or a file in a linked folder
                if real != full:
                    if not real.startswith(self.path + "/"):
                        log.warning("%s: a symlink to %s, outside the store %s; skipped", full, real, self.path)
                        continue
                    full = real
                try:
                    info = os.stat(full)
                    if not stat.S_ISREG(info.st_mode):  # a FIFO or device: reading it could block
                        log.warning("%s: not a regular file; skipped", full)
                        continue
                    size = info.st_size
                    version = self._hash(full) if versions else ""
                except OSError as exc:  # dangling, unreadable, or removed meanwhile
                    log.warning("%s: cannot be read (%s); skipped", full, exc.strerror or exc)
                    continue
                url = file_url(full)
                modified = datetime.fromtimestamp(info.st_mtime, UTC).replace(tzinfo=None)
                found[url] = ObjectInfo(url=url, size=size, version=version, modified=modified)
        return sorted(found.values(), key=lambda o: o.url)

    def read(self, url: str) -> tuple[bytes, str]:
        path = local_path(url)
        try:
            if not stat.S_ISREG(os.stat(path).st_mode) and not os.path.isdir(path):
                raise MissingFileError("not a regular file (a FIFO or device)", file=url)
            with open(path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            raise MissingFileError("no such object in the store", file=url) from None
        except IsADirectoryError:
            raise MissingFileError("is a folder, not an object", file=url) from None
        except OSError as exc:
            if exc.errno in (errno.ENAMETOOLONG, errno.ENOTDIR, errno.ELOOP):  # no such object can exist
                raise MissingFileError(f"no such object in the store ({exc.strerror})", file=url) from None
            raise TransientError(f"cannot read it ({exc.strerror or exc})", file=url) from None
        return data, sha256_version(data)

    def write(self, url: str, data: bytes) -> None:
        path = local_path(url)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.tmp-{os.getpid()}"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)

    def delete(self, url: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(local_path(url))

    def engine_path(self, url: str) -> str:
        return local_path(url)

    def filesystem(self) -> None:
        return None

    @staticmethod
    def _hash(path: str) -> str:
        with open(path, "rb") as fh:
            return sha256_version(fh.read())


class S3Store:
    """An S3 bucket (or prefix of one); honours ``endpoint_url`` and AWS_ENDPOINT_URL."""

    def __init__(self, root: str, endpoint_url: str | None = None) -> None:
        parts = urlsplit(root)
        self.bucket = parts.netloc.lower()  # bucket names are lower case; normalise() writes them so
        self.root = f"s3://{self.bucket}/{parts.path.strip('/')}".rstrip("/") + "/"
        self.endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        self._client: Any = None
        self._fs: Any = None
        self._sizes: dict[str, int] = {}  # "bucket/key" → size, from every LIST: see listedfs

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            # Enough pooled connections for the planner's concurrent LISTs.
            config = Config(max_pool_connections=32)
            try:
                self._client = boto3.client("s3", endpoint_url=self.endpoint_url, config=config)
            except Exception as exc:
                raise client_failure(exc, f"the object store {self.root}") from exc
        return self._client

    def resolve(self, ref: str) -> str:
        if ref.startswith("s3://"):
            return normalise(ref)
        if "://" in ref or ref.startswith("/"):
            raise ForeignURLError(f"not in the store {self.root}", file=ref)
        return normalise(self.root + ref)

    def key_of(self, url: str) -> str | None:
        # a key that itself reads as a URL would share its identity with that URL
        key = url[len(self.root) :] if url.startswith(self.root) else None
        return key if key is not None and "://" not in key else None

    def identity_of(self, url: str) -> str:
        key = self.key_of(url)
        return key if key is not None else url

    @property
    def roots(self) -> tuple[str, ...]:
        return (self.root,)

    def list(self, prefix: str, *, versions: bool = False) -> list[ObjectInfo]:
        bucket, key = split_s3(prefix)
        found = []
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
            for page in pages:
                for obj in page.get("Contents", []):
                    self._sizes[f"{bucket}/{obj['Key']}"] = obj["Size"]
                    found.append(
                        ObjectInfo(
                            url=f"s3://{bucket}/{obj['Key']}",
                            size=obj["Size"],
                            version=obj["ETag"].strip('"'),
                            modified=_utc(obj.get("LastModified")),
                        )
                    )
        except Exception as exc:
            raise _s3_error(exc, prefix) from exc
        return found

    def read(self, url: str) -> tuple[bytes, str]:
        bucket, key = split_s3(url)
        try:
            obj = self.client.get_object(Bucket=bucket, Key=key)
            return obj["Body"].read(), obj["ETag"].strip('"')
        except Exception as exc:
            raise _s3_error(exc, url) from exc

    def write(self, url: str, data: bytes) -> None:
        bucket, key = split_s3(url)
        try:
            self.client.put_object(Bucket=bucket, Key=key, Body=data)
        except Exception as exc:
            raise _s3_error(exc, url) from exc

    def delete(self, url: str) -> None:
        bucket, key = split_s3(url)
        try:
            self.client.delete_object(Bucket=bucket, Key=key)  # S3 answers 204 for a missing key too
        except Exception as exc:
            raise _s3_error(exc, url) from exc

    def engine_path(self, url: str) -> str:
        return url

    def filesystem(self) -> fsspec.AbstractFileSystem:
        """pyarrow's S3 client behind fsspec, because DuckDB's httpfs cannot be
        downloaded offline and s3fs pins a botocore that conflicts with boto3."""
        if self._fs is None:
            from pyarrow import fs as pafs

            from manifests.listedfs import ListedFS

            options: dict[str, Any] = {}
            if self.endpoint_url:
                parts = urlsplit(self.endpoint_url)
                options["endpoint_override"] = parts.netloc
                options["scheme"] = parts.scheme or "https"
            region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
            if region:
                options["region"] = region
            # The wrapper's protocol is read-only and is the arrow type name, "s3", which
            # is what DuckDB's register_filesystem routes s3:// URLs by.
            self._fs = ListedFS(pafs.S3FileSystem(**options), self._sizes)
        return self._fs


def split_s3(url: str) -> tuple[str, str]:
    """``s3://bucket/some/key`` → (``bucket``, ``some/key``). Split by hand: an object key
    may hold ``?`` or ``#``, which urlsplit would take for a query or a fragment."""
    bucket, _, key = url.removeprefix("s3://").partition("/")
    return bucket, key


def _utc(value: Any) -> datetime | None:
    """S3's LastModified (aware) as naive UTC, the form the load state keeps times in."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return None


def _s3_error(exc: Exception, url: str) -> LoaderError:
    """A missing key is a missing file; anything else as :mod:`manifests.aws_errors` sorts
    it (no credentials, access refused, no such bucket: ConfigError; throttling, the
    network: TransientError)."""
    if error_code(exc) in ("NoSuchKey", "404", "NotFound"):
        return MissingFileError("no such object in the store", file=url)
    return aws_failure(exc, "the object store", file=url)
