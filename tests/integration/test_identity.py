"""Exactly once at the edges of identity: one file has one URL, one manifest one key.

Each rule runs on DuckDB and on the PostgreSQL server, through the runner as the CLI and
the Lambda call it (and through the CLI itself where the exit status matters):

- a file spelled two ways in one manifest (absolute / ``file://localhost`` / relative /
  percent-encoded / through a symlink) is one file: the manifest is refused, nothing loads;
- a file named by two manifests of one load (one partition or two) fails those
  partitions naming both manifests; the others load;
- ``replace`` reloads every manifest the state records for a partition, including a
  self-describing one outside the partition's folder;
- manifests are known by their key relative to the store root: a lake that moves keeps
  its state (zero data statements), and state written with absolute URLs migrates;
- a symlink out of the lake is refused; a dangling one does not stop a listing;
- an Avro manifest already applied is not converted again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loaders.config import load_config
from loaders.runner import Outcome, Runner
from manifests import Partition
from manifests.urls import file_url
from tests.conformance_rows import conversions
from tests.integration.project import PostgresProject, Project

P8 = {"dt": "2026-11-28", "hour": "08"}
P9 = {"dt": "2026-11-28", "hour": "09"}
P10 = {"dt": "2026-11-28", "hour": "10"}
TABLE = "raw.conversions"
DATA = "data/ad_server/conversion"
MANIFESTS = "manifests/ad_server/conversion"


try:  # the PostgreSQL fixtures; without a server that module skips itself, here only its cases
    from tests.integration.test_postgres_sink import fixture_pg, fixture_pg_server

    __all__ = ["fixture_pg", "fixture_pg_server"]
    NO_POSTGRES = ""
except pytest.skip.Exception as skipped:
    NO_POSTGRES = skipped.msg or "no PostgreSQL server"


@pytest.fixture(params=["duckdb", "postgres"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Project]:
    if request.param == "duckdb":
        yield Project(tmp_path, strategy="append")
        return
    if NO_POSTGRES:
        pytest.skip(NO_POSTGRES)
    yield PostgresProject(tmp_path, request.getfixturevalue("pg"), strategy="append")


def set_strategy(project: Project, strategy: str) -> None:
    text = project.config_path.read_text()
    merge = 'keys = ["conversion_id"]\norder_by = "event_ts"\n'
    text = text.replace('strategy = "append"', f'strategy = "{strategy}"')
    if strategy == "merge" and merge not in text:
        text = text.replace(f'strategy = "{strategy}"', f'strategy = "{strategy}"\n{merge}')
    project.config_path.write_text(text)


def load(project: Project, *refs: str) -> list[Outcome]:
    runner = Runner(project.config())
    try:
        return runner.load(list(refs))
    finally:
        runner.close()


def rows(project: Project) -> list[tuple[Any, ...]]:
    return sorted(project.query(f"SELECT conversion_id, event_ts, dt, hour FROM {TABLE}"))


def applied(project: Project) -> list[tuple[Any, ...]]:
    return sorted(project.query("SELECT partition_key, url, version FROM _loaders.manifests"))


def data_entry(project: Project, partition: dict[str, str], batch: str) -> dict[str, Any]:
    """The manifest entry a Lake.write made for a batch's one file."""
    doc = json.loads((project.lake.root / manifest_key(partition, batch)).read_text())
    [entry] = doc["entries"]
    return dict(entry)


def manifest_key(partition: dict[str, str], batch: str) -> str:
    return f"{MANIFESTS}/dt={partition['dt']}/hour={partition['hour']}/{batch}.json"


def rewrite(project: Project, partition: dict[str, str], batch: str, entries: list[dict[str, Any]]) -> str:
    return project.lake.write_manifest(manifest_key(partition, batch), {"entries": entries})


# -- 1. one object, two spellings -----------------------------------------------------------


