"""The Glue side of the Athena Hive sink: the table, its columns, and the one call that switches a partition.

A Glue partition has exactly one location, so pointing it at a new prefix is the atomic
step a Hive table offers: Athena queries see the old files or the new ones. These are
API calls with structured arguments; no SQL is built anywhere here. Errors are sorted
by :mod:`manifests.aws_errors`: transient (throttling, network, a concurrent change:
retry), ConfigError (access refused), terminal (refused input).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from manifests import LoaderError, Partition, TransientError
from manifests.aws_errors import aws_failure
from manifests.store import error_code
from sinks.athena.state import RACE_WAIT
from sinks.retrying import retried

PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}


#: the fields of GetTable's answer that UpdateTable's TableInput takes (the rest are read-only)
_TABLE_INPUT = (
    "Name", "Description", "Owner", "LastAccessTime", "LastAnalyzedTime", "Retention", "StorageDescriptor",
    "PartitionKeys", "ViewOriginalText", "ViewExpandedText", "TableType", "Parameters", "TargetTable",
    "ViewDefinition",
)  # fmt: skip


@dataclass(frozen=True)
class Table:
    database: str
    name: str
    location: str  # s3://…/<table>/


def table_columns(glue: Any, table: Table) -> list[tuple[str, str]] | None:
    """The table's (name, Hive type) columns, or None when it does not exist yet."""
    got = _get_table(glue, table)
    return None if got is None else [(c["Name"], c["Type"]) for c in got["StorageDescriptor"]["Columns"]]


def partition_location(glue: Any, table: Table, partition: Partition) -> str | None:
    """Where readers of the partition look now; None when it is not in the catalogue."""
    try:
        got = glue.get_partition(
            DatabaseName=table.database, TableName=table.name, PartitionValues=[v for _k, v in partition.items]
        )
    except Exception as exc:
        if error_code(exc) == "EntityNotFoundException":
            return None
        raise glue_error(exc) from exc
    return str(got["Partition"]["StorageDescriptor"]["Location"])


def switch(glue: Any, table: Table, partition: Partition, columns: Sequence[tuple[str, str]], location: str) -> None:
    """Point the partition at ``location`` in one catalogue call (the table exists:
    :func:`evolve` ran first): BatchCreatePartition for a new partition, UpdatePartition
    otherwise (also when a concurrent create won: the create reports AlreadyExists
    instead of failing). The partition is registered with the table's columns."""
    described = [{"Name": n, "Type": t} for n, t in columns]
    values = [v for _k, v in partition.items]
    entry = {"Values": values, "StorageDescriptor": {**PARQUET, "Columns": described, "Location": location}}
    try:
        if partition_location(glue, table, partition) is None:
            done = glue.batch_create_partition(
                DatabaseName=table.database, TableName=table.name, PartitionInputList=[entry]
            )
            errors = done.get("Errors", [])
            if not errors:
                return
            if not any(e.get("ErrorDetail", {}).get("ErrorCode") == "AlreadyExistsException" for e in errors):
                raise TransientError(f"Glue refused partition {partition.key}: {errors}")
        glue.update_partition(
            DatabaseName=table.database, TableName=table.name, PartitionValueList=values, PartitionInput=entry
        )
    except TransientError:
        raise
    except Exception as exc:
        raise glue_error(exc) from exc


