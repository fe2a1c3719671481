"""The Snowflake sink without a warehouse: URLs, stage paths, chunked COPY, errors.

Statements are captured with the sink's own recording mode (what ``loaders compile``
uses): the real load logic runs, every statement is rendered from the shipped templates,
and the engine's answers are given here. Nothing connects.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from manifests import (
    ConfigError,
    Entry,
    ForeignURLError,
    Manifest,
    Partition,
    SchemaMismatchError,
    TerminalError,
)
from manifests.store import S3Store
from sinks import LoadUnit, Strategy, Target
from sinks.snowflake import MAX_TAG, SnowflakeSink, connect_args, copy_error
from sinks.sql import Recorded

URL = "snowflake://loader:p%40ss@acct-1/ANALYTICS/RAW?warehouse=LOAD_WH&role=LOADER"
TARGET = Target("ad_server.conversion", "raw.conversions", "parquet", Strategy.APPEND, ("dt", "hour"))
PARTITION = Partition.of({"dt": "2026-11-28", "hour": "08"})


def sink(**options: Any) -> SnowflakeSink:
    return SnowflakeSink("snowflake", {"url": URL, "stage": "@lake_stage", **options}, S3Store("s3://lake"))


def manifest(files: int, name: str = "b1") -> Manifest:
    entries = tuple(
        Entry(url=f"s3://lake/data/dt=2026-11-28/hour=08/{name}-{i}.parquet", mandatory=True, content_length=1)
        for i in range(files)
    )
    return Manifest(url=f"s3://lake/manifests/{name}.json", version="v1", entries=entries)


def record(target: SnowflakeSink, unit: LoadUnit, answers: dict[str, Any]) -> list[Recorded]:
    """Run a load in recording mode; ``answers`` maps a step to its rows (or a function of the context)."""

    def answer(step: str, context: dict[str, Any]) -> list[tuple[Any, ...]]:
        found = answers.get(step, [])
        return found(context) if callable(found) else found

    with target.recording(answer, clock=lambda: "2026-11-29 00:00:00") as kept:
        target.load(unit)
    return kept


def copied(context: dict[str, Any]) -> list[tuple[Any, ...]]:
    """COPY's answer: each file of the statement loaded with one row."""
    return [(f"s3://lake/{f}", "LOADED", 1, 1, 1, 0, None, None, None, None) for f in context["files"]]


STATE = {"state_tables": [("PARTITIONS",), ("MANIFESTS",), ("SCHEMAS",)], "copy": copied}


# -- configuration --------------------------------------------------------------------


def test_the_url_becomes_connect_arguments_and_every_query_parameter_passes_through() -> None:
    args = connect_args(URL + "&host=127.0.0.1&port=8080&protocol=http&passcode=012345&ocsp_fail_open=false")
    assert args == {
        "account": "acct-1", "user": "loader", "password": "p@ss", "database": "ANALYTICS", "schema": "RAW",
        "warehouse": "LOAD_WH", "role": "LOADER", "host": "127.0.0.1", "port": 8080, "protocol": "http",
        "passcode": "012345", "ocsp_fail_open": False,
    }  # fmt: skip


