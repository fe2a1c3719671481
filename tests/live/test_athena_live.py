"""Athena for real: what moto cannot do, run a query (see docs/sinks/athena.md, fidelity).

Needs a bucket and the default AWS credentials allowed to use S3, Glue and Athena:

    ATHENA_S3_ROOT      s3://bucket/prefix, writable; tables, state and query results go under it
    ATHENA_REGION       the region of the bucket, Glue and Athena (default: AWS_REGION)
    ATHENA_WORK_GROUP   optional, default "primary"

Everything is created under a random name (a Glue database, a prefix) and removed
afterwards. Skipped, saying what is missing, otherwise. pyathena runs the queries (it
waits for them to finish); the Hive path never needs it, the Iceberg path runs on it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from manifests import Partition, parse_manifest
from manifests.store import S3Store
from sinks import LoadUnit, Strategy, Target

pytestmark = pytest.mark.live

if not os.environ.get("ATHENA_S3_ROOT"):
    pytest.skip("live Athena tests need ATHENA_S3_ROOT in the environment", allow_module_level=True)
pyathena = pytest.importorskip("pyathena", reason="pip install 'loaders[athena]'")

P8 = Partition.of({"dt": "2026-11-28", "hour": "08"})


@pytest.fixture
def live() -> Iterator[dict[str, Any]]:
    import boto3

    region = os.environ.get("ATHENA_REGION") or os.environ.get("AWS_REGION")
    root = os.environ["ATHENA_S3_ROOT"].rstrip("/") + f"/loaders-live-{secrets.token_hex(4)}/"
    database = f"loaders_live_{secrets.token_hex(4)}"
    yield {"root": root, "database": database, "region": region}
    glue = boto3.client("glue", region_name=region)
    with contextlib.suppress(glue.exceptions.EntityNotFoundException):  # never created: a failed first load
        glue.delete_database(Name=database)
    bucket, _, prefix = root.removeprefix("s3://").partition("/")
    boto3.resource("s3", region_name=region).Bucket(bucket).objects.filter(Prefix=prefix).delete()


def write_batch(store: S3Store, root: str, name: str, rows: list[dict[str, Any]]) -> Any:
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), buffer)
    data_url = f"{root}data/{name}.parquet"
    store.write(data_url, buffer.getvalue())
    entry = {"url": data_url, "mandatory": True, "meta": {"content_length": len(buffer.getvalue())}}
    manifest_url = f"{root}manifests/{name}.json"
    store.write(manifest_url, json.dumps({"entries": [entry]}).encode())
    data, version = store.read(manifest_url)
    return parse_manifest(data, manifest_url, version)


@pytest.mark.parametrize("table_format", ["hive", "iceberg"])
def test_a_merge_is_queryable_in_athena_and_a_reload_changes_nothing(live: dict[str, Any], table_format: str) -> None:
    from sinks.athena import open_athena

    bucket = live["root"].removeprefix("s3://").split("/", 1)[0]
    store = S3Store(f"s3://{bucket}")
    options = {
        "type": "athena",
        "url": f"awsathena+rest://@athena.{live['region']}.amazonaws.com:443/{live['database']}",
        "location": f"{live['root']}warehouse/",
        "region": live["region"],
        "table_format": table_format,
        # the Iceberg path runs its statements through pyathena (the Hive path ignores these)
        "s3_staging_dir": f"{live['root']}athena-results/",
        "work_group": os.environ.get("ATHENA_WORK_GROUP", "primary"),
    }
    target = Target(
        dataset="live.conversion",
        table=f"{live['database']}.conversions",
        format="parquet",
        strategy=Strategy.MERGE,
        partition_columns=("dt", "hour"),
        keys=("conversion_id",),
        order_by="event_ts",
    )
    first = write_batch(
        store, live["root"], "b1", [{"conversion_id": 1, "event_ts": 10}, {"conversion_id": 2, "event_ts": 10}]
    )
    second = write_batch(store, live["root"], "b2", [{"conversion_id": 1, "event_ts": 20}])
    sink = open_athena("live", options, store)
    try:
        assert sink.load(LoadUnit(target, P8, (first,), "live1")).action == "loaded"
        assert sink.load(LoadUnit(target, P8, (first, second), "live2")).action == "loaded"
        assert sink.load(LoadUnit(target, P8, (first, second), "live3")).action == "skipped"
    finally:
        sink.close()
    conn = pyathena.connect(
        s3_staging_dir=f"{live['root']}athena-results/",
        region_name=live["region"],
        work_group=os.environ.get("ATHENA_WORK_GROUP", "primary"),
    )
    try:
        cursor = conn.cursor()
        cursor.execute(
            f'SELECT conversion_id, event_ts, dt, hour FROM "{live["database"]}"."conversions" ORDER BY conversion_id'
        )
        assert [tuple(r) for r in cursor.fetchall()] == [(1, 20, "2026-11-28", "08"), (2, 10, "2026-11-28", "08")]
    finally:
        conn.close()
