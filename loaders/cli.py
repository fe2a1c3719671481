"""The ``loaders`` command line.

Exit status: 0 done, 1 a load failed, 2 usage or configuration error. With ``--json``
stdout holds exactly one JSON document; everything else goes to stderr.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from loaders.config import MAX_DAYS, DatasetConfig, load_config
from loaders.planner import Planned, Reprocess, View, Window
from manifests import ConfigError, LoaderError, secrets
from sinks.base import PartitionState

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("loaders")
#: Units loading at once at most: each holds a warehouse connection (PostgreSQL allows 100
#: by default), so more is a typo, not a plan.
MAX_CONCURRENCY = 64


def config_option(func: F) -> F:
    return click.option(
        "--config",
        "config_path",
        metavar="PATH",
        envvar="LOADERS_CONFIG",
        help="loaders.toml to use (default: ./loaders.toml, or LOADERS_CONFIG).",
    )(func)


def handle_errors(func: F) -> F:
    """Failures print one clear line, never a traceback: the whole text and any traceback
    go to the log at ``-v``. An exception that is no LoaderError is a bug met outside every
    unit (each unit catches its own): reported as an InternalError, exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from loaders.report import one_line

        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except ConfigError as exc:
            log.info("the whole error: %s", exc)
            click.echo(f"error: {one_line(str(exc))}", err=True)
            sys.exit(2)
        except LoaderError as exc:
            log.info("the whole error: %s", exc)
            click.echo(f"error: {type(exc).__name__}: {one_line(str(exc))}", err=True)
            sys.exit(1)
        except Exception as exc:
            log.info("unexpected %s", type(exc).__name__, exc_info=exc)
            click.echo(f"error: InternalError: unexpected {type(exc).__name__}: {one_line(str(exc))}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group()
@click.version_option(package_name="loaders")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-v info, -vv SQL).")
def main(verbose: int) -> None:
    """Load S3 manifests into warehouses, exactly once."""
    # Everything this process prints (messages, --json, tables, logs, a traceback) passes
    # through the one redaction of configured secrets.
    sys.stdout, sys.stderr = secrets.guarded(sys.stdout), secrets.guarded(sys.stderr)
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    secrets.guard_logging("loaders")


@main.command()
@click.argument("manifest_uris", nargs=-1, required=True, metavar="MANIFEST_URI...")
@click.option("--sink", "sink_name", metavar="NAME", help="Load into this sink only.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@config_option
@handle_errors
def load(manifest_uris: tuple[str, ...], sink_name: str | None, as_json: bool, config_path: str | None) -> None:
    """Load these manifests now (s3:// URLs, file:// URLs or paths under the store root)."""
    from loaders.report import print_units
    from loaders.runner import Runner

    runner = Runner(load_config(config_path), only_sink=sink_name)
    try:
        outcomes = runner.load(list(manifest_uris))
    finally:
        runner.close()
    print_units(outcomes, as_json)
    sys.exit(1 if any(o.action == "failed" for o in outcomes) else 0)


@main.command()
@click.option("--sink", "sink_name", metavar="NAME", help="Only this sink.")
@click.option("--dataset", "dataset", metavar="NAME", help="Only this dataset.")
@click.option(
    "--days", type=click.IntRange(min=1, max=MAX_DAYS), help="Only partitions of the N most recent days (UTC)."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@config_option
@handle_errors
def status(
    sink_name: str | None, dataset: str | None, days: int | None, as_json: bool, config_path: str | None
) -> None:
    """Show the load state of each partition in each sink.

    With --days, every partition of the window is shown, including those with no
    manifest at all (missing) and those whose manifests changed since they were loaded
    (stale); on a terminal, as a calendar grid per dataset and sink.
    """
    from loaders.planner import Planner
    from loaders.report import print_grid, print_states
    from loaders.runner import Runner

    config = load_config(config_path)
    config.check_datasets([dataset])
    runner = Runner(config, only_sink=sink_name)
    try:
        states = runner.states(dataset)
        for name, sink in runner.chosen_sinks():
            count = len(sink.superseded(dataset)) if sink.capabilities.supersedes else 0
            if count:
                click.echo(f"sink {name}: {count} superseded prefix(es); see `loaders superseded`", err=True)
        if days is None:
            print_states(states, as_json)
            return
        window = Window.last_days(days)
        known = {(sink, s.dataset, s.partition): s for sink, s in states}
        planner = Planner(runner)
        views = []
        for d in [config.datasets[dataset]] if dataset else list(config.datasets.values()):
            views += planner.survey(d, window, runner.sink_names(d))
    finally:
        runner.close()
    rows = [(v.sink, window_state(v, known.get((v.sink, v.dataset, v.partition.key)))) for v in views]
    if as_json or not sys.stdout.isatty():
        print_states(rows, as_json)
    else:
        print_grid(rows)


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
            click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout."),
            config_option,
        ]
    ):
        func = option(func)
    return func