@pytest.mark.parametrize(
    "url", ["postgresql://u:p@h/db", "snowflake://u:p@acct/DB", "snowflake://u:p@acct/DB/S/X", "snowflake://u:p@/DB/S"]
)
def test_a_bad_url_is_a_config_error_that_hides_the_password(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        connect_args(url)
    assert ":p@" not in str(caught.value)


@pytest.mark.parametrize("stage", ["", "lake_stage", "@lake_stage; DROP TABLE x", "@a.b.c.d", "@'x'"])
def test_the_stage_must_be_a_named_stage(stage: str) -> None:
    with pytest.raises(ConfigError, match="stage"):
        sink(stage=stage)


def test_the_stage_location_defaults_to_the_store_root_and_must_be_a_cloud_location() -> None:
    assert sink().stage_url == "s3://lake/"
    assert sink(stage_url="s3://lake/data").stage_path("s3://lake/data/a/b.parquet") == "a/b.parquet"
    with pytest.raises(ConfigError, match="stage_url"):
        sink(stage_url="file:///tmp/lake")


@pytest.mark.parametrize("url", ["s3://other/data/x.parquet", "s3://lakehouse/x.parquet", "s3://lak/x"])
def test_a_url_outside_the_stage_is_refused(url: str) -> None:
    with pytest.raises(ForeignURLError, match="outside stage @lake_stage"):
        sink().stage_path(url)


def test_the_connector_is_imported_only_when_a_connection_opens() -> None:
    code = (
        "import sys; from manifests.store import S3Store; from sinks.snowflake import SnowflakeSink; "
        "SnowflakeSink('s', {'url': 'snowflake://u:p@a/D/S', 'stage': '@st'}, S3Store('s3://lake')); "
        "assert 'snowflake.connector' not in sys.modules, 'imported eagerly'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


# -- staging -------------------------------------------------------------------------


def test_more_than_1000_files_are_copied_in_chunks_of_1000() -> None:
    unit = LoadUnit(TARGET, PARTITION, (manifest(1001),), load_id="L1")
    kept = record(sink(), unit, STATE)
    copies = [r.sql for r in kept if r.step == "copy"]
    describes = [r.sql for r in kept if r.step == "describe"]
    assert len(copies) == 2 and len(describes) == 2
    assert [sql.count(".parquet'") for sql in copies] == [1000, 1]
    assert [sql.count(".parquet'") for sql in describes] == [1000, 1]
    assert "'data/dt=2026-11-28/hour=08/b1-1000.parquet'" in copies[1]
    assert all("FROM @lake_stage" in sql and "FORCE = TRUE" in sql for sql in copies)


def test_one_copy_per_partition_then_its_partition_values_are_filled_in() -> None:
    p9 = Partition.of({"dt": "2026-11-28", "hour": "09"})
    units = [
        LoadUnit(TARGET, PARTITION, (manifest(2),), load_id="L2"),
        LoadUnit(TARGET, p9, (manifest(1, "c1"),), load_id="L2"),
    ]
    target = sink()
    with target.recording(lambda step, ctx: STATE[step](ctx) if step == "copy" else STATE.get(step, []), str) as kept:
        results = target.load_many(units)
    staging = [r.step for r in kept][kept.index(next(r for r in kept if r.step == "create_stage")) :]
    assert staging[:5] == ["create_stage", "copy", "fill_partition", "copy", "fill_partition"]
    fills = [r.sql for r in kept if r.step == "fill_partition"]
    expected = """"DT" = '2026-11-28',\n    "HOUR" = '09',\n    "_LOADERS_PARTITION" = 'dt=2026-11-28/hour=09'"""
    assert expected in fills[1]
    assert fills[1].endswith('WHERE "_LOADERS_PARTITION" IS NULL')
    assert [r.rows for r in results] == [2, 1]


def test_the_query_tag_is_json_and_stays_under_2000_characters() -> None:
    partitions = [Partition.of({"dt": f"2026-11-{d:02d}", "hour": f"{h:02d}"}) for d in range(1, 29) for h in range(24)]
    units = [LoadUnit(TARGET, p, (manifest(1, f"m{i}"),), load_id="L3") for i, p in enumerate(partitions)]
    target = sink()
    with target.recording(lambda step, ctx: copied(ctx) if step == "copy" else [], str) as kept:
        target.load_many(units)
    [tag] = [r.sql for r in kept if r.step == "query_tag"]
    value = tag.split("QUERY_TAG = ", 1)[1]
    doc = json.loads(value[1:-1].replace("''", "'"))
    assert len(value) - 2 <= MAX_TAG
    assert (doc["loader"], doc["dataset"], doc["load_id"]) == ("loaders", "ad_server.conversion", "L3")
    # as many of the partitions as fit, first first: 75 of 672 (one more and the tag would be 2,010 characters)
    assert len(doc["partitions"]) == 75 and doc["partitions"] == [p.key for p in partitions[:75]]


def test_identifiers_are_folded_to_upper_case_and_quoted() -> None:
    kept = record(sink(), LoadUnit(TARGET, PARTITION, (manifest(1),), load_id="L4"), STATE)
    [copy] = [r.sql for r in kept if r.step == "copy"]
    assert 'COPY INTO "_LOADERS"."_LOADERS_STAGE_L4"' in copy
    assert [r.step for r in kept].count("target_columns") == 1  # read while staging, reused inside


# -- schema evolution ---------------------------------------------------------------

TABLE = [("CONVERSION_ID", "NUMBER(38, 0)"), ("EVENT_TS", "NUMBER(38, 0)"), ("DT", "TEXT"), ("HOUR", "TEXT")]


def evolving(files: list[tuple[str, str]], after: list[tuple[str, str]]) -> dict[str, Any]:
    """Answers for a load into an existing table: INFER_SCHEMA reports ``files``; the table
    has TABLE's columns, and ``after`` once ALTER TABLE has run."""
    sent: list[str] = []

    def columns(context: dict[str, Any]) -> list[tuple[Any, ...]]:
        sent.append("target_columns")
        return list(after if "add_column" in sent else TABLE)

    def add(context: dict[str, Any]) -> list[tuple[Any, ...]]:
        sent.append("add_column")
        return []

    return {**STATE, "describe": files, "target_columns": columns, "add_column": add}


def test_a_new_column_is_added_before_begin_with_the_type_infer_schema_reported() -> None:
    files = [("conversion_id", "NUMBER(38, 0)"), ("event_ts", "NUMBER(38, 0)"), ("coupon", "TEXT")]
    files += [("seen_at", "TIMESTAMP_NTZ(9)")]
    after = [*TABLE, ("COUPON", "VARCHAR(16777216)"), ("SEEN_AT", "TIMESTAMP_NTZ")]
    kept = record(sink(), LoadUnit(TARGET, PARTITION, (manifest(1),), load_id="L7"), evolving(files, after))
    steps = [r.step for r in kept]
    adds = [r.sql for r in kept if r.step == "add_column"]
    assert adds == [
        'ALTER TABLE "RAW"."CONVERSIONS" ADD COLUMN IF NOT EXISTS "COUPON" VARCHAR',
        'ALTER TABLE "RAW"."CONVERSIONS" ADD COLUMN IF NOT EXISTS "SEEN_AT" TIMESTAMPNTZ(9)',
    ]
    # DDL commits an open transaction on Snowflake: after COPY, before BEGIN, then the
    # columns are read again (a concurrent load may have added one with its own type)
    assert steps.index("copy") < steps.index("add_column") < steps.index("begin")
    assert steps[steps.index("add_column") + 2] == "target_columns" and steps.count("target_columns") == 2


def test_a_type_that_does_not_fit_is_refused_by_name_and_types_before_any_ddl() -> None:
    files = [("conversion_id", "NUMBER(38, 0)"), ("event_ts", "TEXT"), ("coupon", "TEXT")]
    answers = evolving(files, TABLE)
    target = sink()

    def answer(step: str, context: dict[str, Any]) -> list[tuple[Any, ...]]:
        found = answers.get(step, [])
        return found(context) if callable(found) else found

    refused = r"column event_ts: the table has NUMBER\(38, 0\) but the data has TEXT"
    with pytest.raises(SchemaMismatchError, match=refused), target.recording(answer, str) as kept:
        target.load(LoadUnit(TARGET, PARTITION, (manifest(1),), load_id="L8"))
    steps = [r.step for r in kept]
    assert "add_column" not in steps and "begin" not in steps and steps[-1] == "drop_stage"


def test_a_column_a_concurrent_load_added_with_a_type_that_does_not_fit_is_refused() -> None:
    files = [("conversion_id", "NUMBER(38, 0)"), ("event_ts", "NUMBER(38, 0)"), ("units", "REAL")]
    answers = evolving(files, [*TABLE, ("UNITS", "NUMBER(38, 0)")])  # IF NOT EXISTS kept the other's type
    with pytest.raises(SchemaMismatchError, match=r"column units: the table has NUMBER\(38, 0\) but the data has REAL"):
        record(sink(), LoadUnit(TARGET, PARTITION, (manifest(1),), load_id="L9"), answers)


# -- COPY errors ------------------------------------------------------------------------

SNOWFLAKE_COPY_ERROR = """100038 (22018): Numeric value 'abc' is not recognized
  File 'data/dt=2026-11-28/hour=08/b1-0.csv', line 3, character 5
  Row 2, column "_LOADERS_STAGE_L5"["EVENT_TS":2]
  If you would like to continue loading when an error is encountered, use other values such as 'SKIP_FILE' \
or 'CONTINUE' for the ON_ERROR option. For more information on loading options, please run 'info loading_data' \
in a SQL client."""


def test_an_aborted_copy_is_terminal_and_names_the_file_line_and_column() -> None:
    error = copy_error(SNOWFLAKE_COPY_ERROR, "s3://lake/")
    assert isinstance(error, TerminalError) and not error.transient
    assert error.file == "s3://lake/data/dt=2026-11-28/hour=08/b1-0.csv"
    assert "Numeric value 'abc' is not recognized" in error.reason
    assert "line 3, character 5" in error.reason and "column EVENT_TS" in error.reason
    assert "ON_ERROR" not in error.reason


class ProgrammingError(Exception):
    """Stands in for snowflake.connector.errors.ProgrammingError (only its text matters here)."""


class FakeSession:
    """A connection whose COPY fails as Snowflake's does; every other statement returns nothing."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.sent: list[str] = []

    def cursor(self) -> FakeSession:
        return self

    def __enter__(self) -> FakeSession:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    description = None

    def execute(self, sql: str) -> None:
        self.sent.append(sql)
        if "COPY INTO" in sql:
            raise self.error

    def fetchall(self) -> list[tuple[Any, ...]]:
        return []

    def close(self) -> None:
        return None


def test_a_copy_error_from_the_connector_is_blamed_on_its_manifest_and_nothing_is_applied() -> None:
    target = sink()
    session = FakeSession(ProgrammingError(SNOWFLAKE_COPY_ERROR.replace("b1-0.csv", "b1-0.parquet")))
    target._conn = session
    with pytest.raises(TerminalError) as caught:
        target.load(LoadUnit(TARGET, PARTITION, (manifest(1),), load_id="L5"))
    assert caught.value.manifest == "s3://lake/manifests/b1.json"
    assert caught.value.file == "s3://lake/data/dt=2026-11-28/hour=08/b1-0.parquet"
    assert "line 3, character 5" in str(caught.value)
    assert not any(sql.startswith("BEGIN") for sql in session.sent)  # staging fails before the transaction
    assert session.sent[-1].startswith('DROP TABLE IF EXISTS "_LOADERS"."_LOADERS_STAGE_L5"')


def test_a_copy_result_row_that_did_not_load_is_a_terminal_error() -> None:
    def failed(context: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(f"s3://lake/{context['files'][0]}", "LOAD_FAILED", 2, 0, 1, 1, "bad value", 2, 7, '"T"["A":1]')]

    with pytest.raises(TerminalError, match=r"LOAD_FAILED: bad value \(line 2, character 7"):
        record(sink(), LoadUnit(TARGET, PARTITION, (manifest(1),), load_id="L6"), {**STATE, "copy": failed})
