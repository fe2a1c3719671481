"""The executor: carries out a plan (of backfill, sweep, a Lambda partition request or a
redrive): reads the planned manifests, loads them, reports as units finish.

Units of one (sink, dataset) go to the sink together, so a sink that batches partitions
loads them in one transaction; a sink that allows concurrent loads gets its units in
parallel, up to ``--concurrency``. Ctrl-C lets the units in flight finish, loads nothing
more, and reports what happened.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from loaders.outcome import Outcome
from loaders.planner import Planned
from loaders.runner import Runner
from manifests import LoaderError, Manifest, Partition, parse_manifest
from manifests.check import Listings
from manifests.store import ObjectStore

log = logging.getLogger("loaders")


@dataclass(frozen=True)
class Task:
    sink: str
    dataset: str
    items: tuple[Planned, ...]


def tasks(runner: Runner, plan: Sequence[Planned]) -> list[Task]:
    """One task per (sink, dataset), or per unit where the sink loads units concurrently."""
    groups: dict[tuple[str, str], list[Planned]] = {}
    for item in plan:
        groups.setdefault((item.view.sink, item.view.dataset), []).append(item)
    out = []
    for (sink, dataset), items in groups.items():
        caps = runner.sink(sink).capabilities
        if caps.concurrent_loads and not caps.batch_partitions:
            out += [Task(sink, dataset, (i,)) for i in items]
        else:
            out.append(Task(sink, dataset, tuple(items)))
    return out


def run_task(runner: Runner, task: Task) -> list[Outcome]:
    dataset = runner.config.datasets[task.dataset]
    outcomes: list[Outcome] = []
    partitions: dict[Partition, list[Manifest]] = {}
    listings: Listings = {}
    for item in task.items:
        try:
            manifests = [runner.validated(runner.read_manifest(o.url), dataset, listings) for o in item.manifests]
        except Exception as exc:  # a bug too (Runner.failed): this partition fails, the others go on
            outcomes += runner.failed(dataset, item.view.partition, exc, [task.sink])
            continue
        partitions[item.view.partition] = manifests
    force = any(i.force for i in task.items)
    if partitions:
        try:
            outcomes += runner.load_partitions(dataset, partitions, sinks=[task.sink], force=force)
        except Exception as exc:  # before any unit ran (a state query of replace): each fails, other tasks go on
            for partition in partitions:
                outcomes += runner.failed(dataset, partition, exc, [task.sink])
    return outcomes


def execute(
    runner: Runner,
    plan: Sequence[Planned],
    concurrency: int = 1,
    on_done: Callable[[Sequence[Outcome]], None] = lambda _o: None,
) -> tuple[list[Outcome], bool]:
    """Run the plan; returns the outcomes and whether it was interrupted (Ctrl-C)."""
    todo = tasks(runner, plan)
    outcomes: list[Outcome] = []
    interrupted = False
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        pending: set[Future[list[Outcome]]] = set()  # submitted, not yet reported
        queue = iter(todo)
        try:
            for task in _take(queue, max(1, concurrency)):
                pending.add(pool.submit(run_task, runner, task))
            while pending:
                done, _running = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    result = future.result()
                    pending.discard(future)
                    outcomes += result
                    on_done(result)
                    pending |= {pool.submit(run_task, runner, t) for t in _take(queue, 1)}
        except KeyboardInterrupt:
            interrupted = True
            print("interrupted: finishing the units in flight, starting no more", file=sys.stderr)
            for future in pending:  # in flight, or finished together with the one interrupted
                try:
                    result = future.result()
                except KeyboardInterrupt:
                    continue
                outcomes += result
                on_done(result)
    return outcomes, interrupted


def _take(queue: Iterable[Task], n: int) -> list[Task]:
    out = []
    for task in queue:
        out.append(task)
        if len(out) == n:
            break
    return out


def planned_bytes(store: ObjectStore, item: Planned) -> int:
    """Data bytes a planned unit would load, from its manifests' content_length."""
    total = 0
    for obj in item.manifests:
        try:
            raw, version = store.read(obj.url)
            manifest: Manifest = parse_manifest(raw, obj.url, version)
        except LoaderError:
            continue
        total += manifest.bytes
    return total
