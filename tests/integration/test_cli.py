"""The command line as users and scripts call it: exit codes, JSON on stdout, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conformance_rows import conversions
from tests.integration.project import Project

P8 = {"dt": "2026-11-28", "hour": "08"}
LOADERS = [sys.executable, "-m", "loaders"]


def cli(project: Project, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LOADERS, *args],
        cwd=project.root,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def test_load_json_reports_units_and_exits_0(project: Project) -> None:
    key = project.lake.write(P8, "b1", conversions((1, 10), (2, 10)))
    done = cli(project, "load", key, "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    [unit] = doc["units"]
    assert {k: unit[k] for k in ("sink", "dataset", "partition", "action", "rows")} == {
        "sink": "local",
        "dataset": "ad_server.conversion",
        "partition": "dt=2026-11-28/hour=08",
        "action": "loaded",
        "rows": 2,
    }
    again = json.loads(cli(project, "load", key, "--json").stdout)
    assert again["units"][0]["action"] == "skipped"
    # the load id names the attempt in logs, the state and the warehouse's query history
    assert unit["load_id"] and again["units"][0]["load_id"] and unit["load_id"] != again["units"][0]["load_id"]


def test_a_failed_load_exits_1_with_the_error_in_json(project: Project) -> None:
    key = project.lake.write(P8, "b1", conversions((1, 10)))
    (project.lake.root / "data/ad_server/conversion/dt=2026-11-28/hour=08/b1-0.parquet").unlink()
    done = cli(project, "load", key, "--json")
    assert done.returncode == 1
    [unit] = json.loads(done.stdout)["units"]
    assert unit["action"] == "failed" and "b1-0.parquet" in unit["error"] and "b1.json" in unit["error"]
    assert unit["error_class"] == "MissingFileError"


def test_a_failed_load_on_a_terminal_prints_no_traceback(project: Project) -> None:
    key = project.lake.write_manifest("manifests/ad_server/conversion/dt=2026-11-28/hour=08/x.json", "{not json")
    done = cli(project, "load", key)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert "not valid JSON" in done.stdout


def test_status_json_lists_partitions(project: Project) -> None:
    key = project.lake.write(P8, "b1", conversions((1, 10), (2, 10)))
    cli(project, "load", key)
    done = cli(project, "status", "--json")
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)
    assert {k: row[k] for k in ("sink", "dataset", "partition", "status", "manifests", "rows")} == {
        "sink": "local",
        "dataset": "ad_server.conversion",
        "partition": "dt=2026-11-28/hour=08",
        "status": "loaded",
        "manifests": 1,
        "rows": 2,
    }
    assert row["loaded_at"]
    window = json.loads(cli(project, "status", "--json", "--days", "1").stdout)  # today only: 24 hours
    assert len(window) == 24 and all(r["partition"].startswith(f"dt={datetime.now(UTC).date()}") for r in window)
    assert {r["status"] for r in window} == {"missing"}


def test_status_prints_plain_lines_off_a_terminal(project: Project) -> None:
    key = project.lake.write(P8, "b1", conversions((1, 10)))
    cli(project, "load", key)
    done = cli(project, "status")
    assert done.returncode == 0
    [line] = done.stdout.splitlines()
    assert line.split("\t")[:6] == ["local", "ad_server.conversion", "dt=2026-11-28/hour=08", "loaded", "1", "1"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["load", "x.json", "--sink", "nope"], "--sink nope"),
        (["status", "--dataset", "nope.nope"], "--dataset nope.nope"),
        (["load", "x.json", "--config", "missing.toml"], "missing.toml"),
        (["load"], "Missing argument"),
    ],
)
def test_usage_and_configuration_errors_exit_2(project: Project, args: list[str], needle: str) -> None:
    done = cli(project, *args)
    assert done.returncode == 2
    assert needle in done.stderr and "Traceback" not in done.stderr


def test_a_missing_environment_variable_is_named(project: Project) -> None:
    text = project.config_path.read_text().replace("./lake", "${LAKE_ROOT_FOR_TEST}")
    project.config_path.write_text(text)
    done = cli(project, "status")
    assert done.returncode == 2
    assert "LAKE_ROOT_FOR_TEST" in done.stderr and "store.root" in done.stderr
    assert cli(project, "status", env={"LAKE_ROOT_FOR_TEST": "./lake"}).returncode == 0


def test_config_from_loaders_config_variable(project: Project, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [*LOADERS, "status", "--json"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env={**os.environ, "LOADERS_CONFIG": str(project.config_path)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_a_bad_grace_period_or_sink_type_is_a_usage_error_not_a_traceback(project: Project) -> None:
    done = cli(project, "superseded", "--dataset", "no.such")
    assert (
        done.returncode,
        done.stderr.strip().splitlines()[-1].startswith("error: --dataset no.such: not configured"),
    ) == (2, True)
    done = cli(project, "superseded", "--older-than", "6x")
    assert (done.returncode, done.stderr.strip().splitlines()) == (
        2,
        ["error: --older-than '6x': expected a duration such as 3d or 12h"],
    )
    project.config_path.write_text(project.config_path.read_text().replace('type = "duckdb"', 'type = "duckbd"'))
    done = cli(project, "compile")
    assert done.returncode == 2 and "unknown sink type 'duckbd'" in done.stderr and "Traceback" not in done.stderr
