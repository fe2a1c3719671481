"""The runner: manifests in, one load unit per (sink, dataset, partition), outcomes out.

It reads and validates each manifest once, works out its dataset and partition (from
the manifest's key through the dataset's pattern, or from the manifest's own keys),
gathers the partition's other manifests when the strategy replaces whole partitions,
and hands each sink one unit. A failure is reported as an outcome and never stops the
other units. It is recorded as the partition's failed attempt only when it is about the
partition: a manifest that could not even be read (a mistyped path, a missing object, no
credentials) or that names no configured dataset, and a configuration error (a sink that
cannot be opened, refused credentials), say nothing about the partition's data, so they
are reported against the manifest or the sink and leave the partition's state alone.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from loaders.config import Config, DatasetConfig
from manifests import (
    ConfigError,
    DuplicateFileError,
    EmptyManifestError,
    ForeignURLError,
    InternalError,
    LoaderError,
    Manifest,
    ManifestError,
    MissingFileError,
    Partition,
    parse_manifest,
)
from manifests.check import Listings, check_files, unique_files
from manifests.models import AVRO_FORMATS
from manifests.parse import check_partition
from manifests.store import ObjectStore, open_store
from manifests.urls import check_allowed
from sinks import Sink, Strategy, open_sink
from sinks.base import LoadResult, LoadUnit, PartitionState

log = logging.getLogger("loaders")


@dataclass(frozen=True)
class Outcome:
    """One unit's result, as the CLI and the Lambda report it."""

    sink: str
    dataset: str | None
    partition: str | None
    action: str
    rows: int = 0
    manifests: int = 0
    reason: str = ""
    error: str | None = None
    error_class: str | None = None
    transient: bool = False
    load_id: str | None = None
    #: the manifest a failure is about, where one is (as the request named it)
    manifest: str | None = None

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "sink": self.sink,
            "dataset": self.dataset,
            "partition": self.partition,
            "action": self.action,
            "rows": self.rows,
            "manifests": self.manifests,
            "reason": self.reason,
            "load_id": self.load_id,
        }
        if self.action == "failed":
            doc.update(error=self.error, error_class=self.error_class, transient=self.transient)
            doc["manifest"] = self.manifest
        return doc

    @property
    def config_error(self) -> bool:
        """A failure the configuration must fix (CLI exit status 2)."""
        return self.action == "failed" and self.error_class == "ConfigError"


def new_load_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(4)


