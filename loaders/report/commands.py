"""What the smaller commands print, as tab-separated lines or one JSON document:
``reset``, ``superseded``, ``schemas``, ``dlq`` and ``package``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from loaders.report.text import emit, one_line
from sinks.base import ResetResult, SchemaSeen

if TYPE_CHECKING:
    from loaders.aws.dlq import Letter, Received


def reset_row(sink: str, r: ResetResult, forget: bool, dry_run: bool) -> dict[str, Any]:
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


def print_resets(results: Sequence[tuple[str, ResetResult]], forget: bool, dry_run: bool, as_json: bool) -> None:
    rows = [reset_row(name, r, forget, dry_run) for name, r in results]
    if as_json:
        emit({"resets": rows, "dry_run": dry_run})
    else:
        for r in rows:
            click.echo(f"{r['sink']}\t{r['dataset']}\t{r['partition']}\t{r['change']}")


def print_superseded(rows: Sequence[dict[str, str]], as_json: bool) -> None:
    """Superseded prefixes, each with what became of it (due, deleted, in grace period)."""
    if as_json:
        emit({"superseded": rows})
        return
    for r in rows:
        click.echo(f"{r['action']}\t{r['sink']}\t{r['dataset']}\t{r['partition']}\t{r['location']}\t{r['at']}")
    due_count = sum(r["action"] == "due" for r in rows)
    if due_count:
        click.echo(f"{due_count} prefix(es) past the grace period: run again with --delete to remove them", err=True)


def print_schema_published(url: str, hex_fingerprint: str, fingerprint: int) -> None:
    click.echo(f"{url}\t{hex_fingerprint}\t{fingerprint}")


def schema_row(sink: str, seen: SchemaSeen) -> dict[str, Any]:
    at = seen.first_loaded_at
    return {
        "sink": sink,
        "dataset": seen.dataset,
        "fingerprint": seen.fingerprint,
        "partition": seen.partition,
        "load_id": seen.load_id,
        "first_loaded_at": at.isoformat() if hasattr(at, "isoformat") else str(at),
    }


def print_schemas(rows: Sequence[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        emit({"schemas": rows})
        return
    for r in rows:
        click.echo(f"{r['sink']}\t{r['dataset']}\t{r['fingerprint']}\t{r['partition']}\t{r['first_loaded_at']}")


def print_letters(letters: Sequence[Letter], as_json: bool) -> None:
    """The dead-letter queue's messages (``dlq list``)."""
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
    for letter in letters:
        where = letter.manifest or f"{letter.dataset} {letter.partition}"
        click.echo(f"{letter.failed_at}\t{letter.error_class}\t{where}\t{one_line(letter.error)}")
    click.echo(f"{len(rows)} message(s) in the dead-letter queue", err=True)


def print_redriven(done: Sequence[tuple[Received, str]], as_json: bool) -> None:
    """What became of each message ``dlq redrive`` took."""
    rows = [
        {"message_id": r.message_id, "manifest": r.letter.manifest, "partition": r.letter.partition, "result": result}
        for r, result in done
    ]
    if as_json:
        emit({"messages": rows})
    else:
        for received, result in done:
            click.echo(f"{received.letter.manifest or received.letter.partition}\t{one_line(result)}")


def print_package(doc: dict[str, Any], as_json: bool) -> None:
    """A Lambda zip built (``package``): its size, and the largest distributions in it."""
    from loaders.package import MB

    if as_json:
        emit(doc)
    else:
        rows = doc["distributions"][:10] if sys.stdout.isatty() else doc["distributions"]
        click.echo(f"{doc['zip']}  ({doc['runtime']}, {doc['architecture']}, sink type {doc['sink_type']})")
        click.echo(f"  zipped    {doc['zipped_bytes'] / MB:7.1f} MB")
        click.echo(f"  unzipped  {doc['unzipped_bytes'] / MB:7.1f} MB of Lambda's 250 MB limit (function + layers)")
        for row in rows:
            click.echo(f"  {row['name']:<32} {row['version']:<16} {row['bytes'] / MB:7.1f} MB")
        if len(rows) < len(doc["distributions"]):
            click.echo(f"  ... and {len(doc['distributions']) - len(rows)} smaller distributions (--json lists all)")
        sdk = ", ".join(f"{d['name']} {d['version']}" for d in doc["provided_by_runtime"])
        click.echo(f"  taken from the Lambda runtime, not packed (tested here with): {sdk or 'nothing'}")
    for warning in doc["warnings"]:
        click.echo(f"warning: {warning}", err=True)
