"""A local lake for tests: data files plus one Redshift manifest per batch.

Tests build their inputs with this instead of mocks: the files are real Parquet, CSV or
JSON lines, the manifests real JSON, read back through the real store.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from manifests import Manifest, Partition, parse_manifest
from manifests.check import check_files
from manifests.store import LocalStore


class Lake:
    """Writes batches under ``root`` the way a producer would."""

    def __init__(self, root: Path, source: str = "ad_server", kind: str = "conversion") -> None:
        self.root = root
        self.store = LocalStore(str(root))
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
            path = self.root / key
            path.parent.mkdir(parents=True, exist_ok=True)
            if fmt == "parquet":
                pq.write_table(chunk, path)
            elif fmt == "csv":
                pacsv.write_csv(chunk, path)
            else:
                path.write_text("".join(json.dumps(r, default=str) + "\n" for r in chunk.to_pylist()))
            meta: dict[str, Any] = {"content_length": path.stat().st_size}
            if record_count:
                meta["record_count"] = chunk.num_rows
            entries.append({"url": key, "mandatory": True, "meta": meta})
        entries.extend(dict(e) for e in extra_entries)
        mkey = f"manifests/{self.source}/{self.kind}/{part}/{batch}.json"
        self.write_manifest(mkey, {"entries": entries})
        return mkey

    def write_manifest(self, key: str, doc: Any) -> str:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
        return key

    def manifest(self, key: str) -> Manifest:
        """Read, parse and check a manifest as the runner does."""
        url = self.store.resolve(key)
        raw, version = self.store.read(url)
        return check_files(parse_manifest(raw, url, version), self.store, self.allowed)

    @staticmethod
    def partition(**values: str) -> Partition:
        return Partition.of(values)