@main.command()
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


@main.command()
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
        config_path, sink_name, datasets, Window.lookback, Reprocess(reprocess), dry_run, concurrency, as_json
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
) -> None:
    from loaders.backfill import execute
    from loaders.planner import Planner
    from loaders.report import Progress, print_plan, print_units
    from loaders.runner import Runner

    config = load_config(config_path)
    config.check_datasets(datasets)
    runner = Runner(config, only_sink=sink_name)
    try:
        planner = Planner(runner)
        plan = []
        for dataset in (config.datasets[d] for d in (datasets or config.datasets)):
            plan += planner.plan(dataset, window_of(dataset), runner.sink_names(dataset), reprocess)
        if dry_run:
            print_plan(runner, plan, as_json)
            return
        if fan_out:
            _fan_out(fan_out, plan, reprocess, as_json)
            return
        with Progress(total=len(plan), quiet=as_json) as progress:
            outcomes, interrupted = execute(runner, plan, concurrency, progress.advance)
    finally:
        runner.close()
    print_units(outcomes, as_json)
    if interrupted:
        click.echo(f"interrupted after {len(outcomes)} unit(s); run it again to load the rest", err=True)
    sys.exit(1 if interrupted or any(o.action == "failed" for o in outcomes) else 0)


@main.command("compile")
@click.option("--sink", "sink_name", metavar="NAME", help="Only this sink.")
@click.option("--dataset", "dataset", metavar="NAME", help="Only this dataset.")
@click.option("--partition", metavar="K=V/...", help="Compile from this partition's real manifests.")
@click.option("--out", "out_dir", default="target/compiled", show_default=True, metavar="DIR")
@click.option("--check", "check_sql", is_flag=True, help="Exit 1 if a statement does not parse in its dialect.")
@config_option
@handle_errors
def compile_sql(
    sink_name: str | None,
    dataset: str | None,
    partition: str | None,
    out_dir: str,
    check_sql: bool,
    config_path: str | None,
) -> None:
    """Render every statement a load would run, per sink and dataset, without connecting."""
    from loaders.compile import check, compile_project

    try:
        compiled = compile_project(
            load_config(config_path), out_dir, sink=sink_name, dataset=dataset, partition=partition
        )
    except LookupError as exc:  # a template missing: name it
        raise ConfigError(str(exc)) from None
    for note in compiled.notes:
        click.echo(f"note: {note}", err=True)
    folders = sorted({str(s.path.parent) for s in compiled.statements})
    click.echo(f"{len(compiled.statements)} statement(s) in {len(folders)} folder(s) under {out_dir}", err=True)
    if check_sql:
        problems = check(compiled.statements)
        for problem in problems:
            click.echo(problem, err=True)
        if problems:
            sys.exit(1)
        click.echo(f"all {len(compiled.statements)} statement(s) parse", err=True)


def _fan_out(target: str, plan: list[Planned], reprocess: Reprocess, as_json: bool) -> None:
    from loaders.aws.fanout import publish
    from loaders.report import emit

    requests = [(p.view.dataset, p.view.partition.key, p.view.sink, reprocess.value) for p in plan]
    ids = publish(target, requests)
    units = [
        {"sink": s, "dataset": d, "partition": k, "action": "planned", "rows": 0, "why": p.why, "message_id": i}
        for (d, k, s, _r), p, i in zip(requests, plan, ids, strict=True)
    ]
    if as_json:
        emit({"units": units, "summary": {"published": len(units)}, "rows": 0})
    else:
        for u in units:
            click.echo(f"published\t{u['sink']}\t{u['dataset']}\t{u['partition']}\t{u['why']}")
        click.echo(f"{len(units)} load request(s) published to {target.removeprefix('sns:')}", err=True)


