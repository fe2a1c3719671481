"""Lambda events → load requests. No I/O here: the shapes only.

What reaches the handler, and what each becomes::

    SNS event            one record per message; Sns.Message is the payload
    SQS event            body is an SNS envelope ({"Type": "Notification", "Message": ...}),
                         or the payload itself (raw message delivery, S3 → SQS directly,
                         or an EventBridge rule's SQS target)
    EventBridge event    an EventBridge rule invoking the function directly: the event is
                         the payload, one delivery, its ``id`` the message id
    payload              an S3 notification ({"Records": [{"eventSource": "aws:s3", ...}]}),
                         an S3 event through EventBridge ({"source": "aws.s3",
                         "detail-type": "Object Created", "detail": {...}}),
                         an S3 test event ({"Event": "s3:TestEvent"}): nothing to do,
                         a direct request {"manifest": "s3://..."}, or
                         a partition request {"dataset": ..., "partition": {...} | "k=v/..."}

Object keys in S3 notifications are URL-encoded (a space arrives as ``+``), so they are
decoded with ``unquote_plus`` (AWS: "Event message structure", s3.object.key). Through
EventBridge, ``detail.object.key`` is taken as it is: the S3 user guide's "EventBridge event
message structure" documents no encoding for it (only the notification records' page does)
and its examples carry plain keys. Powertools' EventBridge data class decodes it anyway,
which would turn a ``+`` of a real key into a space, so it is not used here.
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
    source: str  # "sns" | "sqs" | "eventbridge"
    record: dict[str, Any]
    requests: tuple[Request, ...] = ()
    problem: str | None = field(default=None)  # why the payload could not be read


def messages(event: dict[str, Any]) -> list[Message]:
    """The deliveries of a Lambda event: SNS, SQS, or one EventBridge event."""
    from aws_lambda_powertools.utilities.data_classes import SNSEvent, SQSEvent

    if _is_eventbridge(event):
        return [_message(str(event.get("id") or "-"), "eventbridge", event, json.dumps(event))]
    records = event.get("Records") or []
    source = records[0].get("EventSource") or records[0].get("eventSource") if records else None
    if source == "aws:sns":
        return [_message(r.sns.message_id, "sns", r.raw_event, r.sns.message) for r in SNSEvent(event).records]
    if source == "aws:sqs":
        return [_message(r.message_id, "sqs", r.raw_event, _unwrap(r.body)) for r in SQSEvent(event).records]
    raise ValueError(f"not an SNS or SQS event, nor an EventBridge one (event source {source!r})")


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
    if _is_eventbridge(doc):
        return _eventbridge_requests(doc)
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


def _is_eventbridge(doc: dict[str, Any]) -> bool:
    return "detail-type" in doc and "source" in doc and "Records" not in doc


def _eventbridge_requests(doc: dict[str, Any]) -> tuple[ManifestRequest, ...]:
    """An S3 event through EventBridge (AWS: S3 user guide, "EventBridge event message
    structure"): "Object Created" asks for its object; S3's other detail types (Object
    Deleted, Object Restore Completed...) ask for nothing, as other S3 notification
    records do; an event from another source is refused with its source and type."""
    source, detail_type = doc.get("source"), doc.get("detail-type")
    if source != "aws.s3":
        raise ManifestError(
            f"an EventBridge event from {source!r} ({detail_type!r}) is not an S3 notification: "
            'route only {"source": ["aws.s3"], "detail-type": ["Object Created"]} to this function'
        )
    if detail_type != "Object Created":
        return ()  # not a batch to load
    detail = doc.get("detail")
    bucket = detail.get("bucket") if isinstance(detail, dict) else None
    obj = detail.get("object") if isinstance(detail, dict) else None
    name = bucket.get("name") if isinstance(bucket, dict) else None
    key = obj.get("key") if isinstance(obj, dict) else None
    if not isinstance(name, str) or not name or not isinstance(key, str) or not key:
        raise ManifestError('an S3 "Object Created" event without detail.bucket.name and detail.object.key')
    return (ManifestRequest(f"s3://{name}/{key}", notified=True),)  # the key is not URL-encoded here


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
