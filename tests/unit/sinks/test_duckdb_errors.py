"""DuckDB's error table: every row, on DuckDB's own exception classes, and opening a file.

DuckDB's errors carry no code: the table is by class. Opening a database file is checked
on real files: one another process holds is busy, one that is no database is the
configuration's to fix, as is a setting DuckDB does not take.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from manifests import ConfigError, LoaderError, MalformedFileError, SinkBusyError, TerminalError, TransientError
from sinks.duckdb import DUCKDB_ERRORS, DuckDBSink
from tests.lake import Lake


def sink(tmp_path: Path, url: str = "duckdb:///warehouse.duckdb") -> DuckDBSink:
    return DuckDBSink("local", {"url": url}, Lake(tmp_path / "lake").store, str(tmp_path))


@pytest.mark.parametrize("name", sorted(DUCKDB_ERRORS))
def test_every_row_sorts_its_error(tmp_path: Path, name: str) -> None:
    exc = getattr(duckdb, name)("DuckDB's words")
    kind, why = DUCKDB_ERRORS[name]
    failure = sink(tmp_path)._translate(exc, "merge")
    assert type(failure) is kind and failure.transient is (kind is TransientError)
    assert "DuckDB's words" in str(failure)
    assert kind is TerminalError or str(failure).endswith(f"({why})")


@pytest.mark.parametrize(
    ("exc", "step", "expected"),
    [
        (duckdb.TransactionException("Catalog write-write conflict on create"), "merge", TransientError),
        (duckdb.TransactionException("conflict"), "stage", TransientError),
        (duckdb.HTTPException("HTTP 503"), "merge", TransientError),  # an IOException, by its own class
        (duckdb.CatalogException("Table with name x does not exist!"), "merge", TerminalError),
        (duckdb.BinderException('Referenced column "x" not found'), "merge", TerminalError),
        (duckdb.ParserException("syntax error"), "merge", TerminalError),
        # an ON CONFLICT clause in the words does not make a binder error a conflict
        (duckdb.BinderException("ON CONFLICT target is not a unique constraint"), "merge", TerminalError),
        (duckdb.ConstraintException("Duplicate key violates primary key constraint"), "merge", TerminalError),
        (duckdb.PermissionException("disabled by configuration"), "merge", ConfigError),
        # reading the unit's files: refined to the file's fault, still terminal
        (duckdb.InvalidInputException("CSV Error on Line: 2"), "stage", MalformedFileError),
        (duckdb.BinderException("no columns"), "describe", MalformedFileError),
        (duckdb.IOException("No files found that match the pattern"), "stage", TerminalError),
    ],
)
def test_a_handful_of_errors_by_their_literal_class(
    tmp_path: Path, exc: Exception, step: str, expected: type[LoaderError]
) -> None:
    assert type(sink(tmp_path)._translate(exc, step)) is expected


def test_a_file_another_process_holds_is_busy(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
         "sys.stdin.read()", str(tmp_path / "warehouse.duckdb")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(SinkBusyError, match=r"local: .*warehouse\.duckdb is open in another process"):
            sink(tmp_path).connection  # noqa: B018
    finally:
        holder.communicate("")


def test_a_file_that_is_no_database_or_a_setting_duckdb_does_not_take_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "warehouse.duckdb").write_bytes(b"not a database" * 500)
    with pytest.raises(ConfigError, match=r"local: cannot open .*warehouse\.duckdb: .*not a valid DuckDB database"):
        sink(tmp_path).connection  # noqa: B018
    with pytest.raises(ConfigError, match="bogus_setting"):
        sink(tmp_path, "duckdb:///other.duckdb?bogus_setting=1").connection  # noqa: B018
