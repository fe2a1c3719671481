"""The SQLSTATE table PostgreSQL and Redshift share: every row, on the drivers' own errors.

psycopg's errors are built as psycopg builds them (``psycopg.errors.lookup(sqlstate)``);
redshift_connector's carry the server's fields in a dict (``{"C": sqlstate, "M": …}``),
under the DB-API class names it raises, which is all the table reads of them.
"""

from __future__ import annotations

import pytest

from manifests import ConfigError, LoaderError, TerminalError, TransientError
from sinks.sql.sqlstate import (
    REDSHIFT_ERRORS,
    SQLSTATES,
    WITHOUT_SQLSTATE,
    connect_failure,
    rule,
    state_rule,
    statement_failure,
)

psycopg = pytest.importorskip("psycopg", reason="pip install 'loaders[postgres]'")


class InterfaceError(Exception):
    """redshift_connector.InterfaceError's shape: the server's fields, or the driver's words."""


class ProgrammingError(Exception):
    """redshift_connector.ProgrammingError's shape."""


class OperationalError(Exception):
    """redshift_connector.OperationalError's shape."""


def a_code_of(key: str) -> str:
    """A real SQLSTATE the row covers: itself, or a member of the class it names."""
    if len(key) == 5:
        return key
    return {"08": "08006", "28": "28P01", "40": "40001", "53": "53300", "57": "57P01"}[key]


@pytest.mark.parametrize("key", sorted(SQLSTATES))
def test_every_sqlstate_row_sorts_a_psycopg_error(key: str) -> None:
    code = a_code_of(key)
    exc = psycopg.errors.lookup(code)("the server's words")
    kind, why = SQLSTATES[key]
    assert rule(exc, connecting=False) == (kind, why)
    failure = statement_failure("pg", "merge", exc)
    assert type(failure) is kind and failure.transient is (kind is TransientError)


@pytest.mark.parametrize("key", sorted(REDSHIFT_ERRORS))
def test_every_redshift_row_sorts_a_redshift_connector_error(key: str) -> None:
    state, _, number = key.partition(":")
    exc = ProgrammingError({"S": "ERROR", "C": a_code_of(state), "M": number or "the server's words"})
    assert rule(exc, connecting=False, table=REDSHIFT_ERRORS) == REDSHIFT_ERRORS[key]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("28P01", ConfigError),  # invalid_password
        ("28000", ConfigError),  # invalid_authorization_specification
        ("3D000", ConfigError),  # invalid_catalog_name: no such database
        ("3F000", ConfigError),  # invalid_schema_name
        ("42501", ConfigError),  # insufficient_privilege
        ("40001", TransientError),  # serialization_failure
        ("40P01", TransientError),  # deadlock_detected
        ("55P03", TransientError),  # lock_not_available
        ("57014", TransientError),  # query_canceled: statement_timeout
        ("53300", TransientError),  # too_many_connections
        ("57P01", TransientError),  # admin_shutdown
        ("08006", TransientError),  # connection_failure
        ("57P04", ConfigError),  # database_dropped: the exact code wins over its class
        ("40002", TerminalError),  # a deferred constraint at commit: not a conflict that passes
        ("22012", TerminalError),  # division_by_zero: no row, refused
        ("42P01", TerminalError),  # undefined_table
        ("23505", TerminalError),  # unique_violation
    ],
)
def test_a_handful_of_codes_by_their_literal_class(code: str, expected: type[LoaderError]) -> None:
    assert state_rule(code)[0] is expected
    assert type(statement_failure("pg", "x", psycopg.errors.lookup(code)("m"))) is expected


def test_redshift_error_1023_is_transient_and_other_xx000_terminal() -> None:
    violation = ProgrammingError({"S": "ERROR", "C": "XX000", "M": "1023", "D": "Serializable isolation violation"})
    assert rule(violation, connecting=False, table=REDSHIFT_ERRORS)[0] is TransientError
    other = ProgrammingError({"S": "ERROR", "C": "XX000", "M": "Load into table 'x' failed."})
    assert rule(other, connecting=False, table=REDSHIFT_ERRORS)[0] is TerminalError
    assert rule(violation, connecting=False)[0] is TerminalError  # PostgreSQL has no error 1023


@pytest.mark.parametrize(("connecting", "cls"), sorted(WITHOUT_SQLSTATE))
def test_every_row_without_sqlstate(connecting: bool, cls: str) -> None:
    if cls == "OSError":  # a driver error wrapping the socket's, as redshift_connector raises
        exc: Exception = InterfaceError("communication error", ConnectionRefusedError(111, "refused"))
    else:
        exc = {"ProgrammingError": ProgrammingError, "OperationalError": OperationalError}.get(cls, InterfaceError)("m")
    assert rule(exc, connecting=connecting) == WITHOUT_SQLSTATE[(connecting, cls)]


def test_psycopgs_own_errors_without_sqlstate() -> None:
    invalid_option = psycopg.ProgrammingError('invalid connection option "bogus_option"')
    assert rule(invalid_option, connecting=True)[0] is ConfigError
    refused = psycopg.OperationalError("connection failed: Connection refused")
    assert rule(refused, connecting=True)[0] is TransientError
    assert rule(psycopg.errors.ConnectionTimeout("timeout expired"), connecting=True)[0] is TransientError
    assert rule(psycopg.OperationalError("server closed the connection"), connecting=False)[0] is TransientError
    assert rule(psycopg.InterfaceError("the connection is closed"), connecting=False)[0] is TransientError
    # a ProgrammingError on a statement is a bug of ours, not the configuration's
    assert rule(psycopg.ProgrammingError("the query has 1 placeholder"), connecting=False)[0] is TerminalError


def test_redshift_connects_refused_by_the_server_or_the_driver() -> None:
    password = InterfaceError({"S": "FATAL", "C": "28000", "M": 'password authentication failed for user "u"'})
    failure = connect_failure("rs", "h:5439/db", password, table=REDSHIFT_ERRORS)
    assert isinstance(failure, ConfigError)
    assert str(failure) == (
        "rs: cannot connect to h:5439/db: the server refused the user or password "
        '(SQLSTATE 28000: password authentication failed for user "u")'
    )
    database = ProgrammingError({"S": "FATAL", "C": "3D000", "M": 'database "nope" does not exist'})
    assert isinstance(connect_failure("rs", "h", database, table=REDSHIFT_ERRORS), ConfigError)
    socket = InterfaceError("communication error", ConnectionRefusedError(111, "Connection refused"))
    assert isinstance(connect_failure("rs", "h", socket, table=REDSHIFT_ERRORS), TransientError)
    timeout = OperationalError("connection time out", TimeoutError("timed out"))
    assert isinstance(connect_failure("rs", "h", timeout, table=REDSHIFT_ERRORS), TransientError)
    settings = InterfaceError("Connection parameter db_user must be specified when using IAM authentication")
    assert isinstance(connect_failure("rs", "h", settings, table=REDSHIFT_ERRORS), ConfigError)


def test_a_connect_state_read_elsewhere_decides() -> None:
    """psycopg's error of a refused connection has no SQLSTATE; the one read from the
    server's answer (startup_sqlstate) is given beside it."""
    exc = psycopg.OperationalError('connection failed: FATAL:  database "nope" does not exist')
    failure = connect_failure("pg", "127.0.0.1:5432/nope", exc, "3D000")
    assert isinstance(failure, ConfigError)
    assert "the database does not exist (SQLSTATE 3D000: connection failed: FATAL: database" in str(failure)
    assert isinstance(connect_failure("pg", "127.0.0.1:1/db", exc), TransientError)
