"""Lambda payloads → load requests: the shapes alone, no I/O."""

from __future__ import annotations

import json
import re

import pytest

from loaders.aws.events import ManifestRequest, PartitionRequest, messages, partition_request_body, requests
from manifests import ManifestError


def s3_notification(key: str, event: str = "ObjectCreated:Put") -> str:
    record = {
        "eventSource": "aws:s3", "eventName": event, "eventTime": "2026-11-29T08:36:00.000Z",
        "s3": {"bucket": {"name": "lake"}, "object": {"key": key, "size": 10}},
    }  # fmt: skip
    return json.dumps({"Records": [record]})


def test_keys_are_url_decoded_with_plus_as_space() -> None:
    [request] = requests(s3_notification("manifests/dt%3D2026-11-29/lot+%C3%A9t%C3%A9+2%2B2.json"))
    assert request == ManifestRequest("s3://lake/manifests/dt=2026-11-29/lot été 2+2.json", notified=True)


def test_deletions_and_test_events_ask_for_nothing() -> None:
    assert requests(s3_notification("manifests/x.json", "ObjectRemoved:Delete")) == ()
    assert requests(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})) == ()


def test_direct_and_partition_requests() -> None:
    assert requests('{"manifest": "s3://lake/m.json"}') == (ManifestRequest("s3://lake/m.json"),)
    body = partition_request_body("a.b", "dt=2026-11-29/hour=08", "local", "failed")
    assert requests(body) == (PartitionRequest("a.b", "dt=2026-11-29/hour=08", "local", "failed"),)
    as_object = '{"dataset": "a.b", "partition": {"dt": "2026-11-29", "hour": "08"}}'
    assert requests(as_object) == (PartitionRequest("a.b", "dt=2026-11-29/hour=08"),)


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ("not json", "not JSON"),
        ("[1]", "not a JSON object"),
        ('{"manifest": 3}', "non-empty string"),
        ('{"dataset": "a.b", "partition": {"dt": 1}}', "must be strings"),
        ('{"dataset": "a.b", "partition": "dt=x", "reprocess": "everything"}', "missing, failed or all"),
        ('{"hello": "world"}', "neither an S3 notification nor a load request"),
    ],
)
def test_unreadable_payloads_are_terminal_with_the_reason(payload: str, needle: str) -> None:
    with pytest.raises(ManifestError, match=needle):
        requests(payload)


def test_sqs_bodies_may_be_sns_envelopes_or_raw_and_problems_are_kept_per_message() -> None:
    envelope = json.dumps({"Type": "Notification", "MessageId": "sns-1", "Message": '{"manifest": "s3://l/a.json"}'})
    event = {
        "Records": [
            {"messageId": "q1", "body": envelope, "eventSource": "aws:sqs"},
            {"messageId": "q2", "body": '{"manifest": "s3://l/b.json"}', "eventSource": "aws:sqs"},
            {"messageId": "q3", "body": "garbage", "eventSource": "aws:sqs"},
        ]
    }
    first, second, third = messages(event)
    assert (first.message_id, first.requests) == ("q1", (ManifestRequest("s3://l/a.json"),))
    assert second.requests == (ManifestRequest("s3://l/b.json"),)
    assert third.requests == () and third.problem is not None and "not JSON" in third.problem


def test_an_event_from_another_source_is_refused() -> None:
    with pytest.raises(ValueError, match="not an SNS or SQS event"):
        messages({"Records": [{"eventSource": "aws:kinesis"}]})


def test_a_payload_nested_100000_deep_is_terminal_not_a_recursion_error() -> None:
    """It raised RecursionError out of the handler: AWS retried the whole batch for ever."""
    with pytest.raises(ManifestError, match="not JSON \\(nested too deeply\\)"):
        requests("[" * 100_000 + "]" * 100_000)
    deep = "[" * 100_000 + "]" * 100_000
    [message] = messages({"Records": [{"messageId": "q1", "body": deep, "eventSource": "aws:sqs"}]})
    assert message.requests == () and message.problem is not None and "nested too deeply" in message.problem


