"""A hostile lake for the adversarial suite (test_adversarial.py): one project per sink,
shared by every case of the module, each case in partitions of its own.

A :class:`World` is a local lake, a loaders.toml with five datasets (Parquet merged on a
key and refusing empty manifests, CSV, JSON lines, Avro, and a Parquet table for odd
column names) and one warehouse. A case writes its bad input into a fresh partition
(``slot``), a good batch goes into another, both are loaded in one command, and the
world's ``snapshot`` of every table and of the load state, taken before and after, shows
what changed: the good partition's rows and state and, for the bad one, a failed attempt
and nothing else.
"""

from __future__ import annotations

import io
import json
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner

from loaders.cli import main
from manifests.store import LocalStore

HOUR = "00"
DATASETS = {"main": "parquet", "csv": "csv", "jsonl": "jsonl", "avro": "avro", "wide": "parquet"}
CONFIG = """
[store]
root = "./lake"

{sink}
"""
DATASET = """
[datasets."adv.{kind}"]
table = "adv.{kind}"
format = "{fmt}"
manifests = "manifests/{kind}/dt={{dt}}/hour={{hour}}/{{batch}}.json"
partition = ["dt", "hour"]
{strategy}
"""
MERGE = 'strategy = "merge"\nkeys = ["id"]\norder_by = "ts"\nallow_empty = false'
#: the good batch each case loads beside its bad input, and what the main table holds
GOOD_SCHEMA = pa.schema([("id", pa.int64()), ("ts", pa.int64()), ("amount", pa.float64())])

Rows = Counter[tuple[Any, ...]]
#: a DB-API connection to the world's warehouse, opened for one snapshot
Connect = Callable[[], AbstractContextManager[Any]]


@dataclass(frozen=True)
class Snapshot:
    """Every table's rows and every state table's rows, as multisets."""

    tables: dict[str, Rows]
    state: dict[str, list[dict[str, Any]]]


@dataclass
class Ran:
    """What one command did: exit status, stdout and stderr apart."""

    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None


@dataclass
class Bad:
    """A case's input: the manifests to load, and what the error line must name."""

    refs: list[str]
    partitions: list[str] = field(default_factory=list)  # partition keys the failure is recorded against
    dataset: str = "adv.main"


