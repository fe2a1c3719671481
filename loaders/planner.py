"""The planner: a window of days → partitions → what each sink still needs.

Lookback runs constantly, so it must be nearly free when nothing changed: one LIST per
partition (concurrently, with a bound), one state query per sink and dataset for the
whole window, and no data statement unless a partition has work. Backfill is the same
planner with a window and a reprocess policy chosen by a person.

    missing   new or changed manifest versions, and partitions never loaded (default)
    failed    also partitions whose last load failed
    all       everything in the window with manifests; idempotent: merge and replace
              re-apply, append still never applies a manifest version twice

The scheduled sweep (``missing`` with a :class:`Retry`) also retries partitions whose
last attempt failed, with a backoff that doubles from :data:`RETRY_BASE`, until the
dataset's ``max_attempts`` failed in a row; then it leaves them ``failed`` for a person
(``backfill --reprocess failed`` always retries; ``loaders reset`` clears the failure).
A manifest written after the last failed attempt is new work, and is tried at once.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from loaders.config import MAX_DAYS, DatasetConfig
from manifests import ConfigError, ObjectInfo, Partition
from manifests.store import ObjectStore
from sinks import Sink, Snapshot, Strategy

#: the wait before the sweep retries a partition after its first failed attempt; it
#: doubles with each further failure (5, 10, 20, 40 minutes, …), up to RETRY_CAP
RETRY_BASE = timedelta(minutes=5)
RETRY_CAP = timedelta(hours=6)
#: how much later than a failed attempt a manifest must be written to count as new work:
#: the store's clock and the loader's differ a little, and a manifest written before the
#: failure must not look newer (it would skip the backoff on every sweep)
CLOCK_SLACK = timedelta(seconds=30)
#: LISTs in flight at once; S3 answers a LIST in tens of milliseconds, so a month of hourly
#: partitions (720 LISTs) needs a few dozen at a time to fit in a second.
LIST_CONCURRENCY = 32


class Reprocess(enum.StrEnum):
    MISSING = "missing"
    FAILED = "failed"
    ALL = "all"


@dataclass(frozen=True)
class Window:
    """Inclusive calendar days (UTC)."""

    start: date
    end: date

    @classmethod
    def last_days(cls, days: int, today: date | None = None) -> Window:
        """The N most recent calendar days, today (UTC) included."""
        if not 1 <= days <= MAX_DAYS:
            raise ConfigError(f"--days {days}: must be from 1 to {MAX_DAYS}")
        end = today or datetime.now(UTC).date()
        return cls(end - timedelta(days=days - 1), end)

    @classmethod
    def lookback(cls, dataset: DatasetConfig, now: datetime | None = None) -> Window:
        """A dataset's own lookback: ``3d`` (whole days) is the three most recent days;
        hours reach back to the day they land on: ``12h`` to yesterday only when twelve
        hours ago was yesterday, ``36h`` at 01:00 UTC to the day before yesterday."""
        now = now or datetime.now(UTC)
        if dataset.lookback % timedelta(days=1):
            return cls((now - dataset.lookback).date(), now.date())
        return cls.last_days(dataset.lookback.days, now.date())

    def days(self) -> list[date]:
        if self.end < self.start:
            raise ConfigError(f"--start {self.start} is after --end {self.end}")
        if (self.end - self.start).days >= MAX_DAYS:
            raise ConfigError(f"--start {self.start} --end {self.end}: a window may span at most {MAX_DAYS} days")
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def windowed(dataset: DatasetConfig) -> str | None:
    """None when the dataset's partitions fall on a calendar (its ``time``, or the
    default daily ``dt`` / hourly ``dt`` + ``hour``), else why windows (sweep, backfill,
    status --days) skip it: it is still loaded from its manifests as they arrive."""
    if dataset.partition_from == "files":
        return (
            f"{dataset.name}: not in windows (sweep, backfill, status --days): its partitions come from its "
            "files' paths (partition_from = \"files\"), which no LIST of a window's manifests shows; it is "
            "loaded as its manifests arrive"
        )
    if dataset.time is not None:
        return None
    return (
        f"{dataset.name}: not in windows (sweep, backfill, status --days): its partition "
        f'{list(dataset.partition)} has no time (declare time = {{ dt = "...", hour = "..." }}, '
        'or use ["dt"] or ["dt", "hour"]); it is loaded as its manifests arrive'
    )


def calendar(dataset: DatasetConfig, window: Window) -> list[Partition]:
    """Every partition of the window at the dataset's granularity (daily or hourly)."""
    if dataset.time is None:
        raise ConfigError(f'datasets."{dataset.name}".time: windows need the partition\'s time ({windowed(dataset)})')
    return dataset.time.partitions(window.days())


