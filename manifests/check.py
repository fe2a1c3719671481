"""Integrity checks of a manifest's files against one listing per folder.

Each data URL must lie under an allowed prefix, exist when mandatory, and have the
``content_length`` the manifest claims. Sizes come from LIST, never from a GET or HEAD
per file. A missing optional file is dropped, as Redshift's COPY does.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from manifests.errors import MissingFileError, SizeMismatchError
from manifests.models import Entry, Manifest, ObjectInfo
from manifests.store import ObjectStore
from manifests.urls import check_allowed, check_segments

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
    entries = [
        replace(e, url=check_allowed(_absolute(e.url, store, manifest.url), allowed, manifest=manifest.url))
        for e in manifest.entries
    ]
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
    return replace(manifest, entries=tuple(kept))


def _absolute(url: str, store: ObjectStore, manifest: str) -> str:
    """Entry URLs may be relative to the store root (local stores, mostly)."""
    if "://" in url:
        return url
    check_segments(url, manifest=manifest)
    return store.resolve(url)
