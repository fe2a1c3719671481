"""Lookback, backfill and sweep on a local lake: what is planned, and what it costs.

The planner's tests run once per backend keeping the load state (and the table): DuckDB,
and PostgreSQL when its test server is reachable (skipped otherwise, with the reason
test_postgres_sink gives). The CLI's tests run on DuckDB only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from loaders.executor import execute
from loaders.planner import Planner, Reprocess, Window
from loaders.runner import Runner
from manifests import ObjectInfo
from manifests.store import LocalStore
from sinks.sql import STATE_STEPS, SqlSink
from tests.conformance_rows import conversions
from tests.integration.project import PostgresProject, Project

try:  # the PostgreSQL fixtures; without a server that module skips itself, here only its cases
    from tests.integration.test_postgres_sink import fixture_pg, fixture_pg_server

    __all__ = ["fixture_pg", "fixture_pg_server"]
    NO_POSTGRES = ""
except pytest.skip.Exception as skipped:
    NO_POSTGRES = skipped.msg or "no PostgreSQL server"

DAY1, DAY2, DAY3 = "2026-11-26", "2026-11-27", "2026-11-28"
WINDOW = Window(date(2026, 11, 27), date(2026, 11, 28))  # two days, 48 hourly partitions


def part(day: str, hour: int) -> dict[str, str]:
    return {"dt": day, "hour": f"{hour:02d}"}


@pytest.fixture(
    params=["duckdb", pytest.param("postgres", marks=pytest.mark.skipif(bool(NO_POSTGRES), reason=NO_POSTGRES))]
)
def backend(request: pytest.FixtureRequest) -> str:
    """Where the sink ``local`` keeps its table and load state; a test pins one with ``duckdb_only``."""
    return str(request.param)


duckdb_only = pytest.mark.parametrize("backend", ["duckdb"])


@pytest.fixture
def new_project(backend: str, request: pytest.FixtureRequest) -> Callable[..., Project]:
    """Makes a project on the backend, each with an empty warehouse (its own DuckDB file, or a reset database)."""
    if backend == "duckdb":
        return Project
    pg = request.getfixturevalue("pg")

    def make(root: Path, **options: Any) -> Project:
        pg.reset()
        return PostgresProject(root, pg, **options)

    return make


@pytest.fixture
def project(tmp_path: Path, new_project: Callable[..., Project]) -> Project:
    return new_project(tmp_path)


class Counted:
    """Counts the statements a sink runs by template step, for the length of a test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.steps: list[str] = []
        original = SqlSink.execute

        def execute_counted(sink: SqlSink, step: str, **context: Any) -> list[tuple[Any, ...]]:
            self.steps.append(step)
            return original(sink, step, **context)

        monkeypatch.setattr(SqlSink, "execute", execute_counted)

    def data_statements(self) -> list[str]:
        state = {"state_tables", *STATE_STEPS, "window_state", "applied"}
        return [s for s in self.steps if s not in state]


def sweep(project: Project, window: Window = WINDOW, reprocess: Reprocess = Reprocess.MISSING) -> tuple[list, Planner]:
    runner = Runner(project.config())
    try:
        planner = Planner(runner.store, runner.sinks)
        dataset = project.config().datasets["ad_server.conversion"]
        plan = planner.plan(dataset, window, ["local"], reprocess)
        outcomes, interrupted = execute(runner, plan)
        assert not interrupted
        return outcomes, planner
    finally:
        runner.close()


def states(project: Project) -> dict[str, str]:
    runner = Runner(project.config())
    try:
        planner = Planner(runner.store, runner.sinks)
        dataset = project.config().datasets["ad_server.conversion"]
        return {v.partition.key: v.status for v in planner.survey(dataset, WINDOW, ["local"])}
    finally:
        runner.close()


