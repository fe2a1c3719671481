"""Manifests as Redshift's UNLOAD writes them, through the CLI on DuckDB and PostgreSQL.

The shapes follow the Amazon Redshift Database Developer Guide, "UNLOAD examples"
(https://docs.aws.amazon.com/redshift/latest/dg/r_UNLOAD_command_examples.html):
"Unload VENUE using MANIFEST VERBOSE" — entries without ``mandatory``, each with
``meta.content_length`` and ``meta.record_count``, and top-level ``schema``, ``meta``
(the totals of all the files) and ``author`` keys.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conformance_rows import conversions
from tests.integration.project import PostgresProject, Project

try:  # the PostgreSQL fixtures; without a server that module skips itself, here only its cases
    from tests.integration.test_postgres_sink import fixture_pg, fixture_pg_server

    __all__ = ["fixture_pg", "fixture_pg_server"]
    NO_POSTGRES = ""
except pytest.skip.Exception as skipped:
    NO_POSTGRES = skipped.msg or "no PostgreSQL server"

LOADERS = [sys.executable, "-m", "loaders"]
PART = "dt=2026-11-28/hour=08"
MANIFEST = f"manifests/ad_server/conversion/{PART}/unload_manifest.json"
SCHEMA = {
    "elements": [
        {"name": "conversion_id", "type": {"base": "bigint"}},
        {"name": "event_ts", "type": {"base": "bigint"}},
        {"name": "revenue", "type": {"base": "double precision"}},
    ]
}


@pytest.fixture(params=["duckdb", "postgres"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Project]:
    if request.param == "duckdb":
        yield Project(tmp_path, strategy="append")
        return
    if NO_POSTGRES:
        pytest.skip(NO_POSTGRES)
    yield PostgresProject(tmp_path, request.getfixturevalue("pg"), strategy="append")


def cli(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LOADERS, *args], cwd=project.root, capture_output=True, text=True, env=dict(os.environ), timeout=120
    )


def parquet(project: Project, key: str, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Write one data file; its manifest entry as UNLOAD ... MANIFEST VERBOSE writes it."""
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(list(rows)), buffer)
    store = project.lake.store
    store.write(store.resolve(key), buffer.getvalue())
    meta = {"content_length": len(buffer.getvalue()), "record_count": len(rows)}
    return {"url": store.resolve(key), "meta": meta}


def verbose(entries: list[dict[str, Any]], *, per_file_counts: bool = True) -> dict[str, Any]:
    """The MANIFEST VERBOSE document: entries, schema, the totals' meta, author."""
    total = {
        "content_length": sum(e["meta"]["content_length"] for e in entries),
        "record_count": sum(e["meta"]["record_count"] for e in entries),
    }
    if not per_file_counts:  # only the total is known: checked against the rows read
        entries = [{"url": e["url"], "meta": {"content_length": e["meta"]["content_length"]}} for e in entries]
        del total["content_length"]
    author = {"name": "Amazon Redshift", "version": "1.0.0"}
    return {"entries": entries, "schema": SCHEMA, "meta": total, "author": author}


def unload_350(project: Project) -> list[dict[str, Any]]:
    """350 rows in two slices' files: 200 and 150."""
    return [
        parquet(project, f"unload/{PART}/0000_part_00.parquet", conversions(*((i, 10) for i in range(200)))),
        parquet(project, f"unload/{PART}/0001_part_00.parquet", conversions(*((i, 10) for i in range(200, 350)))),
    ]


def test_a_verbose_manifest_whose_files_add_up_loads_all_its_rows(project: Project) -> None:
    project.lake.write_manifest(MANIFEST, verbose(unload_350(project)))
    done = cli(project, "load", "--json", MANIFEST)
    assert done.returncode == 0, done.stdout + done.stderr
    [unit] = json.loads(done.stdout)["units"]
    assert (unit["action"], unit["rows"]) == ("loaded", 350)
    assert project.query("SELECT count(*) FROM raw.conversions") == [(350,)]


@pytest.mark.parametrize("per_file_counts", [True, False], ids=["entry-counts", "only-the-total"])
def test_a_missing_optional_file_short_of_the_total_fails_and_loads_nothing(
    project: Project, per_file_counts: bool
) -> None:
    """Before: the optional file was skipped as COPY does, 200 of 350 rows loaded, exit 0.
    With every file's count the files found are short before anything is read; with only
    the total, the rows read are, inside the load's transaction, which rolls back."""
    entries = unload_350(project)
    project.lake.write_manifest(MANIFEST, verbose(entries, per_file_counts=per_file_counts))
    project.lake.delete(entries[1]["url"])
    done = cli(project, "load", "--json", MANIFEST)
    assert done.returncode == 1, done.stdout + done.stderr
    [unit] = json.loads(done.stdout)["units"]
    assert (unit["action"], unit["error_class"]) == ("failed", "RecordCountError")
    assert "unload_manifest.json" in unit["error"] and "350" in unit["error"] and "200" in unit["error"]
    assert project.query("SELECT count(*) FROM raw.conversions") in ([], [(0,)])
    [state] = json.loads(cli(project, "status", "--json").stdout)
    assert (state["status"], state["manifests"], state["rows"]) == ("failed", 0, 0)
