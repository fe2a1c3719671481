"""Redshift: the statements only Redshift runs, exactly; its configuration and errors.

Nothing here needs a server: a recording connection keeps every statement the real
``RedshiftSink`` sends and answers as Redshift would, with the files and the unit's COPY
manifest in the S3 of a moto server. The COPY statement, the manifest it reads and the
error-detail query are asserted exactly. The rest of the transaction runs for real on
PostgreSQL in tests/integration/test_redshift_postgres.py.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from manifests import ConfigError, MalformedFileError, Manifest, TerminalError, TransientError, parse_manifest
from manifests.check import check_files
from manifests.store import ObjectStore, S3Store
from sinks import Strategy, open_sink
from sinks.redshift import LOAD_ERROR_ROWS, MALFORMED_LOAD_ERRORS, RedshiftSink, driver_args
from tests.integration.conformance import P8, target, unit
from tests.lake import Lake

ROLE = "arn:aws:iam::123456789012:role/loader"
URL = "redshift+redshift_connector://loader@redshift.example.invalid:5439/warehouse"


def statement(sql: str) -> str:
    """The statement without the comment lines a template starts with."""
    return "\n".join(line for line in sql.splitlines() if not line.startswith("--"))


# -- exactly what is sent: a recording connection, files in moto's S3 -------------------------


class RecordingRedshift(RedshiftSink):
    """Sends nothing: keeps each statement and answers as Redshift would."""

    def __init__(self, store: ObjectStore, answers: dict[str, Any]) -> None:
        super().__init__("redshift", {"type": "redshift", "url": URL, "iam_role": ROLE}, store)
        self.sent: list[str] = []
        self.answers = answers

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        self.sent.append(sql)
        for marker, answer in self.answers.items():
            if marker in statement(sql):
                if isinstance(answer, Exception):
                    raise answer
                return list(answer)
        return []


def s3_manifest(store: S3Store, fmt: str = "parquet") -> Manifest:
    table = pa.table({"conversion_id": pa.array([1, 2], pa.int64()), "revenue": [1.0, 2.0]})
    out = io.BytesIO()
    if fmt == "parquet":
        pq.write_table(table, out)
    else:
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, out)
    data = f"{store.root}data/ad_server/conversion/dt=2026-11-28/hour=08/b1-0.{fmt}"
    store.write(data, out.getvalue())
    url = f"{store.root}manifests/ad_server/conversion/dt=2026-11-28/hour=08/b1.json"
    doc = {"entries": [{"url": data, "mandatory": True, "meta": {"content_length": len(out.getvalue())}}]}
    store.write(url, json.dumps(doc).encode())
    raw, version = store.read(url)
    return check_files(parse_manifest(raw, url, version), store, (store.root,))


@pytest.mark.parametrize(
    ("fmt", "clause"),
    [
        ("parquet", "FORMAT AS PARQUET"),
        ("csv", "FORMAT AS CSV\nIGNOREHEADER 1\nEMPTYASNULL\nTIMEFORMAT 'auto'"),
    ],
)
def test_the_copy_statement_exactly(s3_bucket: tuple[str, str], fmt: str, clause: str) -> None:
    endpoint, bucket = s3_bucket
    store = S3Store(f"s3://{bucket}", endpoint)
    manifest = s3_manifest(store, fmt)
    [entry] = manifest.entries
    sink = RecordingRedshift(store, {"sys_load_detail": [(entry.url + "  ", 2)], "information_schema.tables": []})
    tgt = type(target(Strategy.APPEND))(**{**target(Strategy.APPEND).__dict__, "format": fmt})
    the_unit = unit(tgt, P8, [manifest])
    result = sink.load(the_unit)
    assert (result.action, result.rows) == ("loaded", 2)
    stage = f"_loaders_stage_{the_unit.load_id}"
    copy_manifest = (
        f"s3://{bucket}/_loaders/copy/ad_server.conversion/dt=2026-11-28/hour=08/{the_unit.load_id}.manifest"
    )
    copy = [s for s in sink.sent if s.startswith("COPY")]
    assert copy == [f"COPY \"{stage}\"\nFROM '{copy_manifest}'\nIAM_ROLE '{ROLE}'\nMANIFEST\n{clause}"]
    written = json.loads(store.read(copy_manifest)[0])
    assert written == {
        "entries": [{"url": entry.url, "mandatory": True, "meta": {"content_length": entry.content_length}}]
    }
    sent = [statement(s) for s in sink.sent]
    assert "SET query_group TO 'loaders:ad_server.conversion'" in sent
    assert 'LOCK "_loaders"."partitions", "_loaders"."manifests"' in sent
    assert sent.index(copy[0]) < sent.index("BEGIN TRANSACTION")
    assert (
        "SELECT TRIM(file_name), SUM(lines_scanned)\nFROM sys_load_detail\n"
        "WHERE query_id = PG_LAST_COPY_ID()\nGROUP BY TRIM(file_name)"
    ) in sent


class ProgrammingError(Exception):
    """Shaped as redshift_connector's: the server's fields in a dict, ``C`` its SQLSTATE."""


class InterfaceError(Exception):
    """As redshift_connector raises for a connection that is gone."""


def test_a_failed_copy_reads_the_error_detail_exactly(s3_bucket: tuple[str, str]) -> None:
    endpoint, bucket = s3_bucket
    store = S3Store(f"s3://{bucket}", endpoint)
    manifest = s3_manifest(store)
    [entry] = manifest.entries
    failure = ProgrammingError(
        {"S": "ERROR", "C": "XX000", "M": "Load into table '_loaders_stage_x' failed. Check 'sys_load_error_detail'"}
    )
    rejected = [(7, 1207, entry.url + "   ", "revenue   ", "Invalid digit, Value 'l', Pos 0, Type: Double   ")]
    sink = RecordingRedshift(store, {"COPY ": failure, "sys_load_error_detail": rejected})
    with pytest.raises(TerminalError) as caught:
        sink.load(unit(target(Strategy.APPEND), P8, [manifest]))
    assert type(caught.value) is TerminalError  # a value its column cannot hold: the table's, not the file's
    assert caught.value.file == entry.url and caught.value.manifest == manifest.url
    assert str(caught.value).endswith(
        "redshift: step copy_stage failed: Load into table '_loaders_stage_x' failed. Check 'sys_load_error_detail'; "
        f"first rejected rows: {entry.url} line 7 column revenue: Invalid digit, Value 'l', Pos 0, Type: Double"
    )
    [query] = [statement(s) for s in sink.sent if "sys_load_error_detail" in s]
    assert query == (
        "SELECT line_number, error_code, TRIM(file_name), TRIM(column_name), TRIM(error_message)\n"
        "FROM sys_load_error_detail\n"
        "WHERE query_id = PG_LAST_COPY_ID()\n"
        "ORDER BY file_name, line_number\n"
        "LIMIT 5"
    )
    assert "BEGIN TRANSACTION" not in sink.sent  # nothing was started, nothing to undo
    assert sink.sent[-1].startswith("DROP TABLE IF EXISTS")


@pytest.mark.parametrize("code", sorted(MALFORMED_LOAD_ERRORS))
def test_a_copy_refusing_a_file_that_does_not_parse_is_a_malformed_file(s3_bucket: tuple[str, str], code: int) -> None:
    """By Redshift's load error code (a missing delimiter, extra columns, invalid UTF-8…),
    as every other sink refuses such a file."""
    endpoint, bucket = s3_bucket
    store = S3Store(f"s3://{bucket}", endpoint)
    manifest = s3_manifest(store)
    [entry] = manifest.entries
    failure = ProgrammingError({"S": "ERROR", "C": "XX000", "M": "Load into table '_loaders_stage_x' failed."})
    rejected = [(3, code, entry.url, "", "Extra column(s) found")]
    sink = RecordingRedshift(store, {"COPY ": failure, "sys_load_error_detail": rejected})
    with pytest.raises(MalformedFileError) as caught:
        sink.load(unit(target(Strategy.APPEND), P8, [manifest]))
    assert caught.value.file == entry.url and caught.value.manifest == manifest.url
    assert f"{entry.url} line 3" in str(caught.value)


def test_the_error_detail_query_parses_as_redshift() -> None:
    import sqlglot
    from sqlfluff.core import FluffConfig, Linter

    sink = RedshiftSink("r", {"url": URL, "iam_role": ROLE}, Lake(Path("/nonexistent")).store)
    sql = sink.render("load_errors", limit=LOAD_ERROR_ROWS)
    sqlglot.parse_one(sql, read="redshift")
    parsed = Linter(config=FluffConfig(overrides={"dialect": "redshift", "templater": "raw"})).parse_string(sql)
    assert parsed.tree is not None and not list(parsed.tree.recursive_crawl("unparsable"))


# -- configuration and errors --------------------------------------------------------------------


def test_the_registry_opens_it_without_connecting(tmp_path: Path) -> None:
    sink = open_sink("rs", {"type": "redshift", "url": URL, "iam_role": ROLE}, Lake(tmp_path).store)
    assert isinstance(sink, RedshiftSink) and sink.connect_args["host"] == "redshift.example.invalid"
    assert sink.manifest_prefix == f"{Lake(tmp_path).store.root}_loaders/copy/"


@pytest.mark.parametrize("role", [None, "", "loader"])
def test_iam_role_is_required(tmp_path: Path, role: str | None) -> None:
    options = {"type": "redshift", "url": URL} | ({"iam_role": role} if role is not None else {})
    with pytest.raises(ConfigError, match="iam_role"):
        open_sink("rs", options, Lake(tmp_path).store)


def connect(
    host: str | None = None,
    port: int | None = None,
    user: str | None = None,
    database: str | None = None,
    iam: bool | None = None,
    cluster_identifier: str | None = None,
    timeout: int | None = None,
    db_groups: list[str] | None = None,
    db_user: str | None = None,
    ssl: bool | None = None,
) -> None:
    """A few of redshift_connector.connect's parameters, annotated as it annotates them."""


