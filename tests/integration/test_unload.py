"""Manifests as Redshift's UNLOAD writes them, through the CLI on DuckDB and PostgreSQL.

The shapes follow the Amazon Redshift Database Developer Guide, "UNLOAD examples"
(https://docs.aws.amazon.com/redshift/latest/dg/r_UNLOAD_command_examples.html):
"Unload VENUE using MANIFEST VERBOSE" — entries without ``mandatory``, each with
``meta.content_length`` and ``meta.record_count``, and top-level ``schema``, ``meta``
(the totals of all the files) and ``author`` keys; "Unload LINEITEM table to
partitioned Parquet files" and "Unload the EVENT table using PARTITION BY and MANIFEST
parameters" — one manifest (``<prefix>manifest``) whose files lie under Hive-style
``col=value/`` folders (``<prefix>l_shipdate=1992-01-02/0000_part_00.parquet``), the
partition column left out of the files.
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

from loaders.aws.events import PartitionRequest
from loaders.aws.worker import Worker
from loaders.runner import Runner
from manifests import ManifestError, Partition
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


# -- UNLOAD ... PARTITION BY (l_shipdate) MANIFEST: one manifest, many partitions ----------------

LINEITEM = """
[datasets."redshift.lineitem"]
table = "raw.lineitem"
format = "parquet"
manifests = "unload/lineitem/{batch}/manifest"
partition = ["l_shipdate"]
partition_from = "files"
strategy = "append"
"""
DAYS = {"1992-01-02": (1, 2), "1992-01-03": (3,), "1992-01-04": (4, 5, 6)}


def lineitem(project: Project) -> Project:
    project.config_path.write_text(project.config_path.read_text() + LINEITEM)
    return project


def partitioned_unload(project: Project, run: str, days: dict[str, tuple[int, ...]], *, stray: bool = False) -> str:
    """The files and the one VERBOSE manifest of UNLOAD ... PARTITION BY (l_shipdate)
    MANIFEST VERBOSE to unload/lineitem/<run>/; ``stray`` adds a file outside every
    ``l_shipdate=`` folder."""
    prefix = f"unload/lineitem/{run}/"
    entries = [
        parquet(project, f"{prefix}l_shipdate={day}/{i:04d}_part_00.parquet", [{"l_orderkey": k, "l_quantity": 10 * k}])
        for day, keys in days.items()
        for i, k in enumerate(keys)
    ]
    if stray:
        entries.append(parquet(project, f"{prefix}0009_part_00.parquet", [{"l_orderkey": 99, "l_quantity": 0}]))
    return project.lake.write_manifest(prefix + "manifest", verbose(entries))


def table(project: Project) -> list[tuple[Any, ...]]:
    return project.query("SELECT l_orderkey, l_quantity, CAST(l_shipdate AS VARCHAR(10)) FROM raw.lineitem ORDER BY 1")


def lineitem_states(project: Project) -> list[tuple[Any, ...]]:
    done = cli(project, "status", "--json", "--dataset", "redshift.lineitem")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    return sorted((r["partition"], r["status"], r["manifests"], r["rows"]) for r in rows)


def units(done: subprocess.CompletedProcess[str]) -> list[tuple[str, str, int]]:
    return sorted((u["partition"], u["action"], u["rows"]) for u in json.loads(done.stdout)["units"])


@pytest.fixture
def both(request: pytest.FixtureRequest, tmp_path: Path) -> list[Project]:
    """The same project on DuckDB and on PostgreSQL: a differential pair."""
    if NO_POSTGRES:
        pytest.skip(NO_POSTGRES)
    (tmp_path / "duckdb").mkdir()
    (tmp_path / "postgres").mkdir()
    pg = request.getfixturevalue("pg")
    return [
        lineitem(Project(tmp_path / "duckdb", strategy="append")),
        lineitem(PostgresProject(tmp_path / "postgres", pg, strategy="append")),
    ]


def test_one_manifest_loads_each_partition_its_files_name_once(both: list[Project]) -> None:
    """Before: such a dataset could not be configured (its pattern had to name l_shipdate)."""
    seen = []
    for project in both:
        key = partitioned_unload(project, "run1", DAYS)
        done = cli(project, "load", "--json", key)
        assert done.returncode == 0, done.stdout + done.stderr
        assert units(done) == [
            ("l_shipdate=1992-01-02", "loaded", 2),
            ("l_shipdate=1992-01-03", "loaded", 1),
            ("l_shipdate=1992-01-04", "loaded", 3),
        ]
        again = cli(project, "load", "--json", key)  # a redelivery loads nothing twice
        assert again.returncode == 0 and {a for _p, a, _r in units(again)} == {"skipped"}
        seen.append((table(project), lineitem_states(project)))
    assert seen[0] == seen[1]  # the same table and state on both
    rows, states = seen[0]
    assert rows == [(k, 10 * k, day) for day, keys in DAYS.items() for k in keys]
    assert states == [(f"l_shipdate={day}", "loaded", 1, len(keys)) for day, keys in DAYS.items()]


def test_a_crash_after_some_partitions_loaded_converges(both: list[Project]) -> None:
    seen = []
    for project in both:
        key = partitioned_unload(project, "run1", DAYS)
        config = project.config()
        dataset = config.datasets["redshift.lineitem"]
        with Runner(config) as runner:  # what a run that died after its first partition committed left
            manifest = runner.validated(runner.read_manifest(key), dataset)
            first = {p: [m] for p, m in list(runner.placed(dataset, Partition.of([]), manifest).items())[:1]}
            [outcome] = runner.load_partitions(dataset, first)
            assert (outcome.partition, outcome.action) == ("l_shipdate=1992-01-02", "loaded")
        done = cli(project, "load", "--json", key)  # the redelivery after the crash
        assert done.returncode == 0, done.stdout + done.stderr
        assert units(done) == [
            ("l_shipdate=1992-01-02", "skipped", 0),
            ("l_shipdate=1992-01-03", "loaded", 1),
            ("l_shipdate=1992-01-04", "loaded", 3),
        ]
        seen.append((table(project), lineitem_states(project)))
    assert seen[0] == seen[1]
    assert seen[0][0] == [(k, 10 * k, day) for day, keys in DAYS.items() for k in keys]


def test_a_file_outside_every_partition_folder_fails_the_manifest_whole(both: list[Project]) -> None:
    seen = []
    for project in both:
        good = partitioned_unload(project, "run1", {"1992-01-02": (1,)})
        assert cli(project, "load", good).returncode == 0
        key = partitioned_unload(project, "run2", {"1992-01-02": (7,), "1992-01-05": (8,)}, stray=True)
        done = cli(project, "load", "--json", key)
        assert done.returncode == 1, done.stdout + done.stderr
        [unit] = json.loads(done.stdout)["units"]
        assert (unit["action"], unit["error_class"]) == ("failed", "ManifestError")
        assert "unload/lineitem/run2/manifest" in unit["error"] and "0009_part_00.parquet" in unit["error"]
        assert "l_shipdate=<value>" in unit["error"]
        seen.append((table(project), lineitem_states(project)))
    assert seen[0] == seen[1]
    assert seen[0] == ([(1, 10, "1992-01-02")], [("l_shipdate=1992-01-02", "loaded", 1, 1)])  # nothing of run2


def test_sweep_leaves_a_dataset_partitioned_by_its_files_out_of_windows(both: list[Project]) -> None:
    project = both[0]
    done = cli(project, "sweep", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "redshift.lineitem: not in windows" in done.stderr and 'partition_from = "files"' in done.stderr


def test_a_partition_request_for_a_dataset_partitioned_by_its_files_is_refused(tmp_path: Path) -> None:
    """What the sweep fans out per partition (and a person may send): one LIST of a
    partition's folder cannot find such a dataset's manifests, so it is refused, not
    answered with "nothing to load"."""
    project = lineitem(Project(tmp_path, strategy="append"))
    worker = Worker(project.config())
    with Runner(project.config()) as runner, pytest.raises(ManifestError, match="send the manifest instead"):
        worker._run(runner, PartitionRequest("redshift.lineitem", "l_shipdate=1992-01-02"))


def test_a_split_manifest_whose_total_its_files_cannot_be_checked_against_fails_whole(project: Project) -> None:
    """Before: a manifest giving only its total (no per-file record_count), split over three
    partitions with one optional file missing, loaded 3 of its 6 rows with exit 0: no
    part carries the total, and the files' rows are only counted per part."""
    lineitem(project)
    prefix = "unload/lineitem/run1/"
    entries = [
        parquet(
            project, f"{prefix}l_shipdate=1992-01-0{d}/0000_part_00.parquet", [{"l_orderkey": d, "l_quantity": 1}] * d
        )
        for d in (1, 2, 3)
    ]
    key = project.lake.write_manifest(prefix + "manifest", verbose(entries, per_file_counts=False))
    project.lake.delete(entries[2]["url"])
    done = cli(project, "load", "--json", key)
    assert done.returncode == 1, done.stdout + done.stderr
    [unit] = json.loads(done.stdout)["units"]
    assert (unit["action"], unit["error_class"]) == ("failed", "RecordCountError")
    assert "unload/lineitem/run1/manifest" in unit["error"] and "6" in unit["error"]
    assert project.query("SELECT count(*) FROM raw.lineitem") in ([], [(0,)])
    assert lineitem_states(project) == []


