"""A dataset's time: how its partition fields spell a day and an hour, so windows
(lookback, sweep, backfill, ``status --days``) can list its partitions.

``time = { dt = "{yyyy}-{mm}-{dd}", hour = "{hh}" }`` says: the partition fields
``yyyy``, ``mm`` and ``dd``, put in the ``dt`` template, read as the day ``YYYY-MM-DD``;
``hh``, put in the ``hour`` template, reads as the hour ``HH`` (00-23). Without ``hour``
the dataset is daily. Field names are the dataset's own partition fields (``yyyy``,
``year``, …); each is cut from the canonical spelling by its place, so its width is
fixed: a field standing for the year is 4 digits, one for the month, the day or the hour
2 digits, zero-padded (as Firehose and Hive writers such as Athena's spell them); a
template of one field (``{dt}``) holds all of it. ``{month:unpadded}`` says the field is
written without leading zeros (``month=1``, as Spark's ``partitionBy`` writes integer
columns): windows list ``1``…``12`` for it, and a partition's ``1`` reads as ``01``; any
other format after ``:`` is refused, and so is ``unpadded`` on a field holding all of a
day. Between fields only the ``-`` of
``YYYY-MM-DD`` may stand: two fields side by side (``{yyyy}{mm}``), other text
(``{yyyy}/{mm}/{dd}``, ``20{yy}``), a field standing for two parts, and a template
that leaves out part of the day are refused.

Without ``time``, ``["dt"]`` is daily and ``["dt", "hour"]`` hourly, as they always were;
any other partition is off the calendar (loaded as its manifests arrive, not in windows).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from manifests import Partition

#: the parts of a day as ``YYYY-MM-DD`` spells them: (name, width) or a separator
DAY_SHAPE: tuple[tuple[str, int] | str, ...] = (("year", 4), "-", ("month", 2), "-", ("day", 2))
HOUR_SHAPE: tuple[tuple[str, int] | str, ...] = (("hour", 2),)
HOURS = tuple(f"{h:02d}" for h in range(24))
_TOKEN = re.compile(r"(\{[^{}]*\})")
#: the formats a field may carry after ``:`` (``{month:unpadded}``)
FORMATS = ("unpadded",)
#: a field's place in the canonical spelling: (field, start, end)
Slice = tuple[str, int, int]


@dataclass(frozen=True)
class TimeLayout:
    """The dataset's partition ``fields`` (in order), cut from ``YYYY-MM-DD`` (``day``)
    and from ``HH`` (``hour``; empty: a daily dataset)."""

    fields: tuple[str, ...]
    day: tuple[Slice, ...]
    hour: tuple[Slice, ...] = ()
    #: the fields written without leading zeros (``{month:unpadded}``: ``month=1``)
    unpadded: frozenset[str] = frozenset()

    @property
    def hourly(self) -> bool:
        return bool(self.hour)

    def partitions(self, days: Iterable[date]) -> list[Partition]:
        """Every partition of these days, at the dataset's granularity."""
        hours: Sequence[str | None] = HOURS if self.hourly else (None,)
        return [self.partition(d.isoformat(), h) for d in days for h in hours]

    def partition(self, day: str, hour: str | None = None) -> Partition:
        """The partition of a day (``YYYY-MM-DD``) and hour (``HH``), fields in order."""
        values = {f: day[a:b] for f, a, b in self.day}
        values |= {f: hour[a:b] for f, a, b in self.hour} if hour is not None else {}
        values |= {f: str(int(values[f])) for f in self.unpadded}
        return Partition.of((f, values[f]) for f in self.fields)

    def day_hour(self, values: dict[str, str]) -> tuple[str, str]:
        """The day and hour (``""`` when daily) a partition's values spell; an unpadded
        field's value (``1``) is padded back to its width (``01``)."""
        values = {f: _pad(v, f, self.day + self.hour) if f in self.unpadded else v for f, v in values.items()}
        return _spell(DAY_SHAPE, self.day, values), _spell(HOUR_SHAPE, self.hour, values) if self.hourly else ""


def default_time(partition: Sequence[str]) -> TimeLayout | None:
    """The time of a dataset that declares none: ``["dt"]`` daily, ``["dt", "hour"]``
    hourly, else None (off the calendar)."""
    if tuple(partition) == ("dt",):
        return TimeLayout(("dt",), (("dt", 0, 10),))
    if tuple(partition) == ("dt", "hour"):
        return TimeLayout(("dt", "hour"), (("dt", 0, 10),), (("hour", 0, 2),))
    return None


def parse_time(value: Any, partition: tuple[str, ...], fail: Callable[[str, str], Exception]) -> TimeLayout:
    """``time = { dt = "...", hour = "..." }`` against the partition fields; ``fail(key,
    message)`` makes the error naming the key."""
    if not isinstance(value, dict):
        raise fail("time", 'a table such as { dt = "{yyyy}-{mm}-{dd}", hour = "{hh}" }')
    unknown = sorted(set(value) - {"dt", "hour"})
    if unknown:
        raise fail(f"time.{unknown[0]}", "unknown key (expected dt and, for hourly partitions, hour)")
    if "dt" not in value:
        raise fail("time.dt", 'required (an hour needs its day): the template of the day, e.g. "{yyyy}-{mm}-{dd}"')
    day, unpadded = _template(value["dt"], DAY_SHAPE, "YYYY-MM-DD", partition, lambda m: fail("time.dt", m))
    hour: tuple[Slice, ...] = ()
    if "hour" in value:
        hour, bare = _template(value["hour"], HOUR_SHAPE, "HH", partition, lambda m: fail("time.hour", m))
        unpadded |= bare
    used = [f for f, _a, _b in (*day, *hour)]
    twice = sorted({f for f in used if used.count(f) > 1})
    if twice:
        raise fail("time", f"field {{{twice[0]}}} is used twice")
    left = [f for f in partition if f not in used]
    if left:
        where = f"partition field {left[0]} is in neither dt nor hour"
        raise fail("time", f"{where}: a window could not list its partitions")
    return TimeLayout(partition, day, hour, frozenset(unpadded))


