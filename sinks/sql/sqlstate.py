"""What a PostgreSQL or Redshift error means for a load: one table, by SQLSTATE.

The server says what kind of error it raised in the SQLSTATE it sends (five characters,
the first two its class: https://www.postgresql.org/docs/current/errcodes-appendix.html).
Redshift speaks the same protocol and the same codes, so :mod:`sinks.postgres` and
:mod:`sinks.redshift` share this table; Redshift adds the rows of its own error numbers
(:data:`REDSHIFT_ERRORS`). Nothing is decided from the message's words.

* ``TransientError``: the connection (08), a conflict with another transaction (40:
  serialization failure, deadlock), the server's resources (53: too many connections,
  out of memory or disk), a lock that was not granted in time (55P03), the operator (57:
  statement timeout or cancel, shutdown, starting up). The same load may succeed later.
* ``ConfigError``: the sink's configuration must change first: the user or password (28),
  the database (3D000) or schema (3F000) the URL names, a privilege the user lacks
  (42501: a grant is configuration too; the same user would be refused again).
* ``TerminalError``: any other code: the server refused this statement, and would again.

A DB-API error with no SQLSTATE is the driver's own, decided by its class and whether it
came while connecting (:data:`WITHOUT_SQLSTATE`): an invalid connection option is a
ConfigError, a server that cannot be reached or a connection that broke is transient.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import time
from collections.abc import Mapping

from manifests import ConfigError, LoaderError, TerminalError, TransientError

#: what a failure is, and why, for the message
Rule = tuple[type[LoaderError], str]

#: SQLSTATE (an exact code, or a two-character class) → rule; the exact code wins
SQLSTATES: Mapping[str, Rule] = {
    "08": (TransientError, "the connection failed or broke"),
    "28": (ConfigError, "the server refused the user or password"),
    "3D000": (ConfigError, "the database does not exist"),
    "3F000": (ConfigError, "the schema does not exist"),
    "42501": (ConfigError, "the user lacks a privilege this load needs: grant it, or connect as another user"),
    "40": (TransientError, "the transaction lost a conflict with another (serialization failure, deadlock)"),
    "40002": (TerminalError, "a deferred constraint failed at commit"),
    "53": (TransientError, "the server is short of resources (too many connections, memory or disk)"),
    "55P03": (TransientError, "a lock was not granted in time"),
    "55006": (TransientError, "another session is using the object"),
    "57": (TransientError, "the operator intervened (statement timeout or cancel, shutdown, starting up)"),
    "57P04": (ConfigError, "the database was dropped"),
    # a standby, as the old primary is for a moment during a failover: the retry reconnects
    "25006": (TransientError, "the server accepts only reads (a standby, or during a failover)"),
}
#: Redshift's own error numbers, which it sends as the message of an XX000 error
#: (https://docs.aws.amazon.com/redshift/latest/dg/c_serial_isolation.html), then PostgreSQL's
REDSHIFT_ERRORS: Mapping[str, Rule] = {
    "XX000:1023": (TransientError, "serializable isolation violation: a concurrent transaction won"),
    **SQLSTATES,
}
#: (while connecting?, DB-API class name, or "OSError" for a driver error that wraps a
#: socket's) → rule, for an error that carries no SQLSTATE
WITHOUT_SQLSTATE: Mapping[tuple[bool, str], Rule] = {
    (True, "ProgrammingError"): (ConfigError, "the sink url has an option the driver does not take"),
    (True, "OperationalError"): (TransientError, "the server could not be reached (refused, unresolvable, timed out)"),
    (True, "OSError"): (TransientError, "the server could not be reached"),
    # redshift_connector's own refusal of its settings (IAM, SSL, authentication plugin)
    (True, "InterfaceError"): (ConfigError, "the driver refused the connection settings"),
    (False, "OperationalError"): (TransientError, "the connection broke"),
    (False, "InterfaceError"): (TransientError, "the connection is closed"),
    (False, "OSError"): (TransientError, "the connection broke"),
}


def sqlstate(exc: BaseException) -> str:
    """The SQLSTATE of a psycopg or redshift_connector error ('' when it has none)."""
    state = getattr(exc, "sqlstate", None)
    if state:
        return str(state)
    for arg in getattr(exc, "args", ()):
        if isinstance(arg, dict) and arg.get("C"):
            return str(arg["C"])
    return ""


def rule(exc: BaseException, *, connecting: bool, table: Mapping[str, Rule] = SQLSTATES) -> Rule:
    """The rule for a driver error: by its SQLSTATE (:func:`state_rule`); with none, by
    the error's class and whether it came while connecting."""
    state = sqlstate(exc)
    if state:
        return state_rule(state, table, _redshift_number(exc))
    wrapped = any(isinstance(a, OSError) for a in getattr(exc, "args", ()))
    classes = ("OSError",) if wrapped else tuple(c.__name__ for c in type(exc).__mro__)
    for cls in classes:
        if (connecting, cls) in WITHOUT_SQLSTATE:
            return WITHOUT_SQLSTATE[(connecting, cls)]
    return TerminalError, "the driver refused the statement"


