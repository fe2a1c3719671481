"""A local lake for tests: data files plus one Redshift manifest per batch.

Tests build their inputs with this instead of mocks: the files are real Parquet, CSV or
JSON lines, the manifests real JSON, read back through the real store. The store is a
local folder unless another one (an S3 bucket on a moto server) is given.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from manifests import Manifest, Partition, parse_manifest
from manifests.check import check_files
from manifests.store import LocalStore, ObjectStore


class Lake:
    """Writes batches under ``root`` (or into ``store``) the way a producer would."""

    def __init__(
        self, root: Path, source: str = "ad_server", kind: str = "conversion", store: ObjectStore | None = None
    ) -> None:
        self.root = root
        self.store = store if store is not None else LocalStore(str(root))
        self.source = source
        self.kind = kind

    @property
    def allowed(self) -> tuple[str, ...]:
        return (self.store.root,)

    def pattern(self, fields: Sequence[str] = ("dt", "hour")) -> str:
        parts = "/".join(f"{f}={{{f}}}" for f in fields)
        return f"manifests/{self.source}/{self.kind}/{parts}/{{batch}}.json"

    def write(
        self,
        partition: Mapping[str, str],
        batch: str,
        rows: Sequence[Mapping[str, Any]] | pa.Table,
        *,
        fmt: str = "parquet",
        record_count: bool = True,
        extra_entries: Sequence[Mapping[str, Any]] = (),
        files: int = 1,
        version: str = "",
    ) -> str:
        """Write a batch's data file(s) and manifest; returns the manifest's key.

        ``version`` goes into the data file names, as a producer rewriting a batch writes
        new files and then rewrites the manifest in place.
        """
        table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(list(rows))
        part = "/".join(f"{k}={v}" for k, v in partition.items())
        entries: list[dict[str, Any]] = []
        size = max(1, -(-table.num_rows // files)) if table.num_rows else 0
        chunks = [table.slice(i * size, size) for i in range(files)] if size else [table]
        for i, chunk in enumerate(chunks):
            ext = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}[fmt]
            key = f"data/{self.source}/{self.kind}/{part}/{batch}{version}-{i}.{ext}"
            buffer = io.BytesIO()
            if fmt == "parquet":
                pq.write_table(chunk, buffer)
            elif fmt == "csv":
                pacsv.write_csv(chunk, buffer)
            else:
                buffer.write("".join(json.dumps(r, default=str) + "\n" for r in chunk.to_pylist()).encode())
            self.store.write(self.store.resolve(key), buffer.getvalue())
            meta: dict[str, Any] = {"content_length": len(buffer.getvalue())}
            if record_count:
                meta["record_count"] = chunk.num_rows
            entries.append({"url": key, "mandatory": True, "meta": meta})
        entries.extend(dict(e) for e in extra_entries)
        mkey = f"manifests/{self.source}/{self.kind}/{part}/{batch}.json"
        self.write_manifest(mkey, {"entries": entries})
        return mkey

    def write_text(self, partition: Mapping[str, str], batch: str, text: str, ext: str = "csv") -> str:
        """A data file written exactly as given (quoting, empty fields) and its manifest."""
        part = "/".join(f"{k}={v}" for k, v in partition.items())
        key = f"data/{self.source}/{self.kind}/{part}/{batch}-0.{ext}"
        self.store.write(self.store.resolve(key), text.encode())
        entry = {"url": key, "mandatory": True, "meta": {"content_length": len(text.encode())}}
        return self.write_manifest(f"manifests/{self.source}/{self.kind}/{part}/{batch}.json", {"entries": [entry]})

    def write_manifest(self, key: str, doc: Any) -> str:
        text = doc if isinstance(doc, str) else json.dumps(doc)
        self.store.write(self.store.resolve(key), text.encode())
        return key

    def delete(self, url: str) -> None:
        """Remove a data file, as a producer cleaning up too early would."""
        if isinstance(self.store, LocalStore):
            Path(self.store.engine_path(url)).unlink()
        else:
            bucket, _, key = url.removeprefix("s3://").partition("/")
            self.store.client.delete_object(Bucket=bucket, Key=key)  # type: ignore[attr-defined]

    def corrupt(self, url: str) -> None:
        """Break a Parquet file's footer, keeping its size (so validation still passes)."""
        data, _version = self.store.read(url)
        self.store.write(url, data[:-12] + b"not parquet!")

    def manifest(self, key: str) -> Manifest:
        """Read, parse and check a manifest as the runner does (known by its key)."""
        url = self.store.resolve(key)
        raw, version = self.store.read(url)
        manifest = replace(parse_manifest(raw, url, version), key=self.store.identity_of(url))
        return check_files(manifest, self.store, self.allowed)

    @staticmethod
    def partition(**values: str) -> Partition:
        return Partition.of(values)
