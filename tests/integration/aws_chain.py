"""The AWS chain on moto server: S3 bucket notification → SNS topic → SQS queues, and the
Lambda event shapes built from what those real services deliver.

Nothing here invents a payload: the S3 notification is the one moto's S3 publishes, the
SNS envelope is the one moto's SNS puts on the queue; only the outer Lambda wrapping is
done here, as the Lambda service does it (SQS: ``Records`` of lower-camel-case message
fields; SNS: ``Records[].Sns`` with ``SigningCertUrl``/``UnsubscribeUrl`` spelled so).
"""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq

DATASET = "ad_server.conversion"
PATTERN = "manifests/ad_server/conversion/dt={dt}/hour={hour}/{batch}.json"


@dataclass
class LambdaContext:
    """What Powertools reads from the Lambda context object."""

    function_name: str = "loaders-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:loaders-test"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"


class Chain:
    def __init__(self, endpoint: str, folder: Path) -> None:
        self.endpoint = endpoint
        self.folder = folder
        self.bucket = f"lake-{uuid.uuid4().hex[:12]}"
        self.s3 = boto3.client("s3", endpoint_url=endpoint)
        self.sns = boto3.client("sns", endpoint_url=endpoint)
        self.sqs = boto3.client("sqs", endpoint_url=endpoint)
        self.s3.create_bucket(Bucket=self.bucket)
        suffix = uuid.uuid4().hex[:8]
        self.topic = self.sns.create_topic(Name=f"manifests-{suffix}")["TopicArn"]
        self.buffer = self._queue(f"buffer-{suffix}")
        self.dlq = self._queue(f"dlq-{suffix}")
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=self._arn(self.buffer))
        self.s3.put_bucket_notification_configuration(
            Bucket=self.bucket,
            NotificationConfiguration={
                "TopicConfigurations": [
                    {
                        "TopicArn": self.topic,
                        "Events": ["s3:ObjectCreated:*"],
                        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "manifests/"}]}},
                    }
                ]
            },
        )
        self.warehouse = folder / "warehouse.duckdb"
        self.config = folder / "loaders.toml"
        self.write_config()

    def route_through_eventbridge(self) -> str:
        """Also send the bucket's events to EventBridge (what new S3 setups do), with a rule
        matching Object Created under ``manifests/`` whose target is a new queue; returns
        the queue. The events are moto's S3 → EventBridge ones, pattern-matched by moto's
        EventBridge, as the Terraform module's rule is written."""
        events = boto3.client("events", endpoint_url=self.endpoint)
        queue = self._queue(f"eventbridge-{uuid.uuid4().hex[:8]}")
        rule = f"manifests-{uuid.uuid4().hex[:8]}"
        pattern = {
            "source": ["aws.s3"],
            "detail-type": ["Object Created"],
            "detail": {"bucket": {"name": [self.bucket]}, "object": {"key": [{"prefix": "manifests/"}]}},
        }
        events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=rule, Targets=[{"Id": "buffer", "Arn": self._arn(queue)}])
        config = self.s3.get_bucket_notification_configuration(Bucket=self.bucket)
        config = {k: v for k, v in config.items() if k.endswith("Configurations")}
        self.s3.put_bucket_notification_configuration(
            Bucket=self.bucket, NotificationConfiguration={**config, "EventBridgeConfiguration": {}}
        )
        return queue

    def _queue(self, name: str) -> str:
        return self.sqs.create_queue(QueueName=name)["QueueUrl"]

    def _arn(self, queue_url: str) -> str:
        attrs = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        return attrs["Attributes"]["QueueArn"]

    def write_config(self, extra: str = "", sinks: str = '["local"]') -> None:
        self.config.write_text(
            f'[store]\nroot = "s3://{self.bucket}"\nendpoint_url = "{self.endpoint}"\n\n'
            f'[sinks.local]\ntype = "duckdb"\nurl = "duckdb:///{self.warehouse}"\n\n'
            f'[aws]\ndead_letter_queue = "{self.dlq}"\n\n'
            f'[datasets."{DATASET}"]\ntable = "raw.conversions"\nformat = "parquet"\n'
            f'manifests = "{PATTERN}"\npartition = ["dt", "hour"]\nstrategy = "merge"\n'
            f'keys = ["id"]\norder_by = "id"\nsinks = {sinks}\n' + extra
        )

    # -- the producer ----------------------------------------------------------------------

    def put_batch(self, dt: str, hour: str, batch: str, ids: list[int], *, manifest: Any = None) -> str:
        """Upload a Parquet file, then its manifest (which S3 announces); returns the key."""
        buf = io.BytesIO()
        pq.write_table(pa.table({"id": pa.array(ids, pa.int64())}), buf)
        data = f"data/ad_server/conversion/dt={dt}/hour={hour}/{batch}.parquet"
        self.s3.put_object(Bucket=self.bucket, Key=data, Body=buf.getvalue())
        entry = {
            "url": f"s3://{self.bucket}/{data}",
            "mandatory": True,
            "meta": {"content_length": len(buf.getvalue()), "record_count": len(ids)},
        }
        key = PATTERN.format(dt=dt, hour=hour, batch=batch)
        body = manifest if manifest is not None else json.dumps({"entries": [entry]})
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body.encode() if isinstance(body, str) else body)
        return key

    # -- what the queues hold, and the events Lambda would build ---------------------------

    def drain(self, queue: str | None = None) -> list[dict[str, Any]]:
        """Every message on a queue (deleted from it, as Lambda's poller does on success)."""
        queue = queue or self.buffer
        out: list[dict[str, Any]] = []
        while True:
            got = self.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = got.get("Messages", [])
            if not messages:
                return out
            for m in messages:
                self.sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
            out += messages

    def notifications(self) -> list[dict[str, Any]]:
        """The buffer's messages, minus S3's test event (kept apart by ``test_events``)."""
        return [m for m in self.drain() if "s3:TestEvent" not in json.loads(m["Body"])["Message"]]

    def sqs_event(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        arn = self._arn(self.buffer)
        return {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764400000000"},
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": "us-east-1",
                }
                for m in messages
            ]
        }

    def sns_event(self, message: dict[str, Any]) -> dict[str, Any]:
        """The SNS event Lambda gets for the envelope SNS put on the queue."""
        envelope = json.loads(message["Body"])
        return {
            "Records": [
                {
                    "EventVersion": "1.0",
                    "EventSubscriptionArn": f"{self.topic}:{uuid.uuid4()}",
                    "EventSource": "aws:sns",
                    "Sns": {
                        "SignatureVersion": envelope.get("SignatureVersion", "1"),
                        "Timestamp": envelope["Timestamp"],
                        "Signature": envelope.get("Signature", ""),
                        "SigningCertUrl": envelope.get("SigningCertURL", ""),
                        "MessageId": envelope["MessageId"],
                        "Message": envelope["Message"],
                        "MessageAttributes": envelope.get("MessageAttributes", {}),
                        "Type": envelope["Type"],
                        "UnsubscribeUrl": envelope.get("UnsubscribeURL", ""),
                        "TopicArn": envelope["TopicArn"],
                        "Subject": envelope.get("Subject"),
                    },
                }
            ]
        }

    def dead_letters(self) -> list[dict[str, Any]]:
        """The DLQ's bodies, left on the queue (visibility 0)."""
        got = self.sqs.receive_message(QueueUrl=self.dlq, MaxNumberOfMessages=10, VisibilityTimeout=0)
        return [json.loads(m["Body"]) for m in got.get("Messages", [])]