def spellings(project: Project, relative: str) -> dict[str, str]:
    """Ways a producer may spell one file of the lake."""
    absolute = str(project.lake.root.resolve() / relative)
    encoded = absolute.replace("-", "%2D").replace("=", "%3D")
    link = project.lake.root / "links"
    link.mkdir(exist_ok=True)
    os.symlink(project.lake.root.resolve() / relative, link / "alias.parquet")
    return {
        "relative": relative,
        "absolute": file_url(absolute),
        "localhost": "file://localhost" + absolute,
        "encoded": "file://" + encoded,
        "symlink": file_url(str(link / "alias.parquet")),
    }


@pytest.mark.parametrize("second", ["absolute", "localhost", "encoded", "symlink"])
def test_one_file_spelled_twice_in_a_manifest_is_refused_and_nothing_loads(project: Project, second: str) -> None:
    project.lake.write(P8, "b1", conversions((1, 10), (2, 10)))
    entry = data_entry(project, P8, "b1")
    spelled = spellings(project, entry["url"])
    key = rewrite(project, P8, "b1", [entry, {**entry, "url": spelled[second]}])
    [outcome] = load(project, key)
    assert outcome.action == "failed"
    assert outcome.error_class == "DuplicateFileError"
    assert key in str(outcome.error) and "twice" in str(outcome.error)
    assert rows(project) == [] and applied(project) == []


def test_every_spelling_alone_loads_the_same_file_once(project: Project) -> None:
    project.lake.write(P8, "b1", conversions((1, 10), (2, 10)))
    entry = data_entry(project, P8, "b1")
    spelled = spellings(project, entry["url"])
    for i, url in enumerate(spelled.values()):
        rewrite(project, P8, f"s{i}", [{**entry, "url": url}])
    # five manifests of one load, each naming the same file its own way: one file, five owners
    keys = [manifest_key(P8, f"s{i}") for i in range(len(spelled))]
    outcomes = load(project, *keys)
    assert {o.error_class for o in outcomes} == {"DuplicateFileError"}
    assert rows(project) == []
    # one at a time (separate loads) each is the same object the store lists
    [first] = load(project, keys[0])
    assert first.action == "loaded" and first.rows == 2


def test_a_manifest_announced_under_two_spellings_is_loaded_once(project: Project) -> None:
    key = project.lake.write(P8, "b1", conversions((1, 10), (2, 10)))
    absolute = file_url(str(project.lake.root.resolve() / key))
    outcomes = load(project, key, absolute, "file://localhost" + str(project.lake.root.resolve() / key))
    assert [(o.action, o.rows) for o in outcomes] == [("loaded", 2)]
    assert rows(project) == [(1, 10, "2026-11-28", "08"), (2, 10, "2026-11-28", "08")]
    assert [u for _p, u, _v in applied(project)] == [key]


# -- 2. one file in two manifests of one load -----------------------------------------------


def test_one_file_in_two_partitions_of_one_load_fails_both_naming_both_manifests(project: Project) -> None:
    k8 = project.lake.write(P8, "b1", conversions((1, 10)))
    k9 = rewrite(project, P9, "b1", [data_entry(project, P8, "b1")])
    k10 = project.lake.write(P10, "b1", conversions((3, 10)))
    outcomes = {o.partition: o for o in load(project, k8, k9, k10)}
    for partition in ("dt=2026-11-28/hour=08", "dt=2026-11-28/hour=09"):
        assert outcomes[partition].action == "failed"
        assert outcomes[partition].error_class == "DuplicateFileError"
        assert k8 in str(outcomes[partition].error) and k9 in str(outcomes[partition].error)
    assert outcomes["dt=2026-11-28/hour=10"].action == "loaded"
    assert rows(project) == [(3, 10, "2026-11-28", "10")]
    assert [u for _p, u, _v in applied(project)] == [k10]


