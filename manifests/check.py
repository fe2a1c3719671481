"""Integrity checks of a manifest's files against one listing per folder.

Each data URL is brought to its one canonical form, must be named once, lie under an
allowed prefix, exist when mandatory, and have the ``content_length`` the manifest
claims. Sizes come from LIST, never from a GET or HEAD per file. A missing optional
file is dropped, as Redshift's COPY does — unless the manifest's top-level ``meta``
gives totals (UNLOAD ... MANIFEST VERBOSE): then the files found must still add up to
them, or the load would quietly be short of rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace

from manifests.errors import (
    DuplicateFileError,
    ForeignURLError,
    LoaderError,
    MissingFileError,
    RecordCountError,
    SizeMismatchError,
)
from manifests.models import Entry, Manifest, ObjectInfo
from manifests.store import ObjectStore
from manifests.urls import check_allowed

log = logging.getLogger(__name__)


#: folder URL → {object URL: what its LIST said}; shared by the checks of one operation
Listings = dict[str, dict[str, ObjectInfo]]


def check_files(
    manifest: Manifest, store: ObjectStore, allowed: tuple[str, ...], listings: Listings | None = None
) -> Manifest:
    """The manifest with canonical entry URLs and only the files that exist, or an error.

    ``listings`` lets the manifests of one load share their LISTs: ten manifests of one
    partition usually name files in the same folder, which is then listed once.
    """
    entries = []
    spelled: dict[str, str] = {}  # canonical URL → how the manifest first spelled it
    for e in manifest.entries:
        url = canonical(e.url, store, manifest.url)
        try:
            check_allowed(url, allowed, manifest=manifest.url)
        except ForeignURLError as exc:  # name the file as the manifest spells it, and where it leads
            leads = f" (it resolves to {url})" if url != e.url else ""
            raise ForeignURLError(exc.reason + leads, manifest=manifest.url, file=e.url) from None
        if url in spelled:
            twice = f"{spelled[url]} and {e.url}" if spelled[url] != e.url else e.url
            raise DuplicateFileError(f"lists one file twice ({twice})", manifest=manifest.url, file=url)
        spelled[url] = e.url
        entries.append(replace(e, url=url))
    listings = {} if listings is None else listings
    listing: dict[str, ObjectInfo] = {}
    for folder in sorted({e.url.rsplit("/", 1)[0] + "/" for e in entries}):
        if folder not in listings:
            listings[folder] = {o.url: o for o in store.list(folder)}
        listing.update(listings[folder])
    kept: list[Entry] = []
    for entry in entries:
        found = listing.get(entry.url)
        if found is None:
            if entry.mandatory:
                raise MissingFileError(
                    "mandatory file is missing from the store", manifest=manifest.url, file=entry.url
                )
            log.warning("manifest %s: optional file %s is missing; skipped", manifest.url, entry.url)
            continue
        if entry.content_length is not None and entry.content_length != found.size:
            raise SizeMismatchError(
                f"content_length is {entry.content_length} but the object has {found.size} bytes",
                manifest=manifest.url,
                file=entry.url,
            )
        kept.append(replace(entry, content_length=found.size))
    check_totals(manifest, kept, [e.url for e in entries if e.url not in listing])
    return replace(manifest, entries=tuple(kept))


def check_totals(manifest: Manifest, kept: list[Entry], missing: list[str]) -> None:
    """The files found against the manifest's top-level ``meta`` totals, where it gives
    them: their ``record_count``s (where every file has one) must add up to its
    ``record_count``, and their sizes to its ``content_length``. The rows read are checked against
    it again when they are staged (``sinks.rules.rows_per_manifest``)."""
    gone = f" ({len(missing)} optional file(s) missing from the store, e.g. {missing[0]})" if missing else ""
    counts = [e.record_count for e in kept]
    rows = sum(c or 0 for c in counts)
    if manifest.record_count is not None and None not in counts and rows != manifest.record_count:
        raise RecordCountError(
            f"meta.record_count is {manifest.record_count} but the files found hold {rows} rows{gone}",
            manifest=manifest.url,
            file=missing[0] if missing else None,
        )
    size = sum(e.content_length or 0 for e in kept)
    if manifest.content_length is not None and size != manifest.content_length:
        raise SizeMismatchError(
            f"meta.content_length is {manifest.content_length} but the files found hold {size} bytes{gone}",
            manifest=manifest.url,
            file=missing[0] if missing else None,
        )


def canonical(url: str, store: ObjectStore, manifest: str) -> str:
    """The one URL of an entry, however it is spelled: relative to the store root or
    absolute, percent-encoded or not, ``file://localhost/``, through a symlink. Every
    comparison of file identity (duplicates, listings, row counts) uses this form."""
    try:
        return store.resolve(url)
    except LoaderError as exc:
        raise type(exc)(exc.reason, manifest=manifest, file=url) from None


def unique_files(manifests: Iterable[tuple[str, Manifest]]) -> dict[str, tuple[str, str]]:
    """The rule of one load: a data file belongs to one manifest of one partition.

    ``manifests`` are (partition key, manifest) pairs with canonical entry URLs (after
    :func:`check_files`). Returns, for each manifest URL that shares a file with another,
    the error message naming both manifests and the file; empty when all is well. A file
    named twice would be loaded twice: in two partitions, or twice into one."""
    # file URL → (partition key, manifest identity, manifest URL): two versions of one
    # manifest in one load are two owners
    owner: dict[str, tuple[str, tuple[str, str], str]] = {}
    clashes: dict[str, tuple[str, str]] = {}
    for key, manifest in manifests:
        for entry in manifest.entries:
            first = owner.setdefault(entry.url, (key, manifest.identity, manifest.url))
            if first[:2] == (key, manifest.identity):
                continue
            where = "" if first[0] == key else f" (partitions {first[0]} and {key})"
            message = f"file {entry.url} is named by manifests {first[2]} and {manifest.url}{where}"
            clashes.setdefault(manifest.url, (message, entry.url))
            clashes.setdefault(first[2], (message, entry.url))
    return clashes
