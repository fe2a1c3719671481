"""sqlfluff's jinja library for linting the shipped templates themselves (``sql/.sqlfluff``).

sqlfluff imports this folder (``library_path``) and adds ``SQLFLUFF_JINJA_FILTERS`` to its
jinja environment. They are the sinks' own filters (``ident``, ``idents``, ``lit``,
``lits``, ``qualify`` and any a sink adds, like Snowflake's ``fold``), taken from the
``Templates`` the sink of the dialect named by the ``dialect`` context value renders with
(``Templates.render`` passes ``dialect`` too), so they quote exactly as at run time.

``indent`` is replaced by the identity: sqlfluff's tracer cannot map text that a
``{% filter indent %}`` block rewrites, and then skips the whole file (merge.sql) with
only a logged warning. Only whitespace differs; layout rules are off (sql/.sqlfluff).

Tooling for the checkout only: not in the wheel, not in the sdist.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.filters

# sqlfluff imports this file by path, from whatever directory it was started in: make the
# checkout's packages importable whatever the working directory.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from sinks import REGISTRY  # noqa: E402
from sinks.sql.templates import SHIPPED, Templates  # noqa: E402


def templates_class(dialect: str) -> type[Templates]:
    """The ``Templates`` a dialect's sink renders with: its ``templates_class`` if it names
    one, else the one ``Templates`` subclass its module (or, for a package, one of the
    package's modules) defines and the module holds, else ``Templates``."""
    entry = REGISTRY.get(dialect)
    where = entry.target if entry else f"sinks.{dialect}:"
    module_name, _, class_name = where.partition(":")
    if importlib.util.find_spec(module_name) is None:
        return Templates
    module = importlib.import_module(module_name)
    named = getattr(getattr(module, class_name, None), "templates_class", None)
    if isinstance(named, type) and issubclass(named, Templates):
        return named
    found = [
        c
        for c in vars(module).values()
        if isinstance(c, type)
        and issubclass(c, Templates)
        and c is not Templates
        and (c.__module__ == module_name or c.__module__.startswith(f"{module_name}."))
    ]
    return found[0] if len(found) == 1 else Templates


@cache
def templates(dialect: str) -> Templates:
    return templates_class(dialect)(dialect, None)


def custom_filters(dialect: str) -> dict[str, Callable[..., Any]]:
    """The filters the project adds or replaces (jinja's own are left to sqlfluff)."""
    env = templates(dialect).env
    return {name: f for name, f in env.filters.items() if jinja2.filters.FILTERS.get(name) is not f}


def _filter(name: str) -> Callable[..., Any]:
    @jinja2.pass_context
    def apply(context: jinja2.runtime.Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        if type(value).__name__ == "UndefinedRecorder":  # sqlfluff's stand-in: str() reports the name
            return str(value)
        if isinstance(value, jinja2.Undefined):  # in an included partial sqlfluff does not look: refuse it
            raise jinja2.UndefinedError(f"{value._undefined_name!r} is undefined: add it to the sqlfluff context")
        dialect = context.get("dialect")
        if not isinstance(dialect, str):
            raise jinja2.UndefinedError("no `dialect` in the sqlfluff context: set it in sql/<dialect>/.sqlfluff")
        found = custom_filters(dialect).get(name)
        if found is None:
            raise jinja2.TemplateRuntimeError(f"no filter named {name!r} for dialect {dialect}")
        return found(value, *args, **kwargs)

    apply.__name__ = name
    return apply


def _indent(text: str, *_args: Any, **_kwargs: Any) -> str:
    return text


_DIALECTS = sorted(p.name for p in SHIPPED.iterdir() if p.name != "default" and any(p.glob("*.sql")))
SQLFLUFF_JINJA_FILTERS: dict[str, Callable[..., Any]] = {
    name: _filter(name) for dialect in _DIALECTS for name in custom_filters(dialect)
}
SQLFLUFF_JINJA_FILTERS["indent"] = _indent
