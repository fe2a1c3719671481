"""Every format loads the same table on PostgreSQL too (Avro through its Parquet copies)."""

from __future__ import annotations

from pathlib import Path

import pytest

from manifests.schemas import SchemaRegistry
from tests.integration.project import PostgresProject
from tests.integration.test_formats import (
    ROWS,
    SPARSE_FIRST,
    SPARSE_LATER,
    TRICKY_CSV,
    TRICKY_ROWS,
    avro_bytes,
    declare_zip,
    load,
    wrapped_bytes,
    write_avro_batch,
)
from tests.integration.test_formats import SCHEMA as AVRO_SCHEMA
from tests.integration.test_postgres_sink import Server, fixture_pg, fixture_pg_server

__all__ = ["fixture_pg", "fixture_pg_server"]


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl", "avro", "avro-wrapped"])
def test_every_format_loads_the_same_postgres_table(tmp_path: Path, pg: Server, fmt: str) -> None:
    project = PostgresProject(tmp_path, pg)
    text = project.config_path.read_text().replace('format = "parquet"', f'format = "{fmt}"')
    project.config_path.write_text(text)
    if fmt == "avro":
        key = write_avro_batch(project, avro_bytes(AVRO_SCHEMA, ROWS))
    elif fmt == "avro-wrapped":
        SchemaRegistry(project.lake.store).publish("conversion", AVRO_SCHEMA)
        key = write_avro_batch(project, wrapped_bytes(ROWS))
    else:
        key = project.lake.write({"dt": "2026-11-28", "hour": "08"}, "b1", ROWS, fmt=fmt)
    outcome = load(project, key)
    assert (outcome.action, outcome.rows) == ("loaded", 3), outcome.error
    got = pg.query("SELECT conversion_id, event_ts, revenue, dt, hour FROM raw.conversions ORDER BY 1")
    assert got == [(i, 10 * i, 2.5, "2026-11-28", "08") for i in (1, 2, 3)]


@pytest.mark.parametrize("declared", [True, False])
def test_csv_inferred_or_declared_loads_as_on_duckdb(tmp_path: Path, pg: Server, declared: bool) -> None:
    """Read by pyarrow here, by DuckDB there: the same rows, with types inferred (DuckDB's
    sniffer decides for both: pyarrow alone reads 007 as 7) or declared; an empty field,
    quoted or not, is NULL either way."""
    project = PostgresProject(tmp_path, pg)
    text = project.config_path.read_text().replace('format = "parquet"', 'format = "csv"')
    project.config_path.write_text(text)
    if declared:
        declare_zip(project.config_path)
    outcome = load(project, project.lake.write_text({"dt": "2026-11-28", "hour": "08"}, "b1", TRICKY_CSV))
    assert (outcome.action, outcome.rows) == ("loaded", 3), outcome.error
    got = pg.query("SELECT conversion_id, zip::text, note FROM raw.conversions ORDER BY 1")
    assert got == TRICKY_ROWS


def test_a_csv_column_empty_in_every_row_loads_as_null_as_on_duckdb(tmp_path: Path, pg: Server) -> None:
    project = PostgresProject(tmp_path, pg)
    project.config_path.write_text(project.config_path.read_text().replace('format = "parquet"', 'format = "csv"'))
    part = {"dt": "2026-11-28", "hour": "08"}
    assert load(project, project.lake.write_text(part, "b1", SPARSE_FIRST)).action == "loaded"
    outcome = load(project, project.lake.write_text(part, "b2", SPARSE_LATER))
    assert (outcome.action, outcome.rows) == ("loaded", 2), outcome.error
    assert pg.query("SELECT conversion_id, coupon FROM raw.conversions ORDER BY 1") == [(1, 5), (2, None), (3, None)]
    assert pg.query(
        "SELECT data_type FROM information_schema.columns"
        " WHERE table_schema = 'raw' AND table_name = 'conversions' AND column_name = 'coupon'"
    ) == [("bigint",)]
