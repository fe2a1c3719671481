"""loaders.toml: interpolation and validation; every error names the file and the key."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from loaders.config import MAX_DAYS, Config, load_config, parse_config, parse_duration
from manifests import ConfigError, KeyLayout, Partition
from manifests.urls import file_url
from sinks.base import Strategy

SOURCE = "/etc/loaders/loaders.toml"
ENV = {"SNOWFLAKE_USER": "loader", "SNOWFLAKE_PASSWORD": "s3cr3t"}
DS = "ad_server.conversion"

# The documented loaders.toml example (store, a DuckDB and a Snowflake sink, one merge
# dataset), verbatim: it must keep parsing as users copy it.
EXAMPLE_TOML = """
[store]
root = "s3://lake"                       # or a local folder: root = "./lake"
# endpoint_url = "http://127.0.0.1:5000"  # S3-compatible endpoint; AWS_ENDPOINT_URL also honoured
allowed_prefixes = ["s3://lake/"]        # any manifest or data URL outside these is refused

[sinks.local]
type = "duckdb"
url = "duckdb:///warehouse.duckdb"

[sinks.snowflake]
type = "snowflake"
url = "snowflake://${SNOWFLAKE_USER}:${SNOWFLAKE_PASSWORD}@acct/ANALYTICS/RAW?warehouse=LOAD_WH"
stage = "@lake_stage"                    # external stage over store.root

