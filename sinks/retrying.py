"""The one retry policy sinks use for a step that lost a race, built on ``tenacity``.

A load that finds the state changed under it, or a catalogue write that lost to a
concurrent one, tries again a fixed number of times, then gives up with the error the
caller chooses. ``wait`` (seconds before the second attempt, doubling up to ``wait_max``,
plus up to ``jitter`` at random) is zero unless the other party needs time::

    try:
        for attempt in retrying(Conflict, attempts=3):
            with attempt:
                return do()
    except Conflict:
        raise TransientError("… kept changing; retry") from None

or, for a function, ``retried(do, on=Conflict, attempts=3)``.

Re-reading after a lost race is part of the load's logic, not a courtesy retry, so it is
built on tenacity's own objects: no process-wide switch (stamina's ``set_active`` and
``set_testing``, which an application embedding loaders may use for its own retries)
changes how many attempts a load makes, and a lost race is not logged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from tenacity import AttemptManager

T = TypeVar("T")
Retryable = type[Exception] | tuple[type[Exception], ...]


def retrying(
    on: Retryable, attempts: int, *, wait: float = 0.0, wait_max: float | None = None, jitter: float = 0.0
) -> Iterator[AttemptManager]:
    """Up to ``attempts`` attempts of a block, retried on ``on`` only; after the last, its
    ``on`` error propagates as it is (anything else at once)."""
    import tenacity

    pause: tenacity.wait.wait_base = tenacity.wait_none()
    if wait:
        pause = tenacity.wait_exponential(multiplier=wait, max=wait_max if wait_max is not None else wait)
    if jitter:
        pause = pause + tenacity.wait_random(0, jitter)
    return iter(
        tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(on),
            stop=tenacity.stop_after_attempt(attempts),
            wait=pause,
            reraise=True,
        )
    )


def retried(
    do: Callable[[], T],
    *,
    on: Retryable,
    attempts: int,
    wait: float = 0.0,
    wait_max: float | None = None,
    jitter: float = 0.0,
) -> T:
    """``do()``, retried as :func:`retrying` says; its result."""
    for attempt in retrying(on, attempts, wait=wait, wait_max=wait_max, jitter=jitter):
        with attempt:
            return do()
    raise AssertionError("unreachable: the last attempt returns or raises")
