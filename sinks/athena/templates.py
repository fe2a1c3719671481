"""Athena's SQL templates (sql/athena/): the quoting of DDL next to DML, and column types.

Only Iceberg tables run SQL; Hive tables are changed through Glue's API. This is also the
``Templates`` class sqlfluff lints sql/athena/ with (tools/sqlfluff_library).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from sqlglot import exp

from sinks.sql.templates import Templates

#: the column types the DDL templates accept (generated from Arrow types, never user text)
#: a Hive type as hive_type() writes it: no whitespace anywhere, so a nested type cannot
#: smuggle in "name type" pairs (struct field names are checked where they are written)
_TYPE = re.compile(r"[a-z][a-z0-9_]*(\([0-9,]+\))?|(array|map|struct)<[A-Za-z0-9_:,<>()]*>")


class AthenaTemplates(Templates):
    """Athena's templates: DDL (Hive syntax) quotes identifiers with backticks, DML (Trino)
    with double quotes; ``ddl_ident``/``ddl_idents`` are the DDL ones, ``column_type``
    lets through only a column type (they come from Arrow types, never from config)."""

    def __init__(
        self,
        dialect: str,
        project_dir: str | os.PathLike[str] | None = None,
        own: Sequence[str | os.PathLike[str]] = (),
    ) -> None:
        super().__init__(dialect, project_dir, own)
        self.env.filters.update(ddl_ident=self.ddl_ident, ddl_idents=self.ddl_idents, column_type=self.column_type)

    def ddl_ident(self, name: str | Sequence[str]) -> str:
        parts = [name] if isinstance(name, str) else list(name)
        if not parts or any(not isinstance(p, str) or not p or "\x00" in p for p in parts):
            raise ValueError(f"invalid identifier {name!r}")
        return ".".join(exp.to_identifier(p, quoted=True).sql(dialect="hive") for p in parts)

    def ddl_idents(self, names: Sequence[str]) -> str:
        return ", ".join(self.ddl_ident(n) for n in names)

    @staticmethod
    def column_type(name: str) -> str:
        if not isinstance(name, str) or not _TYPE.fullmatch(name):
            raise ValueError(f"invalid column type {name!r}")
        return name
