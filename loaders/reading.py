"""Reading manifests for a run: a reference checked against the allowed prefixes, read
and parsed, placed in its dataset and partition (from its key through the dataset's
pattern, or from its own keys; or, for ``partition_from = "files"``, split by the
partitions its files' paths name), validated, and a partition's manifests gathered."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace

from loaders.config import Config, DatasetConfig
from manifests import (
    EmptyManifestError,
    ForeignURLError,
    Manifest,
    ManifestError,
    MissingFileError,
    Partition,
    parse_manifest,
)
from manifests.check import Listings, check_files
from manifests.hive import split_by_files
from manifests.parse import check_partition
from manifests.store import ObjectStore
from manifests.urls import check_allowed

log = logging.getLogger("loaders")


class ManifestReader:
    """Reads the manifests of a configuration from its store."""

    def __init__(self, config: Config, store: ObjectStore) -> None:
        self.config = config
        self.store = store

    def read_manifest(self, ref: str) -> Manifest:
        """GET and parse one manifest; its URL must be in an allowed prefix. It is known
        by its key relative to the store root from here on (``Manifest.identity``)."""
        url = self.allowed(ref)
        raw, version = self.store.read(url)
        return replace(parse_manifest(raw, url, version), key=self.store.identity_of(url))

    def allowed(self, ref: str) -> str:
        """The canonical URL of a manifest reference, refused outside the allowed prefixes;
        the error names the reference as given, and where it leads (a symlink)."""
        url = self.store.resolve(ref)
        try:
            return check_allowed(url, self.config.store.allowed_prefixes)
        except ForeignURLError as exc:
            leads = f" (it resolves to {url})" if url != ref else ""
            raise ForeignURLError(exc.reason + leads, file=ref) from None

    def match(self, url: str) -> tuple[DatasetConfig, Partition] | None:
        """The dataset whose manifests pattern the key of ``url`` fits, and the partition
        the key names; None for a key outside every pattern."""
        key = self.store.key_of(url)
        for dataset in self.config.datasets.values():
            partition = dataset.layout.match(key) if key is not None else None
            if partition is not None:
                return dataset, partition
        return None

    def locate(self, url: str, manifest: Manifest | None = None) -> tuple[DatasetConfig, Partition]:
        """The dataset and partition of a manifest: from its key, or from its own keys."""
        found = self.match(url)
        if found is not None:
            dataset, partition = found
            check_partition(partition, url, "the key's partition")
            if manifest is not None:
                if manifest.dataset not in (None, dataset.name):
                    raise ManifestError(
                        f'"dataset" says {manifest.dataset} but the key is {dataset.name}\'s', manifest=url
                    )
                # a dataset partitioned by its files: its key names none (placed checks the files)
                if manifest.partition not in (None, partition) and dataset.partition_from == "manifest":
                    raise ManifestError(
                        f'"partition" says {manifest.partition} but the key says {partition}', manifest=url
                    )
            return dataset, partition
        if manifest is not None and manifest.dataset is not None and manifest.partition is not None:
            named = self.config.datasets.get(manifest.dataset)
            if named is None:
                raise ManifestError(f"dataset {manifest.dataset!r} is not configured", manifest=url)
            if tuple(k for k, _v in manifest.partition.items) != named.partition:
                raise ManifestError(
                    f"partition {manifest.partition} does not have the fields {'/'.join(named.partition)}",
                    manifest=url,
                )
            return named, manifest.partition
        raise ManifestError("matches no dataset's manifests pattern and names no dataset and partition", manifest=url)

    def validated(self, manifest: Manifest, dataset: DatasetConfig, listings: Listings | None = None) -> Manifest:
        if not manifest.entries and not dataset.allow_empty:
            raise EmptyManifestError(
                f"lists no files, and {dataset.name} has allow_empty = false", manifest=manifest.url
            )
        if manifest.format not in (None, dataset.format):
            raise ManifestError(
                f"format {manifest.format} differs from {dataset.name}'s {dataset.format}", manifest=manifest.url
            )
        return check_files(manifest, self.store, self.config.store.allowed_prefixes, listings)

    @staticmethod
    def placed(dataset: DatasetConfig, partition: Partition, manifest: Manifest) -> dict[Partition, Manifest]:
        """A validated manifest by partition: in the one its key (or its own keys) named,
        or, where the dataset takes partitions from its files, split by theirs (each part
        keeps the manifest's identity; a file whose path names none fails it whole, and so
        does a file outside the partition the manifest's own ``partition`` names)."""
        if dataset.partition_from == "manifest":
            return {partition: manifest}
        parts = split_by_files(manifest, dataset.partition)
        named = manifest.partition
        if named is not None and named.items and set(parts) - {named}:
            found = ", ".join(p.key for p in parts if p != named)
            raise ManifestError(f'"partition" says {named} but its files lie in {found}', manifest=manifest.url)
        return parts

    def partition_manifests(
        self, dataset: DatasetConfig, partition: Partition, recorded: Iterable[str] = ()
    ) -> list[Manifest]:
        """Every manifest of a partition: one LIST of its prefix, plus the ``recorded``
        ones (manifest keys the load state says belong to it) that lie elsewhere — a
        manifest naming its own dataset and partition may live outside the folder. A
        recorded manifest that is gone from the store is no longer part of it. A dataset
        partitioned by its files lists every manifest of its pattern and keeps the part of
        each that falls in the partition (``loaders compile --partition``)."""
        prefix = self.store.root + dataset.layout.prefix(partition)
        found: dict[str, Manifest] = {}
        listings: Listings = {}
        by_files = dataset.partition_from == "files"
        for obj in self.store.list(prefix):
            key = self.store.key_of(obj.url)
            at = dataset.layout.match(key) if key is not None else None
            # a dataset partitioned by its files: every manifest of its pattern may hold files of this partition
            if at is not None and (at == partition or by_files):
                manifest = self.read_manifest(obj.url)
                self.locate(manifest.url, manifest)
                part = self.placed(dataset, at, self.validated(manifest, dataset, listings)).get(partition)
                if part is not None:
                    found[manifest.identity[0]] = part
        for key in sorted(set(recorded) - set(found)):
            try:
                manifest = self.read_manifest(key if "://" in key else self.store.root + key)
            except MissingFileError:
                log.warning("dataset=%s partition=%s: recorded manifest %s is gone; not reloaded", dataset.name,
                            partition, key)  # fmt: skip
                continue
            try:
                if self.locate(manifest.url, manifest) != (dataset, partition):
                    continue  # it now says it belongs elsewhere
            except ManifestError as exc:  # rewritten to name no (configured) dataset or partition
                log.warning("dataset=%s partition=%s: recorded manifest %s no longer belongs here (%s); not reloaded",
                            dataset.name, partition, key, exc.reason)  # fmt: skip
                continue
            found[manifest.identity[0]] = self.validated(manifest, dataset, listings)
        return list(found.values())