def state_rule(state: str, table: Mapping[str, Rule] = SQLSTATES, number: str = "") -> Rule:
    """The row of ``STATE:number`` (Redshift's error number), else of the exact code,
    else of its class; a code no row names is terminal."""
    for key in (f"{state}:{number}" if number else "", state, state[:2]):
        if key and key in table:
            return table[key]
    return TerminalError, "the server refused the statement"


def connect_failure(
    name: str, where: str, exc: BaseException, state: str = "", table: Mapping[str, Rule] = SQLSTATES
) -> LoaderError:
    """The error a failed connection raises: the sink, where, why, the code and the
    server's words. ``state``: the SQLSTATE the driver did not carry (:func:`startup_sqlstate`)."""
    state = state or sqlstate(exc)
    kind, why = state_rule(state, table) if state else rule(exc, connecting=True, table=table)
    code = f"SQLSTATE {state}: " if state else ""
    words = " ".join(engine_message(exc).split()) or type(exc).__name__
    return kind(f"{name}: cannot connect to {where}: {why} ({code}{words})")


def statement_failure(name: str, step: str, exc: BaseException, table: Mapping[str, Rule] = SQLSTATES) -> LoaderError:
    """The error a failed statement raises: the sink, the step and the server's words, and
    why when it is not simply refused (transient, or the configuration's to fix)."""
    kind, why = rule(exc, connecting=False, table=table)
    text = f"{name}: step {step} failed: {engine_message(exc)}"
    return kind(text if kind is TerminalError else f"{text} ({why})")


def engine_message(exc: BaseException) -> str:
    """The server's message, without the driver's wrapping (redshift_connector puts a dict
    of protocol fields in ``args``)."""
    for arg in getattr(exc, "args", ()):
        if isinstance(arg, dict) and arg.get("M"):
            return str(arg["M"])
    return str(exc).strip()


def _redshift_number(exc: BaseException) -> str:
    """Redshift's error number, which it sends as the whole message of some XX000 errors."""
    for arg in getattr(exc, "args", ()):
        if isinstance(arg, dict) and str(arg.get("M", "")).isdigit():
            return str(arg["M"])
    return ""


# -- the SQLSTATE of a refused connection ---------------------------------------------------

#: one protocol message of libpq's trace: ``B <length> ErrorResponse <fields>``
_ERROR_RESPONSE = re.compile(r'^B\t\S+\tErrorResponse\t(?: [SV] "[^"]*")* C "([0-9A-Z]{5})"', re.MULTILINE)


def startup_sqlstate(conninfo: str, timeout: float = 10.0) -> str:
    """The SQLSTATE the server answered a connection attempt with; '' when it answered
    none (refused, unresolvable, timed out) or when it cannot be read here.

    libpq keeps the SQLSTATE of a refused connection to itself: psycopg's error for an
    unknown database or a wrong password has ``sqlstate`` None, like one for a closed
    port. So the attempt is made once more on libpq's own API with its protocol trace on
    (``PQtrace``, to a file in memory only, since the trace holds what the client sent),
    and the code is read from the server's ErrorResponse message in it: the code the
    server sent, not its words. Linux only (memfd); elsewhere ''."""
    if not hasattr(os, "memfd_create"):
        return ""
    fd = os.memfd_create("loaders-pq-trace")
    try:
        _attempt(conninfo, fd, timeout)
        os.lseek(fd, 0, os.SEEK_SET)
        found = _ERROR_RESPONSE.findall(os.read(fd, 1 << 20).decode("utf-8", "replace"))
        return found[-1] if found else ""
    except Exception:  # a conninfo or socket libpq refused before tracing: no answer to read
        return ""
    finally:
        os.close(fd)


def _attempt(conninfo: str, fd: int, timeout: float) -> None:
    """One connection attempt, traced to ``fd``, polled until it ends or ``timeout`` passes."""
    from psycopg import pq

    conn = pq.PGconn.connect_start(conninfo.encode())
    try:
        conn.trace(fd)
        conn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        deadline = time.monotonic() + timeout
        status: int = pq.PollingStatus.WRITING  # connect_poll() answers a plain int
        while status not in (pq.PollingStatus.OK, pq.PollingStatus.FAILED) and time.monotonic() < deadline:
            wait = max(0.0, deadline - time.monotonic())
            if status == pq.PollingStatus.READING:
                select.select([conn.socket], [], [], wait)
            elif status == pq.PollingStatus.WRITING:
                select.select([], [conn.socket], [], wait)
            status = conn.connect_poll()
        conn.untrace()  # flushes the trace
    finally:
        with contextlib.suppress(Exception):
            conn.finish()
