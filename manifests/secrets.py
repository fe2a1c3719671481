"""Secrets never leave the process: one register of them, one ``redact`` for every output.

Sink URLs and options carry credentials, and a URL that does not parse, or an engine's
error, can repeat them anywhere. So each secret is registered here as soon as it is
known — when the configuration is read (passwords of sink URLs, ``password``/``token``/
``private_key``-like query values and options, the ``${VAR}`` values substituted where
credentials go) and when a sink parses its URL — and every path by which text leaves the
process passes through :func:`redact`: the command line's stdout and stderr
(:class:`RedactingStream`), log records (:class:`RedactingFilter`, and the Lambda's log
stream), dead letters, the error recorded in a state table, logged and compiled SQL.

``redact`` replaces every registered value (and its percent-, form- and JSON-encoded
spellings) with ``***``, then hides by pattern what was never registered: the password
of any ``scheme://user:password@`` URL, ``password=…``-like parameters, and SQL's
``PASSWORD '…'`` / ``CREDENTIALS '…'`` literals. A value shorter than
:data:`MIN_LENGTH` is not registered: it would turn ordinary words into ``***``
everywhere, and inside a URL the pattern still hides it.

This module is the ground floor (every layer writes text out) and must stay cheap to
import: SQLAlchemy, which reads sink URLs as its users know them, is imported only by
the functions that parse one.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from manifests.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

MASK = "***"
#: Shorter values are not registered (see the module docstring).
MIN_LENGTH = 6

#: Names of settings and parameters whose value is a secret: any name containing one of
#: these words (``password``, ``private_key_file_pwd``, ``aws_secret_access_key``, ``token``…).
SECRET_WORDS = (
    r"password|passwd|pwd|passcode|passphrase|secret|token|credentials?|private_key|master_key|aws_key_id"
)
_NAME = rf"[A-Za-z0-9_]*(?:{SECRET_WORDS})[A-Za-z0-9_]*"
_SECRET_NAME = re.compile(rf"(?i){_NAME}")
#: SQL: ``PASSWORD = '…'``, ``CREDENTIALS '…'``, ``token: '…'``
_QUOTED = re.compile(rf"(?i)\b({_NAME})(\s*[=:]?\s*)'[^']*'")
#: ``aws_secret_access_key=…`` inside a string, ``?password=…&`` in a URL
_ASSIGNED = re.compile(rf"(?i)\b({_NAME})=([^\s;&'\"]+)")
#: the password of ``scheme://user:password@host``, up to the last ``@`` of the word
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-_]*://[^\s:/@'\"]*:)[^\s'\"]*@")

_lock = threading.Lock()
_known: set[str] = set()
_pattern: re.Pattern[str] | None = None


# -- the register ---------------------------------------------------------------------------


def is_secret_name(name: str) -> bool:
    """Whether a setting or parameter of this name holds a secret."""
    return bool(_SECRET_NAME.fullmatch(name))


def register(*values: str | None) -> None:
    """Hide these values from now on, in every spelling an output may use."""
    global _pattern
    forms: set[str] = set()
    for value in values:
        if not isinstance(value, str) or len(value) < MIN_LENGTH:
            continue
        for form in (value, unquote(value), unquote_plus(value)):
            forms |= {form, quote_plus(form, safe=""), repr(form)[1:-1]}
            forms |= {quote(form, safe=safe) for safe in ("", "/", "/?", "/?:", "/=+,@:")}
            forms.add(re.sub(r"[:@/]", lambda m: f"%{ord(m.group()):X}", form))  # as SQLAlchemy renders it
            forms |= {json.dumps(form)[1:-1], json.dumps(form, ensure_ascii=False)[1:-1]}
    forms = {f for f in forms if len(f) >= MIN_LENGTH}
    with _lock:
        if forms <= _known:
            return
        _known.update(forms)
        # longest first: a secret that contains another is hidden whole
        _pattern = re.compile("|".join(re.escape(f) for f in sorted(_known, key=len, reverse=True)))


def register_url(url: str) -> None:
    """The secrets of a configured URL, found without parsing it: it may not parse. Every
    candidate password is registered (from the first ``:`` of the user information to each
    ``@``: a password may hold an unencoded ``@``, ``/`` or ``?``), and the values of
    secret-named query parameters."""
    rest = url.partition("://")[2] if "://" in url else url  # a URL missing its scheme too
    for at in (i for i, c in enumerate(rest) if c == "@"):
        user, colon, password = rest[:at].partition(":")
        if colon and "/" not in user:
            register(password)
    for i in (i for i, c in enumerate(rest) if c == "?"):  # a password may hold "?" too
        for pair in rest[i + 1 :].split("&"):
            key, _eq, value = pair.partition("=")
            if is_secret_name(unquote_plus(key)):
                register(value)


def forget_all() -> None:
    """Empty the register (tests that plant secrets of their own)."""
    global _pattern
    with _lock:
        _known.clear()
        _pattern = None


# -- hiding ---------------------------------------------------------------------------------


def redact(text: str) -> str:
    """``text`` with every known secret, and anything shaped like one, as ``***``."""
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    text = _USERINFO.sub(rf"\1{MASK}@", text)
    text = _QUOTED.sub(rf"\1\2'{MASK}'", text)
    return _ASSIGNED.sub(rf"\1={MASK}", text)


def redact_all(value: Any) -> Any:
    """Every string inside a JSON-like value redacted (dead letters, ``--json`` documents)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_all(k): redact_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_all(v) for v in value)
    return value


