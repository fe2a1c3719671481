"""The connection helpers PostgreSQL and Redshift share: a sink URL as connect arguments,
and one connection per thread (:class:`Sessions`)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import unquote

from manifests.secrets import query_args, sink_url


def connect_args(url: str, schemes: Sequence[str]) -> dict[str, Any]:
    """``scheme://user:password@host:port/database?key=value`` → keyword arguments, the URL
    read by SQLAlchemy (a password may hold ``/``, ``?`` or ``:`` unencoded).

    Query parameters pass through unchanged (``sslmode``, ``application_name``, IAM
    options…); user, password and database are URL-decoded. Nothing connects here.
    """
    parsed = sink_url(url, schemes, f"{schemes[0]}://user@host:port/database")
    args: dict[str, Any] = {
        "host": parsed.host,
        "port": parsed.port,
        "user": parsed.username,
        "password": parsed.password,
        "database": unquote(parsed.database) if parsed.database else None,
    }
    args = {k: v for k, v in args.items() if v is not None}
    args.update(query_args(parsed))
    return args


class Sessions:
    """One connection per thread, opened on first use.

    The runner shares one sink object between the threads of a backfill, and a
    transaction belongs to a connection: each thread gets its own, so concurrent loads of
    one sink never interleave their statements. Temporary staging tables are per session
    too, which is what makes them private to an attempt.
    """

    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect
        self._local = threading.local()
        self._open: list[Any] = []
        self._guard = threading.Lock()

    @property
    def local(self) -> threading.local:
        """Per-thread scratch space of the sink (the pending COPY feed)."""
        return self._local

    def get(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._guard:
                self._open.append(conn)
        return conn

    def drop(self) -> None:
        """Forget this thread's connection after it broke; the next statement reconnects."""
        conn, self._local.conn = getattr(self._local, "conn", None), None
        if conn is not None:
            with self._guard:
                self._open = [c for c in self._open if c is not conn]
            _close_quietly(conn)

    def close(self) -> None:
        with self._guard:
            conns, self._open = self._open, []
        for conn in conns:
            _close_quietly(conn)
        self._local = threading.local()


def _close_quietly(conn: Any) -> None:
    with contextlib.suppress(Exception):  # already gone: closing is only tidying up
        conn.close()
