"""A fakesnow server for the Snowflake tests, run in its own virtual environment.

fakesnow pins an older sqlglot than loaders does, so it cannot share the test venv: the
tests start this file with ``.venv-fakesnow/bin/python`` and talk to it over HTTP, as the
Snowflake connector talks to Snowflake. It prints one JSON line, ``{"port": N}``, once the
server listens, and stops when its standard input closes (when the tests end or die).

Its DuckDB connection reads S3 from the moto server named by ``--s3-endpoint``, through
pyarrow's S3 client registered as an fsspec filesystem (DuckDB's httpfs cannot be
downloaded offline). Three gaps of fakesnow 0.12.1 are closed here, each to behave as
Snowflake documents it; docs/sinks/snowflake.md lists them in its fidelity table:

- ``INFER_SCHEMA`` does not exist: it is answered from DuckDB's own reading of the files.
- DuckDB reads ``key=value`` path segments as extra columns (hive partitioning, on by
  auto-detection); Snowflake never does, so fakesnow's Parquet reader turns that off.
- ``ALTER SESSION SET QUERY_TAG`` is not implemented: it succeeds and does nothing.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Any
from urllib.parse import urlsplit

#: DuckDB type → the type name Snowflake's INFER_SCHEMA gives the same Parquet column.
SNOWFLAKE_TYPES = {
    "BIGINT": "NUMBER(38, 0)",
    "INTEGER": "NUMBER(38, 0)",
    "SMALLINT": "NUMBER(38, 0)",
    "TINYINT": "NUMBER(38, 0)",
    "UBIGINT": "NUMBER(38, 0)",
    "UINTEGER": "NUMBER(38, 0)",
    "DOUBLE": "REAL",
    "FLOAT": "REAL",
    "VARCHAR": "TEXT",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP_NTZ(9)",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP_TZ(9)",
    "BLOB": "BINARY",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--s3-endpoint", required=True)
    args = parser.parse_args()
    # Only the port line goes to the pipe the tests read; uvicorn's logs would fill it.
    ready = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)

    import fakesnow

    start = fakesnow.server  # importing fakesnow.server below shadows this function
    import fakesnow.copy_into as copy_into
    import fakesnow.cursor as cursor
    import fakesnow.server as server
    from fsspec.implementations.arrow import ArrowFSWrapper
    from pyarrow import fs as pafs

    endpoint = urlsplit(args.s3_endpoint)
    s3 = pafs.S3FileSystem(endpoint_override=endpoint.netloc, scheme=endpoint.scheme, region="us-east-1")
    server.shared_fs.duck_conn.register_filesystem(ArrowFSWrapper(s3))
    server.shared_fs.nop_regexes = [r"(\s*--[^\n]*\n)*\s*ALTER\s+SESSION\s+SET\s+QUERY_TAG\b"]

    def read_parquet(self: Any, url: str) -> Any:
        from sqlglot import exp

        return exp.func(
            "read_parquet", self.file_literal(url), exp.EQ(this=exp.var("hive_partitioning"), expression=exp.false())
        )

    copy_into.ReadParquet.read_expression = read_parquet

    original = cursor.FakeSnowflakeCursor.execute

    def execute(self: Any, command: str, *rest: Any, **kwargs: Any) -> Any:
        if isinstance(command, str) and "INFER_SCHEMA" in command.upper():
            command = infer_schema(self, command)
        return original(self, command, *rest, **kwargs)

    cursor.FakeSnowflakeCursor.execute = execute

    with start(session_parameters={}) as connection:
        print(json.dumps({"port": connection["port"]}), file=ready, flush=True)
        sys.stdin.read()


def infer_schema(cur: Any, command: str) -> str:
    """Replace ``TABLE(INFER_SCHEMA(...))`` by the rows Snowflake would return for the files."""
    import snowflake.connector.errors
    import sqlglot
    from fakesnow.transforms import stage
    from sqlglot import exp

    tree = sqlglot.parse_one(command, read="snowflake")
    call = next(a for a in tree.find_all(exp.Anonymous) if a.name.upper() == "INFER_SCHEMA")
    kwargs = {k.this.name.upper(): k.expression for k in call.expressions if isinstance(k, exp.Kwarg)}
    location = kwargs["LOCATION"].name.lstrip("@")
    name, _, path = location.partition("/")
    database, schema, stage_name = stage.parts_from_var(name, cur._conn.database, cur._conn.schema)
    found = cur._duck_conn.execute(
        "SELECT url FROM _fs_global._fs_information_schema._fs_stages "
        "WHERE database_name = ? AND schema_name = ? AND name = ?",
        (database, schema, stage_name),
    ).fetchone()
    if not found:
        raise snowflake.connector.errors.ProgrammingError(
            msg=f"SQL compilation error:\nStage '{database}.{schema}.{stage_name}' does not exist or not authorized.",
            errno=2003,
            sqlstate="02000",
        )
    base = found[0].rstrip("/") + "/" + (path.strip("/") + "/" if path else "")
    urls = [base + lit.name for lit in kwargs["FILES"].find_all(exp.Literal)]
    listing = ", ".join(exp.Literal.string(u).sql("duckdb") for u in urls)
    try:
        described = cur._duck_conn.execute(
            f"DESCRIBE SELECT * FROM read_parquet([{listing}], union_by_name = true, hive_partitioning = false)"
        ).fetchall()
    except Exception as exc:  # Snowflake aborts the query when a file is missing or unreadable
        raise snowflake.connector.errors.ProgrammingError(msg=str(exc), errno=100071, sqlstate="22000") from None
    rows = [
        exp.tuple_(
            exp.Literal.string(col), exp.Literal.string(SNOWFLAKE_TYPES.get(kind, "TEXT")), exp.Literal.number(i)
        )
        for i, (col, kind, *_rest) in enumerate(described)
    ]
    values = exp.Values(
        expressions=rows,
        alias=exp.TableAlias(
            this=exp.to_identifier("t"), columns=[exp.to_identifier(c) for c in ("COLUMN_NAME", "TYPE", "ORDER_ID")]
        ),
    )
    call.parent.replace(values) if isinstance(call.parent, exp.TableFromRows) else call.replace(values)
    return tree.sql(dialect="snowflake")


if __name__ == "__main__":
    main()
