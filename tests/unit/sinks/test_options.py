"""Each sink type's declared options: unknown keys, wrong types and missing drivers are
ConfigErrors naming the sink and the key; valid options read as typed values."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from manifests import ConfigError
from manifests.store import LocalStore
from sinks import REGISTRY, open_sink
from sinks.options import OPTIONS, AthenaOptions, PostgresOptions, RedshiftOptions, SinkOptions

PG_URL = "postgresql+psycopg://loader@127.0.0.1:1/nowhere"
ROLE = "arn:aws:iam::123456789012:role/copy"
#: the least each type needs, by type
MINIMAL: dict[str, dict[str, Any]] = {
    "duckdb": {"type": "duckdb", "url": "duckdb:///w.duckdb"},
    "postgres": {"type": "postgres", "url": PG_URL},
    "redshift": {"type": "redshift", "url": "redshift://u@h:5439/dev", "iam_role": ROLE},
    "snowflake": {
        "type": "snowflake",
        "url": "snowflake://u:p@acct/DB/SCHEMA",
        "stage": "@lake_stage",
        "stage_url": "s3://lake/",
    },
    "athena": {
        "type": "athena",
        "url": "awsathena+rest://@athena.eu-west-1.amazonaws.com:443/raw",
        "location": "s3://l/",
    },
}


def test_every_registered_type_declares_its_options() -> None:
    assert set(OPTIONS) == set(REGISTRY) == set(MINIMAL)
    for kind, entry in REGISTRY.items():
        assert entry.options is OPTIONS[kind] and entry.options.kind == kind
        for name, rule in entry.options.rules().items():
            assert rule.doc, f"{kind}.{name} has no description"


@pytest.mark.parametrize("kind", sorted(MINIMAL))
def test_the_least_each_type_needs_reads_with_the_defaults(kind: str) -> None:
    read = OPTIONS[kind].read("s", MINIMAL[kind])
    assert read.type == kind
    for name, default in OPTIONS[kind].defaults().items():
        if name not in MINIMAL[kind]:
            assert getattr(read, name) == default


def test_typed_values_and_defaults() -> None:
    pg = PostgresOptions.read("pg", {"url": PG_URL})
    assert (pg.batch_rows, pg.state_schema) == (65536, "_loaders")
    assert PostgresOptions.read("pg", {"url": PG_URL, "batch_rows": 10}).batch_rows == 10
    # "${BATCH_ROWS}" in loaders.toml gives a string: its digits are its number
    assert PostgresOptions.read("pg", {"url": PG_URL, "batch_rows": " 500 "}).batch_rows == 500
    athena = AthenaOptions.read("a", {"location": "s3://l/", "table_format": "ICEBERG", "database": ""})
    assert (athena.table_format, athena.database, athena.lease_seconds) == ("iceberg", None, 900)
    rs = RedshiftOptions.read("rs", {"url": "redshift://u@h/dev", "iam_role": ROLE, "manifest_prefix": ""})
    assert (rs.manifest_prefix, rs.query_group) == (None, "loaders")  # "" is not set: the sink's default


@pytest.mark.parametrize("kind", sorted(MINIMAL))
def test_an_unknown_key_is_named_with_the_keys_expected(kind: str) -> None:
    with pytest.raises(ConfigError) as info:
        OPTIONS[kind].read("s", {**MINIMAL[kind], "state_shema": "x"})
    message = str(info.value)
    assert message.startswith("sinks.s.state_shema: unknown key (expected one of ")
    assert all(name in message for name in OPTIONS[kind].rules())


BAD = [
    ("postgres", "batch_rows", "lots", "must be a whole number, got 'lots'"),
    ("postgres", "batch_rows", True, "must be a whole number, got True"),
    ("postgres", "batch_rows", 1.5, "must be a whole number, got 1.5"),
    ("postgres", "batch_rows", 0, "must be at least 1, got 0"),
    ("postgres", "batch_rows", -3, "must be at least 1, got -3"),
    ("postgres", "batch_rows", 10**12, "must be at most 100000000"),
    ("postgres", "batch_rows", "9" * 40, "must be a whole number"),
    ("postgres", "state_schema", 5, "must be a string, got 5"),
    ("postgres", "state_schema", "", "must not be empty"),
    ("postgres", "url", ["x"], "must be a string"),
    ("duckdb", "url", "", "required"),
    ("athena", "lease_seconds", 0, "must be at least 1, got 0"),
    ("athena", "lease_seconds", 10**20, "must be at most"),  # a timedelta of it would overflow
    ("athena", "table_format", "delta", "must be one of hive, iceberg, got 'delta'"),
    ("athena", "location", "/tmp/x", "expected the s3:// prefix"),
    ("athena", "region", {"name": "eu"}, "must be a string"),
    ("redshift", "iam_role", "loader", "expected the ARN"),
    ("redshift", "query_group", 7, "must be a string, got 7"),
    ("snowflake", "stage", "lake_stage", "expected a named external stage, like @lake_stage"),
    ("snowflake", "stage_url", "http://x/", "expected the cloud location"),
]


@pytest.mark.parametrize(("kind", "key", "value", "problem"), BAD)
def test_a_wrong_value_names_the_key_and_the_problem(kind: str, key: str, value: Any, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        OPTIONS[kind].read("s", {**MINIMAL[kind], key: value})
    assert str(info.value).startswith(f"sinks.s.{key}: ")
    assert problem in str(info.value)


@pytest.mark.parametrize(("kind", "key"), [("redshift", "iam_role"), ("snowflake", "stage"), ("athena", "location")])
def test_a_required_option_left_out_is_named(kind: str, key: str) -> None:
    options = {k: v for k, v in MINIMAL[kind].items() if k != key}
    with pytest.raises(ConfigError, match=rf"^sinks\.s\.{key}: required \("):
        OPTIONS[kind].read("s", options)


def test_a_long_value_is_shown_cut() -> None:
    with pytest.raises(ConfigError) as info:
        PostgresOptions.read("pg", {"url": PG_URL, "batch_rows": "x" * 5000})
    assert len(str(info.value)) < 120


def test_the_configuration_file_is_named_when_given() -> None:
    with pytest.raises(ConfigError, match=r"^loaders\.toml: sinks\.pg\.batch_row: unknown key"):
        PostgresOptions.read("pg", {"url": PG_URL, "batch_row": 5}, "loaders.toml")


# -- opening a sink -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({**MINIMAL["postgres"], "batch_row": 5}, r"^sinks\.s\.batch_row: unknown key"),
        ({**MINIMAL["postgres"], "batch_rows": "lots"}, r"^sinks\.s\.batch_rows: must be a whole number, got 'lots'"),
        ({**MINIMAL["duckdb"], "state_schema": 1}, r"^sinks\.s\.state_schema: must be a string"),
        ({**MINIMAL["athena"], "lease_seconds": "soon"}, r"^sinks\.s\.lease_seconds: must be a whole number"),
        ({"type": "bigquery", "url": "x"}, r"^sinks\.s\.type: unknown sink type 'bigquery'"),
        ({"url": "x"}, r"^sinks\.s\.type: required string"),
    ],
)
def test_open_sink_checks_the_options(options: dict[str, Any], message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=message):
        open_sink("s", options, LocalStore(str(tmp_path)))


def test_a_sink_reads_its_typed_options(tmp_path: Path) -> None:
    sink: Any = open_sink("s", {**MINIMAL["postgres"], "batch_rows": "1000"}, LocalStore(str(tmp_path)))
    assert sink.batch_rows == 1000 and sink.sink_options == PostgresOptions.read(
        "s", MINIMAL["postgres"] | {"batch_rows": 1000}
    )


# -- a missing driver -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "module", "hint"),
    [
        ("postgres", "psycopg", "the postgres sink needs psycopg: pip install 'loaders[postgres]'"),
        (
            "snowflake",
            "snowflake.connector",
            "the snowflake sink needs snowflake.connector: pip install 'loaders[snowflake]'",
        ),
        (
            "redshift",
            "redshift_connector",
            "the redshift sink needs redshift_connector: pip install 'loaders[redshift]'",
        ),
    ],
)
def test_a_missing_driver_names_the_extra_that_installs_it(
    kind: str, module: str, hint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """None in sys.modules makes ``import psycopg`` raise ImportError, as when it is not
    installed. The sink opens (``loaders compile`` needs no driver); its first statement
    says what to install."""
    monkeypatch.setitem(sys.modules, module, None)
    sink = open_sink("s", MINIMAL[kind], LocalStore(str(tmp_path)))
    with pytest.raises(ConfigError) as info:
        sink.states()
    assert str(info.value) == f"sinks.s: {hint}"


def test_a_missing_pyathena_names_the_athena_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyathena", None)
    sink: Any = open_sink("s", {**MINIMAL["athena"], "table_format": "iceberg"}, LocalStore(str(tmp_path)))
    with pytest.raises(
        ConfigError, match=r"^sinks\.s: the athena sink needs pyathena: pip install 'loaders\[athena\]'"
    ):
        sink.execute("create_schema", target_schema_path=("raw",))


def test_the_declarations_import_no_driver() -> None:
    """The configuration is checked where no driver is installed (a Lambda package with
    one sink's extras, a machine that only compiles)."""
    code = (
        "import sys, loaders.config, sinks, sinks.options\n"
        "heavy = {'psycopg', 'snowflake', 'boto3', 'botocore', 'duckdb', 'pyarrow', 'redshift_connector', 'pyathena'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_subclasses_of_sink_options_are_frozen() -> None:
    read = PostgresOptions.read("pg", {"url": PG_URL})
    with pytest.raises(AttributeError):
        read.batch_rows = 1  # type: ignore[misc]
    assert isinstance(read, SinkOptions)


def test_the_readme_lists_every_option_of_every_type() -> None:
    """The README's table of sink options is what users read: it names each declared
    option under its type (or under "every" for those all types take)."""
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme.split("#### Sink options", 1)[1].split("\n#", 1)[0]
    rows = {
        tuple(cell.strip().strip("`") for cell in line.split("|")[1:3])
        for line in section.splitlines()
        if line.startswith("|")
    }
    common = set.intersection(*(set(c.rules()) for c in OPTIONS.values()))
    for kind, declared in OPTIONS.items():
        for name in declared.rules():
            assert (kind, name) in rows or (name in common and ("every", name) in rows), f"{kind}.{name}"
    documented = {name for kind, name in rows if kind in OPTIONS}
    assert documented <= {n for c in OPTIONS.values() for n in c.rules()}
