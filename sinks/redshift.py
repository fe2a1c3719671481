"""Redshift: COPY … MANIFEST from S3 with an IAM role, the state tables LOCKed, load errors read back.

Staging is one COPY of the unit's files into a temporary table, from a manifest the
loader writes for the unit (under ``manifest_prefix``, by default ``<store.root>_loaders/
copy/``) listing exactly the files it validated, with the sizes Parquet needs. It never
COPYs a producer's manifest directly, although it is a valid COPY manifest: the producer
may rewrite it in place between the check and the COPY, and the load would then record
one version as applied while loading the other's files.

The stage has exactly the files' columns in the files' order, because COPY from Parquet
matches columns by position; after the COPY, the partition's values are set where the
files carry a column of the same name (the partition's value wins, in the column's type)
and added as columns with a constant default where they do not. The row count of each
file is Redshift's own (``SYS_LOAD_DETAIL``); on a failed COPY the first rejected rows
(``SYS_LOAD_ERROR_DETAIL``: file, line, column, reason) go into the terminal error.

After staging, the SQL is PostgreSQL's (``sql/postgres`` is this dialect's parent), except
where Redshift lacks something: no ``INSERT … ON CONFLICT`` and no enforced primary keys
(the state rows are added where missing under an explicit ``LOCK`` of the state tables,
which also keeps SERIALIZABLE from aborting concurrent loads with error 1023), and a
MERGE that takes neither a subquery nor a condition on WHEN MATCHED (a delete and an
insert instead). One partition per transaction: ``batch_partitions`` is off.
"""

from __future__ import annotations

import inspect
import json
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from manifests import ConfigError, LoaderError, MalformedFileError, TerminalError
from manifests.aws_errors import aws_failure, aws_rule
from manifests.store import ObjectStore
from sinks import import_driver
from sinks.base import Capabilities
from sinks.options import RedshiftOptions
from sinks.partition_values import checked_partition, split
from sinks.postgres._session import Sessions, connect_args
from sinks.rules import Part
from sinks.sql import SqlSink, Staged
from sinks.sql.sqlstate import REDSHIFT_ERRORS, connect_failure, sqlstate, statement_failure
from sinks.staging import File, TypeNames, check_merge_files, checked_type, describe, stage_table, unit_files

#: how many rejected rows of a failed COPY the error message quotes
LOAD_ERROR_ROWS = 5
#: Redshift's load error codes of a file that does not parse as its format, as every
#: sink refuses it (MalformedFileError): a parse error, a missing delimiter, more or fewer
#: fields than columns, an empty or invalid line, bytes that are not UTF-8, JSON that is
#: not well formed (https://docs.aws.amazon.com/redshift/latest/dg/r_Load_Error_Reference.html).
#: A value its column cannot hold (1204-1210, 1215) is the table's, not the file's.
MALFORMED_LOAD_ERRORS = frozenset({1200, 1201, 1202, 1203, 1211, 1214, 1216, 1219, 1220, 1221, 1224})


