"""The checks of ``loaders doctor``: the configuration reads, the store lists and one
manifest under each dataset's pattern reads, the allowed prefixes cover the store root,
and each sink connects. Each check is one :class:`Check`: passed or not, what it looked
at, and on failure the one-line reason and the fix."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from loaders.config import Config, DatasetConfig
from loaders.reading import ManifestReader
from manifests import ConfigError, LoaderError, Partition
from manifests.store import ObjectStore, open_store
from manifests.urls import as_prefix
from sinks import open_sink


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def config_check(source: str) -> Check:
    return Check("config", True, f"{source} reads")


def config_failure(error: ConfigError) -> Check:
    return Check("config", False, str(error), "correct the configuration named in the message")


def run_checks(config: Config, only_sink: str | None = None) -> list[Check]:
    """Every check of ``config`` (the configuration itself already read), in order."""
    if only_sink is not None and only_sink not in config.sinks:
        raise ConfigError(f"--sink {only_sink}: no such sink in {config.source} (have: {', '.join(config.sinks)})")
    checks = [config_check(config.source)]
    try:
        store = open_store(config.store.root, config.store.endpoint_url, base_dir=config.base_dir)
    except LoaderError as exc:
        checks.append(Check("store", False, f"{config.store.root}: {exc}", "check store.root and its credentials"))
        return checks
    checks.append(_prefix_check(config, store.root))
    checks += list(_store_checks(config, store))
    names = [only_sink] if only_sink else list(config.sinks)
    checks += [_sink_check(config, store, name) for name in names]
    return checks


def _prefix_check(config: Config, reader_root: str) -> Check:
    """The store root must lie under an allowed prefix, or no manifest of it could load."""
    prefix = as_prefix(reader_root)
    if any(prefix.startswith(p) for p in config.store.allowed_prefixes):
        return Check("allowed_prefixes", True, f"cover {reader_root}")
    return Check(
        "allowed_prefixes",
        False,
        f"{reader_root} is outside {', '.join(config.store.allowed_prefixes)}",
        "add the store root (or a prefix of it) to store.allowed_prefixes",
    )


def _store_checks(config: Config, store: ObjectStore) -> Iterator[Check]:
    """The root lists; then, per dataset, one manifest under its pattern reads."""
    try:
        found = store.list(store.root)
    except LoaderError as exc:
        yield Check("store", False, f"{store.root}: {exc}", "check store.root, the bucket and the credentials")
        return
    if not found:
        yield Check("store", False, f"{store.root}: empty or missing", "check store.root: nothing lies under it")
        return
    yield Check("store", True, f"{store.root} lists")
    reader = ManifestReader(config, store)
    for dataset in config.datasets.values():
        yield _manifest_check(reader, store, dataset)


def _manifest_check(reader: ManifestReader, store: ObjectStore, dataset: DatasetConfig) -> Check:
    name = f"dataset {dataset.name}"
    prefix = store.root + dataset.layout.prefix(Partition.of([]))
    try:
        urls = sorted(o.url for o in store.list(prefix) if reader.match(o.url) is not None)
        if not urls:
            return Check(name, True, f"no manifest yet under {prefix}")
        reader.read_manifest(urls[-1])
    except LoaderError as exc:
        fix = "fix or replace that manifest (loaders manifest build writes valid ones)"
        return Check(name, False, f"{type(exc).__name__}: {exc}", fix)
    return Check(name, True, f"{urls[-1]} reads")


def _sink_check(config: Config, store: ObjectStore, name: str) -> Check:
    """Open the sink and ask it one cheap question (whether it holds load state)."""
    label = f"sink {name}"
    try:
        sink = open_sink(name, config.sinks[name], store, config.base_dir)
        try:
            has = sink.has_state()
        finally:
            sink.close()
    except ConfigError as exc:
        return Check(label, False, str(exc), f"correct sinks.{name} in {config.source}")
    except LoaderError as exc:
        return Check(
            label, False, f"{type(exc).__name__}: {exc}", f"check that sinks.{name} is reachable and its credentials"
        )
    return Check(label, True, "connects" + ("" if has else " (no load state yet)"))
