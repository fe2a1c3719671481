"""``backfill --fan-out sns:TOPIC_ARN``: one load request per planned unit, published to
the loader's SNS topic, so Lambda loads partitions in parallel (bounded by the function's
reserved concurrency) instead of this terminal loading them one after another.

Each request names its dataset, partition, sink and reprocess policy; the handler plans
that one partition against the load state again, so a request published twice, or for a
partition loaded meanwhile, is a no-op.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from loaders.aws.events import partition_request_body
from manifests import ConfigError
from manifests.aws_errors import aws_failure, client_failure, code_rule

#: SNS PublishBatch takes at most 10 entries per call (SNS API reference, PublishBatch).
BATCH = 10
_ARN = re.compile(r"^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")


def topic_of(target: str) -> str:
    """``sns:arn:aws:sns:REGION:ACCOUNT:NAME`` → the topic ARN."""
    arn = target.removeprefix("sns:") if target.startswith("sns:") else ""
    if not _ARN.match(arn):
        raise ConfigError(f"--fan-out {target}: expected sns:arn:aws:sns:REGION:ACCOUNT:TOPIC")
    return arn


def publish(target: str, requests: Sequence[tuple[str, str, str | None, str]], client: Any | None = None) -> list[str]:
    """Publish (dataset, partition, sink, reprocess) requests; returns their message ids."""
    topic = topic_of(target)
    if client is None:
        import boto3

        try:
            client = boto3.client("sns", region_name=_ARN.match(topic).group(1))  # type: ignore[union-attr]
        except Exception as exc:
            raise client_failure(exc, f"publishing to {topic}") from exc
    ids: list[str] = []
    for start in range(0, len(requests), BATCH):
        chunk = requests[start : start + BATCH]
        entries = [{"Id": uuid.uuid4().hex, "Message": partition_request_body(*r)} for r in chunk]
        doing = f"publishing to {topic} failed after {len(ids)} request(s)"
        try:
            answer = client.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
        except Exception as exc:  # no topic, no access: ConfigError; throttled: transient
            raise aws_failure(exc, doing) from exc
        if answer.get("Failed"):
            first = {"Code": "", "Message": "", **answer["Failed"][0]}
            kind, why = code_rule(str(first["Code"]), sender_fault=bool(first.get("SenderFault")))
            raise kind(f"{doing}: {why} ({first['Code']}: {first['Message']})")
        by_id = {s["Id"]: s["MessageId"] for s in answer.get("Successful", [])}
        ids += [by_id[e["Id"]] for e in entries]
    return ids