class Runner:
    """Loads manifests into the configured sinks. Sinks are opened on first use."""

    def __init__(self, config: Config, only_sink: str | None = None, store: ObjectStore | None = None) -> None:
        if only_sink is not None and only_sink not in config.sinks:
            raise ConfigError(f"--sink {only_sink}: no such sink in {config.source} (have: {', '.join(config.sinks)})")
        self.config = config
        self.only_sink = only_sink
        self.store = store or open_store(config.store.root, config.store.endpoint_url, base_dir=config.base_dir)
        self._sinks: dict[str, Sink] = {}
        self._registry: Any = None  # the schema registry, for avro-wrapped datasets

    def sink(self, name: str) -> Sink:
        if name not in self._sinks:
            self._sinks[name] = open_sink(name, self.config.sinks[name], self.store, self.config.base_dir)
        return self._sinks[name]

    def sink_names(self, dataset: DatasetConfig) -> list[str]:
        return [s for s in dataset.sinks if self.only_sink in (None, s)]

    def close(self) -> None:
        for sink in self._sinks.values():
            sink.close()
        self._sinks.clear()

    # -- reading manifests ------------------------------------------------------------

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
                if manifest.partition not in (None, partition):
                    raise ManifestError(
                        f'"partition" says {manifest.partition} but the key says {partition}', manifest=url
                    )
            return dataset, partition
        if manifest is not None and manifest.dataset is not None and manifest.partition is not None:
            dataset = self.config.datasets.get(manifest.dataset)
            if dataset is None:
                raise ManifestError(f"dataset {manifest.dataset!r} is not configured", manifest=url)
            if tuple(k for k, _v in manifest.partition.items) != dataset.partition:
                raise ManifestError(
                    f"partition {manifest.partition} does not have the fields {'/'.join(dataset.partition)}",
                    manifest=url,
                )
            return dataset, manifest.partition
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

    def partition_manifests(
        self, dataset: DatasetConfig, partition: Partition, recorded: Iterable[str] = ()
    ) -> list[Manifest]:
        """Every manifest of a partition: one LIST of its prefix, plus the ``recorded``
        ones (manifest keys the load state says belong to it) that lie elsewhere — a
        manifest naming its own dataset and partition may live outside the folder. A
        recorded manifest that is gone from the store is no longer part of it."""
        prefix = self.store.root + dataset.layout.prefix(partition)
        found: dict[str, Manifest] = {}
        listings: Listings = {}
        for obj in self.store.list(prefix):
            key = self.store.key_of(obj.url)
            if key is not None and dataset.layout.match(key) == partition:
                manifest = self.read_manifest(obj.url)
                self.locate(manifest.url, manifest)
                found[manifest.identity[0]] = self.validated(manifest, dataset, listings)
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

    def recorded_manifests(
        self, dataset: DatasetConfig, partitions: Iterable[Partition]
    ) -> tuple[dict[Partition, set[str]], dict[str, LoaderError]]:
        """The manifest keys each partition's load state lists, in any of the dataset's
        sinks (one state query per sink): what ``replace`` must reload besides the
        partition's folder. Also the sinks whose state could not be read, and why: those
        must not replace a partition now, or a manifest only they record would be lost."""
        wanted = list(partitions)
        found: dict[Partition, set[str]] = {p: set() for p in wanted}
        unreadable: dict[str, LoaderError] = {}
        by_key = {p.key: p for p in wanted}
        for name in self.sink_names(dataset):
            try:
                snapshots = self.sink(name).snapshot(dataset.name, wanted)
            except LoaderError as exc:
                log.warning("sink=%s: cannot read the load state of %s (%s)", name, dataset.name, exc)
                unreadable[name] = exc
                continue
            for key, snap in snapshots.items():
                if key in by_key:
                    found[by_key[key]] |= {k for k, _version in snap.applied}
        return found, unreadable

    # -- loading ------------------------------------------------------------------------

    def load(self, refs: Sequence[str]) -> list[Outcome]:
        """Load the given manifests (S3 URLs, file URLs or paths relative to the root)."""
        outcomes: list[Outcome] = []
        groups: dict[tuple[str, Partition], list[Manifest]] = {}
        listings: Listings = {}
        for ref in refs:
            dataset: DatasetConfig | None = None
            partition: Partition | None = None
            try:
                url = self.allowed(ref)
                with contextlib.suppress(ManifestError):  # its own keys may still say, once read
                    dataset, partition = self.locate(url)
                manifest = self.read_manifest(url)
                dataset, partition = self.locate(url, manifest)
            except Exception as exc:  # never reached the partition: reported against the manifest
                outcomes.extend(self.failed(dataset, partition, exc, manifest=ref, record=False))
                continue
            try:
                manifest = self.validated(manifest, dataset, listings)
            except Exception as exc:  # a bug too (see failed): this manifest fails, the others go on
                outcomes.extend(self.failed(dataset, partition, exc, manifest=ref))
                continue
            groups.setdefault((dataset.name, partition), []).append(manifest)
        by_dataset: dict[str, dict[Partition, list[Manifest]]] = {}
        for (name, partition), manifests in groups.items():
            by_dataset.setdefault(name, {})[partition] = manifests
        for name, partitions in by_dataset.items():
            try:
                outcomes.extend(self.load_partitions(self.config.datasets[name], partitions))
            except Exception as exc:  # before any unit ran (a state query of replace): other datasets go on
                for partition in partitions:
                    outcomes.extend(self.failed(self.config.datasets[name], partition, exc))
        return outcomes

    def load_partitions(
        self,
        dataset: DatasetConfig,
        partitions: Mapping[Partition, Iterable[Manifest] | None],
        *,
        sinks: Sequence[str] | None = None,
        force: bool = False,
    ) -> list[Outcome]:
        """Load partitions of one dataset into each of its sinks (or the ones given).

        ``None`` for a partition means "every manifest it has", found with one LIST.
        ``replace`` always loads the union of a partition's manifests: the given ones,
        its folder's, and those its load state records elsewhere. A data file may belong
        to one manifest of one partition of the load: the partitions of manifests that
        share a file fail (DuplicateFileError naming both), the others load.
        """
        outcomes: list[Outcome] = []
        units: list[LoadUnit] = []
        load_id = new_load_id()
        staged: list[str] = []
        target = dataset.target
        names = list(sinks) if sinks is not None else self.sink_names(dataset)
        whole = dataset.strategy is Strategy.REPLACE
        try:
            recorded, unreadable = self.recorded_manifests(dataset, partitions) if whole else ({}, {})
            for name in [n for n in names if n in unreadable]:  # without its state, replace could lose rows
                names.remove(name)
                for partition in partitions:
                    outcomes.extend(self.failed(dataset, partition, unreadable[name], [name]))
            chosen: dict[Partition, list[Manifest]] = {}
            for partition, given in partitions.items():
                try:
                    listed = (
                        self.partition_manifests(dataset, partition, recorded.get(partition, ()))
                        if whole or given is None
                        else []
                    )
                except Exception as exc:  # a bug too (see failed): this partition fails, the others go on
                    outcomes.extend(self.failed(dataset, partition, exc, names))
                    continue
                # one manifest announced under two spellings, or announced and listed, is one;
                # read twice meanwhile rewritten, the later (listed) read is the one loaded
                unique = {m.identity[0]: m for m in (*(given or ()), *listed)}
                chosen[partition] = sorted(unique.values(), key=lambda m: m.identity)
            clashes = unique_files((p.key, m) for p, ms in chosen.items() for m in ms)
            for partition, manifests in chosen.items():
                clash = next((clashes[m.url] for m in manifests if m.url in clashes), None)
                if clash is not None:
                    exc = DuplicateFileError(clash[0])
                    outcomes.extend(self.failed(dataset, partition, exc, names))
                    continue
                try:
                    if dataset.format in AVRO_FORMATS:
                        manifests = self._avro_pending(dataset, partition, manifests, names, force)
                        manifests = [self._to_parquet(m, dataset.format, staged, load_id) for m in manifests]
                except Exception as exc:  # a bug too (see failed): this partition fails, the others go on
                    outcomes.extend(self.failed(dataset, partition, exc, names))
                    continue
                units.append(
                    LoadUnit(
                        target=target, partition=partition, manifests=tuple(manifests), load_id=load_id, force=force
                    )
                )
            for name in names:
                outcomes.extend(self.run_units(name, units))
        finally:
            for url in staged:  # after every sink has loaded (or failed): nothing reads them any more
                try:
                    self.store.delete(url)
                except LoaderError as exc:
                    log.warning("could not remove the staged copy %s: %s", url, exc)
        return outcomes

    def _avro_pending(
        self, dataset: DatasetConfig, partition: Partition, manifests: list[Manifest], sinks: Sequence[str], force: bool
    ) -> list[Manifest]:
        """The Avro manifests some sink still needs: converting costs a download and an
        upload of every file, so a duplicate delivery of an applied manifest asks the
        state first (one query per sink) and converts nothing. A sink that applied some
        of them skips those itself, as ever; replace needs all of them or none."""
        if force:
            return manifests
        wanted = {m.identity for m in manifests}
        needed: set[tuple[str, str]] = set()
        for name in sinks:
            try:
                snap = self.sink(name).snapshot(dataset.name, [partition]).get(partition.key)
            except LoaderError:  # unknown: convert, and let that sink's load say what is wrong
                return manifests
            applied = set(snap.applied) if snap is not None else set()
            if dataset.strategy is Strategy.REPLACE:
                needed |= wanted if applied != wanted else set()
            else:
                needed |= wanted - applied
        return [m for m in manifests if m.identity in needed]

    def _to_parquet(self, manifest: Manifest, fmt: str, staged: list[str], attempt: str) -> Manifest:
        from manifests.convert import convert
        from manifests.schemas import SchemaRegistry

        if self._registry is None:
            self._registry = SchemaRegistry(self.store)
        return convert(manifest, fmt, self.store, self._registry, staged, attempt)

    def run_units(self, sink_name: str, units: Sequence[LoadUnit]) -> list[Outcome]:
        """Hand units to a sink: all in one transaction where it can, else one by one.

        If a batch fails, it has rolled back whole; the units are then retried one by one
        so that one bad partition fails alone and the error names it.
        """
        try:
            sink = self.sink(sink_name)
        except Exception as exc:  # misconfigured, or unreachable for now: its units fail, other sinks go on
            return [
                failure_outcome(sink_name, u.target.dataset, u.partition, as_failure(exc, manifest=_one(u)), u.load_id)
                for u in units
            ]
        if len(units) > 1 and sink.capabilities.batch_partitions:
            try:
                results = sink.load_many(units)
            except ConfigError as exc:  # the sink's configuration, not any one unit: each fails, unrecorded
                return [failure_outcome(sink_name, u.target.dataset, u.partition, exc, u.load_id) for u in units]
            except Exception as exc:  # rolled back whole, a bug included: one by one says which unit
                log.warning(
                    "sink=%s: batch of %d partitions failed (%s); loading one by one", sink_name, len(units), exc
                )
            else:
                return [self._outcome(sink_name, u, r) for u, r in zip(units, results, strict=True)]
        return [self.run_unit(sink_name, unit) for unit in units]

    def run_unit(self, sink_name: str, unit: LoadUnit) -> Outcome:
        dataset = unit.target.dataset
        try:
            result = self.sink(sink_name).load(unit)
        except Exception as exc:  # a bug or an unexpected driver error too: still this unit only
            failure = as_failure(exc, manifest=_one(unit))
            self.record_failure(sink_name, dataset, unit.partition, unit.load_id, failure)
            return failure_outcome(sink_name, dataset, unit.partition, failure, unit.load_id)
        return self._outcome(sink_name, unit, result)

    @staticmethod
    def _outcome(sink_name: str, unit: LoadUnit, result: LoadResult) -> Outcome:
        # DEBUG: the CLI reports every unit itself, and the Lambda worker logs one
        # structured line per unit; a second line per unit at INFO was noise there
        log.debug(
            "sink=%s dataset=%s partition=%s action=%s rows=%d load_id=%s",
            sink_name, unit.target.dataset, unit.partition, result.action, result.rows, unit.load_id,
        )  # fmt: skip
        return Outcome(
            sink=sink_name,
            dataset=unit.target.dataset,
            partition=unit.partition.key,
            action=result.action,
            rows=result.rows,
            manifests=result.manifests,
            reason=result.reason,
            load_id=unit.load_id,
        )

    def chosen_sinks(self) -> list[tuple[str, Sink]]:
        """(name, sink) of ``--sink``, or of every configured sink, opened."""
        return [(name, self.sink(name)) for name in ([self.only_sink] if self.only_sink else list(self.config.sinks))]

    def states(self, dataset: str | None = None) -> list[tuple[str, PartitionState]]:
        return [(name, s) for name, sink in self.chosen_sinks() for s in sink.states(dataset)]

    # -- failures -----------------------------------------------------------------------

    def failed(
        self,
        dataset: DatasetConfig | None,
        partition: Partition | None,
        exc: Exception,
        sinks: Sequence[str] | None = None,
        *,
        manifest: str | None = None,
        record: bool = True,
    ) -> list[Outcome]:
        """A partition that failed before any sink saw it, reported as one outcome per sink
        (one load id) and recorded as the partition's failed attempt in each — unless
        ``record`` is off (the manifest was never read, so nothing is known of the
        partition) or it is a ConfigError (the configuration's fault, not the partition's).
        An exception that is no LoaderError is a bug met on the way: an InternalError
        naming ``manifest``."""
        exc = as_failure(exc, manifest=manifest)
        if dataset is None or partition is None:
            return [failure_outcome("-", None, None, exc, manifest=manifest)]
        load_id = new_load_id()
        out = []
        for name in sinks if sinks is not None else self.sink_names(dataset):
            if record:
                self.record_failure(name, dataset.name, partition, load_id, exc)
            out.append(failure_outcome(name, dataset.name, partition, exc, load_id, manifest=manifest))
        return out

    def record_failure(self, sink: str, dataset: str, partition: Partition, load_id: str, exc: LoaderError) -> None:
        """The partition's failed attempt, in the sink's state. A ConfigError is the
        configuration's fault, not the partition's: it is reported, never recorded."""
        if isinstance(exc, ConfigError):
            return
        try:
            self.sink(sink).fail(dataset, partition, load_id, exc)
        except Exception as second:  # the failure is reported all the same
            log.warning("sink=%s: could not record the failure of %s/%s: %s", sink, dataset, partition, second)


