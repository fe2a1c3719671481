"""``loaders status`` as an on-call engineer reads it (DuckDB, through the CLI): names never
cut on a narrow terminal, ``--status`` and ``--since`` filters on every output, exit status 3
when a partition shown is failed (``--exit-zero`` to opt out), and under the calendar grid a
legend line per failed cell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conformance_rows import conversions
from tests.integration.project import Project
from tests.integration.test_cli_failures import on_terminal
from tests.integration.test_state_truth import KEY, PART, TODAY, cli, fail_a_load, load

OTHER = f"dt={TODAY}/hour=04"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """One partition failed (its data loaded before), one loaded."""
    project = Project(tmp_path)
    assert load(project, project.lake.write(PART, "b1", conversions((1, 10)))).returncode == 0
    fail_a_load(project)
    assert load(project, project.lake.write({**PART, "hour": "04"}, "b1", conversions((3, 5)))).returncode == 0
    return project


def shown(project: Project, *args: str) -> tuple[int, dict[str, str]]:
    done = cli(project, "status", "--json", *args)
    return done.returncode, {d["partition"]: d["status"] for d in json.loads(done.stdout)}


def test_exit_status_is_3_when_a_partition_shown_is_failed(project: Project) -> None:
    assert shown(project) == (3, {KEY: "failed", OTHER: "loaded"})
    assert shown(project, "--exit-zero") == (0, {KEY: "failed", OTHER: "loaded"})
    assert shown(project, "--status", "loaded") == (0, {OTHER: "loaded"})  # the failure is not shown
    assert cli(project, "status").returncode == 3  # tab-separated lines alike


def test_status_filters_rows_on_every_output(project: Project) -> None:
    assert shown(project, "--status", "failed") == (3, {KEY: "failed"})
    assert shown(project, "--status", "failed", "--status", "loaded")[1] == {KEY: "failed", OTHER: "loaded"}
    lines = cli(project, "status", "--status", "loaded").stdout.splitlines()
    assert [line.split("\t")[2] for line in lines] == [OTHER]
    code, window = shown(project, "--days", "1", "--status", "missing")
    assert code == 0 and len(window) == 22 and set(window.values()) == {"missing"}


def test_since_keeps_what_was_attempted_or_loaded_within_the_span(project: Project) -> None:
    assert shown(project, "--since", "6h") == (3, {KEY: "failed", OTHER: "loaded"})
    code, window = shown(project, "--days", "1", "--since", "1h")  # missing partitions have no time
    assert (code, window) == (3, {KEY: "failed", OTHER: "loaded"})
    bad = cli(project, "status", "--since", "soon")
    assert bad.returncode == 2 and "--since" in bad.stderr


def test_names_are_whole_at_100_columns(project: Project) -> None:
    """Before: ``ad_server.co… │ dt=2026-12-0…`` while the error took the width."""
    code, text = on_terminal(project, "status", columns=100)
    assert code == 3, text
    assert "ad_server.conversion" in text and KEY in text and OTHER in text
    assert "MissingFile…" in text  # the error gives way: one line, cut


def test_the_grid_has_a_legend_line_per_failed_cell(project: Project) -> None:
    code, text = on_terminal(project, "status", "--days", "1")
    assert code == 3, text
    [legend] = [line for line in text.splitlines() if KEY in line]
    assert f"✖ {KEY}  {TODAY}T" in legend and "Z  MissingFileError  " in legend
    assert "b2" in legend or "missing" in legend.lower()
