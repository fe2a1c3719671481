"""The load state tells the truth: a partition's data apart from its last attempt.

Through the CLI (and the runner where the CLI adds nothing), on DuckDB and PostgreSQL:

- a failure that never reached the partition (a mistyped manifest path, a manifest that
  is not JSON) leaves a loaded partition ``loaded``; it is reported against the manifest;
- a later successful attempt clears a failure, a no-op that finds everything applied
  included (``backfill --reprocess failed``, ``--reprocess all``, a duplicate delivery);
- the sweep retries a failed partition after a backoff, up to ``max_attempts``, then
  leaves it for a person; a manifest written after the failure is tried at once;
- ``loaders reset`` clears a failure or forgets the applied manifests (refused for append
  without ``--force``), and ``--dry-run`` changes nothing;
- read-only commands (status, schemas list, backfill --dry-run) create nothing, and say
  when a sink has no load state at all;
- a dataset whose partitions are not on a calendar does not stop the sweep of the others.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
TODAY = datetime.now(UTC).date().isoformat()
PART = {"dt": TODAY, "hour": "03"}
KEY = f"dt={TODAY}/hour=03"
DATASET = "ad_server.conversion"


@pytest.fixture(params=["duckdb", "postgres"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Project]:
    if request.param == "duckdb":
        yield Project(tmp_path)
        return
    if NO_POSTGRES:
        pytest.skip(NO_POSTGRES)
    yield PostgresProject(tmp_path, request.getfixturevalue("pg"))


def cli(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LOADERS, *args], cwd=project.root, capture_output=True, text=True, env=dict(os.environ), timeout=120
    )


def status(project: Project) -> dict[str, dict[str, Any]]:
    done = cli(project, "status", "--json")
    shown = {d["partition"]: d for d in json.loads(done.stdout)}
    failed = any(d["status"] == "failed" for d in shown.values())
    assert done.returncode == (3 if failed else 0), done.stderr  # 3: a partition shown is failed
    return shown


def load(project: Project, *refs: str) -> subprocess.CompletedProcess[str]:
    return cli(project, "load", "--json", *refs)


def fail_a_load(project: Project) -> str:
    """A second manifest of the loaded partition whose data file is gone: the partition's
    attempt fails (MissingFileError) and is recorded; its data stays."""
    bad = project.lake.write(PART, "b2", conversions((2, 10)))
    project.lake.delete(project.lake.store.resolve(project.lake.manifest(bad).entries[0].url))
    done = load(project, bad)
    assert done.returncode == 1 and "MissingFileError" in done.stdout
    return bad


def test_a_mistyped_manifest_path_leaves_a_loaded_partition_loaded(project: Project) -> None:
    """Before: the partition was stamped failed, and nothing ever cleared it."""
    good = project.lake.write(PART, "b1", conversions((1, 10)))
    assert load(project, good).returncode == 0
    typo = f"manifests/ad_server/conversion/dt={TODAY}/hour=03/b1.jsn"
    done = load(project, typo)
    assert done.returncode == 1
    [unit] = json.loads(done.stdout)["units"]
    assert unit["action"] == "failed" and unit["error_class"] == "MissingFileError"
    assert unit["manifest"] == typo  # reported against the manifest
    [state] = status(project).values()
    assert (state["status"], state["data"], state["last_attempt"], state["error"]) == ("loaded", "loaded", "ok", None)


def test_a_manifest_that_is_not_json_is_reported_against_it_not_the_partition(project: Project) -> None:
    good = project.lake.write(PART, "b1", conversions((1, 10)))
    assert load(project, good).returncode == 0
    broken = project.lake.write_manifest(f"manifests/ad_server/conversion/dt={TODAY}/hour=03/b9.json", "{nope")
    done = load(project, broken)
    [unit] = json.loads(done.stdout)["units"]
    assert (done.returncode, unit["error_class"], unit["manifest"]) == (1, "ManifestError", broken)
    assert status(project)[KEY]["status"] == "loaded"


@pytest.mark.parametrize("how", ["reprocess failed", "reprocess all", "duplicate delivery"])
def test_a_successful_no_op_clears_a_failure(project: Project, how: str) -> None:
    """Before: --reprocess failed/all answered "already loaded" and the flag stayed for ever."""
    good = project.lake.write(PART, "b1", conversions((1, 10)))
    assert load(project, good).returncode == 0
    bad = fail_a_load(project)
    state = status(project)[KEY]
    assert (state["status"], state["data"], state["last_attempt"]) == ("failed", "loaded", "failed")
    assert state["attempts"] == 1
    assert "MissingFileError" in state["error"] and state["attempted_at"]
    project.lake.store.delete(project.lake.store.resolve(bad))  # the producer withdraws it
    if how == "duplicate delivery":
        done = load(project, good)
    else:
        done = cli(project, "backfill", "--days", "1", "--json", "--reprocess", how.split()[1])
    assert done.returncode == 0, done.stdout + done.stderr
    assert {u["action"] for u in json.loads(done.stdout)["units"]} <= {"skipped", "loaded"}
    state = status(project)[KEY]
    assert (state["status"], state["last_attempt"], state["attempts"], state["error"]) == ("loaded", "ok", 0, None)
    assert project.query("SELECT conversion_id FROM raw.conversions") == [(1,)]


def test_the_sweep_retries_with_backoff_then_leaves_it_for_a_person(project: Project) -> None:
    good = project.lake.write(PART, "b1", conversions((1, 10)))
    project.lake.corrupt(project.lake.store.resolve(project.lake.manifest(good).entries[0].url))
    first = cli(project, "sweep", "--json")
    assert first.returncode == 1 and status(project)[KEY]["attempts"] == 1
    held = cli(project, "sweep", "--json")  # within the backoff: not retried
    assert held.returncode == 0 and json.loads(held.stdout)["units"] == []
    assert f"held local {DATASET} {KEY}: failed 1 time(s): next retry after" in held.stderr
    age(project, minutes=6)  # the first backoff (5 minutes) has passed
    again = cli(project, "sweep", "--json")
    assert [u["action"] for u in json.loads(again.stdout)["units"]] == ["failed"]
    assert status(project)[KEY]["attempts"] == 2
    set_attempts(project, 5)
    age(project, minutes=60 * 24)
    given_up = cli(project, "sweep", "--json")
    assert json.loads(given_up.stdout)["units"] == []
    assert "failed 5 times (max_attempts 5): left for a person" in given_up.stderr
    assert status(project)[KEY]["status"] == "failed"
    forced = cli(project, "backfill", "--days", "1", "--reprocess", "failed", "--json")  # a person always retries
    assert [u["action"] for u in json.loads(forced.stdout)["units"]] == ["failed"]
    assert status(project)[KEY]["attempts"] == 6
    # the producer fixes the batch: a manifest written after the failure is new work, tried at once
    age(project, minutes=60)
    project.lake.write(PART, "b1", conversions((1, 11)), version="v2")
    fixed = cli(project, "sweep", "--json")
    assert [u["action"] for u in json.loads(fixed.stdout)["units"]] == ["loaded"], fixed.stderr
    state = status(project)[KEY]
    assert (state["status"], state["attempts"], state["error"]) == ("loaded", 0, None)


def test_a_failure_after_a_success_is_the_first_in_a_row_whatever_the_old_state_counted(project: Project) -> None:
    """The previous version counted every attempt in ``attempts`` and never reset it on a
    success. Before: the first failure after the upgrade counted on from there (8 here),
    so the sweep left the partition "for a person" without ever retrying it."""
    good = project.lake.write(PART, "b1", conversions((1, 10)))
    assert load(project, good).returncode == 0
    set_attempts(project, 7)  # a loaded partition's row as the previous version left it
    fail_a_load(project)
    assert status(project)[KEY]["attempts"] == 1
    age(project, minutes=6)  # the first backoff has passed: the sweep retries it
    retried = cli(project, "sweep", "--json")
    assert [u["action"] for u in json.loads(retried.stdout)["units"]] == ["failed"], retried.stderr
    assert status(project)[KEY]["attempts"] == 2


def test_max_attempts_is_read_per_dataset(project: Project) -> None:
    text = project.config_path.read_text().replace("allow_empty = true", "allow_empty = true\nmax_attempts = 1")
    project.config_path.write_text(text)
    good = project.lake.write(PART, "b1", conversions((1, 10)))
    project.lake.corrupt(project.lake.store.resolve(project.lake.manifest(good).entries[0].url))
    assert cli(project, "sweep").returncode == 1
    age(project, minutes=60)
    held = cli(project, "sweep", "--json")
    assert json.loads(held.stdout)["units"] == [] and "(max_attempts 1)" in held.stderr
    project.config_path.write_text(text.replace("max_attempts = 1", 'max_attempts = "lots"'))
    bad = cli(project, "sweep")
    assert bad.returncode == 2 and "max_attempts" in bad.stderr and "lots" in bad.stderr


def age(project: Project, minutes: int) -> None:
    """What waiting does: the partition's last attempt, and every file of the lake, move
    back in time (so no manifest looks written after the failure)."""
    run_sql(project, f"UPDATE _loaders.partitions SET updated_at = updated_at - INTERVAL '{int(minutes)} minutes'")
    for path in (project.root / "lake").rglob("*"):
        if path.is_file():
            then = path.stat().st_mtime - minutes * 60
            os.utime(path, (then, then))


def set_attempts(project: Project, n: int) -> None:
    run_sql(project, f"UPDATE _loaders.partitions SET attempts = {int(n)}")


def run_sql(project: Project, sql: str) -> None:
    if isinstance(project, PostgresProject):
        project.server.query(sql)
        return
    import duckdb

    with duckdb.connect(str(project.root / "warehouse.duckdb")) as conn:
        conn.execute(sql)


def test_reset_clears_a_failure_and_dry_run_changes_nothing(project: Project) -> None:
    good = project.lake.write(PART, "b1", conversions((1, 10)))
    assert load(project, good).returncode == 0
    fail_a_load(project)
    dry = cli(project, "reset", "--dataset", DATASET, "--partition", KEY, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    [row] = json.loads(dry.stdout)["resets"]
    assert (row["failure_cleared"], row["change"]) == (True, "would clear the failure")
    assert status(project)[KEY]["status"] == "failed"  # dry: unchanged
    done = cli(project, "reset", "--dataset", DATASET, "--partition", KEY)
    assert done.returncode == 0 and "failure cleared" in done.stdout
    state = status(project)[KEY]
    assert (state["status"], state["attempts"], state["manifests"], state["rows"]) == ("loaded", 0, 1, 1)
    again = cli(project, "reset", "--dataset", DATASET, "--partition", KEY)
    assert "nothing to change: not failed" in again.stdout


def test_reset_forgets_manifests_so_a_merge_reloads_without_duplicates(project: Project) -> None:
    first = project.lake.write(PART, "b1", conversions((1, 10), (2, 10)))
    assert load(project, first).returncode == 0
    done = cli(project, "reset", "--dataset", DATASET, "--partition", KEY, "--forget-manifests", "--json")
    [row] = json.loads(done.stdout)["resets"]
    assert (row["manifests_forgotten"], row["rows_forgotten"]) == (1, 2)
    assert KEY not in status(project)  # never loaded, as far as the state knows
    reloaded = cli(project, "backfill", "--days", "1", "--json")
    assert [u["action"] for u in json.loads(reloaded.stdout)["units"]] == ["loaded"]
    assert sorted(project.query("SELECT conversion_id FROM raw.conversions")) == [(1,), (2,)]
    assert status(project)[KEY]["manifests"] == 1


def test_reset_refuses_to_forget_an_append_dataset_without_force(tmp_path: Path) -> None:
    project = Project(tmp_path, strategy="append")
    assert load(project, project.lake.write(PART, "b1", conversions((1, 10)))).returncode == 0
    refused = cli(project, "reset", "--dataset", DATASET, "--partition", KEY, "--forget-manifests")
    assert refused.returncode == 2 and "duplicate" in refused.stderr and "--force" in refused.stderr
    assert status(project)[KEY]["manifests"] == 1
    forced = cli(project, "reset", "--dataset", DATASET, "--partition", KEY, "--forget-manifests", "--force")
    assert forced.returncode == 0 and KEY not in status(project)
    bad = cli(project, "reset", "--dataset", DATASET, "--partition", "dt=2026-12-01")
    assert bad.returncode == 2 and "dt/hour" in bad.stderr


def test_read_only_commands_create_nothing_and_say_the_state_is_absent(tmp_path: Path) -> None:
    """Before: status created warehouse.duckdb and the _loaders tables, and printed nothing."""
    project = Project(tmp_path)
    project.lake.write(PART, "b1", conversions((1, 10)))
    for args in (["status"], ["status", "--days", "1"], ["schemas", "list"], ["backfill", "--days", "1", "--dry-run"]):
        done = cli(project, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert not (tmp_path / "warehouse.duckdb").exists(), args
    noted = cli(project, "status")
    assert "sink local has no load state yet" in noted.stderr and "loaders.toml" in noted.stderr


def test_read_only_commands_create_no_schema_on_postgres(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if NO_POSTGRES:
        pytest.skip(NO_POSTGRES)
    project = PostgresProject(tmp_path, request.getfixturevalue("pg"))
    project.lake.write(PART, "b1", conversions((1, 10)))
    schemas = "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'"
    before = project.server.query(schemas)
    for args in (["status", "--days", "1"], ["schemas", "list"], ["backfill", "--days", "1", "--dry-run"]):
        assert cli(project, *args).returncode == 0
    assert project.server.query(schemas) == before
    assert "no load state yet" in cli(project, "status").stderr


ODD = """
[datasets."firehose.events"]
table = "raw.events"
manifests = "manifests/firehose/events/{yyyy}/{mm}/{dd}/{batch}.json"
partition = ["yyyy", "mm", "dd"]
"""


def test_a_dataset_off_the_calendar_does_not_stop_the_sweep_of_the_others(tmp_path: Path) -> None:
    """Before: sweep, backfill and status --days exited 2 for the whole configuration."""
    project = Project(tmp_path)
    project.config_path.write_text(project.config_path.read_text() + ODD)
    project.lake.write(PART, "b1", conversions((1, 10)))
    done = cli(project, "sweep", "--json")
    assert done.returncode == 0, done.stderr
    assert [(u["dataset"], u["action"]) for u in json.loads(done.stdout)["units"]] == [(DATASET, "loaded")]
    assert "firehose.events: not in windows" in done.stderr
    assert cli(project, "status", "--days", "1").returncode == 0
    named = cli(project, "backfill", "--days", "1", "--dataset", "firehose.events")
    assert named.returncode == 2 and "firehose.events: not in windows" in named.stderr


def test_the_scheduled_sweep_skips_a_dataset_off_the_calendar(tmp_path: Path) -> None:
    from loaders.aws.worker import Worker

    project = Project(tmp_path)
    project.config_path.write_text(project.config_path.read_text() + ODD)
    project.lake.write(PART, "b1", conversions((1, 10)))
    answer = Worker(project.config()).sweep()
    assert [(u["dataset"], u["action"]) for u in answer["units"]] == [(DATASET, "loaded")]


def test_attempted_at_is_recent_utc(project: Project) -> None:
    good = project.lake.write(PART, "b1", conversions((1, 10)))
    assert load(project, good).returncode == 0
    at = datetime.fromisoformat(status(project)[KEY]["attempted_at"].removesuffix("Z"))
    assert abs(datetime.now(UTC).replace(tzinfo=None) - at) < timedelta(minutes=5)


def test_reset_of_a_partition_no_sink_knows_exits_1(tmp_path: Path) -> None:
    project = Project(tmp_path)
    assert load(project, project.lake.write(PART, "b1", conversions((1, 10)))).returncode == 0
    misspelt = cli(project, "reset", "--dataset", DATASET, "--partition", f"dt={TODAY}/hour=3")
    assert misspelt.returncode == 1 and "no sink has a load state" in misspelt.stderr
    assert "no load state" in misspelt.stdout


def test_the_scheduled_sweep_retries_after_the_backoff(project: Project) -> None:
    from loaders.aws.worker import Worker

    good = project.lake.write(PART, "b1", conversions((1, 10)))
    project.lake.corrupt(project.lake.store.resolve(project.lake.manifest(good).entries[0].url))
    worker = Worker(project.config())
    assert [u["action"] for u in worker.sweep()["units"]] == ["failed"]
    assert worker.sweep()["units"] == []  # within the backoff
    age(project, minutes=6)
    assert [u["action"] for u in worker.sweep()["units"]] == ["failed"]
    assert status(project)[KEY]["attempts"] == 2
