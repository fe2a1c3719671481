"""The planner against PostgreSQL's load state: the same checks as on DuckDB's.

A sweep over a window where nothing changed lists once per partition, reads the state
once, and runs no data statement; missing, stale, failed and loaded partitions are told
apart from the state PostgreSQL keeps.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders.planner import Reprocess
from manifests import ObjectInfo
from manifests.store import LocalStore
from tests.conformance_rows import conversions
from tests.integration.project import Project
from tests.integration.test_planner import DAY2, WINDOW, Counted, part, states, sweep
from tests.integration.test_postgres_sink import (  # noqa: F401 - the fixtures pg and pg_server
    Server,
    fixture_pg,
    fixture_pg_server,
)

DUCKDB_SINK = '[sinks.local]\ntype = "duckdb"\nurl = "duckdb:///warehouse.duckdb"\n'


class PostgresProject(Project):
    """The planner tests' project with its sink ``local`` on the PostgreSQL test server."""

    def __init__(self, root: Path, server: Server, strategy: str = "merge") -> None:
        super().__init__(root, strategy=strategy)
        config = self.config_path.read_text()
        assert DUCKDB_SINK in config
        self.config_path.write_text(
            config.replace(DUCKDB_SINK, f'[sinks.local]\ntype = "postgres"\nurl = "{server.url}"\n')
        )


@pytest.fixture
def project(tmp_path: Path, pg: Server) -> PostgresProject:
    return PostgresProject(tmp_path, pg)


def test_an_unchanged_window_lists_once_per_partition_and_runs_no_data_statement(
    project: PostgresProject, pg: Server, monkeypatch: pytest.MonkeyPatch
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
        listed.append(prefix)
        return original(store, prefix, versions=versions)

    monkeypatch.setattr(LocalStore, "list", list_counted)
    outcomes, _ = sweep(project)
    assert outcomes == []
    assert len(listed) == len(set(listed)) == 48
    assert counted.steps.count("window_state") == 1
    assert counted.data_statements() == []
    assert pg.query("SELECT conversion_id FROM raw.conversions ORDER BY 1") == [(1,), (2,), (3,)]


def test_missing_stale_failed_and_loaded_statuses(project: PostgresProject) -> None:
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


def test_a_manifest_rewritten_in_place_is_stale_until_loaded(project: PostgresProject, pg: Server) -> None:
    project.lake.write(part(DAY2, 1), "b1", conversions((1, 10)))
    sweep(project)
    project.lake.write(part(DAY2, 1), "b1", conversions((1, 20), (5, 20)), version="-v2")
    assert states(project)[f"dt={DAY2}/hour=01"] == "stale"
    outcomes, _ = sweep(project)
    assert [(o.action, o.rows) for o in outcomes] == [("loaded", 2)]
    assert states(project)[f"dt={DAY2}/hour=01"] == "loaded"
    assert pg.query("SELECT conversion_id, event_ts FROM raw.conversions ORDER BY 1") == [(1, 20), (5, 20)]


def test_reprocess_all_reloads_but_never_duplicates(tmp_path: Path, pg: Server) -> None:
    for strategy in ("append", "merge", "replace"):
        pg.reset()
        (tmp_path / strategy).mkdir()
        project = PostgresProject(tmp_path / strategy, pg, strategy=strategy)
        project.lake.write(part(DAY2, 1), "b1", conversions((1, 10), (2, 10)))
        sweep(project)
        outcomes, _ = sweep(project, WINDOW, Reprocess.ALL)
        assert [o.action for o in outcomes] == ["skipped" if strategy == "append" else "loaded"], strategy
        assert pg.query("SELECT conversion_id FROM raw.conversions ORDER BY 1") == [(1,), (2,)], strategy
