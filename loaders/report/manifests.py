"""What ``loaders manifest build`` prints: one line, or one JSON document with ``--json``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from loaders.report.text import emit


def built_row(url: str, doc: Mapping[str, Any], written: bool) -> dict[str, Any]:
    """A built manifest: where, whether this run wrote it, its files, bytes and records
    (None when a file's count is unknown: not Parquet)."""
    entries = doc["entries"]
    counts = [e["meta"].get("record_count") for e in entries]
    return {
        "manifest": url,
        "written": written,
        "files": len(entries),
        "bytes": sum(e["meta"]["content_length"] for e in entries),
        "records": None if None in counts else sum(counts),
        "entries": entries,
    }


def print_built(url: str, doc: Mapping[str, Any], written: bool, as_json: bool) -> None:
    row = built_row(url, doc, written)
    if as_json:
        emit(row)
        return
    records = "" if row["records"] is None else f", {row['records']} record(s)"
    state = "written" if written else "unchanged (the same manifest was there already)"
    click.echo(f"{state}\t{url}\t{row['files']} file(s), {row['bytes']} bytes{records}")