#: The S3 user guide's "Object created" example ("EventBridge event message structure",
#: https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html), its key made one
#: with "+", "=" and a space, which EventBridge carries as they are.
EVENTBRIDGE_OBJECT_CREATED = {
    "version": "0",
    "id": "17793124-05d4-b198-2fde-7ededc63b103",
    "detail-type": "Object Created",
    "source": "aws.s3",
    "account": "111122223333",
    "time": "2021-11-12T00:00:00Z",
    "region": "ca-central-1",
    "resources": ["arn:aws:s3:::amzn-s3-demo-bucket1"],
    "detail": {
        "version": "0",
        "bucket": {"name": "amzn-s3-demo-bucket1"},
        "object": {
            "key": "manifests/dt=2021-11-12/lot 2+2.json",
            "size": 5,
            "etag": "b1946ac92492d2347c6235b4d2611184",
            "version-id": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
            "sequencer": "617f08299329d189",
        },
        "request-id": "N4N7GDK58NMKJ12R",
        "requester": "123456789012",
        "source-ip-address": "1.2.3.4",
        "reason": "PutObject",
    },
}


def test_s3_object_created_through_eventbridge_direct_or_in_an_sqs_body_keeps_its_key_as_is() -> None:
    wanted = (ManifestRequest("s3://amzn-s3-demo-bucket1/manifests/dt=2021-11-12/lot 2+2.json", notified=True),)
    assert requests(json.dumps(EVENTBRIDGE_OBJECT_CREATED)) == wanted
    [direct] = messages(EVENTBRIDGE_OBJECT_CREATED)
    assert (direct.message_id, direct.source) == (EVENTBRIDGE_OBJECT_CREATED["id"], "eventbridge")
    assert direct.requests == wanted
    assert direct.record == EVENTBRIDGE_OBJECT_CREATED
    body = json.dumps(EVENTBRIDGE_OBJECT_CREATED)  # an EventBridge rule's SQS target: the body is the event
    [queued] = messages({"Records": [{"messageId": "q1", "body": body, "eventSource": "aws:sqs"}]})
    assert (queued.source, queued.requests) == ("sqs", wanted)


def test_other_s3_detail_types_ask_for_nothing_and_other_sources_are_refused() -> None:
    deleted = {**EVENTBRIDGE_OBJECT_CREATED, "detail-type": "Object Deleted"}
    assert requests(json.dumps(deleted)) == ()
    guardduty = {**EVENTBRIDGE_OBJECT_CREATED, "source": "aws.guardduty", "detail-type": "GuardDuty Finding"}
    refused = re.escape("from 'aws.guardduty' ('GuardDuty Finding') is not an S3 notification")
    with pytest.raises(ManifestError, match=refused):
        requests(json.dumps(guardduty))
    [message] = messages(guardduty)
    assert message.requests == () and message.problem is not None and "aws.guardduty" in message.problem
    keyless = {**EVENTBRIDGE_OBJECT_CREATED, "detail": {"bucket": {"name": "b"}, "object": {}}}
    with pytest.raises(ManifestError, match=re.escape("without detail.bucket.name and detail.object.key")):
        requests(json.dumps(keyless))


def test_a_dead_lettered_eventbridge_event_is_redriven_as_the_event_itself() -> None:
    from loaders.aws.dlq import Letter

    letter = Letter(EVENTBRIDGE_OBJECT_CREATED, "eventbridge", "17793124", "ManifestError", "boom")
    parsed = Letter.parse(letter.body(), "m1", 1)
    assert parsed.event() == EVENTBRIDGE_OBJECT_CREATED
    [message] = messages(parsed.event())
    assert message.source == "eventbridge" and len(message.requests) == 1


def test_an_eventbridge_event_moved_to_the_dlq_by_aws_is_redriven_too() -> None:
    """What Lambda's asynchronous DLQ, or the rule target's, puts there: the bare event."""
    from loaders.aws.dlq import Letter

    moved = Letter.parse(json.dumps(EVENTBRIDGE_OBJECT_CREATED), "m2", 3)
    [message] = messages(moved.event())
    assert message.requests == (
        ManifestRequest("s3://amzn-s3-demo-bucket1/manifests/dt=2021-11-12/lot 2+2.json", notified=True),
    )
