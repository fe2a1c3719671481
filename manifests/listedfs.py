"""The fsspec filesystem DuckDB reads S3 through, answering metadata from our LISTs.

DuckDB's Python filesystem bridge asks about each file several times before and while
reading it (``exists``, ``info``, ``size``, ``modified``): about eight HEAD requests per file before
the two that pyarrow's ``open_input_file`` makes itself (its Python API takes no size).
The store has already LISTed every file of a load, to check sizes against the manifest,
so the sizes are known: this wrapper answers from them. A file not seen in a LIST falls
back to one HEAD, remembered for the life of the store (one run, one Lambda invocation).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fsspec.implementations.arrow import ArrowFSWrapper

#: What ``modified`` says of a file known only from a LIST; DuckDB uses it only to
#: invalidate its own caches, which live no longer than one load here.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ListedFS(ArrowFSWrapper):
    cachable = False  # fsspec would otherwise share one instance between stores

    def __init__(self, fs: Any, sizes: Mapping[str, int], **kwargs: Any) -> None:
        super().__init__(fs, **kwargs)
        self._sizes = sizes
        self._infos: dict[str, dict[str, Any]] = {}

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        key = self._strip_protocol(path)
        found = self._infos.get(key)
        if found is None:
            size = self._sizes.get(key)
            if size is not None:
                found = {"name": key, "size": size, "type": "file", "mtime": EPOCH}
            else:
                found = super().info(path, **kwargs)
            self._infos[key] = found
        return found

    def modified(self, path: str) -> datetime:
        mtime = self.info(path).get("mtime")
        return mtime if isinstance(mtime, datetime) else EPOCH