@dataclass(frozen=True)
class Retry:
    """The sweep's patience with a failed partition: ``now`` (naive UTC) and the dataset's
    ``max_attempts``."""

    now: datetime
    max_attempts: int

    def held(self, view: View) -> str | None:
        """Why the sweep leaves a failed partition alone now, or None to retry it."""
        snap = view.snapshot
        if snap is None or not snap.failed:
            return None
        at = snap.attempted_at
        if view.new_since_failure:
            return None  # a manifest written since the failure: new work, tried now
        if snap.attempts >= self.max_attempts:
            return f"failed {snap.attempts} times (max_attempts {self.max_attempts}): left for a person"
        due = at + backoff(snap.attempts) if at is not None else None
        if due is not None and self.now < due:
            return f"failed {snap.attempts} time(s): next retry after {due.isoformat(timespec='seconds')}Z"
        return None


def backoff(attempts: int) -> timedelta:
    """The wait after ``attempts`` failed attempts in a row before the sweep tries again."""
    return min(RETRY_BASE * 2 ** max(0, min(attempts, 20) - 1), RETRY_CAP)


@dataclass(frozen=True)
class View:
    """One partition as one sink sees it, against what the store holds now."""

    sink: str
    dataset: str
    partition: Partition
    listed: tuple[ObjectInfo, ...]
    snapshot: Snapshot | None

    @property
    def applied(self) -> frozenset[tuple[str, str]]:
        return self.snapshot.applied if self.snapshot else frozenset()

    @property
    def unapplied(self) -> tuple[ObjectInfo, ...]:
        return tuple(o for o in self.listed if o.identity not in self.applied)

    @property
    def failed(self) -> bool:
        """Whether the partition's last attempt failed (nothing has succeeded since)."""
        return self.snapshot is not None and self.snapshot.failed

    @property
    def data(self) -> str:
        """What the data is, whatever the last attempt did: loaded (every manifest the
        store lists is applied), stale (some are not, never-loaded partitions included)
        or missing (no manifest, and nothing loaded)."""
        if self.unapplied:
            return "stale"
        return "loaded" if self.listed or self.applied else "missing"

    @property
    def new_since_failure(self) -> bool:
        """A manifest not applied yet was written after the last (failed) attempt: new
        work, not a retry. Compared in whole seconds, the precision of S3's LastModified
        and of the state's times."""
        at = self.snapshot.attempted_at if self.snapshot is not None and self.failed else None
        if at is None:
            return False
        after = at + CLOCK_SLACK
        return any(o.modified is not None and o.modified.replace(microsecond=0) > after for o in self.unapplied)

    @property
    def status(self) -> str:
        """loaded | stale | missing | failed, as ``loaders status`` reports it: failed when
        the last attempt failed (``data`` still says what the data is), else the data."""
        return "failed" if self.failed else self.data

    def why(self) -> str:
        """Why this partition has work, in words."""
        if self.failed and not self.unapplied:
            return "last load failed"
        keys = {k for k, _v in self.applied}
        changed = [o for o in self.unapplied if o.identity[0] in keys]
        new = [o for o in self.unapplied if o.identity[0] not in keys]
        if not self.applied:
            return f"never loaded: {len(self.listed)} manifest(s)"
        parts = [f"{len(new)} new manifest(s)"] if new else []
        parts += [f"{len(changed)} changed manifest(s)"] if changed else []
        return ", ".join(parts)


@dataclass(frozen=True)
class Planned:
    """A unit with work: the view that justifies it and the manifests to load."""

    view: View
    why: str
    manifests: tuple[ObjectInfo, ...]
    force: bool = False


