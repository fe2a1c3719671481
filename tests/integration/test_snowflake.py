"""Snowflake on fakesnow over HTTP, reading a moto S3 bucket through an external stage.

A fakesnow server runs in its own process and virtual environment (see
``tests/integration/fakesnow_server.py`` for why and for the gaps it closes); the
connector reaches it with ``host``, ``port`` and ``protocol`` query parameters in the
sink URL, exactly as a user's URL reaches Snowflake. Each test gets a bucket of its own
and a database of its own (with the external stage over that bucket). What fakesnow can
and cannot prove is listed in docs/sinks/snowflake.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from loaders.config import load_config
from loaders.runner import Runner
from manifests import ForeignURLError, LoaderError, Partition, RecordCountError
from manifests.schemas import SchemaRegistry
from manifests.store import S3Store
from sinks import Strategy
from sinks.snowflake import SnowflakeSink
from tests.conformance_rows import conversions
from tests.integration.conformance import Harness, SinkContract, target, unit
from tests.integration.planner_contract import PlannerContract, lake_of
from tests.integration.test_formats import ROWS, avro_bytes, wrapped_bytes
from tests.integration.test_formats import SCHEMA as AVRO_SCHEMA
from tests.lake import Lake

ROOT = Path(__file__).resolve().parents[2]
SERVER = Path(__file__).with_name("fakesnow_server.py")
#: fakesnow pins an older sqlglot than loaders: it lives in a venv of its own (Makefile).
FAKESNOW_PYTHON = Path(os.environ.get("LOADERS_FAKESNOW_PYTHON", ROOT / ".venv-fakesnow/bin/python"))


@pytest.fixture(scope="session")
def offline_connector() -> Iterator[None]:
    """The connector probes cloud metadata endpoints (EC2, Azure, GCP, STS) at each
    connect to report its platform: off, here and in the CLI runs, which inherit it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
        yield


