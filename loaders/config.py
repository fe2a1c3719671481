"""``loaders.toml``: reading, ``${VAR}`` interpolation and validation.

Every problem is a ConfigError naming the file and the key (CLI exit status 2), found
before anything is loaded. Unknown keys are errors too: a typo such as ``stratgy`` must
not silently fall back to a default.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from loaders.batching import BatchSettings, batch_settings
from loaders.freshness import Freshness, parse_freshness
from loaders.interpolation import interpolate, register_secrets
from loaders.partition_source import dataset_layout
from loaders.timelayout import TimeLayout, default_time, parse_time
from manifests import FORMATS, ConfigError, KeyLayout, ManifestError, Partition
from manifests.models import loaded_format
from manifests.urls import as_prefix, file_url, local_path
from sinks import sink_type
from sinks.base import Strategy, Target

_DURATION = re.compile(r"^(\d+)\s*([dh])$")
_DATASET = re.compile(r"^[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+$")
#: The longest window or duration anything accepts: a century. More is a typo, and
#: somewhere past it date arithmetic leaves the calendar (year 1) and overflows.
MAX_DAYS = 36_600

DATASET_KEYS = {
    "table",
    "freshness",
    "format",
    "manifests",
    "partition",
    "strategy",
    "keys",
    "order_by",
    "lookback",
    "sinks",
    "allow_empty",
    "columns",
    "max_attempts",
    "time",
    "data",
    "batch",
    "partition_from",
}
#: failed attempts after which the scheduled sweep leaves a partition for a person
DEFAULT_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class StoreConfig:
    root: str
    endpoint_url: str | None
    allowed_prefixes: tuple[str, ...]


@dataclass(frozen=True)
class DatasetConfig:
    name: str
    table: str
    format: str
    manifests: str
    partition: tuple[str, ...]
    strategy: Strategy
    keys: tuple[str, ...]
    order_by: str | None
    lookback: timedelta
    sinks: tuple[str, ...]
    allow_empty: bool
    layout: KeyLayout = field(compare=False)
    #: declared CSV column types (name, canonical type), instead of inferred ones
    columns: tuple[tuple[str, str], ...] = ()
    #: failed attempts in a row after which the sweep stops retrying a partition
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    #: how the partition fields spell a day and an hour (None: off the calendar)
    time: TimeLayout | None = field(default=None, compare=False)
    #: where its data files lie and when a batch of them gets a manifest (the builder)
    batch: BatchSettings | None = field(default=None, compare=False)
    #: "manifest": the partition is the manifest key's; "files": each file's path's
    partition_from: str = "manifest"
    #: when its newest load is late enough to warn or to be an error (None: not watched)
    freshness: Freshness | None = field(default=None, compare=False)

    def partition_of(self, text: str, source: str = "partition") -> Partition:
        """``k=v/k=v`` as one of this dataset's partitions (a request's, a command's): a
        ManifestError when it does not parse, holds a control character, or does not have
        the dataset's fields in their order."""
        from manifests.parse import check_partition

        try:
            partition = check_partition(Partition.parse(text), None, source)
        except ValueError as exc:
            raise ManifestError(str(exc)) from None
        if tuple(k for k, _v in partition.items) != self.partition:
            raise ManifestError(f"{source} {partition} does not have {self.name}'s fields {'/'.join(self.partition)}")
        return partition

    @property
    def target(self) -> Target:
        return Target(
            dataset=self.name,
            table=self.table,
            format=loaded_format(self.format),  # Avro reaches every sink as its Parquet copies
            strategy=self.strategy,
            partition_columns=self.partition,
            keys=self.keys,
            order_by=self.order_by,
            column_types=self.columns,
        )


@dataclass(frozen=True)
class Config:
    source: str
    base_dir: str
    store: StoreConfig
    sinks: Mapping[str, Mapping[str, Any]]
    datasets: Mapping[str, DatasetConfig]
    aws: Mapping[str, Any]

    def check_datasets(self, names: Iterable[str | None]) -> None:
        """``--dataset`` values must be configured datasets (None: every dataset)."""
        for name in names:
            if name is not None and name not in self.datasets:
                raise ConfigError(f"--dataset {name}: not configured in {self.source}")


def find_config(path: str | None = None) -> str:
    """``--config``, then LOADERS_CONFIG, then ./loaders.toml."""
    chosen = path or os.environ.get("LOADERS_CONFIG") or "loaders.toml"
    if not chosen.startswith("s3://") and not os.path.exists(chosen):
        raise ConfigError(f"{chosen}: configuration file not found (use --config PATH or LOADERS_CONFIG)")
    return chosen


