"""What a Snowflake error is: by the connector's error number or class
(:data:`SNOWFLAKE_ERRORS`, :func:`error_rule`), and where a failed COPY says its first bad
row is (:func:`copy_error`)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from manifests import ConfigError, LoaderError, TerminalError, TransientError

#: Where Snowflake's COPY error text names the first bad row (ON_ERROR = ABORT_STATEMENT).
_WHERE = re.compile(r"File '(?P<file>[^']+)', line (?P<line>\d+), character (?P<char>\d+)")
_COLUMN = re.compile(r'column "[^"]*"\["(?P<column>[^"]+)":\d+\]')

#: What a Snowflake error is, by its error number (``errno`` of the connector's errors:
#: the server's code, or the connector's own from snowflake/connector/errorcode.py) or, for
#: an HTTP failure, by the connector's class. Looked up in this order: the error's own
#: class when it names an HTTP status (a 403 at login carries the errno of a failed
#: connection, 250001, but is the account's or a network policy's to fix), then the errno,
#: then the DB-API classes it derives from; anything else the server refused is terminal.
SNOWFLAKE_ERRORS: Mapping[int | str, tuple[type[LoaderError], str]] = {
    # login: the server's codes. The credential rejections are the connector's own list
    # (CREDENTIAL_REJECTION_GS_CODES in snowflake/connector/network.py, SQLSTATE 28000).
    390100: (ConfigError, "incorrect username or password"),
    390144: (ConfigError, "the key pair's token was refused"),
    **{code: (ConfigError, "the key pair's token was refused") for code in range(394300, 394307)},
    390189: (ConfigError, "the role the url names does not exist or is not granted to the user"),
    # "The requested warehouse does not exist or not authorized", SQLSTATE 08006 (so not
    # by the SQLSTATE's class): https://github.com/snowflakedb/snowflake-connector-net/issues/537
    390201: (ConfigError, "the database or warehouse the url names does not exist or is not authorized"),
    390112: (TransientError, "the session expired"),
    390114: (TransientError, "the session's token expired"),
    # statements: the objects loaders uses are the configured database, schema and stage,
    # or tables it creates itself; one it cannot see is the configuration's or a grant's
    606: (ConfigError, "no active warehouse: name one in the url (?warehouse=) or as the user's default"),
    2003: (ConfigError, "an object does not exist or the role is not authorized on it"),
    2043: (ConfigError, "an object does not exist, or the role may not perform the operation"),
    3001: (ConfigError, "the role lacks a privilege this load needs"),
    # SQLSTATE 57014, canceled: a statement timeout (STATEMENT_TIMEOUT_IN_SECONDS,
    # https://docs.snowflake.com/en/sql-reference/parameters#statement-timeout-in-seconds),
    # a lock wait past LOCK_TIMEOUT or too many waiters on one lock
    # (https://docs.snowflake.com/en/sql-reference/transactions#resource-locking)
    604: (TransientError, "the statement was canceled"),
    625: (TransientError, "the statement waited too long for a lock, or timed out"),
    630: (TransientError, "the statement reached its statement or warehouse timeout"),
    # the connector's own (snowflake/connector/errorcode.py)
    250001: (TransientError, "could not connect to Snowflake"),
    250002: (TransientError, "the connection is closed"),
    250003: (TransientError, "a request to Snowflake failed"),
    250005: (TransientError, "a request to Snowflake failed"),
    251011: (TransientError, "the connection timed out"),
    251012: (TransientError, "Snowflake answered with a code worth retrying"),
    252007: (TransientError, "the session could not be renewed"),
    252010: (TransientError, "a result chunk could not be downloaded"),
    251001: (ConfigError, "the url names no account"),
    251005: (ConfigError, "the url names no user"),
    251006: (ConfigError, "the url has no password"),
    251007: (ConfigError, "a connection setting has an invalid value"),
    251008: (ConfigError, "the private key is not valid"),
    # an HTTP status, by the connector's class (errors.py)
    "ForbiddenError": (ConfigError, "Snowflake refused the request (403): the account name, or a network policy"),
    "BadRequest": (TerminalError, "Snowflake refused the request (400)"),
    "TooManyRequests": (TransientError, "Snowflake is throttling requests (429)"),
    "RequestTimeoutError": (TransientError, "the request timed out (408)"),
    "InternalServerError": (TransientError, "Snowflake had an internal error (500)"),
    "BadGatewayError": (TransientError, "Snowflake was unavailable (502)"),
    "ServiceUnavailableError": (TransientError, "Snowflake was unavailable (503)"),
    "GatewayTimeoutError": (TransientError, "Snowflake did not answer in time (504)"),
    "OtherHTTPRetryableError": (TransientError, "Snowflake answered with an HTTP status worth retrying"),
    # DB-API classes, when no number decided: the network
    "OperationalError": (TransientError, "the connection to Snowflake failed"),
    "InterfaceError": (TransientError, "the connection to Snowflake failed"),
}
#: the DB-API classes: an error's own class decides before its number only when it is none of these
_DBAPI = frozenset(
    ["Error", "InterfaceError", "DatabaseError", "DataError", "OperationalError", "IntegrityError", "InternalError",
     "ProgrammingError", "NotSupportedError"]
)  # fmt: skip


def error_rule(exc: BaseException) -> tuple[type[LoaderError], str] | None:
    """The row of :data:`SNOWFLAKE_ERRORS` for a connector error; None when no row names it."""
    own = type(exc).__name__
    if own not in _DBAPI and own in SNOWFLAKE_ERRORS:
        return SNOWFLAKE_ERRORS[own]
    errno = getattr(exc, "errno", None)
    if isinstance(errno, int) and errno in SNOWFLAKE_ERRORS:
        return SNOWFLAKE_ERRORS[errno]
    return next((SNOWFLAKE_ERRORS[c.__name__] for c in type(exc).__mro__ if c.__name__ in SNOWFLAKE_ERRORS), None)


def copy_error(message: str, stage_url: str) -> TerminalError:
    """A COPY aborted by its first bad row: Snowflake names the file (relative to the
    stage), the line, the character and the column in the error text."""
    where, column = _WHERE.search(message), _COLUMN.search(message)
    detail = [f"line {where['line']}, character {where['char']}"] if where else []
    detail += [f"column {column['column']}"] if column else []
    text = f"COPY failed: {message.strip().partition(chr(10))[0]}" + (f" ({', '.join(detail)})" if detail else "")
    file = where["file"] if where else None
    if file and "://" not in file:  # relative to the stage, maybe written @stage/path
        file = stage_url + (file.split("/", 1)[1] if file.startswith("@") else file)
    return TerminalError(text, file=file)
