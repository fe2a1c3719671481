"""Snowflake for real: the sink conformance suite against an account, where fakesnow
can only stand in (docs/sinks/snowflake.md lists what only this run can prove).

Needs, in the environment:

    SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_PASSWORD, SNOWFLAKE_WAREHOUSE
    SNOWFLAKE_DATABASE    a scratch database: each test creates and drops its schemas there
    SNOWFLAKE_STAGE       an external stage over SNOWFLAKE_STAGE_URL, fully qualified (@DB.SCHEMA.STAGE)
    SNOWFLAKE_STAGE_URL   s3://bucket/prefix/, writable with the default AWS credentials
    SNOWFLAKE_ROLE        optional

Files go under a random prefix below the stage URL, removed afterwards. Skipped, naming
what is missing, otherwise. Tests of one run share the database: run them one at a time.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from manifests.store import S3Store
from tests.integration.conformance import Harness, SinkContract
from tests.lake import Lake

pytestmark = pytest.mark.live

NEEDED = (
    "SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_PASSWORD", "SNOWFLAKE_WAREHOUSE", "SNOWFLAKE_DATABASE",
    "SNOWFLAKE_STAGE", "SNOWFLAKE_STAGE_URL",
)  # fmt: skip

if missing := [name for name in NEEDED if not os.environ.get(name)]:
    pytest.skip(f"live Snowflake tests need {', '.join(missing)} in the environment", allow_module_level=True)
pytest.importorskip("snowflake.connector", reason="pip install 'loaders[snowflake]'")


def url(schema: str) -> str:
    env = os.environ
    query = f"warehouse={quote(env['SNOWFLAKE_WAREHOUSE'])}"
    if env.get("SNOWFLAKE_ROLE"):
        query += f"&role={quote(env['SNOWFLAKE_ROLE'])}"
    return (
        f"snowflake://{quote(env['SNOWFLAKE_USER'], safe='')}:{quote(env['SNOWFLAKE_PASSWORD'], safe='')}"
        f"@{env['SNOWFLAKE_ACCOUNT']}/{quote(env['SNOWFLAKE_DATABASE'])}/{schema}?{query}"
    )


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Harness]:
    import snowflake.connector

    from sinks.snowflake import SnowflakeSink, connect_args

    run = f"LOADERS_LIVE_{secrets.token_hex(4).upper()}"
    stage_url = os.environ["SNOWFLAKE_STAGE_URL"].rstrip("/") + "/"
    store = S3Store(f"{stage_url}{run.lower()}")
    options = {
        "type": "snowflake", "url": url(run), "stage": os.environ["SNOWFLAKE_STAGE"], "stage_url": stage_url,
        "state_schema": f"{run}_STATE",
    }  # fmt: skip
    conn = snowflake.connector.connect(**{**connect_args(url(run)), "schema": None})
    cursor = conn.cursor()
    cursor.execute(f'CREATE SCHEMA "{run}"')  # the URL's schema: one-part names resolve there

    def read(sql: str) -> list[tuple[Any, ...]]:
        cursor.execute(sql)
        return [tuple(r) for r in cursor.fetchall()]

    try:
        yield Harness(
            lake=Lake(tmp_path / "lake", store=store),
            open_sink=lambda: SnowflakeSink("live", options, store),
            read=read,
        )
    finally:
        for schema in ("RAW", run, f"{run}_STATE"):
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.close()
        bucket, _, prefix = store.root.removeprefix("s3://").partition("/")
        listed = store.client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        for obj in listed:
            store.client.delete_object(Bucket=bucket, Key=obj["Key"])


class TestSnowflakeLive(SinkContract):
    @pytest.fixture
    def harness(self, live: Harness) -> Harness:
        return live
