"""Snowflake's error table: every row, on the connector's own error classes."""

from __future__ import annotations

from typing import Any

import pytest

from manifests import ConfigError, LoaderError, TerminalError, TransientError
from manifests.store import S3Store
from sinks.snowflake import SNOWFLAKE_ERRORS, SnowflakeSink, error_rule

errors = pytest.importorskip("snowflake.connector.errors", reason="pip install 'loaders[snowflake]'")

URL = "snowflake://loader:pw@acct-1/ANALYTICS/RAW?warehouse=LOAD_WH"


def sink() -> SnowflakeSink:
    return SnowflakeSink("sf", {"url": URL, "stage": "@lake_stage"}, S3Store("s3://lake"))


def raised(key: int | str) -> Exception:
    """The error the connector raises for a row: a numbered one as the server's (the
    connector's ProgrammingError or DatabaseError), a class as the connector makes it."""
    if isinstance(key, int):
        return errors.ProgrammingError(msg="the server's words", errno=key, sqlstate="XXXXX")
    cls: Any = getattr(errors, key)
    return cls(msg="the connector's words")


@pytest.mark.parametrize("key", sorted(SNOWFLAKE_ERRORS, key=str))
def test_every_row_sorts_its_error(key: int | str) -> None:
    kind, why = SNOWFLAKE_ERRORS[key]
    assert error_rule(raised(key)) == (kind, why)
    failure = sink()._translate(raised(key), "merge_insert")
    assert type(failure) is kind and failure.transient is (kind is TransientError)
    if kind is not TerminalError:
        assert str(failure).endswith(f"({why})")


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (errors.DatabaseError(msg="Incorrect username or password was specified.", errno=390100), ConfigError),
        (
            errors.DatabaseError(msg="Role 'X' does not exist or not authorized", errno=390189),
            ConfigError,
        ),
        (
            errors.DatabaseError(msg="No such warehouse", errno=390201, sqlstate="08006"),
            ConfigError,
        ),
        (errors.ProgrammingError(msg="No active warehouse selected", errno=606, sqlstate="57P03"), ConfigError),
        (errors.ProgrammingError(msg="Object 'X' does not exist or not authorized.", errno=2003), ConfigError),
        (errors.ProgrammingError(msg="Insufficient privileges to operate on schema", errno=3001), ConfigError),
        (
            errors.ProgrammingError(msg="Statement reached its timeout", errno=630),
            TransientError,
        ),
        (
            errors.ProgrammingError(msg="too many waiters for this lock", errno=625),
            TransientError,
        ),
        (errors.OperationalError(msg="Failed to connect to DB", errno=250001), TransientError),
        (errors.ServiceUnavailableError(), TransientError),
        (errors.ForbiddenError(msg="Verify the account name is correct", errno=250001), ConfigError),
        (errors.ProgrammingError(msg="SQL compilation error: syntax error", errno=1003), TerminalError),
        (errors.ProgrammingError(msg="no number"), TerminalError),
    ],
)
def test_a_handful_of_errors_by_their_literal_class(exc: Exception, expected: type[LoaderError]) -> None:
    assert type(sink()._translate(exc, "merge_insert")) is expected


def test_the_number_decides_not_the_words() -> None:
    """A lock in an object's name does not make a refusal transient, nor a number-less
    timeout in the text; the SQLSTATE's class does not decide either (390201 is 08006)."""
    named = errors.ProgrammingError(msg="Object 'LOCK_TIMEOUT_TABLE' does not exist", errno=2003)
    assert type(sink()._translate(named, "lock")) is ConfigError
    assert type(sink()._translate(Exception("Statement reached its timeout"), "merge_insert")) is TerminalError


def test_a_copy_refused_by_a_file_stays_a_copy_error_naming_it() -> None:
    message = "Numeric value 'abc' is not recognized\n  File 'data/b1-0.csv', line 3, character 5"
    failure = sink()._translate(errors.ProgrammingError(msg=message, errno=100038), "copy")
    assert type(failure) is TerminalError and failure.file == "s3://lake/data/b1-0.csv"
