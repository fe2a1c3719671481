"""The same data file gives the same outcome on every sink: a malformed file is refused
whole, a header-only CSV and an empty JSON-lines file load no rows, a column null in
every row loads as one.

Each sink here reads the file its own way: DuckDB with its reader, PostgreSQL and Athena
Hive with pyarrow (JSON lines through DuckDB's reader), Redshift's transaction on
PostgreSQL with its stage shaped by pyarrow and the COPY stood in for
(tests/integration/test_redshift_postgres.py). A refused file must leave the table and
the load state exactly as they were, and the error must name the manifest and the file.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from manifests import MalformedFileError, Partition
from sinks import Strategy
from tests.integration.conformance import P8, Harness, target, unit
from tests.integration.project import PostgresProject, Project
from tests.integration.test_athena import athena_harness, glue_clean
from tests.integration.test_cli import cli
from tests.integration.test_duckdb_sink import duckdb_harness
from tests.integration.test_postgres_sink import Server, fixture_pg, fixture_pg_server, postgres_harness
from tests.integration.test_redshift_postgres import redshift_harness
from tests.integration.test_snowflake import fakesnow_port, offline_connector, snowflake_harness, warehouse

__all__ = ["fakesnow_port", "fixture_pg", "fixture_pg_server", "glue_clean", "offline_connector", "warehouse"]

SINKS = ["duckdb", "postgres", "redshift", "athena"]
GOOD_CSV = b"conversion_id,event_ts,revenue\n1,10,1.5\n2,20,2.5\n"
GOOD_JSONL = (
    b'{"conversion_id": 1, "event_ts": 10, "revenue": 1.5}\n{"conversion_id": 2, "event_ts": 20, "revenue": 2.5}\n'
)
ROW = '{"conversion_id": 3, "event_ts": 30, "revenue": 3.5}'

#: CSV files every sink refuses whole, and why
BAD_CSV: dict[str, bytes] = {
    # the quote opening "x is never closed: pyarrow read every later row into that value
    "unterminated quote": b'conversion_id,event_ts,revenue\n3,30,"x\n4,40,4.5\n5,50,5.5\n',
    "unterminated quote on the last line": b'conversion_id,event_ts,revenue\n3,30,3.5\n4,40,"x\n',
    "a row with more fields": b"conversion_id,event_ts,revenue\n3,30,3.5\n4,40,4.5,9\n5,50,5.5\n",
    "a row with fewer fields": b"conversion_id,event_ts,revenue\n3,30,3.5\n4,40\n5,50,5.5\n",
    "bytes that are not UTF-8": b"conversion_id,event_ts,revenue,note\n3,30,3.5,ok\n4,40,4.5,\xff\xfe\n",
    # DuckDB's sniffer read this as one column named "conversion_id,event_ts,revenue"
    "a broken header": b'"conversion_id,event_ts,revenue\n3,30,3.5\n',
    "a header name with a comma": b'conversion_id,event_ts,revenue,"a,b"\n3,30,3.5,1\n',
    "an empty header name": b"conversion_id,event_ts,revenue,\n3,30,3.5,1\n",
    "two names equal ignoring case": b"conversion_id,event_ts,revenue,Revenue\n3,30,3.5,1\n",
    "a NUL in a name": b"conversion_id,event_ts,revenue,co\x00upon\n3,30,3.5,1\n",
    "a name longer than 63 bytes": b"conversion_id,event_ts,revenue," + b"n" * 64 + b"\n3,30,3.5,1\n",
}
#: JSON-lines files every sink refuses whole
BAD_JSONL: dict[str, bytes] = {
    "an array line": f"{ROW}\n[1, 2]\n{ROW}\n".encode(),
    "a number line": f"{ROW}\n5\n".encode(),
    "a null line": f"{ROW}\nnull\n{ROW}\n".encode(),
    "invalid JSON": f'{ROW}\n{{"conversion_id": 4,\n{ROW}\n'.encode(),
    "an object split over two lines": f'{ROW}\n{{"conversion_id": 4,\n"event_ts": 40}}\n'.encode(),
    "two objects on one line": f"{ROW} {ROW}\n".encode(),
    "bytes that are not UTF-8": f'{ROW}\n{{"conversion_id": 4, "note": "'.encode() + b'\xff"}\n',
    "only blank lines": b"\n  \n",
    "an empty key": b'{"conversion_id": 3, "": 1}\n',
    "a key in two cases": b'{"conversion_id": 3, "Note": "a"}\n{"conversion_id": 4, "note": "b"}\n',
    "a NUL in a key": b'{"conversion_id": 3, "co\\u0000upon": 1}\n',
}


def open_harness(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    """The sink ``kind`` on a fresh warehouse, its servers taken from the session's fixtures."""
    if kind == "duckdb":
        return duckdb_harness(tmp_path)
    if kind == "athena":
        request.getfixturevalue("glue_clean")
        return athena_harness(request.getfixturevalue("s3_bucket"), tmp_path)
    if kind == "snowflake":  # on fakesnow: it loads Parquet by column name (not CSV or JSON lines)
        database, conn = request.getfixturevalue("warehouse")
        port = request.getfixturevalue("fakesnow_port")
        return snowflake_harness(port, request.getfixturevalue("s3_bucket"), database, conn, tmp_path)
    pg: Server = request.getfixturevalue("pg")
    return postgres_harness(tmp_path, pg) if kind == "postgres" else redshift_harness(tmp_path, pg)