def _one(unit: LoadUnit) -> str | None:
    """The manifest an error inside a unit names: its only one (of several, none is to blame)."""
    return unit.manifests[0].url if len(unit.manifests) == 1 else None


def as_failure(exc: Exception, *, manifest: str | None = None) -> LoaderError:
    """What a failure is reported as: a LoaderError as it is; any other exception (a bug,
    or a driver error no sink maps) as an InternalError, terminal, so that it fails the
    one unit it happened in, not the command, and is not retried for ever. Its traceback
    is logged at INFO (``-v``): the report itself stays one line."""
    if isinstance(exc, LoaderError):
        return exc
    log.info("unexpected %s", type(exc).__name__, exc_info=exc)
    return InternalError(f"unexpected {type(exc).__name__}: {exc}", manifest=manifest)


def failure_outcome(
    sink: str,
    dataset: str | None,
    partition: Partition | None,
    exc: LoaderError,
    load_id: str | None = None,
    manifest: str | None = None,
) -> Outcome:
    return Outcome(
        sink=sink,
        dataset=dataset,
        partition=partition.key if partition else None,
        action="failed",
        reason=exc.reason,
        error=str(exc),
        error_class=type(exc).__name__,
        transient=exc.transient,
        load_id=load_id,
        manifest=manifest or exc.manifest,
    )


__all__ = ["Outcome", "Runner", "new_load_id"]
