"""sqlfluff on the shipped templates themselves, configured by ``sql/.sqlfluff``.

What ``sqlfluff lint sql`` runs must pass, and every template must render and parse in
every dialect that uses it (``sql/<dialect>/<step>.sql``, else ``sql/default/<step>.sql``),
with no templating error and no unparsable section, for every value of each variable the
templates branch on (format, dedupe, ...): sqlfluff itself renders one context per file,
and its variants of a file's if-blocks never reach inside an included partial.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import jinja2
import jinja2.meta
import pytest
from jinja2 import nodes
from sqlfluff.core import FluffConfig, Linter
from sqlfluff.core.templaters import JinjaTemplater

from sinks.sql.templates import SHIPPED, Templates

ROOT = SHIPPED.parent
LIBRARY = ROOT / "tools" / "sqlfluff_library" / "__init__.py"
CONTEXT = ("templater", "jinja", "context")
SAMPLE = None
#: Values the templates branch on, as Python literals like those in sql/.sqlfluff
#: (SAMPLE: the value there). Each is rendered in every template that branches on it.
SWITCHES: dict[str, list[str | None]] = {
    "format": [SAMPLE, "'parquet'", "'jsonl'"],  # the sample is csv
    "dedupe": [SAMPLE, "False"],
    "partition_names": [SAMPLE, "[]"],
    "carried_columns": [SAMPLE, "[]"],
    "fill_columns": [SAMPLE, "[]"],
    "forget_urls": [SAMPLE, "None"],
    "dataset": [SAMPLE, "None"],
    "target": [SAMPLE, "('analytics', 'raw', 'conversions')"],
    "target_schema_path": [SAMPLE, "()"],
    "like_target": [SAMPLE, "False"],
    "known": [SAMPLE, "None"],
    "column_types": [SAMPLE, "[]"],
    "dialect": [SAMPLE],  # each dialect renders the default templates in its own test pass
    "serialize_json": [SAMPLE, "True"],
    "untyped": [SAMPLE, "[]"],
    "json_columns": [SAMPLE, "[]"],
    "partition_keys": [SAMPLE, "[]"],
}


@cache
def library() -> ModuleType:
    """The library sql/.sqlfluff loads (its filters are the sinks' own)."""
    spec = importlib.util.spec_from_file_location("_loaders_sqlfluff_library", LIBRARY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def templates(dialect: str) -> Templates:
    """What the dialect's sink renders with (Snowflake's folds identifiers, adds ``fold``)."""
    found: Templates = library().templates(dialect)
    return found


def dialects() -> list[str]:
    """Folders with templates (git keeps no empty folder)."""
    return sorted(p.name for p in SHIPPED.iterdir() if p.name != "default" and any(p.glob("*.sql")))


def steps(dialect: str) -> dict[str, Path]:
    """Every statement ``dialect`` runs, as the lookup finds it (its folder, its parents'
    (``sinks.sql.templates.PARENTS``), default); partials (``_*``) are checked inside the
    templates that include them."""
    found: dict[str, Path] = {}
    for folder in reversed(Templates(dialect).chain):
        found.update({p.stem: p for p in sorted((SHIPPED / folder).glob("*.sql"))})
    return {step: path for step, path in found.items() if not step.startswith("_")}


@dataclass
class Uses:
    """What a template and everything it includes use."""

    variables: set[str] = field(default_factory=set)
    branches_on: set[str] = field(default_factory=set)  # variables in an if or an `x if c else y`
    includes: set[str] = field(default_factory=set)


def names(node: nodes.Node) -> list[nodes.Name]:
    return [node, *node.find_all(nodes.Name)] if isinstance(node, nodes.Name) else list(node.find_all(nodes.Name))


def uses(found: Templates, source: str) -> Uses:
    tree = found.env.parse(source)
    out = Uses(
        set(jinja2.meta.find_undeclared_variables(tree)),
        {n.name for node in tree.find_all((nodes.If, nodes.CondExpr)) for n in names(node.test)},
        {str(n) for n in jinja2.meta.find_referenced_templates(tree)},
    )
    for child in list(out.includes):
        child_source, _filename, _up = found.env.loader.get_source(found.env, child)  # type: ignore[union-attr]
        more = uses(found, child_source)
        out.variables |= more.variables
        out.branches_on |= more.branches_on
        out.includes |= more.includes
    return out


@cache
def config(dialect: str) -> FluffConfig:
    """What the CLI loads for a file in sql/<dialect>/: sql/.sqlfluff, then the folder's."""
    return FluffConfig.from_path(str(SHIPPED / dialect))


@cache
def linter(dialect: str) -> Linter:
    return Linter(config=config(dialect))


def sample(dialect: str) -> dict[str, Any]:
    """The context values as sqlfluff's jinja templater reads them."""
    return JinjaTemplater().get_context(None, config(dialect))


def problems(sql: str, dialect: str, fname: str, **context: str) -> list[str]:
    """Templating and parsing errors of the rendering sqlfluff lints (its root variant);
    a file sqlfluff could not render at all (it only logs a warning) is a problem too.
    ``context`` overrides sample values, as Python literals."""
    cfg = config(dialect).copy()
    cfg.set_value(["render_variant_limit"], 1)  # the root variant only: the others are sqlfluff's guesses
    for key, value in context.items():
        cfg.set_value([*CONTEXT, key], value)
    parsed = linter(dialect).parse_string(sql, fname=fname, config=cfg)
    found = [f"{v.rule_code()}: {v.desc()}" for v in parsed.violations]
    root = parsed.root_variant()
    if root is None or root.tree is None:
        return [*found, "not rendered or not parsed"]
    return found + [f"unparsable: {s.raw[:80]!r}" for s in root.tree.recursive_crawl("unparsable")]


def combinations(branches_on: set[str]) -> list[dict[str, str]]:
    """The sample, then each switch the template branches on set to each of its other
    values in turn (each branch is reached; a full product would cost more time)."""
    return [{}] + [{k: v} for k in sorted(branches_on & set(SWITCHES)) for v in SWITCHES[k] if v is not SAMPLE]


def test_every_template_parses_in_each_dialect_for_every_switch_value() -> None:
    checked, found = 0, {}
    for dialect in dialects():
        sink_templates = templates(dialect)
        for path in steps(dialect).values():
            for context in combinations(uses(sink_templates, path.read_text()).branches_on):
                checked += 1
                if errors := problems(path.read_text(), dialect, str(path), **context):
                    found[f"{dialect}: {path.relative_to(ROOT)} {context}"] = errors
    assert checked > sum(len(steps(d)) for d in dialects()) > 20  # the switches added renderings
    assert found == {}


def test_every_variable_a_template_branches_on_has_switch_values() -> None:
    for dialect in dialects():
        sink_templates = templates(dialect)
        branches_on = set().union(*(uses(sink_templates, p.read_text()).branches_on for p in steps(dialect).values()))
        assert branches_on - {"loop"} <= set(SWITCHES), f"{dialect}: add them to SWITCHES"
        values = sample(dialect)
        assert (values["format"], values["dedupe"]) == ("csv", True), "SWITCHES leaves these to the sample"


def test_every_partial_is_checked_through_a_template_that_includes_it() -> None:
    for dialect in dialects():
        sink_templates = templates(dialect)
        included = set().union(*(uses(sink_templates, p.read_text()).includes for p in steps(dialect).values()))
        partials = {p.name for folder in Templates(dialect).chain for p in (SHIPPED / folder).glob("_*.sql")}
        assert partials <= included, f"{dialect}: partials nothing includes: {partials - included}"


def test_the_sample_context_has_every_variable_the_templates_use() -> None:
    """sqlfluff reports an undefined variable of a file, but not of a partial it includes:
    there it is silently empty (the library's filters refuse it, an if does not)."""
    for dialect in dialects():
        sink_templates = templates(dialect)
        paths = [p for folder in Templates(dialect).chain for p in (SHIPPED / folder).glob("*.sql")]
        used = set().union(*(uses(sink_templates, p.read_text()).variables for p in paths))
        values = sample(dialect)
        assert used - set(values) == set()
        assert values.get("dialect") == dialect, "the quoting filters would quote for another dialect"


def test_each_dialect_folder_names_its_dialect_and_the_lookup() -> None:
    for dialect in dialects():
        assert (SHIPPED / dialect / ".sqlfluff").is_file(), f"sql/{dialect}/.sqlfluff is missing"
        assert config(dialect).get("dialect") == dialect
        search = config(dialect).get_section(("templater", "jinja", "loader_search_path"))
        assert [Path(p).resolve() for p in search.split(",")] == [SHIPPED / d for d in Templates(dialect).chain]


def test_sqlfluff_lint_passes_on_the_shipped_templates() -> None:
    """What `sqlfluff lint sql` reports, with the rules sql/.sqlfluff leaves on."""
    result = Linter(config=FluffConfig.from_path(str(SHIPPED), require_dialect=False)).lint_paths((str(SHIPPED),))
    files = [f for d in result.paths for f in d.files]
    linted = {Path(f.path).resolve() for f in files}
    left_out = set(SHIPPED.rglob("*.sql")) - linted
    assert linted and all(p.name.startswith("_") for p in left_out)  # only partials, by ignore_paths
    assert [str(f.path) for f in files if f.tree is None] == []  # sqlfluff skips what it cannot trace
    violations = {str(f.path): [f"L{v.line_no} {v.rule_code()} {v.desc()}" for v in f.violations] for f in files}
    assert {k: v for k, v in violations.items() if v} == {}


def test_filters_quote_as_the_sinks_do() -> None:
    rendered = linter("duckdb").render_string(
        '{{ target|ident }} {{ columns|idents("s") }} {{ dataset|lit }} {{ partition_keys|lits }}',
        "<string>",
        config("duckdb"),
        "utf8",
    )
    templates = Templates("duckdb")
    values = sample("duckdb")
    want = " ".join(
        [
            templates.ident(values["target"]),
            templates.idents(values["columns"], "s"),
            templates.lit(values["dataset"]),
            templates.lits(values["partition_keys"]),
        ]
    )
    assert rendered.templated_variants[0].templated_str == want


@pytest.mark.parametrize(
    "broken",
    [
        "SELECT {{ columns|idents }} FROM WHERE {{ stage|ident }}",  # unparsable SQL
        "SELECT * FROM {{ stage|ident }} {% if %}",  # jinja syntax
        "SELECT * FROM {{ no_such_value|ident }}",  # a value the context lacks
        'SELECT * FROM {% include "_no_such_partial.sql" %}',
        "SELECT {% filter replace('a', 'aa') %}a{% endfilter %} AS x",  # sqlfluff cannot trace it: skipped
    ],
)
def test_a_broken_template_is_reported(broken: str) -> None:
    assert problems(broken, "duckdb", str(SHIPPED / "duckdb" / "broken.sql")) != []


def test_an_undefined_value_inside_a_partial_is_reported() -> None:
    """The library's filters are strict where sqlfluff's environment is not."""
    source = (SHIPPED / "default" / "insert.sql").read_text()
    assert problems(source, "duckdb", str(SHIPPED / "default" / "insert.sql")) == []
    cfg = config("duckdb").copy()
    del cfg._configs["templater"]["jinja"]["context"]["stage"]  # used by _source.sql only
    parsed = linter("duckdb").parse_string(source, fname="insert.sql", config=cfg)
    assert any("stage" in v.desc() for v in parsed.violations)
