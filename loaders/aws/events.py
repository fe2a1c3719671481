"""Lambda events → load requests. No I/O here: the shapes only.

What reaches the handler, and what each becomes::

    SNS event            one record per message; Sns.Message is the payload
    SQS event            body is an SNS envelope ({"Type": "Notification", "Message": ...}),
                         or the payload itself (raw message delivery, or S3 → SQS directly)
    payload              an S3 notification ({"Records": [{"eventSource": "aws:s3", ...}]}),
                         an S3 test event ({"Event": "s3:TestEvent"}): nothing to do,
                         a direct request {"manifest": "s3://..."}, or
                         a partition request {"dataset": ..., "partition": {...} | "k=v/..."}

Object keys in S3 notifications are URL-encoded (a space arrives as ``+``), so they are
decoded with ``unquote_plus`` (AWS: "Event message structure", s3.object.key).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from manifests import ManifestError
from manifests.parse import strict_json


@dataclass(frozen=True)
class ManifestRequest:
    """Load this manifest; ``notified`` when it came from an S3 notification, where a key
    outside every dataset's pattern is skipped rather than failed."""

    url: str
    notified: bool = False


@dataclass(frozen=True)
class PartitionRequest:
    """Plan and load one partition (what ``backfill --fan-out`` publishes)."""

    dataset: str
    partition: str
    sink: str | None = None
    reprocess: str = "missing"


Request = ManifestRequest | PartitionRequest


@dataclass(frozen=True)
class Message:
    """One delivery: an SNS record or an SQS message, with the requests it carries."""

    message_id: str
    source: str  # "sns" | "sqs"
    record: dict[str, Any]
    requests: tuple[Request, ...] = ()
    problem: str | None = field(default=None)  # why the payload could not be read


def messages(event: dict[str, Any]) -> list[Message]:
    """The deliveries of a Lambda event, SNS or SQS."""
    from aws_lambda_powertools.utilities.data_classes import SNSEvent, SQSEvent

    records = event.get("Records") or []
    source = records[0].get("EventSource") or records[0].get("eventSource") if records else None
    if source == "aws:sns":
        return [_message(r.sns.message_id, "sns", r.raw_event, r.sns.message) for r in SNSEvent(event).records]
    if source == "aws:sqs":
        return [_message(r.message_id, "sqs", r.raw_event, _unwrap(r.body)) for r in SQSEvent(event).records]
    raise ValueError(f"not an SNS or SQS event (event source {source!r})")


def _unwrap(body: str) -> str:
    """The payload of an SQS body: an SNS envelope's Message, or the body itself."""
    try:
        doc = strict_json(body)
    except ValueError:
        return body
    if isinstance(doc, dict) and doc.get("Type") == "Notification" and isinstance(doc.get("Message"), str):
        return doc["Message"]
    return body


def _message(message_id: str, source: str, record: dict[str, Any], payload: str) -> Message:
    try:
        return Message(message_id, source, record, requests(payload))
    except ManifestError as exc:
        return Message(message_id, source, record, problem=str(exc))


def requests(payload: str) -> tuple[Request, ...]:
    """The load requests in one message payload (a JSON string)."""
    try:
        doc = strict_json(payload)
    except ValueError as exc:  # nested too deeply too: refused, never a RecursionError retried for ever
        raise ManifestError(f"message is not JSON ({exc}): {payload[:200]!r}") from None
    if not isinstance(doc, dict):
        raise ManifestError(f"message is not a JSON object: {payload[:200]!r}")
    if doc.get("Event") == "s3:TestEvent":
        return ()
    if "Records" in doc:
        return tuple(_s3_records(doc["Records"]))
    if "manifest" in doc:
        if not isinstance(doc["manifest"], str) or not doc["manifest"]:
            raise ManifestError('"manifest" must be a non-empty string')
        return (ManifestRequest(doc["manifest"]),)
    if "dataset" in doc and "partition" in doc:
        return (_partition_request(doc),)
    raise ManifestError(
        'message is neither an S3 notification nor a load request ({"manifest": ...} or {"dataset", "partition"})'
    )


def _s3_records(records: Any) -> list[ManifestRequest]:
    from aws_lambda_powertools.utilities.data_classes import S3Event

    if not isinstance(records, list):
        raise ManifestError('"Records" is not a list')
    out = []
    for record in S3Event({"Records": records}).records:
        if not record.event_name.startswith("ObjectCreated:"):
            continue  # a deletion is not a batch to load
        key = unquote_plus(record.s3.get_object.key)
        out.append(ManifestRequest(f"s3://{record.s3.bucket.name}/{key}", notified=True))
    return out


def _partition_request(doc: dict[str, Any]) -> PartitionRequest:
    partition = doc["partition"]
    if isinstance(partition, dict):
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in partition.items()):
            raise ManifestError('"partition" values must be strings')
        partition = "/".join(f"{k}={v}" for k, v in partition.items())
    if not isinstance(partition, str) or not isinstance(doc["dataset"], str):
        raise ManifestError('"dataset" must be a string and "partition" an object or a "k=v/k=v" string')
    sink = doc.get("sink")
    reprocess = doc.get("reprocess", "missing")
    if sink is not None and not isinstance(sink, str):
        raise ManifestError('"sink" must be a string')
    if reprocess not in ("missing", "failed", "all"):
        raise ManifestError(f'"reprocess" must be missing, failed or all, not {reprocess!r}')
    return PartitionRequest(doc["dataset"], partition, sink, reprocess)


def partition_request_body(dataset: str, partition: str, sink: str | None, reprocess: str) -> str:
    """The message ``backfill --fan-out`` publishes: what ``requests`` reads back."""
    return json.dumps({"dataset": dataset, "partition": partition, "sink": sink, "reprocess": reprocess})
