"""The one retry policy sinks use for a step that lost a race, built on ``stamina``.

A load that finds the state changed under it, or a catalogue write that lost to a
concurrent one, tries again at once a fixed number of times, then gives up with the
error the caller chooses. ``wait`` (seconds between attempts, no growth, no jitter) is
zero unless the other party needs time::

    try:
        for attempt in retrying(Conflict, attempts=3):
            with attempt:
                return do()
    except Conflict:
        raise TransientError("… kept changing; retry") from None

or, for a function, ``retried(do, on=Conflict, attempts=3)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

import stamina

T = TypeVar("T")
Retryable = type[Exception] | tuple[type[Exception], ...]


def retrying(on: Retryable, attempts: int, *, wait: float = 0.0) -> Iterator[stamina.Attempt]:
    """Up to ``attempts`` attempts of a block, retried on ``on`` only, ``wait`` seconds
    apart; after the last, its ``on`` error propagates (anything else at once)."""
    return iter(
        stamina.retry_context(
            on=on, attempts=attempts, timeout=None, wait_initial=wait, wait_max=wait, wait_jitter=0.0, wait_exp_base=1
        )
    )


def retried(do: Callable[[], T], *, on: Retryable, attempts: int, wait: float = 0.0) -> T:
    """``do()``, retried as :func:`retrying` says; its result."""
    for attempt in retrying(on, attempts, wait=wait):
        with attempt:
            return do()
    raise AssertionError("unreachable: the last attempt returns or raises")
