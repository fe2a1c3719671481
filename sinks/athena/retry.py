"""The retry policy of the Athena sinks: a change that lost a race is read and decided again.

Every change of shared state here is optimistic (a conditional S3 write, a Glue update
naming the version it read), so losing a race to another loader raises a conflict that a
fresh read resolves. :func:`retried` runs such a change up to ``attempts`` times with the
sinks' one retry policy (:mod:`sinks.retrying`), waiting a few milliseconds between
attempts; the caller turns the conflict the last attempt raised into its own error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sinks import retrying

T = TypeVar("T")

#: the first wait after a lost race, and the longest (seconds): a race is over quickly
WAIT_INITIAL = 0.002
WAIT_MAX = 0.05


def retried(change: Callable[[], T], on: type[Exception], attempts: int) -> T:
    """``change()``, called again while it raises ``on``, at most ``attempts`` times in
    all; the last attempt's ``on`` is raised as it is."""
    return retrying.retried(change, on=on, attempts=attempts, wait=WAIT_INITIAL, wait_max=WAIT_MAX, jitter=WAIT_INITIAL)