def test_a_late_manifest_in_the_window_is_loaded_and_one_outside_is_not(project: Project) -> None:
    project.lake.write(part(DAY2, 5), "b1", conversions((1, 10)))
    project.lake.write(part(DAY1, 5), "late", conversions((9, 10)))  # outside the window
    outcomes, _ = sweep(project)
    assert [(o.partition, o.action, o.rows) for o in outcomes] == [(f"dt={DAY2}/hour=05", "loaded", 1)]
    late = project.lake.write(part(DAY3, 7), "late", conversions((2, 10)))
    outcomes, _ = sweep(project)
    assert [(o.partition, o.action) for o in outcomes] == [(f"dt={DAY3}/hour=07", "loaded")]
    assert late.endswith("late.json")
    assert project.query("SELECT conversion_id FROM raw.conversions ORDER BY 1") == [(1,), (2,)]


def test_an_unchanged_window_lists_once_per_partition_and_runs_no_data_statement(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    for hour in (1, 2, 3):
        project.lake.write(part(DAY2, hour), "b1", conversions((hour, 10)))
    outcomes, _ = sweep(project)
    assert sorted((o.partition[-7:], o.action) for o in outcomes) == [
        ("hour=01", "loaded"), ("hour=02", "loaded"), ("hour=03", "loaded"),
    ]  # fmt: skip
    counted = Counted(monkeypatch)
    listed: list[str] = []
    original = LocalStore.list

    def list_counted(store: LocalStore, prefix: str, *, versions: bool = False) -> list[ObjectInfo]:
        listed.append(prefix)  # list.append is atomic: safe from the planner's threads
        return original(store, prefix, versions=versions)

    monkeypatch.setattr(LocalStore, "list", list_counted)
    outcomes, _ = sweep(project)
    assert outcomes == []
    assert len(listed) == len(set(listed)) == 48  # one LIST per hourly partition of two days
    assert counted.steps.count("window_state") == 1  # one state query for the whole window
    assert counted.data_statements() == []
    assert project.query("SELECT conversion_id FROM raw.conversions ORDER BY 1") == [(1,), (2,), (3,)]


def test_missing_stale_failed_and_loaded_statuses(project: Project) -> None:
    project.lake.write(part(DAY2, 1), "b1", conversions((1, 10)))
    bad = project.lake.write(part(DAY2, 2), "b1", conversions((2, 10)))
    project.lake.write_manifest(bad, "{broken")
    sweep(project)
    project.lake.write(part(DAY2, 3), "b1", conversions((3, 10)))  # arrives after the sweep
    seen = states(project)
    assert seen[f"dt={DAY2}/hour=01"] == "loaded"
    assert seen[f"dt={DAY2}/hour=02"] == "failed"
    assert seen[f"dt={DAY2}/hour=03"] == "stale"
    assert seen[f"dt={DAY2}/hour=04"] == "missing"
    assert list(seen.values()).count("missing") == 45


def test_a_manifest_rewritten_in_place_is_stale_until_loaded(project: Project) -> None:
    key = project.lake.write(part(DAY2, 1), "b1", conversions((1, 10)))
    sweep(project)
    project.lake.write(part(DAY2, 1), "b1", conversions((1, 20), (5, 20)), version="-v2")
    assert states(project)[f"dt={DAY2}/hour=01"] == "stale"
    outcomes, _ = sweep(project)
    assert [(o.action, o.rows) for o in outcomes] == [("loaded", 2)]
    assert states(project)[f"dt={DAY2}/hour=01"] == "loaded"
    assert project.query("SELECT conversion_id, event_ts FROM raw.conversions ORDER BY 1") == [(1, 20), (5, 20)]
    assert key.endswith("b1.json")


def test_reprocess_failed_retries_failed_partitions(project: Project) -> None:
    key = project.lake.write(part(DAY2, 1), "b1", conversions((1, 10)))
    data = project.lake.root / f"data/ad_server/conversion/dt={DAY2}/hour=01/b1-0.parquet"
    saved = data.read_bytes()
    data.unlink()
    outcomes, _ = sweep(project)
    assert [o.error_class for o in outcomes] == ["MissingFileError"]
    data.write_bytes(saved)  # the producer re-uploads the file; the manifest is unchanged
    assert states(project)[f"dt={DAY2}/hour=01"] == "failed"
    outcomes, _ = sweep(project, reprocess=Reprocess.FAILED)
    assert [(o.action, o.rows) for o in outcomes] == [("loaded", 1)]
    assert key.endswith("b1.json")


def test_reprocess_all_reloads_but_never_duplicates(tmp_path: Path, new_project: Callable[..., Project]) -> None:
    for strategy in ("append", "merge", "replace"):
        (tmp_path / strategy).mkdir()
        project = new_project(tmp_path / strategy, strategy=strategy)
        project.lake.write(part(DAY2, 1), "b1", conversions((1, 10), (2, 10)))
        sweep(project)
        outcomes, _ = sweep(project, reprocess=Reprocess.ALL)
        expected = "skipped" if strategy == "append" else "loaded"
        assert [o.action for o in outcomes] == [expected], strategy
        assert project.query("SELECT conversion_id FROM raw.conversions ORDER BY 1") == [(1,), (2,)], strategy


def test_one_failing_partition_does_not_stop_the_others(project: Project) -> None:
    for hour in (1, 2, 3):
        project.lake.write(part(DAY2, hour), "b1", conversions((hour, 10)))
    (project.lake.root / f"data/ad_server/conversion/dt={DAY2}/hour=02/b1-0.parquet").write_bytes(b"x" * 10)
    outcomes, _ = sweep(project)
    assert sorted((o.partition[-7:], o.action) for o in outcomes) == [
        ("hour=01", "loaded"), ("hour=02", "failed"), ("hour=03", "loaded"),
    ]  # fmt: skip


def cli(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loaders", *args], cwd=project.root, capture_output=True, text=True,
        env=dict(os.environ), timeout=120,
    )  # fmt: skip


@duckdb_only
def test_backfill_dry_run_prints_the_plan_and_loads_nothing(project: Project) -> None:
    project.lake.write(part(DAY2, 1), "b1", conversions((1, 10), (2, 10)))
    done = cli(project, "backfill", "--start", DAY2, "--end", DAY3, "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    [unit] = json.loads(done.stdout)["units"]
    assert (unit["partition"], unit["action"], unit["manifests"]) == (f"dt={DAY2}/hour=01", "planned", 1)
    assert unit["why"].startswith("never loaded") and unit["bytes"] > 0
    assert project.query("SELECT count(*) FROM raw.conversions") == []
    done = cli(project, "backfill", "--start", DAY2, "--end", DAY3, "--json")
    assert done.returncode == 0, done.stderr
    assert [u["action"] for u in json.loads(done.stdout)["units"]] == ["loaded"]


@duckdb_only
def test_backfill_exits_1_when_a_unit_fails_and_2_on_usage_errors(project: Project) -> None:
    bad = project.lake.write(part(DAY2, 1), "b1", conversions((1, 10)))
    project.lake.write_manifest(bad, "{broken")
    assert cli(project, "backfill", "--start", DAY2, "--end", DAY3).returncode == 1
    for args in (
        ["backfill"],
        ["backfill", "--days", "2", "--start", DAY2],
        ["backfill", "--days", "1", "--dataset", "x.y"],
    ):
        done = cli(project, *args)
        assert done.returncode == 2 and "Traceback" not in done.stderr, args


@duckdb_only
def test_sweep_uses_each_datasets_lookback(project: Project) -> None:
    today = datetime.now(UTC).date().isoformat()
    project.lake.write(part(today, 0), "b1", conversions((1, 10)))
    done = cli(project, "sweep", "--json")
    assert done.returncode == 0, done.stderr
    assert [u["partition"] for u in json.loads(done.stdout)["units"]] == [f"dt={today}/hour=00"]
    again = cli(project, "sweep", "--json")
    assert json.loads(again.stdout)["units"] == []


@duckdb_only
def test_status_days_reports_missing_partitions(project: Project) -> None:
    today = datetime.now(UTC).date().isoformat()
    project.lake.write(part(today, 0), "b1", conversions((1, 10)))
    cli(project, "sweep")
    rows = json.loads(cli(project, "status", "--days", "1", "--json").stdout)
    assert len(rows) == 24
    assert {r["partition"]: r["status"] for r in rows}[f"dt={today}/hour=00"] == "loaded"
    assert sum(r["status"] == "missing" for r in rows) == 23