def test_url_parameters_are_typed_by_the_drivers_signature() -> None:
    sink = RedshiftSink(
        "rs",
        {"url": f"{URL}?iam=true&cluster_identifier=c1&timeout=30&db_groups=a,b&db_user=42", "iam_role": ROLE},
        Lake(Path("/nonexistent")).store,
    )
    args = driver_args(sink.connect_args, connect)
    assert args == {
        "host": "redshift.example.invalid", "port": 5439, "user": "loader", "database": "warehouse",
        "iam": True, "cluster_identifier": "c1", "timeout": 30, "db_groups": ["a", "b"], "db_user": "42",
    }  # fmt: skip
    with pytest.raises(ConfigError, match="no parameter 'colour'"):
        driver_args({"colour": "blue"}, connect)
    with pytest.raises(ConfigError, match="not true or false"):
        driver_args({"ssl": "maybe"}, connect)
    with pytest.raises(ConfigError, match="not a whole number"):
        driver_args({"timeout": "soon"}, connect)


def test_the_real_drivers_signature_reads_the_same() -> None:
    redshift_connector = pytest.importorskip("redshift_connector", reason="pip install 'loaders[redshift]'")
    args = {"iam": "true", "timeout": "30", "db_groups": "a,b", "db_user": "42", "port": 5439}
    assert driver_args(args, redshift_connector.connect) == {
        "iam": True, "timeout": 30, "db_groups": ["a", "b"], "db_user": "42", "port": 5439,
    }  # fmt: skip


def test_serializable_isolation_violations_and_lost_connections_are_transient(tmp_path: Path) -> None:
    sink = RedshiftSink("rs", {"url": URL, "iam_role": ROLE}, Lake(tmp_path).store)
    error_1023 = ProgrammingError(
        {"S": "ERROR", "C": "XX000", "M": "1023", "D": "Serializable isolation violation on table - 100"}
    )
    assert isinstance(sink._translate(error_1023, "merge_delete"), TransientError)
    assert isinstance(sink._translate(InterfaceError("connection is closed"), "lock"), TransientError)
    syntax = ProgrammingError({"S": "ERROR", "C": "42601", "M": 'syntax error at or near "x"'})
    translated = sink._translate(syntax, "merge_delete")
    assert isinstance(translated, TerminalError) and str(translated) == (
        'rs: step merge_delete failed: syntax error at or near "x"'
    )
