"""The SQL core every SQL sink is built on.

client.py       SqlClient: templates rendered, a step's statements run, engine errors
                translated, statements logged with secrets redacted
recording.py    the port the client runs through: the engine, or the recorder that
                ``loaders compile`` swaps in, and the sample answers it gives
transaction.py  SqlSink: the load transaction (stage, lock, check, apply, record)
apply.py        its apply and record steps; state.py: its state reads and reset
templates.py    the templates and their one quoting filter; sqlstate.py: SQLSTATE
                and Redshift error codes; columntypes.py: column types compared
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sinks.sql.apply import Staged
    from sinks.sql.client import SqlClient
    from sinks.sql.recording import ENGINE, Engine, Port, Recorded, Recorder, sample_answers
    from sinks.sql.state import STATE_STEPS, STATE_TABLES
    from sinks.sql.transaction import SqlSink

#: what the package exports, and the module holding each: imported on first use, so that
#: importing one module of the core (columntypes, say) does not import all of it
_EXPORTS = {
    "ENGINE": "recording",
    "Engine": "recording",
    "Port": "recording",
    "Recorded": "recording",
    "Recorder": "recording",
    "sample_answers": "recording",
    "SqlClient": "client",
    "SqlSink": "transaction",
    "Staged": "apply",
    "STATE_STEPS": "state",
    "STATE_TABLES": "state",
}
__all__ = [
    "ENGINE",
    "STATE_STEPS",
    "STATE_TABLES",
    "Engine",
    "Port",
    "Recorded",
    "Recorder",
    "SqlClient",
    "SqlSink",
    "Staged",
    "sample_answers",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"sinks.sql.{_EXPORTS[name]}"), name)
