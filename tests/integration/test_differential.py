"""The differential test: generated lakes loaded into DuckDB, PostgreSQL and Redshift (its
SQL on PostgreSQL) through the real Runner must give the tables and load states that the
reference model (tests/reference_model.py) predicts, after every step.

Hypothesis draws small lakes and event sequences: the three strategies, Parquet or CSV or
JSON lines, up to three daily partitions, manifests in their partition's folder or outside
it naming their own dataset and partition, files named in many spellings (relative,
absolute path, ``file://``, ``file://localhost``, ``%2D`` for ``-``, through a symlink),
files shared by manifests and partitions, a manifest naming one file twice, partition
columns inside the data that disagree with the partition, NULL merge keys, malformed
CSV and JSON lines, re-deliveries, rewrites (new versions) and moves of the whole lake to
a new root followed by a reload. After each step every sink must report the outcomes the
model predicts, hold the model's rows (as a sorted multiset) and record the model's state
per partition: status, rows, and the applied manifests as (key relative to the root,
version). Equal to the model means equal to each other.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, example, given, note, settings
from hypothesis import strategies as st

from loaders.config import Config, parse_config
from loaders.runner import Outcome, Runner
from manifests import Partition
from sinks import Sink
from tests.integration.test_postgres_sink import (  # noqa: F401 - the fixture pg_server
    ADMIN,
    ADMIN_USER,
    Server,
    fixture_pg_server,
)
from tests.integration.test_redshift_postgres import PgRedshiftSink
from tests.integration.test_redshift_sink import ROLE as REDSHIFT_ROLE
from tests.integration.test_redshift_sink import URL as REDSHIFT_URL
from tests.reference_model import (
    BROKEN_CSV,
    BROKEN_JSON,
    DATASET,
    FILE_SPELLINGS,
    MOVABLE_SPELLINGS,
    PARTITIONS,
    REF_SPELLINGS,
    STRAY_DATE,
    DataFile,
    Entry,
    Expected,
    Load,
    ManifestDef,
    Model,
    Move,
    Rewrite,
    Scenario,
    State,
    Step,
    TableRow,
    describe,
    file_key,
    manifest_bytes,
    manifest_key,
    row_order,
    spell,
)

SINKS = ("duckdb", "postgres", "redshift")
PATTERN = "manifests/src/events/dt={dt}/{batch}.json"


# -- the lake on disk -------------------------------------------------------------------------


def data_bytes(s: Scenario, index: int) -> bytes:
    f = s.files[index]
    records = [{"id": i, "ts": t, "v": v, **({"dt": f.dt} if f.dt else {})} for i, t, v in f.rows]
    if s.fmt == "parquet":
        fields = [("id", pa.int64()), ("ts", pa.int64()), ("v", pa.string())] + ([("dt", pa.string())] if f.dt else [])
        buffer = pa.BufferOutputStream()
        pq.write_table(pa.Table.from_pylist(records, schema=pa.schema(fields)), buffer)
        return bytes(buffer.getvalue())
    if s.fmt == "csv":
        header = ["id", "ts", "v", *(["dt"] if f.dt else [])]
        lines = [",".join(header)] + [",".join("" if r[c] is None else str(r[c]) for c in header) for r in records]
        lines += {
            None: [],
            "unterminated_quote": ['9,999,"never closed', "8,998,x"],
            "extra_field": ["7,997,x,y,z,w"],
        }[f.broken]
        return ("\n".join(lines) + "\n").encode()
    lines = [json.dumps(r) for r in records]
    lines += {None: [], "array_line": ['[1, 2, "x"]'], "cut_line": ['{"id": 1, "ts": 2, "v": ']}[f.broken]
    return ("\n".join(lines) + "\n").encode()


class Lakehouse:
    """One example: its lake (moved between roots), and its tables and states, under names
    of its own, in a DuckDB file and in the two PostgreSQL databases."""

    def __init__(self, base: Path, s: Scenario, pg: Server, rs: Server) -> None:
        self.base = os.path.realpath(base)
        self.s = s
        self.pg, self.rs = pg, rs
        tag = secrets.token_hex(4)
        self.schemas = (f"t_{tag}", f"s_{tag}")
        self.table = f"{self.schemas[0]}.events"
        self.roots = [f"{self.base}/lake0"]
        self.version = [0] * len(s.manifests)
        self.write_lake()

    @property
    def root(self) -> str:
        return self.roots[-1]

    def write(self, key: str, data: bytes) -> None:
        path = Path(self.root, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def write_lake(self) -> None:
        os.makedirs(f"{self.root}/data")
        os.symlink("data", f"{self.root}/data-link")
        for i in range(len(self.s.files)):
            self.write(file_key(self.s, i), data_bytes(self.s, i))
        for m in range(len(self.s.manifests)):
            self.write(manifest_key(self.s, m), manifest_bytes(self.s, m, 0, self.root))

    def config(self) -> Config:
        dataset: dict[str, Any] = {
            "table": self.table,
            "format": self.s.fmt,
            "manifests": PATTERN,
            "partition": ["dt"],
            "strategy": self.s.strategy,
        }
        if self.s.strategy == "merge":
            dataset.update(keys=["id"], order_by="ts")
        doc = {
            "store": {"root": self.root},
            "sinks": {
                "duckdb": {"type": "duckdb", "url": f"duckdb:///{self.base}/warehouse.duckdb"},
                "postgres": {"type": "postgres", "url": self.pg.url, "state_schema": self.schemas[1]},
                "redshift": {
                    "type": "redshift",
                    "url": REDSHIFT_URL,
                    "iam_role": REDSHIFT_ROLE,
                    "state_schema": self.schemas[1],
                },
            },
            "datasets": {DATASET: dataset},
        }
        return parse_config(doc, f"{self.base}/loaders.toml", self.base, {})

    def runner(self) -> Runner:
        return _Runner(self.config(), self)

    # -- steps --------------------------------------------------------------------------------

    def change(self, step: Rewrite | Move) -> None:
        """What the producer or the operator does between loads."""
        if isinstance(step, Rewrite):
            m = step.manifest
            self.version[m] = min(self.version[m] + 1, len(self.s.manifests[m].versions) - 1)
            self.write(manifest_key(self.s, m), manifest_bytes(self.s, m, self.version[m], self.root))
        else:
            old = self.root
            self.roots.append(f"{self.base}/lake{len(self.roots)}")
            shutil.copytree(old, self.root, symlinks=True)
            shutil.rmtree(old)

    def load(self, step: Load) -> tuple[list[Outcome], dict[str, dict[str, State]]]:
        """One load command, then every sink's recorded state of each partition."""
        runner = self.runner()
        try:
            outcomes = runner.load([spell(manifest_key(self.s, m), how, self.root) for m, how in step.refs])
            return outcomes, {name: self._states(runner.sink(name)) for name in SINKS}
        finally:
            runner.close()

    # -- what each sink holds -----------------------------------------------------------------

    def _states(self, sink: Sink) -> dict[str, State]:
        out = {}
        for state in sink.states(DATASET):
            applied = sink.applied(DATASET, Partition.parse(state.partition))
            out[state.partition] = State(
                status=state.status,
                rows=state.rows,
                applied=frozenset((self.relative(url), version) for url, version in applied),
            )
        return out

    def relative(self, url: str) -> str:
        """A recorded manifest URL as its key relative to whichever root it was under."""
        if "://" not in url:
            return url
        path = unquote(urlsplit(url).path)
        for root in self.roots:
            if path.startswith(root + "/"):
                return path[len(root) + 1 :]
        return url

    def tables(self) -> dict[str, list[TableRow]]:
        import duckdb
        import psycopg

        sql = f"SELECT id, ts, v, dt FROM {self.table}"
        found: dict[str, list[Any]] = {}
        with duckdb.connect(f"{self.base}/warehouse.duckdb") as conn:
            try:
                found["duckdb"] = conn.execute(sql).fetchall()
            except duckdb.CatalogException:
                found["duckdb"] = []
        for name, server in (("postgres", self.pg), ("redshift", self.rs)):
            try:
                found[name] = server.query(sql)
            except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
                found[name] = []
        return {name: sorted((_row(r) for r in rows), key=row_order) for name, rows in found.items()}

    def drop(self) -> None:
        for server in (self.pg, self.rs):
            for schema in self.schemas:
                server.query(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _row(r: tuple[Any, ...]) -> TableRow:
    """A row as the model writes it; a dt column the engine typed as DATE or TIMESTAMP
    is compared as its date (the rule casts the partition's value to the column's type)."""
    return (r[0], r[1], r[2], None if r[3] is None else str(r[3])[:10])  # type: ignore[return-value]


class _RedshiftStandIn(PgRedshiftSink):
    """The stand-in with PostgreSQL reading string literals as Redshift does: sqlglot
    writes a quote inside a Redshift literal as ``\\'``, which PostgreSQL's default
    (standard_conforming_strings on) takes for the end of the string; a failure whose
    message quotes something was then never recorded."""

    def _connect(self) -> Any:
        conn = super()._connect()
        conn.execute("SET standard_conforming_strings TO off")
        conn.execute("SET escape_string_warning TO off")
        return conn


class _Runner(Runner):
    """The real Runner; only the Redshift sink is the PostgreSQL stand-in."""

    def __init__(self, config: Config, house: Lakehouse) -> None:
        super().__init__(config)
        self.house = house

    def new_sink(self, name: str) -> Sink:
        if name == "redshift":
            return _RedshiftStandIn(  # type: ignore[return-value]
                self.store, self.house.rs, self.house.base, state_schema=self.house.schemas[1]
            )
        return super().new_sink(name)


# -- comparing ---------------------------------------------------------------------------------


def outcome_problems(expected: list[Expected], got: list[Outcome]) -> list[str]:
    problems = []
    want = Counter((e.partition, e.action) for e in expected)
    accepted: dict[str, set[str]] = {}
    for e in expected:
        accepted.setdefault(e.partition, set()).update(e.errors)
    for name in SINKS:
        mine = [o for o in got if o.sink in (name, "-")]
        have = Counter((o.partition, o.action) for o in mine)
        if have != want:
            shown = sorted((o.partition or "-", o.action, o.error_class or "", (o.error or "")[:160]) for o in mine)
            problems.append(f"{name} outcomes {shown}, model {sorted(want.elements())}")
        for o in mine:
            if o.action == "failed" and o.partition in accepted and o.error_class not in accepted[o.partition]:
                problems.append(
                    f"{name} {o.partition} failed with {o.error_class} ({(o.error or '')[:200]}), "
                    f"model expects one of {sorted(accepted[o.partition])}"
                )
    return problems


def state_problems(expected: Mapping[str, State], got: Mapping[str, Mapping[str, State]]) -> list[str]:
    problems = []
    for name, states in got.items():
        for key in sorted(set(expected) | set(states)):
            want, have = expected.get(key), states.get(key)
            if want != have:
                problems.append(f"{name} state {key}: {_state(have)}; model {_state(want)}")
    return problems


def _state(state: State | None) -> str:
    if state is None:
        return "absent"
    applied = ", ".join(f"{k}@{v[7:15]}" for k, v in sorted(state.applied))
    return f"{state.status}, {state.rows} rows, applied [{applied}]"


def table_problems(expected: list[TableRow], got: Mapping[str, list[TableRow]]) -> list[str]:
    problems = []
    for name, rows in got.items():
        if rows != expected:
            extra = list((Counter(rows) - Counter(expected)).elements())
            missing = list((Counter(expected) - Counter(rows)).elements())
            problems.append(f"{name} table: extra rows {extra}, missing rows {missing}")
    return problems


def replay(s: Scenario, base: Path, pg: Server, rs: Server) -> list[Expected]:
    """Every step on the sinks and on the model. A table or state that differs fails at
    once; outcomes that differ (an error of another class, say) are gathered and fail at
    the end, from another line, so that hypothesis reports and shrinks the two apart.
    Returns every outcome the model decided."""
    house = Lakehouse(base, s, pg, rs)
    model = Model(s, house.root)
    reported: list[str] = []
    decided: list[Expected] = []
    try:
        for number, step in enumerate(s.steps, 1):
            if not isinstance(step, Load):
                house.change(step)
                model.step(step, house.root)
                continue
            got, states = house.load(step)
            expected = model.step(step, house.root)
            decided += expected
            reported += [f"step {number} ({step}): {p}" for p in outcome_problems(expected, got)]
            problems = table_problems(model.table(), house.tables())
            problems += state_problems(model.states(), states)
            assert not problems, f"step {number} ({step}):\n  " + "\n  ".join(problems + reported)
    finally:
        house.drop()
    assert not reported, "outcomes differ:\n  " + "\n  ".join(reported)
    return decided


# -- generated scenarios ------------------------------------------------------------------------


#: what a generated lake may hold; a subset narrows the search to some rules (each is on by default)
FEATURES = frozenset(
    {"spellings", "twice", "shared", "dt", "nulls", "broken", "outside", "rewrite", "move", "partitions"}
)


def rarely(draw: st.DrawFn, odds: int = 5) -> bool:
    """True about once in ``odds`` draws."""
    return draw(st.sampled_from((False,) * (odds - 1) + (True,)))  # False first: hypothesis favours it


@st.composite
def scenarios(draw: st.DrawFn, features: frozenset[str] = FEATURES) -> Scenario:
    def maybe(feature: str, odds: int = 5) -> bool:
        return feature in features and rarely(draw, odds)

    strategy = draw(st.sampled_from(("append", "merge", "replace")))
    fmt = draw(st.sampled_from(("parquet", "parquet", "csv", "jsonl")))
    parts = draw(st.integers(1, 3)) if "partitions" in features else 1
    moves = "move" in features and draw(st.sampled_from((False, False, True)))
    spelled = MOVABLE_SPELLINGS if moves else FILE_SPELLINGS
    spellings = st.sampled_from(spelled if "spellings" in features else ("relative",))
    ref_spellings = st.sampled_from(REF_SPELLINGS if "spellings" in features else ("relative",))
    clock = itertools.count(1)
    files: list[DataFile] = []

    def new_file(home: int) -> int:
        ids: list[int | None] = [draw(st.integers(0, 4)) for _ in range(draw(st.integers(1, 3)))]
        if strategy == "merge" and maybe("nulls"):
            ids[draw(st.integers(0, len(ids) - 1))] = None
        rows = tuple((i, t, f"v{t}") for i, t in zip(ids, clock, strict=False))
        inside = draw(st.sampled_from((None, None, None, "own", "stray", "next"))) if "dt" in features else None
        dt = {None: None, "own": PARTITIONS[home], "stray": STRAY_DATE, "next": PARTITIONS[(home + 1) % 3]}[inside]
        kinds = {"csv": BROKEN_CSV, "jsonl": BROKEN_JSON}.get(fmt, ()) if "broken" in features else ()
        broken = draw(st.sampled_from((None,) * 8 + kinds)) if kinds else None
        files.append(DataFile(home=home, rows=rows, dt=dt, broken=broken))
        return len(files) - 1

    manifests = []
    for _ in range(draw(st.integers(1, 4))):
        part = draw(st.integers(0, parts - 1))
        versions: list[tuple[Entry, ...]] = []
        for v in range(draw(st.integers(1, 2)) if "rewrite" in features else 1):
            entries = [Entry(e.file, draw(spellings)) for e in versions[-1]] if v and draw(st.booleans()) else []
            for _ in range(draw(st.integers(0 if entries else 1, 2))):
                entries.append(Entry(new_file(part), draw(spellings)))
            others = [f for f in range(len(files)) if f not in {e.file for e in entries}]
            if others and maybe("shared", 6):  # a file another manifest (or version) names too
                entries.append(Entry(draw(st.sampled_from(others)), draw(spellings)))
            if maybe("twice", 10):  # one file named twice by one manifest, spelled alike or not
                entries.append(Entry(draw(st.sampled_from(entries)).file, draw(spellings)))
            versions.append(tuple(entries))
        manifests.append(ManifestDef(partition=part, versions=tuple(versions), outside=maybe("outside")))
    refs = st.tuples(st.integers(0, len(manifests) - 1), ref_spellings)
    steps: list[Step] = []
    for _ in range(draw(st.integers(1, 4))):
        if "rewrite" in features and draw(st.sampled_from(("load", "load", "load", "rewrite"))) == "rewrite":
            steps.append(Rewrite(draw(st.integers(0, len(manifests) - 1))))
        else:
            steps.append(Load(tuple(draw(st.lists(refs, min_size=1, max_size=3)))))
    if not any(isinstance(step, Load) for step in steps):
        steps.append(Load(((0, "relative"),)))
    if moves:
        at = draw(st.integers(1, len(steps)))
        delivered = dict.fromkeys(m for step in steps[:at] if isinstance(step, Load) for m, _how in step.refs)
        steps[at:at] = [Move(), *(Load(((m, draw(ref_spellings)),)) for m in delivered)]
    return Scenario(strategy, fmt, tuple(files), tuple(manifests), tuple(steps))


# -- explicit examples: each rule at least once --------------------------------------------------


def _rows(*pairs: tuple[int | None, int]) -> tuple[tuple[int | None, int, str], ...]:
    return tuple((i, t, f"v{t}") for i, t in pairs)


def _load(*ms: int, how: str = "relative") -> Load:
    return Load(tuple((m, how) for m in ms))


def _one(partition: int, *entries: Entry, outside: bool = False) -> ManifestDef:
    return ManifestDef(partition=partition, versions=(tuple(entries),), outside=outside)


F0, F1, F2 = DataFile(0, _rows((1, 1), (2, 2))), DataFile(0, _rows((3, 3))), DataFile(2, _rows((4, 4)))
EXAMPLES = [
    # one object, two spellings, in one manifest: that manifest fails, the other loads
    Scenario("append", "parquet", (F0, F1), (
        _one(0, Entry(0, "file"), Entry(0, "localhost")), _one(0, Entry(1)),
    ), (_load(0, 1),)),
    Scenario("replace", "parquet", (F0,), (_one(0, Entry(0, "encoded"), Entry(0, "link")),), (_load(0),)),
    Scenario("merge", "parquet", (F0,), (_one(0, Entry(0, "relative"), Entry(0, "path")),), (_load(0),)),
    # one file in two manifests of two partitions, one load: those units fail, p2 loads
    Scenario("append", "parquet", (F0, F2), (
        _one(0, Entry(0)), _one(1, Entry(0, "path")), _one(2, Entry(1)),
    ), (_load(0, 1, 2), _load(0), _load(1))),
    # ... and in two manifests of one partition
    Scenario("merge", "parquet", (F0,), (_one(0, Entry(0)), _one(0, Entry(0, "file"))), (_load(0, 1),)),
    # a partition column inside the data that disagrees with the partition: the partition wins
    Scenario("replace", "parquet", (DataFile(0, _rows((1, 1)), dt=STRAY_DATE),), (_one(0, Entry(0)),),
             (_load(0), _load(0, how="file"))),
    Scenario("append", "csv", (DataFile(0, _rows((1, 1)), dt=PARTITIONS[1]), DataFile(0, _rows((2, 2)))), (
        _one(0, Entry(0), Entry(1)),
    ), (_load(0),)),
    # replace with a self-describing manifest outside the partition's folder
    Scenario("replace", "parquet", (DataFile(1, _rows((1, 1))), DataFile(1, _rows((2, 2)))), (
        _one(1, Entry(0), outside=True), _one(1, Entry(1)),
    ), (_load(0), _load(1), _load(0))),
    # malformed CSV and JSON lines: the unit fails, nothing of it applies
    Scenario("append", "csv", (DataFile(0, _rows((1, 1)), broken="unterminated_quote"), F1), (
        _one(0, Entry(0)), _one(0, Entry(1)),
    ), (_load(0, 1), _load(1))),
    Scenario("merge", "jsonl", (DataFile(0, _rows((1, 1)), broken="array_line"), F1), (
        _one(0, Entry(0)), _one(0, Entry(1)),
    ), (_load(1), _load(0))),
    # a NULL merge key fails its unit, every time
    Scenario("merge", "parquet", (DataFile(0, _rows((None, 1), (1, 2))), DataFile(0, _rows((1, 3))),), (
        _one(0, Entry(0)), _one(0, Entry(1)),
    ), (_load(0), _load(1), _load(0))),
    # moving the lake: the reload applies nothing
    Scenario("append", "parquet", (F0, DataFile(1, _rows((5, 5))),), (
        _one(0, Entry(0)), _one(1, Entry(1, "link"), outside=True),
    ), (_load(0, 1), Move(), _load(0, how="file"), _load(1, how="localhost"))),
    # a rewritten manifest is a new version; a re-delivery in two spellings is one manifest
    Scenario("append", "parquet", (F0, F1), (
        ManifestDef(0, ((Entry(0),), (Entry(0), Entry(1, "file")))),
    ), (_load(0), Rewrite(0), Load(((0, "relative"), (0, "localhost"), (0, "encoded"))), _load(0))),
]  # fmt: skip


# -- the test --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def servers(pg_server: Server) -> Iterator[tuple[Server, Server]]:
    """The session's database for the PostgreSQL sink and one of its own for Redshift's
    stand-in: both sinks of a dataset load one table name."""
    import psycopg

    rs = Server(ADMIN, ADMIN_USER, f"{pg_server.database}_rs")
    with psycopg.connect(f"{ADMIN} dbname=postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{rs.database}"')
    yield pg_server, rs
    with psycopg.connect(f"{ADMIN} dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{rs.database}" WITH (FORCE)')


def traits(s: Scenario) -> list[str]:
    """What a scenario exercises, for hypothesis's statistics."""
    versions = [v for m in s.manifests for v in m.versions]
    spelled = {e.spelling for v in versions for e in v}
    found = {
        "several spellings": len(spelled) > 1,
        "a file named by two manifests": any(
            len({i for i, m in enumerate(s.manifests) for v in m.versions for e in v if e.file == f}) > 1
            for f in range(len(s.files))
        ),
        "a manifest naming a file twice": any(len({e.file for e in v}) < len(v) for v in versions),
        "dt inside the data": any(f.dt for f in s.files),
        "a malformed file": any(f.broken for f in s.files),
        "a NULL key": any(r[0] is None for f in s.files for r in f.rows),
        "a manifest outside its folder": any(m.outside for m in s.manifests),
        "a rewrite": any(isinstance(step, Rewrite) for step in s.steps),
        "a move": any(isinstance(step, Move) for step in s.steps),
    }
    return [name for name, present in found.items() if present]


def _with_examples(test: Any) -> Any:
    for s in reversed(EXAMPLES):
        test = example(s=s)(test)
    return test


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@_with_examples
@given(s=scenarios())
def test_every_sink_matches_the_model_after_every_step(servers: tuple[Server, Server], s: Scenario) -> None:
    note(describe(s))
    for trait in traits(s):
        event(f"lake: {trait}")
    with tempfile.TemporaryDirectory() as tmp:
        decided = replay(s, Path(tmp), *servers)
    for e in decided:  # how often each rule decides (pytest --hypothesis-show-statistics)
        event(f"{s.strategy}: {e.action} {'/'.join(sorted(e.errors))}".rstrip())
