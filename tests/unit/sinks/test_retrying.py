"""The retry of a change that lost a race (sinks/retrying.py): silent, a fixed number of
attempts, the last lost race raised as it is, anything else at once."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from sinks.athena.state import RACE_WAIT
from sinks.retrying import retried


class Lost(Exception):
    """A race lost to another loader."""


def losing(times: int) -> Callable[[], str]:
    """A change that loses ``times`` races, then wins."""
    lost = [0]

    def change() -> str:
        if lost[0] < times:
            lost[0] += 1
            raise Lost(f"race {lost[0]}")
        return "won"

    return change


RETRIES: list[Callable[[Callable[[], str], int], str]] = [
    lambda do, attempts: retried(do, on=Lost, attempts=attempts),
    lambda do, attempts: retried(do, on=Lost, attempts=attempts, wait=RACE_WAIT),  # as Athena waits
]


@pytest.mark.parametrize("retry", RETRIES, ids=["sql", "athena"])
def test_a_lost_race_is_tried_again_without_a_word_in_the_log(
    retry: Callable[[Callable[[], str], int], str], caplog: pytest.LogCaptureFixture
) -> None:
    # a lost race is the ordinary way of optimistic writes: the loop used to be silent,
    # and the command line shows warnings on stderr
    with caplog.at_level(logging.DEBUG):
        assert retry(losing(2), 3) == "won"
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == []


@pytest.mark.parametrize("retry", RETRIES, ids=["sql", "athena"])
def test_the_last_lost_race_is_raised_as_it_is_and_nothing_else_is_retried(
    retry: Callable[[Callable[[], str], int], str],
) -> None:
    with pytest.raises(Lost, match="race 3"):
        retry(losing(5), 3)
    calls = [0]

    def broken() -> str:
        calls[0] += 1
        raise ValueError("not a race")

    with pytest.raises(ValueError, match="not a race"):
        retry(broken, 3)
    assert calls == [1]
