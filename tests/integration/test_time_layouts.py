"""Calendar layouts beyond ``dt``/``dt``+``hour`` through the CLI, on DuckDB: a dataset
declaring its ``time`` is planned by ``sweep`` and ``backfill`` and shown by ``status
--days`` like any, and a dataset with no time is noted and skipped without stopping the
others.

The layouts are the real producers' defaults: Firehose's S3 prefix is ``YYYY/MM/DD/HH/``
(UTC arrival time; "Amazon S3 object name format", Amazon Data Firehose developer guide),
Hive-style lakes (Spark ``partitionBy``, Athena) write ``year=/month=/day=``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.conformance_rows import conversions
from tests.integration.project import Project
from tests.lake import Lake

NOW = datetime.now(UTC)
YESTERDAY = NOW - timedelta(days=1)
YYYY, MM, DD = NOW.strftime("%Y"), NOW.strftime("%m"), NOW.strftime("%d")
FIREHOSE = f"yyyy={YYYY}/mm={MM}/dd={DD}/hh=07"
HIVE = f"year={YYYY}/month={MM}/day={DD}"
CONVERSION = f"dt={NOW.date().isoformat()}/hour=03"
LAYOUTS = """
[datasets."firehose.events"]
table = "raw.events"
manifests = "manifests/firehose/events/{yyyy}/{mm}/{dd}/{hh}/{batch}.json"
partition = ["yyyy", "mm", "dd", "hh"]
time = { dt = "{yyyy}-{mm}-{dd}", hour = "{hh}" }
lookback = "2d"

[datasets."hive.clicks"]
table = "raw.clicks"
manifests = "manifests/hive/clicks/year={year}/month={month}/day={day}/{batch}.json"
partition = ["year", "month", "day"]
time = { dt = "{year}-{month}-{day}" }

