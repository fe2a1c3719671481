"""loaders' DuckDB sink against raw DuckDB and dlt, on the same Parquet files.

    python benchmarks/bench_duckdb.py [--rows 2000000] [--files 20] [--dir /tmp/loaders-bench] [--repeat 3]

Each measurement runs --repeat times (interleaved) into a fresh DuckDB file; the medians,
the ratios against their targets and loaders' time per template step are printed and
written to <dir>/results.json. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from loaders.config import load_config
from loaders.runner import Runner
from sinks.sql import SqlSink

SCHEMA = {
    "conversion_id": "BIGINT",
    "event_ts": "TIMESTAMP",
    "campaign_id": "BIGINT",
    "advertiser": "VARCHAR",
    "booking_value": "DOUBLE",
    "currency": "VARCHAR",
}
DDL = f"CREATE TABLE t ({', '.join(f'{c} {t}' for c, t in SCHEMA.items())})"
#: Statements that only read or create the load state; every other step is a data statement.
STATE_STEPS = frozenset({"applied", "states", "state_tables", "state_schema", "state_partitions", "state_manifests"})
STRATEGIES = ("append", "merge", "replace")
HOURS = ("00", "06", "12", "18")  # four hourly partitions a day, one file each
Steps = dict[str, list[float]]  # template step -> [calls, seconds]


@dataclass
class Bench:
    root: Path
    rows: int
    files: dict[str, list[str]] = field(default_factory=dict)  # "v1" / "v2" -> data file paths
    refs: dict[str, list[str]] = field(default_factory=dict)  # append / merge / remerge / replace -> manifest keys
    runs: dict[str, list[float]] = field(default_factory=dict)  # measurement -> seconds of each run
    steps: dict[str, list[Steps]] = field(default_factory=dict)  # loaders' measurements -> steps of each run
    reload_steps: dict[str, dict[str, int]] = field(default_factory=dict)  # strategy -> step -> calls

    def record(self, name: str, seconds: float, steps: Steps | None = None) -> None:
        self.runs.setdefault(name, []).append(seconds)
        if steps is not None:
            self.steps.setdefault(name, []).append(steps)
        print(f"  {name:<38} {seconds:8.3f} s", flush=True)

    def db(self, name: str) -> Path:
        """A fresh DuckDB file: an earlier one of that name (and its WAL) is removed."""
        path = self.root / "db" / f"{name}.duckdb"
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in (path, Path(f"{path}.wal")):
            old.unlink(missing_ok=True)
        return path


def generate(bench: Bench, n_files: int) -> None:
    """v1: unique conversion_ids; v2: the same ids, event_ts a minute newer, booking_value + 1."""
    store = bench.root / "store"
    shutil.rmtree(store, ignore_errors=True)
    rng = np.random.default_rng(20261101)
    advertisers = np.array([f"advertiser-{i:04d}" for i in range(500)])
    currencies = np.array(["EUR", "USD", "GBP", "JPY", "CHF"])
    bench.files = {"v1": [], "v2": []}
    bench.refs = {"append": [], "merge": [], "remerge": [], "replace": []}
    offset = 0
    for i in range(n_files):
        n = bench.rows // n_files + (1 if i < bench.rows % n_files else 0)
        start = datetime(2026, 11, 1) + timedelta(days=i // len(HOURS), hours=int(HOURS[i % len(HOURS)]))
        dt, hour = start.strftime("%Y-%m-%d"), start.strftime("%H")
        ts = np.datetime64(start, "us") + rng.integers(0, 3_600_000_000, n).astype("timedelta64[us]")
        v1 = pa.table(
            {
                "conversion_id": rng.permutation(np.arange(offset, offset + n, dtype=np.int64)),
                "event_ts": ts,
                "campaign_id": rng.integers(1, 5_000, n, dtype=np.int64),
                "advertiser": advertisers[rng.integers(0, len(advertisers), n)],
                "booking_value": rng.gamma(2.0, 40.0, n).round(2),
                "currency": currencies[rng.integers(0, len(currencies), n)],
            }
        )
        offset += n
        v2 = v1.set_column(1, "event_ts", pa.array(ts + np.timedelta64(60, "s"))).set_column(
            4, "booking_value", pa.array(v1["booking_value"].to_numpy() + 1.0)
        )
        for version, table, batches in (("v1", v1, ("append", "merge", "replace")), ("v2", v2, ("remerge",))):
            rel = f"data/{version}/dt={dt}/hour={hour}/part-00000.parquet"
            path = store / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, path)
            bench.files[version].append(str(path))
            entry = {"url": rel, "mandatory": True, "meta": {"content_length": path.stat().st_size, "record_count": n}}
            for batch in batches:  # the re-merge set is the merge dataset's second batch
                name = "merge-0002" if batch == "remerge" else f"{batch}-0001"
                key = f"manifests/bench/conversion/dt={dt}/hour={hour}/{name}.json"
                (store / key).parent.mkdir(parents=True, exist_ok=True)
                (store / key).write_text(json.dumps({"entries": [entry]}))
                bench.refs[batch].append(key)
    # One sink; one dataset per strategy, told apart by the manifest's batch-name prefix
    # (the runner gives a manifest to the first dataset whose pattern matches its key).
    toml = ['[store]\nroot = "store"\n\n[sinks.warehouse]\ntype = "duckdb"\nurl = "duckdb:///${BENCH_DUCKDB}"\n']
    for strategy in STRATEGIES:
        toml.append(
            f'[datasets."bench.conversion_{strategy}"]\ntable = "conversion_{strategy}"\n'
            f'manifests = "manifests/bench/conversion/dt={{dt}}/hour={{hour}}/{strategy}-{{batch}}.json"\n'
            f'partition = ["dt", "hour"]\nstrategy = "{strategy}"\n'
            + ('keys = ["conversion_id"]\norder_by = "event_ts"\n' if strategy == "merge" else "")
        )
    (bench.root / "loaders.toml").write_text("\n".join(toml))


def check(db: Path, table: str, rows: int, newer: list[str] | None = None) -> None:
    """The table holds the expected rows and, after a re-merge, every row's newer event_ts."""
    with duckdb.connect(str(db), read_only=True) as conn:
        got = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        if got is None or got[0] != rows:
            raise SystemExit(f"wrong result: {db}:{table} has {got} rows, expected {rows}")
        if newer:
            same = conn.execute(
                f"SELECT count(*) FROM {table} AS t JOIN {reader(newer)} s USING (conversion_id) "
                "WHERE t.event_ts = s.event_ts"
            ).fetchone()
            if same is None or same[0] != rows:
                raise SystemExit(f"wrong result: {db}:{table}: {same} of {rows} rows carry the newer event_ts")


