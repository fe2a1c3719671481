"""Running a plan: units in parallel across sinks, Ctrl-C finishing what is in flight, the grid."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

import loaders.executor as executor
from loaders.cli import main
from loaders.executor import Task, execute
from loaders.planner import Planner, Reprocess
from loaders.report import Progress, print_grid
from loaders.runner import Outcome, Runner
from sinks.base import PartitionState
from tests.conformance_rows import conversions
from tests.integration.project import Project
from tests.integration.test_planner import DAY2, DAY3, WINDOW, part

SINKS = ("local", "second", "third")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """Three DuckDB sinks (three files), so one plan has three independent tasks."""
    project = Project(tmp_path)
    extra = [f"sinks = {list(SINKS)!r}".replace("'", '"')]
    for name in SINKS[1:]:
        extra += [f"[sinks.{name}]", 'type = "duckdb"', f'url = "duckdb:///{name}.duckdb"']
    with project.config_path.open("a") as fh:
        fh.write("\n".join(extra) + "\n")
    for hour in (1, 2, 3):
        project.lake.write(part(DAY2, hour), "b1", conversions((hour, 10)))
    return project


def plan_and_execute(
    project: Project, concurrency: int, on_done: Callable[[Sequence[Outcome]], None] = lambda _o: None
) -> tuple[list[Outcome], bool]:
    runner = Runner(project.config())
    try:
        dataset = runner.config.datasets["ad_server.conversion"]
        plan = Planner(runner.store, runner.sinks).plan(dataset, WINDOW, list(SINKS), Reprocess.MISSING)
        return execute(runner, plan, concurrency, on_done)
    finally:
        runner.close()


def rows_in(project: Project, sink: str) -> int | None:
    import duckdb

    path = project.root / ("warehouse.duckdb" if sink == "local" else f"{sink}.duckdb")
    if not path.exists():
        return None
    with duckdb.connect(str(path)) as conn:
        tables = conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'").fetchall()
        if ("conversions",) not in tables:
            return None
        return conn.execute("SELECT count(*) FROM raw.conversions").fetchone()[0]  # type: ignore[index]


def gate_tasks(monkeypatch: pytest.MonkeyPatch, parties: int) -> list[str]:
    """Make the first `parties` tasks wait for each other: the plan fails (BrokenBarrierError)
    unless that many run at the same time."""
    barrier = threading.Barrier(parties, timeout=10)
    started: list[str] = []
    original = executor.run_task

    def run_task(runner: Runner, task: Task) -> list[Outcome]:
        started.append(task.sink)
        if len(started) <= parties:
            barrier.wait()
        return original(runner, task)

    monkeypatch.setattr(executor, "run_task", run_task)
    return started


def test_concurrency_runs_the_sinks_tasks_at_the_same_time_and_loads_each_once(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate_tasks(monkeypatch, parties=3)
    outcomes, interrupted = plan_and_execute(project, concurrency=3)
    assert not interrupted
    assert sorted((o.sink, o.action) for o in outcomes) == sorted((s, "loaded") for s in SINKS for _ in range(3))
    assert [rows_in(project, s) for s in SINKS] == [3, 3, 3]
    again, _ = plan_and_execute(project, concurrency=3)
    assert again == []


def test_a_duckdb_sinks_partitions_go_in_one_task_whatever_the_concurrency(project: Project) -> None:
    runner = Runner(project.config())
    try:
        dataset = runner.config.datasets["ad_server.conversion"]
        plan = Planner(runner.store, runner.sinks).plan(dataset, WINDOW, list(SINKS), Reprocess.MISSING)
        todo = executor.tasks(runner, plan)
    finally:
        runner.close()
    assert sorted((t.sink, len(t.items)) for t in todo) == [("local", 3), ("second", 3), ("third", 3)]


def test_ctrl_c_finishes_the_units_in_flight_and_starts_no_more(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = gate_tasks(monkeypatch, parties=2)
    seen: list[Sequence[Outcome]] = []

    def on_done(outcomes: Sequence[Outcome]) -> None:
        seen.append(outcomes)
        if len(seen) == 1:
            raise KeyboardInterrupt

    outcomes, interrupted = plan_and_execute(project, concurrency=2, on_done=on_done)
    assert interrupted
    assert len(started) == 2  # the third task never started
    finished = {o.sink for o in outcomes}
    assert len(finished) == 2 and all(o.action == "loaded" for o in outcomes) and len(outcomes) == 6
    [never] = set(SINKS) - finished
    assert rows_in(project, never) is None
    assert all(rows_in(project, s) == 3 for s in finished)
    outcomes, interrupted = plan_and_execute(project, concurrency=2)  # run it again: the rest
    assert not interrupted and {o.sink for o in outcomes} == {never}


def test_ctrl_c_in_the_cli_prints_a_summary_and_exits_1(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    def advance(self: Progress, outcomes: Sequence[Outcome]) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Progress, "advance", advance)
    monkeypatch.chdir(project.root)
    result = CliRunner().invoke(main, ["backfill", "--start", DAY2, "--end", DAY3, "--json"])
    assert result.exit_code == 1, result.output
    assert "interrupted after 3 unit(s)" in result.stderr
    assert len([1 for s in SINKS if rows_in(project, s) == 3]) == 1


def state(partition: str, status: str) -> PartitionState:
    return PartitionState("ad_server.conversion", partition, status, 0, 0, 0, None, None, None)


def test_the_status_grid_shows_each_hour_of_each_day_by_status(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [("local", state(f"dt={DAY2}/hour={h:02d}", "missing")) for h in range(24)]
    rows[1] = ("local", state(f"dt={DAY2}/hour=01", "loaded"))
    rows[5] = ("local", state(f"dt={DAY2}/hour=05", "failed"))
    rows[23] = ("local", state(f"dt={DAY2}/hour=23", "stale"))
    rows += [("local", state(f"dt={DAY3}/hour={h:02d}", "loaded")) for h in range(24)]
    print_grid(rows)
    out = capsys.readouterr().out
    assert "ad_server.conversion → local" in out
    [day2] = [line for line in out.splitlines() if line.startswith(DAY2)]
    [day3] = [line for line in out.splitlines() if line.startswith(DAY3)]
    assert day2.split()[1:] == ["·", "■", "·", "·", "·", "✖"] + ["·"] * 17 + ["◆"]
    assert day3.split()[1:] == ["■"] * 24
    assert out.index(DAY3) < out.index(DAY2)  # newest day first


def test_the_status_grid_of_a_daily_dataset_has_one_cell_per_day(capsys: pytest.CaptureFixture[str]) -> None:
    print_grid([("wh", state(f"dt={DAY2}", "loaded")), ("wh", state(f"dt={DAY3}", "missing"))])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split() for line in lines if line.startswith("2026")] == [[DAY3, "·"], [DAY2, "■"]]


def test_ctrl_c_reports_units_that_finished_together_with_the_interrupted_one(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ALL_COMPLETED
    from concurrent.futures import wait as real_wait

    gate_tasks(monkeypatch, parties=2)
    calls: list[int] = []

    def wait_for_both_first(futures, return_when):
        calls.append(len(futures))
        return real_wait(futures, return_when=ALL_COMPLETED if len(calls) == 1 else return_when)

    monkeypatch.setattr(executor, "wait", wait_for_both_first)

    reported: list[Sequence[Outcome]] = []

    def on_done(outcomes: Sequence[Outcome]) -> None:
        reported.append(outcomes)
        if len(reported) == 1:
            raise KeyboardInterrupt

    outcomes, interrupted = plan_and_execute(project, concurrency=2, on_done=on_done)
    assert interrupted and calls[0] == 2 and len(reported) == 2
    assert len({o.sink for o in outcomes}) == 2 and len(outcomes) == 6  # neither finished unit is lost
