"""``loaders status``: the load state of each partition in each sink, and with ``--days``
every partition of a window against what the store holds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import click

from loaders.cli.common import config_option, handle_errors, json_option
from loaders.config import MAX_DAYS, load_config
from loaders.planner import View, Window
from loaders.runner import Runner
from manifests import ConfigError
from sinks import Sink
from sinks.base import PartitionState, SupersededPrefixes

STATUSES = ("failed", "stale", "missing", "loaded")
#: the exit status when a partition shown is failed (1: a load failed, 2: usage error)
FAILED_SHOWN = 3


@click.command()
@click.option("--sink", "sink_name", metavar="NAME", help="Only this sink.")
@click.option("--dataset", "dataset", metavar="NAME", help="Only this dataset.")
@click.option(
    "--days", type=click.IntRange(min=1, max=MAX_DAYS), help="Only partitions of the N most recent days (UTC)."
)
@click.option("--freshness", "freshness", is_flag=True, help="Only the freshness of datasets that declare it.")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUSES),
    help="Only partitions in this status (repeatable).",
)
@click.option("--since", metavar="DURATION", help="Only partitions attempted or loaded within this span (6h, 3d).")
@click.option("--exit-zero", is_flag=True, help=f"Exit 0 even when a partition shown is failed (else {FAILED_SHOWN}).")
@json_option
@config_option
@handle_errors
def status(
    sink_name: str | None,
    dataset: str | None,
    days: int | None,
    statuses: tuple[str, ...],
    since: str | None,
    exit_zero: bool,
    as_json: bool,
    config_path: str | None,
    freshness: bool = False,
) -> None:
    """Show the load state of each partition in each sink.

    With --days, every partition of the window is shown, including those with no
    manifest at all (missing) and those whose manifests changed since they were loaded
    (stale); on a terminal, as a calendar grid per dataset and sink. Exits 3 when a
    partition shown is failed (unless --exit-zero).

    Example: loaders status --status failed --since 6h
    """
    from loaders.planner import Planner, windowed
    from loaders.report import print_states, print_window
    from loaders.report.states import shown_status

    config = load_config(config_path)
    cutoff = _cutoff(since)
    config.check_datasets([dataset])
    if days is not None and dataset and (why := windowed(config.datasets[dataset])):
        raise ConfigError(f"--days: {why}")
    with Runner(config, only_sink=sink_name) as runner:
        sinks = _noting_empty_state(runner)
        states = [(name, s) for name, sink in sinks for s in sink.states(dataset)]
        if freshness:
            from loaders.report.freshness import lags, print_freshness

            chosen = [d for d in config.datasets.values() if dataset in (None, d.name)]
            return print_freshness(lags(chosen, states, [n for n, _ in sinks]), as_json)
        for name, sink in sinks:
            count = len(sink.superseded(dataset)) if isinstance(sink, SupersededPrefixes) else 0
            if count:
                click.echo(f"sink {name}: {count} superseded prefix(es); see `loaders superseded`", err=True)
        if days is None:
            states = [(n, s) for n, s in states if _keeps(shown_status(s), s, statuses, cutoff)]
            print_states(states, as_json)
            _exit_status([shown_status(s) for _n, s in states], exit_zero)
            return
        window = Window.last_days(days)
        known = {(sink, s.dataset, s.partition): s for sink, s in states}
        planner = Planner(runner.store, runner.sinks)
        views = []
        for d in [config.datasets[dataset]] if dataset else list(config.datasets.values()):
            if why := windowed(d):
                click.echo(f"note: {why}", err=True)
                continue
            views += planner.survey(d, window, runner.sink_names(d))
    times = {d.name: d.time for d in config.datasets.values() if d.time is not None}
    views = _kept_views(views, known, statuses, cutoff)
    print_window(views, known, as_json, times)
    _exit_status([v.status for v in views], exit_zero)


def _noting_empty_state(runner: Runner) -> list[tuple[str, Sink]]:
    """The chosen sinks, each with a note on stderr when it holds no load state at all:
    a wrong ``--config`` or sink would otherwise look like "nothing loaded yet". Reading
    creates nothing (no database file, schema or table)."""
    chosen = runner.chosen_sinks()
    for name, sink in chosen:
        if not sink.has_state():
            click.echo(
                f"note: sink {name} has no load state yet: nothing was ever loaded into it "
                f"(is this the right --config and sink? {runner.config.source})",
                err=True,
            )
    return chosen


def _cutoff(since: str | None) -> datetime | None:
    """The earliest attempt or load time ``--since`` keeps (UTC, naive as the states are)."""
    if since is None:
        return None
    from loaders.config import parse_duration

    try:
        span = parse_duration(since)
    except ValueError as exc:
        raise ConfigError(f"--since {exc}") from None
    return datetime.now(UTC).replace(tzinfo=None) - span


def _keeps(shown: str, state: PartitionState, statuses: Sequence[str], cutoff: datetime | None) -> bool:
    """Whether a partition passes ``--status`` (its shown status) and ``--since`` (its last
    attempt or load at or after the cutoff; one never attempted nor loaded does not)."""
    if statuses and shown not in statuses:
        return False
    if cutoff is None:
        return True
    times = [
        t.replace(tzinfo=None) - (t.utcoffset() or timedelta()) for t in (state.attempted_at, state.loaded_at) if t
    ]
    return any(t >= cutoff for t in times)


def _kept_views(
    views: list[View],
    known: dict[tuple[str, str, str], PartitionState],
    statuses: Sequence[str],
    cutoff: datetime | None,
) -> list[View]:
    """The window's partitions that pass ``--status`` and ``--since``."""
    from loaders.report.states import window_state

    kept = []
    for v in views:
        state = window_state(v, known.get((v.sink, v.dataset, v.partition.key)))
        if _keeps(state.status, state, statuses, cutoff):
            kept.append(v)
    return kept


def _exit_status(shown: Sequence[str], exit_zero: bool) -> None:
    """Exit 3 when a partition shown is failed, so cron and monitors see it."""
    if "failed" in shown and not exit_zero:
        raise click.exceptions.Exit(FAILED_SHOWN)
