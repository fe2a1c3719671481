"""``loaders compile``: the exact SQL a load would run, without connecting to any warehouse.

The sink's own load code runs in *recording* mode (``CompileAnswers.recording``): every statement
is rendered from the same templates, with the same lookup (project ``sql/`` first), in the
same order, and kept instead of sent; the questions a load asks the engine (is the state
there, what did staging find, which manifests are applied) get fixed answers. So what is
compiled is what runs, not a second description of it that could drift.

Written per sink and dataset, under ``DIR/<sink>/<dataset>/``:

    NN_<step>.sql               a load of the partition where the state and the target table
                                exist (the load that runs every day)
    first_load/NN_<step>.sql    the first load: state tables and target created, then filled
    status/NN_<step>.sql        what ``status``, ``sweep`` and a failed load run
    reset/NN_<step>.sql         what ``loaders reset`` runs: clearing a failed attempt,
                                then forgetting the applied manifests
    schema_change/NN_<step>.sql what a load adds when its data brings a new column
                                (``new_column``) and declares its writer schema: only
                                the statements the daily load does not run
    state_upgrade/NN_<step>.sql what the first load after an upgrade adds when the state
                                holds manifests by absolute URL (older versions): the
                                one-time rewrite of them as keys relative to the root

The partition's real manifests are used when ``--partition`` is given and the store holds
them (columns then come from the first data file); otherwise a sample manifest and sample
columns. Output is deterministic: the load id and the clock are placeholders, paths of
templates are relative, and secrets are redacted.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from loaders.config import Config, DatasetConfig
from loaders.runner import Runner
from manifests import ConfigError, Entry, LoaderError, Manifest, Partition
from manifests.secrets import redact
from manifests.store import open_object
from sinks.base import CompileAnswers, CompileSample, LoadUnit
from sinks.sql.recording import Recorded
from sinks.sql.templates import SHIPPED

LOAD_ID = "<load_id>"
NOW = "<now>"
SAMPLE_VALUES = {"dt": "2026-01-01", "hour": "00"}
#: what the schema_change/ recording's data brings: a new column and a declared schema
NEW_COLUMN = "new_column"
FINGERPRINT = "<fingerprint>"
#: what the state_upgrade/ recording's state holds: a manifest by absolute URL
LEGACY_MANIFEST = "manifests/recorded-by-url.json"
EXTENSIONS = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl", "avro": "avro", "avro-wrapped": "avro"}


@dataclass(frozen=True)
class Statement:
    sink: str
    dialect: str
    dataset: str
    path: Path
    step: str
    sql: str


@dataclass
class Compiled:
    statements: list[Statement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def compile_project(
    config: Config,
    out_dir: str | Path,
    *,
    sink: str | None = None,
    dataset: str | None = None,
    partition: str | None = None,
) -> Compiled:
    """Render and write every statement; returns them (for ``--check``) and notes."""
    if sink is not None and sink not in config.sinks:
        raise ConfigError(f"--sink {sink}: no such sink in {config.source}")
    config.check_datasets([dataset])
    out = Path(out_dir)
    result = Compiled()
    with Runner(config) as runner:
        for name, options in config.sinks.items():
            if sink not in (None, name):
                continue
            opened = runner.sink(name)  # an unknown type is a ConfigError here
            if not isinstance(opened, CompileAnswers):
                result.notes.append(f"sink {name} ({options.get('type')}): runs no SQL templates; nothing compiled")
                continue
            for ds in config.datasets.values():
                if dataset in (None, ds.name) and name in ds.sinks:
                    result.statements += _compile_one(runner, opened, ds, partition, out / name / ds.name, result.notes)
    return result


def _compile_one(
    runner: Runner,
    sink: CompileAnswers,
    dataset: DatasetConfig,
    partition_arg: str | None,
    folder: Path,
    notes: list[str],
) -> list[Statement]:
    partition, manifests, columns = _inputs(runner, dataset, partition_arg, notes)
    unit = LoadUnit(target=dataset.target, partition=partition, manifests=tuple(manifests), load_id=LOAD_ID)
    counts = [(runner.store.engine_path(e.url), e.record_count or 0) for m in manifests for e in m.entries]
    # a later load whose data brings a column the target lacks and declares its writer
    # schema: only the statements the daily load does not have are written
    changed = LoadUnit(
        target=dataset.target,
        partition=partition,
        manifests=tuple(replace(m, schemas=(FINGERPRINT,)) for m in manifests),
        load_id=LOAD_ID,
    )
    runs: list[tuple[str, Callable[[], object], bool, list[tuple[str, str]]]] = [
        ("", lambda: sink.load(unit), True, columns),
        ("first_load", lambda: sink.load(unit), False, columns),
        ("status", lambda: _status(sink, dataset.name, partition), True, columns),
        ("reset", lambda: _reset(sink, dataset.name, partition), True, columns),
        ("schema_change", lambda: sink.load(changed), True, [*columns, (NEW_COLUMN, "VARCHAR")]),
        ("state_upgrade", lambda: sink.load(unit), True, columns),
    ]
    if folder.exists():
        shutil.rmtree(folder)
    written: list[Statement] = []
    daily: set[str] = set()
    for sub, run, exists, staged in runs:
        legacy = runner.store.root + LEGACY_MANIFEST if sub == "state_upgrade" else None
        sample = CompileSample(
            columns=tuple(staged),
            fields=tuple(dataset.partition),
            counts=tuple(counts),
            exists=exists,
            target=tuple(columns),
            legacy=legacy,
            load_id=LOAD_ID,
            now=NOW,
        )
        with sink.recording(sink.sample_answers(sample), clock=lambda: NOW) as kept:
            run()
        if not sub:
            daily = {rec.step for rec in kept}
        elif sub in ("schema_change", "state_upgrade"):
            kept = [rec for rec in kept if rec.step not in daily]
            if not kept:  # a sink whose state needs no upgrade (Athena keeps it in S3 objects)
                continue
        written += _write(sink, dataset.name, folder / sub if sub else folder, partition, kept)
    return written


def _reset(sink: CompileAnswers, dataset: str, partition: Partition) -> None:
    """``loaders reset``: clearing a failed attempt, then forgetting the applied manifests."""
    sink.reset(dataset, partition, forget=False)
    sink.reset(dataset, partition, forget=True)


def _status(sink: CompileAnswers, dataset: str, partition: Partition) -> None:
    sink.snapshot(dataset, [partition])
    sink.states(dataset)
    sink.execute("rollback", load_id=LOAD_ID)  # what a load that fails midway sends
    sink.fail(dataset, partition, LOAD_ID, RuntimeError("<error>"))


def _write(
    sink: CompileAnswers, dataset: str, folder: Path, partition: Partition, kept: list[Recorded]
) -> list[Statement]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for number, rec in enumerate(kept, start=1):
        path = folder / f"{number:02d}_{rec.step}.sql"
        header = (
            f"-- loaders compile: sink {sink.name} ({sink.capabilities.dialect}), dataset {dataset}, "
            f"partition {partition.key}\n-- step {rec.step}, template {_relative(rec.template)}\n"
        )
        sql = redact(rec.sql)
        path.write_text(f"{redact(header)}{sql}\n", encoding="utf-8")
        out.append(Statement(sink.name, sink.capabilities.dialect, dataset, path, rec.step, sql))
    return out


def _relative(template: str) -> str:
    path = Path(template)
    try:
        return f"shipped sql/{path.relative_to(SHIPPED).as_posix()}"
    except ValueError:
        return f"project sql/{path.parent.name}/{path.name}"


# -- what to compile from ------------------------------------------------------------------


def _inputs(
    runner: Runner, dataset: DatasetConfig, partition_arg: str | None, notes: list[str]
) -> tuple[Partition, list[Manifest], list[tuple[str, str]]]:
    if partition_arg is None:
        partition = Partition.of({k: SAMPLE_VALUES.get(k, "sample") for k in dataset.partition})
        return partition, [_sample_manifest(runner, dataset, partition)], _sample_columns(dataset)
    try:
        partition = Partition.parse(partition_arg)
    except ValueError as exc:
        raise ConfigError(f"--partition: {exc}") from None
    if tuple(k for k, _v in partition.items) != dataset.partition:
        raise ConfigError(f"--partition {partition_arg}: {dataset.name} is partitioned by {list(dataset.partition)}")
    try:
        manifests = runner.partition_manifests(dataset, partition)
    except LoaderError as exc:
        notes.append(f"{dataset.name} {partition}: store not readable ({exc}); compiled from a sample manifest")
        manifests = []
    if not manifests:
        notes.append(f"{dataset.name} {partition}: no manifest in the store; compiled from a sample manifest")
        return partition, [_sample_manifest(runner, dataset, partition)], _sample_columns(dataset)
    manifests = sorted(manifests, key=lambda m: m.identity)
    return partition, manifests, _columns_of(runner, dataset, manifests, notes)


def _sample_manifest(runner: Runner, dataset: DatasetConfig, partition: Partition) -> Manifest:
    ext = EXTENSIONS[dataset.format]
    root = runner.store.root
    data = f"{root}sample/{dataset.name}/{partition.key}/part-0.{ext}"
    url = f"{root}sample/{dataset.name}/{partition.key}/sample.json"
    # size unknown, not 0: a CSV or JSON-lines file of 0 bytes is skipped (sinks.rules.holds_rows)
    return Manifest(url=url, version="<version>", entries=(Entry(url=data, mandatory=True),))


def _sample_columns(dataset: DatasetConfig) -> list[tuple[str, str]]:
    names = [*dataset.keys, *([dataset.order_by] if dataset.order_by else []), "value"]
    return [(n, "VARCHAR") for n in dict.fromkeys(names) if n not in dataset.partition]


def _columns_of(
    runner: Runner, dataset: DatasetConfig, manifests: Sequence[Manifest], notes: list[str]
) -> list[tuple[str, str]]:
    """Column names of the first data file, read from its footer or first line."""
    entry = next((e for m in manifests for e in m.entries), None)
    if entry is None:
        return _sample_columns(dataset)
    try:
        names = _names(runner, entry.url, dataset.format)
    except Exception as exc:  # any reader error: a sample is still worth reviewing
        notes.append(f"{dataset.name}: could not read the columns of {entry.url} ({exc}); sample columns used")
        return _sample_columns(dataset)
    return [(n, "VARCHAR") for n in names]


def _names(runner: Runner, url: str, fmt: str) -> list[str]:
    """Read only what names the columns: a Parquet footer, a header or first line."""
    with open_object(runner.store, url) as fh:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(fh).names)
        first = fh.readline()
    if fmt == "csv":
        return first.decode("utf-8").strip().split(",")
    if fmt == "jsonl":
        return list(json.loads(first))
    raise ValueError(f"format {fmt}: columns are not read at compile time")


def check(statements: Sequence[Statement]) -> list[str]:
    """Each statement that does not parse in its sink's dialect: ``path: message``."""
    import sqlglot
    from sqlglot.errors import ParseError

    problems = []
    for st in statements:
        try:
            sqlglot.parse(st.sql, read=st.dialect)
        except ParseError as exc:
            first = exc.errors[0] if exc.errors else {}
            where = f"line {first.get('line')}, col {first.get('col')}: " if first else ""
            problems.append(f"{st.path}: does not parse as {st.dialect}: {where}{first.get('description', exc)}")
    return problems
