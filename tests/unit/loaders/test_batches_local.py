"""The builder's batch state in a local folder: sealed at its file count, duplicates
ignored, and a data pattern matched to its partition."""

from __future__ import annotations

from pathlib import Path

from loaders.batches import Batches
from loaders.batching import BatchSettings
from manifests import KeyLayout, Partition
from manifests.store import LocalStore


def test_a_batch_in_a_local_folder_seals_at_its_file_count(tmp_path: Path) -> None:
    store = LocalStore(str(tmp_path))
    layout = KeyLayout("m/dt={dt}/{batch}.json", ("dt",))
    settings = BatchSettings("d/dt={dt}/*.csv", ("dt",), layout, "batch", "csv", files=2)
    batches = Batches(store, clock=lambda: 0.0)
    part = Partition.of({"dt": "2026-11-29"})
    for name in ("a", "b"):
        (tmp_path / f"{name}.csv").write_text("x\n1\n")
    assert batches.add("a.b", settings, part, {store.resolve("a.csv"): 4}).manifests == []
    done = batches.add("a.b", settings, part, {store.resolve("a.csv"): 4, store.resolve("b.csv"): 4})
    assert (done.added, done.duplicates) == (1, 1)
    assert done.manifests == [store.resolve("m/dt=2026-11-29/batch-000001.json")]
    assert settings.match("d/dt=2026-11-29/part.csv") == part and settings.match("d/part.csv") is None
