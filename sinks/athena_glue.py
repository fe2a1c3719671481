"""The Glue side of the Athena Hive sink: the table, and the one call that switches a partition.

A Glue partition has exactly one location, so pointing it at a new prefix is the atomic
step a Hive table offers: Athena queries see the old files or the new ones. These are
API calls with structured arguments; no SQL is built anywhere here. Errors are sorted
into transient (throttling, network: retry) and terminal (refused input, permissions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from manifests import Partition, TerminalError, TransientError

PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}


@dataclass(frozen=True)
class Table:
    database: str
    name: str
    location: str  # s3://…/<table>/


def table_columns(glue: Any, table: Table) -> list[tuple[str, str]] | None:
    """The table's (name, Hive type) columns, or None when it does not exist yet."""
    try:
        got = glue.get_table(DatabaseName=table.database, Name=table.name)
    except Exception as exc:
        if code(exc) == "EntityNotFoundException":
            return None
        raise glue_error(exc) from exc
    return [(c["Name"], c["Type"]) for c in got["Table"]["StorageDescriptor"]["Columns"]]


def partition_location(glue: Any, table: Table, partition: Partition) -> str | None:
    """Where readers of the partition look now; None when it is not in the catalogue."""
    try:
        got = glue.get_partition(
            DatabaseName=table.database, TableName=table.name, PartitionValues=[v for _k, v in partition.items]
        )
    except Exception as exc:
        if code(exc) == "EntityNotFoundException":
            return None
        raise glue_error(exc) from exc
    return str(got["Partition"]["StorageDescriptor"]["Location"])


def switch(
    glue: Any,
    table: Table,
    partition: Partition,
    partition_columns: Sequence[str],
    columns: Sequence[tuple[str, str]],
    location: str,
) -> None:
    """Point the partition at ``location`` in one catalogue call, creating the table first
    when missing: BatchCreatePartition for a new partition, UpdatePartition otherwise (also
    when a concurrent create won: the create reports AlreadyExists instead of failing)."""
    described = [{"Name": n, "Type": t} for n, t in columns]
    if table_columns(glue, table) is None:
        create_table(glue, table, partition_columns, described)
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


def create_table(glue: Any, table: Table, partition_columns: Sequence[str], columns: Sequence[dict[str, str]]) -> None:
    """An external Parquet table partitioned by string keys (a concurrent create is fine)."""
    try:
        glue.create_database(DatabaseInput={"Name": table.database})
    except Exception as exc:
        if code(exc) != "AlreadyExistsException":
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
        if code(exc) != "AlreadyExistsException":
            raise glue_error(exc) from exc


def code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def glue_error(exc: Exception) -> Exception:
    if code(exc) in ("AccessDeniedException", "InvalidInputException", "ValidationException"):
        return TerminalError(f"Glue refused the request: {exc}")
    return TransientError(f"Glue error ({type(exc).__name__}: {exc})")