def load_config(path: str | None = None) -> Config:
    source = find_config(path)
    if source.startswith("s3://"):
        from manifests.store import S3Store

        raw, _version = S3Store(source.rsplit("/", 1)[0]).read(source)
        base_dir = os.getcwd()
    else:
        try:
            with open(source, "rb") as fh:
                raw = fh.read()
        except OSError as exc:  # a folder, no permission, a device that fails: name the problem
            raise ConfigError(f"{source}: cannot read the configuration file ({exc.strerror or exc})") from None
        base_dir = os.path.dirname(os.path.abspath(source))
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc})") from None
    return parse_config(doc, source, base_dir, os.environ)


def parse_config(doc: Mapping[str, Any], source: str, base_dir: str, env: Mapping[str, str]) -> Config:
    template = doc
    doc = interpolate(doc, source, "", env)
    _only(doc, {"store", "sinks", "datasets", "aws"}, source, "")
    store = _store(_table(doc, "store", source, ""), source, base_dir)
    sinks = {}
    for name, raw in _table(doc, "sinks", source, "").items():
        sink = _as_table(raw, source, f"sinks.{name}")
        # secrets first: nothing, an error about this table included, may print them
        register_secrets(template["sinks"][name], sink, env)
        # its type's declared options (sinks/options.py): unknown keys, missing or
        # mistyped values are errors naming the key, found before anything loads
        sink_type(name, sink, source).options.read(name, sink, source)
        sinks[name] = sink
    if not sinks:
        raise ConfigError(f"{source}: [sinks]: configure at least one sink")
    datasets = {
        name: _dataset(name, _as_table(raw, source, f'datasets."{name}"'), source, tuple(sinks))
        for name, raw in _table(doc, "datasets", source, "").items()
    }
    return Config(
        source=source,
        base_dir=base_dir,
        store=store,
        sinks=sinks,
        datasets=datasets,
        aws=_table(doc, "aws", source, ""),
    )


def parse_duration(text: str) -> timedelta:
    found = _DURATION.match(text.strip())
    shown = repr(text if len(text) <= 40 else text[:20] + "…" + text[-4:])
    if not found:
        raise ValueError(f"{shown}: expected a duration such as 3d or 12h")
    n = int(found.group(1)) if len(found.group(1)) <= 9 else MAX_DAYS * 24 + 1
    hours = n * 24 if found.group(2) == "d" else n
    if hours > MAX_DAYS * 24:
        raise ValueError(f"{shown}: at most {MAX_DAYS} days")
    return timedelta(hours=hours)


def _store(raw: dict[str, Any], source: str, base_dir: str) -> StoreConfig:
    _only(raw, {"root", "endpoint_url", "allowed_prefixes"}, source, "store")
    root = raw.get("root")
    if not isinstance(root, str) or not root:
        raise ConfigError(f"{source}: store.root: required (s3://bucket/prefix or a local folder)")
    endpoint = raw.get("endpoint_url")
    if endpoint is not None and not isinstance(endpoint, str):
        raise ConfigError(f"{source}: store.endpoint_url: must be a string")

    def absolute(url: str) -> str:
        """An allowed prefix as the store compares it: a local folder by its real path
        (symlinks resolved), as the local store resolves every URL it hands out."""
        if url.startswith("s3://"):
            return url
        if url.startswith("file://"):
            return file_url(os.path.realpath(local_path(url)))
        if "://" in url:
            raise ConfigError(f"{source}: store: {url!r} must be an s3:// URL or a local folder")
        return file_url(os.path.realpath(os.path.join(base_dir, url)))

    prefixes = raw.get("allowed_prefixes", [root])
    if not isinstance(prefixes, list) or not prefixes or not all(isinstance(p, str) and p for p in prefixes):
        raise ConfigError(f"{source}: store.allowed_prefixes: must be a non-empty list of URLs")
    try:
        allowed = tuple(as_prefix(absolute(p)) for p in prefixes)
    except Exception as exc:
        raise ConfigError(f"{source}: store.allowed_prefixes: {exc}") from None
    return StoreConfig(root=root, endpoint_url=endpoint, allowed_prefixes=allowed)


