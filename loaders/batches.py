"""The batch state of the manifest builder: one JSON object per dataset and partition,
under ``_loaders/batches/<dataset>/<partition>.json`` in the store, changed only by
conditional writes (``If-None-Match: *`` to create, ``If-Match: <etag>`` to replace),
so no other database is needed. The object holds

    next     the number the next sealed batch gets
    open     the files of the batch being filled (URL → size) and when its first came
    sealed   every sealed batch: its number, manifest URL, files, and whether the
             manifest is written yet

Every change reads the object, decides, and writes it back only if it is still what was
read; a writer that lost the race reads again and decides again. A file already in the
open batch or in a sealed one adds nothing (a duplicate notification); a file arriving
after its batch was sealed joins the next. Sealing is recorded first, the manifest
written after (create-only, the same bytes whoever writes it), then marked written: a
builder that dies in between leaves it to the next notification or the sweep.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from loaders.batching import BatchSettings
from manifests import ManifestError, Partition, TerminalError, TransientError
from manifests.builder import is_parquet, manifest_doc, record_count, write_once
from manifests.conditional import Conflict, put, read_versioned
from manifests.parse import strict_json
from manifests.store import ObjectStore
from sinks.retrying import retrying

log = logging.getLogger("loaders.batches")
STATE_PREFIX = "_loaders/batches/"
#: attempts of one change against concurrent builders, each re-reading the state
ATTEMPTS = 60


@dataclass
class Added:
    """What one call did: files added, duplicates ignored, manifests written."""

    added: int = 0
    duplicates: int = 0
    manifests: list[str] = field(default_factory=list)


class Batches:
    """Batches of one store's datasets. ``clock`` gives seconds since the epoch."""

    def __init__(self, store: ObjectStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def state_url(self, dataset: str, partition: Partition) -> str:
        return self.store.resolve(f"{STATE_PREFIX}{dataset}/{partition.key}.json")

    def add(self, dataset: str, settings: BatchSettings, partition: Partition, files: Mapping[str, int]) -> Added:
        """Add data files (URL → size) to the partition's open batch, seal what reached a
        limit, and write the manifests of sealed batches not written yet."""
        done = Added()

        def change(doc: dict[str, Any]) -> bool:
            known = set(doc["open"]["files"]).union(*(b["files"] for b in doc["sealed"]))
            new = {u: s for u, s in sorted(files.items()) if u not in known}
            done.added, done.duplicates = len(new), len(files) - len(new)
            sealed = len(doc["sealed"])
            for url, size in new.items():
                doc["open"]["files"][url] = size
                doc["open"]["since"] = doc["open"]["since"] or self.clock()
                if self._full(doc, settings, timed=False):
                    self._seal(doc, settings, partition)
            if self._full(doc, settings, timed=True):
                self._seal(doc, settings, partition)
            return bool(new) or len(doc["sealed"]) > sealed

        self._change(dataset, partition, change)
        done.manifests = self._write_pending(dataset, settings, partition)
        return done

    def sweep(self, dataset: str, settings: BatchSettings, partition: Partition) -> list[str]:
        """Seal the open batch if it is old enough; write pending manifests."""

        def change(doc: dict[str, Any]) -> bool:
            if not self._full(doc, settings, timed=True):
                return False
            self._seal(doc, settings, partition)
            return True

        self._change(dataset, partition, change)
        return self._write_pending(dataset, settings, partition)

    def partitions(self, dataset: str) -> list[Partition]:
        """Every partition of ``dataset`` with batch state."""
        prefix = self.store.resolve(f"{STATE_PREFIX}{dataset}/")
        keys = [o.url[len(prefix) : -len(".json")] for o in self.store.list(prefix) if o.url.endswith(".json")]
        return [Partition.parse(k) for k in sorted(keys)]

    # -- one change: read, decide, write if unchanged ------------------------------------

    def _read(self, dataset: str, partition: Partition) -> tuple[dict[str, Any], str | None]:
        found = read_versioned(self.store, self.state_url(dataset, partition))
        if found is None:
            doc = {"dataset": dataset, "partition": partition.key, "next": 1, "sealed": []}
            return {**doc, "open": {"files": {}, "since": None}}, None
        return strict_json(found[0]), found[1]

    def _change(self, dataset: str, partition: Partition, decide: Callable[[dict[str, Any]], bool]) -> None:
        try:
            for attempt in retrying(Conflict, ATTEMPTS, wait=0.005, wait_max=0.2, jitter=0.01):
                with attempt:
                    doc, version = self._read(dataset, partition)
                    if decide(doc):
                        data = json.dumps(doc, indent=1, sort_keys=True).encode()
                        put(self.store, self.state_url(dataset, partition), data, version)
        except Conflict:
            raise TransientError(
                f"batch state of {dataset} {partition} kept changing; retry", file=self.state_url(dataset, partition)
            ) from None

    def _full(self, doc: dict[str, Any], settings: BatchSettings, *, timed: bool) -> bool:
        files = doc["open"]["files"]
        if not files:
            return False
        if timed:
            return self.clock() - doc["open"]["since"] >= settings.seconds
        return len(files) >= settings.files or sum(files.values()) >= settings.bytes

    def _seal(self, doc: dict[str, Any], settings: BatchSettings, partition: Partition) -> None:
        seq = doc["next"]
        url = self.store.resolve(settings.manifest_key(partition, seq))
        at = datetime.fromtimestamp(self.clock(), UTC).isoformat()
        doc["sealed"].append({"seq": seq, "manifest": url, "files": doc["open"]["files"], "written": False, "at": at})
        doc["next"] = seq + 1
        doc["open"] = {"files": {}, "since": None}

    # -- manifests of sealed batches -----------------------------------------------------

    def _write_pending(self, dataset: str, settings: BatchSettings, partition: Partition) -> list[str]:
        """Write every sealed batch's manifest not yet written, then mark it written. The
        URLs this call wrote (a manifest another builder wrote first is not listed)."""
        doc, _version = self._read(dataset, partition)
        written, stuck = [], []
        for batch in (b for b in doc["sealed"] if not b["written"]):
            files = batch["files"]
            counts = {u: n for u in files if is_parquet(u, settings.fmt) and (n := self._count(u)) is not None}
            try:
                if self._write(batch, manifest_doc(files, counts)):
                    written.append(batch["manifest"])
                    log.info("built manifest %s of %d file(s)", batch["manifest"], len(files))
            except TerminalError as exc:  # its key is taken: the later batches are still written
                stuck.append(exc)
                continue
            self._mark_written(dataset, partition, batch["seq"])
        if stuck:
            raise stuck[0]
        return written

    def _write(self, batch: dict[str, Any], doc: dict[str, Any]) -> bool:
        """Write a sealed batch's manifest; True when this call wrote it. One already there
        listing the same files was written by another builder (with a record count this
        one could not read, or the other way round): done. Any other is an error."""
        try:
            return write_once(self.store, batch["manifest"], doc)
        except ManifestError:
            found = read_versioned(self.store, batch["manifest"])
            listed = strict_json(found[0]).get("entries", []) if found else []
            if sorted(str(e.get("url")) for e in listed if isinstance(e, dict)) == sorted(batch["files"]):
                return False
            raise

    def _count(self, url: str) -> int | None:
        """A Parquet file's record count; None when its footer cannot be read (not Parquet,
        deleted since): the manifest lists it without one, and the load that reads it fails
        naming it, rather than the whole partition's batches waiting behind it."""
        try:
            return record_count(self.store, url)
        except TerminalError as exc:
            log.warning("%s; listed without a record_count", exc)
            return None

    def _mark_written(self, dataset: str, partition: Partition, seq: int) -> None:
        def change(doc: dict[str, Any]) -> bool:
            for batch in doc["sealed"]:
                if batch["seq"] == seq and not batch["written"]:
                    batch["written"] = True
                    return True
            return False

        self._change(dataset, partition, change)