@pytest.fixture(params=SINKS)
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    return open_harness(request.param, request, tmp_path)


@pytest.fixture(params=[*SINKS, "snowflake"])
def parquet_harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    return open_harness(request.param, request, tmp_path)


def write(h: Harness, batch: str, body: bytes, ext: str) -> str:
    """A data file of exactly these bytes and its manifest; the manifest's key."""
    part = "/".join(f"{k}={v}" for k, v in P8.items())
    key = f"data/ad_server/conversion/{part}/{batch}-0.{ext}"
    h.lake.store.write(h.lake.store.resolve(key), body)
    entry = {"url": key, "mandatory": True, "meta": {"content_length": len(body)}}
    return h.lake.write_manifest(f"manifests/ad_server/conversion/{part}/{batch}.json", {"entries": [entry]})


def load(h: Harness, fmt: str, *keys: str, strategy: Strategy = Strategy.APPEND) -> Any:
    sink = h.open_sink()
    try:
        return sink.load(unit(replace(target(strategy), format=fmt), P8, [h.lake.manifest(k) for k in keys]))
    finally:
        sink.close()


def ids(h: Harness) -> list[Any]:
    try:
        return [r[0] for r in h.read("SELECT conversion_id FROM raw.conversions ORDER BY 1")]
    except Exception:  # no table yet
        return []


def applied(h: Harness) -> set[str]:
    sink = h.open_sink()
    try:
        return {url.rsplit("/", 1)[1] for url, _v in sink.applied("ad_server.conversion", Partition.of(P8))}
    finally:
        sink.close()


def refused_whole(h: Harness, fmt: str, body: bytes) -> MalformedFileError:
    """Load a good batch, then ``body`` beside it: refused naming both, nothing changed."""
    good = write(h, "b0", GOOD_CSV if fmt == "csv" else GOOD_JSONL, fmt)
    assert load(h, fmt, good).rows == 2
    bad = write(h, "b1", body, fmt)
    with pytest.raises(MalformedFileError) as caught:
        load(h, fmt, good, bad)
    message = str(caught.value)
    assert caught.value.file is not None and caught.value.file.endswith(f"b1-0.{fmt}"), message
    assert caught.value.manifest is not None and caught.value.manifest.endswith("b1.json"), message
    assert "\n" not in message
    assert ids(h) == [1, 2]
    assert applied(h) == {"b0.json"}
    return caught.value


@pytest.mark.parametrize("case", list(BAD_CSV))
def test_a_malformed_csv_is_refused_whole_on_every_sink(harness: Harness, case: str) -> None:
    refused_whole(harness, "csv", BAD_CSV[case])


@pytest.mark.parametrize("case", list(BAD_JSONL))
def test_a_malformed_json_lines_file_is_refused_whole_on_every_sink(harness: Harness, case: str) -> None:
    refused_whole(harness, "jsonl", BAD_JSONL[case])


def test_the_bad_row_is_named_where_the_reader_tells_it(harness: Harness) -> None:
    """A row with an extra field after DuckDB's 20,480-row sample: DuckDB names its line
    and quotes it, pyarrow quotes it. (Within the sample, DuckDB's sniffer refuses the file
    on every sink without a line: it cannot parse it as the fixed dialect.)"""
    rows = b"".join(b"%d,%d,1.5\n" % (i, i) for i in range(3, 30003))
    body = b"conversion_id,event_ts,revenue\n" + rows + b"30003,1,1.5,9\n30004,1,1.5\n"
    error = refused_whole(harness, "csv", body)
    assert "30003,1,1.5,9" in str(error), error


