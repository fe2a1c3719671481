"""The planner and the CLI over a sink's own load state: one suite, every sink runs it.

A sweep loads what is missing and fails what is broken, status tells missing, stale,
failed and loaded partitions apart, an unchanged window plans nothing, and the CLI
backfills and reports through the sink. A sink's test module subclasses
:class:`PlannerContract`, names its sink (``sink``) and provides a ``project`` fixture:
the path of a loaders.toml on an S3 store whose dataset ``ad_server.conversion`` (hourly,
merged) loads into that sink only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from loaders.config import load_config
from loaders.executor import execute
from loaders.planner import Planner, Reprocess, Window
from loaders.runner import Runner
from manifests.store import S3Store
from tests.conformance_rows import conversions
from tests.lake import Lake

DAY = "2026-11-27"
WINDOW = Window(date(2026, 11, 27), date(2026, 11, 27))  # one day: 24 hourly partitions
DATASET = "ad_server.conversion"


def lake_of(config: Path) -> Lake:
    loaded = load_config(str(config))
    return Lake(config.parent / "lake", store=S3Store(loaded.store.root, loaded.store.endpoint_url))


def sweep(config: Path, sink: str, reprocess: Reprocess = Reprocess.MISSING) -> list[Any]:
    runner = Runner(load_config(str(config)))
    try:
        dataset = runner.config.datasets[DATASET]
        plan = Planner(runner.store, runner.sinks).plan(dataset, WINDOW, [sink], reprocess)
        outcomes, interrupted = execute(runner, plan)
        assert not interrupted
        return outcomes
    finally:
        runner.close()


def statuses(config: Path, sink: str) -> dict[str, str]:
    runner = Runner(load_config(str(config)))
    try:
        dataset = runner.config.datasets[DATASET]
        return {v.partition.key: v.status for v in Planner(runner.store, runner.sinks).survey(dataset, WINDOW, [sink])}
    finally:
        runner.close()


class PlannerContract:
    sink: ClassVar[str]

    def test_backfill_loads_what_is_missing_and_status_tells_each_partition(self, project: Path) -> None:
        lake = lake_of(project)
        lake.write({"dt": DAY, "hour": "01"}, "b1", conversions((1, 10), (2, 10)))
        bad = lake.write({"dt": DAY, "hour": "02"}, "b1", conversions((3, 10)))
        lake.write_manifest(bad, "{broken")
        outcomes = sweep(project, self.sink)
        assert sorted((o.partition, o.action) for o in outcomes) == [
            (f"dt={DAY}/hour=01", "loaded"), (f"dt={DAY}/hour=02", "failed"),
        ]  # fmt: skip
        lake.write({"dt": DAY, "hour": "05"}, "late", conversions((4, 10)))  # arrives after the sweep
        seen = statuses(project, self.sink)
        assert [seen[f"dt={DAY}/hour={h}"] for h in ("01", "02", "05")] == ["loaded", "failed", "stale"]
        assert list(seen.values()).count("missing") == 21
        assert [(o.partition, o.action) for o in sweep(project, self.sink)] == [(f"dt={DAY}/hour=05", "loaded")]
        failed = sweep(project, self.sink, Reprocess.FAILED)
        assert [(o.partition, o.action) for o in failed] == [(f"dt={DAY}/hour=02", "failed")]
        assert sweep(project, self.sink) == []  # nothing changed: nothing planned

    def test_the_cli_backfills_and_reports_status_through_the_sink(self, project: Path) -> None:
        lake_of(project).write({"dt": DAY, "hour": "01"}, "b1", conversions((1, 10), (2, 10)))

        def cli(*args: str) -> Any:
            done = subprocess.run(
                [sys.executable, "-m", "loaders", *args, "--config", str(project)],
                capture_output=True, text=True, env=dict(os.environ), timeout=120, cwd=project.parent,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            return json.loads(done.stdout)

        window = ("--start", DAY, "--end", DAY, "--json")
        units = cli("backfill", "--sink", self.sink, *window)["units"]
        assert [(u["partition"], u["action"], u["rows"]) for u in units] == [(f"dt={DAY}/hour=01", "loaded", 2)]
        rows = cli("status", "--sink", self.sink, "--json")
        assert [(r["sink"], r["partition"], r["status"], r["rows"]) for r in rows] == [
            (self.sink, f"dt={DAY}/hour=01", "loaded", 2)
        ]
        assert cli("backfill", "--sink", self.sink, *window)["units"] == []
