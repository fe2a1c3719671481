"""The options of each sink type, declared once: name, type, default and meaning.

A ``[sinks.<name>]`` table is checked against its type's declaration when loaders.toml is
read (``loaders.config``) and read again into a frozen dataclass of typed values when the
sink is opened (``sinks.open_sink`` and each sink's constructor). A typo such as
``batch_row`` or a value such as ``batch_rows = "lots"`` is then a ConfigError naming the
key before anything loads, never a silent default or a crash deep inside a sink.

Nothing here imports a driver (psycopg, snowflake.connector, boto3, duckdb, pyarrow): the
configuration is checked on machines, and in Lambda packages, that have none of them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from manifests import ConfigError

#: ``@stage``, ``@schema.stage`` or ``@db.schema.stage``, each part bare or double-quoted.
#: The stage is written into ``COPY … FROM @stage`` as configured, so nothing else passes.
_PART = r'(?:[A-Za-z_][A-Za-z0-9_$]*|"[^"]+")'
STAGE = re.compile(rf"@{_PART}(?:\.{_PART}){{0,2}}")
#: The most rows a batch may hold: a batch is held in memory whole, so more is a typo.
MAX_BATCH_ROWS = 100_000_000
#: The longest lease: a century, the longest duration the configuration accepts anywhere.
MAX_LEASE_SECONDS = 36_600 * 24 * 3600


@dataclass(frozen=True)
class Rule:
    """How one option is checked, and what it means (error messages and the docs)."""

    doc: str
    kind: str  # "text", "whole number" or "choice"
    required: bool = False
    #: a text the sink works out when it is not set: ``""`` is the same as leaving it out
    derived: bool = False
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    #: a text must match this whole, described by ``expected``
    pattern: re.Pattern[str] | None = None
    expected: str = ""

    def check(self, value: Any, where: str) -> Any:
        """``value`` as its typed value (None: not set), or a ConfigError naming ``where``
        and the problem."""
        if self.kind == "whole number":
            return self._whole(value, where)
        if not isinstance(value, str):
            raise ConfigError(f"{where}: must be a string, got {_shown(value)}")
        if self.kind == "choice":
            if value.lower() not in self.choices:  # as the sinks always read it: ICEBERG is iceberg
                raise ConfigError(f"{where}: must be one of {', '.join(self.choices)}, got {_shown(value)}")
            return value.lower()
        if not value:
            if self.derived:
                return None
            raise ConfigError(f"{where}: {'required' if self.required else 'must not be empty'} ({self.doc})")
        if self.pattern is not None and not self.pattern.fullmatch(value):
            raise ConfigError(f"{where}: expected {self.expected}, got {_shown(value)}")
        return value

    def _whole(self, value: Any, where: str) -> int:
        # bool is an int in Python, but ``batch_rows = true`` is a mistake; a string of
        # digits is what ``batch_rows = "${BATCH_ROWS}"`` gives, so it is read as its number
        if isinstance(value, str) and re.fullmatch(r"\s*\d{1,18}\s*", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: must be a whole number, got {_shown(value)}")
        if self.minimum is not None and value < self.minimum:
            raise ConfigError(f"{where}: must be at least {self.minimum}, got {value}")
        if self.maximum is not None and value > self.maximum:
            raise ConfigError(f"{where}: must be at most {self.maximum}, got {value}")
        return value


def _shown(value: Any) -> str:
    """A value as an error quotes it: its repr, cut when long."""
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:40] + "…" + shown[-8:]


def text(doc: str, default: str | None = None, *, required: bool = False, pattern: str = "", expected: str = "") -> Any:
    """A string option: required, with a default, or (default None) worked out by the sink."""
    rule = Rule(
        doc,
        "text",
        required=required,
        derived=not required and default is None,
        pattern=re.compile(pattern) if pattern else None,
        expected=expected,
    )
    if required:
        return field(metadata={"rule": rule})
    return field(default=default, metadata={"rule": rule})


def whole(doc: str, default: int, *, minimum: int = 1, maximum: int | None = None) -> Any:
    """A whole-number option within bounds."""
    return field(default=default, metadata={"rule": Rule(doc, "whole number", minimum=minimum, maximum=maximum)})


def choice(doc: str, default: str, choices: tuple[str, ...]) -> Any:
    """One of a few words, compared without regard to case."""
    return field(default=default, metadata={"rule": Rule(doc, "choice", choices=choices)})


@dataclass(frozen=True, kw_only=True)
class SinkOptions:
    """The options every sink reads. A subclass per sink type adds its own fields, each
    with its :class:`Rule` in the field's metadata."""

    #: the sink type these options belong to (``type = "…"``)
    kind: ClassVar[str] = ""

    type: str | None = text("the sink type")
    url: str | None = text("where the sink connects")

    @classmethod
    def rules(cls) -> dict[str, Rule]:
        """Each option's rule, by name."""
        return {f.name: f.metadata["rule"] for f in dataclasses.fields(cls)}

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Each option's default (None: worked out by the sink, or required)."""
        return {f.name: None if f.default is dataclasses.MISSING else f.default for f in dataclasses.fields(cls)}

    @classmethod
    def read(cls, name: str, options: Mapping[str, Any], source: str | None = None) -> Self:
        """The typed options of sink ``name``. A ConfigError names the key (and ``source``,
        the configuration file, when there is one) for an unknown key, a missing required
        one, or a value of the wrong type or out of bounds."""
        where = f"{source}: sinks.{name}" if source else f"sinks.{name}"
        rules = cls.rules()
        unknown = sorted(str(k) for k in options if k not in rules)
        if unknown:
            raise ConfigError(f"{where}.{unknown[0]}: unknown key (expected one of {', '.join(sorted(rules))})")
        values: dict[str, Any] = {}
        for key, rule in rules.items():
            value = rule.check(options[key], f"{where}.{key}") if key in options else None
            if value is not None:
                values[key] = value
            elif rule.required:
                raise ConfigError(f"{where}.{key}: required ({rule.doc})")
        return cls(**values)


