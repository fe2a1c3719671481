"""The dead-letter queue: what could not be loaded, why, and the record to try again.

A *letter* is the JSON body the handler sends for a terminal failure: the original
Lambda record (SNS or SQS; a direct EventBridge event is its own record), the error class
and message, dataset, partition, manifest, sink, when it failed and how many times it
has been tried. The same queue also receives messages that SQS itself moved there after
too many receives (transient failures that never recovered): those bodies are SNS
envelopes or raw payloads, and are read as a record to retry with the reason "moved by SQS after N receives".

SQS cannot edit a message, so a letter that still fails on redrive is sent again with
the new reason and one more attempt, and the old one deleted.

Every SQS call's failure is sorted by :mod:`manifests.aws_errors`: no credentials or
region, access refused, a queue that does not exist are ConfigErrors (``loaders dlq``
exits 2); throttling and the network are transient.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from manifests.aws_errors import aws_failure, client_failure
from manifests.parse import strict_json
from manifests.secrets import redact_all

MARK = "loaders_dead_letter"
#: Seconds a message received for redrive stays hidden from other readers: longer than
#: reloading one partition takes, shorter than a person waits to run redrive again.
REDRIVE_VISIBILITY = 900
_REGION = re.compile(r"sqs[.-]([a-z0-9-]+)\.amazonaws\.com")


@dataclass(frozen=True)
class Letter:
    record: dict[str, Any]
    source: str
    message_id: str
    error_class: str
    error: str
    dataset: str | None = None
    partition: str | None = None
    manifest: str | None = None
    sink: str | None = None
    failed_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    attempts: int = 1

    def body(self) -> str:
        """The message sent: every string in it redacted (the reason quotes engines and
        URLs; the record is what was delivered), field by field so it stays JSON."""
        return json.dumps(redact_all({MARK: 1, **asdict(self)}), sort_keys=True, default=str)

    def retried(self, error_class: str, error: str) -> Letter:
        return replace(
            self,
            error_class=error_class,
            error=error,
            failed_at=datetime.now(UTC).isoformat(timespec="seconds"),
            attempts=self.attempts + 1,
        )

    @classmethod
    def parse(cls, body: str, message_id: str, receive_count: int) -> Letter:
        """Our letter, or a message SQS moved here: then the body is the record to retry."""
        try:
            doc = strict_json(body)
        except ValueError:  # not JSON, or nested too deeply to be a record: retried as a raw body
            doc = None
        if isinstance(doc, dict) and doc.get(MARK) == 1:
            fields = {k: v for k, v in doc.items() if k in cls.__dataclass_fields__}
            return cls(**fields)
        if isinstance(doc, dict) and isinstance(doc.get("Records"), list) and doc["Records"]:
            record = doc["Records"][0]  # a Lambda event (asynchronous invocation's DLQ)
            source = "sns" if record.get("EventSource") == "aws:sns" else "sqs"
            return cls(record, source, message_id, "Unprocessed", f"Lambda gave up after {receive_count} receive(s)")
        record = {"messageId": message_id, "body": body, "eventSource": "aws:sqs"}
        return cls(record, "sqs", message_id, "Unprocessed", f"moved by SQS after {receive_count} receive(s)")

    def event(self) -> dict[str, Any]:
        """The Lambda event of this one record, as the handler receives it (an EventBridge
        event is its own record)."""
        return self.record if self.source == "eventbridge" else {"Records": [self.record]}


@dataclass(frozen=True)
class Received:
    letter: Letter
    receipt: str
    message_id: str


class DeadLetterQueue:
    def __init__(self, url: str, client: Any | None = None) -> None:
        self.url = url
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            found = _REGION.search(self.url)
            try:
                self._client = boto3.client("sqs", region_name=found.group(1) if found else None)
            except Exception as exc:
                raise client_failure(exc, f"the dead-letter queue {self.url}") from exc
        return self._client

    def _call(self, operation: str, **params: Any) -> Any:
        """One SQS call on this queue; its failure as the AWS table sorts it."""
        try:
            return getattr(self.client, operation)(QueueUrl=self.url, **params)
        except Exception as exc:
            raise aws_failure(exc, f"the dead-letter queue {self.url} ({operation})") from exc

    def send(self, letter: Letter) -> None:
        """Any failure raises; the worker keeps the delivery for AWS to retry, so that it is
        not lost, whatever the cause (even a ConfigError such as a queue that is gone)."""
        self._call("send_message", MessageBody=letter.body())

    def peek(self, limit: int = 1000) -> list[Received]:
        """Read without taking: a visibility timeout of 0 leaves every message visible."""
        seen: dict[str, Received] = {}
        for batch in self._batches(visibility=0):
            fresh = [r for r in batch if r.message_id not in seen]
            if not fresh:
                break
            seen.update((r.message_id, r) for r in fresh)
            if len(seen) >= limit:
                break
        return list(seen.values())[:limit]

    def take(self, limit: int) -> list[Received]:
        """Receive up to ``limit`` messages and hide them while they are redriven."""
        taken: list[Received] = []
        for batch in self._batches(visibility=REDRIVE_VISIBILITY, limit=limit):
            taken += batch
            if len(taken) >= limit:
                break
        return taken[:limit]

    def delete(self, received: Received) -> None:
        self._call("delete_message", ReceiptHandle=received.receipt)

    def release(self, received: Received) -> None:
        """Make a message visible again now (its retry failed transiently)."""
        self._call("change_message_visibility", ReceiptHandle=received.receipt, VisibilityTimeout=0)

    def _batches(self, visibility: int, limit: int = 10) -> Iterator[list[Received]]:
        while True:
            answer = self._call(
                "receive_message",
                MaxNumberOfMessages=max(1, min(10, limit)),
                VisibilityTimeout=visibility,
                WaitTimeSeconds=1,  # long polling asks every SQS server; short polling samples some
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )
            messages = answer.get("Messages", [])
            if not messages:
                return
            yield [
                Received(
                    Letter.parse(
                        m["Body"], m["MessageId"], int(m.get("Attributes", {}).get("ApproximateReceiveCount", 1))
                    ),
                    m["ReceiptHandle"],
                    m["MessageId"],
                )
                for m in messages
            ]
