"""The builder's create-only and compare-and-replace writes in a local folder (the same
discipline as on S3, by link(2) and a lock)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from manifests import ManifestError
from manifests.builder import build, write_once
from manifests.conditional import Conflict, put, read_versioned
from manifests.store import LocalStore


def test_create_only_and_replace_only_what_was_read(tmp_path: Path) -> None:
    store = LocalStore(str(tmp_path))
    url = store.resolve("state/a.json")
    first = put(store, url, b"1", None)
    with pytest.raises(Conflict):
        put(store, url, b"2", None)
    second = put(store, url, b"2", first)
    with pytest.raises(Conflict):
        put(store, url, b"3", first)  # it changed since
    assert read_versioned(store, url) == (b"2", second)
    assert read_versioned(store, store.resolve("state/none.json")) is None


def test_build_a_local_folder_and_write_once(tmp_path: Path) -> None:
    store = LocalStore(str(tmp_path))
    (tmp_path / "out").mkdir()
    pq.write_table(pa.table({"x": [1, 2]}), tmp_path / "out" / "part-0.parquet")
    (tmp_path / "out" / "part-1.csv").write_text("x\n3\n")
    (tmp_path / "out" / ".part-0.parquet.crc").write_text("crc")
    doc = build(store, "out/")
    assert [e["meta"].get("record_count") for e in doc["entries"]] == [2, None]
    assert write_once(store, store.resolve("m.json"), doc) is True
    with pytest.raises(ManifestError, match="different manifest"):
        write_once(store, store.resolve("m.json"), build(store, ["out/part-1.csv"]))