class RedshiftSink(SqlSink):
    """``redshift+redshift_connector://user:password@cluster.region.redshift.amazonaws.com:5439/db``.

    Options: ``url`` (query parameters pass to ``redshift_connector.connect``, e.g.
    ``iam=true&cluster_identifier=…&db_user=…``), ``iam_role`` (the role COPY reads S3
    with; required), ``manifest_prefix``, ``query_group`` (label prefix, default
    ``loaders``), ``state_schema``.
    """

    capabilities = Capabilities(
        dialect="redshift",
        concurrent_loads=True,
        batch_partitions=False,
        formats=("parquet", "csv", "jsonl"),
        # ADD COLUMN runs inside a transaction block, except on external tables:
        # https://docs.aws.amazon.com/redshift/latest/dg/r_ALTER_TABLE.html
        adds_columns=True,
    )
    default_schema = "public"
    type_names: ClassVar[TypeNames] = TypeNames(
        text="VARCHAR(65535)", binary="VARBYTE(65535)", json="SUPER", partition="VARCHAR(256)", max_decimal_precision=38
    )
    text_type = type_names.text
    schemes: ClassVar[tuple[str, ...]] = ("redshift+redshift_connector", "redshift")
    #: without ON CONFLICT, a partition's state row is added where missing under the LOCK
    #: of the state tables, then counted or marked failed
    statements: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "lock": ("lock", "claim_partitions", "count_attempt"),
        "record_failure": ("lock", "claim_partitions", "record_failure"),
        "merge": ("merge_delete", "merge_insert"),
    }
    options_class = RedshiftOptions
    sink_options: RedshiftOptions

    def __init__(
        self, name: str, options: Mapping[str, Any], store: ObjectStore, project_dir: str | None = None
    ) -> None:
        super().__init__(name, options, store, project_dir)
        settings = self.sink_options
        self.connect_args = connect_args(settings.url, self.schemes)
        self.iam_role = settings.iam_role
        self.manifest_prefix = settings.manifest_prefix or f"{store.root}_loaders/copy/"
        if not self.manifest_prefix.endswith("/"):
            self.manifest_prefix += "/"
        self.query_group = settings.query_group
        self.sessions = Sessions(self._connect)

    def _connect(self) -> Any:
        redshift_connector = import_driver(self.name, "redshift")

        args = driver_args(self.connect_args, redshift_connector.connect)
        args.setdefault("application_name", "loaders")
        where = f"{args.get('host', '?')}:{args.get('port', 5439)}/{args.get('database', '')}"
        try:
            conn = redshift_connector.connect(**args)
        except Exception as exc:
            if aws_rule(exc) is not None:  # IAM authentication asks AWS for credentials first
                raise aws_failure(exc, f"{self.name}: cannot connect to {where}") from None
            raise connect_failure(self.name, where, exc, table=REDSHIFT_ERRORS) from None
        conn.autocommit = True  # BEGIN and COMMIT come from the templates
        return conn

    def close(self) -> None:
        self.sessions.close()
        self._state_ready = False

    # -- statements -----------------------------------------------------------------------

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        cur = self.sessions.get().cursor()
        try:
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()] if cur.description else []
        finally:
            cur.close()

    def _translate(self, exc: Exception, step: str) -> LoaderError:
        if not sqlstate(exc) and type(exc).__name__ in ("InterfaceError", "OperationalError"):
            self.sessions.drop()  # the connection is gone; the next statement reconnects
        return statement_failure(self.name, step, exc, REDSHIFT_ERRORS)

    # -- the load -------------------------------------------------------------------------

    def stage(self, parts: Sequence[Part], context: dict[str, Any]) -> Staged:
        [part] = parts
        files = unit_files(self.store, parts)
        described, schemas = describe(self, files, context, self.type_names)
        # the partition's values win over the files' own columns of those names: each value
        # is checked against each file's type of the column before anything is copied
        carried, fill = split(part.unit.partition, [name for name, _type in described])
        own = {f.path: schemas[f.path].names if f.path in schemas else [n for n, _t in described] for f in files}
        check_merge_files(self.store, files, context["format"], own)  # the unified columns hide a file's
        for file in files:
            checked_partition(file, schemas.get(file.path), schemas[file.path].names if file.path in schemas else [])
        self.execute("query_group", query_group=f"{self.query_group}:{context['dataset']}"[:320], **context)
        groups = column_groups(files, schemas, context["format"])
        found: dict[str, int] | None = None
        if len(groups) == 1:
            manifest = self.copy_manifest(part, files)
            self.execute("create_stage", **stage_table(self, parts, described, context))
            self.copy(files, manifest, described, context)
        else:
            self.execute("create_stage", **stage_table(self, parts, described, context))
            found = {}
            for index, (names, members) in enumerate(groups, 1):
                found.update(self.copy_group(part, index, names, members, described, context))
        # only once every group is in the stage: the partition's values cover every row
        if carried:
            self.execute("set_partition", partition_values=[(n, v) for n, _k, v in carried], **context)
        for column, value in fill:
            self.execute(
                "add_stage_column",
                fill_column=column,
                fill_type=checked_type(self.type_names.partition),
                fill_value=value,
                **context,
            )
        if found is None:
            found = self.staged_counts(context)
        counts = {f.path: found.get(f.entry.url, found.get(f.path, 0)) for f in files}
        columns = (*described, *((k, self.type_names.partition) for k, _v in fill))
        return Staged(columns=columns, rows_by_path=counts)

    def copy(
        self, files: Sequence[File], manifest: str, columns: Sequence[tuple[str, str]], context: dict[str, Any]
    ) -> None:
        """COPY ``files`` (listed in ``manifest``) into ``context["stage"]``; a failed COPY
        raises with its first rejected rows, naming the manifest and the first bad file."""
        try:
            self.execute(
                "copy_stage",
                copy_manifest=manifest,
                iam_role=self.iam_role,
                serialize_json=any(t == self.type_names.json for _n, t in columns),
                **context,
            )
        except LoaderError as exc:
            detailed = None if exc.transient else self.load_error(exc, files, context)
            if detailed is None:
                raise
            raise detailed from exc

    def copy_group(
        self,
        part: Part,
        index: int,
        names: Sequence[str],
        files: Sequence[File],
        described: Sequence[tuple[str, str]],
        context: dict[str, Any],
    ) -> dict[str, int]:
        """One group of files sharing their ordered columns ``names``, when the unit's files
        do not all share them: COPY maps Parquet and CSV columns by position and wants as
        many as a file has, so the group is copied (from a COPY manifest of its own) into a
        table of exactly its columns, then inserted into the stage by name. The rows per
        file of that COPY, read before the next one (``PG_LAST_COPY_ID``)."""
        types = dict(described)
        group = f"{context['stage']}_{index}"
        manifest = self.copy_manifest(part, files, f"-{index}")
        shaped = {**context, "group_stage": group, "group_columns": list(names)}
        self.execute("create_group_stage", **shaped)
        try:
            self.copy(files, manifest, [(n, types.get(n, "")) for n in names], {**context, "stage": group})
            found = self.staged_counts(context)
            self.execute("insert_group_stage", **shaped)
        finally:
            self._drop_stage({**context, "stage": group})
        return found

    def staged_counts(self, context: dict[str, Any]) -> dict[str, int]:
        """Rows per file of the COPY this session ran last, as Redshift counted them."""
        return {str(name).strip(): int(n) for name, n in self.execute("staged_counts", **context)}

    def copy_manifest(self, part: Part, files: Sequence[File], suffix: str = "") -> str:
        """Write the unit's own COPY manifest (``suffix`` names a group's); its URL. Not
        written when compiling."""
        unit = part.unit
        url = f"{self.manifest_prefix}{unit.target.dataset}/{unit.partition.key}/{unit.load_id}{suffix}.manifest"
        entries = [
            {"url": f.entry.url, "mandatory": True}
            | ({"meta": {"content_length": f.entry.content_length}} if f.entry.content_length is not None else {})
            for f in files
        ]
        self.client.effect(lambda: self.store.write(url, json.dumps({"entries": entries}, indent=1).encode()))
        return url

    def load_error(self, exc: LoaderError, files: Sequence[File], context: dict[str, Any]) -> LoaderError | None:
        """The failed COPY's error with its first rejected rows, naming the first bad file;
        None when Redshift recorded none (the COPY failed before reading a row)."""
        try:
            rows = self.execute("load_errors", limit=LOAD_ERROR_ROWS, **context)
        except LoaderError:
            return None  # the detail is a courtesy; the COPY's own error stands
        if not rows:
            return None
        detail = "; ".join(
            f"{str(path).strip()} line {line} column {str(column).strip()}: {str(reason).strip()}"
            for line, _code, path, column, reason in rows
        )
        first = str(rows[0][2]).strip()
        bad = next((f for f in files if first in (f.path, f.entry.url)), None)
        where = {"manifest": bad.manifest.url, "file": bad.entry.url} if bad else {}
        kind = MalformedFileError if int(rows[0][1] or 0) in MALFORMED_LOAD_ERRORS else TerminalError
        return kind(f"{exc.reason}; first rejected rows: {detail}", **where)