def _dataset(name: str, raw: dict[str, Any], source: str, sink_names: tuple[str, ...]) -> DatasetConfig:
    where = f'datasets."{name}"'

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{source}: {where}.{key}: {message}")

    if not _DATASET.match(name):
        raise ConfigError(f"{source}: {where}: dataset names are <data_source>.<data_type>")
    _only(raw, DATASET_KEYS, source, where)
    table = raw.get("table")
    if not isinstance(table, str) or not table or any(not p for p in table.split(".")) or table.count(".") > 2:
        raise fail("table", "required, as [schema.]table")
    fmt = raw.get("format", "parquet")
    if fmt not in FORMATS:
        raise fail("format", f"must be one of {', '.join(FORMATS)}, got {fmt!r}")
    pattern = raw.get("manifests")
    if not isinstance(pattern, str) or not pattern:
        raise fail("manifests", "required key pattern, e.g. manifests/src/type/dt={dt}/{batch}.json")
    partition = _strings(raw.get("partition", ["dt"]), fail, "partition")
    if not partition:
        raise fail("partition", "name at least one partition field")
    strategy, keys, order_by = _strategy(raw, fail)
    layout, partition_from = dataset_layout(raw, pattern.lstrip("/"), partition, strategy, fail)
    time = parse_time(raw["time"], partition, fail) if "time" in raw else default_time(partition)
    try:
        lookback = parse_duration(str(raw.get("lookback", "1d")))
    except ValueError as exc:
        raise fail("lookback", str(exc)) from None
    sinks = _strings(raw.get("sinks", list(sink_names)), fail, "sinks")
    unknown = [s for s in sinks if s not in sink_names]
    if unknown:
        raise fail("sinks", f"no sink named {', '.join(unknown)} in [sinks]")
    allow_empty = raw.get("allow_empty", True)
    if not isinstance(allow_empty, bool):
        raise fail("allow_empty", "must be true or false")
    columns = _columns(raw.get("columns", {}), fmt, fail)
    max_attempts = raw.get("max_attempts", DEFAULT_MAX_ATTEMPTS)
    if not isinstance(max_attempts, int) or isinstance(max_attempts, bool) or not 1 <= max_attempts <= 1000:
        raise fail("max_attempts", f"must be a whole number from 1 to 1000, got {max_attempts!r}")
    return DatasetConfig(
        name=name,
        table=table,
        format=fmt,
        manifests=pattern.lstrip("/"),
        partition=partition,
        strategy=strategy,
        keys=keys,
        order_by=order_by,
        lookback=lookback,
        sinks=sinks,
        allow_empty=allow_empty,
        layout=layout,
        columns=columns,
        max_attempts=max_attempts,
        time=time,
        batch=batch_settings(raw, layout, fmt, fail),
        partition_from=partition_from,
        freshness=parse_freshness(raw["freshness"], fail) if "freshness" in raw else None,
    )


def _strategy(raw: dict[str, Any], fail: Any) -> tuple[Strategy, tuple[str, ...], str | None]:
    """A dataset's strategy, its merge keys and its order_by column."""
    try:
        strategy = Strategy(raw.get("strategy", "append"))
    except ValueError:
        raise fail("strategy", f"must be append, merge or replace, got {raw.get('strategy')!r}") from None
    keys = _strings(raw.get("keys", []), fail, "keys")
    order_by = raw.get("order_by")
    if order_by is not None and (not isinstance(order_by, str) or not order_by):
        raise fail("order_by", "must be a column name")
    if strategy is Strategy.MERGE and (not keys or not order_by):
        raise fail("strategy", 'merge needs keys = [...] and order_by = "column"')
    return strategy, keys, order_by


def _columns(value: Any, fmt: str, fail: Any) -> tuple[tuple[str, str], ...]:
    """``columns = { zip = "VARCHAR", amount = "DECIMAL(12, 2)" }``: CSV types declared
    rather than inferred (each engine's inference differs: DuckDB keeps ``007`` as text,
    pyarrow reads it as 7), so every sink reads these columns alike."""
    if not isinstance(value, dict) or not all(isinstance(k, str) and k for k in value):
        raise fail("columns", 'a table of column names to types, e.g. { zip = "VARCHAR" }')
    if not value:
        return ()
    if fmt != "csv":
        raise fail("columns", f"declared types apply to csv; {fmt} files carry their own")
    from sinks.sql.columntypes import declared

    out = []
    for name, kind in value.items():
        if not isinstance(kind, str):
            raise fail(f"columns.{name}", "must be a type name, e.g. VARCHAR")
        try:
            out.append((name, declared(kind)))
        except ValueError as exc:
            raise fail(f"columns.{name}", str(exc)) from None
    return tuple(out)


def _strings(value: Any, fail: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise fail(key, "must be a list of names")
    return tuple(value)


def _table(doc: Mapping[str, Any], key: str, source: str, where: str) -> dict[str, Any]:
    return _as_table(doc.get(key, {}), source, f"{where}.{key}" if where else key)


def _as_table(value: Any, source: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: {where}: must be a table")
    return value


def _only(doc: Mapping[str, Any], allowed: set[str], source: str, where: str) -> None:
    unknown = sorted(set(doc) - allowed)
    if unknown:
        prefix = f"{where}." if where else ""
        raise ConfigError(f"{source}: {prefix}{unknown[0]}: unknown key (expected one of {', '.join(sorted(allowed))})")