def _template(
    text: Any, shape: Sequence[tuple[str, int] | str], spelled: str, partition: tuple[str, ...],
    fail: Callable[[str], Exception],
) -> tuple[tuple[Slice, ...], set[str]]:  # fmt: skip
    """A template's fields and their places in the canonical spelling, and the fields
    it says are unpadded."""
    if not isinstance(text, str) or not text:
        example = "{yyyy}-{mm}-{dd}" if spelled == "YYYY-MM-DD" else "{hh}"
        raise fail(f'a template of partition fields spelling {spelled}, e.g. "{example}"')
    tokens = [t for t in _TOKEN.split(text) if t]
    if any(("{" in t or "}" in t) and not _TOKEN.fullmatch(t) for t in tokens):
        raise fail(f"{text!r}: unbalanced braces")
    unpadded = _formats(text, [t for t in tokens if _TOKEN.fullmatch(t)], partition, fail)
    tokens = ["{" + t[1:-1].partition(":")[0] + "}" if _TOKEN.fullmatch(t) else t for t in tokens]
    places = _places(shape)
    if len(tokens) == 1 and _TOKEN.fullmatch(tokens[0]):  # one field holds all of it
        if unpadded and len(places) > 1:
            raise fail(f"{text!r}: a field holding all of the day cannot be unpadded (only a year, month or day)")
        return ((tokens[0][1:-1], 0, places[-1][2]),), unpadded
    cuts = _cuts(tokens, places, 0, 0)
    if not cuts:
        raise fail(
            f"{text!r} cannot spell {spelled}: each field is one whole part (a year is 4 digits, a month, "
            "day or hour 2) or all of it, separated by the '-' of YYYY-MM-DD and nothing else"
        )
    return cuts[0], unpadded


def _formats(text: str, fields: list[str], partition: tuple[str, ...], fail: Callable[[str], Exception]) -> set[str]:
    """Check each ``{field}`` or ``{field:format}`` of a template; the fields said unpadded."""
    unpadded: set[str] = set()
    for name, colon, spec in (f[1:-1].partition(":") for f in fields):
        if name not in partition:
            raise fail(f"{text!r}: {{{name}}} is not a partition field ({', '.join(partition)})")
        if colon and spec not in FORMATS:
            known = ", ".join(f"{{{name}:{f}}}" for f in FORMATS)
            raise fail(f"{text!r}: {{{name}:{spec}}} has an unknown format {spec!r} (known: {known})")
        if colon:
            unpadded.add(name)
    return unpadded


def _pad(text: str, field: str, cuts: tuple[Slice, ...]) -> str:
    """An unpadded field's value at its width (``1`` -> ``01``); a value not written
    unpadded (``01``, ``x``) is none, so it spells no day (``?`` on the grid)."""
    width = next(b - a for f, a, b in cuts if f == field)
    if text.isascii() and text.isdigit() and str(int(text)) == text and len(text) <= width:
        return text.zfill(width)
    return ""


def _places(shape: Sequence[tuple[str, int] | str]) -> list[tuple[str | None, int, int]]:
    """The shape's items with their places: (part name or None for a separator, start, end)."""
    out: list[tuple[str | None, int, int]] = []
    pos = 0
    for item in shape:
        width = len(item) if isinstance(item, str) else item[1]
        out.append((None if isinstance(item, str) else item[0], pos, pos + width))
        pos += width
    return out


def _cuts(tokens: list[str], places: list[tuple[str | None, int, int]], t: int, p: int) -> list[tuple[Slice, ...]]:
    """Every way tokens[t:] spell places[p:] (none or one): a literal is the separators it
    stands on, a field one part."""
    if t == len(tokens):
        return [()] if p == len(places) else []
    token = tokens[t]
    if not _TOKEN.fullmatch(token):
        end = p + len(token)
        seps = places[p:end]
        if len(seps) == len(token) and all(n is None for n, _a, _b in seps) and "-" * len(token) == token:
            return _cuts(tokens, places, t + 1, end)
        return []
    if p >= len(places) or places[p][0] is None:
        return []
    here = (token[1:-1], places[p][1], places[p][2])
    return [(here, *rest) for rest in _cuts(tokens, places, t + 1, p + 1)]


def _spell(shape: Sequence[tuple[str, int] | str], cuts: tuple[Slice, ...], values: dict[str, str]) -> str:
    """The canonical spelling of a partition's values (``?`` where a value is missing)."""
    width = sum(len(i) if isinstance(i, str) else i[1] for i in shape)
    out = ["-"] * width
    for name, a, b in cuts:
        text = values.get(name, "")
        out[a:b] = list(text if len(text) == b - a else "?" * (b - a))
    return "".join(out)