def column_groups(
    files: Sequence[File], schemas: Mapping[str, Any], fmt: str
) -> list[tuple[tuple[str, ...], list[File]]]:
    """The unit's files grouped by their ordered column names (a Parquet schema, a CSV
    header), first seen first. JSON lines are one group: COPY's ``'auto'`` matches keys to
    columns by name, so a file's key order or a missing key does not matter. So is a unit
    whose schemas were not read (compiling), or that has no files."""
    if fmt == "jsonl" or not files or any(f.path not in schemas for f in files):
        return [((), list(files))]
    groups: dict[tuple[str, ...], list[File]] = {}
    for file in files:
        groups.setdefault(tuple(schemas[file.path].names), []).append(file)
    return list(groups.items())


def driver_args(args: Mapping[str, Any], connect: Callable[..., Any]) -> dict[str, Any]:
    """URL query parameters (strings) as the driver's typed keyword arguments: booleans,
    integers and lists read by its signature, so ``?iam=true&timeout=30`` work as written."""
    params = inspect.signature(connect).parameters
    hints = typing.get_type_hints(connect)
    out: dict[str, Any] = {}
    for key, value in args.items():
        if key not in params:
            raise ConfigError(f"sink url: redshift_connector.connect has no parameter {key!r}")
        out[key] = _coerce(key, value, hints.get(key, str)) if isinstance(value, str) else value
    return out


def _coerce(key: str, value: str, annotation: Any) -> Any:
    kinds = typing.get_args(annotation) or (annotation,)
    if bool in kinds:
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"sink url: {key}={value!r} is not true or false")
    if int in kinds:
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"sink url: {key}={value!r} is not a whole number") from None
    if any(typing.get_origin(k) is list for k in kinds):
        return [v for v in value.split(",") if v]
    return value