def test_a_manifest_naming_its_partition_is_checked_against_its_files(tmp_path: Path) -> None:
    """Before: a manifest outside the pattern naming partition X whose files lie under
    l_shipdate=Y loaded into Y without a word; one inside the pattern naming the very
    partition its files name failed with '"partition" says l_shipdate=Y but the key says '."""
    project = lineitem(Project(tmp_path, strategy="append"))
    row = [{"l_orderkey": 1, "l_quantity": 1}]
    agrees = verbose([parquet(project, "unload/lineitem/run1/l_shipdate=Y/0000_part_00.parquet", row)])
    key = project.lake.write_manifest("unload/lineitem/run1/manifest", {**agrees, "partition": {"l_shipdate": "Y"}})
    done = cli(project, "load", "--json", key)
    assert done.returncode == 0, done.stdout + done.stderr
    assert units(done) == [("l_shipdate=Y", "loaded", 1)]
    elsewhere = verbose([parquet(project, "elsewhere/run2/l_shipdate=Y/0000_part_00.parquet", row)])
    named = {**elsewhere, "dataset": "redshift.lineitem", "partition": {"l_shipdate": "X"}}
    key = project.lake.write_manifest("elsewhere/run2/manifest.json", named)
    done = cli(project, "load", "--json", key)
    assert done.returncode == 1, done.stdout + done.stderr
    [unit] = json.loads(done.stdout)["units"]
    assert (unit["action"], unit["error_class"]) == ("failed", "ManifestError")
    assert "elsewhere/run2/manifest.json" in unit["error"] and "l_shipdate=X" in unit["error"]
    assert "l_shipdate=Y" in unit["error"]
    assert lineitem_states(project) == [("l_shipdate=Y", "loaded", 1, 1)]  # nothing of run2


