"""The Athena sink: Hive tables (hive.py) or Iceberg tables (iceberg.py), by ``table_format``."""

from sinks.athena.hive import AthenaSink

__all__ = ["AthenaSink"]