def error_text(error: BaseException, limit: int = 2000) -> str:
    """An error as a state table records it: class and message, redacted, then cut (so a
    cut never leaves half a secret showing)."""
    return redact(f"{type(error).__name__}: {error}")[:limit]


def hide_password(url: str) -> str:
    """A configured URL fit for a message: the password as ``***`` as SQLAlchemy renders it
    (``render_as_string(hide_password=True)``), and every known secret hidden — all the
    more when the URL does not parse at all."""
    if url.count("@") > 1:  # SQLAlchemy would end the password at the first "@" and show the rest
        return redact(url)  # the pattern hides up to the last one
    try:
        from sqlalchemy.engine import make_url

        shown = make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: the register and the patterns hide it
        shown = url
    return redact(shown)


# -- sink URLs ------------------------------------------------------------------------------


def sink_url(url: str, schemes: Sequence[str], form: str) -> URL:
    """A sink's URL read by SQLAlchemy (``make_url``): what users of SQLAlchemy URLs expect,
    so a password holding ``/``, ``?`` or ``:`` needs no encoding (``@`` and ``%`` do:
    ``%40``, ``%25``). Its secrets are registered first; a URL that does not parse, has
    another scheme or more than one ``@`` is a ConfigError showing it with them hidden."""
    register_url(url)
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is no number
        reason = "not a URL" if isinstance(exc, ArgumentError) else redact(str(exc))
        raise ConfigError(f"sink url {hide_password(url)!r}: {reason}; expected {form}") from None
    register(parsed.password)
    for key, value in parsed.query.items():
        if is_secret_name(key):
            register(*([value] if isinstance(value, str) else value))
    if parsed.drivername not in schemes:
        raise ConfigError(f"sink url {hide_password(url)!r}: expected {form}")
    if url.count("@") > 1:  # which "@" ends the password? SQLAlchemy takes the first; refuse to guess
        raise ConfigError(f"sink url {hide_password(url)!r}: more than one '@': write an '@' of a value as %40")
    return parsed


def query_args(parsed: URL) -> dict[str, str]:
    """Query parameters as driver keyword arguments; of one given twice, the last."""
    return {k: v if isinstance(v, str) else v[-1] for k, v in parsed.query.items()}


# -- outputs ----------------------------------------------------------------------------------


class RedactingStream(io.TextIOBase):
    """A text stream that redacts what is written to it, then passes it on: the command
    line's stdout and stderr, the Lambda's log stream. Each write is redacted whole; the
    writers here (click, logging, json) write a message in one call."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(redact(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", "utf-8")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def guarded(stream: TextIO) -> TextIO:
    """``stream`` wrapped once in a RedactingStream."""
    return stream if isinstance(stream, RedactingStream) else RedactingStream(stream)  # type: ignore[return-value]


#: LogRecord attributes that are not a caller's ``extra`` fields
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """Redacts a log record before any handler sees it: the message, its arguments, the
    ``extra`` fields (the Lambda's JSON keys) and the traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict):
            record.msg = redact_all(record.msg)
        else:
            try:
                record.msg, record.args = redact(record.getMessage()), None
            except Exception:  # arguments that do not fit: logging reports that itself
                record.msg = redact(str(record.msg))
        for key, value in list(vars(record).items()):
            if key not in _RECORD_FIELDS:
                setattr(record, key, redact_all(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


_FILTER = RedactingFilter()


def guard_logging(*loggers: str) -> None:
    """Install the filter on these loggers and on every handler of them and of the root
    logger (a logger's own filter does not see its children's records; a handler's does)."""
    for name in ("", *loggers):
        logger = logging.getLogger(name)
        for target in (logger, *logger.handlers):
            if _FILTER not in target.filters:
                target.addFilter(_FILTER)
