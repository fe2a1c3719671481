"""Templates: lookup order, StrictUndefined, and the quoting filters against hostile input."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

import sinks.sql.templates as templates_module
from manifests import ConfigError
from sinks.sql.templates import SHIPPED, Templates, split_table

DIALECTS = ["duckdb", "postgres", "snowflake", "redshift"]

HOSTILE_IDENTIFIERS = [
    'a"; drop table x; --',
    "Robert'); DROP TABLE students;--",
    "schema.table",
    "ünïcödé.cölumn",
    "名前",
    "back\\slash",
    "tail\\",
    '\\"',
    '""',
    "new\nline",
    "a b",
    "x`y",
    "$1",
    "/* c */",
    "-- c",
    "{{ x }}",
    "SELECT",
]

HOSTILE_LITERALS = [
    "it's",
    "'; DROP TABLE x; --",
    "Robert'); DROP TABLE students;--",
    "back\\slash",
    "tail\\",
    "\\'",
    "\\\\'",
    "''",
    'double " quote',
    "new\nline",
    "$$dollar$$",
    "ünïcödé",
    "",
    "%s",
    "{{ x }}",
]


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def one_statement(sql: str, dialect: str, kind: type[exp.Expression]) -> exp.Expression:
    statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    assert len(statements) == 1, sql
    assert isinstance(statements[0], kind), sql
    return statements[0]


def identifiers(tree: exp.Expression) -> list[str]:
    return [i.this for i in tree.find_all(exp.Identifier)]


def string_literals(tree: exp.Expression) -> list[str]:
    return [lit.this for lit in tree.find_all(exp.Literal) if lit.is_string]


# -- lookup order ----------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    sql = tmp_path / "sql"
    write(sql / "duckdb" / "x.sql", "SELECT 'project duckdb'")
    write(sql / "default" / "x.sql", "SELECT 'project default'")
    write(sql / "default" / "y.sql", "SELECT 'project default y'")
    write(sql / "default" / "stage.sql", "SELECT 'project default stage'")  # shipped only in sql/duckdb
    write(sql / "default" / "insert.sql", "SELECT 'project default insert'")  # shipped in sql/default
    return sql


def test_project_dialect_beats_project_default(project: Path) -> None:
    t = Templates("duckdb", project)
    assert t.render("x") == "SELECT 'project duckdb'"
    assert t.source("x") == str(project / "duckdb" / "x.sql")


def test_project_default_serves_other_dialects(project: Path) -> None:
    assert Templates("postgres", project).render("x") == "SELECT 'project default'"
    assert Templates("duckdb", project).render("y") == "SELECT 'project default y'"


def test_project_default_beats_shipped_dialect(project: Path) -> None:
    assert (SHIPPED / "duckdb" / "stage.sql").is_file()
    t = Templates("duckdb", project)
    assert t.render("stage") == "SELECT 'project default stage'"
    assert t.source("stage") == str(project / "default" / "stage.sql")


def test_project_default_beats_shipped_default(project: Path) -> None:
    t = Templates("snowflake", project)
    assert t.render("insert") == "SELECT 'project default insert'"


def test_without_project_the_shipped_templates_serve() -> None:
    t = Templates("duckdb")
    assert Path(t.source("stage")) == SHIPPED / "duckdb" / "stage.sql"
    assert Path(t.source("insert")) == SHIPPED / "default" / "insert.sql"
    other = Templates("duckdb", None)
    assert other.search == t.search
    assert t.search == [str(SHIPPED / "duckdb"), str(SHIPPED / "default")]


def test_project_dir_missing_folders_fall_through(tmp_path: Path) -> None:
    t = Templates("duckdb", tmp_path / "no-sql-here")
    assert Path(t.source("insert")) == SHIPPED / "default" / "insert.sql"


def test_shipped_dialect_beats_shipped_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No shipped step exists in both sql/duckdb and sql/default today, so point SHIPPED
    # at a copy with such a step: the dialect folder must win.
    shipped = tmp_path / "shipped"
    write(shipped / "duckdb" / "z.sql", "SELECT 'shipped duckdb'")
    write(shipped / "default" / "z.sql", "SELECT 'shipped default'")
    monkeypatch.setattr(templates_module, "SHIPPED", shipped)
    assert Templates("duckdb").render("z") == "SELECT 'shipped duckdb'"
    assert Templates("postgres").render("z") == "SELECT 'shipped default'"


def test_full_order_project_dialect_project_default_shipped_dialect_shipped_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = tmp_path / "shipped"
    project = tmp_path / "sql"
    layers = [project / "duckdb", project / "default", shipped / "duckdb", shipped / "default"]
    for layer in layers:
        write(layer / "step.sql", f"SELECT '{layer.parent.name}/{layer.name}'")
    monkeypatch.setattr(templates_module, "SHIPPED", shipped)
    for layer in layers:
        assert Templates("duckdb", project).render("step") == f"SELECT '{layer.parent.name}/{layer.name}'"
        (layer / "step.sql").unlink()
    with pytest.raises(LookupError):
        Templates("duckdb", project).render("step")


def test_unknown_step_is_a_lookup_error_naming_the_search_path() -> None:
    with pytest.raises(LookupError, match=r"no_such_step\.sql") as info:
        Templates("postgres").render("no_such_step")
    assert str(SHIPPED / "postgres") in str(info.value)
    with pytest.raises(LookupError):
        Templates("postgres").render("stage")  # shipped for duckdb only


# -- rendering -------------------------------------------------------------------------


def test_strict_undefined_missing_variable_raises() -> None:
    with pytest.raises(ConfigError, match=r"insert\.sql: .stage. is undefined"):
        Templates("duckdb").render("insert", target=("raw", "t"), columns=["a"], dedupe=False)


def test_strict_undefined_in_a_project_template(project: Path) -> None:
    write(project / "default" / "w.sql", "SELECT {{ missing }} FROM {{ other|ident }}")
    with pytest.raises(ConfigError, match=r"default/w\.sql: .missing. is undefined"):
        Templates("duckdb", project).render("w", other="t")
    with pytest.raises(ConfigError, match="other"):
        Templates("duckdb", project).render("w", missing="1")


def test_strict_undefined_through_lit_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="dataset"):
        Templates("duckdb").render(
            "applied", partitions_table=("s", "p"), manifests_table=("s", "m"), partition_keys=["k"]
        )


def test_dialect_is_in_the_context(project: Path) -> None:
    write(project / "default" / "d.sql", "SELECT {{ dialect|lit }}")
    assert Templates("redshift", project).render("d") == "SELECT 'redshift'"


def test_render_strips_surrounding_whitespace(project: Path) -> None:
    write(project / "default" / "s.sql", "\n\n  SELECT 1  \n\n")
    assert Templates("duckdb", project).render("s") == "SELECT 1"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", HOSTILE_IDENTIFIERS)
def test_insert_with_hostile_identifiers(dialect: str, name: str) -> None:
    sql = Templates(dialect).render("insert", target=("raw", name), columns=[name, "plain"], stage=name, dedupe=False)
    tree = one_statement(sql, dialect, exp.Insert)
    names = identifiers(tree)
    # target table, column list, select list, stage table
    assert names.count(name) == 4
    assert "raw" in names and names.count("plain") == 2


@pytest.mark.parametrize("dedupe", [True, False])
@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "name", ['a"; drop table x; --', "Robert'); DROP TABLE students;--", "ünïcödé.cölumn", "tail\\"]
)
def test_merge_with_hostile_identifiers(dialect: str, name: str, dedupe: bool) -> None:
    sql = Templates(dialect).render(
        "merge",
        target=(name, name),
        columns=[name, "event_ts"],
        keys=[name],
        order_by="event_ts",
        stage=name,
        dedupe=dedupe,
    )
    tree = one_statement(sql, dialect, exp.Merge)
    names = set(identifiers(tree))
    assert name in names
    assert {"event_ts", "t", "s"} <= names
    target = tree.this
    assert isinstance(target, exp.Table)
    assert (target.db, target.name) == (name, name)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("value", HOSTILE_LITERALS)
def test_hostile_literals_round_trip(dialect: str, value: str) -> None:
    sql = Templates(dialect).render(
        "applied",
        partitions_table=("loaders", "partitions"),
        manifests_table=("loaders", "manifests"),
        dataset=value,
        partition_keys=[value, "dt=x"],
    )
    tree = one_statement(sql, dialect, exp.Union)  # the failed partitions, then the applied manifests
    assert string_literals(tree).count(value) == 4


@pytest.mark.parametrize("dialect", DIALECTS)
def test_partition_values_in_delete(dialect: str) -> None:
    hostile = "x' OR '1'='1"
    sql = Templates(dialect).render(
        "delete_partition",
        target=("raw", "t"),
        partitions=[[("dt", hostile), ('h"our', "08")], [("dt", "2026-11-29"), ('h"our', "09")]],
    )
    tree = one_statement(sql, dialect, exp.Delete)
    assert string_literals(tree) == [hostile, "08", "2026-11-29", "09"]
    assert isinstance(tree.args["where"].this, exp.Or)
    assert {"dt", 'h"our'} <= set(identifiers(tree))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_ident_qualified_name(dialect: str) -> None:
    t = Templates(dialect)
    tree = sqlglot.parse_one(f"SELECT 1 FROM {t.ident(('db', 'sch.ema', 'ta ble'))}", read=dialect)
    table = tree.find(exp.Table)
    assert table is not None
    assert (table.catalog, table.db, table.name) == ("db", "sch.ema", "ta ble")


def test_ident_keeps_a_dotted_string_as_one_identifier() -> None:
    assert Templates("postgres").ident("raw.conversions") == '"raw.conversions"'
    assert Templates("postgres").ident(["raw", "conversions"]) == '"raw"."conversions"'


def test_idents_and_qualify() -> None:
    t = Templates("postgres")
    assert t.idents(["a", 'b"c']) == '"a", "b""c"'
    assert t.idents(["a", "b"], "s") == '"s"."a", "s"."b"'
    assert t.qualify(["a", "b"], "t") == ['"t"."a"', '"t"."b"']


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("bad", ["a\x00b", "", ("raw", "t\x00"), ("raw", ""), (), ["raw", 5]])
def test_invalid_identifier_raises_value_error(dialect: str, bad: object) -> None:
    with pytest.raises(ValueError, match="invalid identifier"):
        Templates(dialect).ident(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_nul_in_literal_raises_value_error(dialect: str) -> None:
    with pytest.raises(ValueError, match="NUL"):
        Templates(dialect).lit("a\x00b")


def test_nul_in_a_rendered_identifier_raises() -> None:
    with pytest.raises(ValueError):
        Templates("duckdb").render("insert", target=("raw", "t"), columns=["a\x00"], stage="s", dedupe=False)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_literals_of_other_types(dialect: str) -> None:
    t = Templates(dialect)
    assert t.lit(None) == "NULL"
    assert t.lit(True) == "TRUE"
    assert t.lit(False) == "FALSE"
    assert t.lit(42) == "42"
    assert t.lit(-7) == "-7"
    assert t.lit(Decimal("1.50")) == "1.50"
    assert t.lit(date(2026, 11, 29)) == "'2026-11-29'"
    assert t.lit(datetime(2026, 11, 29, 8, 0, 1)) == "'2026-11-29 08:00:01'"
    assert t.lits([1, "a", None]) == "1, 'a', NULL"
    tree = sqlglot.parse_one(f"SELECT {t.lit(3.25)}", read=dialect)
    assert [lit.this for lit in tree.find_all(exp.Literal)] == ["3.25"]


@pytest.mark.parametrize("value", [b"bytes", object(), [1], {"a": 1}])
def test_unquotable_literal_raises_type_error(value: object) -> None:
    with pytest.raises(TypeError):
        Templates("duckdb").lit(value)


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("conversions", ("conversions",)),
        ("raw.conversions", ("raw", "conversions")),
        ("db.raw.conversions", ("db", "raw", "conversions")),
    ],
)
def test_split_table(name: str, parts: tuple[str, ...]) -> None:
    assert split_table(name) == parts


@pytest.mark.parametrize("name", ["", ".", "raw.", ".t", "a..b", "a.b.c.d"])
def test_split_table_refuses(name: str) -> None:
    with pytest.raises(ValueError, match="table"):
        split_table(name)


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "redshift", "snowflake"])
def test_every_state_write_of_the_clock_goes_through_the_timestamp_filter(dialect: str) -> None:
    """One filter writes the load's clock, so a dialect that reads time otherwise (the
    example SQLite sink) overrides it once instead of copying every state template."""

    class AsText(Templates):
        def timestamp(self, value: object) -> str:
            return self.lit(value)

    now = datetime(2026, 11, 28, 8, 0, 0)
    context = {
        "dataset": "a.b", "key": "dt=2026-11-28", "keys": ["dt=2026-11-28"], "partition_keys": ["dt=2026-11-28"],
        "load_id": "L", "now": now, "error": "E", "rows": 1, "manifests": 1, "partitions_table": ("s", "partitions"),
        "manifests_table": ("s", "manifests"), "schemas_table": ("s", "schemas"), "state_schema": "s",
        "records": [], "fingerprints": [],
    }  # fmt: skip
    cast = Templates(dialect).render("clear_failure", **context)
    assert "CAST('2026-11-28 08:00:00' AS TIMESTAMP)" in cast
    text = AsText(dialect).render("clear_failure", **context)
    assert "'2026-11-28 08:00:00'" in text and "AS TIMESTAMP" not in text


def test_no_shipped_template_casts_the_clock_by_hand() -> None:
    by_hand = [str(p) for p in SHIPPED.rglob("*.sql") if "now|lit" in p.read_text()]
    assert by_hand == []  # {{ now|timestamp }}: one filter a dialect can override
