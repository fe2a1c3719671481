"""What loading a lake must do, stated in plain Python: the reference model that the
differential test (tests/integration/test_differential.py) holds DuckDB, PostgreSQL and
Redshift-on-PostgreSQL to.

The model knows no URL and no SQL. A data file is its index in the scenario and a manifest
its index and version, so every spelling of one object is one object here by construction;
the sinks have to find that out from URLs. The rules it encodes:

- file identity is the object, whatever the spelling (relative, absolute, ``localhost``,
  percent-encoded, through a symlink): a manifest naming one file twice fails with
  DuplicateFileError; a file named by two manifests of one load command fails the units
  holding those manifests (DuplicateFileError), the other units load;
- manifest identity is its key relative to the store root plus its version (a hash of its
  bytes): moving the root changes nothing;
- partition values win over columns of the same name inside the data;
- append applies each manifest version once; merge upserts on ``id``, the newest ``ts``
  wins, the source de-duplicated first, and a pending row with a NULL key fails the unit
  (NullKeyError); replace makes the partition's rows the union of all its manifests: those
  in its folder, those its state says were applied to it, and the new ones;
- a malformed CSV or JSON-lines file fails its unit (MalformedFileError);
- a failed unit changes no data and no applied manifests, only the partition's status;
  a later unit with nothing to do is a successful attempt and clears that status.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

DATASET = "src.events"
PARTITIONS = ("2026-01-01", "2026-01-02", "2026-01-03")
#: a date no partition has, for partition columns inside the data that disagree
STRAY_DATE = "2025-12-31"
#: how a manifest may name a data file; "link" goes through the lake's data-link -> data symlink
FILE_SPELLINGS = ("relative", "path", "file", "localhost", "encoded", "link")
#: the spellings that still name the file once the lake is copied elsewhere
MOVABLE_SPELLINGS = ("relative", "link")
#: how a load command may name a manifest
REF_SPELLINGS = ("relative", "path", "file", "localhost", "encoded")
BROKEN_CSV = ("unterminated_quote", "extra_field")
BROKEN_JSON = ("array_line", "cut_line")
#: a unit with nothing to do is a successful attempt: it clears a failed status
NOOP_CLEARS_FAILURE = True

Row = tuple[int | None, int, str]  # id, ts, v as the file holds them
TableRow = tuple[int | None, int, str, str]  # id, ts, v, dt as the table must hold them


@dataclass(frozen=True)
class DataFile:
    """One data file in the folder of partition ``home``; ``dt`` is a partition column
    inside the data (None: absent); ``broken`` a way the file is malformed."""

    home: int
    rows: tuple[Row, ...]
    dt: str | None = None
    broken: str | None = None


@dataclass(frozen=True)
class Entry:
    file: int
    spelling: str = "relative"


@dataclass(frozen=True)
class ManifestDef:
    """A manifest of partition ``partition``: in its folder, or (``outside``) in an inbox
    folder naming its own dataset and partition. Each version is written in turn."""

    partition: int
    versions: tuple[tuple[Entry, ...], ...]
    outside: bool = False


@dataclass(frozen=True)
class Load:
    """One load command: the manifests it names, each with the spelling of its reference."""

    refs: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class Rewrite:
    """The producer rewrites a manifest in place with its next version (if it has one)."""

    manifest: int


@dataclass(frozen=True)
class Move:
    """The lake's tree is copied to a new folder, the old one removed, the root repointed."""


Step = Load | Rewrite | Move


@dataclass(frozen=True)
class Scenario:
    strategy: str
    fmt: str
    files: tuple[DataFile, ...]
    manifests: tuple[ManifestDef, ...]
    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        if any(isinstance(s, Move) for s in self.steps):
            spelled = {e.spelling for m in self.manifests for v in m.versions for e in v}
            if not spelled <= set(MOVABLE_SPELLINGS):
                raise ValueError("a lake that moves can only hold relative spellings")


# -- the lake as bytes (shared by the model, which hashes manifests, and the test) ---------


def ext(fmt: str) -> str:
    return {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}[fmt]


def file_key(s: Scenario, index: int) -> str:
    return f"data/dt={PARTITIONS[s.files[index].home]}/f-{index}.{ext(s.fmt)}"


def manifest_key(s: Scenario, index: int) -> str:
    m = s.manifests[index]
    if m.outside:
        return f"inbox/src-events/m-{index}.json"
    return f"manifests/src/events/dt={PARTITIONS[m.partition]}/m-{index}.json"


