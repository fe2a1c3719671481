"""The manifest builder as a Lambda: ObjectCreated notifications of *data* files in,
manifests out (``loaders.aws.batch_handler``).

It takes what the loader's handler takes (SNS, SQS of SNS envelopes or raw S3
notifications) and S3's direct invocation (``{"Records": [{"eventSource": "aws:s3"}]}``).
Each file is matched against every dataset's ``data`` pattern, grouped per dataset and
partition, and added to that partition's batch (:mod:`loaders.batches`); a file no
pattern matches is skipped. An event with no ``Records`` (an EventBridge schedule) is a
sweep: every partition's open batch that is ``batch.seconds`` old is sealed. EventBridge's
``Object Created`` events (S3 → EventBridge → Lambda) are read too. The
manifests written land under the dataset's ``manifests`` pattern, where their own
notifications start the loader.

A delivery whose files could not be added for a passing reason (throttling, a race lost
too often) is retried: its id in ``batchItemFailures`` on SQS, an exception otherwise.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from loaders.aws.events import ManifestRequest, messages, requests
from loaders.batches import Added, Batches
from loaders.config import Config
from manifests import LoaderError, MissingFileError, Partition
from manifests.builder import is_data, sizes
from manifests.store import ObjectStore, open_store

logger = logging.getLogger("loaders.aws")


class BatchWorker:
    """Adds notified data files to their batches; sweeps batches that are old enough."""

    def __init__(self, config: Config, store: ObjectStore | None = None, clock: Callable[[], float] | None = None):
        self.config = config
        self.store = store or open_store(config.store.root, config.store.endpoint_url, base_dir=config.base_dir)
        self.batches = Batches(self.store, clock) if clock else Batches(self.store)
        self.datasets = {n: d for n, d in config.datasets.items() if d.batch is not None}

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        records = event.get("Records") or []
        if event.get("source") == "aws.s3" and "detail-type" in event:  # S3 → EventBridge, read as the loader reads it
            found = requests(json.dumps(event))
            return self._summary(self._logged([r.url for r in found if isinstance(r, ManifestRequest)]))
        if not records:  # an EventBridge schedule ("Scheduled Event"), or {}
            return {"manifests": self.sweep()}
        if records[0].get("eventSource") == "aws:s3":
            found = requests(json.dumps(event))
            return self._summary(self._logged([r.url for r in found if isinstance(r, ManifestRequest)]))
        failures: list[dict[str, str]] = []
        total = Added()
        for message in messages(event):
            if message.problem:
                logger.error("message %s skipped: %s", message.message_id, message.problem)
                continue
            try:
                done = self._logged([r.url for r in message.requests if isinstance(r, ManifestRequest)])
            except LoaderError as exc:
                if message.source != "sqs":
                    raise
                logger.warning("message %s: %s; retried", message.message_id, exc)
                failures.append({"itemIdentifier": message.message_id})
                continue
            total.added += done.added
            total.duplicates += done.duplicates
            total.manifests += done.manifests
        return {**self._summary(total), "batchItemFailures": failures}

    def _logged(self, urls: list[str]) -> Added:
        """:meth:`add`, with an error retrying cannot help logged rather than raised: the
        delivery is done (a transient one is raised, for the delivery to be retried)."""
        try:
            return self.add(urls)
        except LoaderError as exc:
            if exc.transient:
                raise
            logger.error("files %s: %s", ", ".join(urls[:3]) + (" …" if len(urls) > 3 else ""), exc)
            return Added()

    def add(self, urls: Iterable[str]) -> Added:
        """Add data files to their datasets' batches, one change per partition."""
        groups: dict[tuple[str, Partition], list[str]] = defaultdict(list)
        for url in urls:
            key = self.store.key_of(url)
            if key is None or self._not_data(key):
                logger.info("%s: outside the store's root, a manifest, or the builder's state: not data; skipped", url)
                continue
            matched = [(n, d.batch.match(key)) for n, d in self.datasets.items() if d.batch]
            found = [(n, p) for n, p in matched if p is not None]
            if not found:
                logger.info("%s: no dataset's data pattern fits it; skipped", url)
            for name, partition in found:
                groups[(name, partition)].append(url)
        total = Added()
        for (name, partition), found_urls in sorted(groups.items()):
            settings = self.datasets[name].batch
            assert settings is not None
            files = self._sizes(found_urls)
            if not files:
                continue
            done = self.batches.add(name, settings, partition, files)
            total.added += done.added
            total.duplicates += done.duplicates
            total.manifests += done.manifests
        return total

    def _not_data(self, key: str) -> bool:
        """A key of the loader's own state or one of any dataset's manifests: never a data
        file, whatever a ``data`` pattern says (a built manifest batched as data would
        notify the builder again, and again)."""
        layouts = [d.layout for d in self.config.datasets.values()]
        return key.startswith("_loaders/") or any(layout.match(key) is not None for layout in layouts)

    def sweep(self) -> list[str]:
        """Seal every open batch past its ``batch.seconds``; write pending manifests."""
        written: list[str] = []
        failed: list[LoaderError] = []
        for name, dataset in sorted(self.datasets.items()):
            assert dataset.batch is not None
            for partition in self.batches.partitions(name):
                try:
                    written += self.batches.sweep(name, dataset.batch, partition)
                except LoaderError as exc:  # one partition's trouble does not stop the others
                    logger.error("batch sweep of %s %s: %s", name, partition, exc)
                    failed.append(exc)
        if failed and all(e.transient for e in failed):
            raise failed[0]
        return written

    def _sizes(self, urls: list[str]) -> dict[str, int]:
        """Each notified file's size, from a LIST of its key; a file deleted since it was
        notified, an empty one, or one named ``_…``/``.…`` is logged and left out."""
        found: dict[str, int] = {}
        for url in dict.fromkeys(urls):
            try:
                found.update(sizes(self.store, [url]))
            except MissingFileError:
                logger.warning("%s: notified, but no longer in the store; skipped", url)
        empty = [u for u, size in found.items() if not is_data(u, size)]
        for url in empty:  # as under a prefix: one would fail its whole batch's load
            logger.warning("%s: empty, or a name starting with _ or .: not data; skipped", url)
            del found[url]
        return found

    @staticmethod
    def _summary(done: Added) -> dict[str, Any]:
        return {"added": done.added, "duplicates": done.duplicates, "manifests": done.manifests}
