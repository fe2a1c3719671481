"""The Athena sink: Hive tables (the default) or Iceberg tables, by ``table_format``.

    hive.py           Hive tables: Parquet under content-addressed prefixes, one Glue call
                      switches a partition (hive_stage.py writes the prefix, glue.py calls Glue)
    iceberg.py        Iceberg tables: idempotent Athena SQL statements (iceberg_stage.py
                      writes the staging files, templates.py renders, errors.py sorts failures)
    parquet.py        Hive column types, Parquet part files, the merge's latest row per key
    settings.py       the options both read, their boto3 clients, Iceberg's pyathena cursor
    state.py          a partition's state object in S3, changed by conditional writes only
    lease.py          the state's changes: the fenced lease, records, failures, reset

:func:`open_athena` is what the registry opens; it imports the chosen sink's module only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from manifests.store import ObjectStore
from sinks.athena.templates import AthenaTemplates  # what sql/athena/ renders (and sqlfluff lints) with
from sinks.options import AthenaOptions

if TYPE_CHECKING:
    from sinks.athena.hive import AthenaHiveSink
    from sinks.athena.iceberg import AthenaIcebergSink

__all__ = ["AthenaTemplates", "open_athena"]


def open_athena(
    name: str, options: Mapping[str, Any], store: ObjectStore, project_dir: str | None = None
) -> AthenaHiveSink | AthenaIcebergSink:
    """The sink ``sinks.<name>`` configures: Iceberg tables through Athena SQL when its
    ``table_format`` is ``"iceberg"``, else Hive tables switched through Glue."""
    if AthenaOptions.read(name, options).table_format == "iceberg":
        from sinks.athena.iceberg import AthenaIcebergSink

        return AthenaIcebergSink(name, options, store, project_dir)
    from sinks.athena.hive import AthenaHiveSink

    return AthenaHiveSink(name, options, store, project_dir)