@dataclass(frozen=True, kw_only=True)
class SqlOptions(SinkOptions):
    """What every SQL sink reads: where its load state lives."""

    state_schema: str = text("the schema of the load state tables", default="_loaders")


@dataclass(frozen=True, kw_only=True)
class DuckDBOptions(SqlOptions):
    kind: ClassVar[str] = "duckdb"

    url: str = text("duckdb:///file.duckdb (relative to loaders.toml's folder); query: DuckDB settings", required=True)


@dataclass(frozen=True, kw_only=True)
class PostgresOptions(SqlOptions):
    kind: ClassVar[str] = "postgres"

    url: str = text("postgresql+psycopg://user:password@host:port/database; query: psycopg.connect", required=True)

    batch_rows: int = whole("rows per record batch streamed to COPY", 65536, maximum=MAX_BATCH_ROWS)


@dataclass(frozen=True, kw_only=True)
class RedshiftOptions(SqlOptions):
    kind: ClassVar[str] = "redshift"

    url: str = text("redshift+redshift_connector://user:password@host:port/database", required=True)

    iam_role: str = text(
        "the ARN of the IAM role COPY reads S3 with",
        required=True,
        pattern=r"arn:.*",
        expected="the ARN of the IAM role COPY reads S3 with (arn:aws:iam::…)",
    )
    manifest_prefix: str | None = text("where COPY manifests are written; unset: <store.root>_loaders/copy/")
    query_group: str = text("the query group label prefix (<query_group>:<dataset>)", default="loaders")


@dataclass(frozen=True, kw_only=True)
class SnowflakeOptions(SqlOptions):
    kind: ClassVar[str] = "snowflake"

    url: str = text("snowflake://user:password@account/DATABASE/SCHEMA; query: the connector", required=True)

    stage: str = text(
        "the named external stage COPY reads from",
        required=True,
        pattern=STAGE.pattern,
        expected="a named external stage, like @lake_stage",
    )
    stage_url: str | None = text(
        "the URL the stage was created with; unset: store.root",
        pattern=r"(s3|gcs|azure)://.*",
        expected="the cloud location the stage was created with (s3://, gcs:// or azure://)",
    )


@dataclass(frozen=True, kw_only=True)
class AthenaOptions(SqlOptions):
    """Both Athena sinks' options (``table_format`` picks one); ``state_schema``,
    ``s3_staging_dir`` and ``work_group`` are read by Iceberg tables only."""

    kind: ClassVar[str] = "athena"

    url: str | None = text("the Athena endpoint; the database and the region default from it")
    location: str = text(
        "the s3:// prefix tables are written under",
        required=True,
        pattern=r"s3://.*",
        expected="the s3:// prefix the sink writes tables under",
    )
    table_format: str = choice("hive: Glue partitions switched; iceberg: Athena SQL", "hive", ("hive", "iceberg"))
    database: str | None = text("the Glue database of unqualified tables; unset: the URL's path, else default")
    region: str | None = text("the AWS region; unset: the URL's host, then the environment")
    endpoint_url: str | None = text("the S3 and Glue endpoint; unset: store.endpoint_url")
    state_prefix: str | None = text("where the load state objects live; unset: <location>_loaders/state/")
    lease_seconds: int = whole("how long a loader may hold a partition", 900, maximum=MAX_LEASE_SECONDS)
    batch_rows: int = whole("rows per record batch read from the unit's files", 65536, maximum=MAX_BATCH_ROWS)
    s3_staging_dir: str | None = text("Iceberg: where Athena writes query results; unset: the URL's query")
    work_group: str | None = text("Iceberg: the Athena work group; unset: the URL's query")


#: every sink type's options
OPTIONS: dict[str, type[SinkOptions]] = {
    cls.kind: cls for cls in (DuckDBOptions, SnowflakeOptions, PostgresOptions, RedshiftOptions, AthenaOptions)
}