def test_a_quote_left_open_after_the_sniffers_sample_is_refused_and_a_stray_one_is_read(harness: Harness) -> None:
    """pyarrow reads a quote left open to the end of the file (every later row swallowed
    into one value) where DuckDB refuses the file; past the sniffer's 20,480-row sample
    only the count of quotes shows it. A stray quote inside an unquoted field (also an odd
    count) is a character to both readers: that file loads, the same rows everywhere."""
    rows = b"".join(b"%d,%d,1.5\n" % (i, i) for i in range(3, 30003))
    header = b"conversion_id,event_ts,revenue,note\n"
    open_quote = header + rows.replace(b",1.5\n", b",1.5,x\n") + b'30003,1,1.5,"x\n30004,1,1.5,y\n30005,1,1.5,z\n'
    refused_whole(harness, "csv", open_quote)
    stray = write(harness, "b2", b'conversion_id,event_ts,revenue,note\n3,30,3.5,a"b\n', "csv")
    outcome = load(harness, "csv", write(harness, "b0", GOOD_CSV, "csv"), stray)
    assert (outcome.action, outcome.rows) == ("loaded", 1)
    assert harness.read("SELECT note FROM raw.conversions WHERE conversion_id = 3") == [('a"b',)]


@pytest.mark.parametrize("strategy", list(Strategy))
def test_a_header_only_csv_loads_no_rows_on_every_sink(harness: Harness, strategy: Strategy) -> None:
    """Into a table that exists: no rows, the manifest applied, the table as it was. The
    same file without its final newline too."""
    good = write(harness, "b0", GOOD_CSV, "csv")
    assert load(harness, "csv", good, strategy=strategy).rows == 2
    header = write(harness, "b1", b"conversion_id,event_ts,revenue\n", "csv")
    outcome = load(harness, "csv", good, header, strategy=strategy)
    assert (outcome.action, outcome.rows) == ("loaded", 2 if strategy is Strategy.REPLACE else 0)
    bare = write(harness, "b2", b"conversion_id,event_ts,revenue", "csv")
    outcome = load(harness, "csv", good, header, bare, strategy=strategy)
    assert (outcome.action, outcome.rows) == ("loaded", 2 if strategy is Strategy.REPLACE else 0)
    assert ids(harness) == [1, 2]
    assert applied(harness) == {"b0.json", "b1.json", "b2.json"}


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_empty_file_loads_no_rows_on_every_sink(harness: Harness, fmt: str) -> None:
    good = write(harness, "b0", GOOD_CSV if fmt == "csv" else GOOD_JSONL, fmt)
    assert load(harness, fmt, good).rows == 2
    empty = write(harness, "b1", b"", fmt)
    outcome = load(harness, fmt, good, empty)
    assert (outcome.action, outcome.rows) == ("skipped", 0)
    assert ids(harness) == [1, 2]
    assert applied(harness) == {"b0.json", "b1.json"}
    # a unit of empty files only changes nothing but the state
    alone = write(harness, "b2", b"", fmt)
    assert load(harness, fmt, good, empty, alone).rows == 0
    assert applied(harness) == {"b0.json", "b1.json", "b2.json"}


#: Parquet columns no sink can hold as written
BAD_PARQUET_NAMES = {
    "an empty name": "",
    "a NUL in a name": "co\x00upon",
    "a tab in a name": "co\tupon",
    "a name longer than 63 bytes": "é" * 32,
    "a name equal to another ignoring case": "REVENUE",
}


@pytest.mark.parametrize("case", list(BAD_PARQUET_NAMES))
def test_a_parquet_column_that_cannot_be_a_column_is_refused_on_every_sink(parquet_harness: Harness, case: str) -> None:
    h = parquet_harness
    good = h.lake.write(P8, "b0", [{"conversion_id": 1, "event_ts": 10, "revenue": 1.5}])
    assert load(h, "parquet", good).rows == 1
    table = pa.table({"conversion_id": [2], "event_ts": [20], "revenue": [2.5], BAD_PARQUET_NAMES[case]: [1]})
    bad = h.lake.write(P8, "b1", table)
    with pytest.raises(MalformedFileError) as caught:
        load(h, "parquet", good, bad)
    assert caught.value.file is not None and caught.value.file.endswith("b1-0.parquet"), caught.value
    assert caught.value.manifest is not None and caught.value.manifest.endswith("b1.json"), caught.value
    assert "\n" not in str(caught.value)
    assert ids(h) == [1]
    assert applied(h) == {"b0.json"}
    # the comma and quote rule is CSV's (the mark of a broken header): Parquet names its
    # columns explicitly, and every sink quotes identifiers
    fine = pa.table({"conversion_id": [3], "event_ts": [30], "revenue": [3.5], 'a,"b"': ["x"]})
    assert load(h, "parquet", good, h.lake.write(P8, "b2", fine)).rows == 1
    assert ids(h) == [1, 3]


def nulls(first: int, coupon: list[str | None]) -> pa.Table:
    n = len(coupon)
    ids_ = list(range(first, first + n))
    values = pa.array(coupon, pa.string()) if any(c is not None for c in coupon) else pa.nulls(n)
    return pa.table({"conversion_id": ids_, "event_ts": [10] * n, "revenue": [1.0] * n, "coupon": values})