def spell(key: str, spelling: str, root: str) -> str:
    """``key`` (relative to the root, an absolute local path) as a manifest or command
    may write it."""
    path = f"{root}/{key}"
    spelled = {
        "relative": key,
        "path": path,
        "file": "file://" + quote(path),
        "localhost": "file://localhost" + quote(path),
        "encoded": "file://" + quote(path).replace("-", "%2D"),
        "link": "data-link/" + key.removeprefix("data/"),
    }
    return spelled[spelling]


def manifest_bytes(s: Scenario, index: int, version: int, root: str) -> bytes:
    m = s.manifests[index]
    doc: dict[str, object] = {
        "entries": [
            {"url": spell(file_key(s, e.file), e.spelling, root), "mandatory": True} for e in m.versions[version]
        ],
        "batch_version": version,  # every version has bytes of its own
    }
    if m.outside:
        doc.update(dataset=DATASET, partition={"dt": PARTITIONS[m.partition]})
    return json.dumps(doc, indent=1).encode()


def content_version(data: bytes) -> str:
    """A local store's version of an object: the hash of its bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def partition_key(index: int) -> str:
    return f"dt={PARTITIONS[index]}"


def row_order(row: TableRow) -> tuple[object, ...]:
    return (row[0] is None, row[0] or 0, row[1], row[2], row[3])


# -- the model ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """One outcome a command must report for a partition (per sink): ``errors`` are the
    acceptable error classes when it fails (several when a unit breaks two rules)."""

    partition: str
    action: str
    errors: frozenset[str] = frozenset()


@dataclass(frozen=True)
class State:
    status: str
    rows: int
    applied: frozenset[tuple[str, str]]  # (manifest key relative to the root, version)


@dataclass
class Model:
    scenario: Scenario
    root: str
    version: list[int] = field(default_factory=list)
    applied: dict[int, dict[tuple[str, str], int]] = field(default_factory=dict)
    status: dict[int, str] = field(default_factory=dict)
    rows: list[TableRow] = field(default_factory=list)  # append and replace
    merged: dict[int, TableRow] = field(default_factory=dict)  # merge: id → row

    def __post_init__(self) -> None:
        self.version = [0] * len(self.scenario.manifests)

    # -- what the command sees ----------------------------------------------------------------

    def identity(self, m: int) -> tuple[str, str]:
        data = manifest_bytes(self.scenario, m, self.version[m], self.root)
        return manifest_key(self.scenario, m), content_version(data)

    def files_of(self, m: int) -> list[int]:
        return [e.file for e in self.scenario.manifests[m].versions[self.version[m]]]

    def named_twice(self, m: int) -> bool:
        files = self.files_of(m)
        return len(set(files)) < len(files)

    def file_rows(self, m: int) -> int:
        return sum(len(self.scenario.files[f].rows) for f in self.files_of(m))

    # -- steps --------------------------------------------------------------------------------

    def step(self, step: Step, new_root: str | None = None) -> list[Expected]:
        if isinstance(step, Rewrite):
            m = step.manifest
            self.version[m] = min(self.version[m] + 1, len(self.scenario.manifests[m].versions) - 1)
            return []
        if isinstance(step, Move):
            assert new_root is not None
            self.root = new_root  # nothing else: identities are relative to the root
            return []
        return self.load([m for m, _spelling in step.refs])

    def load(self, named: Sequence[int]) -> list[Expected]:
        s = self.scenario
        out: list[Expected] = []
        announced: dict[int, list[int]] = {}  # partition → manifests, one per identity
        seen: set[tuple[str, str]] = set()
        for m in named:
            part = s.manifests[m].partition
            if self.named_twice(m):  # nothing of that manifest loads
                out.append(Expected(partition_key(part), "failed", frozenset({"DuplicateFileError"})))
                self.status[part] = "failed"
                continue
            if self.identity(m) not in seen:
                seen.add(self.identity(m))
                announced.setdefault(part, []).append(m)
        units: dict[int, list[int]] = {}
        failed: dict[int, frozenset[str]] = {}
        for part, ms in announced.items():
            units[part] = self.replace_union(part, ms) if s.strategy == "replace" else ms
            if any(self.named_twice(m) for m in units[part]):
                failed[part] = frozenset({"DuplicateFileError"})
        owners: dict[int, set[tuple[int, int]]] = {}  # file → (partition, manifest) of this load
        for part, ms in units.items():
            for m in ms if part not in failed else ():
                for f in set(self.files_of(m)):
                    owners.setdefault(f, set()).add((part, m))
        for holders in owners.values():
            if len(holders) > 1:
                for part, _m in holders:
                    failed[part] = frozenset({"DuplicateFileError"})
        for part in sorted(units):
            if part in failed:
                out.append(Expected(partition_key(part), "failed", failed[part]))
                self.status[part] = "failed"
            else:
                out.append(self.apply(part, units[part]))
        return out

    def replace_union(self, part: int, announced: list[int]) -> list[int]:
        """Every manifest of the partition: in its folder, applied to it, announced now."""
        s = self.scenario
        by_key = {manifest_key(s, m): m for m in range(len(s.manifests))}
        folder = [m for m, d in enumerate(s.manifests) if d.partition == part and not d.outside]
        recorded = [by_key[key] for key, _version in self.applied.get(part, {})]
        return sorted({*folder, *recorded, *announced})

    def apply(self, part: int, unit: list[int]) -> Expected:
        s = self.scenario
        key = partition_key(part)
        applied = self.applied.get(part, {})
        if s.strategy == "replace":
            pending = unit if {self.identity(m) for m in unit} != set(applied) else []
        else:
            pending = [m for m in unit if self.identity(m) not in applied]
        if not pending:
            if NOOP_CLEARS_FAILURE and part in self.status:
                self.status[part] = "loaded"
            return Expected(key, "skipped")
        files = [s.files[f] for m in pending for f in self.files_of(m)]
        errors = set()
        if any(f.broken for f in files):
            errors.add("MalformedFileError")
        if s.strategy == "merge" and any(r[0] is None for f in files if not f.broken for r in f.rows):
            errors.add("NullKeyError")
        if errors:
            self.status[part] = "failed"
            return Expected(key, "failed", frozenset(errors))
        value = PARTITIONS[part]  # the partition's value wins over a dt inside the data
        incoming = [(i, t, v, value) for f in files for i, t, v in f.rows]
        if s.strategy == "append":
            self.rows.extend(incoming)
        elif s.strategy == "replace":
            self.rows = [r for r in self.rows if r[3] != value] + incoming
            applied = {}
        else:
            newest: dict[int, TableRow] = {}
            for row in incoming:
                assert row[0] is not None
                if row[0] not in newest or row[1] > newest[row[0]][1]:
                    newest[row[0]] = row
            for ident, row in newest.items():
                if ident not in self.merged or row[1] >= self.merged[ident][1]:
                    self.merged[ident] = row
        self.applied[part] = {**applied, **{self.identity(m): self.file_rows(m) for m in pending}}
        self.status[part] = "loaded"
        return Expected(key, "loaded")

    # -- what the sinks must show -------------------------------------------------------------

    def table(self) -> list[TableRow]:
        rows = list(self.merged.values()) if self.scenario.strategy == "merge" else self.rows
        return sorted(rows, key=row_order)

    def states(self) -> dict[str, State]:
        return {
            partition_key(part): State(
                status=status,
                rows=sum(self.applied.get(part, {}).values()),
                applied=frozenset(self.applied.get(part, {})),
            )
            for part, status in self.status.items()
        }


def describe(s: Scenario) -> str:
    """The scenario as a person reads it (hypothesis notes it for a failing example)."""
    lines = [f"strategy={s.strategy} format={s.fmt}"]
    for i, f in enumerate(s.files):
        extra = "".join([f" dt-in-data={f.dt}" if f.dt else "", f" BROKEN={f.broken}" if f.broken else ""])
        lines.append(f"  f{i} in {PARTITIONS[f.home]}: rows {list(f.rows)}{extra}")
    for i, m in enumerate(s.manifests):
        where = "outside, self-describing" if m.outside else "in its folder"
        versions = " | ".join(", ".join(f"f{e.file}:{e.spelling}" for e in v) for v in m.versions)
        lines.append(f"  m{i} -> {PARTITIONS[m.partition]} ({where}): {versions}")
    for step in s.steps:
        if isinstance(step, Load):
            lines.append("  load " + " ".join(f"m{m}:{sp}" for m, sp in step.refs))
        elif isinstance(step, Rewrite):
            lines.append(f"  rewrite m{step.manifest}")
        else:
            lines.append("  move the lake")
    return "\n".join(lines)
