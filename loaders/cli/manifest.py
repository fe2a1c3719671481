"""``loaders manifest build``: a manifest for files a producer wrote without one."""

from __future__ import annotations

import click

from loaders.cli.common import handle_errors, json_option
from manifests import FORMATS, ConfigError


@click.group()
def manifest() -> None:
    """Manifests for producers that write none (Firehose, Spark, Flink)."""


@manifest.command()
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option("--out", "out", required=True, metavar="URL", help="Where to write the manifest (s3:// URL or path).")
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), help="The files' format (default: .parquet files are Parquet)."
)
@click.option(
    "--endpoint-url", envvar="AWS_ENDPOINT_URL", metavar="URL", help="An S3-compatible endpoint (or AWS_ENDPOINT_URL)."
)
@json_option
@handle_errors
def build(sources: tuple[str, ...], out: str, fmt: str | None, endpoint_url: str | None, as_json: bool) -> None:
    """Write a Redshift-format manifest of SOURCE files (a SOURCE ending in / stands for
    every data file under that prefix; names starting with _ or . are not data), with
    content_length from the listing and record_count from Parquet footers.

    The manifest is created only if OUT does not exist: run twice, the second run finds
    the same manifest and changes nothing (exit 0); a different one there is an error
    (exit 1) and is left as it is.
    """
    from loaders.report.manifests import print_built
    from manifests.builder import build as build_doc
    from manifests.builder import write_once
    from manifests.store import open_store

    remote = [u.startswith("s3://") for u in (*sources, out)]
    if any(remote) and not all(remote):
        raise ConfigError("SOURCE and --out: all s3:// URLs, or all local paths")
    root = "s3://" + out.removeprefix("s3://").split("/", 1)[0] if remote[0] else "."
    store = open_store(root, endpoint_url)
    doc = build_doc(store, list(sources), fmt)
    url = store.resolve(out)
    print_built(url, doc, write_once(store, url, doc), as_json)
