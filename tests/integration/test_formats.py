"""The same rows in every format load to the same table; Avro goes through Parquet copies."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import fastavro
import pytest

from loaders.runner import Runner
from manifests import ConfigError, Manifest
from manifests.convert import convert
from manifests.schemas import SchemaRegistry, fingerprint, hex_form
from tests.conformance_rows import conversions
from tests.integration.project import Project
from tests.lake import Lake

P8 = {"dt": "2026-11-28", "hour": "08"}
PART = "dt=2026-11-28/hour=08"
ROWS = conversions((1, 10), (2, 20), (3, 30), revenue=2.5)
SCHEMA = {"type": "record", "name": "Conversion", "fields": [
    {"name": "conversion_id", "type": "long"},
    {"name": "event_ts", "type": "long"},
    {"name": "revenue", "type": "double"},
]}  # fmt: skip
WRAPPER = {"type": "record", "name": "DataWrapper", "fields": [
    {"name": "dataType", "type": "string"},
    {"name": "schemaFingerprint", "type": "long"},
    {"name": "data", "type": "bytes"},
]}  # fmt: skip


def project_of(tmp_path: Path, fmt: str) -> Project:
    (tmp_path / fmt).mkdir()
    project = Project(tmp_path / fmt)
    text = project.config_path.read_text().replace('format = "parquet"', f'format = "{fmt}"')
    project.config_path.write_text(text)
    return project


def avro_bytes(schema: Any, records: list[dict[str, Any]]) -> bytes:
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema(schema), records)
    return buf.getvalue()


def wrapped_bytes(records: list[dict[str, Any]], schema: Any = SCHEMA, fp: int | None = None) -> bytes:
    envelopes = []
    for row in records:
        datum = io.BytesIO()
        fastavro.schemaless_writer(datum, fastavro.parse_schema(schema), row)
        envelopes.append(
            {"dataType": "conversion", "schemaFingerprint": fp or fingerprint(schema), "data": datum.getvalue()}
        )
    return avro_bytes(WRAPPER, envelopes)


def write_avro_batch(project: Project, body: bytes, batch: str = "b1", record_count: int | None = 3) -> str:
    data = f"data/ad_server/conversion/{PART}/{batch}.avro"
    path = project.lake.root / data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    entry: dict[str, Any] = {"url": data, "mandatory": True, "meta": {"content_length": len(body)}}
    if record_count is not None:
        entry["meta"]["record_count"] = record_count
    return project.lake.write_manifest(f"manifests/ad_server/conversion/{PART}/{batch}.json", {"entries": [entry]})


def load(project: Project, key: str) -> Any:
    runner = Runner(project.config())
    try:
        [outcome] = runner.load([key])
    finally:
        runner.close()
    return outcome


def write_batch(project: Project, fmt: str) -> str:
    if fmt == "avro":
        return write_avro_batch(project, avro_bytes(SCHEMA, ROWS))
    if fmt == "avro-wrapped":
        SchemaRegistry(project.lake.store).publish("conversion", SCHEMA)
        return write_avro_batch(project, wrapped_bytes(ROWS))
    return project.lake.write(P8, "b1", ROWS, fmt=fmt)


def table(project: Project) -> list[tuple[Any, ...]]:
    sql = "SELECT conversion_id, event_ts, revenue, dt, hour FROM raw.conversions ORDER BY 1"
    return project.query(sql)


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl", "avro", "avro-wrapped"])
def test_the_same_rows_in_every_format_load_the_same_table(tmp_path: Path, fmt: str) -> None:
    project = project_of(tmp_path, fmt)
    key = write_batch(project, fmt)
    outcome = load(project, key)
    assert (outcome.action, outcome.rows) == ("loaded", 3), outcome.error
    assert table(project) == [(1, 10, 2.5, "2026-11-28", "08"), (2, 20, 2.5, "2026-11-28", "08"),
                              (3, 30, 2.5, "2026-11-28", "08")]  # fmt: skip
    assert load(project, key).action == "skipped"  # the state holds the producer's manifest, not our copy
    staging = project.lake.root / "_loaders"
    assert not staging.exists() or not any(p.is_file() for p in staging.rglob("*"))  # copies removed


#: every codec of the Avro specification (https://avro.apache.org/docs/1.11.1/specification/,
#: "Required Codecs" and "Optional Codecs"): "null" and "deflate", "snappy" (Spark's default for
#: Avro, spark.sql.avro.compression.codec), "bzip2", "xz" and "zstandard"
CODECS = ["null", "deflate", "snappy", "bzip2", "xz", "zstandard"]


def test_every_codec_fastavro_reads_is_installed_with_loaders() -> None:
    from fastavro.read import BLOCK_READERS

    assert set(CODECS) <= set(BLOCK_READERS)
    for codec in CODECS:
        body = io.BytesIO()
        fastavro.writer(body, fastavro.parse_schema(SCHEMA), ROWS, codec=codec)  # fails if the codec lacks its library
        assert list(fastavro.reader(io.BytesIO(body.getvalue()))) == ROWS, codec


@pytest.mark.parametrize("codec", CODECS)
def test_an_avro_file_of_every_codec_loads_through_the_cli(tmp_path: Path, codec: str) -> None:
    project = project_of(tmp_path, "avro")
    body = io.BytesIO()
    fastavro.writer(body, fastavro.parse_schema(SCHEMA), ROWS, codec=codec)
    assert fastavro.reader(io.BytesIO(body.getvalue())).codec == codec
    key = write_avro_batch(project, body.getvalue())
    done = subprocess.run(
        [sys.executable, "-m", "loaders", "load", key, "--json", "--config", str(project.config_path)],
        cwd=project.root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert table(project) == [(1, 10, 2.5, "2026-11-28", "08"), (2, 20, 2.5, "2026-11-28", "08"),
                              (3, 30, 2.5, "2026-11-28", "08")]  # fmt: skip


def test_an_unknown_fingerprint_is_refused_by_name_and_nothing_is_loaded(tmp_path: Path) -> None:
    project = project_of(tmp_path, "avro-wrapped")
    key = write_avro_batch(project, wrapped_bytes(ROWS))  # the schema was never published
    outcome = load(project, key)
    assert outcome.action == "failed" and outcome.error_class == "SchemaMismatchError"
    assert "unknown schema: conversion fingerprint" in (outcome.error or "") and ".avro" in (outcome.error or "")
    assert table(project) == []


def test_a_record_that_does_not_decode_is_refused_naming_its_index(tmp_path: Path) -> None:
    project = project_of(tmp_path, "avro-wrapped")
    other = {**SCHEMA, "fields": SCHEMA["fields"][:2]}  # written without revenue, labelled as SCHEMA
    SchemaRegistry(project.lake.store).publish("conversion", SCHEMA)
    body = wrapped_bytes(ROWS[:2]) + b""
    good = fastavro.reader(io.BytesIO(body))
    envelopes = list(good)
    datum = io.BytesIO()
    fastavro.schemaless_writer(datum, fastavro.parse_schema(other), {"conversion_id": 9, "event_ts": 90})
    envelopes.append({**envelopes[0], "data": datum.getvalue()})
    key = write_avro_batch(project, avro_bytes(WRAPPER, envelopes))
    outcome = load(project, key)
    assert outcome.action == "failed" and "record 2 does not decode" in (outcome.error or "")
    assert table(project) == []


def test_a_corrupt_avro_file_is_refused_by_name(tmp_path: Path) -> None:
    project = project_of(tmp_path, "avro")
    body = avro_bytes(SCHEMA, ROWS)
    key = write_avro_batch(project, body[:-20] + b"\x00" * 20)
    outcome = load(project, key)
    assert outcome.action == "failed" and "b1.avro" in (outcome.error or ""), outcome.error
    assert table(project) == []


def test_record_count_is_checked_against_the_avro_file(tmp_path: Path) -> None:
    project = project_of(tmp_path, "avro")
    key = write_avro_batch(project, avro_bytes(SCHEMA, ROWS), record_count=4)
    outcome = load(project, key)
    assert outcome.error_class == "RecordCountError" and "record_count is 4" in (outcome.error or "")
    assert json.loads((project.lake.root / key).read_text())["entries"][0]["meta"]["record_count"] == 4


def test_a_newer_schema_adds_its_column_and_older_rows_read_null(tmp_path: Path) -> None:
    project = project_of(tmp_path, "avro-wrapped")
    v2 = {**SCHEMA, "fields": [*SCHEMA["fields"], {"name": "coupon", "type": ["null", "string"], "default": None}]}
    registry = SchemaRegistry(project.lake.store)
    registry.publish("conversion", SCHEMA)
    registry.publish("conversion", v2)
    first = write_avro_batch(project, wrapped_bytes(ROWS[:1]), batch="b1", record_count=1)
    assert load(project, first).action == "loaded"
    newer = [{**ROWS[1], "coupon": "WINTER"}]
    both = wrapped_bytes(ROWS[2:], SCHEMA) + b""  # one file may mix schema versions too
    mixed = fastavro.reader(io.BytesIO(both))
    envelopes = [*mixed, *fastavro.reader(io.BytesIO(wrapped_bytes(newer, v2)))]
    second = write_avro_batch(project, avro_bytes(WRAPPER, envelopes), batch="b2", record_count=2)
    outcome = load(project, second)
    assert (outcome.action, outcome.rows) == ("loaded", 2), outcome.error
    assert project.query("SELECT conversion_id, coupon FROM raw.conversions ORDER BY 1") == [
        (1, None), (2, "WINTER"), (3, None),
    ]  # fmt: skip
    # the load state records both writer schemas, each with the load that first brought it
    assert load(project, second).action == "skipped"
    listed = subprocess.run(
        [sys.executable, "-m", "loaders", "schemas", "list", "--json", "--config", str(project.config_path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    seen = json.loads(listed.stdout)["schemas"]
    assert sorted((s["sink"], s["dataset"], s["fingerprint"], s["partition"]) for s in seen) == sorted([
        ("local", "ad_server.conversion", hex_form(fingerprint(SCHEMA)), PART),
        ("local", "ad_server.conversion", hex_form(fingerprint(v2)), PART),
    ])  # fmt: skip
    assert seen[0]["load_id"] != seen[1]["load_id"]


def test_schemas_publish_writes_the_schema_under_its_fingerprint(tmp_path: Path) -> None:

    project = project_of(tmp_path, "avro-wrapped")
    avsc = tmp_path / "conversion.avsc"
    avsc.write_text(json.dumps(SCHEMA))
    done = subprocess.run(
        [sys.executable, "-m", "loaders", "schemas", "publish", "conversion", str(avsc), "--config",
         str(project.config_path)], capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    url, hexed, value = done.stdout.split()
    assert int(value) == fingerprint(SCHEMA) and url.endswith(f"/schemas/conversion/{hexed}.json")
    key = write_avro_batch(project, wrapped_bytes(ROWS))
    assert load(project, key).action == "loaded"  # the loader finds what was published
    avsc.write_text("{not json")
    bad = subprocess.run(
        [sys.executable, "-m", "loaders", "schemas", "publish", "conversion", str(avsc), "--config",
         str(project.config_path)], capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2 and "not an Avro schema" in bad.stderr


def test_csv_missing_a_key_column_and_json_of_a_wrong_type_are_refused_by_name(tmp_path: Path) -> None:
    csv_project = project_of(tmp_path, "csv")
    no_key = [{"event_ts": 10, "revenue": 1.0}]
    outcome = load(csv_project, csv_project.lake.write(P8, "b1", no_key, fmt="csv"))
    assert outcome.error_class == "SchemaMismatchError" and "conversion_id" in (outcome.error or "")
    assert "b1.json" in (outcome.error or "") and table(csv_project) == []

    json_project = project_of(tmp_path, "jsonl")
    assert load(json_project, json_project.lake.write(P8, "b1", ROWS, fmt="jsonl")).action == "loaded"
    wrong = [{"conversion_id": 9, "event_ts": "yesterday", "revenue": 1.0}]
    outcome = load(json_project, json_project.lake.write(P8, "b2", wrong, fmt="jsonl"))
    assert outcome.error_class == "SchemaMismatchError", outcome.error
    assert "column event_ts: the table has BIGINT but the data has VARCHAR" in (outcome.error or "")
    assert [r[0] for r in table(json_project)] == [1, 2, 3]  # nothing of b2 loaded


def test_copies_already_written_are_removed_when_a_later_file_fails(tmp_path: Path) -> None:
    project = project_of(tmp_path, "avro")
    entries = []
    for name, body, count in (("ok", avro_bytes(SCHEMA, ROWS), 3), ("short", avro_bytes(SCHEMA, ROWS[:1]), 2)):
        data = f"data/ad_server/conversion/{PART}/{name}.avro"
        (project.lake.root / data).parent.mkdir(parents=True, exist_ok=True)
        (project.lake.root / data).write_bytes(body)
        entries.append({"url": data, "mandatory": True, "meta": {"content_length": len(body), "record_count": count}})
    key = project.lake.write_manifest(f"manifests/ad_server/conversion/{PART}/b1.json", {"entries": entries})
    outcome = load(project, key)
    assert outcome.error_class == "RecordCountError" and "short.avro" in (outcome.error or "")
    staging = project.lake.root / "_loaders"
    assert staging.exists() and not any(
        p.is_file() for p in staging.rglob("*")
    )  # the first copy was made, then removed
    assert table(project) == []


#: a CSV whose inference differs between engines (DuckDB keeps 007 as text, pyarrow reads
#: 7) and whose empty fields are quoted or not: with ``zip`` declared, every sink loads
#: the same rows, and an empty field is NULL either way
TRICKY_CSV = 'conversion_id,event_ts,revenue,zip,note\n1,10,2.5,007,\n2,20,2.5,010,""\n3,30,2.5,100,x\n'
TRICKY_ROWS = [(1, "007", None), (2, "010", None), (3, "100", "x")]
DECLARED = 'columns = { zip = "VARCHAR" }\n'


def declare_zip(config: Path) -> None:
    text = config.read_text()
    config.write_text(text.replace('format = "csv"\n', 'format = "csv"\n' + DECLARED, 1))
    assert DECLARED in config.read_text()


def test_declared_csv_columns_and_empty_fields_load_alike(tmp_path: Path) -> None:
    project = project_of(tmp_path, "csv")
    declare_zip(project.config_path)
    key = project.lake.write_text(P8, "b1", TRICKY_CSV)
    outcome = load(project, key)
    assert (outcome.action, outcome.rows) == ("loaded", 3), outcome.error
    assert project.query("SELECT conversion_id, zip, note FROM raw.conversions ORDER BY 1") == TRICKY_ROWS


def test_a_declared_type_that_is_no_type_is_a_config_error_naming_the_column(tmp_path: Path) -> None:
    project = project_of(tmp_path, "csv")
    text = project.config_path.read_text()
    project.config_path.write_text(
        text.replace('format = "csv"\n', 'format = "csv"\ncolumns = { zip = "STRUCT(a INT)" }\n')
    )
    with pytest.raises(ConfigError, match=r'datasets."ad_server.conversion".columns.zip: .*cannot be declared'):
        project.config()
    project.config_path.write_text(text.replace('format = "csv"\n', 'format = "parquet"\n' + DECLARED))
    with pytest.raises(ConfigError, match="declared types apply to csv"):
        project.config()


#: a later CSV batch in which a numeric column happens to be empty in every row
SPARSE_FIRST = "conversion_id,event_ts,revenue,coupon\n1,10,2.5,5\n"
SPARSE_LATER = "conversion_id,event_ts,revenue,coupon\n2,20,2.5,\n3,30,2.5,\n"


def test_a_csv_column_empty_in_every_row_loads_as_null_into_its_typed_column(tmp_path: Path) -> None:
    """DuckDB sniffs such a column as VARCHAR; it holds no value, so it fits the BIGINT
    column (as Arrow's null type does on the sinks that read CSV with pyarrow)."""
    project = project_of(tmp_path, "csv")
    assert load(project, project.lake.write_text(P8, "b1", SPARSE_FIRST)).action == "loaded"
    outcome = load(project, project.lake.write_text(P8, "b2", SPARSE_LATER))
    assert (outcome.action, outcome.rows) == ("loaded", 2), outcome.error
    assert project.query("SELECT conversion_id, coupon FROM raw.conversions ORDER BY 1") == [
        (1, 5), (2, None), (3, None),
    ]  # fmt: skip
    assert project.query("SELECT data_type FROM information_schema.columns WHERE column_name = 'coupon'") == [
        ("BIGINT",)
    ]


def manifest_in(lake: Lake, fmt: str) -> tuple[Manifest, str]:
    """ROWS in ``fmt`` as a sink receives them from the runner, with the format it loads:
    Avro converted to its Parquet copies first (the seed's AVRO → Parquet step), for the
    tests that hand a sink its units directly."""
    if fmt not in ("avro", "avro-wrapped"):
        return lake.manifest(lake.write(P8, "b1", ROWS, fmt=fmt)), fmt
    registry = SchemaRegistry(lake.store)
    registry.publish("conversion", SCHEMA)
    body = avro_bytes(SCHEMA, ROWS) if fmt == "avro" else wrapped_bytes(ROWS)
    data = lake.store.resolve(f"data/ad_server/conversion/{PART}/b1.avro")
    lake.store.write(data, body)
    entry = {"url": data, "mandatory": True, "meta": {"content_length": len(body), "record_count": len(ROWS)}}
    key = lake.write_manifest(f"manifests/ad_server/conversion/{PART}/b1.json", {"entries": [entry]})
    copies: list[str] = []
    manifest = convert(lake.manifest(key), fmt, lake.store, registry, copies, "test-attempt")
    assert copies and all(c.endswith(".parquet") for c in copies)
    return manifest, "parquet"


def test_two_attempts_converting_one_manifest_never_remove_each_others_copies(tmp_path: Path) -> None:
    """One function per sink (and a sweep) may convert the same manifest at once: each
    attempt writes its own copies and removes only those."""
    project = project_of(tmp_path, "avro")
    key = write_avro_batch(project, avro_bytes(SCHEMA, ROWS))
    registry, store = SchemaRegistry(project.lake.store), project.lake.store
    first: list[str] = []
    second: list[str] = []
    convert(project.lake.manifest(key), "avro", store, registry, first, "load-1")
    converted = convert(project.lake.manifest(key), "avro", store, registry, second, "load-2")
    assert first and second and not set(first) & set(second)
    for url in first:  # the first attempt finishes and cleans up
        store.delete(url)
    assert [store.read(e.url)[0][:4] for e in converted.entries] == [b"PAR1"] * len(converted.entries)


def test_compile_renders_an_avro_dataset_as_the_parquet_its_sinks_load(tmp_path: Path) -> None:
    project = project_of(tmp_path, "avro-wrapped")
    args = ["compile", "--config", str(project.config_path), "--out", str(tmp_path / "c")]
    done = subprocess.run([sys.executable, "-m", "loaders", *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    stage = (tmp_path / "c" / "local" / "ad_server.conversion" / "04_stage.sql").read_text()
    assert "read_parquet([" in stage
