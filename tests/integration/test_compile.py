"""``loaders compile``: what a load would run, written for review, without connecting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from loaders.runner import Runner
from tests.conformance_rows import conversions
from tests.integration.project import Project

P8 = {"dt": "2026-11-28", "hour": "08"}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def cli(project: Project, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loaders", *args], cwd=project.root, capture_output=True, text=True,
        env={**os.environ, **(env or {})}, timeout=120,
    )  # fmt: skip


def compiled(project: Project, out: str = "target/compiled") -> dict[str, str]:
    root = project.root / out
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.sql"))}


def test_compile_writes_every_statement_in_order_without_touching_the_warehouse(project: Project) -> None:
    done = cli(project, "compile")
    assert done.returncode == 0, done.stderr
    files = compiled(project)
    daily = [name.split("/")[-1] for name in files if name.count("/") == 2]
    assert daily == [
        "01_state_tables.sql", "02_applied.sql", "03_describe.sql", "04_stage.sql", "05_staged_counts.sql",
        "06_duplicate_keys.sql", "07_begin.sql", "08_lock.sql", "09_target_columns.sql", "10_merge.sql",
        "11_record_manifests.sql", "12_record_partition.sql", "13_commit.sql", "14_drop_stage.sql",
    ]  # fmt: skip
    assert "local/ad_server.conversion/first_load/15_create_target.sql" in files
    assert "local/ad_server.conversion/status/02_window_state.sql" in files
    # a load whose data brings a column and declares its schema: only what it adds
    assert [n for n in files if "/schema_change/" in n and n.startswith("local/ad_server.conversion/")] == [
        "local/ad_server.conversion/schema_change/01_add_column.sql",
        "local/ad_server.conversion/schema_change/02_record_schemas.sql",
    ]
    added = files["local/ad_server.conversion/schema_change/01_add_column.sql"]
    assert 'ALTER TABLE "raw"."conversions" ADD COLUMN IF NOT EXISTS "new_column"' in added
    merge = files["local/ad_server.conversion/10_merge.sql"]
    assert merge.startswith("-- loaders compile: sink local (duckdb), dataset ad_server.conversion")
    assert "template shipped sql/default/merge.sql" in merge and 'MERGE INTO "raw"."conversions"' in merge
    assert not (project.root / "warehouse.duckdb").exists()  # nothing connected, nothing created


def test_compile_is_byte_for_byte_deterministic(project: Project) -> None:
    project.lake.write(P8, "b1", conversions((1, 10)))
    first = cli(project, "compile", "--partition", "dt=2026-11-28/hour=08", "--out", "a")
    second = cli(project, "compile", "--partition", "dt=2026-11-28/hour=08", "--out", "b")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert compiled(project, "a") == compiled(project, "b") != {}
    text = "".join(compiled(project, "a").values())
    assert "<load_id>" in text and "<now>" in text and "_loaders_stage_loadid" in text


def test_compile_uses_the_partitions_real_manifests_and_columns(project: Project) -> None:
    key = project.lake.write(P8, "b1", conversions((1, 10)))
    done = cli(project, "compile", "--partition", "dt=2026-11-28/hour=08")
    assert done.returncode == 0, done.stderr
    files = compiled(project)
    stage = files["local/ad_server.conversion/04_stage.sql"]
    assert "data/ad_server/conversion/dt=2026-11-28/hour=08/b1-0.parquet" in stage
    record = files["local/ad_server.conversion/11_record_manifests.sql"]
    assert key in record
    merge = files["local/ad_server.conversion/10_merge.sql"]
    columns = conversions((1, 10))[0].keys()
    assert all(f'"{c}"' in merge for c in columns)


def test_a_partition_without_manifests_falls_back_to_a_sample(project: Project) -> None:
    done = cli(project, "compile", "--partition", "dt=2026-11-28/hour=09")
    assert done.returncode == 0, done.stderr
    assert "no manifest in the store; compiled from a sample manifest" in done.stderr
    assert "sample/ad_server.conversion/dt=2026-11-28/hour=09/part-0.parquet" in "".join(compiled(project).values())


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_project_templates_override_shipped_ones_in_lookup_order_and_run_as_compiled(tmp_path: Path) -> None:
    project = Project(tmp_path, strategy="append")
    shipped = (Path(__file__).resolve().parents[2] / "sql/default/insert.sql").read_text()
    # project sql/default/ beats every shipped template, project sql/duckdb/ beats project sql/default/
    write(project.root / "sql/default/insert.sql", "/* project default */\n" + shipped)
    write(project.root / "sql/default/commit.sql", "COMMIT /* project default */")
    skip_two = shipped.rstrip() + '\nWHERE "conversion_id" <> 2\n'
    write(project.root / "sql/duckdb/insert.sql", "/* project duckdb */\n" + skip_two)
    assert cli(project, "compile").returncode == 0
    files = compiled(project)
    insert = files["local/ad_server.conversion/09_insert.sql"]
    assert "template project sql/duckdb/insert.sql" in insert and "/* project duckdb */" in insert
    assert "template project sql/default/commit.sql" in files["local/ad_server.conversion/12_commit.sql"]
    assert "template shipped sql/duckdb/stage.sql" in files["local/ad_server.conversion/04_stage.sql"]

    key = project.lake.write(P8, "b1", conversions((1, 10), (2, 10), (3, 10)))  # what runs is what compiled
    runner = Runner(project.config())
    try:
        [outcome] = runner.load([key])
    finally:
        runner.close()
    assert outcome.action == "loaded", outcome.error
    assert project.query("SELECT conversion_id FROM raw.conversions ORDER BY 1") == [(1,), (3,)]


def test_check_passes_good_sql_and_names_the_file_of_a_statement_that_does_not_parse(project: Project) -> None:
    assert cli(project, "compile", "--check").returncode == 0
    write(project.root / "sql/duckdb/merge.sql", "MERGE INTO {{ target|ident }} USING (SELECT 1 AS")
    done = cli(project, "compile", "--check")
    assert done.returncode == 1
    assert "local/ad_server.conversion/10_merge.sql: does not parse as duckdb" in done.stderr
    assert cli(project, "compile").returncode == 0  # without --check it only writes


def test_a_broken_template_is_a_clear_error_naming_it(project: Project) -> None:
    write(project.root / "sql/default/lock.sql", "UPDATE x SET y = {{ target|ident }")
    done = cli(project, "compile")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "sql/default/lock.sql:1: template syntax error" in done.stderr


def test_secrets_never_reach_compiled_sql(project: Project) -> None:
    secret = "hunter2-compiled"
    with project.config_path.open("a") as fh:
        fh.write(
            '\n[sinks.wh]\ntype = "athena"\nurl = "awsathena://u:${SECRET}@athena/db"\nlocation = "s3://lake/wh/"\n'
        )
    text = project.config_path.read_text().replace('sinks = ["local"]', "")
    project.config_path.write_text(text)
    drop = "DROP VIEW IF EXISTS {{ stage|ident }} /* password='" + secret + "' */"
    write(project.root / "sql/duckdb/drop_stage.sql", drop)
    done = cli(project, "compile", env={"SECRET": secret})
    assert done.returncode == 0, done.stderr
    assert "sink wh (athena): runs no SQL templates; nothing compiled" in done.stderr  # Hive: API calls only
    files = compiled(project)
    assert files and not any(secret in text for text in files.values())
    assert "/* password='***' */" in files["local/ad_server.conversion/14_drop_stage.sql"]
    assert not any(name.startswith("wh/") for name in files)  # a sink without SQL is not faked


def test_usage_errors_exit_2(project: Project) -> None:
    for args in (["--sink", "nope"], ["--dataset", "x.y"], ["--partition", "dt=2026-11-28"], ["--partition", "junk"]):
        done = cli(project, "compile", *args)
        assert done.returncode == 2 and "Traceback" not in done.stderr, (args, done.stderr)


def test_compile_finds_a_partition_of_a_dataset_partitioned_by_its_files(tmp_path: Path) -> None:
    """Before: the partition's one LIST matched no manifest key to it (the key names no
    partition), so the note said "no manifest in the store" and a sample was compiled,
    though an UNLOAD manifest with files in that partition was there."""
    from tests.integration.test_unload import lineitem, partitioned_unload

    project = lineitem(Project(tmp_path, strategy="append"))
    key = partitioned_unload(project, "run1", {"1992-01-02": (1, 2), "1992-01-03": (3,)})
    done = cli(project, "compile", "--dataset", "redshift.lineitem", "--partition", "l_shipdate=1992-01-03")
    assert done.returncode == 0, done.stderr
    assert "no manifest in the store" not in done.stderr
    files = compiled(project)
    stage = files["local/redshift.lineitem/04_stage.sql"]
    assert "unload/lineitem/run1/l_shipdate=1992-01-03/0000_part_00.parquet" in stage
    assert "l_shipdate=1992-01-02" not in stage  # only this partition's part of the manifest
    assert key in files["local/redshift.lineitem/10_record_manifests.sql"]
