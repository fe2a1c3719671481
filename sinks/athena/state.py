"""Athena's load state: one JSON object per partition in S3, changed only by conditional writes.

Athena has no transactions to keep state in, so the state of a partition is an S3 object
created with ``If-None-Match: *`` and replaced with ``If-Match: <etag>``. A write that
loses a race fails with 412 instead of overwriting, which makes every change a
compare-and-swap: two loaders of one partition cannot both take its lease, and a loader
whose lease was taken from it cannot record over the new holder. The object holds

    applied     the manifest versions applied, with their rows
    location    the prefix the Glue partition points at
    lease       owner, expiry and fencing token of the loader switching the partition
    pending     the switch a lease holder intends (location, applied, rows), so that a
                loader that dies after switching is rolled forward, not repeated
    superseded  prefixes no longer referenced, for an explicit, dry-run-first clean-up
    schemas     the writer-schema fingerprints the partition's data came with, each with
                the load that first brought it (``loaders schemas list``)

and, apart from the data, the partition's last attempt: ``status`` (loaded or failed),
``attempts`` (failed ones since the last success), ``last_error`` and ``attempted_at``.

boto3 is imported by the caller's client only; nothing here imports it.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from manifests import Manifest
from manifests.aws_errors import aws_failure
from manifests.store import error_code, split_s3
from sinks.base import SchemaSeen

#: seconds between the attempts of a change that lost a race (sinks/retrying.py): a race
#: is over quickly, and the loser reads the state again before it decides again
RACE_WAIT = 0.005
#: S3 answers a lost conditional write with 412, and a concurrent one in flight with 409.
_LOST = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")
#: no bucket is no state yet: a read finds nothing (it never creates the bucket)
_NO_BUCKET = ("NoSuchBucket",)


class Conflict(Exception):
    """The object changed since it was read: re-read and decide again."""


@dataclass
class Versioned:
    """A state document and the ETag it was read with (None: the object does not exist)."""

    doc: dict[str, Any]
    etag: str | None


def new_doc(dataset: str, partition: str) -> dict[str, Any]:
    """The state of a partition never loaded; written only together with a first change."""
    return {
        "dataset": dataset,
        "partition": partition,
        "status": "new",
        "applied": [],
        "rows": 0,
        "location": None,
        "attempts": 0,
        "last_error": None,
        "attempted_at": None,
        "load_id": None,
        "loaded_at": None,
        "token": 0,
        "lease": None,
        "pending": None,
        "superseded": [],
    }


class StateStore:
    """Reads and conditionally writes partition state objects under ``prefix``."""

    def __init__(self, client: Any, prefix: str) -> None:
        if not prefix.startswith("s3://"):
            raise ValueError(f"state prefix {prefix!r}: expected s3://bucket/prefix/")
        bucket, key = split_s3(prefix)
        self.client = client
        self.bucket = bucket
        self.prefix = key.rstrip("/") + "/" if key else ""

    def key(self, dataset: str, partition: str) -> str:
        return f"{self.prefix}{dataset}/{partition}.json"

    def read(self, dataset: str, partition: str) -> Versioned:
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self.key(dataset, partition))
        except Exception as exc:
            if error_code(exc) in ("NoSuchKey", "404", "NotFound", *_NO_BUCKET):
                return Versioned(new_doc(dataset, partition), None)
            raise aws_failure(exc, f"cannot read load state {self.key(dataset, partition)}") from exc
        return Versioned(json.loads(obj["Body"].read()), obj["ETag"])

    def write(self, state: Versioned) -> Versioned:
        """Create (the object must not exist) or replace (it must still be what we read)."""
        doc = state.doc
        condition = {"IfMatch": state.etag} if state.etag else {"IfNoneMatch": "*"}
        key = self.key(doc["dataset"], doc["partition"])
        body = json.dumps(doc, sort_keys=True, indent=1).encode()
        try:
            put = self.client.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType="application/json", **condition
            )
        except Exception as exc:
            if error_code(exc) in _LOST:
                raise Conflict(key) from None
            raise aws_failure(exc, f"cannot write load state {key}") from exc
        return Versioned(doc, put["ETag"])

    def all(self, dataset: str | None = None) -> Iterator[dict[str, Any]]:
        """Every state object (of one dataset): one LIST, then one GET each."""
        prefix = self.prefix + (f"{dataset}/" if dataset else "")
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
            keys = [o["Key"] for page in pages for o in page.get("Contents", []) if o["Key"].endswith(".json")]
            for key in sorted(keys):
                yield json.loads(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())
        except Exception as exc:
            if error_code(exc) in _NO_BUCKET:
                return
            raise aws_failure(exc, f"cannot list load state under s3://{self.bucket}/{prefix}") from exc

    def has_state(self) -> bool:
        """Whether any state object exists: one LIST of at most one key, nothing created.
        A missing bucket is no state; a refused read is raised (terminal: the credentials
        or the policy must change), any other error as transient."""
        try:
            listed = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)
        except Exception as exc:
            if error_code(exc) in _NO_BUCKET:
                return False
            raise aws_failure(exc, f"cannot list load state under s3://{self.bucket}/{self.prefix}") from exc
        return bool(listed.get("Contents"))


def record_schemas(new: dict[str, Any], pending: Sequence[Manifest], load_id: str, at: str) -> None:
    """Add the fingerprints of the writer schemas ``pending`` brought to a state about to be
    written; a fingerprint already there keeps the load that first brought it."""
    seen = dict(new.get("schemas") or {})
    for fingerprint in (f for m in pending for f in m.schemas):
        seen.setdefault(fingerprint, {"load_id": load_id, "at": at})
    new["schemas"] = seen


def schemas_seen(docs: Iterable[dict[str, Any]]) -> list[SchemaSeen]:
    """Each dataset's fingerprints over its partitions' states: the earliest load of each."""
    first: dict[tuple[str, str], SchemaSeen] = {}
    for doc in docs:
        for fingerprint, seen in (doc.get("schemas") or {}).items():
            try:
                at: Any = datetime.fromisoformat(seen["at"])
            except ValueError:
                at = seen["at"]
            found = SchemaSeen(doc["dataset"], fingerprint, doc["partition"], seen["load_id"], at)
            key = (found.dataset, fingerprint)
            if key not in first or str(found.first_loaded_at) < str(first[key].first_loaded_at):
                first[key] = found
    return sorted(first.values(), key=lambda s: (s.dataset, str(s.first_loaded_at), s.fingerprint))


def applied_of(doc: dict[str, Any], identity: Callable[[str], str] = str) -> set[tuple[str, str]]:
    """The (manifest key, version) pairs a state object records. ``identity`` reads a
    manifest recorded by absolute URL (state written by an older version) as its key
    relative to the store root; the next load of the partition writes it so."""
    return {(identity(str(u)), str(v)) for u, v, _rows in doc["applied"]}


class MemoryStates:
    """StateStore's interface in memory, with the same compare-and-swap: what ``loaders
    compile`` and the unit tests use instead of S3."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], Versioned] = {}
        self._etags = itertools.count(1)

    def read(self, dataset: str, partition: str) -> Versioned:
        found = self.objects.get((dataset, partition))
        return copy.deepcopy(found) if found else Versioned(new_doc(dataset, partition), None)

    def write(self, state: Versioned) -> Versioned:
        key = (state.doc["dataset"], state.doc["partition"])
        current = self.objects.get(key)
        if (current.etag if current else None) != state.etag:
            raise Conflict(str(key))
        written = Versioned(copy.deepcopy(state.doc), f'"{next(self._etags)}"')
        self.objects[key] = written
        return copy.deepcopy(written)

    def has_state(self) -> bool:
        return bool(self.objects)

    def all(self, dataset: str | None = None) -> Iterator[dict[str, Any]]:
        for key in sorted(self.objects):
            if dataset in (None, key[0]):
                yield copy.deepcopy(self.objects[key].doc)
