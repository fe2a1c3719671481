"""Staging for the sinks that read a unit's files themselves, with pyarrow.

PostgreSQL streams the files' rows into its stage (:func:`file_batches`, :func:`as_csv`);
Redshift COPYs them itself but reads their schemas here, to shape its stage. Both map
Arrow types to column types (:func:`column_type`, spelled per dialect by
:class:`TypeNames`), take the target's own types once it exists (:func:`stage_table`),
and name the manifest and the file in every error a file causes (:func:`read_error`).
Questions answered here rather than by the engine (a file's columns, the rows streamed)
go through the sink's port, so a recording answers them when ``loaders compile`` runs.

Every sink reads a file alike, so the same file gives the same outcome everywhere: a file
that is not valid in its format is refused whole (:class:`MalformedFileError`), never
half-read. CSV is read by pyarrow with DuckDB's dialect (``,``, ``"`` doubled to escape,
quoted newlines; :func:`csv_options`) and checked where pyarrow is more lenient than
DuckDB (:class:`~sinks.staging.csv_files.Counted`); JSON lines are read by DuckDB
itself, with the DuckDB sink's reader (``sql/duckdb/_reader.sql``), because pyarrow's
JSON reader has no strict mode (it joins an object split over lines, reads two objects
on one line, and turns a ``null`` line into a row). Column names every sink can hold are checked in one place
(:func:`check_column_names`).

    arrow_types.py    Arrow types as column types     files.py     a unit's files, read errors
    names.py          column names checked             csv_files.py CSV with pyarrow, as DuckDB
    duckdb_reader.py  DuckDB as the JSON-lines reader  reading.py   schemas and batches
    stage.py          a SQL sink's stage described and shaped like the target
"""

from sinks.staging.arrow_types import UNTYPED, TypeNames, checked_type, column_type
from sinks.staging.csv_files import csv_options, csv_parse_options, sniffed_types
from sinks.staging.files import File, engine_text, read_error, unit_files
from sinks.staging.names import check_column_names, check_merge_files, check_unit_columns, name_problem, raw_names
from sinks.staging.reading import as_csv, file_batches, file_schema, unify
from sinks.staging.stage import describe, stage_table

__all__ = [
    "UNTYPED",
    "File",
    "TypeNames",
    "as_csv",
    "check_column_names",
    "check_merge_files",
    "check_unit_columns",
    "checked_type",
    "column_type",
    "csv_options",
    "csv_parse_options",
    "describe",
    "engine_text",
    "file_batches",
    "file_schema",
    "name_problem",
    "raw_names",
    "read_error",
    "sniffed_types",
    "stage_table",
    "unify",
    "unit_files",
]