@main.command()
@click.option("--sink", "sink_name", metavar="NAME", help="Only this sink.")
@click.option("--dataset", "dataset", metavar="NAME", help="Only this dataset.")
@click.option("--older-than", default="6h", show_default=True, metavar="DURATION", help="Grace period (e.g. 6h, 2d).")
@click.option("--delete", is_flag=True, help="Delete what is past the grace period (default: only list).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@config_option
@handle_errors
def superseded(
    sink_name: str | None, dataset: str | None, older_than: str, delete: bool, as_json: bool, config_path: str | None
) -> None:
    """Data no partition points at any more (Athena Hive prefixes replaced by a load).

    Lists it; with --delete, removes what was superseded longer than --older-than ago
    (a query that started before a switch may still read the old prefix). Loads never
    delete anything themselves.
    """
    from loaders.config import parse_duration
    from loaders.report import emit
    from loaders.runner import Runner

    config = load_config(config_path)
    config.check_datasets([dataset])
    try:
        grace = parse_duration(older_than)
    except ValueError as exc:
        raise ConfigError(f"--older-than {exc}") from None
    runner = Runner(config, only_sink=sink_name)
    rows = []
    try:
        for name, sink in runner.chosen_sinks():
            if not sink.capabilities.supersedes:
                continue
            listed = sink.superseded(dataset)
            due = set(sink.purge_superseded(dataset, grace, dry_run=not delete))
            for entry in listed:
                action = ("deleted" if delete else "due") if entry["location"] in due else "in grace period"
                rows.append({"sink": name, **entry, "action": action})
    finally:
        runner.close()
    if as_json:
        emit({"superseded": rows})
        return
    for r in rows:
        click.echo(f"{r['action']}\t{r['sink']}\t{r['dataset']}\t{r['partition']}\t{r['location']}\t{r['at']}")
    due_count = sum(r["action"] == "due" for r in rows)
    if due_count:
        click.echo(f"{due_count} prefix(es) past the grace period: run again with --delete to remove them", err=True)


@main.group()
def schemas() -> None:
    """Writer schemas: the registry in the store (<root>/schemas/<dataType>/<fingerprint>.json)
    and the fingerprints each table's load state recorded."""


@schemas.command("publish")
@click.argument("data_type")
@click.argument("schema_file", type=click.Path(exists=True, dir_okay=False))
@config_option
@handle_errors
def schemas_publish(data_type: str, schema_file: str, config_path: str | None) -> None:
    """Publish SCHEMA_FILE (.avsc) for DATA_TYPE under its CRC-64-AVRO fingerprint."""
    import json

    from manifests.schemas import SchemaRegistry, fingerprint, hex_form
    from manifests.store import open_store

    config = load_config(config_path)
    try:
        with open(schema_file, encoding="utf-8") as fh:
            schema = json.load(fh)
        value = fingerprint(schema)
    except Exception as exc:  # not JSON, or not an Avro schema
        raise ConfigError(f"{schema_file}: not an Avro schema ({exc})") from None
    store = open_store(config.store.root, config.store.endpoint_url, base_dir=config.base_dir)
    url = SchemaRegistry(store).publish(data_type, schema)
    click.echo(f"{url}\t{hex_form(value)}\t{value}")


@schemas.command("list")
@click.option("--sink", "sink_name", metavar="NAME", help="Only this sink.")
@click.option("--dataset", "dataset", metavar="NAME", help="Only this dataset.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@config_option
@handle_errors
def schemas_list(sink_name: str | None, dataset: str | None, as_json: bool, config_path: str | None) -> None:
    """The writer schemas each table holds data of, from the load state: fingerprint,
    and the partition and load that first brought it."""
    from loaders.report import emit
    from loaders.runner import Runner

    config = load_config(config_path)
    config.check_datasets([dataset])
    runner = Runner(config, only_sink=sink_name)
    rows = []
    try:
        for name, sink in runner.chosen_sinks():
            if not sink.capabilities.schema_history:
                click.echo(f"sink {name}: does not record schema fingerprints", err=True)
                continue
            for seen in sink.schemas(dataset):
                at = seen.first_loaded_at
                rows.append(
                    {
                        "sink": name,
                        "dataset": seen.dataset,
                        "fingerprint": seen.fingerprint,
                        "partition": seen.partition,
                        "load_id": seen.load_id,
                        "first_loaded_at": at.isoformat() if hasattr(at, "isoformat") else str(at),
                    }
                )
    finally:
        runner.close()
    if as_json:
        emit({"schemas": rows})
        return
    for r in rows:
        click.echo(f"{r['sink']}\t{r['dataset']}\t{r['fingerprint']}\t{r['partition']}\t{r['first_loaded_at']}")


@main.group()
def dlq() -> None:
    """The dead-letter queue of [aws] dead_letter_queue: what failed for good, and why."""


@dlq.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True, help="At most N messages.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@config_option
@handle_errors
def dlq_list(limit: int, as_json: bool, config_path: str | None) -> None:
    """What is waiting in the queue, and why (reads without removing anything)."""
    from loaders.aws.worker import Worker
    from loaders.report import emit, one_line

    worker = Worker(load_config(config_path))
    if worker.dlq is None:
        raise ConfigError("no [aws] dead_letter_queue in the configuration")
    letters = [r.letter for r in worker.dlq.peek(limit)]
    rows = [
        {
            "message_id": letter.message_id,
            "failed_at": letter.failed_at,
            "attempts": letter.attempts,
            "error_class": letter.error_class,
            "error": letter.error,
            "dataset": letter.dataset,
            "partition": letter.partition,
            "manifest": letter.manifest,
            "sink": letter.sink,
        }
        for letter in letters
    ]
    if as_json:
        emit({"messages": rows})
        return
    for r in rows:
        where = r["manifest"] or f"{r['dataset']} {r['partition']}"
        click.echo(f"{r['failed_at']}\t{r['error_class']}\t{where}\t{one_line(r['error'])}")
    click.echo(f"{len(rows)} message(s) in the dead-letter queue", err=True)


@dlq.command("redrive")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True, help="At most N messages.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@config_option
@handle_errors
def dlq_redrive(limit: int, as_json: bool, config_path: str | None) -> None:
    """Load each message again; delete it when the load now succeeds, keep it (with the
    new reason) when it still fails. Exit 1 if any still fails."""
    from loaders.aws.worker import Worker
    from loaders.report import emit, one_line

    done = Worker(load_config(config_path)).redrive(limit)
    rows = [
        {"message_id": r.message_id, "manifest": r.letter.manifest, "partition": r.letter.partition, "result": result}
        for r, result in done
    ]
    if as_json:
        emit({"messages": rows})
    else:
        for r in rows:
            click.echo(f"{r['manifest'] or r['partition']}\t{one_line(r['result'])}")
    sys.exit(1 if any(not r["result"].startswith("loaded") for r in rows) else 0)


@main.command()
@click.option("--sink", "sink_name", required=True, metavar="NAME", help="A sink of loaders.toml, or a sink type.")
@click.option("--out", "out_dir", default="dist", show_default=True, metavar="DIR", help="Where to write the zip.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@config_option
@handle_errors
def package(sink_name: str, out_dir: str, as_json: bool, config_path: str | None) -> None:
    """Build a Lambda deployment zip with only this sink's extras."""
    from loaders.package import build_package

    build_package(sink_name, out_dir, config_path=config_path, as_json=as_json)


@main.command()
@click.option("--dir", "directory", default="loaders-demo", show_default=True, help="Folder for the demo project.")
@handle_errors
def demo(directory: str) -> None:
    """Build a travel ad-network data set and load it into DuckDB, step by step."""
    from loaders.demo import run_demo

    sys.exit(run_demo(directory))


def window_state(view: View, recorded: PartitionState | None) -> PartitionState:
    """A partition of a window as status reports it: the recorded state, with the status
    the planner sees (missing, stale) against the store."""
    if recorded is None:
        recorded = PartitionState(view.dataset, view.partition.key, "", 0, 0, 0, None, None, None)
    return replace(recorded, status=view.status)