def test_an_all_null_parquet_column_loads_as_a_column_null_in_every_row(parquet_harness: Harness) -> None:
    """Arrow's null type: created as text on every sink (DuckDB has no column of type
    NULL), then loaded again into that column, then given values."""
    harness = parquet_harness
    for batch, table in (("b1", nulls(1, [None])), ("b2", nulls(2, [None, None])), ("b3", nulls(4, ["X"]))):
        key = harness.lake.write(P8, batch, table)
        outcome = load(harness, "parquet", key)
        assert (outcome.action, outcome.rows) == ("loaded", table.num_rows)
    got = harness.read("SELECT conversion_id, coupon FROM raw.conversions ORDER BY 1")
    assert [tuple(r) for r in got] == [(1, None), (2, None), (3, None), (4, "X")]


def test_a_json_key_null_in_every_row_loads_like_a_null_parquet_column(harness: Harness) -> None:
    first = f'{ROW[:-1]}, "coupon": null}}\n'.encode()
    assert load(harness, "jsonl", write(harness, "b1", first, "jsonl")).rows == 1
    later = json.dumps({"conversion_id": 4, "event_ts": 40, "revenue": 4.5, "coupon": "X"}).encode() + b"\n"
    assert load(harness, "jsonl", write(harness, "b2", later, "jsonl")).rows == 1
    got = harness.read("SELECT conversion_id, coupon FROM raw.conversions ORDER BY 1")
    assert [tuple(r) for r in got] == [(3, None), (4, "X")]


# -- through the command line, as users run it ------------------------------------------------


def csv_project(project: Project) -> Project:
    text = project.config_path.read_text().replace('format = "parquet"', 'format = "csv"')
    project.config_path.write_text(text)
    return project


@pytest.fixture(params=["duckdb", "postgres"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Project:
    if request.param == "duckdb":
        return csv_project(Project(tmp_path, strategy="append"))
    return csv_project(PostgresProject(tmp_path, request.getfixturevalue("pg"), strategy="append"))


def write_csv(project: Project, batch: str, body: bytes) -> str:
    part = "/".join(f"{k}={v}" for k, v in P8.items())
    key = f"data/ad_server/conversion/{part}/{batch}-0.csv"
    project.lake.store.write(project.lake.store.resolve(key), body)
    entry = {"url": key, "mandatory": True, "meta": {"content_length": len(body)}}
    return project.lake.write_manifest(f"manifests/ad_server/conversion/{part}/{batch}.json", {"entries": [entry]})


@pytest.mark.parametrize(
    "case", ["unterminated quote", "a row with fewer fields", "a broken header", "a NUL in a name"]
)
def test_the_cli_refuses_a_malformed_csv_in_one_line_and_exits_1(project: Project, case: str) -> None:
    assert cli(project, "load", write_csv(project, "b0", GOOD_CSV)).returncode == 0
    done = cli(project, "load", write_csv(project, "b1", BAD_CSV[case]), "--json")
    assert done.returncode == 1, done.stdout + done.stderr
    [outcome] = json.loads(done.stdout)["units"]
    assert outcome["error_class"] == "MalformedFileError" and not outcome["transient"]
    assert "b1-0.csv" in outcome["error"] and "b1.json" in outcome["error"] and "\n" not in outcome["error"]
    plain = cli(project, "load", write_csv(project, "b1", BAD_CSV[case]))
    assert plain.returncode == 1
    lines = [line for line in (plain.stdout + plain.stderr).splitlines() if "b1-0.csv" in line]
    assert lines and "Traceback" not in plain.stderr
    assert sorted(r[0] for r in project.query("SELECT conversion_id FROM raw.conversions")) == [1, 2]
    status = json.loads(cli(project, "status", "--json").stdout)
    assert [(s["partition"], s["manifests"], s["rows"]) for s in status] == [("dt=2026-11-28/hour=08", 1, 2)]


def test_the_cli_loads_a_header_only_csv_as_no_rows(project: Project) -> None:
    """Into the table a first batch made (DuckDB refused it: text beside BIGINT), and
    without a final newline (pyarrow refused it: no line to read)."""
    assert cli(project, "load", write_csv(project, "b0", GOOD_CSV)).returncode == 0
    for batch, header in (("b1", b"conversion_id,event_ts,revenue\n"), ("b2", b"conversion_id,event_ts,revenue")):
        done = cli(project, "load", write_csv(project, batch, header), "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        [outcome] = json.loads(done.stdout)["units"]
        assert (outcome["action"], outcome["rows"]) == ("loaded", 0)
    assert sorted(r[0] for r in project.query("SELECT conversion_id FROM raw.conversions")) == [1, 2]
    status = json.loads(cli(project, "status", "--json").stdout)
    assert [(s["manifests"], s["rows"]) for s in status] == [(3, 2)]