class World:
    """One project: lake, loaders.toml, warehouse. ``sink`` is its ``[sinks.local]`` table."""

    def __init__(self, root: Path, sink: str, connect: Connect) -> None:
        self.root = root
        self.store = LocalStore(str(root / "lake"))
        self.connect = connect
        self._next = 0
        self._id = 0
        self.sink = ""
        self.runs: dict[str, Any] = {}  # the suite's commands, run once per world
        datasets = "".join(
            DATASET.format(kind=k, fmt=f, strategy=MERGE if k == "main" else 'strategy = "append"')
            for k, f in DATASETS.items()
        )
        self.config = root / "loaders.toml"
        self.config.write_text(CONFIG.format(sink=sink) + datasets)

    # -- the lake ------------------------------------------------------------------------

    def slot(self) -> str:
        """A partition's ``dt`` no other case uses."""
        self._next += 1
        return (date(2001, 1, 1) + timedelta(days=self._next)).isoformat()

    def key(self, kind: str, dt: str, batch: str) -> str:
        return f"manifests/{kind}/dt={dt}/hour={HOUR}/{batch}.json"

    def data_key(self, kind: str, dt: str, name: str) -> str:
        return f"data/{kind}/dt={dt}/hour={HOUR}/{name}"

    def put(self, key: str, data: bytes) -> str:
        """Write an object under the lake; returns its key."""
        self.store.write(self.store.resolve(key), data)
        return key

    def path(self, key: str) -> Path:
        return self.root / "lake" / key

    def manifest(self, key: str, doc: Any) -> str:
        """A manifest as given: a dict or list is dumped as JSON, str or bytes written as they are."""
        raw = doc if isinstance(doc, bytes) else (doc if isinstance(doc, str) else json.dumps(doc)).encode()
        return self.put(key, raw)

    def parquet(self, kind: str, dt: str, name: str, table: pa.Table | Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """A Parquet data file; returns its manifest entry (mandatory, size and rows)."""
        table = table if isinstance(table, pa.Table) else pa.Table.from_pylist(list(table))
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        return self.entry(self.put(self.data_key(kind, dt, name), buffer.getvalue()), table.num_rows)

    def text(self, kind: str, dt: str, name: str, text: str | bytes, rows: int | None = None) -> dict[str, Any]:
        """A data file written byte for byte (CSV, JSON lines, a corrupt anything)."""
        data = text.encode() if isinstance(text, str) else text
        return self.entry(self.put(self.data_key(kind, dt, name), data), rows)

    def entry(self, key: str, rows: int | None = None) -> dict[str, Any]:
        meta: dict[str, Any] = {"content_length": self.path(key).stat().st_size}
        if rows is not None:
            meta["record_count"] = rows
        return {"url": key, "mandatory": True, "meta": meta}

    def rows(self, n: int = 2) -> pa.Table:
        """Good rows for the main table, with keys no other case uses."""
        self._id += n
        return pa.Table.from_pylist(
            [{"id": self._id - i, "ts": 1, "amount": 1.5} for i in range(n)], schema=GOOD_SCHEMA
        )

    def batch(self, dt: str, batch: str = "b", *, kind: str = "main", **top: Any) -> str:
        """A good Parquet batch of two rows and its manifest (plus any top-level keys)."""
        entry = self.parquet(kind, dt, f"{batch}.parquet", self.rows())
        return self.manifest(self.key(kind, dt, batch), {"entries": [entry], **top})

    # -- running and looking ---------------------------------------------------------------

    def cli(self, *args: str) -> Ran:
        """The ``loaders`` entry point in this process, as a user runs it, in the project folder."""
        here = os.getcwd()
        os.chdir(self.root)
        try:
            result = CliRunner().invoke(main, [*args, "--config", str(self.config)], catch_exceptions=True)
        finally:
            os.chdir(here)
        exception = result.exception if not isinstance(result.exception, SystemExit) else None
        return Ran(result.exit_code, result.stdout, result.stderr, exception)

    def snapshot(self) -> Snapshot:
        """Every table of the schema ``adv`` and the three state tables (the seed load made them)."""
        with self.connect() as conn:

            def query(sql: str) -> list[tuple[Any, ...]]:
                return [tuple(r) for r in conn.execute(sql).fetchall()]

            tables: dict[str, Rows] = {}
            for (name,) in query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'adv'"):
                tables[name] = Counter(query(f'SELECT * FROM adv."{name}"'))  # a name from the catalogue
            state = {
                name: sorted(
                    (
                        dict(zip(columns, r, strict=True))
                        for r in query(f"SELECT {', '.join(columns)} FROM _loaders.{name}")
                    ),
                    key=repr,
                )
                for name, columns in STATE_COLUMNS.items()
            }
        return Snapshot(tables, state)


STATE_COLUMNS = {
    "partitions": ("dataset", "partition_key", "status", "rows_loaded", "manifests", "last_error"),
    "manifests": ("dataset", "partition_key", "url", "version", "rows_loaded"),
    "schemas": ("dataset", "fingerprint", "partition_key"),
}


def changes(before: Snapshot, after: Snapshot) -> dict[str, Any]:
    """What a command changed: rows added or removed per table, state rows added or removed."""
    out: dict[str, Any] = {}
    for name in sorted(set(before.tables) | set(after.tables)):
        old, new = before.tables.get(name, Counter()), after.tables.get(name, Counter())
        if old != new:
            out[f"table {name}"] = {"added": sorted(new - old, key=repr), "removed": sorted(old - new, key=repr)}
    for name in STATE_COLUMNS:
        old_rows, new_rows = before.state[name], after.state[name]
        added = [r for r in new_rows if r not in old_rows]
        removed = [r for r in old_rows if r not in new_rows]
        if added or removed:
            out[f"state {name}"] = {"added": added, "removed": removed}
    return out