def reader(files: list[str]) -> str:
    """Hive partitioning off, as loaders reads the files: their six columns, nothing more."""
    paths = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    return f"read_parquet([{paths}], hive_partitioning = false)"


def same_table_reader(files: list[str]) -> str:
    """The files plus the partition columns loaders adds (dt, hour as text), written the
    fastest way we know in raw DuckDB: one scan, the values joined on by file name."""
    paths = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    values = ", ".join(f"('{f}', '{f.split('dt=')[1][:10]}', '{f.split('hour=')[1][:2]}')" for f in files)
    return (
        f"(SELECT * EXCLUDE (f) FROM read_parquet([{paths}], hive_partitioning = false, filename = 'f') "
        f"JOIN (VALUES {values}) AS p(f, dt, hour) USING (f))"
    )


SAME_DDL = DDL.replace(")", ", dt VARCHAR, hour VARCHAR)")


def merge_sql(files: list[str], same_table: bool = False) -> str:
    cols = [*SCHEMA, *(["dt", "hour"] if same_table else [])]
    source = same_table_reader(files) if same_table else reader(files)
    return (
        f"MERGE INTO t USING {source} AS s ON t.conversion_id = s.conversion_id "
        f"WHEN MATCHED THEN UPDATE SET {', '.join(f'{c} = s.{c}' for c in cols[1:])} "
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(cols)}) VALUES ({', '.join('s.' + c for c in cols)})"
    )


def timed_sql(db: Path, sql: str, setup: str | None = None) -> float:
    """Seconds to open the file, run one statement and close it, as loaders' timings
    include opening and closing the warehouse (the table is created beforehand)."""
    if setup:
        with duckdb.connect(str(db)) as conn:
            conn.execute(setup)
    start = time.perf_counter()
    conn = duckdb.connect(str(db))
    conn.execute(sql)
    conn.close()
    return time.perf_counter() - start


def raw(bench: Bench) -> None:
    v1, v2 = bench.files["v1"], bench.files["v2"]
    db = bench.db("raw_insert")
    bench.record("raw INSERT ... read_parquet", timed_sql(db, f"INSERT INTO t SELECT * FROM {reader(v1)}", DDL))
    check(db, "t", bench.rows)
    db = bench.db("raw_merge")  # its first MERGE pre-loads the table for the second
    bench.record("raw MERGE into empty", timed_sql(db, merge_sql(v1), DDL))
    bench.record("raw MERGE newer rows into loaded", timed_sql(db, merge_sql(v2)))
    check(db, "t", bench.rows, newer=v2)
    # The same statements producing the table loaders produces (with dt and hour):
    db = bench.db("raw_insert_same")
    sql = f"INSERT INTO t SELECT * FROM {same_table_reader(v1)}"
    bench.record("raw INSERT, same table", timed_sql(db, sql, SAME_DDL))
    check(db, "t", bench.rows)
    db = bench.db("raw_merge_same")
    bench.record("raw MERGE into empty, same table", timed_sql(db, merge_sql(v1, True), SAME_DDL))
    bench.record("raw MERGE newer rows, same table", timed_sql(db, merge_sql(v2, True)))
    check(db, "t", bench.rows, newer=v2)


