"""``status --freshness`` on DuckDB: the newest loaded partition, the lag and its level."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conformance_rows import conversions
from tests.integration.project import Project
from tests.integration.test_cli import P8, cli


def _declare(project: Project, warn_after: str, error_after: str) -> None:
    text = project.config_path.read_text()
    head = text.split("\nfreshness = ", 1)[0].rstrip("\n")
    project.config_path.write_text(
        f'{head}\nfreshness = {{ warn_after = "{warn_after}", error_after = "{error_after}" }}\n'
    )


def test_status_freshness_shows_the_newest_partition_and_its_level(tmp_path: Path) -> None:
    project = Project(tmp_path)
    assert cli(project, "load", project.lake.write(P8, "b1", conversions((1, 10)))).returncode == 0
    assert (
        cli(
            project, "load", project.lake.write({"dt": "2026-11-28", "hour": "09"}, "b1", conversions((2, 10)))
        ).returncode
        == 0
    )
    _declare(project, "0h", "1000d")  # any lag is at or past 0h: a warning, whatever the clock
    done = cli(project, "status", "--freshness", "--json")
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)
    assert row["dataset"] == "ad_server.conversion" and row["sink"] == "local"
    assert row["newest_partition"] == "dt=2026-11-28/hour=09" and row["level"] == "warn"
    assert row["loaded_at"] and row["lag_seconds"] >= 0
    _declare(project, "1000d", "2000d")
    [row] = json.loads(cli(project, "status", "--freshness", "--json").stdout)
    assert row["level"] == "ok"
    text = cli(project, "status", "--freshness").stdout  # tab-separated off a terminal
    assert text.split("\t")[:4] == ["local", "ad_server.conversion", "dt=2026-11-28/hour=09", "ok"]


def test_a_dataset_never_loaded_is_an_error(tmp_path: Path) -> None:
    project = Project(tmp_path)
    _declare(project, "1h", "2h")
    [row] = json.loads(cli(project, "status", "--freshness", "--json").stdout)
    assert row["level"] == "error" and row["newest_partition"] is None and row["lag_seconds"] is None