class Planner:
    """Plans against the store's manifests and the load state of ``sinks`` (the chosen
    ones: a dataset's sinks among them are the ones planned for)."""

    def __init__(self, store: ObjectStore, sinks: Mapping[str, Sink]) -> None:
        self.store = store
        self.sinks = sinks

    def survey(self, dataset: DatasetConfig, window: Window, sinks: Sequence[str]) -> list[View]:
        """Every partition of the window, per sink: one LIST each, one state query per sink."""
        return self.views(dataset, calendar(dataset, window), sinks)

    def views(self, dataset: DatasetConfig, partitions: Sequence[Partition], sinks: Sequence[str]) -> list[View]:
        """These partitions, per sink, against what the store holds now."""
        with ThreadPoolExecutor(max_workers=LIST_CONCURRENCY) as pool:
            listed = list(pool.map(lambda p: self._list(dataset, p), partitions))
        views = []
        for sink in sinks:
            snapshots = self.sinks[sink].snapshot(dataset.name, partitions)
            views += [
                View(sink, dataset.name, p, found, snapshots.get(p.key))
                for p, found in zip(partitions, listed, strict=True)
            ]
        return views

    def plan_windows(
        self,
        datasets: Sequence[DatasetConfig],
        window_of: Callable[[DatasetConfig], Window],
        reprocess: Reprocess,
        retry_at: datetime | None = None,
    ) -> tuple[list[Planned], list[str]]:
        """The plan of each dataset over its window, into its sinks, and notes for a person:
        the datasets off the calendar (skipped, the others go on) and, with ``retry_at``
        (the sweep's clock), the failed partitions it holds back (:class:`Retry`)."""
        plan: list[Planned] = []
        notes: list[str] = []
        for dataset in datasets:
            if why := windowed(dataset):
                notes.append(why)
                continue
            retry = Retry(retry_at, dataset.max_attempts) if retry_at is not None else None
            views = self.survey(dataset, window_of(dataset), [s for s in dataset.sinks if s in self.sinks])
            plan += self.decide_all(dataset, views, reprocess, retry)
            held = [(v, why) for v in views if retry is not None and (why := retry.held(v))]
            notes += [f"held {v.sink} {v.dataset} {v.partition.key}: {why}" for v, why in held]
        return plan, notes

    def plan(
        self,
        dataset: DatasetConfig,
        window: Window,
        sinks: Sequence[str],
        reprocess: Reprocess,
    ) -> list[Planned]:
        return self.decide_all(dataset, self.survey(dataset, window, sinks), reprocess)

    @staticmethod
    def decide_all(
        dataset: DatasetConfig, views: Sequence[View], reprocess: Reprocess, retry: Retry | None = None
    ) -> list[Planned]:
        decided = (decide(v, dataset.strategy, reprocess, retry) for v in views)
        return [item for item in decided if item is not None]

    def _list(self, dataset: DatasetConfig, partition: Partition) -> tuple[ObjectInfo, ...]:
        store = self.store
        found = store.list(store.root + dataset.layout.prefix(partition), versions=True)
        return tuple(
            replace(o, key=store.identity_of(o.url))
            for o in found
            if dataset.layout.match(store.key_of(o.url) or "") == partition
        )


def decide(view: View, strategy: Strategy, reprocess: Reprocess, retry: Retry | None = None) -> Planned | None:
    """The work a partition needs under a policy, or None. With ``retry`` (the sweep), a
    partition whose last attempt failed is retried when its backoff has passed, and left
    alone once ``max_attempts`` failed in a row; without it, ``missing`` never retries a
    failure that left nothing new to apply, and ``failed`` always does. A retry that finds
    every manifest applied is a successful no-op: it clears the failure. A manifest
    written after the failure is new work under every policy."""
    everything = view.listed
    pending = everything if strategy is Strategy.REPLACE else view.unapplied
    if reprocess is Reprocess.ALL and everything:
        force = strategy is not Strategy.APPEND
        return Planned(view, "reprocess all", everything if force else pending, force=force)
    if view.failed and not view.new_since_failure:
        retried = reprocess is Reprocess.FAILED or (retry is not None and retry.held(view) is None)
        return Planned(view, "last load failed", pending) if retried and everything else None
    if view.data == "stale":
        return Planned(view, view.why(), pending)
    return None