[datasets."ad_server.conversion"]
table = "raw.conversions"
format = "parquet"                       # parquet | csv | jsonl | avro | avro-wrapped
manifests = "manifests/ad_server/conversion/dt={dt}/hour={hour}/{batch}.json"
partition = ["dt", "hour"]
strategy = "merge"                       # append | merge | replace
keys = ["conversion_id"]
order_by = "event_ts"
lookback = "3d"
sinks = ["local", "snowflake"]
"""


def example() -> dict[str, Any]:
    return {
        "store": {"root": "s3://lake", "allowed_prefixes": ["s3://lake/"]},
        "sinks": {
            "local": {"type": "duckdb", "url": "duckdb:///warehouse.duckdb"},
            "snowflake": {
                "type": "snowflake",
                "url": "snowflake://${SNOWFLAKE_USER}:${SNOWFLAKE_PASSWORD}@acct/ANALYTICS/RAW?warehouse=LOAD_WH",
                "stage": "@lake_stage",
            },
        },
        "datasets": {
            DS: {
                "table": "raw.conversions",
                "format": "parquet",
                "manifests": "manifests/ad_server/conversion/dt={dt}/hour={hour}/{batch}.json",
                "partition": ["dt", "hour"],
                "strategy": "merge",
                "keys": ["conversion_id"],
                "order_by": "event_ts",
                "lookback": "3d",
                "sinks": ["local", "snowflake"],
            }
        },
    }


def parse(doc: dict[str, Any], env: dict[str, str] | None = None) -> Config:
    return parse_config(doc, SOURCE, "/etc/loaders", ENV if env is None else env)


def check_example(config: Config) -> None:
    assert config.store.root == "s3://lake"
    assert config.store.allowed_prefixes == ("s3://lake/",)
    assert config.store.endpoint_url is None
    assert set(config.sinks) == {"local", "snowflake"}
    assert config.sinks["snowflake"]["url"] == "snowflake://loader:s3cr3t@acct/ANALYTICS/RAW?warehouse=LOAD_WH"
    assert config.sinks["snowflake"]["stage"] == "@lake_stage"
    ds = config.datasets[DS]
    assert ds.name == DS
    assert ds.table == "raw.conversions"
    assert ds.format == "parquet"
    assert ds.partition == ("dt", "hour")
    assert ds.strategy is Strategy.MERGE
    assert ds.keys == ("conversion_id",)
    assert ds.order_by == "event_ts"
    assert ds.lookback == timedelta(days=3)
    assert ds.sinks == ("local", "snowflake")
    assert ds.allow_empty is True
    assert ds.layout == KeyLayout(ds.manifests, ("dt", "hour"))
    key = "manifests/ad_server/conversion/dt=2026-11-29/hour=08/b.json"
    assert ds.layout.match(key) == Partition.parse("dt=2026-11-29/hour=08")
    target = ds.target
    assert (target.dataset, target.table, target.keys, target.order_by) == (
        DS,
        "raw.conversions",
        ("conversion_id",),
        "event_ts",
    )


def test_interface_example_parses() -> None:
    config = parse(example())
    check_example(config)
    assert config.source == SOURCE
    assert config.aws == {}


def test_interface_example_from_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "loaders.toml"
    path.write_text(EXAMPLE_TOML)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    config = load_config(str(path))
    check_example(config)
    assert config.source == str(path)
    assert config.base_dir == str(tmp_path)


def test_load_config_from_loaders_config_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text(EXAMPLE_TOML)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LOADERS_CONFIG", str(path))
    assert load_config().source == str(path)


def test_defaults() -> None:
    config = parse(
        {
            "store": {"root": "s3://lake/prefix"},
            "sinks": {"local": {"type": "duckdb", "url": "duckdb:///w.duckdb"}},
            "datasets": {"crm.contact": {"table": "contacts", "manifests": "/m/crm/contact/dt={dt}/{b}.json"}},
        }
    )
    assert config.store.allowed_prefixes == ("s3://lake/prefix/",)
    ds = config.datasets["crm.contact"]
    assert ds.format == "parquet"
    assert ds.partition == ("dt",)
    assert ds.strategy is Strategy.APPEND
    assert ds.keys == ()
    assert ds.order_by is None
    assert ds.lookback == timedelta(days=1)
    assert ds.sinks == ("local",)
    assert ds.manifests == "m/crm/contact/dt={dt}/{b}.json"  # leading slash dropped


def test_local_root_allowed_prefix_defaults_to_the_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "loaders.toml"
    path.write_text('[store]\nroot = "./lake"\n[sinks.local]\ntype = "duckdb"\nurl = "duckdb:///w.duckdb"\n')
    monkeypatch.chdir("/")
    config = load_config(str(path))
    assert config.store.root == "./lake"
    assert config.store.allowed_prefixes == (file_url(str(tmp_path / "lake")) + "/",)


def test_interpolation_everywhere_and_only_once() -> None:
    doc = example()
    doc["store"] = {"root": "s3://${BUCKET}", "allowed_prefixes": ["s3://${BUCKET}/${AREA}/"]}
    doc["datasets"][DS]["keys"] = ["${KEY}"]
    env = {**ENV, "BUCKET": "lake", "AREA": "data", "KEY": "${NOT_EXPANDED}"}
    config = parse(doc, env)
    assert config.store.root == "s3://lake"
    assert config.store.allowed_prefixes == ("s3://lake/data/",)
    assert config.datasets[DS].keys == ("${NOT_EXPANDED}",)


@pytest.mark.parametrize(
    ("mutate", "variable", "key"),
    [
        (lambda d: d["sinks"]["snowflake"].update(url="x://${NOPE}"), "NOPE", "sinks.snowflake.url"),
        (lambda d: d["store"].update(root="s3://${MISSING_BUCKET}"), "MISSING_BUCKET", "store.root"),
        (lambda d: d["datasets"][DS].update(keys=["a", "${K2}"]), "K2", f"datasets.{DS}.keys[1]"),
    ],
)
def test_missing_variable_names_variable_key_and_file(
    mutate: Callable[[dict[str, Any]], None], variable: str, key: str
) -> None:
    doc = example()
    mutate(doc)
    with pytest.raises(ConfigError) as info:
        parse(doc)
    message = str(info.value)
    assert variable in message
    assert key in message
    assert SOURCE in message


def test_missing_variable_from_the_example_environment() -> None:
    with pytest.raises(ConfigError, match="SNOWFLAKE_PASSWORD") as info:
        parse(example(), {"SNOWFLAKE_USER": "loader"})
    assert "sinks.snowflake.url" in str(info.value)


def ds_set(**values: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        doc["datasets"][DS].update(values)

    return mutate


def ds_drop(*keys: str) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        for k in keys:
            del doc["datasets"][DS][k]

    return mutate


def rename_dataset(name: str) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        doc["datasets"] = {name: doc["datasets"].pop(DS)}

    return mutate


def sink_set(**values: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        doc["sinks"]["local"].update(values)

    return mutate


def pg_sink(**values: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        doc["sinks"]["local"] = {"type": "postgres", "url": "postgresql+psycopg://loader@db/wh", **values}

    return mutate


KEY = f'datasets."{DS}"'

INVALID = [
    pytest.param(ds_set(stratgy="merge"), f"{KEY}.stratgy", "unknown key", id="typo-stratgy"),
    pytest.param(ds_set(Table="x"), f"{KEY}.Table", "unknown key", id="unknown-dataset-key"),
    pytest.param(lambda d: d.update(sink={}), "sink", "unknown key", id="unknown-top-level"),
    pytest.param(lambda d: d["store"].update(bucket="x"), "store.bucket", "unknown key", id="unknown-store-key"),
    pytest.param(ds_drop("keys"), f"{KEY}.strategy", "keys", id="merge-without-keys"),
    pytest.param(ds_set(keys=[]), f"{KEY}.strategy", "keys", id="merge-with-empty-keys"),
    pytest.param(ds_drop("order_by"), f"{KEY}.strategy", "order_by", id="merge-without-order-by"),
    pytest.param(ds_set(format="orc"), f"{KEY}.format", "orc", id="bad-format"),
    pytest.param(ds_set(format="Parquet"), f"{KEY}.format", "Parquet", id="format-wrong-case"),
    pytest.param(ds_set(strategy="upsert"), f"{KEY}.strategy", "upsert", id="bad-strategy"),
    pytest.param(ds_set(strategy=["merge"]), f"{KEY}.strategy", "merge", id="strategy-list"),
    pytest.param(ds_set(sinks=["local", "bigquery"]), f"{KEY}.sinks", "bigquery", id="unknown-sink"),
    pytest.param(ds_set(sinks="bigquery"), f"{KEY}.sinks", "bigquery", id="unknown-sink-as-string"),
    pytest.param(ds_set(sinks=[1]), f"{KEY}.sinks", "list of names", id="sinks-not-names"),
    pytest.param(ds_set(lookback="3 days"), f"{KEY}.lookback", "3 days", id="lookback-words"),
    pytest.param(ds_set(lookback="-1d"), f"{KEY}.lookback", "-1d", id="lookback-negative"),
    pytest.param(ds_set(lookback="3w"), f"{KEY}.lookback", "3w", id="lookback-weeks"),
    pytest.param(ds_set(lookback=3), f"{KEY}.lookback", "'3'", id="lookback-no-unit"),
    pytest.param(ds_set(lookback="36601d"), f"{KEY}.lookback", "at most 36600 days", id="lookback-beyond-a-century"),
    pytest.param(rename_dataset("conversion"), 'datasets."conversion"', "data_source", id="dataset-no-dot"),
    pytest.param(rename_dataset("a.b.c"), 'datasets."a.b.c"', "data_source", id="dataset-two-dots"),
    pytest.param(rename_dataset("ad server.conv"), 'datasets."ad server.conv"', "data_source", id="dataset-space"),
    pytest.param(rename_dataset(".conv"), 'datasets.".conv"', "data_source", id="dataset-empty-source"),
    pytest.param(ds_drop("table"), f"{KEY}.table", "required", id="table-missing"),
    pytest.param(ds_set(table="a.b.c.d"), f"{KEY}.table", "[schema.]table", id="table-four-parts"),
    pytest.param(ds_set(table="raw."), f"{KEY}.table", "[schema.]table", id="table-empty-part"),
    pytest.param(ds_drop("manifests"), f"{KEY}.manifests", "required", id="manifests-missing"),
    pytest.param(ds_set(manifests="m/{batch}.json"), f"{KEY}.manifests", "dt", id="pattern-lacks-partition"),
    pytest.param(ds_set(partition=[]), f"{KEY}.partition", "at least one", id="partition-empty"),
    pytest.param(ds_set(partition=["dt", ""]), f"{KEY}.partition", "list of names", id="partition-empty-name"),
    pytest.param(ds_set(order_by=5), f"{KEY}.order_by", "column", id="order-by-number"),
    pytest.param(ds_set(allow_empty="yes"), f"{KEY}.allow_empty", "true or false", id="allow-empty-string"),
    pytest.param(lambda d: d["datasets"].update({DS: "x"}), KEY, "table", id="dataset-not-a-table"),
    pytest.param(lambda d: d.update(sinks={}), "[sinks]", "at least one sink", id="no-sinks"),
    pytest.param(lambda d: d.pop("sinks"), "[sinks]", "at least one sink", id="sinks-missing"),
    pytest.param(lambda d: d["sinks"]["local"].pop("type"), "sinks.local.type", "required", id="sink-without-type"),
    pytest.param(lambda d: d["sinks"]["local"].update(url=""), "sinks.local.url", "required", id="sink-empty-url"),
    pytest.param(lambda d: d["sinks"].update(local="duckdb"), "sinks.local", "table", id="sink-not-a-table"),
    pytest.param(sink_set(state_shema="x"), "sinks.local.state_shema", "unknown key", id="sink-key-typo"),
    pytest.param(sink_set(batch_rows=5), "sinks.local.batch_rows", "unknown key", id="sink-key-of-another-type"),
    pytest.param(sink_set(type="bigquery"), "sinks.local.type", "unknown sink type 'bigquery'", id="sink-type-unknown"),
    pytest.param(sink_set(type=5), "sinks.local.type", "required string", id="sink-type-number"),
    pytest.param(sink_set(state_schema=1), "sinks.local.state_schema", "must be a string", id="sink-schema-number"),
    pytest.param(
        pg_sink(batch_rows="lots"), "sinks.local.batch_rows", "must be a whole number, got 'lots'", id="rows-word"
    ),
    pytest.param(pg_sink(batch_rows=True), "sinks.local.batch_rows", "whole number, got True", id="rows-bool"),
    pytest.param(pg_sink(batch_rows=0), "sinks.local.batch_rows", "at least 1", id="rows-zero"),
    pytest.param(pg_sink(batch_row=10), "sinks.local.batch_row", "expected one of batch_rows,", id="rows-typo"),
    pytest.param(
        lambda d: d["sinks"]["snowflake"].update(stage="lake_stage"),
        "sinks.snowflake.stage",
        "a named external stage",
        id="snowflake-stage-without-at",
    ),
    pytest.param(
        lambda d: d["sinks"]["snowflake"].pop("stage"), "sinks.snowflake.stage", "required", id="snowflake-no-stage"
    ),
    pytest.param(
        lambda d: d["sinks"].update(local={"type": "athena", "location": "s3://l/", "table_format": "delta"}),
        "sinks.local.table_format",
        "must be one of hive, iceberg, got 'delta'",
        id="athena-table-format",
    ),
    pytest.param(
        lambda d: d["sinks"].update(local={"type": "athena", "location": "s3://l/", "lease_seconds": -1}),
        "sinks.local.lease_seconds",
        "at least 1",
        id="athena-lease-negative",
    ),
    pytest.param(lambda d: d["store"].pop("root"), "store.root", "required", id="store-root-missing"),
    pytest.param(lambda d: d.pop("store"), "store.root", "required", id="store-missing"),
    pytest.param(lambda d: d["store"].update(root=""), "store.root", "required", id="store-root-empty"),
    pytest.param(lambda d: d.update(store="s3://lake"), "store", "table", id="store-not-a-table"),
    pytest.param(lambda d: d["store"].update(endpoint_url=5000), "store.endpoint_url", "string", id="endpoint-int"),
    pytest.param(
        lambda d: d["store"].update(allowed_prefixes="s3://lake/"),
        "store.allowed_prefixes",
        "list",
        id="allowed-prefixes-string",
    ),
    pytest.param(
        lambda d: d["store"].update(allowed_prefixes=[]), "store.allowed_prefixes", "list", id="allowed-prefixes-empty"
    ),
    pytest.param(
        lambda d: d["store"].update(allowed_prefixes=["s3://lake/data/../x"]),
        "store.allowed_prefixes",
        "..",
        id="allowed-prefix-dot-dot",
    ),
    pytest.param(
        lambda d: d["store"].update(allowed_prefixes=["https://lake/"]), "store", "https://lake/", id="allowed-http"
    ),
    pytest.param(lambda d: d.update(aws=[]), "aws", "table", id="aws-not-a-table"),
]


@pytest.mark.parametrize(("mutate", "key", "fragment"), INVALID)
def test_invalid_config_names_file_and_key(mutate: Callable[[dict[str, Any]], None], key: str, fragment: str) -> None:
    doc = copy.deepcopy(example())
    mutate(doc)
    with pytest.raises(ConfigError) as info:
        parse(doc)
    message = str(info.value)
    assert message.startswith(f"{SOURCE}: ")
    assert key in message
    assert fragment in message
    assert info.value.transient is False


def test_an_unknown_sink_key_is_named_with_the_keys_of_its_type() -> None:
    doc = example()
    doc["sinks"]["local"]["state_shema"] = "x"
    with pytest.raises(ConfigError) as info:
        parse(doc)
    assert (
        str(info.value) == f"{SOURCE}: sinks.local.state_shema: unknown key (expected one of state_schema, type, url)"
    )


def test_every_declared_sink_option_is_accepted() -> None:
    doc = example()
    doc["sinks"]["local"]["state_schema"] = "loader_state"
    doc["sinks"]["snowflake"].update(stage_url="s3://lake/", state_schema="_L")
    doc["sinks"]["pg"] = {"type": "postgres", "url": "postgresql://h/db", "batch_rows": "${ROWS}"}
    doc["sinks"]["rs"] = {
        "type": "redshift",
        "url": "redshift://u@h:5439/dev",
        "iam_role": "arn:aws:iam::1:role/r",
        "manifest_prefix": "s3://lake/copy/",
        "query_group": "etl",
    }
    doc["sinks"]["ath"] = {
        "type": "athena",
        "url": "awsathena+rest://@athena.eu-west-1.amazonaws.com:443/raw",
        "location": "s3://lake/wh/",
        "table_format": "Iceberg",
        "database": "raw",
        "region": "eu-west-1",
        "endpoint_url": "http://127.0.0.1:5000",
        "state_prefix": "s3://lake/state/",
        "lease_seconds": 60,
        "batch_rows": 1000,
        "s3_staging_dir": "s3://lake/results/",
        "work_group": "primary",
        "state_schema": "_loaders",
    }
    config = parse(doc, {**ENV, "ROWS": "5000"})
    assert config.sinks["pg"]["batch_rows"] == "5000"  # the table as written; sinks read it typed
    assert set(config.sinks) == {"local", "snowflake", "pg", "rs", "ath"}


def test_a_folder_named_as_the_configuration_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the configuration file") as info:
        load_config(str(tmp_path))
    assert str(info.value).startswith(f"{tmp_path}: ")


def test_merge_accepts_keys_as_a_single_string() -> None:
    doc = example()
    doc["datasets"][DS]["keys"] = "conversion_id"
    assert parse(doc).datasets[DS].keys == ("conversion_id",)


@pytest.mark.parametrize(
    ("text", "delta"), [("3d", timedelta(days=3)), ("12h", timedelta(hours=12)), (" 1d ", timedelta(days=1))]
)
def test_lookback_durations(text: str, delta: timedelta) -> None:
    doc = example()
    doc["datasets"][DS]["lookback"] = text
    assert parse(doc).datasets[DS].lookback == delta


def test_missing_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    assert str(path) in str(info.value)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "loaders.toml"
    path.write_text('[store]\nroot = "s3://lake\n')
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        load_config(str(path))
    assert str(path) in str(info.value)


def test_invalid_utf8_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "loaders.toml"
    path.write_bytes(b'[store]\nroot = "s3://l\xffake"\n')
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    assert str(path) in str(info.value)


def test_errors_from_a_file_name_the_file_and_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "loaders.toml"
    path.write_text(EXAMPLE_TOML.replace('strategy = "merge"', 'stratgy = "merge"'))
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    assert str(path) in str(info.value)
    assert f'datasets."{DS}".stratgy' in str(info.value)


def test_missing_variable_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "loaders.toml"
    path.write_text(EXAMPLE_TOML)
    monkeypatch.setenv("SNOWFLAKE_USER", "u")
    monkeypatch.delenv("SNOWFLAKE_PASSWORD", raising=False)
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    message = str(info.value)
    assert str(path) in message
    assert "SNOWFLAKE_PASSWORD" in message
    assert "sinks.snowflake.url" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [("36600d", timedelta(days=36600)), ("878400h", timedelta(days=36600)), ("12h", timedelta(hours=12))],
)
def test_a_duration_may_reach_a_century(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["36601d", "878401h", "99999999999999999d", "9" * 5000 + "h"])
def test_a_longer_duration_is_refused_not_an_overflow(text: str) -> None:
    """timedelta(days=10**17) raised OverflowError: a traceback for --older-than."""
    with pytest.raises(ValueError, match=f"at most {MAX_DAYS} days") as info:
        parse_duration(text)
    assert len(str(info.value)) < 80  # a 5000-digit input is shown cut


# -- partition_from: one manifest over many partitions (UNLOAD ... PARTITION BY) --------------

UNLOAD_PATTERN = "unload/lineitem/{batch}/manifest"


def test_partition_from_defaults_to_the_manifest_key() -> None:
    assert parse(example()).datasets[DS].partition_from == "manifest"


def test_partition_from_files_needs_no_partition_field_in_the_pattern() -> None:
    doc = example()
    doc["datasets"][DS].update(manifests=UNLOAD_PATTERN, partition=["l_shipdate"], partition_from="files")
    ds = parse(doc).datasets[DS]
    assert ds.partition_from == "files" and ds.partition == ("l_shipdate",)
    # the pattern finds the dataset's manifests; it names no partition
    assert ds.layout.match("unload/lineitem/run1/manifest") == Partition(())
    assert ds.layout.match("unload/lineitem/run1/l_shipdate=1992-01-02/0000_part_00.parquet") is None


@pytest.mark.parametrize(
    ("values", "key", "fragment"),
    [
        ({"partition_from": "paths"}, "partition_from", 'must be "manifest" or "files"'),
        ({"partition_from": "files", "strategy": "replace"}, "partition_from", "append and merge"),
        ({"partition_from": "files"}, "manifests", "may not name the partition field dt"),
    ],
    ids=["unknown-value", "replace", "pattern-names-a-field"],
)
def test_a_bad_partition_from_names_file_and_key(values: dict[str, Any], key: str, fragment: str) -> None:
    doc = example()
    doc["datasets"][DS].update(values)
    with pytest.raises(ConfigError) as caught:
        parse(doc)
    assert f'{SOURCE}: datasets."{DS}".{key}:' in str(caught.value)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    "data",
    [
        "data/lineitem/{l_shipdate}/*.parquet",
        "data/lineitem/*.parquet",
        "data/lineitem/l_shipdate={l_shipdate}/*.parquet",
    ],
)
def test_the_builder_is_refused_for_a_dataset_partitioned_by_its_files(data: str) -> None:
    """Before: accepted, and the builder kept one batch state for no partition, which the
    sweep could not read back; its manifests name no partition, so none could be placed."""
    doc = example()
    doc["datasets"][DS].update(manifests=UNLOAD_PATTERN, partition=["l_shipdate"], partition_from="files", data=data)
    with pytest.raises(ConfigError) as caught:
        parse(doc)
    assert f'{SOURCE}: datasets."{DS}".data:' in str(caught.value)
    assert "partition_from" in str(caught.value)
