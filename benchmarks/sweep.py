"""The cost of lookback: a no-op sweep and a sweep with one late manifest, in moto S3.

    python benchmarks/sweep.py [--days 30] [--manifests 10] [--repeat 3]

30 days x 24 hourly partitions x 10 manifests (one small Parquet file each) are put in a
bucket of a moto server (real HTTP), loaded once into DuckDB, and then swept over the
whole window. Targets: a no-op sweep takes <= 1 s with exactly one LIST per partition
and one state query per sink; a sweep after one late manifest loads exactly one unit.
Both are compared with reloading the window (``--reprocess all``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from botocore.config import Config

from loaders.config import load_config
from loaders.executor import execute
from loaders.planner import Planner, Reprocess, Window
from loaders.runner import Outcome, Runner
from sinks.sql import SqlSink

DATASET = "ad_server.conversion"
CONFIG = """
[store]
root = "s3://{bucket}"
endpoint_url = "{endpoint}"

[sinks.local]
type = "duckdb"
url = "duckdb:///warehouse.duckdb"

[datasets."{dataset}"]
table = "raw.conversions"
format = "parquet"
manifests = "manifests/ad_server/conversion/dt={{dt}}/hour={{hour}}/{{batch}}.json"
partition = ["dt", "hour"]
strategy = "merge"
keys = ["conversion_id"]
order_by = "event_ts"
lookback = "{days}d"
"""


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    """moto's server in a process of its own, as S3 is: sharing our GIL would slow both."""
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
    )  # fmt: skip
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(600):  # setup only: wait for the server to answer, at most ~30 s
        try:
            urllib.request.urlopen(endpoint, timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    return server, endpoint


def fill(client: Any, bucket: str, days: list[str], per_partition: int) -> list[tuple[str, str, str]]:
    """Put the lake over HTTP with a pool of PUTs; returns (partition, manifest URL, ETag)."""
    client.create_bucket(Bucket=bucket)
    jobs = [(day, f"{h:02d}", f"b{b:02d}") for day in days for h in range(24) for b in range(per_partition)]
    with ThreadPoolExecutor(max_workers=32) as pool:
        return list(pool.map(lambda j: put_batch(client, bucket, *j[1][:3], first_id=j[0] * 10), enumerate(jobs)))


def put_batch(client: Any, bucket: str, day: str, hour: str, batch: str, first_id: int) -> tuple[str, str, str]:
    ids = list(range(first_id, first_id + 10))
    buf = io.BytesIO()
    pq.write_table(pa.table({"conversion_id": ids, "event_ts": [1] * 10, "revenue": [1.0] * 10}), buf)
    part = f"dt={day}/hour={hour}"
    data_key = f"data/ad_server/conversion/{part}/{batch}.parquet"
    client.put_object(Bucket=bucket, Key=data_key, Body=buf.getvalue())
    entry = {"url": f"s3://{bucket}/{data_key}", "mandatory": True,
             "meta": {"content_length": len(buf.getvalue()), "record_count": 10}}  # fmt: skip
    key = f"manifests/ad_server/conversion/{part}/{batch}.json"
    put = client.put_object(Bucket=bucket, Key=key, Body=json.dumps({"entries": [entry]}).encode())
    return part, f"s3://{bucket}/{key}", put["ETag"].strip('"')


def raw_lists(client: Any, bucket: str, days: list[str]) -> float:
    """The floor: the same LISTs with boto3 alone, as concurrent as the planner's."""
    from loaders.planner import LIST_CONCURRENCY

    prefixes = [f"manifests/ad_server/conversion/dt={d}/hour={h:02d}/" for d in days for h in range(24)]
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=LIST_CONCURRENCY) as pool:
        list(pool.map(lambda p: client.list_objects_v2(Bucket=bucket, Prefix=p), prefixes))
    return time.perf_counter() - start


def seed_state(config_path: Path, applied: list[tuple[str, str, str]]) -> None:
    """Record every manifest as applied, as a finished initial load would have. Loading
    7,200 tiny files through moto takes ~20 minutes and is not what this measures (the
    load path is benchmarks/bench_duckdb.py); the sweep reads exactly this state."""
    runner = Runner(load_config(str(config_path)))
    try:
        runner.sink("local").states()  # creates the state tables through the sink
    finally:
        runner.close()
    with duckdb.connect(str(config_path.parent / "warehouse.duckdb")) as conn:
        now = datetime.now(UTC).replace(tzinfo=None)
        conn.executemany(
            "INSERT INTO _loaders.manifests VALUES (?, ?, ?, ?, 10, 'seed', ?)",
            [(DATASET, part, url, etag, now) for part, url, etag in applied],
        )
        conn.execute(
            "INSERT INTO _loaders.partitions SELECT dataset, partition_key, 'loaded', sum(rows_loaded), count(*), 1,"
            " NULL, 'seed', max(applied_at), max(applied_at) FROM _loaders.manifests GROUP BY ALL"
        )


