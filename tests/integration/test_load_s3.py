"""End to end: Parquet files and manifests in moto S3, loaded into a DuckDB file.

DuckDB's httpfs cannot be downloaded offline, so these tests are also the proof that
DuckDB reads S3 through the fsspec filesystem the store registers on its connection
(pyarrow's S3 client pointed at the moto endpoint).
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loaders.config import load_config
from loaders.runner import Outcome, Runner
from manifests.store import S3Store

DATASET = "ad_server.conversion"
PARTITION = "dt=2026-11-29/hour=08"
MANIFESTS = f"manifests/ad_server/conversion/{PARTITION}"
DATA = f"data/ad_server/conversion/{PARTITION}"


def write_config(folder: Path, bucket: str, endpoint: str | None) -> Path:
    endpoint_line = f'endpoint_url = "{endpoint}"\n' if endpoint else ""
    path = folder / "loaders.toml"
    path.write_text(
        f'[store]\nroot = "s3://{bucket}"\n{endpoint_line}\n'
        '[sinks.local]\ntype = "duckdb"\nurl = "duckdb:///warehouse.duckdb"\n\n'
        f'[datasets."{DATASET}"]\n'
        'table = "conversions"\n'
        'format = "parquet"\n'
        'manifests = "manifests/ad_server/conversion/dt={dt}/hour={hour}/{batch}.json"\n'
        'partition = ["dt", "hour"]\n'
        'strategy = "append"\n'
    )
    return path


class Lake:
    """Puts Parquet files and manifests into the test bucket."""

    def __init__(self, endpoint: str, bucket: str) -> None:
        self.bucket = bucket
        self.store = S3Store(f"s3://{bucket}", endpoint)

    def parquet(self, name: str, ids: list[int], key: str = DATA) -> dict[str, Any]:
        """Write a Parquet file; its manifest entry (with size and record count)."""
        buf = io.BytesIO()
        pq.write_table(pa.table({"id": pa.array(ids, pa.int64()), "amount": [i * 1.5 for i in ids]}), buf)
        url = f"s3://{self.bucket}/{key}/{name}"
        self.store.write(url, buf.getvalue())
        return {
            "url": url,
            "mandatory": True,
            "meta": {"content_length": len(buf.getvalue()), "record_count": len(ids)},
        }

    def manifest(self, batch: str, entries: list[dict[str, Any]]) -> str:
        url = f"s3://{self.bucket}/{MANIFESTS}/{batch}.json"
        self.store.write(url, json.dumps({"entries": entries}).encode())
        return url


@pytest.fixture
def lake(s3_bucket: tuple[str, str]) -> Lake:
    return Lake(*s3_bucket)


@pytest.fixture
def config_path(s3_bucket: tuple[str, str], tmp_path: Path) -> Path:
    endpoint, bucket = s3_bucket
    return write_config(tmp_path, bucket, endpoint)


def load(config_path: Path, refs: list[str]) -> list[Outcome]:
    runner = Runner(load_config(str(config_path)))
    try:
        return runner.load(refs)
    finally:
        runner.close()  # releases the DuckDB file for the checks below


def query(config_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(config_path.parent / "warehouse.duckdb")) as conn:
        return conn.execute(sql).fetchall()


def ids_loaded(config_path: Path) -> list[int]:
    return [r[0] for r in query(config_path, "SELECT id FROM conversions ORDER BY id")]


def test_load_from_s3_then_redelivery_is_skipped(lake: Lake, config_path: Path) -> None:
    entries = [lake.parquet("part-0.parquet", [1, 2, 3]), lake.parquet("part-1.parquet", [4, 5])]
    manifest = lake.manifest("batch-1", entries)

    [first] = load(config_path, [manifest])

    assert (first.sink, first.dataset, first.partition) == ("local", DATASET, PARTITION)
    assert (first.action, first.rows, first.manifests) == ("loaded", 5, 1), first.error
    assert query(config_path, "SELECT id, amount, dt, hour FROM conversions ORDER BY id") == [
        (i, i * 1.5, "2026-11-29", "08") for i in (1, 2, 3, 4, 5)
    ]

    [again] = load(config_path, [manifest])

    assert (again.action, again.rows) == ("skipped", 0), again.error
    assert ids_loaded(config_path) == [1, 2, 3, 4, 5]


def test_state_after_an_s3_load(lake: Lake, config_path: Path) -> None:
    manifest = lake.manifest("batch-1", [lake.parquet("part-0.parquet", [1, 2, 3])])
    load(config_path, [manifest])

    runner = Runner(load_config(str(config_path)))
    try:
        [(sink, state)] = runner.states(DATASET)
    finally:
        runner.close()

    assert (sink, state.partition, state.status, state.rows, state.manifests) == ("local", PARTITION, "loaded", 3, 1)


def test_duckdb_reads_s3_only_through_the_registered_filesystem(lake: Lake, config_path: Path) -> None:
    url = lake.parquet("part-0.parquet", [1, 2, 3])["url"]
    bare = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    with pytest.raises(duckdb.Error, match="httpfs"):
        bare.execute(f"SELECT count(*) FROM read_parquet('{url}')")
    bare.close()

    runner = Runner(load_config(str(config_path)))
    try:
        conn = runner.sink("local").connection  # type: ignore[attr-defined]
        assert "s3" in conn.list_filesystems()
        assert conn.execute(f"SELECT count(*) FROM read_parquet('{url}')").fetchone() == (3,)
    finally:
        runner.close()


def test_manifest_rewritten_in_place_loads_as_new(lake: Lake, config_path: Path) -> None:
    manifest = lake.manifest("batch-1", [lake.parquet("part-0.parquet", [1, 2, 3])])
    _, first_version = lake.store.read(manifest)
    [first] = load(config_path, [manifest])
    assert first.action == "loaded", first.error

    rewritten = lake.manifest("batch-1", [lake.parquet("part-9.parquet", [10, 11])])
    assert rewritten == manifest
    assert lake.store.read(manifest)[1] != first_version  # a new ETag: a new manifest version

    [second] = load(config_path, [manifest])

    assert (second.action, second.rows, second.manifests) == ("loaded", 2, 1), second.error
    assert ids_loaded(config_path) == [1, 2, 3, 10, 11]
    [again] = load(config_path, [manifest])
    assert again.action == "skipped"


def test_entry_in_a_foreign_bucket_fails_and_changes_nothing(lake: Lake, config_path: Path, moto_server: str) -> None:
    [good] = load(config_path, [lake.manifest("batch-1", [lake.parquet("part-0.parquet", [1, 2, 3])])])
    assert good.action == "loaded", good.error
    foreign_bucket = f"{lake.bucket}-foreign"
    lake.store.client.create_bucket(Bucket=foreign_bucket)
    foreign = Lake(moto_server, foreign_bucket).parquet("evil.parquet", [666], key="data")
    own = lake.parquet("part-1.parquet", [4])
    bad = lake.manifest("batch-2", [own, foreign])

    [outcome] = load(config_path, [bad])

    assert outcome.action == "failed"
    assert outcome.error_class == "ForeignURLError"
    assert not outcome.transient
    assert foreign["url"] in (outcome.error or "")
    assert bad in (outcome.error or "")
    assert (outcome.dataset, outcome.partition) == (DATASET, PARTITION)
    assert ids_loaded(config_path) == [1, 2, 3]


def test_keys_with_spaces_plus_percent_and_unicode_load(lake: Lake, config_path: Path) -> None:
    """S3 keys are literal: each name below is one object, listed, sized and read by DuckDB
    under exactly the URL the manifest gives."""
    names = ["a b.parquet", "c+d.parquet", "e%20f.parquet", "g=h,i@j.parquet", "\u00fc.parquet"]
    entries = [lake.parquet(name, [i]) for i, name in enumerate(names)]

    [outcome] = load(config_path, [lake.manifest("batch-1", entries)])

    assert (outcome.action, outcome.rows) == ("loaded", 5), outcome.error
    assert ids_loaded(config_path) == [0, 1, 2, 3, 4]


def test_store_root_with_a_prefix_and_relative_manifest_refs(s3_bucket: tuple[str, str], tmp_path: Path) -> None:
    endpoint, bucket = s3_bucket
    lake = Lake(endpoint, bucket)
    config = write_config(tmp_path, f"{bucket}/lake", endpoint)
    entry = lake.parquet("part-0.parquet", [7, 8], key=f"lake/{DATA}")
    lake.store.write(f"s3://{bucket}/lake/{MANIFESTS}/batch-1.json", json.dumps({"entries": [entry]}).encode())

    [outcome] = load(config, [f"{MANIFESTS}/batch-1.json"])

    assert (outcome.partition, outcome.action, outcome.rows) == (PARTITION, "loaded", 2), outcome.error
    assert ids_loaded(config) == [7, 8]


def test_cli_load_from_s3_with_aws_endpoint_url(s3_bucket: tuple[str, str], lake: Lake, tmp_path: Path) -> None:
    endpoint, bucket = s3_bucket
    config = write_config(tmp_path, bucket, endpoint=None)  # the endpoint comes from the environment
    manifest = lake.manifest("batch-1", [lake.parquet("part-0.parquet", [1, 2]), lake.parquet("part-1.parquet", [3])])
    cli = Path(sys.executable).parent / "loaders"
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint}
    env.pop("LOADERS_CONFIG", None)

    done = subprocess.run(
        [str(cli), "load", manifest, "--json", "--config", str(config)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert [{k: u[k] for k in ("sink", "dataset", "partition", "action", "rows")} for u in doc["units"]] == [
        {"sink": "local", "dataset": DATASET, "partition": PARTITION, "action": "loaded", "rows": 3}
    ]
    assert ids_loaded(config) == [1, 2, 3]


def test_a_sweep_over_s3_lists_once_per_partition_and_loads_only_the_late_manifest(
    lake: Lake, config_path: Path
) -> None:
    from datetime import date

    from loaders.executor import execute
    from loaders.planner import Planner, Reprocess, Window

    lake.manifest("b1", [lake.parquet("b1.parquet", [1, 2])])
    window = Window(date(2026, 11, 29), date(2026, 11, 29))
    runner = Runner(load_config(str(config_path)))
    calls: list[str] = []
    runner.store.client.meta.events.register("before-call.s3.*", lambda model, **_: calls.append(model.name))
    try:
        dataset = runner.config.datasets[DATASET]
        first = Planner(runner.store, runner.sinks)
        outcomes, _ = execute(runner, first.plan(dataset, window, ["local"], Reprocess.MISSING))
        assert [(o.partition, o.action, o.rows) for o in outcomes] == [(PARTITION, "loaded", 2)]
        calls.clear()
        again = Planner(runner.store, runner.sinks)
        assert again.plan(dataset, window, ["local"], Reprocess.MISSING) == []
        assert calls == ["ListObjectsV2"] * 24  # one LIST per hourly partition, no GET, no HEAD
        lake.manifest("late", [lake.parquet("late.parquet", [3])])
        plan = Planner(runner.store, runner.sinks).plan(dataset, window, ["local"], Reprocess.MISSING)
        outcomes, _ = execute(runner, plan)
        assert [(o.partition, o.action, o.rows) for o in outcomes] == [(PARTITION, "loaded", 1)]
    finally:
        runner.close()


class RequestLog(logging.Handler):
    """The moto server's access log: one record per HTTP request it answers."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def heads_of_a_load(lake: Lake, config_path: Path, batch: str, files: int) -> int:
    entries = [lake.parquet(f"{batch}-{i}.parquet", [i]) for i in range(files)]
    manifest = lake.manifest(batch, entries)
    werkzeug = logging.getLogger("werkzeug")
    log, level = RequestLog(), werkzeug.level
    werkzeug.addHandler(log)
    werkzeug.setLevel(logging.INFO)
    try:
        [outcome] = load(config_path, [manifest])
    finally:
        werkzeug.removeHandler(log)
        werkzeug.setLevel(level)
    assert (outcome.action, outcome.rows) == ("loaded", files), outcome.error
    return len([line for line in log.lines if '"HEAD ' in line and f"/{batch}-" in line])


def test_duckdb_learns_file_sizes_from_the_listing_not_from_head_requests(
    lake: Lake, config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fsspec.implementations.arrow import ArrowFSWrapper

    from manifests.listedfs import ListedFS

    listed = heads_of_a_load(lake, config_path, "listed", files=6)
    monkeypatch.setattr(ListedFS, "info", ArrowFSWrapper.info)  # every question a HEAD again
    unlisted = heads_of_a_load(lake, config_path, "unlisted", files=6)
    # What remains are pyarrow's own HEADs, one per open (its Python API takes no size);
    # DuckDB opens each file once per statement that reads the staged view.
    assert 0 < listed <= 8 * 6
    assert listed * 3 < unlisted, (listed, unlisted)
