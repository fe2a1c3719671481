"""``loaders superseded`` and ``loaders schemas``: what the optional sink features keep
(superseded prefixes, writer-schema fingerprints), and the store's schema registry."""

from __future__ import annotations

from typing import Any

import click

from loaders.cli.common import config_option, handle_errors, json_option
from loaders.config import load_config
from manifests import ConfigError
from sinks.base import SchemaHistory, SupersededPrefixes


@click.command()
@click.option("--sink", "sink_name", metavar="NAME", help="Only this sink.")
@click.option("--dataset", "dataset", metavar="NAME", help="Only this dataset.")
@click.option("--older-than", default="6h", show_default=True, metavar="DURATION", help="Grace period (e.g. 6h, 2d).")
@click.option("--delete", is_flag=True, help="Delete what is past the grace period (default: only list).")
@json_option
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
    from loaders.report import print_superseded
    from loaders.runner import Runner

    config = load_config(config_path)
    config.check_datasets([dataset])
    try:
        grace = parse_duration(older_than)
    except ValueError as exc:
        raise ConfigError(f"--older-than {exc}") from None
    rows = []
    with Runner(config, only_sink=sink_name) as runner:
        for name, sink in runner.chosen_sinks():
            if not isinstance(sink, SupersededPrefixes):
                continue
            listed = sink.superseded(dataset)
            due = set(sink.purge_superseded(dataset, grace, dry_run=not delete))
            for entry in listed:
                action = ("deleted" if delete else "due") if entry["location"] in due else "in grace period"
                rows.append({"sink": name, **entry, "action": action})
    print_superseded(rows, as_json)


@click.group()
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

    from loaders.report import print_schema_published
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
    print_schema_published(url, hex_form(value), value)


@schemas.command("list")
@click.option("--sink", "sink_name", metavar="NAME", help="Only this sink.")
@click.option("--dataset", "dataset", metavar="NAME", help="Only this dataset.")
@json_option
@config_option
@handle_errors
def schemas_list(sink_name: str | None, dataset: str | None, as_json: bool, config_path: str | None) -> None:
    """The writer schemas each table holds data of, from the load state: fingerprint,
    and the partition and load that first brought it."""
    from loaders.report import print_schemas, schema_row
    from loaders.runner import Runner

    config = load_config(config_path)
    config.check_datasets([dataset])
    rows: list[dict[str, Any]] = []
    with Runner(config, only_sink=sink_name) as runner:
        for name, sink in runner.chosen_sinks():
            if not isinstance(sink, SchemaHistory):
                click.echo(f"sink {name}: does not record schema fingerprints", err=True)
                continue
            rows += [schema_row(name, seen) for seen in sink.schemas(dataset)]
    print_schemas(rows, as_json)