@contextmanager
def counting(runner: Runner) -> Iterator[dict[str, int]]:
    """S3 calls by operation and sink statements by step, while the block runs."""
    counts: dict[str, int] = {}

    def on_call(model: Any, **_: Any) -> None:
        counts[f"s3 {model.name}"] = counts.get(f"s3 {model.name}", 0) + 1

    original = SqlSink.execute

    def execute_counted(sink: SqlSink, step: str, **context: Any) -> list[tuple[Any, ...]]:
        counts[f"sql {step}"] = counts.get(f"sql {step}", 0) + 1
        return original(sink, step, **context)

    runner.store.client.meta.events.register("before-call.s3.*", on_call)  # type: ignore[attr-defined]
    with mock.patch.object(SqlSink, "execute", execute_counted):
        yield counts
    runner.store.client.meta.events.unregister("before-call.s3.*", on_call)  # type: ignore[attr-defined]


def sweep(config_path: Path, window: Window, reprocess: Reprocess) -> tuple[float, list[Outcome], dict[str, int]]:
    """One sweep as the scheduled Lambda runs it: open, plan, load, close."""
    start = time.perf_counter()
    runner = Runner(load_config(str(config_path)))
    try:
        with counting(runner) as counts:
            planner = Planner(runner.store, runner.sinks)
            plan = planner.plan(runner.config.datasets[DATASET], window, ["local"], reprocess)
            outcomes, _ = execute(runner, plan)
    finally:
        runner.close()
    return time.perf_counter() - start, outcomes, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--manifests", type=int, default=10, help="manifests per hourly partition")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    server, endpoint = start_moto()
    workdir = Path(tempfile.mkdtemp(prefix="loaders-sweep-"))
    try:
        client = boto3.client("s3", endpoint_url=endpoint, config=Config(max_pool_connections=32))
        today = datetime.now(UTC).date()
        days = [(today - timedelta(days=i)).isoformat() for i in range(args.days)]
        window = Window.last_days(args.days, today)
        applied = fill(client, "bench", days, args.manifests)
        config = workdir / "loaders.toml"
        config.write_text(CONFIG.format(bucket="bench", endpoint=endpoint, dataset=DATASET, days=args.days))
        partitions = args.days * 24
        print(f"{len(applied)} manifests in {partitions} partitions over {args.days} days, moto S3 at {endpoint}")
        seed_state(config, applied)

        raw_s = statistics.median(raw_lists(client, "bench", days) for _ in range(args.repeat))
        noop = [sweep(config, window, Reprocess.MISSING) for _ in range(args.repeat)]
        noop_s = statistics.median(s for s, _o, _c in noop)
        _s, noop_outcomes, noop_counts = noop[-1]

        put_batch(client, "bench", days[-1], "07", "late", first_id=10**9)
        late_s, late_outcomes, late_counts = sweep(config, window, Reprocess.MISSING)
        one_day = Window.last_days(1, today)
        reload_day_s, reload_outcomes, _c = sweep(config, one_day, Reprocess.ALL)
        reload_s = reload_day_s * args.days
    finally:
        server.terminate()
        server.wait()

    data = [k for k in noop_counts if k.startswith("sql ") and k[4:] not in STATE_STEPS]
    figures = [
        ("no-op sweep, seconds (median)", round(noop_s, 3), "<= 1 s", noop_s <= 1.0),
        ("raw boto3 LISTs of the same prefixes, seconds", round(raw_s, 3), "", None),
        ("no-op sweep / raw LISTs", round(noop_s / raw_s, 2), "", None),
        ("no-op sweep, LIST calls", noop_counts.get("s3 ListObjectsV2", 0), f"== {partitions}",
         noop_counts.get("s3 ListObjectsV2", 0) == partitions),
        ("no-op sweep, other S3 calls", sum(v for k, v in noop_counts.items() if k.startswith("s3 ")
                                           and k != "s3 ListObjectsV2"), "== 0", None),
        ("no-op sweep, state queries", noop_counts.get("sql window_state", 0), "== 1",
         noop_counts.get("sql window_state", 0) == 1),
        ("no-op sweep, data statements", len(data), "== 0", not data and not noop_outcomes),
        ("late manifest sweep, seconds", round(late_s, 3), "", None),
        ("late manifest sweep, units loaded", sum(o.action == "loaded" for o in late_outcomes), "== 1",
         [o.action for o in late_outcomes] == ["loaded"]),
        ("late manifest sweep, manifest GETs", late_counts.get("s3 GetObject", 0), "", None),
        ("reload of one day (--reprocess all), seconds", round(reload_day_s, 3), "", None),
        ("reload one day, units loaded", sum(o.action == "loaded" for o in reload_outcomes), "== 24", None),
        (f"reload of the window, estimated ({args.days} x one day)", round(reload_s, 1), "", None),
        ("reload of the window / no-op sweep", round(reload_s / noop_s), "", None),
    ]  # fmt: skip
    print(f"\n{'figure':<52} {'value':>10}  {'target':<8} result")
    for name, value, target, ok in figures:
        result = "" if ok is None else ("ok" if ok else "MISSED")
        print(f"{name:<52} {value!s:>10}  {target:<8} {result}")


STATE_STEPS = {"state_tables", "state_schema", "state_partitions", "state_manifests", "window_state", "applied"}

if __name__ == "__main__":
    main()
