"""``loaders reset``: clear a partition's failed attempt, or forget its applied manifests."""

from __future__ import annotations

import sys

import click

from loaders.cli.common import config_option, handle_errors, json_option
from loaders.config import load_config
from manifests import ConfigError, LoaderError


@click.command()
@click.option("--dataset", "dataset", required=True, metavar="NAME", help="The dataset.")
@click.option("--partition", "partition_key", required=True, metavar="K=V/...", help="e.g. dt=2026-12-01.")
@click.option("--sink", "sink_name", metavar="NAME", help="Only this sink (default: each of the dataset's sinks).")
@click.option(
    "--forget-manifests", "forget", is_flag=True, help="Also forget its applied manifests: the next run reloads it."
)
@click.option("--force", is_flag=True, help="Forget the manifests of an append dataset although a reload duplicates.")
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
@json_option
@config_option
@handle_errors
def reset(
    dataset: str,
    partition_key: str,
    sink_name: str | None,
    forget: bool,
    force: bool,
    dry_run: bool,
    as_json: bool,
    config_path: str | None,
) -> None:
    """Clear a partition's failed attempt, or forget its applied manifests.

    Without --forget-manifests: the partition is no longer failed (attempts back to 0);
    its data and applied manifests stay. With it: the load state forgets the manifests,
    so the next load, sweep or backfill loads every manifest the partition has again —
    safe for replace (the partition is rewritten) and merge (rows are upserted); for
    append it would add the rows a second time, so it is refused without --force (delete
    the partition's rows from the table first). The table's rows are never touched here.
    """
    from loaders.report import print_resets
    from loaders.runner import Runner
    from sinks import Strategy

    config = load_config(config_path)
    config.check_datasets([dataset])
    chosen = config.datasets[dataset]
    try:
        partition = chosen.partition_of(partition_key, "--partition")
    except LoaderError as exc:
        raise ConfigError(exc.reason) from None
    if sink_name is not None and sink_name not in chosen.sinks:
        raise ConfigError(f"--sink {sink_name}: not one of {dataset}'s sinks ({', '.join(chosen.sinks)})")
    if forget and chosen.strategy is Strategy.APPEND and not force:
        raise ConfigError(
            f"--forget-manifests: {dataset} appends, so loading its manifests again would duplicate the rows "
            "already in the table; delete the partition's rows first, then add --force"
        )
    with Runner(config, only_sink=sink_name) as runner:
        results = [(name, runner.sink(name).reset(dataset, partition, forget=forget, dry_run=dry_run))
                   for name in runner.sink_names(chosen)]  # fmt: skip
    print_resets(results, forget, dry_run, as_json)
    if not any(r.found for _name, r in results):  # a misspelt partition (hour=3 for hour=03) finds nothing
        click.echo(f"error: no sink has a load state for {dataset} {partition.key}: nothing to reset", err=True)
        sys.exit(1)
