"""``loaders load``, ``backfill`` and ``sweep``: manifests named, or a window of days
planned against the load state, loaded (or published as load requests, or only shown)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime

import click

from loaders.cli.common import F, config_option, exit_status, handle_errors, json_option
from loaders.config import MAX_DAYS, DatasetConfig, load_config
from loaders.planner import Planned, Reprocess, Window
from manifests import ConfigError

#: Units loading at once at most: each holds a warehouse connection (PostgreSQL allows 100
#: by default), so more is a typo, not a plan.
MAX_CONCURRENCY = 64


@click.command()
@click.argument("manifest_uris", nargs=-1, required=True, metavar="MANIFEST_URI...")
@click.option("--sink", "sink_name", metavar="NAME", help="Load into this sink only.")
@json_option
@config_option
@handle_errors
def load(manifest_uris: tuple[str, ...], sink_name: str | None, as_json: bool, config_path: str | None) -> None:
    """Load these manifests now (s3:// URLs, file:// URLs or paths under the store root)."""
    from loaders.report import print_units
    from loaders.runner import Runner

    with Runner(load_config(config_path), only_sink=sink_name) as runner:
        outcomes = runner.load(list(manifest_uris))
    print_units(outcomes, as_json)
    sys.exit(exit_status(outcomes))


def _window_options(func: F) -> F:
    for option in reversed(
        [
            click.option("--sink", "sink_name", metavar="NAME", help="Only this sink (default: each dataset's sinks)."),
            click.option("--dataset", "datasets", metavar="NAME", multiple=True, help="Only these datasets."),
            click.option(
                "--reprocess",
                type=click.Choice([r.value for r in Reprocess]),
                default="missing",
                show_default=True,
                help="missing: new or changed manifests; failed: also failed partitions; all: everything.",
            ),
            click.option("--dry-run", is_flag=True, help="Print the plan; load nothing."),
            click.option(
                "--concurrency",
                type=click.IntRange(min=1, max=MAX_CONCURRENCY),
                default=1,
                show_default=True,
                help="Units in parallel where the sink allows it (DuckDB serialises).",
            ),
            json_option,
            config_option,
        ]
    ):
        func = option(func)
    return func


@click.command()
@click.option(
    "--days", type=click.IntRange(min=1, max=MAX_DAYS), help="The N most recent calendar days (UTC), today included."
)
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="First day, inclusive (YYYY-MM-DD).")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Last day, inclusive (default: today, UTC).")
@click.option("--fan-out", "fan_out", metavar="sns:TOPIC_ARN", help="Publish one load request per unit instead.")
@_window_options
@handle_errors
def backfill(
    days: int | None,
    start: datetime | None,
    end: datetime | None,
    fan_out: str | None,
    sink_name: str | None,
    datasets: tuple[str, ...],
    reprocess: str,
    dry_run: bool,
    concurrency: int,
    as_json: bool,
    config_path: str | None,
) -> None:
    """Re-plan a window of days against the load state and load what is missing."""

    if fan_out:
        from loaders.aws.fanout import topic_of

        topic_of(fan_out)  # a malformed target is a usage error before anything is planned
    if days is not None and (start or end):
        raise ConfigError("use either --days N or --start/--end, not both")
    if days is None and start is None:
        raise ConfigError("choose a window: --days N, or --start DATE [--end DATE]")
    window = Window.last_days(days) if days else Window(start.date(), (end or datetime.now(UTC)).date())  # type: ignore[union-attr]
    _plan_and_run(
        config_path,
        sink_name,
        datasets,
        lambda _d: window,
        Reprocess(reprocess),
        dry_run,
        concurrency,
        as_json,
        fan_out,
    )


@click.command()
@_window_options
@handle_errors
def sweep(
    sink_name: str | None,
    datasets: tuple[str, ...],
    reprocess: str,
    dry_run: bool,
    concurrency: int,
    as_json: bool,
    config_path: str | None,
) -> None:
    """Backfill each dataset over its own lookback: the safety net for lost notifications."""

    _plan_and_run(
        config_path,
        sink_name,
        datasets,
        Window.lookback,
        Reprocess(reprocess),
        dry_run,
        concurrency,
        as_json,
        retry=Reprocess(reprocess) is Reprocess.MISSING,
    )


def _plan_and_run(
    config_path: str | None,
    sink_name: str | None,
    datasets: tuple[str, ...],
    window_of: Callable[[DatasetConfig], Window],
    reprocess: Reprocess,
    dry_run: bool,
    concurrency: int,
    as_json: bool,
    fan_out: str | None = None,
    retry: bool = False,
) -> None:
    """Plan each dataset's window and load it. A dataset whose partitions are not on a
    calendar is skipped with a note (an error when named with --dataset). ``retry``: the
    sweep's patience with failed partitions (backoff, max_attempts), noted when it holds one."""
    from loaders.executor import execute
    from loaders.planner import Planner, windowed
    from loaders.report import Progress, print_plan, print_units
    from loaders.runner import Runner

    config = load_config(config_path)
    config.check_datasets(datasets)
    for name in datasets:
        if why := windowed(config.datasets[name]):
            raise ConfigError(f"--dataset {why}")
    with Runner(config, only_sink=sink_name) as runner:
        chosen = [config.datasets[d] for d in (datasets or config.datasets)]
        now = datetime.now(UTC).replace(tzinfo=None) if retry else None
        plan, notes = Planner(runner.store, runner.sinks).plan_windows(chosen, window_of, reprocess, now)
        for note in notes:
            click.echo(f"note: {note}", err=True)
        if dry_run:
            print_plan(runner.store, plan, as_json)
            return
        if fan_out:
            _fan_out(fan_out, plan, reprocess, as_json)
            return
        with Progress(total=len(plan), quiet=as_json) as progress:
            outcomes, interrupted = execute(runner, plan, concurrency, progress.advance)
    print_units(outcomes, as_json)
    if interrupted:
        click.echo(f"interrupted after {len(outcomes)} unit(s); run it again to load the rest", err=True)
    sys.exit(exit_status(outcomes, interrupted))


def _fan_out(target: str, plan: list[Planned], reprocess: Reprocess, as_json: bool) -> None:
    from loaders.aws.fanout import publish
    from loaders.report import print_published

    requests = [(p.view.dataset, p.view.partition.key, p.view.sink, reprocess.value) for p in plan]
    ids = publish(target, requests)
    print_published(target, requests, plan, ids, as_json)