@pytest.fixture(scope="session")
def fakesnow_port(moto_server: str, offline_connector: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """One fakesnow server for the session; its DuckDB reads S3 from the moto server."""
    if not FAKESNOW_PYTHON.exists():
        pytest.fail(f"no fakesnow environment at {FAKESNOW_PYTHON}: run `make test` (it creates .venv-fakesnow)")
    log = tmp_path_factory.mktemp("fakesnow") / "server.log"
    with log.open("wb") as err:
        server = subprocess.Popen(
            [str(FAKESNOW_PYTHON), str(SERVER), "--s3-endpoint", moto_server],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
        )
    assert server.stdout is not None and server.stdin is not None
    line = server.stdout.readline()  # written once the server listens; EOF if it died
    if not line:
        server.wait()
        pytest.fail(f"the fakesnow server did not start:\n{log.read_text()[-3000:]}")
    try:
        yield int(json.loads(line)["port"])
    finally:
        server.stdin.close()  # the server stops when its standard input closes
        server.wait(timeout=30)


def sink_url(port: int, database: str) -> str:
    return f"snowflake://fake:snow@fakesnow/{database}/PUBLIC?host=127.0.0.1&port={port}&protocol=http"


def connect(port: int, database: str) -> Any:
    import snowflake.connector

    return snowflake.connector.connect(
        user="fake", password="snow", account="fakesnow", host="127.0.0.1", port=port, protocol="http",
        database=database, schema="PUBLIC",
    )  # fmt: skip


@pytest.fixture
def warehouse(fakesnow_port: int, s3_bucket: tuple[str, str]) -> Iterator[tuple[str, Any]]:
    """A database of its own, with the external stage ``lake_stage`` over the test bucket."""
    _endpoint, bucket = s3_bucket
    database = f"T{uuid.uuid4().hex[:12].upper()}"
    conn = connect(fakesnow_port, database)
    try:
        conn.cursor().execute(f"CREATE STAGE lake_stage URL = 's3://{bucket}/'")
        yield database, conn
    finally:
        conn.close()


def snowflake_harness(port: int, s3: tuple[str, str], database: str, conn: Any, tmp_path: Path) -> Harness:
    endpoint, bucket = s3
    store = S3Store(f"s3://{bucket}", endpoint)
    lake = Lake(tmp_path / "lake", store=store)
    options = {"type": "snowflake", "url": sink_url(port, database), "stage": "@lake_stage"}

    def open_sink() -> SnowflakeSink:
        return SnowflakeSink("snowflake", options, store, str(tmp_path))

    def read(sql: str) -> list[tuple[Any, ...]]:
        # A session of its own: it sees committed data only, as any other reader would.
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return [tuple(r) for r in cursor.fetchall()]

    return Harness(lake=lake, open_sink=open_sink, read=read)


class TestSnowflakeContract(SinkContract):
    #: the test server's INFER_SCHEMA reads Parquet only (fakesnow has none)
    formats = ("parquet",)

    @pytest.fixture
    def harness(
        self, fakesnow_port: int, s3_bucket: tuple[str, str], warehouse: tuple[str, Any], tmp_path: Path
    ) -> Harness:
        database, conn = warehouse
        return snowflake_harness(fakesnow_port, s3_bucket, database, conn, tmp_path)


# -- what only this sink does -----------------------------------------------------------


@pytest.fixture
def harness(fakesnow_port: int, s3_bucket: tuple[str, str], warehouse: tuple[str, Any], tmp_path: Path) -> Harness:
    database, conn = warehouse
    return snowflake_harness(fakesnow_port, s3_bucket, database, conn, tmp_path)


def test_a_load_is_tagged_staged_by_copy_and_applied_in_one_transaction(harness: Harness) -> None:
    key = harness.lake.write({"dt": "2026-11-28", "hour": "08"}, "b1", conversions((1, 10), (2, 10)), files=2)
    sent: list[tuple[str, str]] = []
    sink = harness.open_sink()
    original = sink.render

    def spy(step: str, **context: Any) -> str:
        sql = original(step, **context)
        sent.append((step, sql))
        return sql

    sink.render = spy  # type: ignore[method-assign]
    try:
        result = sink.load(
            unit(target(Strategy.MERGE), {"dt": "2026-11-28", "hour": "08"}, [harness.lake.manifest(key)])
        )
    finally:
        sink.close()
    assert (result.action, result.rows) == ("loaded", 2)
    steps = [s for s, _sql in sent]
    begin = steps.index("begin")
    assert steps[steps.index("query_tag") :][:3] == ["query_tag", "file_format", "describe"]
    assert steps[begin:] == [
        "begin", "lock", "lock_insert", "applied", "merge_delete", "merge_insert",
        # the first load of a dataset in a process rewrites state an older version recorded
        # by absolute URL (no rows here); later loads in the process do not send it
        "migrate_keys", "record_manifests", "record_partition", "commit", "drop_stage",
    ]  # fmt: skip
    assert "create_target" in steps[:begin]  # DDL before BEGIN: Snowflake would commit the transaction
    tag = dict(sent)["query_tag"]
    assert '"dataset": "ad_server.conversion"' in tag and '"partitions": ["dt=2026-11-28/hour=08"]' in tag
    [copy] = [sql for step, sql in sent if step == "copy"]
    assert "FORCE = TRUE" in copy and "MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE" in copy
    assert "'data/ad_server/conversion/dt=2026-11-28/hour=08/b1-0.parquet'" in copy
    assert harness.read('SELECT COUNT(*) FROM "_LOADERS"."PARTITIONS"') == [(1,)]


def test_a_url_outside_the_stage_is_refused_and_nothing_is_loaded(harness: Harness) -> None:
    key = harness.lake.write({"dt": "2026-11-28", "hour": "08"}, "b1", conversions((1, 10)))
    options = harness.open_sink().options  # type: ignore[attr-defined]
    narrow = SnowflakeSink(
        "snowflake", {**options, "stage_url": f"{harness.lake.store.root}elsewhere/"}, harness.lake.store
    )
    try:
        with pytest.raises(ForeignURLError, match="outside stage @lake_stage"):
            narrow.load(unit(target(Strategy.APPEND), {"dt": "2026-11-28", "hour": "08"}, [harness.lake.manifest(key)]))
    finally:
        narrow.close()
    assert harness.read("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'RAW'") == [(0,)]


def test_a_copy_that_fails_halfway_leaves_no_staging_table(harness: Harness) -> None:
    key = harness.lake.write({"dt": "2026-11-28", "hour": "08"}, "b1", conversions((1, 10)))
    manifest = harness.lake.manifest(key)
    harness.lake.corrupt(manifest.entries[0].url)  # same size: staging gets as far as COPY
    sink = harness.open_sink()
    try:
        with pytest.raises(LoaderError):
            sink.load(unit(target(Strategy.APPEND), {"dt": "2026-11-28", "hour": "08"}, [manifest]))
    finally:
        sink.close()
    stages = "SELECT COUNT(*) FROM information_schema.tables WHERE table_name LIKE '%LOADERS_STAGE%'"
    assert harness.read(stages) == [(0,)]


def test_a_new_column_is_added_before_begin_with_its_inferred_type_and_a_crash_there_converges(
    harness: Harness,
) -> None:
    """ALTER TABLE commits an open transaction on Snowflake, so ADD COLUMN runs while
    staging, before BEGIN. A crash after it leaves the new columns null in every row, data
    and state unchanged; the retry finds them there, adds nothing and loads the batch."""
    p8 = {"dt": "2026-11-28", "hour": "08"}
    first = harness.lake.write(p8, "b1", conversions((1, 10)))
    sink = harness.open_sink()
    try:
        assert sink.load(unit(target(Strategy.APPEND), p8, [harness.lake.manifest(first)])).rows == 1
    finally:
        sink.close()
    newer = [{**conversions((2, 20))[0], "coupon": "WINTER", "units": 3, "seen_at": datetime(2026, 11, 28, 8, 30)}]
    second = harness.lake.write(p8, "b2", newer)
    batch = unit(target(Strategy.APPEND), p8, [harness.lake.manifest(first), harness.lake.manifest(second)])

    def attempt(crash: bool) -> list[str]:
        sent: list[str] = []
        sink = harness.open_sink()
        original = sink.render

        def spy(step: str, **context: Any) -> str:
            sent.append(step)
            return original(step, **context)

        def checkpoint(step: str) -> None:
            if crash and step == "staged":
                raise RuntimeError("the process dies before BEGIN")

        sink.render = spy  # type: ignore[method-assign]
        sink.checkpoint = checkpoint  # type: ignore[method-assign]
        try:
            sink.load(batch)
        except RuntimeError:
            assert crash
        finally:
            sink.close()
        return sent

    crashed = attempt(crash=True)
    assert crashed.count("add_column") == 3 and "begin" not in crashed
    assert crashed.index("copy") < crashed.index("add_column")  # types were checked, nothing refused
    # seen_at IS NULL: fakesnow's server sends a NULL TIMESTAMP_NTZ to the connector as 1970-01-01
    null_row = "SELECT conversion_id, coupon, units, seen_at IS NULL FROM raw.conversions ORDER BY 1"
    assert harness.read(null_row) == [(1, None, None, True)]
    retried = attempt(crash=False)
    assert "add_column" not in retried and "begin" in retried  # found there: nothing added twice
    columns = harness.read(
        "SELECT column_name, data_type, numeric_precision, numeric_scale FROM information_schema.columns "
        "WHERE table_schema = 'RAW' AND table_name = 'CONVERSIONS' AND column_name IN ('COUPON', 'UNITS', 'SEEN_AT') "
        "ORDER BY ordinal_position"
    )
    assert columns == [
        ("COUPON", "TEXT", None, None),
        ("UNITS", "NUMBER", 38, 0),
        ("SEEN_AT", "TIMESTAMP_NTZ", None, None),
    ]
    assert harness.read(null_row) == [(1, None, None, True), (2, "WINTER", 3, False)]
    assert harness.read("SELECT seen_at FROM raw.conversions WHERE conversion_id = 2") == [
        (datetime(2026, 11, 28, 8, 30),)
    ]


# -- status and backfill through this sink ----------------------------------------------


@pytest.fixture
def project(fakesnow_port: int, s3_bucket: tuple[str, str], warehouse: tuple[str, Any], tmp_path: Path) -> Path:
    endpoint, bucket = s3_bucket
    database, _conn = warehouse
    config = tmp_path / "loaders.toml"
    config.write_text(
        f'[store]\nroot = "s3://{bucket}"\nendpoint_url = "{endpoint}"\n\n'
        f'[sinks.snowflake]\ntype = "snowflake"\nurl = "{sink_url(fakesnow_port, database)}"\nstage = "@lake_stage"\n\n'
        '[datasets."ad_server.conversion"]\n'
        'table = "raw.conversions"\nformat = "parquet"\n'
        'manifests = "manifests/ad_server/conversion/dt={dt}/hour={hour}/{batch}.json"\n'
        'partition = ["dt", "hour"]\nstrategy = "merge"\nkeys = ["conversion_id"]\norder_by = "event_ts"\n'
        'sinks = ["snowflake"]\n'
    )
    return config


class TestSnowflakePlanner(PlannerContract):
    sink = "snowflake"


# -- the same rows in every format (as tests/integration/test_formats.py on DuckDB) ----------


@pytest.mark.parametrize("fmt", ["parquet", "avro", "avro-wrapped"])
def test_the_same_rows_in_every_format_fakesnow_can_copy_load_the_same_table(
    project: Path, warehouse: tuple[str, Any], fmt: str
) -> None:
    """Through the runner, as in production: Avro and wrapped Avro reach the sink as the
    Parquet copies manifests/convert.py writes beside the data, under the stage, so
    Snowflake loads them as Parquet. CSV and JSON lines are not run here: fakesnow 0.12.1's
    COPY INTO matches columns by name (MATCH_BY_COLUMN_NAME) for Parquet only, and the test
    server answers INFER_SCHEMA for Parquet only (docs/sinks/snowflake.md, fidelity)."""
    project.write_text(project.read_text().replace('format = "parquet"', f'format = "{fmt}"'))
    lake = lake_of(project)
    if not fmt.startswith("avro"):
        key = lake.write({"dt": "2026-11-28", "hour": "08"}, "b1", ROWS, fmt=fmt)
    else:
        wrapped = fmt == "avro-wrapped"
        if wrapped:
            SchemaRegistry(lake.store).publish("conversion", AVRO_SCHEMA)
        body = wrapped_bytes(ROWS) if wrapped else avro_bytes(AVRO_SCHEMA, ROWS)
        key = "manifests/ad_server/conversion/dt=2026-11-28/hour=08/b1.json"
        data = "data/ad_server/conversion/dt=2026-11-28/hour=08/b1.avro"
        lake.store.write(lake.store.resolve(data), body)
        entry = {"url": data, "mandatory": True, "meta": {"content_length": len(body), "record_count": 3}}
        lake.write_manifest(key, {"entries": [entry]})

    def load() -> Any:
        runner = Runner(load_config(str(project)))
        try:
            [outcome] = runner.load([key])
        finally:
            runner.close()
        return outcome

    outcome = load()
    assert (outcome.action, outcome.rows) == ("loaded", 3), outcome.error
    with warehouse[1].cursor() as cursor:
        cursor.execute("SELECT conversion_id, event_ts, revenue, dt, hour FROM raw.conversions ORDER BY 1")
        assert [tuple(r) for r in cursor.fetchall()] == [(i, 10 * i, 2.5, "2026-11-28", "08") for i in (1, 2, 3)]
    assert load().action == "skipped"  # the state holds the producer's manifest, not the copy
    assert lake.store.list(lake.store.resolve("_loaders/")) == []  # the Parquet copies are removed


def test_a_failure_after_a_success_is_the_first_in_a_row_whatever_the_old_state_counted(
    harness: Harness, warehouse: tuple[str, Any]
) -> None:
    """The previous version never reset ``attempts`` on a success. Before: the first
    failure after the upgrade counted on (8 here), past the sweep's max_attempts."""
    p8 = {"dt": "2026-11-28", "hour": "08"}
    key = harness.lake.write(p8, "b1", conversions((1, 10)))
    sink = harness.open_sink()
    try:
        sink.load(unit(target(Strategy.APPEND), p8, [harness.lake.manifest(key)]))
        warehouse[1].cursor().execute('UPDATE "_LOADERS"."PARTITIONS" SET attempts = 7')  # as it was left
        sink.fail("ad_server.conversion", Partition.of(p8), "x1", RecordCountError("boom"))
        sink.fail("ad_server.conversion", Partition.of(p8), "x2", RecordCountError("boom"))
        [state] = sink.states("ad_server.conversion")
    finally:
        sink.close()
    assert (state.status, state.attempts, state.manifests) == ("failed", 2, 1)