[datasets."region.events"]
table = "raw.region_events"
manifests = "manifests/region/events/region={region}/{batch}.json"
partition = ["region"]
"""


def cli(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loaders", *args],
        cwd=project.root,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )


def units(done: subprocess.CompletedProcess[str]) -> set[tuple[str, str, str]]:
    assert done.returncode == 0, done.stderr
    return {(u["dataset"], u["partition"], u["action"]) for u in json.loads(done.stdout)["units"]}


def mixed(tmp_path: Path) -> Project:
    """The conversion dataset (dt, hour), a Firehose and a Hive dataset with a batch each
    today, and a dataset with no time at all (one batch, loadable by its manifest)."""
    project = Project(tmp_path)
    project.config_path.write_text(project.config_path.read_text() + LAYOUTS)
    project.lake.write({"dt": NOW.date().isoformat(), "hour": "03"}, "b1", conversions((1, 10)))
    firehose = Lake(project.lake.root, "firehose", "events")
    written = json.loads(Path(firehose.root, firehose.write(_values(FIREHOSE), "b1", rows(3))).read_text())
    firehose.write_manifest(f"manifests/firehose/events/{YYYY}/{MM}/{DD}/07/b1.json", written)
    Lake(project.lake.root, "hive", "clicks").write(_values(HIVE), "b1", rows(2))
    Lake(project.lake.root, "region", "events").write({"region": "eu"}, "b1", rows(1))
    return project


def rows(n: int) -> list[dict[str, Any]]:
    return [{"id": i, "name": f"n{i}"} for i in range(n)]


def _values(key: str) -> dict[str, str]:
    return dict(p.split("=", 1) for p in key.split("/"))


NOTE = "note: region.events: not in windows"


def test_backfill_plans_firehose_and_hive_partitions_by_their_calendar(tmp_path: Path) -> None:
    project = mixed(tmp_path)
    done = cli(project, "backfill", "--days", "1", "--dry-run", "--json")
    assert units(done) == {
        ("firehose.events", FIREHOSE, "planned"),
        ("hive.clicks", HIVE, "planned"),
        ("ad_server.conversion", CONVERSION, "planned"),
    }
    assert NOTE in done.stderr
    day = YESTERDAY.date().isoformat()
    window = ["--start", day, "--end", day, "--dataset", "firehose.events", "--dataset", "hive.clicks"]
    assert units(cli(project, "backfill", *window, "--dry-run", "--json")) == set()  # nothing yesterday


def test_the_sweep_loads_them_and_then_has_nothing_left(tmp_path: Path) -> None:
    project = mixed(tmp_path)
    planned = units(cli(project, "sweep", "--dry-run", "--json"))
    assert {(d, p) for d, p, _a in planned} == {
        ("firehose.events", FIREHOSE),
        ("hive.clicks", HIVE),
        ("ad_server.conversion", CONVERSION),
    }
    done = cli(project, "sweep", "--json")
    assert {(d, a) for d, _p, a in units(done)} == {
        ("firehose.events", "loaded"),
        ("hive.clicks", "loaded"),
        ("ad_server.conversion", "loaded"),
    }
    assert NOTE in done.stderr
    assert project.query("SELECT count(*) FROM raw.events") == [(3,)]
    assert project.query("SELECT count(*) FROM raw.clicks") == [(2,)]
    assert units(cli(project, "sweep", "--dry-run", "--json")) == set()


def test_status_days_shows_every_hour_and_day_of_each_calendar(tmp_path: Path) -> None:
    project = mixed(tmp_path)
    assert cli(project, "load", "--json", f"manifests/firehose/events/{YYYY}/{MM}/{DD}/07/b1.json").returncode == 0
    done = cli(project, "status", "--days", "2", "--json")
    assert done.returncode == 0, done.stderr
    assert NOTE in done.stderr
    seen = {(d["dataset"], d["partition"]): d["status"] for d in json.loads(done.stdout)}
    firehose = {p: s for (d, p), s in seen.items() if d == "firehose.events"}
    assert len(firehose) == 48 and firehose[FIREHOSE] == "loaded"
    assert firehose[f"yyyy={YYYY}/mm={MM}/dd={DD}/hh=08"] == "missing"
    y, m, d = YESTERDAY.strftime("%Y"), YESTERDAY.strftime("%m"), YESTERDAY.strftime("%d")
    assert f"yyyy={y}/mm={m}/dd={d}/hh=00" in firehose
    hive = {p: s for (d, p), s in seen.items() if d == "hive.clicks"}
    assert hive == {HIVE: "stale", f"year={y}/month={m}/day={d}": "missing"}
    assert not any(d == "region.events" for d, _p in seen)


def test_a_dataset_named_off_the_calendar_is_refused_the_others_not(tmp_path: Path) -> None:
    project = mixed(tmp_path)
    named = cli(project, "status", "--days", "1", "--dataset", "region.events")
    assert named.returncode == 2 and "region.events: not in windows" in named.stderr
    assert units(cli(project, "sweep", "--dry-run", "--json", "--dataset", "hive.clicks")) == {
        ("hive.clicks", HIVE, "planned")
    }
    # loadable by its manifest all the same
    loaded = cli(project, "load", "--json", "manifests/region/events/region=eu/b1.json")
    assert loaded.returncode == 0, loaded.stderr
    assert project.query("SELECT count(*) FROM raw.region_events") == [(1,)]


SPARK = """
[datasets."spark.clicks"]
table = "raw.spark_clicks"
manifests = "manifests/spark/clicks/year={year}/month={month}/day={day}/hour={hour}/{batch}.json"
partition = ["year", "month", "day", "hour"]
time = { dt = "{year}-{month:unpadded}-{day:unpadded}", hour = "{hour:unpadded}" }
"""


def test_an_unpadded_hive_layout_is_swept_and_shown_by_its_unpadded_partitions(tmp_path: Path) -> None:
    """Spark's ``partitionBy`` on integer columns writes ``month=1/day=5/hour=7``."""
    project = Project(tmp_path)
    project.config_path.write_text(project.config_path.read_text() + SPARK)
    today = f"year={NOW.year}/month={NOW.month}/day={NOW.day}"
    written = {f"{today}/hour=0": rows(2), f"{today}/hour=7": rows(3)}
    for key, data in written.items():
        Lake(project.lake.root, "spark", "clicks").write(_values(key), "b1", data)
    only = ("--dataset", "spark.clicks")
    assert units(cli(project, "sweep", "--dry-run", "--json", *only)) == {
        ("spark.clicks", key, "planned") for key in written
    }
    assert units(cli(project, "sweep", "--json", *only)) == {("spark.clicks", key, "loaded") for key in written}
    assert project.query("SELECT count(*) FROM raw.spark_clicks") == [(5,)]
    done = cli(project, "status", "--days", "1", "--json", *only)
    assert done.returncode == 0, done.stderr
    seen = {d["partition"]: d["status"] for d in json.loads(done.stdout)}
    assert set(seen) == {f"{today}/hour={h}" for h in range(24)}
    assert {p for p, s in seen.items() if s == "loaded"} == set(written)
