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
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any

from loaders.config import Config, DatasetConfig
from loaders.outcome import Outcome, as_failure, failure_outcome, new_load_id, only_manifest
from loaders.reading import ManifestReader
from loaders.sinkset import OpenSinks
from manifests import ConfigError, DuplicateFileError, LoaderError, Manifest, ManifestError, Partition
from manifests.check import Listings, unique_files
from manifests.models import AVRO_FORMATS
from manifests.store import ObjectStore, open_store
from sinks import Sink, Strategy, open_sink
from sinks.base import LoadResult, LoadUnit, PartitionState

log = logging.getLogger("loaders")


class Runner(ManifestReader):
    """Loads manifests into the configured sinks. Sinks are opened on first use, and
    closed when the runner is (``with Runner(config) as runner:``)."""

    def __init__(self, config: Config, only_sink: str | None = None, store: ObjectStore | None = None) -> None:
        if only_sink is not None and only_sink not in config.sinks:
            raise ConfigError(f"--sink {only_sink}: no such sink in {config.source} (have: {', '.join(config.sinks)})")
        store = store or open_store(config.store.root, config.store.endpoint_url, base_dir=config.base_dir)
        super().__init__(config, store)
        #: the chosen sinks: ``--sink``'s, or every configured one
        self.sinks = OpenSinks([only_sink] if only_sink else list(config.sinks), self.new_sink)
        self._registry: Any = None  # the schema registry, for avro-wrapped datasets

    def __enter__(self) -> Runner:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def new_sink(self, name: str) -> Sink:
        """A new sink of the configuration (the one place a run makes its sinks)."""
        return open_sink(name, self.config.sinks[name], self.store, self.config.base_dir)

    def sink(self, name: str) -> Sink:
        return self.sinks[name]

    def sink_names(self, dataset: DatasetConfig) -> list[str]:
        return self.sinks.of(dataset)

    def close(self) -> None:
        self.sinks.close()

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
                placed = self.placed(dataset, partition, self.validated(manifest, dataset, listings))
            except Exception as exc:  # a bug too (see failed): this manifest fails, the others go on
                # split by its files, a manifest that fails names no one partition: reported against it
                whole = dataset.partition_from == "manifest"
                outcomes.extend(self.failed(dataset if whole else None, partition, exc, manifest=ref, record=whole))
                continue
            for part, piece in placed.items():
                groups.setdefault((dataset.name, part), []).append(piece)
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
            chosen = self._gather(dataset, partitions, recorded, names, outcomes)
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

    def _gather(
        self,
        dataset: DatasetConfig,
        partitions: Mapping[Partition, Iterable[Manifest] | None],
        recorded: Mapping[Partition, Iterable[str]],
        names: Sequence[str],
        outcomes: list[Outcome],
    ) -> dict[Partition, list[Manifest]]:
        """Each partition's manifests to load: the given ones, and where the strategy
        replaces whole partitions (or none were given) every one it has. A partition
        whose manifests cannot be gathered fails (into ``outcomes``), the others go on."""
        whole = dataset.strategy is Strategy.REPLACE
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
        return chosen

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
        so that one bad partition fails alone and the error names it. Units that share a
        manifest (one split by its files' partitions) go one by one too: a sink counts a
        batch's rows per manifest version, which would mix their partitions' counts.
        """
        try:
            sink = self.sink(sink_name)
        except Exception as exc:  # misconfigured, or unreachable for now: its units fail, other sinks go on
            failures = [(u, as_failure(exc, manifest=only_manifest(u))) for u in units]
            return [failure_outcome(sink_name, u.target.dataset, u.partition, f, u.load_id) for u, f in failures]
        if len(units) > 1 and sink.capabilities.batch_partitions and not _shared_manifests(units):
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
            failure = as_failure(exc, manifest=only_manifest(unit))
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
        return list(self.sinks.items())

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


def _shared_manifests(units: Sequence[LoadUnit]) -> bool:
    """Whether two units hold one manifest version (the parts of a manifest split by the
    partitions its files name)."""
    identities = [m.identity for u in units for m in u.manifests]
    return len(identities) != len(set(identities))


__all__ = ["Outcome", "Runner", "as_failure", "failure_outcome", "new_load_id"]
