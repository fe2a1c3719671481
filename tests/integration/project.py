"""A loaders project on disk for runner and CLI tests: a lake, a loaders.toml, DuckDB (or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from loaders.config import Config, load_config
from tests.lake import Lake

if TYPE_CHECKING:  # importing it for real skips the importer when no PostgreSQL server is reachable
    from tests.integration.test_postgres_sink import Server

CONFIG = """
[store]
root = "./lake"

[sinks.local]
type = "duckdb"
url = "duckdb:///warehouse.duckdb"

[datasets."ad_server.conversion"]
table = "raw.conversions"
format = "parquet"
manifests = "manifests/ad_server/conversion/dt={{dt}}/hour={{hour}}/{{batch}}.json"
partition = ["dt", "hour"]
strategy = "{strategy}"
{merge}
allow_empty = {allow_empty}
"""
DUCKDB_SINK = '[sinks.local]\ntype = "duckdb"\nurl = "duckdb:///warehouse.duckdb"\n'


class Project:
    def __init__(self, root: Path, strategy: str = "merge", allow_empty: bool = True) -> None:
        self.root = root
        self.lake = Lake(root / "lake")
        merge = 'keys = ["conversion_id"]\norder_by = "event_ts"' if strategy == "merge" else ""
        self.config_path = root / "loaders.toml"
        self.config_path.write_text(CONFIG.format(strategy=strategy, merge=merge, allow_empty=str(allow_empty).lower()))

    def config(self) -> Config:
        return load_config(str(self.config_path))

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        path = self.root / "warehouse.duckdb"
        if not path.exists():
            return []
        with duckdb.connect(str(path)) as conn:
            try:
                return conn.execute(sql).fetchall()
            except duckdb.CatalogException:
                return []


class PostgresProject(Project):
    """The same project with its sink ``local`` (the table and its load state) on the PostgreSQL test server."""

    def __init__(self, root: Path, server: Server, strategy: str = "merge", allow_empty: bool = True) -> None:
        super().__init__(root, strategy=strategy, allow_empty=allow_empty)
        self.server = server
        config = self.config_path.read_text()
        assert DUCKDB_SINK in config
        self.config_path.write_text(
            config.replace(DUCKDB_SINK, f'[sinks.local]\ntype = "postgres"\nurl = "{server.url}"\n')
        )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows from the server; none while the table does not exist, as from DuckDB."""
        import psycopg

        try:
            return self.server.query(sql)
        except psycopg.errors.UndefinedTable:
            return []