def evolve(
    glue: Any, table: Table, partition_columns: Sequence[str], columns: Sequence[tuple[str, str]]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Make the table hold ``columns``: create it when missing, else append the columns it
    lacks to its StorageDescriptor (partition keys and every other setting untouched) in
    one UpdateTable. Returns the table's columns after, and the ones this call added.

    Why appending is enough: Athena reads Parquet columns by name, and a partition's own
    column list need not match the table's (it is compared by name for Parquet), so rows of
    partitions written before read NULL for an added column. See "Handle schema updates"
    (https://docs.aws.amazon.com/athena/latest/ug/handling-schema-updates-chapter.html:
    Parquet read by name allows adding columns anywhere) and "Update tables with
    partitions" (https://docs.aws.amazon.com/athena/latest/ug/updates-and-partitions.html:
    for Parquet, Athena validates partitions against the table by column name).

    The update names the VersionId it read, so Glue refuses it (ConcurrentModification)
    when another loader changed the table meanwhile: then it reads again and re-decides,
    and an added column is never lost to a concurrent update. A column that exists with
    another type than the data was written in (another loader added it first) is a
    transient error: the retry writes the data in the table's type, or refuses it."""
    try:
        return retried(
            lambda: _evolve_once(glue, table, partition_columns, columns), on=_Changed, attempts=5, wait=RACE_WAIT
        )
    except _Changed:
        raise TransientError(
            f"{table.database}.{table.name}: the table kept changing while adding columns; retry"
        ) from None


class _Changed(Exception):
    """Another loader changed the table between our read and our update: read again."""


def _evolve_once(
    glue: Any, table: Table, partition_columns: Sequence[str], columns: Sequence[tuple[str, str]]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """One read and, when columns are missing, one conditional update (:func:`evolve`)."""
    got = _get_table(glue, table)
    if got is None:
        create_table(glue, table, partition_columns, [{"Name": n, "Type": t} for n, t in columns])
        got = _get_table(glue, table)  # read it back: a concurrent create may have won with other columns
        if got is None:
            raise _Changed(table.name)
    current = [(c["Name"], c["Type"]) for c in got["StorageDescriptor"]["Columns"]]
    known = {n.lower(): t for n, t in current}
    clash = [(n, t) for n, t in columns if n.lower() in known and known[n.lower()] != t]
    if clash:
        name, kind = clash[0]
        raise TransientError(f"column {name}: the table has {known[name.lower()]} but this attempt wrote {kind}; retry")
    missing = [(n, t) for n, t in columns if n.lower() not in known]
    if not missing:
        return current, []
    entry = {k: copy.deepcopy(v) for k, v in got.items() if k in _TABLE_INPUT}
    entry["StorageDescriptor"]["Columns"] = [
        *got["StorageDescriptor"]["Columns"],
        *({"Name": n, "Type": t} for n, t in missing),
    ]
    try:
        glue.update_table(DatabaseName=table.database, TableInput=entry, VersionId=got["VersionId"])
    except Exception as exc:
        if error_code(exc) == "ConcurrentModificationException":
            raise _Changed(table.name) from None
        raise glue_error(exc) from exc
    return [*current, *missing], missing


def _get_table(glue: Any, table: Table) -> dict[str, Any] | None:
    try:
        return dict(glue.get_table(DatabaseName=table.database, Name=table.name)["Table"])
    except Exception as exc:
        if error_code(exc) == "EntityNotFoundException":
            return None
        raise glue_error(exc) from exc


def create_table(glue: Any, table: Table, partition_columns: Sequence[str], columns: Sequence[dict[str, str]]) -> None:
    """An external Parquet table partitioned by string keys (a concurrent create is fine)."""
    try:
        glue.create_database(DatabaseInput={"Name": table.database})
    except Exception as exc:
        if error_code(exc) != "AlreadyExistsException":
            raise glue_error(exc) from exc
    try:
        glue.create_table(
            DatabaseName=table.database,
            TableInput={
                "Name": table.name,
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {"EXTERNAL": "TRUE", "classification": "parquet"},
                "PartitionKeys": [{"Name": c, "Type": "string"} for c in partition_columns],
                "StorageDescriptor": {**PARQUET, "Columns": list(columns), "Location": table.location},
            },
        )
    except Exception as exc:
        if error_code(exc) != "AlreadyExistsException":
            raise glue_error(exc) from exc


def glue_error(exc: Exception) -> LoaderError:
    return aws_failure(exc, "Glue")
