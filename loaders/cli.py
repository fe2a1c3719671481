"""The ``loaders`` command line.

Exit status: 0 done, 1 a load failed, 2 usage or configuration error. With ``--json``
stdout holds exactly one JSON document; everything else goes to stderr.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from loaders.config import MAX_DAYS, DatasetConfig, load_config
from loaders.planner import Planned, Reprocess, View, Window
from manifests import ConfigError, LoaderError, secrets
from sinks.base import PartitionState, SchemaHistory, SupersededPrefixes

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


def writable_folder(path: str, option: str) -> None:
    """The folder a command writes into must be a folder, or creatable: a file in its
    place (or in place of a parent) or no write permission is a usage error naming the
    option, found before any work, not an OSError midway reported as a bug."""
    at = os.path.abspath(path)
    while not os.path.lexists(at) and os.path.dirname(at) != at:
        at = os.path.dirname(at)
    if not os.path.isdir(at):
        raise ConfigError(f"{option} {path}: {at} is not a folder")
    if not os.access(at, os.W_OK | os.X_OK):
        raise ConfigError(f"{option} {path}: {at} is not writable")


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
    sys.exit(exit_status(outcomes))


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
    from loaders.planner import Planner, windowed
    from loaders.report import print_grid, print_states
    from loaders.runner import Runner

    config = load_config(config_path)
    config.check_datasets([dataset])
    if days is not None and dataset and (why := windowed(config.datasets[dataset])):
        raise ConfigError(f"--days: {why}")
    runner = Runner(config, only_sink=sink_name)
    try:
        sinks = _noting_empty_state(runner)
        states = [(name, s) for name, sink in sinks for s in sink.states(dataset)]
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
    finally:
        runner.close()
    rows = [(v.sink, window_state(v, known.get((v.sink, v.dataset, v.partition.key)))) for v in views]
    if as_json or not sys.stdout.isatty():
        print_states(rows, as_json, data=[v.data for v in views])
    else:
        print_grid(rows)


def _noting_empty_state(runner: Any) -> list[tuple[str, Any]]:
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
    runner = Runner(config, only_sink=sink_name)
    try:
        chosen = [config.datasets[d] for d in (datasets or config.datasets)]
        now = datetime.now(UTC).replace(tzinfo=None) if retry else None
        plan, notes = Planner(runner.store, runner.sinks).plan_windows(chosen, window_of, reprocess, now)
        for note in notes:
            click.echo(f"note: {note}", err=True)
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
    sys.exit(exit_status(outcomes, interrupted))


def exit_status(outcomes: Sequence[Any], interrupted: bool = False) -> int:
    """2 when a unit failed for its configuration (a sink that cannot be opened, refused
    credentials), else 1 when any failed or the run was interrupted, else 0."""
    if any(o.config_error for o in outcomes):
        return 2
    return 1 if interrupted or any(o.action == "failed" for o in outcomes) else 0


@main.command()
@click.option("--dataset", "dataset", required=True, metavar="NAME", help="The dataset.")
@click.option("--partition", "partition_key", required=True, metavar="K=V/...", help="e.g. dt=2026-12-01.")
@click.option("--sink", "sink_name", metavar="NAME", help="Only this sink (default: each of the dataset's sinks).")
@click.option(
    "--forget-manifests", "forget", is_flag=True, help="Also forget its applied manifests: the next run reloads it."
)
@click.option("--force", is_flag=True, help="Forget the manifests of an append dataset although a reload duplicates.")
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
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
    from loaders.report import emit
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
    runner = Runner(config, only_sink=sink_name)
    try:
        results = [(name, runner.sink(name).reset(dataset, partition, forget=forget, dry_run=dry_run))
                   for name in runner.sink_names(chosen)]  # fmt: skip
    finally:
        runner.close()
    rows = [_reset_row(name, r, forget, dry_run) for name, r in results]
    if as_json:
        emit({"resets": rows, "dry_run": dry_run})
    else:
        for r in rows:
            click.echo(f"{r['sink']}\t{r['dataset']}\t{r['partition']}\t{r['change']}")
    if not any(r.found for _name, r in results):  # a misspelt partition (hour=3 for hour=03) finds nothing
        click.echo(f"error: no sink has a load state for {dataset} {partition.key}: nothing to reset", err=True)
        sys.exit(1)


def _reset_row(sink: str, r: Any, forget: bool, dry_run: bool) -> dict[str, Any]:
    """One sink's reset, as a row; ``change`` in words (what would change, dry)."""
    did = []
    if r.failure_cleared:
        did.append("would clear the failure" if dry_run else "failure cleared")
    if forget and r.found:
        verb = "would forget" if dry_run else "forgot"
        did.append(f"{verb} {r.manifests_forgotten} manifest(s) ({r.rows_forgotten} rows stay in the table)")
    change = "; ".join(did) if did else ("no load state" if not r.found else "nothing to change: not failed")
    return {
        "sink": sink,
        "dataset": r.dataset,
        "partition": r.partition,
        "found": r.found,
        "failure_cleared": r.failure_cleared,
        "manifests_forgotten": r.manifests_forgotten,
        "rows_forgotten": r.rows_forgotten,
        "change": change,
    }


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

    config = load_config(config_path)
    writable_folder(out_dir, "--out")
    try:
        compiled = compile_project(config, out_dir, sink=sink_name, dataset=dataset, partition=partition)
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
            if not isinstance(sink, SupersededPrefixes):
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
@click.argument("schema_file")
@config_option
@handle_errors
def schemas_publish(data_type: str, schema_file: str, config_path: str | None) -> None:
    """Publish SCHEMA_FILE (.avsc) for DATA_TYPE under its CRC-64-AVRO fingerprint."""
    import json

    from manifests.schemas import SchemaRegistry, check_data_type, fingerprint, hex_form
    from manifests.store import open_store

    config = load_config(config_path)
    try:
        check_data_type(data_type)
    except ValueError as exc:
        raise ConfigError(f"DATA_TYPE {data_type!r}: {exc}") from None
    try:
        with open(schema_file, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:  # missing, a folder, unreadable, not text
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"{schema_file}: cannot read the schema file ({reason})") from None
    try:
        schema = json.loads(text)
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
            if not isinstance(sink, SchemaHistory):
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

    writable_folder(out_dir, "--out")
    build_package(sink_name, out_dir, config_path=config_path, as_json=as_json)


@main.command()
@click.option("--dir", "directory", default="loaders-demo", show_default=True, help="Folder for the demo project.")
@handle_errors
def demo(directory: str) -> None:
    """Build a travel ad-network data set and load it into DuckDB, step by step."""
    from loaders.demo import run_demo

    writable_folder(directory, "--dir")
    sys.exit(run_demo(directory))


def window_state(view: View, recorded: PartitionState | None) -> PartitionState:
    """A partition of a window as status reports it: the recorded state, with the status
    the planner sees (missing, stale) against the store."""
    if recorded is None:
        recorded = PartitionState(view.dataset, view.partition.key, "", 0, 0, 0, None, None, None)
    return replace(recorded, status=view.status)