def test_an_avro_manifest_split_by_its_files_loads_each_partition_its_own_rows(tmp_path: Path) -> None:
    """Before: every part of one manifest was converted into one staging folder (named by
    the manifest's URL, version and load), each part's first file as ``00000-<schema>``,
    so the last partition's copy overwrote the others' and its rows were loaded into
    every partition."""
    import fastavro

    project = Project(tmp_path, strategy="append")
    avro = LINEITEM.replace('format = "parquet"', 'format = "avro"')
    project.config_path.write_text(project.config_path.read_text() + avro)
    schema = fastavro.parse_schema({"type": "record", "name": "Lineitem", "fields": [
        {"name": "l_orderkey", "type": "long"}, {"name": "l_quantity", "type": "long"},
    ]})  # fmt: skip
    entries = []
    for key, day in ((1, "1992-01-02"), (2, "1992-01-03")):
        body = io.BytesIO()
        fastavro.writer(body, schema, [{"l_orderkey": key, "l_quantity": 10 * key}])
        url = project.lake.store.resolve(f"unload/lineitem/run1/l_shipdate={day}/0000_part_00.avro")
        project.lake.store.write(url, body.getvalue())
        entries.append({"url": url, "mandatory": True, "meta": {"content_length": len(body.getvalue())}})
    manifest = project.lake.write_manifest("unload/lineitem/run1/manifest", {"entries": entries})
    done = cli(project, "load", "--json", manifest)
    assert done.returncode == 0, done.stdout + done.stderr
    assert table(project) == [(1, 10, "1992-01-02"), (2, 20, "1992-01-03")]
