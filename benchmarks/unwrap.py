"""Unwrapping avro-wrapped files into Parquet: time and peak memory against the file size.

Writes one DataWrapper container file of ``--rows`` records (two writer schemas, as a
producer mid-migration would), then, each in a fresh process so peak RSS is its own:

    loaders     manifests.convert.convert(): streamed, bounded batches per schema
    naive       fastavro reads every envelope and datum into a list, then one Arrow table
    read only   fastavro iterates the envelopes and does nothing (the floor for time)

and prints seconds, peak RSS and RSS / file size. Memory should stay flat as the file grows
for ``loaders`` and grow with it for ``naive``.

Usage: python benchmarks/unwrap.py [--rows 1000000] [--dir /tmp/loaders-unwrap]
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SCHEMA_V1 = {"type": "record", "name": "Conversion", "fields": [
    {"name": "conversion_id", "type": "long"},
    {"name": "event_ts", "type": "long"},
    {"name": "campaign", "type": "string"},
    {"name": "revenue", "type": "double"},
]}  # fmt: skip
SCHEMA_V2 = {**SCHEMA_V1, "fields": [*SCHEMA_V1["fields"], {"name": "coupon", "type": ["null", "string"]}]}
WRAPPER = {"type": "record", "name": "DataWrapper", "fields": [
    {"name": "dataType", "type": "string"},
    {"name": "schemaFingerprint", "type": "long"},
    {"name": "data", "type": "bytes"},
]}  # fmt: skip

RUN = """
import json, resource, sys, time
mode, root, file = sys.argv[1], sys.argv[2], sys.argv[3]
start = time.perf_counter()
if mode == "loaders":
    from manifests.convert import convert
    from manifests.models import Entry, Manifest
    from manifests.schemas import SchemaRegistry
    from manifests.store import LocalStore
    store = LocalStore(root)
    manifest = Manifest(url=store.resolve("m.json"), version="v", entries=(Entry(url=store.resolve(file)),))
    converted = convert(manifest, "avro-wrapped", store, SchemaRegistry(store), [], "bench")
    rows = sum(e.record_count for e in converted.entries)
elif mode == "naive":
    import io, fastavro, pyarrow as pa
    from manifests.schemas import SchemaRegistry
    from manifests.store import LocalStore
    registry = SchemaRegistry(LocalStore(root))
    with open(root + "/" + file, "rb") as fh:
        records = []
        for w in fastavro.reader(fh):
            schema = registry.lookup(w["dataType"], w["schemaFingerprint"])
            records.append(fastavro.schemaless_reader(io.BytesIO(w["data"]), schema, None))
    rows = pa.Table.from_pylist(records).num_rows
else:
    import fastavro
    with open(root + "/" + file, "rb") as fh:
        rows = sum(1 for _ in fastavro.reader(fh))
seconds = time.perf_counter() - start
print(json.dumps({"rows": rows, "seconds": seconds, "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def write_input(root: Path, rows: int) -> Path:
    import fastavro

    from manifests.schemas import SchemaRegistry, fingerprint
    from manifests.store import LocalStore

    registry = SchemaRegistry(LocalStore(str(root)))
    registry.publish("conversion", SCHEMA_V1)
    registry.publish("conversion", SCHEMA_V2)
    parsed = {1: fastavro.parse_schema(SCHEMA_V1), 2: fastavro.parse_schema(SCHEMA_V2)}
    prints = {1: fingerprint(SCHEMA_V1), 2: fingerprint(SCHEMA_V2)}

    def envelopes() -> Iterator[dict[str, Any]]:
        for i in range(rows):
            version = 1 if i % 3 else 2
            row = {"conversion_id": i, "event_ts": 1_764_400_000 + i, "campaign": f"c-{i % 97}", "revenue": i * 0.01}
            if version == 2:
                row["coupon"] = "WINTER" if i % 2 else None
            datum = io.BytesIO()
            fastavro.schemaless_writer(datum, parsed[version], row)
            yield {"dataType": "conversion", "schemaFingerprint": prints[version], "data": datum.getvalue()}

    path = root / "data" / "wrapped.avro"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        fastavro.writer(fh, fastavro.parse_schema(WRAPPER), envelopes(), codec="deflate")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", default="/tmp/loaders-unwrap")
    args = parser.parse_args()
    root = Path(args.dir)
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    path = write_input(root, args.rows)
    size = path.stat().st_size
    print(
        f"input: {args.rows:,} wrapped records, {size / 2**20:.1f} MB on disk ({time.perf_counter() - started:.0f} s)"
    )
    repo = Path(__file__).resolve().parents[1]
    results = {}
    for mode in ("read only", "loaders", "naive"):
        done = subprocess.run(
            [sys.executable, "-c", RUN, mode.split()[0], str(root), "data/wrapped.avro"],
            capture_output=True, text=True, check=True, cwd=repo,
        )  # fmt: skip
        results[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{'':10} {'rows':>10} {'seconds':>8} {'peak RSS MB':>12} {'RSS / file':>10}")
    for mode, r in results.items():
        peak = r["peak_kb"] / 1024
        print(f"{mode:10} {r['rows']:>10,} {r['seconds']:8.1f} {peak:12.0f} {peak * 2**20 / size:10.1f}")
    ours, naive = results["loaders"], results["naive"]
    time_ratio = ours["seconds"] / naive["seconds"]
    print(f"\nloaders / naive: time {time_ratio:.2f}, peak RSS {ours['peak_kb'] / naive['peak_kb']:.2f}")


if __name__ == "__main__":
    main()