@pytest.mark.parametrize("strategy", ["append", "merge", "replace"])
def test_two_manifests_of_one_partition_naming_one_file_fail_the_partition(project: Project, strategy: str) -> None:
    set_strategy(project, strategy)
    k1 = project.lake.write(P8, "b1", conversions((1, 10), (2, 10)))
    k2 = rewrite(project, P8, "b2", [data_entry(project, P8, "b1")])
    outcomes = load(project, k1, k2)
    assert {(o.action, o.error_class) for o in outcomes} == {("failed", "DuplicateFileError")}
    assert rows(project) == [] and applied(project) == []


# -- 4. replace reloads what the state says belongs to the partition ------------------------


def test_replace_keeps_a_self_describing_manifest_outside_the_partition_folder(project: Project) -> None:
    set_strategy(project, "replace")
    project.lake.write(P8, "b1", conversions((1, 10)))
    entry = data_entry(project, P8, "b1")
    (project.lake.root / manifest_key(P8, "b1")).unlink()
    outside = project.lake.write_manifest(
        "inbox/late.json", {"entries": [entry], "dataset": "ad_server.conversion", "partition": P8}
    )
    [first] = load(project, outside)
    assert (first.action, first.rows) == ("loaded", 1)
    k2 = project.lake.write(P8, "b2", conversions((2, 10)))
    [second] = load(project, k2)
    assert second.action == "loaded"
    # the partition is the union of both: the outside manifest was reloaded from the state
    assert rows(project) == [(1, 10, "2026-11-28", "08"), (2, 10, "2026-11-28", "08")]
    assert sorted(u for _p, u, _v in applied(project)) == sorted([outside, k2])
    # announced again, the outside manifest changes nothing and is not dropped
    [again] = load(project, outside)
    assert again.action == "skipped"
    assert rows(project) == [(1, 10, "2026-11-28", "08"), (2, 10, "2026-11-28", "08")]


def test_replace_announced_from_outside_the_folder_loads_it_with_the_folder(project: Project) -> None:
    set_strategy(project, "replace")
    k1 = project.lake.write(P8, "b1", conversions((1, 10)))
    project.lake.write(P9, "bx", conversions((2, 10)))
    entry = data_entry(project, P9, "bx")
    shutil.rmtree(project.lake.root / f"{MANIFESTS}/dt=2026-11-28/hour=09")
    outside = project.lake.write_manifest(
        "inbox/p8.json", {"entries": [entry], "dataset": "ad_server.conversion", "partition": P8}
    )
    [outcome] = load(project, outside)
    assert outcome.action == "loaded" and outcome.manifests == 2
    assert rows(project) == [(1, 10, "2026-11-28", "08"), (2, 10, "2026-11-28", "08")]
    assert sorted(u for _p, u, _v in applied(project)) == sorted([k1, outside])


# -- 7. moving the lake ------------------------------------------------------------------------


def move_lake(project: Project, to: str) -> None:
    new = project.root / to
    shutil.copytree(project.lake.root, new, symlinks=True)
    shutil.rmtree(project.lake.root)
    text = project.config_path.read_text().replace('root = "./lake"', f'root = "./{to}"')
    project.config_path.write_text(text)


@pytest.mark.parametrize("strategy", ["append", "merge", "replace"])
def test_a_moved_lake_reloads_with_zero_data_statements(project: Project, strategy: str) -> None:
    set_strategy(project, strategy)
    k1 = project.lake.write(P8, "b1", conversions((1, 10), (2, 10)))
    k2 = project.lake.write(P9, "b1", conversions((3, 10)))
    assert {o.action for o in load(project, k1, k2)} == {"loaded"}
    before_rows, before_state = rows(project), applied(project)
    assert [u for _p, u, _v in before_state] == [k1, k2]  # keys, not URLs
    move_lake(project, "moved-lake")
    runner = Runner(project.config())
    steps: list[str] = []
    sink = runner.sink("local")
    original = sink.execute  # type: ignore[attr-defined]

    def spy(step: str, **context: Any) -> Any:
        steps.append(step)
        return original(step, **context)

    sink.execute = spy  # type: ignore[attr-defined]
    try:
        outcomes = runner.load([k1, k2])
    finally:
        runner.close()
    assert [o.action for o in outcomes] == ["skipped", "skipped"]
    assert set(steps) <= {"state_tables", "applied", "window_state"}, steps
    assert rows(project) == before_rows and applied(project) == before_state


