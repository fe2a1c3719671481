"""Golden files: every statement the shipped templates render, per sink dialect, committed.

A template change that renders differently fails here until ``make golden`` rewrites the
files, so the change is reviewed as a diff of real SQL. Every golden statement must
parse in its dialect with sqlglot and with sqlfluff (no unparsable section).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path

import pytest

from loaders.compile import check, compile_project
from loaders.config import load_config

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
CONFIG = GOLDEN / "loaders.toml"
Unparsable = Callable[[str, str], list[str]]


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.sql"))}


def golden_files() -> list[Path]:
    return sorted(GOLDEN.rglob("*.sql"))


def dialect_of(path: Path) -> str:
    """Golden sinks are named after their dialect: golden/<dialect>/<dataset>/..."""
    return path.relative_to(GOLDEN).parts[0]


def test_rendered_sql_matches_the_golden_files(tmp_path: Path) -> None:
    compile_project(load_config(str(CONFIG)), tmp_path)
    fresh, golden = tree(tmp_path), tree(GOLDEN)
    assert golden, "no golden files: run `make golden`"
    assert sorted(fresh) == sorted(golden), "statements added or removed: run `make golden` and review the diff"
    changed = [name for name in fresh if fresh[name] != golden[name]]
    diff = "".join(
        line
        for name in changed[:3]
        for line in difflib.unified_diff(golden[name].splitlines(True), fresh[name].splitlines(True), name, name)
    )
    assert not changed, f"{len(changed)} golden file(s) differ: run `make golden` and review\n{diff}"


def test_every_dialect_with_a_sink_has_golden_files() -> None:
    from sinks import REGISTRY

    config = load_config(str(CONFIG))
    assert {str(o["type"]) for o in config.sinks.values()} == set(REGISTRY)  # every implemented sink type
    assert all(name == str(o["type"]) for name, o in config.sinks.items())
    with_sql = {name for name, o in config.sinks.items() if runs_sql(name, o)}
    assert {dialect_of(p) for p in golden_files()} == with_sql == set(config.sinks)
    assert config.sinks["athena"]["table_format"] == "iceberg"  # Hive tables run no SQL: no golden files


def runs_sql(name: str, options: dict[str, object]) -> bool:
    """Whether a configured sink renders SQL templates (``loaders compile`` can record it:
    CompileAnswers); only those have golden files. Opening a sink connects to nothing; the
    Athena sink is one for Iceberg tables only."""
    from manifests.store import S3Store
    from sinks import open_sink
    from sinks.base import CompileAnswers

    return isinstance(open_sink(name, options, S3Store("s3://lake")), CompileAnswers)


def test_every_golden_statement_parses_with_sqlglot(tmp_path: Path) -> None:
    statements = compile_project(load_config(str(CONFIG)), tmp_path).statements
    assert len(statements) == len(golden_files())
    assert check(statements) == []


@pytest.fixture(scope="module")
def sqlfluff_unparsable() -> Unparsable:
    from sqlfluff.core import FluffConfig, Linter

    linters: dict[str, Linter] = {}

    def unparsable(sql: str, dialect: str) -> list[str]:
        if dialect not in linters:
            linters[dialect] = Linter(config=FluffConfig(overrides={"dialect": dialect, "templater": "raw"}))
        parsed = linters[dialect].parse_string(sql)
        if parsed.tree is None:
            return [v.desc() for v in parsed.violations] or ["no parse tree"]
        return [s.raw[:80] for s in parsed.tree.recursive_crawl("unparsable")] + [v.desc() for v in parsed.violations]

    return unparsable


def test_every_golden_statement_parses_with_sqlfluff(sqlfluff_unparsable: Unparsable) -> None:
    problems = {
        str(p.relative_to(GOLDEN)): found
        for p in golden_files()
        if (found := sqlfluff_unparsable(p.read_text(), dialect_of(p)))
    }
    assert problems == {}


def test_sqlfluff_check_can_fail(sqlfluff_unparsable: Unparsable) -> None:
    assert sqlfluff_unparsable("SELECT FROM WHERE )(", "duckdb") != []
