"""Lambda cold start: what ``import loaders.aws`` and the first invocation cost.

Each figure is the median wall time of ``--runs`` fresh interpreters (``python -c``),
minus a bare interpreter's median (``python -c pass``), so it is what our code adds to
Lambda's init phase. Peers in the same run, for scale: boto3 (which the Lambda runtime
imports anyway for most functions), DuckDB, pyarrow, Powertools' logger and metrics, and
the Snowflake connector when installed.

    import loaders.aws              the handler module Lambda imports at init (target: <= 150 ms)
    first invocation (no-op)        + Powertools, config read, an S3 test event handled
    first invocation (load)         + the runner, boto3, pyarrow, DuckDB: a manifest loaded

Usage: python benchmarks/cold_start.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 150.0

CONTEXT = """
class Context:
    function_name = "bench"; memory_limit_in_mb = 1024; aws_request_id = "r"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
"""
NOOP = (
    CONTEXT
    + """
import loaders.aws
loaders.aws.handler({"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": "m",
    "Message": '{"Event": "s3:TestEvent"}'}}]}, Context())
"""
)
LOAD = (
    CONTEXT
    + """
import json, os, loaders.aws
msg = json.dumps({"manifest": os.environ["BENCH_MANIFEST"]})
r = loaders.aws.handler({"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": "m", "Message": msg}}]}, Context())
assert r["loaded"] == 1, r
"""
)


def timed(code: str, runs: int, env: dict[str, str], setup: str | None = None) -> float:
    """Median seconds of ``python -c code`` in fresh interpreters."""
    samples = []
    for _ in range(runs):
        if setup:
            subprocess.run([sys.executable, "-c", setup], env=env, check=True)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True, stdout=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def lake(folder: Path) -> str:
    """A one-file lake and config for the load invocation; returns the manifest path."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = folder / "lake/data/bench/dt=2026-11-29/part-0.parquet"
    data.parent.mkdir(parents=True)
    pq.write_table(pa.table({"id": list(range(1000))}), data)
    manifest = folder / "lake/manifests/bench/dt=2026-11-29/b1.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"entries": [{"url": str(data.relative_to(folder / "lake")), "mandatory": True}]}))
    (folder / "loaders.toml").write_text(
        '[store]\nroot = "./lake"\n\n[sinks.local]\ntype = "duckdb"\nurl = "duckdb:///wh.duckdb"\n\n'
        '[datasets."bench.rows"]\ntable = "rows"\nformat = "parquet"\n'
        'manifests = "manifests/bench/dt={dt}/{batch}.json"\npartition = ["dt"]\nstrategy = "append"\n'
    )
    return str(manifest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        manifest = lake(folder)
        env = {**os.environ, "LOADERS_CONFIG": str(folder / "loaders.toml"), "BENCH_MANIFEST": manifest}
        env.pop("AWS_LAMBDA_FUNCTION_NAME", None)
        reset = f"import pathlib; pathlib.Path({str(folder / 'wh.duckdb')!r}).unlink(missing_ok=True)"
        bare = timed("pass", args.runs, env)
        rows = [
            ("import loaders.aws", timed("import loaders.aws", args.runs, env)),
            ("first invocation (no-op)", timed(NOOP, args.runs, env)),
            ("first invocation (load)", timed(LOAD, args.runs, env, setup=reset)),
        ]
        peers = [
            ("import boto3", "import boto3"),
            ("import duckdb", "import duckdb"),
            ("import pyarrow", "import pyarrow"),
            ("import powertools Logger+Metrics", "from aws_lambda_powertools import Logger, Metrics"),
            ("import snowflake.connector", "import snowflake.connector"),
        ]
        for name, code in peers:
            probe = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True)
            if probe.returncode == 0:
                rows.append((name, timed(code, args.runs, env)))
    print(f"bare interpreter: {bare * 1000:.0f} ms (subtracted below); median of {args.runs} runs")
    print(f"{'':34} {'ms over bare':>12}")
    ours = rows[0][1] - bare
    for name, seconds in rows:
        print(f"{name:34} {(seconds - bare) * 1000:12.0f}")
    boto3 = next((s - bare for n, s in rows if n == "import boto3"), None)
    verdict = "OK" if ours * 1000 <= TARGET_MS else "OVER"
    print(f"\nimport loaders.aws: {ours * 1000:.0f} ms (target <= {TARGET_MS:.0f} ms): {verdict}")
    if boto3:
        print(f"ratio import loaders.aws / import boto3: {ours / boto3:.2f}")


if __name__ == "__main__":
    main()