def test_state_recorded_by_absolute_url_is_read_as_keys_and_migrated(project: Project) -> None:
    k1 = project.lake.write(P8, "b1", conversions((1, 10)))
    load(project, k1)
    root = file_url(str(project.lake.root.resolve())) + "/"
    # what an older version wrote: the manifest's absolute URL
    write_state(project, f"UPDATE _loaders.manifests SET url = '{root}' || url")
    assert [u for _p, u, _v in applied(project)] == [root + k1]
    [again] = load(project, k1)
    assert again.action == "skipped"  # read as its key: not applied a second time
    k2 = project.lake.write(P8, "b2", conversions((2, 10)))
    [loaded] = load(project, k2)
    assert loaded.action == "loaded"
    assert [u for _p, u, _v in applied(project)] == [k1, k2]  # migrated by the load
    move_lake(project, "elsewhere")
    assert [o.action for o in load(project, k1, k2)] == ["skipped"]
    assert rows(project) == [(1, 10, "2026-11-28", "08"), (2, 10, "2026-11-28", "08")]


def write_state(project: Project, sql: str) -> None:
    if isinstance(project, PostgresProject):
        project.server.query(sql)
        return
    import duckdb

    with duckdb.connect(str(project.root / "warehouse.duckdb")) as conn:
        conn.execute(sql)


# -- 9. symlinks -----------------------------------------------------------------------------


def test_a_data_symlink_out_of_the_lake_is_refused(project: Project, tmp_path_factory: pytest.TempPathFactory) -> None:
    key = project.lake.write(P8, "b1", conversions((1, 10)))
    entry = data_entry(project, P8, "b1")
    secret = tmp_path_factory.mktemp("outside") / "secret.parquet"
    shutil.copy(project.lake.root / entry["url"], secret)
    link = project.lake.root / DATA / "escape.parquet"
    os.symlink(secret, link)
    rewrite(project, P8, "b1", [{**entry, "url": f"{DATA}/escape.parquet"}])
    [outcome] = load(project, key)
    assert outcome.error_class == "ForeignURLError"
    assert "escape.parquet" in str(outcome.error) and "outside the allowed prefixes" in str(outcome.error)
    assert rows(project) == [] and applied(project) == []


def test_a_manifest_symlink_out_of_the_lake_is_refused(
    project: Project, tmp_path_factory: pytest.TempPathFactory
) -> None:
    project.lake.write(P8, "b1", conversions((1, 10)))
    outside = tmp_path_factory.mktemp("outside") / "m.json"
    outside.write_text(json.dumps({"entries": [data_entry(project, P8, "b1")]}))
    link = project.lake.root / manifest_key(P8, "evil")
    os.symlink(outside, link)
    [outcome] = load(project, manifest_key(P8, "evil"))
    assert outcome.error_class == "ForeignURLError"
    assert rows(project) == []


