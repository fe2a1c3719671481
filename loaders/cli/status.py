"""``loaders status``: the load state of each partition in each sink, and with ``--days``
every partition of a window against what the store holds."""

from __future__ import annotations

import click

from loaders.cli.common import config_option, handle_errors, json_option
from loaders.config import MAX_DAYS, load_config
from loaders.planner import Window
from loaders.runner import Runner
from manifests import ConfigError
from sinks import Sink
from sinks.base import SupersededPrefixes


@click.command()
@click.option("--sink", "sink_name", metavar="NAME", help="Only this sink.")
@click.option("--dataset", "dataset", metavar="NAME", help="Only this dataset.")
@click.option(
    "--days", type=click.IntRange(min=1, max=MAX_DAYS), help="Only partitions of the N most recent days (UTC)."
)
@click.option("--freshness", "freshness", is_flag=True, help="Only the freshness of datasets that declare it.")
@json_option
@config_option
@handle_errors
def status(
    sink_name: str | None, dataset: str | None, days: int | None, as_json: bool, config_path: str | None,
    freshness: bool = False,
) -> None:  # fmt: skip
    """Show the load state of each partition in each sink.

    With --days, every partition of the window is shown, including those with no
    manifest at all (missing) and those whose manifests changed since they were loaded
    (stale); on a terminal, as a calendar grid per dataset and sink.
    """
    from loaders.planner import Planner, windowed
    from loaders.report import print_states, print_window

    config = load_config(config_path)
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
            print_states(states, as_json)
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
    print_window(views, known, as_json, times)


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
