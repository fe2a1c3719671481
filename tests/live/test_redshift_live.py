"""Redshift for real: what the local tests can only stand in for (see docs/sinks/postgres-redshift.md).

Needs a cluster or workgroup and a bucket it can read, named by the environment:

    REDSHIFT_URL        redshift+redshift_connector://user:password@host:5439/db (IAM options as query parameters)
    REDSHIFT_IAM_ROLE   the role COPY reads S3 with
    REDSHIFT_S3_ROOT    s3://bucket/prefix, in the cluster's region, writable with the default AWS credentials

Everything is created under a random name (a prefix in the bucket, a target schema, a
state schema) and removed afterwards. Skipped, saying which variable is missing, otherwise.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from manifests import Manifest, Partition, TerminalError, parse_manifest
from manifests.check import check_files
from manifests.store import S3Store
from sinks import LoadUnit, Strategy, Target

pytestmark = pytest.mark.live

NEEDED = ("REDSHIFT_URL", "REDSHIFT_IAM_ROLE", "REDSHIFT_S3_ROOT")
P8 = Partition.of({"dt": "2026-11-28", "hour": "08"})

if missing := [name for name in NEEDED if not os.environ.get(name)]:
    pytest.skip(f"live Redshift tests need {', '.join(missing)} in the environment", allow_module_level=True)
pytest.importorskip("redshift_connector", reason="pip install 'loaders[redshift]'")


@dataclass
class Live:
    store: S3Store
    options: dict[str, Any]
    schema: str

    def sink(self) -> Any:
        from sinks.redshift import RedshiftSink

        return RedshiftSink("live", self.options, self.store)

    def target(self, strategy: Strategy, fmt: str = "parquet") -> Target:
        merge = strategy is Strategy.MERGE
        return Target(
            dataset="live.conversion",
            table=f"{self.schema}.conversions",
            format=fmt,
            strategy=strategy,
            partition_columns=("dt", "hour"),
            keys=("conversion_id",) if merge else (),
            order_by="event_ts" if merge else None,
        )

    def batch(self, name: str, table: pa.Table, fmt: str = "parquet") -> Manifest:
        """A data file and its manifest (with record_count, so COPY's own counts are checked)."""
        out = io.BytesIO()
        if fmt == "parquet":
            pq.write_table(table, out)
        else:
            pacsv.write_csv(table, out)
        data = f"{self.store.root}data/{P8.key}/{name}.{fmt}"
        self.store.write(data, out.getvalue())
        meta = {"content_length": len(out.getvalue()), "record_count": table.num_rows}
        url = f"{self.store.root}manifests/{P8.key}/{name}.json"
        self.store.write(url, json.dumps({"entries": [{"url": data, "mandatory": True, "meta": meta}]}).encode())
        raw, version = self.store.read(url)
        return check_files(parse_manifest(raw, url, version), self.store, (self.store.root,))

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        sink = self.sink()
        try:
            return sink._query(sql)
        finally:
            sink.close()


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    token = secrets.token_hex(4)
    store = S3Store(f"{os.environ['REDSHIFT_S3_ROOT'].rstrip('/')}/loaders-live-{token}")
    options = {
        "type": "redshift",
        "url": os.environ["REDSHIFT_URL"],
        "iam_role": os.environ["REDSHIFT_IAM_ROLE"],
        "state_schema": f"_loaders_live_{token}",
    }
    found = Live(store, options, f"loaders_live_{token}")
    try:
        yield found
    finally:
        for schema in (found.schema, options["state_schema"]):
            found.query(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        bucket = store.root[len("s3://") :].split("/", 1)[0]
        for obj in store.list(store.root):
            store.client.delete_object(Bucket=bucket, Key=obj.url[len(f"s3://{bucket}/") :])


def load(live: Live, strategy: Strategy, manifests: list[Manifest], fmt: str = "parquet") -> Any:
    sink = live.sink()
    try:
        unit = LoadUnit(live.target(strategy, fmt), P8, tuple(manifests), load_id="live" + secrets.token_hex(4))
        return sink.load(unit)
    finally:
        sink.close()


def table(ids: list[int], ts: int) -> pa.Table:
    return pa.table(
        {"conversion_id": pa.array(ids, pa.int64()), "event_ts": [ts] * len(ids), "revenue": [1.5] * len(ids)}
    )


def test_copy_merge_and_state_on_a_real_cluster(live: Live) -> None:
    """COPY … MANIFEST FORMAT AS PARQUET; SYS_LOAD_DETAIL counts equal to record_count; the
    partition columns added after the COPY; the delete + insert merge; a no-op reload."""
    b1 = live.batch("b1", table([1, 2, 3], 10))
    first = load(live, Strategy.MERGE, [b1])
    assert (first.action, first.rows) == ("loaded", 3)
    b2 = live.batch("b2", table([3, 4], 20))
    second = load(live, Strategy.MERGE, [b1, b2])
    assert (second.action, second.rows) == ("loaded", 2)
    assert load(live, Strategy.MERGE, [b1, b2]).action == "skipped"
    got = live.query(f'SELECT conversion_id, event_ts, dt, hour FROM "{live.schema}".conversions ORDER BY 1')
    assert got == [(1, 10, "2026-11-28", "08"), (2, 10, "2026-11-28", "08"), (3, 20, "2026-11-28", "08"),
                   (4, 20, "2026-11-28", "08")]  # fmt: skip


def test_csv_counts_exclude_the_header_and_a_bad_row_is_reported(live: Live) -> None:
    good = live.batch("c1", table([10, 11], 5), fmt="csv")
    assert load(live, Strategy.APPEND, [good], fmt="csv").rows == 2  # record_count 2: no header line counted
    bad = pa.table({"conversion_id": ["12"], "event_ts": ["not a number"], "revenue": ["1"]})
    with pytest.raises(TerminalError, match="first rejected rows") as caught:
        load(live, Strategy.APPEND, [live.batch("c2", bad, fmt="csv")], fmt="csv")
    assert caught.value.file is not None and caught.value.file.endswith("c2.csv")


def test_two_concurrent_loads_queue_on_the_lock_instead_of_error_1023(live: Live) -> None:
    batch = live.batch("p1", table(list(range(100, 200)), 1))
    results: list[Any] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work() -> None:
        try:
            start.wait()
            results.append(load(live, Strategy.APPEND, [batch]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r.action for r in results) == ["loaded", "skipped"]


def test_the_query_group_labels_the_loads(live: Live) -> None:
    rows = live.query("SELECT COUNT(*) FROM sys_query_history WHERE query_label = 'loaders:live.conversion'")
    assert rows[0][0] > 0