def test_a_dangling_symlink_does_not_stop_a_backfill(project: Project) -> None:
    project.lake.write(P8, "b1", conversions((1, 10)))
    os.symlink(project.root / "nowhere.json", project.lake.root / manifest_key(P8, "dangling"))
    os.symlink(project.root / "nowhere.parquet", project.lake.root / DATA / "dt=2026-11-28/hour=08/x.parquet")
    done = subprocess.run(
        [sys.executable, "-m", "loaders", "backfill", "--sink", "local", "--start", "2026-11-28", "--end",
         "2026-11-28", "--json"],
        cwd=project.root, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    units = json.loads(done.stdout)["units"]
    assert [(u["partition"], u["action"], u["rows"]) for u in units] == [("dt=2026-11-28/hour=08", "loaded", 1)]


# -- the CLI says it in one line ---------------------------------------------------------------


def test_the_cli_refuses_a_file_spelled_twice_with_exit_1_naming_the_manifest(project: Project) -> None:
    key = project.lake.write(P8, "b1", conversions((1, 10)))
    entry = data_entry(project, P8, "b1")
    rewrite(
        project,
        P8,
        "b1",
        [entry, {**entry, "url": "file://localhost" + str(project.lake.root.resolve() / entry["url"])}],
    )
    done = subprocess.run(
        [sys.executable, "-m", "loaders", "load", key], cwd=project.root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    lines = [
        line for line in (done.stdout + done.stderr).splitlines() if "DuplicateFileError" in line or "twice" in line
    ]
    assert lines and key in lines[0]
    assert rows(project) == []


# -- 11. Avro: ask the state before converting -------------------------------------------------


def avro_project(tmp_path: Path) -> tuple[Project, str]:
    """An append dataset of Avro files, with one manifest of one record in P8."""
    import fastavro

    project = Project(tmp_path, strategy="append")
    project.config_path.write_text(project.config_path.read_text().replace('format = "parquet"', 'format = "avro"'))
    schema = {
        "type": "record",
        "name": "Conversion",
        "fields": [{"name": "conversion_id", "type": "long"}, {"name": "event_ts", "type": "long"}],
    }
    path = project.lake.root / DATA / "dt=2026-11-28/hour=08/b1.avro"
    path.parent.mkdir(parents=True)
    with open(path, "wb") as fh:
        fastavro.writer(fh, schema, [{"conversion_id": 1, "event_ts": 10}])
    key = project.lake.write_manifest(
        manifest_key(P8, "b1"), {"entries": [{"url": f"{DATA}/dt=2026-11-28/hour=08/b1.avro", "mandatory": True}]}
    )
    return project, key


def test_an_applied_avro_manifest_is_not_converted_again(tmp_path: Path) -> None:
    project, key = avro_project(tmp_path)
    runner = Runner(load_config(str(project.config_path)))
    writes: list[str] = []
    original = runner.store.write

    def spy(url: str, data: bytes) -> None:
        writes.append(url)
        original(url, data)

    runner.store.write = spy  # type: ignore[method-assign]
    try:
        [first] = runner.load([key])
        assert first.action == "loaded" and first.rows == 1
        converted = len(writes)
        assert converted == 1
        [second] = runner.load([key])
    finally:
        runner.close()
    assert second.action == "skipped"
    assert len(writes) == converted  # nothing downloaded, converted or uploaded
    assert not list((project.lake.root / "_loaders" / "staging").rglob("*.parquet"))


def test_copies_a_crashed_conversion_left_behind_are_never_read(tmp_path: Path) -> None:
    """A kill -9 mid-conversion leaves Parquet copies under _loaders/staging/: each attempt
    writes its own folder (named for the manifest, its version and the load id), so the
    next load converts afresh and never reads, counts or removes the leftovers."""
    project, key = avro_project(tmp_path)
    # what a crashed attempt leaves: a copy with other rows, and half a file
    leftovers = project.lake.root / "_loaders" / "staging" / "0123456789abcdef0123"
    leftovers.mkdir(parents=True)
    project.lake.write(P9, "junk", conversions((99, 10)))
    shutil.copy(project.lake.root / data_entry(project, P9, "junk")["url"], leftovers / "00000-crashed.parquet")
    (leftovers / "00001-half.parquet").write_bytes(b"PAR1 half a file")
    [outcome] = load(project, key)
    assert (outcome.action, outcome.rows) == ("loaded", 1)
    assert rows(project) == [(1, 10, "2026-11-28", "08")]
    assert sorted(p.name for p in leftovers.iterdir()) == ["00000-crashed.parquet", "00001-half.parquet"]


def test_replace_loads_the_sinks_it_can_when_another_sinks_state_cannot_be_read(tmp_path: Path) -> None:
    """Gathering what replace reloads asks every sink's state; one sink that is down fails
    its own unit, never the others (nor the command)."""
    project = Project(tmp_path, strategy="append")
    set_strategy(project, "replace")
    text = project.config_path.read_text()
    down = '[sinks.down]\ntype = "postgres"\nurl = "postgresql://loaders@127.0.0.1:1/nowhere"\n\n'
    project.config_path.write_text(text.replace("[datasets.", down + "[datasets.", 1))
    key = project.lake.write(P8, "b1", conversions((1, 10)))
    outcomes = {o.sink: o for o in load(project, key)}
    assert (outcomes["local"].action, outcomes["local"].rows) == ("loaded", 1)
    assert outcomes["down"].action == "failed" and outcomes["down"].transient
    assert rows(project) == [(1, 10, "2026-11-28", "08")]


@pytest.mark.parametrize("batch", ["b 1", "b%1", "bé"])
def test_legacy_state_of_a_manifest_whose_name_needs_encoding_migrates_to_the_key_it_is_read_as(
    project: Project, batch: str
) -> None:
    """The key is the URL's own (percent-encoded) spelling, so the migration's SQL and the
    readers agree on it: after the rewrite the manifest is still applied, not new."""
    set_strategy(project, "append")
    key = project.lake.write(P8, batch, conversions((1, 10)))
    assert [o.action for o in load(project, key)] == ["loaded"]
    recorded = applied(project)[0][1]
    root = file_url(str(project.lake.root.resolve())) + "/"
    write_state(project, f"UPDATE _loaders.manifests SET url = '{root}' || url")
    k2 = project.lake.write(P9, "b2", conversions((2, 10)))
    assert [o.action for o in load(project, k2)] == ["loaded"]  # a load of the dataset migrates it
    assert sorted(u for _p, u, _v in applied(project)) == sorted([recorded, manifest_key(P9, "b2")])
    assert [o.action for o in load(project, key)] == ["skipped"]
    assert rows(project) == [(1, 10, "2026-11-28", "08"), (2, 10, "2026-11-28", "09")]


@pytest.mark.parametrize("strategy", ["merge", "replace"])
def test_a_forced_reload_over_legacy_state_rewrites_it_once(project: Project, strategy: str) -> None:
    set_strategy(project, strategy)
    key = project.lake.write(P8, "b1", conversions((1, 10)))
    load(project, key)
    root = file_url(str(project.lake.root.resolve())) + "/"
    write_state(project, f"UPDATE _loaders.manifests SET url = '{root}' || url")
    runner = Runner(project.config())
    try:
        dataset = runner.config.datasets["ad_server.conversion"]
        [outcome] = runner.load_partitions(dataset, {Partition.of(P8): None}, force=True)
    finally:
        runner.close()
    assert outcome.action == "loaded", outcome.error
    assert [u for _p, u, _v in applied(project)] == [key]
    assert rows(project) == [(1, 10, "2026-11-28", "08")]


def test_a_manifest_rewritten_between_two_reads_of_one_replace_is_loaded_once(project: Project) -> None:
    """Announced (read once), then rewritten before the partition is listed (read again):
    one key, the later read wins; two versions of it never load side by side."""
    set_strategy(project, "replace")
    key = project.lake.write(P8, "b1", conversions((1, 10)))
    runner = Runner(project.config())
    try:
        dataset = runner.config.datasets["ad_server.conversion"]
        first = runner.validated(runner.read_manifest(key), dataset)
        project.lake.write(P8, "b1", conversions((1, 20), (2, 20)), version="v2")
        [outcome] = runner.load_partitions(dataset, {Partition.of(P8): [first]})
    finally:
        runner.close()
    assert (outcome.action, outcome.rows) == ("loaded", 2)
    assert rows(project) == [(1, 20, "2026-11-28", "08"), (2, 20, "2026-11-28", "08")]