@contextlib.contextmanager
def step_timer() -> Iterator[Steps]:
    """Count and time statements by template step. SqlSink.execute is the one place every
    statement goes through (staging included); the time includes rendering the template."""
    steps: Steps = {}
    original = SqlSink.execute

    def execute(sink: SqlSink, step: str, **context: Any) -> list[tuple[Any, ...]]:
        start = time.perf_counter()
        try:
            return original(sink, step, **context)
        finally:
            entry = steps.setdefault(step, [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - start

    with mock.patch.object(SqlSink, "execute", execute):  # for the benchmark only
        yield steps


def run_loaders(bench: Bench, db: Path, refs: list[str], expect: str) -> tuple[float, Steps]:
    """One invocation, as the Lambda or the CLI does it: open, load the manifests, close."""
    os.environ["BENCH_DUCKDB"] = str(db)
    config = load_config(str(bench.root / "loaders.toml"))
    with step_timer() as steps:
        start = time.perf_counter()
        runner = Runner(config)
        try:
            outcomes = runner.load(refs)
        finally:
            runner.close()
        seconds = time.perf_counter() - start
    units = len({r.rsplit("/", 1)[0] for r in refs})
    wrong = [o for o in outcomes if o.action != expect]
    if wrong or len(outcomes) != units:
        raise SystemExit(f"expected {units} units {expect}, got: {[o.as_json() for o in wrong or outcomes]}")
    return seconds, steps


def loaders(bench: Bench) -> None:
    for strategy in STRATEGIES:
        db = bench.db(f"loaders_{strategy}")
        refs = bench.refs[strategy]
        label = "merge into empty" if strategy == "merge" else strategy
        bench.record(f"loaders {label}", *run_loaders(bench, db, refs, "loaded"))
        if strategy == "merge":
            remerge = bench.refs["remerge"]
            bench.record("loaders merge newer rows into loaded", *run_loaders(bench, db, remerge, "loaded"))
            refs = refs + remerge
        check(db, f"conversion_{strategy}", bench.rows, newer=bench.files["v2"] if strategy == "merge" else None)
        seconds, steps = run_loaders(bench, db, refs, "skipped")  # a sweep over a window where nothing changed
        bench.record(f"loaders unchanged reload ({strategy})", seconds, steps)
        bench.reload_steps[strategy] = {step: int(calls) for step, (calls, _s) in steps.items()}


def dlt_merge(bench: Bench) -> None:
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")  # no network here
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")  # not one schema-hint warning per table
    try:
        import dlt
    except ImportError:
        print("  dlt is not installed (pip install -e '.[bench]'): skipped")
        return
    work = bench.root / "dlt"
    shutil.rmtree(work, ignore_errors=True)
    os.environ["DLT_DATA_DIR"] = str(work / "data")

    @dlt.resource(name="conversion", write_disposition="merge", primary_key="conversion_id")
    def conversion() -> Iterator[pa.Table]:
        for path in bench.files["v1"]:
            yield pq.read_table(path)

    db = bench.db("dlt")
    pipeline = dlt.pipeline(
        pipeline_name="bench",
        destination=dlt.destinations.duckdb(str(db)),
        dataset_name="bench",
        pipelines_dir=str(work / "pipelines"),
    )
    for name in ("dlt merge into empty", "dlt unchanged re-run"):
        start = time.perf_counter()
        pipeline.run(conversion())
        bench.record(name, time.perf_counter() - start)
    check(db, "bench.conversion", bench.rows)


FIGURES = (  # (figure, numerator, denominator or None for the value itself, comparison, target)
    # Like for like: raw SQL producing the same table as loaders (with the partition columns).
    ("loaders append / raw INSERT, same table", "loaders append", "raw INSERT, same table", "<=", 1.15),
    (
        "loaders merge / raw MERGE, same table (empty)",
        "loaders merge into empty",
        "raw MERGE into empty, same table",
        "<=",
        1.3,
    ),
    (
        "loaders merge / raw MERGE, same table (newer)",
        "loaders merge newer rows into loaded",
        "raw MERGE newer rows, same table",
        "<=",
        1.3,
    ),
    # Against raw SQL that loads the files' own columns only (two fewer text columns to write).
    ("loaders append / raw INSERT, file columns", "loaders append", "raw INSERT ... read_parquet", "<=", 1.15),
    ("loaders merge / raw MERGE, file cols (empty)", "loaders merge into empty", "raw MERGE into empty", "<=", 1.3),
    (
        "loaders merge / raw MERGE, file cols (newer)",
        "loaders merge newer rows into loaded",
        "raw MERGE newer rows into loaded",
        "<=",
        1.3,
    ),
    ("dlt merge / loaders merge (empty)", "dlt merge into empty", "loaders merge into empty", ">=", 3),
    *((f"unchanged reload seconds ({s})", f"loaders unchanged reload ({s})", None, "<=", 0.2) for s in STRATEGIES),
    *((f"unchanged reload data statements ({s})", f"data statements ({s})", None, "==", 0) for s in STRATEGIES),
)


def figures(bench: Bench) -> list[dict[str, Any]]:
    values = {name: statistics.median(runs) for name, runs in bench.runs.items()} | {
        f"data statements ({s})": sum(n for step, n in steps.items() if step not in STATE_STEPS)
        for s, steps in bench.reload_steps.items()
    }
    out = []
    for name, top, bottom, op, target in FIGURES:
        if top in values and (bottom is None or bottom in values):
            value = values[top] / values[bottom] if bottom else values[top]
            ok = {"<=": value <= target, ">=": value >= target, "==": value == target}[op]
            out.append({"name": name, "value": round(value, 3), "target": f"{op} {target}", "ok": ok})
    return out


def report(bench: Bench, repeat: int) -> None:
    print(f"\n{'measurement':<40} {'median s':>9} {'min s':>8} {'max s':>8}   ({bench.rows:,} rows, {repeat} runs)")
    for name, runs in bench.runs.items():
        print(f"{name:<40} {statistics.median(runs):9.3f} {min(runs):8.3f} {max(runs):8.3f}")
    rows = figures(bench)
    print(f"\n{'figure':<46} {'value':>8}  {'target':<9} result")
    for r in rows:
        print(f"{r['name']:<46} {r['value']:>8}  {r['target']:<9} {'ok' if r['ok'] else 'MISSED'}")
    print("\nloaders per template step (the run with the median time; a step's time includes rendering it):")
    breakdown: dict[str, Any] = {}
    for name, all_steps in bench.steps.items():
        runs = bench.runs[name]
        median_run = sorted(range(len(runs)), key=runs.__getitem__)[(len(runs) - 1) // 2]
        steps, total = all_steps[median_run], runs[median_run]
        sql = sum(s for _c, s in steps.values())
        ordered = sorted(steps.items(), key=lambda kv: -kv[1][1])
        breakdown[name] = {
            "seconds": total,
            "outside_sql": total - sql,
            "steps": {k: {"calls": int(c), "seconds": s} for k, (c, s) in ordered},
        }
        print(f"  {name}: {total:.3f} s = SQL {sql:.3f} s + outside SQL (manifests, Python) {total - sql:.3f} s")
        for step, (calls, seconds) in ordered:
            print(f"    {step:<18} {int(calls):4d} calls {seconds:8.3f} s {100 * seconds / total:5.1f} %")
    doc = {
        "params": {"rows": bench.rows, "files": len(bench.files["v1"]), "repeat": repeat},
        "environment": versions(),
        "figures": rows,
        "unchanged_reload_statements": bench.reload_steps,
        "measurements": {k: {"median": statistics.median(v), "runs": v} for k, v in bench.runs.items()},
        "loaders_steps": breakdown,
    }
    (bench.root / "results.json").write_text(json.dumps(doc, indent=2))
    print(f"\nwritten: {bench.root / 'results.json'}")


def versions() -> dict[str, str]:
    found = {
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pyarrow": pa.__version__,
        "cores": str(os.cpu_count()),
    }
    with contextlib.suppress(ImportError):
        import dlt

        found["dlt"] = dlt.__version__
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description="loaders' DuckDB sink against raw DuckDB and dlt.")
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--files", type=int, default=20, help="one file (and manifest) per (dt, hour) partition")
    parser.add_argument("--dir", default="/tmp/loaders-bench", help="working folder (data, DuckDB files, results)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is reported")
    args = parser.parse_args()
    bench = Bench(root=Path(args.dir).resolve(), rows=args.rows)
    start = time.perf_counter()
    generate(bench, args.files)
    print(f"generated {args.rows:,} rows x 2 versions in {args.files} files: {time.perf_counter() - start:.1f} s")
    print(", ".join(f"{k} {v}" for k, v in versions().items()))
    for run in range(args.repeat):  # interleaved, so that noise from other work spreads over every measurement
        print(f"run {run + 1}/{args.repeat}")
        raw(bench)
        loaders(bench)
        dlt_merge(bench)
    report(bench, args.repeat)
    shutil.rmtree(bench.root / "db", ignore_errors=True)
    shutil.rmtree(bench.root / "dlt", ignore_errors=True)


if __name__ == "__main__":
    main()
